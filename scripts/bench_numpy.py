#!/usr/bin/env python3
"""Times the half-inverse product V·diag(s^-1/2)·Uᵀ·g in numpy, the way a
Python user would write it (thin SVD from LAPACK, then two products), at the
shapes of BenchmarkHalfInverse, for comparison with the Go Solver. Beside it,
the QR-first path that a careful user (and the Go Solver) takes: factor the
long side away first (J = Q·R for tall J, Jᵀ = Q·R for wide J), then take the
SVD of the small square factor only. First it names the BLAS (OpenBLAS's
build and the kernel set it chose for this CPU) and times a 1000×1000
matrix product, for comparison with BenchmarkDgemm.

Not part of the tests. Needs numpy (Debian: python3-numpy; with
libopenblas0-pthread installed, numpy's BLAS/LAPACK is OpenBLAS). Run with
`make bench-numpy` or /usr/bin/python3 scripts/bench_numpy.py.
"""
import ctypes
import time

import numpy as np

SHAPES = [(512, 30), (2048, 30), (512, 2956)]
TAU, KAPPA = 1e-6, 0.5


def half_inverse(j, g):
    u, s, vt = np.linalg.svd(j, full_matrices=False)
    phi = np.where(s > TAU * s[0], s ** -KAPPA, 0.0)
    return vt.T @ (phi * (u.T @ g))


def half_inverse_qr(j, g):
    m, n = j.shape
    if m >= n:
        # J = Q·R, R = U_R·Σ·Vᵀ: Uᵀ·g = U_Rᵀ·(Qᵀ·g), V = V_R.
        q, r = np.linalg.qr(j)
        u, s, vt = np.linalg.svd(r)
        phi = np.where(s > TAU * s[0], s ** -KAPPA, 0.0)
        return vt.T @ (phi * (u.T @ (q.T @ g)))
    # Jᵀ = Q·R, so J = Rᵀ·Qᵀ; Rᵀ = U·Σ·W ᵀ gives J = U·Σ·(Q·W)ᵀ.
    q, r = np.linalg.qr(j.T)
    u, s, wt = np.linalg.svd(r.T)
    phi = np.where(s > TAU * s[0], s ** -KAPPA, 0.0)
    return q @ (wt.T @ (phi * (u.T @ g)))


def median_min_ms(f, j, g, reps):
    f(j, g)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f(j, g)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3, times[0] * 1e3


def openblas():
    """Names the OpenBLAS build and the kernel set it chose for this CPU
    (OPENBLAS_CORETYPE overrides the choice), if numpy's BLAS is OpenBLAS."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        name, config = lib.openblas_get_corename, lib.openblas_get_config
    except (OSError, AttributeError):
        return "not OpenBLAS (or not found as libblas.so.3)"
    name.restype = config.restype = ctypes.c_char_p
    return f"{config().decode()}; core {name().decode()}; {lib.openblas_get_num_threads()} threads"


def gemm_gflops(n, reps):
    """The best rate of reps products of two n×n matrices (2n³ flops each)."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    c = a @ b  # warm-up
    best = min(timed(lambda: np.matmul(a, b, out=c)) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main():
    rng = np.random.default_rng(1)
    blas = openblas()
    print("numpy", np.__version__, "BLAS:", blas)
    try:
        flags = next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split()
    except (OSError, StopIteration):
        flags = []
    if "avx512f" in flags and "core SkylakeX" not in blas and "core Cooperlake" not in blas and "core SapphireRapids" not in blas:
        print("note: this CPU has AVX-512, which this OpenBLAS does not use for it;"
              " OPENBLAS_CORETYPE=SkylakeX selects its AVX-512 kernels")
    print(f"numpy matmul 1000x1000: {gemm_gflops(1000, 20):.1f} GFLOP/s (best of 20)")
    for m, n in SHAPES:
        j = rng.standard_normal((m, n))
        g = rng.standard_normal(m)
        a, b = half_inverse(j, g), half_inverse_qr(j, g)
        assert np.allclose(a, b, rtol=1e-8, atol=1e-8 * np.abs(a).max()), "the two paths disagree"
        reps = 9 if m * n > 1_000_000 else 50
        for name, f in (("svd", half_inverse), ("qr-first", half_inverse_qr)):
            med, low = median_min_ms(f, j, g, reps)
            print(f"numpy half-inverse {m}x{n} {name}: median {med:.3f} ms, min {low:.3f} ms over {reps} runs")


if __name__ == "__main__":
    main()
