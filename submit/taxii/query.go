package taxii

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxMatchValues is the most values one match[...] parameter may list.
const MaxMatchValues = 100

// query is the parameters of a request for objects, a manifest or
// versions (TAXII 2.1 section 3.4 and 5).
type query struct {
	addedAfter   time.Time // zero: none
	limit        int
	ids, types   []string
	versions     []string // "first", "last", "all" or timestamps in TimestampLayout
	specVersions []string
	next         string
}

// paramError is a parameter the request got wrong: a 400.
type paramError struct{ param, problem string }

func (e *paramError) Error() string { return fmt.Sprintf("parameter %s: %s", e.param, e.problem) }

// parseQuery reads the parameters; unknown ones are ignored, as TAXII
// 2.1 lets a server ignore filters it does not support.
func parseQuery(v url.Values, defLimit, maxLimit int) (query, error) {
	q := query{limit: defLimit}
	if s := v.Get("added_after"); s != "" {
		t, err := parseTimestamp(s)
		if err != nil {
			return q, &paramError{"added_after", err.Error()}
		}
		q.addedAfter = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, &paramError{"limit", fmt.Sprintf("%q is not a positive integer", s)}
		}
		q.limit = min(n, maxLimit)
	}
	q.next = v.Get("next")
	var err error
	list := func(name string) []string {
		s, ok := v[name]
		if !ok || err != nil {
			return nil
		}
		var out []string
		for _, x := range s {
			for p := range strings.SplitSeq(x, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		if len(out) > MaxMatchValues {
			err = &paramError{name, fmt.Sprintf("%d values, at most %d", len(out), MaxMatchValues)}
		}
		return out
	}
	q.ids = list("match[id]")
	q.types = list("match[type]")
	q.versions = list("match[version]")
	q.specVersions = list("match[spec_version]")
	if err != nil {
		return q, err
	}
	for i, ver := range q.versions {
		switch ver {
		case "first", "last", "all":
			continue
		}
		t, err := parseTimestamp(ver)
		if err != nil {
			return q, &paramError{"match[version]", fmt.Sprintf("%q is not first, last, all or a timestamp", ver)}
		}
		q.versions[i] = Stamp(t).String()
	}
	return q, nil
}

// object is one object of a collection, ready to serve.
type object struct {
	id, typ   string
	version   string // modified, in TimestampLayout ("" for markings: their created)
	dateAdded Timestamp
	raw       json.RawMessage
}

// matches reports whether o passes the match[...] filters. Every object
// has one version here, so first, last and all match it alike.
func (q *query) matches(o object) bool {
	if len(q.ids) > 0 && !slices.Contains(q.ids, o.id) {
		return false
	}
	if len(q.types) > 0 && !slices.Contains(q.types, o.typ) {
		return false
	}
	if len(q.specVersions) > 0 && !slices.Contains(q.specVersions, SpecVersion) {
		return false
	}
	if len(q.versions) > 0 && !slices.ContainsFunc(q.versions, func(v string) bool {
		return v == "first" || v == "last" || v == "all" || v == o.version
	}) {
		return false
	}
	return true
}

// token is what next encodes: where the previous page stopped, bound to
// the reader, the collection and the filters. For a list collection:
// the position (produced_at, id) of the last product served whole, and
// the product it stopped inside, if any, with how many of that product's
// matching objects it served; for the reference collection, the offset
// alone.
type token struct {
	V       int    `json:"v"`
	Bind    string `json:"b"`
	At      string `json:"a,omitempty"` // RFC 3339 with nanoseconds
	ID      string `json:"i,omitempty"`
	Product string `json:"p,omitempty"`
	Offset  int    `json:"o,omitempty"`
}

// binding is the fingerprint of everything a next token belongs to;
// limit is left out, so pages may change size.
func (q *query) binding(reader, collection string) string {
	raw, _ := json.Marshal([]any{reader, collection, q.addedAfter.UTC().Format(time.RFC3339Nano), q.ids, q.types, q.versions, q.specVersions})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

func (q *query) encodeNext(reader, collection string, t token) string {
	t.V, t.Bind = 1, q.binding(reader, collection)
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func (q *query) decodeNext(reader, collection string) (token, error) {
	if q.next == "" {
		return token{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(q.next)
	if err != nil {
		return token{}, &paramError{"next", "not a next value this server handed out"}
	}
	var t token
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || t.V != 1 || t.Offset < 0 || (t.At == "") != (t.ID == "") {
		return token{}, &paramError{"next", "not a next value this server handed out"}
	}
	if _, err := time.Parse(time.RFC3339Nano, t.At); t.At != "" && err != nil {
		return token{}, &paramError{"next", "not a next value this server handed out"}
	}
	if t.Bind != q.binding(reader, collection) {
		return token{}, &paramError{"next", "it belongs to another collection or other filters; start again without next"}
	}
	return t, nil
}
