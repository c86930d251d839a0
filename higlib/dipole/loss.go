package dipole

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/objective"
)

// overlap returns α + iβ = ⟨ŷ, ψ⟩ = Σ_j conj(ŷ_j)·ψ_j for two states in the
// package's layout (real parts first): with ŷ = a + ib and ψ = p + iq,
//
//	α = Σ_j a_j p_j + b_j q_j,    β = Σ_j a_j q_j − b_j p_j.
func overlap(target, psi []float64) (alpha, beta float64) {
	if len(target) != len(psi) || len(psi)%2 != 0 {
		panic(fmt.Sprintf("dipole: states of lengths %d and %d; want equal even lengths (real parts, then imaginary parts)", len(target), len(psi)))
	}
	n := len(psi) / 2
	a, b := target[:n], target[n:]
	p, q := psi[:n], psi[n:]
	for j := range n {
		alpha += a[j]*p[j] + b[j]*q[j]
		beta += a[j]*q[j] - b[j]*p[j]
	}
	return alpha, beta
}

// Fidelity returns |⟨ŷ, ψ⟩|², the probability of finding the state ψ in
// the target state ŷ, both given as 2N reals (real parts first). For unit
// states it lies in [0, 1] and equals 1 exactly when ψ is ŷ up to a global
// phase, which no measurement can see.
func Fidelity(target, psi []float64) float64 {
	alpha, beta := overlap(target, psi)
	return alpha*alpha + beta*beta
}

// Infidelity returns the per-sample loss of the paper's quantum dipole
// experiment (Schnell, Holl & Thuerey 2022),
//
//	L(ψ) = 1 − |⟨ŷ, ψ⟩|²,
//
// for the target ŷ and the final state ψ = ψ(T), both as 2N reals (real
// parts first). The authors' code sums it over a batch.
func Infidelity(target, psi []float64) float64 { return 1 - Fidelity(target, psi) }

// InfidelityGrad writes the gradient of Infidelity with respect to ψ into
// dst (length 2N, the layout of ψ) and returns the loss. With ⟨ŷ, ψ⟩ =
// α + iβ as above, L = 1 − α² − β² and
//
//	∂L/∂p_j = −2(α a_j − β b_j),    ∂L/∂q_j = −2(α b_j + β a_j).
//
// It is objective.Infidelity, the loss a training Objective takes for this
// map (its SampleLoss); composed with the map's VJP this gives the loss
// gradient with respect to the controls.
func InfidelityGrad(dst, target, psi []float64) float64 {
	if len(dst) != len(psi) || len(target) != len(psi) {
		panic(fmt.Sprintf("dipole: InfidelityGrad got lengths %d, %d, %d (dst, target, ψ)", len(dst), len(target), len(psi)))
	}
	return objective.Infidelity{}.Eval(dst, psi, target)
}

// Target writes the target state cos φ·e₂ + sin φ·e₃ of the paper's data,
// with (cos φ, sin φ) = (c₁, c₂)/‖(c₁, c₂)‖, into dst (2N reals, real parts
// first) and returns dst; a nil dst is allocated. e₂ and e₃ are the first
// two excited eigenstates (see Eigenstate), so the target is a real unit
// state. It panics if c₁ = c₂ = 0 or either is not finite.
func (w *Well) Target(dst []float64, c1, c2 float64) []float64 {
	r := math.Hypot(c1, c2)
	if !(r > 0) || math.IsInf(r, 1) {
		panic(fmt.Sprintf("dipole: Target(%v, %v): the coefficients must be finite and not both zero", c1, c2))
	}
	if dst == nil {
		dst = make([]float64, 2*w.n)
	}
	if len(dst) != 2*w.n {
		panic(fmt.Sprintf("dipole: Target of a well with %d points needs len(dst) = %d, got %d", w.n, 2*w.n, len(dst)))
	}
	cs, sn := c1/r, c2/r
	for j := range w.n {
		dst[j] = cs*w.eigen(2, j+1) + sn*w.eigen(3, j+1)
		dst[w.n+j] = 0
	}
	return dst
}

// Dataset returns n samples of the paper's quantum dipole experiment, drawn
// with rng (e.g. rand.New(rand.NewPCG(a, b))): for each sample c₁, c₂ ~
// N(0, 1) (drawn again in the event that both are zero) give the target
// Target(c₁, c₂), and the sample's input is that target too, so that row i
// of X and of Y hold the same 2N reals. The network reads the state it must
// reach; the map starts from the ground state whatever the input (it does
// not read x). The same rng state gives the same bits.
func (w *Well) Dataset(n int, rng *rand.Rand) objective.Data {
	if n < 1 {
		panic(fmt.Sprintf("dipole: Dataset of %d samples", n))
	}
	m := 2 * w.n
	y := mat.NewDense(n, m, nil)
	for i := range n {
		c1, c2 := rng.NormFloat64(), rng.NormFloat64()
		for c1 == 0 && c2 == 0 {
			c1, c2 = rng.NormFloat64(), rng.NormFloat64()
		}
		w.Target(y.RawRowView(i), c1, c2)
	}
	return objective.Data{X: mat.DenseCopyOf(y), Y: y}
}
