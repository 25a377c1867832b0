package collab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDirectoryPollInterval is how often DirectoryFile.Watch looks at
// the files when DirectoryFileConfig.PollInterval is 0.
const DefaultDirectoryPollInterval = 2 * time.Second

// ErrDirectoryRollback: a reloaded directory has a lower version than the
// one in use, or the same version with other content. Returned by
// DirectoryFile.Reload.
var ErrDirectoryRollback = errors.New("collab: directory version does not grow")

// DirectoryFileConfig configures a DirectoryFile.
type DirectoryFileConfig struct {
	// Path is the directory document. Required.
	Path string
	// SignaturePath is its detached DirectorySignature; "": Path+".sig".
	SignaturePath string
	// RequireSignature refuses a directory without a signature, or whose
	// signature does not verify with TrustedKeys or with the keys of the
	// leading group of the directory in use.
	RequireSignature bool
	// TrustedKeys are the leading group's keys configured out of band:
	// the trust anchor for the first directory. Later directories may also
	// be signed by a valid key of the leading group of the directory in
	// use, so the leading group can rotate its own key.
	TrustedKeys []Key
	// Check, if set, vets each directory before it is taken (a hub: its
	// own organization is still there). Its error refuses the directory.
	Check func(*Directory) error
	// Logger gets a line per reload and per refusal. Nil: silent.
	Logger *slog.Logger
	// Clock judges key periods. Nil: time.Now.
	Clock func() time.Time
	// PollInterval is how often Watch looks for a change; 0:
	// DefaultDirectoryPollInterval.
	PollInterval time.Duration
}

// rules are the checks of c that AcceptDirectory applies.
func (c DirectoryFileConfig) rules() DirectoryRules {
	return DirectoryRules{RequireSignature: c.RequireSignature, TrustedKeys: c.TrustedKeys, Check: c.Check, Clock: c.Clock}
}

// Validate names every problem of c.
func (c DirectoryFileConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New(`collab: DirectoryFileConfig.Path is ""; name the directory file`))
	}
	if c.RequireSignature && len(c.TrustedKeys) == 0 {
		errs = append(errs, errors.New("collab: DirectoryFileConfig.TrustedKeys is empty while RequireSignature is set; give the leading group's public key"))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("collab: DirectoryFileConfig.PollInterval is %s; it must not be negative", c.PollInterval))
	}
	return errors.Join(errs...)
}

// DirectoryFile keeps the directory read from a file, and takes a new
// revision without a restart: on Reload (a hub calls it on SIGHUP), and
// from Watch when the file or its signature changes. A candidate is
// parsed and checked in full (schema, scheme rules, signature, version,
// Check) before it replaces the one in use; on any error the directory in
// use stays, and the error is logged and returned.
//
// A DirectoryFile is safe for concurrent use; Directory never blocks.
type DirectoryFile struct {
	cfg DirectoryFileConfig
	cur atomic.Pointer[Directory]

	mu    sync.Mutex // serializes reloads
	raw   []byte     // the document in use
	stamp [2]fileStamp
}

type fileStamp struct {
	size    int64
	modTime time.Time
	exists  bool
}

// OpenDirectoryFile loads the directory at cfg.Path under cfg's rules.
func OpenDirectoryFile(cfg DirectoryFileConfig) (*DirectoryFile, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SignaturePath == "" {
		cfg.SignaturePath = cfg.Path + ".sig"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultDirectoryPollInterval
	}
	f := &DirectoryFile{cfg: cfg}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Directory returns the directory in use.
func (f *DirectoryFile) Directory() *Directory { return f.cur.Load() }

// Reload reads the files again and takes the directory if it passes every
// check. It reports whether the directory in use changed; the same
// document again is no change and no error.
func (f *DirectoryFile) Reload() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	changed, err := f.reload()
	if err != nil && f.cur.Load() != nil {
		f.cfg.Logger.Error("collab: directory refused; keeping the one in use", "path", f.cfg.Path, "err", err,
			"in_use_version", f.versionInUse())
	}
	return changed, err
}

// ReloadIfChanged reloads if the size or modification time of the
// directory file or of its signature changed since the last look.
func (f *DirectoryFile) ReloadIfChanged() (bool, error) {
	f.mu.Lock()
	s := f.stamps()
	same := s == f.stamp
	f.mu.Unlock()
	if same {
		return false, nil
	}
	return f.Reload()
}

// Watch calls ReloadIfChanged every PollInterval and Reload on every value
// from hup (give it a channel of signal.Notify for SIGHUP, or nil), until
// ctx ends; it returns ctx's error. Refusals are logged, and the directory
// in use stays.
func (f *DirectoryFile) Watch(ctx context.Context, hup <-chan os.Signal) error {
	t := time.NewTicker(f.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-hup:
			f.Reload() // logged
		case <-t.C:
			f.ReloadIfChanged() // logged
		}
	}
}

func (f *DirectoryFile) versionInUse() int {
	if d := f.cur.Load(); d != nil {
		return d.Version()
	}
	return 0
}

func (f *DirectoryFile) stamps() [2]fileStamp {
	var out [2]fileStamp
	for i, p := range []string{f.cfg.Path, f.cfg.SignaturePath} {
		if fi, err := os.Stat(p); err == nil {
			out[i] = fileStamp{size: fi.Size(), modTime: fi.ModTime(), exists: true}
		}
	}
	return out
}

func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s is more than %d bytes", path, limit)
	}
	return raw, nil
}

func (f *DirectoryFile) reload() (bool, error) {
	stamp := f.stamps()                // before reading: a change meanwhile is seen next time
	defer func() { f.stamp = stamp }() // a refused file is looked at again only once it changes
	raw, err := readLimited(f.cfg.Path, MaxDirectoryBytes)
	if err != nil {
		return false, fmt.Errorf("collab: directory file: %w", err)
	}
	cur := f.cur.Load()
	if cur != nil && bytes.Equal(raw, f.raw) {
		return false, nil
	}
	var sig []byte
	if f.cfg.RequireSignature {
		sig, err = readLimited(f.cfg.SignaturePath, MaxDirectorySignatureBytes)
		if errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("%w: %s has no signature at %s; sign it with the leading group's key", ErrDirectoryUnsigned, f.cfg.Path, f.cfg.SignaturePath)
		}
		if err != nil {
			return false, fmt.Errorf("collab: directory signature: %w", err)
		}
	}
	d, err := AcceptDirectory(raw, sig, cur, f.cfg.rules())
	if err != nil {
		return false, fmt.Errorf("collab: directory file %s: %w", f.cfg.Path, err)
	}
	f.cur.Store(d)
	f.raw = raw
	f.cfg.Logger.Info("collab: directory loaded", "path", f.cfg.Path, "version", d.Version(), "orgs", len(d.orgs))
	return true, nil
}
