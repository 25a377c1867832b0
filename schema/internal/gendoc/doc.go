// Command gendoc writes docs/schemas.md from the embedded schema files, so
// the reference cannot drift from the schemas. Run it with go generate in
// package schema; a test fails when the committed file is stale.
package main
