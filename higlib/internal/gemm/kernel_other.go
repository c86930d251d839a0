//go:build !amd64 || purego

package gemm

// useAsm is always false without the amd64 assembly.
var useAsm = false

const hasAsm = false

func microKernel() func(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	return kernelGo
}

func directKernel() func(kc int, a []float64, lda int, bp, c []float64, ldc int, alpha, beta float64) {
	return nil
}
