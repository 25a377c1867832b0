package taxii

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// MaxObjectBytes is the largest single STIX object DecodeProducts reads.
const MaxObjectBytes = 1 << 20

// Received is a product read back from STIX, with the label its report
// was marked with.
type Received struct {
	Product  schema.Product
	Handling schema.Handling
}

// DecodeProducts turns the objects of products (as ProductObjects makes
// them, in any order, possibly among other objects, which it skips) back
// into products, in the order their reports come. An entry whose report
// is not among the objects is an error, and so is a report whose entries
// are not all there: a page boundary may split a product, so decode the
// objects of every page together (Client.Products does). Errors wrap
// ErrBadObjects and name the object and the property.
func DecodeProducts(objs []json.RawMessage) ([]Received, error) {
	var (
		reports []Report
		entries = map[string]ListEntry{}
	)
	for i, raw := range objs {
		if len(raw) > MaxObjectBytes {
			return nil, fmt.Errorf("%w: object %d is %d bytes, more than %d", ErrBadObjects, i, len(raw), MaxObjectBytes)
		}
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("%w: object %d: %w", ErrBadObjects, i, err)
		}
		switch head.Type {
		case TypeReport:
			var r Report
			if err := strict(raw, &r); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrBadObjects, head.ID, err)
			}
			if _, ok := r.Extensions[ExtensionID]; !ok {
				continue // someone else's report
			}
			reports = append(reports, r)
		case TypeListEntry:
			var e ListEntry
			if err := strict(raw, &e); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrBadObjects, head.ID, err)
			}
			entries[e.ID] = e
		}
	}
	out := make([]Received, 0, len(reports))
	used := 0
	for _, r := range reports {
		ext := r.Extensions[ExtensionID]
		if ext.ExtensionType != "property-extension" {
			return nil, fmt.Errorf("%w: %s: /extensions/%s/extension_type is %q, not property-extension", ErrBadObjects, r.ID, ExtensionID, ext.ExtensionType)
		}
		if ReportID(ext.ProductID) != r.ID {
			return nil, fmt.Errorf("%w: %s: id is not the report id of product_id %q", ErrBadObjects, r.ID, ext.ProductID)
		}
		h, ok := labelOf(r.ObjectMarkingRefs)
		if !ok {
			return nil, fmt.Errorf("%w: %s: /object_marking_refs holds no single TLP 2.0 marking", ErrBadObjects, r.ID)
		}
		p := schema.Product{
			ID: ext.ProductID, ListType: ext.ListType, Frequency: ext.Frequency, Producer: ext.Producer,
			RequirementID: ext.RequirementID, TaskID: ext.TaskID, Supersedes: ext.Supersedes,
			Period: ext.Period, ProducedAt: ext.ProducedAt, Summary: r.Description,
		}
		for i, ref := range r.ObjectRefs {
			if !strings.HasPrefix(ref, TypeListEntry+"--") {
				continue
			}
			e, ok := entries[ref]
			if !ok {
				return nil, fmt.Errorf("%w: %s: /object_refs/%d names %s, which is not among the objects", ErrBadObjects, r.ID, i, ref)
			}
			if e.ReportRef != r.ID {
				return nil, fmt.Errorf("%w: %s: /report_ref is %q, not %s", ErrBadObjects, e.ID, e.ReportRef, r.ID)
			}
			if _, ok := e.Extensions[ExtensionID]; !ok {
				return nil, fmt.Errorf("%w: %s: /extensions lacks %s", ErrBadObjects, e.ID, ExtensionID)
			}
			p.Entries = append(p.Entries, schema.ProductEntry{Subject: e.Subject, Score: e.Score, Reasons: e.Reasons, EvidenceIDs: e.EvidenceIDs})
			used++
		}
		out = append(out, Received{Product: p, Handling: h})
	}
	if used != len(entries) {
		return nil, fmt.Errorf("%w: %d list entries belong to no report among the objects", ErrBadObjects, len(entries)-used)
	}
	return out, nil
}

// strict decodes raw into v refusing unknown properties, trailing data
// and numbers that do not fit.
func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the object")
	}
	return nil
}

// labelOf returns the TLP 2.0 label of the one TLP marking among refs.
func labelOf(refs []string) (schema.Handling, bool) {
	var found []schema.Handling
	for _, h := range []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed} {
		id, _ := MarkingID(h)
		for _, r := range refs {
			if r == id {
				found = append(found, h)
			}
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}
