package submit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/schema"
)

// byTransport authenticates plain HTTP by bearer token and TLS by the
// secured chain, so one handler, one store and one ledger serve both
// sides of the comparison.
type byTransport struct{ secured Authenticator }

func (b byTransport) Authenticate(r *http.Request, dir *collab.Directory) (collab.Org, error) {
	if r.TLS == nil {
		return BearerTokens{}.Authenticate(r, dir)
	}
	return b.secured.Authenticate(r, dir)
}

const identityBatch = 500

// BenchmarkHubIdentity is the hub's throughput with mutual TLS, signed
// requests and signed provenance (each record's hop sealed, one manifest
// per batch, checked by a SealVerifier) against plain HTTP with a bearer
// token and unsigned hops: batches of 500 valid records, one request at
// a time, to the same Handler (validation, directory, purposes, dedupe,
// durable Store and Ledger). Two more sides take the secured path apart:
// mutual TLS and signed requests with unsigned hops ("tls"), and sealed
// hops over plain HTTP ("seal"). The four sides take turns in every
// iteration, each first in turn, so drift favours none. It reports
// records/s of the plain and secured sides and each side's throughput
// against plain, which issue 12 sets at 0.80 or more for the secured
// side, by the wall clock and by the process's CPU time (-cpu, steadier
// on a machine shared with other work):
//
//	go test ./submit -run '^$' -bench 'HubIdentity$' -benchtime 20x
func BenchmarkHubIdentity(b *testing.B) {
	const batches = 10
	v, err := NewSignatureVerifier(SignatureConfig{})
	if err != nil {
		b.Fatal(err)
	}
	seals, err := NewSealVerifier(SealConfig{})
	if err != nil {
		b.Fatal(err)
	}
	pki := newPKI(b, "scheme-ca")
	f := newFixture(b, func(_ *fixture, c *HandlerConfig) {
		c.Authenticator = byTransport{AllOf(TLSIdentity{TrustDomain: testTrustDomain}, RefuseTokens{}, v)}
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
		c.HopVerifier = seals
	})
	ts := httptest.NewUnstartedServer(f.h)
	ts.TLS = ServerTLSConfig(pki.serverCert(), pki.pool)
	ts.StartTLS()
	b.Cleanup(ts.Close)
	h := &tlsHub{fixture: f, pki: pki, ts: ts}
	secured := h.client(0, pki.orgCert(testBank))
	plain := f.srv.Client()
	id, priv := fixtureKey(testBank)
	s := signer(b, id, priv)

	bodies := func(sealed bool) [][]byte {
		out := make([][]byte, batches)
		for i := range out {
			var buf bytes.Buffer
			for _, e := range stampedBatch(b, f, s, identityBatch, sealed) {
				buf.Write(line(b, e))
				buf.WriteByte('\n')
			}
			out[i] = buf.Bytes()
		}
		return out
	}
	send := func(tlsOn bool, body []byte) {
		r := f.request(post{body: body, noAuth: tlsOn})
		c := plain
		if tlsOn {
			c = secured
			r.URL.Scheme, r.URL.Host, r.Host = "https", ts.Listener.Addr().String(), ts.Listener.Addr().String()
			if err := s.SignRequest(r); err != nil {
				b.Fatal(err)
			}
		}
		resp, err := c.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("tls %v: %d %s", tlsOn, resp.StatusCode, msg)
		}
	}
	type side struct {
		name          string
		tls, sealed   bool
		wall, cpuTime time.Duration
	}
	sides := []side{{name: "plain"}, {name: "tls", tls: true}, {name: "seal", sealed: true}, {name: "secured", tls: true, sealed: true}}
	i := 0
	for b.Loop() {
		for k := range sides {
			sd := &sides[(k+i)%len(sides)] // each side first in turn: the store grows under all
			bs := bodies(sd.sealed)
			start, cpu := time.Now(), cputime.Process()
			for _, body := range bs {
				send(sd.tls, body)
			}
			sd.wall += time.Since(start)
			sd.cpuTime += cputime.Process() - cpu
		}
		i++
	}
	n := float64(b.N * batches * identityBatch)
	b.ReportMetric(n/sides[0].wall.Seconds(), "plain-records/s")
	b.ReportMetric(n/sides[3].wall.Seconds(), "secured-records/s")
	for _, sd := range sides[1:] {
		b.ReportMetric(sides[0].wall.Seconds()/sd.wall.Seconds(), sd.name+"/plain")
		if sd.cpuTime > 0 {
			// By the process's CPU time (client and hub both run in it).
			b.ReportMetric(sides[0].cpuTime.Seconds()/sd.cpuTime.Seconds(), sd.name+"/plain-cpu")
		}
	}
}

// stampedBatch returns n valid finance.transaction envelopes of the
// bank, stamped with its collection hop and, with sealed, sealed by s.
func stampedBatch(b *testing.B, f *fixture, s HopSealer, n int, sealed bool) []schema.Envelope {
	envs := make([]schema.Envelope, n)
	for j := range envs {
		envs[j] = f.envelope(testBank, schema.KindFinanceTransaction)
		if err := envs[j].Stamp(testBank, schema.StageCollection, testNow); err != nil {
			b.Fatal(err)
		}
	}
	if sealed {
		if err := s.SealHops(testBank, envs); err != nil {
			b.Fatal(err)
		}
	}
	return envs
}

// BenchmarkClientSignature is what signing costs the client: one
// SignRequest per batch attempt, reported per request and per record at
// batches of 500.
func BenchmarkClientSignature(b *testing.B) {
	id, priv := fixtureKey(testBank)
	s := signer(b, id, priv)
	body := bytes.Repeat([]byte("x"), 1<<10)
	r, err := http.NewRequest(http.MethodPost, "https://127.0.0.1:8443"+PathSubmissions, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", MediaNDJSON)
	r.Header.Set(HeaderIdempotencyKey, newID(b))
	r.Header.Set(HeaderContentDigest, ContentDigest(body))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := s.SignRequest(r); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(per*1e6, "µs/request")
	b.ReportMetric(per*1e9/identityBatch, "ns/record@500")
}

// BenchmarkHubSignatureCheck is what SignatureVerifier costs the hub per
// request (the signature verified, the nonce remembered), without
// transport.
func BenchmarkHubSignatureCheck(b *testing.B) {
	id, priv := fixtureKey(testBank)
	s := signer(b, id, priv)
	v, err := NewSignatureVerifier(SignatureConfig{})
	if err != nil {
		b.Fatal(err)
	}
	dir := testDirectory(b)
	body := []byte("{}\n")
	reqs := make([]*http.Request, 0, 1024)
	mk := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "https://127.0.0.1:8443"+PathSubmissions, bytes.NewReader(body))
		r.Header.Set("Content-Type", MediaNDJSON)
		r.Header.Set(HeaderIdempotencyKey, newID(b))
		r.Header.Set(HeaderContentDigest, ContentDigest(body))
		r.Host = "127.0.0.1:8443"
		if err := s.SignRequest(r); err != nil {
			b.Fatal(err)
		}
		return r
	}
	b.ReportAllocs()
	var spent time.Duration
	for b.Loop() {
		if len(reqs) == 0 {
			b.StopTimer()
			for range cap(reqs) {
				reqs = append(reqs, mk())
			}
			b.StartTimer()
		}
		r := reqs[len(reqs)-1]
		reqs = reqs[:len(reqs)-1]
		start := time.Now()
		if _, err := v.Authenticate(r, dir); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	per := spent.Seconds() / float64(b.N)
	b.ReportMetric(per*1e6, "µs/request")
	b.ReportMetric(per*1e9/identityBatch, "ns/record@500")
}
