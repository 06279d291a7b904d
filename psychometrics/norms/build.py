"""Building a norm set from a sample: percentile tables, quantiles with bootstrap CIs, bands.

:func:`build_norms` validates the sample, weights it (survey weights and/or raking), and per
stratum computes the weighted distribution, type-1 quantiles with percentile-bootstrap CIs and
five-level bands; :func:`subscale_norm_doc` and :func:`norm_set_from_entries` write the norm
file's entries and provenance, shared with the one-pass builder of :mod:`psychometrics.norms_stream`.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._checks import align, check_choice, check_level, check_positive_int, check_vector
from .._results import jsonable
from ..errors import DataError, NormError
from ..i18n import strings
from ..instruments import validate
from ..resample import bootstrap as resample_bootstrap
from ..resample import resolve_seed, seed_record
from ..resample import rng as make_rng
from ..threads import blas_limited
from .continuous import age_groups, fit_continuous
from .meta import instrument_for_metadata
from .normset import NormSet, stratum_text
from .transforms import pr_from_distribution
from .weights import rake, weighted_quantile_counts

#: Percentiles that bound the default five-level bands (very low <= P5 < low <= P25 < average
#: < P75 <= high < P95 <= very high), as in the UWES and UBOS manuals (Schaufeli & Bakker 2004;
#: Schaufeli & van Dierendonck 2000).
FIVE_LEVEL_PERCENTILES = (5, 25, 75, 95)
#: Band ids of the five levels, low to high; their EN/NL/FR labels are in strings/norms.yaml.
FIVE_LEVELS = ("very_low", "low", "average", "high", "very_high")
#: Band ids of the three quartile bands used when other percentiles than 5/25/75/95 are asked.
QUARTILE_BANDS = ("bottom_quartile", "middle", "top_quartile")
#: Above this many cells (respondents x distinct scores of all subscales) the bootstrap's
#: respondent x score weight matrix stays sparse: 5,000,000 float64 cells are 40 MB dense,
#: below that the dense product is faster (measured with bench/bench_norms.py).
DENSE_CELLS_MAX = 5_000_000
#: Default bootstrap resamples for the CIs of quantiles: percentile intervals need at least
#: about 1000 (Efron & Tibshirani 1993); 2000 keeps the Monte Carlo error of the
#: 2.5 % and 97.5 % ends small at a cost of a second or two.
DEFAULT_BOOTSTRAP = 2000
#: Default smallest stratum (respondents with a score) that gets norms: the package's choice,
#: so that P5 and P95 rest on at least 2-3 respondents each (5 % of 50).
DEFAULT_MIN_N = 50


def _percentile_key(p: float) -> str:
    return f"p{p:g}".replace(".", "_")


def _bootstrap_quantiles(x: np.ndarray, w: np.ndarray, probs: np.ndarray, n_boot: int,
                         level: float, seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Type-1 weighted quantiles of several subscales with percentile-bootstrap CIs.

    ``x`` is (n, k) with NaN for missing scores; respondents are resampled jointly across
    subscales (one index matrix per batch of resamples from :mod:`psychometrics.resample`).
    Inside a batch, ``bincount`` gives how often each respondent is drawn in each resample and
    one matrix product with the respondent x (subscale, distinct score) weight matrix gives
    every resample's weighted distribution of every subscale: no loop over resamples.
    """
    from scipy import sparse  # only when norms are built: scipy.sparse is a slow import

    n, k = x.shape
    supports, offsets, rows, cols, vals_w, total = [], [], [], [], [], 0
    for j in range(k):  # per subscale: distinct values; a respondent's weight goes to its value
        ok = ~np.isnan(x[:, j])
        vals, inv = np.unique(x[ok, j], return_inverse=True)
        supports.append(vals)
        offsets.append(total)
        rows.append(np.flatnonzero(ok))
        cols.append(total + inv)
        vals_w.append(w[ok])
        total += vals.size
    # respondent x (subscale, value) weight matrix: the resampled distribution of every subscale
    # is (times each respondent is drawn) @ onehot, one product per batch of resamples
    onehot = sparse.csr_matrix((np.concatenate(vals_w), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(n, total))
    if n * total <= DENSE_CELLS_MAX:
        onehot = onehot.toarray()

    def statistic(idx: np.ndarray) -> np.ndarray:
        b = idx.shape[0]
        drawn = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(),
                            minlength=b * n).reshape(b, n).astype(float)
        counts = drawn @ onehot if isinstance(onehot, np.ndarray) else np.asarray((onehot.T @ drawn.T).T)
        out = np.empty((b, k * probs.size))
        for j in range(k):  # loop over subscales, not resamples
            cj = counts[:, offsets[j]:offsets[j] + supports[j].size]
            out[:, j * probs.size:(j + 1) * probs.size] = weighted_quantile_counts(supports[j], cj, probs)
        return out

    if n_boot and n_boot > 0:
        res = resample_bootstrap(statistic, n, n_boot=n_boot, seed=seed, level=level, width=k)
        est, lo, hi = res.estimate, res.ci_low, res.ci_high
    else:
        est = statistic(np.arange(n)[None, :])[0]
        lo = hi = np.full(est.shape, np.nan)
    shape = (k, probs.size)
    return est.reshape(shape), np.asarray(lo).reshape(shape), np.asarray(hi).reshape(shape)



@blas_limited
def build_norms(scores: pd.DataFrame, instrument=None, *, by: Sequence[str] | str | None = None,
                weights=None, margins: Mapping[str, Mapping] | None = None, bootstrap: int = DEFAULT_BOOTSTRAP,
                seed=None, min_n: int = DEFAULT_MIN_N, smooth: str | None = None, age: str = "age",
                percentiles: Sequence[float] = (5, 25, 75, 95), level: float = 0.95,
                subscales: Sequence[str] | None = None, data: pd.DataFrame | None = None,
                id: str | None = None, name: str | None = None, population: str = "",
                country: str = "", language: str = "", year: int | None = None,
    # Long only by its docstring (what a norm-file builder must know); the work is in the
    # helpers below, one per step.
                source: str | None = None) -> NormSet:
    """Build a norm set from a sample: percentile tables, quartiles and bands with CIs.

    Parameters
    ----------
    scores : DataFrame
        Subscale scores of the norm sample (from :func:`~psychometrics.scoring.score`), with
        the stratum, weight and margin columns (or give those in ``data``, same index).
    instrument : str, optional
        Instrument id; default: the one recorded by ``score`` in ``scores.attrs``.
    by : str or list of str, optional
        Stratum columns (e.g. ``["sex", "age_band"]``): one norm per combination of levels,
        plus the overall norm.
    weights : str or array-like, optional
        Survey weights (a column name or values).
    margins : dict, optional
        ``{column: {level: share}}``: rake the sample to these population margins
        (:func:`~psychometrics.norms.weights.rake`, starting from ``weights`` if given).
    bootstrap : int
        Resamples for the percentile CIs of the quartile and band boundaries (0: no CIs).
    seed : int, optional
        Seed of the bootstrap: the same seed gives the same norm set; None uses
        :data:`~psychometrics.resample.DEFAULT_SEED` (recorded in ``created.seed``).
    min_n : int
        Strata with fewer respondents (with a score) are left out with a warning; they are
        listed in the file's ``suppressed`` field.
    smooth : {None, "age"}
        Also fit continuous norms in the covariate column ``age`` (cNORM-like): the overall
        norm of each subscale gets a polynomial model ``raw = sum b_ij z^i a^j`` (z: the
        normal score of the within-age-group mid-rank PR, a: standardised age; degrees 3 and
        2), which :func:`apply_norms` inverts for each respondent's age.
    percentiles : sequence of float
        Band boundaries (default 5, 25, 75, 95: very low / low / average / high / very high,
        the UWES/UBOS manual convention). 25 and 75 are always included (quartiles).
    level : float
        CI coverage.
    id, name, population, country, language, year, source
        Provenance written into the norm file.

    Returns
    -------
    NormSet
        Per stratum and subscale: a ``table`` of the mid-rank PR at every observed score (for
        readers of the file), the weighted ``distribution`` of scores (which
        :func:`apply_norms` uses: the exact mid-rank PR of any score, observed or not),
        ``quantiles`` with bootstrap CIs, ``quartiles``, five-level ``bands``, weighted ``mean``
        and ``sd``, ``n``. :meth:`NormSet.to_file` writes it; :func:`load_norms` reads it back.

    Notes
    -----
    Quantiles are type 1 (inverted empirical CDF; numpy ``method="inverted_cdf"``, R
    ``quantile(type = 1)``; with weights, numpy's weighted ``inverted_cdf``): the smallest
    observed score with ``W(score <= q) >= p W``. Type 1 is used because norm boundaries must be
    attainable scores: "top quartile = score >= P75" then means what it says for discrete
    scores. Bands: very low ``<= P5``, low ``> P5``, average ``> P25``, high ``>= P75``, very
    high ``>= P95``. The bootstrap resamples respondents within each stratum with the package's
    engine (:mod:`psychometrics.resample`), vectorised over resamples (weighted bincounts over the
    distinct scores); survey weights travel with their respondents and are not re-estimated per
    resample (raking uncertainty is not in the CIs). The mean and SD are weighted (SD with the
    denominator ``W (n - 1) / n``, i.e. ``n - 1`` when the weights sum to n). Tested: the
    quantiles equal ``np.quantile(..., method="inverted_cdf")`` exactly, per stratum, and the
    smoothed norms recover a known simulated population's percentile ranks better than
    empirical per-age-band norms (RMSE < 2 PR points).

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.

    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. The American
    Statistician, 50(4), 361-365.

    Lenhard, A., Lenhard, W., Suggate, S., & Segerer, R. (2018). A continuous solution to the
    norming problem. Assessment, 25(1), 112-125 (cNORM).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame({"EX": rng.integers(8, 33, 400) / 8, "sex": rng.choice(["f", "m"], 400)})
    >>> s.attrs["psychometrics"] = {"instrument": "olbi", "scoring": {"EX": "mean"}}
    >>> ns = build_norms(s, by="sex", bootstrap=200, seed=1)
    >>> [e.stratum for e in ns.entries]
    [{}, {'sex': 'f'}, {'sex': 'm'}]
    >>> from psychometrics.norms import apply_norms
    >>> round(float(apply_norms(s.head(1), ns, by={"sex": "sex"})["EX_pr"].iloc[0]), 2)
    43.09
    """
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"scores must be a DataFrame (from score()), not {type(scores).__name__}")
    report = scores.attrs.get("psychometrics") or {}
    inst_id, subscales, scoring = _subscales_and_scoring(scores, instrument, subscales, report)
    by = [by] if isinstance(by, str) else list(by or [])
    frame = _sample_frame(scores, data, by + ([age] if smooth else []))
    n = len(frame)
    w = _base_weights(frame, weights, n)
    bootstrap = check_positive_int(bootstrap, "bootstrap", minimum=0)
    min_n = check_positive_int(min_n, "min_n")
    level = check_level(level)
    w, weighting = _rake_weights(frame, w, weights, margins)
    check_choice(smooth, (None, "age"), "smooth")
    check_level(level)
    x_all = np.column_stack([check_vector(frame[s], name=s, allow_nan=True) for s in subscales])
    probs = np.unique(np.concatenate([np.asarray(percentiles, dtype=float), [25.0, 75.0]])) / 100.0
    if probs.min() <= 0 or probs.max() >= 1:
        raise DataError("percentiles must be strictly between 0 and 100")
    seed = resolve_seed(seed)
    g = make_rng(seed)
    groups = _stratum_masks(frame, by, n)
    agev = _smoothing_covariate(frame, age) if smooth else None
    entries, suppressed = [], []
    for stratum, mask in groups:  # loop over strata
        xs, ws = x_all[mask], w[mask]
        counts = (~np.isnan(xs)).sum(axis=0)
        if counts.min() < min_n:
            suppressed.append({"stratum": stratum, "n": int(counts.min())})
            continue
        _check_stratum(xs, ws, subscales, stratum)
        est, lo, hi = _bootstrap_quantiles(xs, ws, probs, bootstrap, level, g)
        subs = {}
        for j, sid in enumerate(subscales):
            q = {float(p): (float(est[j, i]), float(lo[j, i]), float(hi[j, i]))
                 for i, p in enumerate(probs)}
            subs[sid] = _subscale_entry(xs[:, j], ws, q, scoring[sid], weighting)
            if smooth and not stratum:
                ok = ~np.isnan(xs[:, j])
                subs[sid]["continuous"] = fit_continuous(xs[:, j], agev[mask], ws, variable=age,
                                                         groups=age_groups(int(ok.sum())))
        entries.append({"stratum": stratum, "n": int(mask.sum()), "subscales": subs})
    return norm_set_from_entries(entries, suppressed, inst_id=inst_id, version=report.get("version"),
                                 n=n, by=by, weighting=weighting, bootstrap=bootstrap, seed=seed,
                                 level=level, min_n=min_n, smoothed=bool(smooth), covariate=age,
                                 id=id, name=name, population=population, country=country,
                                 language=language, year=year, source=source)


def _subscales_and_scoring(scores: pd.DataFrame, instrument, subscales, report: dict):
    """The instrument id, the subscales to norm and the scale (sum/mean) of each: recorded by
    ``score()``, else read from the instrument's key."""
    inst_id = instrument if isinstance(instrument, str) else getattr(instrument, "id", None)
    inst_id = inst_id or report.get("instrument")
    if not inst_id:
        raise DataError("say which instrument the scores are of (instrument=...); the scores do "
                        "not record it")
    scoring = dict(report.get("scoring") or {})
    if subscales is None:
        if scoring:
            subscales = [s for s in scoring if s in scores.columns]
        else:
            inst = instrument_for_metadata(inst_id)
            subscales = [s for s in inst.subscales if s in scores.columns]
            scoring = {s: inst.subscales[s].scoring for s in subscales}
    subscales = list(subscales)
    if not subscales:
        raise DataError("no subscale columns to build norms for")
    missing_scale = [s for s in subscales if s not in scoring]
    if missing_scale:
        raise DataError(f"subscales {missing_scale}: unknown scoring (sum or mean); score the "
                        "data with score() or give the instrument")
    return inst_id, subscales, scoring


def _sample_frame(scores: pd.DataFrame, data, needed: list[str]) -> pd.DataFrame:
    """The scores with the columns of ``data`` they lack (same index), checked for ``needed``."""
    scores, data = align(scores, data, names=["scores", "data"])
    frame = scores if data is None else pd.concat([scores, data.drop(columns=[c for c in data.columns
                                                                             if c in scores.columns])], axis=1)
    for col in needed:
        if col not in frame.columns:
            raise DataError(f"column {col!r} is not in the scores or data")
    return frame


def _base_weights(frame: pd.DataFrame, weights, n: int) -> np.ndarray:
    """Survey weights from a column name or values (equal weights without), checked."""
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise DataError(f"weights column {weights!r} is not in the scores or data")
        w = check_vector(frame[weights], name=weights)
    elif weights is not None:
        w = check_vector(weights, name="weights")
    else:
        w = np.ones(n)
    if w.shape[0] != n or (w < 0).any():
        raise DataError("weights must be one non-negative value per respondent")
    if not w.sum() > 0:
        raise DataError("weights sum to zero: no respondent would count")
    return w


def _rake_weights(frame: pd.DataFrame, w: np.ndarray, weights, margins) -> tuple[np.ndarray, dict]:
    """The weights raked to ``margins`` (if given), and the norm file's ``weighting`` record."""
    weighting = {"method": "none"} if weights is None else {"method": "survey weights"}
    if margins:
        w = rake(frame, margins, weights=None if weights is None else w).to_numpy()
        weighting = {"method": "raked", "margins": {str(k): {str(a): float(b) for a, b in v.items()}
                                                     for k, v in margins.items()},
                     "base_weights": weights is not None}
    return w, weighting


def _stratum_masks(frame: pd.DataFrame, by: list[str], n: int) -> list[tuple[dict, np.ndarray]]:
    """(stratum, respondent mask): the overall sample first, then every combination of the
    ``by`` levels present (respondents with a missing level are in the overall norm only)."""
    groups: list[tuple[dict, np.ndarray]] = [({}, np.ones(n, dtype=bool))]
    if by:
        keys = pd.DataFrame({c: stratum_text(frame[c]) for c in by})
        complete = keys.notna().all(axis=1).to_numpy()
        for combo, rows in keys[complete].groupby(by, sort=True).indices.items():
            combo = combo if isinstance(combo, tuple) else (combo,)
            mask = np.zeros(n, dtype=bool)
            mask[np.flatnonzero(complete)[rows]] = True
            groups.append((dict(zip(by, combo)), mask))
    return groups


def _smoothing_covariate(frame: pd.DataFrame, age: str) -> np.ndarray:
    """The covariate of continuous norms as numbers; it must vary."""
    agev = pd.to_numeric(frame[age], errors="coerce").to_numpy(dtype=float)
    if np.isfinite(agev).sum() < 2 or np.nanstd(agev) == 0:
        raise DataError(f"smooth='age' needs varying values in column {age!r}; they are all "
                        f"{np.nanmin(agev) if np.isfinite(agev).any() else 'missing'}")
    return agev


def _check_stratum(xs: np.ndarray, ws: np.ndarray, subscales: list[str], stratum: dict) -> None:
    """Every subscale of a stratum needs a positive weight total and scores that vary."""
    for j, sid in enumerate(subscales):  # loop over subscales: what percentiles need
        ok = ~np.isnan(xs[:, j])
        where = f"stratum {stratum}" if stratum else "the overall sample"
        if not ws[ok].sum() > 0:
            raise DataError(f"subscale {sid!r} in {where}: the weights of the respondents "
                            "with a score sum to zero")
        if np.unique(xs[ok, j]).size < 2:
            raise DataError(f"subscale {sid!r} in {where}: every score is "
                            f"{float(xs[ok, j][0]) if ok.any() else 'missing'}; percentile "
                            "norms need scores that vary (bands and quartiles would be empty)")


def _subscale_entry(x: np.ndarray, ws: np.ndarray, q: dict, score: str, weighting: dict) -> dict:
    """One subscale's norm entry in one stratum: weighted distribution, mean and SD, quantiles."""
    ok = ~np.isnan(x)
    vals, inv = np.unique(x[ok], return_inverse=True)
    wt = np.bincount(inv, weights=ws[ok], minlength=vals.size)
    m = float(np.average(x[ok], weights=ws[ok]))
    wsum = ws[ok].sum()
    # weighted variance with denominator W (n - 1) / n (= n - 1 for weights summing to n)
    var = float(np.sum(ws[ok] * (x[ok] - m) ** 2) / (wsum - wsum / ok.sum())) \
        if ok.sum() > 1 else 0.0
    return subscale_norm_doc(vals, wt, score=score, n=int(ok.sum()), mean=m, sd=math.sqrt(var),
                             quantiles=q,
                             weight_total=None if weighting["method"] == "none" else float(wsum))



def subscale_norm_doc(vals: np.ndarray, wt: np.ndarray, *, score: str, n: int, mean: float,
                      sd: float, quantiles: Mapping[float, tuple[float, float, float]],
                      weight_total: float | None = None) -> dict:
    """One subscale's entry of a built norm file, from its weighted distribution of scores.

    Shared by :func:`build_norms` and the one-pass :func:`psychometrics.norms_stream.build_norms_file`,
    so both write the same numbers. ``quantiles`` maps a probability to (value, CI low, CI high).
    """
    q = quantiles
    sub = {"score": score, "n": int(n), "mean": mean, "sd": sd,
           "quartiles": {"p25": q[0.25][0], "p75": q[0.75][0]},
           "quantiles": {_percentile_key(p * 100): {"value": v, "ci_low": a, "ci_high": b}
                         for p, (v, a, b) in q.items()},
           "bands": _bands_from_quantiles(q),
           "table": {"score": [float(v) for v in vals],
                     "pr": [float(v) for v in pr_from_distribution(vals, vals, wt)],
                     "interpolation": "step"},
           "distribution": {"values": [float(v) for v in vals],
                            "weights": [float(v) for v in wt]}}
    if weight_total is not None:
        sub["weight_total"] = float(weight_total)
    return sub


def norm_set_from_entries(entries: list[dict], suppressed: list[dict], *, inst_id: str, version,
                          n: int, by: list[str], weighting: dict, bootstrap: int, seed,
                          level: float, min_n: int, smoothed: bool = False, covariate: str = "age",
                          id: str | None = None, name: str | None = None, population: str = "",
                          country: str = "", language: str = "", year: int | None = None,
                          source: str | None = None) -> NormSet:
    """A validated NormSet from built entries and their provenance (the end of
    :func:`build_norms`, shared with the one-pass builder)."""
    from .. import __version__

    if suppressed:
        warnings.warn(f"{len(suppressed)} stratum/strata with fewer than {min_n} respondents left out "
                      f"of the norms: {[(s['stratum'] or 'overall', s['n']) for s in suppressed]}",
                      UserWarning, stacklevel=3)
    if not entries:
        raise DataError(f"no stratum has at least min_n={min_n} respondents; nothing to build")
    if smoothed:
        for e in entries:  # the smoothed model lives in the overall entry only
            if e["stratum"]:
                for sub in e["subscales"].values():
                    sub.pop("continuous", None)
    stamp = _dt.date.today().isoformat()
    doc = {
        "id": id or f"{inst_id}-built",
        "name": name or f"{inst_id} norms built from a sample of {n}",
        "instrument": {"id": inst_id, "version": str(version or "")},
        "population": population or "sample given to build_norms",
        "country": country, "language": language,
        "year": int(year) if year is not None else _dt.date.today().year,
        "n": int(n),
        "source": {"ref": source or f"built with psychometrics {__version__} build_norms on {stamp}",
                   "confidence": "empirical"},
        "method": "empirical",
        "partial": bool(suppressed),
        "strata": by,
        "weighting": weighting,
        "created": {"software": f"psychometrics {__version__}", "date": stamp,
                    "bootstrap": int(bootstrap), "seed": seed_record(seed),
                    "level": float(level), "quantile": "inverted_cdf (R type 1)",
                    "percentile_rank": "mid-rank", "min_n": int(min_n)},
        "norms": entries,
    }
    if smoothed:
        doc["covariate"] = covariate
        doc["method"] = "empirical+smoothed"
    if suppressed:
        doc["partial_note"] = (f"strata with fewer than {min_n} respondents are suppressed: "
                               + "; ".join(f"{s['stratum'] or 'overall'} (n={s['n']})" for s in suppressed))
        doc["suppressed"] = [{"stratum": s["stratum"], "n": s["n"]} for s in suppressed]
    doc = jsonable(doc)
    validate(doc, "norms", doc["id"], error=NormError)
    return NormSet(doc)



def _bands_from_quantiles(q: dict) -> list[dict]:
    """Five-level bands from P5, P25, P75, P95 (fewer levels when other percentiles are used)."""
    labels = strings("norms")
    if not {p / 100 for p in FIVE_LEVEL_PERCENTILES} <= set(q):
        bottom, middle, top = QUARTILE_BANDS
        return [{"id": bottom, "label": dict(labels[bottom]), "max": q[0.25][0]},
                {"id": middle, "label": dict(labels[middle]), "gt": q[0.25][0]},
                {"id": top, "label": dict(labels[top]), "min": q[0.75][0]}]
    vl, lo, av, hi, vh = ({"id": b, "label": dict(labels[b])} for b in FIVE_LEVELS)
    return [{**vl, "max": q[0.05][0]},
            {**lo, "gt": q[0.05][0], "max": q[0.25][0]},
            {**av, "gt": q[0.25][0], "lt": q[0.75][0]},
            {**hi, "min": q[0.75][0], "lt": q[0.95][0]},
            {**vh, "min": q[0.95][0]}]
