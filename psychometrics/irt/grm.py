"""Graded response model (Samejima) by marginal maximum likelihood, one factor.

Model: for item ``i`` with ordered categories ``0..m_i`` (the item's observed answers, in
order), ``P(Y_i >= k | theta) = F(a_i theta + d_ik) = F(a_i (theta - b_ik))``, ``k = 1..m_i``,
with ``F`` the logistic function (``link="logit"``) or the standard normal distribution
function (``link="probit"``, the normal ogive), ``theta ~ N(0, 1)``, ``b_ik = -d_ik / a_i``.

Estimation: EM (Bock & Aitkin, 1981) over Gauss-Hermite quadrature, vectorised over
respondents and quadrature points: the E-step is two matrix products of the one-hot answer
matrix with the per-node log category probabilities, the M-step a few Fisher-scoring steps per
item on the expected counts. A missing answer contributes nothing for that item (the
likelihood is over the answered items only: ignorable missingness, as mirt does).
Standard errors come from the observed information of the marginal likelihood by Louis'
(1982) formula: complete-data information minus the posterior covariance of the complete-data
scores (exact at the MLE, no finite differences); SEs of ``b`` by the delta method.

Why our own code and not a library: the PyPI ``mirt`` package (1.2.0, Rust backend) was
evaluated: it fits the logistic GRM well (same log-likelihood on bfi N1-N5) but has no
normal-ogive link, which the comparison with the package's ordinal CFA needs, took 14 s for
bfi N1-N5 (2,800 x 5, 61 nodes, with SEs) and requires Python >= 3.11 with a compiled
extension. ``girth`` is unmaintained since 2021 and has no SEs. The EM here is about a hundred
lines of numpy and fits 5,000 x 22 items in well under the time budget (``bench/bench_irt.py``).

Layout: the engine (link functions, EM, Louis' information) is :mod:`.grm_engine`; this module
checks the options and assembles the result (:func:`grm`, :class:`GRMResult`), converts to and
from the ordinal CFA and simulates.

References
----------
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
Psychometrika Monograph 17.
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
application of an EM algorithm. Psychometrika, 46, 443-459.
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
JRSS B, 44, 226-233.
Takane, Y., & de Leeuw, J. (1987). On the relationship between item response theory and
factor analysis of discretized variables. Psychometrika, 52, 393-408.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_choice, check_positive_int
from .._results import Result, format_table, jsonable
from ..errors import ConvergenceError, DataError, OptionError
from ..threads import blas_limited
from .grm_engine import (
    TINY,
    CodedAnswers,
    cdf,
    code_answers,
    fit_em,
    item_pieces,
    louis_information,
    posterior,
    quadrature,
)

__all__ = ["grm", "GRMResult", "grm_from_cfa", "cfa_from_grm", "quadrature", "simulate_grm"]

_LINKS = ("logit", "probit")
#: Fewest Gauss-Hermite nodes accepted: below this the marginal likelihood's integral over
#: N(0, 1) is too coarse for the thresholds at the ends (mirt's default is 61, as ours).
MIN_NODES = 5
#: The information matrix counts as singular when its smallest eigenvalue is below this
#: fraction of its largest: a parameter that is not identified.
PD_RTOL = 1e-10


# ------------------------------------------------------------------ result
@dataclass(frozen=True)
class GRMResult(Result):
    """A fitted graded response model.

    Attributes
    ----------
    items : list of str
    link : {"logit", "probit"}
    item_params : DataFrame
        Index item; ``a`` and ``a_se`` (discrimination), ``n_categories``.
    thresholds, thresholds_se : DataFrame
        Item x ``b1..bm`` (NaN where an item has fewer categories): ``P(Y >= k) =
        F(a (theta - b_k))``.
    intercepts, intercepts_se : DataFrame
        Item x ``d1..dm`` in the slope-intercept form ``F(a theta + d_k)``.
    categories : dict
        Item -> the observed answer values that are categories 0..m, in order.
    scores : DataFrame
        One row per respondent (the input's index): ``theta`` (EAP), ``se`` (posterior SD),
        ``n_answered``. Respondents with no answer get NaN.
    loglik : float
        Marginal log-likelihood at the estimate.
    n, n_iter, converged, n_points
    se_method : str
    vcov : DataFrame
        Covariance of the (a, d) parameters (not in ``to_dict``).
    """

    items: list
    link: str
    item_params: pd.DataFrame
    thresholds: pd.DataFrame
    thresholds_se: pd.DataFrame
    intercepts: pd.DataFrame
    intercepts_se: pd.DataFrame
    categories: dict
    scores: pd.DataFrame
    loglik: float
    n: int
    npar: int
    n_iter: int
    converged: bool
    n_points: int
    se_method: str = "observed information (Louis 1982)"
    vcov: pd.DataFrame = field(default=None, repr=False)

    def person_scores(self) -> pd.DataFrame:
        """EAP ``theta`` and its ``se`` (posterior SD) per respondent, as the Rasch results'
        ``person_scores()`` (index as given)."""
        return self.scores.copy()

    # -------------------------------------------------------------- curves
    def _ad(self, item: str):
        a = float(self.item_params.loc[item, "a"])
        d = self.intercepts.loc[item].dropna().to_numpy(float)
        return a, d

    def category_probabilities(self, theta, item: str) -> pd.DataFrame:
        """``P(Y = k | theta)`` for one item: rows theta, columns the item's categories."""
        t = np.atleast_1d(np.asarray(theta, float))
        a, d = self._ad(item)
        P, _, _, _ = item_pieces(t, a, d, self.link)
        return pd.DataFrame(P, index=pd.Index(t, name="theta"), columns=self.categories[item])

    def expected_score(self, theta) -> pd.Series:
        """Expected raw score at ``theta``: the sum over items of the expected answer, on the
        answers' own scale (the observed values that are each item's categories)."""
        t = np.atleast_1d(np.asarray(theta, float))
        total = np.zeros(t.size)
        for it in self.items:
            P = self.category_probabilities(t, it).to_numpy()
            total += P @ np.asarray(self.categories[it], float)
        return pd.Series(total, index=pd.Index(t, name="theta"), name="expected_score")

    def information(self, theta=None) -> pd.DataFrame:
        """Item information (one column per item) and ``test`` information at ``theta``.

        ``I_i(theta) = sum_k (dP_k/dtheta)^2 / P_k`` (Samejima, 1969); the test information is
        their sum. ``theta`` defaults to a grid from -4 to 4.
        """
        t = np.linspace(-4, 4, 161) if theta is None else np.atleast_1d(np.asarray(theta, float))
        out = {}
        for it in self.items:
            a, d = self._ad(it)
            P, _, f, _ = item_pieces(t, a, d, self.link)
            dPt = a * (f[:, :-1] - f[:, 1:])
            out[it] = np.sum(dPt ** 2 / np.maximum(P, TINY), axis=1)
        df = pd.DataFrame(out, index=pd.Index(t, name="theta"))
        df["test"] = df[self.items].sum(axis=1)
        return df

    def sem(self, theta=None) -> pd.Series:
        """Standard error of measurement along theta: ``1 / sqrt(test information)``."""
        info = self.information(theta)["test"]
        return (1.0 / np.sqrt(info)).rename("sem")

    # -------------------------------------------------------------- output
    def to_dict(self) -> dict:
        return {
            "model": "grm", "link": self.link, "items": list(self.items),
            "n": self.n, "npar": self.npar, "loglik": self.loglik,
            "converged": bool(self.converged), "n_iter": self.n_iter,
            "n_points": self.n_points, "se_method": self.se_method,
            "categories": {k: jsonable(v) for k, v in self.categories.items()},
            "item_params": jsonable(self.item_params),
            "thresholds": jsonable(self.thresholds),
            "thresholds_se": jsonable(self.thresholds_se),
            "intercepts": jsonable(self.intercepts),
            "intercepts_se": jsonable(self.intercepts_se),
        }

    def summary(self) -> str:
        head = (f"Graded response model ({self.link} link), marginal ML by EM, "
                f"{self.n_points} Gauss-Hermite nodes; n = {self.n}, loglik = {self.loglik:.4f}, "
                f"{self.npar} parameters; {'converged' if self.converged else 'NOT converged'} "
                f"after {self.n_iter} EM cycles; SEs: {self.se_method}")
        tab = self.item_params[["a", "a_se"]].join(self.thresholds)
        return "\n\n".join([head, format_table(tab, "Discrimination a and thresholds b")])


@blas_limited
def grm(items, link: str = "logit", *, n_points: int = 61, max_iter: int = 2000,
        tol: float = 1e-7, se: bool = True) -> GRMResult:
    """Fit Samejima's graded response model by marginal maximum likelihood (one factor).

    Parameters
    ----------
    items : DataFrame or array-like, respondents x items
        Ordered answers (any numbers; each item's observed values are its categories, in
        order). NaN = not answered: that item contributes nothing for that respondent.
    link : {"logit", "probit"}
        Logistic GRM (as mirt's ``graded``) or the normal ogive (as an ordinal CFA).
    n_points : int
        Gauss-Hermite quadrature nodes for the N(0, 1) ability distribution.
    max_iter, tol : int, float
        EM cycles at most; stop when no parameter moves more than ``tol`` in a cycle.
    se : bool
        Compute standard errors (observed information by Louis' formula).

    Returns
    -------
    GRMResult

    References
    ----------
    Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
    scores. Psychometrika Monograph 17.
    Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
    parameters: application of an EM algorithm. Psychometrika, 46, 443-459.
    Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
    JRSS B, 44, 226-233.
    Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for accelerating
    the convergence of any EM algorithm. Scandinavian Journal of Statistics, 35, 335-353.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import psychometrics as pm
    >>> rng = np.random.default_rng(1)
    >>> th = rng.normal(size=500)
    >>> X = pd.DataFrame({f"i{j}": (th + rng.normal(size=500) > c).astype(int) +
    ...                   (th + rng.normal(size=500) > c + 1).astype(int)
    ...                   for j, c in enumerate([-1, -0.5, 0, 0.5])})
    >>> res = pm.grm(X, link="probit")
    >>> res.converged
    True
    """
    check_choice(link, _LINKS, "link")
    n_points = check_positive_int(n_points, "n_points", minimum=MIN_NODES)
    max_iter = check_positive_int(max_iter, "max_iter")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise OptionError(f"tol must be a number between 0 and 1 (e.g. 1e-7); got {tol!r}",
                          "tol", tol)
    coded = code_answers(items)
    answered = (coded.codes >= 0).sum(axis=1)
    use = answered > 0
    fit_coded = coded if use.all() else coded.subset(use)
    theta, w, A, D, post, ll, it, conv = fit_em(fit_coded, link, n_points, max_iter, tol)
    if not conv:
        worst = coded.items[int(np.argmax(A))]
        raise ConvergenceError(
            f"the graded response model did not converge in {max_iter} EM cycles (largest "
            f"discrimination: item {worst!r}, a = {A.max():.3g}); an item that separates the "
            "respondents perfectly, or too few respondents per category, makes the ML estimate "
            "run off: collapse sparse categories or drop that item")
    names, V, Vfull = _covariance(coded, fit_coded, theta, A, D, link, post, se)
    # EAP scores for every respondent (NaN where nothing was answered)
    post_all, _ = posterior(coded, theta, A, D, link, np.log(w))
    eap = post_all @ theta
    psd = np.sqrt(np.maximum(post_all @ theta ** 2 - eap ** 2, 0.0))
    eap[~use], psd[~use] = np.nan, np.nan
    return _result(coded, link, A, D, Vfull, V, names,
                   scores=pd.DataFrame({"theta": eap, "se": psd, "n_answered": answered},
                                       index=coded.index),
                   loglik=ll, n=int(use.sum()), n_iter=it, converged=conv, n_points=n_points)


def _covariance(coded: CodedAnswers, fit_coded: CodedAnswers, theta, A, D, link: str, post,
                se: bool):
    """The free parameters' names, their covariance (inverse observed information; NaN
    without ``se``) and the same in the padded (a, d_1..d_M) layout of every item."""
    J, M = D.shape
    p = M + 1
    free = np.column_stack([np.ones(J, bool), ~np.isneginf(D)]).ravel()   # drop padding
    names = [(it_, "a" if h == 0 else f"d{h}") for it_ in coded.items for h in range(p)]
    names = [nm for nm, f in zip(names, free) if f]
    if se:
        info = louis_information(fit_coded, theta, A, D, link, post)[np.ix_(free, free)]
        evals = np.linalg.eigvalsh(info)
        if not np.all(np.isfinite(evals)) or evals.min() <= PD_RTOL * max(evals.max(), 1.0):
            raise ConvergenceError(
                "the graded response model's information matrix is not positive definite at "
                "the estimate (a parameter is not identified: an item whose discrimination "
                "runs off or a category chosen by almost nobody); collapse sparse categories "
                f"or drop items. Discriminations: {dict(zip(coded.items, np.round(A, 3)))}")
        V = np.linalg.inv(info)
    else:
        V = np.full((len(names), len(names)), np.nan)
    Vfull = np.full((J * p, J * p), np.nan)
    Vfull[np.ix_(free, free)] = V
    return names, V, Vfull


def _result(coded: CodedAnswers, link: str, A, D, Vfull, V, names, **fields) -> GRMResult:
    """The result tables: discriminations, thresholds ``b = -d / a`` with delta-method SEs,
    intercepts, categories and the parameters' covariance."""
    J, M = D.shape
    p = M + 1
    Dm = np.where(np.isneginf(D), np.nan, D)
    B = -Dm / A[:, None]
    a_se = np.sqrt(np.diag(Vfull)[0::p])
    dvar = np.diag(Vfull).reshape(J, p)[:, 1:]
    Dse = np.sqrt(dvar)
    # delta method: b_k = -d_k / a, gradient (d_k / a^2, -1 / a)
    blocks = np.stack([Vfull[j * p:(j + 1) * p, j * p:(j + 1) * p] for j in range(J)])
    cov_ad = blocks[:, 0, 1:]
    Bse = np.sqrt((Dm / A[:, None] ** 2) ** 2 * a_se[:, None] ** 2 + dvar / A[:, None] ** 2
                  - 2 * Dm / A[:, None] ** 3 * cov_ad)
    K = [c.size for c in coded.categories]
    bcols = [f"b{k}" for k in range(1, M + 1)]
    dcols = [f"d{k}" for k in range(1, M + 1)]
    idx = pd.Index(coded.items, name="item")
    item_params = pd.DataFrame({"a": A, "a_se": a_se, "n_categories": K}, index=idx)
    return GRMResult(
        items=list(coded.items), link=link, item_params=item_params,
        thresholds=pd.DataFrame(B, index=idx, columns=bcols),
        thresholds_se=pd.DataFrame(Bse, index=idx, columns=bcols),
        intercepts=pd.DataFrame(Dm, index=idx, columns=dcols),
        intercepts_se=pd.DataFrame(Dse, index=idx, columns=dcols),
        categories={it_: [float(v) for v in c] for it_, c in zip(coded.items, coded.categories)},
        npar=len(names),
        vcov=pd.DataFrame(V, index=pd.MultiIndex.from_tuples(names),
                          columns=pd.MultiIndex.from_tuples(names)), **fields)


# ------------------------------------------------------------------ ordinal CFA <-> GRM
def grm_from_cfa(loadings, thresholds=None, *, parameterization: str = "delta") -> pd.DataFrame:
    """Normal-ogive GRM parameters from a one-factor ordinal CFA (Takane & de Leeuw, 1987).

    Parameters
    ----------
    loadings : Series, array-like or CFAResult
        Item loadings on the single factor (factor variance 1). A ``CFAResult`` of an ordinal
        (WLSMV/DWLS) fit supplies its standardised loadings and thresholds.
    thresholds : DataFrame or 2-D array-like, optional
        Item x threshold (``tau_1..tau_m``; NaN where an item has fewer).
    parameterization : {"delta", "theta"}
        ``"delta"`` (lavaan's default; standardised latent responses): ``a = lambda /
        sqrt(1 - lambda^2)``, ``b_k = tau_k / lambda``. ``"theta"`` (unit residual variance):
        ``a = lambda``, ``b_k = tau_k / lambda``.

    Returns
    -------
    DataFrame
        Index item: ``a`` then ``b1..bm``, the normal-ogive metric ``P(Y >= k | theta) =
        Phi(a (theta - b_k))`` with ``theta ~ N(0, 1)``.

    References
    ----------
    Takane, Y., & de Leeuw, J. (1987). Psychometrika, 52, 393-408.
    """
    check_choice(parameterization, ("delta", "theta"), "parameterization")
    if hasattr(loadings, "estimates") and hasattr(loadings, "latent"):
        return _from_cfa_result(loadings)
    lam = loadings if isinstance(loadings, pd.Series) else pd.Series(np.asarray(loadings, float))
    lam = lam.astype(float)
    if thresholds is None:
        raise DataError("grm_from_cfa: thresholds are needed with plain loadings")
    tau = thresholds if isinstance(thresholds, pd.DataFrame) else pd.DataFrame(
        np.asarray(thresholds, float), index=lam.index)
    if len(tau) != len(lam):
        raise DataError(f"grm_from_cfa: {len(lam)} loadings but {len(tau)} threshold rows")
    if parameterization == "delta":
        bad = ~((lam.abs() < 1) & (lam != 0))
        if bad.any():
            raise DataError(f"grm_from_cfa: standardised loadings must lie strictly between -1 "
                            f"and 1 and not be 0; got {lam[bad].to_dict()}")
        a = lam / np.sqrt(1 - lam ** 2)
    else:
        if (lam == 0).any():
            raise DataError(f"grm_from_cfa: zero loading {lam[lam == 0].to_dict()}")
        a = lam
    b = tau.to_numpy(float) / lam.to_numpy(float)[:, None]
    out = pd.DataFrame(b, index=lam.index, columns=[f"b{k + 1}" for k in range(b.shape[1])])
    out.insert(0, "a", a.to_numpy())
    return out


def _from_cfa_result(res) -> pd.DataFrame:
    if len(res.latent) != 1:
        raise DataError(f"grm_from_cfa: a one-factor model is needed, this one has factors "
                        f"{list(res.latent)}")
    est = res.estimates
    lam = res.std_loadings.iloc[:, 0]
    rows = est[est["op"] == "|"]
    if rows.empty:
        raise DataError("grm_from_cfa: the CFA has no thresholds; fit it with ordered items "
                        "(estimator='WLSMV')")
    taus = {}
    for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows["std.all"]):
        taus.setdefault(lhs, {})[int(str(rhs).lstrip("t"))] = v
    tau = pd.DataFrame({k: pd.Series(v) for k, v in taus.items()}).T.reindex(lam.index)
    return grm_from_cfa(lam, tau.sort_index(axis=1), parameterization="delta")


def cfa_from_grm(params: pd.DataFrame) -> pd.DataFrame:
    """Standardised ordinal-CFA loadings and thresholds from normal-ogive GRM parameters.

    The inverse of :func:`grm_from_cfa` (delta parameterization): ``lambda = a / sqrt(1 +
    a^2)``, ``tau_k = b_k lambda``. ``params`` is a probit :class:`GRMResult` or a table
    with ``a`` and ``b1..bm`` columns (as :func:`grm_from_cfa` returns).

    Returns
    -------
    DataFrame
        Index item: ``loading`` then ``t1..tm``.

    References
    ----------
    Takane, Y., & de Leeuw, J. (1987). On the relationship between item response theory and
    factor analysis of discretized variables. Psychometrika, 52, 393-408.
    """
    if isinstance(params, GRMResult):
        if params.link != "probit":
            raise DataError("cfa_from_grm: the ordinal CFA is the normal-ogive (probit) GRM; "
                            f"this model has the {params.link} link: fit grm(link='probit')")
        params = params.item_params[["a"]].join(params.thresholds)
    if "a" not in params.columns:
        raise DataError("cfa_from_grm: params need an 'a' column and b1..bm columns")
    a = params["a"].astype(float)
    lam = a / np.sqrt(1 + a ** 2)
    bcols = [c for c in params.columns if str(c).startswith("b")]
    tau = params[bcols].to_numpy(float) * lam.to_numpy()[:, None]
    out = pd.DataFrame(tau, index=params.index, columns=[f"t{k + 1}" for k in range(len(bcols))])
    out.insert(0, "loading", lam.to_numpy())
    return out


# ------------------------------------------------------------------ simulation
def simulate_grm(a, b, n: int, *, link: str = "logit", seed=None, theta=None,
                 return_theta: bool = False):
    """Draw answers 0..m from a graded response model (for studies and tests).

    Parameters
    ----------
    a : array-like, shape (items,)
        Discriminations.
    b : array-like, shape (items, m)
        Increasing thresholds per item (NaN-padded rows for items with fewer categories).
    n : int
        Respondents.
    link : {"logit", "probit"}
    seed : int or Generator, optional
    theta : array-like, optional
        Abilities to use instead of drawing ``n`` from N(0, 1) (``n`` is then ignored).
    return_theta : bool
        Also return the abilities.

    Returns
    -------
    DataFrame, or (DataFrame, ndarray) with ``return_theta``
        ``n`` x items, columns ``i1..iJ``, answers 0..m.

    References
    ----------
    Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
    scores. Psychometrika Monograph 17.
    """
    from ..resample import rng as make_rng

    check_choice(link, _LINKS, "link")
    gen = make_rng(seed)
    a = np.asarray(a, float)
    b = np.atleast_2d(np.asarray(b, float))
    if b.shape[0] != a.size:
        raise DataError(f"simulate_grm: {a.size} discriminations but {b.shape[0]} threshold rows")
    th = gen.standard_normal(check_positive_int(n, "n")) if theta is None \
        else np.asarray(theta, float)
    u = gen.random((th.size, a.size))
    # P(Y >= k) for every k; Y = number of thresholds passed (NaN thresholds never passed)
    with np.errstate(invalid="ignore"):
        cum = cdf(a[None, :, None] * (th[:, None, None] - b[None, :, :]), link)
    cum = np.nan_to_num(cum, nan=0.0)
    y = (u[:, :, None] < cum).sum(axis=2)
    out = pd.DataFrame(y, columns=[f"i{j + 1}" for j in range(a.size)])
    return (out, th) if return_theta else out
