package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Network is a function z = f(x; θ) of an input x whose parameters θ live in
// one flat slice, so that optimizers treat them as one vector. MLP is one
// implementation; a user's architecture is another.
//
// Concurrency: the library calls NewEvaluator once per worker, from one
// goroutine at a time, and uses each Evaluator from one goroutine at a time;
// distinct Evaluators of one Network run concurrently, so they must not
// write to memory they share. Package nntest checks this contract and the
// derivatives of an implementation.
type Network interface {
	// Dims returns the lengths of the input x and of the output z.
	Dims() (in, out int)
	// NumParams returns the length of θ.
	NumParams() int
	// Init writes initial parameters drawn from rng into params; the same
	// rng state must give the same bits.
	Init(params []float64, rng *rand.Rand)
	// NewEvaluator returns an Evaluator with its own scratch space.
	NewEvaluator() Evaluator
}

// Evaluator evaluates a Network and its derivatives for one goroutine.
// Backprop and SeededJacobian differentiate at the parameters and input of
// the last Forward, whose params slice they read again: it must not change
// in between.
type Evaluator interface {
	// Forward returns z = f(x; θ) in a slice owned by the Evaluator, which
	// the next Forward overwrites. It keeps what the backward passes need.
	Forward(params, x []float64) []float64
	// Backprop adds (∂f/∂θ)ᵀ v to grad (length NumParams): the gradient of
	// vᵀf, by one backward pass, without forming ∂f/∂θ.
	Backprop(grad, v []float64)
	// SeededJacobian writes the r × NumParams matrix S·∂f/∂θ into dst
	// (row-major), where S is the r × out matrix in seed (row-major) and
	// 1 ≤ r ≤ out. With S = I it is the full Jacobian; with S = ∂P/∂z of a
	// map that follows the network it is the chain rule ∂P/∂θ in r
	// backward passes.
	SeededJacobian(dst, seed []float64, r int)
}

// Hidden is implemented by Evaluators that expose their hidden units, for
// the statistics of the Half-Inverse Gradients chapter's "neuron
// saturation" panel (package train's Saturation recorder).
type Hidden interface {
	// HiddenLayers returns the number of hidden layers.
	HiddenLayers() int
	// HiddenLayer returns the activations a and slopes σ'(z) of hidden layer
	// l = 1 … HiddenLayers() at the last Forward, in slices owned by the
	// Evaluator.
	HiddenLayer(l int) (act, slope []float64)
}

// Check returns an error unless net's dimensions are usable.
func Check(net Network) error {
	if net == nil {
		return errors.New("nn: nil network")
	}
	in, out := net.Dims()
	if in < 1 || out < 1 || net.NumParams() < 1 {
		return fmt.Errorf("nn: network dimensions in = %d, out = %d, parameters = %d must be positive", in, out, net.NumParams())
	}
	return nil
}

// Dims returns In() and Out().
func (m *MLP) Dims() (in, out int) { return m.In(), m.Out() }

// NewEvaluator returns a new Workspace, which implements Evaluator and Hidden.
func (m *MLP) NewEvaluator() Evaluator { return m.NewWorkspace() }

// Forward implements Evaluator: m.Forward(ws, params, x) for the MLP the
// workspace belongs to.
func (ws *Workspace) Forward(params, x []float64) []float64 {
	ws.params = params
	return ws.net.Forward(ws, params, x)
}

// Backprop implements Evaluator.
func (ws *Workspace) Backprop(grad, v []float64) { ws.net.Backprop(grad, ws, ws.params, v) }

// SeededJacobian implements Evaluator.
func (ws *Workspace) SeededJacobian(dst, seed []float64, r int) {
	ws.net.SeededJacobian(dst, ws, ws.params, seed, r)
}

// HiddenLayers implements Hidden: the layers before the output layer.
func (ws *Workspace) HiddenLayers() int { return ws.net.Layers() - 1 }

// HiddenLayer implements Hidden.
func (ws *Workspace) HiddenLayer(l int) (act, slope []float64) {
	if l < 1 || l >= ws.net.Layers() {
		panic(fmt.Sprintf("nn: hidden layer %d out of range 1…%d", l, ws.net.Layers()-1))
	}
	a, z, s := ws.act[l], ws.pre[l], ws.slope[l]
	f := ws.net.Acts[l-1]
	for k := range a {
		s[k] = f.Deriv(z[k], a[k])
	}
	return a, s
}
