// Package compile holds what the schema package makes of its JSON Schema
// files: the checks that run on a document's tokens (Set, Checker), and
// the rewriting of the files into the compiled form jsonschema v5 runs
// when a record must be explained (Inline, RegisterExtensions, Leaf).
//
// # Checks on tokens
//
// A Set turns the files as written into checks that run on a document's
// tokens (see package jsontext): no map, no string, no allocation per
// record.
//
// A Checker answers one question, whether a value certainly satisfies
// its schema, and says when it is not sure: a keyword it does not
// implement, a number it cannot compare exactly, an integer written as
// 1.0 (which the schema package refuses, though JSON Schema allows it).
// Where it is sure, its answer is the answer of the schema files as
// written: FuzzAgainstWritten compares it with jsonschema v5 on every
// kind. The schema package takes its "valid" and leaves everything else
// to jsonschema, which explains what failed.
//
// # What is compiled
//
// type, enum and const (of strings), minLength, maxLength, pattern,
// format (date-time, date, uuid and the others jsonschema knows),
// minimum and maximum (integers), properties, required,
// additionalProperties, minProperties, maxProperties, items, minItems,
// maxItems, uniqueItems, contains, allOf, anyOf, oneOf, not, if, then,
// else, and $ref to a definition of any file, with keywords beside it.
// Anchored patterns of ASCII classes, groups and alternatives are
// matched on bytes, in one pass when their shape allows (see pattern.go
// and pattern_det.go). Any other keyword makes its schema "not sure".
package compile
