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

__all__ = ["Counts", "tp_fp", "midpoints", "cutoff_labels", "class_count_batches", "auc_counts",
           "curve_points", "BATCH_ELEMENTS"]

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


def class_count_batches(cnt: Counts, n_boot: int, seed, width: int = 1):
    """Stratified resamples as (cases, controls) per distinct value, one row per resample.

    The one resampling engine draws them (:func:`psychometrics.resample.class_count_batches`:
    a multinomial per class, the distribution of resampling respondents within each class, as
    pROC's ``stratified = TRUE``) and drives the progress bar. Batches hold about
    :data:`BATCH_ELEMENTS` values so that memory is bounded and reused; ``width`` is how many
    arrays of that size the caller builds per resample (curve points, objectives), so a batch
    holds fewer resamples when each costs more.
    """
    yield from resample.class_count_batches(cnt.cases, cnt.controls, n_boot, seed=seed,
                                            width=width, max_elements=BATCH_ELEMENTS)


def auc_counts(c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """AUC of each row of counts per distinct value (ascending): cases ``c``, controls ``d``.

    A case's placement is the share of controls below it plus half the share tied with it
    (Mann-Whitney), so the AUC is ``sum_l c_l (D_{<l} + D_{<=l}) / (2 n1 n0)``.
    """
    below_or_at = np.cumsum(d, axis=-1)
    below = below_or_at - d
    n1, n0 = c.sum(axis=-1), below_or_at[..., -1]
    return (c * (below + below_or_at)).sum(axis=-1) / (2.0 * n1 * n0)


def curve_points(c: np.ndarray, d: np.ndarray):
    """Specificity (ascending) and sensitivity of the candidates of each row of counts."""
    tp, fp = tp_fp(c, d)
    n1, n0 = tp[..., :1], fp[..., :1]
    return 1 - fp / n0, tp / n1

