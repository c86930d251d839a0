package experiment_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/experiment"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/objective"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/higlib/train"
)

// pendulum starts a damped pendulum at angle 0 with the initial velocity z
// and returns its angle after 1 s (20 RK4 steps); x = (target angle, damping
// c). RK4 also carries the derivatives with respect to z, which gives the
// exact derivative of the discrete simulation.
var pendulum = physics.Func{X: 2, Z: 1, Y: 1, F: func(y, jac, x, z []float64) {
	f := func(s [4]float64) [4]float64 { // θ, ω, ∂θ/∂z, ∂ω/∂z
		return [4]float64{s[1], -9.81*math.Sin(s[0]) - x[1]*s[1], s[3], -9.81*math.Cos(s[0])*s[2] - x[1]*s[3]}
	}
	add := func(s, k [4]float64, h float64) [4]float64 {
		return [4]float64{s[0] + h*k[0], s[1] + h*k[1], s[2] + h*k[2], s[3] + h*k[3]}
	}
	s, h := [4]float64{0, z[0], 0, 1}, 0.05
	for range 20 {
		k1 := f(s)
		k2 := f(add(s, k1, h/2))
		k3 := f(add(s, k2, h/2))
		k4 := f(add(s, k3, h))
		for i := range s {
			s[i] += h / 6 * (k1[i] + 2*k2[i] + 2*k3[i] + k4[i])
		}
	}
	y[0] = s[0]
	if jac != nil {
		jac[0] = s[2]
	}
}}

// A network learns the launch velocity that brings a damped pendulum to a
// target angle, trained through the simulator with HIG and with Adam.
func Example_pendulum() {
	net, _ := nn.New([]int{2, 16, 1}, []nn.Activation{nn.Tanh, nn.Identity})
	obj, err := objective.New(net, pendulum)
	if err != nil {
		panic(err)
	}
	data := func(n int, rng *rand.Rand) objective.Data {
		x, y := mat.NewDense(n, 2, nil), mat.NewDense(n, 1, nil)
		for i := range n {
			x.Set(i, 0, 0.2+rng.Float64()) // target angle
			x.Set(i, 1, 0.1+0.4*rng.Float64())
			y.Set(i, 0, x.At(i, 0))
		}
		return objective.Data{X: x, Y: y}
	}
	study := experiment.Study{
		Build: func(seed uint64) (*experiment.Problem, error) {
			rng := rand.New(rand.NewPCG(seed, 1))
			p := &experiment.Problem{Obj: obj, Train: data(256, rng), Valid: data(64, rng), Params0: make([]float64, net.NumParams())}
			net.Init(p.Params0, rng)
			return p, nil
		},
		Methods: []experiment.Candidate{
			{Name: "Adam", Grid: []float64{0.003, 0.01, 0.03}, New: func(lr float64) (optim.Method, error) { return &optim.Adam{LearnRate: lr}, nil }},
			{Name: "HIG", Grid: []float64{0.3, 1}, New: func(lr float64) (optim.Method, error) { return optim.HIG(lr), nil }},
		},
		Seeds: []uint64{1, 2, 3}, Settings: train.Settings{Steps: 300, BatchSize: 32},
	}
	out, err := study.Run()
	if err != nil {
		panic(err)
	}
	for i, name := range out.Methods {
		fmt.Printf("%s: learning rate %g, median validation loss %.1e\n", name, out.Best[i], out.Median(i))
	}
	// Output:
	// Adam: learning rate 0.03, median validation loss 3.7e-04
	// HIG: learning rate 1, median validation loss 3.0e-06
}
