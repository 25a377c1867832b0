package jetstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/collab"
)

// DefaultDirectoryBucket and DefaultDirectoryKey name where
// SharedDirectory keeps the directory.
const (
	DefaultDirectoryBucket = "sicollab_directory"
	DefaultDirectoryKey    = "directory"
)

// ErrDirectoryConflict: the bucket's directory changed between the look
// Publish took and its write; nothing was written. Look at the bucket's
// revision and publish again if the document is still wanted.
var ErrDirectoryConflict = errors.New("jetstream: the shared directory changed meanwhile")

// DirectoryConfig configures SharedDirectory.
type DirectoryConfig struct {
	// Bucket is the key-value bucket; "": DefaultDirectoryBucket.
	Bucket string
	// Key holds the directory; "": DefaultDirectoryKey.
	Key string
	// Replicas of the bucket when it is created; 0: 1 (3 in a cluster).
	Replicas int
	// Rules are the checks every revision passes before it is taken, as
	// a collab.DirectoryFile applies them (signature, version, Check).
	Rules collab.DirectoryRules
	// Logger gets a line per revision taken and per refusal. Nil: silent.
	Logger *slog.Logger
}

// Validate names every problem of c.
func (c DirectoryConfig) Validate() error {
	var errs []error
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("jetstream: DirectoryConfig.Replicas is %d; JetStream takes 1 to 5", c.Replicas))
	}
	if c.Rules.RequireSignature && len(c.Rules.TrustedKeys) == 0 {
		errs = append(errs, errors.New("jetstream: DirectoryConfig.Rules.TrustedKeys is empty while RequireSignature is set; give the leading group's public key"))
	}
	return errors.Join(errs...)
}

// directoryValue is a bucket value: the directory document and its
// detached signature, each byte for byte as the files hold them.
type directoryValue struct {
	Directory []byte `json:"directory"`
	Signature []byte `json:"signature,omitempty"`
}

func decodeDirectoryValue(data []byte) (directoryValue, error) {
	var v directoryValue
	if len(data) > 2*(collab.MaxDirectoryBytes+collab.MaxDirectorySignatureBytes) {
		return v, fmt.Errorf("bucket value is %d bytes, more than a directory and its signature can be", len(data))
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("bucket value is not a directory entry: %w", err)
	}
	if len(v.Directory) == 0 {
		return v, errors.New(`bucket value has no "directory"`)
	}
	return v, nil
}

// inUse is the directory taken, with the document and bucket revision
// it came from.
type inUse struct {
	dir *collab.Directory
	raw []byte
	rev uint64
}

// SharedDirectory is the directory shared by every hub through one key
// of a JetStream key-value bucket, which holds the document and its
// detached signature exactly as a directory file and its .sig hold them.
// It follows the key: each new revision is checked with
// collab.AcceptDirectory under Rules (the checks a collab.DirectoryFile
// applies) and taken only if it passes; otherwise it is logged and the
// directory in use stays. Publish checks a document the same way before
// it writes, and writes with compare-and-set on the bucket revision, so
// two operators cannot overwrite each other unknowingly.
//
// It implements submit.DirectorySource; Directory never blocks. Close
// stops following the bucket.
type SharedDirectory struct {
	cfg  DirectoryConfig
	kv   js.KeyValue
	cur  atomic.Pointer[inUse]
	mu   sync.Mutex // serializes takes
	w    js.KeyWatcher
	done chan struct{}
	once sync.Once
}

// NewDirectory opens (or creates) the bucket over nc, takes the
// directory it holds if that passes the rules, and follows the key until
// Close. Over an empty bucket Directory is nil until a revision is
// published.
func NewDirectory(ctx context.Context, nc *nats.Conn, cfg DirectoryConfig) (*SharedDirectory, error) {
	if nc == nil {
		return nil, errors.New("jetstream: NewDirectory: nil connection")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultDirectoryBucket
	}
	if cfg.Key == "" {
		cfg.Key = DefaultDirectoryKey
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	j, err := js.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewDirectory: %w", err)
	}
	kv, err := j.CreateOrUpdateKeyValue(ctx, js.KeyValueConfig{Bucket: cfg.Bucket, Description: "sicollab: the directory",
		History: 8, Storage: js.FileStorage, Replicas: cfg.Replicas, MaxValueSize: 2 * (collab.MaxDirectoryBytes + collab.MaxDirectorySignatureBytes)})
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewDirectory: bucket %s: %w", cfg.Bucket, err)
	}
	w, err := kv.Watch(context.WithoutCancel(ctx), cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("jetstream: NewDirectory: watch %s/%s: %w", cfg.Bucket, cfg.Key, err)
	}
	s := &SharedDirectory{cfg: cfg, kv: kv, w: w, done: make(chan struct{})}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				w.Stop()
				return nil, fmt.Errorf("jetstream: NewDirectory: watch of %s ended", cfg.Bucket)
			}
			if e == nil {
				go s.follow()
				return s, nil
			}
			s.take(e) // logged if refused
		case <-ctx.Done():
			w.Stop()
			return nil, fmt.Errorf("jetstream: NewDirectory: reading %s: %w", cfg.Bucket, ctx.Err())
		}
	}
}

// Directory returns the directory in use; nil before any was taken.
func (s *SharedDirectory) Directory() *collab.Directory {
	if c := s.cur.Load(); c != nil {
		return c.dir
	}
	return nil
}

// Revision returns the bucket revision of the directory in use; 0
// before any was taken.
func (s *SharedDirectory) Revision() uint64 {
	if c := s.cur.Load(); c != nil {
		return c.rev
	}
	return 0
}

// Document returns a copy of the document in use, byte for byte as
// published; nil before any was taken.
func (s *SharedDirectory) Document() []byte {
	if c := s.cur.Load(); c != nil {
		return bytes.Clone(c.raw)
	}
	return nil
}

func (s *SharedDirectory) follow() {
	defer close(s.done)
	for e := range s.w.Updates() {
		if e != nil {
			s.take(e)
		}
	}
}

// take checks a bucket entry and takes it if it passes.
func (s *SharedDirectory) take(e js.KeyValueEntry) {
	if e.Operation() != js.KeyValuePut {
		s.cfg.Logger.Warn("jetstream: shared directory deleted from the bucket; keeping the one in use", "revision", e.Revision())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	v, err := decodeDirectoryValue(e.Value())
	if err == nil && cur != nil && bytes.Equal(v.Directory, cur.raw) {
		return // the same document again (a Publish of this hub, seen back)
	}
	var d *collab.Directory
	if err == nil {
		d, err = collab.AcceptDirectory(v.Directory, v.Signature, dirOf(cur), s.cfg.Rules)
	}
	if err != nil {
		s.cfg.Logger.Error("jetstream: shared directory refused; keeping the one in use", "bucket", s.cfg.Bucket,
			"revision", e.Revision(), "in_use_version", versionOf(cur), "err", err)
		return
	}
	s.cur.Store(&inUse{dir: d, raw: v.Directory, rev: e.Revision()})
	s.cfg.Logger.Info("jetstream: shared directory taken", "bucket", s.cfg.Bucket, "revision", e.Revision(), "version", d.Version())
}

// Publish checks raw, a directory document, and sig, its detached
// signature (nil: none), under Rules against the newest valid directory
// (the bucket's or the one in use), and writes them to the bucket if
// the bucket did not change meanwhile. A document the bucket already
// holds is no change and no error (revision 0). It returns the new
// bucket revision; the directory in use follows once the watch delivers
// it. A refused document wraps the collab error
// (collab.ErrDirectoryRollback for an older or equal version,
// collab.ErrDirectorySignature, ...); a concurrent write,
// ErrDirectoryConflict.
func (s *SharedDirectory) Publish(ctx context.Context, raw, sig []byte) (uint64, error) {
	base := dirOf(s.cur.Load())
	var lastRev uint64
	e, err := s.kv.Get(ctx, s.cfg.Key)
	switch {
	case errors.Is(err, js.ErrKeyNotFound):
	case err != nil:
		return 0, fmt.Errorf("jetstream: publish directory: read %s/%s: %w", s.cfg.Bucket, s.cfg.Key, err)
	default:
		lastRev = e.Revision()
		if v, err := decodeDirectoryValue(e.Value()); err == nil {
			if bytes.Equal(v.Directory, raw) && bytes.Equal(v.Signature, sig) {
				return 0, nil
			}
			if d, err := collab.AcceptDirectory(v.Directory, v.Signature, base, s.cfg.Rules); err == nil {
				base = d // newer than the one in use and valid: the one to grow from
			}
		}
	}
	if _, err := collab.AcceptDirectory(raw, sig, base, s.cfg.Rules); err != nil {
		return 0, fmt.Errorf("jetstream: publish directory: refused: %w", err)
	}
	val, err := json.Marshal(directoryValue{Directory: raw, Signature: sig})
	if err != nil {
		return 0, fmt.Errorf("jetstream: publish directory: encode: %w", err)
	}
	var rev uint64
	if lastRev == 0 {
		rev, err = s.kv.Create(ctx, s.cfg.Key, val)
	} else {
		rev, err = s.kv.Update(ctx, s.cfg.Key, val, lastRev)
	}
	if errors.Is(err, js.ErrKeyExists) || isWrongSequence(err) {
		return 0, fmt.Errorf("%w: %s/%s is past revision %d; look at it and publish again", ErrDirectoryConflict, s.cfg.Bucket, s.cfg.Key, lastRev)
	}
	if err != nil {
		return 0, fmt.Errorf("jetstream: publish directory: write %s/%s: %w", s.cfg.Bucket, s.cfg.Key, err)
	}
	return rev, nil
}

// isWrongSequence reports a compare-and-set refused by the server: code
// 10071, or 10164, which replicated streams answer instead.
func isWrongSequence(err error) bool {
	var apiErr *js.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == js.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == js.JSErrCodeStreamWrongLastSequenceConstant)
}

// Close stops following the bucket and waits for the follower to end.
func (s *SharedDirectory) Close() error {
	var err error
	s.once.Do(func() {
		err = s.w.Stop()
		<-s.done
	})
	return err
}

func dirOf(c *inUse) *collab.Directory {
	if c == nil {
		return nil
	}
	return c.dir
}

func versionOf(c *inUse) int {
	if c == nil {
		return 0
	}
	return c.dir.Version()
}
