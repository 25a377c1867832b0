package submit

import (
	"context"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// This file declares the roles package submit uses: what a Handler puts
// accepted records into (Sink), what sends records upward (Submitter,
// BatchSubmitter), where records go next (Routes), and what decides and
// learns purposes (Purposes, Learner). Implementations live beside their own doc comments (Store,
// Relay, Client, Router, PurposeRegistry).

// Sink is where a Handler puts the records it accepted. Store keeps them
// in an embedded database; Relay keeps them and forwards them upward.
//
// The contract, which every implementation must keep:
//
//   - Put returns nil only when every envelope is durable: a crash after
//     Put returns loses none of them. The Handler acknowledges records
//     only after Put returned nil.
//   - Put is idempotent by envelope id: putting an envelope whose id is
//     already held changes nothing and is not an error. A crash between
//     Put and the Handler's ledger commit makes the sender retry, and the
//     retry puts the same records again.
//   - Put is safe for concurrent use.
//   - Put respects ctx as far as it can; an error means the Handler
//     answers 503 and the sender retries the whole batch.
type Sink interface {
	Put(ctx context.Context, envs []schema.Envelope) error
}

// Submitter sends one record upward. Submit returns nil only when the
// record is durably queued (submit.Client keeps it in its outbox), so a
// record that was forwarded is never lost; an error means it was not
// queued.
type Submitter interface {
	Submit(ctx context.Context, env schema.Envelope) error
}

// BatchSubmitter is a Submitter that can also queue many records at once,
// in one durable write (submit.Client's SubmitMany). Relay uses it when
// its Submitter has it, so relaying a batch costs one disk commit rather
// than one per record.
type BatchSubmitter interface {
	Submitter
	SubmitMany(ctx context.Context, envs []schema.Envelope) error
}

// Routes says where a record of a kind from an organization goes next:
// the ids of the next-hop organizations, sorted, or an error if org may
// not submit kind. *collab.Directory is the implementation (its Route).
type Routes interface {
	Route(org, kind string) ([]string, error)
}

// Purposes decides whether a record may be accepted under the purpose it
// names (purpose limitation). Check is called for every record that
// passed the schemas and the directory; org is the organization that
// collected it (the envelope's source). It returns ("", true) when the
// purpose is active and covers the record, or a Reason and false.
//
// Check must be safe for concurrent use and must not block on I/O: it is
// called once per record.
type Purposes interface {
	Check(env schema.Envelope, org collab.Org) (Reason, bool)
}

// Learner is implemented by a Purposes that learns from what the hub
// accepts. The Handler calls Learn with the accepted envelopes of every
// submission, after the Sink's Put and before the ledger commit; Learn
// must be durable when it returns, idempotent, and independent of the
// order in which the same messages arrive. An error fails the request
// (503) and the sender retries.
type Learner interface {
	Learn(ctx context.Context, envs []schema.Envelope) error
}
