package compile

import (
	"fmt"
	"strings"
	"testing"
)

// tableAgrees fails unless t numbers exactly names.
func tableAgrees(tb testing.TB, tab *nameTable, names []string) {
	tb.Helper()
	is := map[string]bool{}
	for i, name := range names {
		is[name] = true
		if got := tab.lookup([]byte(name)); got != i {
			tb.Fatalf("%q numbered %d, want %d (names %q)", name, got, i, names)
		}
	}
	for _, name := range names {
		variants := []string{"", name + "x", "x" + name, name + name}
		if len(name) > 0 {
			variants = append(variants, name[:len(name)-1], name[1:])
		}
		for i := range len(name) {
			b := []byte(name)
			b[i] ^= 1
			variants = append(variants, string(b))
		}
		for _, v := range variants {
			if got := tab.lookup([]byte(v)); !is[v] && got != -1 {
				tb.Fatalf("%q, not a name, numbered %d (names %q)", v, got, names)
			}
		}
	}
}

// TestNameTable: names are found with their numbers and nothing else is
// found, in a table or, for names no table separates, in the map.
func TestNameTable(t *testing.T) {
	for _, names := range [][]string{
		nil, {""}, {"a"}, {"a", ""}, {"kind", "version", "payload", "hops"},
		{"tasks_late", "tasks_done"},
		{"ab", "ba", "abc", "acb", "a", "b"},
	} {
		tableAgrees(t, newNameTable(names), names)
	}
	if newNameTable([]string{"tasks_late", "tasks_done"}).index != nil {
		t.Error("names with one different byte left to the map")
	}
	// Alike in length and in every byte a table can look at: the map.
	long := strings.Repeat("x", maxAt+1)
	names := []string{"a" + long + "1b", "a" + long + "2b"}
	if newNameTable(names).index == nil {
		t.Errorf("%q in a table", names)
	}
	tableAgrees(t, newNameTable(names), names)
	var many []string
	for i := range 64 {
		many = append(many, fmt.Sprintf("field_%d", i))
	}
	tableAgrees(t, newNameTable(many), many)
}

// TestSchemaNameTables: every object schema of the schema files has its
// names in a table, not the map, and each table numbers them right.
func TestSchemaNameTables(t *testing.T) {
	fx := load(t)
	tables := 0
	for key, n := range fx.set.nodes {
		if n.names == nil {
			continue
		}
		names := make([]string, len(n.props))
		for i := range n.props {
			for _, name := range allNames(n.names) {
				if n.names.lookup([]byte(name)) == i {
					names[i] = name
				}
			}
		}
		if n.names.index != nil {
			t.Errorf("%s: names %q in the map", key, allNames(n.names))
			continue
		}
		if got := len(allNames(n.names)); got != len(n.props) {
			t.Errorf("%s: %d names for %d properties", key, got, len(n.props))
		}
		tableAgrees(t, n.names, names)
		tables++
	}
	if tables == 0 {
		t.Fatal("no object schema")
	}
}

// allNames lists the names of a table.
func allNames(t *nameTable) []string {
	var out []string
	for _, s := range t.slots {
		if s.num >= 0 {
			out = append(out, s.name)
		}
	}
	for name := range t.index {
		out = append(out, name)
	}
	return out
}

// BenchmarkNameLookup finds each property name of the envelope and of
// finance.transaction, and one name that is not there, by table and by
// map (what evalObject did before):
//
//	go test ./schema/internal/compile -run '^$' -bench NameLookup
func BenchmarkNameLookup(b *testing.B) {
	fx := load(b)
	var keys [][]byte
	var tables []*nameTable
	var maps []map[string]int
	for _, name := range []string{"envelope", "finance.transaction"} {
		n := fx.checkers[name].root
		for n.names == nil && len(n.allOf) > 0 {
			n = n.allOf[0]
		}
		if n.names == nil {
			b.Fatalf("%s: no properties at the root", name)
		}
		m := map[string]int{}
		for _, k := range allNames(n.names) {
			m[k] = n.names.lookup([]byte(k))
			keys = append(keys, []byte(k))
		}
		keys = append(keys, []byte("not_a_property"))
		tables, maps = append(tables, n.names), append(maps, m)
	}
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			for _, t := range tables {
				for _, k := range keys {
					t.lookup(k)
				}
			}
		}
		b.ReportMetric(float64(len(keys)*len(tables)), "lookups/op")
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			for _, m := range maps {
				for _, k := range keys {
					_ = m[string(k)]
				}
			}
		}
		b.ReportMetric(float64(len(keys)*len(maps)), "lookups/op")
	})
}
