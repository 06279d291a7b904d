"""Applying a norm set to scores: percentile ranks, T, stanines, bands and quartile flags.

:func:`apply_norm_set` does the work on arrays (shared with :mod:`psychometrics.rules` and
:mod:`psychometrics.profile`); :func:`apply_norms` turns its result into columns beside the
scores and records which norm set was used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_choice, check_vector, respondent_labels
from ..errors import DataError, NormError
from .catalogue import load_norms
from .normset import NormSet, SubscaleNorm
from .scales import (
    check_possible_range,
    check_scale_range,
    possible_ranges,
    resolve_scales,
    scale_factors,
)
from .strata import (
    COLUMNS_SHOWN,
    assign_entries,
    match_strata,
    resolve_norm_by,
    stratum_columns,
)
from .transforms import edge_tol, stanine_from_pr, t_from_pr


@dataclass
class _Applied:
    """Internal result of applying norms: arrays per subscale (used by rules.classify)."""

    pr: dict = field(default_factory=dict)
    band: dict = field(default_factory=dict)        # subscale -> band index array (-1 = none)
    band_ids: dict = field(default_factory=dict)    # subscale -> per-respondent band id (object)
    band_labels: dict = field(default_factory=dict)
    top: dict = field(default_factory=dict)
    bottom: dict = field(default_factory=dict)
    band_order: dict = field(default_factory=dict)  # subscale -> band labels, low to high
    entry: np.ndarray | None = None
    x: dict = field(default_factory=dict)           # subscale -> the scores compared
    q25: dict = field(default_factory=dict)         # subscale -> per-respondent P25 / P75
    q75: dict = field(default_factory=dict)
    band_edges: dict = field(default_factory=dict)  # subscale -> the edge of the band reached
    tables: dict = field(default_factory=dict)      # subscale -> {entry: [(id, label, edge)]}

    fell_back: np.ndarray | None = None  # respondents given the overall norm by fallback
    norm_by: dict = field(default_factory=dict)     # stratum -> column used
    matched: str | None = None                      # how the strata were matched to columns
    scales: dict = field(default_factory=dict)      # subscale -> scale of the scores


    def band_targets(self, sid: str, wanted: list) -> np.ndarray:
        """Per respondent, the wanted bands with their edges ("high (>= 27)"), for reasons."""
        out = np.full(len(self.entry), "", dtype=object)
        for i, rows in self.tables.get(sid, {}).items():  # loop over strata, not respondents
            text = " / ".join(f"{lab} ({edge})" for bid, lab, edge in rows if bid in wanted)
            out[self.entry == i] = text or "/".join(wanted)
        return out


def band_edge_texts(bands) -> list[str]:
    """The edge of each band as a comparison: '< 17' for the lowest, '>= 27' / '> 3.01' above."""
    out = []
    for k, b in enumerate(bands):
        if k == 0:
            nxt = bands[1] if len(bands) > 1 else None
            out.append("" if nxt is None else f"{'<' if nxt.lower_inclusive else '<='} {nxt.lower:g}")
        else:
            out.append(f"{'>=' if b.lower_inclusive else '>'} {b.lower:g}")
    return out

def _check_request(scores: pd.DataFrame, ns: NormSet, fallback: str,
                   subscales: Sequence[str] | None) -> list[str]:
    """Validate what is asked and return the subscales to norm (norm set's order)."""
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"scores must be a DataFrame (from score()), not {type(scores).__name__}")
    check_choice(fallback, ("error", "overall"), "fallback")
    inst_id = (scores.attrs.get("psychometrics") or {}).get("instrument")
    if inst_id and inst_id not in ns.applies_to:
        raise NormError(f"norm set {ns.id!r} is for {', '.join(ns.applies_to)}, but the scores are "
                        f"of {inst_id!r}")
    if subscales is not None:
        lacking = [s for s in subscales if s not in ns.subscales]
        if lacking:
            raise NormError(f"norm set {ns.id!r} has no norms for subscale(s) {lacking}; its "
                            f"subscales: {ns.subscales}")
    subs = [s for s in (subscales or ns.subscales) if s in scores.columns]
    if not subs:
        raise NormError(f"none of the norm set's subscales {ns.subscales} is a column of the scores "
                        f"(columns: {', '.join(map(str, list(scores.columns)[:COLUMNS_SHOWN]))})")
    return subs


def apply_norm_set(scores: pd.DataFrame, ns: NormSet, *, norm_by=None, fallback="error", lang="en",
                   data=None, convert=False, subscales=None, scale=None) -> tuple[_Applied, list[str]]:
    """The norms of ``ns`` applied to ``scores``, as arrays per subscale, and the subscales.

    The engine of :func:`apply_norms` (same arguments, already resolved), shared with
    :func:`psychometrics.rules.classify` and the differential profile, which need the band
    indices and edges rather than columns.
    """
    subs = _check_request(scores, ns, fallback, subscales)
    scales = resolve_scales(scores, ns, subs, scale)
    factors = scale_factors(scores, ns, subs, convert, scales)
    by, matched = match_strata(scores, data, ns, norm_by)
    strata, cov = stratum_columns(scores, data, ns, by)
    who = respondent_labels(scores)  # errors name respondents by the id score() recorded
    entry, fell_back = assign_entries(ns, strata, who, fallback)
    covariate = cov.get(ns.covariate) if ns.covariate else None
    res = _Applied(entry=entry, fell_back=fell_back, norm_by=by, matched=matched, scales=scales)
    ranges = possible_ranges(ns, subs)
    for sid in subs:  # loop over subscales and strata; everything inside is vectorised
        raw = check_vector(scores[sid], name=sid, allow_nan=True)
        x = raw * factors[sid]
        check_possible_range(x, sid, ranges.get(sid), who)
        check_scale_range(scores, ns, sid, raw, scales[sid])
        _norm_subscale(res, ns, sid, x, covariate, lang)
    return res, subs


def _norm_subscale(res: _Applied, ns: NormSet, sid: str, x: np.ndarray,
                   covariate: np.ndarray | None, lang: str) -> None:
    """Percentile ranks, quartile flags and bands of one subscale, stratum by stratum, into ``res``."""
    n = len(x)
    entry = res.entry
    pr, top, bottom = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    bidx = np.full(n, -1)
    bid = np.full(n, None, dtype=object)
    blab = np.full(n, None, dtype=object)
    bedge = np.full(n, None, dtype=object)
    q25, q75 = np.full(n, np.nan), np.full(n, np.nan)
    tables = {}
    has_pr = has_q = has_b = False
    for i in np.unique(entry):  # loop over strata, not respondents
        m = entry == i
        sn = ns.entries[i].subscales.get(sid)
        if sn is None:
            continue
        c = covariate[m] if covariate is not None else None
        if sn.has_pr:
            has_pr = True
            pr[m] = sn.pr(x[m], c)
        q = sn.quartiles(c, int(m.sum())) if sn.has_quartiles else None
        if q is not None:
            has_q = True
            xm = x[m]
            top[m] = np.where(np.isnan(xm), np.nan, xm >= q[1] - edge_tol(q[1]))
            bottom[m] = np.where(np.isnan(xm), np.nan, xm <= q[0] + edge_tol(q[0]))
            q25[m], q75[m] = q[0], q[1]
        if sn.bands:
            has_b = True
            k, ids, labels, edges = _band_rows(sn, x[m], lang)
            res.band_order.setdefault(sid, {}).update(dict.fromkeys(labels[:-1]))
            bidx[m], bid[m], blab[m], bedge[m] = k, ids[k], labels[k], edges[k]
            tables[int(i)] = list(zip(ids[:-1], labels[:-1], edges[:-1]))
    if has_pr:
        res.pr[sid] = pr
    res.x[sid] = x
    if has_q:
        res.top[sid], res.bottom[sid] = top, bottom
        res.q25[sid], res.q75[sid] = q25, q75
    if has_b:
        res.band[sid], res.band_ids[sid], res.band_labels[sid] = bidx, bid, blab
        res.band_edges[sid], res.tables[sid] = bedge, tables


def _band_rows(sn: SubscaleNorm, x: np.ndarray, lang: str):
    """Band index of each score, and the band ids, labels and edge texts (each with a final
    None, so that index -1 of a missing score reads as None)."""
    k = sn.band_index(x)
    ids = np.array([b.id for b in sn.bands] + [None], dtype=object)
    labels = np.array([b.text(lang) for b in sn.bands] + [None], dtype=object)
    edges = np.array(band_edge_texts(sn.bands) + [None], dtype=object)
    return k, ids, labels, edges


def apply_norms(scores: pd.DataFrame, norms, *, norm_by: Mapping[str, str] | None = None,
                fallback: str = "error", lang: str = "en", data: pd.DataFrame | None = None,
                convert: bool = False, subscales: Sequence[str] | None = None,
                scale: str | Mapping[str, str] | None = None,
                by: Mapping[str, str] | None = None) -> pd.DataFrame:
    # Long only by its docstring (the definitions a user of the norms reads); the work is in
    # apply_norm_set, _norm_columns and _norms_record.
    """Percentile ranks, T-scores, stanines, bands and quartile flags against a norm set.

    Parameters
    ----------
    scores : DataFrame
        Subscale scores, e.g. from :func:`~psychometrics.scoring.score` (columns named by
        subscale id). Never modified.
    norms : str, Path or NormSet
        A shipped norm id, a norm file, or a NormSet (e.g. from :func:`build_norms`).
    norm_by : dict, optional
        Norm stratum variable -> column of ``scores`` (or ``data``), e.g. ``{"sex": "gender"}``.
        Stratum values are matched as text (``1.0`` reads as ``"1"``); a numeric stratum
        given as ``{min, max}`` in the norm file matches inclusively. Without ``norm_by``, a
        stratified norm set's strata are matched to columns of the same name (recorded in
        ``attrs["psychometrics"]["norms"]["matched"]``); with no such column it is a
        :class:`NormError` listing the strata and the candidate columns. ``norm_by={}`` asks
        for the overall norm on purpose. For continuous (smoothed) norms the covariate (e.g.
        ``age``) is read from the column of that name unless ``norm_by`` maps it.
    fallback : {"error", "overall"}
        A respondent whose stratum is not in the norm set raises :class:`NormError` naming
        the respondent and stratum, or gets the overall norm: with a warning, counted in
        ``attrs["psychometrics"]["norms"]["fallback_n"]`` and shown per respondent in
        ``<sub>_norm_group`` (``"overall (fallback)"``).
    lang : {"en", "nl", "fr"}
        Language of the band labels (English where a label is missing).
    data : DataFrame, optional
        Where stratum columns are looked up when they are not in ``scores`` (same index).
    convert : bool
        Allow converting mean scores to a sum-based norm (x number of items) or sums to a
        mean-based norm; without it such a mismatch is an error.
    subscales : list of str, optional
        Only these subscales (default: every norm subscale that is a column of ``scores``).
    scale : {"sum", "mean"} or dict, optional
        How the scores were computed, for scores that lost the record ``score()`` keeps in
        ``attrs`` (pandas drops it on ``concat``, ``merge``, ``read_csv``). Without that
        record and without ``scale`` it is an error: the scale is never guessed. Scores
        outside the range their scale allows (from the instrument's key) are an error too.
    by : dict, optional
        Deprecated name of ``norm_by``.

    Returns
    -------
    DataFrame
        ``scores`` (same index, order and columns, the id column kept) followed, per
        subscale, by ``<sub>_pr``, ``<sub>_t`` and ``<sub>_stanine`` (when the norm has a
        percentile table, a sample distribution, a mean/SD or a continuous model),
        ``<sub>_band`` (when it has bands) and ``<sub>_top_quartile`` /
        ``<sub>_bottom_quartile`` (when its quartiles are known), and with a stratified norm
        set ``<sub>_norm_group`` (the norm group each respondent was compared with). Missing
        scores give missing values (nullable dtypes). ``attrs["psychometrics"]["norms"]``
        names the norm set, its source and n, the strata used and how they were matched.

    Notes
    -----
    * Percentile rank: the mid-rank definition ``PR(x) = 100 * (W(score < x) + W(score = x) / 2)
      / W`` over the norm sample's distribution (``W`` counts or survey weights), as
      ``scipy.stats.percentileofscore(kind="mean")``. A published table is read as it
      says: ``interpolation: linear`` interpolates the PR linearly between tabled scores
      (constant beyond the ends), ``step`` takes the PR printed for the largest tabled score
      not above x. Mean/SD norms give ``PR = 100 * Phi((x - mean) / sd)``.
    * T-score: the normalised ``T = 50 + 10 * Phi^-1(PR / 100)``; stanine
      ``clip(floor(2 z + 5.5), 1, 9)`` with the same ``z``. PR is clipped to [0.1, 99.9]
      for both (T between 19.1 and 80.9).
    * Bands: a score belongs to the highest band whose lower edge it reaches (``min``
      inclusive, ``gt`` exclusive; edges matched with a relative tolerance of 1e-9). A score
      between a printed upper edge and the next band's lower edge (a prorated sum such as
      16.5 between "<= 16" and "17-26") stays in the lower band: a band is entered at its
      published lower edge.
    * Quartiles: top quartile = score >= P75, bottom quartile = score <= P25 of the norm
      group; P25/P75 as given in the file, else the type-1 (inverted CDF) quantiles of the
      norm sample, else read from the table or mean/SD.

    Percentile ranks equal ``scipy.stats.percentileofscore(kind="mean")`` to 1e-9 and a
    hand-checked table exactly (tests); there is no R reference for norm application (R's
    ``cNORM``/``psych`` do not apply published cut-point files), so the band logic is tested at
    every shipped edge (just below, at, just above).

    References
    ----------
    Crocker, L., & Algina, J. (1986). Introduction to classical and modern test theory. Holt,
    Rinehart and Winston (percentile ranks, normalised T-scores and stanines).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"PB": [25.0, 50.0, 75.0]})
    >>> apply_norms(s, "cbi-50-borritz-2004", scale="mean")[["PB", "PB_band"]]
         PB PB_band
    0  25.0     low
    1  50.0    high
    2  75.0    high
    """
    norm_by = resolve_norm_by(norm_by, by)
    ns = load_norms(norms)
    ns.warn_if_uncertain()
    res, subs = apply_norm_set(scores, ns, norm_by=norm_by, fallback=fallback, lang=lang, data=data,
                               convert=convert, subscales=subscales, scale=scale)
    out = scores.copy()
    for col, values in _norm_columns(ns, res, subs).items():
        out[col] = values
    out.attrs["psychometrics"] = _norms_record(scores, ns, res, subs, fallback)
    return out


def _norm_columns(ns: NormSet, res: _Applied, subs: list[str]) -> dict:
    """The new columns, per subscale: PR, T, stanine, band, quartile flags, norm group."""
    groups = norm_groups(ns, res) if ns.strata else None
    new = {}
    for sid in subs:
        if sid in res.pr:
            pr = res.pr[sid]
            new[f"{sid}_pr"] = pr
            new[f"{sid}_t"] = t_from_pr(pr)
            new[f"{sid}_stanine"] = pd.array(np.where(np.isnan(pr), np.nan, stanine_from_pr(pr)),
                                             dtype="Int64")
        if sid in res.band:
            new[f"{sid}_band"] = pd.array(res.band_labels[sid], dtype="string")
        if sid in res.top:
            new[f"{sid}_top_quartile"] = _nullable_bool(res.top[sid])
            new[f"{sid}_bottom_quartile"] = _nullable_bool(res.bottom[sid])
        if groups is not None:
            new[f"{sid}_norm_group"] = groups
    return new


def _norms_record(scores: pd.DataFrame, ns: NormSet, res: _Applied, subs: list[str],
                  fallback: str) -> dict:
    """``attrs["psychometrics"]`` of the result: the scores' record plus the band orders, the
    scales and the norm set's provenance."""
    # a published cut-off set has no P25/P75: recorded (and summarise warns), never silent
    lacking = [sid for sid in subs if sid not in res.top]
    meta = dict(scores.attrs.get("psychometrics") or {})
    meta["levels"] = {**(meta.get("levels") or {}),
                      **{f"{s}_band": list(order) for s, order in res.band_order.items()}}
    meta["scoring"] = {**(meta.get("scoring") or {}), **res.scales}
    return {**meta, "norms": {**norm_provenance(ns, res, fallback), "no_quartiles": lacking}}


def norm_groups(ns: NormSet, res: _Applied) -> pd.arrays.StringArray:
    """Per respondent, the norm group used: ``"language=fr"``, ``"overall"`` or
    ``"overall (fallback)"``."""
    names = np.array([", ".join(f"{k}={v}" for k, v in e.stratum.items()) or "overall"
                      for e in ns.entries], dtype=object)
    out = names[res.entry]
    if res.fell_back is not None and res.fell_back.any():
        out = out.copy()
        out[res.fell_back] = "overall (fallback)"
    return pd.array(out, dtype="string")


def norm_provenance(ns: NormSet, res: _Applied, fallback: str) -> dict:
    """What every output says about the norm set used: id, name, source, n, strata."""
    d = ns.doc
    return {"id": ns.id, "name": ns.name, "source": d["source"]["ref"],
            "confidence": d["source"].get("confidence"), "n": d.get("n"),
            "population": d.get("population"), "by": dict(res.norm_by), "matched": res.matched,
            "fallback": fallback,
            "fallback_n": int(res.fell_back.sum()) if res.fell_back is not None else 0}


def _nullable_bool(a: np.ndarray) -> pd.arrays.BooleanArray:
    """Float 1/0/NaN -> nullable boolean (NaN = missing), vectorised."""
    a = np.asarray(a, dtype=float)
    missing = np.isnan(a)
    return pd.arrays.BooleanArray(np.where(missing, False, a == 1), missing)


# --------------------------------------------------------------------------------------------
# building
