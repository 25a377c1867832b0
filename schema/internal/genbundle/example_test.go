package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing/fstest"

	"github.com/sicollab/sicollab/schema"
)

// The bundles of a synthetic schema tree: a kind "demo.note" in two
// versions beside the shared common and envelope files. Its bundle embeds
// every file it refers to under $defs and chooses the payload's schema by
// schema_version; envelope.schema.json does the same for any kind.
func Example() {
	fsys := fstest.MapFS{
		"common/v1.schema.json":    {Data: []byte(`{"$id": "` + schema.BaseURI + `common/v1.schema.json", "$defs": {"id": {"type": "string"}}}`)},
		"envelope/v1.schema.json":  {Data: []byte(`{"$id": "` + schema.BaseURI + `envelope/v1.schema.json", "type": "object", "required": ["kind"]}`)},
		"demo.note/v1.schema.json": {Data: []byte(`{"$id": "` + schema.SchemaURI("demo.note", 1) + `", "type": "object"}`)},
		"demo.note/v2.schema.json": {Data: []byte(`{"$id": "` + schema.SchemaURI("demo.note", 2) + `", "type": "object", "required": ["text"]}`)},
	}
	files, err := render(fsys, []schema.KindInfo{{Kind: "demo.note", Versions: []int{1, 2}, Description: "A synthetic note."}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(slices.Sorted(maps.Keys(files)))
	var b struct {
		ID    string                     `json:"$id"`
		Title string                     `json:"title"`
		Defs  map[string]json.RawMessage `json:"$defs"`
		AllOf []json.RawMessage          `json:"allOf"`
	}
	if err := json.Unmarshal(files["demo.note.schema.json"], &b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.ID)
	fmt.Println(b.Title)
	fmt.Println("$defs:", slices.Sorted(maps.Keys(b.Defs)))
	fmt.Println("allOf:", len(b.AllOf), "(one per version, and the clear-identity rule)")
	// Output:
	// [demo.note.schema.json envelope.schema.json]
	// https://sicollab.github.io/schema/bundle/demo.note.schema.json
	// demo.note envelope (self-contained)
	// $defs: [common-v1 demo.note-v1 demo.note-v2 envelope-v1 no_identity]
	// allOf: 3 (one per version, and the clear-identity rule)
}
