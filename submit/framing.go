package submit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// contentEncoding accepts no encoding, identity or gzip.
func contentEncoding(hd http.Header) (gz bool, f *failure) {
	var codings []string
	for _, v := range hd.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return false, nil
	case len(codings) == 1 && codings[0] == "gzip":
		return true, nil
	}
	return false, fail(http.StatusUnsupportedMediaType, ProblemUnsupportedMedia,
		fmt.Sprintf("Content-Encoding %q is not supported; send gzip or none", strings.Join(codings, ", ")))
}

// contentType accepts application/x-ndjson, with charset utf-8 at most.
func contentType(v string) *failure {
	mt, params, err := mime.ParseMediaType(v)
	if err == nil && mt == MediaNDJSON {
		cs, has := params["charset"]
		if len(params) == 0 || (len(params) == 1 && has && strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	return fail(http.StatusUnsupportedMediaType, ProblemUnsupportedMedia,
		fmt.Sprintf("Content-Type %q is not supported; send %s (UTF-8)", v, MediaNDJSON))
}

// idempotencyKey accepts a UUID in its 36-character form and returns it
// in lower case.
func idempotencyKey(v string) (string, bool) {
	if len(v) != 36 {
		return "", false
	}
	u, err := uuid.Parse(v)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// gzipRatioHint guesses a gzip body's size once inflated, to size the
// read buffer once: records compress about 6× at gzip.BestSpeed, so 8×
// rarely needs a second growth.
const gzipRatioHint = 8

// capReader fails with errDecompressedTooLarge once more than the limit
// (r.N - 1 bytes) has been read.
type capReader struct{ r io.LimitedReader }

var errDecompressedTooLarge = errors.New("submit: decompressed body too large")

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.r.N <= 0 {
		return 0, errDecompressedTooLarge
	}
	return n, err
}

// errTooManyRecords stops eachLine at MaxRecords+1 records.
var errTooManyRecords = errors.New("submit: too many records")

// eachLine calls fn with each line of r, numbered from 1, without its
// line end (\n or \r\n). A line longer than maxLine is not kept: fn gets
// tooLong and an empty line. An error of r or fn stops it.
func eachLine(r io.Reader, maxLine int, fn func(n int, line []byte, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var acc []byte
	for n := 1; ; n++ {
		acc = acc[:0]
		tooLong := false
		var chunk []byte
		var err error
		for {
			chunk, err = br.ReadSlice('\n')
			if err != bufio.ErrBufferFull {
				break
			}
			if !tooLong {
				acc = append(acc, chunk...)
				if len(acc) > maxLine+2 { // longer than any line end could explain
					tooLong, acc = true, acc[:0]
				}
			}
		}
		if err != nil && err != io.EOF {
			return err
		}
		line := chunk
		if tooLong {
			line = acc
		} else if len(acc) > 0 {
			acc = append(acc, chunk...)
			line = acc
		}
		last := err == io.EOF
		if last && len(line) == 0 && !tooLong {
			return nil
		}
		if !tooLong {
			line = bytes.TrimSuffix(line, []byte{'\n'})
			line = bytes.TrimSuffix(line, []byte{'\r'})
			tooLong = len(line) > maxLine
		}
		if err := fn(n, line, tooLong); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// readBody reads r to its end into a buffer sized by the request's
// Content-Length when it gives one (r bounds what is read).
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	if contentLength <= 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, contentLength+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// singletonHeaders may appear once in a submission: two of them leave
// the hub and an intermediary free to read different ones.
var singletonHeaders = []string{"Authorization", HeaderIdempotencyKey, HeaderContentDigest, "Content-Type", "Content-Encoding"}

// checkSingletons refuses a request that repeats a singleton header.
func checkSingletons(hd http.Header) *failure {
	for _, k := range singletonHeaders {
		if len(hd.Values(k)) > 1 {
			return fail(http.StatusBadRequest, ProblemMalformed,
				fmt.Sprintf("header %s is sent %d times; send it once", k, len(hd.Values(k))))
		}
	}
	return nil
}

// errSlowBody: the body arrived slower than HandlerConfig.MinBodyRate
// after HandlerConfig.BodyGrace.
var errSlowBody = errors.New("submit: body too slow")

// rateReader cuts a body that arrives too slowly. After grace (on the
// handler's clock) the bytes read must keep up with minRate bytes per
// second counted from the end of the grace; and no single read may
// wait longer than grace in real time (a connection read deadline,
// renewed before each read), so a body that stops altogether is cut
// too.
type rateReader struct {
	r       io.Reader
	rc      *http.ResponseController
	clock   func() time.Time
	start   time.Time
	grace   time.Duration
	minRate float64 // bytes per second
	n       int64
}

func (s *rateReader) Read(p []byte) (int, error) {
	if s.rc != nil {
		s.rc.SetReadDeadline(time.Now().Add(s.grace)) //nolint:errcheck // not every connection supports it; the rate check still applies
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return n, errSlowBody
	}
	if err != nil {
		return n, err
	}
	if late := s.clock().Sub(s.start) - s.grace; late > 0 && float64(s.n) < s.minRate*late.Seconds() {
		return n, errSlowBody
	}
	return n, nil
}

// slowBody is the failure of a body cut by rateReader. The connection
// is closed after the answer: the rest of the body is not read.
func (h *Handler) slowBody(w http.ResponseWriter, n int64) *failure {
	http.NewResponseController(w).SetReadDeadline(time.Now()) //nolint:errcheck // best effort: stops the server draining the body
	w.Header().Set("Connection", "close")
	f := fail(http.StatusRequestTimeout, ProblemSlowBody,
		fmt.Sprintf("the body arrived slower than %d bytes/s after %s (%d bytes read); send it at once, or smaller batches",
			h.cfg.MinBodyRate, h.cfg.BodyGrace, n))
	f.p.Limit = "min_body_rate"
	return f
}
