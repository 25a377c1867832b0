package translog

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// Paths the log's Handler serves (GET only).
const (
	// PathCheckpoint answers the latest signed checkpoint note, as text.
	PathCheckpoint = "/v1/log/checkpoint"
	// PathInclusion answers ?index=I&size=N with an InclusionProof.
	PathInclusion = "/v1/log/inclusion"
	// PathConsistency answers ?old=A&new=B with a ConsistencyProof.
	PathConsistency = "/v1/log/consistency"
	// PathLeaves answers PathLeaves+"/{index}" with the encoded leaf.
	PathLeaves = "/v1/log/leaves"
)

// Media types of the log's answers.
const (
	MediaCheckpoint = "text/plain; charset=utf-8"
	MediaJSON       = "application/json"
	MediaProblem    = "application/problem+json"
)

// Problem types of the log's error answers (RFC 9457 "type").
const (
	ProblemBadRequest = "https://sicollab.github.io/problems/log-bad-request" // 400: a parameter is missing or not a number
	ProblemRange      = "https://sicollab.github.io/problems/log-range"       // 404: index or size beyond the tree
	ProblemTampered   = "https://sicollab.github.io/problems/log-tampered"    // 500: the stored log fails its own check
	ProblemInternal   = "https://sicollab.github.io/problems/log-internal"    // 503: the log could not answer now
)

// InclusionProof is the answer of PathInclusion, and what a receipt
// carries: the leaf's index, the tree size and the proof hashes
// (tlog.RecordProof; each hash in standard base64).
type InclusionProof struct {
	Index int64            `json:"index"`
	Size  int64            `json:"size"`
	Proof tlog.RecordProof `json:"proof"`
	// Checkpoint, when set, is the signed checkpoint note of Size; the
	// HTTP answer leaves it out (fetch PathCheckpoint), a receipt has it.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// ConsistencyProof is the answer of PathConsistency (tlog.TreeProof from
// size Old to size New).
type ConsistencyProof struct {
	Old   int64          `json:"old"`
	New   int64          `json:"new"`
	Proof tlog.TreeProof `json:"proof"`
}

// Handler returns the http.Handler of the log's read endpoints (the Path*
// constants). Mount it at the server's root, or under a mux pattern
// "/v1/log/". Leaves name organizations and record ids: serve it behind
// the same authentication as the hub if those are not public.
func (l *Log) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathCheckpoint, func(w http.ResponseWriter, r *http.Request) {
		cp := l.Checkpoint()
		w.Header().Set("Content-Type", MediaCheckpoint)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(cp.Note)
	})
	mux.HandleFunc("GET "+PathInclusion, func(w http.ResponseWriter, r *http.Request) {
		index, ok1 := intParam(w, r, "index")
		size, ok2 := intParam(w, r, "size")
		if !ok1 || !ok2 {
			return
		}
		p, err := l.ProveInclusion(r.Context(), index, size)
		if err != nil {
			l.writeErr(w, r, err)
			return
		}
		writeJSON(w, InclusionProof{Index: index, Size: size, Proof: p})
	})
	mux.HandleFunc("GET "+PathConsistency, func(w http.ResponseWriter, r *http.Request) {
		old, ok1 := intParam(w, r, "old")
		nw, ok2 := intParam(w, r, "new")
		if !ok1 || !ok2 {
			return
		}
		p, err := l.ProveConsistency(r.Context(), old, nw)
		if err != nil {
			l.writeErr(w, r, err)
			return
		}
		writeJSON(w, ConsistencyProof{Old: old, New: nw, Proof: p})
	})
	mux.HandleFunc("GET "+PathLeaves+"/{index}", func(w http.ResponseWriter, r *http.Request) {
		index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
		if err != nil {
			problem(w, http.StatusBadRequest, ProblemBadRequest, "leaf index "+strconv.Quote(r.PathValue("index"))+": want a decimal integer")
			return
		}
		b, err := l.Leaf(r.Context(), index)
		if err != nil {
			l.writeErr(w, r, err)
			return
		}
		w.Header().Set("Content-Type", MediaJSON)
		w.Write(b)
	})
	return mux
}

func intParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	s := r.URL.Query().Get(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		problem(w, http.StatusBadRequest, ProblemBadRequest, "query parameter "+name+"="+strconv.Quote(s)+": want a decimal integer")
		return 0, false
	}
	return n, true
}

func (l *Log) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrRange):
		problem(w, http.StatusNotFound, ProblemRange, err.Error())
	case errors.Is(err, ErrTampered):
		l.log.Error("transparency log failed its own check; restore log.db from a backup", "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, ProblemTampered, "the log's own check failed; its operator must restore it")
	default:
		l.log.Warn("transparency log could not answer", "path", r.URL.Path, "err", err)
		problem(w, http.StatusServiceUnavailable, ProblemInternal, "the log could not answer; try again later")
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		problem(w, http.StatusInternalServerError, ProblemInternal, "encoding the answer failed")
		return
	}
	w.Header().Set("Content-Type", MediaJSON)
	w.Write(b)
}

func problem(w http.ResponseWriter, status int, typ, detail string) {
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{typ, http.StatusText(status), status, detail})
	w.Header().Set("Content-Type", MediaProblem)
	w.WriteHeader(status)
	w.Write(b)
}
