package stage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/sicollab/sicollab/schema"
)

// ReasonDuplicateContent: Dedupe saw the record's content key, from the
// same source, within its window (same event, new id: a resubmission).
const ReasonDuplicateContent = "duplicate_content"

// DefaultDedupeWindow is the number of records Dedupe remembers when
// DedupeConfig.Window is 0.
const DefaultDedupeWindow = 100_000

// DedupeConfig configures NewDedupe.
type DedupeConfig struct {
	// Window is the number of passed records remembered (0 means
	// DefaultDedupeWindow). Memory is about 150 bytes per record of window,
	// whatever the number of records seen.
	Window int
	// Key returns a record's content key (nil means EventKey). The source
	// and the kind are always prepended, so the same event reported by two
	// organizations is not a duplicate: that is Integrate's job.
	Key KeyFunc
}

// Validate reports what is wrong with c.
func (c DedupeConfig) Validate() error {
	if c.Window < 0 {
		return fmt.Errorf("stage: dedupe config: Window: must be at least 0 (0 means %d), got %d", DefaultDedupeWindow, c.Window)
	}
	return nil
}

// Dedupe is a processor that removes duplicates (the scheme's "removing
// duplicates"): records with an id it has seen, dropped under
// ReasonDuplicate, and records whose content key it has seen from the same
// source, dropped under ReasonDuplicateContent.
//
// Memory is bounded by a count window: Dedupe remembers the id and the
// content key of the last Window records it passed, in a ring, and
// forgets the oldest as each new record passes. The false-negative rule,
// exactly: a record is dropped if and only if its id, or its source, kind
// and content key, equal those of one of the last Window records Dedupe
// passed; a copy arriving after Window other records have passed since
// the original is not recognized and passes. Dropped records do not enter
// the window, so duplicates never push out originals. Keys are kept as
// 128-bit hashes (SHA-256, truncated), so a false positive needs a hash
// collision.
//
// Dedupe is safe for concurrent use; the key is computed outside its lock,
// so Concurrency above 1 helps. With concurrency, which of two copies
// arriving together passes is not determined; that one does is.
type Dedupe struct {
	key KeyFunc // nil: EventKey's key, computed without a string

	mu    sync.Mutex
	ring  []dedupeSlot
	next  int    // ring position of the next record
	count uint64 // records passed so far; slot n holds record n % len(ring)
	index map[[16]byte]uint64
}

type dedupeSlot struct {
	id, content [16]byte
	hasContent  bool
	n           uint64 // 1-based number of the record in the slot, 0 if empty
}

// NewDedupe returns a Dedupe with an empty window.
func NewDedupe(cfg DedupeConfig) (*Dedupe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultDedupeWindow
	}

	return &Dedupe{
		key:   cfg.Key,
		ring:  make([]dedupeSlot, cfg.Window),
		index: make(map[[16]byte]uint64, 2*cfg.Window),
	}, nil
}

// hash16 is the first 16 bytes of SHA-256 over the parts, each followed by
// a zero byte. Keys are short, so the input is gathered on the stack and
// hashed in one call: no allocation per record.
func hash16(parts ...string) [16]byte {
	var buf [512]byte
	in := buf[:0]
	for _, p := range parts {
		in = append(append(in, p...), 0)
	}
	sum := sha256.Sum256(in)
	return [16]byte(sum[:16])
}

// contentHash is hash16("content", source, kind, string(key)), without
// the string.
func contentHash(source, kind string, key []byte) [16]byte {
	var buf [512]byte
	in := append(buf[:0], "content\x00"...)
	in = append(append(in, source...), 0)
	in = append(append(in, kind...), 0)
	in = append(append(in, key...), 0)
	sum := sha256.Sum256(in)
	return [16]byte(sum[:16])
}

// Process drops env if it is a duplicate and passes it otherwise. An error
// from the key function fails the record.
func (d *Dedupe) Process(ctx context.Context, env schema.Envelope, emit func(schema.Envelope)) error {
	var content [16]byte
	hasKey := false
	if d.key == nil {
		// EventKey's key, hashed from the stack: no string per record.
		var buf [256]byte
		k, _, err := appendEvent(buf[:0], &env, false)
		if err != nil {
			return fmt.Errorf("stage: dedupe %s: content key: %w", env.ID, err)
		}
		if hasKey = len(k) > 0; hasKey {
			content = contentHash(env.Source, env.Kind, k)
		}
	} else {
		key, ok, err := d.key(env)
		if err != nil {
			return fmt.Errorf("stage: dedupe %s: content key: %w", env.ID, err)
		}
		if hasKey = ok; hasKey {
			content = hash16("content", env.Source, env.Kind, key)
		}
	}
	id := hash16("id", env.ID)

	d.mu.Lock()
	if _, dup := d.index[id]; dup {
		d.mu.Unlock()
		return Drop(ReasonDuplicate)
	}
	if _, dup := d.index[content]; hasKey && dup {
		d.mu.Unlock()
		return Drop(ReasonDuplicateContent)
	}
	s := &d.ring[d.next]
	if s.n != 0 { // forget the oldest record
		if d.index[s.id] == s.n {
			delete(d.index, s.id)
		}
		if s.hasContent && d.index[s.content] == s.n {
			delete(d.index, s.content)
		}
	}
	d.count++
	*s = dedupeSlot{id: id, content: content, hasContent: hasKey, n: d.count}
	d.index[id] = d.count
	if hasKey {
		d.index[content] = d.count
	}
	d.next = (d.next + 1) % len(d.ring)
	d.mu.Unlock()

	emit(env)
	return nil
}

// Len returns the number of records remembered: at most the window.
func (d *Dedupe) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(min(d.count, uint64(len(d.ring))))
}
