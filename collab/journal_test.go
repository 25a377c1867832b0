package collab_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// closingJournal is a Journal that can be closed, as both implementations are.
type closingJournal interface {
	collab.Journal
	Close() error
}

// journalImpls are the implementations every journal behaviour test runs on.
var journalImpls = []struct {
	name string
	open func(t *testing.T) closingJournal
}{
	{"mem", func(t *testing.T) closingJournal { return collab.NewMemJournal() }},
	{"bolt", func(t *testing.T) closingJournal {
		j, err := collab.OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"), collab.WithReadPage(3))
		require.NoError(t, err)
		t.Cleanup(func() { j.Close() })
		return j
	}},
}

var jT0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// entry is a valid entry at jT0 plus i minutes.
func jEntry(i int) collab.Entry {
	return collab.Entry{
		At: jT0.Add(time.Duration(i) * time.Minute), Kind: schema.KindTask,
		Interaction: collab.InteractionTask, Org: "leading-group", Counterpart: "central-bank",
		Ref: "task-" + string(rune('a'+i%26)), Data: json.RawMessage(`{"n":` + string(rune('0'+i%10)) + `}`),
	}
}

// readAll collects every entry from seq from on, and the first error.
func jReadAll(t *testing.T, j collab.Journal, from uint64) ([]collab.Entry, error) {
	t.Helper()
	var out []collab.Entry
	for e, err := range j.Entries(context.Background(), from) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func TestJournalAppendAndRead(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			j := impl.open(t)
			got, err := jReadAll(t, j, 0)
			require.NoError(t, err)
			assert.Empty(t, got)
			for i := range 10 {
				e := jEntry(i)
				e.Seq = 99 // ignored
				e.At = e.At.In(time.FixedZone("CST", 8*3600))
				seq, err := j.Append(ctx, e)
				require.NoError(t, err)
				assert.Equal(t, uint64(i+1), seq)
			}
			for _, from := range []uint64{0, 1, 4, 10, 11, 50} {
				got, err := jReadAll(t, j, from)
				require.NoError(t, err)
				want := max(int(from), 1)
				assert.Len(t, got, max(0, 11-want), "from %d", from)
				for _, e := range got {
					assert.Equal(t, uint64(want), e.Seq)
					w := jEntry(want - 1)
					w.Seq = e.Seq
					assert.Equal(t, w, e, "entries come back as appended, At in UTC")
					assert.Equal(t, time.UTC, e.At.Location())
					want++
				}
			}
		})
	}
}

func TestJournalKeepsItsOwnCopy(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			j := impl.open(t)
			e := jEntry(0)
			_, err := j.Append(ctx, e)
			require.NoError(t, err)
			e.Data[1] = 'X' // the caller's buffer, changed after Append
			got, _ := jReadAll(t, j, 1)
			got[0].Data[1] = 'Y' // a reader's copy, changed
			again, _ := jReadAll(t, j, 1)
			assert.JSONEq(t, `{"n":0}`, string(again[0].Data))
		})
	}
}

func TestJournalRefusesInvalidEntries(t *testing.T) {
	cases := []struct {
		name   string
		change func(*collab.Entry)
		says   []string
	}{
		{"empty kind", func(e *collab.Entry) { e.Kind = "" }, []string{"kind is empty"}},
		{"empty org", func(e *collab.Entry) { e.Org = "" }, []string{"org is empty"}},
		{"zero at", func(e *collab.Entry) { e.At = time.Time{} }, []string{"at is zero"}},
		{"interaction 6", func(e *collab.Entry) { e.Interaction = 6 }, []string{"interaction 6 is not 0-5"}},
		{"interaction -1", func(e *collab.Entry) { e.Interaction = -1 }, []string{"interaction -1 is not 0-5"}},
		{"data not JSON", func(e *collab.Entry) { e.Data = json.RawMessage(`{"n":`) }, []string{"data is not JSON"}},
		{"everything at once", func(e *collab.Entry) { *e = collab.Entry{Interaction: 9} },
			[]string{"kind is empty", "org is empty", "at is zero", "interaction 9"}},
	}
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			j := impl.open(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					e := jEntry(0)
					tc.change(&e)
					seq, err := j.Append(context.Background(), e)
					require.ErrorIs(t, err, collab.ErrInvalidEntry)
					assert.Zero(t, seq)
					for _, s := range tc.says {
						assert.Contains(t, err.Error(), s)
					}
				})
			}
			got, err := jReadAll(t, j, 0)
			require.NoError(t, err)
			assert.Empty(t, got, "nothing invalid was appended")
			for _, in := range []collab.Interaction{0, 1, 2, 3, 4, 5} {
				e := jEntry(0)
				e.Interaction = in
				_, err := j.Append(context.Background(), e)
				assert.NoError(t, err, "interaction %d", in)
			}
		})
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	const writers, each = 8, 25
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			j := impl.open(t)
			var wg sync.WaitGroup
			seqs := make(chan uint64, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						seq, err := j.Append(ctx, jEntry(w*each+i))
						if !assert.NoError(t, err) {
							return
						}
						seqs <- seq
					}
				})
			}
			// A reader runs beside the writers: it sees a gap-free prefix.
			wg.Go(func() {
				prev := uint64(0)
				for e, err := range j.Entries(ctx, 0) {
					if !assert.NoError(t, err) {
						return
					}
					assert.Equal(t, prev+1, e.Seq)
					prev = e.Seq
				}
			})
			wg.Wait()
			close(seqs)
			seen := map[uint64]bool{}
			for s := range seqs {
				assert.False(t, seen[s], "seq %d given twice", s)
				seen[s] = true
			}
			got, err := jReadAll(t, j, 0)
			require.NoError(t, err)
			require.Len(t, got, writers*each)
			for i, e := range got {
				assert.Equal(t, uint64(i+1), e.Seq)
				assert.True(t, seen[e.Seq])
			}
		})
	}
}

func TestJournalClosed(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			j := impl.open(t)
			for i := range 5 {
				_, err := j.Append(ctx, jEntry(i))
				require.NoError(t, err)
			}
			// Close in the middle of a scan: the scan ends with ErrJournalClosed.
			var err error
			n := 0
			for _, err = range j.Entries(ctx, 0) {
				if err != nil {
					break
				}
				n++
				if n == 1 {
					require.NoError(t, j.Close())
				}
			}
			assert.ErrorIs(t, err, collab.ErrJournalClosed)
			assert.Less(t, n, 5)
			require.NoError(t, j.Close(), "closing twice is not an error")
			_, err = j.Append(ctx, jEntry(9))
			assert.ErrorIs(t, err, collab.ErrJournalClosed)
			_, err = jReadAll(t, j, 0)
			assert.ErrorIs(t, err, collab.ErrJournalClosed)
		})
	}
}

func TestJournalContext(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			j := impl.open(t)
			for i := range 5 {
				_, err := j.Append(context.Background(), jEntry(i))
				require.NoError(t, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var err error
			n := 0
			for _, err = range j.Entries(ctx, 0) {
				if err != nil {
					break
				}
				n++
				cancel()
			}
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 1, n)
			_, err = j.Append(ctx, jEntry(0))
			assert.ErrorIs(t, err, context.Canceled)
			got, _ := jReadAll(t, j, 0)
			assert.Len(t, got, 5)
		})
	}
}

func TestJournalEarlyBreak(t *testing.T) {
	for _, impl := range journalImpls {
		t.Run(impl.name, func(t *testing.T) {
			j := impl.open(t)
			for i := range 7 {
				_, err := j.Append(context.Background(), jEntry(i))
				require.NoError(t, err)
			}
			n := 0
			for range j.Entries(context.Background(), 2) {
				n++
				if n == 4 {
					break
				}
			}
			assert.Equal(t, 4, n)
			// A break released everything: appends go on.
			_, err := j.Append(context.Background(), jEntry(8))
			assert.NoError(t, err)
		})
	}
}

func TestBoltJournalRecovery(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := collab.OpenBoltJournal(path)
	require.NoError(t, err)
	for i := range 4 {
		_, err := j.Append(ctx, jEntry(i))
		require.NoError(t, err)
	}
	before, err := jReadAll(t, j, 0)
	require.NoError(t, err)
	require.NoError(t, j.Close())

	// A second open while the first holds the lock would wait, then fail.
	j, err = collab.OpenBoltJournal(path)
	require.NoError(t, err)
	_, err = collab.OpenBoltJournal(path, collab.WithLockTimeout(50*time.Millisecond))
	assert.ErrorContains(t, err, "timeout")
	assert.ErrorContains(t, err, "held by another process")

	after, err := jReadAll(t, j, 0)
	require.NoError(t, err)
	assert.Equal(t, before, after, "entries intact after reopening")
	seq, err := j.Append(ctx, jEntry(4))
	require.NoError(t, err)
	assert.Equal(t, uint64(5), seq, "seq continues")
	require.NoError(t, j.Close())

	j, err = collab.OpenBoltJournal(path)
	require.NoError(t, err)
	defer j.Close()
	got, err := jReadAll(t, j, 0)
	require.NoError(t, err)
	require.Len(t, got, 5)
	assert.Equal(t, before, got[:4])
}

func TestBoltJournalOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	for _, tc := range []struct {
		opt  collab.BoltOption
		says string
	}{
		{collab.WithLockTimeout(0), "lock timeout 0s: must be positive"},
		{collab.WithReadPage(0), "read page 0: must be 1-100000"},
		{collab.WithReadPage(collab.MaxReadPage + 1), "read page 100001"},
		{collab.WithAppendWindow(-time.Millisecond), "append window -1ms: must be 0-1s"},
		{collab.WithAppendWindow(collab.MaxAppendWindow + 1), "append window 1.000000001s: must be 0-1s"},
	} {
		_, err := collab.OpenBoltJournal(path, tc.opt)
		assert.ErrorIs(t, err, collab.ErrInvalidBoltOption)
		assert.ErrorContains(t, err, tc.says)
	}
	_, err := collab.OpenBoltJournal(filepath.Join(t.TempDir(), "missing", "journal.db"))
	assert.ErrorContains(t, err, "collab: open ")
}

// rawJournal writes n valid entries to a new journal file, closes it and
// hands the raw bucket to change; it returns the path.
func jRawJournal(t *testing.T, n int, change func(b *bolt.Bucket) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := collab.OpenBoltJournal(path)
	require.NoError(t, err)
	for i := range n {
		_, err := j.Append(context.Background(), jEntry(i))
		require.NoError(t, err)
	}
	require.NoError(t, j.Close())
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return change(tx.Bucket([]byte("journal"))) }))
	require.NoError(t, db.Close())
	return path
}

func jKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func TestBoltJournalCorruption(t *testing.T) {
	put := func(seq uint64, v string) func(*bolt.Bucket) error {
		return func(b *bolt.Bucket) error { return b.Put(jKey(seq), []byte(v)) }
	}
	cases := []struct {
		name   string
		change func(*bolt.Bucket) error
		seq    uint64 // the entry named
		good   int    // entries read before the error
		says   string
	}{
		{"not JSON", put(3, "garbage"), 3, 2, "value is not a JSON entry"},
		{"truncated JSON", put(2, `{"seq":2,"at":"2026-03-10T09:00:00Z","kind":"collab.task"`), 2, 1, "value is not a JSON entry"},
		{"JSON array", put(1, `[]`), 1, 0, "value is not a JSON entry"},
		{"empty value", put(4, ``), 4, 3, "value is not a JSON entry"},
		{"bad time", put(2, `{"seq":2,"at":"yesterday","kind":"collab.task","org":"x"}`), 2, 1, "value is not a JSON entry"},
		{"seq disagrees with key", put(3, `{"seq":7,"at":"2026-03-10T09:00:00Z","kind":"collab.task","org":"x"}`), 3, 2, "value says seq 7"},
		{"entry breaks the rules", put(3, `{"seq":3,"at":"2026-03-10T09:00:00Z","kind":"","org":"x"}`), 3, 2, "kind is empty"},
		{"missing entry", func(b *bolt.Bucket) error { return b.Delete(jKey(2)) }, 2, 1, "missing; the next stored entry is 3"},
		{"short key", func(b *bolt.Bucket) error { return b.Put([]byte{1}, []byte("{}")) }, 6, 5, "key 01 is not 8 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := jRawJournal(t, 5, tc.change)
			j, err := collab.OpenBoltJournal(path, collab.WithReadPage(2))
			require.NoError(t, err)
			defer j.Close()
			var got []collab.Entry
			var errs []error
			assert.NotPanics(t, func() {
				for e, err := range j.Entries(context.Background(), 0) {
					if err != nil {
						errs = append(errs, err)
						continue // the iteration stops by itself
					}
					got = append(got, e)
				}
			})
			assert.Len(t, got, tc.good)
			require.Len(t, errs, 1, "one error, then the iteration stops")
			err = errs[0]
			assert.ErrorIs(t, err, collab.ErrJournalCorrupt)
			var ce *collab.CorruptEntryError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.seq, ce.Seq)
			assert.ErrorContains(t, err, "entry "+string(rune('0'+tc.seq)))
			assert.ErrorContains(t, err, tc.says)
		})
	}
}

func TestBoltJournalReadPastCorruption(t *testing.T) {
	path := jRawJournal(t, 5, func(b *bolt.Bucket) error { return b.Put(jKey(3), []byte("garbage")) })
	j, err := collab.OpenBoltJournal(path)
	require.NoError(t, err)
	defer j.Close()
	_, err = jReadAll(t, j, 0)
	var ce *collab.CorruptEntryError
	require.ErrorAs(t, err, &ce)
	got, err := jReadAll(t, j, ce.Seq+1)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, uint64(4), got[0].Seq)
}

func TestBoltJournalNeverOverwrites(t *testing.T) {
	// The bucket's sequence set back, as a bad restore might: Append
	// refuses rather than overwrite entry 4.
	path := jRawJournal(t, 5, func(b *bolt.Bucket) error { return b.SetSequence(3) })
	j, err := collab.OpenBoltJournal(path)
	require.NoError(t, err)
	defer j.Close()
	_, err = j.Append(context.Background(), jEntry(9))
	require.ErrorIs(t, err, collab.ErrJournalCorrupt)
	assert.ErrorContains(t, err, "entry 4: already stored")
	got, err := jReadAll(t, j, 4)
	require.NoError(t, err)
	assert.Equal(t, jEntry(3).Ref, got[0].Ref)
	assert.False(t, errors.Is(err, collab.ErrJournalClosed))
}

// TestBoltJournalWritten: each Append is one write transaction of at
// least a meta page and its entry's page; a refused entry and reads
// write nothing; the figures stay after Close.
func TestBoltJournalWritten(t *testing.T) {
	j, err := collab.OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"))
	require.NoError(t, err)
	assert.Equal(t, collab.WriteStats{}, j.Written(), "nothing written since open")
	ctx := context.Background()
	for i := range 3 {
		_, err := j.Append(ctx, jEntry(i))
		require.NoError(t, err)
	}
	w := j.Written()
	assert.Equal(t, uint64(3), w.Commits)
	assert.GreaterOrEqual(t, w.Bytes, 3*2*uint64(4096), "a meta page and a leaf each")

	_, err = j.Append(ctx, collab.Entry{}) // invalid: refused before any transaction
	require.ErrorIs(t, err, collab.ErrInvalidEntry)
	_, err = jReadAll(t, j, 0)
	require.NoError(t, err)
	assert.Equal(t, w, j.Written(), "refusals and reads write nothing")
	require.NoError(t, j.Close())
	assert.Equal(t, w, j.Written(), "still there after Close")
}

// TestBoltJournalAppendWindowOff: with a window of 0, every Append
// commits alone, also when many run at once.
func TestBoltJournalAppendWindowOff(t *testing.T) {
	const writers, each = 6, 5
	j, err := collab.OpenBoltJournal(filepath.Join(t.TempDir(), "journal.db"), collab.WithAppendWindow(0))
	require.NoError(t, err)
	defer j.Close()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := j.Append(context.Background(), jEntry(w*each+i))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, uint64(writers*each), j.Written().Commits)
	got, err := jReadAll(t, j, 0)
	require.NoError(t, err)
	assert.Len(t, got, writers*each)
}
