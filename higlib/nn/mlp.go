// Package nn holds a small fully connected network (multilayer perceptron)
// whose parameters live in one flat slice, with the forward pass, the
// per-sample Jacobian of the output with respect to every parameter, and the
// vector-Jacobian product (backpropagation) that first-order optimizers use.
//
// Parameter layout: layer by layer, first the weight matrix W_l of shape
// outputs × inputs in row-major order, then the bias b_l. Layer l computes
//
//	a_l = σ_l(W_l a_{l−1} + b_l),   a_0 = x.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Activation is an element-wise nonlinearity applied after a layer's affine map.
type Activation int

const (
	Identity Activation = iota // σ(z) = z
	Tanh                       // σ(z) = tanh z
	ReLU                       // σ(z) = max(z, 0); σ'(0) is taken as 0
)

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case Identity:
		return "identity"
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation is the inverse of Activation.String.
func ParseActivation(s string) (Activation, error) {
	for _, a := range []Activation{Identity, Tanh, ReLU} {
		if strings.EqualFold(s, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("nn: unknown activation %q: use identity, tanh or relu", s)
}

func (a Activation) apply(z float64) float64 {
	switch a {
	case Tanh:
		return math.Tanh(z)
	case ReLU:
		return max(z, 0)
	}
	return z
}

// Deriv returns the slope σ'(z) given z and the activation's output y = σ(z).
func (a Activation) Deriv(z, y float64) float64 {
	switch a {
	case Tanh:
		return 1 - y*y
	case ReLU:
		if z > 0 {
			return 1
		}
		return 0
	}
	return 1
}

// MLP is a multilayer perceptron. Sizes lists the layer widths from input to
// output (at least two entries); Acts holds one activation per layer, so
// len(Acts) = len(Sizes) − 1. An MLP holds no parameters: they are passed in
// as a flat slice, so that optimizers can treat them as one vector.
type MLP struct {
	Sizes []int
	Acts  []Activation
}

// New returns an MLP after checking that the shapes make sense.
func New(sizes []int, acts []Activation) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("nn: need at least an input and an output size, got %v", sizes)
	}
	for _, s := range sizes {
		if s < 1 {
			return nil, fmt.Errorf("nn: layer sizes must be positive, got %v", sizes)
		}
	}
	if len(acts) != len(sizes)-1 {
		return nil, fmt.Errorf("nn: %d layers need %d activations, got %d", len(sizes)-1, len(sizes)-1, len(acts))
	}
	for _, a := range acts {
		if a < Identity || a > ReLU {
			return nil, fmt.Errorf("nn: unknown activation %d", int(a))
		}
	}
	return &MLP{Sizes: append([]int(nil), sizes...), Acts: append([]Activation(nil), acts...)}, nil
}

// In returns the input dimension.
func (m *MLP) In() int { return m.Sizes[0] }

// Out returns the output dimension.
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// Layers returns the number of affine layers.
func (m *MLP) Layers() int { return len(m.Sizes) - 1 }

// NumParams returns the length of the flat parameter vector.
func (m *MLP) NumParams() int {
	n := 0
	for l := 1; l < len(m.Sizes); l++ {
		n += m.Sizes[l] * (m.Sizes[l-1] + 1)
	}
	return n
}

// offset returns where layer l's (1-based) weights start in the flat vector.
func (m *MLP) offset(l int) int {
	n := 0
	for k := 1; k < l; k++ {
		n += m.Sizes[k] * (m.Sizes[k-1] + 1)
	}
	return n
}

// Layer returns views of layer l's weight matrix (outputs × inputs) and bias
// inside params, for l = 1 … Layers(). Writing to them writes to params.
func (m *MLP) Layer(params []float64, l int) (w *mat.Dense, b []float64) {
	m.checkParams(params)
	if l < 1 || l > m.Layers() {
		panic(fmt.Sprintf("nn: layer %d out of range 1…%d", l, m.Layers()))
	}
	off := m.offset(l)
	out, in := m.Sizes[l], m.Sizes[l-1]
	w = mat.NewDense(out, in, params[off:off+out*in:off+out*in])
	b = params[off+out*in : off+out*in+out : off+out*in+out]
	return w, b
}

// Init fills params with Glorot (Xavier) uniform weights, drawn from
// U(−a, a) with a = √(6 / (inputs + outputs)) per layer (Glorot & Bengio,
// AISTATS 2010), and zero biases. The draw order is the parameter order, so
// the same rng state gives the same bits.
func (m *MLP) Init(params []float64, rng *rand.Rand) {
	m.checkParams(params)
	off := 0
	for l := 1; l < len(m.Sizes); l++ {
		out, in := m.Sizes[l], m.Sizes[l-1]
		a := math.Sqrt(6 / float64(in+out))
		for i := 0; i < out*in; i++ {
			params[off+i] = a * (2*rng.Float64() - 1)
		}
		off += out * in
		for i := 0; i < out; i++ {
			params[off+i] = 0
		}
		off += out
	}
}

func (m *MLP) checkParams(params []float64) {
	if len(params) != m.NumParams() {
		panic(fmt.Sprintf("nn: len(params) = %d, want %d", len(params), m.NumParams()))
	}
}

// Workspace holds the intermediate values of one forward pass and the scratch
// space of the backward passes. It is reused between calls so that they do
// not allocate. A Workspace belongs to one MLP and one goroutine. It is the
// MLP's Evaluator (see Network): its methods without a params argument
// differentiate at the parameters of its last Forward.
type Workspace struct {
	net   *MLP
	pre   [][]float64 // pre[l]: W_l a_{l−1} + b_l, l = 1 … L (pre[0] unused)
	act   [][]float64 // act[l]: a_l; act[0] is a copy of the input
	delta [][]float64 // backward scratch, one row per output per layer (row-major out × width)
	back  [][]float64 // backward scratch, ∂/∂a_{l−1}
	slope [][]float64 // σ'(z_l) for HiddenLayer

	params []float64 // parameters of the last Forward through the Evaluator methods
}

// NewWorkspace returns a workspace sized for m.
func (m *MLP) NewWorkspace() *Workspace {
	L := m.Layers()
	ws := &Workspace{net: m, pre: make([][]float64, L+1), act: make([][]float64, L+1),
		delta: make([][]float64, L+1), back: make([][]float64, L+1), slope: make([][]float64, L+1)}
	d := m.Out()
	for l := 0; l <= L; l++ {
		ws.pre[l] = make([]float64, m.Sizes[l])
		ws.act[l] = make([]float64, m.Sizes[l])
		ws.delta[l] = make([]float64, d*m.Sizes[l])
		ws.back[l] = make([]float64, d*m.Sizes[l])
		ws.slope[l] = make([]float64, m.Sizes[l])
	}
	return ws
}

// Activation returns the output a_l of layer l (0 is the input, Layers() the
// network output) from the last Forward on ws. The slice is owned by ws.
func (ws *Workspace) Activation(l int) []float64 { return ws.act[l] }

// PreActivation returns the input z_l = W_l a_{l−1} + b_l of layer l's
// activation (l = 1 … Layers()) from the last Forward on ws.
func (ws *Workspace) PreActivation(l int) []float64 { return ws.pre[l] }

// Forward evaluates the network at x and returns its output, a slice owned
// by ws that the next call overwrites. The hidden activations stay available
// through ws.Activation.
func (m *MLP) Forward(ws *Workspace, params, x []float64) []float64 {
	m.checkParams(params)
	if ws.net != m {
		panic("nn: workspace belongs to another network")
	}
	if len(x) != m.In() {
		panic(fmt.Sprintf("nn: len(x) = %d, want %d", len(x), m.In()))
	}
	copy(ws.act[0], x)
	off := 0
	for l := 1; l < len(m.Sizes); l++ {
		out, in := m.Sizes[l], m.Sizes[l-1]
		w := params[off : off+out*in]
		b := params[off+out*in : off+out*in+out]
		a, z, y := ws.act[l-1], ws.pre[l], ws.act[l]
		act := m.Acts[l-1]
		for i := 0; i < out; i++ {
			s := b[i]
			row := w[i*in : i*in+in]
			for j, v := range row {
				s += v * a[j]
			}
			z[i] = s
			y[i] = act.apply(s)
		}
		off += out * (in + 1)
	}
	return ws.act[len(m.Sizes)-1]
}

// Jacobian writes into dst the Jacobian ∂f/∂θ of the network output at x
// with respect to every parameter: a row-major d × P block (d = Out(),
// P = NumParams()), row k holding ∂f_k/∂θ in parameter order. Rows are
// computed by backpropagating the d unit vectors together:
//
//	D_L = diag(σ_L'(z_L)),  D_{l−1} = (D_l W_l) diag(σ_{l−1}'(z_{l−1})),
//	∂f/∂W_l = D_l ⊗ a_{l−1},  ∂f/∂b_l = D_l.
//
// It runs Forward first, so ws also holds the activations at x afterwards.
func (m *MLP) Jacobian(dst []float64, ws *Workspace, params, x []float64) {
	d, P := m.Out(), m.NumParams()
	if len(dst) != d*P {
		panic(fmt.Sprintf("nn: len(dst) = %d, want %d×%d", len(dst), d, P))
	}
	m.Forward(ws, params, x)
	L := m.Layers()
	// seed: rows of the identity
	g := ws.back[L]
	for i := range g {
		g[i] = 0
	}
	for k := 0; k < d; k++ {
		g[k*d+k] = 1
	}
	m.seeded(dst, ws, params, d)
}

// SeededJacobian writes the r × P matrix S·∂f/∂θ into dst (row-major, row
// stride P), where S is the r × Out() matrix in seed (row-major) and ∂f/∂θ
// is taken at the input of the last Forward on ws. It is reverse-mode
// differentiation with r cotangents at once (Griewank & Walther, Evaluating
// Derivatives, 2nd ed., Sec. 3.2), the recursion of Jacobian with the rows
// of S in place of the unit vectors: when a map with Jacobian S follows the
// network, the chain rule ∂(S f)/∂θ = S·∂f/∂θ costs r backward passes
// instead of Out(). It panics unless 0 < r ≤ Out().
func (m *MLP) SeededJacobian(dst []float64, ws *Workspace, params, seed []float64, r int) {
	d, P := m.Out(), m.NumParams()
	if r <= 0 || r > d || len(seed) != r*d || len(dst) != r*P {
		panic(fmt.Sprintf("nn: SeededJacobian wants 0 < r ≤ %d, len(seed) = r×%d and len(dst) = r×%d; got r = %d, %d and %d", d, d, P, r, len(seed), len(dst)))
	}
	m.checkParams(params)
	copy(ws.back[m.Layers()][:r*d], seed)
	m.seeded(dst, ws, params, r)
}

// seeded backpropagates the r cotangents already in ws.back[Layers()] and
// writes the resulting r × P rows into dst: for each layer l, with
// D = delta (r × width_l), ∂/∂W_l = D ⊗ a_{l−1} and ∂/∂b_l = D.
func (m *MLP) seeded(dst []float64, ws *Workspace, params []float64, r int) {
	P := m.NumParams()
	m.backward(ws, params, r, func(l int, delta []float64) {
		out, in := m.Sizes[l], m.Sizes[l-1]
		off := m.offset(l)
		a := ws.act[l-1]
		for k := 0; k < r; k++ {
			row := dst[k*P : (k+1)*P]
			dk := delta[k*out : (k+1)*out]
			for i := 0; i < out; i++ {
				wrow := row[off+i*in : off+i*in+in]
				for j := range wrow {
					wrow[j] = dk[i] * a[j]
				}
				row[off+out*in+i] = dk[i]
			}
		}
	})
}

// VJP adds (∂f/∂θ)ᵀ v to grad: the gradient of vᵀ f(x; θ), computed by one
// backward pass without forming the Jacobian. It runs Forward first.
func (m *MLP) VJP(grad []float64, ws *Workspace, params, x, v []float64) {
	m.Forward(ws, params, x)
	m.Backprop(grad, ws, params, v)
}

// Backprop is VJP at the input of the last Forward on ws.
func (m *MLP) Backprop(grad []float64, ws *Workspace, params, v []float64) {
	d, P := m.Out(), m.NumParams()
	if len(grad) != P || len(v) != d {
		panic(fmt.Sprintf("nn: VJP wants len(grad) = %d and len(v) = %d, got %d and %d", P, d, len(grad), len(v)))
	}
	m.checkParams(params)
	L := m.Layers()
	copy(ws.back[L][:d], v)
	m.backward(ws, params, 1, func(l int, delta []float64) {
		out, in := m.Sizes[l], m.Sizes[l-1]
		off := m.offset(l)
		a := ws.act[l-1]
		for i := 0; i < out; i++ {
			wrow := grad[off+i*in : off+i*in+in]
			for j := range wrow {
				wrow[j] += delta[i] * a[j]
			}
			grad[off+out*in+i] += delta[i]
		}
	})
}

// backward propagates r row vectors, stored in ws.back[L] as r × Out(),
// through the layers. For each layer l (from the last) it computes
// delta = back[l] ⊙ σ_l'(z_l) (r × width_l) and hands it to visit, then sets
// back[l−1] = delta · W_l.
func (m *MLP) backward(ws *Workspace, params []float64, r int, visit func(l int, delta []float64)) {
	for l := m.Layers(); l >= 1; l-- {
		out, in := m.Sizes[l], m.Sizes[l-1]
		act := m.Acts[l-1]
		z, y := ws.pre[l], ws.act[l]
		delta, g := ws.delta[l][:r*out], ws.back[l][:r*out]
		for k := 0; k < r; k++ {
			for i := 0; i < out; i++ {
				delta[k*out+i] = g[k*out+i] * act.Deriv(z[i], y[i])
			}
		}
		visit(l, delta)
		if l == 1 {
			break
		}
		off := m.offset(l)
		w := params[off : off+out*in]
		prev := ws.back[l-1][:r*in]
		for k := 0; k < r; k++ {
			pk := prev[k*in : (k+1)*in]
			for j := range pk {
				pk[j] = 0
			}
			for i := 0; i < out; i++ {
				dki := delta[k*out+i]
				if dki == 0 {
					continue
				}
				for j, wv := range w[i*in : i*in+in] {
					pk[j] += dki * wv
				}
			}
		}
	}
}
