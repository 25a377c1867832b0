package collab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// IsMessageKind reports whether kind is a collaboration message kind
// (requirement, plan, task, product, report, ...: the collab domain) rather
// than a record kind that a social force collects.
func IsMessageKind(kind string) bool { return strings.HasPrefix(kind, "collab.") }

// knownKinds returns the kinds a directory may name: every kind with an
// embedded schema. A record of any other kind would be refused by every hub.
func knownKinds() map[string]bool {
	known := map[string]bool{}
	for _, info := range schema.Kinds() {
		known[info.Kind] = true
	}
	return known
}

// checker gathers the problems of one directory document.
type checker struct {
	problems []problem
}

type problem struct {
	org int // index of the org the pointer is in; -1 for the document
	v   schema.Violation
}

func (c *checker) add(org int, pointer, format string, args ...any) {
	c.problems = append(c.problems, problem{org, schema.Violation{Pointer: pointer, Keyword: KeywordScheme, Message: fmt.Sprintf(format, args...)}})
}

func orgPointer(i int, field string, index ...int) string {
	p := "/orgs/" + strconv.Itoa(i) + "/" + field
	for _, j := range index {
		p += "/" + strconv.Itoa(j)
	}
	return p
}

// checkDirectory applies the scheme's rules (see ParseDirectory) to a
// document the schema accepted, and returns every problem, ordered by the
// position of the organization they concern.
func checkDirectory(doc *schema.Directory) []schema.Violation {
	var c checker
	orgs := doc.Orgs
	tiers := make([]Tier, len(orgs))
	for i, o := range orgs {
		tiers[i], _ = ParseTier(o.Tier) // the schema's enum
	}

	// Ids. Later rules resolve an id to its first occurrence.
	first := make(map[string]int, len(orgs))
	for i, o := range orgs {
		if j, dup := first[o.ID]; dup {
			c.add(i, orgPointer(i, "id"), "org id %q is already used at /orgs/%d; ids must be unique", o.ID, j)
			continue
		}
		first[o.ID] = i
	}

	// Exactly one leading group.
	leader := -1
	for i := range orgs {
		if tiers[i] != LeadingGroup {
			continue
		}
		if leader < 0 {
			leader = i
			continue
		}
		c.add(i, orgPointer(i, "tier"), "%q is a second leading group; %q at /orgs/%d already leads, and the scheme has exactly one",
			orgs[i].ID, orgs[leader].ID, leader)
	}
	if leader < 0 {
		c.add(-1, "/orgs", "no organization has tier leading_group; the scheme has exactly one")
	}

	// Supervisors: known, of the right tier, without cycles.
	sup := make([]int, len(orgs)) // index of the supervisor, or -1
	for i, o := range orgs {
		sup[i] = -1
		if o.Supervisor == "" {
			continue
		}
		j, ok := first[o.Supervisor]
		if !ok {
			c.add(i, orgPointer(i, "supervisor"), "supervisor %q is not in the directory", o.Supervisor)
			continue
		}
		sup[i] = j
		if rule := supervisorRule(tiers[i], tiers[j]); rule != "" {
			c.add(i, orgPointer(i, "supervisor"), "supervisor %q is a %s; %s", o.Supervisor, tiers[j], rule)
		}
	}
	c.cycles(orgs, sup)

	// Token hashes: one organization each, or Authenticate is ambiguous.
	tokens := map[string]int{}
	for i, o := range orgs {
		if o.TokenSHA256 == "" {
			continue
		}
		if j, dup := tokens[o.TokenSHA256]; dup {
			c.add(i, orgPointer(i, "token_sha256"), "token hash is the same as that of %q at /orgs/%d; each organization needs its own token",
				orgs[j].ID, j)
			continue
		}
		tokens[o.TokenSHA256] = i
	}

	c.kinds(orgs, tiers, sup)
	c.checkKeys(orgs)

	slices.SortStableFunc(c.problems, func(a, b problem) int { return a.org - b.org })
	out := make([]schema.Violation, len(c.problems))
	for i, p := range c.problems {
		out[i] = p.v
	}
	return out
}

// supervisorRule returns what is wrong with an organization of tier t under
// a supervisor of tier s, or "".
func supervisorRule(t, s Tier) string {
	switch t {
	case SocialForce:
		if s != GeneralBusinessDepartment {
			return "a social force's supervisor is a general_business_department, or it has none and reports straight to the specialized departments"
		}
	case GeneralBusinessDepartment, SpecializedDepartment:
		if s != LeadingGroup {
			return "a department's supervisor, if it has one, is the leading group"
		}
	case LeadingGroup:
		return "the leading group has no supervisor"
	}
	return ""
}

// cycles reports each supervision cycle once, at the supervisor of its
// first organization in the document.
func (c *checker) cycles(orgs []schema.DirectoryOrg, sup []int) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(orgs))
	var path []int
	for start := range orgs {
		path = path[:0]
		i := start
		for i >= 0 && state[i] == unseen {
			state[i] = onPath
			path = append(path, i)
			i = sup[i]
		}
		if i >= 0 && state[i] == onPath {
			cycle := path[slices.Index(path, i):]
			k := slices.Index(cycle, slices.Min(cycle))
			cycle = append(slices.Clone(cycle[k:]), cycle[:k]...)
			names := make([]string, 0, len(cycle)+1)
			for _, j := range cycle {
				names = append(names, orgs[j].ID)
			}
			names = append(names, orgs[cycle[0]].ID)
			c.add(cycle[0], orgPointer(cycle[0], "supervisor"),
				"supervision runs in a cycle (%s); it must end at the leading group or at an organization without supervisor",
				strings.Join(names, " -> "))
		}
		for _, j := range path {
			state[j] = done
		}
	}
}

// kinds checks that every kind named is known, and that what is submitted
// is received where the scheme needs it to be.
func (c *checker) kinds(orgs []schema.DirectoryOrg, tiers []Tier, sup []int) {
	known := knownKinds()
	sdReceives := map[string]bool{}
	receivers := map[string]bool{}
	submitters := map[string][]string{}
	var order []string             // submitted kinds, by first occurrence
	firstAt := map[string][2]int{} // kind -> org index, submits index
	for i, o := range orgs {
		for j, k := range o.Receives {
			if !known[k] {
				c.add(i, orgPointer(i, "receives", j), "kind %q is not known: no schema has it", k)
				continue
			}
			receivers[k] = true
			if tiers[i] == SpecializedDepartment {
				sdReceives[k] = true
			}
		}
		for j, k := range o.Submits {
			if !known[k] {
				c.add(i, orgPointer(i, "submits", j), "kind %q is not known: no schema has it", k)
				continue
			}
			if _, seen := firstAt[k]; !seen {
				firstAt[k] = [2]int{i, j}
				order = append(order, k)
			}
			submitters[k] = append(submitters[k], o.ID)
		}
	}

	// Once per kind, at its first occurrence.
	unreceived := map[string]bool{}
	for _, k := range order {
		org, ptr := firstAt[k][0], orgPointer(firstAt[k][0], "submits", firstAt[k][1])
		switch {
		case !IsMessageKind(k) && !sdReceives[k]:
			unreceived[k] = true
			c.add(org, ptr, "record kind %q is submitted (by %s) but no specialized department receives it; every record ends at a specialized department",
				k, listNames(submitters[k], 3))
		case IsMessageKind(k) && !receivers[k]:
			unreceived[k] = true
			c.add(org, ptr, "kind %q is submitted (by %s) but no organization receives it", k, listNames(submitters[k], 3))
		}
	}

	// A social force's submissions need a way up.
	for i, o := range orgs {
		if tiers[i] != SocialForce {
			continue
		}
		for j, k := range o.Submits {
			if !known[k] || unreceived[k] || sdReceives[k] || (sup[i] >= 0 && slices.Contains(orgs[sup[i]].Receives, k)) {
				continue
			}
			if sup[i] >= 0 {
				c.add(i, orgPointer(i, "submits", j), "neither its supervisor %q nor any specialized department receives %q, so it has nowhere to go",
					orgs[sup[i]].ID, k)
			} else {
				c.add(i, orgPointer(i, "submits", j), "it has no supervisor and no specialized department receives %q, so it has nowhere to go", k)
			}
		}
	}
}
