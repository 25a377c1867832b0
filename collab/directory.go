package collab

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// MaxDirectoryBytes is the largest directory document LoadDirectory and
// ParseDirectory accept: room for the schema's 20,000 organizations.
const MaxDirectoryBytes = 16 << 20

// Org is one organization as the directory describes it. A Directory hands
// out copies: changing an Org does not change the directory.
type Org struct {
	// ID is the org id envelopes carry as source.
	ID string
	// Name is a display name.
	Name string
	// Tier is the organization's tier; Tier.Layer gives its layer.
	Tier Tier
	// Sectors are the sectors it works in (a general business department:
	// the sectors it supervises).
	Sectors []Sector
	// Region is the ISO 3166-2 subdivision it is seated in.
	Region string
	// Supervisor is the id of its supervisor, or "" if it has none.
	Supervisor string
	// Submits lists the kinds it may submit, in directory order.
	Submits []string
	// Receives lists the kinds it takes in, in directory order.
	Receives []string
	// TokenSHA256 is the lower-case hex SHA-256 of its bearer token, or ""
	// if it has none (it then cannot authenticate).
	TokenSHA256 string
	// Keys are its public signing keys, in directory order; see
	// Directory.Key and Key.ValidAt.
	Keys []Key
	// TLSIdentities are the URI SANs its client certificates may carry;
	// see AcceptsTLSIdentity.
	TLSIdentities []string
}

// CanSubmit reports whether o may submit kind.
func (o Org) CanSubmit(kind string) bool { return slices.Contains(o.Submits, kind) }

// CanReceive reports whether o takes in kind.
func (o Org) CanReceive(kind string) bool { return slices.Contains(o.Receives, kind) }

func (o Org) clone() Org {
	o.Sectors = slices.Clone(o.Sectors)
	o.Submits = slices.Clone(o.Submits)
	o.Receives = slices.Clone(o.Receives)
	o.Keys = slices.Clone(o.Keys) // a Key's Public is never changed in place
	o.TLSIdentities = slices.Clone(o.TLSIdentities)
	return o
}

// Directory is a consistent directory of the scheme: who takes part, in
// which tier and under which supervisor, what each may submit and what each
// takes in. It answers who an organization is (Org, Authenticate), whether
// it may submit a kind (Authorize) and where a submission goes next (Route).
//
// A Directory is immutable and safe for concurrent use. To change the
// directory, load a new revision and swap the pointer.
type Directory struct {
	version   int
	updatedAt time.Time
	orgs      []Org // sorted by ID
	hashes    [][sha256.Size]byte
	byID      map[string]int
	byToken   map[[sha256.Size]byte]int
	byKey     map[string][2]int   // key id -> org index, key index
	sdRecv    map[string][]string // kind -> specialized departments that receive it, sorted
	leader    int
}

// LoadDirectory reads a collab.directory v1 document from r (at most
// MaxDirectoryBytes) and parses it with ParseDirectory.
func LoadDirectory(r io.Reader) (*Directory, error) {
	// One byte more than the limit, so the validator reports the excess
	// as schema.ErrTooLarge instead of the document being cut short.
	raw, err := io.ReadAll(io.LimitReader(r, MaxDirectoryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("collab: read directory: %w", err)
	}
	return ParseDirectory(raw)
}

// ParseDirectory validates raw, a collab.directory v1 document, against its
// schema and then against the rules of the scheme, and returns the
// directory.
//
// A document the schema refuses yields an error wrapping the
// *schema.ValidationError, whose violations carry JSON pointers (an unknown
// sector, for instance, at "/orgs/3/sectors/0"). A valid document that
// breaks the scheme's rules yields an error listing every problem at once:
// one *DirectoryError wrapping ErrInconsistentDirectory, whose Problems
// list them. The rules:
//
//   - org ids are unique, and so are token hashes and key ids;
//   - a key's public key is 32 bytes and its not_after is after its
//     not_before; a TLS identity ends in /org/<the org's id>;
//   - there is exactly one leading group;
//   - a supervisor is in the directory and of the right tier: a social
//     force's is a general business department (or it has none and reports
//     straight to the specialized departments, as hotels do); a
//     department's is the leading group or it has none; the leading group
//     has none;
//   - supervision has no cycle;
//   - every kind named in submits or receives is known: it has a schema
//     (schema.Kinds) or is one of the kinds package schema declares;
//   - every record kind someone submits is received by a specialized
//     department, and every collaboration message kind (collab.*) someone
//     submits is received by someone;
//   - a social force's submissions have somewhere to go: its supervisor or
//     a specialized department receives each kind it submits.
func ParseDirectory(raw []byte) (*Directory, error) {
	v, err := schema.NewValidator(schema.WithMaxBytes(MaxDirectoryBytes))
	if err != nil {
		return nil, fmt.Errorf("collab: directory: %w", err)
	}
	if err := v.ValidatePayload(schema.KindDirectory, 1, raw); err != nil {
		return nil, fmt.Errorf("collab: directory: %w", err)
	}
	var doc schema.Directory
	if err := json.Unmarshal(raw, &doc); err != nil {
		// Cannot happen for a document the schema passed (integers are
		// written as digits); kept so that a decoder change fails loudly.
		return nil, fmt.Errorf("collab: directory: decode: %w", err)
	}
	if problems := checkDirectory(&doc); len(problems) > 0 {
		return nil, &DirectoryError{Problems: problems}
	}
	return newDirectory(&doc), nil
}

// newDirectory builds the directory from a document checkDirectory passed.
func newDirectory(doc *schema.Directory) *Directory {
	d := &Directory{
		version:   doc.Version,
		updatedAt: doc.UpdatedAt,
		orgs:      make([]Org, 0, len(doc.Orgs)),
		byID:      make(map[string]int, len(doc.Orgs)),
		byToken:   map[[sha256.Size]byte]int{},
		byKey:     map[string][2]int{},
		sdRecv:    map[string][]string{},
		leader:    -1,
	}
	for _, o := range doc.Orgs {
		tier, _ := ParseTier(o.Tier) // the schema's enum
		sectors := make([]Sector, len(o.Sectors))
		for i, s := range o.Sectors {
			sectors[i] = Sector(s)
		}
		d.orgs = append(d.orgs, Org{
			ID: o.ID, Name: o.Name, Tier: tier, Sectors: sectors, Region: o.Region,
			Supervisor: o.Supervisor, Submits: slices.Clone(o.Submits),
			Receives: slices.Clone(o.Receives), TokenSHA256: o.TokenSHA256,
			Keys: parseKeys(o.ID, o.Keys), TLSIdentities: slices.Clone(o.TLSIdentities),
		})
	}
	slices.SortFunc(d.orgs, func(a, b Org) int { return strings.Compare(a.ID, b.ID) })
	d.hashes = make([][sha256.Size]byte, len(d.orgs))
	for i, o := range d.orgs {
		d.byID[o.ID] = i
		for j, k := range o.Keys {
			d.byKey[k.ID] = [2]int{i, j}
		}
		if o.Tier == LeadingGroup {
			d.leader = i
		}
		if o.TokenSHA256 != "" {
			hex.Decode(d.hashes[i][:], []byte(o.TokenSHA256)) // the schema's pattern: 64 hex digits
			d.byToken[d.hashes[i]] = i
		}
		if o.Tier == SpecializedDepartment {
			for _, k := range o.Receives {
				d.sdRecv[k] = append(d.sdRecv[k], o.ID) // orgs are sorted, so is each list
			}
		}
	}
	return d
}

// Version returns the revision of the directory.
func (d *Directory) Version() int { return d.version }

// UpdatedAt returns when this revision was published.
func (d *Directory) UpdatedAt() time.Time { return d.updatedAt }

// Org returns the organization with the id, and whether there is one.
func (d *Directory) Org(id string) (Org, bool) {
	i, ok := d.byID[id]
	if !ok {
		return Org{}, false
	}
	return d.orgs[i].clone(), true
}

// Supervisor returns the supervisor of the organization with the id; false
// if there is no such organization or it has no supervisor.
func (d *Directory) Supervisor(id string) (Org, bool) {
	o, ok := d.Org(id)
	if !ok || o.Supervisor == "" {
		return Org{}, false
	}
	return d.Org(o.Supervisor)
}

// LeadingGroup returns the leading group; a directory has exactly one.
func (d *Directory) LeadingGroup() Org { return d.orgs[d.leader].clone() }

// Orgs returns every organization, sorted by id.
func (d *Directory) Orgs() []Org {
	out := make([]Org, len(d.orgs))
	for i, o := range d.orgs {
		out[i] = o.clone()
	}
	return out
}

// ByTier returns the organizations of tier t, sorted by id.
func (d *Directory) ByTier(t Tier) []Org {
	var out []Org
	for _, o := range d.orgs {
		if o.Tier == t {
			out = append(out, o.clone())
		}
	}
	return out
}

// Authorize returns nil if org may submit kind. Otherwise the error wraps
// ErrUnknownOrg (org is not in the directory) or ErrKindNotAllowed, and its
// message names the org, the kind and what the org may submit, e.g.
//
//	collab: kind not allowed: "hotel-north-01" (social_force) may not submit "finance.transaction"; it may submit collab.feedback_report, services.lodging
func (d *Directory) Authorize(org, kind string) error {
	i, ok := d.byID[org]
	if !ok {
		return fmt.Errorf("%w %q (directory version %d)", ErrUnknownOrg, org, d.version)
	}
	o := d.orgs[i]
	if o.CanSubmit(kind) {
		return nil
	}
	may := "nothing"
	if len(o.Submits) > 0 {
		may = strings.Join(slices.Sorted(slices.Values(o.Submits)), ", ")
	}
	return fmt.Errorf("%w: %q (%s) may not submit %q; it may submit %s", ErrKindNotAllowed, org, o.Tier, kind, may)
}

// Route returns the ids of the organizations a submission of kind from org
// goes to next, sorted, or an error from Authorize if org may not submit
// kind. Routing follows the scheme's interaction 2 (submission of processed
// intelligence) upward:
//
//   - a social force's submission goes to its supervisor if the supervisor
//     takes the kind in, otherwise straight to every specialized department
//     that does (a hotel, with no supervisor, reaches public security this
//     way);
//   - a general business department forwards to every specialized
//     department that takes the kind in;
//   - a department's submission also goes to the leading group if the
//     leading group takes the kind in (work reports, task status); the
//     leading group takes in no record kind, so records from a specialized
//     department go nowhere further: the list is empty and the error nil;
//   - messages that name their recipients (see Addressed: requirements,
//     plans, tasks and their status, expert requests, offers and
//     assignments, escalations, entry feedback) go to the organizations they name, not by
//     kind: Route returns an empty list for them.
func (d *Directory) Route(org, kind string) ([]string, error) {
	if err := d.Authorize(org, kind); err != nil {
		return nil, err
	}
	if Addressed(kind) {
		return []string{}, nil
	}
	o := d.orgs[d.byID[org]]
	var next []string
	switch o.Tier {
	case SocialForce:
		if o.Supervisor != "" && d.orgs[d.byID[o.Supervisor]].CanReceive(kind) {
			return []string{o.Supervisor}, nil
		}
		return slices.Clone(d.sdRecv[kind]), nil
	case GeneralBusinessDepartment:
		next = slices.Clone(d.sdRecv[kind])
		fallthrough
	case SpecializedDepartment:
		if lg := d.orgs[d.leader]; lg.CanReceive(kind) {
			next = append(next, lg.ID)
			slices.Sort(next)
		}
	}
	return next, nil
}

// Authenticate returns the organization whose token hash is the SHA-256 of
// token, and whether there is one. An empty token never authenticates.
//
// The directory indexes organizations by token hash: the lookup works on
// the hash of the presented token, so its timing can tell an attacker
// something about hashes at most, never about a token, and the matching
// hash is then compared again with crypto/subtle. This relies on tokens
// being random (at least 128 bits), as bearer tokens must be anyway.
func (d *Directory) Authenticate(token string) (Org, bool) {
	if token == "" {
		return Org{}, false
	}
	sum := sha256.Sum256([]byte(token))
	i, ok := d.byToken[sum]
	if !ok || subtle.ConstantTimeCompare(sum[:], d.hashes[i][:]) != 1 {
		return Org{}, false
	}
	return d.orgs[i].clone(), true
}

// Addressed reports whether messages of kind are delivered to the
// organizations they name (a task's assignees, a status's task issuer, an
// escalation's department, an expert request's addressees, an entry
// feedback's producer) rather than
// routed upward by kind as records, products and feedback reports are.
func Addressed(kind string) bool {
	switch kind {
	case schema.KindRequirement, schema.KindPlan, schema.KindTask, schema.KindTaskStatus,
		schema.KindExpertRequest, schema.KindExpertOffer, schema.KindExpertAssignment, schema.KindEscalation,
		schema.KindEntryFeedback:
		return true
	}
	return false
}
