"""The Rasch model, the partial credit model and the rating scale model by conditional ML.

``rasch(items)``, ``pcm(items)`` and ``rsm(items)`` fit eRm's ``RM``, ``PCM`` and ``RSM`` (sum-zero
normalisation) and return a :class:`RaschResult` with the item parameters, thresholds,
conditional log-likelihood, person parameters, item and person fit, separation reliability,
Andersen's likelihood-ratio test and the Wald test, each matching eRm 1.0-2.

Conventions (eRm's): ``P(X = h | θ) ∝ exp(h θ + β_ih)`` with ``β`` the easiness; difficulties
and thresholds are ``−β`` and ``τ_ih = −(β_ih − β_i,h−1)``. Missing answers are neither
imputed nor deleted: each person is conditioned on the raw score over the items they answered
(persons grouped by missing-value pattern), and person parameters are estimated per pattern.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .._results import Result, format_table
from ..errors import DataError, ModelError
from ..threads import blas_limited
from . import cml
from .rasch_checks import check_answers, check_connected
from .rasch_split import excluded_in_groups, split_groups
from .rasch_tests import LRTestResult, WaldTestResult

_MODEL_NAMES = {"RM": "Rasch model", "PCM": "partial credit model", "RSM": "rating scale model"}


# --------------------------------------------------------------------------- labels

def _beta_labels(model: str, cols: list[str], m: np.ndarray) -> list[str]:
    if model == "RM":
        return list(cols)
    return [f"{c}.c{h}" for c, mi in zip(cols, m) for h in range(1, mi + 1)]


def _eta_labels(model: str, cols: list[str], m: np.ndarray) -> list[str]:
    if model == "RSM":
        return list(cols[1:]) + [f"Cat {h}" for h in range(2, int(m[0]) + 1)]
    return _beta_labels(model, cols, m)[1:]


# --------------------------------------------------------------------------- core fit

@dataclass(frozen=True)
class _Fit:
    """A CML fit of one response matrix (used for the main model and for the LR groups)."""

    model: str
    x: np.ndarray
    cols: list
    m: np.ndarray
    cml: cml.CMLFit

    @property
    def npar(self) -> int:
        return int(self.cml.design.shape[1])

    def beta_frame(self) -> pd.DataFrame:
        se = np.sqrt(np.diag(self.cml.vcov_beta))
        return pd.DataFrame({"easiness": self.cml.beta, "se": se},
                            index=pd.Index(_beta_labels(self.model, self.cols, self.m),
                                           name="parameter"))


def _fit(x: np.ndarray, cols: list, m: np.ndarray, model: str) -> _Fit:
    pat = cml.prepare(x, m)
    w = cml.design_matrix(model, m)
    return _Fit(model=model, x=x, cols=list(cols), m=m, cml=cml.fit_cml(pat, w))


# --------------------------------------------------------------------------- person side

def _natural_spline_ends(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``splines::interpSpline`` predictions, linear beyond the end knots (as eRm uses them)."""
    from scipy.interpolate import CubicSpline  # slow to import: only when needed

    cs = CubicSpline(x, y, bc_type="natural")
    out = cs(at)
    lo, hi = at < x[0], at > x[-1]
    out[lo] = y[0] + cs(x[0], 1) * (at[lo] - x[0])
    out[hi] = y[-1] + cs(x[-1], 1) * (at[hi] - x[-1])
    return out


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class RaschResult(Result):
    """A Rasch-family model fitted by conditional ML (eRm's ``RM``, ``PCM``, ``RSM``).

    Attributes
    ----------
    model : {"RM", "PCM", "RSM"}
    items : list of str
        The fitted items (``items_excluded``: constant items left out, as eRm does).
    item_params : DataFrame
        RM: ``difficulty`` (sums to 0) and ``se``; PCM/RSM: ``location`` (mean of the item's
        thresholds) and ``se``.
    thresholds, thresholds_se : DataFrame
        Item x threshold (1..m): ``τ_ih = −(β_ih − β_i,h−1)``, as eRm's ``thresholds()``.
    betas : DataFrame
        eRm's ``betapar`` (``easiness``) and ``se.beta`` per item category.
    etas : DataFrame
        eRm's free parameters ``etapar`` (difficulty-type) and ``se.eta``.
    loglik : float
        The conditional log-likelihood.
    npar : int
    converged : bool
    n_rows : int
        Respondents used; ``rows_dropped`` lists the labels of rows with fewer than two
        answered items.
    vcov : ndarray
        Covariance of the free parameters (``etas``) from the exact observed information.
    data : DataFrame
        The analysed answers (rows used, fitted items; the caller's data are not touched);
        ``kept`` marks, per row given, whether it was used.
    """

    model: str
    items: list
    items_excluded: list
    n_rows: int
    rows_dropped: list
    loglik: float
    npar: int
    converged: bool
    iterations: int
    item_params: pd.DataFrame
    thresholds: pd.DataFrame
    thresholds_se: pd.DataFrame
    betas: pd.DataFrame
    etas: pd.DataFrame
    vcov: np.ndarray = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    kept: np.ndarray = field(repr=False)
    _fit: _Fit = field(repr=False)

    # ---------------------------------------------------------------- persons
    def _bpad(self) -> np.ndarray:
        return cml.padded_beta(self._fit.cml.beta, self._fit.m)

    def _persons(self):
        """Per-row pattern, raw score, θ, SE and the per-(pattern, score) table."""
        x, m = self._fit.x, self._fit.m
        pat = cml.prepare(x, m)
        answered = ~np.isnan(x)
        p_row, raw, rmax = pat.pattern_of_row, pat.raw_score, pat.max_score
        extreme = (raw == 0) | (raw == rmax)
        key = p_row.astype(np.int64) * (int(m.sum()) + 1) + raw
        ukey, first, counts = np.unique(key, return_index=True, return_counts=True)
        rows = pd.DataFrame({"pattern": p_row[first], "raw_score": raw[first],
                             "max_score": rmax[first], "n": counts,
                             "interpolated": extreme[first]})
        mask = answered[first]
        est = ~rows["interpolated"].to_numpy()
        theta = np.full(len(rows), np.nan)
        se = np.full(len(rows), np.nan)
        if est.any():
            theta[est], se[est] = cml.solve_theta(rows["raw_score"].to_numpy()[est].astype(float),
                                               self._bpad(), mask[est])
        # zero and full scores: eRm's natural-spline interpolation within the pattern
        for p in np.unique(rows["pattern"]):
            sel = (rows["pattern"] == p).to_numpy()
            known = sel & est
            need = sel & ~est
            if need.any() and known.sum() > 3:
                xs = rows["raw_score"].to_numpy()[known].astype(float)
                theta[need] = _natural_spline_ends(xs, theta[known],
                                                   rows["raw_score"].to_numpy()[need].astype(float))
        rows["theta"], rows["se"] = theta, se
        cols = np.asarray(self.items)
        rows["missing"] = [",".join(cols[~mrow]) for mrow in mask]
        row_of = np.searchsorted(ukey, key)
        return rows, row_of, extreme

    def person_params(self) -> pd.DataFrame:
        """Person parameters per raw score (and per missing-value pattern), as eRm.

        Returns
        -------
        DataFrame
            One row per observed (pattern, raw score): ``missing`` (the unanswered items,
            comma-separated; empty for complete answers), ``raw_score``, ``max_score``,
            ``theta`` (ML estimate given the CML item parameters), ``se`` (from the
            information), ``interpolated`` (zero and full scores: eRm's natural cubic spline
            through the pattern's estimated scores, linear beyond them; NaN when the pattern
            has fewer than 4 estimated scores; ``se`` NaN) and ``n`` (persons).

        References
        ----------
        Hoijtink, H., & Boomsma, A. (1995). On person parameter estimation in the dichotomous
        Rasch model. In Fischer & Molenaar (Eds.), *Rasch Models*, ch. 4. Springer.
        """
        rows, _, _ = self._persons()
        return rows[["missing", "raw_score", "max_score", "theta", "se", "interpolated",
                     "n"]].reset_index(drop=True)

    def person_scores(self) -> pd.DataFrame:
        """θ and SE for every respondent used (index as given; ``rows_dropped`` are not
        included), with raw score, maximum score, missing items and ``interpolated``."""
        rows, row_of, _ = self._persons()
        out = rows.iloc[row_of][["missing", "raw_score", "max_score", "theta", "se",
                                 "interpolated"]]
        out.index = self.data.index
        return out

    def _residuals(self):
        """Expected values, variances and kurtosis terms for the non-extreme persons."""
        rows, row_of, extreme = self._persons()
        keep = ~extreme
        x = self._fit.x[keep]
        mask = ~np.isnan(x)
        theta = rows["theta"].to_numpy()[row_of][keep]
        e, v, c = cml.category_moments(theta, self._bpad(), mask)
        return x, mask, e, v, c, keep, rows, row_of

    @staticmethod
    def _fit_stats(x, mask, e, v, c, axis: int) -> pd.DataFrame:
        z2 = np.where(mask, (np.where(mask, x, 0) - e) ** 2 / np.where(mask, v, 1), 0.0)
        n = mask.sum(axis=axis)
        chisq = z2.sum(axis=axis)
        outfit = chisq / n
        with np.errstate(divide="ignore", invalid="ignore"):
            q_out = np.sqrt((np.where(mask, c / np.where(mask, v, 1) ** 2, 0).sum(axis=axis))
                            / n ** 2 - 1 / n)
            sum_v = v.sum(axis=axis)
            infit = (z2 * v).sum(axis=axis) / sum_v
            q_in = np.sqrt((c - v ** 2).sum(axis=axis) / sum_v ** 2)
            out_t = (np.cbrt(outfit) - 1) * (3 / q_out) + q_out / 3
            in_t = (np.cbrt(infit) - 1) * (3 / q_in) + q_in / 3
        df = n - 1
        return pd.DataFrame({"outfit_msq": outfit, "infit_msq": infit, "outfit_t": out_t,
                             "infit_t": in_t, "chisq": chisq, "df": df,
                             "pvalue": special.chdtrc(df, chisq), "n": n})

    def itemfit(self) -> pd.DataFrame:
        """Item fit as eRm's ``itemfit``: mean squares, their t, chi-square and discrimination.

        Persons with a zero or full raw score are left out. ``outfit_msq`` is the mean squared
        standardised residual over the item's answers, ``infit_msq`` the information-weighted
        one, ``outfit_t``/``infit_t`` their Wilson-Hilferty standardisations, ``chisq`` the
        sum of squared residuals with ``df`` = n − 1 and its ``pvalue``; ``discrim`` is eRm's
        corrected item-total correlation (correlation matrix with the squared multiple
        correlations on its diagonal; NaN when missing answers leave a pair never observed).

        References
        ----------
        Wright, B. D., & Masters, G. N. (1982). *Rating Scale Analysis*. MESA Press.
        Smith, R. M. (1991). The distributional properties of Rasch item fit statistics.
        *Educational and Psychological Measurement*, 51, 541-565.
        """
        x, mask, e, v, c, keep, _, _ = self._residuals()
        out = self._fit_stats(x, mask, e, v, c, axis=0)
        out.index = pd.Index(self.items, name="item")
        out["discrim"] = _discrimination(self._fit.x[keep])
        return out

    def personfit(self) -> pd.DataFrame:
        """Person fit as eRm's ``personfit`` (persons with zero or full scores left out):
        ``outfit_msq``, ``infit_msq``, ``outfit_t``, ``infit_t``, ``chisq``, ``df``,
        ``pvalue``, ``n`` (answered items), indexed by respondent."""
        x, mask, e, v, c, keep, _, _ = self._residuals()
        out = self._fit_stats(x, mask, e, v, c, axis=1)
        out.index = self.data.index[keep]
        return out

    def separation_reliability(self) -> dict:
        """Person separation reliability as eRm's ``SepRel``.

        ``(var(θ) − mean(SE²)) / var(θ)`` over the persons with an estimated (not
        interpolated) θ; returns ``reliability``, ``var_theta`` and ``mean_se2``.

        References
        ----------
        Wright, B. D., & Stone, M. H. (1999). *Measurement Essentials*. Wide Range.
        """
        scores = self.person_scores()
        est = scores[~scores["interpolated"]]
        var = float(est["theta"].var(ddof=1))
        mse = float((est["se"] ** 2).mean())
        return {"reliability": (var - mse) / var, "var_theta": var, "mean_se2": mse}

    # ---------------------------------------------------------------- tests
    def _groups(self, split):
        """Group codes (0..G-1) per used row and the group labels, as eRm splits."""
        return split_groups(self._fit.x, self._fit.m, split, self.data.index, self.kept)

    def _excluded_in_groups(self, codes: np.ndarray, n_groups: int) -> list[int]:
        return excluded_in_groups(self._fit.x, self._fit.m, self.model, codes, n_groups)

    def _group_fits(self, split, test: str):
        codes, labels, name = self._groups(split)
        del_pos = self._excluded_in_groups(codes, len(labels))
        k = len(self.items)
        if len(del_pos) >= k - 1:
            raise DataError(f"{test}: no items with appropriate response patterns left in "
                            f"every group of split {name!r}")
        keep = np.array([j not in del_pos for j in range(k)])
        excluded = [self.items[j] for j in del_pos]
        if excluded:
            warnings.warn(f"{test}: items {excluded} excluded (not estimable in some group); "
                          "full and group models are fitted without them (as eRm)",
                          UserWarning, stacklevel=3)
        x = self._fit.x[:, keep]
        cols = [c for c, kk in zip(self.items, keep) if kk]
        m = self._fit.m[keep]
        fits = []
        for g, lab in enumerate(labels):
            if self.model == "RM":
                check_connected(x[codes == g], cols,
                                f"{test}, group {lab!r} of split {name!r}")
            try:
                fits.append(_fit(x[codes == g], cols, m, self.model))
            except ModelError as err:
                raise ModelError(f"{test}: the model cannot be fitted in group {lab!r} of "
                                 f"split {name!r}: {err}") from None
        full = _fit(x, cols, m, self.model) if excluded else self._fit
        return codes, labels, name, excluded, fits, full

    @blas_limited
    def lr_test(self, split="median") -> LRTestResult:
        """Andersen's likelihood-ratio test, as eRm's ``LRtest``.

        Parameters
        ----------
        split : "median", "mean" or array-like / Series
            ``"median"``: raw score <= median vs > median; ``"mean"``: <= mean vs > mean
            (with missing answers, eRm's cut is within each missing-value pattern and the
            mean split is < mean vs >= mean). Otherwise one group value per respondent (a
            Series is aligned on the index), groups in sorted order.

        Returns
        -------
        LRTestResult
            ``lr = 2 (Σ_g loglik_g − loglik)``, ``df = Σ_g npar_g − npar``, ``pvalue``.
            Items not estimable in some group are dropped from every fit (``items_excluded``).

        References
        ----------
        Andersen, E. B. (1973). A goodness of fit test for the Rasch model. *Psychometrika*,
        38, 123-140.
        """
        codes, labels, name, excluded, fits, full = self._group_fits(split, "LR test")
        ll_groups = float(sum(f.cml.loglik for f in fits))
        lr = 2 * abs(ll_groups - full.cml.loglik)
        df = int(sum(f.npar for f in fits) - full.npar)
        groups = pd.DataFrame({"n": np.bincount(codes, minlength=len(labels)),
                               "loglik": [f.cml.loglik for f in fits],
                               "npar": [f.npar for f in fits]},
                              index=pd.Index(labels, name="group"))
        betas = pd.concat({lab: f.beta_frame() for lab, f in zip(labels, fits)}, axis=1)
        return LRTestResult(split=name, lr=lr, df=df, pvalue=float(special.chdtrc(df, lr)),
                            loglik_full=float(full.cml.loglik), loglik_groups=ll_groups,
                            items_excluded=excluded, groups=groups, betas=betas)

    @blas_limited
    def wald_test(self, split="median") -> WaldTestResult:
        """Wald test per item (RM) or item category (PCM/RSM) between two groups (eRm's
        ``Waldtest``): ``z = (β_1 − β_2) / sqrt(se_1² + se_2²)``, two-sided ``pvalue``.

        ``split`` as in :meth:`lr_test`, but with exactly two groups.

        References
        ----------
        Fischer, G. H., & Scheiblechner, H. (1970). Algorithmen und Programme für das
        probabilistische Testmodell von Rasch. *Psychologische Beiträge*, 12, 23-51.
        """
        codes, labels, name = self._groups(split)
        if len(labels) != 2:
            raise DataError(f"Wald test: split {name!r} must have exactly two groups; got "
                            f"{len(labels)}: {labels}")
        _, labels, name, excluded, fits, _ = self._group_fits(split, "Wald test")
        b1, b2 = fits[0].beta_frame(), fits[1].beta_frame()
        z = (b1["easiness"] - b2["easiness"]) / np.sqrt(b1["se"] ** 2 + b2["se"] ** 2)
        table = pd.DataFrame({"z": z, "pvalue": special.erfc(np.abs(z) / np.sqrt(2)),
                              "beta_1": b1["easiness"], "se_1": b1["se"],
                              "beta_2": b2["easiness"], "se_2": b2["se"]})
        return WaldTestResult(split=name, group_1=labels[0], group_2=labels[1],
                              items_excluded=excluded, table=table)

    def summary(self) -> str:
        head = (f"{_MODEL_NAMES[self.model]} (CML, eRm normalisation): {self.n_rows} "
                f"respondents, {len(self.items)} items, conditional loglik = "
                f"{self.loglik:.4f}, npar = {self.npar}"
                + ("" if self.converged else "  ** NOT CONVERGED **"))
        if self.items_excluded:
            head += f"\nitems excluded (constant): {self.items_excluded}"
        parts = [head, format_table(self.item_params, "item parameters")]
        if self.model != "RM":
            parts.append(format_table(self.thresholds, "thresholds"))
        return "\n\n".join(parts)


def _discrimination(x: np.ndarray) -> np.ndarray:
    """eRm's item discrimination: column sums of R (SMC diagonal) over sqrt(sum R)."""
    r = pd.DataFrame(x).corr().to_numpy().copy()
    if np.isnan(r).any():
        return np.full(x.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        smc = 1 - 1 / np.diag(np.linalg.pinv(r))
    np.fill_diagonal(r, np.minimum(smc, 1.0))
    with np.errstate(invalid="ignore"):  # a negative total (degenerate R) gives NaN, as eRm
        return r.sum(axis=0) / np.sqrt(r.sum())


def _model(items, model: str, name: str) -> RaschResult:
    x, cols, excluded, dropped, index, m, kept = check_answers(items, model, name)
    fit = _fit(x, cols, m, model)
    betas = fit.beta_frame()
    vb = fit.cml.vcov_beta
    eta_se = np.sqrt(np.diag(fit.cml.vcov_eta))
    etas = pd.DataFrame({"eta": -fit.cml.eta, "se": eta_se},
                        index=pd.Index(_eta_labels(model, cols, m), name="parameter"))
    # thresholds τ_ih = −(β_ih − β_i,h−1) and their covariance T V T'
    nb = len(fit.cml.beta)
    t_mat = -np.eye(nb)
    off = np.concatenate([[0], np.cumsum(m)[:-1]])
    for o, mi in zip(off, m):
        for h in range(1, mi):
            t_mat[o + h, o + h - 1] = 1.0
    tau = t_mat @ fit.cml.beta
    tau_se = np.sqrt(np.diag(t_mat @ vb @ t_mat.T))
    mmax = int(m.max())
    tcols = [str(h) for h in range(1, mmax + 1)]
    thr = pd.DataFrame(np.nan, index=pd.Index(cols, name="item"), columns=tcols)
    thr_se = thr.copy()
    for i, (o, mi) in enumerate(zip(off, m)):
        thr.iloc[i, :mi] = tau[o:o + mi]
        thr_se.iloc[i, :mi] = tau_se[o:o + mi]
    top = off + m - 1
    se_beta = np.sqrt(np.diag(vb))
    if model == "RM":
        item_params = pd.DataFrame({"difficulty": -fit.cml.beta, "se": se_beta},
                                   index=pd.Index(cols, name="item"))
    else:
        item_params = pd.DataFrame({"location": -fit.cml.beta[top] / m,
                                    "se": se_beta[top] / m},
                                   index=pd.Index(cols, name="item"))
    data = pd.DataFrame(x, index=index, columns=cols)
    return RaschResult(model=model, items=cols, items_excluded=excluded, n_rows=len(x),
                       rows_dropped=dropped, loglik=float(fit.cml.loglik), npar=fit.npar,
                       converged=bool(fit.cml.converged), iterations=fit.cml.iterations,
                       item_params=item_params, thresholds=thr, thresholds_se=thr_se,
                       betas=betas, etas=etas, vcov=fit.cml.vcov_eta, data=data, kept=kept,
                       _fit=fit)


@blas_limited
def rasch(items, *, name: str = "items") -> RaschResult:
    """Fit the dichotomous Rasch model by conditional ML, as ``eRm::RM(X, sum0 = TRUE)``.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items)
        Answers 0/1, NaN for missing. Items answered the same by everyone are excluded (with
        a warning, as eRm); rows with fewer than two answers are left out (``rows_dropped``).
    name : str
        How the data are named in error messages.

    Returns
    -------
    RaschResult
        Difficulties (summing to 0) with SEs, the conditional log-likelihood, and methods
        ``person_params``, ``itemfit``, ``personfit``, ``separation_reliability``,
        ``lr_test`` and ``wald_test``.

    References
    ----------
    Rasch, G. (1960). *Probabilistic Models for Some Intelligence and Attainment Tests*.
    Danish Institute for Educational Research.
    Mair, P., & Hatzinger, R. (2007). Extended Rasch modeling: The eRm package for the
    application of IRT models in R. *Journal of Statistical Software*, 20(9).

    Examples
    --------
    >>> import numpy as np, psychometrics as pm
    >>> rng = np.random.default_rng(1)
    >>> theta = rng.normal(size=(200, 1))
    >>> x = (theta + rng.logistic(size=(200, 5)) > np.linspace(-1, 1, 5)).astype(int)
    >>> fit = pm.rasch(x)
    >>> round(float(fit.item_params["difficulty"].sum()), 10)
    0.0
    >>> fit.lr_test("median").df
    4
    """
    return _model(items, "RM", name)


@blas_limited
def pcm(items, *, name: str = "items") -> RaschResult:
    """Fit the partial credit model by conditional ML, as ``eRm::PCM(X, sum0 = TRUE)``.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items)
        Answers 0..m_i (every category of an item must be used), NaN for missing.
    name : str
        How the data are named in error messages.

    Returns
    -------
    RaschResult
        Item locations and thresholds with SEs (eRm's normalisation: all cumulative
        category parameters sum to 0), and the methods of :func:`rasch`.

    References
    ----------
    Masters, G. N. (1982). A Rasch model for partial credit scoring. *Psychometrika*, 47,
    149-174.
    """
    return _model(items, "PCM", name)


@blas_limited
def rsm(items, *, name: str = "items") -> RaschResult:
    """Fit the rating scale model by conditional ML, as ``eRm::RSM(X, sum0 = TRUE)``.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items)
        Answers 0..m with the same highest category m for every item, NaN for missing.
    name : str
        How the data are named in error messages.

    Returns
    -------
    RaschResult
        ``β_ih = −(h δ_i + ω_h)`` with the item parameters ``δ_i`` (each item's first
        threshold) summing to 0; thresholds and the methods of :func:`rasch`.

    References
    ----------
    Andrich, D. (1978). A rating formulation for ordered response categories.
    *Psychometrika*, 43, 561-573.
    """
    return _model(items, "RSM", name)
