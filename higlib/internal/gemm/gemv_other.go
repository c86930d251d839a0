//go:build !amd64 || purego

package gemm

const useGemvAsm = false

func dotRows4(n int, a *float64, lda int, x *float64, s *[4]float64) {
	panic("gemm: no assembly")
}

func axpyRows4(n int, a *float64, lda int, x *[4]float64, y *float64) {
	panic("gemm: no assembly")
}

func setGemvAsm(bool) {}

func gerRows4(n int, a *float64, lda int, x *[4]float64, y *float64) {
	panic("gemm: no assembly")
}
