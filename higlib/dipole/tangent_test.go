package dipole_test

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/higlab/hig/higlib/dipole"
)

// denseLU is an LU factorisation with partial pivoting of a dense complex
// matrix, written for this test independently of the package's Thomas
// solver.
type denseLU struct {
	n   int
	a   []complex128 // L (unit, below) and U, row-major
	piv []int
}

func factorLU(a []complex128, n int) denseLU {
	f := denseLU{n: n, a: append([]complex128(nil), a...), piv: make([]int, n)}
	for k := range n {
		p := k
		for i := k + 1; i < n; i++ {
			if cmplx.Abs(f.a[i*n+k]) > cmplx.Abs(f.a[p*n+k]) {
				p = i
			}
		}
		f.piv[k] = p
		if p != k {
			for j := range n {
				f.a[k*n+j], f.a[p*n+j] = f.a[p*n+j], f.a[k*n+j]
			}
		}
		for i := k + 1; i < n; i++ {
			l := f.a[i*n+k] / f.a[k*n+k]
			f.a[i*n+k] = l
			for j := k + 1; j < n; j++ {
				f.a[i*n+j] -= l * f.a[k*n+j]
			}
		}
	}
	return f
}

// solve overwrites b with A⁻¹b.
func (f denseLU) solve(b []complex128) {
	n := f.n
	for k := range n {
		if p := f.piv[k]; p != k {
			b[k], b[p] = b[p], b[k]
		}
	}
	for i := range n {
		for j := range i {
			b[i] -= f.a[i*n+j] * b[j]
		}
	}
	for i := n - 1; i >= 0; i-- {
		for j := i + 1; j < n; j++ {
			b[i] -= f.a[i*n+j] * b[j]
		}
		b[i] /= f.a[i*n+i]
	}
}

// cnMatrices returns A = I + i·DT/2·H and B = I − i·DT/2·H for the control
// u, dense, with H = tridiag(−1, 2, −1)/Δx² + u·diag(x_j) assembled from
// the well's public grid.
func cnMatrices(w *dipole.Well, u float64) (a, b []complex128) {
	n := w.N()
	h := make([]float64, n*n)
	dx2 := w.DX() * w.DX()
	for j := range n {
		h[j*n+j] = 2/dx2 + u*w.X(j+1)
		if j > 0 {
			h[j*n+j-1] = -1 / dx2
			h[(j-1)*n+j] = -1 / dx2
		}
	}
	a, b = make([]complex128, n*n), make([]complex128, n*n)
	for i := range n {
		for j := range n {
			var id float64
			if i == j {
				id = 1
			}
			a[i*n+j] = complex(id, w.DT()/2*h[i*n+j])
			b[i*n+j] = complex(id, -w.DT()/2*h[i*n+j])
		}
	}
	return a, b
}

func matVec(dst, m, v []complex128) {
	n := len(v)
	for i := range n {
		var s complex128
		for j := range n {
			s += m[i*n+j] * v[j]
		}
		dst[i] = s
	}
}

// tangentJacobian simulates from the ground state with dense solves and
// carries the forward-mode tangents ∂ψⁿ/∂u_k of every control along,
// differentiating A_n ψⁿ⁺¹ = B_n ψⁿ:
//
//	∂ψⁿ⁺¹/∂u_k = A_n⁻¹ (B_n ∂ψⁿ/∂u_k + δ_{kn} q_n),  q_n = −i·DT/2·X(ψⁿ + ψⁿ⁺¹).
//
// It returns ψ(T) and the Jacobian in Eval's layout (2N × Steps, real parts
// of ψ first). It shares nothing with the package but the public grid.
func tangentJacobian(w *dipole.Well, u []float64) (y, jac []float64) {
	n, K := w.N(), w.Steps()
	g := w.Eigenstate(nil, 1)
	psi := make([]complex128, n)
	for j := range n {
		psi[j] = complex(g[j], 0)
	}
	tan := make([]complex128, K*n) // tangent of u_k at tan[k·n:(k+1)·n]
	next, tmp := make([]complex128, n), make([]complex128, n)
	for s, us := range u {
		a, b := cnMatrices(w, us)
		lu := factorLU(a, n)
		matVec(next, b, psi)
		lu.solve(next)
		for k := range s {
			d := tan[k*n : (k+1)*n]
			matVec(tmp, b, d)
			lu.solve(tmp)
			copy(d, tmp)
		}
		d := tan[s*n : (s+1)*n]
		for j := range n {
			d[j] = complex(0, -w.DT()/2*w.X(j+1)) * (psi[j] + next[j])
		}
		lu.solve(d)
		psi, next = next, psi
	}
	y = make([]float64, 2*n)
	jac = make([]float64, 2*n*K)
	for j := range n {
		y[j], y[n+j] = real(psi[j]), imag(psi[j])
		for k := range K {
			jac[j*K+k] = real(tan[k*n+j])
			jac[(n+j)*K+k] = imag(tan[k*n+j])
		}
	}
	return y, jac
}

// TestTangentAgainstAdjoint compares the adjoint Jacobian of Eval with the
// forward-mode tangents of tangentJacobian, which use dense LU solves with
// pivoting instead of the Thomas algorithm and propagate forward in time
// instead of backward. Both are exact derivatives of the same discrete
// scheme, so they agree to rounding: the largest difference measured
// ≈ 1e-15 relative to 1 + max|J| (see -v), and the tolerance 1e-12 is far
// below any error of the derivation (e.g. a wrong sign in q_n or a missing
// ψⁿ⁺¹ term changes entries by O(|J|)).
func TestTangentAgainstAdjoint(t *testing.T) {
	for _, tc := range []struct {
		cfg   dipole.Config
		scale float64
	}{
		{dipole.Config{}, 1},
		{dipole.Config{}, 20},
		{dipole.Config{N: 6, Steps: 50, DT: 0.2}, 3},
	} {
		w := mustNew(t, tc.cfg)
		_, nz, ny := w.Dims()
		rng := rand.New(rand.NewPCG(21, uint64(nz)))
		u := make([]float64, nz)
		for i := range u {
			u[i] = tc.scale * rng.NormFloat64()
		}
		y, jac := make([]float64, ny), make([]float64, ny*nz)
		w.NewEvaluator().Eval(y, jac, nil, u)
		ty, tjac := tangentJacobian(w, u)
		var dy, dj, big float64
		for i := range y {
			dy = max(dy, math.Abs(y[i]-ty[i]))
		}
		for i := range jac {
			dj = max(dj, math.Abs(jac[i]-tjac[i]))
			big = max(big, math.Abs(tjac[i]))
		}
		t.Logf("%+v, controls of scale %g: max|J| = %.3g, |y − y_dense| ≤ %.2g, |J_adjoint − J_tangent| ≤ %.2g", tc.cfg, tc.scale, big, dy, dj)
		if dy > 1e-12 {
			t.Errorf("%+v: Eval's ψ(T) differs from the dense simulation by %.3g", tc.cfg, dy)
		}
		if dj > 1e-12*(1+big) {
			t.Errorf("%+v: adjoint and tangent Jacobians differ by %.3g (max|J| = %.3g)", tc.cfg, dj, big)
		}
		if big < 1e-3 {
			t.Errorf("%+v: max|J| = %.3g: the check compares next to nothing", tc.cfg, big)
		}
	}
}
