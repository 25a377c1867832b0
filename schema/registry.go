package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed jsonschema
var embedded embed.FS

// BaseURI prefixes every schema's $id: a schema at
// jsonschema/<kind>/v<N>.schema.json has the $id BaseURI+<kind>/v<N>.schema.json.
// The URIs are names, never fetched.
const BaseURI = "https://sicollab.github.io/schema/"

// Library folders under jsonschema/ that are not kinds.
const (
	commonDir   = "common"
	envelopeDir = "envelope"
)

// FS returns the embedded schema files, laid out as <kind>/v<N>.schema.json,
// plus common/v1.schema.json (shared definitions) and
// envelope/v1.schema.json.
func FS() fs.FS {
	sub, err := fs.Sub(embedded, "jsonschema")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// KindInfo describes one kind: its name, the versions embedded, and the
// description of its newest schema.
type KindInfo struct {
	// Kind is the kind's name, as envelopes carry it.
	Kind string
	// Versions are the schema versions embedded, oldest first.
	Versions []int
	// Description is the newest schema's description.
	Description string
}

// Kinds lists every kind with a schema, sorted by name.
func Kinds() []KindInfo {
	reg, err := compiled()
	if err != nil {
		return nil
	}
	return slices.Clone(reg.infos)
}

// SchemaURI returns the $id of the schema of kind at version.
func SchemaURI(kind string, version int) string {
	return BaseURI + kind + "/v" + strconv.Itoa(version) + ".schema.json"
}

type kindVersion struct {
	kind    string
	version int
}

type registry struct {
	envelope *jsonschema.Schema
	payloads map[kindVersion]*payloadSchema
	latest   map[string]int
	infos    []KindInfo
	intern   map[string]string
}

// payloadSchema is the compiled schema of one kind and version, with the
// quick check of the whole payload when its schema is simple enough for
// one (see leaves.go).
type payloadSchema struct {
	schema *jsonschema.Schema
	root   *leaf
}

// Validate checks v, a parsed payload. The quick check only decides that
// v passes; anything it does not pass goes to the schema, which reports
// the violations.
func (p *payloadSchema) Validate(v any) error {
	if p.root != nil && p.root.ok(v) {
		return nil
	}
	return p.schema.Validate(v)
}

// scan tells whether data, the bytes of a payload, certainly passes,
// without parsing it (see scan.go); false means "parse and validate".
func (p *payloadSchema) scan(data []byte, maxDepth int) bool {
	return p.root != nil && p.root.scanDocument(data, maxDepth)
}

// compiled compiles every embedded schema once per process; compiled
// schemas are immutable and safe for concurrent use, so validators share them.
var compiled = sync.OnceValues(func() (*registry, error) { return compileAll(true) })

// compileAll compiles every embedded file. With inline set, references to
// shared definitions are expanded first (see inlineRefs): the same
// constraints, fewer schema nodes to walk per record.
func compileAll(inline bool) (*registry, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.Formats[integerFormat] = isPlainInteger
	if inline {
		registerAnyRequired(c)
		registerLeaves(c)
	}
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schema: refusing to load %q: only embedded schemas are used", s)
	}
	files, err := fs.Glob(FS(), "*/v*.schema.json")
	if err != nil {
		return nil, err
	}
	intern := map[string]string{}
	type doc struct {
		kind        string
		version     int
		description string
		root        *leaf
	}
	var docs []doc
	for _, name := range files {
		raw, err := fs.ReadFile(FS(), name)
		if err != nil {
			return nil, err
		}
		kind := path.Dir(name)
		vs := strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "v"), ".schema.json")
		version, err := strconv.Atoi(vs)
		if err != nil || version < 1 {
			return nil, fmt.Errorf("schema: bad version in file name %s", name)
		}
		var head struct {
			ID          string `json:"$id"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		if want := SchemaURI(kind, version); head.ID != want {
			return nil, fmt.Errorf("schema: %s has $id %q, want %q", name, head.ID, want)
		}
		if err := collectNames(raw, intern); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		var root *leaf
		if inline {
			if raw, root, err = inlineFile(raw, kind); err != nil {
				return nil, fmt.Errorf("schema: inline %s: %w", name, err)
			}
		}
		if err := c.AddResource(head.ID, bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("schema: add %s: %w", name, err)
		}
		docs = append(docs, doc{kind, version, head.Description, root})
	}
	reg := &registry{payloads: map[kindVersion]*payloadSchema{}, latest: map[string]int{}, intern: intern}
	if reg.envelope, err = c.Compile(SchemaURI(envelopeDir, 1)); err != nil {
		return nil, err
	}
	byKind := map[string]*KindInfo{}
	for _, d := range docs {
		if d.kind == commonDir || d.kind == envelopeDir {
			continue
		}
		s, err := c.Compile(SchemaURI(d.kind, d.version))
		if err != nil {
			return nil, err
		}
		reg.payloads[kindVersion{d.kind, d.version}] = &payloadSchema{schema: s, root: d.root}
		info := byKind[d.kind]
		if info == nil {
			info = &KindInfo{Kind: d.kind}
			byKind[d.kind] = info
		}
		info.Versions = append(info.Versions, d.version)
		if d.version > reg.latest[d.kind] {
			reg.latest[d.kind] = d.version
			info.Description = d.description
		}
	}
	seen := map[*jsonschema.Schema]bool{}
	sharePatterns(reg.envelope, seen)
	for _, p := range reg.payloads {
		sharePatterns(p.schema, seen)
	}
	for _, info := range byKind {
		sort.Ints(info.Versions)
		reg.infos = append(reg.infos, *info)
	}
	sort.Slice(reg.infos, func(i, j int) bool { return reg.infos[i].Kind < reg.infos[j].Kind })
	return reg, nil
}

// payloadTypes maps each kind and version to the Go type that round-trips
// with its schema; each kind's file registers its own in init.
var payloadTypes = map[kindVersion]reflect.Type{}

func register(kind string, version int, zero any) {
	payloadTypes[kindVersion{kind, version}] = reflect.TypeOf(zero)
}

// NewPayload returns a pointer to a new zero value of the Go type of kind
// at version, ready for Envelope.DecodePayload.
func NewPayload(kind string, version int) (any, error) {
	t, ok := payloadTypes[kindVersion{kind, version}]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d has no Go type", ErrUnknownKind, kind, version)
	}
	return reflect.New(t).Interface(), nil
}

// strictUnmarshal decodes like json.Unmarshal but refuses fields the type
// does not have and trailing data.
//
// Refusing unknown fields needs a json.Decoder, and a new one allocates
// itself and a buffer it grows as it reads: a third of what decoding a
// record into its Go type allocated. Decoders are therefore pooled, each
// reading a stream that is fed one payload at a time (a stream of
// values is what a json.Decoder is for). The common case, a payload that
// decodes and is followed by nothing but space, is answered from the
// pool; anything else is decoded again by a decoder of its own, so its
// errors are encoding/json's own, and the pooled one is dropped.
func strictUnmarshal(data []byte, v any) error {
	if fastDecode(data, v) { // see fastdecode.go
		return nil
	}
	return strictUnmarshalPooled(data, v)
}

// strictUnmarshalPooled is strictUnmarshal through encoding/json alone.
func strictUnmarshalPooled(data []byte, v any) error {
	d := strictDecoders.Get().(*strictDecoder)
	base := d.fed
	d.feed.data = data
	err := d.dec.Decode(v)
	end := d.dec.InputOffset() - base
	d.fed = base + int64(len(data)-len(d.feed.data))
	d.feed.data = nil
	if err == nil && end >= 0 && end <= int64(len(data)) && onlySpace(data[end:]) {
		strictDecoders.Put(d)
		return nil
	}
	return strictUnmarshalAlone(data, v)
}

// strictDecoder is a pooled json.Decoder over the stream feed serves.
type strictDecoder struct {
	feed feeder
	dec  *json.Decoder
	fed  int64 // bytes the decoder has read from feed so far
}

var strictDecoders = sync.Pool{New: func() any {
	d := &strictDecoder{}
	d.dec = json.NewDecoder(&d.feed)
	d.dec.DisallowUnknownFields()
	return d
}}

// feeder reads out the payload it was given, then reports io.EOF (which
// spoils its decoder: only a payload that ends early reaches it).
type feeder struct{ data []byte }

func (f *feeder) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func onlySpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// strictUnmarshalAlone is strictUnmarshal with a decoder of its own.
func strictUnmarshalAlone(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return ErrTrailingData
	}
	return nil
}
