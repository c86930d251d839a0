package optim

import (
	"fmt"
	"math"
)

// DefaultSIPCut is SIP's relative cut of the physics pseudo-inverse when
// SIP.Cut is zero: the rcond = 10⁻⁵ of the book notebook's SIP variant.
const DefaultSIPCut = 1e-5

// SIP is the scale-invariant physics update (Holl, Koltun & Thuerey,
// "Scale-invariant learning by physics inversion", NeurIPS 2022; the
// Physics-based Deep Learning book's chapter on physical gradients, and the
// SIP variant of the book's notebook physgrad-hig-code.ipynb) in the form
// that needs only the per-sample physics Jacobian Jᵢ = ∂P/∂z at zᵢ = f(xᵢ; θ):
// each sample's control gets the Gauss-Newton target
//
//	z̃ᵢ = zᵢ − Jᵢ⁺ ∂ℓᵢ/∂y,   Jᵢ⁺ = V diag(1/σ) Uᵀ over σ > Cut·σ_max (else 0),
//
// ℓᵢ the sample's loss (r = y − ŷ for ½‖y − ŷ‖²), so that for a physics
// map that is affine in z the target reaches the loss's minimum over the
// controls, and the network is trained towards the targets by Adam on the
// proxy loss L̃(θ) = (1/b) Σᵢ ½‖f(xᵢ; θ) − z̃ᵢ‖² with z̃ held fixed. Its
// gradient at θ is
//
//	∇L̃ = (1/b) Σᵢ (∂fᵢ/∂θ)ᵀ Jᵢ⁺ ∂ℓᵢ/∂y,
//
// the ordinary gradient (1/b) Σ (∂fᵢ/∂θ)ᵀ Jᵢᵀ ∂ℓᵢ/∂y with the physics
// adjoint Jᵢᵀ replaced by its pseudo-inverse. package objective computes it
// when Local.SIPCut is set (package train sets it for a SIP); Step is then
// Adam's.
//
// The book's code writes the same with its own scales: its loss is Σ‖y − ŷ‖²
// without the ½, its ∂ℓ/∂y carries the batch mean's 1/b (so its targets
// move by only 2/b of the Gauss-Newton step), and its proxy loss is
// (1/b) Σ ‖f − z̃‖². Its proxy gradient is therefore 4/b times ∇L̃ above.
// Adam divides a constant factor of the gradient out of every step except
// against ε, so the two agree up to ε (Adam.Epsilon 1e-8 here; the book
// uses Keras's 1e-7, which on its 4/b-scaled gradient acts like ε = 2.5·10⁻⁸·b
// here, 6.4e-6 at b = 256: small beside gradients of order 1e-4 or more).
type SIP struct {
	// Adam is the network optimizer of the proxy loss; its zero value is
	// Adam's defaults (η = 10⁻³, the book's rate for SIP).
	Adam Adam
	// Cut is the relative threshold below which singular values of ∂P/∂z
	// are discarded in its pseudo-inverse; zero means DefaultSIPCut.
	// It must lie in (0, 1).
	Cut float64
}

// NewSIP returns SIP with Adam's learning rate lr and the default cut.
func NewSIP(lr float64) *SIP { return &SIP{Adam: Adam{LearnRate: lr}} }

var _ PhysicsInverter = (*SIP)(nil)

// Init implements Method.
func (s *SIP) Init(n int) error {
	if s.Cut == 0 {
		s.Cut = DefaultSIPCut
	}
	if !(s.Cut > 0 && s.Cut < 1) || math.IsNaN(s.Cut) {
		return fmt.Errorf("optim: SIP cut %v must lie in (0, 1)", s.Cut)
	}
	if err := s.Adam.Init(n); err != nil {
		return fmt.Errorf("optim: SIP's network optimizer: %w", err)
	}
	return nil
}

// NeedsJacobian implements Method; it returns false: SIP needs each
// sample's ∂P/∂z, never the stacked Jacobian.
func (s *SIP) NeedsJacobian() bool { return false }

// SIPCut implements PhysicsInverter.
func (s *SIP) SIPCut() float64 {
	if s.Cut == 0 {
		return DefaultSIPCut
	}
	return s.Cut
}

// Step implements Method: Adam's step on the proxy gradient in loc.Grad.
// It panics if loc.SIPCut is not set, since Grad would then be the
// ordinary gradient and the step silently Adam's.
func (s *SIP) Step(delta []float64, loc *Local) error {
	if !(loc.SIPCut > 0) {
		panic("optim: SIP step on a Local without SIPCut: the objective filled the ordinary gradient (train.Train sets SIPCut from the method)")
	}
	return s.Adam.Step(delta, loc)
}
