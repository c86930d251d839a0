package objective

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/higlab/hig/internal/num"
)

var (
	// ErrNotFinite is what a SampleError for a physics map that returned
	// NaN or Inf from finite arguments wraps.
	ErrNotFinite = errors.New("objective: the physics map returned NaN or Inf for finite arguments")
	// ErrPanic is what a SampleError for a recovered panic wraps.
	ErrPanic = errors.New("objective: panic in the network, the physics map or the loss")
)

// SampleError says which sample of which data set made an evaluation
// fail, and how: a physics map that returned NaN or Inf for finite input
// and controls (in its value y or only in its Jacobian ∂P/∂z), or a panic
// in the network, the map or the loss. It wraps ErrNotFinite or ErrPanic.
//
// A non-finite network output, or a map output for non-finite controls, is
// not a SampleError: it comes from parameters grown without bound, which
// the caller reports as divergence (see train.ErrDiverged).
type SampleError struct {
	// Sample is the row of the data set.
	Sample int
	// Part names what failed: "network", "physics map" or "loss".
	Part string
	// Type is the Go type of the failing network, map or loss, e.g.
	// "*mysim.Heat".
	Type string
	// Jacobian reports that y was finite and only ∂P/∂z was not; Product
	// that y was finite and only the VJP (∂P/∂z)ᵀ v was not, for finite v.
	Jacobian, Product bool
	// Entry is the index of the first non-finite entry of y or of the
	// row-major Jacobian, and Value its value; −1 for a panic.
	Entry int
	Value float64
	// MaxControl is max|z| of the controls the map received.
	MaxControl float64
	// Panic is the recovered value and Stack the stack trace of the panic.
	Panic any
	Stack []byte
}

func (e *SampleError) Error() string {
	if e.Panic != nil {
		return fmt.Sprintf("sample %d: the %s %s panicked: %v", e.Sample, e.Part, e.Type, e.Panic)
	}
	what := fmt.Sprintf("y[%d] = %v", e.Entry, e.Value)
	switch {
	case e.Jacobian:
		what = fmt.Sprintf("a finite y but a Jacobian ∂P/∂z whose entry %d is %v", e.Entry, e.Value)
	case e.Product:
		what = fmt.Sprintf("a finite y but a VJP (∂P/∂z)ᵀ v whose entry %d is %v", e.Entry, e.Value)
	}
	return fmt.Sprintf("sample %d: the physics map %s returned %s for finite input and controls (max |z| = %.3g): a fault of the simulator, or controls beyond its range",
		e.Sample, e.Type, what, e.MaxControl)
}

// Unwrap returns ErrPanic or ErrNotFinite.
func (e *SampleError) Unwrap() error {
	if e.Panic != nil {
		return ErrPanic
	}
	return ErrNotFinite
}

// Parts of a sample's evaluation, for guard.
const (
	partNetwork = iota
	partMap
	partLoss
)

// guard notes which part of which sample runs, so that a panic can be
// turned into a SampleError naming it. Two words, set per part per sample.
type guard struct {
	sample, part int
}

func (g *guard) at(sample, part int) { g.sample, g.part = sample, part }

// recovered turns a recovered panic value into a SampleError.
func (g *guard) recovered(o *Objective, r any) *SampleError {
	name, typ := "network", any(o.Net)
	switch g.part {
	case partMap:
		name, typ = "physics map", o.Phys
	case partLoss:
		name, typ = "loss", o.loss()
	}
	return &SampleError{Sample: g.sample, Part: name, Type: fmt.Sprintf("%T", typ), Entry: -1, Panic: r, Stack: debug.Stack()}
}

// checkMap returns a SampleError if the map's output y (or its Jacobian
// jac, when not nil) holds NaN or Inf while the controls z are finite.
func (o *Objective) checkMap(sample int, y, jac, z []float64) error {
	if num.Finite(y) && (jac == nil || num.Finite(jac)) {
		return nil
	}
	if !num.Finite(z) {
		return nil // the network overflowed: divergence, the caller's to report
	}
	e := &SampleError{Sample: sample, Part: "physics map", Type: fmt.Sprintf("%T", o.Phys), MaxControl: num.MaxAbs(z)}
	if k := num.FirstNotFinite(y); k >= 0 {
		e.Entry, e.Value = k, y[k]
	} else {
		k := num.FirstNotFinite(jac)
		e.Jacobian, e.Entry, e.Value = true, k, jac[k]
	}
	return e
}

// Diagnose evaluates every sample of d at params and returns the first
// SampleError (a map that returns NaN or Inf for finite arguments, or a
// panic), or nil. Callers use it to say why a loss came out NaN or Inf;
// when it returns nil, the cause is elsewhere (e.g. the loss overflowed
// for outputs grown without bound).
func (o *Objective) Diagnose(ws *Workspace, params []float64, d Data) (err error) {
	var g guard
	defer func() {
		if r := recover(); r != nil {
			err = g.recovered(o, r)
		}
	}()
	for i := 0; i < d.Len(); i++ {
		x := d.X.RawRowView(i)
		g.at(i, partNetwork)
		z := ws.net.Forward(params, x)
		if o.Phys == nil {
			copy(ws.y, z)
		} else {
			g.at(i, partMap)
			ws.phys.Eval(ws.y, nil, x, z)
			if err := o.checkMap(i, ws.y, nil, z); err != nil {
				return err
			}
		}
		g.at(i, partLoss)
		o.loss().Eval(nil, ws.y, d.Y.RawRowView(i))
	}
	return nil
}
