package submit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sicollab/sicollab/internal/cputime"
	"github.com/sicollab/sicollab/schema"
)

// BenchmarkHubManifestLeaves weighs ManifestLeaves: the secured path of
// BenchmarkHubIdentity (mutual TLS, signed requests, every hop sealed
// and verified) with the client's records sealed in manifests of 256
// leaves against the same records sealed in manifests of 64 and of 32
// (a SealHops call per chunk), interleaved per iteration to one handler.
// A smaller manifest shortens every record's path by 43 characters per
// level and adds an Ed25519 signature for the hub to verify per chunk.
// It reports 256/<n>-cpu, the process CPU of the 256-leaf batches over
// that of the smaller ones (below 1: 256 leaves cost less):
//
//	go test ./submit -run '^$' -bench HubManifestLeaves -benchtime 5x
func BenchmarkHubManifestLeaves(b *testing.B) {
	for _, small := range []int{64, 32} {
		b.Run(strconv.Itoa(small), func(b *testing.B) { benchManifestLeaves(b, small) })
	}
}

func benchManifestLeaves(b *testing.B, small int) {
	const batches = 10
	v, err := NewSignatureVerifier(SignatureConfig{})
	if err != nil {
		b.Fatal(err)
	}
	seals, err := NewSealVerifier(SealConfig{Require: true})
	if err != nil {
		b.Fatal(err)
	}
	pki := newPKI(b, "scheme-ca")
	f := newFixture(b, func(_ *fixture, c *HandlerConfig) {
		c.Authenticator = byTransport{AllOf(TLSIdentity{TrustDomain: testTrustDomain}, RefuseTokens{}, v)} // the fixture checks itself over plain HTTP
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
		c.HopVerifier = seals
	})
	ts := httptest.NewUnstartedServer(f.h)
	ts.TLS = ServerTLSConfig(pki.serverCert(), pki.pool)
	ts.StartTLS()
	b.Cleanup(ts.Close)
	c := (&tlsHub{fixture: f, pki: pki, ts: ts}).client(0, pki.orgCert(testBank))
	id, priv := fixtureKey(testBank)
	s := signer(b, id, priv)

	bodies := func(leaves int) [][]byte {
		out := make([][]byte, batches)
		for i := range out {
			envs := make([]schema.Envelope, identityBatch)
			for j := range envs {
				envs[j] = f.envelope(testBank, schema.KindFinanceTransaction)
				if err := envs[j].Stamp(testBank, schema.StageCollection, testNow); err != nil {
					b.Fatal(err)
				}
			}
			for k := 0; k < len(envs); k += leaves {
				if err := s.SealHops(testBank, envs[k:min(k+leaves, len(envs))]); err != nil {
					b.Fatal(err)
				}
			}
			var buf bytes.Buffer
			for _, e := range envs {
				buf.Write(line(b, e))
				buf.WriteByte('\n')
			}
			out[i] = buf.Bytes()
		}
		return out
	}
	run := func(bodies [][]byte) time.Duration {
		cpu := cputime.Process()
		for _, body := range bodies {
			r := f.request(post{body: body, noAuth: true})
			r.URL.Scheme, r.URL.Host, r.Host = "https", ts.Listener.Addr().String(), ts.Listener.Addr().String()
			if err := s.SignRequest(r); err != nil {
				b.Fatal(err)
			}
			resp, err := c.Do(r)
			if err != nil {
				b.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("%d %s", resp.StatusCode, msg)
			}
		}
		return cputime.Process() - cpu
	}
	var cBig, cSmall time.Duration
	i := 0
	for b.Loop() {
		big, sm := bodies(ManifestLeaves), bodies(small)
		if i%2 == 0 { // alternate which side goes first: the store grows under both
			cBig += run(big)
			cSmall += run(sm)
		} else {
			cSmall += run(sm)
			cBig += run(big)
		}
		i++
	}
	if cSmall > 0 {
		b.ReportMetric(cBig.Seconds()/cSmall.Seconds(), "256/"+strconv.Itoa(small)+"-cpu")
	}
}
