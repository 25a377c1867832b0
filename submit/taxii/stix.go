package taxii

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// SpecVersion is the STIX version of every object this package makes.
const SpecVersion = "2.1"

// The STIX object types this package makes.
const (
	TypeReport              = "report"
	TypeIdentity            = "identity"
	TypeMarkingDefinition   = "marking-definition"
	TypeExtensionDefinition = "extension-definition"
	// TypeListEntry is the object type of a list entry, a new SDO that
	// our extension definition (ExtensionID) defines.
	TypeListEntry = "sicollab-list-entry"
)

// Our extension definition: it defines the list entry SDO and the
// properties a report of a product carries.
const (
	// ExtensionID is the id of our extension-definition object.
	ExtensionID = "extension-definition--eefa599a-2f10-47cb-bd3a-0351fe839393"
	// ExtensionVersion is its version.
	ExtensionVersion = "1.0.0"
	// ExtensionSchema is where its definition is written down.
	ExtensionSchema = "https://github.com/sicollab/sicollab/blob/main/docs/taxii.md#the-stix-extension"
	// SDKIdentityID is the identity that created the extension definition:
	// the sicollab SDK itself.
	SDKIdentityID = "identity--1fbab87f-cecb-4ab8-85b1-cb5b303eef64"
)

// extensionCreated is when our extension definition was made.
var extensionCreated = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// idSpace is the UUID v5 name space of every id this package derives: a
// STIX id is the v5 UUID of "<stix type>:<our id>" in it, so the same
// product always maps to the same objects and our UUID v7 ids (which
// STIX does not allow) never appear as STIX ids.
var idSpace = uuid.MustParse("11a877c6-f02b-4b53-b3b2-71e83c158c91")

// stixID is the deterministic STIX id of our thing name, of the type.
func stixID(typ, name string) string {
	return typ + "--" + uuid.NewSHA1(idSpace, []byte(typ+":"+name)).String()
}

// ReportID returns the STIX id of the report of the product with the id.
func ReportID(productID string) string { return stixID(TypeReport, productID) }

// IdentityID returns the STIX id of the identity of the organization.
func IdentityID(org string) string { return stixID(TypeIdentity, org) }

// EntryID returns the STIX id of entry i (from 0) of the product.
func EntryID(productID string, i int) string {
	return stixID(TypeListEntry, fmt.Sprintf("%s/%d", productID, i))
}

// Timestamp is a STIX timestamp of millisecond precision, in UTC, as
// created and modified must be: "2026-03-01T09:30:00.000Z".
type Timestamp struct{ time.Time }

// TimestampLayout is the layout of a Timestamp.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// Stamp returns t as a Timestamp, cut to the millisecond, in UTC.
func Stamp(t time.Time) Timestamp { return Timestamp{t.UTC().Truncate(time.Millisecond)} }

// String returns the timestamp in TimestampLayout.
func (t Timestamp) String() string { return t.UTC().Format(TimestampLayout) }

// MarshalJSON writes the timestamp in TimestampLayout.
func (t Timestamp) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads any RFC 3339 timestamp in UTC ("Z").
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseTimestamp(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func parseTimestamp(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("timestamp %q is not in UTC (it must end in Z)", s)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	return v, nil
}

// Common holds the properties every object this package makes has.
type Common struct {
	Type              string    `json:"type"`
	SpecVersion       string    `json:"spec_version"`
	ID                string    `json:"id"`
	CreatedByRef      string    `json:"created_by_ref,omitempty"`
	Created           Timestamp `json:"created"`
	Modified          Timestamp `json:"modified"`
	ObjectMarkingRefs []string  `json:"object_marking_refs,omitempty"`
}

// Identity is a STIX identity: an organization of the directory.
type Identity struct {
	Common
	Name          string   `json:"name"`
	Description   string   `json:"description,omitempty"`
	IdentityClass string   `json:"identity_class"`
	Roles         []string `json:"roles,omitempty"`
}

// Report is the STIX report of a product: published when produced, its
// object_refs its producer's identity and its entries in order, its
// product's own fields in our property extension.
type Report struct {
	Common
	Name        string                     `json:"name"`
	Description string                     `json:"description,omitempty"`
	ReportTypes []string                   `json:"report_types"`
	Published   Timestamp                  `json:"published"`
	ObjectRefs  []string                   `json:"object_refs"`
	Extensions  map[string]ReportExtension `json:"extensions"`
}

// ReportExtension is our property extension on a report: the product's
// fields STIX has no property for, exactly (times in full precision).
type ReportExtension struct {
	ExtensionType string           `json:"extension_type"` // "property-extension"
	ProductID     string           `json:"product_id"`
	ListType      schema.ListType  `json:"list_type"`
	Frequency     schema.Frequency `json:"frequency"`
	Producer      string           `json:"producer"`
	RequirementID string           `json:"requirement_id"`
	TaskID        string           `json:"task_id,omitempty"`
	Supersedes    string           `json:"supersedes,omitempty"`
	SupersedesRef string           `json:"supersedes_ref,omitempty"`
	Period        schema.Window    `json:"period"`
	ProducedAt    time.Time        `json:"produced_at"`
	Handling      schema.Handling  `json:"handling,omitempty"`
}

// ListEntry is one entry of a product, an object of our new SDO type.
type ListEntry struct {
	Common
	Extensions  map[string]NewSDOExtension `json:"extensions"`
	ListType    schema.ListType            `json:"list_type"`
	ReportRef   string                     `json:"report_ref"`
	Subject     schema.Subject             `json:"subject"`
	Score       float64                    `json:"score"`
	Reasons     []string                   `json:"reasons"`
	EvidenceIDs []string                   `json:"evidence_ids"`
}

// NewSDOExtension marks an object as of a type an extension defines.
type NewSDOExtension struct {
	ExtensionType string `json:"extension_type"` // "new-sdo"
}

// ExtensionDefinition is a STIX extension-definition object.
type ExtensionDefinition struct {
	Common
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Schema         string   `json:"schema"`
	Version        string   `json:"version"`
	ExtensionTypes []string `json:"extension_types"`
}

// MarkingDefinition is a TLP 2.0 marking definition, as the TLP 2.0
// extension of STIX 2.1 publishes it (no modified: markings do not
// version).
type MarkingDefinition struct {
	Type        string                `json:"type"`
	SpecVersion string                `json:"spec_version"`
	ID          string                `json:"id"`
	Created     Timestamp             `json:"created"`
	Name        string                `json:"name"`
	Extensions  map[string]TLPMarking `json:"extensions"`
}

// TLPMarking is the property extension of a TLP 2.0 marking definition.
type TLPMarking struct {
	ExtensionType string `json:"extension_type"` // "property-extension"
	TLP20         string `json:"tlp_2_0"`
}

// The TLP 2.0 marking definitions of STIX 2.1, as published by OASIS CTI
// (cti-stix-common-objects, extension-definition-specifications/tlp-2.0):
// fixed ids, created 2022-10-01T00:00:00.000Z, under the TLP 2.0
// extension definition.
const (
	TLP20ExtensionID   = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	MarkingClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	MarkingGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	MarkingAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	MarkingAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	MarkingRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

var tlpCreated = time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)

// MarkingID returns the id of the TLP 2.0 marking definition of the
// label; an empty label is AMBER (as collab.Directory.AuthorizeRead reads
// it). False for a label that is not TLP 2.0.
func MarkingID(h schema.Handling) (string, bool) {
	switch h {
	case schema.HandlingClear:
		return MarkingClear, true
	case schema.HandlingGreen:
		return MarkingGreen, true
	case schema.HandlingAmber, "":
		return MarkingAmber, true
	case schema.HandlingAmberStrict:
		return MarkingAmberStrict, true
	case schema.HandlingRed:
		return MarkingRed, true
	}
	return "", false
}

// Markings returns the five TLP 2.0 marking definitions, from CLEAR to RED.
func Markings() []MarkingDefinition {
	labels := []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed}
	out := make([]MarkingDefinition, len(labels))
	for i, h := range labels {
		id, _ := MarkingID(h)
		out[i] = MarkingDefinition{
			Type: TypeMarkingDefinition, SpecVersion: SpecVersion, ID: id, Created: Stamp(tlpCreated),
			Name:       "TLP:" + string(h),
			Extensions: map[string]TLPMarking{TLP20ExtensionID: {ExtensionType: "property-extension", TLP20: strings.ToLower(string(h))}},
		}
	}
	return out
}

// Extension returns our extension definition object.
func Extension() ExtensionDefinition {
	return ExtensionDefinition{
		Common: Common{
			Type: TypeExtensionDefinition, SpecVersion: SpecVersion, ID: ExtensionID, CreatedByRef: SDKIdentityID,
			Created: Stamp(extensionCreated), Modified: Stamp(extensionCreated), ObjectMarkingRefs: []string{MarkingClear},
		},
		Name: "sicollab domain lists",
		Description: "Domain lists of the sicollab scheme: a new SDO " + TypeListEntry +
			" for each entry (a pseudonymous subject, a score from 0 to 1, the reasons, the evidence ids) and a property extension on report carrying the product's own fields.",
		Schema: ExtensionSchema, Version: ExtensionVersion,
		ExtensionTypes: []string{"new-sdo", "property-extension"},
	}
}

// SDKIdentity returns the identity that created our extension definition.
func SDKIdentity() Identity {
	return Identity{
		Common: Common{
			Type: TypeIdentity, SpecVersion: SpecVersion, ID: SDKIdentityID,
			Created: Stamp(extensionCreated), Modified: Stamp(extensionCreated), ObjectMarkingRefs: []string{MarkingClear},
		},
		Name: "sicollab SDK", IdentityClass: "system",
		Description: "The software that defines the sicollab STIX extension.",
	}
}

// OrgIdentity returns the identity of an organization of the directory,
// created and modified when the directory revision was published.
func OrgIdentity(o collab.Org, dirUpdated time.Time) Identity {
	return Identity{
		Common: Common{
			Type: TypeIdentity, SpecVersion: SpecVersion, ID: IdentityID(o.ID),
			Created: Stamp(dirUpdated), Modified: Stamp(dirUpdated), ObjectMarkingRefs: []string{MarkingClear},
		},
		Name: o.Name, IdentityClass: "organization", Roles: []string{o.Tier.String()},
		Description: fmt.Sprintf("%s (%s), region %s", o.ID, o.Tier, o.Region),
	}
}

// ProductObjects returns the STIX objects of a product held under the
// handling label: its report first, then its entries in order. Every
// object is marked with the label's TLP 2.0 marking and created by the
// producer's identity; created and modified are the product's
// produced_at, to the millisecond.
func ProductObjects(p schema.Product, h schema.Handling) (Report, []ListEntry, error) {
	marking, ok := MarkingID(h)
	if !ok {
		return Report{}, nil, fmt.Errorf("%w: handling %q of product %q", ErrBadProduct, h, p.ID)
	}
	if p.ID == "" || p.Producer == "" || p.ProducedAt.IsZero() {
		return Report{}, nil, fmt.Errorf("%w: product %q lacks an id, a producer or produced_at", ErrBadProduct, p.ID)
	}
	at := Stamp(p.ProducedAt)
	rid := ReportID(p.ID)
	common := func(typ, id string) Common {
		return Common{Type: typ, SpecVersion: SpecVersion, ID: id, CreatedByRef: IdentityID(p.Producer),
			Created: at, Modified: at, ObjectMarkingRefs: []string{marking}}
	}
	r := Report{
		Common:      common(TypeReport, rid),
		Name:        fmt.Sprintf("%s list of %s, %s", p.ListType, p.Producer, p.ProducedAt.UTC().Format(time.RFC3339)),
		Description: p.Summary, ReportTypes: []string{"threat-report"}, Published: at,
		ObjectRefs: []string{IdentityID(p.Producer)},
		Extensions: map[string]ReportExtension{ExtensionID: {
			ExtensionType: "property-extension", ProductID: p.ID, ListType: p.ListType, Frequency: p.Frequency,
			Producer: p.Producer, RequirementID: p.RequirementID, TaskID: p.TaskID, Supersedes: p.Supersedes,
			Period: schema.Window{From: p.Period.From.UTC(), To: p.Period.To.UTC()}, ProducedAt: p.ProducedAt.UTC(), Handling: h,
		}},
	}
	if p.Supersedes != "" {
		ext := r.Extensions[ExtensionID]
		ext.SupersedesRef = ReportID(p.Supersedes)
		r.Extensions[ExtensionID] = ext
	}
	entries := make([]ListEntry, len(p.Entries))
	for i, e := range p.Entries {
		id := EntryID(p.ID, i)
		entries[i] = ListEntry{
			Common:     common(TypeListEntry, id),
			Extensions: map[string]NewSDOExtension{ExtensionID: {ExtensionType: "new-sdo"}},
			ListType:   p.ListType, ReportRef: rid, Subject: e.Subject, Score: e.Score,
			Reasons: nonNil(e.Reasons), EvidenceIDs: nonNil(e.EvidenceIDs),
		}
		r.ObjectRefs = append(r.ObjectRefs, id)
	}
	return r, entries, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
