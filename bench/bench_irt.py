"""IRT fits on 5,000 x 22 simulated items: ours vs the PyPI ``mirt`` package.

Data (seeded): 5,000 respondents, 22 items, answers 0-4 drawn from a logistic graded
response model (discriminations 0.8-2.5, ordered thresholds); the Rasch data are the same
answers cut at 2 (0/1).

Fits timed (best of 3 for ours, one run for the peer):

* Rasch model and partial credit model: ours by conditional ML (eRm's estimator, with SEs);
  mirt's ``1PL``/``PCM`` by marginal ML (EM, with SEs). Different estimators of the same
  models: the closest peer that runs here (eRm, the CML reference, is R).
* Graded response model: ours (EM, 61 Gauss-Hermite nodes, Louis SEs) vs mirt ``GRM``
  (EM, 61 nodes, Oakes SEs): the same estimator; the log-likelihoods are printed to show
  both reach the same maximum.

Run: ``python bench/bench_irt.py [n_rows]`` (``pip install mirt``, Python >= 3.11, for the
peer column; without it the peer prints as nan).
"""

from __future__ import annotations

import os

# single-threaded BLAS on the shared 2-core machines (a spinning multi-threaded OpenBLAS
# makes every timing erratic); the same for both sides
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from _timing import best_of  # noqa: E402


def simulate(n: int, seed: int = 0):
    import psychometrics as pm

    g = np.random.default_rng(seed)
    a = g.uniform(0.8, 2.5, 22)
    b = np.sort(g.normal(0.0, 1.0, (22, 4)), axis=1) + np.array([-0.6, -0.2, 0.2, 0.6])
    return pm.simulate_grm(a, b, n, seed=seed + 1)


def peer(X, model: str):
    """(seconds, loglik) of one mirt fit, or (nan, nan) without mirt."""
    try:
        import mirt
    except ImportError:  # pragma: no cover
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = mirt.fit_mirt(X.to_numpy(), model=model, n_quadpts=61)
        return time.perf_counter() - t0, float(res.log_likelihood)


def main(n: int = 5000) -> None:
    import psychometrics as pm

    X = simulate(n)
    B = (X >= 2).astype(int)
    print(f"{n} x {X.shape[1]} items; ours best of 3, mirt one run")
    rows = [
        ("Rasch", lambda: pm.rasch(B), B, "1PL", "CML vs MML"),
        ("PCM", lambda: pm.pcm(X), X, "PCM", "CML vs MML"),
        ("GRM", lambda: pm.grm(X), X, "GRM", "MML vs MML"),
    ]
    for label, fit, data, mirt_model, note in rows:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = best_of(fit, repeat=3)
            res = fit()
        theirs, ll = peer(data, mirt_model)
        extra = (f"   loglik ours {res.loglik:.3f} mirt {ll:.3f}" if label == "GRM" else "")
        ratio = theirs / ours if theirs == theirs else float("nan")
        print(f"{label:<6} ours {ours:7.3f} s   mirt {theirs:7.3f} s   mirt/ours {ratio:6.1f}x"
              f"   ({note}){extra}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
