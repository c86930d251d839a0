//go:build !amd64 || purego

package gemm

// useAsm is always false without the amd64 assembly.
var useAsm = false

const hasAsm = false

func microKernel() kernelFunc { return kernelGo }
