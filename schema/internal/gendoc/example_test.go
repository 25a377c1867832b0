package main

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// The reference of a synthetic schema tree: a kind "demo.note" whose
// fields refer to a shared definition in common and to one of its own.
// The example prints the kind's section of the page: one row per field,
// nested fields by their path, with the rules the schema states.
func Example() {
	fsys := fstest.MapFS{
		"common/v1.schema.json": {Data: []byte(`{"$defs": {"uuid": {"type": "string", "format": "uuid",
			"description": "A UUID."}}}`)},
		"envelope/v1.schema.json": {Data: []byte(`{"$id": "envelope/v1", "description": "The envelope.",
			"type": "object", "properties": {"kind": {"type": "string"}}}`)},
		"demo.note/v1.schema.json": {Data: []byte(`{"$id": "demo.note/v1", "description": "A synthetic note.",
			"type": "object", "required": ["id", "text"], "properties": {
				"id": {"$ref": "../common/v1.schema.json#/$defs/uuid"},
				"text": {"type": "string", "maxLength": 280, "description": "What the note says."},
				"tags": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/tag"}}},
			"$defs": {"tag": {"type": "object", "properties": {
				"name": {"type": "string", "enum": ["red", "green"], "description": "A colour."}}}}}`)},
	}
	doc, err := render(fsys)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, section, _ := strings.Cut(string(doc), "## demo.note\n")
	section, _, _ = strings.Cut(section, "\n## ")
	fmt.Println(strings.TrimSpace(section))
	// Output:
	// Version 1, `$id` `demo.note/v1`.
	//
	// A synthetic note.
	//
	// | field | type | required | rule | description |
	// |---|---|---|---|---|
	// | `id` | string | yes | format uuid | A UUID. |
	// | `tags` | array of `tag` |  | at most 3 items |  |
	// | `tags[].name` | string |  | one of `red`, `green` | A colour. |
	// | `text` | string | yes | at most 280 chars | What the note says. |
}
