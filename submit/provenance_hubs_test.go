package submit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

// hostileSink is a middle hub's Sink that changes what it received
// before its Relay stamps, seals and forwards it.
type hostileSink struct {
	mu    sync.Mutex
	relay *Relay
	alter func([]schema.Envelope) []schema.Envelope
}

func (h *hostileSink) Put(ctx context.Context, envs []schema.Envelope) error {
	h.mu.Lock()
	alter := h.alter
	h.mu.Unlock()
	if alter != nil {
		envs = alter(slices.Clone(envs))
	}
	return h.relay.Put(ctx, envs)
}

func (h *hostileSink) set(alter func([]schema.Envelope) []schema.Envelope) {
	h.mu.Lock()
	h.alter = alter
	h.mu.Unlock()
}

// provenanceHubs is bank -> ministry -> department: the bank's client
// submits to the central bank's hub, whose Relay forwards through its
// own client to public security's hub, which requires signed hops. Each
// client signs with its organization's key of the directory.
type provenanceHubs struct {
	dept, ministry *fixture
	hostile        *hostileSink
	bank, fwd      *Client
}

func newProvenanceHubs(t *testing.T) *provenanceHubs {
	p := &provenanceHubs{hostile: &hostileSink{}}
	p.dept = newFixture(t, func(_ *fixture, c *HandlerConfig) {
		c.Org = "public-security"
		v, err := NewSealVerifier(SealConfig{Require: true})
		require.NoError(t, err)
		c.HopVerifier = v
	})
	client := func(endpoint, org string, relay bool, clock func() time.Time) *Client {
		id, key := fixtureKey(org)
		cfg := clientConfig(t, endpoint, t.TempDir())
		cfg.Org, cfg.Token, cfg.Signer, cfg.Relay, cfg.Clock = org, token(org), signer(t, id, key), relay, clock
		cfg.Linger = time.Hour // batches leave on Flush
		return clientNew(t, cfg)
	}
	p.ministry = newFixture(t, func(f *fixture, c *HandlerConfig) {
		p.fwd = client(p.dept.srv.URL, testHub, true, f.clock.Now)
		r, err := NewRelay(f.store, p.fwd, testHub, f.clock.Now)
		require.NoError(t, err)
		p.hostile.relay = r
		c.Sink = p.hostile
	})
	// The leading group sends the ministry's requirements to the
	// department too.
	require.Equal(t, 200, p.dept.send(post{org: testLeader, body: ndjson(p.ministry.seedLines...)}).status)
	p.bank = client(p.ministry.srv.URL, testBank, false, p.ministry.clock.Now)
	return p
}

// run submits n bank records through both hubs and returns their ids
// and the department's dead letters at the ministry, by record id.
func (p *provenanceHubs) run(t *testing.T, n int) ([]string, map[string]DeadLetter) {
	t.Helper()
	envs := make([]schema.Envelope, n)
	ids := make([]string, n)
	for i := range envs {
		envs[i] = p.ministry.envelope(testBank, schema.KindFinanceTransaction)
		ids[i] = envs[i].ID
	}
	require.NoError(t, p.bank.SubmitMany(t.Context(), envs))
	clientFlush(t, p.bank)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := p.fwd.Flush(ctx); err != nil {
		require.ErrorIs(t, err, ErrRefused)
	}
	dead := map[string]DeadLetter{}
	page, err := p.fwd.DeadLetters(ctx, DeadLetterQuery{Limit: MaxDeadLetterLimit})
	require.NoError(t, err)
	for _, d := range page.DeadLetters {
		dead[d.RecordID] = d
	}
	return ids, dead
}

// TestSignedProvenanceThreeHubs: an honest chain bank -> ministry ->
// department is accepted and verifies; a hop the middle hub forged,
// altered or removed is refused at the department with
// provenance_invalid, naming the hop and the check.
func TestSignedProvenanceThreeHubs(t *testing.T) {
	p := newProvenanceHubs(t)

	ids, dead := p.run(t, 3)
	require.Empty(t, dead, "an honest chain")
	for _, id := range ids {
		got, err := p.dept.store.Get(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, got.Provenance, 2)
		assert.Equal(t, []string{testBank, testHub}, []string{got.Provenance[0].Org, got.Provenance[1].Org})
		assert.Equal(t, int64(3), got.Provenance[0].Seal.Size, "the bank's call: one manifest")
		assert.Equal(t, int64(3), got.Provenance[1].Seal.Size, "the relayed batch: one manifest")
		require.NoError(t, VerifyChain(p.dept.dir, &got))
	}

	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	bankKeyID, _ := fixtureKey(testBank)
	hubKeyID, hubKey := fixtureKey(testHub)
	forge := func(keyID string, key ed25519.PrivateKey) func([]schema.Envelope) []schema.Envelope {
		return func(envs []schema.Envelope) []schema.Envelope {
			for i := range envs {
				e := p.ministry.envelope(testBank, schema.KindFinanceTransaction)
				e.ID = envs[i].ID // in place of the bank's record
				require.NoError(t, e.Stamp(testBank, schema.StageCollection, p.ministry.clock.Now()))
				one := []schema.Envelope{e}
				require.NoError(t, sealHops(testBank, keyID, key, one))
				envs[i] = one[0]
			}
			return envs
		}
	}
	each := func(f func(e *schema.Envelope)) func([]schema.Envelope) []schema.Envelope {
		return func(envs []schema.Envelope) []schema.Envelope {
			for i := range envs {
				envs[i].Provenance = slices.Clone(envs[i].Provenance)
				f(&envs[i])
			}
			return envs
		}
	}
	for name, tc := range map[string]struct {
		alter func([]schema.Envelope) []schema.Envelope
		want  string
	}{
		"forged with the ministry's own key": {forge(hubKeyID, hubKey), "hop 0 (bank-north-01) fails the key check"},
		"forged under the bank's key id":     {forge(bankKeyID, stranger), "hop 0 (bank-north-01) fails the signature check"},
		"bank's hop time altered": {each(func(e *schema.Envelope) {
			e.Provenance[0].At = e.Provenance[0].At.Add(-time.Second)
		}), "hop 0 (bank-north-01) fails the inclusion check"},
		"record altered under the bank's hop": {each(func(e *schema.Envelope) {
			e.Handling = schema.HandlingGreen
		}), "hop 0 (bank-north-01) fails the inclusion check"},
		"bank's hop removed": {each(func(e *schema.Envelope) {
			e.Provenance = nil
		}), "hop 0 (central-bank) fails the chain start check"},
		"bank's seal removed": {each(func(e *schema.Envelope) {
			e.Provenance[0].Seal = nil
		}), "hop 0 (bank-north-01) fails the seal missing check"},
	} {
		t.Run(name, func(t *testing.T) {
			p.hostile.set(tc.alter)
			defer p.hostile.set(nil)
			ids, dead := p.run(t, 2)
			for _, id := range ids {
				d, ok := dead[id]
				require.True(t, ok, "record %s refused at the department", id)
				assert.Equal(t, ReasonProvenanceInvalid, d.Reason)
				require.NotEmpty(t, d.Errors)
				assert.Contains(t, d.Errors[0].Message, tc.want)
				_, err := p.dept.store.Get(t.Context(), id)
				assert.ErrorIs(t, err, ErrRecordNotFound, "nothing of it stored")
			}
		})
	}
}

// TestVerifyChainOffline: a reader takes a record from the department's
// store file, after the hubs are gone, and verifies its chain with
// nothing but the directory's file.
func TestVerifyChainOffline(t *testing.T) {
	p := newProvenanceHubs(t)
	ids, dead := p.run(t, 2)
	require.Empty(t, dead)
	path := filepath.Join(p.dept.data, "store.db")
	p.dept.close() // closed twice at cleanup: Close is idempotent

	store, err := OpenStore(path)
	require.NoError(t, err)
	defer store.Close()
	dir, err := collab.ParseDirectory(demoscheme.JSON())
	require.NoError(t, err)
	for _, id := range ids {
		got, err := store.Get(t.Context(), id)
		require.NoError(t, err)
		require.NoError(t, VerifyChain(dir, &got))
		got.Payload = append(slices.Clip(got.Payload[:len(got.Payload)-1]), `,"note":"x"}`...)
		require.ErrorIs(t, VerifyChain(dir, &got), ErrProvenance, "a stored payload changed since")
	}
}

// TestClientSealsSubmit: a client whose Signer is an HTTPSigner seals
// the hop of a single Submit (a manifest of one, no path) and the hub
// that requires signed hops takes it.
func TestClientSealsSubmit(t *testing.T) {
	hub := newFixture(t, func(_ *fixture, c *HandlerConfig) {
		v, err := NewSealVerifier(SealConfig{Require: true})
		require.NoError(t, err)
		c.HopVerifier = v
	})
	id, key := fixtureKey(testBank)
	cfg := clientConfig(t, hub.srv.URL, t.TempDir())
	cfg.Org, cfg.Token, cfg.Signer, cfg.Clock = testBank, token(testBank), signer(t, id, key), hub.clock.Now
	c := clientNew(t, cfg)
	env := hub.envelope(testBank, schema.KindFinanceTransaction)
	require.NoError(t, c.Submit(t.Context(), env))
	clientFlush(t, c)
	got, err := hub.store.Get(t.Context(), env.ID)
	require.NoError(t, err)
	require.Len(t, got.Provenance, 1)
	seal := got.Provenance[0].Seal
	require.NotNil(t, seal)
	assert.Equal(t, int64(1), seal.Size)
	assert.Empty(t, seal.Path)
	require.NoError(t, VerifyChain(hub.dir, &got))
	require.Empty(t, env.Provenance, "the caller's envelope is not changed")
}
