//go:build amd64 && !purego

package gemm

// useAsm selects the AVX2/FMA micro-kernel. It is true when the CPU and the
// operating system support AVX2 and FMA; tests set it to false to exercise
// the pure-Go kernel.
var useAsm = hasAsm

// hasAsm records whether the CPU can run the assembly kernel.
var hasAsm = hasAVX2FMA()

// kernelAVX2 is kernelGo in AVX2/FMA assembly: the 6×8 tile lives in twelve
// YMM registers, each step p loads two vectors of B, broadcasts six elements
// of A and issues twelve fused multiply-adds; the tile is then written back
// as α·s (β = 0) or fma(α, s, β·c). c points at the tile's first element and
// ldc is in elements.
//
//go:noescape
func kernelAVX2(kc int, a, b, c *float64, ldc int, alpha, beta float64)

// kernelAVX2A is kernelAVX2 reading the MR rows of A in place, row i at
// a + i·lda (lda in elements), instead of from a packed panel.
//
//go:noescape
func kernelAVX2A(kc int, a *float64, lda int, b, c *float64, ldc int, alpha, beta float64)

// cpuid and xgetbv are the x86 instructions of the same names.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether AVX2 and FMA instructions may be used: the CPU
// has them (CPUID leaf 1 ECX bit 12 for FMA, leaf 7 EBX bit 5 for AVX2) and
// the operating system saves the YMM registers (OSXSAVE, then XCR0 bits 1
// and 2), as Intel's Software Developer's Manual, Vol. 1, Sec. 14.3,
// prescribes.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// microKernel returns the micro-kernel in use.
func microKernel() func(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	if useAsm {
		return kernelAsm
	}
	return kernelGo
}

// directKernel returns the micro-kernel that reads A in place, or nil when
// there is none (the pure-Go kernel always reads packed panels).
func directKernel() func(kc int, a []float64, lda int, bp, c []float64, ldc int, alpha, beta float64) {
	if useAsm {
		return kernelAsmA
	}
	return nil
}

// kernelAsmA adapts kernelAVX2A, checking the bounds that the assembly
// relies on.
func kernelAsmA(kc int, a []float64, lda int, bp, c []float64, ldc int, alpha, beta float64) {
	_ = a[(MR-1)*lda+kc-1]
	_ = bp[kc*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernelAVX2A(kc, &a[0], lda, &bp[0], &c[0], ldc, alpha, beta)
}

// kernelAsm adapts kernelAVX2 to kernelGo's signature, checking the bounds
// that the assembly relies on.
func kernelAsm(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	_ = ap[kc*MR-1]
	_ = bp[kc*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernelAVX2(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}
