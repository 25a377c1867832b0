package taxii_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit/taxii"
)

// schemeJSON returns the synthetic scheme of the fixtures; every
// organization's token is "token-<org id>".
func schemeJSON() ([]byte, error) { return demoscheme.JSON(), nil }

func loadScheme(t testing.TB) *collab.Directory {
	t.Helper()
	raw, err := schemeJSON()
	require.NoError(t, err)
	d, err := collab.ParseDirectory(raw)
	require.NoError(t, err)
	return d
}

func token(org string) string { return "token-" + org }

// testID is a fixed UUID v7 numbered n.
func testID(n int) string { return fmt.Sprintf("01960000-0000-7000-8000-%012x", n) }

func pseudonym(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)

// product returns product n of the list type by producer, produced n
// minutes after t0, with entries entries.
func product(n int, lt schema.ListType, producer string, entries int) schema.Product {
	at := t0.Add(time.Duration(n) * time.Minute)
	p := schema.Product{
		ID: testID(0x1000 + n), ListType: lt, Frequency: schema.FrequencyDaily, Producer: producer,
		RequirementID: testID(1), Period: schema.Window{From: at.Add(-24 * time.Hour), To: at}, ProducedAt: at,
		Summary: fmt.Sprintf("synthetic list %d", n),
	}
	for i := range entries {
		p.Entries = append(p.Entries, schema.ProductEntry{
			Subject: schema.Subject{Pseudonym: pseudonym(fmt.Sprintf("p%d-%d", n, i)), IDType: "national_id", KeyID: "k2026"},
			Score:   0.9 - float64(i)/10, Reasons: []string{"rule-a", "rule-b"}, EvidenceIDs: []string{testID(0x9000 + n*10 + i)},
		})
	}
	return p
}

// hub is a Handler over a MemCatalog and a MemJournal, served on loopback.
type hub struct {
	dir     *collab.Directory
	cat     *collab.MemCatalog
	journal *collab.MemJournal
	srv     *httptest.Server
	h       *taxii.Handler
}

func newHub(t testing.TB, org string, mod func(*taxii.Config)) *hub {
	t.Helper()
	d := loadScheme(t)
	cat, err := collab.NewMemCatalog()
	require.NoError(t, err)
	j := collab.NewMemJournal()
	cfg := taxii.Config{Directory: d, Org: org, Catalog: cat, Journal: j,
		Clock: func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) }}
	if mod != nil {
		mod(&cfg)
	}
	h, err := taxii.NewHandler(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &hub{dir: d, cat: cat, journal: j, srv: srv, h: h}
}

func (h *hub) put(t testing.TB, p schema.Product, label schema.Handling) {
	t.Helper()
	require.NoError(t, h.cat.PutLabeled(context.Background(), p, label))
}

// get sends a GET as org (no token if org is "") and returns the status,
// the headers and the body.
func (h *hub) get(t testing.TB, org, path string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	return h.do(t, http.MethodGet, org, path, header...)
}

func (h *hub) do(t testing.TB, method, org, path string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", taxii.MediaTAXII)
	if org != "" {
		req.Header.Set("Authorization", "Bearer "+token(org))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}

// objectsPath is the objects URL path of a collection.
func objectsPath(coll string) string { return "/taxii2/lists/collections/" + coll + "/objects/" }

// readAll pages through a collection's objects as org with the page size
// limit and returns every object, decoded, and the number of pages.
func (h *hub) readAll(t testing.TB, org, coll string, limit int, extra string) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	next := ""
	for pages := 1; ; pages++ {
		q := fmt.Sprintf("?limit=%d%s", limit, extra)
		if next != "" {
			q += "&next=" + next
		}
		status, _, body := h.get(t, org, objectsPath(coll)+q)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var env struct {
			More    bool             `json:"more"`
			Next    string           `json:"next"`
			Objects []map[string]any `json:"objects"`
		}
		require.NoError(t, json.Unmarshal(body, &env))
		require.LessOrEqual(t, len(env.Objects), limit)
		out = append(out, env.Objects...)
		if !env.More {
			require.Empty(t, env.Next, "next without more")
			return out, pages
		}
		require.NotEmpty(t, env.Next, "more without next")
		next = env.Next
		require.Less(t, pages, 1000)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

func rawObjects(t testing.TB, objs []map[string]any) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		out[i] = json.RawMessage(mustJSON(t, o))
	}
	return out
}
