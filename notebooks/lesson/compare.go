package lesson

import (
	"fmt"
	"strings"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/toy"
)

// Comparison is notebook 3's run of the chapter's comparison at one λ: every
// method with the rate Rates gives it (no search), on every seed, with the
// batch size, step budget and threshold of Rates.Config.
type Comparison struct {
	Methods []string
	Seeds   []uint64
	Rates   Rates
}

// Run trains the comparison at λ; progress, if not nil, receives one line
// per finished run.
func (c Comparison) Run(lambda float64, progress func(string)) (*toy.Outcome, error) {
	grid := map[string][]float64{}
	for _, m := range c.Methods {
		lr, _ := c.Rates.For(lambda, m)
		grid[m] = []float64{lr} // a single rate: no search
	}
	cfg := c.Rates.Config
	cfg.Lambda, cfg.Seed = 0, 0
	s := toy.Study{Config: cfg, Lambdas: []float64{lambda}, Methods: c.Methods, Seeds: c.Seeds, Grid: grid, Progress: progress}
	return s.Run()
}

// Key names the comparison's results at λ in GoNB's cache: every setting
// that changes them is in it.
func (c Comparison) Key(lambda float64) string {
	var lrs []string
	for _, m := range c.Methods {
		lr, _ := c.Rates.For(lambda, m)
		lrs = append(lrs, fmt.Sprintf("%s=%g", m, lr))
	}
	cfg := c.Rates.Config
	return fmt.Sprintf("nb03-l%g-seeds%v-steps%d-b%d-tau%g-%s", lambda, c.Seeds, cfg.Steps, cfg.BatchSize, cfg.Tau, strings.Join(lrs, ","))
}

// Report returns, per method, its median final loss and the median share
// of saturated hidden activations at the end, as "name = value" lines
// tagged with the method key and λ (e.g. "hig_final_l0.01 = …"), followed
// by the ordering of the medians ("order_l0.01 = HIG < Adam < Gauss-Newton").
func Report(out *toy.Outcome, lambda float64) string {
	var b strings.Builder
	for _, m := range out.Methods {
		fmt.Fprintf(&b, "%s_final_l%g = %.3g (median of %d seeds, η = %g)\n", m, lambda, out.Median(lambda, m), len(out.Seeds), out.Best[lambda][m])
	}
	for _, m := range out.Methods {
		var sat []float64
		for _, r := range out.Runs[lambda][m] {
			sat = append(sat, r.Saturation.Saturated.Last())
		}
		fmt.Fprintf(&b, "%s_saturated_l%g = %.2f (median; per seed %.2f)\n", m, lambda, experiment.Median(sat), sat)
	}
	fmt.Fprintf(&b, "order_l%g = %s (median final loss, lowest first)\n", lambda, Order(out, lambda))
	return b.String()
}

// Order returns the methods of out sorted by their median final loss at λ,
// lowest first, joined by " < ".
func Order(out *toy.Outcome, lambda float64) string {
	ms := append([]string(nil), out.Methods...)
	for i := 1; i < len(ms); i++ { // insertion sort: stable, few methods
		for k := i; k > 0 && out.Median(lambda, ms[k]) < out.Median(lambda, ms[k-1]); k-- {
			ms[k], ms[k-1] = ms[k-1], ms[k]
		}
	}
	for i, m := range ms {
		ms[i] = toy.Label(m)
	}
	return strings.Join(ms, " < ")
}
