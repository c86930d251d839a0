package oscillator

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// TestForceIsMinusEnergyGradient settles the sign convention: the
// accelerations of the equations of motion, −xᵢ + (x_{i+1} − xᵢ)³ +
// (x_{i−1} − xᵢ)³ at u = 0, are −∂H/∂xᵢ of Chain.Energy (central finite
// differences; tolerance: truncation h²/6·|∂³H| ≈ 6e-12·10 plus rounding
// ε·|H|/h ≈ 4e-11·|H| for states of order 1), and ẋᵢ = pᵢ = ∂H/∂pᵢ.
func TestForceIsMinusEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for _, n := range []int{1, 2, 3, 6} {
		c, err := New(Config{N: n})
		if err != nil {
			t.Fatal(err)
		}
		st := newStepper(c)
		for range 4 {
			s := make([]float64, 2*n)
			for i := range s {
				s[i] = 4*rng.Float64() - 2
			}
			k := make([]float64, 2*n)
			st.rate(k, s, 0, nil)
			grad := fd.Gradient(nil, c.Energy, s, &fd.Settings{Formula: fd.Central})
			for i := range n {
				if math.Abs(k[i]-grad[n+i]) > 1e-8 {
					t.Errorf("N = %d: dx_%d/dt = %v, ∂H/∂p_%d = %v", n, i, k[i], i, grad[n+i])
				}
				if math.Abs(k[n+i]+grad[i]) > 1e-8*(1+math.Abs(grad[i])) {
					t.Errorf("N = %d: dp_%d/dt = %v, −∂H/∂x_%d = %v", n, i, k[n+i], i, -grad[i])
				}
			}
		}
	}
}

// TestMixedForceIsMinusEnergyGradient repeats the check for the linear and
// mixed couplings of Config.Coupling.
func TestMixedForceIsMinusEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, cp := range []Coupling{{Linear: 0.2}, {Linear: 0.5, Cubic: 0.7}} {
		c, err := New(Config{N: 3, Coupling: cp, Gain: 1})
		if err != nil {
			t.Fatal(err)
		}
		st := newStepper(c)
		s := make([]float64, 6)
		for i := range s {
			s[i] = 4*rng.Float64() - 2
		}
		k := make([]float64, 6)
		st.rate(k, s, 0, nil)
		grad := fd.Gradient(nil, c.Energy, s, &fd.Settings{Formula: fd.Central})
		for i := range 3 {
			if math.Abs(k[3+i]+grad[i]) > 1e-8*(1+math.Abs(grad[i])) {
				t.Errorf("%+v: dp_%d/dt = %v, −∂H/∂x_%d = %v", cp, i, k[3+i], i, -grad[i])
			}
		}
	}
}
