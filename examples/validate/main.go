package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sicollab/sicollab/schema"
)

// Exit statuses.
const (
	exitValid   = 0
	exitInvalid = 1
	exitUsage   = 2
)

// stdinName names standard input in findings.
const stdinName = "<stdin>"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command, with its streams passed in so tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxBytes := fs.Int("max-bytes", schema.DefaultMaxBytes, "largest envelope accepted, in bytes; longer ones are reported as invalid")
	quiet := fs.Bool("q", false, "print only the summary, not each violation")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: validate [-max-bytes N] [-q] [file ...]\n\n"+
			"Validates NDJSON or JSON envelopes (standard input when no file or \"-\").\n"+
			"Violations go to standard output as <file>:<line>: <pointer>: <message>,\n"+
			"the summary to standard error. Exit 0 all valid, 1 some invalid, 2 usage or read error.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitValid
		}
		return exitUsage
	}
	v, err := schema.NewValidator(schema.WithMaxBytes(*maxBytes))
	if err != nil {
		fmt.Fprintf(stderr, "validate: -max-bytes: %v\n", err)
		return exitUsage
	}
	out := bufio.NewWriter(stdout)
	c := &checker{v: v, out: out, quiet: *quiet}
	names := fs.Args()
	if len(names) == 0 {
		names = []string{"-"}
	}
	readFailed := false
	for _, name := range names {
		if err := c.checkFile(name, stdin); err != nil {
			out.Flush() // keep findings before the error that follows them
			fmt.Fprintf(stderr, "validate: %v\n", err)
			readFailed = true
		}
	}
	out.Flush()
	fmt.Fprintf(stderr, "%d records, %d valid, %d invalid\n", c.records, c.valid, c.invalid)
	switch {
	case readFailed:
		return exitUsage
	case c.invalid > 0:
		return exitInvalid
	}
	return exitValid
}

// checker validates records and counts them across files.
type checker struct {
	v     *schema.Validator
	out   io.Writer
	quiet bool

	records, valid, invalid int
}

func (c *checker) checkFile(name string, stdin io.Reader) error {
	if name == "-" {
		return c.check(stdinName, stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.check(name, f)
}

// check validates every record of one input. An input whose first record
// starts with '{' but is not a JSON value on its own line is read as a
// single document over many lines, reported at the line it starts on.
func (c *checker) check(name string, r io.Reader) error {
	limit := c.v.MaxBytes()
	br := bufio.NewReaderSize(r, 64<<10)
	lr := &lineReader{r: br, max: limit}
	lineNo := 0
	first := true
	for {
		line, n, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		lineNo++
		if n <= limit && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if first && n <= limit {
			first = false
			if t := bytes.TrimSpace(line); t[0] == '{' && !json.Valid(t) {
				done, rest, err := c.tryDocument(name, lineNo, lr.raw(), br)
				if err != nil {
					return err
				}
				if done {
					return nil
				}
				// Not one document: NDJSON whose first line is broken.
				c.record(name, lineNo, line, n)
				lr = &lineReader{r: bufio.NewReaderSize(rest, 64<<10), max: limit}
				continue
			}
		}
		first = false
		c.record(name, lineNo, line, n)
	}
}

// tryDocument reads the input as one JSON document made of head (the
// first line, terminator included) and what is left of r. It returns
// done when it has reported that document; otherwise rest yields the
// input after head, for reading as NDJSON.
func (c *checker) tryDocument(name string, lineNo int, head []byte, r io.Reader) (done bool, rest io.Reader, err error) {
	limit := c.v.MaxBytes()
	doc := make([]byte, len(head), len(head)+4096)
	copy(doc, head)
	tail, err := io.ReadAll(io.LimitReader(r, int64(limit+1-len(doc))))
	if err != nil {
		return false, nil, fmt.Errorf("read %s: %w", name, err)
	}
	doc = append(doc, tail...)
	if len(doc) <= limit {
		// Not valid as one document: NDJSON with a broken first line if any
		// later line is a JSON object of its own, else one broken
		// pretty-printed document, reported once.
		if json.Valid(doc) || !hasObjectLine(tail) {
			c.record(name, lineNo, doc, len(doc))
			return true, nil, nil
		}
		return false, bytes.NewReader(tail), nil
	}
	// Longer than the limit: if what was read is the start of one JSON
	// value, it is one document too large; otherwise it is NDJSON.
	if err := json.NewDecoder(bytes.NewReader(doc)).Decode(new(json.RawMessage)); errors.Is(err, io.ErrUnexpectedEOF) {
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return false, nil, fmt.Errorf("read %s: %w", name, err)
		}
		c.record(name, lineNo, nil, len(doc)+int(n))
		return true, nil, nil
	}
	return false, io.MultiReader(bytes.NewReader(tail), r), nil
}

// record validates one record of n bytes; data is cut short when n is
// over the limit, and then not validated at all.
func (c *checker) record(name string, line int, data []byte, n int) {
	c.records++
	if limit := c.v.MaxBytes(); n > limit {
		c.invalid++
		c.report(name, line, schema.Violation{Keyword: "size", Message: fmt.Sprintf("record is %d bytes, limit is %d", n, limit)})
		return
	}
	_, err := c.v.Validate(data)
	if err == nil {
		c.valid++
		return
	}
	c.invalid++
	var ve *schema.ValidationError
	if errors.As(err, &ve) && len(ve.Violations) > 0 {
		for _, v := range ve.Violations {
			c.report(name, line, v)
		}
		return
	}
	c.report(name, line, schema.Violation{Message: err.Error()})
}

func (c *checker) report(name string, line int, v schema.Violation) {
	if c.quiet {
		return
	}
	msg := strings.Join(strings.Fields(v.String()), " ") // one finding, one line
	fmt.Fprintf(c.out, "%s:%d: %s\n", name, line, msg)
}

// lineReader reads lines of any length in bounded memory: of a line longer
// than max it keeps only the first max+1 bytes, and counts the rest.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte // the current line as read, terminator included, at most max+2 bytes
}

// next returns the next line without its "\n" or "\r\n" and the line's
// length in bytes (without terminator). When the length is over max the
// line returned is cut short. It returns io.EOF after the last line.
func (lr *lineReader) next() (line []byte, n int, err error) {
	lr.buf = lr.buf[:0]
	total := 0
	var tail [2]byte // the last two bytes of the line read so far
	for {
		chunk, err := lr.r.ReadSlice('\n')
		total += len(chunk)
		if room := lr.max + 2 - len(lr.buf); room > 0 {
			lr.buf = append(lr.buf, chunk[:min(room, len(chunk))]...)
		}
		for _, b := range chunk[max(0, len(chunk)-2):] {
			tail = [2]byte{tail[1], b}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && total == 0:
			return nil, 0, io.EOF
		case err != nil && err != io.EOF:
			return nil, 0, err
		}
		n = total
		if tail[1] == '\n' {
			n--
			if n > 0 && tail[0] == '\r' {
				n--
			}
		}
		if n <= lr.max {
			return lr.buf[:n], n, nil
		}
		return lr.buf[:lr.max+1], n, nil
	}
}

// raw returns the last line as read, terminator included; complete only
// when that line was within max.
func (lr *lineReader) raw() []byte { return lr.buf }

// hasObjectLine reports whether some line of b is a JSON object by itself.
func hasObjectLine(b []byte) bool {
	for line := range bytes.Lines(b) {
		if t := bytes.TrimSpace(line); len(t) > 1 && t[0] == '{' && json.Valid(t) {
			return true
		}
	}
	return false
}
