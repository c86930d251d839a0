// Package num holds small numeric checks shared by the higlib packages.
package num

import "math"

// Finite reports whether every element of x is neither NaN nor ±Inf.
func Finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// IsFinite reports whether v is neither NaN nor ±Inf.
func IsFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// FirstNotFinite returns the index of the first NaN or ±Inf in x, or −1.
func FirstNotFinite(x []float64) int {
	for i, v := range x {
		if !IsFinite(v) {
			return i
		}
	}
	return -1
}

// MaxAbs returns max |x_i|, or 0 for an empty x.
func MaxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// SameBits reports whether a and b hold the same float64 bit patterns: the
// project's "same seed, same bits" comparison (it tells −0 from +0 and
// treats equal NaNs as equal).
func SameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// Filled returns a slice of n copies of v (e.g. NaN, to see which entries
// a function fails to write).
func Filled(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}
