package optim

import (
	"fmt"

	"github.com/higlab/hig/higlib/halfinv"
)

// HalfInverse is the update of Schnell, Holl & Thuerey (ICLR 2022), eq. (5),
// as written in the Half-Inverse Gradients chapter of the Physics-based Deep
// Learning book:
//
//	Δθ = −η (∂y/∂θ)^(−κ) (∂L/∂y)ᵀ,   (∂y/∂θ)^(−κ) = V diag(φ(σ)) Uᵀ,
//
// where ∂y/∂θ is the Jacobian of all physics outputs of the mini-batch,
// stacked sample by sample, with thin SVD U Σ Vᵀ, and φ(σ) = σ^(−κ) for
// σ > τ·σ_max. Singular values at or below the threshold are discarded
// (Truncate) or raised to it (Clamp); see package halfinv.
//
// κ = ½ is HIG; κ = 1 is Gauss-Newton with the same truncation (the chapter's
// eq. for Δθ_GN with the pseudo-inverse of the Jacobian).
type HalfInverse struct {
	// LearnRate is η; zero means 1. The paper's oscillator runs use η = 1
	// on a loss without the ½ that package objective's loss carries, which
	// is η = 2 here (the dipole used 0.5, Poisson 0.01, each on its own loss).
	LearnRate float64
	// Kappa is the exponent κ in (0, 1]; zero means ½ (HIG).
	Kappa float64
	// Tau is the truncation threshold relative to the largest singular
	// value; zero means 1e-6, the paper's value. It must not be negative.
	Tau float64
	// Mode chooses between discarding (the zero value, Truncate) and
	// clamping the small singular values.
	Mode halfinv.Mode
	// Serial makes the decomposition run on the calling goroutine alone
	// (halfinv.Solver.Serial), for when the machine's other processors
	// are busy with other work; the step is the same to the bit. The
	// zero value uses a second processor for large Jacobians.
	Serial bool

	n      int
	solver halfinv.Solver
	sv     []float64
	dir    []float64
}

// HIG returns the half-inverse method with κ = ½ and learning rate lr.
func HIG(lr float64) *HalfInverse { return &HalfInverse{LearnRate: lr, Kappa: 0.5} }

// GaussNewton returns the half-inverse method with κ = 1 and learning rate lr.
func GaussNewton(lr float64) *HalfInverse { return &HalfInverse{LearnRate: lr, Kappa: 1} }

func (h *HalfInverse) params() halfinv.Params {
	return halfinv.Params{Kappa: h.Kappa, Tau: h.Tau, Mode: h.Mode}
}

// Init implements Method.
func (h *HalfInverse) Init(n int) error {
	if h.LearnRate == 0 {
		h.LearnRate = 1
	}
	if h.Kappa == 0 {
		h.Kappa = 0.5
	}
	if h.Tau == 0 {
		h.Tau = 1e-6
	}
	if err := checkRate("half-inverse", h.LearnRate); err != nil {
		return err
	}
	if err := h.params().Validate(); err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	h.n = n
	h.dir = make([]float64, n)
	return nil
}

// NeedsJacobian implements Method; it returns true.
func (h *HalfInverse) NeedsJacobian() bool { return true }

// Step implements Method. A zero Jacobian gives a zero step.
func (h *HalfInverse) Step(delta []float64, loc *Local) error {
	if len(delta) != h.n || h.dir == nil {
		panic(fmt.Sprintf("optim: len(delta) = %d, want %d (was Init called?)", len(delta), h.n))
	}
	if loc.Jac == nil {
		panic("optim: half-inverse step needs the stacked Jacobian")
	}
	h.solver.Serial = h.Serial
	sv, err := h.solver.Solve(h.dir, loc.Jac, loc.GradY, h.params())
	if err != nil {
		return err
	}
	h.sv = sv
	return scaled(delta, -h.LearnRate, h.dir)
}

// SingularValues returns the singular values of the last step's Jacobian in
// decreasing order. The slice is overwritten by the next Step.
func (h *HalfInverse) SingularValues() []float64 { return h.sv }
