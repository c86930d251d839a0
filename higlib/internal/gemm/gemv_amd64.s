//go:build amd64 && !purego

#include "textflag.h"

// REDUCE stores (l0+l2)+(l1+l3) of the four lanes of Y, as dotGo combines
// them, to off(DX). X5 is scratch.
#define REDUCE(Y, X, off) \
	VEXTRACTF128 $1, Y, X5; \
	VADDPD       X5, X, X;  \
	VHADDPD      X, X, X;   \
	VMOVSD       X, off(DX)

// func dotRows4(n int, a *float64, lda int, x *float64, s *[4]float64)
TEXT ·dotRows4(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), R8
	SHLQ   $3, R8
	MOVQ   x+24(FP), DI
	MOVQ   s+32(FP), DX
	LEAQ   (SI)(R8*1), R9
	LEAQ   (SI)(R8*2), R10
	LEAQ   (R9)(R8*2), R11
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX
	SHRQ   $2, CX

dotloop:
	VMOVUPD     (DI)(AX*8), Y4
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VFMADD231PD (R9)(AX*8), Y4, Y1
	VFMADD231PD (R10)(AX*8), Y4, Y2
	VFMADD231PD (R11)(AX*8), Y4, Y3
	ADDQ        $4, AX
	DECQ        CX
	JNZ         dotloop

	REDUCE(Y0, X0, 0)
	REDUCE(Y1, X1, 8)
	REDUCE(Y2, X2, 16)
	REDUCE(Y3, X3, 24)
	VZEROUPPER
	RET

// AXPY4 updates the four elements of y at off(DI)(AX*8) with the four rows.
#define AXPY4(off) \
	VMOVUPD     off(DI)(AX*8), Y4;        \
	VFMADD231PD off(SI)(AX*8), Y0, Y4;    \
	VFMADD231PD off(R9)(AX*8), Y1, Y4;    \
	VFMADD231PD off(R10)(AX*8), Y2, Y4;   \
	VFMADD231PD off(R11)(AX*8), Y3, Y4;   \
	VMOVUPD     Y4, off(DI)(AX*8)

// func axpyRows4(n int, a *float64, lda int, x *[4]float64, y *float64)
TEXT ·axpyRows4(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         a+8(FP), SI
	MOVQ         lda+16(FP), R8
	SHLQ         $3, R8
	MOVQ         x+24(FP), BX
	MOVQ         y+32(FP), DI
	LEAQ         (SI)(R8*1), R9
	LEAQ         (SI)(R8*2), R10
	LEAQ         (R9)(R8*2), R11
	VBROADCASTSD (BX), Y0
	VBROADCASTSD 8(BX), Y1
	VBROADCASTSD 16(BX), Y2
	VBROADCASTSD 24(BX), Y3
	XORQ         AX, AX
	MOVQ         CX, DX
	SHRQ         $3, CX
	JZ           tail

axpyloop:
	AXPY4(0)
	AXPY4(32)
	ADDQ $8, AX
	DECQ CX
	JNZ  axpyloop

tail:
	TESTQ $4, DX
	JZ    done
	AXPY4(0)

done:
	VZEROUPPER
	RET

// GER4 updates the four elements at off(row)(AX*8) of each row.
#define GER4(off) \
	VMOVUPD     off(DI)(AX*8), Y4;      \
	VMOVUPD     off(SI)(AX*8), Y5;      \
	VFMADD231PD Y4, Y0, Y5;             \
	VMOVUPD     Y5, off(SI)(AX*8);      \
	VMOVUPD     off(R9)(AX*8), Y6;      \
	VFMADD231PD Y4, Y1, Y6;             \
	VMOVUPD     Y6, off(R9)(AX*8);      \
	VMOVUPD     off(R10)(AX*8), Y7;     \
	VFMADD231PD Y4, Y2, Y7;             \
	VMOVUPD     Y7, off(R10)(AX*8);     \
	VMOVUPD     off(R11)(AX*8), Y8;     \
	VFMADD231PD Y4, Y3, Y8;             \
	VMOVUPD     Y8, off(R11)(AX*8)

// func gerRows4(n int, a *float64, lda int, x *[4]float64, y *float64)
TEXT ·gerRows4(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         a+8(FP), SI
	MOVQ         lda+16(FP), R8
	SHLQ         $3, R8
	MOVQ         x+24(FP), BX
	MOVQ         y+32(FP), DI
	LEAQ         (SI)(R8*1), R9
	LEAQ         (SI)(R8*2), R10
	LEAQ         (R9)(R8*2), R11
	VBROADCASTSD (BX), Y0
	VBROADCASTSD 8(BX), Y1
	VBROADCASTSD 16(BX), Y2
	VBROADCASTSD 24(BX), Y3
	XORQ         AX, AX
	MOVQ         CX, DX
	SHRQ         $3, CX
	JZ           gertail

gerloop:
	GER4(0)
	GER4(32)
	ADDQ $8, AX
	DECQ CX
	JNZ  gerloop

gertail:
	TESTQ $4, DX
	JZ    gerdone
	GER4(0)

gerdone:
	VZEROUPPER
	RET
