package qcontrol_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/figure"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/qcontrol"
	"github.com/higlab/hig/higlib/train"
)

func mustSetup(t testing.TB, c qcontrol.Config, seed uint64) *qcontrol.Setup {
	t.Helper()
	s, err := qcontrol.NewSetup(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestData checks the paper's data: every target is a normalised real
// superposition of e₂ and e₃ (no ground-state part, nothing beyond e₃, zero
// imaginary parts), the input equals the target, both sets have the sizes
// asked for, and the angles φ are spread over the circle (c ~ N(0, 1)² has
// a uniform angle, so each quadrant of (cos φ, sin φ) holds about a quarter).
func TestData(t *testing.T) {
	s := mustSetup(t, qcontrol.Config{TrainSize: 400, TestSize: 300}, 7)
	if s.Train.Len() != 400 || s.Test.Len() != 300 {
		t.Fatalf("sizes %d and %d, want 400 and 300", s.Train.Len(), s.Test.Len())
	}
	w := s.Well
	n := w.N()
	e := make([][]float64, n+1)
	for k := 1; k <= n; k++ {
		e[k] = w.Eigenstate(nil, k)
	}
	var quad [4]int
	for i := range s.Train.Len() {
		y, x := s.Train.Y.RawRowView(i), s.Train.X.RawRowView(i)
		if !slices.Equal(x, y) {
			t.Fatalf("sample %d: input differs from target", i)
		}
		var norm float64
		for j := range n {
			norm += y[j]*y[j] + y[n+j]*y[n+j]
			if y[n+j] != 0 {
				t.Fatalf("sample %d: imaginary part %g at %d", i, y[n+j], j)
			}
		}
		if math.Abs(norm-1) > 1e-14 {
			t.Fatalf("sample %d: ‖ŷ‖² = %.17g, want 1", i, norm)
		}
		proj := func(k int) float64 {
			var p float64
			for j := range n {
				p += e[k][j] * y[j]
			}
			return p
		}
		c2, c3 := proj(2), proj(3)
		if math.Abs(c2*c2+c3*c3-1) > 1e-13 || math.Abs(proj(1)) > 1e-14 || math.Abs(proj(4)) > 1e-14 {
			t.Fatalf("sample %d: projections e1 %.3g, e2 %.3g, e3 %.3g, e4 %.3g; want only e2, e3 with unit weight", i, proj(1), c2, c3, proj(4))
		}
		q := 0
		if c2 < 0 {
			q++
		}
		if c3 < 0 {
			q += 2
		}
		quad[q]++
	}
	for q, c := range quad {
		if c < 60 || c > 140 { // binomial(400, 1/4): mean 100, sd 8.7
			t.Errorf("quadrant %d holds %d of 400 angles, want about 100", q, c)
		}
	}
	if slices.Equal(s.Train.Y.RawRowView(0), s.Test.Y.RawRowView(0)) {
		t.Error("training and test sets start with the same sample: their streams are not independent")
	}
}

// TestNetworkShape checks the paper's network: 28 inputs, 384 outputs,
// 9,484 parameters, and that it fits the objective.
func TestNetworkShape(t *testing.T) {
	obj, err := qcontrol.Objective()
	if err != nil {
		t.Fatal(err)
	}
	in, out := obj.Net.Dims()
	if in != 28 || out != 384 || obj.Net.NumParams() != 9484 {
		t.Errorf("network %d → %d with %d parameters, want 28 → 384 with 9,484", in, out, obj.Net.NumParams())
	}
	if obj.Dim() != 28 {
		t.Errorf("physics output dimension %d, want 28", obj.Dim())
	}
}

// TestSameSeedSameBits: two setups of one seed are identical, another seed
// differs, and a tiny study gives the same bits twice.
func TestSameSeedSameBits(t *testing.T) {
	c := qcontrol.Config{TrainSize: 32, TestSize: 8}
	a, b, d := mustSetup(t, c, 3), mustSetup(t, c, 3), mustSetup(t, c, 4)
	if !slices.Equal(a.Params0, b.Params0) || !slices.Equal(a.Train.Y.RawMatrix().Data, b.Train.Y.RawMatrix().Data) ||
		!slices.Equal(a.Test.Y.RawMatrix().Data, b.Test.Y.RawMatrix().Data) {
		t.Error("the same seed gave different setups")
	}
	if slices.Equal(a.Params0, d.Params0) || slices.Equal(a.Train.Y.RawMatrix().Data, d.Train.Y.RawMatrix().Data) {
		t.Error("seeds 3 and 4 gave the same setup")
	}
	run := func() []qcontrol.Summary {
		st := qcontrol.Study{Config: qcontrol.Config{TrainSize: 256, TestSize: 8, Steps: 2, FirstOrderSteps: 3, Records: 2},
			Seeds: []uint64{1}, Grid: map[string][]float64{"adam": {1e-2}, "hig": {8}}}
		out, err := st.Run()
		if err != nil {
			t.Fatal(err)
		}
		for i := range out.Summaries {
			out.Summaries[i].WallSeconds = 0
		}
		return out.Summaries
	}
	x, y := run(), run()
	if !slices.Equal(x, y) {
		t.Errorf("the same study gave different results:\n%v\n%v", x, y)
	}
}

// TestHIGReducesLoss: a few HIG steps with the paper's rate (η = 8 in the
// mean-loss convention) on one fixed batch of 16 lower its loss by more
// than a third (measured: 0.999 → 0.519).
func TestHIGReducesLoss(t *testing.T) {
	s := mustSetup(t, qcontrol.Config{TrainSize: 16, TestSize: 16}, 1)
	ws := s.Obj.NewWorkspace()
	start := s.Obj.Loss(ws, s.Params0, s.Train)
	res, err := train.Train(s.Obj, s.Train, s.Params0, &optim.HalfInverse{LearnRate: 8, Kappa: 0.5, Tau: 1e-5},
		&train.Settings{Steps: 5, BatchSize: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	end := s.Obj.Loss(ws, res.Params, s.Train)
	if !(end < 0.67*start) {
		t.Errorf("training loss %.3g → %.3g after 5 HIG steps; want a drop by more than a third", start, end)
	}
}

// TestConfigValidate covers the settings a Config rejects.
func TestConfigValidate(t *testing.T) {
	bad := []struct {
		c    qcontrol.Config
		want string
	}{
		{qcontrol.Config{TrainSize: -1}, "must be positive"},
		{qcontrol.Config{Steps: -1}, "must not be negative"},
		{qcontrol.Config{Steps: 2, Duration: 1}, "not both"},
		{qcontrol.Config{TuneDuration: 1}, "needs the wall-clock budget"},
		{qcontrol.Config{Steps: 4, TuneSteps: 5}, "exceeds the evaluation budget"},
		{qcontrol.Config{Records: -1}, "must be positive"},
		{qcontrol.Config{Tau: 1}, "must lie in (0, 1)"},
		{qcontrol.Config{Tau: math.NaN()}, "must lie in (0, 1)"},
	}
	for _, b := range bad {
		if err := b.c.Validate(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want %q", b.c, err, b.want)
		}
	}
	c := qcontrol.Config{Steps: 10}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := []int{c.StepsFor("hig", false), c.StepsFor("adam", false), c.StepsFor("hig", true), c.StepsFor("adam", true)}; !slices.Equal(got, []int{10, 10 * qcontrol.FirstOrderRatio, 2, 2 * qcontrol.FirstOrderRatio}) {
		t.Errorf("step budgets %v", got)
	}
}

// TestStudyWritesFigureAndTable runs a tiny study and checks its figure,
// table and the spectrum of the summary.
func TestStudyWritesFigureAndTable(t *testing.T) {
	st := qcontrol.Study{Config: qcontrol.Config{TrainSize: 256, TestSize: 8, Steps: 2, Records: 2},
		Seeds: []uint64{1}, Grid: map[string][]float64{"adam": {1e-2, 3e-2}, "hig": {8}}}
	var lines []string
	st.Progress = func(l string) { lines = append(lines, l) }
	out, err := st.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Summaries) != 2 || len(out.Tuning) != 2 {
		t.Fatalf("%d summaries and %d tuning runs, want 2 and 2", len(out.Summaries), len(out.Tuning))
	}
	for _, s := range out.Summaries {
		if !(s.SigmaMax >= s.SigmaMin && s.SigmaMin > 0) {
			t.Errorf("%s seed %d: spectrum %g … %g", s.Method, s.Seed, s.SigmaMax, s.SigmaMin)
		}
		if s.Method == "adam" && (s.Steps != 16 || s.BatchSize != 256) || s.Method == "hig" && (s.Steps != 2 || s.BatchSize != 16 || s.LearnRate != 8) {
			t.Errorf("summary %+v", s)
		}
	}
	if out.Tuning[0].SigmaMax != 0 {
		t.Error("a tuning run carries a spectrum")
	}
	tab := out.Table()
	for _, w := range []string{"| Adam |", "| HIG |", "R = 8", "infidelity"} {
		if !strings.Contains(tab, w) {
			t.Errorf("table lacks %q:\n%s", w, tab)
		}
	}
	b, err := out.Render(0, "png")
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("Render: %v", err)
	}
	p, err := out.Paths(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Controls) != 3 || len(p.Density) != 3 || len(p.Target) != 14 {
		t.Errorf("paths: %d controls, %d densities, %d target points", len(p.Controls), len(p.Density), len(p.Target))
	}
	// The figure's infidelities are the objective's loss of test sample 0
	// under each network, computed here through package objective.
	setup := mustSetup(t, st.Config, 1)
	one := objective.Data{X: mat.NewDense(1, 28, slices.Clone(setup.Test.X.RawRowView(0))), Y: mat.NewDense(1, 28, slices.Clone(setup.Test.Y.RawRowView(0)))}
	ws := setup.Obj.NewWorkspace()
	params := [][]float64{setup.Params0, out.Exp.Runs[0][0].Result.Params, out.Exp.Runs[1][0].Result.Params}
	for k, pr := range params {
		if want := setup.Obj.Loss(ws, pr, one); math.Abs(p.Infidelity[k]-want) > 1e-12 {
			t.Errorf("curve %d: infidelity %.15g, the objective's loss %.15g", k, p.Infidelity[k], want)
		}
	}
	if len(lines) == 0 {
		t.Error("no progress")
	}
}

// TestEvolution checks the density grid against the states it comes from:
// walls zero, interior |ψ|², every time's total Δx·Σ|ψ_j|² = Δx (unit
// norm, unitary steps), and the heat map and eigenstate panels render.
func TestEvolution(t *testing.T) {
	s := mustSetup(t, qcontrol.Config{TrainSize: 16, TestSize: 4}, 2)
	states, u := s.Trajectory(s.Params0, s.Test.X.RawRowView(0))
	if len(u) != 384 || len(states) != 385*28 {
		t.Fatalf("%d controls, %d state values", len(u), len(states))
	}
	e := qcontrol.NewEvolution(s.Well, states)
	c, r := e.Dims()
	if c != 385 || r != 16 {
		t.Fatalf("grid %d × %d, want 385 × 16", c, r)
	}
	for k := 0; k < c; k += 64 {
		var sum float64
		for j := range r {
			sum += e.Z(k, j)
		}
		if e.Z(k, 0) != 0 || e.Z(k, r-1) != 0 || math.Abs(sum-1) > 1e-12 {
			t.Errorf("time %d: walls %g %g, Σ|ψ|² = %.15g", k, e.Z(k, 0), e.Z(k, r-1), sum)
		}
		psi := states[k*28 : (k+1)*28]
		if j := 5; e.Z(k, j) != psi[j-1]*psi[j-1]+psi[14+j-1]*psi[14+j-1] {
			t.Errorf("time %d, row %d: %g is not |ψ|²", k, j, e.Z(k, j))
		}
	}
	if math.Abs(e.X(384)-19.2) > 1e-12 || math.Abs(e.Y(15)-2) > 1e-15 {
		t.Errorf("axes end at t = %g, x = %g", e.X(384), e.Y(15))
	}
	for _, p := range []*plot.Plot{e.Plot("evolution"), qcontrol.EigenstatesPlot(s.Well, 3)} {
		if _, err := figure.Row("png", 0, 0, p); err != nil {
			t.Error(err)
		}
	}
}

// TestSpectrum checks the summary on a hand-made spectrum and on the
// dipole's stacked Jacobian: b = 4 samples give 4 null directions (the
// norm of each ψ(T) cannot change), checked against a direct count.
func TestSpectrum(t *testing.T) {
	s, err := qcontrol.NewSpectrum([]float64{10, 1, 1e-3, 1e-15, 0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Null != 2 || s.Cond != 1e4 || s.Kept(1e-3) != 2 || s.Kept(1e-5) != 3 {
		t.Errorf("spectrum %+v, kept %d and %d", s, s.Kept(1e-3), s.Kept(1e-5))
	}
	for _, bad := range [][]float64{nil, {0, 0}, {1, 2}} {
		if _, err := qcontrol.NewSpectrum(bad); err == nil {
			t.Errorf("NewSpectrum(%v) accepted", bad)
		}
	}
	setup := mustSetup(t, qcontrol.Config{TrainSize: 4, TestSize: 1}, 1)
	st, err := experiment.FirstStep(setup.Problem(), optim.HIG(8), 4)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := qcontrol.NewSpectrum(st.SingularValues)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Sigma) != 112 || sp.Null != 4 {
		t.Errorf("%d singular values with %d null, want 112 with 4 (one per sample)", len(sp.Sigma), sp.Null)
	}
	if _, err := figure.Row("png", 0, 0, sp.Plot("spectrum")); err != nil {
		t.Error(err)
	}
}
