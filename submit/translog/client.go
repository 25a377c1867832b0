package translog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxProofBytes bounds a proof answer the client reads. A proof has at
// most two hashes per tree level (128 for any tree this log can hold),
// each about 46 bytes of JSON.
const MaxProofBytes = 16 << 10

// MaxProofHashes is the most hashes DecodeInclusionProof and
// DecodeConsistencyProof accept.
const MaxProofHashes = 128

// ErrHTTP: a log server answered with a status other than 200; the
// message has the status and the problem's detail.
var ErrHTTP = errors.New("translog: log server refused")

// Client reads a log over HTTP (the Path* endpoints of Log.Handler). It
// trusts nothing it reads: Verifier and the Check functions do the
// checking.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// NewClient returns a client of the log served at baseURL (scheme, host
// and any path prefix before /v1/log). hc nil: a client of its own, never
// http.DefaultClient.
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("translog: log URL %q: want http(s)://host[:port][/prefix]", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, hc: hc}, nil
}

// URL returns the base URL the client reads.
func (c *Client) URL() string { return c.base.String() }

func (c *Client) get(ctx context.Context, path string, q url.Values, limit int64) ([]byte, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("translog: GET %s: %w", u.String(), err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("translog: GET %s: %w", u.String(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("translog: GET %s: reading the answer: %w", u.String(), err)
	}
	if resp.StatusCode != http.StatusOK {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(b, &p)
		return nil, fmt.Errorf("%w: GET %s: %s: %s", ErrHTTP, u.String(), resp.Status, p.Detail)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("translog: GET %s: answer larger than %d bytes", u.String(), limit)
	}
	return b, nil
}

// Checkpoint returns the log's latest signed checkpoint note, unchecked.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, PathCheckpoint, nil, MaxCheckpointBytes)
}

// Inclusion returns the log's proof that leaf index is in the tree of
// size size, unchecked (see CheckInclusion).
func (c *Client) Inclusion(ctx context.Context, index, size int64) (tlog.RecordProof, error) {
	b, err := c.get(ctx, PathInclusion, url.Values{"index": {strconv.FormatInt(index, 10)}, "size": {strconv.FormatInt(size, 10)}}, MaxProofBytes)
	if err != nil {
		return nil, err
	}
	p, err := DecodeInclusionProof(b)
	if err != nil {
		return nil, err
	}
	if p.Index != index || p.Size != size {
		return nil, fmt.Errorf("%w: asked for leaf %d at size %d, got leaf %d at size %d", ErrBadProof, index, size, p.Index, p.Size)
	}
	return p.Proof, nil
}

// Consistency returns the log's proof that the tree of size old is a
// prefix of the tree of size new, unchecked. It makes Client a
// ConsistencyProver.
func (c *Client) Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	b, err := c.get(ctx, PathConsistency, url.Values{"old": {strconv.FormatInt(old, 10)}, "new": {strconv.FormatInt(new, 10)}}, MaxProofBytes)
	if err != nil {
		return nil, err
	}
	p, err := DecodeConsistencyProof(b)
	if err != nil {
		return nil, err
	}
	if p.Old != old || p.New != new {
		return nil, fmt.Errorf("%w: asked for sizes %d to %d, got %d to %d", ErrBadProof, old, new, p.Old, p.New)
	}
	return p.Proof, nil
}

// Leaf returns the encoded leaf at index, unchecked (hash it with
// tlog.RecordHash and check its inclusion).
func (c *Client) Leaf(ctx context.Context, index int64) ([]byte, error) {
	return c.get(ctx, PathLeaves+"/"+strconv.FormatInt(index, 10), nil, MaxLeafBytes)
}

// DecodeInclusionProof parses an InclusionProof as PathInclusion or a
// receipt carries it, refusing unknown members and more than
// MaxProofHashes hashes.
func DecodeInclusionProof(b []byte) (InclusionProof, error) {
	var p InclusionProof
	if err := decodeStrict(b, &p); err != nil {
		return InclusionProof{}, fmt.Errorf("translog: inclusion proof: %w", err)
	}
	if p.Index < 0 || p.Size <= p.Index || len(p.Proof) > MaxProofHashes {
		return InclusionProof{}, fmt.Errorf("%w: inclusion proof of leaf %d at size %d with %d hashes: want 0 <= index < size and at most %d hashes",
			ErrBadProof, p.Index, p.Size, len(p.Proof), MaxProofHashes)
	}
	return p, nil
}

// DecodeConsistencyProof parses a ConsistencyProof as PathConsistency
// serves it, refusing unknown members and more than MaxProofHashes hashes.
func DecodeConsistencyProof(b []byte) (ConsistencyProof, error) {
	var p ConsistencyProof
	if err := decodeStrict(b, &p); err != nil {
		return ConsistencyProof{}, fmt.Errorf("translog: consistency proof: %w", err)
	}
	if p.Old < 1 || p.New < p.Old || len(p.Proof) > MaxProofHashes {
		return ConsistencyProof{}, fmt.Errorf("%w: consistency proof from %d to %d with %d hashes: want 0 < old <= new and at most %d hashes",
			ErrBadProof, p.Old, p.New, len(p.Proof), MaxProofHashes)
	}
	return p, nil
}

func decodeStrict(b []byte, v any) error {
	if len(b) > MaxProofBytes {
		return fmt.Errorf("%w: %d bytes: limit MaxProofBytes is %d", ErrBadProof, len(b), MaxProofBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	if d.More() {
		return fmt.Errorf("%w: data after the proof", ErrBadProof)
	}
	return nil
}

// CheckInclusion checks that leaf (encoded) is at index in the tree of
// cp, with proof p; the error wraps ErrBadProof.
func CheckInclusion(leaf []byte, index int64, p tlog.RecordProof, cp Checkpoint) error {
	if err := tlog.CheckRecord(p, cp.Size, cp.Hash, index, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrBadProof, index, cp.Size, err)
	}
	return nil
}
