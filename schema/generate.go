package schema

//go:generate go run ./internal/gendoc -out ../docs/schemas.md
//go:generate go run ./internal/genbundle -out bundle
