package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// EntryRead is the journal entry kind of a read: Org is the reader,
// Counterpart the hub's organization, Ref the collection id; Data is a
// ReadRecord.
const EntryRead = "journal.read"

// ReadRecord is the Data of an EntryRead journal entry.
type ReadRecord struct {
	// Resource is objects, manifest, object or versions.
	Resource string `json:"resource"`
	// Path and Query are the request's, as sent.
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	// Objects is how many objects (or manifest records, or versions) the
	// answer held; Products how many products they came from.
	Objects  int `json:"objects"`
	Products int `json:"products"`
}

// ReferenceCollectionID is the id of the reference collection: the
// TLP 2.0 marking definitions, our extension definition and the
// identities of the directory, which every list object refers to.
var ReferenceCollectionID = uuid.NewSHA1(idSpace, []byte("collection:reference")).String()

// CollectionID returns the id of the collection of a list type.
func CollectionID(lt schema.ListType) string {
	return uuid.NewSHA1(idSpace, []byte("collection:"+string(lt))).String()
}

// labeler is what a collab.LabeledCatalog adds that the Handler uses.
type labeler interface {
	Label(ctx context.Context, id string) (schema.Handling, error)
}

// Handler serves TAXII 2.1 for reading (sections 4 and 5) under Prefix:
//
//	GET {prefix}                                                discovery
//	GET {prefix}{root}/                                         API root
//	GET {prefix}{root}/collections/                             collections
//	GET {prefix}{root}/collections/{id}/                        one collection
//	GET {prefix}{root}/collections/{id}/objects/                objects
//	GET {prefix}{root}/collections/{id}/manifest/               manifest
//	GET {prefix}{root}/collections/{id}/objects/{object-id}/    one object
//	GET {prefix}{root}/collections/{id}/objects/{object-id}/versions/
//
// Every request is authenticated first (401 otherwise), then takes one of
// MaxInFlight slots (503 with Retry-After when none is free), then its Accept
// header must admit application/taxii+json;version=2.1 (406 otherwise).
// Only GET is served: the collections cannot be written (a POST or
// DELETE of objects is 403, any other method 405). Errors are TAXII error
// messages. Objects are served in date_added order, which is the order of
// the products' produced_at: date_added is produced_at, to the
// millisecond. Each product is served only to readers the directory lets
// read it (collab.Directory.AuthorizeRead); others do not see it at all.
// Reads of objects, manifests, one object and versions are journaled
// (EntryRead) before they are answered.
type Handler struct {
	cfg   Config
	label labeler
	root  string // Prefix + APIRoot + "/"
	mux   *http.ServeMux
	log   *slog.Logger
	slots chan struct{} // one per request in flight
}

// NewHandler returns a Handler for cfg, or cfg.Validate's error.
func NewHandler(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h := &Handler{cfg: cfg, root: cfg.Prefix + cfg.APIRoot + "/", mux: http.NewServeMux(), log: cfg.Logger,
		slots: make(chan struct{}, cfg.MaxInFlight)}
	h.label, _ = cfg.Catalog.(labeler)
	coll := h.root + "collections/{collection}/"
	h.mux.HandleFunc(cfg.Prefix+"{$}", h.discovery)
	h.mux.HandleFunc(h.root+"{$}", h.apiRoot)
	h.mux.HandleFunc(h.root+"collections/{$}", h.collections)
	h.mux.HandleFunc(coll+"{$}", h.collection)
	h.mux.HandleFunc(coll+"objects/{$}", h.objects)
	h.mux.HandleFunc(coll+"manifest/{$}", h.manifest)
	h.mux.HandleFunc(coll+"objects/{object}/{$}", h.object)
	h.mux.HandleFunc(coll+"objects/{object}/versions/{$}", h.versions)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, false, func(caller) (any, *Error) {
			return nil, problem(http.StatusNotFound, "not found", "no TAXII resource at "+r.URL.Path+"; discovery is at "+h.cfg.Prefix)
		})
	})
	return h, nil
}

// caller is the organization a request comes from, with the directory in
// use for the request.
type caller struct {
	collab.Org
	dir *collab.Directory
}

// dir returns the directory in use.
func (h *Handler) dir() *collab.Directory {
	if h.cfg.DirectorySource != nil {
		return h.cfg.DirectorySource.Directory()
	}
	return h.cfg.Directory
}

// ServeHTTP serves the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// problem is a TAXII error message of the status.
func problem(status int, title, description string) *Error {
	return &Error{Title: title, Description: description, HTTPStatus: fmt.Sprint(status)}
}

// acceptable reports whether the Accept header admits the TAXII 2.1
// media type. No Accept header admits anything.
func acceptable(header string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	for part := range strings.SplitSeq(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if w, err := strconv.ParseFloat(q, 64); err != nil || w <= 0 {
				continue // q=0: not acceptable
			}
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

// serve checks the request's method, authentication and Accept header,
// runs fn and writes what it returns: a resource (200), or an error.
// With writable, POST and DELETE are refused as writes (403).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, writable bool, fn func(caller) (any, *Error)) {
	var (
		body any
		perr *Error
	)
	dir := h.dir()
	org, aerr := h.cfg.Auth.Authenticate(r, dir)
	ok := aerr == nil && org.ID != ""
	admitted := false
	if ok {
		select {
		case h.slots <- struct{}{}:
			admitted = true
			defer func() { <-h.slots }()
		default:
		}
	}
	switch {
	case !ok:
		w.Header().Set("WWW-Authenticate", `Bearer realm="sicollab"`)
		msg := "send Authorization: Bearer <token> with your organization's token"
		if aerr != nil {
			msg = aerr.Error()
		}
		perr = problem(http.StatusUnauthorized, "unauthenticated", msg)
	case !admitted:
		w.Header().Set("Retry-After", "1")
		perr = problem(http.StatusServiceUnavailable, "overloaded", fmt.Sprintf("%d requests are in flight, the most this hub serves at once; retry after a second", h.cfg.MaxInFlight))
	case r.Method != http.MethodGet && writable && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		perr = problem(http.StatusForbidden, "collection is read only", "this hub's collections cannot be written (can_write is false)")
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		perr = problem(http.StatusMethodNotAllowed, "method not allowed", r.Method+" is not served here; use GET")
	case !acceptable(r.Header.Get("Accept")):
		perr = problem(http.StatusNotAcceptable, "not acceptable", "this server answers "+MediaTAXII+" only; send Accept: "+MediaTAXII)
	default:
		body, perr = fn(caller{Org: org, dir: dir})
	}
	status := http.StatusOK
	if perr != nil {
		body = perr
		fmt.Sscan(perr.HTTPStatus, &status)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		h.log.Error("taxii: encode response", "err", err)
		raw, status = []byte(`{"title":"internal error","http_status":"500"}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(status)
	w.Write(raw) // the connection's problem if this fails
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(caller) (any, *Error) {
		// API roots are URLs: on the host the client reached.
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		root := (&url.URL{Scheme: scheme, Host: r.Host, Path: h.root}).String()
		return Discovery{
			Title: h.cfg.Title, Description: "Domain lists of " + h.cfg.Org + " as STIX 2.1 objects",
			Default: root, APIRoots: []string{root},
		}, nil
	})
}

func (h *Handler) apiRoot(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(caller) (any, *Error) {
		return APIRoot{Title: h.cfg.Title + " lists", Versions: []string{MediaTAXII}, MaxContentLength: DefaultMaxBodyBytes}, nil
	})
}

// collectionOf returns the collection of the id and its list type ("" for
// the reference collection).
func (h *Handler) collectionOf(id string) (Collection, schema.ListType, bool) {
	if id == ReferenceCollectionID {
		return Collection{
			ID: ReferenceCollectionID, Title: "reference", Alias: "reference", CanRead: true, MediaTypes: []string{MediaSTIX},
			Description: "The TLP 2.0 marking definitions, the sicollab extension definition and the identities of the directory, which the list objects refer to.",
		}, "", true
	}
	for _, lt := range collab.ListTypes() {
		if CollectionID(lt) == id {
			return Collection{
				ID: id, Title: string(lt), Alias: string(lt), CanRead: true, MediaTypes: []string{MediaSTIX},
				Description: "The " + string(lt) + " lists held by " + h.cfg.Org + ", each a report of list entries.",
			}, lt, true
		}
	}
	return Collection{}, "", false
}

func (h *Handler) collections(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(caller) (any, *Error) {
		out := Collections{}
		for _, lt := range collab.ListTypes() {
			c, _, _ := h.collectionOf(CollectionID(lt))
			out.Collections = append(out.Collections, c)
		}
		c, _, _ := h.collectionOf(ReferenceCollectionID)
		out.Collections = append(out.Collections, c)
		return out, nil
	})
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(caller) (any, *Error) {
		c, _, ok := h.collectionOf(r.PathValue("collection"))
		if !ok {
			return nil, problem(http.StatusNotFound, "no such collection", "collection "+r.PathValue("collection")+" is not here; list them at "+h.root+"collections/")
		}
		return c, nil
	})
}

// readPage reads one page of the collection of the request for reader,
// with extra filters (one object's id), journals it as resource and sets
// the date-added headers.
func (h *Handler) readPage(w http.ResponseWriter, r *http.Request, reader caller, resource, objectID string) (page, *Error) {
	id := r.PathValue("collection")
	_, lt, ok := h.collectionOf(id)
	if !ok {
		return page{}, problem(http.StatusNotFound, "no such collection", "collection "+id+" is not here; list them at "+h.root+"collections/")
	}
	q, err := parseQuery(r.URL.Query(), h.cfg.Limit, h.cfg.MaxLimit)
	if err == nil && objectID != "" {
		q.ids = []string{objectID}
	}
	var pg page
	if err == nil {
		if id == ReferenceCollectionID {
			pg, err = h.referencePage(reader, id, &q)
		} else {
			pg, err = h.listPage(r.Context(), reader, id, lt, &q)
		}
	}
	var pe *paramError
	switch {
	case errors.As(err, &pe):
		e := problem(http.StatusBadRequest, "bad parameter", pe.Error())
		e.Details = map[string]string{"parameter": pe.param}
		return page{}, e
	case err != nil:
		h.log.Error("taxii: read", "collection", id, "err", err)
		w.Header().Set("Retry-After", "1")
		return page{}, problem(http.StatusServiceUnavailable, "unavailable", "the catalog could not be read; retry later")
	}
	rec := ReadRecord{Resource: resource, Path: r.URL.Path, Query: r.URL.RawQuery, Objects: len(pg.objects), Products: pg.products}
	data, _ := json.Marshal(rec)
	entry := collab.Entry{At: h.cfg.Clock().UTC(), Kind: EntryRead, Org: reader.ID, Counterpart: h.cfg.Org, Ref: id, Data: data}
	if _, err := h.cfg.Journal.Append(r.Context(), entry); err != nil {
		h.log.Error("taxii: journal read", "reader", reader.ID, "err", err)
		w.Header().Set("Retry-After", "1")
		return page{}, problem(http.StatusServiceUnavailable, "unavailable", "the read could not be journaled; retry later")
	}
	if n := len(pg.objects); n > 0 {
		w.Header().Set(HeaderDateAddedFirst, pg.objects[0].dateAdded.String())
		w.Header().Set(HeaderDateAddedLast, pg.objects[n-1].dateAdded.String())
	}
	return pg, nil
}

func (h *Handler) objects(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, true, func(reader caller) (any, *Error) {
		pg, perr := h.readPage(w, r, reader, "objects", "")
		if perr != nil {
			return nil, perr
		}
		env := Envelope{More: pg.more, Next: pg.next}
		for _, o := range pg.objects {
			env.Objects = append(env.Objects, o.raw)
		}
		return env, nil
	})
}

func (h *Handler) manifest(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(reader caller) (any, *Error) {
		pg, perr := h.readPage(w, r, reader, "manifest", "")
		if perr != nil {
			return nil, perr
		}
		m := Manifest{More: pg.more, Next: pg.next}
		for _, o := range pg.objects {
			m.Objects = append(m.Objects, ManifestRecord{ID: o.id, DateAdded: o.dateAdded, Version: o.version, MediaType: MediaSTIX})
		}
		return m, nil
	})
}

func (h *Handler) object(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, true, func(reader caller) (any, *Error) {
		oid := r.PathValue("object")
		pg, perr := h.readPage(w, r, reader, "object", oid)
		if perr != nil {
			return nil, perr
		}
		if len(pg.objects) == 0 && !pg.more {
			return nil, problem(http.StatusNotFound, "no such object", "object "+oid+" is not in this collection, or not for you")
		}
		env := Envelope{More: pg.more, Next: pg.next}
		for _, o := range pg.objects {
			env.Objects = append(env.Objects, o.raw)
		}
		return env, nil
	})
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, false, func(reader caller) (any, *Error) {
		oid := r.PathValue("object")
		pg, perr := h.readPage(w, r, reader, "versions", oid)
		if perr != nil {
			return nil, perr
		}
		if len(pg.objects) == 0 && !pg.more {
			return nil, problem(http.StatusNotFound, "no such object", "object "+oid+" is not in this collection, or not for you")
		}
		v := Versions{More: pg.more, Next: pg.next}
		for _, o := range pg.objects {
			v.Versions = append(v.Versions, o.version)
		}
		return v, nil
	})
}
