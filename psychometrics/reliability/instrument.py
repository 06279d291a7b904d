"""Alpha and item analysis of every subscale of an instrument in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._results import Result, format_table, jsonable
from ..threads import blas_limited
from .cronbach import N_BOOT, AlphaResult, alpha
from .deprecation import UNSET, renamed_keyword
from .items import item_analysis, warn_negative_items
from .scale import CIMethod, Missing, check_options

__all__ = ["ReliabilityResult", "reliability"]

@dataclass(frozen=True)
class ReliabilityResult(Result):
    """Reliability of every subscale of an instrument.

    Attributes
    ----------
    instrument : str
    table : DataFrame
        One row per subscale (index ``subscale``): ``k``, ``n``, ``alpha``, ``ci_low``,
        ``ci_high``, ``std_alpha``, ``g6``, ``average_r``, ``median_r``, ``ase``, ``mean``,
        ``sd``, ``sem`` (of the mean score, from alpha), ``n_negative`` (items with negative
        item-rest r).
    items : dict of str to DataFrame
        :func:`item_analysis` table of each subscale.
    alphas : dict of str to AlphaResult
    missing, ci_method, level
    """

    instrument: str
    table: pd.DataFrame
    items: dict[str, pd.DataFrame]
    alphas: dict[str, AlphaResult] = field(repr=False)
    missing: str
    ci_method: str | None
    level: float

    def to_dict(self) -> dict:
        boot = [a for a in self.alphas.values() if a.n_boot]
        return {"instrument": self.instrument, "missing": self.missing,
                "ci_method": self.ci_method, "level": self.level,
                "n_boot": boot[0].n_boot if boot else None,
                "seed": boot[0].to_dict()["seed"] if boot else None,
                "subscales": jsonable(self.table),
                "items": {s: jsonable(t) for s, t in self.items.items()}}

    def summary(self) -> str:
        cols = ["k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "g6", "average_r", "sem"]
        ci = f"; {self.level:.0%} CI: {self.ci_method}" if self.ci_method else ""
        parts = [format_table(self.table[cols],
                              f"Reliability of {self.instrument} ({self.missing}{ci})")]
        item_cols = ["n", "mean", "sd", "r_cor", "r_drop", "alpha_if_deleted"]
        for sid, tab in self.items.items():
            parts.append(format_table(tab[item_cols], f"\nItems of {sid}"))
        return "\n".join(parts)


@blas_limited
def reliability(data: pd.DataFrame, instrument, *, items=None, missing: Missing = "pairwise",
                ci_method: CIMethod | None = "feldt", level: float = 0.95,
                n_boot: int = N_BOOT, seed=None, on_invalid: str = "raise",
                form: str | None = None, keys=None, id: str | None = None,
                ci=UNSET) -> ReliabilityResult:
    # Over 80 lines only by its numpydoc docstring (psych's differences, references, a
    # doctest); the code below it is short and delegates to helpers.
    """Alpha and item analysis of every subscale of an instrument in one call.

    Parameters
    ----------
    data : DataFrame
        Respondents x columns, holding the instrument's items.
    instrument : str, path or Instrument
        An instrument id or file (:func:`psychometrics.load_instrument`).
    items : None, dict, str or path
        How instrument items map to columns (see :func:`psychometrics.score`).
    missing, ci_method, level, n_boot, seed
        As in :func:`~psychometrics.reliability.alpha` (one seed for all subscales).
    on_invalid : {"raise", "missing"}
        What to do with invalid responses (see :func:`psychometrics.score`).
    form, keys
        The instrument's answer direction and an own key file
        (:func:`psychometrics.load_instrument`).
    id : str, optional
        Column of respondent ids (checked for duplicates, not analysed).
    ci
        Deprecated name of ``ci_method`` (accepted with a ``DeprecationWarning``).

    Returns
    -------
    ReliabilityResult

    Notes
    -----
    The items are validated, recoded and reverse-keyed per subscale by
    :func:`psychometrics.keyed_items` (``min + max - x``), so an item can be reversed in one
    subscale and not in another. Each subscale is then analysed as :func:`alpha` and
    :func:`item_analysis`; a warning names items correlating negatively with the rest of
    their subscale. ``sem`` in the table is ``sd * sqrt(1 - alpha)`` of the mean score.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research (version 2.2.9), function ``alpha``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> exhaustion = rng.normal(size=(300, 1))
    >>> raw = np.clip(np.round(2.5 + exhaustion + rng.normal(size=(300, 16))), 1, 4)
    >>> worded = [1, 2, 3, 5, 7, 8, 10, 11]  # columns of olbi2, 3, 4, 6, 8, 9, 11, 12
    >>> raw[:, worded] = 5 - raw[:, worded]  # answered in the other direction
    >>> data = pd.DataFrame(raw, columns=[f"olbi{i}" for i in range(1, 17)])
    >>> res = reliability(data, "olbi", form="agree-low")
    >>> res.table[["k", "n", "alpha"]].round(3)
               k    n  alpha
    subscale
    EX         8  300  0.867
    DI         8  300  0.853
    total     16  300  0.926
    """
    from ..instruments import load_instrument
    from ..scoring import keyed_items

    ci_method = renamed_keyword("reliability", "ci", "ci_method", ci, ci_method, "feldt",
                                stacklevel=3)
    check_options(missing, ci_method, level)
    inst = load_instrument(instrument, keys=keys, form=form)
    blocks = keyed_items(data, inst, items=items, id=id, on_invalid=on_invalid)
    rows, tables, alphas = {}, {}, {}
    for sid, block in blocks.items():
        a = alpha(block, ci_method=ci_method, level=level, n_boot=n_boot, seed=seed, missing=missing)
        tab = item_analysis(block, missing=missing, warn=False)
        warn_negative_items(tab, f"{inst.id} {sid}")
        alphas[sid], tables[sid] = a, tab
        rows[sid] = {"k": a.k, "n": a.n, "alpha": a.alpha, "ci_low": a.ci_low,
                     "ci_high": a.ci_high, "std_alpha": a.std_alpha, "g6": a.g6,
                     "average_r": a.average_r, "median_r": a.median_r, "ase": a.ase,
                     "mean": a.mean, "sd": a.sd, "sem": a.sd * np.sqrt(max(0.0, 1 - a.alpha)),
                     "n_negative": int(tab["negative"].sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "subscale"
    return ReliabilityResult(instrument=inst.id, table=table, items=tables, alphas=alphas,
                             missing=missing, ci_method=ci_method, level=level)
