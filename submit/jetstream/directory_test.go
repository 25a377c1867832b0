package jetstream_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	js "github.com/nats-io/nats.go/jetstream"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/natstest"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
	"github.com/sicollab/sicollab/submit/jetstream"
)

// signedScheme is the demo scheme whose leading group's key is one the
// test holds: it signs revisions, and is the trust anchor.
type signedScheme struct {
	doc  schema.Directory
	priv ed25519.PrivateKey
	key  collab.Key
}

func newSignedScheme(t *testing.T) *signedScheme {
	t.Helper()
	raw, err := os.ReadFile("../../internal/demoscheme/scheme.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &signedScheme{}
	if err := json.Unmarshal(raw, &s.doc); err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("test leading group key"))
	s.priv = ed25519.NewKeyFromSeed(seed[:])
	if s.doc.Orgs[0].ID != "leading-group" {
		t.Fatalf("first org is %s", s.doc.Orgs[0].ID)
	}
	k := &s.doc.Orgs[0].Keys[0]
	k.KeyID = "leading-group-test"
	k.PublicKey = base64.StdEncoding.EncodeToString(s.priv.Public().(ed25519.PublicKey))
	// The anchor, as the parsed directory holds it.
	raw, sig := s.sign(t, s.priv)
	d, err := collab.AcceptDirectory(raw, sig, nil, collab.DirectoryRules{})
	if err != nil {
		t.Fatal(err)
	}
	s.key = d.LeadingGroup().Keys[0]
	return s
}

// sign returns the document and its signature by priv.
func (s *signedScheme) sign(t *testing.T, priv ed25519.PrivateKey) ([]byte, []byte) {
	t.Helper()
	raw, err := json.Marshal(s.doc)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := collab.SignDirectory(raw, "leading-group-test", priv)
	if err != nil {
		t.Fatal(err)
	}
	return raw, sig
}

// addOrg adds a bank like bank-north-01 under id, with a token of its
// own, and raises the version.
func (s *signedScheme) addOrg(t *testing.T, id string) {
	t.Helper()
	for _, o := range s.doc.Orgs {
		if o.ID == "bank-north-01" {
			o.ID, o.Name, o.Keys = id, id, nil
			sum := sha256.Sum256([]byte("token-" + id))
			o.TokenSHA256 = hex.EncodeToString(sum[:])
			s.doc.Orgs = append(s.doc.Orgs, o)
			s.doc.Version++
			return
		}
	}
	t.Fatal("no bank-north-01 in the scheme")
}

// dirHub is a hub whose directory is a SharedDirectory.
type dirHub struct {
	dir *jetstream.SharedDirectory
	url string
}

func newSharedDir(t *testing.T, c *natstest.Cluster, rules collab.DirectoryRules) *jetstream.SharedDirectory {
	t.Helper()
	d, _ := newLoggedDir(t, c, rules)
	return d
}

// refusals counts the directory refusals a SharedDirectory logs.
type refusals struct {
	mu sync.Mutex
	n  int
}

func (r *refusals) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n += bytes.Count(p, []byte("shared directory refused"))
	return len(p), nil
}

func (r *refusals) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func newLoggedDir(t *testing.T, c *natstest.Cluster, rules collab.DirectoryRules) (*jetstream.SharedDirectory, *refusals) {
	t.Helper()
	r := &refusals{}
	d, err := jetstream.NewDirectory(context.Background(), c.Connect(t), jetstream.DirectoryConfig{Rules: rules,
		Logger: slog.New(slog.NewTextHandler(r, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, r
}

// newDirHub serves a hub over d (nil: a new SharedDirectory).
func newDirHub(t *testing.T, c *natstest.Cluster, rules collab.DirectoryRules, d *jetstream.SharedDirectory) *dirHub {
	t.Helper()
	if d == nil {
		d = newSharedDir(t, c, rules)
	}
	ledger, err := submit.OpenLedger(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ledger.Close() })
	h, err := submit.NewHandler(submit.HandlerConfig{Org: "central-bank", DirectorySource: d, Sink: ledger.Store(), Ledger: ledger})
	if err != nil {
		t.Fatal(err)
	}
	learnTestRequirement(t, h, d.Directory())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &dirHub{dir: d, url: srv.URL}
}

// learnTestRequirement makes h know the requirement testEnv's records
// name, over every sector and region of dir.
func learnTestRequirement(t *testing.T, h *submit.Handler, dir *collab.Directory) {
	t.Helper()
	var sectors, regions []string
	for _, o := range dir.Orgs() {
		for _, s := range o.Sectors {
			if !slices.Contains(sectors, string(s)) {
				sectors = append(sectors, string(s))
			}
		}
		if !slices.Contains(regions, o.Region) {
			regions = append(regions, o.Region)
		}
	}
	req := schema.Requirement{
		ID: "01950a00-0000-7000-8000-000000000001", Type: schema.RequirementEarlyWarning, Title: "test requirement",
		Description: "A requirement for a test.", Issuer: "leading-group", IssuedAt: t0,
		Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: sectors, Regions: regions,
			Window: schema.Window{From: t0.AddDate(-1, 0, 0), To: t0.AddDate(5, 0, 0)}},
		Priority: schema.PriorityMedium, LegalBasis: "test", Status: schema.RequirementActive,
	}
	env := schema.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Kind: schema.KindRequirement, SchemaVersion: 1, Source: "leading-group",
		CollectedAt: t0, Purpose: schema.Purpose{RequirementID: req.ID}, LegalBasis: "test",
		Handling: schema.HandlingGreen, RetainUntil: t0.AddDate(10, 0, 0)}
	if err := env.SetPayload(req); err != nil {
		t.Fatal(err)
	}
	if err := h.Purposes().(submit.Learner).Learn(context.Background(), []schema.Envelope{env}); err != nil {
		t.Fatal(err)
	}
}

// submitAs posts one record from org and returns the status.
func (h *dirHub) submitAs(t *testing.T, org string) int {
	t.Helper()
	env := testEnv(t, org)
	line, err := env.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	body := append(line, '\n')
	r, _ := http.NewRequest(http.MethodPost, h.url+submit.PathSubmissions, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer token-"+org)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Logf("%s: %d %s", org, resp.StatusCode, msg)
	}
	return resp.StatusCode
}

// waitVersion waits until every hub's directory has version v. The
// watch delivers in order, so a revision published after a refused one
// also tells the refused one was looked at.
func waitVersion(t *testing.T, v int, hubs ...*dirHub) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a bound for a loaded machine, not a timing assertion
	for _, h := range hubs {
		for d := h.dir.Directory(); d == nil || d.Version() != v; d = h.dir.Directory() {
			if time.Now().After(deadline) {
				t.Fatalf("hub directory version is not %d (%v)", v, d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestSharedDirectoryFollowedByTwoHubs: a hub publishes the first
// directory into an empty bucket; a revision published through hub A is
// taken by hub B without restart (an organization added there submits
// through B); a wrongly signed, an older and an invalid document are
// refused by Publish, and when put into the bucket behind its back are
// ignored by both hubs, which keep the one in use; a hub started with no
// directory of its own takes the bucket's.
func TestSharedDirectoryFollowedByTwoHubs(t *testing.T) {
	c := natstest.StartServer(t)
	ctx := context.Background()
	s := newSignedScheme(t)
	rules := collab.DirectoryRules{RequireSignature: true, TrustedKeys: []collab.Key{s.key}}
	first := newSharedDir(t, c, rules)
	if first.Directory() != nil {
		t.Fatal("a directory over an empty bucket")
	}
	raw1, sig1 := s.sign(t, s.priv)
	if _, err := first.Publish(ctx, raw1, sig1); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	a := &dirHub{dir: first}
	waitVersion(t, 1, a)
	a = newDirHub(t, c, rules, first)
	bDir, bRefused := newLoggedDir(t, c, rules)
	b := newDirHub(t, c, rules, bDir)
	if v := b.dir.Directory().Version(); v != 1 {
		t.Fatalf("hub B starts with version %d, want the bucket's 1", v)
	}
	if rev, err := b.dir.Publish(ctx, raw1, sig1); err != nil || rev != 0 {
		t.Fatalf("publishing the document the bucket holds: revision %d, %v; want no change", rev, err)
	}
	if st := b.submitAs(t, "bank-added-01"); st != http.StatusUnauthorized {
		t.Fatalf("an org not yet in the directory: status %d, want 401", st)
	}

	s.addOrg(t, "bank-added-01") // version 2
	raw2, sig2 := s.sign(t, s.priv)
	if _, err := a.dir.Publish(ctx, raw2, sig2); err != nil {
		t.Fatalf("publish version 2 through A: %v", err)
	}
	waitVersion(t, 2, a, b)
	if st := b.submitAs(t, "bank-added-01"); st != http.StatusOK {
		t.Fatalf("the org added at A's publish, through B: status %d, want 200", st)
	}

	// Refused by Publish.
	_, other, _ := ed25519.GenerateKey(nil)
	s.doc.Version = 3
	rawBad, sigBad := s.sign(t, other)
	raw2Spaced := append(bytes.Clone(raw2), ' ')
	sig2Spaced, err := collab.SignDirectory(raw2Spaced, "leading-group-test", s.priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		raw, sig []byte
		want     error
	}{
		{"wrongly signed", rawBad, sigBad, collab.ErrDirectorySignature},
		{"unsigned", rawBad, nil, collab.ErrDirectoryUnsigned},
		{"older version", raw1, sig1, collab.ErrDirectoryRollback},
		{"unsigned, same version", raw2, nil, collab.ErrDirectoryUnsigned},
		{"same version, other content", raw2Spaced, sig2Spaced, collab.ErrDirectoryRollback},
		{"invalid", []byte(`{"version":3}`), nil, schema.ErrInvalid},
	} {
		if _, err := b.dir.Publish(ctx, tc.raw, tc.sig); !errors.Is(err, tc.want) {
			t.Errorf("Publish %s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// Put behind Publish's back: ignored by both hubs.
	j, err := js.New(c.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := j.KeyValue(ctx, jetstream.DefaultDirectoryBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{
		map[string][]byte{"directory": rawBad, "signature": sigBad},
		map[string][]byte{"directory": raw1, "signature": sig1},
		map[string][]byte{"directory": []byte(`{"version":3}`)},
	} {
		val, _ := json.Marshal(v)
		if _, err := kv.Put(ctx, jetstream.DefaultDirectoryKey, val); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.Put(ctx, jetstream.DefaultDirectoryKey, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // a bound for a loaded machine
	for bRefused.count() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("hub B logged %d refusals of the 4 bad entries", bRefused.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, h := range []*dirHub{a, b} {
		if v := h.dir.Directory().Version(); v != 2 {
			t.Fatalf("after bad puts a hub has version %d, want 2 kept", v)
		}
	}
	// A valid version 3 is still taken: the bad entries were looked at
	// (the watch is ordered) and the old directory kept until now.
	s.doc.Version = 3
	raw3, sig3 := s.sign(t, s.priv)
	if _, err := a.dir.Publish(ctx, raw3, sig3); err != nil {
		t.Fatalf("publish version 3 over junk: %v", err)
	}
	waitVersion(t, 3, a, b)
	if st := a.submitAs(t, "bank-added-01"); st != http.StatusOK {
		t.Fatalf("through A after version 3: status %d", st)
	}
	// A third hub, with no directory of its own, has the bucket's.
	if v := newDirHub(t, c, rules, nil).dir.Directory().Version(); v != 3 {
		t.Fatalf("a new hub has version %d, want 3", v)
	}
}

// TestDirectoryConfigValidate names each bad field.
func TestDirectoryConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  jetstream.DirectoryConfig
		want string
	}{
		{jetstream.DirectoryConfig{}, ""},
		{jetstream.DirectoryConfig{Replicas: 6}, "DirectoryConfig.Replicas is 6"},
		{jetstream.DirectoryConfig{Rules: collab.DirectoryRules{RequireSignature: true}}, "DirectoryConfig.Rules.TrustedKeys is empty"},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want))) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
