package collab

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sicollab/sicollab/schema"
)

// ErrReadNotAllowed: the organization may not read the product. Returned
// by Directory.AuthorizeRead; the message names the rule that refused it.
var ErrReadNotAllowed = errors.New("collab: read not allowed")

// ListSectors returns the sectors whose data a domain list is made of, in
// the order of Sectors; nil for a list type it does not know. The cross
// sector link list draws on every sector that submits records.
func ListSectors(lt schema.ListType) []Sector {
	switch lt {
	case schema.ListAbnormalFinancialActivity:
		return []Sector{SectorFinance}
	case schema.ListPassengerTrajectory, schema.ListFreightTrajectory:
		return []Sector{SectorTransport}
	case schema.ListFlaggedAccounts:
		return []Sector{SectorTelecom}
	case schema.ListHazmatPurchases:
		return []Sector{SectorCommerce}
	case schema.ListAbnormalEntryExit:
		return []Sector{SectorCustoms}
	case schema.ListCrossSectorLink:
		return []Sector{SectorFinance, SectorTransport, SectorTelecom, SectorServices, SectorCommerce, SectorHealth, SectorCustoms}
	}
	return nil
}

// ListTypes returns every domain list type, in the order package schema
// declares them.
func ListTypes() []schema.ListType {
	return []schema.ListType{
		schema.ListAbnormalFinancialActivity, schema.ListPassengerTrajectory, schema.ListFreightTrajectory,
		schema.ListFlaggedAccounts, schema.ListHazmatPurchases, schema.ListAbnormalEntryExit,
		schema.ListCrossSectorLink,
	}
}

// MayReadList reports whether org may read products of the list type at
// all, by its tier: the leading group and the specialized departments
// read every list; a general business department reads the lists of the
// sectors it supervises, except the cross sector link list, which is the
// specialized departments' own; a social force reads none. Handling
// narrows this further (AuthorizeRead).
func (d *Directory) MayReadList(org string, lt schema.ListType) bool {
	i, ok := d.byID[org]
	if !ok {
		return false
	}
	return mayReadList(d.orgs[i], lt)
}

func mayReadList(o Org, lt schema.ListType) bool {
	sectors := ListSectors(lt)
	if sectors == nil {
		return false
	}
	switch o.Tier {
	case LeadingGroup, SpecializedDepartment:
		return true
	case GeneralBusinessDepartment:
		if lt == schema.ListCrossSectorLink {
			return false
		}
		for _, s := range o.Sectors {
			if slices.Contains(sectors, s) {
				return true
			}
		}
	}
	return false
}

// AuthorizeRead returns nil if reader may read a product of the list type,
// produced by producer, under the handling label, from the hub of holder
// (the organization that keeps the product and serves it). Otherwise the
// error wraps ErrUnknownOrg or ErrReadNotAllowed. The rules, by TLP 2.0:
//
//   - the producer and the holder may always read their own products;
//   - RED and AMBER+STRICT stay with the organization they arrived at:
//     nobody else reads them;
//   - AMBER is need to know: an organization that may read the list
//     (MayReadList);
//   - GREEN goes to the community of the authorities: the leading group
//     and every department, whatever list it is;
//   - CLEAR goes to any organization of the directory.
//
// An empty handling is read as AMBER. An unknown label is refused.
func (d *Directory) AuthorizeRead(reader string, lt schema.ListType, h schema.Handling, producer, holder string) error {
	i, ok := d.byID[reader]
	if !ok {
		return fmt.Errorf("%w %q (directory version %d)", ErrUnknownOrg, reader, d.version)
	}
	o := d.orgs[i]
	if h == "" {
		h = schema.HandlingAmber
	}
	switch h {
	case schema.HandlingClear, schema.HandlingGreen, schema.HandlingAmber, schema.HandlingAmberStrict, schema.HandlingRed:
	default:
		return fmt.Errorf("%w: handling %q is not a TLP 2.0 label", ErrReadNotAllowed, h)
	}
	if reader == producer || reader == holder {
		return nil
	}
	switch h {
	case schema.HandlingRed, schema.HandlingAmberStrict:
		return fmt.Errorf("%w: %q may not read a %s product of %q held by %q: it stays with the organization it arrived at",
			ErrReadNotAllowed, reader, h, producer, holder)
	case schema.HandlingClear:
		return nil
	case schema.HandlingGreen:
		if o.Tier == SocialForce {
			return fmt.Errorf("%w: %q (%s) may not read a GREEN %s product: GREEN goes to the leading group and the departments",
				ErrReadNotAllowed, reader, o.Tier, lt)
		}
		return nil
	}
	if !mayReadList(o, lt) {
		return fmt.Errorf("%w: %q (%s) may not read the %s list (%s); the leading group, the specialized departments and the departments supervising %v do",
			ErrReadNotAllowed, reader, o.Tier, lt, h, ListSectors(lt))
	}
	return nil
}
