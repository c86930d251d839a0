// Package physics holds the differentiable simulators that sit between a
// network and its loss in physics-based deep learning. A simulator P maps a
// sample's input x and the network's output z (the controls) to the
// quantity y = P(x, z) that the loss compares with the sample's target, as in
// the Half-Inverse Gradients chapter of the Physics-based Deep Learning book
// and in Schnell, Holl & Thuerey (ICLR 2022), where x is an initial state, z
// the controls a network predicts for it and y the state a simulator reaches.
//
// Training needs, per sample, the value y and the Jacobian ∂P/∂z, which the
// chain rule composes with the network's Jacobian; first-order optimizers
// need only the vector–Jacobian product (∂P/∂z)ᵀ v, which an adjoint
// simulator computes without forming ∂P/∂z.
//
// # Concurrency
//
// A Map describes a simulator; the work happens in Evaluators, which hold
// the scratch space of one goroutine. The library calls Map.NewEvaluator once
// per worker, from one goroutine at a time, and then uses each Evaluator from
// one goroutine at a time; distinct Evaluators of one Map are used
// concurrently. An Evaluator may therefore keep anything it likes in its own
// fields, but must not write to memory it shares with other Evaluators (read-
// only data such as coefficients may be shared). Package physicstest checks
// this contract, the derivatives and determinism of a user's Map.
package physics

import (
	"errors"
	"fmt"
	"math"
)

// Map is a differentiable simulator y = P(x, z).
type Map interface {
	// Dims returns the lengths of the sample's input x, of the controls z
	// and of the output y. z and y must be positive. x = 0 says that the
	// map does not read x; it then receives whatever input the data set
	// holds (possibly of any length) and must ignore it.
	Dims() (x, z, y int)
	// NewEvaluator returns an Evaluator with its own scratch space; see the
	// package documentation for the concurrency contract.
	NewEvaluator() Evaluator
}

// Evaluator evaluates a Map for one goroutine.
type Evaluator interface {
	// Eval writes y = P(x, z) into y and, when jac is not nil, the Jacobian
	// ∂P/∂z at (x, z) into jac as a row-major len(y) × len(z) block, in the
	// same call, so that a simulator runs once per sample. It must not
	// modify x or z, and must write every entry of y and jac.
	Eval(y, jac, x, z []float64)
}

// VJPEvaluator is an Evaluator that computes vector–Jacobian products
// without forming the Jacobian, e.g. by an adjoint (reverse-mode) pass over
// a simulation stored by Eval. First-order methods then never form ∂P/∂z.
// An Evaluator without this method is still usable by every method: the
// library forms ∂P/∂z with Eval and multiplies.
type VJPEvaluator interface {
	Evaluator
	// VJP writes (∂P/∂z)ᵀ v into dst (length len(z)), at the (x, z) of the
	// last Eval on this Evaluator; len(v) is len(y).
	VJP(dst, v []float64)
}

// Func is a Map given by a function that keeps no state between calls and
// is safe for concurrent use, so every Evaluator is Func itself. F receives
// y and jac as Evaluator.Eval does (jac may be nil).
type Func struct {
	X, Z, Y int
	F       func(y, jac, x, z []float64)
}

// Dims returns f.X, f.Z and f.Y.
func (f Func) Dims() (x, z, y int) { return f.X, f.Z, f.Y }

// NewEvaluator returns f.
func (f Func) NewEvaluator() Evaluator { return f }

// Eval calls f.F.
func (f Func) Eval(y, jac, x, z []float64) { f.F(y, jac, x, z) }

// Check returns an error unless m's dimensions are usable: z and y
// positive, x not negative.
func Check(m Map) error {
	if m == nil {
		return errors.New("physics: nil map")
	}
	x, z, y := m.Dims()
	if x < 0 || z < 1 || y < 1 {
		return fmt.Errorf("physics: map dimensions x = %d, z = %d, y = %d: z and y must be positive and x not negative", x, z, y)
	}
	return nil
}

// Scale is the toy "physics" of the Half-Inverse Gradients chapter of the
// Physics-based Deep Learning book: it multiplies each component by a fixed
// factor, P(x, z) = (s₁z₁, …, s_n z_n), ignoring x. With factors (1, λ) the
// loss ½‖P(z) − ŷ‖² is the chapter's ½(z₁ − ŷ₁)² + ½(λz₂ − ŷ₂)², whose
// conditioning worsens as λ shrinks. A Scale is its own Evaluator: it only
// reads its factors.
type Scale []float64

// NewScale returns the map z ↦ (f₁z₁, …) after checking the factors are finite.
func NewScale(factors ...float64) (Scale, error) {
	if len(factors) == 0 {
		return nil, fmt.Errorf("physics: Scale needs at least one factor")
	}
	for _, f := range factors {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("physics: scale factor %v is not finite", f)
		}
	}
	return Scale(append([]float64(nil), factors...)), nil
}

// Dims returns 0 (x is not read) and len(s) twice.
func (s Scale) Dims() (x, z, y int) { return 0, len(s), len(s) }

// NewEvaluator returns s.
func (s Scale) NewEvaluator() Evaluator { return s }

// Eval writes (s₁z₁, …) into y and diag(s) into jac.
func (s Scale) Eval(y, jac, _, z []float64) {
	n := len(s)
	if len(y) != n || len(z) != n || (jac != nil && len(jac) != n*n) {
		panic(fmt.Sprintf("physics: Scale of dimension %d got len(y) = %d, len(z) = %d, len(jac) = %d", n, len(y), len(z), len(jac)))
	}
	for i, f := range s {
		y[i] = f * z[i]
	}
	if jac != nil {
		clear(jac)
		for i, f := range s {
			jac[i*n+i] = f
		}
	}
}

// VJP writes diag(s) v into dst.
func (s Scale) VJP(dst, v []float64) {
	if len(dst) != len(s) || len(v) != len(s) {
		panic(fmt.Sprintf("physics: Scale of dimension %d got len(dst) = %d, len(v) = %d", len(s), len(dst), len(v)))
	}
	for i, f := range s {
		dst[i] = f * v[i]
	}
}

// Linear is the map P(x, z) = A z for a fixed out × in matrix A, stored
// row-major in Data, ignoring x. It stands in for a linearised simulator,
// e.g. in benchmarks of the shapes of the paper's oscillator experiment. A
// Linear is its own Evaluator: it only reads A.
type Linear struct {
	Rows, Cols int
	Data       []float64
}

// Dims returns 0 (x is not read), Cols and Rows.
func (l *Linear) Dims() (x, z, y int) { return 0, l.Cols, l.Rows }

// NewEvaluator returns l.
func (l *Linear) NewEvaluator() Evaluator { return l }

// Eval writes A z into y and copies A into jac.
func (l *Linear) Eval(y, jac, _, z []float64) {
	if len(y) != l.Rows || len(z) != l.Cols || len(l.Data) != l.Rows*l.Cols || (jac != nil && len(jac) != len(l.Data)) {
		panic(fmt.Sprintf("physics: Linear %d×%d got len(y) = %d, len(z) = %d, len(jac) = %d", l.Rows, l.Cols, len(y), len(z), len(jac)))
	}
	for i := range y {
		var s float64
		for j, a := range l.Data[i*l.Cols : (i+1)*l.Cols] {
			s += a * z[j]
		}
		y[i] = s
	}
	if jac != nil {
		copy(jac, l.Data)
	}
}

// VJP writes Aᵀ v into dst.
func (l *Linear) VJP(dst, v []float64) {
	if len(dst) != l.Cols || len(v) != l.Rows {
		panic(fmt.Sprintf("physics: Linear %d×%d VJP got len(dst) = %d, len(v) = %d", l.Rows, l.Cols, len(dst), len(v)))
	}
	clear(dst)
	for i, vi := range v {
		for j, a := range l.Data[i*l.Cols : (i+1)*l.Cols] {
			dst[j] += a * vi
		}
	}
}

// NewLinear returns the map z ↦ A z for the rows × cols matrix A stored
// row-major in data (copied), after checking the shape and that every entry
// is finite.
func NewLinear(rows, cols int, data []float64) (*Linear, error) {
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("physics: Linear needs positive dimensions, got %d×%d", rows, cols)
	}
	if len(data) != rows*cols {
		return nil, fmt.Errorf("physics: Linear %d×%d needs %d entries, got %d", rows, cols, rows*cols, len(data))
	}
	for _, a := range data {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("physics: Linear entry %v is not finite", a)
		}
	}
	return &Linear{Rows: rows, Cols: cols, Data: append([]float64(nil), data...)}, nil
}
