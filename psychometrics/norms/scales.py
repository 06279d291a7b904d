"""On which scale the scores are (sum or mean) and whether they can be on it.

A norm is on the sum or the mean scale of its items. The scale of the scores is recorded by
``score()`` or given by the caller, never guessed (:func:`resolve_scales`); a mismatch is an
error unless converting is asked for (:func:`scale_factors`); and scores outside what the
instrument's key allows are refused (:func:`check_possible_range`, :func:`check_scale_range`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_choice, respondent_labels
from ..errors import DataError, InstrumentError, NormError, describe_rows
from .meta import instrument_for_metadata
from .normset import NormSet
from .transforms import edge_tol


def resolve_scales(scores: pd.DataFrame, ns: NormSet, subs: list[str], scale) -> dict:
    """Scale (sum/mean) of each score: recorded by ``score()`` or given; never guessed."""
    recorded = (scores.attrs.get("psychometrics") or {}).get("scoring") or {}
    given: dict = {}
    if scale is not None:
        given = {s: scale for s in subs} if isinstance(scale, str) else dict(scale)
        for v in given.values():
            check_choice(v, ("sum", "mean"), "scale")
    out, unknown = {}, []
    for sid in subs:
        have, said = recorded.get(sid), given.get(sid)
        if have is not None and said is not None and have != said:
            raise NormError(f"subscale {sid!r}: scale={said!r} was given, but score() recorded "
                            f"these scores as {have}s")
        out[sid] = have or said
        if out[sid] is None:
            unknown.append(sid)
    if unknown:
        want = {s: "/".join(sorted({e.subscales[s].score for e in ns.entries if s in e.subscales}))
                for s in unknown}
        raise NormError(
            f"the scores of {unknown} do not say whether they are sums or means (score() records "
            f"it, but pandas drops that record on concat, merge, read_csv and read_excel), and "
            f"norm set {ns.id!r} is on the {want} scale. Say how they were scored with "
            f"scale='sum' or scale='mean' (or {{subscale: scale}}), or apply the norms to the "
            "frame score() returned; the package does not guess")
    return out


def _possible_range(ns: NormSet, scores: pd.DataFrame, sid: str, scale: str):
    """(low, high) a score of ``sid`` can take on ``scale``, or None if the key is unknown."""
    meta = scores.attrs.get("psychometrics") or {}
    inst_id = meta.get("instrument") or ns.instrument
    try:
        inst = instrument_for_metadata(inst_id, form=meta.get("form") or None)
    except InstrumentError:  # an instrument of the user's own that is not at hand
        return None
    if sid not in inst.subscales or not inst.subscales[sid].items:
        return None
    ranges = np.array([inst.item_range(inst.item(i)) for i in inst.subscales[sid].items])
    if scale == "sum":
        return float(ranges[:, 0].sum()), float(ranges[:, 1].sum())
    return float(ranges[:, 0].min()), float(ranges[:, 1].max())


def check_scale_range(scores: pd.DataFrame, ns: NormSet, sid: str, x: np.ndarray, scale: str) -> None:
    """Fail closed: a score outside what its scale allows is not banded (wrong scale?)."""
    rng = _possible_range(ns, scores, sid, scale)
    if rng is None:
        return
    lo, hi = rng
    bad = (x < lo - edge_tol(lo)) | (x > hi + edge_tol(hi))
    if bad.any():
        pos = np.flatnonzero(bad)
        raise NormError(f"subscale {sid!r}: {bad.sum()} score(s) outside the {lo:g}..{hi:g} a "
                        f"{scale} of its items can take, e.g. {x[pos[0]]:g} at "
                        f"{describe_rows(list(respondent_labels(scores)[pos]), list(pos))}. Are these really "
                        f"{scale}s? Rescore with score() or give the right scale=")


def scale_factors(scores: pd.DataFrame, ns: NormSet, subs: list[str], convert: bool,
                  scoring: dict) -> dict:
    """Factor per subscale turning the scores onto the norm's scale (1 = already there)."""
    factors = {}
    for sid in subs:
        want = {e.subscales[sid].score for e in ns.entries if sid in e.subscales}
        have = scoring.get(sid)
        if have in want:
            factors[sid] = 1.0
            continue
        if not convert:
            raise NormError(f"subscale {sid!r}: the norm set {ns.id!r} is on the {'/'.join(sorted(want))} "
                            f"scale but the scores are {have}s; rescore with method="
                            f"{next(iter(want))!r} or pass convert=True to convert them")
        k = len(instrument_for_metadata(ns.instrument).subscales[sid].items)
        factors[sid] = float(k) if have == "mean" else 1.0 / k
    return factors


def possible_ranges(ns: NormSet, subs: list[str]) -> dict:
    """Lowest and highest possible score per subscale on the norm set's scale, from its
    instrument (empty when the instrument is not a shipped one)."""
    try:
        inst = instrument_for_metadata(ns.instrument)
    except InstrumentError:
        return {}
    out = {}
    for sid in subs:
        want = {e.subscales[sid].score for e in ns.entries if sid in e.subscales}
        if sid in inst.subscales and len(want) == 1:
            out[sid] = inst.score_range(sid, next(iter(want)))
    return out


def check_possible_range(x: np.ndarray, sid: str, bounds, index) -> None:
    """Scores outside what the instrument allows (-5, 1000, inf) get no band: an error."""
    bad = np.isinf(x)
    if bounds is not None:
        lo, hi = bounds
        with np.errstate(invalid="ignore"):
            bad |= (x < lo - edge_tol(lo)) | (x > hi + edge_tol(hi))
    if bad.any():
        pos = np.flatnonzero(bad)
        rng_text = f" (possible: {bounds[0]:g} to {bounds[1]:g})" if bounds is not None else ""
        raise DataError(f"subscale {sid!r}: {len(pos)} score(s) outside the possible range{rng_text}, "
                        f"e.g. {float(x[pos[0]]):g} at {describe_rows(list(index[pos]), list(pos))}; "
                        "were they scored with score()?")

