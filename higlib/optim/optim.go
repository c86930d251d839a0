// Package optim holds the update rules compared in the Half-Inverse
// Gradients chapter of the Physics-based Deep Learning book: gradient
// descent, Adam, and the half-inverse step whose exponent κ = 1 gives
// Gauss-Newton and κ = ½ gives Half-Inverse Gradients (HIG).
//
// Every method computes an increment Δθ from what the objective provides
// for one mini-batch (a Local); the caller applies θ ← θ + Δθ.
package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/higlab/hig/internal/num"

	"gonum.org/v1/gonum/mat"
)

// Local is what the objective provides at the current parameters for one
// mini-batch; objective.Objective.Eval fills it.
type Local struct {
	Loss  float64
	Grad  []float64  // ∂L/∂θ, length P
	GradY []float64  // ∂L/∂y for the stacked outputs, length b·d (Jacobian methods only)
	Jac   *mat.Dense // stacked ∂y/∂θ, (b·d) × P (Jacobian methods only)
	// SIPCut, when positive, asks the objective to fill Grad with the
	// gradient of SIP's proxy loss instead of ∂L/∂θ, inverting each
	// sample's ∂P/∂z with singular values at or below SIPCut·σ_max
	// discarded (see SIP). package train sets it from a Method that is a
	// PhysicsInverter; Loss stays the true mini-batch loss.
	SIPCut float64
}

// PhysicsInverter is a Method whose gradient is SIP's: Grad, as the
// objective fills it, is the proxy gradient of SIP with the relative cut
// SIPCut (see Local.SIPCut).
type PhysicsInverter interface {
	Method
	SIPCut() float64
}

// Method is an update rule.
type Method interface {
	// Init checks the configuration and resets the state for n parameters.
	Init(n int) error
	// NeedsJacobian reports whether Step reads Local.Jac and Local.GradY
	// (otherwise only Local.Grad).
	NeedsJacobian() bool
	// Step writes the increment Δθ into delta. It returns ErrNotFinite if
	// its input holds NaN or Inf and ErrOverflow if Δθ would; on any error
	// delta is unchanged and the state is as before the call.
	Step(delta []float64, loc *Local) error
}

var (
	// ErrNotFinite is returned when a gradient holds NaN or Inf.
	ErrNotFinite = errors.New("optim: gradient holds NaN or Inf")
	// ErrOverflow is returned when the update Δθ would hold NaN or Inf
	// although its input is finite, e.g. with a huge learning rate.
	ErrOverflow = errors.New("optim: the update overflows (Δθ would hold NaN or Inf)")
)

func checkRate(name string, lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: %s learning rate %v must be a finite number > 0", name, lr)
	}
	return nil
}

// GradientDescent is plain gradient descent, Δθ = −η ∂L/∂θ.
type GradientDescent struct {
	// LearnRate is η; zero means 0.01.
	LearnRate float64
	n         int
}

// Init implements Method.
func (g *GradientDescent) Init(n int) error {
	if g.LearnRate == 0 {
		g.LearnRate = 0.01
	}
	g.n = n
	return checkRate("gradient descent", g.LearnRate)
}

// NeedsJacobian implements Method; it returns false.
func (g *GradientDescent) NeedsJacobian() bool { return false }

// Step implements Method.
func (g *GradientDescent) Step(delta []float64, loc *Local) error {
	checkLen(delta, loc.Grad, g.n)
	if !num.Finite(loc.Grad) {
		return ErrNotFinite
	}
	return scaled(delta, -g.LearnRate, loc.Grad)
}

// scaled writes a·v into delta unless a product is not finite, in which
// case it returns ErrOverflow and leaves delta unchanged.
func scaled(delta []float64, a float64, v []float64) error {
	for _, x := range v {
		if !num.IsFinite(a * x) {
			return ErrOverflow
		}
	}
	for i, x := range v {
		delta[i] = a * x
	}
	return nil
}

func checkLen(delta, grad []float64, n int) {
	if len(delta) != n || len(grad) != n {
		panic(fmt.Sprintf("optim: len(delta) = %d, len(grad) = %d, want %d (was Init called?)", len(delta), len(grad), n))
	}
}

// Adam is the method of Kingma & Ba (ICLR 2015, Algorithm 1):
//
//	m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
//	Δθ = −η m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ).
type Adam struct {
	// LearnRate is η; zero means 0.001.
	LearnRate float64
	// Beta1 and Beta2 are the decay rates of the moment estimates; zero
	// means 0.9 and 0.999.
	Beta1, Beta2 float64
	// Epsilon guards the division; zero means 1e-8.
	Epsilon float64

	m, v   []float64
	nm, nv []float64 // the moments of a step, committed only if it is finite
	d      []float64 // the update of a step, copied out only if it is finite
	t      int
}

// Init implements Method.
func (a *Adam) Init(n int) error {
	if a.LearnRate == 0 {
		a.LearnRate = 0.001
	}
	if a.Beta1 == 0 {
		a.Beta1 = 0.9
	}
	if a.Beta2 == 0 {
		a.Beta2 = 0.999
	}
	if a.Epsilon == 0 {
		a.Epsilon = 1e-8
	}
	if err := checkRate("Adam", a.LearnRate); err != nil {
		return err
	}
	if !(a.Beta1 > 0 && a.Beta1 < 1 && a.Beta2 > 0 && a.Beta2 < 1) {
		return fmt.Errorf("optim: Adam decay rates β₁ = %v, β₂ = %v must lie in (0, 1)", a.Beta1, a.Beta2)
	}
	if !(a.Epsilon > 0) {
		return fmt.Errorf("optim: Adam ε = %v must be > 0", a.Epsilon)
	}
	a.m, a.v = make([]float64, n), make([]float64, n)
	a.nm, a.nv, a.d = make([]float64, n), make([]float64, n), make([]float64, n)
	a.t = 0
	return nil
}

// NeedsJacobian implements Method; it returns false.
func (a *Adam) NeedsJacobian() bool { return false }

// Step implements Method.
func (a *Adam) Step(delta []float64, loc *Local) error {
	checkLen(delta, loc.Grad, len(a.m))
	if !num.Finite(loc.Grad) {
		return ErrNotFinite
	}
	t := a.t + 1
	c1 := 1 - math.Pow(a.Beta1, float64(t))
	c2 := 1 - math.Pow(a.Beta2, float64(t))
	for i, g := range loc.Grad {
		a.nm[i] = a.Beta1*a.m[i] + (1-a.Beta1)*g
		a.nv[i] = a.Beta2*a.v[i] + (1-a.Beta2)*g*g
		a.d[i] = -a.LearnRate * (a.nm[i] / c1) / (math.Sqrt(a.nv[i]/c2) + a.Epsilon)
	}
	if !num.Finite(a.nv) {
		return fmt.Errorf("%w: Adam's second moment (1 − β₂)g² overflows for a gradient entry of %.3g, whatever the learning rate; scale the loss or the physics down", ErrOverflow, num.MaxAbs(loc.Grad))
	}
	if !num.Finite(a.d) {
		return ErrOverflow
	}
	a.t = t
	a.m, a.nm = a.nm, a.m
	a.v, a.nv = a.nv, a.v
	copy(delta, a.d)
	return nil
}
