package submittest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// Organizations of the directory Directory builds.
const (
	// HubOrg is the hub: a specialized department that takes in every kind.
	HubOrg = "hub"
	// LeadingGroup issues requirements, plans and tasks.
	LeadingGroup = "leading-group"
	// Partner is the default social force: it may submit every record kind
	// and feedback reports, in every sector but security, seated in Region.
	Partner = "partner-01"
	// Region is where the organizations of Directory are seated.
	Region = "CN-BJ"
)

// Token returns the bearer token of org in the directories of this
// package and in internal/demoscheme/scheme.json: "token-" + org.
func Token(org string) string { return "token-" + org }

// Directory returns a consistent directory: the leading group, HubOrg,
// Partner unless partners are given, and partners. Empty fields of a
// partner are filled: Name (the id), Tier (social_force), Sectors
// (public), Region (Region), TokenSHA256 (of Token(id)). Partners have no
// supervisor unless set, so their submissions go to HubOrg.
func Directory(partners ...schema.DirectoryOrg) (*collab.Directory, error) {
	var records, messages []string
	for _, k := range schema.Kinds() {
		if k.Kind == schema.KindDirectory {
			continue
		}
		if strings.HasPrefix(k.Kind, "collab.") {
			messages = append(messages, k.Kind)
		} else {
			records = append(records, k.Kind)
		}
	}
	if len(partners) == 0 {
		var sectors []string
		for _, s := range collab.Sectors() {
			if s != collab.SectorSecurity {
				sectors = append(sectors, string(s))
			}
		}
		partners = []schema.DirectoryOrg{{ID: Partner, Sectors: sectors,
			Submits: append(slices.Clone(records), schema.KindFeedbackReport)}}
	}
	doc := schema.Directory{Version: 1, UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	doc.Orgs = append(doc.Orgs,
		schema.DirectoryOrg{ID: LeadingGroup, Name: "Leading group", Tier: "leading_group", Sectors: []string{"security"},
			Region: Region, Submits: []string{schema.KindRequirement, schema.KindPlan, schema.KindTask},
			Receives: []string{schema.KindFeedbackReport, schema.KindTaskStatus}},
		schema.DirectoryOrg{ID: HubOrg, Name: "Hub", Tier: "specialized_department", Sectors: []string{"security"},
			Region: Region, Supervisor: LeadingGroup,
			Submits:  []string{schema.KindProduct, schema.KindEscalation, schema.KindFeedbackReport, schema.KindTaskStatus},
			Receives: append(slices.Clone(records), messages...)},
	)
	for _, p := range partners {
		if p.Name == "" {
			p.Name = p.ID
		}
		if p.Tier == "" {
			p.Tier = "social_force"
		}
		if len(p.Sectors) == 0 {
			p.Sectors = []string{"public"}
		}
		if p.Region == "" {
			p.Region = Region
		}
		doc.Orgs = append(doc.Orgs, p)
	}
	for i := range doc.Orgs {
		if doc.Orgs[i].TokenSHA256 == "" {
			sum := sha256.Sum256([]byte(Token(doc.Orgs[i].ID)))
			doc.Orgs[i].TokenSHA256 = hex.EncodeToString(sum[:])
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("submittest: directory: %w", err)
	}
	d, err := collab.ParseDirectory(raw)
	if err != nil {
		return nil, fmt.Errorf("submittest: directory: %w", err)
	}
	return d, nil
}

// config is what the options set.
type config struct {
	dir    *collab.Directory
	org    string
	limits submit.Limits
	clock  func() time.Time
	data   string
	auth   submit.Authenticator
	tls    *tls.Config
}

// Option configures a hub. Options are applied in order; an option that
// fails makes NewServer fail the test and StartServer return the error.
type Option func(*config) error

// WithDirectory serves d instead of Directory(); use WithOrg to name the
// hub's organization in it.
func WithDirectory(d *collab.Directory) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("submittest: WithDirectory: nil directory")
		}
		c.dir = d
		return nil
	}
}

// WithDirectoryFile loads the directory from a collab.directory file,
// such as internal/demoscheme/scheme.json; use WithOrg too.
func WithDirectoryFile(path string) Option {
	return func(c *config) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("submittest: WithDirectoryFile: %w", err)
		}
		defer f.Close()
		d, err := collab.LoadDirectory(f)
		if err != nil {
			return fmt.Errorf("submittest: WithDirectoryFile %s: %w", path, err)
		}
		c.dir = d
		return nil
	}
}

// WithOrg sets the hub's own organization (default HubOrg).
func WithOrg(id string) Option {
	return func(c *config) error { c.org = id; return nil }
}

// WithLimits sets the hub's limits; zero fields keep their defaults.
func WithLimits(l submit.Limits) Option {
	return func(c *config) error { c.limits = l; return nil }
}

// WithClock sets the hub's clock (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("submittest: WithClock: nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithAuthenticator sets how the hub authenticates (default
// submit.BearerTokens), e.g. submit.AllOf(submit.TLSIdentity{...},
// verifier, submit.RefuseTokens{}) with WithTLS.
func WithAuthenticator(a submit.Authenticator) Option {
	return func(c *config) error {
		if a == nil {
			return errors.New("submittest: WithAuthenticator: nil authenticator")
		}
		c.auth = a
		return nil
	}
}

// WithTLS serves the hub over TLS with tc (see submit.ServerTLSConfig):
// URL is then https.
func WithTLS(tc *tls.Config) Option {
	return func(c *config) error {
		if tc == nil {
			return errors.New("submittest: WithTLS: nil config")
		}
		c.tls = tc
		return nil
	}
}

// Server is an in-process hub on loopback, as httptest.Server is an
// in-process HTTP server.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:43121.
	URL string
	// Org is the hub's organization.
	Org string
	// Directory is the directory the hub authorizes by.
	Directory *collab.Directory
	// Store holds what the hub accepted.
	Store *submit.Store
	// Ledger holds its receipts and the ids it accepted.
	Ledger *submit.Ledger
	// Handler is the hub's submit.Handler, served by HTTP.
	Handler *submit.Handler
	// HTTP serves Handler on loopback.
	HTTP *httptest.Server

	clock   func() time.Time
	dataDir string
	tmp     bool
}

// NewServer starts a hub for a test and closes it with t.Cleanup. Its
// files live in t.TempDir(). An option that fails fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	h, err := newServer(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// StartServer starts a hub with its files in a new temporary directory,
// for examples and programs that have no testing.TB; Close stops it and
// removes them.
func StartServer(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "submittest-")
	if err != nil {
		return nil, fmt.Errorf("submittest: %w", err)
	}
	h, err := newServer(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	h.tmp = true
	return h, nil
}

func newServer(dataDir string, opts []Option) (*Server, error) {
	c := config{org: HubOrg, clock: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.dir == nil {
		d, err := Directory()
		if err != nil {
			return nil, err
		}
		c.dir = d
	}
	h := &Server{Org: c.org, Directory: c.dir, clock: c.clock, dataDir: dataDir}
	var err error
	if h.Ledger, err = submit.OpenLedger(filepath.Join(dataDir, "ledger.db")); err != nil {
		return nil, err
	}
	h.Store = h.Ledger.Store() // one file, one transaction per batch
	h.Handler, err = submit.NewHandler(submit.HandlerConfig{
		Org: c.org, Directory: c.dir, Sink: h.Store, Ledger: h.Ledger, Limits: c.limits, Clock: c.clock,
		Authenticator: c.auth,
	})
	if err != nil {
		h.Store.Close()
		h.Ledger.Close()
		return nil, err
	}
	if c.tls != nil {
		h.HTTP = httptest.NewUnstartedServer(h.Handler)
		h.HTTP.TLS = c.tls
		h.HTTP.StartTLS()
	} else {
		h.HTTP = httptest.NewServer(h.Handler)
	}
	h.URL = h.HTTP.URL
	return h, nil
}

// Close stops the server and closes the files (removing them if
// StartServer made them). NewServer's hub is closed by the test's cleanup.
func (h *Server) Close() error {
	h.HTTP.Close()
	err := errors.Join(h.Store.Close(), h.Ledger.Close())
	if h.tmp {
		err = errors.Join(err, os.RemoveAll(h.dataDir))
	}
	return err
}

// Token returns org's bearer token: Token(org).
func (h *Server) Token(org string) string { return Token(org) }

// Receipts returns every receipt org got from the hub, oldest first,
// reading the ledger page by page.
func (h *Server) Receipts(org string) ([]submit.Receipt, error) {
	var out []submit.Receipt
	q := submit.ReceiptQuery{Org: org, Limit: submit.MaxReceiptLimit}
	for {
		page, err := h.Ledger.Receipts(context.Background(), q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Receipts...)
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// Learn hands requirement and task envelopes to the hub, as if the
// leading group had submitted them.
func (h *Server) Learn(envs ...schema.Envelope) error {
	l, ok := h.Handler.Purposes().(submit.Learner)
	if !ok {
		return errors.New("submittest: the hub's Purposes does not learn")
	}
	return l.Learn(context.Background(), envs)
}

// Requirement makes the hub know a new active requirement covering kinds
// (every record kind if none), every sector and region of the directory's
// organizations, from a day ago to a year ahead of the hub's clock, and
// returns its id for envelopes' purpose.requirement_id.
func (h *Server) Requirement(kinds ...string) (string, error) {
	if len(kinds) == 0 {
		for _, k := range schema.Kinds() {
			if !strings.HasPrefix(k.Kind, "collab.") {
				kinds = append(kinds, k.Kind)
			}
		}
	}
	var sectors, regions []string
	for _, o := range h.Directory.Orgs() {
		for _, s := range o.Sectors {
			if !slices.Contains(sectors, string(s)) {
				sectors = append(sectors, string(s))
			}
		}
		if !slices.Contains(regions, o.Region) {
			regions = append(regions, o.Region)
		}
	}
	now := h.clock().UTC().Truncate(time.Second)
	rid, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	eid, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	req := schema.Requirement{
		ID: rid.String(), Type: schema.RequirementEarlyWarning, Title: "submittest requirement",
		Description: "A requirement made by submittest for a test.", Issuer: LeadingGroup, IssuedAt: now,
		Scope: schema.Scope{Kinds: kinds, Sectors: sectors, Regions: regions,
			Window: schema.Window{From: now.AddDate(-5, 0, 0), To: now.AddDate(1, 0, 0)}},
		Priority: schema.PriorityMedium, LegalBasis: "test", Status: schema.RequirementActive,
	}
	env := schema.Envelope{ID: eid.String(), Kind: schema.KindRequirement, SchemaVersion: 1, Source: LeadingGroup,
		CollectedAt: now, Purpose: schema.Purpose{RequirementID: req.ID}, LegalBasis: "test",
		Handling: schema.HandlingGreen, RetainUntil: now.AddDate(2, 0, 0)}
	if err := env.SetPayload(req); err != nil {
		return "", err
	}
	return req.ID, h.Learn(env)
}
