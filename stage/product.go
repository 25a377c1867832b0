package stage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
)

// ProductConfig is what an analyzer writes into every product it emits.
type ProductConfig struct {
	// ListType is the domain list; required.
	ListType schema.ListType
	// Frequency is the product's frequency (0 means
	// schema.FrequencyRealTime); schema.FrequencyTask needs TaskID.
	Frequency schema.Frequency
	// Producer is the producing organization's id; required.
	Producer string
	// RequirementID is the requirement the list serves; required.
	RequirementID string
	// TaskID is the task the list answers, if any.
	TaskID string
	// NewID makes product ids (nil means a UUID v7).
	NewID func() string
	// Now gives produced_at (nil means time.Now).
	Now func() time.Time
}

// Validate reports every problem of c, joined.
func (c ProductConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("stage: product config: "+format, args...))
	}
	if c.ListType == "" {
		bad("ListType: required, got \"\"")
	}
	if c.Producer == "" {
		bad("Producer: required, got \"\"")
	}
	if c.RequirementID == "" {
		bad("RequirementID: required, got \"\"")
	}
	switch c.Frequency {
	case "", schema.FrequencyRealTime, schema.FrequencyDaily:
	case schema.FrequencyTask:
		if c.TaskID == "" {
			bad("TaskID: required with Frequency %q, got \"\"", c.Frequency)
		}
	default:
		bad("Frequency: products are real_time, daily or task, got %q", c.Frequency)
	}
	return errors.Join(errs...)
}

func (c ProductConfig) withDefaults() ProductConfig {
	if c.Frequency == "" {
		c.Frequency = schema.FrequencyRealTime
	}
	if c.NewID == nil {
		c.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// product returns a product over period with entries sorted by score,
// highest first, then by subject.
func (c ProductConfig) product(period schema.Window, entries []schema.ProductEntry) schema.Product {
	slices.SortStableFunc(entries, func(a, b schema.ProductEntry) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.Subject.KeyID+a.Subject.Pseudonym, b.Subject.KeyID+b.Subject.Pseudonym)
	})
	return schema.Product{
		ID: c.NewID(), ListType: c.ListType, Frequency: c.Frequency, Producer: c.Producer,
		RequirementID: c.RequirementID, TaskID: c.TaskID, Period: period,
		ProducedAt: c.Now().UTC(), Entries: entries,
	}
}
