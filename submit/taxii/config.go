package taxii

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Defaults of a Config.
const (
	DefaultPrefix       = "/taxii2/"
	DefaultAPIRoot      = "lists"
	DefaultLimit        = 100
	DefaultMaxLimit     = 1000
	DefaultMaxScan      = 10000
	DefaultMaxBodyBytes = 10 << 20
	DefaultMaxInFlight  = 64
)

// Config configures a Handler. Directory, Org, Catalog and Journal are
// required; the rest have defaults.
type Config struct {
	// Directory authorizes every read (collab.Directory.AuthorizeRead)
	// and names the identities of the reference collection. Required
	// unless DirectorySource is set.
	Directory *collab.Directory
	// DirectorySource, if set, gives the directory in use for each
	// request instead of Directory.
	DirectorySource DirectorySource
	// Org is the organization whose hub this is: the holder of its
	// products.
	Org string
	// Catalog holds the products served. If it is a collab.LabeledCatalog
	// (MemCatalog and BoltCatalog are), each product is served under the
	// label it was put with; otherwise, or for a product put without one,
	// under DefaultHandling.
	Catalog collab.Catalog
	// Journal gets an entry (EntryRead) for every read of objects,
	// manifests or versions: who, what query, how many. A read the
	// journal refuses is not served (503).
	Journal collab.Journal
	// Auth tells who a request comes from; default BearerTokens.
	Auth Authenticator
	// Prefix is the path of the discovery resource, with a slash at each
	// end; default DefaultPrefix. The API root is Prefix + APIRoot + "/".
	Prefix string
	// APIRoot is the name of the one API root; default DefaultAPIRoot.
	APIRoot string
	// Title names the server in its discovery resource; default "sicollab
	// hub <Org>".
	Title string
	// DefaultHandling is the label of products without one; default AMBER.
	DefaultHandling schema.Handling
	// Limit is the page size when a request names none; default
	// DefaultLimit. MaxLimit is the largest page: a larger limit is
	// lowered to it; default DefaultMaxLimit.
	Limit, MaxLimit int
	// MaxScan is the most products one request looks at: a page that
	// reaches it ends early, with more and next set; default
	// DefaultMaxScan.
	MaxScan int
	// MaxInFlight is the most requests served at once, after
	// authentication; one more is answered 503 with Retry-After; default
	// DefaultMaxInFlight.
	MaxInFlight int
	// Clock gives the time journal entries carry; default time.Now.
	Clock func() time.Time
	// Logger gets errors; default silent.
	Logger *slog.Logger
}

// Validate names every field that is wrong, and its value.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, value any, why string) {
		errs = append(errs, fmt.Errorf("%w: %s %v: %s", ErrInvalidConfig, field, value, why))
	}
	dir := c.Directory
	if c.DirectorySource != nil {
		dir = c.DirectorySource.Directory()
	}
	if dir == nil {
		bad("Directory", nil, "required (or DirectorySource)")
	} else if _, ok := dir.Org(c.Org); !ok {
		bad("Org", fmt.Sprintf("%q", c.Org), "not in the directory")
	}
	if c.Catalog == nil {
		bad("Catalog", nil, "required")
	}
	if c.Journal == nil {
		bad("Journal", nil, "required: every read is journaled")
	}
	if c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || !strings.HasSuffix(c.Prefix, "/")) {
		bad("Prefix", fmt.Sprintf("%q", c.Prefix), "must begin and end with /")
	}
	if strings.ContainsAny(c.APIRoot, "/{}?#") {
		bad("APIRoot", fmt.Sprintf("%q", c.APIRoot), "must be one path segment")
	}
	if _, ok := MarkingID(c.DefaultHandling); !ok {
		bad("DefaultHandling", fmt.Sprintf("%q", c.DefaultHandling), "not a TLP 2.0 label")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Limit", c.Limit}, {"MaxLimit", c.MaxLimit}, {"MaxScan", c.MaxScan}, {"MaxInFlight", c.MaxInFlight}} {
		if f.v < 0 {
			bad(f.name, f.v, "must not be negative")
		}
	}
	if c.Limit > 0 && c.MaxLimit > 0 && c.Limit > c.MaxLimit {
		bad("Limit", c.Limit, fmt.Sprintf("above MaxLimit %d", c.MaxLimit))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Auth == nil {
		c.Auth = BearerTokens{}
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.APIRoot == "" {
		c.APIRoot = DefaultAPIRoot
	}
	if c.Title == "" {
		c.Title = "sicollab hub " + c.Org
	}
	if c.DefaultHandling == "" {
		c.DefaultHandling = schema.HandlingAmber
	}
	if c.MaxLimit == 0 {
		c.MaxLimit = DefaultMaxLimit
	}
	if c.Limit == 0 {
		c.Limit = min(DefaultLimit, c.MaxLimit)
	}
	if c.MaxScan == 0 {
		c.MaxScan = DefaultMaxScan
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
