package translog

import (
	"context"
	"fmt"
	"time"

	"github.com/sicollab/sicollab/collab"
)

// EntryDigest returns the digest a JournalLeaf holds of e: sha-256 over
// the RFC 8785 canonical JSON of the entry as collab encodes it (Seq and
// Data included); for an entry whose payload was purged, the digest it
// kept (collab.EntryDigest).
func EntryDigest(e collab.Entry) (string, error) {
	d, err := collab.EntryDigest(e)
	if err != nil {
		return "", fmt.Errorf("translog: %w", err)
	}
	return d, nil
}

// JournalLeafOf returns the leaf that records journal entry e.
func JournalLeafOf(e collab.Entry) (Leaf, error) {
	d, err := EntryDigest(e)
	if err != nil {
		return Leaf{}, err
	}
	return Leaf{V: LeafVersion, Type: LeafJournal, At: e.At.UTC(), Journal: &JournalLeaf{
		Seq: e.Seq, Kind: e.Kind, Interaction: int(e.Interaction), Org: e.Org,
		Counterpart: e.Counterpart, Ref: e.Ref, EntryDigest: d,
	}}, nil
}

// LogEntry appends journal entry e as a leaf; it makes *Log a
// collab.EntryLogger (see collab.LoggedJournal).
func (l *Log) LogEntry(ctx context.Context, e collab.Entry) error {
	leaf, err := JournalLeafOf(e)
	if err != nil {
		return err
	}
	if _, err := l.Append(ctx, leaf); err != nil {
		return err
	}
	return nil
}

// DirectoryLeafOf returns the leaf that records directory d, loaded from
// the document doc, coming into use at the hub at time at.
func DirectoryLeafOf(d *collab.Directory, doc []byte, at time.Time) Leaf {
	return Leaf{V: LeafVersion, Type: LeafDirectory, At: at.UTC(), Directory: &DirectoryLeaf{
		Version: d.Version(), Signer: d.LeadingGroup().ID, Digest: Digest(doc),
	}}
}
