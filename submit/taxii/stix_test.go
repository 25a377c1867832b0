package taxii_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// referenceObjects are the objects every list object may refer to.
func referenceObjects(t testing.TB, d *collab.Directory) []map[string]any {
	var vs []any
	for _, m := range taxii.Markings() {
		vs = append(vs, m)
	}
	vs = append(vs, taxii.SDKIdentity(), taxii.Extension())
	for _, o := range d.Orgs() {
		vs = append(vs, taxii.OrgIdentity(o, d.UpdatedAt()))
	}
	return decodeObjects(t, vs...)
}

// productKinds is one product of every kind: each list type at each
// frequency (task with its task), with and without entries, as a first
// product and as a correction, under each handling label.
func productKinds() []struct {
	p schema.Product
	h schema.Handling
} {
	var out []struct {
		p schema.Product
		h schema.Handling
	}
	labels := []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed}
	n := 0
	for _, lt := range collab.ListTypes() {
		for _, f := range []schema.Frequency{schema.FrequencyRealTime, schema.FrequencyDaily, schema.FrequencyTask} {
			for _, entries := range []int{0, 3} {
				for _, corrects := range []bool{false, true} {
					n++
					p := product(n, lt, "central-bank", entries)
					p.Frequency = f
					if f == schema.FrequencyTask {
						p.TaskID = testID(2)
					}
					if corrects {
						p.Supersedes = testID(0x1000 + n - 1)
					}
					out = append(out, struct {
						p schema.Product
						h schema.Handling
					}{p, labels[n%len(labels)]})
				}
			}
		}
	}
	return out
}

func TestSTIXConformance(t *testing.T) {
	d := loadScheme(t)
	ref := referenceObjects(t, d)
	require.Empty(t, stixProblems(ref, extensionDefs(ref)), "reference objects")
	require.Empty(t, refProblems(ref))

	v, err := schema.NewValidator()
	require.NoError(t, err)
	for _, k := range productKinds() {
		require.NoError(t, v.ValidatePayload(schema.KindProduct, 1, []byte(mustJSON(t, k.p))), "the fixture product is valid")
		r, entries, err := taxii.ProductObjects(k.p, k.h)
		require.NoError(t, err)
		vs := []any{r}
		for _, e := range entries {
			vs = append(vs, e)
		}
		objs := decodeObjects(t, vs...)
		require.Empty(t, stixProblems(objs, extensionDefs(ref)), "%s %s %s", k.p.ListType, k.p.Frequency, k.h)
		all := append(append([]map[string]any{}, ref...), objs...)
		for _, p := range refProblems(all) {
			// A correction's supersedes_ref names a report of the same
			// collection, not among these objects.
			require.Contains(t, p, "supersedes_ref", p)
		}
		require.Len(t, objs, 1+len(k.p.Entries))
		require.Equal(t, taxii.ReportID(k.p.ID), r.ID)
		marking, _ := taxii.MarkingID(k.h)
		for _, o := range objs {
			require.Equal(t, []any{marking}, o["object_marking_refs"])
			require.Equal(t, taxii.IdentityID("central-bank"), o["created_by_ref"])
		}
		// The round trip gives the product and its label back.
		got, err := taxii.DecodeProducts(rawObjects(t, objs))
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, k.h, got[0].Handling)
		require.Equal(t, mustJSON(t, k.p), mustJSON(t, got[0].Product))
	}
}

func TestSTIXIDs(t *testing.T) {
	p := product(1, schema.ListFlaggedAccounts, "miit", 2)
	r1, e1, err := taxii.ProductObjects(p, schema.HandlingAmber)
	require.NoError(t, err)
	r2, e2, err := taxii.ProductObjects(p, schema.HandlingRed)
	require.NoError(t, err)
	require.Equal(t, r1.ID, r2.ID, "ids do not depend on the label")
	require.Equal(t, e1[1].ID, e2[1].ID)
	require.NotEqual(t, e1[0].ID, e1[1].ID)
	u := uuid.MustParse(r1.ID[len("report--"):])
	require.Equal(t, uuid.Version(5), u.Version())
	require.NotContains(t, r1.ID, p.ID, "our v7 id is not a STIX id")
	require.Equal(t, "2026-03-01T08:01:00.123Z", r1.Created.String(), "millisecond precision, cut")

	_, _, err = taxii.ProductObjects(p, "PURPLE")
	require.ErrorIs(t, err, taxii.ErrBadProduct)
	_, _, err = taxii.ProductObjects(schema.Product{ID: p.ID}, schema.HandlingAmber)
	require.ErrorIs(t, err, taxii.ErrBadProduct)
}

// The checker itself finds what it is meant to find.
func TestSTIXCheckerCatchesBreaches(t *testing.T) {
	d := loadScheme(t)
	ref := referenceObjects(t, d)
	defs := extensionDefs(ref)
	r, _, err := taxii.ProductObjects(product(1, schema.ListHazmatPurchases, "miit", 1), schema.HandlingGreen)
	require.NoError(t, err)
	base := decodeObjects(t, r)[0]
	breaches := map[string]func(o map[string]any){
		"v7 id":         func(o map[string]any) { o["id"] = "report--" + testID(5) },
		"other type id": func(o map[string]any) { o["id"] = "grouping--" + uuid.NewString() },
		"seconds":       func(o map[string]any) { o["created"] = "2026-03-01T08:01:00Z" },
		"nanoseconds":   func(o map[string]any) { o["modified"] = "2026-03-01T08:01:00.123456789Z" },
		"not UTC":       func(o map[string]any) { o["modified"] = "2026-03-01T08:01:00.123+08:00" },
		"no marking":    func(o map[string]any) { delete(o, "object_marking_refs") },
		"two markings":  func(o map[string]any) { o["object_marking_refs"] = []any{taxii.MarkingRed, taxii.MarkingGreen} },
		"spec version":  func(o map[string]any) { o["spec_version"] = "2.0" },
		"no name":       func(o map[string]any) { delete(o, "name") },
		"empty refs":    func(o map[string]any) { o["object_refs"] = []any{} },
		"bad property":  func(o map[string]any) { o["Bad-Name"] = "x" },
		"unknown ext": func(o map[string]any) {
			o["extensions"] = map[string]any{"extension-definition--" + uuid.NewString(): map[string]any{"extension_type": "property-extension"}}
		},
		"undeclared ext": func(o map[string]any) {
			o["extensions"] = map[string]any{taxii.ExtensionID: map[string]any{"extension_type": "new-sco"}}
		},
		"modified early": func(o map[string]any) { o["modified"] = "2020-01-01T00:00:00.000Z" },
	}
	require.Empty(t, objectProblems(base, defs))
	for name, breach := range breaches {
		o := decodeObjects(t, base)[0]
		breach(o)
		require.NotEmpty(t, objectProblems(o, defs), name)
	}
	e := decodeObjects(t, taxii.ListEntry{})[0]
	e["type"], e["id"] = taxii.TypeListEntry, taxii.TypeListEntry+"--"+uuid.NewString()
	require.Contains(t, objectProblems(e, defs), e["id"].(string)+": type \"sicollab-list-entry\" is not a STIX type and no new-sdo extension defines it")
}
