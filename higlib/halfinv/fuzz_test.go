package halfinv_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/higlab/hig/higlib/halfinv"
)

// Fuzz tolerances. A product is compared only when every singular value that
// gets a nonzero factor is at least minKept·σ_max and every singular value is
// at least gapTol·σ_max away from the threshold; the forward error is then
// about ε/minKept relative to φ_max·‖g‖ (≈ 1e-10), and fuzzTol leaves a
// margin of 1e4 over that.
const (
	minKept = 1e-6
	gapTol  = 1e-6
	fuzzTol = 1e-6
)

// decodeProblem turns fuzz bytes into an m×n J (m, n ≤ 6), g, and Params. Each
// entry is one byte: 255 is NaN, 254 is +Inf, others map to (b−127)/16 times a
// common power-of-two scale, so that zeros, repeats and rank deficiency are
// frequent.
func decodeProblem(data []byte) (j *mat.Dense, g []float64, p halfinv.Params, ok bool) {
	if len(data) < 6 {
		return nil, nil, p, false
	}
	m, n := 1+int(data[0])%6, 1+int(data[1])%6
	taus := []float64{0, 1e-12, 1e-6, 1e-3, 0.1, 0.5, 1, 2}
	p = halfinv.Params{
		Kappa: float64(data[2]) / 255,
		Tau:   taus[int(data[3])%len(taus)],
		Mode:  halfinv.Mode(data[4] & 1),
	}
	scale := math.Ldexp(1, int(data[5])%61-30)
	data = data[6:]
	next := func() float64 {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		switch b {
		case 255:
			return math.NaN()
		case 254:
			return math.Inf(1)
		}
		return float64(int(b)-127) / 16 * scale
	}
	j = mat.NewDense(m, n, nil)
	for r := range m {
		for c := range n {
			j.Set(r, c, next())
		}
	}
	g = make([]float64, m)
	for i := range g {
		g[i] = next()
	}
	return j, g, p, true
}

// wellPosed reports whether the product is determined by J to working
// accuracy, and returns φ_max, the largest factor applied.
func wellPosed(sv []float64, p halfinv.Params) (phiMax float64, ok bool) {
	smax := sv[0]
	if smax == 0 {
		return 0, true
	}
	thr := p.Tau * smax
	for _, s := range sv {
		f := p.Factor(s, smax)
		if f != 0 && s < minKept*smax {
			return 0, false // a rounding-noise singular pair would be used
		}
		if math.Abs(s-thr) < gapTol*smax {
			return 0, false // too close to the threshold to decide
		}
		phiMax = math.Max(phiMax, f)
	}
	return phiMax, true
}

func FuzzSolve(f *testing.F) {
	f.Add([]byte{1, 1, 128, 2, 0, 30, 200, 100, 50, 20, 140, 160, 9, 77, 130})
	f.Add([]byte{5, 2, 255, 0, 1, 30, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte{2, 5, 0, 4, 1, 30, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127})
	f.Add([]byte{3, 3, 64, 3, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{2, 2, 200, 5, 1, 60, 130, 120, 110, 140, 254, 3, 4})
	var s halfinv.Solver
	f.Fuzz(func(t *testing.T, data []byte) {
		j, g, p, ok := decodeProblem(data)
		if !ok {
			return
		}
		m, n := j.Dims()
		want := make([]float64, n)
		got := make([]float64, n)
		for i := range got {
			got[i] = 7
		}
		wsv, werr := halfinv.Reference(want, j, g, p)
		gsv, gerr := s.Solve(got, j, g, p)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Reference error %v, Solve error %v", werr, gerr)
		}
		finiteIn := allFinite(g) && allFinite(j.RawMatrix().Data)
		if gerr != nil {
			if finiteIn {
				t.Fatalf("Solve failed on finite input: %v", gerr)
			}
			if !errors.Is(gerr, halfinv.ErrNotFinite) {
				t.Fatalf("error %v, want ErrNotFinite", gerr)
			}
			for _, x := range got {
				if x != 7 {
					t.Fatalf("dst modified on error: %v", got)
				}
			}
			return
		}
		if len(gsv) != min(m, n) {
			t.Fatalf("%d singular values, want %d", len(gsv), min(m, n))
		}
		// Overflow of huge σ^(−κ)·g is possible in principle but not at
		// these scales, so the result must be finite.
		for _, x := range got {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("non-finite result %v for finite input", got)
			}
		}
		phiMax, ok := wellPosed(wsv, p)
		if !ok {
			return
		}
		d := make([]float64, n)
		floats.SubTo(d, got, want)
		if e := floats.Norm(d, 2); e > fuzzTol*(phiMax*floats.Norm(g, 2)+tiny) {
			t.Fatalf("J=%v g=%v %+v: Solve %v, Reference %v (error %.3g)", mat.Formatted(j), g, p, got, want, e)
		}
	})
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
