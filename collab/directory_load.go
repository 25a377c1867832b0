package collab

import (
	"fmt"
	"slices"
	"time"
)

// DirectoryRules are the checks a directory revision passes before it
// replaces the one in use, wherever it comes from (DirectoryFile, or a
// directory shared through a key-value store).
type DirectoryRules struct {
	// RequireSignature refuses a revision without a signature, or whose
	// signature does not verify with TrustedKeys or with the keys of the
	// leading group of the directory in use.
	RequireSignature bool
	// TrustedKeys are the leading group's keys configured out of band:
	// the trust anchor for the first directory.
	TrustedKeys []Key
	// Check, if set, vets each revision (a hub: its own organization is
	// still there). Its error refuses the revision.
	Check func(*Directory) error
	// Clock judges key periods. Nil: time.Now.
	Clock func() time.Time
}

// AcceptDirectory parses raw, a directory document, and checks it under
// rules against cur, the directory in use (nil for the first): schema
// and scheme rules, the detached signature sig (nil: none; refused with
// ErrDirectoryUnsigned when one is required), a version above cur's
// (ErrDirectoryRollback otherwise), and rules.Check. It returns the
// directory to take; on any error nothing should change.
func AcceptDirectory(raw, sig []byte, cur *Directory, rules DirectoryRules) (*Directory, error) {
	d, err := ParseDirectory(raw)
	if err != nil {
		return nil, err
	}
	if rules.RequireSignature {
		if sig == nil {
			return nil, fmt.Errorf("%w: there is no signature; sign it with the leading group's key", ErrDirectoryUnsigned)
		}
		clock := rules.Clock
		if clock == nil {
			clock = time.Now
		}
		trusted := slices.Clone(rules.TrustedKeys)
		if cur != nil {
			trusted = append(trusted, cur.LeadingGroup().Keys...)
		}
		if _, err := VerifyDirectorySignature(raw, sig, trusted, clock()); err != nil {
			return nil, err
		}
	}
	if cur != nil {
		if d.Version() < cur.Version() {
			return nil, fmt.Errorf("%w: version %d, the directory in use has %d", ErrDirectoryRollback, d.Version(), cur.Version())
		}
		if d.Version() == cur.Version() {
			return nil, fmt.Errorf("%w: other content under the same version %d; publish it as version %d",
				ErrDirectoryRollback, d.Version(), d.Version()+1)
		}
	}
	if rules.Check != nil {
		if err := rules.Check(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}
