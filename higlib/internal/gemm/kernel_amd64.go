//go:build amd64 && !purego

package gemm

// useAsm selects the AVX2/FMA micro-kernel. It is true when the CPU and the
// operating system support AVX2 and FMA; tests set it to false to exercise
// the pure-Go kernel.
var useAsm = hasAsm

// hasAsm records whether the CPU can run the assembly kernel.
var hasAsm = hasAVX2FMA()

// host is this machine's processor, and useWide selects the 6×16 AVX-512
// kernel for pairs of full column panels when ChooseKernel picks it; tests
// set it to false to compare the two kernels.
var (
	host    = hostCPU()
	useWide = ChooseKernel(host) == KernelAVX512
)

// kernelAVX512 is two adjacent kernelAVX2 tiles in one pass over the A
// panel: row p of the two B panels (at b1 and b2, stride rsB) is loaded into
// two ZMM registers, each a_ip is broadcast once, and twelve ZMM
// accumulators receive the same fused multiply-adds, in the same order, as
// the YMM ones of two kernelAVX2 calls; the store is the same too.
//
//go:noescape
func kernelAVX512(kc int, a *float64, rsA, csA int, b1, b2 *float64, rsB int, c *float64, ldc int, alpha, beta float64)

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

// hostCPU reads this processor's description from CPUID (vendor, family,
// model as Intel's Software Developer's Manual, Vol. 2A, CPUID, describes
// the display family and model) and whether the operating system saves the
// ZMM and opmask registers (XCR0 bits 5–7) besides the YMM ones.
func hostCPU() CPU {
	maxID, ebx, ecx, edx := cpuid(0, 0)
	var v [12]byte
	for i, r := range [3]uint32{ebx, edx, ecx} {
		v[4*i], v[4*i+1], v[4*i+2], v[4*i+3] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24)
	}
	c := CPU{Vendor: string(v[:]), AVX2FMA: hasAVX2FMA()}
	if maxID < 1 {
		return c
	}
	eax1, _, _, _ := cpuid(1, 0)
	fam, model := int(eax1>>8&0xf), int(eax1>>4&0xf)
	if fam == 0xf {
		fam += int(eax1 >> 20 & 0xff)
	}
	if fam == 0x6 || fam >= 0xf {
		model += int(eax1>>16&0xf) << 4
	}
	c.Family, c.Model = fam, model
	if c.AVX2FMA && maxID >= 7 {
		_, ebx7, _, _ := cpuid(7, 0)
		xcr0, _ := xgetbv()
		c.AVX512F = ebx7&(1<<16) != 0 && xcr0&0xe6 == 0xe6
	}
	return c
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

// wideKernel returns the 6×16 kernel, or nil when ChooseKernel did not pick
// it for this CPU or the assembly is off.
func wideKernel() wideFunc {
	if useAsm && useWide {
		return kernelWideAsm
	}
	return nil
}

// kernelWideAsm adapts kernelAVX512 to wideFunc, checking the bounds that the
// assembly relies on.
func kernelWideAsm(kc int, a []float64, rsA, csA int, b1, b2 []float64, rsB int, c []float64, ldc int, alpha, beta float64) {
	_ = a[(MR-1)*rsA+(kc-1)*csA]
	_ = b1[(kc-1)*rsB+NR-1]
	_ = b2[(kc-1)*rsB+NR-1]
	_ = c[(MR-1)*ldc+2*NR-1]
	kernelAVX512(kc, &a[0], rsA, csA, &b1[0], &b2[0], rsB, &c[0], ldc, alpha, beta)
}
