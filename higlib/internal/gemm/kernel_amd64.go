//go:build amd64 && !purego

package gemm

// useAsm selects the AVX2/FMA micro-kernel. It is true when the CPU and the
// operating system support AVX2 and FMA; tests set it to false to exercise
// the pure-Go kernel.
var useAsm = hasAsm

// hasAsm records whether the CPU can run the assembly kernel.
var hasAsm = hasAVX2FMA()

// kernelAVX2 is kernelGo in AVX2/FMA assembly: the 6×8 tile lives in twelve
// YMM registers; each step p loads the eight elements of row p of B,
// broadcasts the six a_ip in turn and issues twelve fused multiply-adds; the
// tile is then written back as α·s (β = 0) or fma(α, s, β·c). Strides are in
// elements, as for kernelGo.
//
//go:noescape
func kernelAVX2(kc int, a *float64, rsA, csA int, b *float64, rsB int, c *float64, ldc int, alpha, beta float64)

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
func microKernel() kernelFunc {
	if useAsm {
		return kernelAsm
	}
	return kernelGo
}

// kernelAsm adapts kernelAVX2 to kernelFunc, checking the bounds that the
// assembly relies on.
func kernelAsm(kc int, a []float64, rsA, csA int, b []float64, rsB int, c []float64, ldc int, alpha, beta float64) {
	_ = a[(MR-1)*rsA+(kc-1)*csA]
	_ = b[(kc-1)*rsB+NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernelAVX2(kc, &a[0], rsA, csA, &b[0], rsB, &c[0], ldc, alpha, beta)
}
