package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestChooseKernel checks the kernel picked for descriptions of Intel and
// AMD processors as CPUID reports them.
func TestChooseKernel(t *testing.T) {
	for _, c := range []struct {
		name string
		cpu  CPU
		want Kernel
	}{
		{"Intel Haswell", CPU{"GenuineIntel", 6, 0x3f, true, false}, KernelAVX2},
		{"Intel Skylake-SP", CPU{"GenuineIntel", 6, 0x55, true, true}, KernelAVX512},
		{"Intel Sapphire Rapids", CPU{"GenuineIntel", 6, 0x8f, true, true}, KernelAVX512},
		{"Intel without AVX2", CPU{"GenuineIntel", 6, 0x2a, false, false}, KernelGo},
		{"AMD Zen 3 (EPYC 7003)", CPU{"AuthenticAMD", 25, 1, true, false}, KernelAVX2},
		{"AMD Zen 4 (EPYC 9004)", CPU{"AuthenticAMD", 25, 0x11, true, true}, KernelAVX2},
		{"AMD Zen 5 (EPYC 9005)", CPU{"AuthenticAMD", 26, 2, true, true}, KernelAVX512},
		{"AMD Zen 5, OS without ZMM state", CPU{"AuthenticAMD", 26, 2, true, false}, KernelAVX2},
		{"AMD Zen 2", CPU{"AuthenticAMD", 23, 0x31, true, false}, KernelAVX2},
		{"unknown vendor, AVX-512", CPU{"", 0, 0, true, true}, KernelAVX512},
	} {
		if got := ChooseKernel(c.cpu); got != c.want {
			t.Errorf("%s (%v): %v, want %v", c.name, c.cpu, got, c.want)
		}
	}
}

// TestWideKernelSameBits checks that the AVX-512 kernel for pairs of column
// panels gives the bits of the AVX2 kernel, for shapes with odd and even
// numbers of panels, partial row and column panels, operands packed and
// read in place, and every β case.
func TestWideKernelSameBits(t *testing.T) {
	if !useWide {
		t.Skipf("ChooseKernel does not pick the AVX-512 kernel on this CPU (%v)", host)
	}
	defer func() { useWide = true }()
	for _, sh := range [][3]int{{6, 16, 1}, {6, 16, 300}, {7, 24, 5}, {13, 33, 257}, {72, 64, 40}, {73, 200, 513}, {48, 2100, 20}, {150, 17, 64}} {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, ab := range scalars[:5] {
					c := gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: ab[0], beta: ab[1], padA: 1, padB: 3, padC: 2}
					res := func(wide bool) []float64 {
						useWide = wide
						var w Workspace
						a, lda, b, ldb, cm, ldc := c.operands(rand.New(rand.NewPCG(21, 22)))
						w.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
						return cm
					}
					narrow, wide := res(false), res(true)
					for i := range narrow {
						if math.Float64bits(narrow[i]) != math.Float64bits(wide[i]) {
							t.Fatalf("%v: C[%d] = %v with the AVX-512 kernel, %v with AVX2", c, i, wide[i], narrow[i])
						}
					}
				}
			}
		}
	}
}
