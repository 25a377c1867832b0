package collab_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/internal/demoscheme"
	"github.com/sicollab/sicollab/schema"
)

// FuzzParseDirectory checks that ParseDirectory never panics, that its
// errors are ours, and that any directory it accepts keeps its promises.
func FuzzParseDirectory(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "schema", "testdata", schema.KindDirectory, "v1", "*", "*.json"))
	for _, name := range seeds {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(demoscheme.JSON())
	f.Add(encode(f, smallScheme()))
	doc := smallScheme()
	doc.Orgs[1].Supervisor = "central-bank"
	doc.Orgs[2].Supervisor = "public-security"
	doc.Orgs = append(doc.Orgs, doc.Orgs[0])
	f.Add(encode(f, doc))
	f.Add([]byte(`{"version":1,"updated_at":"2026-01-01T00:00:00Z","orgs":[{}]}`))

	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := collab.ParseDirectory(raw)
		if err != nil {
			if d != nil {
				t.Fatal("a directory and an error")
			}
			if !strings.HasPrefix(err.Error(), "collab: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		orgs := d.Orgs()
		if !slices.IsSortedFunc(orgs, func(a, b collab.Org) int { return strings.Compare(a.ID, b.ID) }) {
			t.Fatal("Orgs() not sorted")
		}
		if len(d.ByTier(collab.LeadingGroup)) != 1 || d.LeadingGroup().Tier != collab.LeadingGroup {
			t.Fatal("not exactly one leading group")
		}
		for _, o := range orgs {
			if !o.Tier.Valid() {
				t.Fatalf("%s has tier %v", o.ID, o.Tier)
			}
			if o.Supervisor != "" {
				if _, ok := d.Supervisor(o.ID); !ok {
					t.Fatalf("%s: supervisor %q not found", o.ID, o.Supervisor)
				}
			}
			for _, k := range o.Submits {
				next, err := d.Route(o.ID, k)
				if err != nil {
					t.Fatalf("Route(%s, %s): %v", o.ID, k, err)
				}
				if o.Tier == collab.SocialForce && len(next) == 0 && !collab.Addressed(k) {
					t.Fatalf("Route(%s, %s): a social force's submission has nowhere to go", o.ID, k)
				}
				for _, id := range next {
					if r, ok := d.Org(id); !ok || !r.CanReceive(k) {
						t.Fatalf("Route(%s, %s) sends to %s, which does not take it in", o.ID, k, id)
					}
				}
			}
			if _, ok := d.Authenticate(o.ID); ok && o.TokenSHA256 == "" {
				t.Fatal("authenticated without a token hash")
			}
		}
	})
}

// FuzzTipDeskTakeJSON checks that a tip from the public, whatever its
// bytes, is taken in or refused with ErrBadTip (or the reporter's limit),
// never a panic, and that a tip taken in is routed.
func FuzzTipDeskTakeJSON(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "schema", "testdata", schema.KindPublicTip, "v1", "*", "*.json"))
	for _, name := range seeds {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	dir := loadScheme(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		desk, err := collab.NewTipDesk(collab.TipDeskConfig{Directory: dir, Desk: "public-security"})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := desk.TakeJSON(t.Context(), raw)
		if err != nil {
			if !errors.Is(err, collab.ErrBadTip) && !errors.Is(err, collab.ErrTipLimit) {
				t.Fatalf("not a tip error: %v", err)
			}
			return
		}
		if rc.To != "public-security" || rc.TipID == "" || rc.Reports != 1 {
			t.Fatalf("taken but %+v", rc)
		}
	})
}

// FuzzDirectorySignature feeds arbitrary signature documents to
// VerifyDirectorySignature: it never panics, and anything but the real
// signature is refused with ErrDirectorySignature.
func FuzzDirectorySignature(f *testing.F) {
	raw := demoscheme.JSON()
	d := loadScheme(f)
	id, priv := fixtureKey("leading-group")
	good, err := collab.SignDirectory(raw, id, priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"key_id":"leading-group-2026","alg":"ed25519","signature":"AAAA"}`))
	f.Add([]byte(`{"key_id":"leading-group-2026","alg":"ed25519","signature":"` + strings.Repeat("A", 86) + `=="}`))
	f.Add([]byte(`[]`))
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	trusted := d.LeadingGroup().Keys
	f.Fuzz(func(t *testing.T, sig []byte) {
		_, err := collab.VerifyDirectorySignature(raw, sig, trusted, at)
		if err != nil && !errors.Is(err, collab.ErrDirectorySignature) {
			t.Fatalf("error does not wrap ErrDirectorySignature: %v", err)
		}
	})
}
