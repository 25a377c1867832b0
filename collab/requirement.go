package collab

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Sentinel errors of requirements, plans and tasks, for errors.Is.
var (
	// ErrInvalidRequirement: a requirement breaks a rule of the scheme.
	// Returned by CheckRequirement, one wrapped error per problem.
	ErrInvalidRequirement = errors.New("collab: invalid requirement")
	// ErrWrongParty: an organization acts where the scheme gives it no
	// part: it issues a requirement, owns a plan, issues or receives a task
	// or changes a task's state without the tier or the role to. Returned,
	// wrapped in a *PartyError or a *TransitionError, by CheckRequirement,
	// CheckMacroPlan, Derive, CheckRevision, Revise, AssignTask, Transition
	// and Tracker.Apply.
	ErrWrongParty = errors.New("collab: wrong party")
)

// PartyError says that an organization may not do what it tried, and who
// may. It wraps ErrWrongParty, and ErrUnknownOrg as well when the
// organization is not in the directory.
type PartyError struct {
	// Org is the organization that tried.
	Org string
	// Tier is its tier, or 0 if it is not in the directory.
	Tier Tier
	// Act is what it tried, e.g. "issue a requirement".
	Act string
	// Rule says who may, e.g. "only the leading group or a specialized
	// department may".
	Rule string
}

// Error returns "collab: wrong party: "<org>" (<tier>) may not <act>; <rule>".
func (e *PartyError) Error() string {
	who := "not in the directory"
	if e.Tier != 0 {
		who = e.Tier.String()
	}
	return fmt.Sprintf("%s: %q (%s) may not %s; %s", ErrWrongParty, e.Org, who, e.Act, e.Rule)
}

// Unwrap returns ErrWrongParty, and ErrUnknownOrg if Tier is 0.
func (e *PartyError) Unwrap() []error {
	if e.Tier == 0 {
		return []error{ErrWrongParty, ErrUnknownOrg}
	}
	return []error{ErrWrongParty}
}

// party returns the organization id is, or a *PartyError if it is not in
// the directory or its tier is not among tiers.
func party(dir *Directory, id string, act, rule string, tiers ...Tier) (Org, error) {
	o, ok := dir.Org(id)
	if !ok || !slices.Contains(tiers, o.Tier) {
		return o, &PartyError{Org: id, Tier: o.Tier, Act: act, Rule: rule}
	}
	return o, nil
}

// faults gathers the problems of one message, each wrapping the
// message's sentinel, and joins them.
type faults struct {
	sentinel error
	errs     []error
}

func (f *faults) addf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Errorf("%w: "+format, append([]any{f.sentinel}, args...)...))
}

func (f *faults) add(err error) {
	if err != nil {
		f.errs = append(f.errs, err)
	}
}

func (f *faults) err() error { return errors.Join(f.errs...) }

// messageEntry returns the journal entry of a message; Seq is the
// journal's to assign.
func messageEntry(kind string, in Interaction, at time.Time, org, counterpart, ref string, payload any) (Entry, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return Entry{}, fmt.Errorf("collab: journal entry for %s %q: %w", kind, ref, err)
	}
	return Entry{At: at.UTC(), Kind: kind, Interaction: in, Org: org, Counterpart: counterpart, Ref: ref, Data: data}, nil
}

// stamp formats a time as the schemas write it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkScope adds the problems of a scope on its own: each dimension is
// given, every kind is known (see ParseDirectory), every sector is one of
// the scheme's, and the window's from is before its to.
func (f *faults) checkScope(field string, s schema.Scope) {
	known := knownKinds()
	for _, d := range []struct {
		name string
		n    int
	}{{"kinds", len(s.Kinds)}, {"sectors", len(s.Sectors)}, {"regions", len(s.Regions)}} {
		if d.n == 0 {
			f.addf("%s.%s is empty; a scope names at least one", field, d.name)
		}
	}
	for _, k := range s.Kinds {
		if !known[k] {
			f.addf("%s.kinds: kind %q is not known: no schema has it and package schema does not declare it", field, k)
		}
	}
	for _, sec := range s.Sectors {
		if !Sector(sec).Valid() {
			f.addf("%s.sectors: %q is not a sector of the scheme", field, sec)
		}
	}
	if w := s.Window; !w.From.Before(w.To) {
		f.addf("%s.window: from %s is not before to %s", field, stamp(w.From), stamp(w.To))
	}
}

// CheckRequirement returns nil if r keeps the scheme's rules, or an error
// joining every problem found. The shape of r (lengths, patterns, formats)
// is the schema's business: validate the payload with a schema.Validator.
// The rules:
//
//   - the issuer is the leading group or a specialized department (a
//     *PartyError otherwise, naming the issuer and its tier);
//   - type and status are among the schema's values;
//   - the legal basis is given;
//   - the scope names at least one kind, sector and region; every kind is
//     known, every sector is one of the scheme's, and the window's from is
//     before its to;
//   - an early-warning requirement is standing: it has no valid_until and
//     runs until it is closed (status closed) or superseded; its scope's
//     window still bounds when it is active, so a long watch is renewed by a
//     requirement that supersedes it;
//   - a task-specific requirement lapses on its own: valid_until is set,
//     after issued_at and after the window's from, and not after the
//     window's to;
//   - every addressee is in the directory.
//
// Problems other than the issuer's wrap ErrInvalidRequirement.
func CheckRequirement(dir *Directory, r schema.Requirement) error {
	f := faults{sentinel: ErrInvalidRequirement}
	_, err := party(dir, r.Issuer, "issue a requirement",
		"only the leading group or a specialized department may", LeadingGroup, SpecializedDepartment)
	f.add(err)
	if r.Status != schema.RequirementActive && r.Status != schema.RequirementSuspended && r.Status != schema.RequirementClosed {
		f.addf("status %q is not active, suspended or closed", r.Status)
	}
	if r.LegalBasis == "" {
		f.addf("legal_basis is empty; name the law, regulation or decision that authorizes the collection")
	}
	f.checkScope("scope", r.Scope)
	switch r.Type {
	case schema.RequirementEarlyWarning:
		if r.ValidUntil != nil {
			f.addf("an early-warning requirement is standing and has no valid_until (found %s); close or supersede it to end it", stamp(*r.ValidUntil))
		}
	case schema.RequirementTaskSpecific:
		f.checkLapse(r)
	default:
		f.addf("type %q is not early_warning or task_specific", r.Type)
	}
	for _, a := range r.Addressees {
		if _, ok := dir.Org(a); !ok {
			f.addf("addressee %q is not in the directory", a)
		}
	}
	return f.err()
}

// checkLapse checks the valid_until of a task-specific requirement.
func (f *faults) checkLapse(r schema.Requirement) {
	u, w := r.ValidUntil, r.Scope.Window
	switch {
	case u == nil:
		f.addf("a task-specific requirement needs valid_until: it lapses when its task is over")
	case !u.After(r.IssuedAt):
		f.addf("valid_until %s is not after issued_at %s", stamp(*u), stamp(r.IssuedAt))
	case !u.After(w.From):
		f.addf("valid_until %s is not after scope.window.from %s; the requirement would never be active", stamp(*u), stamp(w.From))
	case u.After(w.To):
		f.addf("valid_until %s is after scope.window.to %s; end it with the window or widen the window", stamp(*u), stamp(w.To))
	}
}

// Active reports whether records may be collected under r at the time at:
// r's status is active, at is inside its scope's window (from inclusive,
// to exclusive), and at is before valid_until if r has one.
func Active(r schema.Requirement, at time.Time) bool {
	return r.Status == schema.RequirementActive && r.Scope.Window.Contains(at) &&
		(r.ValidUntil == nil || at.Before(*r.ValidUntil))
}

// Covers reports whether r's scope covers a record of kind from an
// organization of sector seated in region: each is one of the scope's
// values, compared exactly. For an organization of several sectors, one
// covered sector is enough. With Active, Covers is the purpose limitation
// a hub applies to every record; neither allocates.
func Covers(r schema.Requirement, kind, sector, region string) bool {
	s := r.Scope
	return slices.Contains(s.Kinds, kind) && slices.Contains(s.Sectors, sector) && slices.Contains(s.Regions, region)
}

// EntryOfRequirement returns the journal entry of r's issue: by the issuer,
// at issued_at, about r's id, with r as its data. The functions of this
// package check and decide; they never write to a Journal. The caller
// appends the entries these constructors return (EntryOfRequirement,
// EntryOfPlan, EntryOfTask, EntryOfTaskStatus) once the message is checked and
// sent. The error is json.Marshal's (a time beyond year 9999).
func EntryOfRequirement(r schema.Requirement) (Entry, error) {
	return messageEntry(schema.KindRequirement, InteractionNone, r.IssuedAt, r.Issuer, "", r.ID, r)
}
