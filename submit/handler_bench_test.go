package submit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// BenchmarkHandlerVsPlain posts the same batches of 500 valid records
// over loopback, in turn, to the hub (BenchmarkHandler's: validation,
// directory, purposes, dedupe, durable store and ledger, in one file:
// Ledger.Store) and to a
// handler that only validates each line with jsonschema v5 used plainly
// (decode with UseNumber, the envelope schema, the payload schema, as
// the files are written), and reports each one's records/s and their
// ratio ("hub/plain"; issue 15 sets at least 3):
//
//	go test ./submit -run '^$' -bench HandlerVsPlain -benchtime 40x
func BenchmarkHandlerVsPlain(b *testing.B) {
	f := newFixture(b, func(f *fixture, c *HandlerConfig) {
		oneFile(f, c)
		c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30}
	})
	plain := plainV5(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		for len(body) > 0 && err == nil {
			var line []byte
			line, body, _ = bytes.Cut(body, []byte("\n"))
			err = plain(line)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", MediaJSON)
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(srv.Close)
	const batch = 500
	hubBodies := make([][]byte, b.N)
	for i := range hubBodies {
		var ls [][]byte
		for range batch {
			l, _ := f.validLine(testBank)
			ls = append(ls, l)
		}
		hubBodies[i] = ndjson(ls...)
	}
	var tHub, tPlain time.Duration
	sendHub := func(i int) {
		s := time.Now()
		r := f.send(post{body: hubBodies[i]})
		tHub += time.Since(s)
		require.Equal(b, 200, r.status)
	}
	sendPlain := func(i int) {
		s := time.Now()
		resp, err := srv.Client().Post(srv.URL, MediaNDJSON, bytes.NewReader(hubBodies[i]))
		require.NoError(b, err)
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tPlain += time.Since(s)
		require.Equal(b, 200, resp.StatusCode, string(msg))
	}
	b.ResetTimer()
	for i := range b.N { // in turn, each first every other time
		if i%2 == 0 {
			sendHub(i)
			sendPlain(i)
		} else {
			sendPlain(i)
			sendHub(i)
		}
	}
	records := float64(b.N * batch)
	b.ReportMetric(records/tHub.Seconds(), "records/s_hub")
	b.ReportMetric(records/tPlain.Seconds(), "records/s_plain")
	b.ReportMetric(tPlain.Seconds()/tHub.Seconds(), "hub/plain")
}

// plainV5 compiles the embedded schema files as written with jsonschema
// v5 and returns a check of one envelope line: decode with UseNumber,
// the envelope schema, then the payload's.
func plainV5(tb testing.TB) func(line []byte) error {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) { return nil, fmt.Errorf("no loading %q", s) }
	files, err := fs.Glob(schema.FS(), "*/v*.schema.json")
	require.NoError(tb, err)
	ids := map[string]string{} // file -> $id
	for _, name := range files {
		raw, err := fs.ReadFile(schema.FS(), name)
		require.NoError(tb, err)
		var head struct {
			ID string `json:"$id"`
		}
		require.NoError(tb, json.Unmarshal(raw, &head))
		require.NoError(tb, c.AddResource(head.ID, bytes.NewReader(raw)))
		ids[name] = head.ID
	}
	schemas := map[string]*jsonschema.Schema{} // kind/vN -> schema
	for name, id := range ids {
		s, err := c.Compile(id)
		require.NoError(tb, err)
		schemas[strings.TrimSuffix(name, ".schema.json")] = s
	}
	env := schemas["envelope/v1"]
	require.NotNil(tb, env)
	return func(line []byte) error {
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var doc any
		if err := d.Decode(&doc); err != nil {
			return err
		}
		if err := env.Validate(doc); err != nil {
			return err
		}
		m := doc.(map[string]any)
		s := schemas[fmt.Sprintf("%s/v%s", m["kind"], m["schema_version"])]
		if s == nil {
			return fmt.Errorf("no schema for %v v%v", m["kind"], m["schema_version"])
		}
		return s.Validate(m["payload"])
	}
}

// BenchmarkHandlerWrites posts b.N batches of 500 valid records to a hub
// and reports what the process wrote to disk per record ("B-written/record",
// write_bytes of /proc/self/io: the bytes sent to the storage layer,
// pages and all) beside records/s, for four hubs: a Store and a Ledger
// in two files ("two-files"), the same with a transparency log in a
// third ("two-files+log-file"), the Ledger's own Store ("one-file"), and
// that with the log in the ledger's file too ("one-file+log"):
//
//	go test ./submit -run '^$' -bench HandlerWrites -benchtime 40x
func BenchmarkHandlerWrites(b *testing.B) {
	unlimited := func(_ *fixture, c *HandlerConfig) { c.Limits = Limits{RecordsPerSecond: 1e9, Burst: 1 << 30} }
	for _, tc := range []struct {
		name   string
		mutate func(*fixture, *HandlerConfig)
	}{
		{"two-files", unlimited},
		{"two-files+log-file", func(f *fixture, c *HandlerConfig) { unlimited(f, c); withLog(b, f, c) }},
		{"one-file", func(f *fixture, c *HandlerConfig) { oneFile(f, c); unlimited(f, c) }},
		{"one-file+log", func(f *fixture, c *HandlerConfig) { oneFile(f, c); unlimited(f, c); withLog(b, f, c) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b, tc.mutate)
			const batch = 500
			bodies := make([][]byte, b.N)
			for i := range bodies {
				var ls [][]byte
				for range batch {
					l, _ := f.validLine(testBank)
					ls = append(ls, l)
				}
				bodies[i] = ndjson(ls...)
			}
			w0, ok := writeBytes()
			if !ok {
				b.Skip("no /proc/self/io write_bytes here")
			}
			b.ResetTimer()
			for i := range b.N {
				require.Equal(b, 200, f.send(post{body: bodies[i]}).status)
			}
			b.StopTimer()
			w1, _ := writeBytes()
			records := float64(b.N * batch)
			b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(w1-w0)/records, "B-written/record")
		})
	}
}

// writeBytes reads write_bytes of /proc/self/io: what the process has
// sent to the storage layer.
func writeBytes() (int64, bool) {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for l := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
