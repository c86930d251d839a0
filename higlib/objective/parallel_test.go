package objective

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
	"github.com/higlab/hig/internal/num"
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

func newBatch(o *Objective, b int) *optim.Local {
	P := o.Net.NumParams()
	return &optim.Local{Grad: make([]float64, P), GradY: make([]float64, b*o.Dim()), Jac: &mat.Dense{}}
}

// TestEvalParallelBitwise checks the project rule "same seed ⇒ same bits":
// the parallel Eval must equal a run of the same chunks on one goroutine
// (Objective.Serial), bit for bit, and repeated parallel runs must agree
// with each other.
func TestEvalParallelBitwise(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	if b*o.Dim()*o.Net.NumParams() < parMinEntries {
		t.Fatal("problem too small to take the parallel path")
	}
	o.Serial = true
	ref := newBatch(o, b)
	o.Eval(ref, o.NewWorkspace(), params, d, idx)
	o.Serial = false
	ws := o.NewWorkspace()
	for rep := range 5 {
		got := newBatch(o, b)
		o.Eval(got, ws, params, d, idx)
		if math.Float64bits(got.Loss) != math.Float64bits(ref.Loss) ||
			!num.SameBits(got.Grad, ref.Grad) || !num.SameBits(got.GradY, ref.GradY) ||
			!num.SameBits(got.Jac.RawMatrix().Data, ref.Jac.RawMatrix().Data) {
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
	sum, err := o.evalRange(want, o.NewWorkspace(), params, d, idx, want.Jac.RawMatrix(), 0, b, want.Grad)
	if err != nil {
		t.Fatal(err)
	}
	want.Loss = sum / b
	if !num.SameBits(got.Jac.RawMatrix().Data, want.Jac.RawMatrix().Data) || !num.SameBits(got.GradY, want.GradY) {
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

// stateful is a map that keeps its last point in its Evaluator's scratch
// space, as a simulator that stores its trajectory does: P(x, z) = A·tanh(z)
// + x, with y read back from the scratch slice. Evaluators made by
// NewEvaluator own their scratch; shared makes them share one slice, which
// the contract forbids.
type stateful struct {
	a      *physics.Linear
	shared []float64
	panics bool
}

type statefulEval struct {
	m       *stateful
	scratch []float64
}

func (s *stateful) Dims() (int, int, int) { return 4, s.a.Cols, s.a.Rows }
func (s *stateful) NewEvaluator() physics.Evaluator {
	e := &statefulEval{m: s, scratch: make([]float64, s.a.Cols)}
	if s.shared != nil {
		e.scratch = s.shared
	}
	return e
}

func (e *statefulEval) Eval(y, jac, x, z []float64) {
	if e.m.panics && x[0] > 4 {
		panic("simulator blew up")
	}
	for i, v := range z {
		e.scratch[i] = math.Tanh(v)
	}
	e.m.a.Eval(y, nil, nil, e.scratch)
	for k := range y {
		y[k] += x[k]
	}
	if jac != nil {
		for k := 0; k < e.m.a.Rows; k++ {
			for j := 0; j < e.m.a.Cols; j++ {
				jac[k*e.m.a.Cols+j] = e.m.a.Data[k*e.m.a.Cols+j] * (1 - e.scratch[j]*e.scratch[j])
			}
		}
	}
}

// TestEvalParallelStatefulMap runs the parallel Eval with a map whose
// Evaluators keep scratch space: every worker must have its own, so the
// result equals the serial one bit for bit (and -race finds no race).
func TestEvalParallelStatefulMap(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	o.Phys = &stateful{a: o.Phys.(*physics.Linear)}
	o.Serial = true
	ref := newBatch(o, b)
	o.Eval(ref, o.NewWorkspace(), params, d, idx)
	o.Serial = false
	ws := o.NewWorkspace()
	for rep := range 3 {
		got := newBatch(o, b)
		o.Eval(got, ws, params, d, idx)
		if !num.SameBits(got.Jac.RawMatrix().Data, ref.Jac.RawMatrix().Data) || !num.SameBits(got.Grad, ref.Grad) {
			t.Fatalf("run %d: parallel Eval with a stateful map differs from the serial run", rep)
		}
	}
}

// TestEvalParallelPanicReachesCaller checks that a panic inside a user's map
// on a worker goroutine comes back to the caller of Eval as a SampleError
// naming the first failing sample of the mini-batch and the map, instead of
// killing the process.
func TestEvalParallelPanicReachesCaller(t *testing.T) {
	const b = 128
	o, params, d, idx := wideProblem(t, b)
	o.Phys = &stateful{a: o.Phys.(*physics.Linear), panics: true}
	d.X.Set(idx[b-1], 0, 5) // the last chunk's sample panics
	d.X.Set(idx[3], 0, 5)   // and one of the first chunk's
	ws := o.NewWorkspace()
	for rep := range 3 {
		err := o.Eval(newBatch(o, b), ws, params, d, idx)
		var se *SampleError
		if !errors.As(err, &se) || se.Panic != "simulator blew up" || se.Sample != idx[3] || se.Part != "physics map" || !errors.Is(err, ErrPanic) {
			t.Fatalf("run %d: error %v, want the map's panic at sample %d", rep, err, idx[3])
		}
		if !strings.Contains(err.Error(), "*objective.stateful panicked: simulator blew up") {
			t.Errorf("message %q does not name the map and the panic", err)
		}
	}
	// The pool still works afterwards.
	d.X.Set(b-1, 0, 0)
	d.X.Set(3, 0, 0)
	o.Eval(newBatch(o, b), ws, params, d, idx)
}

// TestEvalGradientParallel checks the chunked gradient of first-order
// methods (no Jacobian) on an oscillator-sized batch, b = 512 as Adam's in
// the paper: the parallel run equals the serial run of the same chunks bit
// for bit, and agrees with one pass over all samples up to the order of the
// sums.
func TestEvalGradientParallel(t *testing.T) {
	const b = 512
	o, params, d, idx := wideProblem(t, b)
	P := o.Net.NumParams()
	if !parallelEval(false, b, o.Dim(), P) {
		t.Fatal("problem too small to take the parallel gradient path")
	}
	newGrad := func() *optim.Local { return &optim.Local{Grad: make([]float64, P)} }
	o.Serial = true
	ref := newGrad()
	o.Eval(ref, o.NewWorkspace(), params, d, idx)
	o.Serial = false
	ws := o.NewWorkspace()
	for rep := range 3 {
		got := newGrad()
		o.Eval(got, ws, params, d, idx)
		if math.Float64bits(got.Loss) != math.Float64bits(ref.Loss) || !num.SameBits(got.Grad, ref.Grad) {
			t.Fatalf("run %d: parallel gradient differs from the serial run of the same chunks", rep)
		}
	}
	want := newGrad()
	sum, err := o.evalRange(want, o.NewWorkspace(), params, d, idx, blas64.General{}, 0, b, want.Grad)
	if err != nil {
		t.Fatal(err)
	}
	want.Loss = sum / b
	if math.Abs(ref.Loss-want.Loss) > 1e-12*math.Abs(want.Loss) {
		t.Errorf("loss %v, want %v", ref.Loss, want.Loss)
	}
	for i := range ref.Grad {
		if math.Abs(ref.Grad[i]-want.Grad[i]) > 1e-12*(1+math.Abs(want.Grad[i])) {
			t.Fatalf("Grad[%d] = %v, want %v", i, ref.Grad[i], want.Grad[i])
		}
	}
	if a := testing.AllocsPerRun(5, func() { o.Eval(ref, ws, params, d, idx) }); a != 0 {
		t.Errorf("the parallel gradient allocates %v times per call, want 0", a)
	}
}

// TestEvalGradientSmallStaysSerial checks that a toy-sized gradient (the
// chapter's 1 → 7 → 2 network, P = 30, b = 256) is one pass over the
// samples in batch order, so that the toy's committed numbers keep their
// bits.
func TestEvalGradientSmallStaysSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	net, err := nn.New([]int{1, 7, 2}, []nn.Activation{nn.Tanh, nn.Identity})
	if err != nil {
		t.Fatal(err)
	}
	o, err := New(net, nil)
	if err != nil {
		t.Fatal(err)
	}
	const b = 256
	if parallelEval(false, b, o.Dim(), net.NumParams()) {
		t.Fatal("the toy's gradient would be chunked")
	}
	params := make([]float64, net.NumParams())
	net.Init(params, rng)
	x, y := mat.NewDense(b, 1, nil), mat.NewDense(b, 2, nil)
	for i := 0; i < b; i++ {
		x.Set(i, 0, rng.NormFloat64())
		y.Set(i, 0, rng.NormFloat64())
		y.Set(i, 1, rng.NormFloat64())
	}
	d, idx := Data{X: x, Y: y}, rng.Perm(b)
	got := &optim.Local{Grad: make([]float64, net.NumParams())}
	o.Eval(got, o.NewWorkspace(), params, d, idx)
	want := &optim.Local{Grad: make([]float64, net.NumParams())}
	sum, err := o.evalRange(want, o.NewWorkspace(), params, d, idx, blas64.General{}, 0, b, want.Grad)
	if err != nil {
		t.Fatal(err)
	}
	want.Loss = sum * (1 / float64(b))
	if math.Float64bits(got.Loss) != math.Float64bits(want.Loss) || !num.SameBits(got.Grad, want.Grad) {
		t.Error("the toy-sized gradient differs from one pass over the batch")
	}
}
