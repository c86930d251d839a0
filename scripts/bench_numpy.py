#!/usr/bin/env python3
"""Times the half-inverse product V·diag(s^-1/2)·Uᵀ·g in numpy, the way a
Python user would write it (thin SVD from LAPACK, then two products), at the
shapes of BenchmarkHalfInverse, for comparison with the Go Solver.

Not part of the tests. Needs numpy (Debian: python3-numpy; with
libopenblas0-pthread installed, numpy's BLAS/LAPACK is OpenBLAS). Run with
`make bench-numpy` or /usr/bin/python3 scripts/bench_numpy.py.
"""
import time

import numpy as np

SHAPES = [(512, 30), (2048, 30), (512, 2956)]
TAU, KAPPA = 1e-6, 0.5


def half_inverse(j, g):
    u, s, vt = np.linalg.svd(j, full_matrices=False)
    phi = np.where(s > TAU * s[0], s ** -KAPPA, 0.0)
    return vt.T @ (phi * (u.T @ g))


def main():
    rng = np.random.default_rng(1)
    try:
        from threadpoolctl import threadpool_info  # optional

        print("BLAS:", [(i["internal_api"], i["num_threads"]) for i in threadpool_info()])
    except ImportError:
        print("numpy", np.__version__, "(threadpoolctl not installed: BLAS library not shown)")
    for m, n in SHAPES:
        j = rng.standard_normal((m, n))
        g = rng.standard_normal(m)
        half_inverse(j, g)  # warm-up
        reps = 3 if m * n > 1_000_000 else 50
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            half_inverse(j, g)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"numpy half-inverse {m}x{n}: median {times[len(times) // 2] * 1e3:.3f} ms over {reps} runs")


if __name__ == "__main__":
    main()
