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

// decoded is a payload decoded into the Go type of its kind, borrowed
// from a pool: processors decode every record and keep nothing of the Go
// value once they have encoded it again or read what they need, and
// reusing values spares the garbage collector a large object per record.
type decoded struct {
	p    any // a pointer to the value
	pool *sync.Pool
}

// release zeroes the value and gives it back; nothing may use it after.
// Strings read from it stay valid: they are not part of the value.
func (d decoded) release() {
	reflect.ValueOf(d.p).Elem().SetZero()
	d.pool.Put(d.p)
}

type kindVersion struct {
	kind    string
	version int
}

// payloadPools has a pool for each kind and version with a Go type.
var payloadPools = sync.OnceValue(func() map[kindVersion]*sync.Pool {
	pools := map[kindVersion]*sync.Pool{}
	for _, k := range schema.Kinds() {
		for _, v := range k.Versions {
			if _, err := schema.NewPayload(k.Kind, v); err != nil {
				continue
			}
			pools[kindVersion{k.Kind, v}] = &sync.Pool{New: func() any {
				p, _ := schema.NewPayload(k.Kind, v)
				return p
			}}
		}
	}
	return pools
})

// decodePayload decodes env's payload into the Go type of its kind and
// version (strictly: a field the type lacks is an error). The caller
// releases the value when done with it.
func decodePayload(env *schema.Envelope) (decoded, error) {
	pool := payloadPools()[kindVersion{env.Kind, env.SchemaVersion}]
	if pool == nil {
		_, err := schema.NewPayload(env.Kind, env.SchemaVersion)
		return decoded{}, err
	}
	d := decoded{p: pool.Get(), pool: pool}
	if err := env.DecodePayload(d.p); err != nil {
		d.release()
		return decoded{}, err
	}
	return d, nil
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
	d, err := decodePayload(&env)
	if err != nil {
		return nil, err
	}
	defer d.release()
	return uniqueSubjects(d.p), nil
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
