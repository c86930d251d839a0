package dipole_test

import (
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/dipole"
)

// The paper's setting: 14 interior points on [0, 2], 384 Crank–Nicolson
// steps of 0.05. Without a field the ground state only turns its phase; a
// weak field oscillating at the transition frequency between the two lowest
// levels moves the particle into the first excited state (a π-pulse), and
// the norm stays 1 either way. The scheme's transition frequency is
// (θ₂ − θ₁)/DT with θ_k = 2·atan(E_k·DT/2) the phase per step of level k,
// slightly below the continuous E₂ − E₁. The
// infidelity's gradient with respect to ψ(T), pulled back by the VJP, is
// the loss gradient with respect to the 384 controls.
func ExampleWell() {
	w, err := dipole.New(dipole.Config{})
	if err != nil {
		log.Fatal(err)
	}
	_, nz, ny := w.Dims()
	fmt.Printf("controls %d, output %d, T = %.1f, E₁ = %.3f, E₂ = %.3f\n", nz, ny, float64(w.Steps())*w.DT(), w.Energy(1), w.Energy(2))

	ev := w.NewEvaluator().(*dipole.Evaluator)
	e1, e2 := w.Eigenstate(nil, 1), w.Eigenstate(nil, 2)
	psi := make([]float64, ny)
	ev.Eval(psi, nil, nil, make([]float64, nz))
	fmt.Printf("no field:       |⟨e₁, ψ(T)⟩|² = %.6f\n", dipole.Fidelity(e1, psi))

	a := w.DT() / 2
	omega := 2 * (math.Atan(a*w.Energy(2)) - math.Atan(a*w.Energy(1))) / w.DT()
	u := make([]float64, nz)
	for n := range u {
		u[n] = 0.5 * math.Sin(omega*(float64(n)+0.5)*w.DT())
	}
	ev.Eval(psi, nil, nil, u)
	var norm float64
	for _, v := range psi {
		norm += v * v
	}
	fmt.Printf("resonant field: ‖ψ(T)‖ = %.6f, |⟨e₁, ψ(T)⟩|² = %.3f, |⟨e₂, ψ(T)⟩|² = %.3f\n",
		math.Sqrt(norm), dipole.Fidelity(e1, psi), dipole.Fidelity(e2, psi))

	// The loss for the target e₂ and its gradient with respect to u.
	gy, gu := make([]float64, ny), make([]float64, nz)
	loss := dipole.InfidelityGrad(gy, e2, psi)
	ev.VJP(gu, gy)
	var g2 float64
	for _, g := range gu {
		g2 += g * g
	}
	fmt.Printf("loss 1 − |⟨e₂, ψ(T)⟩|² = %.3f, ‖∂L/∂u‖ = %.3f\n", loss, math.Sqrt(g2))
	// Output:
	// controls 384, output 28, T = 19.2, E₁ = 2.458, E₂ = 9.726
	// no field:       |⟨e₁, ψ(T)⟩|² = 1.000000
	// resonant field: ‖ψ(T)‖ = 1.000000, |⟨e₁, ψ(T)⟩|² = 0.010, |⟨e₂, ψ(T)⟩|² = 0.989
	// loss 1 − |⟨e₂, ψ(T)⟩|² = 0.011, ‖∂L/∂u‖ = 0.049
}

// The paper's data: targets cos φ·e₂ + sin φ·e₃ with a random angle, which
// are also the network's inputs. Every target is a real unit state with no
// weight on the ground state the simulation starts from.
func ExampleWell_Dataset() {
	w, err := dipole.New(dipole.Config{})
	if err != nil {
		log.Fatal(err)
	}
	d := w.Dataset(1024, rand.New(rand.NewPCG(1, 2)))
	rows, cols := d.X.Dims()
	fmt.Printf("%d samples of %d reals, inputs equal targets: %v\n", rows, cols, mat.Equal(d.X, d.Y))
	e1, e2, e3 := w.Eigenstate(nil, 1), w.Eigenstate(nil, 2), w.Eigenstate(nil, 3)
	for i := range 3 {
		y := d.Y.RawRowView(i)
		fmt.Printf("target %d: weights on e₁, e₂, e₃ = %.3f, %.3f, %.3f; infidelity of the ground state %.3f\n",
			i, dipole.Fidelity(e1, y), dipole.Fidelity(e2, y), dipole.Fidelity(e3, y), dipole.Infidelity(y, e1))
	}
	// Output:
	// 1024 samples of 28 reals, inputs equal targets: true
	// target 0: weights on e₁, e₂, e₃ = 0.000, 0.963, 0.037; infidelity of the ground state 1.000
	// target 1: weights on e₁, e₂, e₃ = 0.000, 0.031, 0.969; infidelity of the ground state 1.000
	// target 2: weights on e₁, e₂, e₃ = 0.000, 0.017, 0.983; infidelity of the ground state 1.000
}
