package taxii_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// This file checks STIX 2.1 objects against the rules of the STIX 2.1
// specification (OASIS Standard, 10 June 2021) that apply to the objects
// this package makes, on their JSON as a consumer sees it:
//
//   - 3.1 type names: 3-250 characters, a-z, 0-9 and single hyphens;
//   - 3.2 property names: 3-250 characters, a-z, 0-9 and underscore (id
//     being STIX's own);
//   - 2.9 identifiers: "<type>--<UUID>", the type the object's own, the
//     UUID an RFC 4122 variant of version 4 or 5 (STIX allows no other);
//   - 3.2, 3.3 spec_version "2.1"; created and modified required
//     (modified not on a marking definition), timestamps in UTC "Z" with
//     exactly millisecond precision, modified not before created;
//   - 7.2 object_marking_refs: identifiers of marking definitions; here
//     exactly one of the TLP 2.0 markings on every object that is not one;
//   - 3.3 no empty list where a property is optional: omit it instead;
//   - 7.3 extensions: keys are extension-definition identifiers, each
//     value has an extension_type the definition declares; an object of a
//     type STIX does not define uses a new-sdo extension;
//   - per type: report (name, published, object_refs non-empty),
//     identity (name, identity_class from the open vocabulary),
//     marking-definition (name; extensions, or definition_type and
//     definition), extension-definition (created_by_ref, name, schema,
//     version, extension_types from the enumeration).

var (
	typeName     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$`)
	propertyName = regexp.MustCompile(`^[a-z0-9_]{3,250}$`)
	msTimestamp  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	tlp20        = map[string]string{
		"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
		"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
		"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
		"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
		"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
	}
	stixTypes = []string{ // the STIX-defined SDO, SRO and meta types
		"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
		"infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
		"opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
		"marking-definition", "language-content", "extension-definition",
	}
	extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
	identityClass  = []string{"individual", "group", "system", "organization", "class", "unknown"}
)

// checkID returns a problem with id as an identifier of type typ ("" for
// any type), or "".
func checkID(id any, typ string) string {
	s, ok := id.(string)
	if !ok {
		return fmt.Sprintf("identifier %v is not a string", id)
	}
	t, u, ok := strings.Cut(s, "--")
	if !ok || !typeName.MatchString(t) || (typ != "" && t != typ) {
		return fmt.Sprintf("identifier %q is not %s--<uuid>", s, cmpOr(typ, "<type>"))
	}
	v, err := uuid.Parse(u)
	if err != nil || len(u) != 36 || u != strings.ToLower(u) {
		return fmt.Sprintf("identifier %q: %q is not a UUID in canonical form", s, u)
	}
	if v.Variant() != uuid.RFC4122 || (v.Version() != 4 && v.Version() != 5) {
		return fmt.Sprintf("identifier %q: UUID version %d variant %s; STIX allows RFC 4122 versions 4 and 5", s, v.Version(), v.Variant())
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkTimestamp returns a problem with the property's value, or "".
func checkTimestamp(o map[string]any, prop string) (time.Time, string) {
	s, ok := o[prop].(string)
	if !ok {
		return time.Time{}, fmt.Sprintf("%s missing or not a string", prop)
	}
	if !msTimestamp.MatchString(s) {
		return time.Time{}, fmt.Sprintf("%s %q is not a UTC timestamp of millisecond precision", prop, s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Sprintf("%s %q: %v", prop, s, err)
	}
	return t, ""
}

// stixProblems returns every rule the objects break; extDefs are the
// extension definitions they may use (by id), including those among them.
func stixProblems(objs []map[string]any, extDefs map[string]map[string]any) []string {
	var out []string
	for _, o := range objs {
		out = append(out, objectProblems(o, extDefs)...)
	}
	return out
}

func objectProblems(o map[string]any, extDefs map[string]map[string]any) []string {
	var probs []string
	typ, _ := o["type"].(string)
	id, _ := o["id"].(string)
	bad := func(format string, args ...any) { probs = append(probs, id+": "+fmt.Sprintf(format, args...)) }
	if !typeName.MatchString(typ) || strings.Contains(typ, "--") {
		bad("type %q is not a STIX type name", typ)
	}
	for k, v := range o {
		if !propertyName.MatchString(k) && k != "id" { // id is STIX's own
			bad("property name %q", k)
		}
		if l, ok := v.([]any); ok && len(l) == 0 {
			bad("%s is an empty list; omit it", k)
		}
		if s, ok := v.(string); ok && s == "" {
			bad("%s is an empty string; omit it", k)
		}
	}
	if p := checkID(o["id"], typ); p != "" {
		bad("%s", p)
	}
	if o["spec_version"] != "2.1" {
		bad("spec_version %v, want 2.1", o["spec_version"])
	}
	created, p := checkTimestamp(o, "created")
	if p != "" {
		bad("%s", p)
	}
	if typ == "marking-definition" {
		if _, ok := o["modified"]; ok {
			bad("a marking definition has no modified")
		}
	} else if modified, p := checkTimestamp(o, "modified"); p != "" {
		bad("%s", p)
	} else if modified.Before(created) {
		bad("modified %s before created %s", modified, created)
	}
	if ref, ok := o["created_by_ref"]; ok {
		if p := checkID(ref, "identity"); p != "" {
			bad("created_by_ref: %s", p)
		}
	}
	if typ != "marking-definition" {
		refs, _ := o["object_marking_refs"].([]any)
		n := 0
		for _, r := range refs {
			if p := checkID(r, "marking-definition"); p != "" {
				bad("object_marking_refs: %s", p)
			}
			if _, ok := tlp20[fmt.Sprint(r)]; ok {
				n++
			}
		}
		if n != 1 {
			bad("%d TLP 2.0 markings in object_marking_refs, want exactly 1", n)
		}
	}
	exts, hasExt := o["extensions"].(map[string]any)
	newSDO := false
	for key, v := range exts {
		ext, _ := v.(map[string]any)
		if strings.HasSuffix(key, "-ext") {
			continue // a predefined SCO extension
		}
		if p := checkID(key, "extension-definition"); p != "" {
			bad("extensions key: %s", p)
			continue
		}
		et, _ := ext["extension_type"].(string)
		if !slices.Contains(extensionTypes, et) {
			bad("extensions[%s].extension_type %q", key, et)
		}
		newSDO = newSDO || et == "new-sdo"
		def, ok := extDefs[key]
		if key == "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d" { // TLP 2.0, published by OASIS
			if et != "property-extension" || tlp20[id] != ext["tlp_2_0"] {
				bad("TLP 2.0 extension %v does not match the published marking %s", ext, id)
			}
			continue
		}
		if !ok {
			bad("extension %s has no definition among the objects", key)
			continue
		}
		declared, _ := def["extension_types"].([]any)
		if !slices.Contains(declared, any(et)) {
			bad("extension %s does not declare extension type %q", key, et)
		}
		for k := range ext {
			if !propertyName.MatchString(k) {
				bad("extension property name %q", k)
			}
		}
	}
	if !slices.Contains(stixTypes, typ) && !newSDO {
		bad("type %q is not a STIX type and no new-sdo extension defines it", typ)
	}
	need := func(props ...string) {
		for _, p := range props {
			if _, ok := o[p]; !ok {
				bad("required property %s missing", p)
			}
		}
	}
	switch typ {
	case "report":
		need("name", "published", "object_refs")
		if _, p := checkTimestamp(o, "published"); p != "" {
			bad("%s", p)
		}
		refs, _ := o["object_refs"].([]any)
		if len(refs) == 0 {
			bad("object_refs empty")
		}
		for _, r := range refs {
			if p := checkID(r, ""); p != "" {
				bad("object_refs: %s", p)
			}
		}
	case "grouping":
		need("context", "object_refs")
	case "identity":
		need("name")
		if c, ok := o["identity_class"]; ok && !slices.Contains(identityClass, fmt.Sprint(c)) {
			bad("identity_class %v not in the vocabulary", c)
		}
	case "marking-definition":
		need("name")
		if !hasExt {
			need("definition_type", "definition")
		}
		if _, ok := tlp20[id]; !ok {
			bad("not a TLP 2.0 marking definition")
		}
	case "extension-definition":
		need("created_by_ref", "name", "schema", "version", "extension_types")
		ets, _ := o["extension_types"].([]any)
		for _, et := range ets {
			if !slices.Contains(extensionTypes, fmt.Sprint(et)) {
				bad("extension_types holds %v", et)
			}
		}
	}
	return probs
}

// refProblems returns every *_ref and *_refs value (top level and in
// extensions) that names no object among objs.
func refProblems(objs []map[string]any) []string {
	ids := map[string]bool{}
	for _, o := range objs {
		ids[fmt.Sprint(o["id"])] = true
	}
	var out []string
	var walk func(owner string, m map[string]any)
	walk = func(owner string, m map[string]any) {
		for k, v := range m {
			switch {
			case strings.HasSuffix(k, "_ref"):
				if !ids[fmt.Sprint(v)] {
					out = append(out, fmt.Sprintf("%s: %s %v resolves to nothing", owner, k, v))
				}
			case strings.HasSuffix(k, "_refs"):
				l, _ := v.([]any)
				for _, r := range l {
					if !ids[fmt.Sprint(r)] {
						out = append(out, fmt.Sprintf("%s: %s %v resolves to nothing", owner, k, r))
					}
				}
			}
			if sub, ok := v.(map[string]any); ok && k == "extensions" {
				for _, e := range sub {
					if em, ok := e.(map[string]any); ok {
						walk(owner, em)
					}
				}
			}
		}
	}
	for _, o := range objs {
		walk(fmt.Sprint(o["id"]), o)
	}
	return out
}

// decodeObjects turns values into the JSON objects a consumer sees.
func decodeObjects(t testing.TB, vs ...any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, v := range vs {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// extensionDefs returns the extension definitions among objs, by id.
func extensionDefs(objs []map[string]any) map[string]map[string]any {
	defs := map[string]map[string]any{}
	for _, o := range objs {
		if o["type"] == "extension-definition" {
			defs[fmt.Sprint(o["id"])] = o
		}
	}
	return defs
}
