package synth

import "slices"

// Finding is what a detector reports: a pattern and the pseudonyms of the
// people it concerns.
type Finding struct {
	// Pattern is the pattern found.
	Pattern Pattern `json:"pattern"`
	// Subjects are the pseudonyms of the people concerned; for
	// co-travel, the traveller and the flagged subject.
	Subjects []string `json:"subjects"`
}

// Score compares a detector's findings for one pattern with the truth.
type Score struct {
	// Pattern is the pattern scored.
	Pattern Pattern `json:"pattern"`
	// Planted counts the planted instances.
	Planted int `json:"planted"`
	// Found counts the planted instances some finding names.
	Found int `json:"found"`
	// Findings counts the findings of the pattern.
	Findings int `json:"findings"`
	// Correct counts the findings that name a planted instance's key
	// subject.
	Correct int `json:"correct"`
	// Recall is Found/Planted, 1 when nothing was planted.
	Recall float64 `json:"recall"`
	// Precision is Correct/Findings, 1 when nothing was found.
	Precision float64 `json:"precision"`
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
