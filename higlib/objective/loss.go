package objective

import (
	"fmt"
	"math"
)

// Loss is the per-sample loss L(y, t) that compares a sample's physics
// output y with its target t (a row of Data.Y). The training objective is
// its batch mean,
//
//	L(θ) = (1/b) Σ_i L(y_i, t_i),   y_i = P(x_i, f(x_i; θ)).
//
// Every optimizer needs only the gradient ∂L/∂y of each sample: the
// first-order methods pull it back through the map's VJP and the network,
// and the half-inverse step (Gauss-Newton, HIG) applies the pseudo-inverse
// of the stacked Jacobian to the stacked g_i = ∂L(y_i, t_i)/∂y_i / b, as
// Schnell, Holl & Thuerey (ICLR 2022), eq. (5), and the Half-Inverse
// Gradients chapter of the Physics-based Deep Learning book write the
// update. For ½‖y − t‖² that g is the residual (y − t)/b and κ = 1 is the
// Gauss-Newton step; for another loss κ = 1 is the same "inverse Jacobian
// times loss gradient" step, not Newton's method on that loss.
//
// Eval is called concurrently from several goroutines (see Objective.Eval),
// so an implementation must not write to shared memory; the ones in this
// package only read their fields. Package objective/losstest checks a
// user's Loss against finite differences.
type Loss interface {
	// Eval returns L(y, t) and, when grad is not nil, writes ∂L/∂y into
	// grad (len(y)). It must not modify y or t.
	Eval(grad, y, t []float64) float64
}

// HalfSquared is the loss ½‖y − t‖², the chapter's and the paper's loss for
// the toy and the oscillators and the loss of an Objective whose Loss is
// nil.
type HalfSquared struct{}

// Eval returns ½‖y − t‖² and writes y − t into grad.
func (HalfSquared) Eval(grad, y, t []float64) float64 {
	checkLens("HalfSquared", grad, y, t)
	if grad != nil {
		for k := range y {
			grad[k] = y[k] - t[k]
		}
	}
	return HalfSquaredError(y, t)
}

// HalfSquaredError returns one sample's loss ½‖y − t‖².
func HalfSquaredError(y, t []float64) float64 {
	var s float64
	for k := range y {
		r := y[k] - t[k]
		s += r * r
	}
	return s / 2
}

// WeightedSquared is the loss ½ Σ_k w_k (y_k − t_k)², which weighs the
// output components differently, e.g. to undo (or impose) the uneven
// scaling of the chapter's toy, where the loss ½(y₁ − t₁)² + ½(λy₂ − t₂)²
// is that of the map (1, λ). W holds one non-negative weight per output
// component; nil means all weights 1 (HalfSquared).
type WeightedSquared struct {
	W []float64
}

// Eval returns ½ Σ w_k (y_k − t_k)² and writes w_k (y_k − t_k) into grad.
// It panics if W is not nil and len(W) ≠ len(y).
func (l WeightedSquared) Eval(grad, y, t []float64) float64 {
	if l.W == nil {
		return HalfSquared{}.Eval(grad, y, t)
	}
	checkLens("WeightedSquared", grad, y, t)
	if len(l.W) != len(y) {
		panic(fmt.Sprintf("objective: WeightedSquared has %d weights for an output of length %d", len(l.W), len(y)))
	}
	var s float64
	for k, w := range l.W {
		r := y[k] - t[k]
		s += w * r * r
		if grad != nil {
			grad[k] = w * r
		}
	}
	return s / 2
}

// NewWeightedSquared returns the weighted loss after checking that every
// weight is finite and not negative; the weights are copied.
func NewWeightedSquared(w ...float64) (WeightedSquared, error) {
	if len(w) == 0 {
		return WeightedSquared{}, fmt.Errorf("objective: WeightedSquared needs at least one weight")
	}
	for k, x := range w {
		if !(x >= 0) || math.IsInf(x, 0) {
			return WeightedSquared{}, fmt.Errorf("objective: weight %d = %v must be a finite number ≥ 0", k, x)
		}
	}
	return WeightedSquared{W: append([]float64(nil), w...)}, nil
}

// Infidelity is the loss of a quantum state, 1 − |⟨t, y⟩|², where y and t
// hold n complex amplitudes as 2n reals: the n real parts, then the n
// imaginary parts. It is the loss of the quantum dipole experiment of
// Schnell, Holl & Thuerey (ICLR 2022), 1 − |⟨ψ̂, ψ(T)⟩|², which is zero when
// the simulated state ψ(T) equals the target ψ̂ up to a global phase (both
// normalised). With a = ⟨t, y⟩ = Σ_j conj(t_j) y_j = A + iB,
//
//	A = Σ_j Re t_j Re y_j + Im t_j Im y_j,   B = Σ_j Re t_j Im y_j − Im t_j Re y_j,
//	∂L/∂Re y_j = −2(A Re t_j − B Im t_j),   ∂L/∂Im y_j = −2(A Im t_j + B Re t_j).
//
// The loss is not quadratic in y, so training needs only its gradient (see
// Loss). Eval panics if len(y) is odd.
type Infidelity struct{}

// Eval returns 1 − |⟨t, y⟩|² and writes its gradient with respect to y
// into grad.
func (Infidelity) Eval(grad, y, t []float64) float64 {
	checkLens("Infidelity", grad, y, t)
	if len(y)%2 != 0 {
		panic(fmt.Sprintf("objective: Infidelity needs real and imaginary parts, an even length, got %d", len(y)))
	}
	n := len(y) / 2
	yr, yi, tr, ti := y[:n], y[n:], t[:n], t[n:]
	var a, b float64
	for j := range yr {
		a += tr[j]*yr[j] + ti[j]*yi[j]
		b += tr[j]*yi[j] - ti[j]*yr[j]
	}
	if grad != nil {
		for j := range yr {
			grad[j] = -2 * (a*tr[j] - b*ti[j])
			grad[n+j] = -2 * (a*ti[j] + b*tr[j])
		}
	}
	return 1 - (a*a + b*b)
}

func checkLens(name string, grad, y, t []float64) {
	if len(t) != len(y) || (grad != nil && len(grad) != len(y)) {
		panic(fmt.Sprintf("objective: %s got len(y) = %d, len(t) = %d, len(grad) = %d", name, len(y), len(t), len(grad)))
	}
}
