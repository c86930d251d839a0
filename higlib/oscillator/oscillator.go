// Package oscillator holds the differentiable simulator of the main
// experiment of Schnell, Holl & Thuerey, "Half-Inverse Gradients for
// Physical Deep Learning" (ICLR 2022): a chain of N coupled nonlinear
// oscillators, driven at its last member by a control signal.
//
// The state is s = (x₁ … x_N, p₁ … p_N) and it evolves by
//
//	dxᵢ/dt = pᵢ,
//	dpᵢ/dt = −xᵢ + c(x_{i+1} − xᵢ) − c(xᵢ − x_{i−1}) + g·u·δ_{i,N},
//	c(d) = a·d + b·d³,
//
// where a coupling term is present only if the neighbour exists (the chain
// has open ends). The paper's chain (the zero Config) has a purely cubic
// coupling, a = 0, b = 1, and the gain g = 3; the companion notebook of the
// Physics-based Deep Learning book's HIG chapter (physgrad-hig-code.ipynb)
// uses a linear one, a = 0.2, b = 0, with g = 1 and 24 steps of 0.5 (Book).
// The forces are −∂V/∂xᵢ of the potential
//
//	V(x) = Σᵢ xᵢ²/2 + Σ_{i<N} (a·dᵢ²/2 + b·dᵢ⁴/4),   dᵢ = x_{i+1} − xᵢ,
//
// so without control the energy H = Σᵢ pᵢ²/2 + V(x) is conserved; see
// Chain.Energy. Time is discretised with the classical fourth-order
// Runge–Kutta method (RK4) over Steps steps of length DT, the control u_t
// being held constant within step t.
//
// A Chain is a physics.Map: its input x is the initial state s(0), its
// controls z are u₀ … u_{Steps−1}, and its output y is the final state
// s(T), T = Steps·DT. Its Evaluators return ∂s(T)/∂u exactly (up to
// rounding) by the adjoint of the RK4 scheme, and vector–Jacobian products
// by the same reverse sweep with one cotangent.
package oscillator

import (
	"fmt"
	"math"

	"github.com/higlab/hig/higlib/physics"
)

// Default settings are those of the paper's experiment: two oscillators,
// 96 steps of length 0.125 (T = 12).
const (
	DefaultN     = 2
	DefaultSteps = 96
	DefaultDT    = 0.125
)

// Gain is the paper's factor of the control in the force on the last
// oscillator, dp_N/dt = … + Gain·u: the default of Config.Gain.
const Gain = 3

// Coupling is the force c(d) = Linear·d + Cubic·d³ between neighbours at
// distance d = x_{i+1} − xᵢ. The zero value means the paper's purely cubic
// coupling, Linear = 0 and Cubic = 1; any other value is used as it is, so
// an uncoupled chain cannot be asked for this way (use N = 1 oscillators,
// or a tiny strength).
type Coupling struct {
	Linear, Cubic float64
}

// PaperCoupling is the coupling of the paper's experiment, c(d) = d³.
var PaperCoupling = Coupling{Cubic: 1}

// Config sets up a Chain. The zero value of each field takes the default
// its comment gives.
type Config struct {
	// N is the number of oscillators, at least 1; zero means DefaultN.
	N int
	// Steps is the number of RK4 steps and of controls, at least 1; zero
	// means DefaultSteps.
	Steps int
	// DT is the step length, finite and positive; zero means DefaultDT.
	DT float64
	// Coupling is the force between neighbours; the zero value means
	// PaperCoupling. Its strengths must be finite and not negative (a
	// negative one would make the chain unstable).
	Coupling Coupling
	// Gain is the factor of the control in the force on the last
	// oscillator, finite and not zero; zero means Gain (3, the paper's).
	Gain float64
}

// Book returns the set-up of the companion notebook of the Physics-based
// Deep Learning book's Half-Inverse Gradients chapter
// (physgrad-hig-code.ipynb, "Coupled Oscillators with Half-Inverse
// Gradients"): two oscillators with the linear coupling c(d) = 0.2·d (its
// Laplacian stencil with free ends), the control acting with gain 1 on the
// last one, and 24 RK4 steps of 0.5 (T = 12).
func Book() Config {
	return Config{N: 2, Steps: 24, DT: 0.5, Coupling: Coupling{Linear: 0.2}, Gain: 1}
}

// Chain is the simulator of N coupled oscillators for a fixed number of
// steps; it implements physics.Map. A Chain only holds its settings and is
// safe for concurrent use; its Evaluators are not (see package physics).
type Chain struct {
	n, steps int
	dt       float64
	coupling Coupling
	gain     float64
}

var (
	_ physics.Map          = (*Chain)(nil)
	_ physics.VJPEvaluator = (*Evaluator)(nil)
)

// New returns the Chain that c describes, or an error if a setting is out
// of range.
func New(c Config) (*Chain, error) {
	if c.N == 0 {
		c.N = DefaultN
	}
	if c.Steps == 0 {
		c.Steps = DefaultSteps
	}
	if c.DT == 0 {
		c.DT = DefaultDT
	}
	if c.N < 1 {
		return nil, fmt.Errorf("oscillator: N = %d oscillators, need at least 1", c.N)
	}
	if c.Steps < 1 {
		return nil, fmt.Errorf("oscillator: Steps = %d, need at least 1", c.Steps)
	}
	if !(c.DT > 0) || math.IsInf(c.DT, 1) {
		return nil, fmt.Errorf("oscillator: DT = %v, need a finite positive step", c.DT)
	}
	if c.Coupling == (Coupling{}) {
		c.Coupling = PaperCoupling
	}
	if c.Gain == 0 {
		c.Gain = Gain
	}
	for _, v := range []float64{c.Coupling.Linear, c.Coupling.Cubic} {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("oscillator: coupling strengths %v: need finite values ≥ 0 (a negative one makes the chain unstable)", c.Coupling)
		}
	}
	if math.IsNaN(c.Gain) || math.IsInf(c.Gain, 0) {
		return nil, fmt.Errorf("oscillator: Gain = %v, need a finite non-zero factor", c.Gain)
	}
	return &Chain{n: c.N, steps: c.Steps, dt: c.DT, coupling: c.Coupling, gain: c.Gain}, nil
}

// N returns the number of oscillators.
func (c *Chain) N() int { return c.n }

// Steps returns the number of steps, which is the number of controls.
func (c *Chain) Steps() int { return c.steps }

// DT returns the step length.
func (c *Chain) DT() float64 { return c.dt }

// Coupling returns the force between neighbours (PaperCoupling by default).
func (c *Chain) Coupling() Coupling { return c.coupling }

// Gain returns the factor of the control in the force on the last
// oscillator.
func (c *Chain) Gain() float64 { return c.gain }

// Config returns the settings of c, every default filled in; New of it
// gives an equal Chain.
func (c *Chain) Config() Config {
	return Config{N: c.n, Steps: c.steps, DT: c.dt, Coupling: c.coupling, Gain: c.gain}
}

// Dims returns 2N (the initial state), Steps (the controls) and 2N (the
// final state).
func (c *Chain) Dims() (x, z, y int) { return 2 * c.n, c.steps, 2 * c.n }

// NewEvaluator returns a new *Evaluator of c.
func (c *Chain) NewEvaluator() physics.Evaluator {
	e := &Evaluator{
		chain: c,
		rk:    newStepper(c),
		s:     make([]float64, 2*c.n),
		coef:  make([]float64, c.steps*4*(c.n-1)),
		lam:   make([]float64, 4*c.n*c.n),
		ub:    make([]float64, 2*c.n),
	}
	return e
}

// Energy returns the energy
//
//	H(s) = Σᵢ pᵢ²/2 + Σᵢ xᵢ²/2 + Σ_{i<N} (a·dᵢ²/2 + b·dᵢ⁴/4),   dᵢ = x_{i+1} − xᵢ,
//
// of the state s = (x, p), a and b the linear and cubic coupling strengths,
// which the uncontrolled dynamics conserve: the forces of the equations of
// motion are −∂H/∂xᵢ. With a control, dH/dt = g·u·p_N, g the gain.
func (c *Chain) Energy(s []float64) float64 {
	n := c.n
	if len(s) != 2*n {
		panic(fmt.Sprintf("oscillator: Energy of a chain of %d got a state of length %d, want %d", n, len(s), 2*n))
	}
	x, p := s[:n], s[n:]
	var h float64
	for i := range n {
		h += (p[i]*p[i] + x[i]*x[i]) / 2
	}
	a, b := c.coupling.Linear, c.coupling.Cubic
	for i := range n - 1 {
		d := x[i+1] - x[i]
		d *= d
		h += a*d/2 + b*d*d/4
	}
	return h
}

// Trajectory simulates from the state x0 under the controls u, one RK4 step
// per control (len(u) may differ from c.Steps, e.g. zero controls of any
// length for the free system), and writes the len(u)+1 states s(0), s(DT),
// …, s(len(u)·DT) into dst, row-major: state k is dst[k·2N : (k+1)·2N].
// If dst is nil a new slice is allocated; otherwise its length must be
// (len(u)+1)·2N. It returns dst. With len(u) = Steps its last state is,
// bit for bit, the y of Evaluator.Eval. A non-finite state (a blow-up of
// the explicit scheme, see Evaluator.Eval) propagates as NaN or ±Inf.
func (c *Chain) Trajectory(dst, x0, u []float64) []float64 {
	m := 2 * c.n
	if len(x0) != m {
		panic(fmt.Sprintf("oscillator: Trajectory got an initial state of length %d, want %d", len(x0), m))
	}
	if dst == nil {
		dst = make([]float64, (len(u)+1)*m)
	}
	if len(dst) != (len(u)+1)*m {
		panic(fmt.Sprintf("oscillator: Trajectory of %d steps needs len(dst) = %d, got %d", len(u), (len(u)+1)*m, len(dst)))
	}
	rk := newStepper(c)
	copy(dst[:m], x0)
	for t, ut := range u {
		rk.step(dst[(t+1)*m:(t+2)*m], dst[t*m:(t+1)*m], ut, nil)
	}
	return dst
}

// Evaluator evaluates a Chain for one goroutine: it keeps the coefficients
// of the last simulation that the reverse sweeps of the Jacobian and of VJP
// need, so that neither Eval nor VJP allocates.
type Evaluator struct {
	chain *Chain
	rk    stepper
	s     []float64 // current state of the forward pass
	// coef holds, for every step t and stage j, the linearised coupling
	// stiffnesses c'(dᵢ) = a + 3b·dᵢ² at the stage's input, at
	// coef[(4t+j)(N−1) + i].
	coef []float64
	lam  []float64 // up to 2N cotangents of the reverse sweep, row-major
	ub   []float64 // their derivatives with respect to one control
	done bool      // an Eval has run, so coef is valid
}

// Eval writes the final state s(T) of the simulation from the initial state
// x under the controls z into y and, if jac is not nil, the Jacobian
// ∂s(T)/∂z into jac, row-major 2N × Steps. len(x) and len(y) must be 2N and
// len(z) Steps.
//
// The Jacobian is the exact derivative of the discrete RK4 map, computed by
// its adjoint: one reverse sweep over the stored stages that carries the 2N
// cotangents e₁ … e_2N together, at about the cost of 2N forward
// simulations. Forward-mode tangents would propagate one direction per
// control from its step to the end, Steps(Steps+1)/2 step-tangents in all
// against the adjoint's 2N·Steps; for N = 2 and 96 steps the adjoint is
// about ten times cheaper (BenchmarkJacobianTangent against
// BenchmarkEval/value+jacobian).
//
// RK4 is explicit, and the paper's cubic coupling stiffens the chain as neighbours
// move apart: the linearised frequencies reach up to √(1 + 12·max(x_{i+1} − xᵢ)²),
// against RK4's stability limit 2√2/DT. With DT = 0.125 the discrete map
// follows the continuous dynamics closely for neighbour distances of order
// 1 (relative energy drift ≈ 1e-3 over T = 12, see the tests), loses energy
// visibly at a few units (N = 2 released at rest at distance 4 keeps two
// thirds of its energy after T = 12) and overflows from distance 12: then y
// and jac hold NaN or ±Inf. Whatever the accuracy, jac is the exact
// derivative of the discrete map that y evaluates.
func (e *Evaluator) Eval(y, jac, x, z []float64) {
	n, steps := e.chain.n, e.chain.steps
	m := 2 * n
	if len(y) != m || len(x) != m || len(z) != steps || (jac != nil && len(jac) != m*steps) {
		panic(fmt.Sprintf("oscillator: Eval of a chain of %d oscillators and %d steps got len(y) = %d, len(x) = %d, len(z) = %d, len(jac) = %d; want %d, %d, %d, %d",
			n, steps, len(y), len(x), len(z), len(jac), m, m, steps, m*steps))
	}
	nc := 4 * (n - 1)
	copy(e.s, x)
	for t, u := range z {
		e.rk.step(e.s, e.s, u, e.coef[t*nc:(t+1)*nc])
	}
	copy(y, e.s)
	e.done = true
	if jac == nil {
		return
	}
	// The 2N cotangents e₁ … e_2N swept back together: row r of lam
	// becomes ∂s(T)/∂s(t) of component r, and ub[r] = ∂s_r(T)/∂u_t.
	clear(e.lam)
	for r := range m {
		e.lam[r*m+r] = 1
	}
	for t := steps - 1; t >= 0; t-- {
		e.rk.reverse(e.lam, m, e.coef[t*nc:(t+1)*nc], e.ub)
		for r, g := range e.ub {
			jac[r*steps+t] = g
		}
	}
}

// VJP writes (∂s(T)/∂z)ᵀ v into dst (length Steps) at the point of the last
// Eval, by one reverse sweep with the cotangent v (length 2N). It panics if
// Eval has not been called.
func (e *Evaluator) VJP(dst, v []float64) {
	n, steps := e.chain.n, e.chain.steps
	if len(dst) != steps || len(v) != 2*n {
		panic(fmt.Sprintf("oscillator: VJP of a chain of %d oscillators and %d steps got len(dst) = %d, len(v) = %d; want %d, %d",
			n, steps, len(dst), len(v), steps, 2*n))
	}
	if !e.done {
		panic("oscillator: VJP before any Eval")
	}
	nc := 4 * (n - 1)
	lam, ub := e.lam[:2*n], e.ub[:1]
	copy(lam, v)
	for t := steps - 1; t >= 0; t-- {
		e.rk.reverse(lam, 1, e.coef[t*nc:(t+1)*nc], ub)
		dst[t] = ub[0]
	}
}

// stepper holds the scratch space of one RK4 step and of its adjoint.
type stepper struct {
	n          int
	dt         float64
	lin, cubic float64 // coupling strengths a and b
	gain       float64
	// Forward: the stage input σ, the stage slope k and the running sum
	// k₁ + 2k₂ + 2k₃ + k₄. Reverse, for up to 2N cotangents (rows): kb =
	// the cotangents of a stage slope, g = their products with A, sb = the
	// cotangents of the step's input.
	sig, k, acc []float64
	kb, g, sb   []float64
}

func newStepper(c *Chain) stepper {
	n, m := c.n, 2*c.n
	fw := make([]float64, 3*m)
	rv := make([]float64, 3*m*m)
	return stepper{
		n: n, dt: c.dt, lin: c.coupling.Linear, cubic: c.coupling.Cubic, gain: c.gain,
		sig: fw[0:m:m], k: fw[m : 2*m : 2*m], acc: fw[2*m : 3*m : 3*m],
		kb: rv[0 : m*m : m*m], g: rv[m*m : 2*m*m : 2*m*m], sb: rv[2*m*m : 3*m*m : 3*m*m],
	}
}

// rate writes the right-hand side f(s, u) of the equations of motion into
// k and, if coef is not nil, the coupling stiffnesses c'(dᵢ) = a + 3b·dᵢ² of
// its Jacobian into coef (length N−1). With dᵢ = x_{i+1} − xᵢ the force on
// oscillator i is −xᵢ + c(dᵢ) − c(d_{i−1}), c(d) = a·d + b·d³.
func (st *stepper) rate(k, s []float64, u float64, coef []float64) {
	n := st.n
	x, p := s[:n], s[n:]
	kx, kp := k[:n], k[n:]
	copy(kx, p)
	for i, xi := range x {
		kp[i] = -xi
	}
	a, b := st.lin, st.cubic
	for i := range n - 1 {
		d := x[i+1] - x[i]
		d2 := d * d
		// The paper's chain (a = 0, b = 1) keeps its own expressions, so
		// its results stay the same bits as before couplings were
		// configurable.
		var f, c float64
		switch {
		case a == 0 && b == 1:
			f, c = d2*d, 3*d2
		default:
			f, c = a*d+b*d2*d, a+3*b*d2
		}
		kp[i] += f
		kp[i+1] -= f
		if coef != nil {
			coef[i] = c
		}
	}
	kp[n-1] += st.gain * u
}

// step writes into dst the RK4 step
//
//	k₁ = f(s, u), k₂ = f(s + h/2·k₁, u), k₃ = f(s + h/2·k₂, u),
//	k₄ = f(s + h·k₃, u), s' = s + h/6·(k₁ + 2k₂ + 2k₃ + k₄)
//
// from s (dst may be s) and, if coef is not nil, the stiffnesses of the four
// stages into coef (length 4(N−1)).
func (st *stepper) step(dst, s []float64, u float64, coef []float64) {
	h := st.dt
	nc := st.n - 1
	c := func(j int) []float64 {
		if coef == nil {
			return nil
		}
		return coef[j*nc : (j+1)*nc]
	}
	sig, k, acc := st.sig, st.k, st.acc
	st.rate(k, s, u, c(0))
	for i := range s {
		acc[i] = k[i]
		sig[i] = s[i] + h/2*k[i]
	}
	st.rate(k, sig, u, c(1))
	for i := range s {
		acc[i] += 2 * k[i]
		sig[i] = s[i] + h/2*k[i]
	}
	st.rate(k, sig, u, c(2))
	for i := range s {
		acc[i] += 2 * k[i]
		sig[i] = s[i] + h*k[i]
	}
	st.rate(k, sig, u, c(3))
	for i := range s {
		dst[i] = s[i] + h/6*(acc[i]+k[i])
	}
}

// reverse is the adjoint of one step for r cotangents at once: given in
// lam the cotangents of the step's output (r rows of length 2N) and the
// stage stiffnesses coef stored by step, it overwrites lam with the
// cotangents of the step's input and writes into ub[q] the derivative of
// row q with respect to the step's control, lam_qᵀ ∂s'/∂u.
//
// A stage slope kⱼ = f(σⱼ, u) has the Jacobian A(σⱼ) = [0 I; K(σⱼ) 0] with
// respect to σⱼ, K the symmetric tridiagonal Hessian of −V, and ∂kⱼ/∂u =
// g·e_{p_N}, g the gain. The slopes' cotangents follow from s' = s + h/6·(k₁ + 2k₂ +
// 2k₃ + k₄) and σ₄ = s + h·k₃, σ₃ = s + h/2·k₂, σ₂ = s + h/2·k₁, last
// stage first:
//
//	k̄₄ = h/6·λ,            ḡ₄ = A(σ₄)ᵀk̄₄,
//	k̄₃ = h/3·λ + h·ḡ₄,     ḡ₃ = A(σ₃)ᵀk̄₃,
//	k̄₂ = h/3·λ + h/2·ḡ₃,   ḡ₂ = A(σ₂)ᵀk̄₂,
//	k̄₁ = h/6·λ + h/2·ḡ₂,   ḡ₁ = A(σ₁)ᵀk̄₁,
//
// and then s̄ = λ + ḡ₁ + ḡ₂ + ḡ₃ + ḡ₄ and ū = g·Σⱼ (k̄ⱼ)_{p_N}. Each row
// goes through the same operations in the same order, so a row of a
// batched sweep equals, bit for bit, the sweep of that cotangent alone.
func (st *stepper) reverse(lam []float64, r int, coef, ub []float64) {
	h := st.dt
	n, nc := st.n, st.n-1
	m := 2 * n
	kb, g, sb := st.kb[:r*m], st.g[:r*m], st.sb[:r*m]
	lam, ub = lam[:r*m], ub[:r]
	copy(sb, lam)
	clear(ub)
	for j := 3; j >= 0; j-- {
		switch j {
		case 3:
			for i := range kb {
				kb[i] = h / 6 * lam[i]
			}
		case 2:
			for i := range kb {
				kb[i] = h/3*lam[i] + h*g[i]
			}
		case 1:
			for i := range kb {
				kb[i] = h/3*lam[i] + h/2*g[i]
			}
		case 0:
			for i := range kb {
				kb[i] = h/6*lam[i] + h/2*g[i]
			}
		}
		c := coef[j*nc : (j+1)*nc]
		for q := range r {
			kq, gq := kb[q*m:(q+1)*m], g[q*m:(q+1)*m]
			ub[q] += st.gain * kq[m-1]
			// g = A(σⱼ)ᵀ kb = (K kb_p, kb_x).
			gx, gp := gq[:n], gq[n:]
			kx, kp := kq[:n], kq[n:]
			copy(gp, kx)
			for i, w := range kp {
				gx[i] = -w
			}
			for i, ci := range c {
				t := ci * (kp[i+1] - kp[i])
				gx[i] += t
				gx[i+1] -= t
			}
		}
		for i := range sb {
			sb[i] += g[i]
		}
	}
	copy(lam, sb)
}
