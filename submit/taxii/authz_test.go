package taxii_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// The authorization table: every organization of the scheme reads every
// list collection of a hub holding one product of each list type under
// each handling label, over HTTP, and sees exactly the products the rules
// below let it see. The rules are written here again from the scheme
// document itself, not taken from package collab.

// listSectors is the sector each list is made of.
var listSectors = map[schema.ListType][]string{
	schema.ListAbnormalFinancialActivity: {"finance"},
	schema.ListPassengerTrajectory:       {"transport"},
	schema.ListFreightTrajectory:         {"transport"},
	schema.ListFlaggedAccounts:           {"telecom"},
	schema.ListHazmatPurchases:           {"commerce"},
	schema.ListAbnormalEntryExit:         {"customs"},
	schema.ListCrossSectorLink:           {"finance", "transport", "telecom", "services", "commerce", "health", "customs"},
}

// listProducer is who produced each list held at the hub.
var listProducer = map[schema.ListType]string{
	schema.ListAbnormalFinancialActivity: "central-bank",
	schema.ListPassengerTrajectory:       "transport-ministry",
	schema.ListFreightTrajectory:         "transport-ministry",
	schema.ListFlaggedAccounts:           "miit",
	schema.ListHazmatPurchases:           "miit",
	schema.ListAbnormalEntryExit:         "customs",
	schema.ListCrossSectorLink:           "state-security",
}

const holder = "public-security"

// expectRead is the table's oracle.
func expectRead(o schema.DirectoryOrg, lt schema.ListType, h schema.Handling) bool {
	if o.ID == listProducer[lt] || o.ID == holder {
		return true // their own
	}
	needToKnow := false
	switch o.Tier {
	case "leading_group", "specialized_department":
		needToKnow = true
	case "general_business_department":
		needToKnow = lt != schema.ListCrossSectorLink && slices.ContainsFunc(o.Sectors, func(s string) bool { return slices.Contains(listSectors[lt], s) })
	}
	switch h {
	case schema.HandlingClear:
		return true
	case schema.HandlingGreen:
		return o.Tier != "social_force"
	case schema.HandlingAmber:
		return needToKnow
	}
	return false // AMBER+STRICT and RED stay where they are
}

func TestAuthorizationTable(t *testing.T) {
	raw, err := schemeJSON()
	require.NoError(t, err)
	var doc schema.Directory
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Len(t, listSectors, len(collab.ListTypes()))

	h := newHub(t, holder, nil)
	labels := []schema.Handling{schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed}
	ids := map[string][2]string{} // report id -> list type, label
	n := 0
	for _, lt := range collab.ListTypes() {
		for _, label := range labels {
			n++
			p := product(n, lt, listProducer[lt], 1)
			h.put(t, p, label)
			ids[taxii.ReportID(p.ID)] = [2]string{string(lt), string(label)}
		}
	}

	allowed, denied := map[schema.Handling]int{}, map[schema.Handling]int{}
	for _, o := range doc.Orgs {
		for _, lt := range collab.ListTypes() {
			objs, _ := h.readAll(t, o.ID, taxii.CollectionID(lt), 1000, "&match[type]=report")
			seen := map[schema.Handling]bool{}
			for _, obj := range objs {
				got, ok := ids[obj["id"].(string)]
				require.True(t, ok)
				require.Equal(t, string(lt), got[0], "a product in its own list's collection only")
				seen[schema.Handling(got[1])] = true
			}
			for _, label := range labels {
				want := expectRead(o, lt, label)
				require.Equal(t, want, seen[label], "%s (%s, %v) reading %s at %s", o.ID, o.Tier, o.Sectors, lt, label)
				if want {
					allowed[label]++
				} else {
					denied[label]++
				}
			}
		}
	}
	// The table tells organizations apart at every label but CLEAR.
	cells := len(doc.Orgs) * len(collab.ListTypes())
	require.Equal(t, cells, allowed[schema.HandlingClear])
	for _, label := range labels[1:] {
		require.Positive(t, allowed[label], label)
		require.Positive(t, denied[label], label)
	}
	t.Logf("%d organizations x %d lists x %d labels; allowed %v, denied %v", len(doc.Orgs), len(collab.ListTypes()), len(labels), allowed, denied)
}
