package schema_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sicollab/sicollab/schema"
)

// testKey is the key of the published test vectors: 32 ASCII bytes.
// Never use it for real data.
const (
	testKey   = "sicollab-test-key-0123456789abcd"
	testKeyID = "test-2026-01"
)

func testPseudonymizer(t testing.TB) *schema.Pseudonymizer {
	t.Helper()
	require.Len(t, testKey, schema.MinKeyBytes)
	p, err := schema.NewPseudonymizer(testKeyID, []byte(testKey))
	require.NoError(t, err)
	return p
}

type normCase struct {
	t    schema.IDType
	raw  string
	want string // "" means the input must be refused
}

// normCases covers good and bad inputs of every type. All data is synthetic.
var normCases = []normCase{
	// passport: 5..20 of A-Z0-9, spaces and hyphens dropped, upper-cased
	{schema.IDPassport, "E12345678", "E12345678"},
	{schema.IDPassport, "e1234 5678", "E12345678"},
	{schema.IDPassport, " g-123-456-78 ", "G12345678"},
	{schema.IDPassport, "AB\u00a0123", "AB123"}, // no-break space
	{schema.IDPassport, "A123", ""},             // too short
	{schema.IDPassport, "A1234567890123456789X", ""},
	{schema.IDPassport, "E1234/5678", ""},
	{schema.IDPassport, "É12345678", ""}, // non-ASCII letter
	{schema.IDPassport, "   ", ""},
	{schema.IDPassport, "", ""},
	// national_id: 4..32
	{schema.IDNationalID, "99000020260101000x", "99000020260101000X"},
	{schema.IDNationalID, "9900 0020 2601 0100 0X", "99000020260101000X"},
	{schema.IDNationalID, "A12", ""},
	{schema.IDNationalID, strings.Repeat("1", 33), ""},
	{schema.IDNationalID, "12_34_56", ""},
	// phone: E.164
	{schema.IDPhone, "+8613800000000", "+8613800000000"},
	{schema.IDPhone, "+86 138-0000-0000", "+8613800000000"},
	{schema.IDPhone, "0086 (138) 0000.0000", "+8613800000000"},
	{schema.IDPhone, "+44 20 7946 0000", "+442079460000"},
	{schema.IDPhone, "13800000000", ""},         // national number: not guessed
	{schema.IDPhone, "+44 (0)20 7946 0000", ""}, // trunk prefix
	{schema.IDPhone, "+0 86 138 0000 0000", ""}, // country code 0
	{schema.IDPhone, "+123456", ""},             // 6 digits
	{schema.IDPhone, "+1234567890123456", ""},   // 16 digits
	{schema.IDPhone, "+86 138 0000 000O", ""},   // letter O
	{schema.IDPhone, "+86+13800000000", ""},     // second plus
	{schema.IDPhone, "++8613800000000", ""},     // second plus
	{schema.IDPhone, "+", ""},
	{schema.IDPhone, "", ""},
	// account: 4..34, IBAN-like
	{schema.IDAccount, "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"},
	{schema.IDAccount, "de89-3704-0044-0532-0130-00", "DE89370400440532013000"},
	{schema.IDAccount, "8613800000000", "8613800000000"},
	{schema.IDAccount, "123", ""},
	{schema.IDAccount, strings.Repeat("9", 35), ""},
	{schema.IDAccount, "DE89.3704.0044", ""},
	// email
	{schema.IDEmail, "alice.example@example.org", "alice.example@example.org"},
	{schema.IDEmail, "  Alice.Example@Example.ORG \n", "alice.example@example.org"},
	{schema.IDEmail, "BOB+tag@mail.example.net", "bob+tag@mail.example.net"},
	{schema.IDEmail, "alice.example.org", ""},
	{schema.IDEmail, "alice@@example.org", ""},
	{schema.IDEmail, "alice@bob@example.org", ""},
	{schema.IDEmail, "@example.org", ""},
	{schema.IDEmail, "alice@localhost", ""},
	{schema.IDEmail, "alice@example.org.", ""},
	{schema.IDEmail, "alice@.example.org", ""},
	{schema.IDEmail, "alice@example..org", ""},
	{schema.IDEmail, "alice smith@example.org", ""},
	{schema.IDEmail, "alice\x00@example.org", ""},
	{schema.IDEmail, "alice\xff@example.org", ""},
	{schema.IDEmail, strings.Repeat("a", 250) + "@example.org", ""},
	{schema.IDEmail, "", ""},
	// unknown type
	{schema.IDType("ssn"), "123-45-6789", ""},
	{schema.IDType(""), "E12345678", ""},
	// longer than MaxIdentifierBytes, whatever the type
	{schema.IDPhone, "+86" + strings.Repeat(" ", schema.MaxIdentifierBytes) + "13800000000", ""},
}

func TestNormalize(t *testing.T) {
	require.GreaterOrEqual(t, len(normCases), 25)
	for _, c := range normCases {
		t.Run(fmt.Sprintf("%s/%q", c.t, truncated(c.raw)), func(t *testing.T) {
			got, err := schema.Normalize(c.t, c.raw)
			if c.want == "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, schema.ErrBadIdentifier)
				var ie *schema.IdentifierError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, len(c.raw), ie.Length)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			again, err := schema.Normalize(c.t, got)
			require.NoError(t, err, "a normalized value must normalize again")
			assert.Equal(t, got, again, "normalization must be idempotent")
			assert.True(t, followsRule(c.t, got), "%q breaks the %s rule", got, c.t)
		})
	}
}

func truncated(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// TestNormalizeErrorHidesIdentifier: an error must be safe to log, so it
// never carries the identifier, raw or normalized, only its length.
func TestNormalizeErrorHidesIdentifier(t *testing.T) {
	p := testPseudonymizer(t)
	for _, c := range normCases {
		if c.want != "" {
			continue
		}
		_, err := schema.Normalize(c.t, c.raw)
		require.Error(t, err)
		_, perr := p.Pseudonym(c.t, c.raw)
		require.Error(t, perr)
		for _, msg := range []string{err.Error(), perr.Error()} {
			assert.Contains(t, msg, fmt.Sprintf("(%d bytes)", len(c.raw)), "the message gives the length")
			assert.Equal(t, strings.ToLower(msg[:1]), msg[:1], "messages start lower-case")
			for _, secret := range pieces(c.raw) {
				assert.NotContains(t, msg, secret, "error for %s leaks the identifier", c.t)
			}
		}
	}
}

// pieces returns the raw identifier and its forms with separators dropped
// and case changed: none of them may appear in a message. Pieces shorter
// than 5 bytes are too short to identify anyone and could occur by chance.
func pieces(raw string) []string {
	drop := strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "")
	trimmed := strings.TrimSpace(raw)
	var out []string
	for _, s := range []string{raw, trimmed, drop.Replace(trimmed), strings.ToUpper(drop.Replace(trimmed)), strings.ToLower(trimmed)} {
		if len(s) >= 5 {
			out = append(out, s)
		}
	}
	return out
}

// followsRule checks a normalized value against its type's rule, written
// independently of the implementation.
func followsRule(t schema.IDType, s string) bool {
	switch t {
	case schema.IDPassport:
		return regexp.MustCompile(`^[A-Z0-9]{5,20}$`).MatchString(s)
	case schema.IDNationalID:
		return regexp.MustCompile(`^[A-Z0-9]{4,32}$`).MatchString(s)
	case schema.IDAccount:
		return regexp.MustCompile(`^[A-Z0-9]{4,34}$`).MatchString(s)
	case schema.IDPhone:
		return regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`).MatchString(s)
	case schema.IDEmail:
		if !utf8.ValidString(s) || len(s) > 254 || s != strings.ToLower(s) || strings.Count(s, "@") != 1 {
			return false
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return false
		}
		local, domain, _ := strings.Cut(s, "@")
		return local != "" && strings.Contains(domain, ".") &&
			!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
	}
	return false
}

// TestPseudonymVectors pins the algorithm with the published vectors of
// testdata/vectors/pseudonyms.json, whose values were computed outside Go:
//
//	printf '%s' 'phone:+8613800000000' | openssl dgst -sha256 -hmac 'sicollab-test-key-0123456789abcd'
//
// Partners check their own implementation against that file.
func TestPseudonymVectors(t *testing.T) {
	p := testPseudonymizer(t)
	assert.Equal(t, testKeyID, p.KeyID())
	var file struct {
		Key     string `json:"key"`
		KeyID   string `json:"key_id"`
		Vectors []struct {
			IDType     schema.IDType `json:"id_type"`
			Raw        string        `json:"raw"`
			Normalized string        `json:"normalized"`
			Pseudonym  string        `json:"pseudonym"`
		} `json:"vectors"`
	}
	b, err := os.ReadFile("testdata/vectors/pseudonyms.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &file))
	assert.Equal(t, testKey, file.Key)
	assert.Equal(t, testKeyID, file.KeyID)
	require.GreaterOrEqual(t, len(file.Vectors), 10)
	for _, v := range file.Vectors {
		t.Run(string(v.IDType)+"/"+v.Raw, func(t *testing.T) {
			n, err := schema.Normalize(v.IDType, v.Raw)
			require.NoError(t, err)
			assert.Equal(t, v.Normalized, n)
			s, err := p.Pseudonym(v.IDType, v.Raw)
			require.NoError(t, err)
			assert.Equal(t, schema.Subject{Pseudonym: v.Pseudonym, IDType: v.IDType, KeyID: testKeyID}, s)
		})
	}
}

// TestDigestVectors checks testdata/vectors/digests.json: each payload's
// RFC 8785 form and provenance digest.
func TestDigestVectors(t *testing.T) {
	var file struct {
		Vectors []struct {
			Name      string          `json:"name"`
			Payload   json.RawMessage `json:"payload"`
			Canonical string          `json:"canonical"`
			Digest    string          `json:"digest"`
		} `json:"vectors"`
	}
	b, err := os.ReadFile("testdata/vectors/digests.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &file))
	require.GreaterOrEqual(t, len(file.Vectors), 5)
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			assert.Equal(t, v.Canonical, canonical(t, v.Payload))
			d, err := schema.PayloadDigest(v.Payload)
			require.NoError(t, err)
			assert.Equal(t, v.Digest, d)
			sum := sha256.Sum256([]byte(v.Canonical))
			assert.Equal(t, "sha-256:"+hex.EncodeToString(sum[:]), v.Digest)
		})
	}
}

// TestVectorFilesWithNode runs testdata/vectors/check.cjs, which checks
// both files with node's own crypto and JSON, when node is installed.
func TestVectorFilesWithNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "testdata/vectors/check.cjs", "testdata/vectors").CombinedOutput()
	t.Logf("%s", out)
	require.NoError(t, err)
	assert.Contains(t, string(out), " 0 fail")
}

func TestPseudonymDomainSeparation(t *testing.T) {
	p := testPseudonymizer(t)
	pseudo := func(t2 schema.IDType, raw string) string {
		s, err := p.Pseudonym(t2, raw)
		require.NoError(t, err)
		return s.Pseudonym
	}
	// The same digits as a phone and as an account.
	assert.NotEqual(t, pseudo(schema.IDPhone, "+8613800000000"), pseudo(schema.IDAccount, "8613800000000"))
	// The very same normalized string under three types.
	seen := map[string]schema.IDType{}
	for _, typ := range []schema.IDType{schema.IDPassport, schema.IDNationalID, schema.IDAccount} {
		ps := pseudo(typ, "E12345678")
		_, dup := seen[ps]
		assert.False(t, dup, "%s collides with %s", typ, seen[ps])
		seen[ps] = typ
	}
	// Two spellings of one identifier link.
	assert.Equal(t, pseudo(schema.IDPhone, "+86 138-0000-0000"), pseudo(schema.IDPhone, "0086 (138) 0000.0000"))
}

func TestPseudonymKeyMatters(t *testing.T) {
	p := testPseudonymizer(t)
	other, err := schema.NewPseudonymizer("test-2026-02", []byte("sicollab-test-key-0123456789abce"))
	require.NoError(t, err)
	a, err := p.Pseudonym(schema.IDPhone, "+8613800000000")
	require.NoError(t, err)
	b, err := other.Pseudonym(schema.IDPhone, "+8613800000000")
	require.NoError(t, err)
	assert.NotEqual(t, a.Pseudonym, b.Pseudonym, "rotating the key must change the pseudonym")
	assert.Equal(t, "test-2026-02", b.KeyID)
}

func TestNewPseudonymizer(t *testing.T) {
	key := []byte(testKey)
	cases := []struct {
		name  string
		keyID string
		key   []byte
		msg   string // substring of the error; "" means success
	}{
		{"ok", testKeyID, key, ""},
		{"long key", "k", append([]byte(testKey), testKey...), ""},
		{"short key", testKeyID, key[:31], "at least 32 bytes, got 31"},
		{"nil key", testKeyID, nil, "at least 32 bytes, got 0"},
		{"empty key id", "", key, "key id"},
		{"key id with space", "test 2026", key, "key id"},
		{"key id too long", strings.Repeat("k", 65), key, "key id"},
		{"key id non-ascii", "clé-1", key, "key id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := schema.NewPseudonymizer(c.keyID, c.key)
			if c.msg == "" {
				require.NoError(t, err)
				assert.Equal(t, c.keyID, p.KeyID())
				return
			}
			require.ErrorIs(t, err, schema.ErrBadKey)
			assert.Contains(t, err.Error(), c.msg)
			assert.Nil(t, p)
		})
	}
}

func TestPseudonymizerCopiesKey(t *testing.T) {
	key := []byte(testKey)
	p, err := schema.NewPseudonymizer(testKeyID, key)
	require.NoError(t, err)
	clear(key) // the caller zeroes its copy
	s, err := p.Pseudonym(schema.IDPhone, "+8613800000000")
	require.NoError(t, err)
	assert.Equal(t, "195c30777612bfafd34fa321d1ddc5aaeafbf0464aaefd095e4e88905b6e5d9f", s.Pseudonym)
}

func TestPseudonymizerZeroValue(t *testing.T) {
	var p schema.Pseudonymizer
	_, err := p.Pseudonym(schema.IDPhone, "+8613800000000")
	assert.ErrorIs(t, err, schema.ErrBadKey)
	var nilP *schema.Pseudonymizer
	_, err = nilP.Pseudonym(schema.IDPhone, "+8613800000000")
	assert.ErrorIs(t, err, schema.ErrBadKey)
}

func TestPseudonymizerNeverPrintsKey(t *testing.T) {
	p := testPseudonymizer(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, arg := range []any{p, *p} {
			out := fmt.Sprintf(verb, arg)
			assert.NotContains(t, out, testKey, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", testKey), verb)
			assert.NotContains(t, out, "115 105 99", verb) // the key's first bytes in decimal
			assert.Contains(t, out, testKeyID, verb)
		}
	}
}

func TestPseudonymConcurrent(t *testing.T) {
	p := testPseudonymizer(t)
	const want = "195c30777612bfafd34fa321d1ddc5aaeafbf0464aaefd095e4e88905b6e5d9f"
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 200 {
				s, err := p.Pseudonym(schema.IDPhone, "+86 138 0000 0000")
				if err == nil && s.Pseudonym != want {
					err = errors.New("wrong pseudonym " + s.Pseudonym)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// FuzzNormalize: Normalize never panics, what it accepts follows the
// type's rule and normalizes to itself, and what it refuses is refused
// with ErrBadIdentifier.
func FuzzNormalize(f *testing.F) {
	types := []schema.IDType{schema.IDPassport, schema.IDNationalID, schema.IDPhone, schema.IDAccount, schema.IDEmail, "unknown"}
	for _, c := range normCases {
		for i, typ := range types {
			if typ == c.t {
				f.Add(uint8(i), c.raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, ti uint8, raw string) {
		typ := types[int(ti)%len(types)]
		out, err := schema.Normalize(typ, raw)
		if err != nil {
			if !errors.Is(err, schema.ErrBadIdentifier) {
				t.Fatalf("Normalize(%s, %q): error %v does not wrap ErrBadIdentifier", typ, raw, err)
			}
			if out != "" {
				t.Fatalf("Normalize(%s, %q) returned %q with an error", typ, raw, out)
			}
			return
		}
		if !followsRule(typ, out) {
			t.Fatalf("Normalize(%s, %q) = %q, which breaks the rule", typ, raw, out)
		}
		again, err := schema.Normalize(typ, out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%s, %q) = %q, %v; not idempotent on %q", typ, out, again, err, raw)
		}
	})
}
