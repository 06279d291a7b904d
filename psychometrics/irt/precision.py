"""How precisely an instrument measures at its cut-off: information, SE, classification
accuracy and consistency (Rudner).

Works with any fitted IRT model of the package: the graded response model
(:func:`psychometrics.grm`) and the Rasch family (:func:`psychometrics.rasch`, ``pcm``,
``rsm``; their curves are computed here from the thresholds ``tau_ih``, Masters' partial
credit form ``P(X = h) ~ exp(h theta - sum_{l<=h} tau_il)``).

A cut-off is given on the theta scale or on the raw-score scale (the sum of the item scores as
the model codes them: 0..m per item for the Rasch family, the observed answer values for the
GRM). A raw cut-off ``c`` ("raw >= c is positive") becomes the theta at which the expected raw
score (test characteristic curve) equals ``c``; for a Rasch model with complete answers this
is exactly the ML person parameter of raw score ``c``.

References
----------
Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
Practical Assessment, Research & Evaluation, 7(14).
Rudner, L. M. (2005). Expected classification accuracy. Practical Assessment, Research &
Evaluation, 10(13).
Lee, W.-C. (2010). Classification consistency and accuracy for complex assessments using item
response theory. Journal of Educational Measurement, 47, 1-17.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .._checks import check_choice, check_positive_int, check_vector
from .._results import Result, format_table
from ..errors import DataError
from ..threads import blas_limited

__all__ = ["classification_accuracy", "ClassificationResult", "cutoff_precision",
           "CutoffPrecision", "model_curves", "theta_at_raw"]


# ------------------------------------------------------------------ model curves
def _rasch_curves(thresholds: pd.DataFrame):
    tau = thresholds.to_numpy(float)                       # items x m (NaN padded)
    cum = np.concatenate([np.zeros((tau.shape[0], 1)), np.cumsum(np.nan_to_num(tau), axis=1)],
                         axis=1)
    valid = np.concatenate([np.ones((tau.shape[0], 1), bool), ~np.isnan(tau)], axis=1)
    h = np.arange(cum.shape[1], dtype=float)

    def probs(theta):
        t = np.atleast_1d(np.asarray(theta, float))
        eta = h[None, None, :] * t[:, None, None] - cum[None, :, :]
        eta = np.where(valid[None], eta, -np.inf)
        return np.exp(eta - special.logsumexp(eta, axis=2, keepdims=True))   # T x I x K

    def information(theta):
        P = probs(theta)
        mean = P @ h
        return np.sum(P @ h ** 2 - mean ** 2, axis=1)

    def expected(theta):
        return np.sum(probs(theta) @ h, axis=1)

    return information, expected, float(np.sum(valid, axis=1).sum() - valid.shape[0])


def model_curves(model):
    """The test information and expected raw score functions of a fitted model.

    Returns
    -------
    information, expected_score : callables theta -> ndarray
    max_score, min_score : float
        The raw-score range.
    """
    if hasattr(model, "information") and hasattr(model, "expected_score"):
        cats = getattr(model, "categories", {})
        lo = float(sum(min(v) for v in cats.values())) if cats else 0.0
        hi = float(sum(max(v) for v in cats.values())) if cats else np.nan
        return (lambda t: model.information(t)["test"].to_numpy(),
                lambda t: model.expected_score(t).to_numpy(), hi, lo)
    if isinstance(getattr(model, "thresholds", None), pd.DataFrame):
        info, exp, hi = _rasch_curves(model.thresholds)
        return info, exp, hi, 0.0
    raise DataError(f"not a fitted IRT model: {type(model).__name__} has neither "
                    "information()/expected_score() nor a thresholds table")


#: theta_at_raw: the bracket searched (any raw score inside the open range has its theta well
#: within +-20 logits) and the halvings: 40 / 2^80 is far below 1e-10.
THETA_BRACKET = 20.0
BISECTIONS = 80


def theta_at_raw(model, raw) -> np.ndarray:
    """The theta whose expected raw score equals ``raw`` (inverse test characteristic curve).

    ``raw`` must lie strictly inside the score range (a zero or full score has no finite
    theta). Bisection on the monotone curve, to 1e-10.
    """
    _, expected, hi, lo = model_curves(model)
    r = np.atleast_1d(np.asarray(raw, float))
    bad = (r <= lo) | (r >= hi) | np.isnan(r)
    if bad.any():
        raise DataError(f"raw cut-off {r[bad][0]:g} is outside the open score range "
                        f"({lo:g}, {hi:g}): the extreme scores have no finite theta")
    a = np.full(r.shape, -THETA_BRACKET)
    b = np.full(r.shape, THETA_BRACKET)
    for _ in range(BISECTIONS):
        mid = (a + b) / 2
        up = expected(mid) < r
        a, b = np.where(up, mid, a), np.where(up, b, mid)
    return (a + b) / 2


# ------------------------------------------------------------------ Rudner
#: Fewest quadrature nodes for the model form (as the GRM's ``n_points``).
MIN_NODES = 5

def _class_probs(centre, sd, cuts):
    """P(value in class k) for N(centre, sd^2) and classes split by ``cuts``: n x (C + 1)."""
    z = (cuts[None, :] - centre[:, None]) / sd[:, None]
    cdf = np.concatenate([np.zeros((centre.size, 1)), special.ndtr(z),
                          np.ones((centre.size, 1))], axis=1)
    return np.diff(cdf, axis=1)


@dataclass(frozen=True)
class ClassificationResult(Result):
    """Rudner's expected classification accuracy and consistency.

    Attributes
    ----------
    cutoffs : list of float
        Theta cut-offs (classes: below the first, ..., at or above the last).
    accuracy : float
        Expected proportion whose observed class is their true class.
    consistency : float
        Expected proportion classified the same on two independent administrations.
    kappa : float
        Cohen's kappa of the consistency (chance agreement from the expected class sizes).
    false_positive, false_negative : float
        With one cut-off: expected proportions classified at/above it whose true theta is
        below it, and the reverse.
    table : DataFrame
        Expected true class (rows) x observed class (columns) proportions.
    method : str
    n : int
        Respondents (or 0 for the model-based, population version).
    """

    cutoffs: list
    accuracy: float
    consistency: float
    kappa: float
    false_positive: float
    false_negative: float
    table: pd.DataFrame
    method: str
    n: int

    def summary(self) -> str:
        head = (f"Classification at theta cut-off(s) {[round(c, 3) for c in self.cutoffs]} "
                f"({self.method}; n = {self.n}): accuracy {self.accuracy:.3f}, consistency "
                f"{self.consistency:.3f} (kappa {self.kappa:.3f}), false positive "
                f"{self.false_positive:.3f}, false negative {self.false_negative:.3f}")
        return "\n\n".join([head, format_table(self.table, "Expected true (rows) x observed "
                                                           "(columns) class proportions")])


def _labels(cuts):
    return [f"< {cuts[0]:.3g}"] + [f"[{a:.3g}, {b:.3g})" for a, b in zip(cuts[:-1], cuts[1:])] \
        + [f">= {cuts[-1]:.3g}"]


def _finish(table: np.ndarray, cuts, method: str, n: int, consistency: float) -> ClassificationResult:
    acc = float(np.trace(table))
    # chance agreement of two administrations: sum over classes of the squared observed share
    chance = float(np.sum(table.sum(axis=0) ** 2))
    kappa = (consistency - chance) / (1 - chance) if chance < 1 else np.nan
    labels = _labels(cuts)
    if len(cuts) == 1:
        fp, fn = float(table[0, 1]), float(table[1, 0])
    else:
        fp = float(np.triu(table, 1).sum())
        fn = float(np.tril(table, -1).sum())
    return ClassificationResult(
        cutoffs=[float(c) for c in cuts], accuracy=acc, consistency=float(consistency),
        kappa=float(kappa), false_positive=fp, false_negative=fn,
        table=pd.DataFrame(table, index=pd.Index(labels, name="true"),
                           columns=pd.Index(labels, name="observed")),
        method=method, n=n)


def _check_cuts(cutoffs) -> np.ndarray:
    cuts = np.sort(np.atleast_1d(np.asarray(cutoffs, float)))
    if cuts.size == 0 or not np.all(np.isfinite(cuts)):
        raise DataError(f"cut-offs must be finite numbers; got {cutoffs!r}")
    if np.any(np.diff(cuts) == 0):
        raise DataError(f"cut-offs must differ; got {cutoffs!r}")
    return cuts


def _population(model, population):
    """(mean, sd) of the ability distribution for the model form."""
    if population is not None:
        mean, sd = (float(v) for v in population)
        if not (np.isfinite(mean) and np.isfinite(sd) and sd > 0):
            raise DataError(f"population must be (mean, sd) with sd > 0; got {population!r}")
        return mean, sd, "given"
    if isinstance(getattr(model, "scores", None), pd.DataFrame):
        return 0.0, 1.0, "N(0, 1), the model's own"    # marginal ML fixes the population
    est = _person_estimates(model)
    if est is not None:
        t = est[0][np.isfinite(est[0])]
        if t.size >= 2 and t.std(ddof=1) > 0:
            # CML leaves the ability distribution free: take the respondents' estimates
            return float(t.mean()), float(t.std(ddof=1)), "normal with the respondents' mean and SD"
    return 0.0, 1.0, "N(0, 1)"


@blas_limited
def classification_accuracy(theta, se=None, cutoffs=0.0, *, scale: str = "theta",
                            n_points: int = 61, population=None) -> ClassificationResult:
    """Rudner's expected classification accuracy and consistency at one or more cut-offs.

    Two forms:

    - **Respondents** (Rudner, 2005): ``theta`` and ``se`` are ability estimates and their
      standard errors (e.g. ``GRMResult.scores``). Each respondent's true theta is taken as
      ``N(theta, se^2)``; the accuracy is the mean probability that the true theta lies in
      the class of the estimate, the consistency the mean of ``sum_k p_k^2``.
    - **Model** (Rudner, 2001): ``theta`` is a fitted model (``se`` omitted). True theta
      follows a normal population (Gauss-Hermite nodes) and an estimate given theta is
      ``N(theta, 1 / I(theta))`` with ``I`` the test information. The population is the
      model's N(0, 1) for the graded response model; for the Rasch family (CML leaves it
      free) a normal with the mean and SD of the respondents' estimates; or ``population``.

    Parameters
    ----------
    theta : array-like or fitted model
    se : array-like, optional
        Standard errors, same length as ``theta`` (respondents form).
    cutoffs : float or sequence of float
        Cut-off(s): classes are ``theta < c1``, ``c1 <= theta < c2``, ..., ``theta >= ck``.
    scale : {"theta", "raw"}
        With a model: cut-offs on the raw-score scale are converted by
        :func:`theta_at_raw`.
    n_points : int
        Quadrature nodes for the model form.
    population : (mean, sd), optional
        The ability distribution of the model form (see above).

    Returns
    -------
    ClassificationResult

    References
    ----------
    Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
    Practical Assessment, Research & Evaluation, 7(14).
    Rudner, L. M. (2005). Expected classification accuracy. Practical Assessment, Research &
    Evaluation, 10(13).
    Lee, W.-C. (2010). Classification consistency and accuracy for complex assessments using
    item response theory. Journal of Educational Measurement, 47, 1-17.

    Examples
    --------
    >>> from psychometrics.irt.precision import classification_accuracy
    >>> res = classification_accuracy([0.5], [0.5], cutoffs=0.0)
    >>> round(res.accuracy, 4), round(res.consistency, 4)
    (0.8413, 0.733)
    """
    check_choice(scale, ("theta", "raw"), "scale")
    if se is None and not isinstance(theta, (np.ndarray, pd.Series, list, tuple)):
        return _model_form(theta, cutoffs, scale, n_points, population)
    if scale != "theta":
        raise DataError("scale='raw' needs a fitted model (theta = the model, se omitted)")
    if se is None:
        raise DataError("classification_accuracy: give se with ability estimates, or a "
                        "fitted model as theta")
    return _respondents_form(theta, se, cutoffs)


def _model_form(model, cutoffs, scale: str, n_points: int, population) -> ClassificationResult:
    """Rudner (2001): true theta over a normal population (Gauss-Hermite nodes), an estimate
    given theta ``N(theta, 1 / I(theta))``."""
    info, _, _, _ = model_curves(model)
    cuts = _check_cuts(cutoffs)
    if scale == "raw":
        cuts = np.sort(theta_at_raw(model, cuts))
    n_points = check_positive_int(n_points, "n_points", minimum=MIN_NODES)
    mean, sd_pop, how = _population(model, population)
    x, w = np.polynomial.hermite_e.hermegauss(n_points)
    x, w = mean + sd_pop * x, w / w.sum()
    sd = 1.0 / np.sqrt(info(x))
    P = _class_probs(x, sd, cuts)                      # node x observed class
    true = np.searchsorted(cuts, x, side="right")      # true class of each node
    C = cuts.size + 1
    table = np.zeros((C, C))
    np.add.at(table, true, w[:, None] * P)
    consistency = float(np.sum(w * np.sum(P ** 2, axis=1)))
    return _finish(table, cuts, f"model: population {how} (mean {mean:.3g}, SD "
                                f"{sd_pop:.3g}), SE = 1/sqrt(I(theta))", 0, consistency)


def _respondents_form(theta, se, cutoffs) -> ClassificationResult:
    """Rudner (2005): each respondent's true theta ``N(estimate, se^2)``."""
    t = check_vector(theta, name="theta", allow_nan=True)
    s = check_vector(se, name="se", allow_nan=True)
    if t.size != s.size:
        raise DataError(f"theta has {t.size} values but se has {s.size}")
    ok = ~(np.isnan(t) | np.isnan(s))
    if (s[ok] <= 0).any():
        raise DataError("se must be positive")
    if not ok.any():
        raise DataError("no respondent with both theta and se")
    t, s = t[ok], s[ok]
    cuts = _check_cuts(cutoffs)
    P = _class_probs(t, s, cuts)                           # respondent x true class
    observed = np.searchsorted(cuts, t, side="right")
    C = cuts.size + 1
    table = np.zeros((C, C))
    np.add.at(table.T, observed, P / t.size)               # rows true, columns observed
    consistency = float(np.mean(np.sum(P ** 2, axis=1)))
    return _finish(table, cuts, "respondents: true theta ~ N(estimate, se^2)", int(t.size),
                   consistency)


# ------------------------------------------------------------------ cut-off precision
@dataclass(frozen=True)
class CutoffPrecision(Result):
    """Measurement precision at a cut-off.

    Attributes
    ----------
    cutoff : float
        As given; ``scale`` says on which scale.
    theta : float
        The cut-off on the theta scale.
    raw : float
        The expected raw score at that theta.
    information, sem : float
        Test information and ``1 / sqrt(information)`` at the cut-off.
    max_information_theta : float
        Where the test information peaks (on a grid from -4 to 4).
    accuracy : ClassificationResult
        Rudner's model-based accuracy and consistency at the cut-off.
    respondents : ClassificationResult or None
        The same from the respondents' own estimates, when the model holds them.
    """

    cutoff: float
    scale: str
    theta: float
    raw: float
    information: float
    sem: float
    max_information_theta: float
    accuracy: ClassificationResult
    respondents: ClassificationResult | None

    def summary(self) -> str:
        lines = [f"Cut-off {self.cutoff:g} ({self.scale}): theta {self.theta:.3f}, expected raw "
                 f"score {self.raw:.2f}",
                 f"test information {self.information:.3f}, SE of measurement {self.sem:.3f} "
                 f"(information peaks at theta {self.max_information_theta:.2f})",
                 f"model-based accuracy {self.accuracy.accuracy:.3f}, consistency "
                 f"{self.accuracy.consistency:.3f}"]
        if self.respondents is not None:
            lines.append(f"respondent-based accuracy {self.respondents.accuracy:.3f}, "
                         f"consistency {self.respondents.consistency:.3f} "
                         f"(n = {self.respondents.n})")
        return "\n".join(lines)


def _person_estimates(model):
    """(theta, se) per respondent where the model holds them, else None."""
    scores = getattr(model, "scores", None)
    if isinstance(scores, pd.DataFrame):
        return scores["theta"].to_numpy(), scores["se"].to_numpy()
    if callable(getattr(model, "person_scores", None)):
        ps = model.person_scores()
        return ps["theta"].to_numpy(float), ps["se"].to_numpy(float)
    return None


def cutoff_precision(model, cutoff: float, *, scale: str = "raw") -> CutoffPrecision:
    """Test information, SE and classification accuracy/consistency at a cut-off.

    Parameters
    ----------
    model : fitted IRT model
        :func:`psychometrics.grm`, :func:`psychometrics.rasch`, ``pcm`` or ``rsm``.
    cutoff : float
        The cut-off ("at or above is positive").
    scale : {"raw", "theta"}
        The scale of ``cutoff``: raw sum score (converted by :func:`theta_at_raw`) or theta.

    Returns
    -------
    CutoffPrecision

    References
    ----------
    Rudner (2001, 2005); see the module docstring.
    """
    check_choice(scale, ("raw", "theta"), "scale")
    info, expected, _, _ = model_curves(model)
    c = float(cutoff)
    th = float(theta_at_raw(model, c)[0]) if scale == "raw" else c
    if not np.isfinite(th):
        raise DataError(f"cut-off {cutoff!r} is not a finite number")
    grid = np.linspace(-4, 4, 321)
    inf_at = float(info(np.array([th]))[0])
    model_acc = classification_accuracy(model, cutoffs=th)
    resp = None
    est = _person_estimates(model)
    if est is not None:
        t, s = est
        # respondents without an SE (Rasch extreme scores): the SE from the information
        s = np.where(np.isnan(s) & ~np.isnan(t), 1 / np.sqrt(info(np.nan_to_num(t))), s)
        if (~np.isnan(t)).any():
            resp = classification_accuracy(t, s, cutoffs=th)
    return CutoffPrecision(
        cutoff=c, scale=scale, theta=th, raw=float(expected(np.array([th]))[0]),
        information=inf_at, sem=1 / np.sqrt(inf_at),
        max_information_theta=float(grid[np.argmax(info(grid))]),
        accuracy=model_acc, respondents=resp)
