"""Counts of cases and controls per distinct score, the candidate cut-offs, and the same counts
for a whole batch of stratified bootstrap resamples at once.

Every ROC statistic here is a function of these counts, so :mod:`.curve` and :mod:`.optimal`
evaluate the observed data and all resamples with the same code, never with a loop per
resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import resample

__all__ = ["Counts", "tp_fp", "midpoints", "cutoff_labels", "class_batches", "auc_boot",
           "boot_counts", "curve_points", "BATCH_ELEMENTS"]

#: Values per bootstrap batch ((cases + controls) x resamples x the caller's ``width``): 4M
#: int64 indices are 32 MB, a bound on the memory of one batch (the project's choice) that still
#: leaves each batch large enough to vectorise over many resamples.
BATCH_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class Counts:
    """Distinct oriented scores u (ascending) and the cases/controls at each."""

    u: np.ndarray
    code: np.ndarray        # per respondent, index into u
    cases: np.ndarray
    controls: np.ndarray

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray) -> Counts:
        u, code = np.unique(s, return_inverse=True)
        return cls(u, code, np.bincount(code[y], minlength=u.size),
                   np.bincount(code[~y], minlength=u.size))


def tp_fp(case_counts: np.ndarray, ctrl_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positives per candidate along the last axis: levels u_0..u_{K-1} then 'no one'."""
    def tail(c):  # number with s >= u_k; a trailing 0 for the +inf candidate
        r = np.cumsum(c[..., ::-1], axis=-1)[..., ::-1]
        return np.concatenate([r, np.zeros(r.shape[:-1] + (1,), dtype=r.dtype)], axis=-1)
    return tail(case_counts), tail(ctrl_counts)


def midpoints(u: np.ndarray) -> np.ndarray:
    """pROC's thresholds: -inf, midpoints of adjacent distinct values, +inf."""
    with np.errstate(over="ignore"):
        mid = (u[:-1] + u[1:]) / 2
        bad = ~np.isfinite(mid)
        mid[bad] = u[:-1][bad] / 2 + u[1:][bad] / 2  # no overflow for huge scores
    return np.concatenate([[-np.inf], mid, [np.inf]])


def cutoff_labels(u: np.ndarray, direction: str, thresholds: str) -> np.ndarray:
    """Cut-off labels (original score scale) of the candidates of oriented levels u, +inf."""
    lab = np.concatenate([u, [np.inf]]) if thresholds == "observed" else midpoints(u)
    return lab if direction == ">=" else -lab


def class_batches(n1: int, n0: int, n_boot: int, seed, width: int = 1):
    """Stratified resamples as (case rows, control rows) index matrices, in batches.

    Cases and controls are drawn separately by :func:`psychometrics.resample.bootstrap_indices`
    from one seeded Generator: the same scheme as ``bootstrap_indices(strata=criterion)``
    (pROC's ``stratified = TRUE``), without interleaving the two classes into one matrix,
    which on 10,000 respondents costs more than the AUC itself. Batches hold about
    :data:`BATCH_ELEMENTS` values so that memory is bounded and reused; ``width`` is how many
    arrays of that size the caller builds per resample (counts, curve points), so a batch
    holds fewer resamples when each costs more.
    """
    # one resampling engine: resample.class_batches draws them (and drives the progress bar)
    yield from resample.class_batches(n1, n0, n_boot, seed=seed, width=width,
                                      max_elements=BATCH_ELEMENTS)


def auc_boot(code1: np.ndarray, code0: np.ndarray, k: int, i1: np.ndarray, i0: np.ndarray):
    """AUC of each resample from cumulative control counts per distinct value."""
    b = i1.shape[0]
    off = np.arange(b, dtype=np.int64)[:, None] * (k + 1)
    keys = code0[i0]
    keys += off + 1
    # cz[r, l] = number of controls of resample r with a value below level l
    cz = np.bincount(keys.ravel(), minlength=b * (k + 1)).reshape(b, k + 1)
    np.cumsum(cz, axis=1, out=cz)
    kc = code1[i1]
    kc += off
    flat = cz.ravel()
    # twice a case's placement = #controls below + #controls at or below
    return (flat[kc].sum(axis=1) + flat[kc + 1].sum(axis=1)) / (2.0 * i1.shape[1] * i0.shape[1])


def boot_counts(code1: np.ndarray, code0: np.ndarray, k: int, i1: np.ndarray, i0: np.ndarray):
    """Cases and controls per distinct value, one row per resample."""
    b = i1.shape[0]
    off = np.arange(b, dtype=np.int64)[:, None] * k
    c = np.bincount((off + code1[i1]).ravel(), minlength=b * k).reshape(b, k)
    d = np.bincount((off + code0[i0]).ravel(), minlength=b * k).reshape(b, k)
    return c, d


def curve_points(c: np.ndarray, d: np.ndarray):
    """Specificity (ascending) and sensitivity of the candidates of each row of counts."""
    tp, fp = tp_fp(c, d)
    n1, n0 = tp[..., :1], fp[..., :1]
    return 1 - fp / n0, tp / n1

