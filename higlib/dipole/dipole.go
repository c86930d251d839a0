// Package dipole holds the differentiable simulator of the quantum dipole
// experiment of Schnell, Holl & Thuerey, "Half-Inverse Gradients for
// Physical Deep Learning" (ICLR 2022): a quantum particle in the infinite
// potential well [0, L], L = 2, driven by a time-dependent electric field
// u(t) that couples to its position (a dipole coupling). A network predicts
// the field u(t) that steers the particle from its ground state into a
// target state.
//
// The wave function ψ(x, t) obeys the Schrödinger equation (in units with
// ħ = 1 and 2m = 1)
//
//	i ∂ψ/∂t = (−∂²/∂x² + u(t)·x) ψ,    ψ(0, t) = ψ(L, t) = 0.
//
// Space is discretised by finite differences on N interior points
// x_j = j·Δx, j = 1 … N, Δx = L/(N+1) (the paper: N = 14, Δx = 2/15), so
// that the state is ψ ∈ ℂᴺ and the Hamiltonian during step n is the real
// symmetric tridiagonal matrix
//
//	H_n = H₀ + u_n X,    H₀ = tridiag(−1, 2, −1)/Δx²,    X = diag(x_j).
//
// Time is discretised by the Crank–Nicolson scheme over Steps steps of
// length DT (the paper: 384 steps of 0.05, T = 19.2), the control u_n being
// held within step n:
//
//	(I + i·DT/2·H_n) ψⁿ⁺¹ = (I − i·DT/2·H_n) ψⁿ.
//
// Write A_n = I + i·DT/2·H_n and B_n = I − i·DT/2·H_n. Because H_n is
// Hermitian, the step M_n = A_n⁻¹B_n is unitary (its eigenvalues are
// (1 − iaE)/(1 + iaE), a = DT/2, for the eigenvalues E of H_n), so ‖ψⁿ‖ is
// conserved for any control; an eigenstate of H₀ with eigenvalue E picks up
// the phase e^(−2i·atan(E·DT/2)) per step, the scheme's approximation of
// e^(−iE·DT). Each step solves one complex tridiagonal system by the Thomas
// algorithm (Gaussian elimination without pivoting), which is safe here: the
// Hermitian part of A_n is I, and Schur complements inherit that bound, so
// every pivot has real part at least 1.
//
// # Layout
//
// A Well is a physics.Map that does not read the sample's input x (Dims
// returns 0 for it): every simulation starts in the ground state, the
// discrete eigenstate e₁ (see Well.Eigenstate). Its controls z are
// u₀ … u_{Steps−1}, and its output y is the final state ψ(T) as 2N reals,
// the real parts first and then the imaginary parts:
//
//	y = (Re ψ₁ … Re ψ_N, Im ψ₁ … Im ψ_N).
//
// States elsewhere in the package (Eigenstate, Trajectory, Fidelity, the
// targets of Dataset) use the same layout. In the paper's experiment the
// network's input is the target state in this layout and it outputs the
// 384 controls; the loss is the infidelity 1 − |⟨ŷ, ψ(T)⟩|² (see
// Infidelity).
//
// # Derivatives
//
// The Evaluators return ∂y/∂z exactly (up to rounding) by the adjoint of the
// discrete scheme. Differentiating A_n ψⁿ⁺¹ = B_n ψⁿ with respect to u_n
// gives
//
//	∂ψⁿ⁺¹/∂u_n = A_n⁻¹ q_n,    q_n = −i·DT/2·X(ψⁿ + ψⁿ⁺¹),
//
// and ∂ψ(T)/∂u_n = M_{K−1} ⋯ M_{n+1} A_n⁻¹ q_n for K = Steps. A_n and B_n
// are complex symmetric (not Hermitian) and commute, so
// M_nᵀ = B_n A_n⁻¹ = A_n⁻¹ B_n = M_n: the transposed products that a
// reverse sweep needs are Crank–Nicolson steps themselves. For a cotangent ν ∈ ℂᴺ the sweep starts from ν_K = ν and runs
// back in time,
//
//	ν'_n = A_n⁻¹ ν_{n+1},    ∂(νᵀψ(T))/∂u_n = ν'_nᵀ q_n,    ν_n = B_n ν'_n,
//
// at the cost of one forward simulation. A real cotangent v = (v_re, v_im)
// of y is the complex ν = v_re − i·v_im, and vᵀ∂y/∂u_n = Re(ν'_nᵀ q_n). The
// Jacobian takes N sweeps with ν = e_r, r = 1 … N: the complex ν'ᵀq gives
// the derivative of Re ψ_r (its real part) and of Im ψ_r (its imaginary
// part) at once.
package dipole

import (
	"fmt"
	"math"

	"github.com/higlab/hig/higlib/physics"
)

// Default settings are those of the paper's experiment: 14 interior grid
// points, 384 steps of length 0.05 (T = 19.2).
const (
	DefaultN     = 14
	DefaultSteps = 384
	DefaultDT    = 0.05
)

// Length is the width L of the well: the particle lives on [0, 2].
const Length = 2

// Config sets up a Well. The zero value of each field takes the default its
// comment gives.
type Config struct {
	// N is the number of interior grid points, at least 3 (the targets of
	// Dataset use the first three eigenstates); zero means DefaultN.
	N int
	// Steps is the number of Crank–Nicolson steps and of controls, at
	// least 1; zero means DefaultSteps.
	Steps int
	// DT is the step length, finite and positive; zero means DefaultDT.
	DT float64
}

// Well is the simulator of the driven particle in the well for a fixed grid
// and number of steps; it implements physics.Map. A Well only holds its
// settings and is safe for concurrent use; its Evaluators are not (see
// package physics).
type Well struct {
	n, steps int
	dt, dx   float64
	x        []float64    // grid positions x_j = (j+1)·Δx, j = 0 … N−1; read-only
	ground   []complex128 // the initial state e₁; read-only
}

var (
	_ physics.Map          = (*Well)(nil)
	_ physics.VJPEvaluator = (*Evaluator)(nil)
)

// New returns the Well that c describes, or an error if a setting is out of
// range.
func New(c Config) (*Well, error) {
	if c.N == 0 {
		c.N = DefaultN
	}
	if c.Steps == 0 {
		c.Steps = DefaultSteps
	}
	if c.DT == 0 {
		c.DT = DefaultDT
	}
	if c.N < 3 {
		return nil, fmt.Errorf("dipole: N = %d grid points, need at least 3", c.N)
	}
	if c.Steps < 1 {
		return nil, fmt.Errorf("dipole: Steps = %d, need at least 1", c.Steps)
	}
	if !(c.DT > 0) || math.IsInf(c.DT, 1) {
		return nil, fmt.Errorf("dipole: DT = %v, need a finite positive step", c.DT)
	}
	w := &Well{n: c.N, steps: c.Steps, dt: c.DT, dx: Length / float64(c.N+1)}
	w.x = make([]float64, w.n)
	for j := range w.x {
		w.x[j] = float64(j+1) * w.dx
	}
	g := w.Eigenstate(nil, 1)
	w.ground = make([]complex128, w.n)
	for j := range w.ground {
		w.ground[j] = complex(g[j], 0)
	}
	return w, nil
}

// N returns the number of interior grid points.
func (w *Well) N() int { return w.n }

// Steps returns the number of steps, which is the number of controls.
func (w *Well) Steps() int { return w.steps }

// DT returns the step length.
func (w *Well) DT() float64 { return w.dt }

// DX returns the grid spacing Δx = L/(N+1).
func (w *Well) DX() float64 { return w.dx }

// X returns the grid position x_j = j·Δx of interior point j = 1 … N.
func (w *Well) X(j int) float64 {
	if j < 1 || j > w.n {
		panic(fmt.Sprintf("dipole: grid point %d of a well with %d interior points", j, w.n))
	}
	return w.x[j-1]
}

// Dims returns 0 (x is not read: every simulation starts in the ground
// state), Steps (the controls) and 2N (the final state, real parts first).
func (w *Well) Dims() (x, z, y int) { return 0, w.steps, 2 * w.n }

// Energy returns the eigenvalue
//
//	E_k = 4/Δx² · sin²(kπ / (2(N+1)))
//
// of the free discrete Hamiltonian H₀ = tridiag(−1, 2, −1)/Δx² for its
// eigenstate k = 1 … N (see Eigenstate). For small k it approaches the
// continuous well's (kπ/L)².
func (w *Well) Energy(k int) float64 {
	w.checkLevel(k)
	s := math.Sin(float64(k) * math.Pi / float64(2*(w.n+1)))
	return 4 * s * s / (w.dx * w.dx)
}

// Eigenstate writes the normalised eigenstate k = 1 … N of the free discrete
// Hamiltonian H₀,
//
//	e_k = √(2/(N+1)) · (sin(π k j/(N+1)))_{j=1…N},
//
// into dst as 2N reals (real parts, then the imaginary parts, which are
// zero) and returns dst; a nil dst is allocated. k = 1 is the ground state
// every simulation starts in.
func (w *Well) Eigenstate(dst []float64, k int) []float64 {
	w.checkLevel(k)
	if dst == nil {
		dst = make([]float64, 2*w.n)
	}
	if len(dst) != 2*w.n {
		panic(fmt.Sprintf("dipole: Eigenstate of a well with %d points needs len(dst) = %d, got %d", w.n, 2*w.n, len(dst)))
	}
	for j := range w.n {
		dst[j] = w.eigen(k, j+1)
		dst[w.n+j] = 0
	}
	return dst
}

// eigen returns component j = 1 … N of the real eigenstate e_k.
func (w *Well) eigen(k, j int) float64 {
	return math.Sqrt(2/float64(w.n+1)) * math.Sin(math.Pi*float64(k*j)/float64(w.n+1))
}

func (w *Well) checkLevel(k int) {
	if k < 1 || k > w.n {
		panic(fmt.Sprintf("dipole: eigenstate %d of a well with %d points; levels are 1 … %d", k, w.n, w.n))
	}
}

// NewEvaluator returns a new *Evaluator of w.
func (w *Well) NewEvaluator() physics.Evaluator {
	n := w.n
	fac := make([]complex128, 2*w.steps*n)
	return &Evaluator{
		well: w,
		st:   newStepper(w),
		psi:  make([]complex128, (w.steps+1)*n),
		u:    make([]float64, w.steps),
		piv:  fac[: w.steps*n : w.steps*n],
		up:   fac[w.steps*n:],
		nu:   make([]complex128, n*n),
		q:    make([]complex128, n),
	}
}

// Trajectory simulates from the state psi0 (2N reals, real parts first)
// under the controls u, one Crank–Nicolson step per control (len(u) may
// differ from Steps, e.g. zero controls of any length for the free
// system), and writes the len(u)+1 states ψ⁰ … ψ^len(u) into dst,
// row-major, each as 2N reals: state k is dst[k·2N : (k+1)·2N]. If dst is
// nil a new slice is allocated; otherwise its length must be
// (len(u)+1)·2N. It returns dst. From the ground state with len(u) = Steps
// its last state is, bit for bit, the y of Evaluator.Eval.
func (w *Well) Trajectory(dst, psi0, u []float64) []float64 {
	n := w.n
	m := 2 * n
	if len(psi0) != m {
		panic(fmt.Sprintf("dipole: Trajectory got an initial state of length %d, want %d", len(psi0), m))
	}
	if dst == nil {
		dst = make([]float64, (len(u)+1)*m)
	}
	if len(dst) != (len(u)+1)*m {
		panic(fmt.Sprintf("dipole: Trajectory of %d steps needs len(dst) = %d, got %d", len(u), (len(u)+1)*m, len(dst)))
	}
	st := newStepper(w)
	a, b := make([]complex128, n), make([]complex128, n)
	for j := range n {
		a[j] = complex(psi0[j], psi0[n+j])
	}
	copy(dst[:m], psi0)
	for k, uk := range u {
		st.step(b, a, uk)
		s := dst[(k+1)*m : (k+2)*m]
		for j, v := range b {
			s[j], s[n+j] = real(v), imag(v)
		}
		a, b = b, a
	}
	return dst
}

// Evaluator evaluates a Well for one goroutine: it keeps the states and
// controls of the last simulation that the reverse sweeps of the Jacobian
// and of VJP need, so that neither Eval nor VJP allocates.
type Evaluator struct {
	well *Well
	st   stepper
	psi  []complex128 // ψ⁰ … ψ^K of the last Eval, row-major K+1 × N
	u    []float64    // the controls of the last Eval
	// The Thomas factors of A_k for every step k (see stepper), row-major
	// K × N.
	piv, up []complex128
	nu      []complex128 // up to N cotangents of a reverse sweep, point by point
	q       []complex128 // q_n = −i·DT/2·X(ψⁿ + ψⁿ⁺¹) of one step
	done    bool         // an Eval has run, so psi and u are valid
}

// Eval writes the final state ψ(T) of the simulation from the ground state
// under the controls z into y (2N reals, real parts first) and, if jac is
// not nil, the Jacobian ∂y/∂z into jac, row-major 2N × Steps. x is not read
// and may have any length; len(z) must be Steps and len(y) 2N.
//
// The Jacobian is the exact derivative of the discrete scheme, computed by
// N reverse sweeps (see the package documentation) that run together, so
// that their serial recurrences overlap: it measured 5 to 8 times the cost
// of the value alone (BenchmarkEval, on a busy machine). Forward-mode tangents would carry one
// tangent per control from its step to the end, Steps(Steps+1)/2 ≈ 74,000
// tangent steps against the adjoint's N·Steps = 5,376. Non-finite controls
// give non-finite outputs.
func (e *Evaluator) Eval(y, jac, _, z []float64) {
	w := e.well
	n, steps := w.n, w.steps
	if len(y) != 2*n || len(z) != steps || (jac != nil && len(jac) != 2*n*steps) {
		panic(fmt.Sprintf("dipole: Eval of a well with %d points and %d steps got len(y) = %d, len(z) = %d, len(jac) = %d; want %d, %d, %d",
			n, steps, len(y), len(z), len(jac), 2*n, steps, 2*n*steps))
	}
	copy(e.u, z)
	// The factors depend on the controls only: computed for all steps
	// first, their K independent recurrences interleave.
	e.st.factorAll(e.piv, e.up, z)
	copy(e.psi[:n], w.ground)
	for k := range z {
		e.use(k)
		e.st.applyB(e.psi[(k+1)*n:(k+2)*n], e.psi[k*n:(k+1)*n], 1)
		e.st.solve(e.psi[(k+1)*n:(k+2)*n], 1)
	}
	last := e.psi[steps*n:]
	for j, v := range last {
		y[j], y[n+j] = real(v), imag(v)
	}
	e.done = true
	if jac == nil {
		return
	}
	// The N cotangents e_r are swept back together, stored point by point
	// (entry j of cotangent r at nu[j·N + r]): after the sweep of step k,
	// cotangent r's ν'ᵀq_k is ∂ψ_r(T)/∂u_k.
	clear(e.nu)
	for r := range n {
		e.nu[r*n+r] = 1
	}
	for k := steps - 1; k >= 0; k-- {
		e.prepare(k)
		for r, d := range e.st.reverse(e.nu, e.q, n) {
			jac[r*steps+k] = real(d)
			jac[(n+r)*steps+k] = imag(d)
		}
	}
}

// VJP writes (∂y/∂z)ᵀ v into dst (length Steps) at the point of the last
// Eval, by one reverse sweep with the cotangent v (length 2N). It panics if
// Eval has not been called.
func (e *Evaluator) VJP(dst, v []float64) {
	w := e.well
	n, steps := w.n, w.steps
	if len(dst) != steps || len(v) != 2*n {
		panic(fmt.Sprintf("dipole: VJP of a well with %d points and %d steps got len(dst) = %d, len(v) = %d; want %d, %d",
			n, steps, len(dst), len(v), steps, 2*n))
	}
	if !e.done {
		panic("dipole: VJP before any Eval")
	}
	nu := e.nu[:n]
	for j := range n {
		nu[j] = complex(v[j], -v[n+j])
	}
	for k := steps - 1; k >= 0; k-- {
		e.prepare(k)
		dst[k] = real(e.st.reverse(nu, e.q, 1)[0])
	}
}

// use points the stepper at the stored factors of step k.
func (e *Evaluator) use(k int) {
	n := e.well.n
	e.st.u = e.u[k]
	e.st.piv, e.st.up = e.piv[k*n:(k+1)*n], e.up[k*n:(k+1)*n]
}

// prepare readies the reverse sweep of step k: the factors of A_k, and q_k
// in e.q.
func (e *Evaluator) prepare(k int) {
	w := e.well
	n := w.n
	e.use(k)
	a := w.dt / 2
	p0, p1 := e.psi[k*n:(k+1)*n], e.psi[(k+1)*n:(k+2)*n]
	for j, xj := range w.x {
		s := p0[j] + p1[j]
		// −i·a·x_j·s = a·x_j·(Im s, −Re s).
		e.q[j] = complex(a*xj*imag(s), -a*xj*real(s))
	}
}

// stepper holds the coefficients and the Thomas factors of one
// Crank–Nicolson step, and the scratch space of its reverse sweep.
type stepper struct {
	x      []float64
	a      float64 // DT/2
	h0, h1 float64 // H₀'s diagonal 2/Δx² and off-diagonal −1/Δx²
	oi     float64 // A's off-diagonal is o = i·oi, oi = a·h1
	u      float64 // the control the factors belong to
	// The Thomas factors of A = I + ia(H₀ + uX): piv[j] = 1/w_j, the
	// reciprocal pivots, and up[j] = o·piv[j], the eliminated
	// superdiagonal. They are the stepper's own (factor) or an
	// Evaluator's stored factors of one step.
	piv, up []complex128
	// Per right-hand side of a batched sweep: the previous entry before it
	// was overwritten (applyB) and the running product νᵀq (reverse).
	left, dot []complex128
}

func newStepper(w *Well) stepper {
	n := w.n
	buf := make([]complex128, 4*n)
	a, h1 := w.dt/2, -1/(w.dx*w.dx)
	return stepper{
		x: w.x, a: a, h0: 2 / (w.dx * w.dx), h1: h1, oi: a * h1,
		piv: buf[:n:n], up: buf[n : 2*n : 2*n], left: buf[2*n : 3*n : 3*n], dot: buf[3*n:],
	}
}

// mulI returns i·c·z for a real c: the product with A's purely imaginary
// off-diagonal in two real multiplications.
func mulI(c float64, z complex128) complex128 { return complex(-c*imag(z), c*real(z)) }

// recip returns 1/z for a z of moderate size (here Re z ≥ 1, see factor)
// without the overflow guards of Go's complex division.
func recip(z complex128) complex128 {
	re, im := real(z), imag(z)
	s := 1 / (re*re + im*im)
	return complex(re*s, -im*s)
}

// factor computes the Thomas factors of A = I + ia(H₀ + uX):
//
//	w₁ = d₁,  w_j = d_j − o²/w_{j−1},    d_j = 1 + ia(h0 + u·x_j),
//
// stored as piv = 1/w and up = o/w. The pivot w_j is the Schur complement
// of A's leading (j−1) × (j−1) block in its leading j × j block. For any
// matrix whose Hermitian part is at least I, as A's is (it equals I), so is
// every Schur complement's: with ξ = (−A₁₁⁻¹A₁₂x, x), ξᴴAξ = xᴴSx, so
// Re xᴴSx ≥ ‖ξ‖² ≥ ‖x‖². Hence Re w_j ≥ 1: no pivot vanishes, |1/w_j| ≤ 1,
// and the eliminated entries stay below |o| = a/Δx².
func (st *stepper) factor(u float64) {
	st.u = u
	var prev complex128 // up[j−1]
	for j, xj := range st.x {
		d := complex(1, st.a*(st.h0+u*xj))
		if j > 0 {
			d -= mulI(st.oi, prev)
		}
		p := recip(d)
		st.piv[j] = p
		prev = mulI(st.oi, p)
		st.up[j] = prev
	}
}

// factorAll writes the factors of every step k, for the control u[k], into
// piv[k·N : (k+1)·N] and up[k·N : (k+1)·N], with the same arithmetic as
// factor. The loop runs over the points outside and the steps inside, so
// that the K independent recurrences interleave.
func (st *stepper) factorAll(piv, up []complex128, u []float64) {
	n := len(st.x)
	for j, xj := range st.x {
		for k, uk := range u {
			d := complex(1, st.a*(st.h0+uk*xj))
			if j > 0 {
				d -= mulI(st.oi, up[k*n+j-1])
			}
			p := recip(d)
			piv[k*n+j] = p
			up[k*n+j] = mulI(st.oi, p)
		}
	}
}

// The batched operations below act on m vectors at once, stored point by
// point: entry j of vector q is r[j·m + q]. Every vector goes through the
// same operations in the same order as it would alone (m = 1), so a row of
// a batched sweep equals, bit for bit, the sweep of that vector alone; the
// m independent recurrences interleave, which hides the latency of the
// Thomas algorithm's serial chain.

// solve overwrites the m vectors in r with A⁻¹r for the factors of the
// last factor call.
func (st *stepper) solve(r []complex128, m int) {
	oi, piv, up := st.oi, st.piv, st.up
	n := len(piv)
	p0 := piv[0]
	for q := range m {
		r[q] *= p0
	}
	for j := 1; j < n; j++ {
		pj := piv[j]
		cur, prev := r[j*m:(j+1)*m], r[(j-1)*m:j*m]
		for q, v := range prev {
			cur[q] = (cur[q] - mulI(oi, v)) * pj
		}
	}
	for j := n - 2; j >= 0; j-- {
		uj := up[j]
		cur, next := r[j*m:(j+1)*m], r[(j+1)*m:(j+2)*m]
		for q, v := range next {
			cur[q] -= uj * v
		}
	}
}

// applyB writes B·src = src − ia(H₀ + uX)·src for the m vectors of src
// into dst, which may be src, for the control of the last factor call.
func (st *stepper) applyB(dst, src []complex128, m int) {
	a, h0, h1, u := st.a, st.h0, st.h1, st.u
	n := len(st.x)
	left := st.left[:m] // src's entry j−1 before it was overwritten
	clear(left)
	for j, xj := range st.x {
		dj := h0 + u*xj
		for q := range m {
			c := src[j*m+q]
			nb := left[q]
			if j+1 < n {
				nb += src[(j+1)*m+q]
			}
			// (Hψ)_j = (h0 + u·x_j)ψ_j + h1(ψ_{j−1} + ψ_{j+1}), a real
			// matrix times a complex vector, and −ia(Hψ)_j = a·(Im, −Re).
			hr := dj*real(c) + h1*real(nb)
			hi := dj*imag(c) + h1*imag(nb)
			left[q] = c
			dst[j*m+q] = complex(real(c)+a*hi, imag(c)-a*hr)
		}
	}
}

// step writes ψⁿ⁺¹ = A⁻¹Bψⁿ for the control u into dst from src (distinct).
func (st *stepper) step(dst, src []complex128, u float64) {
	st.factor(u)
	st.applyB(dst, src, 1)
	st.solve(dst, 1)
}

// reverse does one step of the reverse sweep on the m cotangents in nu,
// with the factors of the step prepared: ν' = A⁻¹ν, then it writes ν'ᵀq of
// each cotangent into st.dot[:m] and overwrites nu with Bν'. It returns
// st.dot[:m].
func (st *stepper) reverse(nu, q []complex128, m int) []complex128 {
	st.solve(nu, m)
	dot := st.dot[:m]
	clear(dot)
	for j, qj := range q {
		for r, v := range nu[j*m : (j+1)*m] {
			dot[r] += v * qj
		}
	}
	st.applyB(nu, nu, m)
	return dot
}
