// This file adapts Dbdsqr from gonum.org/v1/gonum/lapack/gonum (v0.17.0),
// Copyright ©2015 The Gonum Authors. All rights reserved. It is distributed
// under Gonum's BSD-style licence, whose full text, conditions and
// disclaimer are in LICENSE.gonum beside this file.

package halfinv

import (
	"math"
	"slices"
)

// Machine constants of LAPACK's dlamch, as gonum defines them.
const (
	dlamchE = 0x1p-53
	dlamchS = 0x1p-1022
)

// Thresholds of Dlartg's unscaled branch: rtMin = √safmin = 2⁻⁵¹¹ exactly,
// rtMax = √(safmax/2), computed as gonum computes it.
const rtMin = 0x1p-511

var rtMax = math.Sqrt(1 / dlamchS / 2)

// lartg is gonum's Dlartg with its common case, both |f| and |g| strictly
// between rtMin and rtMax, written out so that the compiler inlines it: the
// same operations in the same order, hence the same bits. Every other case,
// zeros included, goes to Dlartg itself.
func lartg(f, g float64) (cs, sn, r float64) {
	f1, g1 := math.Abs(f), math.Abs(g)
	if rtMin < f1 && f1 < rtMax && rtMin < g1 && g1 < rtMax {
		d := math.Sqrt(f*f + g*g)
		r = math.Copysign(d, f)
		return f1 / d, g / r, r
	}
	return impl.Dlartg(f, g)
}

// rotKind tells how a recorded operation acts on a vector.
type rotKind uint8

const (
	opNeg  rotKind = iota // negation of entry j
	opSwap                // exchange of entries j and j2
)

// rotOp is a negation or an exchange that Dbdsqr applies to the rows of Vᵀ
// when it makes the singular values positive and sorts them.
type rotOp struct {
	kind  rotKind
	j, j2 int32
}

// sweep is one QR sweep's run of right rotations: rotation t acts on
// entries j and j+1 with j = j0 + t, or j = j0 − t for a backward sweep.
// A rotation with cosine c and sine s maps (x_j, x_{j+1}) to
// (c·x_j + s·x_{j+1}, c·x_{j+1} − s·x_j), the convention of
// Dlasr(Left, Variable) and Drot.
type sweep struct {
	j0, n    int32
	backward bool
}

// rotLog records, in order, the operations G_1, …, G_N whose product
// G_N⋯G_1 is the transpose Pᵀ of the right singular vectors of a bidiagonal
// matrix B = Q·Σ·Pᵀ: the sweeps' rotations, whose cosines and sines are
// stored in pairs in cs (16 bytes each, written in place by the sweep),
// then the negations and exchanges in fix.
type rotLog struct {
	sweeps []sweep
	cs     []float64
	fix    []rotOp
}

func (l *rotLog) reset() {
	l.sweeps, l.cs, l.fix = l.sweeps[:0], l.cs[:0], l.fix[:0]
}

// begin records a sweep of n rotations starting at entry j0 and returns the
// 2n slots for their cosines and sines, (c_t, s_t) at 2t and 2t+1. Identity
// rotations are recorded too; applyP skips them, as Dlasr does.
func (l *rotLog) begin(j0, n int, backward bool) []float64 {
	k := len(l.cs)
	l.cs = slices.Grow(l.cs, 2*n)[:k+2*n]
	l.sweeps = append(l.sweeps, sweep{j0: int32(j0), n: int32(n), backward: backward})
	return l.cs[k:]
}

// rotC applies the left rotation (cs, sn) to entries j and j+1 of c with
// Dlasr's arithmetic (Left, Variable), skipping the identity as it does.
func rotC(c []float64, j int, cs, sn float64) {
	if cs != 1 || sn != 0 {
		tmp2, tmp := c[j], c[j+1]
		c[j+1] = cs*tmp - sn*tmp2
		c[j] = sn*tmp + cs*tmp2
	}
}

// applyP overwrites x with P·x = G_1ᵀ⋯G_Nᵀ·x, applying the transposed
// operations in reverse order. This costs O(N) instead of the O(N·k) of
// accumulating Pᵀ as a k×k matrix.
func (l *rotLog) applyP(x []float64) {
	for i := len(l.fix) - 1; i >= 0; i-- {
		op := l.fix[i]
		switch op.kind {
		case opNeg:
			x[op.j] = -x[op.j]
		case opSwap:
			x[op.j], x[op.j2] = x[op.j2], x[op.j]
		}
	}
	k := len(l.cs)
	for si := len(l.sweeps) - 1; si >= 0; si-- {
		sw := l.sweeps[si]
		n := int(sw.n)
		k -= 2 * n
		rs := l.cs[k : k+2*n]
		step := 1
		if sw.backward {
			step = -1
		}
		for t := n - 1; t >= 0; t-- {
			c, s := rs[2*t], rs[2*t+1]
			if c == 1 && s == 0 {
				continue
			}
			j := int(sw.j0) + step*t
			a, b := x[j], x[j+1]
			x[j] = c*a - s*b
			x[j+1] = s*a + c*b
		}
	}
}

// bdsqrLog computes the singular values of the n×n upper bidiagonal matrix
// B with diagonal d and superdiagonal e by implicit zero-shift and shifted
// QR iterations, B = Q·Σ·Pᵀ. It overwrites d with Σ in decreasing order and
// c (length n) with Qᵀ·c, and records the right rotations in lg so that
// P·x can be formed afterwards for any x with lg.applyP.
//
// It is gonum's Dbdsqr (the algorithm of Demmel & Kahan, "Accurate singular
// values of bidiagonal matrices", SIAM J. Sci. Stat. Comput. 11 (1990), as
// implemented in LAPACK's dbdsqr) with ncvt = n, nru = 0 and ncc = 1, except
// that each operation it would apply to the rows of VT is logged instead,
// and that each sweep logs its right rotations and turns c by its left ones
// as it goes, with Dlasr's arithmetic, rather than collecting them in a
// work array for Dlasr. The sequence of rotations depends on d and e only,
// so d, e and c end bit-for-bit as gonum's Dbdsqr leaves them. The two
// rotations of a step are computed inline with Dlartg's arithmetic (see
// lartg).
func bdsqrLog(n int, d, e, c []float64, lg *rotLog) (ok bool) {
	lg.reset()
	if n == 0 {
		return true
	}
	const maxIter = 6
	if n != 1 {
		idir := 0

		eps := dlamchE
		unfl := dlamchS
		tolmul := math.Max(10, math.Min(100, math.Pow(eps, -1.0/8)))
		tol := tolmul * eps
		var smax float64
		for i := 0; i < n; i++ {
			smax = math.Max(smax, math.Abs(d[i]))
		}
		for i := 0; i < n-1; i++ {
			smax = math.Max(smax, math.Abs(e[i]))
		}

		var smin float64
		sminoa := math.Abs(d[0])
		if sminoa != 0 {
			mu := sminoa
			for i := 1; i < n; i++ {
				mu = math.Abs(d[i]) * (mu / (mu + math.Abs(e[i-1])))
				sminoa = math.Min(sminoa, mu)
				if sminoa == 0 {
					break
				}
			}
		}
		sminoa = sminoa / math.Sqrt(float64(n))
		thresh := math.Max(tol*sminoa, float64(maxIter*n*n)*unfl)
		maxIt := maxIter * n * n
		iter := 0
		oldl2 := -1
		oldm := -1
		m := n

	Outer:
		for m > 1 {
			if iter > maxIt {
				for i := 0; i < n-1; i++ {
					if e[i] != 0 {
						return false
					}
				}
				return true
			}
			smax = math.Abs(d[m-1])
			var l2 int
			var broke bool
			for l3 := 0; l3 < m-1; l3++ {
				l2 = m - l3 - 2
				abss := math.Abs(d[l2])
				abse := math.Abs(e[l2])
				if abse <= thresh {
					broke = true
					break
				}
				// math.Max without its NaN and signed-zero cases, which
				// cannot occur here: d and e are finite and abss, abse ≥ 0.
				if abss > smax {
					smax = abss
				}
				if abse > smax {
					smax = abse
				}
			}
			if broke {
				e[l2] = 0
				if l2 == m-2 {
					m--
					continue
				}
				l2++
			} else {
				l2 = 0
			}
			if l2 == m-2 {
				// Handle the 2×2 block separately.
				var sinr, cosr, sinl, cosl float64
				d[m-1], d[m-2], sinr, cosr, sinl, cosl = impl.Dlasv2(d[m-2], e[m-2], d[m-1])
				e[m-2] = 0
				rs := lg.begin(m-2, 1, false)
				rs[0], rs[1] = cosr, sinr
				a, b := c[m-2], c[m-1]
				c[m-2] = cosl*a + sinl*b
				c[m-1] = cosl*b - sinl*a
				m -= 2
				continue
			}
			if l2 > oldm-1 || m-1 < oldl2 {
				if math.Abs(d[l2]) >= math.Abs(d[m-1]) {
					idir = 1
				} else {
					idir = 2
				}
			}
			if idir == 1 {
				if math.Abs(e[m-2]) <= math.Abs(tol)*math.Abs(d[m-1]) {
					e[m-2] = 0
					continue
				}
				mu := math.Abs(d[l2])
				smin = mu
				for l3 := l2; l3 < m-1; l3++ {
					if math.Abs(e[l3]) <= tol*mu {
						e[l3] = 0
						continue Outer
					}
					mu = math.Abs(d[l3+1]) * (mu / (mu + math.Abs(e[l3])))
					smin = math.Min(smin, mu)
				}
			} else {
				if math.Abs(e[l2]) <= math.Abs(tol)*math.Abs(d[l2]) {
					e[l2] = 0
					continue
				}
				mu := math.Abs(d[m-1])
				smin = mu
				for l3 := m - 2; l3 >= l2; l3-- {
					if math.Abs(e[l3]) <= tol*mu {
						e[l3] = 0
						continue Outer
					}
					mu = math.Abs(d[l3]) * (mu / (mu + math.Abs(e[l3])))
					smin = math.Min(smin, mu)
				}
			}
			oldl2 = l2
			oldm = m
			var shift float64
			if float64(n)*tol*(smin/smax) <= math.Max(eps, (1.0/100)*tol) {
				shift = 0
			} else {
				var sl2 float64
				if idir == 1 {
					sl2 = math.Abs(d[l2])
					shift, _ = impl.Dlas2(d[m-2], e[m-2], d[m-1])
				} else {
					sl2 = math.Abs(d[m-1])
					shift, _ = impl.Dlas2(d[l2], e[l2], d[l2+1])
				}
				if sl2 > 0 {
					if (shift/sl2)*(shift/sl2) < eps {
						shift = 0
					}
				}
			}
			iter += m - l2 + 1
			if shift == 0 {
				if idir == 1 {
					cs := 1.0
					oldcs := 1.0
					var sn, r, oldsn float64
					rs := lg.begin(l2, m-1-l2, false)
					for i := l2; i < m-1; i++ {
						cs, sn, r = lartg(d[i]*cs, e[i])
						if i > l2 {
							e[i-1] = oldsn * r
						}
						oldcs, oldsn, d[i] = lartg(oldcs*r, d[i+1]*sn)
						rs[2*(i-l2)], rs[2*(i-l2)+1] = cs, sn
						rotC(c, i, oldcs, oldsn)
					}
					h := d[m-1] * cs
					d[m-1] = h * oldcs
					e[m-2] = h * oldsn
					if math.Abs(e[m-2]) < thresh {
						e[m-2] = 0
					}
				} else {
					cs := 1.0
					oldcs := 1.0
					var sn, r, oldsn float64
					rs := lg.begin(m-2, m-1-l2, true)
					for i := m - 1; i >= l2+1; i-- {
						cs, sn, r = lartg(d[i]*cs, e[i-1])
						if i < m-1 {
							e[i] = oldsn * r
						}
						oldcs, oldsn, d[i] = lartg(oldcs*r, d[i-1]*sn)
						rs[2*(m-1-i)], rs[2*(m-1-i)+1] = oldcs, -oldsn
						rotC(c, i-1, cs, -sn)
					}
					h := d[l2] * cs
					d[l2] = h * oldcs
					e[l2] = h * oldsn
					if math.Abs(e[l2]) <= thresh {
						e[l2] = 0
					}
				}
			} else {
				if idir == 1 {
					// Chase the bulge from top to bottom.
					f := (math.Abs(d[l2]) - shift) * (math.Copysign(1, d[l2]) + shift/d[l2])
					g := e[l2]
					var cosl, sinl float64
					rs := lg.begin(l2, m-1-l2, false)
					for i := l2; i < m-1; i++ {
						var cosr, sinr, r float64
						// lartg(f, g), written out: the call is the loop's main cost.
						if f1, g1 := math.Abs(f), math.Abs(g); rtMin < f1 && f1 < rtMax && rtMin < g1 && g1 < rtMax {
							dd := math.Sqrt(f*f + g*g)
							r = math.Copysign(dd, f)
							cosr, sinr = f1/dd, g/r
						} else {
							cosr, sinr, r = impl.Dlartg(f, g)
						}
						if i > l2 {
							e[i-1] = r
						}
						f = cosr*d[i] + sinr*e[i]
						e[i] = cosr*e[i] - sinr*d[i]
						g = sinr * d[i+1]
						d[i+1] *= cosr
						// lartg(f, g), written out: the call is the loop's main cost.
						if f1, g1 := math.Abs(f), math.Abs(g); rtMin < f1 && f1 < rtMax && rtMin < g1 && g1 < rtMax {
							dd := math.Sqrt(f*f + g*g)
							r = math.Copysign(dd, f)
							cosl, sinl = f1/dd, g/r
						} else {
							cosl, sinl, r = impl.Dlartg(f, g)
						}
						d[i] = r
						f = cosl*e[i] + sinl*d[i+1]
						d[i+1] = cosl*d[i+1] - sinl*e[i]
						if i < m-2 {
							g = sinl * e[i+1]
							e[i+1] = cosl * e[i+1]
						}
						rs[2*(i-l2)], rs[2*(i-l2)+1] = cosr, sinr
						rotC(c, i, cosl, sinl)
					}
					e[m-2] = f
					if math.Abs(e[m-2]) <= thresh {
						e[m-2] = 0
					}
				} else {
					// Chase the bulge from bottom to top.
					f := (math.Abs(d[m-1]) - shift) * (math.Copysign(1, d[m-1]) + shift/d[m-1])
					g := e[m-2]
					rs := lg.begin(m-2, m-1-l2, true)
					for i := m - 1; i > l2; i-- {
						var cosr, sinr, r float64
						// lartg(f, g), written out: the call is the loop's main cost.
						if f1, g1 := math.Abs(f), math.Abs(g); rtMin < f1 && f1 < rtMax && rtMin < g1 && g1 < rtMax {
							dd := math.Sqrt(f*f + g*g)
							r = math.Copysign(dd, f)
							cosr, sinr = f1/dd, g/r
						} else {
							cosr, sinr, r = impl.Dlartg(f, g)
						}
						if i < m-1 {
							e[i] = r
						}
						f = cosr*d[i] + sinr*e[i-1]
						e[i-1] = cosr*e[i-1] - sinr*d[i]
						g = sinr * d[i-1]
						d[i-1] *= cosr
						var cosl, sinl float64
						// lartg(f, g), written out: the call is the loop's main cost.
						if f1, g1 := math.Abs(f), math.Abs(g); rtMin < f1 && f1 < rtMax && rtMin < g1 && g1 < rtMax {
							dd := math.Sqrt(f*f + g*g)
							r = math.Copysign(dd, f)
							cosl, sinl = f1/dd, g/r
						} else {
							cosl, sinl, r = impl.Dlartg(f, g)
						}
						d[i] = r
						f = cosl*e[i-1] + sinl*d[i-1]
						d[i-1] = cosl*d[i-1] - sinl*e[i-1]
						if i > l2+1 {
							g = sinl * e[i-2]
							e[i-2] *= cosl
						}
						rs[2*(m-1-i)], rs[2*(m-1-i)+1] = cosl, -sinl
						rotC(c, i-1, cosr, -sinr)
					}
					e[l2] = f
					if math.Abs(e[l2]) <= thresh {
						e[l2] = 0
					}
				}
			}
		}
	}

	// Make the singular values positive.
	for i := 0; i < n; i++ {
		if d[i] < 0 {
			d[i] *= -1
			lg.fix = append(lg.fix, rotOp{kind: opNeg, j: int32(i)})
		}
	}
	// Sort them in decreasing order.
	for i := 0; i < n-1; i++ {
		isub := 0
		smin := d[0]
		for j := 1; j < n-i; j++ {
			if d[j] <= smin {
				isub = j
				smin = d[j]
			}
		}
		if isub != n-i {
			d[isub] = d[n-i-1]
			d[n-i-1] = smin
			lg.fix = append(lg.fix, rotOp{kind: opSwap, j: int32(isub), j2: int32(n - i - 1)})
			c[isub], c[n-i-1] = c[n-i-1], c[isub]
		}
	}
	for i := 0; i < n-1; i++ {
		if e[i] != 0 {
			return false
		}
	}
	return true
}
