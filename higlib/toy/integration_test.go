package toy_test

import (
	"fmt"
	"testing"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/toy"
)

// margin is the factor by which one validation loss must beat another for
// the ordering to be asserted; every ordering below was measured (see the
// comments) to hold by a clearly larger factor on each seed checked.
const margin = 3

// lossAt returns the validation loss recorded at step, failing if absent.
func lossAt(t *testing.T, r *experiment.Run, step int) float64 {
	t.Helper()
	for _, p := range r.Validation.Loss {
		if p.Step == step {
			return p.Value
		}
	}
	t.Fatalf("%s: no record at step %d", r.Method, step)
	return 0
}

// TestToyLambda001 trains the chapter's toy at λ = 0.01 for 1500 steps.
//
// Measured with this code (validation loss; seeds 1, 2, 3; initial 0.562, 0.470, 0.475):
//
//	step 500:   HIG 0.125, 0.107, 0.112    GN 20.3, 13.6, 37.1
//	step 1000:  HIG 0.0645, 0.0459, 0.0602 GN 0.435, 0.299, 0.904
//	step 1500:  HIG 0.0377, 0.0219, 0.0354 GN 0.0102, 0.00659, 0.0198
//	Adam, best of lr ∈ {0.03, 0.1, 0.3} at 1500 steps: 0.0489, 0.0479, 0.0481
//
// Gauss-Newton first blows the loss up by orders of magnitude and then
// recovers, ending below HIG at 1500 steps; HIG ends below the best Adam by
// only 1.3–2.2×. So the test asserts HIG ≪ GN at steps 500 and 1000 and
// that every method learns, not HIG < GN or HIG < Adam at the end.
func TestToyLambda001(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: a few seconds")
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			setup := func() *toy.Setup {
				s, err := toy.NewSetup(toy.Config{Lambda: 0.01, Steps: 1500, RecordEvery: 500, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			train := func(method string, lr float64) *experiment.Run {
				r, err := setup().Run(method, lr, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r.Err != nil {
					t.Fatalf("%s lr %v: %v", method, lr, r.Err)
				}
				return r
			}
			hig := train(toy.HIG, 1)
			gn := train(toy.GaussNewton, 1)
			adamBest, adamLR := 0.0, 0.0
			for _, lr := range []float64{0.03, 0.1, 0.3} {
				if l := train(toy.Adam, lr).FinalLoss(); adamLR == 0 || l < adamBest {
					adamBest, adamLR = l, lr
				}
			}
			initial := lossAt(t, hig, 0)
			t.Logf("initial %.4g; step 500: HIG %.4g GN %.4g; step 1000: HIG %.4g GN %.4g; final: HIG %.4g GN %.4g Adam(lr %v) %.4g",
				initial, lossAt(t, hig, 500), lossAt(t, gn, 500), lossAt(t, hig, 1000), lossAt(t, gn, 1000),
				hig.FinalLoss(), gn.FinalLoss(), adamLR, adamBest)

			for _, step := range []int{500, 1000} {
				if h, g := lossAt(t, hig, step), lossAt(t, gn, step); !(margin*h < g) {
					t.Errorf("step %d: HIG loss %.4g is not %d× below Gauss-Newton's %.4g", step, h, margin, g)
				}
			}
			for name, l := range map[string]float64{"HIG": hig.FinalLoss(), "Gauss-Newton": gn.FinalLoss(), "best Adam": adamBest} {
				if !(margin*l < initial) {
					t.Errorf("%s final loss %.4g is not %d× below the initial %.4g", name, l, margin, initial)
				}
			}
		})
	}
}

// TestStudyLambda001Ordering runs a short version of the chapter's
// comparison at λ = 0.01 through Study, as `hig toy` does: each method's
// learning rate is picked from a small grid on a tuning seed, then five
// evaluation seeds are trained with 1000 steps for Gauss-Newton and HIG and
// FirstOrderRatio times as many for Adam. HIG's median final validation
// loss must end clearly below the others'. Measured with this code (per-seed
// losses at these rates, seeds 1–5):
//
//	HIG  η=10:  0.00088 0.0051 0.00065 0.0016 0.12   median 0.0016
//	GN   η=3:   0.0052  0.0023 0.029   0.12   0.32   median 0.029
//	Adam η=0.3: 0.07    0.0033 0.048   0.0038 0.066  median 0.048
//
// Single seeds do not order reliably (Adam reaches 0.0033 on seed 2, HIG
// stalls at 0.12 on seed 5), so only the medians are compared.
func TestStudyLambda001Ordering(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: about 10 s")
	}
	st := toy.Study{
		Config:    toy.Config{Steps: 1000},
		Lambdas:   []float64{0.01},
		Seeds:     []uint64{1, 2, 3, 4, 5},
		TuneSeeds: []uint64{1001},
		Grid: map[string][]float64{
			toy.Adam:        {0.03, 0.1, 0.3},
			toy.GaussNewton: {1, 3},
			toy.HIG:         {3, 10},
		},
	}
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	hig := out.Median(0.01, toy.HIG)
	t.Logf("\n%s", out.Table())
	for _, m := range []string{toy.Adam, toy.GaussNewton} {
		if o := out.Median(0.01, m); !(margin*hig < o) {
			t.Errorf("HIG median %.4g is not %d× below %s's %.4g", hig, margin, toy.Label(m), o)
		}
	}
	if want := 5e-3; !(hig < want) {
		t.Errorf("HIG median %.4g is not below %g", hig, want)
	}
}
