"""Differential item functioning (DIF) between groups (language, sex, country).

Two families of method, one function :func:`dif`:

- ``model="logistic"`` (graded or binary items): ordinal logistic regression DIF as lordif
  (Choi, Gibbons & Crane, 2011; Zumbo, 1999). For each item three proportional-odds models of
  the answer on a matching score ``x`` and the group ``g``:
  model 1 ``x``; model 2 ``x + g``; model 3 ``x + g + x:g``. Likelihood-ratio chi-squares
  1 vs 2 (uniform DIF), 2 vs 3 (non-uniform DIF) and 1 vs 3 (total), with df = (groups - 1),
  (groups - 1) and 2 (groups - 1); the change in pseudo-R2 (McFadden, Nagelkerke,
  Cox-Snell) between the models; and lordif's beta change ``|b1(model 1) - b1(model 2)| /
  |b1(model 1)|``. An item is flagged, by ``criterion``: ``"chisq"`` (lordif's default) when
  any of the three p-values is below ``alpha``; ``"r2"`` when the McFadden R2 change 1 vs 2
  or 1 vs 3 reaches ``r2_change``; ``"beta"`` when the beta change reaches ``beta_change``.
  Purification (``purify=True``): the matching score is recomputed from the items not
  flagged (the anchor) and every item is tested again, until the flagged set no longer
  changes.
  Matching (``matching``): ``"total"``, the sum of the anchor items plus the studied item
  (Zumbo's total score; respondents missing an anchor item are left out of that item's
  models), or ``"theta"``, the EAP ability of a graded response model
  (:func:`psychometrics.grm`) fitted to the anchor items (all respondents with an answer).
  lordif instead re-estimates ability with group-specific parameters for the flagged items;
  with ``"theta"`` we keep the anchor-only ability, which is what purification aims at.
- ``model="rasch" | "pcm" | "rsm"``: the Rasch family by conditional ML
  (:func:`psychometrics.rasch` and friends, as eRm): Andersen's likelihood-ratio test with
  the group as split (global), and the Wald test per item category between two groups; an
  item is flagged when one of its categories has ``p < alpha / (its number of categories)``
  (Bonferroni within the item).

References
----------
Swaminathan, H., & Rogers, H. J. (1990). Detecting differential item functioning using
logistic regression procedures. Journal of Educational Measurement, 27, 361-370.
Zumbo, B. D. (1999). A handbook on the theory and methods of differential item functioning
(DIF): logistic regression modeling as a unitary framework. Ottawa: Department of National
Defense.
Choi, S. W., Gibbons, L. E., & Crane, P. K. (2011). lordif: an R package for detecting
differential item functioning using iterative hybrid ordinal logistic regression/item
response theory and Monte Carlo simulations. Journal of Statistical Software, 39(8).
Andersen, E. B. (1973). A goodness of fit test for the Rasch model. Psychometrika, 38, 123-140.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import align, check_choice, check_items, check_level, check_positive_int
from .._results import Result, format_table, jsonable
from ..errors import DataError, MissingColumnError, OptionError
from ..threads import blas_limited
from .ordinal_logistic import fit_ordinal_logistic

__all__ = ["dif", "DIFResult"]

_MODELS = ("logistic", "rasch", "pcm", "rsm")


@dataclass(frozen=True)
class DIFResult(Result):
    """DIF statistics per item and the items flagged.

    Attributes
    ----------
    method : str
        ``"logistic"``, ``"rasch"``, ``"pcm"`` or ``"rsm"``.
    group : str
        The grouping variable's name.
    groups : dict
        Group label -> respondents.
    table : DataFrame
        One row per item. Logistic: ``n``, ``chi12``, ``df12``, ``p12``, ``chi13``, ``df13``,
        ``p13``, ``chi23``, ``df23``, ``p23``, ``r2_mcfadden_1/2/3``, ``r2_nagelkerke_1/2/3``,
        ``r2_coxsnell_1/2/3``, ``mcfadden_12/13/23``, ``nagelkerke_12/13/23``,
        ``coxsnell_12/13/23`` (R2 changes), ``beta12``, ``flagged``. Rasch family: ``z_max``
        (largest absolute Wald z over the item's categories), ``pvalue`` (its p),
        ``n_parameters``, ``flagged``.
    flagged : list of str
    anchors : list of str
        Items used for the final matching score (logistic) or all items (Rasch).
    iterations : int
        Purification rounds.
    options : dict
        ``criterion``, ``alpha``, ``matching``, ``purify`` and thresholds.
    global_test : dict or None
        Rasch family: Andersen's LR test by group (``lr``, ``df``, ``pvalue``).
    wald : DataFrame or None
        Rasch family: the per-category Wald table (``z``, ``pvalue``, betas and SEs).
    """

    method: str
    group: str
    groups: dict
    table: pd.DataFrame
    flagged: list
    anchors: list
    iterations: int
    options: dict
    global_test: dict | None = None
    wald: pd.DataFrame | None = field(default=None, repr=False)
    curves: dict | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        out = {"method": self.method, "group": self.group, "groups": jsonable(self.groups),
               "flagged": list(self.flagged), "anchors": list(self.anchors),
               "iterations": self.iterations, "options": jsonable(self.options),
               "table": jsonable(self.table)}
        if self.global_test is not None:
            out["global_test"] = jsonable(self.global_test)
        if self.wald is not None:
            out["wald"] = jsonable(self.wald)
        return out

    def summary(self) -> str:
        head = (f"DIF by {self.group!r} ({self.method}"
                + (f", matching {self.options.get('matching')}, criterion "
                   f"{self.options.get('criterion')}" if self.method == "logistic" else "")
                + f", alpha {self.options.get('alpha')}); groups "
                + ", ".join(f"{k}: {v}" for k, v in self.groups.items())
                + f"; flagged: {', '.join(self.flagged) if self.flagged else 'none'}"
                + (f" after {self.iterations} purification round(s)"
                   if self.method == "logistic" else ""))
        if self.global_test is not None:
            g = self.global_test
            head += f"\nAndersen LR test: LR = {g['lr']:.3f}, df = {g['df']}, p = {g['pvalue']:.4g}"
        cols = (["n", "chi12", "p12", "chi23", "p23", "chi13", "p13", "mcfadden_12",
                 "mcfadden_13", "nagelkerke_13", "beta12", "flagged"]
                if self.method == "logistic" else list(self.table.columns))
        return "\n\n".join([head, format_table(self.table[cols], "Items", digits=4)])

    def plot(self, **kwargs):
        """Figure of the flagged items (see :func:`psychometrics.irt.plots.plot_dif`)."""
        from .plots import plot_dif

        return plot_dif(self, **kwargs)


# ------------------------------------------------------------------ inputs
def _inputs(items, group):
    """(items DataFrame, group Series on the same index, group name)."""
    if isinstance(group, str) and isinstance(items, pd.DataFrame):
        if group not in items.columns:
            raise MissingColumnError(f"dif: no group column {group!r} in the data; columns: "
                                     f"{list(items.columns)[:20]}")
        return items.drop(columns=[group]), items[group], group
    if isinstance(group, str):
        raise DataError(f"dif: group={group!r} names a column, but the items are not a "
                        "DataFrame; pass the group values instead")
    frame = items if isinstance(items, pd.DataFrame) else check_items(items).frame()
    if isinstance(group, pd.Series):
        frame, g = align(frame, group, names=["items", "group"])
        name = str(group.name) if group.name is not None else "group"
        return frame, pd.Series(g.to_numpy(), index=frame.index), name
    g = np.asarray(group, dtype=object).ravel()
    if g.size != len(frame):
        raise DataError(f"dif: {len(frame)} respondents but {g.size} group values")
    return frame, pd.Series(g, index=frame.index), "group"


def _pseudo_r2(ll, ll0, n):
    lr = 2 * (ll - ll0)
    cs = 1 - np.exp(-lr / n)
    return {"mcfadden": 1 - ll / ll0, "coxsnell": cs, "nagelkerke": cs / (1 - np.exp(2 * ll0 / n))}


def _logistic_item(y, x, gd):
    """Models 1-3 for one item: y codes 0..m, x matching score, gd group dummies."""
    keep = (y >= 0) & ~np.isnan(x)
    y, x, gd = y[keep], x[keep], gd[keep]
    # categories observed among these respondents, in order
    vals, yc = np.unique(y, return_inverse=True)
    n = int(y.size)
    if vals.size < 2:
        raise DataError("an item needs two observed categories among respondents with a "
                        "matching score")
    xc = x - x.mean()                      # centred: the same fit, better conditioned
    f0 = fit_ordinal_logistic(yc, np.zeros((n, 0)))
    f1 = fit_ordinal_logistic(yc, xc[:, None])
    f2 = fit_ordinal_logistic(yc, np.column_stack([xc, gd]))
    f3 = fit_ordinal_logistic(yc, np.column_stack([xc, gd, xc[:, None] * gd]))
    G1 = gd.shape[1]
    row = {"n": n}
    for name, (fa, fb, df) in {"12": (f1, f2, G1), "13": (f1, f3, 2 * G1),
                               "23": (f2, f3, G1)}.items():
        chi = max(2 * (fb.loglik - fa.loglik), 0.0)
        row[f"chi{name}"], row[f"df{name}"] = chi, df
        row[f"p{name}"] = float(stats.chi2.sf(chi, df))
    r2 = {k: _pseudo_r2(f.loglik, f0.loglik, n) for k, f in (("1", f1), ("2", f2), ("3", f3))}
    for kind in ("mcfadden", "nagelkerke", "coxsnell"):
        for k in "123":
            row[f"r2_{kind}_{k}"] = r2[k][kind]
        row[f"{kind}_12"] = r2["2"][kind] - r2["1"][kind]
        row[f"{kind}_13"] = r2["3"][kind] - r2["1"][kind]
        row[f"{kind}_23"] = r2["3"][kind] - r2["2"][kind]
    row["beta12"] = abs((f1.beta[0] - f2.beta[0]) / f1.beta[0]) if f1.beta[0] != 0 else np.nan
    return row, f3, x.mean(), vals, (float(x.min()), float(x.max()))


def _flag(row, criterion, alpha, r2_change, beta_change) -> bool:
    if criterion == "chisq":
        return bool(min(row["p12"], row["p13"], row["p23"]) < alpha)
    if criterion == "r2":
        return bool(max(row["mcfadden_12"], row["mcfadden_13"]) >= r2_change)
    return bool(row["beta12"] >= beta_change)


def _logistic_dif(frame: pd.DataFrame, g: pd.Series, name: str, *, matching, criterion,
                  alpha, r2_change, beta_change, purify, max_iter) -> DIFResult:
    mat = check_items(frame, min_items=2, min_rows=2)
    values = mat.values
    items = mat.columns
    gvals = g.to_numpy()
    has_g = pd.notna(gvals)
    labels = sorted(pd.unique(gvals[has_g]), key=str)
    if len(labels) < 2:
        raise DataError(f"dif: the group column {name!r} needs at least two groups; got "
                        f"{[str(v) for v in labels]}")
    values = values[has_g]
    gv = gvals[has_g]
    index = mat.index[has_g]
    gd = np.column_stack([(gv == lab).astype(float) for lab in labels[1:]])
    codes = np.full(values.shape, -1, dtype=int)
    for j in range(values.shape[1]):
        ok = ~np.isnan(values[:, j])
        codes[ok, j] = np.searchsorted(np.unique(values[ok, j]), values[ok, j])
    flagged: list[int] = []
    it = 0
    seen = []
    while True:
        it += 1
        anchors = [j for j in range(len(items)) if j not in flagged]
        if len(anchors) < 1:
            raise DataError("dif: every item is flagged; no anchor items are left for the "
                            "matching score")
        theta = None
        if matching == "theta":
            from .grm import grm

            theta = grm(pd.DataFrame(values[:, anchors], index=index,
                                     columns=[items[j] for j in anchors]),
                        se=False).scores["theta"]
            theta = theta.to_numpy()
        rows, fits = {}, {}
        for j, item in enumerate(items):
            # total: anchor items plus the studied item (NaN where one is missing)
            x = theta if theta is not None else values[:, sorted(set(anchors) | {j})].sum(axis=1)
            try:
                rows[item], f3, xm, cats, xr = _logistic_item(codes[:, j], x, gd)
            except DataError as exc:
                raise DataError(f"dif: item {item!r}: {exc}") from None
            fits[item] = (f3, xm, cats, xr)
        new = sorted(j for j, item in enumerate(items)
                     if _flag(rows[item], criterion, alpha, r2_change, beta_change))
        if not purify or new == flagged or new in seen or it >= max_iter:
            converged = new == flagged or not purify
            flagged = new
            break
        seen.append(flagged)
        flagged = new
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "item"
    table["flagged"] = [j in flagged for j in range(len(items))]
    return DIFResult(
        method="logistic", group=name,
        groups={str(lab): int(np.sum(gv == lab)) for lab in labels},
        table=table, flagged=[items[j] for j in flagged],
        anchors=[items[j] for j in range(len(items)) if j not in flagged], iterations=it,
        options={"criterion": criterion, "alpha": alpha, "matching": matching,
                 "purify": purify, "r2_change": r2_change, "beta_change": beta_change,
                 "purification_converged": bool(converged)},
        curves={"labels": [str(v) for v in labels],
                "fits": {k: (v[0].alpha, v[0].beta, v[1], list(v[2]), v[3])
                         for k, v in fits.items()},
                "matching": matching})


def _rasch_dif(frame: pd.DataFrame, g: pd.Series, name: str, model: str, alpha) -> DIFResult:
    from . import rasch as rasch_mod

    labels = sorted(pd.unique(g.dropna()), key=str)
    if len(labels) != 2:
        raise DataError(f"dif: the Rasch family's Wald test compares two groups; {name!r} has "
                        f"{len(labels)}: {[str(v) for v in labels]}. Keep two groups (set the "
                        "others to missing) or use model='logistic'")
    has_g = g.notna().to_numpy()      # respondents without a group are left out
    frame, g = frame[has_g], g[has_g]
    fit = getattr(rasch_mod, {"rasch": "rasch", "pcm": "pcm", "rsm": "rsm"}[model])(frame)
    gs = g.loc[fit.data.index].rename(name)
    lr = fit.lr_test(split=gs)
    wald = fit.wald_test(split=gs)
    tab = wald.table
    # map each Wald row ("beta ITEM" or "beta ITEM.cH") to its item
    item_of = {}
    for lab in tab.index:
        core = str(lab)[5:] if str(lab).startswith("beta ") else str(lab)
        for item in sorted(fit.items, key=len, reverse=True):
            if core == item or core.startswith(f"{item}.c"):
                item_of[lab] = item
                break
    rows = {}
    for item in fit.items:
        sub = tab[[item_of.get(lab) == item for lab in tab.index]]
        if sub.empty:
            continue
        k = int(np.argmax(np.abs(sub["z"].to_numpy())))
        rows[item] = {"z_max": float(sub["z"].iloc[k]), "pvalue": float(sub["pvalue"].iloc[k]),
                      "n_parameters": len(sub),
                      "flagged": bool((sub["pvalue"] < alpha / len(sub)).any())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "item"
    counts = lr.groups["n"]
    return DIFResult(
        method=model, group=name, groups={str(k): int(v) for k, v in counts.items()},
        table=table, flagged=[i for i, r in rows.items() if r["flagged"]],
        anchors=list(fit.items), iterations=1,
        options={"alpha": alpha, "flag_rule": "a category's Wald p < alpha / categories"},
        global_test={"lr": lr.lr, "df": lr.df, "pvalue": lr.pvalue,
                     "items_excluded": list(lr.items_excluded)},
        wald=tab)


@blas_limited
def dif(items, group, model: str = "logistic", *, matching: str = "total",
        criterion: str = "chisq", alpha: float = 0.01, r2_change: float = 0.02,
        beta_change: float = 0.1, purify: bool = True, max_iter: int = 10) -> DIFResult:
    """Differential item functioning of each item between groups.

    Parameters
    ----------
    items : DataFrame or array-like, respondents x items
        Item answers (NaN = not answered). If ``group`` is a column name, that column is
        taken from ``items`` and the rest are the items.
    group : str, Series or array-like
        The group of each respondent (a Series is matched on the index); respondents without
        a group are left out.
    model : {"logistic", "rasch", "pcm", "rsm"}
        Ordinal logistic regression DIF (lordif) or the Rasch family's LR and Wald tests.
    matching : {"total", "theta"}
        Logistic: the matching score (see the module docstring).
    criterion : {"chisq", "r2", "beta"}
        Logistic: the flagging rule (lordif's ``criterion``: Chisqr, R2, Beta).
    alpha : float
        Significance level for flagging (lordif's default 0.01).
    r2_change, beta_change : float
        Thresholds of the ``"r2"`` (McFadden) and ``"beta"`` criteria.
    purify : bool
        Iterative purification of the anchor (logistic).
    max_iter : int
        Purification rounds at most.

    Returns
    -------
    DIFResult

    References
    ----------
    Swaminathan & Rogers (1990); Zumbo (1999); Choi, Gibbons & Crane (2011); Andersen (1973).

    Examples
    --------
    >>> import numpy as np, pandas as pd, psychometrics as pm
    >>> X = pm.simulate_grm(np.full(6, 1.5), np.tile([-1.0, 0.0, 1.0], (6, 1)), 800, seed=1)
    >>> lang = pd.Series(np.repeat(["FR", "NL"], 400), index=X.index)
    >>> pm.dif(X, lang).flagged
    []
    """
    check_choice(model, _MODELS, "model")
    check_choice(matching, ("total", "theta"), "matching")
    check_choice(criterion, ("chisq", "r2", "beta"), "criterion")
    alpha = check_level(alpha, "alpha")
    max_iter = check_positive_int(max_iter, "max_iter")
    for opt, val in (("r2_change", r2_change), ("beta_change", beta_change)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not val > 0:
            raise OptionError(f"{opt} must be a positive number; got {val!r}", opt, val)
    frame, g, name = _inputs(items, group)
    if model == "logistic":
        return _logistic_dif(frame, g, name, matching=matching, criterion=criterion,
                             alpha=alpha, r2_change=float(r2_change),
                             beta_change=float(beta_change), purify=bool(purify),
                             max_iter=max_iter)
    return _rasch_dif(frame, g, name, model, alpha)
