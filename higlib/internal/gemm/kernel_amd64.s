//go:build amd64 && !purego

#include "textflag.h"

// STEP does one step p of the 6×8 product. Row i of the A panel is at
// SI + i·R10 (i < 3) and R12 + (i−3)·R10 (i ≥ 3); the eight elements of row
// p of the B panel are at DI. It loads them into Y12, Y13, broadcasts each
// a_ip in turn and accumulates acc_i += a_ip·b_p in (Y(2i), Y(2i+1)), then
// moves SI and R12 on by R13 and DI by R11.
#define STEP \
	VMOVUPD      (DI), Y12;          \
	VMOVUPD      32(DI), Y13;        \
	VBROADCASTSD (SI), Y14;          \
	VFMADD231PD  Y12, Y14, Y0;       \
	VFMADD231PD  Y13, Y14, Y1;       \
	VBROADCASTSD (SI)(R10*1), Y15;   \
	VFMADD231PD  Y12, Y15, Y2;       \
	VFMADD231PD  Y13, Y15, Y3;       \
	VBROADCASTSD (SI)(R10*2), Y14;   \
	VFMADD231PD  Y12, Y14, Y4;       \
	VFMADD231PD  Y13, Y14, Y5;       \
	VBROADCASTSD (R12), Y15;         \
	VFMADD231PD  Y12, Y15, Y6;       \
	VFMADD231PD  Y13, Y15, Y7;       \
	VBROADCASTSD (R12)(R10*1), Y14;  \
	VFMADD231PD  Y12, Y14, Y8;       \
	VFMADD231PD  Y13, Y14, Y9;       \
	VBROADCASTSD (R12)(R10*2), Y15;  \
	VFMADD231PD  Y12, Y15, Y10;      \
	VFMADD231PD  Y13, Y15, Y11;      \
	ADDQ         R13, SI;            \
	ADDQ         R13, R12;           \
	ADDQ         R11, DI

// STORE0 writes row (lo, hi) as α·acc (β = 0): C is not read.
#define STORE0(lo, hi) \
	VMULPD  lo, Y14, lo;   \
	VMOVUPD lo, (DX);      \
	VMULPD  hi, Y14, hi;   \
	VMOVUPD hi, 32(DX);    \
	ADDQ    R8, DX

// STORE writes row (lo, hi) as fma(α, acc, β·c).
#define STORE(lo, hi) \
	VMULPD      (DX), Y15, Y12;   \
	VFMADD231PD Y14, lo, Y12;     \
	VMOVUPD     Y12, (DX);        \
	VMULPD      32(DX), Y15, Y13; \
	VFMADD231PD Y14, hi, Y13;     \
	VMOVUPD     Y13, 32(DX);      \
	ADDQ        R8, DX

// func kernelAVX2(kc int, a *float64, rsA, csA int, b *float64, rsB int, c *float64, ldc int, alpha, beta float64)
TEXT ·kernelAVX2(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R10
	SHLQ $3, R10
	MOVQ csA+24(FP), R13
	SHLQ $3, R13
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12
	MOVQ b+32(FP), DI
	MOVQ rsB+40(FP), R11
	SHLQ $3, R11
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $3, R8

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	STEP
	STEP
	STEP
	STEP
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP
	DECQ CX
	JNZ  loop1

store:
	VBROADCASTSD alpha+64(FP), Y14
	MOVSD        beta+72(FP), X15
	XORPD        X13, X13
	UCOMISD      X13, X15
	JNE          general
	JP           general

	STORE0(Y0, Y1)
	STORE0(Y2, Y3)
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	VZEROUPPER
	RET

general:
	VBROADCASTSD beta+72(FP), Y15
	STORE(Y0, Y1)
	STORE(Y2, Y3)
	STORE(Y4, Y5)
	STORE(Y6, Y7)
	STORE(Y8, Y9)
	STORE(Y10, Y11)
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
