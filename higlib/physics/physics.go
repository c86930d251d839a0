// Package physics holds differentiable maps P that sit between a network's
// output z and the quantity y = P(z) that the loss compares with its target.
// Training "with the physics in the loss" needs P's value and its Jacobian
// ∂P/∂z, which the chain rule composes with the network's Jacobian.
package physics

import (
	"fmt"
	"math"
)

// Map is a differentiable map from R^In to R^Out.
type Map interface {
	// Dims returns the input and output dimensions.
	Dims() (in, out int)
	// Eval writes P(z) into dst (length out).
	Eval(dst, z []float64)
	// Jacobian writes ∂P/∂z at z into dst, a row-major out × in block.
	Jacobian(dst, z []float64)
}

// Scale is the toy "physics" of the Half-Inverse Gradients chapter of the
// Physics-based Deep Learning book: it multiplies each component by a fixed
// factor, P(z) = (s₁z₁, …, s_n z_n). With factors (1, λ) the loss
// ½‖P(z) − ŷ‖² is the chapter's ½(z₁ − ŷ₁)² + ½(λz₂ − ŷ₂)², whose conditioning
// worsens as λ shrinks.
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

// Dims returns len(s) twice.
func (s Scale) Dims() (in, out int) { return len(s), len(s) }

// Eval writes (s₁z₁, …) into dst.
func (s Scale) Eval(dst, z []float64) {
	s.check(len(dst), len(z))
	for i, f := range s {
		dst[i] = f * z[i]
	}
}

// Jacobian writes diag(s) into dst.
func (s Scale) Jacobian(dst, z []float64) {
	n := len(s)
	if len(dst) != n*n || len(z) != n {
		panic(fmt.Sprintf("physics: Scale of dimension %d wants a Jacobian of length %d and z of length %d, got %d and %d", n, n*n, n, len(dst), len(z)))
	}
	clear(dst)
	for i, f := range s {
		dst[i*n+i] = f
	}
}

func (s Scale) check(ndst, nz int) {
	if ndst != len(s) || nz != len(s) {
		panic(fmt.Sprintf("physics: Scale of dimension %d got lengths %d and %d", len(s), ndst, nz))
	}
}

// Linear is the map P(z) = A z for a fixed out × in matrix A, stored
// row-major in Data. It stands in for a linearised simulator, e.g. in
// benchmarks of the shapes of the paper's oscillator experiment.
type Linear struct {
	Rows, Cols int
	Data       []float64
}

// Dims returns Cols and Rows.
func (l *Linear) Dims() (in, out int) { return l.Cols, l.Rows }

// Eval writes A z into dst.
func (l *Linear) Eval(dst, z []float64) {
	if len(dst) != l.Rows || len(z) != l.Cols || len(l.Data) != l.Rows*l.Cols {
		panic(fmt.Sprintf("physics: Linear %d×%d got lengths %d and %d", l.Rows, l.Cols, len(dst), len(z)))
	}
	for i := range dst {
		var s float64
		for j, a := range l.Data[i*l.Cols : (i+1)*l.Cols] {
			s += a * z[j]
		}
		dst[i] = s
	}
}

// Jacobian copies A into dst.
func (l *Linear) Jacobian(dst, z []float64) {
	if len(dst) != len(l.Data) || len(z) != l.Cols {
		panic(fmt.Sprintf("physics: Linear %d×%d Jacobian got lengths %d and %d", l.Rows, l.Cols, len(dst), len(z)))
	}
	copy(dst, l.Data)
}
