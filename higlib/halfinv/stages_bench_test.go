package halfinv

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStages times the stages of Solve at the oscillator experiment's
// wide shape, to show where a step's time goes: the blocked LQ of J
// (level-3 updates in package gemm, panels in gonum's Dgelq2), the blocked
// bidiagonalisation of the k×k factor (gonum's Dlabrd panels, level-3
// updates in gemm), and the bidiagonal QR iterations (bdsqrLog).
func BenchmarkStages(b *testing.B) {
	const m, n = 512, 2956
	rnd := rand.New(rand.NewPCG(1, 2))
	j := make([]float64, m*n)
	for i := range j {
		j[i] = rnd.NormFloat64()
	}
	var s Solver
	s.reserve(m, n)
	a := s.a[:m*n]
	kk := s.k[:m*m]
	// As in Solve, the stages run with the stretch's helper on two
	// processors; each stage takes it itself, so its time includes the
	// helper's wake-up, which Solve pays once.
	lq := func() {
		if s.holdForAll() {
			defer s.pool.stretch.End()
		}
		copy(a, j)
		s.gelqf(m, n, a, s.tau)
	}
	lq()
	factor := make([]float64, m*m)
	for i := range m {
		copy(factor[i*m:i*m+i+1], a[i*n:i*n+i+1])
	}
	brd := func() {
		if s.holdForAll() {
			defer s.pool.stretch.End()
		}
		copy(kk, factor)
		s.gebrd(m, kk, s.d[:m], s.e[:m-1], s.tauQ, s.tauP, s.c[:m])
	}
	brd()
	d := append([]float64(nil), s.d[:m]...)
	e := append([]float64(nil), s.e[:m-1]...)
	c := make([]float64, m)
	b.Run("lq", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lq()
		}
	})
	b.Run("bidiag", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			brd()
		}
	})
	qr := func() {
		copy(s.d[:m], d)
		copy(s.e[:m-1], e)
		clear(c)
		c[0] = 1
		if !bdsqrLog(m, s.d[:m], s.e[:m-1], c, &s.log) {
			b.Fatal("bdsqrLog did not converge")
		}
	}
	qr() // grows the rotation log once, as a Solver in steady state has
	b.Run("bdsqr", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			qr()
		}
	})
}
