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
