package lesson

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/halfinv"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/toy"
)

func randomProblem(m, n int, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	j := mat.NewDense(m, n, nil)
	for i := range m {
		for k := range n {
			j.Set(i, k, rng.NormFloat64())
		}
	}
	g := make([]float64, m)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	return j, g
}

func checkPNG(t *testing.T, b []byte, err error, wantWidth int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if wantWidth > 0 && img.Bounds().Dx() != wantWidth {
		t.Errorf("PNG is %d pixels wide, want %d", img.Bounds().Dx(), wantWidth)
	}
}

func TestPipeline(t *testing.T) {
	b, err := Pipeline(0.01, 4, 30, 2)
	checkPNG(t, b, err, 1000)
	if _, err := Pipeline(1, 0, 30, 2); err == nil {
		t.Error("batch 0 accepted")
	}
}

// The example's steps have the closed forms of TwoDStep.Formula, which the
// notebook's text states, and Gauss-Newton removes the whole loss.
func TestTwoD(t *testing.T) {
	for _, l := range []float64{1, 0.3, 0.01} {
		td, err := NewTwoD(l, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range td.Steps {
			norm, rate := s.Formula(l)
			if math.Abs(s.Norm-norm) > 1e-12*norm || math.Abs(s.RateU2-rate) > 1e-12 {
				t.Errorf("λ = %g, %s: ‖Δθ‖ = %v, rate %v; formula %v, %v", l, s.Name, s.Norm, s.RateU2, norm, rate)
			}
		}
		if gn := td.Steps[2]; gn.Loss > 1e-20 {
			t.Errorf("λ = %g: loss after Gauss-Newton %v, want 0", l, gn.Loss)
		}
	}
	td, _ := NewTwoD(0.01, 1e-6)
	b, err := td.PNG()
	checkPNG(t, b, err, 1000)
	if _, err := NewTwoD(0, 1e-6); err == nil {
		t.Error("λ = 0 accepted")
	}
}

// handStep is V·Σ^(−κ)·Uᵀ·g from gonum's SVD, dropping σ ≤ τσ₁ for κ ≥ 0.
func handStep(j *mat.Dense, g []float64, kappa, tau float64) []float64 {
	var svd mat.SVD
	svd.Factorize(j, mat.SVDThin)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sig := svd.Values(nil)
	c := mat.NewVecDense(len(sig), nil)
	c.MulVec(u.T(), mat.NewVecDense(len(g), g))
	for i, s := range sig {
		if kappa >= 0 && s <= tau*sig[0] {
			c.SetVec(i, 0)
		} else {
			c.SetVec(i, math.Pow(s, -kappa)*c.AtVec(i))
		}
	}
	_, n := j.Dims()
	out := make([]float64, n)
	mat.NewVecDense(n, out).MulVec(&v, c)
	return out
}

func TestCheckStep(t *testing.T) {
	j, g := randomProblem(8, 30, 3)
	for _, k := range []float64{-1, 0, 0.5, 1} {
		d, against, err := CheckStep(handStep(j, g, k, 1e-6), j, g, k, 1e-6)
		if err != nil || d > 1e-12 {
			t.Errorf("κ = %g: diff %v against %s, %v", k, d, against, err)
		}
	}
	// A wrong step is caught.
	bad := handStep(j, g, 0.5, 1e-6)
	bad[3] += 1e-3 * floats.Norm(bad, math.Inf(1))
	if d, _, _ := CheckStep(bad, j, g, 0.5, 1e-6); d < 1e-4 {
		t.Errorf("perturbed step: diff %v", d)
	}
	if _, _, err := CheckStep(handStep(j, g, -0.5, 1e-6), j, g, -0.5, 1e-6); err == nil || !strings.Contains(err.Error(), "not checked") {
		t.Errorf("κ = −0.5: err %v, want a 'not checked' error", err)
	}
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	b := mat.NewDense(2, 2, []float64{1, 2, 3, 4.5})
	if d := MaxAbsDiff(a, b, []float64{1}, []float64{1.25}); d != 0.5 {
		t.Errorf("MaxAbsDiff = %v, want 0.5", d)
	}
}

// Clamping's direction is never shorter than truncation's (orthonormal vᵢ,
// φ_clamp ≥ φ_truncate termwise), and the line search never ends above the
// start.
func TestStepQuality(t *testing.T) {
	setup, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	taus := []float64{1e-12, 1e-6, 1e-2}
	pts, loss0, err := StepQuality(setup, 64, 0.5, taus, []halfinv.Mode{halfinv.Truncate, halfinv.Clamp})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2*len(taus) {
		t.Fatalf("%d points, want %d", len(pts), 2*len(taus))
	}
	for i := range taus {
		tr, cl := pts[i], pts[len(taus)+i]
		if tr.Mode != halfinv.Truncate || cl.Mode != halfinv.Clamp || tr.Tau != cl.Tau {
			t.Fatalf("order: %+v, %+v", tr, cl)
		}
		if cl.Norm < tr.Norm*(1-1e-12) {
			t.Errorf("τ = %g: clamp ‖d‖ %v < truncate %v", tr.Tau, cl.Norm, tr.Norm)
		}
		for _, p := range []StepPoint{tr, cl} {
			if p.BestLoss > loss0 || !(p.BestEta > 0) || math.Abs(p.OutCos) > 1+1e-12 {
				t.Errorf("%+v (loss0 %v)", p, loss0)
			}
		}
	}
	if pts[0].Kept <= pts[2].Kept {
		t.Errorf("kept %d at τ = 1e-12, %d at 1e-2: want fewer at the larger τ", pts[0].Kept, pts[2].Kept)
	}
	b, err := StepQualityPNG("test", pts, loss0)
	checkPNG(t, b, err, 1000)
}

func TestBatchSweep(t *testing.T) {
	var lines []string
	s := BatchSweep{Lambda: 0.01, Batches: []int{8, 16}, Methods: []SweepMethod{
		{Key: toy.HIG, Label: "HIG", Steps: 5, Rates: []float64{1, 3}}, {Key: toy.Adam, Label: "Adam", Steps: 5, Rates: []float64{0.01}}},
		Seeds: []uint64{1, 2}, Progress: func(l string) { lines = append(lines, l) }}
	pts, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 6 || len(lines) != 6 {
		t.Fatalf("%d points, %d lines, want 6", len(pts), len(lines))
	}
	for _, b := range Best(pts, "HIG", s.Batches) {
		for _, p := range pts {
			if p.Method == "HIG" && p.Batch == b.Batch && p.Median < b.Median {
				t.Errorf("b = %d: best %v but η = %g has %v", b.Batch, b.Median, p.Rate, p.Median)
			}
		}
	}
	b, err := SweepPNG("test", pts, s.Methods, s.Batches)
	checkPNG(t, b, err, 1000)
	if _, err := (BatchSweep{Methods: []SweepMethod{{Key: toy.HIG, Label: "HIG", Steps: 5}}, Batches: []int{8}, Seeds: []uint64{1}}).Run(); err == nil {
		t.Error("a method without rates accepted")
	}
}

func TestRates(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "notebooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GONB_DIR", filepath.Join(root, "notebooks"))
	rows := []toy.Summary{
		{Lambda: 1, Method: toy.HIG, LearnRate: 30, Tuning: true, BatchSize: 256, Budget: "2000 steps", Tau: 1e-6},
		{Lambda: 1, Method: toy.HIG, LearnRate: 3, BatchSize: 256, Budget: "2000 steps", Tau: 1e-6},
		{Lambda: 1, Method: toy.Adam, LearnRate: 0.03, BatchSize: 256, Budget: "12000 steps"},
	}
	data, _ := json.Marshal(rows)
	if err := os.WriteFile(filepath.Join(root, "s.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := Rates{Summaries: []string{"missing.json", "s.json"}, Config: toy.Config{Steps: 2000}}
	if lr, note := r.For(1, toy.HIG); lr != 3 || note != "tuned by s.json" {
		t.Errorf("HIG: %v, %q", lr, note)
	}
	if lr, note := r.For(1, toy.Adam); lr != 0.03 || note != "tuned by s.json" {
		t.Errorf("Adam: %v, %q", lr, note)
	}
	r.Config.Tau = 1e-4 // Adam ignores τ; HIG's rate is then not tuned for it
	if lr, note := r.For(1, toy.HIG); lr != 3 || !strings.Contains(note, "NOT for this setting") {
		t.Errorf("HIG at τ = 1e-4: %v, %q", lr, note)
	}
	if _, note := r.For(1, toy.Adam); note != "tuned by s.json" {
		t.Errorf("Adam at τ = 1e-4: %q", note)
	}
	if lr, note := r.For(0.1, toy.HIG); lr != Untuned[toy.HIG] || !strings.HasPrefix(note, "NOT tuned") {
		t.Errorf("λ = 0.1: %v, %q", lr, note)
	}
	r.Set = map[string]float64{toy.HIG: 7}
	if lr, _ := r.For(1, toy.HIG); lr != 7 {
		t.Errorf("set: %v", lr)
	}
}

func TestComparisonAndGNSeeds(t *testing.T) {
	c := Comparison{Methods: []string{toy.Adam, toy.HIG}, Seeds: []uint64{1, 2},
		Rates: Rates{Set: map[string]float64{toy.Adam: 0.01, toy.HIG: 1}, Config: toy.Config{Steps: 5, BatchSize: 16}}}
	out, err := c.Run(0.01, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := Report(out, 0.01)
	for _, want := range []string{"adam_final_l0.01 = ", "hig_saturated_l0.01 = ", "order_l0.01 = "} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	first := "HIG"
	if out.Median(0.01, toy.Adam) < out.Median(0.01, toy.HIG) {
		first = "Adam"
	}
	if !strings.HasPrefix(Order(out, 0.01), first+" < ") {
		t.Errorf("order %q, lowest median is %s", Order(out, 0.01), first)
	}
	c2 := c
	c2.Seeds = []uint64{1}
	if c.Key(0.01) == c2.Key(0.01) || c.Key(0.01) == c.Key(1) {
		t.Error("cache keys do not change with the seeds or λ")
	}
	gs, err := GNSeeds(toy.Config{Steps: 5, BatchSize: 16}, []float64{1}, []float64{1e-6}, []uint64{1, 2}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 || len(gs[0].Finals) != 2 || gs[0].Rate != Untuned[toy.GaussNewton] || !math.IsNaN(gs[0].Study) {
		t.Errorf("%+v", gs)
	}
	lo, hi := Split([]GNGroup{{Finals: []float64{0.1, 0.01, 0.5}, Saturated: []float64{0.2, 0.5, 0.9}}})
	if lo != 0.1 || hi != 0.5 {
		t.Errorf("Split = %v, %v", lo, hi)
	}
	b, err := GNSeedsPNG(gs)
	checkPNG(t, b, err, 900)
}

// Probe records every step; at step 0 its largest pre-activation is that of
// the initial network, computed here from its layers directly.
func TestProbe(t *testing.T) {
	setup, err := toy.NewSetup(toy.Config{Lambda: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	pts, err := Probe(setup, toy.HIG, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 5 {
		t.Fatalf("%d points, want 5 (steps 0 … 4)", len(pts))
	}
	for i, p := range pts {
		if p.Step != i || (i == 0) != (p.UpdateNorm == 0) || p.Saturated < 0 || p.Saturated > 1 {
			t.Errorf("point %d: %+v", i, p)
		}
	}
	w, c := setup.Obj.Net.(*nn.MLP).Layer(setup.Params0, 1)
	want := 0.0
	for i := 0; i < setup.Valid.Len(); i++ {
		x := setup.Valid.X.At(i, 0)
		for k := range c {
			want = max(want, math.Abs(w.At(k, 0)*x+c[k]))
		}
	}
	if math.Abs(pts[0].MaxPre-want) > 1e-12*want {
		t.Errorf("step 0: max |z| = %v, want %v", pts[0].MaxPre, want)
	}
	b, err := ProbePNG("test", []ProbeSeries{{Label: "HIG", Key: toy.HIG, Points: pts}})
	checkPNG(t, b, err, 1000)
}

func TestSpectra(t *testing.T) {
	ss, err := Spectra([]float64{1, 0.01}, []int{4, 64}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 4 || len(ss[0].Sigma) != 8 || len(ss[1].Sigma) != 30 || ss[2].Lambda != 0.01 {
		t.Fatalf("shapes: %d spectra", len(ss))
	}
	if k := ss[1].Kept(0); k != 30 {
		t.Errorf("Kept(0) = %d, want 30", k)
	}
	if k := ss[1].Kept(1); k != 0 {
		t.Errorf("Kept(1) = %d, want 0", k)
	}
	b, err := SpectraPNG(ss, 1e-6)
	checkPNG(t, b, err, 1000)
}

func TestRuleRuns(t *testing.T) {
	r := RuleRuns{Config: toy.Config{Lambda: 0.01, BatchSize: 16, Steps: 5, RecordEvery: 1}, Kappa: 0.5, Eta: 1,
		Taus: []float64{1e-6, 1e-2}, Seeds: []uint64{1, 2}}
	res, err := r.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Mode != halfinv.Truncate || res[1].Mode != halfinv.Clamp || res[2].Tau != 1e-2 {
		t.Fatalf("%d results in the wrong order", len(res))
	}
	for _, x := range res {
		if len(x.Finals) != 2 || x.Peak < x.Finals[0] || x.Peak < x.Finals[1] {
			t.Errorf("%+v", x)
		}
	}
	b, err := RuleRunsPNG("test", res, 1e3)
	checkPNG(t, b, err, 1000)
}

func TestSummarize(t *testing.T) {
	s := Summarize([]ProbePoint{{Step: 0, Loss: 1}, {Step: 1, UpdateNorm: 3}, {Step: 2, UpdateNorm: 2, Loss: 0.5}})
	if s.First.Loss != 1 || s.Last.Loss != 0.5 || s.MaxUpdate != 3 || s.MaxUpdateStep != 1 {
		t.Errorf("%+v", s)
	}
	if (Summarize(nil) != ProbeSummary{}) {
		t.Error("Summarize(nil) is not zero")
	}
}

// The averaged direction is the sum of the per-sample half-inverse steps,
// checked against a dense computation; with one sample it is the stacked
// direction.
func TestAveragedHIG(t *testing.T) {
	j, g := randomProblem(6, 5, 7)
	p := halfinv.Params{Kappa: 0.5, Tau: 1e-6}
	got, err := AveragedDirection(j, g, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 5)
	for i := 0; i < 6; i += 2 {
		floats.Add(want, handStep(mat.DenseCopyOf(j.Slice(i, i+2, 0, 5)), g[i:i+2], 0.5, 1e-6))
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-12*floats.Norm(want, math.Inf(1)) {
			t.Fatalf("entry %d: %v, want %v", k, got[k], want[k])
		}
	}
	if _, err := AveragedDirection(j, g, 4, p); err == nil {
		t.Error("6 rows split into samples of 4 accepted")
	}
	a := &AveragedHIG{LearnRate: 3}
	if err := a.Init(5); err != nil {
		t.Fatal(err)
	}
	delta := make([]float64, 5)
	if err := a.Step(delta, &optim.Local{Jac: j, GradY: g}); err != nil {
		t.Fatal(err)
	}
	for k := range delta {
		if math.Abs(delta[k]+3*got[k]) > 1e-12 {
			t.Fatalf("Δθ[%d] = %v, want −3·%v", k, delta[k], got[k])
		}
	}
	setup, err := toy.NewSetup(toy.Config{Lambda: 0.01, Seed: 1, BatchSize: 8, Steps: 5})
	if err != nil {
		t.Fatal(err)
	}
	dirs, cos, loss0, err := StackedVsAveraged(setup, 1, 0.5, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(cos-1) > 1e-9 || len(dirs) != 2 || dirs[0].BestLoss > loss0 {
		t.Errorf("one sample: cos %v between stacked and averaged, want 1; %+v", cos, dirs)
	}
	m := experiment.Candidate{Name: "averaged", New: func(lr float64) (optim.Method, error) { return &AveragedHIG{LearnRate: lr}, nil }}
	run, err := setup.RunMethod(m, 1, nil)
	if err != nil || run.Err != nil || math.IsNaN(run.FinalLoss()) {
		t.Errorf("training: %v, %v", err, run.Err)
	}
}

func TestTrainMethods(t *testing.T) {
	m := experiment.Candidate{Name: "averaged", New: func(lr float64) (optim.Method, error) { return &AveragedHIG{LearnRate: lr}, nil }}
	ts, err := TrainMethods(toy.Config{Lambda: 1, BatchSize: 8, Steps: 3}, []experiment.Candidate{m}, []float64{0.1, 1}, []uint64{1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || len(ts[0].Finals) != 2 {
		t.Fatalf("%+v", ts)
	}
	b := BestTrained(ts, "averaged")
	if b.Median != min(ts[0].Median, ts[1].Median) {
		t.Errorf("best %v of %v, %v", b.Median, ts[0].Median, ts[1].Median)
	}
	if !math.IsInf(BestTrained(ts, "none").Median, 1) {
		t.Error("best of no entries is not +Inf")
	}
}
