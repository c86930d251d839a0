package lesson

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/higlab/hig/higlib/toy"
)

// Untuned are the rates a method gets when no study chose one for it:
// Adam's usual 10⁻³ and η = 1 for the half-inverse methods (the value the
// authors used in their oscillator experiment, on a loss without this
// project's ½, which makes it η = 2 here; see notebook 1).
var Untuned = map[string]float64{toy.Adam: 1e-3, toy.GaussNewton: 1, toy.HIG: 1}

// RepoFile returns the path of a file given relative to the repository
// root, from a notebook: GoNB sets GONB_DIR to the notebook's folder,
// notebooks/; outside GoNB the current directory stands in for it.
func RepoFile(rel string) string {
	dir := os.Getenv("GONB_DIR")
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, "..", rel)
}

// ReadSummary reads the results file a study wrote (toy_summary.json),
// path relative to the repository root.
func ReadSummary(rel string) ([]toy.Summary, error) {
	data, err := os.ReadFile(RepoFile(rel))
	if err != nil {
		return nil, err
	}
	var rows []toy.Summary
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("lesson: %s: %w", rel, err)
	}
	return rows, nil
}

// Rates looks up the learning rates notebook 3 trains with: a rate set by
// hand wins; otherwise the rate a study chose (its evaluation rows in the
// Summaries files, tried in order), else Untuned. Config is the setting the
// notebook trains at; the note of a tuned rate says whether the study
// tuned it for that batch size, step budget and (for Gauss-Newton and HIG)
// threshold.
type Rates struct {
	Set       map[string]float64 // by method key; nil means none
	Summaries []string           // study results, relative to the repository root
	Config    toy.Config         // BatchSize, Steps and Tau of the notebook's runs
}

// For returns the learning rate of method key at λ and a note saying where
// it comes from.
func (r Rates) For(lambda float64, key string) (float64, string) {
	if lr, ok := r.Set[key]; ok {
		return lr, "set in the parameter cell"
	}
	c := r.Config
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.Tau == 0 {
		c.Tau = 1e-6
	}
	for _, file := range r.Summaries {
		rows, err := ReadSummary(file)
		if err != nil {
			continue
		}
		for _, row := range rows {
			if row.Tuning || row.Lambda != lambda || row.Method != key {
				continue
			}
			var differ []string
			if row.BatchSize != c.BatchSize {
				differ = append(differ, fmt.Sprintf("b = %d", row.BatchSize))
			}
			if want := fmt.Sprintf("%d steps", c.StepsFor(key)); row.Budget != want {
				differ = append(differ, row.Budget)
			}
			if row.Tau != 0 && row.Tau != c.Tau {
				differ = append(differ, fmt.Sprintf("τ = %g", row.Tau))
			}
			if len(differ) > 0 {
				return row.LearnRate, fmt.Sprintf("tuned by %s for %v, NOT for this setting", file, differ)
			}
			return row.LearnRate, "tuned by " + file
		}
	}
	return Untuned[key], fmt.Sprintf("NOT tuned: no study chose a rate for λ = %g, the untuned default", lambda)
}
