//go:build !amd64 || purego

package gemm

// useAsm is always false without the amd64 assembly.
var useAsm = false

const hasAsm = false

func microKernel() kernelFunc { return kernelGo }

func wideKernel() wideFunc { return nil }

// useWide is always false without the amd64 assembly.
var useWide = false

// host is not read from CPUID without the amd64 assembly.
var host CPU
