package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// maxSeedBytes bounds one line of a purposes file.
const maxSeedBytes = 1 << 20

// seedPurposes gives reg the requirements and tasks of path, an NDJSON
// file of collab.requirement and collab.task envelopes that the hub's own
// operator trusts (their issuers reach the hub over the protocol too; a
// seed is for a hub's first start and for purposes issued elsewhere).
// Every line is validated first; any problem names its line and pointer,
// and nothing is learnt unless every line is good.
func seedPurposes(ctx context.Context, path string, reg submit.Learner) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("purposes file: %w", err)
	}
	defer f.Close()
	v, err := schema.NewValidator()
	if err != nil {
		return 0, err
	}
	var envs []schema.Envelope
	var problems []error
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxSeedBytes)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		env, err := v.Validate(line)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("%s:%d: %w", path, n, err))
		case env.Kind != schema.KindRequirement && env.Kind != schema.KindTask:
			problems = append(problems, fmt.Errorf("%s:%d: /kind is %q; a purposes file holds only %s and %s envelopes",
				path, n, env.Kind, schema.KindRequirement, schema.KindTask))
		default:
			envs = append(envs, env)
		}
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w (a line is limited to %d bytes)", path, err, maxSeedBytes))
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("purposes file refused, nothing learnt: %w", errors.Join(problems...))
	}
	if len(envs) == 0 {
		return 0, fmt.Errorf("purposes file %s holds no envelope", path)
	}
	if err := reg.Learn(ctx, envs); err != nil {
		return 0, fmt.Errorf("purposes file %s: %w", path, err)
	}
	return len(envs), nil
}
