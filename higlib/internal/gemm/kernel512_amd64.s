//go:build amd64 && !purego

#include "textflag.h"

// STEP16 does one step p of the 6×16 product: two adjacent 6×8 tiles that
// share the A panel. Row i of the A panel is at SI + i·R10 (i < 3) and
// R12 + (i−3)·R10 (i ≥ 3); row p of the first B panel is at DI, of the
// second at BX, eight elements each. Each a_ip is broadcast in turn and
// accumulated as acc_i += a_ip·b_p in (Z(2i), Z(2i+1)); then SI and R12 move
// on by R13, DI and BX by R11. Each element sees the same fused multiply-add
// in the same order as in kernelAVX2.
#define STEP16 \
	VMOVUPD      (DI), Z12;          \
	VMOVUPD      (BX), Z13;          \
	VBROADCASTSD (SI), Z14;          \
	VFMADD231PD  Z12, Z14, Z0;       \
	VFMADD231PD  Z13, Z14, Z1;       \
	VBROADCASTSD (SI)(R10*1), Z15;   \
	VFMADD231PD  Z12, Z15, Z2;       \
	VFMADD231PD  Z13, Z15, Z3;       \
	VBROADCASTSD (SI)(R10*2), Z14;   \
	VFMADD231PD  Z12, Z14, Z4;       \
	VFMADD231PD  Z13, Z14, Z5;       \
	VBROADCASTSD (R12), Z15;         \
	VFMADD231PD  Z12, Z15, Z6;       \
	VFMADD231PD  Z13, Z15, Z7;       \
	VBROADCASTSD (R12)(R10*1), Z14;  \
	VFMADD231PD  Z12, Z14, Z8;       \
	VFMADD231PD  Z13, Z14, Z9;       \
	VBROADCASTSD (R12)(R10*2), Z15;  \
	VFMADD231PD  Z12, Z15, Z10;      \
	VFMADD231PD  Z13, Z15, Z11;      \
	ADDQ         R13, SI;            \
	ADDQ         R13, R12;           \
	ADDQ         R11, DI;            \
	ADDQ         R11, BX

// STORE16Z writes row (lo, hi) as α·acc (β = 0): C is not read.
#define STORE16Z(lo, hi) \
	VMULPD  lo, Z14, lo;   \
	VMOVUPD lo, (DX);      \
	VMULPD  hi, Z14, hi;   \
	VMOVUPD hi, 64(DX);    \
	ADDQ    R8, DX

// STORE16 writes row (lo, hi) as fma(α, acc, β·c).
#define STORE16(lo, hi) \
	VMULPD      (DX), Z15, Z12;   \
	VFMADD231PD Z14, lo, Z12;     \
	VMOVUPD     Z12, (DX);        \
	VMULPD      64(DX), Z15, Z13; \
	VFMADD231PD Z14, hi, Z13;     \
	VMOVUPD     Z13, 64(DX);      \
	ADDQ        R8, DX

// func kernelAVX512(kc int, a *float64, rsA, csA int, b1, b2 *float64, rsB int, c *float64, ldc int, alpha, beta float64)
TEXT ·kernelAVX512(SB), NOSPLIT, $0-88
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R10
	SHLQ $3, R10
	MOVQ csA+24(FP), R13
	SHLQ $3, R13
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12
	MOVQ b1+32(FP), DI
	MOVQ b2+40(FP), BX
	MOVQ rsB+48(FP), R11
	SHLQ $3, R11
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	SHLQ $3, R8

	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	STEP16
	STEP16
	STEP16
	STEP16
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP16
	DECQ CX
	JNZ  loop1

store:
	VBROADCASTSD alpha+72(FP), Z14
	MOVSD        beta+80(FP), X15
	XORPD        X13, X13
	UCOMISD      X13, X15
	JNE          general
	JP           general

	STORE16Z(Z0, Z1)
	STORE16Z(Z2, Z3)
	STORE16Z(Z4, Z5)
	STORE16Z(Z6, Z7)
	STORE16Z(Z8, Z9)
	STORE16Z(Z10, Z11)
	VZEROUPPER
	RET

general:
	VBROADCASTSD beta+80(FP), Z15
	STORE16(Z0, Z1)
	STORE16(Z2, Z3)
	STORE16(Z4, Z5)
	STORE16(Z6, Z7)
	STORE16(Z8, Z9)
	STORE16(Z10, Z11)
	VZEROUPPER
	RET
