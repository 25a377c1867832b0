package compile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The tests at this boundary compare the compiled checks with jsonschema
// v5 on the schema files as written (no inlining, no extension), the
// oracle: where a Checker is sure, its answer must be v5's.

const baseURI = "https://sicollab.github.io/schema/"

// fixture is every schema document, compiled both ways.
type fixture struct {
	names    []string // folders: kinds, and envelope
	checkers map[string]*Checker
	written  map[string]*jsonschema.Schema
	set      *Set
}

var loaded *fixture

func load(tb testing.TB) *fixture {
	tb.Helper()
	if loaded != nil {
		return loaded
	}
	fsys := os.DirFS(filepath.Join("..", "..", "jsonschema"))
	files, err := fs.Glob(fsys, "*/v1.schema.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no schema files: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) { return nil, fmt.Errorf("refusing to load %s", s) }
	set := NewSet()
	fx := &fixture{checkers: map[string]*Checker{}, written: map[string]*jsonschema.Schema{}}
	for _, name := range files {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			tb.Fatal(err)
		}
		id := baseURI + name
		if err := c.AddResource(id, bytes.NewReader(raw)); err != nil {
			tb.Fatal(err)
		}
		if err := set.Add(id, raw); err != nil {
			tb.Fatal(err)
		}
		if dir := path.Dir(name); dir != "common" {
			fx.names = append(fx.names, dir)
		}
	}
	sort.Strings(fx.names)
	for _, name := range fx.names {
		id := baseURI + name + "/v1.schema.json"
		if fx.written[name], err = c.Compile(id); err != nil {
			tb.Fatal(err)
		}
		if fx.checkers[name], err = set.Checker(id); err != nil {
			tb.Fatal(err)
		}
	}
	fx.set = set
	loaded = fx
	return fx
}

// agree checks one document against the schema of name both ways, and
// reports whether the checker was sure.
func (fx *fixture) agree(t *testing.T, name string, doc []byte) bool {
	t.Helper()
	valid, sure := fx.checkers[name].CheckBytes(doc, 32)
	if !sure {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: sure of %q, which encoding/json refuses: %v", name, doc, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("%s: sure of %q, which has data after its value", name, doc)
	}
	err := fx.written[name].Validate(v)
	if valid != (err == nil) {
		t.Fatalf("%s: checker says valid=%v on %q; jsonschema as written says %v", name, valid, doc, err)
	}
	return true
}

// TestVectorsAgree: on every vector of every kind the checker agrees
// with the files as written, and is sure of every valid one: every kind
// has its valid records decided without jsonschema.
func TestVectorsAgree(t *testing.T) {
	fx := load(t)
	if len(fx.names) < 21 {
		t.Fatalf("%d schema folders, want the 20 kinds and the envelope", len(fx.names))
	}
	for _, name := range fx.names {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", name, "v1", "*", "*.json"))
		if len(files) == 0 {
			t.Errorf("%s: no vectors", name)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sure := fx.agree(t, name, raw)
			if strings.Contains(f, string(filepath.Separator)+"valid"+string(filepath.Separator)) && !sure {
				t.Errorf("%s: not sure of the valid vector %s", name, f)
			}
		}
	}
}

// FuzzAgainstWritten is the differential fuzzer: for every kind (and the
// envelope), chosen by k, the checker's answer where it is sure is
// jsonschema v5's on the files as written.
func FuzzAgainstWritten(f *testing.F) {
	fx := load(f)
	for i, name := range fx.names {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", name, "v1", "*", "*.json"))
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), raw)
		}
	}
	f.Fuzz(func(t *testing.T, k uint8, doc []byte) {
		fx.agree(t, fx.names[int(k)%len(fx.names)], doc)
	})
}
