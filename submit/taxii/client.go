package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a ClientConfig.
const (
	DefaultMaxResponseBytes = 32 << 20
	DefaultMaxPages         = 10000
)

// ClientConfig configures a Client. URL is required.
type ClientConfig struct {
	// URL is the server's discovery URL, e.g. https://hub.example/taxii2/.
	URL string
	// Token is the bearer token sent with every request, if set.
	Token string
	// HTTPClient sends the requests; default a client of its own with a
	// 30 s timeout (never http.DefaultClient).
	HTTPClient *http.Client
	// MaxResponseBytes is the largest response body read; default
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxPages is the most pages one walk (Objects, Products) follows;
	// default DefaultMaxPages.
	MaxPages int
}

// Validate names every field that is wrong, and its value.
func (c ClientConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%w: URL %q: want an http or https URL of the discovery resource", ErrInvalidConfig, c.URL))
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxResponseBytes %d: must not be negative", ErrInvalidConfig, c.MaxResponseBytes))
	}
	if c.MaxPages < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxPages %d: must not be negative", ErrInvalidConfig, c.MaxPages))
	}
	return errors.Join(errs...)
}

// Client reads a TAXII 2.1 server. It is safe for concurrent use.
type Client struct {
	cfg       ClientConfig
	discovery *url.URL
}

// NewClient returns a Client for cfg, or cfg.Validate's error.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxPages == 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	u, _ := url.Parse(cfg.URL)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return &Client{cfg: cfg, discovery: u}, nil
}

// pageHeaders are the date-added headers of a page.
type pageHeaders struct{ first, last time.Time }

// get fetches ref (relative to the discovery URL) into v.
func (c *Client) get(ctx context.Context, ref string, q url.Values, v any) (pageHeaders, error) {
	u, err := c.discovery.Parse(ref)
	if err != nil {
		return pageHeaders{}, fmt.Errorf("taxii: url %q: %w", ref, err)
	}
	if q != nil {
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return pageHeaders{}, fmt.Errorf("taxii: %w", err)
	}
	req.Header.Set("Accept", MediaTAXII)
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return pageHeaders{}, fmt.Errorf("taxii: get %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return pageHeaders{}, fmt.Errorf("taxii: get %s: read: %w", u.Redacted(), err)
	}
	if int64(len(body)) > c.cfg.MaxResponseBytes {
		return pageHeaders{}, fmt.Errorf("taxii: get %s: response larger than MaxResponseBytes %d", u.Redacted(), c.cfg.MaxResponseBytes)
	}
	if mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/taxii+json" || params["version"] != "2.1" {
		return pageHeaders{}, fmt.Errorf("taxii: get %s: status %d, content type %q is not %s", u.Redacted(), resp.StatusCode, resp.Header.Get("Content-Type"), MediaTAXII)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{}
		if json.Unmarshal(body, e) != nil || e.Title == "" {
			e = &Error{Title: http.StatusText(resp.StatusCode)}
		}
		e.HTTPStatus = strconv.Itoa(resp.StatusCode)
		return pageHeaders{}, fmt.Errorf("taxii: get %s: %w", u.Redacted(), e)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return pageHeaders{}, fmt.Errorf("taxii: get %s: decode: %w", u.Redacted(), err)
	}
	var h pageHeaders
	h.first, _ = parseTimestamp(resp.Header.Get(HeaderDateAddedFirst))
	h.last, _ = parseTimestamp(resp.Header.Get(HeaderDateAddedLast))
	return h, nil
}

// Discovery returns the server's discovery resource.
func (c *Client) Discovery(ctx context.Context) (Discovery, error) {
	var d Discovery
	_, err := c.get(ctx, "", nil, &d)
	return d, err
}

// APIRoot returns the API root at root (a URL or a path, as discovery
// lists them).
func (c *Client) APIRoot(ctx context.Context, root string) (APIRoot, error) {
	var a APIRoot
	_, err := c.get(ctx, slash(root), nil, &a)
	return a, err
}

// Collections returns the collections of the API root.
func (c *Client) Collections(ctx context.Context, root string) ([]Collection, error) {
	var cs Collections
	_, err := c.get(ctx, slash(root)+"collections/", nil, &cs)
	return cs.Collections, err
}

func slash(s string) string {
	if !strings.HasSuffix(s, "/") {
		return s + "/"
	}
	return s
}

// ObjectsQuery selects objects of a collection. Zero fields are not sent.
type ObjectsQuery struct {
	// AddedAfter asks for objects added after this time.
	AddedAfter time.Time
	// Limit is the page size asked for; the server may serve fewer.
	Limit int
	// IDs, Types are match[id] and match[type].
	IDs, Types []string
	// Next is the next of the previous page.
	Next string
}

func (q ObjectsQuery) values() url.Values {
	v := url.Values{}
	if !q.AddedAfter.IsZero() {
		v.Set("added_after", Stamp(q.AddedAfter).String())
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(q.IDs) > 0 {
		v.Set("match[id]", strings.Join(q.IDs, ","))
	}
	if len(q.Types) > 0 {
		v.Set("match[type]", strings.Join(q.Types, ","))
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	return v
}

// Page is one page of objects, with the date-added range the server
// reported (zero if it sent none).
type Page struct {
	Envelope
	DateAddedFirst, DateAddedLast time.Time
}

// ObjectsPage returns one page of the collection's objects.
func (c *Client) ObjectsPage(ctx context.Context, root, collection string, q ObjectsQuery) (Page, error) {
	var p Page
	h, err := c.get(ctx, slash(root)+"collections/"+url.PathEscape(collection)+"/objects/", q.values(), &p.Envelope)
	p.DateAddedFirst, p.DateAddedLast = h.first, h.last
	return p, err
}

// Objects walks every page of the collection's objects from q on,
// following next until the server says there is no more (or MaxPages).
// The walk stops at the first error, which it yields.
func (c *Client) Objects(ctx context.Context, root, collection string, q ObjectsQuery) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		for range c.cfg.MaxPages {
			p, err := c.ObjectsPage(ctx, root, collection, q)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, o := range p.Objects {
				if !yield(o, nil) {
					return
				}
			}
			if !p.More || p.Next == "" {
				return
			}
			q.Next = p.Next
		}
		yield(nil, fmt.Errorf("taxii: collection %s: more than MaxPages %d pages", collection, c.cfg.MaxPages))
	}
}

// Products reads every product of the collection from q on and turns
// them back into products (DecodeProducts), in the order the server
// added them.
func (c *Client) Products(ctx context.Context, root, collection string, q ObjectsQuery) ([]Received, error) {
	var objs []json.RawMessage
	for o, err := range c.Objects(ctx, root, collection, q) {
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return DecodeProducts(objs)
}
