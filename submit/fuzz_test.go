package submit

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeBatch feeds arbitrary bodies, plain and gzipped, to the
// NDJSON decoding path: it never panics, and unless the whole request is
// refused every non-blank line gets exactly one result, with its line
// number, in order.
func FuzzDecodeBatch(f *testing.F) {
	fx := newFixture(f, func(_ *fixture, c *HandlerConfig) {
		c.Limits = Limits{MaxRecords: 50, Burst: 50, MaxLineBytes: 4096, MaxDepth: 16,
			MaxBodyBytes: 64 << 10, MaxDecompressedBytes: 256 << 10}
	})
	good, _ := fx.validLine(testBank)
	f.Add(ndjson(good), false)
	f.Add(ndjson(good, []byte("x"), nil, good), false)
	f.Add([]byte("{\"a\":1}\r\n\r\n[\n"), false)
	f.Add([]byte(`{"id":"a","id":"b"}`), false)
	f.Add(bytes.Repeat([]byte("["), 100), false)
	f.Add(ndjson(good), true)
	sender, _ := fx.dir.Org(testBank)
	f.Fuzz(func(t *testing.T, body []byte, zip bool) {
		var src io.Reader = bytes.NewReader(body)
		if zip {
			zr, err := gzip.NewReader(src)
			if err != nil {
				return
			}
			src = &capReader{r: io.LimitedReader{R: zr, N: fx.cfg.Limits.MaxDecompressedBytes + 1}}
		}
		b, fail := fx.h.decodeBatch(context.Background(), src, sender, testNow, 0)
		require.NotNil(t, b)
		if fail != nil {
			require.NotZero(t, fail.p.Status)
			return
		}
		if fx.h.dedupe(context.Background(), b) == nil {
			fx.h.checkPurposes(b, testNow)
		}
		// Count the non-blank lines the way the protocol defines them.
		plain := body
		if zip {
			zr, _ := gzip.NewReader(bytes.NewReader(body))
			plain, _ = io.ReadAll(zr)
		}
		var want []int
		for i, l := range bytes.Split(plain, []byte("\n")) {
			// A line over the limit is a rejected record even if blank.
			if len(bytes.TrimSpace(l)) > 0 || len(bytes.TrimSuffix(l, []byte("\r"))) > fx.cfg.Limits.MaxLineBytes {
				want = append(want, i+1)
			}
		}
		require.Len(t, b.results, len(want))
		for i, res := range b.results {
			require.Equal(t, want[i], res.Line)
			switch res.Status {
			case StatusAccepted, StatusDuplicate:
			case StatusRejected:
				require.NotEmpty(t, res.Reason)
				require.NotEmpty(t, res.Errors)
			default:
				t.Fatalf("line %d: status %q", res.Line, res.Status)
			}
			if res.Status == StatusAccepted {
				_, err := fx.h.validate.Validate(bytes.TrimSpace(bytes.Split(plain, []byte("\n"))[res.Line-1]))
				require.NoError(t, err)
			}
		}
	})
}
