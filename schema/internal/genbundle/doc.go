// Command genbundle writes schema/bundle: one self-contained JSON Schema
// 2020-12 file per kind for the whole envelope, and one for an envelope of
// any kind, so that a partner's validator in any language gives the verdict
// the Go validator gives. Each bundle embeds the schema files it needs as
// schema resources under $defs (each keeps its own $id, so every reference
// resolves inside the file, with no network), dispatches the payload by kind
// and schema_version, and states the rule that a clear identity needs
// handling AMBER+STRICT or RED. Run it with go generate in package schema;
// CI fails when the committed files are stale.
package main
