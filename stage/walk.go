package stage

import (
	"reflect"
	"sync"

	"github.com/sicollab/sicollab/schema"
)

var (
	subjectType = reflect.TypeFor[schema.Subject]()
	schemaPkg   = subjectType.PkgPath()
)

// decodePayload decodes env's payload into the Go type of its kind and
// version (strictly: a field the type lacks is an error) and returns a
// pointer to it.
func decodePayload(env *schema.Envelope) (any, error) {
	v, err := schema.NewPayload(env.Kind, env.SchemaVersion)
	if err != nil {
		return nil, err
	}
	if err := env.DecodePayload(v); err != nil {
		return nil, err
	}
	return v, nil
}

// walk visits v and everything it holds that package schema defines:
// fields of structs (by name), elements of slices, what pointers point
// at. visit is called on each value before its contents, with the name of
// the field it is (or whose element it is); it returns false to skip the
// contents. Values are addressable, so visit may set them.
func walk(v reflect.Value, field string, visit func(field string, v reflect.Value) bool) {
	if !visit(field, v) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), field, visit)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), field, visit)
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			walk(v.Field(f.index), f.name, visit)
		}
	}
}

// structField is an exported field of one of package schema's structs.
type structField struct {
	index int
	name  string
}

// structFields caches fieldsOf: reflect.Type.Field copies a whole
// StructField, and walk asks for every field of every record.
var structFields sync.Map // reflect.Type -> []structField

// fieldsOf returns t's exported fields, none for a struct of another
// package (time.Time and the like: nothing of ours inside).
func fieldsOf(t reflect.Type) []structField {
	if fs, ok := structFields.Load(t); ok {
		return fs.([]structField)
	}
	var fs []structField
	if t.PkgPath() == schemaPkg {
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				fs = append(fs, structField{i, f.Name})
			}
		}
	}
	structFields.Store(t, fs)
	return fs
}

// subjects calls fn for every Subject in the payload value p (a pointer),
// with the name of the field holding it. fn may change the subject.
func subjects(p any, fn func(field string, s *schema.Subject) error) error {
	var err error
	walk(reflect.ValueOf(p), "", func(field string, v reflect.Value) bool {
		if err != nil {
			return false
		}
		if v.Type() == subjectType {
			err = fn(field, v.Addr().Interface().(*schema.Subject))
			return false
		}
		return true
	})
	return err
}

// Subjects returns every subject in env's payload that has a pseudonym,
// in the order of the payload's Go type, without duplicates (the same
// pseudonym under the same key id appears once). The payload is decoded
// with its kind's Go type; a kind without one is an error.
func Subjects(env schema.Envelope) ([]schema.Subject, error) {
	p, err := decodePayload(&env)
	if err != nil {
		return nil, err
	}
	return uniqueSubjects(p), nil
}

// uniqueSubjects returns the subjects in the payload value p that have a
// pseudonym, each (key id, pseudonym) once, without clear identity.
func uniqueSubjects(p any) []schema.Subject {
	var out []schema.Subject
	seen := map[[2]string]bool{}
	_ = subjects(p, func(_ string, s *schema.Subject) error {
		k := [2]string{s.KeyID, s.Pseudonym}
		if s.Pseudonym != "" && !seen[k] {
			seen[k] = true
			c := *s
			c.Identity = nil
			out = append(out, c)
		}
		return nil
	})
	return out
}
