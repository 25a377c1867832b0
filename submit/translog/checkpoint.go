package translog

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointBytes bounds a signed checkpoint note that ParseCheckpoint
// and the client accept.
const MaxCheckpointBytes = 16 << 10

// Checkpoint is a signed statement of the log's tree: its origin (the
// log's name), its size and its root hash.
//
// The text signed is the checkpoint form of the transparency-log
// community (C2SP tlog-checkpoint): three lines, the origin, the size in
// decimal and the root hash in standard base64, each ended by "\n". It is
// signed as a note (golang.org/x/mod/sumdb/note) with an Ed25519 key whose
// name is the origin.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
	// Note is the whole signed note the checkpoint was read from (or made
	// into): the text and its signature lines. It is the evidence a
	// ForkError or RollbackError carries.
	Note []byte
}

// Tree returns the checkpoint's tree as tlog names it.
func (c Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: c.Size, Hash: c.Hash} }

// text is the signed body of c.
func (c Checkpoint) text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// parseText parses the body of a checkpoint note.
func parseText(origin, text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return c, fmt.Errorf("%w: want origin, size and root hash lines", ErrBadCheckpoint)
	}
	c.Origin = strings.TrimSuffix(lines[0], "\n")
	if c.Origin != origin {
		return c, fmt.Errorf("%w: origin %q: want %q", ErrBadCheckpoint, c.Origin, origin)
	}
	sz := strings.TrimSuffix(lines[1], "\n")
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != sz {
		return c, fmt.Errorf("%w: size %q: want a decimal integer >= 0", ErrBadCheckpoint, sz)
	}
	c.Size = n
	h, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(h) != tlog.HashSize {
		return c, fmt.Errorf("%w: root hash %q: want %d bytes in standard base64", ErrBadCheckpoint, strings.TrimSuffix(lines[2], "\n"), tlog.HashSize)
	}
	copy(c.Hash[:], h)
	// Lines after the third are extensions; none is defined, and a
	// checkpoint with any is refused so that one tree has one text.
	if len(lines) > 4 {
		return c, fmt.Errorf("%w: %d extension lines: none is defined", ErrBadCheckpoint, len(lines)-4)
	}
	return c, nil
}

// ParseCheckpoint verifies the signed checkpoint note msg with the
// verifier key vkey (note's format, as GenerateKey returns it) and parses
// it. A note signed by another key fails with ErrUnknownKey; a bad
// signature or text with ErrBadCheckpoint.
func ParseCheckpoint(msg []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("translog: verifier key: %w", err)
	}
	return parseCheckpoint(msg, v)
}

func parseCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	if len(msg) > MaxCheckpointBytes {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes: limit MaxCheckpointBytes is %d", ErrBadCheckpoint, len(msg), MaxCheckpointBytes)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if errors.As(err, &unknown) {
			return Checkpoint{}, fmt.Errorf("%w: want a signature by %q: %v", ErrUnknownKey, v.Name(), err)
		}
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	c, err := parseText(v.Name(), n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	c.Note = bytes.Clone(msg)
	return c, nil
}

// GenerateKey makes a new Ed25519 key pair for a log named origin and
// returns it in note's text formats: skey for Config.SignerKey (keep it
// secret), vkey for Config.VerifierKey and for everyone who verifies the
// log's checkpoints.
func GenerateKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("translog: generate key for %q: %w", origin, err)
	}
	return skey, vkey, nil
}

// signCheckpoint signs c with s and fills c.Note.
func signCheckpoint(c Checkpoint, s note.Signer) (Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: c.text()}, s)
	if err != nil {
		return c, fmt.Errorf("translog: sign checkpoint: %w", err)
	}
	c.Note = msg
	return c, nil
}
