package collab

import (
	"fmt"
	"slices"
)

// Tier is an actor's place in the scheme. The zero Tier is not a tier;
// ParseTier and UnmarshalText never produce it.
type Tier int

// The four tiers of the scheme, from the top.
const (
	// LeadingGroup provides unified leadership and command: it issues
	// requirements, macro plans and tasks and receives work reports.
	LeadingGroup Tier = iota + 1
	// SpecializedDepartment has counter-terrorism as its primary mission
	// (public security, state security, armed police): every source ends
	// here, and escalations land here.
	SpecializedDepartment
	// GeneralBusinessDepartment supervises one or more sectors (central
	// bank, transport, industry and IT, customs): it aggregates, processes
	// and forwards, and produces domain lists.
	GeneralBusinessDepartment
	// SocialForce is an enterprise, a non-profit or the public: it collects
	// domain data, does first processing and submits upward.
	SocialForce
)

// tierName returns the name collab.directory gives the tier.
func tierName(t Tier) (string, bool) {
	switch t {
	case LeadingGroup:
		return "leading_group", true
	case SpecializedDepartment:
		return "specialized_department", true
	case GeneralBusinessDepartment:
		return "general_business_department", true
	case SocialForce:
		return "social_force", true
	}
	return "", false
}

// Tiers returns the four tiers, from the top.
func Tiers() []Tier {
	return []Tier{LeadingGroup, SpecializedDepartment, GeneralBusinessDepartment, SocialForce}
}

// String returns the tier's name as collab.directory writes it
// ("leading_group", "specialized_department",
// "general_business_department", "social_force"), or "tier(N)" for a value
// that is not a tier.
func (t Tier) String() string {
	if s, ok := tierName(t); ok {
		return s
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// Valid reports whether t is one of the four tiers.
func (t Tier) Valid() bool {
	_, ok := tierName(t)
	return ok
}

// Layer returns the layer of the tier: Leadership for the leading group,
// Execution for the others. A value that is not a tier has no layer (0).
func (t Tier) Layer() Layer {
	switch t {
	case LeadingGroup:
		return Leadership
	case SpecializedDepartment, GeneralBusinessDepartment, SocialForce:
		return Execution
	}
	return 0
}

// ParseTier returns the tier named s, as String writes it.
func ParseTier(s string) (Tier, error) {
	for _, t := range Tiers() {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("collab: unknown tier %q (want leading_group, specialized_department, general_business_department or social_force)", s)
}

// MarshalText writes the tier's name; it fails for a value that is not a
// tier.
func (t Tier) MarshalText() ([]byte, error) {
	s, ok := tierName(t)
	if !ok {
		return nil, fmt.Errorf("collab: cannot marshal %s", t)
	}
	return []byte(s), nil
}

// UnmarshalText reads a tier's name.
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Layer is one of the scheme's two layers of actors.
type Layer int

// The two layers.
const (
	// Leadership is the layer of the leading group.
	Leadership Layer = iota + 1
	// Execution is the layer of the departments and social forces.
	Execution
)

// String returns "leadership" or "execution", or "layer(N)" for a value
// that is not a layer.
func (l Layer) String() string {
	switch l {
	case Leadership:
		return "leadership"
	case Execution:
		return "execution"
	}
	return fmt.Sprintf("layer(%d)", int(l))
}

// Sector is a sector of the scheme, as the common sector definition of
// package schema lists them.
type Sector string

// The sectors of the scheme.
const (
	// SectorFinance: banks, securities firms, payment providers; the
	// central bank supervises them.
	SectorFinance Sector = "finance"
	// SectorTransport: rail, air and road carriers and freight forwarders.
	SectorTransport Sector = "transport"
	// SectorTelecom: operators, social media platforms, e-commerce.
	SectorTelecom Sector = "telecom"
	// SectorServices: hotels, hostels and other lodging.
	SectorServices Sector = "services"
	// SectorCommerce: manufacturing and commerce, in particular makers and
	// sellers of dangerous goods and precursors.
	SectorCommerce Sector = "commerce"
	// SectorHealth: hospitals and other health care.
	SectorHealth Sector = "health"
	// SectorNonprofit: public welfare groups, associations, cultural and
	// educational organizations.
	SectorNonprofit Sector = "nonprofit"
	// SectorCustoms: inspection, quarantine and entry-exit.
	SectorCustoms Sector = "customs"
	// SectorPublic: the public, and public administration.
	SectorPublic Sector = "public"
	// SectorSecurity: the leading group and the specialized departments.
	SectorSecurity Sector = "security"
)

// Sectors returns every sector, in the order of the schema's enum.
func Sectors() []Sector {
	return []Sector{
		SectorFinance, SectorTransport, SectorTelecom, SectorServices, SectorCommerce,
		SectorHealth, SectorNonprofit, SectorCustoms, SectorPublic, SectorSecurity,
	}
}

// Valid reports whether s is one of the scheme's sectors.
func (s Sector) Valid() bool {
	return slices.Contains(Sectors(), s)
}
