package physicstest_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/physics/physicstest"
)

// fakeT records failures instead of failing the test, so that the checks
// can be shown to fail on broken maps.
type fakeT struct {
	testing.TB
	msgs []string
}

type fatal struct{}

func (f *fakeT) Helper()                   {}
func (f *fakeT) Error(a ...any)            { f.msgs = append(f.msgs, fmt.Sprint(a...)) }
func (f *fakeT) Errorf(s string, a ...any) { f.msgs = append(f.msgs, fmt.Sprintf(s, a...)) }
func (f *fakeT) Fatal(a ...any)            { f.Error(a...); panic(fatal{}) }
func (f *fakeT) Fatalf(s string, a ...any) { f.Errorf(s, a...); panic(fatal{}) }
func (f *fakeT) Failed() bool              { return len(f.msgs) > 0 }

func check(t *testing.T, m physics.Map) []string {
	f := &fakeT{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatal); !ok {
					panic(r)
				}
			}
		}()
		physicstest.Check(f, m, nil)
	}()
	return f.msgs
}

// cube is P(x, z) = (x₁ z₁³ + z₂, z₁ z₂) with a correct Jacobian and VJP,
// holding the last point in its Evaluator.
type cube struct{ wrongJac, wrongVJP, shared, modify bool }

type cubeEval struct {
	m    *cube
	last []float64
}

var sharedScratch = make([]float64, 3)

func (c *cube) Dims() (int, int, int) { return 1, 2, 2 }
func (c *cube) NewEvaluator() physics.Evaluator {
	e := &cubeEval{m: c, last: make([]float64, 3)}
	if c.shared {
		e.last = sharedScratch
	}
	return e
}

func (e *cubeEval) Eval(y, jac, x, z []float64) {
	e.last[0], e.last[1], e.last[2] = x[0], z[0], z[1]
	// Read the point back from the scratch space, as a simulator that
	// stores its state would: shared scratch then mixes goroutines' points.
	for range 50 {
		y[0] = e.last[0]*e.last[1]*e.last[1]*e.last[1] + e.last[2]
		y[1] = e.last[1] * e.last[2]
	}
	if jac != nil {
		jac[0], jac[1] = 3*x[0]*z[0]*z[0], 1
		jac[2], jac[3] = z[1], z[0]
		if e.m.wrongJac {
			jac[3] *= 1.01
		}
	}
	if e.m.modify {
		z[0] += 1e-3
	}
}

func (e *cubeEval) VJP(dst, v []float64) {
	x, z0, z1 := e.last[0], e.last[1], e.last[2]
	dst[0] = 3*x*z0*z0*v[0] + z1*v[1]
	dst[1] = v[0] + z0*v[1]
	if e.m.wrongVJP {
		dst[1] += 1e-6
	}
}

func TestCheckPassesCorrectMap(t *testing.T) {
	if msgs := check(t, &cube{}); len(msgs) > 0 {
		t.Errorf("a correct map failed: %v", msgs)
	}
}

func TestCheckCatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    physics.Map
		want string
	}{
		{"wrong Jacobian", &cube{wrongJac: true}, "central difference"},
		{"wrong VJP", &cube{wrongVJP: true}, "VJP"},
		{"modified input", &cube{modify: true}, "modified its input"},
		{"bad dims", physics.Func{X: -1, Z: 1, Y: 1}, "dimensions"},
		{"NaN output", physics.Func{Z: 1, Y: 1, F: func(y, jac, x, z []float64) {
			y[0] = math.NaN()
			if jac != nil {
				jac[0] = 0
			}
		}}, "y[0]"},
		{"unwritten Jacobian", physics.Func{Z: 2, Y: 1, F: func(y, jac, x, z []float64) { y[0] = z[0] + z[1] }}, "jac[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := check(t, tc.m)
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("want a failure mentioning %q, got %q", tc.want, msgs)
			}
		})
	}
}

// TestCheckCatchesSharedScratch shows the concurrency check failing on
// Evaluators that share their scratch space. Without the race detector the
// bits differ only when goroutines interleave, which the repeated
// evaluations make likely but not certain on one core; -race reports it
// always.
func TestCheckCatchesSharedScratch(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector would report the deliberate race and fail the package")
	}
	for try := 0; try < 20; try++ {
		if msgs := check(t, &cube{shared: true}); len(msgs) > 0 {
			if !strings.Contains(strings.Join(msgs, "\n"), "share scratch") && !strings.Contains(strings.Join(msgs, "\n"), "deterministic") {
				t.Errorf("failed, but not for the shared scratch: %v", msgs)
			}
			return
		}
	}
	t.Skip("the goroutines never interleaved (single core?); run with -race to see the shared scratch")
}

// lin is the square map y = A z with a non-symmetric A, whose Evaluator
// can get its Jacobian or VJP wrong in the usual ways.
type lin struct{ jac, vjp string }

var linA = []float64{1, 2, -3, 0.5, 4, 1, 2, -1, 3}

func (l lin) Dims() (int, int, int)           { return 0, 3, 3 }
func (l lin) NewEvaluator() physics.Evaluator { return l }

func (l lin) Eval(y, jac, _, z []float64) {
	for r := range 3 {
		y[r] = linA[3*r]*z[0] + linA[3*r+1]*z[1] + linA[3*r+2]*z[2]
	}
	if jac != nil {
		for r := range 3 {
			for k := range 3 {
				jac[3*r+k] = wrong(l.jac, linA, r, k)
			}
		}
	}
}

func (l lin) VJP(dst, v []float64) {
	for k := range 3 {
		dst[k] = 0
		for r := range 3 {
			// (Jᵀv)_k = Σ_r J_rk v_r
			dst[k] += wrong(l.vjp, linA, r, k) * v[r]
		}
	}
}

// wrong returns entry (r, k) of the 3×3 matrix a, made wrong as kind says.
func wrong(kind string, a []float64, r, k int) float64 {
	switch kind {
	case "sign":
		return -a[3*r+k]
	case "transpose":
		return a[3*k+r]
	case "factor":
		return 2 * a[3*r+k]
	}
	return a[3*r+k]
}

func TestCheckSummarisesMismatches(t *testing.T) {
	for _, tc := range []struct {
		m    lin
		want string
	}{
		{lin{jac: "sign"}, "Jacobian from Eval differs from central differences in 9 of 9 entries (tolerance"},
		{lin{jac: "sign"}, "opposite sign"},
		{lin{jac: "transpose"}, "rows and columns swapped"},
		{lin{jac: "factor"}, "it is 2 times the differences (off by a constant factor)"},
		{lin{vjp: "sign"}, "it is −Jᵀv (opposite sign)"},
		{lin{vjp: "transpose"}, "it is J v, not Jᵀv (transposed)"},
		{lin{vjp: "factor"}, "it is 2·Jᵀv (off by a constant factor)"},
	} {
		msgs := check(t, tc.m)
		if len(msgs) == 0 || !strings.Contains(msgs[0], tc.want) {
			t.Errorf("%+v: first message %q, want the summary %q", tc.m, msgs, tc.want)
		}
		// A summary per point, entries (at most 4 and a count) for the first.
		if len(msgs) > 6+4+1 {
			t.Errorf("%+v: %d messages; the detail should be capped", tc.m, len(msgs))
		}
	}
	if msgs := check(t, lin{}); len(msgs) > 0 {
		t.Errorf("correct lin failed: %v", msgs)
	}
}

// nearVJPMap has a VJP that returns an error: not physics.VJPEvaluator's
// signature, so the library would never call it.
type nearVJPMap struct{ lin }

type nearVJPEval struct{ lin }

func (m nearVJPMap) NewEvaluator() physics.Evaluator { return nearVJPEval{m.lin} }
func (e nearVJPEval) VJP(dst, v []float64) error {
	e.lin.VJP(dst, v)
	return nil
}

func TestCheckReportsNearMissVJP(t *testing.T) {
	msgs := check(t, nearVJPMap{})
	if len(msgs) != 1 || !strings.Contains(msgs[0], "has a method VJP([]float64, []float64) error") || !strings.Contains(msgs[0], "never calls it") {
		t.Errorf("messages %q, want the near-miss VJP signature reported", msgs)
	}
}

func TestCheckRequireVJP(t *testing.T) {
	noVJP := physics.Func{Z: 1, Y: 1, F: func(y, jac, x, z []float64) {
		y[0] = 2 * z[0]
		if jac != nil {
			jac[0] = 2
		}
	}}
	for _, tc := range []struct {
		m    physics.Map
		fail bool
	}{{noVJP, true}, {lin{}, false}} {
		f := &fakeT{TB: t}
		physicstest.Check(f, tc.m, &physicstest.Config{RequireVJP: true})
		if f.Failed() != tc.fail || (tc.fail && !strings.Contains(strings.Join(f.msgs, ""), "RequireVJP")) {
			t.Errorf("%T: messages %q, want failure %v", tc.m, f.msgs, tc.fail)
		}
	}
	if msgs := check(t, noVJP); len(msgs) > 0 {
		t.Errorf("without RequireVJP a map without VJP failed: %v", msgs)
	}
}

// logT records what Check logs.
type logT struct {
	fakeT
	logs []string
}

func (l *logT) Logf(s string, a ...any) { l.logs = append(l.logs, fmt.Sprintf(s, a...)) }

func TestCheckSaysWhatItTested(t *testing.T) {
	for _, tc := range []struct {
		m    physics.Map
		want string
	}{{lin{}, "VJP = Jᵀv"}, {physics.Func{Z: 1, Y: 1, F: func(y, jac, x, z []float64) {
		y[0] = z[0]
		if jac != nil {
			jac[0] = 1
		}
	}}, "no VJP"}} {
		l := &logT{fakeT: fakeT{TB: t}}
		physicstest.Check(l, tc.m, nil)
		if len(l.logs) != 1 || !strings.Contains(l.logs[0], tc.want) || !strings.Contains(l.logs[0], "passed at 6 points") {
			t.Errorf("%T: logs %q, want %q", tc.m, l.logs, tc.want)
		}
	}
}
