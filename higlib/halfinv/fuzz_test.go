package halfinv_test

import (
	"errors"
	"fmt"
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

// fuzzProblem is one decoded fuzz input: J = 2^ej·J₀ and g = 2^eg·g₀, both
// exact, so that the unit-scale J₀, g₀ say what the answer at scale must be.
type fuzzProblem struct {
	m, n   int
	j, j0  *mat.Dense
	g, g0  []float64
	ej, eg int
	p      halfinv.Params
}

// decodeProblem turns fuzz bytes into an m×n J (0 ≤ m, n ≤ 6), g, and Params.
// Each entry is one byte: 255 is NaN, 254 is +Inf, others map to (b−127)/16,
// so that zeros, repeats and rank deficiency are frequent; J₀ and g₀ hold
// these, and J and g are them times the powers of two 2^ej and 2^eg, with ej
// and eg from −1024 to 1016 in steps of 8, which reaches from subnormal
// entries (down to 2^−1028) to entries near the largest float64 (2^1019).
// Multiplying numbers of 7 significant bits by those powers is exact.
func decodeProblem(data []byte) (fp fuzzProblem, ok bool) {
	if len(data) < 7 {
		return fp, false
	}
	m, n := int(data[0])%7, int(data[1])%7
	taus := []float64{0, 1e-12, 1e-6, 1e-3, 0.1, 0.5, 1, 2}
	fp = fuzzProblem{
		m: m, n: n,
		ej: (int(data[5]) - 128) * 8,
		eg: (int(data[6]) - 128) * 8,
		p: halfinv.Params{
			Kappa: float64(data[2]) / 255,
			Tau:   taus[int(data[3])%len(taus)],
			Mode:  halfinv.Mode(data[4] & 1),
		},
	}
	data = data[7:]
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
		return float64(int(b)-127) / 16
	}
	if m == 0 || n == 0 {
		fp.j, fp.j0 = emptyDense(m, n), emptyDense(m, n)
	} else {
		fp.j, fp.j0 = mat.NewDense(m, n, nil), mat.NewDense(m, n, nil)
		for r := range m {
			for c := range n {
				v := next()
				fp.j0.Set(r, c, v)
				fp.j.Set(r, c, math.Ldexp(v, fp.ej))
			}
		}
	}
	fp.g, fp.g0 = make([]float64, m), make([]float64, m)
	for i := range m {
		fp.g0[i] = next()
		fp.g[i] = math.Ldexp(fp.g0[i], fp.eg)
	}
	return fp, true
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

// FuzzSolve checks Solve and Reference on 2^ej·J₀ and 2^eg·g₀ against the
// unit-scale product J₀^(−κ)·g₀ (by Reference) times 2^(eg−ej·κ): both must
// return it within fuzzTol, or ErrOverflow when it or σ₁ is beyond the
// float64 range; an empty J is ErrEmpty and NaN or Inf is ErrNotFinite,
// with dst untouched on every error.
func FuzzSolve(f *testing.F) {
	f.Add([]byte{1, 1, 128, 2, 0, 128, 128, 200, 100, 50, 20, 140, 160, 9, 77, 130})
	f.Add([]byte{5, 2, 255, 0, 1, 128, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte{2, 5, 0, 4, 1, 128, 128, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127})
	f.Add([]byte{3, 3, 64, 3, 0, 0, 128, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{2, 2, 200, 5, 1, 188, 128, 130, 120, 110, 140, 254, 3, 4})
	f.Add([]byte{4, 3, 128, 3, 0, 255, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{3, 4, 255, 2, 1, 0, 0, 130, 120, 110, 140, 100, 90, 200, 3, 4, 60, 70, 80, 90, 100})
	f.Add([]byte{0, 3, 128, 2, 0, 128, 128})
	f.Add([]byte{4, 0, 128, 2, 0, 128, 128, 1, 2, 3, 4})
	var s halfinv.Solver
	f.Fuzz(func(t *testing.T, data []byte) {
		fp, ok := decodeProblem(data)
		if !ok {
			return
		}
		m, n, p := fp.m, fp.n, fp.p
		type result struct {
			name string
			dst  []float64
			sv   []float64
			err  error
		}
		var res [2]result
		res[0] = result{name: "Reference", dst: filled(n, 7)}
		res[0].sv, res[0].err = halfinv.Reference(res[0].dst, fp.j, fp.g, p)
		res[1] = result{name: "Solve", dst: filled(n, 7)}
		res[1].sv, res[1].err = s.Solve(res[1].dst, fp.j, fp.g, p)
		tag := fmt.Sprintf("J₀=%v·2^%d g₀=%v·2^%d %+v", mat.Formatted(fp.j0), fp.ej, fp.g0, fp.eg, p)
		// wantErr checks that r failed with target and left dst alone.
		wantErr := func(r result, target error) {
			if !errors.Is(r.err, target) {
				t.Fatalf("%s: %s error %v, want %v", tag, r.name, r.err, target)
			}
			for _, x := range r.dst {
				if x != 7 {
					t.Fatalf("%s: %s modified dst on error: %v", tag, r.name, r.dst)
				}
			}
		}
		switch {
		case m == 0 || n == 0:
			wantErr(res[0], halfinv.ErrEmpty)
			wantErr(res[1], halfinv.ErrEmpty)
			return
		case !allFinite(fp.g) || !allFinite(fp.j.RawMatrix().Data):
			wantErr(res[0], halfinv.ErrNotFinite)
			wantErr(res[1], halfinv.ErrNotFinite)
			return
		}
		for _, r := range res {
			if r.err == nil && len(r.sv) != min(m, n) {
				t.Fatalf("%s: %s returned %d singular values, want %d", tag, r.name, len(r.sv), min(m, n))
			}
		}
		// The unit-scale problem: entries below 8 in magnitude.
		w0 := make([]float64, n)
		sv0, err := halfinv.Reference(w0, fp.j0, fp.g0, p)
		phiMax, posed := 0.0, false
		if err == nil {
			phiMax, posed = wellPosed(sv0, p)
		}
		shift := float64(fp.eg) - float64(fp.ej)*p.Kappa
		// Overflow is decided in log₂, leaving out a band of 1/64 around
		// the threshold where rounding may go either way.
		const band = 1.0 / 64
		var lsig, lres float64
		if posed {
			lsig = math.Log2(sv0[0]) + float64(fp.ej)
			lres = math.Log2(floats.Norm(w0, math.Inf(1))) + shift
		}
		if !posed || math.Abs(lsig-1024) < band || math.Abs(lres-1024) < band {
			// Ill-posed or on the edge: any answer is fine as long as it
			// is finite or ErrOverflow.
			for _, r := range res {
				if r.err != nil {
					wantErr(r, halfinv.ErrOverflow)
				} else if !allFinite(r.dst) {
					t.Fatalf("%s: %s returned %v", tag, r.name, r.dst)
				}
			}
			return
		}
		if lsig > 1024 || lres > 1024 {
			wantErr(res[0], halfinv.ErrOverflow)
			wantErr(res[1], halfinv.ErrOverflow)
			return
		}
		// Compared at unit scale, where a result that is subnormal at
		// scale, and so holds few bits, gets the slack of its spacing.
		bound := fuzzTol * phiMax * floats.Norm(fp.g0, 2)
		slack := pow2(subnormalSlack, -shift)
		svBound := svTol * sv0[0]
		svSlack := math.Ldexp(subnormalSlack, -fp.ej)
		for _, r := range res {
			if r.err != nil {
				t.Fatalf("%s: %s: %v", tag, r.name, r.err)
			}
			for i, x := range r.dst {
				if d := math.Abs(pow2(x, -shift) - w0[i]); !(d <= bound+slack) {
					t.Fatalf("%s: %s = %v, want %v·2^%v (error %.3g > %.3g at unit scale)", tag, r.name, r.dst, w0, shift, d, bound+slack)
				}
			}
			for i, x := range r.sv {
				if d := math.Abs(math.Ldexp(x, -fp.ej) - sv0[i]); !(d <= svBound+svSlack) {
					t.Fatalf("%s: %s σ = %v, want %v·2^%d", tag, r.name, r.sv, sv0, fp.ej)
				}
			}
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
