package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/sicollab/sicollab/schema"
)

// Option configures TestRecords and CheckRecords.
type Option func(*config) error

type config struct {
	kinds     []string
	validator *schema.Validator
}

// WithKinds names the kinds the partner claims to produce; each must
// appear among the records at least once, and each must be a known kind.
func WithKinds(kinds ...string) Option {
	return func(c *config) error {
		known := map[string]bool{}
		for _, k := range schema.Kinds() {
			known[k.Kind] = true
		}
		for _, k := range kinds {
			if !known[k] {
				return fmt.Errorf("schematest: WithKinds: unknown kind %q", k)
			}
		}
		c.kinds = append(c.kinds, kinds...)
		return nil
	}
}

// WithValidator checks with v (for example one with the limits of the hub
// you submit to) instead of a default schema.NewValidator().
func WithValidator(v *schema.Validator) Option {
	return func(c *config) error {
		if v == nil {
			return errors.New("schematest: WithValidator: nil validator")
		}
		c.validator = v
		return nil
	}
}

func newConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.validator == nil {
		v, err := schema.NewValidator()
		if err != nil {
			return nil, err
		}
		c.validator = v
	}
	return c, nil
}

// TestRecords checks records (one JSON envelope each) as subtests of t:
// one per record, named by index and kind, and one for the set as a
// whole.
func TestRecords(t *testing.T, records [][]byte, opts ...Option) {
	t.Helper()
	c, err := newConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 {
		t.Fatal("schematest: no records to check")
	}
	var ids []string
	var kinds []string
	for i, raw := range records {
		env, errs := checkRecord(c.validator, raw)
		name := fmt.Sprintf("record-%d", i)
		if env.Kind != "" {
			name += "-" + env.Kind
		}
		t.Run(name, func(t *testing.T) {
			for _, e := range errs {
				t.Error(e)
			}
		})
		ids = append(ids, env.ID)
		kinds = append(kinds, env.Kind)
	}
	t.Run("set", func(t *testing.T) {
		for _, e := range checkSet(c, ids, kinds) {
			t.Error(e)
		}
	})
}

// CheckRecords applies the same rules as TestRecords and returns every
// finding joined in one error, each prefixed with the record's index; nil
// when all conform (as testing/fstest.TestFS does for a file system).
func CheckRecords(records [][]byte, opts ...Option) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	var all []error
	var ids, kinds []string
	for i, raw := range records {
		env, errs := checkRecord(c.validator, raw)
		for _, e := range errs {
			all = append(all, fmt.Errorf("record %d: %w", i, e))
		}
		ids = append(ids, env.ID)
		kinds = append(kinds, env.Kind)
	}
	all = append(all, checkSet(c, ids, kinds)...)
	return errors.Join(all...)
}

func checkRecord(v *schema.Validator, raw []byte) (schema.Envelope, []error) {
	env, err := v.Validate(raw)
	if err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			var errs []error
			for _, x := range ve.Violations {
				errs = append(errs, fmt.Errorf("%s: %s (%s)", pointer(x.Pointer), x.Message, x.Keyword))
			}
			return schema.Envelope{}, errs
		}
		return schema.Envelope{}, []error{err}
	}
	var errs []error
	if !env.RetainUntil.After(env.CollectedAt) {
		errs = append(errs, fmt.Errorf("/retain_until %s is not after /collected_at %s", env.RetainUntil.Format("2006-01-02T15:04:05Z07:00"), env.CollectedAt.Format("2006-01-02T15:04:05Z07:00")))
	}
	for i, h := range env.Provenance {
		if h.At.Before(env.CollectedAt) {
			errs = append(errs, fmt.Errorf("/provenance/%d/at is before /collected_at", i))
		}
		if i > 0 && h.At.Before(env.Provenance[i-1].At) {
			errs = append(errs, fmt.Errorf("/provenance/%d/at is before the hop before it", i))
		}
	}
	if n := len(env.Provenance); n > 0 {
		d, err := env.Digest()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("/payload: %w", err))
		case d != env.Provenance[n-1].Digest:
			errs = append(errs, fmt.Errorf("/provenance/%d/digest %s does not match the payload (%s)", n-1, env.Provenance[n-1].Digest, d))
		}
	}
	if err := roundTrip(env); err != nil {
		errs = append(errs, err)
	}
	return env, errs
}

// roundTrip decodes the payload into the SDK's Go type and encodes it
// again; a difference means the partner relies on something the type does
// not carry.
func roundTrip(env schema.Envelope) error {
	p, err := schema.NewPayload(env.Kind, env.SchemaVersion)
	if err != nil {
		return err
	}
	if err := env.DecodePayload(p); err != nil {
		return err
	}
	back, err := json.Marshal(p)
	if err != nil {
		return err
	}
	a, errA := jcs.Transform(env.Payload)
	b, errB := jcs.Transform(back)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		return fmt.Errorf("/payload does not round-trip through %T: sent %s, type carries %s", p, a, b)
	}
	return nil
}

func checkSet(c *config, ids, kinds []string) []error {
	var errs []error
	seen := map[string]int{}
	for i, id := range ids {
		if id == "" {
			continue
		}
		if j, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("records %d and %d share /id %s: ids must be unique", j, i, id))
		}
		seen[id] = i
	}
	have := map[string]bool{}
	for _, k := range kinds {
		have[k] = true
	}
	for _, k := range c.kinds {
		if !have[k] {
			errs = append(errs, fmt.Errorf("no valid record of kind %s, which the producer claims to produce", k))
		}
	}
	return errs
}

func pointer(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
