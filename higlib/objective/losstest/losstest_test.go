package losstest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/objective/losstest"
)

// fakeT records failures instead of failing the test, so that the checks
// can be shown to fail on broken losses.
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

func check(t *testing.T, l objective.Loss, dim int) []string {
	f := &fakeT{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatal); !ok {
					panic(r)
				}
			}
		}()
		losstest.Check(f, l, dim, nil)
	}()
	return f.msgs
}

// normalised draws y and t as unit complex vectors (real parts, then
// imaginary parts), the states Infidelity is meant for.
func normalised(y, t []float64, rng *rand.Rand) {
	for _, v := range [][]float64{y, t} {
		var s float64
		for k := range v {
			v[k] = rng.NormFloat64()
			s += v[k] * v[k]
		}
		for k := range v {
			v[k] /= math.Sqrt(s)
		}
	}
}

func TestLossesPass(t *testing.T) {
	w, err := objective.NewWeightedSquared(1, 1e-4, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	losstest.Check(t, objective.HalfSquared{}, 3, nil)
	losstest.Check(t, w, 4, nil)
	losstest.Check(t, objective.WeightedSquared{}, 2, nil)
	losstest.Check(t, objective.Infidelity{}, 28, nil)
	losstest.Check(t, objective.Infidelity{}, 6, &losstest.Config{Sample: normalised, Seed: 3})
}

// lossFunc adapts a function to objective.Loss.
type lossFunc func(g, y, t []float64) float64

func (f lossFunc) Eval(g, y, t []float64) float64 { return f(g, y, t) }

func TestCatchesBrokenLosses(t *testing.T) {
	for _, c := range []struct {
		name string
		l    objective.Loss
		want string
	}{
		{"gradient of the wrong sign", lossFunc(func(g, y, t []float64) float64 {
			v := objective.HalfSquared{}.Eval(g, y, t)
			for k := range g {
				g[k] = -g[k]
			}
			return v
		}), "central difference"},
		{"gradient missing the factor of ½", lossFunc(func(g, y, t []float64) float64 {
			v := objective.HalfSquared{}.Eval(g, y, t)
			return 2 * v
		}), "central difference"},
		{"last entry not written", lossFunc(func(g, y, t []float64) float64 {
			if g != nil {
				g = g[:len(g)-1]
			}
			return objective.HalfSquared{}.Eval(g, y[:len(y)-1], t[:len(t)-1])
		}), "not written"},
		{"modifies y", lossFunc(func(g, y, t []float64) float64 {
			v := objective.HalfSquared{}.Eval(g, y, t)
			y[0] += 1
			return v
		}), "modified"},
		{"panics", objective.WeightedSquared{W: []float64{1, 2}}, "panics"},
		{"odd length for Infidelity", objective.Infidelity{}, "panics"},
	} {
		msgs := check(t, c.l, 3)
		if len(msgs) == 0 {
			t.Errorf("%s: passed the check", c.name)
			continue
		}
		if !strings.Contains(strings.Join(msgs, "\n"), c.want) {
			t.Errorf("%s: messages %q do not say %q", c.name, msgs, c.want)
		}
	}
}
