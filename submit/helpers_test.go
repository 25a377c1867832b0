package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

// The test scheme: internal/demoscheme's scheme.json plus "observer-01", a
// social force that may submit nothing. The hub is the central bank.
const (
	testHub      = "central-bank"
	testBank     = "bank-north-01"   // finance, CN-BJ, supervised by the hub
	testBank2    = "bank-south-02"   // finance, CN-GD
	testPayment  = "payment-east-01" // finance, CN-SH: outside the requirement's regions
	testLeader   = "leading-group"
	testHotel    = "hotel-north-01"
	testObserver = "observer-01"
)

// testNow is the fake clock's start.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func token(org string) string { return "token-" + org }

var (
	dirOnce sync.Once
	dirVal  *collab.Directory
	dirErr  error
)

// testDirectory returns the test scheme.
func testDirectory(t testing.TB) *collab.Directory {
	t.Helper()
	dirOnce.Do(func() {
		raw := demoscheme.JSON()
		var doc schema.Directory
		if err := json.Unmarshal(raw, &doc); err != nil {
			dirErr = err
			return
		}
		doc.Orgs = append(doc.Orgs, schema.DirectoryOrg{
			ID: testObserver, Name: "Observer", Tier: "social_force", Sectors: []string{"public"},
			Region: "CN-BJ", TokenSHA256: sha256Hex(token(testObserver)),
		})
		raw, _ = json.Marshal(doc)
		dirVal, dirErr = collab.ParseDirectory(raw)
	})
	require.NoError(t, dirErr)
	return dirVal
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a hub on loopback with its files in a temp dir.
type fixture struct {
	t      testing.TB
	dir    *collab.Directory
	clock  *fakeClock
	data   string
	store  *Store
	ledger *Ledger
	h      *Handler
	srv    *httptest.Server
	cfg    HandlerConfig
	// oneFile: the store is the ledger's (see oneFile)
	oneFile bool

	reqID     string // an active requirement covering finance.transaction in CN-BJ and CN-GD
	expiredID string // a requirement whose valid_until has passed
	taskID    string // a task under reqID for bank-north-01

	seedLines [][]byte // the requirement, expired requirement and task

	mu    sync.Mutex
	valid map[string]bool // ids of records the test made valid
}

// newFixture starts a hub; mutate, if set, changes its config (the Sink
// is the fixture's Store unless mutate sets another).
func newFixture(t testing.TB, mutate func(*fixture, *HandlerConfig)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: testDirectory(t), clock: &fakeClock{now: testNow}, data: t.TempDir(), valid: map[string]bool{}}
	f.open()
	t.Cleanup(f.close) // before mutate's cleanups, so that it runs after them
	f.cfg = HandlerConfig{Org: testHub, Directory: f.dir, Sink: f.store, Ledger: f.ledger, Clock: f.clock.Now}
	if mutate != nil {
		mutate(f, &f.cfg)
	}
	f.start()
	f.seedPurposes()
	return f
}

func (f *fixture) open() {
	var err error
	f.ledger, err = OpenLedger(filepath.Join(f.data, "ledger.db"))
	require.NoError(f.t, err)
	if f.oneFile {
		f.store = f.ledger.Store()
		return
	}
	f.store, err = OpenStore(filepath.Join(f.data, "store.db"))
	require.NoError(f.t, err)
}

// oneFile is a mutate of newFixture: the hub's Store is the Ledger's
// (Ledger.Store), written in the ledger's commit.
func oneFile(f *fixture, c *HandlerConfig) {
	f.store.Close()
	f.oneFile = true
	f.store = f.ledger.Store()
	c.Sink = f.store
}

func (f *fixture) start() {
	h, err := NewHandler(f.cfg)
	require.NoError(f.t, err)
	f.h = h
	f.srv = httptest.NewServer(h)
}

func (f *fixture) close() {
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
	f.store.Close()
	f.ledger.Close()
}

// restart closes the server, store and ledger and opens them again over
// the same files.
func (f *fixture) restart() {
	f.close()
	f.open()
	f.cfg.Sink, f.cfg.Ledger, f.cfg.Purposes = f.store, f.ledger, nil
	f.start()
}

func newID(t testing.TB) string {
	id, err := uuid.NewV7()
	require.NoError(t, err)
	return id.String()
}

func readPayload(t testing.TB, path string) json.RawMessage {
	raw, err := os.ReadFile(filepath.Join("../schema/testdata", path))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.Bytes()
}

// envelope returns a valid envelope of kind from source, under the
// fixture's requirement, with a payload from the schema's test vectors.
func (f *fixture) envelope(source, kind string) schema.Envelope {
	payloads := map[string]string{
		schema.KindFinanceTransaction: "finance.transaction/v1/valid/card_payment_merchant.json",
		schema.KindTransportPassenger: "transport.passenger/v1/valid/coach_no_show_minimal.json",
		schema.KindServicesLodging:    "services.lodging/v1/valid/hotel_business_passport_checked_out.json",
	}
	p, ok := payloads[kind]
	require.True(f.t, ok, "no payload for %s", kind)
	return schema.Envelope{
		ID: newID(f.t), Kind: kind, SchemaVersion: 1, Source: source,
		CollectedAt: testNow.Add(-time.Hour), Purpose: schema.Purpose{RequirementID: f.reqID},
		LegalBasis: "Synthetic AML Act, s. 9", Handling: schema.HandlingAmber,
		RetainUntil: testNow.AddDate(1, 0, 0), Payload: readPayload(f.t, p),
	}
}

// line marshals env as one NDJSON line (without the line end).
func line(t testing.TB, env schema.Envelope) []byte {
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return b
}

// validLine returns a valid finance.transaction from source and records
// its id as one the hub may store.
func (f *fixture) validLine(source string) ([]byte, string) {
	env := f.envelope(source, schema.KindFinanceTransaction)
	f.mu.Lock()
	f.valid[env.ID] = true
	f.mu.Unlock()
	return line(f.t, env), env.ID
}

func ndjson(lines ...[]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// post is a request under construction; zero fields take valid values.
type post struct {
	org      string // token-<org>; "" for bank-north-01
	auth     string // the whole Authorization header, overriding org
	noAuth   bool
	key      string // "" for a new UUID
	noKey    bool
	digest   string // "" for the body's
	noDigest bool
	ctype    string // "" for application/x-ndjson
	noCtype  bool
	enc      string
	body     []byte
	chunked  bool
	method   string
	path     string
	add      [][2]string // headers added after the others (a second value of one, say)
}

func (f *fixture) request(p post) *http.Request {
	f.t.Helper()
	method, path := p.method, p.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = PathSubmissions
	}
	var body io.Reader = bytes.NewReader(p.body)
	if p.chunked {
		body = io.MultiReader(bytes.NewReader(p.body)) // hides the length: sent chunked
	}
	r, err := http.NewRequestWithContext(context.Background(), method, f.srv.URL+path, body)
	require.NoError(f.t, err)
	switch {
	case p.noAuth:
	case p.auth != "":
		r.Header.Set("Authorization", p.auth)
	default:
		org := p.org
		if org == "" {
			org = testBank
		}
		r.Header.Set("Authorization", "Bearer "+token(org))
	}
	if !p.noKey {
		k := p.key
		if k == "" {
			k = newID(f.t)
		}
		r.Header.Set(HeaderIdempotencyKey, k)
	}
	if !p.noDigest {
		d := p.digest
		if d == "" {
			d = ContentDigest(p.body)
		}
		r.Header.Set(HeaderContentDigest, d)
	}
	if !p.noCtype {
		ct := p.ctype
		if ct == "" {
			ct = MediaNDJSON
		}
		r.Header.Set("Content-Type", ct)
	}
	if p.enc != "" {
		r.Header.Set("Content-Encoding", p.enc)
	}
	for _, kv := range p.add {
		r.Header.Add(kv[0], kv[1])
	}
	return r
}

// response is what the hub answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem(t testing.TB) Problem {
	t.Helper()
	require.Equal(t, MediaProblem, r.header.Get("Content-Type"), "body: %s", r.body)
	var p Problem
	require.NoError(t, json.Unmarshal(r.body, &p), "body: %s", r.body)
	return p
}

func (r response) receipt(t testing.TB) Receipt {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var rc Receipt
	require.NoError(t, json.Unmarshal(r.body, &rc), "body: %s", r.body)
	return rc
}

func (f *fixture) do(r *http.Request) response {
	f.t.Helper()
	resp, err := f.srv.Client().Do(r)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{resp.StatusCode, resp.Header, b}
}

func (f *fixture) send(p post) response {
	f.t.Helper()
	return f.do(f.request(p))
}

// seedPurposes submits, as the leading group, an active requirement, an
// expired one and a task, and checks they were accepted.
func (f *fixture) seedPurposes() {
	f.t.Helper()
	f.reqID, f.expiredID, f.taskID = newID(f.t), newID(f.t), newID(f.t)
	past := testNow.Add(-24 * time.Hour)
	scope := schema.Scope{
		Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
		Regions: []string{"CN-BJ", "CN-GD"},
		Window:  schema.Window{From: testNow.AddDate(0, -3, 0), To: testNow.AddDate(0, 6, 0)},
	}
	req := func(id string, validUntil *time.Time) schema.Requirement {
		return schema.Requirement{
			ID: id, Type: schema.RequirementEarlyWarning, Title: "Corridor watch",
			Description: "Report transactions matching the corridor indicators.", Issuer: testLeader,
			IssuedAt: testNow.AddDate(0, -3, 0), Scope: scope, Priority: schema.PriorityHigh,
			LegalBasis: "Synthetic Counter-Terrorism Act, art. 43", Status: schema.RequirementActive,
			ValidUntil: validUntil,
		}
	}
	task := schema.Task{
		ID: f.taskID, PlanID: newID(f.t), RequirementID: f.reqID, Issuer: testLeader,
		Assignee: []string{testBank}, Title: "March corridor extract", Instructions: "Submit matching transactions.",
		Stage: schema.StageCollection, Kinds: []string{schema.KindFinanceTransaction}, Priority: schema.PriorityHigh,
		IssuedAt: testNow.AddDate(0, -1, 0), Deadline: testNow.AddDate(0, 1, 0),
	}
	var lines [][]byte
	for _, p := range []struct {
		kind string
		v    any
	}{{schema.KindRequirement, req(f.reqID, nil)}, {schema.KindRequirement, req(f.expiredID, &past)}, {schema.KindTask, task}} {
		env := schema.Envelope{
			ID: newID(f.t), Kind: p.kind, SchemaVersion: 1, Source: testLeader, CollectedAt: testNow.Add(-2 * time.Hour),
			Purpose: schema.Purpose{RequirementID: f.reqID}, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
			Handling: schema.HandlingAmber, RetainUntil: testNow.AddDate(2, 0, 0),
		}
		require.NoError(f.t, env.SetPayload(p.v))
		f.valid[env.ID] = true
		lines = append(lines, line(f.t, env))
	}
	f.seedLines = lines
	rc := f.send(post{org: testLeader, body: ndjson(lines...)}).receipt(f.t)
	require.Equal(f.t, 3, rc.Counts.Accepted, "seed: %+v", rc.Results)
}

// assertStoreClean fails if the store holds a record the test did not
// make valid.
func (f *fixture) assertStoreClean() {
	f.t.Helper()
	for _, k := range schema.Kinds() {
		cursor := ""
		for {
			page, err := f.store.Scan(context.Background(), ScanQuery{Kind: k.Kind, Cursor: cursor, Limit: MaxScanLimit})
			require.NoError(f.t, err)
			for _, e := range page.Records {
				require.True(f.t, f.valid[e.ID], "store holds %s (%s) the test did not make valid", e.ID, e.Kind)
			}
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
