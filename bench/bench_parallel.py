"""Parallel analysis: ours vs a naive factor_analyzer loop (as psych::fa.parallel works).

The peer simulates ``n_iter`` normal data sets of the data's size, correlates each, takes the
component eigenvalues and fits a one-factor minres model with factor_analyzer to get the
factor eigenvalues (what psych does per iteration). Ours draws the simulated correlation
matrices from their Wishart distribution and fits all one-factor models in one batch.

Run: ``python bench/bench_parallel.py [n_rows] [n_items]`` (default 200,000 x 22, the size
in issue 5, where psych::fa.parallel needs about 9 s).
"""

from __future__ import annotations

import os

# Single-threaded BLAS for both sides: on the shared 2-core machines a multi-threaded
# OpenBLAS spin-waits and makes tall-skinny products 10-50x slower and erratic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def _patch_factor_analyzer():
    # factor_analyzer 0.5.1 passes force_all_finite, removed in scikit-learn 1.8
    import factor_analyzer.factor_analyzer as fa_mod
    orig = fa_mod.check_array

    def check_array(*args, force_all_finite=None, **kw):
        if force_all_finite is not None:
            kw["ensure_all_finite"] = force_all_finite
        return orig(*args, **kw)
    fa_mod.check_array = check_array
    return fa_mod.FactorAnalyzer


def simulate(n, p, seed=0):
    g = np.random.default_rng(seed)
    f = g.standard_normal((n, 3))
    load = np.zeros((p, 3))
    for j in range(p):
        load[j, j % 3] = 0.6
    x = f @ load.T + 0.8 * g.standard_normal((n, p))
    return np.clip(np.round(x * 1.2 + 3.5), 1, 6)   # 6-point Likert items


def peer(x, n_iter=20, seed=0):
    FactorAnalyzer = _patch_factor_analyzer()
    g = np.random.default_rng(seed)
    n, p = x.shape
    r = np.corrcoef(x, rowvar=False)
    fa = FactorAnalyzer(n_factors=1, method="minres", rotation=None, is_corr_matrix=True)
    fa.fit(r)
    fa_obs, pc_obs = fa.get_eigenvalues()[1], np.linalg.eigvalsh(r)[::-1]
    fa_sim, pc_sim = [], []
    for _ in range(n_iter):
        c = np.corrcoef(g.standard_normal((n, p)), rowvar=False)
        pc_sim.append(np.linalg.eigvalsh(c)[::-1])
        fa = FactorAnalyzer(n_factors=1, method="minres", rotation=None, is_corr_matrix=True)
        fa.fit(c)
        fa_sim.append(fa.get_eigenvalues()[1])
    fa_sim, pc_sim = np.mean(fa_sim, axis=0), np.mean(pc_sim, axis=0)

    def lead(o, s):
        a = o > s
        return int(len(o) if a.all() else np.argmin(a))
    return lead(fa_obs, fa_sim), lead(pc_obs, pc_sim)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 22
    from psychometrics.factor.parallel import parallel_analysis
    x = simulate(n, p)
    parallel_analysis(x[:500], seed=0)            # warm up imports
    t = time.perf_counter()
    ours = parallel_analysis(x, seed=1)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = peer(x, seed=1)
    t_peer = time.perf_counter() - t
    print(f"parallel analysis, {n} x {p}, 20 simulations")
    print(f"  ours                  {t_ours:8.3f} s  factors/components {ours.n_factors}/{ours.n_components}")
    print(f"  factor_analyzer loop  {t_peer:8.3f} s  factors/components {theirs[0]}/{theirs[1]}")
    print(f"  ratio peer/ours       {t_peer / t_ours:8.1f}x   (psych::fa.parallel: ~9 s on this size)")


if __name__ == "__main__":
    main()
