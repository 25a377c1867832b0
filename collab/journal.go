package collab

import (
	"encoding/json"
	"errors"
	"time"
)

// Interaction numbers the scheme's horizontal interactions; 0 is none
// (a plan, a decision or a report that is not itself an interaction).
type Interaction int

// The five horizontal interactions of the scheme.
const (
	InteractionNone       Interaction = 0
	InteractionTask       Interaction = 1 // task assignment
	InteractionSubmission Interaction = 2 // submission of processed intelligence
	InteractionSecondment Interaction = 3 // expert secondment
	InteractionHire       Interaction = 4 // external expert hiring
	InteractionEscalation Interaction = 5 // report / escalation to a specialized department
)

// Outcome kinds that the journal records beside the schema's message
// kinds: what happened to submitted records, and actions taken.
const (
	// EntryRecordsOutcome records the result of one submission at a hub
	// (interaction 2): Org is the sender, Counterpart the hub that judged
	// it; Data is a RecordsOutcome.
	EntryRecordsOutcome = "journal.records_outcome"
	// EntryAction records an action applied (freeze recommended, blacklist
	// entry, inspection list entry); Data is the schema.Escalation or
	// product entry that led to it.
	EntryAction = "journal.action"
)

// RecordsOutcome is the Data of an EntryRecordsOutcome entry.
type RecordsOutcome struct {
	Submitted int `json:"submitted"` // records in the submission
	Accepted  int `json:"accepted"`  // stored
	Rejected  int `json:"rejected"`  // refused
	Duplicate int `json:"duplicate"` // already held
}

// Entry is one line of the journal: who did what, when, under which
// interaction, about which message.
type Entry struct {
	// Seq is assigned by the journal on Append: 1, 2, 3, ... with no gaps.
	Seq uint64 `json:"seq"`
	// At is when it happened (UTC), as the caller says.
	At time.Time `json:"at"`
	// Kind is a schema message kind (schema.KindTask, ...) or one of the
	// Entry* outcome kinds above.
	Kind string `json:"kind"`
	// Interaction is the horizontal interaction this entry is, if any.
	Interaction Interaction `json:"interaction,omitempty"`
	// Org is the organization that acted; Counterpart the one on the other
	// side (assignee, receiving department, expert's organization), if any.
	Org         string `json:"org"`
	Counterpart string `json:"counterpart,omitempty"`
	// Ref is the id of the message or record set the entry is about.
	Ref string `json:"ref,omitempty"`
	// Data is the message itself (its payload JSON) or the outcome.
	Data json.RawMessage `json:"data,omitempty"`
	// Digest is set, and Data emptied, when a purge took the entry's
	// payload past its retention (BoltJournal.PurgeData): it is
	// EntryDigest of the entry as first written, which its transparency
	// log leaf names, so the entry stays accounted for.
	Digest string `json:"digest,omitempty"`
}

// Purged reports whether a purge took e's payload (see Entry.Digest).
// Readers of Data skip purged entries.
func (e Entry) Purged() bool { return e.Digest != "" }

// ErrJournalClosed is returned by Append and Entries after Close.
var ErrJournalClosed = errors.New("collab: journal closed")
