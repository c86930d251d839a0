// Package objective puts a network and a physics map together into the
// training objective of physics-based deep learning,
//
//	L(θ) = (1/b) Σ_i L(P(x_i, f(x_i; θ)), ŷ_i),
//
// with a per-sample Loss L that defaults to ½‖y − ŷ‖², and computes what the optimizers need from a mini-batch: the loss, its
// gradient with respect to the parameters, its gradient g with respect to the
// physics outputs y_i = P(f(x_i; θ)), and the per-sample Jacobians ∂y_i/∂θ
// stacked into one (b·d) × P matrix with row i·d + k = ∂y_{i,k}/∂θ, as
// the Half-Inverse Gradients chapter of the Physics-based Deep Learning book
// (section "Constructing the Jacobian") and the authors' code do. Because the
// loss is a batch mean, g carries the factor 1/b: g_{i·d+k} = ∂L(y_i, ŷ_i)/∂y_{i,k} / b,
// which for ½‖y − ŷ‖² is (y_{i,k} − ŷ_{i,k})/b.
package objective

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/higlab/hig/internal/num"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/internal/par"
	"github.com/higlab/hig/higlib/nn"
	"github.com/higlab/hig/higlib/optim"
	"github.com/higlab/hig/higlib/physics"
)

// Objective is a network followed by a physics map, compared with targets
// by the batch mean of a per-sample loss. The map receives each sample's
// input x (the same row of Data.X that the network receives) and the
// network's output z.
type Objective struct {
	Net  nn.Network
	Phys physics.Map // nil means the identity, y = z
	// SampleLoss compares one sample's output with its target; nil means
	// HalfSquared, ½‖y − ŷ‖². Set it after New, before Check and training.
	SampleLoss Loss

	// Serial makes Eval fill a large stacked Jacobian on the calling
	// goroutine alone. The zero value spreads its chunks of samples over
	// the processors of the par pool (see Eval); its workers sleep
	// rather than spin while they wait, so this still helps when other
	// processes keep the machine busy. Set Serial when each process
	// should use one processor, e.g. for several training runs started
	// side by side on as many cores. The chunks and their order of
	// summation are the same either way, so the result is the same to
	// the bit.
	Serial bool
}

// loss returns the sample loss in use.
func (o *Objective) loss() Loss {
	if o.SampleLoss == nil {
		return HalfSquared{}
	}
	return o.SampleLoss
}

// New returns an objective after checking that the network's output feeds
// the physics map and that the map reads inputs of the network's input
// length (or none).
func New(net nn.Network, phys physics.Map) (*Objective, error) {
	if err := nn.Check(net); err != nil {
		return nil, fmt.Errorf("objective: %w", err)
	}
	in, out := net.Dims()
	if phys != nil {
		if err := physics.Check(phys); err != nil {
			return nil, fmt.Errorf("objective: %w", err)
		}
		px, pz, _ := phys.Dims()
		if pz != out {
			return nil, fmt.Errorf("objective: network has %d outputs but the physics map takes %d controls", out, pz)
		}
		if px != 0 && px != in {
			return nil, fmt.Errorf("objective: the physics map reads inputs of length %d, the network's inputs have %d", px, in)
		}
	}
	return &Objective{Net: net, Phys: phys}, nil
}

// Dim returns d, the dimension of one sample's physics output y_i.
func (o *Objective) Dim() int {
	if o.Phys == nil {
		_, out := o.Net.Dims()
		return out
	}
	_, _, y := o.Phys.Dims()
	return y
}

// Data is a set of samples: row i of X is an input, row i of Y its target.
type Data struct {
	X, Y *mat.Dense
	// W holds a weight per sample: sample i contributes W[i]·L(y_i, ŷ_i)
	// to the batch mean (1/b) Σ_i, and W[i]·∂L/∂y_i to ∂L/∂y. Nil means
	// every weight is 1 (and nothing is multiplied).
	W []float64
}

// Len returns the number of samples.
func (d Data) Len() int {
	if d.X == nil {
		return 0
	}
	r, _ := d.X.Dims()
	return r
}

// Check returns an error that says what is wrong if the data are empty, do
// not match the objective's dimensions, or hold NaN or Inf.
func (o *Objective) Check(d Data) error {
	if d.X == nil || d.Y == nil || d.X.IsEmpty() || d.Y.IsEmpty() {
		return errors.New("objective: empty data set")
	}
	n, in := d.X.Dims()
	ny, dy := d.Y.Dims()
	if n != ny {
		return fmt.Errorf("objective: %d inputs but %d targets", n, ny)
	}
	if nin, _ := o.Net.Dims(); in != nin {
		return fmt.Errorf("objective: inputs have %d columns, the network takes %d", in, nin)
	}
	if dy != o.Dim() {
		return fmt.Errorf("objective: targets have %d columns, the physics output has %d", dy, o.Dim())
	}
	if d.W != nil {
		if len(d.W) != n {
			return fmt.Errorf("objective: %d samples but %d weights", n, len(d.W))
		}
		for i, w := range d.W {
			if !(w >= 0) || math.IsInf(w, 0) {
				return fmt.Errorf("objective: weight %d = %v must be a finite number ≥ 0", i, w)
			}
		}
	}
	for i := 0; i < n; i++ {
		if !num.Finite(d.X.RawRowView(i)) {
			return fmt.Errorf("objective: input %d holds NaN or Inf", i)
		}
		if !num.Finite(d.Y.RawRowView(i)) {
			return fmt.Errorf("objective: target %d holds NaN or Inf", i)
		}
	}
	return o.checkLoss(d.Y.RawRowView(0))
}

// checkLoss evaluates the sample loss once, at y = t for the target t, and
// returns an error if it panics (e.g. weights of another length) or gives
// a value or gradient that is not finite.
func (o *Objective) checkLoss(t []float64) (err error) {
	if o.SampleLoss == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("objective: the loss %T fails on an output of length %d: %v", o.SampleLoss, len(t), r)
		}
	}()
	y, g := slices.Clone(t), make([]float64, len(t))
	if l := o.SampleLoss.Eval(g, y, t); !num.IsFinite(l) || !num.Finite(g) {
		return fmt.Errorf("objective: the loss %T at y = target 0 gives the value %v and a gradient %v: not finite", o.SampleLoss, l, g)
	}
	return nil
}

// Workspace holds scratch space for evaluations: an Evaluator of the
// network and one of the physics map, and buffers; reuse it to avoid
// allocations. It belongs to one Objective and one goroutine.
type Workspace struct {
	net    nn.Evaluator
	phys   physics.Evaluator
	vjp    physics.VJPEvaluator // phys, if it computes products itself
	y, res []float64            // physics output of one sample and its loss gradient ∂L/∂y
	pj     []float64            // ∂P/∂z, d × m
	fj     []float64            // ∂f/∂θ, m × P, or d × P for seeded rows
	v      []float64            // (∂P/∂z)ᵀ r, length m
	eye    []float64            // the m × m identity, seed of the full network Jacobian
	sip    *sipWork             // SIP's pseudo-inverse workspace, created on first use

	grad []float64 // partial gradient of one chunk of the parallel Eval
	loss float64   // partial loss sum of that chunk
	err  error     // that chunk's SampleError
	par  *evalPar  // parallel state, created by the first large Eval
}

// NewWorkspace returns a workspace sized for o. It calls the network's and
// the map's NewEvaluator.
func (o *Objective) NewWorkspace() *Workspace {
	_, m := o.Net.Dims()
	d, P := o.Dim(), o.Net.NumParams()
	ws := &Workspace{
		net: o.Net.NewEvaluator(),
		y:   make([]float64, d), res: make([]float64, d),
		pj: make([]float64, d*m), fj: make([]float64, max(m, d)*P), v: make([]float64, m),
	}
	if o.Phys != nil {
		ws.phys = o.Phys.NewEvaluator()
		ws.vjp, _ = ws.phys.(physics.VJPEvaluator)
	}
	return ws
}

// Net returns the network Evaluator, whose state (e.g. hidden activations,
// see nn.Hidden) is that of the last sample evaluated.
func (ws *Workspace) Net() nn.Evaluator { return ws.net }

// Predict writes y = P(x, f(x; θ)) into dst (length Dim()).
func (o *Objective) Predict(dst []float64, ws *Workspace, params, x []float64) {
	z := ws.net.Forward(params, x)
	if o.Phys == nil {
		copy(dst, z)
		return
	}
	ws.phys.Eval(dst, nil, x, z)
}

// Loss returns the batch-mean loss over all samples of d.
func (o *Objective) Loss(ws *Workspace, params []float64, d Data) float64 {
	n := d.Len()
	var sum float64
	for i := 0; i < n; i++ {
		o.Predict(ws.y, ws, params, d.X.RawRowView(i))
		l := o.loss().Eval(nil, ws.y, d.Y.RawRowView(i))
		if d.W != nil {
			l *= d.W[i]
		}
		sum += l
	}
	return sum / float64(n)
}

// Thresholds of the parallel Eval. The stacked Jacobian is split into
// evalChunks blocks of consecutive samples when it has at least
// parMinEntries entries; below that (e.g. the toy's 512×30 or 2048×30) the
// bookkeeping costs more than a second core saves. A gradient without the
// Jacobian (first-order methods: one backward pass per sample) is split
// the same way when b·P is at least parMinGradWork, which the oscillator
// experiment's Adam and GD steps reach (b = 512, P = 2956: b·P = 1.5·10⁶,
// about 1 ms per chunk) and the toy does not (P = 30: b·P = 7680 at its
// default b = 256; only batches of 34953 samples or more would), so that the
// toy keeps its sample-by-sample summation order and its bits. All numbers are fixed,
// not derived from GOMAXPROCS, so the chunking, and with it every bit of
// the result, is the same on every machine and for every schedule.
const (
	evalChunks     = 8
	parMinEntries  = 1 << 17
	parMinGradWork = 1 << 20
)

// parallelEval reports whether Eval splits a batch of b samples over the
// worker pool: with the Jacobian (jac) when the stacked Jacobian has at
// least parMinEntries entries, without it when b·P ≥ parMinGradWork.
func parallelEval(jac bool, b, dim, P int) bool {
	if b < evalChunks {
		return false
	}
	if jac {
		return b*dim*P >= parMinEntries
	}
	return b*P >= parMinGradWork
}

// Eval evaluates the objective on the samples of d listed in idx (the
// mini-batch) at params and fills the loss and the non-nil fields of out:
// Grad (∂L/∂θ, length P), GradY (∂L/∂y, length b·d, sample-major) and Jac
// (the stacked ∂y/∂θ, (b·d) × P, row i·d + k; resized when empty). Without
// Jac, the gradient comes from one backward pass per sample through the
// map's VJP (when its Evaluator has one) and the network's Backprop, so
// first-order methods never form a Jacobian. With out.SIPCut set (SIP,
// see optim.SIP), Grad is SIP's proxy gradient (1/b) Σ (∂fᵢ/∂θ)ᵀ (∂P/∂z)⁺ ∂Lᵢ/∂y,
// each sample's ∂P/∂z pseudo-inverted with the relative cut SIPCut, while
// Loss and GradY stay those of the true loss. Eval panics on mismatched
// lengths; check data with Check beforehand.
//
// When the work is large (see parallelEval: a large Jac, or a gradient
// alone over many samples and parameters), the samples are split into a
// fixed number of consecutive chunks that run on the worker pool of package
// internal/par, each with its own network and map workspace, writing
// disjoint rows of Jac and GradY and its own partial loss and gradient; the
// partial sums are then added in chunk order, so the result does not
// depend on timing or on the number of processors.
//
// Eval returns a *SampleError (see there) for the first sample, in
// mini-batch order, whose physics map returned NaN or Inf for finite
// arguments, in its value or its Jacobian, or whose network, map or loss
// panicked; out is then not usable.
func (o *Objective) Eval(out *optim.Local, ws *Workspace, params []float64, d Data, idx []int) error {
	b, dim, P := len(idx), o.Dim(), o.Net.NumParams()
	if b == 0 {
		panic("objective: empty mini-batch")
	}
	if len(params) != P {
		panic(fmt.Sprintf("objective: len(params) = %d, want %d", len(params), P))
	}
	for _, i := range idx {
		if i < 0 || i >= d.Len() {
			panic(fmt.Sprintf("objective: sample index %d outside 0…%d", i, d.Len()-1))
		}
	}
	if out.Grad != nil {
		if len(out.Grad) != P {
			panic(fmt.Sprintf("objective: len(Grad) = %d, want %d", len(out.Grad), P))
		}
		clear(out.Grad)
	}
	if out.GradY != nil && len(out.GradY) != b*dim {
		panic(fmt.Sprintf("objective: len(GradY) = %d, want %d", len(out.GradY), b*dim))
	}
	var jac blas64.General
	if out.Jac != nil {
		if out.Jac.IsEmpty() {
			out.Jac.ReuseAs(b*dim, P)
		}
		if r, c := out.Jac.Dims(); r != b*dim || c != P {
			panic(fmt.Sprintf("objective: Jac is %d×%d, want %d×%d", r, c, b*dim, P))
		}
		jac = out.Jac.RawMatrix()
	}
	inv := 1 / float64(b)
	if !parallelEval(out.Jac != nil, b, dim, P) || (out.Jac == nil && out.Grad == nil) {
		sum, err := o.evalRange(out, ws, params, d, idx, jac, 0, b, out.Grad)
		out.Loss = sum * inv
		return err
	}
	pe := ws.parallel(o)
	pe.job = evalJob{o: o, out: out, params: params, d: d, idx: idx, jac: jac, chunks: pe.chunks}
	pe.group.Do(&pe.job, evalChunks, o.Serial)
	pe.job = evalJob{}
	for _, cw := range pe.chunks {
		if cw.err != nil {
			err := cw.err
			cw.err = nil
			return err
		}
	}
	var sum float64
	for c, cw := range pe.chunks {
		sum += cw.loss
		if out.Grad == nil {
			continue
		}
		if c == 0 {
			copy(out.Grad, cw.grad)
			continue
		}
		for i, g := range cw.grad {
			out.Grad[i] += g
		}
	}
	out.Loss = sum * inv
	return nil
}

// evalPar is the state of the parallel Eval, kept in the Workspace.
type evalPar struct {
	group  par.Group
	chunks []*Workspace // chunk c's workspace; the last is the caller's own
	job    evalJob
}

// parallel returns ws's parallel state, creating it on first use.
func (ws *Workspace) parallel(o *Objective) *evalPar {
	if ws.par == nil {
		pe := &evalPar{chunks: make([]*Workspace, evalChunks)}
		for c := range pe.chunks[:evalChunks-1] {
			pe.chunks[c] = o.NewWorkspace()
		}
		pe.chunks[evalChunks-1] = ws
		for _, cw := range pe.chunks {
			cw.grad = make([]float64, o.Net.NumParams())
		}
		ws.par = pe
	}
	return ws.par
}

// evalJob evaluates one chunk of consecutive samples per part.
type evalJob struct {
	o      *Objective
	out    *optim.Local
	params []float64
	d      Data
	idx    []int
	jac    blas64.General
	chunks []*Workspace
}

func (j *evalJob) Run(c int) {
	b := len(j.idx)
	s0, s1 := c*b/evalChunks, (c+1)*b/evalChunks
	cw := j.chunks[c]
	var grad []float64
	if j.out.Grad != nil {
		grad = cw.grad
		clear(grad)
	}
	cw.loss, cw.err = j.o.evalRange(j.out, cw, j.params, j.d, j.idx, j.jac, s0, s1, grad)
}

// evalRange evaluates samples s0 … s1−1 of the mini-batch idx: it writes
// their rows of out.GradY and of jac (when out.Jac is set), adds their
// contributions to grad (when not nil) and returns their summed loss, or
// the SampleError of the first sample whose map output is not finite or
// whose network, map or loss panicked.
func (o *Objective) evalRange(out *optim.Local, ws *Workspace, params []float64, d Data, idx []int, jac blas64.General, s0, s1 int, grad []float64) (sum float64, err error) {
	var g guard
	defer func() {
		if r := recover(); r != nil {
			err = g.recovered(o, r)
		}
	}()
	_, m := o.Net.Dims()
	b, dim, P := len(idx), o.Dim(), o.Net.NumParams()
	inv := 1 / float64(b)
	// With a physics map that has fewer outputs than the network, the rows
	// of ∂y/∂θ = (∂P/∂z)·(∂f/∂θ) come from dim backward passes seeded with
	// the rows of ∂P/∂z instead of from the full m×P network Jacobian.
	seeded := out.Jac != nil && o.Phys != nil && dim <= m
	// SIP (out.SIPCut > 0) replaces (∂P/∂z)ᵀ g by (∂P/∂z)⁺ g: it needs
	// each sample's ∂P/∂z, not the stacked Jacobian.
	sip := out.SIPCut > 0 && o.Phys != nil
	if out.SIPCut > 0 && out.Jac != nil {
		panic("objective: SIPCut set together with Jac: SIP is a first-order method on its proxy gradient")
	}
	// Without the Jacobian, first-order methods need (∂P/∂z)ᵀ g only.
	useVJP := out.Jac == nil && ws.vjp != nil && !sip
	loss := o.loss()
	for s := s0; s < s1; s++ {
		i := idx[s]
		x, t := d.X.RawRowView(i), d.Y.RawRowView(i)
		g.at(i, partNetwork)
		z := ws.net.Forward(params, x)
		if out.Jac != nil && !seeded {
			if ws.eye == nil {
				ws.eye = make([]float64, m*m)
				for k := 0; k < m; k++ {
					ws.eye[k*m+k] = 1
				}
			}
			ws.net.SeededJacobian(ws.fj[:m*P], ws.eye, m)
		}
		switch {
		case o.Phys == nil:
			copy(ws.y, z)
		case useVJP:
			g.at(i, partMap)
			ws.phys.Eval(ws.y, nil, x, z)
			// With the default loss a NaN or Inf in y makes the loss NaN
			// or Inf, so y is checked only then (below); a user's loss
			// might not show it, or might panic on it.
			if o.SampleLoss != nil {
				if err := o.checkMap(i, ws.y, nil, z); err != nil {
					return 0, err
				}
			}
		default:
			g.at(i, partMap)
			ws.phys.Eval(ws.y, ws.pj, x, z)
			if err := o.checkMap(i, ws.y, ws.pj, z); err != nil {
				return 0, err
			}
		}
		g.at(i, partLoss)
		var l float64
		if o.SampleLoss == nil { // HalfSquared, inline
			for k := range ws.res {
				ws.res[k] = ws.y[k] - t[k]
			}
			l = HalfSquaredError(ws.y, t)
			if useVJP && !num.IsFinite(l) {
				if err := o.checkMap(i, ws.y, nil, z); err != nil {
					return 0, err
				}
			}
		} else {
			l = loss.Eval(ws.res, ws.y, t)
		}
		if d.W != nil {
			w := d.W[i]
			l *= w
			for k := range ws.res {
				ws.res[k] *= w
			}
		}
		sum += l
		if out.GradY != nil {
			for k, r := range ws.res {
				out.GradY[s*dim+k] = r * inv
			}
		}
		if seeded {
			rows := ws.fj[:dim*P]
			if jac.Stride == P {
				rows = jac.Data[s*dim*P : (s+1)*dim*P]
			}
			g.at(i, partNetwork)
			ws.net.SeededJacobian(rows, ws.pj, dim)
			if jac.Stride != P {
				for k := 0; k < dim; k++ {
					copy(jac.Data[(s*dim+k)*jac.Stride:(s*dim+k)*jac.Stride+P], rows[k*P:(k+1)*P])
				}
			}
			if grad != nil {
				// ∂L/∂θ += Σ_k (g_k / b) ∂y_k/∂θ, g = ∂L/∂y in ws.res
				for k := 0; k < dim; k++ {
					a := ws.res[k] * inv
					if a == 0 {
						continue
					}
					for c, f := range rows[k*P : (k+1)*P] {
						grad[c] += a * f
					}
				}
			}
			continue
		}
		if out.Jac != nil {
			for k := 0; k < dim; k++ {
				row := jac.Data[(s*dim+k)*jac.Stride : (s*dim+k)*jac.Stride+P]
				if o.Phys == nil {
					copy(row, ws.fj[k*P:(k+1)*P])
					continue
				}
				clear(row)
				for j := 0; j < m; j++ {
					a := ws.pj[k*m+j]
					if a == 0 {
						continue
					}
					for c, f := range ws.fj[j*P : (j+1)*P] {
						row[c] += a * f
					}
				}
			}
		}
		if grad != nil {
			// ∂L/∂θ += (∂f/∂θ)ᵀ (∂P/∂z)ᵀ g / b
			if o.Phys == nil {
				copy(ws.v, ws.res)
			} else if sip {
				if ws.sip == nil {
					ws.sip = newSIPWork(dim, m)
				}
				if !ws.sip.apply(ws.v, ws.pj, ws.res, out.SIPCut) {
					return 0, fmt.Errorf("objective: sample %d: the SVD of ∂P/∂z (%d × %d) for SIP's pseudo-inverse did not converge", i, dim, m)
				}
			} else if useVJP {
				g.at(i, partMap)
				ws.vjp.VJP(ws.v, ws.res)
				if !num.Finite(ws.v) && num.Finite(ws.res) {
					k := num.FirstNotFinite(ws.v)
					return 0, &SampleError{Sample: i, Part: "physics map", Type: fmt.Sprintf("%T", o.Phys),
						Product: true, Entry: k, Value: ws.v[k], MaxControl: num.MaxAbs(z)}
				}
			} else {
				for j := range ws.v {
					var s float64
					for k := 0; k < dim; k++ {
						s += ws.pj[k*m+j] * ws.res[k]
					}
					ws.v[j] = s
				}
			}
			for j := range ws.v {
				ws.v[j] *= inv
			}
			if out.Jac != nil {
				for j, vj := range ws.v {
					if vj == 0 {
						continue
					}
					for c, f := range ws.fj[j*P : (j+1)*P] {
						grad[c] += vj * f
					}
				}
			} else {
				g.at(i, partNetwork)
				ws.net.Backprop(grad, ws.v)
			}
		}
	}
	return sum, nil
}
