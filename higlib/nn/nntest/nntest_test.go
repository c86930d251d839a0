package nntest_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/nn/nntest"
)

func TestMLPPassesConformance(t *testing.T) {
	for _, tc := range []struct {
		sizes []int
		acts  []nn.Activation
	}{
		{[]int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity}},
		{[]int{3, 5, 4, 2}, []nn.Activation{nn.Tanh, nn.Tanh, nn.Identity}},
		{[]int{4, 6, 6, 9}, []nn.Activation{nn.ReLU, nn.ReLU, nn.Identity}},
	} {
		net, err := nn.New(tc.sizes, tc.acts)
		if err != nil {
			t.Fatal(err)
		}
		nntest.Check(t, net, nil)
	}
}

// fakeT records failures instead of failing the test.
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

// broken wraps an MLP and spoils one of its derivatives.
type broken struct {
	*nn.MLP
	jac, backprop bool
}

type brokenEval struct {
	nn.Evaluator
	b *broken
}

func (b *broken) NewEvaluator() nn.Evaluator { return brokenEval{b.MLP.NewEvaluator(), b} }

func (e brokenEval) SeededJacobian(dst, seed []float64, r int) {
	e.Evaluator.SeededJacobian(dst, seed, r)
	if e.b.jac {
		dst[0] *= 1.1
	}
}

func (e brokenEval) Backprop(grad, v []float64) {
	e.Evaluator.Backprop(grad, v)
	if e.b.backprop {
		grad[len(grad)-1] += 0.5
	}
}

func (b *broken) Init(p []float64, rng *rand.Rand) { b.MLP.Init(p, rng) }

func TestCheckCatches(t *testing.T) {
	net, err := nn.New([]int{2, 3, 2}, []nn.Activation{nn.Tanh, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		net  nn.Network
		want string
	}{
		"wrong Jacobian": {&broken{MLP: net, jac: true}, "central difference"},
		"wrong Backprop": {&broken{MLP: net, backprop: true}, "Backprop"},
	} {
		f := &fakeT{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(fatal); !ok {
						panic(r)
					}
				}
			}()
			nntest.Check(f, tc.net, nil)
		}()
		if !strings.Contains(strings.Join(f.msgs, "\n"), tc.want) {
			t.Errorf("%s: want a failure mentioning %q, got %q", name, tc.want, f.msgs)
		}
	}
}
