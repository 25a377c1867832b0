package synth

import "slices"

// Finding is what a detector reports: a pattern and the pseudonyms of the
// people it concerns.
type Finding struct {
	Pattern  Pattern
	Subjects []string
}

// Score compares a detector's findings for one pattern with the truth.
type Score struct {
	Pattern Pattern
	// Planted counts the planted instances, Found those a finding names.
	Planted, Found int
	// Findings counts the findings, Correct those that name a planted
	// instance's key subject.
	Findings, Correct int
	// Recall is Found/Planted, Precision Correct/Findings; each is 1 when
	// its denominator is 0.
	Recall, Precision float64
}

// Evaluate scores findings against the truth, per pattern, in the order
// of Patterns, for every pattern planted or reported. A finding matches a
// planted instance of its pattern when its Subjects include the
// instance's key subject (Truth.Subjects[0]): naming only the flagged
// companion of a co-traveller does not count.
func Evaluate(truth []Truth, findings []Finding) []Score {
	var out []Score
	for _, p := range Patterns() {
		sc := Score{Pattern: p}
		var keys []string
		for _, t := range truth {
			if t.Pattern == p && len(t.Subjects) > 0 {
				keys = append(keys, t.Subjects[0].Pseudonym)
			}
		}
		sc.Planted = len(keys)
		found := make([]bool, len(keys))
		for _, f := range findings {
			if f.Pattern != p {
				continue
			}
			sc.Findings++
			hit := false
			for i, k := range keys {
				if slices.Contains(f.Subjects, k) {
					found[i], hit = true, true
				}
			}
			if hit {
				sc.Correct++
			}
		}
		if sc.Planted == 0 && sc.Findings == 0 {
			continue
		}
		for _, f := range found {
			if f {
				sc.Found++
			}
		}
		sc.Recall, sc.Precision = 1, 1
		if sc.Planted > 0 {
			sc.Recall = float64(sc.Found) / float64(sc.Planted)
		}
		if sc.Findings > 0 {
			sc.Precision = float64(sc.Correct) / float64(sc.Findings)
		}
		out = append(out, sc)
	}
	return out
}
