package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// blockingSink passes Puts through until armed; then it holds each Put
// until released.
type blockingSink struct {
	inner   Sink
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	armed   bool
	once    sync.Once
}

func newBlockingSink(inner Sink) *blockingSink {
	return &blockingSink{inner: inner, entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blockingSink) arm() {
	b.mu.Lock()
	b.armed = true
	b.mu.Unlock()
}

func (b *blockingSink) Put(ctx context.Context, envs []schema.Envelope) error {
	b.mu.Lock()
	armed := b.armed
	b.mu.Unlock()
	if armed {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.inner.Put(ctx, envs)
}

func (b *blockingSink) Release() { b.once.Do(func() { close(b.release) }) }

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is 100 MiB of zeros, gzipped to about 100 KiB.
func gzipBomb(t testing.TB) []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		chunk := make([]byte, 1<<20)
		for range 100 {
			w.Write(chunk)
		}
		w.Close()
		bomb = buf.Bytes()
	})
	return bomb
}

// hostile is one row of TestHostileRequests.
type hostile struct {
	name string
	cfg  func(*fixture, *HandlerConfig)
	// req builds the request; it may submit others first.
	req    func(t *testing.T, f *fixture) post
	status int
	typ    string
	limit  string // Problem.Limit on 413
	// reason and keyword, on 422: every result is rejected with reason,
	// and the first violation of the first has keyword (if set).
	reason  Reason
	keyword string
	retry   string // the Retry-After expected, if any
}

// env builds one envelope line with changes.
func envLine(f *fixture, source, kind string, change func(*schema.Envelope)) []byte {
	e := f.envelope(source, kind)
	if change != nil {
		change(&e)
	}
	return line(f.t, e)
}

func body(lines ...[]byte) func(*testing.T, *fixture) post {
	return func(_ *testing.T, _ *fixture) post { return post{body: ndjson(lines...)} }
}

func TestHostileRequests(t *testing.T) {
	valid := func(f *fixture) []byte { l, _ := f.validLine(testBank); return l }
	withValid := func(change func(f *fixture, p *post)) func(*testing.T, *fixture) post {
		return func(_ *testing.T, f *fixture) post {
			p := post{body: ndjson(valid(f))}
			change(f, &p)
			return p
		}
	}
	rows := []hostile{
		// 401, 403
		{name: "no token", req: withValid(func(_ *fixture, p *post) { p.noAuth = true }), status: 401, typ: ProblemUnauthenticated},
		{name: "wrong token", req: withValid(func(_ *fixture, p *post) { p.auth = "Bearer token-nobody" }), status: 401, typ: ProblemUnauthenticated},
		{name: "empty bearer", req: withValid(func(_ *fixture, p *post) { p.auth = "Bearer " }), status: 401, typ: ProblemUnauthenticated},
		{name: "basic auth", req: withValid(func(_ *fixture, p *post) { p.auth = "Basic dG9rZW4tYmFuay1ub3J0aC0wMQ==" }), status: 401, typ: ProblemUnauthenticated},
		{name: "token with trailing garbage", req: withValid(func(_ *fixture, p *post) { p.auth = "Bearer token-bank-north-01x" }), status: 401, typ: ProblemUnauthenticated},
		{name: "org may submit nothing", req: withValid(func(_ *fixture, p *post) { p.org = testObserver }), status: 403, typ: ProblemForbidden},
		// 415
		{name: "media type json", req: withValid(func(_ *fixture, p *post) { p.ctype = "application/json" }), status: 415, typ: ProblemUnsupportedMedia},
		{name: "no media type", req: withValid(func(_ *fixture, p *post) { p.noCtype = true }), status: 415, typ: ProblemUnsupportedMedia},
		{name: "ndjson latin1", req: withValid(func(_ *fixture, p *post) { p.ctype = MediaNDJSON + "; charset=latin1" }), status: 415, typ: ProblemUnsupportedMedia},
		{name: "unparsable media type", req: withValid(func(_ *fixture, p *post) { p.ctype = "application/x-ndjson; ;;=" }), status: 415, typ: ProblemUnsupportedMedia},
		{name: "encoding br", req: withValid(func(_ *fixture, p *post) { p.enc = "br" }), status: 415, typ: ProblemUnsupportedMedia},
		{name: "encoding gzip twice", req: withValid(func(_ *fixture, p *post) { p.enc = "gzip, gzip" }), status: 415, typ: ProblemUnsupportedMedia},
		// 400 headers
		{name: "no idempotency key", req: withValid(func(_ *fixture, p *post) { p.noKey = true }), status: 400, typ: ProblemBadIdempotency},
		{name: "idempotency key not a uuid", req: withValid(func(_ *fixture, p *post) { p.key = "batch-1" }), status: 400, typ: ProblemBadIdempotency},
		{name: "idempotency key in braces", req: withValid(func(f *fixture, p *post) { p.key = "{" + newID(f.t)[:34] + "}" }), status: 400, typ: ProblemBadIdempotency},
		{name: "idempotency key urn", req: withValid(func(f *fixture, p *post) { p.key = "urn:uuid:" + newID(f.t) }), status: 400, typ: ProblemBadIdempotency},
		{name: "no digest", req: withValid(func(_ *fixture, p *post) { p.noDigest = true }), status: 400, typ: ProblemDigestMismatch},
		{name: "wrong digest", req: withValid(func(_ *fixture, p *post) { p.digest = ContentDigest([]byte("other")) }), status: 400, typ: ProblemDigestMismatch},
		{name: "digest sha-512 only", req: withValid(func(_ *fixture, p *post) { p.digest = "sha-512=:AAAA:" }), status: 400, typ: ProblemDigestMismatch},
		{name: "digest without colons", req: withValid(func(_ *fixture, p *post) {
			p.digest = strings.Trim(strings.TrimPrefix(ContentDigest(p.body), "sha-256="), ":")
		}), status: 400, typ: ProblemDigestMismatch},
		{name: "digest short", req: withValid(func(_ *fixture, p *post) { p.digest = "sha-256=:AAAA:" }), status: 400, typ: ProblemDigestMismatch},
		{name: "digest of uncompressed body", req: withValid(func(f *fixture, p *post) {
			p.digest, p.body, p.enc = ContentDigest(p.body), gz(f.t, p.body), "gzip"
		}), status: 400, typ: ProblemDigestMismatch},
		// 413
		{name: "body too large", req: func(_ *testing.T, _ *fixture) post {
			return post{body: bytes.Repeat([]byte("\n"), int(DefaultLimits().MaxBodyBytes)+1)}
		}, status: 413, typ: ProblemTooLarge, limit: "max_body_bytes"},
		{name: "body too large chunked", req: func(_ *testing.T, _ *fixture) post {
			return post{body: bytes.Repeat([]byte("\n"), int(DefaultLimits().MaxBodyBytes)+1), chunked: true}
		}, status: 413, typ: ProblemTooLarge, limit: "max_body_bytes"},
		{name: "gzip bomb", req: func(t *testing.T, _ *fixture) post {
			return post{body: gzipBomb(t), enc: "gzip"}
		}, status: 413, typ: ProblemTooLarge, limit: "max_decompressed_bytes"},
		{name: "too many records", req: func(_ *testing.T, _ *fixture) post {
			return post{body: bytes.Repeat([]byte("x\n"), DefaultLimits().MaxRecords+1)}
		}, status: 413, typ: ProblemTooLarge, limit: "max_records"},
		{name: "too many records gzipped", req: func(t *testing.T, _ *fixture) post {
			return post{body: gz(t, bytes.Repeat([]byte("{}\n"), DefaultLimits().MaxRecords+1)), enc: "gzip"}
		}, status: 413, typ: ProblemTooLarge, limit: "max_records"},
		// 400 body
		{name: "truncated gzip", req: withValid(func(f *fixture, p *post) { z := gz(f.t, p.body); p.body, p.enc = z[:len(z)-12], "gzip" }),
			status: 400, typ: ProblemMalformed},
		{name: "truncated gzip, digest of whole", req: withValid(func(f *fixture, p *post) {
			z := gz(f.t, p.body)
			p.digest, p.body, p.enc = ContentDigest(z), z[:len(z)-12], "gzip"
		}), status: 400, typ: ProblemDigestMismatch},
		{name: "gzip declared, plain sent", req: withValid(func(_ *fixture, p *post) { p.enc = "gzip" }), status: 400, typ: ProblemMalformed},
		{name: "gzip with trailing garbage", req: withValid(func(f *fixture, p *post) { p.body, p.enc = append(gz(f.t, p.body), "garbage"...), "gzip" }),
			status: 400, typ: ProblemMalformed},
		{name: "gzip checksum broken", req: withValid(func(f *fixture, p *post) {
			z := gz(f.t, p.body)
			z[len(z)-6] ^= 0xff // CRC-32
			p.body, p.enc = z, "gzip"
		}), status: 400, typ: ProblemMalformed},
		// 409
		{name: "key replay with another body", req: func(t *testing.T, f *fixture) post {
			key := newID(t)
			first := f.send(post{key: key, body: ndjson(valid(f))})
			require.Equal(t, 200, first.status, "%s", first.body)
			return post{key: key, body: ndjson(valid(f))}
		}, status: 409, typ: ProblemConflict},
		{name: "key replay gzipped the second time", req: func(t *testing.T, f *fixture) post {
			key, b := newID(t), ndjson(valid(f))
			require.Equal(t, 200, f.send(post{key: key, body: b}).status)
			return post{key: key, body: gz(t, b), enc: "gzip"}
		}, status: 409, typ: ProblemConflict},
		// 422: every record rejected on its own
		{name: "line not JSON", req: body([]byte("not json")), status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "syntax"},
		{name: "JSON array", req: body([]byte(`[1,2,3]`)), status: 422, typ: ProblemNothingValid, reason: ReasonInvalid},
		{name: "NUL bytes", req: body([]byte("{\x00}")), status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "syntax"},
		{name: "invalid UTF-8", req: body([]byte("{\"id\":\"\xff\xfe\"}")), status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "syntax"},
		{name: "10k-deep nesting", req: body([]byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))),
			status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "depth"},
		{name: "10k-deep objects", req: body([]byte(strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000))),
			status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "depth"},
		{name: "duplicate keys", req: func(_ *testing.T, f *fixture) post {
			l, id := f.validLine(testBank)
			delete(f.valid, id) // not valid after all
			return post{body: ndjson(bytes.Replace(l, []byte(`{"id":`), []byte(`{"source":"bank-south-02","id":`), 1))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "duplicate-key"},
		{name: "line too long", req: body(bytes.Repeat([]byte("a"), DefaultLimits().MaxLineBytes+1)),
			status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "size"},
		{name: "empty body", req: body(), status: 422, typ: ProblemNothingValid},
		{name: "blank lines only", req: body(nil, []byte("  "), []byte("\r")), status: 422, typ: ProblemNothingValid},
		{name: "payload breaks its schema", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.Payload = append(e.Payload[:len(e.Payload)-1:len(e.Payload)-1], `,"religion":"x"}`...)
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "additionalProperties"},
		{name: "unknown kind", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Kind = "finance.wire_gossip" }))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "kind"},
		{name: "unknown schema version", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.SchemaVersion = 99 }))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonInvalid, keyword: "schema_version"},
		{name: "forged source", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank2, schema.KindFinanceTransaction, nil))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonSourceMismatch},
		{name: "forged relay hop", req: func(t *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank2, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				require.NoError(t, e.Stamp(testBank, schema.StageProcessing, testNow))
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonSourceMismatch},
		{name: "unknown source", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, "bank-nowhere-99", schema.KindFinanceTransaction, nil))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonSourceMismatch},
		{name: "kind the org may not submit", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindTransportPassenger, nil))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonKindNotAllowed},
		{name: "kind the hub does not take in", req: func(_ *testing.T, f *fixture) post {
			return post{org: testHotel, body: ndjson(envLine(f, testHotel, schema.KindServicesLodging, nil))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonKindNotAllowed},
		{name: "requirement from a bank", req: func(t *testing.T, f *fixture) post {
			e := f.envelope(testBank, schema.KindFinanceTransaction)
			e.Kind = schema.KindRequirement
			require.NoError(t, e.SetPayload(schema.Requirement{ID: newID(t), Type: schema.RequirementEarlyWarning, Title: "x",
				Description: "x", Issuer: testBank, IssuedAt: testNow, Priority: schema.PriorityLow, LegalBasis: "x",
				Status: schema.RequirementActive, Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction},
					Sectors: []string{"finance"}, Regions: []string{"CN-BJ"}, Window: schema.Window{From: testNow, To: testNow.Add(time.Hour)}}}))
			return post{body: ndjson(line(t, e))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonKindNotAllowed},
		{name: "unknown purpose", req: func(t *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Purpose.RequirementID = newID(t) }))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeUnknown},
		{name: "expired purpose", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) { e.Purpose.RequirementID = f.expiredID }))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeInactive},
		{name: "purpose not covering the region", req: func(_ *testing.T, f *fixture) post {
			return post{org: testPayment, body: ndjson(envLine(f, testPayment, schema.KindFinanceTransaction, nil))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeNotCovered},
		{name: "task of another assignee", req: func(_ *testing.T, f *fixture) post {
			return post{org: testBank2, body: ndjson(envLine(f, testBank2, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.Purpose = schema.Purpose{TaskID: f.taskID}
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeNotCovered},
		{name: "retain_until passed", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.CollectedAt, e.RetainUntil = testNow.Add(-48*time.Hour), testNow.Add(-time.Hour)
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonExpired},
		// per-record trust rules (issue 11)
		{name: "collected a year ahead", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.CollectedAt = testNow.AddDate(1, 0, 0)
				e.RetainUntil = testNow.AddDate(2, 0, 0)
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonFutureCollected, keyword: "clock_skew"},
		{name: "collected just past the skew", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.CollectedAt = testNow.Add(DefaultMaxClockSkew + time.Second)
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonFutureCollected, keyword: "clock_skew"},
		{name: "collected before the purpose's window", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.CollectedAt = testNow.AddDate(0, -4, 0) // the window opens 3 months back
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeInactive},
		{name: "same id, other payload", req: func(t *testing.T, f *fixture) post {
			e := f.envelope(testBank, schema.KindFinanceTransaction)
			f.valid[e.ID] = true
			require.Equal(t, 200, f.send(post{body: ndjson(line(t, e))}).status)
			e.Payload = bytes.Replace(e.Payload, []byte(`"amount":"`), []byte(`"amount":"9`), 1)
			return post{body: ndjson(line(t, e))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonConflict, keyword: "conflict"},
		{name: "same id, stricter handling", req: func(t *testing.T, f *fixture) post {
			e := f.envelope(testBank, schema.KindFinanceTransaction)
			f.valid[e.ID] = true
			require.Equal(t, 200, f.send(post{body: ndjson(line(t, e))}).status)
			e.Handling = schema.HandlingRed
			return post{body: ndjson(line(t, e))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonConflict, keyword: "conflict"},
		{name: "hop digest of zeros", req: func(_ *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				e.Provenance = []schema.Hop{{Org: testBank, Stage: schema.StageCollection, At: testNow.Add(-time.Hour),
					Digest: "sha-256:" + strings.Repeat("0", 64)}}
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonProvenanceInvalid, keyword: "provenance"},
		{name: "first-hop record with an analysis hop by public security", req: func(t *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				require.NoError(t, e.Stamp(testBank, schema.StageCollection, testNow.Add(-time.Hour)))
				require.NoError(t, e.Stamp("public-security", schema.StageAnalysis, testNow.Add(-time.Minute)))
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonProvenanceInvalid, keyword: "provenance"},
		{name: "hop off the route before the sender's", req: func(t *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				require.NoError(t, e.Stamp("public-security", schema.StageAnalysis, testNow.Add(-2*time.Minute)))
				require.NoError(t, e.Stamp(testBank, schema.StageProcessing, testNow.Add(-time.Minute)))
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonProvenanceInvalid, keyword: "provenance"},
		{name: "hop dated in the future", req: func(t *testing.T, f *fixture) post {
			return post{body: ndjson(envLine(f, testBank, schema.KindFinanceTransaction, func(e *schema.Envelope) {
				require.NoError(t, e.Stamp(testBank, schema.StageCollection, testNow.AddDate(0, 1, 0)))
			}))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonProvenanceInvalid, keyword: "provenance"},
		{name: "requirement naming another issuer", req: func(t *testing.T, f *fixture) post {
			return post{org: "public-security", body: ndjson(requirementLine(t, f, newID(t), testLeader, "public-security", schema.RequirementActive, testNow.Add(-time.Minute)))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeNotOwned, keyword: "issuer"},
		{name: "requirement of another issuer rewritten", req: func(t *testing.T, f *fixture) post {
			return post{org: "public-security", body: ndjson(requirementLine(t, f, f.reqID, "public-security", "public-security", schema.RequirementActive, testNow.Add(-time.Minute)))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonPurposeNotOwned, keyword: "issuer"},
		{name: "requirement revision older than held", req: func(t *testing.T, f *fixture) post {
			return post{org: testLeader, body: ndjson(requirementLine(t, f, f.reqID, testLeader, testLeader, schema.RequirementActive, testNow.Add(-3*time.Hour)))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonRevisionStale, keyword: "revision"},
		{name: "closed requirement reopened", req: func(t *testing.T, f *fixture) post {
			closed := requirementLine(t, f, f.reqID, testLeader, testLeader, schema.RequirementClosed, testNow.Add(-time.Hour))
			require.Equal(t, 200, f.send(post{org: testLeader, body: ndjson(closed)}).status)
			return post{org: testLeader, body: ndjson(requirementLine(t, f, f.reqID, testLeader, testLeader, schema.RequirementActive, testNow.Add(-time.Minute)))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonRevisionStale, keyword: "revision"},
		{name: "requirement pinned by a future collected_at", req: func(t *testing.T, f *fixture) post {
			return post{org: testLeader, body: ndjson(requirementLine(t, f, f.reqID, testLeader, testLeader, schema.RequirementActive, testNow.AddDate(1, 0, 0)))}
		}, status: 422, typ: ProblemNothingValid, reason: ReasonFutureCollected, keyword: "clock_skew"},
		// duplicate singleton headers
		{name: "two Authorization headers", req: withValid(func(_ *fixture, p *post) { p.add = [][2]string{{"Authorization", "Bearer " + token(testBank2)}} }),
			status: 400, typ: ProblemMalformed},
		{name: "two Idempotency-Key headers", req: withValid(func(f *fixture, p *post) { p.add = [][2]string{{HeaderIdempotencyKey, newID(f.t)}} }),
			status: 400, typ: ProblemMalformed},
		{name: "two Content-Digest headers", req: withValid(func(_ *fixture, p *post) { p.add = [][2]string{{HeaderContentDigest, ContentDigest(p.body)}} }),
			status: 400, typ: ProblemMalformed},
		{name: "two Content-Type headers", req: withValid(func(_ *fixture, p *post) { p.add = [][2]string{{"Content-Type", MediaNDJSON}} }),
			status: 400, typ: ProblemMalformed},
		{name: "two Content-Encoding headers", req: withValid(func(_ *fixture, p *post) {
			p.add = [][2]string{{"Content-Encoding", "identity"}, {"Content-Encoding", "identity"}}
		}),
			status: 400, typ: ProblemMalformed},
		{name: "receipt with two Authorization headers", req: func(t *testing.T, f *fixture) post {
			return post{method: http.MethodGet, path: PathSubmissions + "/" + newID(t), add: [][2]string{{"Authorization", "Bearer " + token(testBank2)}}}
		}, status: 400, typ: ProblemMalformed},
		// 429, 503
		{name: "rate limited", cfg: func(_ *fixture, c *HandlerConfig) {
			c.Limits = Limits{MaxRecords: 3, Burst: 3, RecordsPerSecond: 0.5}
		}, req: func(t *testing.T, f *fixture) post {
			require.Equal(t, 200, f.send(post{body: ndjson(valid(f), valid(f), valid(f))}).status)
			return post{body: ndjson(valid(f))}
		}, status: 429, typ: ProblemRateLimited, retry: "2"},
		{name: "overloaded", cfg: func(f *fixture, c *HandlerConfig) {
			bs := newBlockingSink(f.store)
			c.Sink, c.MaxInFlight = bs, 1
			f.t.Cleanup(bs.Release) // runs before the server closes
		}, req: func(t *testing.T, f *fixture) post {
			bs := f.cfg.Sink.(*blockingSink)
			bs.arm()
			r := f.request(post{body: ndjson(valid(f))})
			go f.srv.Client().Do(r) //nolint:errcheck // answered once released
			<-bs.entered
			return post{body: ndjson(valid(f))}
		}, status: 503, typ: ProblemOverloaded, retry: "1"},
		// routing
		{name: "wrong method", req: withValid(func(_ *fixture, p *post) { p.method = http.MethodPut }), status: 405, typ: ProblemMethodNotAllowed},
		{name: "unknown path", req: withValid(func(_ *fixture, p *post) { p.path = "/v2/submissions" }), status: 404, typ: ProblemNotFound},
		{name: "receipt without token", req: func(t *testing.T, f *fixture) post {
			return post{method: http.MethodGet, path: PathSubmissions + "/" + newID(t), noAuth: true}
		}, status: 401, typ: ProblemUnauthenticated},
		{name: "receipt of another org", req: func(t *testing.T, f *fixture) post {
			rc := f.send(post{body: ndjson(valid(f))}).receipt(t)
			return post{org: testBank2, method: http.MethodGet, path: PathSubmissions + "/" + rc.SubmissionID}
		}, status: 404, typ: ProblemNotFound},
		{name: "receipt path without id", req: func(_ *testing.T, _ *fixture) post {
			return post{method: http.MethodGet, path: PathSubmissions + "/"}
		}, status: 404, typ: ProblemNotFound},
		{name: "receipt unknown", req: func(t *testing.T, f *fixture) post {
			return post{method: http.MethodGet, path: PathSubmissions + "/" + newID(t)}
		}, status: 404, typ: ProblemNotFound},
	}
	require.GreaterOrEqual(t, len(rows), 40)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			f := newFixture(t, row.cfg)
			f.t = t
			p := row.req(t, f)
			resp := f.send(p)
			require.Equal(t, row.status, resp.status, "body: %s", resp.body)
			pr := resp.problem(t)
			require.Equal(t, row.typ, pr.Type)
			require.Equal(t, row.status, pr.Status)
			require.NotEmpty(t, pr.Title)
			require.Equal(t, row.limit, pr.Limit)
			require.Equal(t, row.retry, resp.header.Get(HeaderRetryAfter))
			if row.status == 422 {
				for _, res := range pr.Results {
					require.Equal(t, StatusRejected, res.Status)
					require.Equal(t, row.reason, res.Reason, "%+v", res)
					require.NotEmpty(t, res.Errors)
				}
				if row.keyword != "" {
					require.NotEmpty(t, pr.Results)
					require.Equal(t, row.keyword, pr.Results[0].Errors[0].Keyword, "%+v", pr.Results[0].Errors)
				}
			}
			f.assertStoreClean()
		})
	}
}

var _ = io.Discard

// requirementLine is a collab.requirement envelope from source with the
// given id, issuer, status and collected_at, covering what the
// fixture's requirement covers.
func requirementLine(t *testing.T, f *fixture, id, issuer, source string, status schema.RequirementStatus, at time.Time) []byte {
	t.Helper()
	e := schema.Envelope{
		ID: newID(t), Kind: schema.KindRequirement, SchemaVersion: 1, Source: source, CollectedAt: at,
		Purpose: schema.Purpose{RequirementID: f.reqID}, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
		Handling: schema.HandlingAmber, RetainUntil: testNow.AddDate(2, 0, 0),
	}
	require.NoError(t, e.SetPayload(schema.Requirement{
		ID: id, Type: schema.RequirementEarlyWarning, Title: "Corridor watch", Description: "Report transactions matching the corridor indicators.",
		Issuer: issuer, IssuedAt: testNow.AddDate(0, -3, 0), Priority: schema.PriorityHigh, LegalBasis: "Synthetic Counter-Terrorism Act, art. 43",
		Status: status, Scope: schema.Scope{Kinds: []string{schema.KindFinanceTransaction}, Sectors: []string{"finance"},
			Regions: []string{"CN-BJ", "CN-GD"}, Window: schema.Window{From: testNow.AddDate(0, -3, 0), To: testNow.AddDate(0, 6, 0)}},
	}))
	f.mu.Lock()
	f.valid[e.ID] = true
	f.mu.Unlock()
	return line(t, e)
}
