package submit

import (
	"errors"
	"testing"

	"github.com/sicollab/sicollab/schema"
)

// FuzzVerifyChain feeds VerifyChain and the SealVerifier every record
// the validator accepts: they never panic, and the hub never refuses a
// chain VerifyChain accepts.
func FuzzVerifyChain(f *testing.F) {
	fx := newFixture(f, nil)
	envs := make([]schema.Envelope, 3)
	for i := range envs {
		envs[i] = fx.envelope(testBank, schema.KindFinanceTransaction)
		if err := envs[i].Stamp(testBank, schema.StageCollection, testNow); err != nil {
			f.Fatal(err)
		}
	}
	if err := hopSigner(f, testBank).SealHops(testBank, envs); err != nil {
		f.Fatal(err)
	}
	for _, e := range envs {
		f.Add(line(f, e))
	}
	v, err := schema.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	sv, err := NewSealVerifier(SealConfig{Require: true})
	if err != nil {
		f.Fatal(err)
	}
	dir := testDirectory(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := v.Validate(raw)
		if err != nil {
			return
		}
		err = VerifyChain(dir, &env)
		_, herr := sv.VerifyHops(t.Context(), dir, &env)
		if herr != nil && err == nil {
			t.Fatalf("the hub refuses what VerifyChain accepts: %v", herr)
		}
		// Nor, with what earlier records proved remembered, does it
		// accept a seal VerifyChain refuses (the payload's digest and a
		// record without hops are the handler's checks, not the
		// SealVerifier's).
		var he *HopError
		if herr == nil && errors.As(err, &he) && he.Check != CheckDigest && he.Hop >= 0 {
			t.Fatalf("the hub accepts what VerifyChain refuses: %v", err)
		}
	})
}
