package taxii

import (
	"cmp"
	"slices"
)

// sortByAdded orders objects by date_added, then id, keeping equal ones
// in place.
func sortByAdded(objs []object) {
	slices.SortStableFunc(objs, func(a, b object) int {
		return cmp.Or(a.dateAdded.Compare(b.dateAdded.Time), cmp.Compare(a.id, b.id))
	})
}
