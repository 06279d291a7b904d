"""The Rasch family's input checks: answers as eRm's ``datcheck`` validates them, refusing
where eRm would guess or fail, and eRm's connectedness check of dichotomous items.

Used by :func:`psychometrics.rasch`, ``pcm`` and ``rsm`` (:mod:`psychometrics.irt.rasch`).

References
----------
Mair, P., & Hatzinger, R. (2007). Extended Rasch modeling: The eRm package. *Journal of
Statistical Software*, 20(9).
Fischer, G. H. (1981). On the existence and uniqueness of maximum-likelihood estimates in the
Rasch model. *Psychometrika*, 46, 59-77.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._checks import check_items
from ..errors import DataError, describe_rows

__all__ = ["check_answers", "check_connected"]


def check_answers(items, model: str, name: str):
    """Validate answers as eRm's ``datcheck`` does, refusing where eRm would guess or fail.

    Returns the float matrix of the fitted items (rows with fewer than two answers removed),
    the item names, the excluded items and the dropped row labels.
    """
    mat = check_items(items, min_items=2, name=name)
    x, cols, index = mat.values, list(mat.columns), mat.index
    answered = ~np.isnan(x)
    bad = answered & ((x < 0) | (x != np.round(x)))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"{name}: column {cols[c]!r} has the value {x[r, c]!r} at "
                        f"{describe_rows([index[r]], [r])}; answers must be whole numbers "
                        "0, 1, 2, ... (recode so that the lowest category is 0)")
    if model == "RM" and (answered & (x > 1)).any():
        r, c = np.argwhere(answered & (x > 1))[0]
        raise DataError(f"{name}: the Rasch model needs 0/1 answers; column {cols[c]!r} has "
                        f"{x[r, c]:g} at {describe_rows([index[r]], [r])} (use pcm() or rsm() "
                        "for polytomous items)")
    empty = ~answered.any(axis=0)
    if empty.any():
        raise DataError(f"{name}: no answers at all in column(s) "
                        f"{[c for c, e in zip(cols, empty) if e]}")
    # eRm drops items everyone answered in the same category (no information in CML)
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    constant = lo == hi
    excluded = [c for c, e in zip(cols, constant) if e]
    if excluded:
        warnings.warn(f"{name}: item(s) {excluded} excluded: every answer is in the same "
                      "category (as eRm does)", UserWarning, stacklevel=3)
        keep = ~constant
        x, cols, lo, hi = x[:, keep], [c for c, k in zip(cols, keep) if k], lo[keep], hi[keep]
        if len(cols) < 2:
            raise DataError(f"{name}: fewer than two items left after excluding constant items")
    if (lo > 0).any():
        shifted = [c for c, v in zip(cols, lo) if v > 0]
        raise DataError(f"{name}: item(s) {shifted} have no answers in category 0 (lowest "
                        f"answer {[int(v) for v in lo[lo > 0]]}); recode every item to start at "
                        "0 (eRm would shift such an item down, changing what its categories mean)")
    m = hi.astype(int)
    if model == "PCM":
        for j, c in enumerate(cols):
            seen = np.unique(x[~np.isnan(x[:, j]), j]).astype(int)
            if len(seen) != m[j] + 1:
                missing = sorted(set(range(m[j] + 1)) - set(seen))
                raise DataError(f"{name}: item {c!r} has no answers in category {missing} "
                                f"(between 0 and {m[j]}); the partial credit model cannot "
                                "estimate a threshold for an unused category: merge it with "
                                "a neighbour")
    if model == "RSM" and len(set(m)) > 1:
        raise DataError(f"{name}: the rating scale model needs the same highest category for "
                        f"every item; got {dict(zip(cols, m.tolist()))}")
    n_ans = (~np.isnan(x)).sum(axis=1)
    few = n_ans < 2
    dropped = list(index[few])
    kept = ~few
    if few.any():
        warnings.warn(f"{name}: {int(few.sum())} row(s) with fewer than two answered items left "
                      f"out (they carry no conditional information): "
                      f"{describe_rows(list(index[few]), list(np.flatnonzero(few)))}",
                      UserWarning, stacklevel=3)
        x, index = x[~few], index[~few]
    if len(x) < 2:
        raise DataError(f"{name}: need at least two respondents with two or more answers")
    if model == "RM":
        # eRm checks this for dichotomous items only: with more categories, items that never
        # meet in both orders can still have finite estimates (points can be traded within a
        # raw score); there non-existence shows as diverging estimates (ModelError)
        check_connected(x, cols, name)
    return x, cols, excluded, dropped, index, m, kept


def check_connected(x: np.ndarray, cols: list[str], name: str) -> None:
    """eRm's check for an ill-conditioned matrix: items must form one strong component.

    Item i "beats" item j when someone answered i higher than j; if the items split into
    groups that never beat each other both ways, the CML estimates do not exist.
    """
    from scipy.sparse.csgraph import connected_components  # slow to import: only when fitting

    both = ~np.isnan(x)
    xi = np.where(both, x, 0)
    gt = np.zeros((x.shape[1], x.shape[1]), dtype=bool)
    for j in range(x.shape[1]):
        ok = both & both[:, [j]]
        gt[:, j] = ((xi > xi[:, [j]]) & ok).any(axis=0)
    n_comp, labels = connected_components(gt, directed=True, connection="strong")
    if n_comp > 1:
        groups = [[c for c, lab in zip(cols, labels) if lab == g] for g in range(n_comp)]
        raise DataError(f"{name}: ill-conditioned data (as eRm reports it): the items fall "
                        f"into {n_comp} groups that are never answered in both orders by "
                        f"the same respondents, so the CML estimates do not exist (e.g. "
                        f"Guttman-perfect answers): {groups[:5]}")
