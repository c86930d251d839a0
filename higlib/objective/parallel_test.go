package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/physics"
)

// wideProblem is the oscillator-sized case of the benchmarks: 4 → 20 → 20 →
// 20 → 96 with a 96 → 4 linear map, large enough for the parallel Eval.
func wideProblem(t testing.TB, b int) (*Objective, []float64, Data, []int) {
	rng := rand.New(rand.NewPCG(5, 6))
	net, err := nn.New([]int{4, 20, 20, 20, 96}, []nn.Activation{nn.ReLU, nn.Tanh, nn.ReLU, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, 4*96)
	for i := range a {
		a[i] = rng.NormFloat64() / 10
	}
	o, err := New(net, &physics.Linear{Rows: 4, Cols: 96, Data: a})
	if err != nil {
		t.Fatal(err)
	}
	params := make([]float64, net.NumParams())
	net.Init(params, rng)
	x, y := mat.NewDense(b, 4, nil), mat.NewDense(b, 4, nil)
	for i := 0; i < b; i++ {
		for j := 0; j < 4; j++ {
			x.Set(i, j, rng.NormFloat64())
			y.Set(i, j, rng.NormFloat64())
		}
	}
	idx := rng.Perm(b)
	return o, params, Data{X: x, Y: y}, idx
}

func newBatch(o *Objective, b int) *Batch {
	P := o.Net.NumParams()
	return &Batch{Grad: make([]float64, P), GradY: make([]float64, b*o.Dim()), Jac: &mat.Dense{}}
}

func sameBits(x, y []float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}

// TestEvalParallelBitwise checks the project rule "same seed ⇒ same bits":
// the parallel Eval must equal a run of the same chunks on one goroutine,
// bit for bit, and repeated parallel runs must agree with each other.
func TestEvalParallelBitwise(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	if b*o.Dim()*o.Net.NumParams() < parMinEntries {
		t.Fatal("problem too small to take the parallel path")
	}
	forceSerial = true
	ref := newBatch(o, b)
	o.Eval(ref, o.NewWorkspace(), params, d, idx)
	forceSerial = false
	ws := o.NewWorkspace()
	for rep := range 5 {
		got := newBatch(o, b)
		o.Eval(got, ws, params, d, idx)
		if math.Float64bits(got.Loss) != math.Float64bits(ref.Loss) ||
			!sameBits(got.Grad, ref.Grad) || !sameBits(got.GradY, ref.GradY) ||
			!sameBits(got.Jac.RawMatrix().Data, ref.Jac.RawMatrix().Data) {
			t.Fatalf("run %d: parallel Eval differs from the serial run of the same chunks", rep)
		}
	}
}

// TestEvalParallelMatchesUnchunked compares the chunked Eval with one pass
// over all samples (evalRange on the whole batch), which differs only in
// the order of the loss and gradient sums.
func TestEvalParallelMatchesUnchunked(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	got := newBatch(o, b)
	o.Eval(got, o.NewWorkspace(), params, d, idx)
	want := newBatch(o, b)
	want.Jac.ReuseAs(b*o.Dim(), o.Net.NumParams())
	want.Loss = o.evalRange(want, o.NewWorkspace(), params, d, idx, want.Jac.RawMatrix(), 0, b, want.Grad) / b
	if !sameBits(got.Jac.RawMatrix().Data, want.Jac.RawMatrix().Data) || !sameBits(got.GradY, want.GradY) {
		t.Error("Jacobian or GradY differ between chunked and unchunked Eval")
	}
	if math.Abs(got.Loss-want.Loss) > 1e-12*math.Abs(want.Loss) {
		t.Errorf("loss %v, want %v", got.Loss, want.Loss)
	}
	for i := range got.Grad {
		if math.Abs(got.Grad[i]-want.Grad[i]) > 1e-12*(1+math.Abs(want.Grad[i])) {
			t.Fatalf("Grad[%d] = %v, want %v", i, got.Grad[i], want.Grad[i])
		}
	}
}

func TestEvalParallelAllocs(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	ws := o.NewWorkspace()
	out := newBatch(o, b)
	o.Eval(out, ws, params, d, idx)
	if a := testing.AllocsPerRun(5, func() { o.Eval(out, ws, params, d, idx) }); a != 0 {
		t.Errorf("Eval allocates %v times per call, want 0", a)
	}
}
