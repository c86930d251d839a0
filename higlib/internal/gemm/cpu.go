package gemm

import "fmt"

// CPU describes a processor as far as the choice of micro-kernel depends on
// it: the vendor and family that CPUID reports and which vector extensions
// the processor and the operating system together make usable.
type CPU struct {
	Vendor  string // CPUID leaf 0: "GenuineIntel", "AuthenticAMD", …
	Family  int    // display family: base family plus extended family
	Model   int    // display model: extended model · 16 + base model
	AVX2FMA bool   // AVX2 and FMA usable (YMM state saved by the OS)
	AVX512F bool   // AVX-512 Foundation usable (ZMM and mask state saved)
}

func (c CPU) String() string {
	return fmt.Sprintf("%s family %d model %d (AVX2+FMA %v, AVX-512F %v)", c.Vendor, c.Family, c.Model, c.AVX2FMA, c.AVX512F)
}

// Kernel names a micro-kernel of the blocked product.
type Kernel int

const (
	// KernelGo is the pure-Go 6×8 kernel.
	KernelGo Kernel = iota
	// KernelAVX2 is the 6×8 AVX2/FMA kernel: twelve YMM accumulators.
	KernelAVX2
	// KernelAVX512 computes two adjacent 6×8 tiles at once with the
	// AVX-512 kernel (twelve ZMM accumulators), the rest with KernelAVX2.
	KernelAVX512
)

func (k Kernel) String() string {
	switch k {
	case KernelAVX2:
		return "avx2"
	case KernelAVX512:
		return "avx512"
	}
	return "go"
}

// ChooseKernel returns the micro-kernel for c. AVX-512 doubles the work of
// each instruction where the processor executes 512-bit operations at full
// width: on this project's AMD EPYC host of family 26 (Zen 5) it reached
// 93.6 GFLOP/s on one core against the AVX2 kernel's 55 (OpenBLAS's AVX-512
// kernels likewise beat its AVX2 ones there, 98.5 against 59), and Intel's
// AVX-512 server parts have 512-bit fused multiply-add units too.
// AMD's family 25 (Zen 3, which lacks AVX-512, and Zen 4) executes a 512-bit
// operation as two 256-bit halves, so it gains no arithmetic rate there and
// keeps the AVX2 kernel that was measured on it. Since both kernels apply the
// same fused multiply-adds to every element in the same order, the choice
// never changes a result.
func ChooseKernel(c CPU) Kernel {
	switch {
	case !c.AVX2FMA:
		return KernelGo
	case c.AVX512F && !(c.Vendor == "AuthenticAMD" && c.Family < 26):
		return KernelAVX512
	}
	return KernelAVX2
}
