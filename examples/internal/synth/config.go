package synth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// Defaults of a Config.
const (
	// DefaultDays is the length of the generated time window.
	DefaultDays = 30
	// DefaultPopulation is the number of synthetic people in the
	// background.
	DefaultPopulation = 20000
	// DefaultRetention is how long records are kept after collection.
	DefaultRetention = 365 * 24 * time.Hour
	// DefaultKeyID is the id of the synthetic pseudonymization key.
	DefaultKeyID = "synth-2026"
	// MaxPopulation bounds Config.Population: pseudonyms are cached per
	// person (up to about 700 bytes each, once all eight are used).
	MaxPopulation = 1_000_000
	// MaxDays bounds Config.Days (about ten years).
	MaxDays = 3660
)

// MaxCollectionDelay is how long after its event a record may be
// collected: collected_at falls up to this long after the window's end.
const MaxCollectionDelay = 91 * time.Minute

// StartBefore returns the start of a window of days whole days whose
// every collected_at lies before now, so that a hub checking collection
// times against its clock accepts all of it whatever the hour of day.
func StartBefore(now time.Time, days int) time.Time {
	return now.UTC().Add(-MaxCollectionDelay).Truncate(24*time.Hour).AddDate(0, 0, -days)
}

// DefaultStart is the start of the default window: 2026-03-01T00:00:00Z.
var DefaultStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// DefaultKey returns the fixed synthetic pseudonymization key
// (SHA-256 of a public phrase): every run with the default key gives the
// same pseudonyms. It is synthetic on purpose; a real deployment draws its
// key from crypto/rand and keeps it in a secret store.
func DefaultKey() []byte {
	k := sha256.Sum256([]byte("sicollab synthetic pseudonym key, never used for real data"))
	return k[:]
}

// DefaultWeights returns the default mix of record kinds, in parts of
// 1000: fund flows and passenger trips dominate, as they do in practice;
// infectious-source reports are rare.
//
//	finance.transaction        300
//	transport.passenger        250
//	services.lodging           150
//	customs.entry_exit         120
//	transport.freight           60
//	telecom.account_report      40
//	customs.inspection          40
//	commerce.hazmat_purchase    30
//	health.infectious_source    10
func DefaultWeights() map[string]int {
	return map[string]int{
		schema.KindFinanceTransaction:   300,
		schema.KindTransportPassenger:   250,
		schema.KindServicesLodging:      150,
		schema.KindCustomsEntryExit:     120,
		schema.KindTransportFreight:     60,
		schema.KindTelecomAccountReport: 40,
		schema.KindCustomsInspection:    40,
		schema.KindCommerceHazmat:       30,
		schema.KindHealthInfectious:     10,
	}
}

// recordKinds lists the kinds the generator makes, sorted.
var recordKinds = slices.Sorted(maps.Keys(DefaultWeights()))

// Kinds returns the record kinds the generator produces, sorted.
func Kinds() []string {
	return slices.Clone(recordKinds)
}

// Config configures a Generator. The zero value of every field but
// Purpose means its default; Validate reports what is wrong.
type Config struct {
	// Seed makes the output: the same Config gives byte-identical records.
	Seed uint64
	// Start is the beginning of the time window (UTC, truncated to the
	// second); default DefaultStart.
	Start time.Time
	// Days is the length of the window; default DefaultDays, at most
	// MaxDays.
	Days int
	// Population is the number of background people (at least 100, at
	// most MaxPopulation); default DefaultPopulation. People planted in
	// patterns come on top.
	Population int
	// Directory lists the organizations records come from; default
	// Directory(), the synthetic scheme. Records of a kind come from the
	// social forces that may submit it, and from general business
	// departments that submit it without supervising a social force that
	// does (customs collects entry-exit records itself).
	Directory *collab.Directory
	// Sources, if set, restricts records to these organizations (ids of
	// the directory): an example program of one bank makes that bank's
	// records only. Kinds none of them submits drop out of the mix; people
	// still hold accounts at every institution of the directory.
	Sources []string
	// Weights is the mix of kinds (relative, any positive scale); default
	// DefaultWeights(). A kind with weight 0 or absent is not generated
	// by Records and Scenario; Generate and Plant still make it.
	Weights map[string]int
	// Purpose is the requirement and/or task every record is collected
	// under: required, ids UUID v7.
	Purpose schema.Purpose
	// Purposes overrides Purpose per kind.
	Purposes map[string]schema.Purpose
	// LegalBasis overrides the per-kind default legal basis text.
	LegalBasis string
	// Handling is the TLP label of every record; default AMBER.
	Handling schema.Handling
	// Identity adds clear identity (synthetic name, identifier, birth date,
	// nationality) to every subject that is a person. It needs Handling
	// AMBER+STRICT or RED. Off by default: records carry pseudonyms only.
	Identity bool
	// Retention is retain_until minus collected_at; default
	// DefaultRetention.
	Retention time.Duration
	// Provenance stamps each record with its collection hop (source org,
	// stage collection, payload digest). It costs a canonicalization and a
	// SHA-256 per record.
	Provenance bool
	// KeyID names the pseudonymization key in every subject; default
	// DefaultKeyID. Set it together with Key, or neither.
	KeyID string
	// Key is the pseudonymization key (at least schema.MinKeyBytes);
	// default DefaultKey().
	Key []byte
}

// ErrInvalidConfig is wrapped by the errors of Config.Validate and New.
var ErrInvalidConfig = errors.New("synth: invalid config")

var uuid7Pattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	if c.Population == 0 {
		c.Population = DefaultPopulation
	}
	if c.Directory == nil {
		c.Directory = Directory()
	}
	if c.Weights == nil {
		c.Weights = DefaultWeights()
	}
	if c.Handling == "" {
		c.Handling = schema.HandlingAmber
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.KeyID == "" && c.Key == nil {
		c.KeyID, c.Key = DefaultKeyID, DefaultKey()
	}
	return c
}

// Validate reports every problem of c (after defaults), each naming the
// field and the value found, joined; each wraps ErrInvalidConfig.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if c.Days < 1 || c.Days > MaxDays {
		bad("Days must be 1 to %d, got %d", MaxDays, c.Days)
	}
	if c.Population < 100 || c.Population > MaxPopulation {
		bad("Population must be 100 to %d, got %d", MaxPopulation, c.Population)
	}
	if y := c.Start.Year(); y < 2000 || y > 9000 {
		bad("Start must be between the years 2000 and 9000, got %s", c.Start.Format(time.RFC3339))
	}
	checkPurpose := func(field string, p schema.Purpose) {
		if p.RequirementID == "" && p.TaskID == "" {
			bad("%s needs a RequirementID or a TaskID: a record is collected only under a purpose", field)
		}
		if p.RequirementID != "" && !uuid7Pattern.MatchString(p.RequirementID) {
			bad("%s.RequirementID must be a lower-case UUID v7, got %q", field, p.RequirementID)
		}
		if p.TaskID != "" && !uuid7Pattern.MatchString(p.TaskID) {
			bad("%s.TaskID must be a lower-case UUID v7, got %q", field, p.TaskID)
		}
	}
	checkPurpose("Purpose", c.Purpose)
	for _, k := range slices.Sorted(maps.Keys(c.Purposes)) {
		if !slices.Contains(Kinds(), k) {
			bad("Purposes has kind %q, which the generator does not make (it makes %v)", k, Kinds())
			continue
		}
		checkPurpose(fmt.Sprintf("Purposes[%q]", k), c.Purposes[k])
	}
	for _, id := range c.Sources {
		o, ok := c.Directory.Org(id)
		if !ok {
			bad("Sources has %q, which is not in the directory", id)
			continue
		}
		makes := false
		for _, k := range Kinds() {
			makes = makes || slices.ContainsFunc(sourcesOf(c.Directory, k), func(s collab.Org) bool { return s.ID == o.ID })
		}
		if !makes {
			bad("Sources has %q, which collects no record kind the generator makes (it may submit %v)", id, o.Submits)
		}
	}
	total, usable := 0, 0
	for _, k := range slices.Sorted(maps.Keys(c.Weights)) {
		w := c.Weights[k]
		switch {
		case !slices.Contains(Kinds(), k):
			bad("Weights has kind %q, which the generator does not make (it makes %v)", k, Kinds())
		case w < 0 || w > 1_000_000:
			bad("Weights[%q] must be 0 to 1000000, got %d", k, w)
		case w > 0:
			total += w
			srcs := sourcesOf(c.Directory, k)
			if len(srcs) == 0 {
				bad("Weights[%q] is %d but no organization of the directory may submit %s", k, w, k)
			}
			for _, s := range srcs {
				if len(c.Sources) == 0 || slices.Contains(c.Sources, s.ID) {
					usable++
					break
				}
			}
		}
	}
	if total == 0 {
		bad("Weights must give at least one kind a positive weight")
	} else if usable == 0 && len(c.Sources) > 0 {
		bad("Sources %v collect no kind with a positive weight", c.Sources)
	}
	switch c.Handling {
	case schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed:
	default:
		bad("Handling must be a TLP 2.0 label (CLEAR, GREEN, AMBER, AMBER+STRICT, RED), got %q", c.Handling)
	}
	if c.Identity && !c.Handling.AllowsIdentity() {
		bad("Identity needs Handling AMBER+STRICT or RED, got %q", c.Handling)
	}
	if len(c.LegalBasis) > 256 {
		bad("LegalBasis must be at most 256 bytes, got %d", len(c.LegalBasis))
	}
	if c.Retention < time.Hour {
		bad("Retention must be at least an hour, got %s", c.Retention)
	}
	if _, err := schema.NewPseudonymizer(c.KeyID, c.Key); err != nil {
		bad("KeyID and Key: %v", err)
	}
	return errors.Join(errs...)
}

// sourcesOf lists the organizations of d that records of kind come from,
// sorted by id: the social forces that may submit it, and the general
// business departments that may submit it without supervising a social
// force that does (those relay, they do not collect).
func sourcesOf(d *collab.Directory, kind string) []collab.Org {
	var social, gbd []collab.Org
	supervisors := map[string]bool{}
	for _, o := range d.Orgs() {
		if !o.CanSubmit(kind) {
			continue
		}
		switch o.Tier {
		case collab.SocialForce:
			social = append(social, o)
			supervisors[o.Supervisor] = true
		case collab.GeneralBusinessDepartment:
			gbd = append(gbd, o)
		}
	}
	for _, o := range gbd {
		if !supervisors[o.ID] {
			social = append(social, o)
		}
	}
	slices.SortFunc(social, func(a, b collab.Org) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return social
}
