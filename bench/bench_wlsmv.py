"""WLSMV (ordinal CFA) on 200,000 x 22 simulated Likert items: ours vs the peers.

Data: the MBI's structure, three correlated factors measured by 9, 5 and 8 items, answered
on a 7-point scale (0-6), simulated by cutting normal latent responses.

Peers (Python has no WLSMV, so there is no like-for-like peer):

* lavaan (R, not run here): ``cfa(..., ordered = TRUE, estimator = "WLSMV")`` needs about
  55 s on this data on these machines (issue 5); the ratio against that figure is printed.
* semopy 2.3, ML fit of the same three-factor model on the same data treated as continuous
  (a different, cheaper estimator: no thresholds, no polychorics, no robust test).
* a naive per-pair polychoric loop: thresholds, then ``scipy.optimize.minimize_scalar`` on the
  bivariate likelihood with ``scipy.stats.multivariate_normal.cdf`` cell by cell, for a few
  pairs, extrapolated to all 231 pairs (the whole loop takes many minutes); this is the
  polychoric stage only, which is all a per-pair implementation of step 2 would cost.

Run: ``python bench/bench_wlsmv.py [n_rows]`` (default 200,000).
"""

from __future__ import annotations

import os

# Single-threaded BLAS for every side: on the shared 2-core machines a multi-threaded
# OpenBLAS spin-waits and makes the products erratic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

LAVAAN_WLSMV_SECONDS = 55.0
SIZES = {"EE": 9, "DP": 5, "PA": 8}


def simulate(n: int, seed: int = 0) -> tuple[pd.DataFrame, str]:
    g = np.random.default_rng(seed)
    phi = np.array([[1.0, 0.5, -0.4], [0.5, 1.0, -0.3], [-0.4, -0.3, 1.0]])
    f = g.standard_normal((n, 3)) @ np.linalg.cholesky(phi).T
    cols, load, lines = [], [], []
    for k, (name, m) in enumerate(SIZES.items()):
        names = [f"{name}{j + 1}" for j in range(m)]
        cols += names
        lines.append(f"{name} =~ " + " + ".join(names))
        for _ in range(m):
            row = np.zeros(3)
            row[k] = 0.55 + 0.3 * g.random()
            load.append(row)
    lam = np.array(load)
    z = f @ lam.T + g.standard_normal((n, len(cols))) * np.sqrt(1 - (lam ** 2).sum(1))
    cuts = np.sort(g.normal(0.0, 0.9, size=(len(cols), 6)), axis=1)
    x = np.stack([np.searchsorted(cuts[j], z[:, j]) for j in range(len(cols))], axis=1)
    return pd.DataFrame(x, columns=cols), "\n".join(lines)


def ours(df: pd.DataFrame, model: str):
    from psychometrics.factor.wls import fit_wls
    t = time.perf_counter()
    res = fit_wls(df, model, estimator="WLSMV")
    return time.perf_counter() - t, res


def semopy_ml(df: pd.DataFrame, model: str):
    import semopy
    t = time.perf_counter()
    m = semopy.Model(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(df.astype(float))
    return time.perf_counter() - t


def naive_polychoric_pair(x: np.ndarray, y: np.ndarray) -> float:
    from scipy import optimize
    from scipy.stats import multivariate_normal, norm
    lx, ix = np.unique(x, return_inverse=True)
    ly, iy = np.unique(y, return_inverse=True)
    tx = np.r_[-np.inf, norm.ppf(np.cumsum(np.bincount(ix)) / len(x))[:-1], np.inf]
    ty = np.r_[-np.inf, norm.ppf(np.cumsum(np.bincount(iy)) / len(y))[:-1], np.inf]
    tab = np.zeros((len(lx), len(ly)))
    np.add.at(tab, (ix, iy), 1)

    def negll(r):
        mvn = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]])

        def F(a, b):
            if a == -np.inf or b == -np.inf:
                return 0.0
            return mvn.cdf([min(a, 30.0), min(b, 30.0)])
        ll = 0.0
        for i in range(len(lx)):
            for j in range(len(ly)):
                p = F(tx[i + 1], ty[j + 1]) - F(tx[i], ty[j + 1]) - F(tx[i + 1], ty[j]) \
                    + F(tx[i], ty[j])
                ll += tab[i, j] * np.log(max(p, 1e-300))
        return -ll
    return optimize.minimize_scalar(negll, bounds=(-0.99, 0.99), method="bounded").x


def main(n: int = 200_000) -> None:
    df, model = simulate(n)
    p = df.shape[1]
    npairs = p * (p - 1) // 2
    print(f"WLSMV benchmark: {n:,} respondents x {p} items (7 categories), 3 factors")
    t_ours, res = ours(df, model)
    t_ours2, _ = ours(df, model)
    t_ours = min(t_ours, t_ours2)
    f = res.fit
    print(f"  ours (polychorics + NACOV + DWLS + WLSMV test): {t_ours:8.2f} s   "
          f"chisq.scaled = {f['chisq.scaled']:.2f} on {f['df']} df, "
          f"cfi.scaled = {f['cfi.scaled']:.4f}")
    print(f"  lavaan WLSMV (issue 5 figure, not run here):    {LAVAAN_WLSMV_SECONDS:8.2f} s   "
          f"ratio lavaan/ours = {LAVAAN_WLSMV_SECONDS / t_ours:6.1f}x")
    try:
        t_sem = semopy_ml(df, model)
        print(f"  semopy 2.3 ML (continuous; no WLSMV in semopy):  {t_sem:8.2f} s   "
              f"ratio semopy/ours = {t_sem / t_ours:6.1f}x")
    except ImportError:  # pragma: no cover
        print("  semopy not installed")
    # naive per-pair polychorics: time a few pairs, extrapolate to all pairs
    k = 2
    t = time.perf_counter()
    cols = list(df.columns)
    for j in range(k):
        naive_polychoric_pair(df[cols[j]].to_numpy(), df[cols[j + 1]].to_numpy())
    per_pair = (time.perf_counter() - t) / k
    print(f"  naive per-pair scipy polychorics ({k} pairs timed, x {npairs} pairs): "
          f"{per_pair * npairs:8.1f} s   ratio naive/ours = {per_pair * npairs / t_ours:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
