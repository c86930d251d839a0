// Package losstest checks that an objective.Loss keeps the contract package
// objective documents, as physicstest does for maps and nntest for
// networks: one call that a user runs in their own test on their own loss.
//
//	func TestMyLoss(t *testing.T) {
//		losstest.Check(t, myLoss, 28, nil)
//	}
//
// Run it under the race detector (go test -race) so that a loss which
// writes to shared memory is caught.
package losstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/higlab/hig/internal/num"

	"github.com/higlab/hig/higlib/objective"
)

// Config says where and how strictly to check a loss. The zero value of
// each field takes the default its comment gives; a nil *Config means all
// defaults.
type Config struct {
	// Points is the number of random pairs (y, t) checked; zero means 6.
	Points int
	// Seed seeds the points.
	Seed uint64
	// Sample writes one output y and one target t; nil draws every entry
	// uniformly from [−1, 1). A loss defined only on some outputs (e.g.
	// normalised states) gives a Sample that draws those.
	Sample func(y, t []float64, rng *rand.Rand)
	// Tol bounds |∂L/∂y − central difference| ≤ Tol·(1 + max|difference|)
	// entrywise; zero means 1e-6, which allows fd.Central's truncation
	// error h²/6·|L'''| ≈ 6e-12·|L'''| (step h ≈ 6e-6) for third
	// derivatives up to ~1e5 and its rounding error ε·|L|/h ≈ 4e-11·|L|.
	Tol float64
	// Goroutines is the number of goroutines of the concurrency check;
	// zero means 4.
	Goroutines int
}

// Check runs every check on l for outputs of length dim and reports
// failures through t:
//   - Eval writes a finite gradient into every entry and a finite value,
//     leaving y and t unchanged;
//   - Eval without a gradient returns the same value, bit for bit;
//   - the gradient agrees with central finite differences of y ↦ L(y, t)
//     (gonum's fd.Gradient);
//   - calls from several goroutines give the same bits as serial calls.
func Check(tb testing.TB, l objective.Loss, dim int, c *Config) {
	tb.Helper()
	if l == nil {
		tb.Fatal("losstest: nil loss")
	}
	if dim < 1 {
		tb.Fatalf("losstest: dimension %d must be positive", dim)
	}
	cfg := Config{}
	if c != nil {
		cfg = *c
	}
	if cfg.Points == 0 {
		cfg.Points = 6
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-6
	}
	if cfg.Goroutines == 0 {
		cfg.Goroutines = 4
	}
	if cfg.Points < 1 || cfg.Tol < 0 || cfg.Goroutines < 1 {
		tb.Fatalf("losstest: bad Config %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1055))
	type point struct{ y, t, g []float64 }
	pts := make([]point, cfg.Points)
	for i := range pts {
		p := point{y: make([]float64, dim), t: make([]float64, dim)}
		if cfg.Sample != nil {
			cfg.Sample(p.y, p.t, rng)
		} else {
			for k := range p.y {
				p.y[k] = 2*rng.Float64() - 1
				p.t[k] = 2*rng.Float64() - 1
			}
		}
		pts[i] = p
	}
	vals := make([]float64, len(pts))
	for i := range pts {
		p := &pts[i]
		y0, t0 := slices.Clone(p.y), slices.Clone(p.t)
		p.g = num.Filled(dim, math.NaN())
		v, ok := eval(tb, i, l, p.g, p.y, p.t)
		if !ok {
			return
		}
		vals[i] = v
		if !slices.Equal(p.y, y0) || !slices.Equal(p.t, t0) {
			tb.Errorf("point %d: Eval modified y or t", i)
			copy(p.y, y0)
			copy(p.t, t0)
		}
		if !num.IsFinite(v) {
			tb.Errorf("point %d: L = %v, not finite", i, v)
		}
		if k := num.FirstNotFinite(p.g); k >= 0 {
			tb.Errorf("point %d: ∂L/∂y_%d = %v after Eval (not written, or not finite)", i, k, p.g[k])
		}
		if v2, _ := eval(tb, i, l, nil, p.y, p.t); math.Float64bits(v2) != math.Float64bits(v) {
			tb.Errorf("point %d: Eval without a gradient returns %v, with one %v", i, v2, v)
		}
		want := fd.Gradient(nil, func(y []float64) float64 { return l.Eval(nil, y, p.t) }, p.y,
			&fd.Settings{Formula: fd.Central})
		scale := 1 + num.MaxAbs(want)
		for k := range want {
			if !(math.Abs(p.g[k]-want[k]) <= cfg.Tol*scale) {
				tb.Errorf("point %d: ∂L/∂y_%d = %v, central difference %v (tolerance %.2g)", i, k, p.g[k], want[k], cfg.Tol*scale)
			}
		}
	}
	if tb.Failed() {
		return
	}
	var wg sync.WaitGroup
	errs := make([]string, cfg.Goroutines)
	for gr := range cfg.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := make([]float64, dim)
			for rep := range 3 {
				for j := range pts {
					i := (j + gr + rep) % len(pts)
					v := l.Eval(g, pts[i].y, pts[i].t)
					if math.Float64bits(v) != math.Float64bits(vals[i]) || !num.SameBits(g, pts[i].g) {
						errs[gr] = fmt.Sprintf("goroutine %d, point %d: concurrent calls give other bits than serial ones: does the loss write to shared memory?", gr, i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			tb.Error(e)
		}
	}
	if !tb.Failed() {
		tb.Logf("losstest: %T passed at %d points of dimension %d: finite value and gradient, gradient against central differences, %d concurrent callers",
			l, cfg.Points, dim, cfg.Goroutines)
	}
}

// eval calls l.Eval and turns a panic into a test failure.
func eval(tb testing.TB, i int, l objective.Loss, g, y, t []float64) (v float64, ok bool) {
	tb.Helper()
	defer func() {
		if r := recover(); r != nil {
			tb.Errorf("point %d: Eval panics on outputs of length %d: %v", i, len(y), r)
			ok = false
		}
	}()
	return l.Eval(g, y, t), true
}
