"""Differential-diagnosis profile: burnout scores beside depression and anxiety scales.

The Superior Health Council of Belgium (2017) calls burnout a diagnosis of exclusion, above all
of depression, and recommends the 4DKL, the Hamilton Depression Rating Scale (HAMD) or the Beck
Depression Inventory (BDI) beside the anamnesis. :func:`profile` puts a respondent's burnout
subscale scores and bands next to those scales and their bands, in one tidy table, and flags the
overlap the advice warns about: a depression (or anxiety) scale in its elevated band while
burnout is high.

**This profile supports a clinician's judgement; it is no diagnosis.** A flag says "look
here", not "this is depression" or "this is burnout". Bands come from the shipped, sourced
norm files (or the norm sets you pass); the clinical criteria sets (``overspanning-nl-2011``,
``exhaustion-disorder-se``) are shown with the verdict of their rules and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_unique_ids
from .._results import Result, format_table, jsonable
from ..errors import DataError, NormError
from ..i18n import FALLBACK, pick, strings, text
from ..instruments import data_dir, list_instruments, read_yaml
from ..norms import apply_norm_set, instrument_for_metadata, list_norms, load_norms
from .rules import classify, get_rule, list_rules

_COMPARISON = ("depression", "anxiety", "distress", "somatization")
_COLUMNS = ["respondent", "instrument", "scale", "name", "role", "score", "band", "band_id",
            "elevated", "flag", "norms", "reason"]

#: The disclaimer per language (``disclaimer`` of ``psychometrics/strings/rules.yaml``).
DISCLAIMER = strings("rules")["disclaimer"]


@dataclass(frozen=True)
class ProfileResult(Result):
    """A differential-diagnosis profile (see :func:`profile`).

    Attributes
    ----------
    table : DataFrame
        Long format, one row per respondent x scale, respondents in input order:
        ``respondent``, ``instrument``, ``scale`` (subscale or rule id), ``name``, ``role``
        (``burnout``, ``engagement``, ``criteria``, ``depression``, ``anxiety``, ``distress``,
        ``somatization``), ``score``, ``band`` (label), ``band_id``, ``elevated`` (in its high
        or elevated band; for a criteria rule: criteria met), ``flag`` (part of an overlap, see
        :func:`profile`), ``norms`` (the norm set or rule file used) and ``reason`` (criteria
        rules only: which criteria held or failed).
    wide : DataFrame
        One row per respondent (index ``respondent``): ``<instrument>.<scale>`` scores and
        ``<instrument>.<scale>_band`` labels, ``<instrument>.burnout_high`` (the instrument's
        burnout rule, see ``burnout_rules``), then ``burnout_high``, ``depression_elevated``,
        ``anxiety_elevated``, ``overlap`` (burnout high and depression elevated) and
        ``overlap_anxiety``; nullable booleans (missing when undetermined).
    norms : dict
        Instrument id -> norm set id used for its bands (None: no bands).
    sources : dict
        Norm set or rule id -> its source reference.
    lang : str
    disclaimer : str
    burnout_rules : dict
        Instrument id -> the rule that made its ``burnout_high`` (``id``, ``name`` in ``lang``,
        ``source``): the instrument file's ``burnout_flag``, e.g. exhaustion + 1 for the MBI
        and UBOS, both subscales for the OLBI.
    """

    table: pd.DataFrame = field(repr=False)
    wide: pd.DataFrame = field(repr=False)
    norms: dict
    sources: dict
    lang: str = "en"
    disclaimer: str = DISCLAIMER[FALLBACK]
    burnout_rules: dict = field(default_factory=dict)

    @property
    def has_comparison(self) -> bool:
        """True when the profile holds a depression or anxiety scale (HAMD, BDI, 4DKL)."""
        return bool(self.table["role"].isin(["depression", "anxiety"]).any())

    @property
    def flagged(self) -> list:
        """Respondents with an overlap (burnout high and depression or anxiety elevated)."""
        hit = self.wide["overlap"].fillna(False) | self.wide["overlap_anxiety"].fillna(False)
        return list(self.wide.index[hit.to_numpy(dtype=bool)])

    def respondent(self, key) -> pd.DataFrame:
        """The profile of one respondent (rows of :attr:`table`)."""
        rows = self.table[self.table["respondent"] == key]
        if rows.empty:
            raise DataError(f"respondent {key!r} is not in the profile")
        return rows.reset_index(drop=True)

    def to_dict(self) -> dict:
        wide = self.wide.reset_index()
        return {"table": jsonable(self.table.to_dict(orient="records")),
                "wide": jsonable(wide.to_dict(orient="records")),
                "norms": jsonable(self.norms), "sources": jsonable(self.sources),
                "burnout_rules": jsonable(self.burnout_rules),
                "flagged": jsonable(self.flagged), "lang": self.lang,
                "disclaimer": self.disclaimer}

    def summary(self, max_respondents: int = 20) -> str:
        shown = self.wide.head(max_respondents)
        lines = [f"Differential-diagnosis profile: {len(self.wide)} respondent(s), "
                 f"{len(self.flagged)} flagged", self.disclaimer,
                 "norms: " + ", ".join(f"{k}: {v or 'none'}" for k, v in self.norms.items())]
        lines += [f"burnout rule of {k}: {r['name']} ({r['id']})" for k, r in self.burnout_rules.items()]
        body = format_table(shown, digits=2)
        more = len(self.wide) - len(shown)
        return "\n".join(lines) + "\n" + body + (f"\n... and {more} more respondents" if more > 0 else "")


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------

def _instrument_of(frame: pd.DataFrame) -> str | None:
    return (frame.attrs.get("psychometrics") or {}).get("instrument")


def _frames(scores) -> list[tuple[str, pd.DataFrame]]:
    if isinstance(scores, pd.DataFrame):
        items = [(None, scores)]
    elif isinstance(scores, Mapping):
        items = list(scores.items())
    elif isinstance(scores, Sequence) and not isinstance(scores, str):
        items = [(None, s) for s in scores]
    else:
        raise DataError("scores must be a DataFrame from score(), a dict {instrument id: scores} "
                        f"or a list of scores, not {type(scores).__name__}")
    out = []
    for key, frame in items:
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"the scores of {key or 'an instrument'!r} must be a DataFrame from "
                            f"score(), not {type(frame).__name__}")
        said = _instrument_of(frame)
        if key is None and said is None:
            raise DataError("the scores do not say which instrument they are of "
                            "(attrs['psychometrics']['instrument'], set by score()); pass a dict "
                            "{instrument id: scores}")
        if key is not None and said is not None and key != said:
            raise DataError(f"scores given as {key!r} are scores of {said!r}")
        out.append((key or said, frame))
    ids = [k for k, _ in out]
    dup = sorted({k for k in ids if ids.count(k) > 1})
    if dup:
        raise DataError(f"scores of {dup} are given twice")
    if not out:
        raise DataError("no scores given")
    return out


def _keys(frame: pd.DataFrame, inst: str, id: str | None) -> pd.Index:
    if id is None:
        keys = frame.index
    else:
        if id not in frame.columns:
            raise DataError(f"id column {id!r} is not in the scores of {inst!r}; columns: "
                            f"{', '.join(map(str, list(frame.columns)[:15]))}")
        keys = pd.Index(frame[id].to_numpy(), name=id)
    check_unique_ids(keys, name=id or f"index of the {inst} scores")
    return keys


def _norms_for(norms) -> tuple[dict, list]:
    """``norms`` -> ({instrument: spec}, [specs to assign by their own instrument])."""
    if norms is None:
        return {}, []
    if isinstance(norms, Mapping):
        return dict(norms), []
    if isinstance(norms, (str, Path)) or not isinstance(norms, Sequence):
        return {}, [norms]
    return {}, list(norms)


def default_norms(inst_id: str, scoring: dict | None = None) -> str | None:
    """The shipped norm set its file marks ``default: true`` for this instrument, or None.

    Never chosen by file name, confidence or any tie-break: the default is data. Where an
    instrument has defaults on both scales (sum and mean bands), the one on the scores'
    scale (``scoring``, as ``score()`` records it) is taken; two candidates left is an error
    in the data files.
    """
    marked = [nid for nid in list_norms(inst_id)
              if load_norms(nid).doc.get("default") and load_norms(nid).instrument == inst_id]
    if len(marked) > 1 and scoring:
        def on_scale(nid: str) -> bool:
            ns = load_norms(nid)
            return all(e.subscales[s].score == v for e in ns.entries for s, v in scoring.items()
                       if s in e.subscales)
        marked = [nid for nid in marked if on_scale(nid)]
    if len(marked) > 1:
        raise NormError(f"instrument {inst_id!r} has several default norm sets {marked}: pass "
                        "norms= to say which one to use")
    return marked[0] if marked else None


# --------------------------------------------------------------------------------------------
# the profile
# --------------------------------------------------------------------------------------------

def _role(inst, sid: str) -> str:
    """What a subscale measures, from the instrument file's ``construct`` (default burnout)."""
    construct = inst.subscales[sid].construct
    if construct:
        return construct
    return "criteria" if inst.doc.get("family", "") == "criteria" else "burnout"


def comparison_instruments() -> list[str]:
    """Shipped instruments with a depression or anxiety scale (by their files' ``construct``)."""
    out = []
    for iid in list_instruments():
        # a look at the raw file first: validating all 20 instruments took 1-2 s of the report
        doc = read_yaml(data_dir("instruments") / f"{iid}.yaml")
        subs = doc.get("subscales") if isinstance(doc, dict) else None
        if isinstance(subs, dict) and not any(isinstance(s, dict) and s.get("construct") in ("depression", "anxiety")
                                              for s in subs.values()):
            continue
        inst = instrument_for_metadata(iid)
        if any(s.construct in ("depression", "anxiety") for s in inst.subscales.values()):
            out.append(iid)
    return out


def _elevated(role: str, higher_is: str, idx: np.ndarray, k: int) -> np.ndarray:
    """Nullable elevation from band indices (-1 = no band): comparison scales above their
    lowest band; burnout scales in the upper half of their bands (the middle band of an odd
    number excluded), mirrored when higher is better."""
    known = idx >= 0
    if role in _COMPARISON:
        hit = idx >= 1
    elif role == "burnout" and higher_is == "worse":
        hit = idx >= math.ceil(k / 2)
    elif role == "burnout" and higher_is == "better":
        hit = idx < k - math.ceil(k / 2)
    else:
        known = np.zeros_like(known)
        hit = known
    return np.where(known, hit.astype(float), np.nan)


def _kleene_any(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Per respondent: 1 if any part is 1, 0 if all are 0, NaN otherwise (or no parts)."""
    if not parts:
        return np.full(n, np.nan)
    a = np.vstack(parts)
    anyhit = np.nansum(a == 1, axis=0) > 0
    allknown = ~np.isnan(a).any(axis=0)
    return np.where(anyhit, 1.0, np.where(allknown, 0.0, np.nan))


def _kleene_and(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    false = (a == 0) | (b == 0)
    true = (a == 1) & (b == 1)
    return np.where(false, 0.0, np.where(true, 1.0, np.nan))


def _kleene_all(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Per respondent: 0 if any part is 0, 1 if all are 1, NaN otherwise."""
    a = np.vstack(parts) if parts else np.full((1, n), np.nan)
    return np.where((a == 0).any(axis=0), 0.0, np.where((a == 1).all(axis=0), 1.0, np.nan))


def _flag_value(cond: Mapping, high: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Evaluate a ``burnout_flag`` condition over the subscales' high (0/1/NaN) arrays."""
    if "high" in cond:
        return high.get(cond["high"], np.full(n, np.nan))  # not scored: undetermined
    parts = [_flag_value(c, high, n) for c in cond["all" if "all" in cond else "any"]]
    return _kleene_all(parts, n) if "all" in cond else _kleene_any(parts, n)


def _burnout_rule(inst, lang: str) -> dict:
    """The instrument's published burnout rule (its file's ``burnout_flag``), or a named default."""
    flag = inst.doc.get("burnout_flag")
    if flag:
        return {"id": flag["id"], "name": pick(flag["name"], lang),
                "source": flag["source"]["ref"], "when": flag["when"]}
    roles = {s.get("role"): sid for sid, s in (inst.doc.get("subscales") or {}).items()}
    if "exhaustion" in roles:  # exhaustion is the core dimension (see the MBI/UBOS rule)
        return {"id": "default-exhaustion-high", "when": {"high": roles["exhaustion"]},
                "name": text("rules", "default_rule_exhaustion", lang),
                "source": "project default: the instrument file states no burnout rule"}
    subs = [sid for sid, s in inst.subscales.items() if (s.construct or "burnout") == "burnout"]
    return {"id": "default-any-high", "when": {"any": [{"high": sid} for sid in subs]},
            "name": text("rules", "default_rule_any", lang),
            "source": "project default: the instrument file states no burnout rule"}


def _boolean(x: np.ndarray) -> pd.arrays.BooleanArray:
    """0/1/NaN -> nullable boolean (vectorised: no loop over respondents)."""
    x = np.asarray(x, dtype=float)
    return pd.arrays.BooleanArray(np.nan_to_num(x) == 1, np.isnan(x))


def profile(scores, *, norms=None, lang: str = "en", id: str | None = None,
            norm_by: Mapping[str, str] | None = None, scale=None,
            data: pd.DataFrame | None = None) -> ProfileResult:
    """A differential-diagnosis profile: burnout scores beside depression and anxiety scales.

    Parameters
    ----------
    scores : DataFrame, dict or list
        Scores from :func:`~psychometrics.scoring.score`: a dict ``{instrument id: scores}``,
        a list of scores, or one DataFrame, each saying its instrument in
        ``attrs["psychometrics"]["instrument"]`` (set by ``score``). Respondents are matched
        across instruments by index (or by the ``id`` column). Typically a burnout
        questionnaire (MBI, OLBI, UBOS, CBI, BAT, SMBM) with the 4DKL, HAMD-17 or BDI-II;
        the criteria checklists ``overspanning-nl-2011`` and ``exhaustion-disorder-se`` are
        shown with their rules' verdicts. Never modified.
    norms : dict, str, NormSet or list, optional
        The norm set per instrument for the bands: ``{instrument id: norm id, file or
        NormSet}`` (None for no bands), or norm sets assigned to the instruments they apply
        to. Default: the norm file marked ``default: true`` for the instrument in the data
        (:func:`default_norms`; e.g. MBI-HSS ``mbi-hss-overall``, HAMD-17
        ``hamd-17-zimmerman2013``, BDI-II ``bdi-ii-manual``, 4DKL ``4dkl-terluin``); an
        instrument without a marked default gets no bands (never a set picked by name). The
        ids used are in ``result.norms``. Pass the norm set of your population to choose
        another (the MBI, for one, has occupation-specific norms).
    norm_by, scale, data
        As in :func:`~psychometrics.norms.apply_norms` (``scale`` may be a dict by
        instrument id).
    lang : {"en", "nl", "fr"}
        Language of the scale names, band labels and disclaimer (English where missing).
    id : str, optional
        A respondent id column present in every scores frame, used to match respondents
        instead of the index.

    Returns
    -------
    ProfileResult
        ``table`` (long: respondent, instrument, scale, name, role, score, band, band_id,
        elevated, flag, norms, reason), ``wide`` (one row per respondent), ``norms``,
        ``sources``, ``flagged``, ``respondent(key)``, ``to_dict()``, ``summary()``.

    Notes
    -----
    * *Elevated*: a depression, anxiety, distress or somatization scale is elevated above its
      lowest band (HAMD-17 >= 8 and BDI-II >= 14 with the default bands, i.e. at least mild;
      4DKL moderately or strongly elevated). A burnout subscale is *high* in the upper half of
      its bands, the middle band of an odd number excluded (MBI high of low/average/high,
      BAT-23 red, CBI high or severe of four, OLBI high of two), and in the lower half for
      subscales where higher is better (MBI personal accomplishment low). Engagement (UWES)
      scales are shown but never elevated. A criteria rule counts as elevated when its
      criteria are met.
    * ``<instrument>.burnout_high`` follows the instrument's published rule, stated in its
      file (``burnout_flag``) and named in ``burnout_rules``: exhaustion + 1 for the MBI and
      UBOS (exhaustion high and distance high or competence low; exhaustion is the core
      dimension and a low accomplishment alone never flags), both subscales for the OLBI
      (Peterson et al. 2008), the core total for the BAT and the SMBM, any scale for the CBI.
      An instrument file without a rule gets a named project default (exhaustion high).
    * ``burnout_high``: any instrument's burnout rule or any criteria rule met; ``overlap``:
      ``burnout_high`` and a depression scale elevated; ``overlap_anxiety`` likewise for
      anxiety. Missing scores give three-valued (Kleene) results: true as soon as one known
      part decides it, missing when a missing score could change it.
    * ``flag`` marks the rows of an overlap: an elevated depression or anxiety scale of a
      respondent with high burnout, and the high burnout rows (and met criteria) of a
      respondent with an elevated depression or anxiety scale.
    * Everything is vectorised over respondents (loops run over instruments and scales).

    This supports a clinician's judgement; it is no diagnosis (see :data:`DISCLAIMER`).

    References
    ----------
    Superior Health Council of Belgium (2017). Burnout and work (advice). Brussels: SHC.
    Zimmerman M, et al. (2013). Severity classification on the Hamilton Depression Rating
    Scale. J Affect Disord 150, 384-388. Beck AT, Steer RA, Brown GK (1996). Manual for the
    BDI-II. Terluin B, et al. (2006). The 4DSQ. BMC Psychiatry 6, 34.

    Examples
    --------
    >>> import pandas as pd
    >>> from psychometrics import score
    >>> mbi = pd.DataFrame({f"mbi{i}": [5, 1] for i in range(1, 23)})
    >>> hamd = pd.DataFrame({f"hamd{i}": [1, 0] for i in range(1, 18)})
    >>> p = profile({"mbi-hss": score(mbi, "mbi-hss", method="sum"),
    ...              "hamd-17": score(hamd, "hamd-17")}, norms={"mbi-hss": "mbi-hss-overall"})
    >>> p.table[["respondent", "scale", "score", "band", "elevated", "flag"]].head(4)
       respondent  scale  score                 band  elevated   flag
    0           0     EE   45.0                 high      True   True
    1           0     DP   25.0                 high      True   True
    2           0     PA   40.0                 high     False  False
    3           0  total   17.0  moderate depression      True   True
    >>> p.wide["overlap"].tolist(), p.flagged   # respondent 1: low PA but no depression
    ([True, False], [0])
    """
    # over 80 lines only by its numpydoc docstring; the code is under 35 lines
    if not isinstance(lang, str) or len(lang) != 2:
        raise DataError(f"lang must be a two-letter language code such as 'en', not {lang!r}")
    frames = _frames(scores)
    by_inst = _norms_by_instrument(frames, norms)
    keyed = [(k, f, _keys(f, k, id)) for k, f in frames]
    union = keyed[0][2]
    for _, _, keys in keyed[1:]:
        union = union.append(keys[~keys.isin(union)])
    n = len(union)

    blocks, used, sources, rules = [], {}, {}, {}
    for inst_id, frame, keys in keyed:  # loop over instruments and scales, never respondents
        pos = union.get_indexer(keys)
        info = frame.attrs.get("psychometrics") or {}
        # names and directions of the subscales do not depend on the answer-direction form
        inst = instrument_for_metadata(inst_id, info.get("form"))
        subs = [s for s in inst.subscales if s in frame.columns]
        if inst.doc.get("family") == "criteria":
            used[inst_id] = None
            blocks += _criteria_blocks(inst, frame, pos, n, lang, sources)
            continue
        if not subs:
            raise DataError(f"the scores of {inst_id!r} have none of its subscales "
                            f"{list(inst.subscales)} as columns")
        spec = by_inst[inst_id] if inst_id in by_inst else \
            default_norms(inst_id, info.get("scoring"))
        ns, applied = _apply_bands(spec, frame, lang, norm_by, scale, inst_id, data, sources)
        used[inst_id] = ns.id if ns is not None else None
        own = [_subscale_block(inst, sid, frame, pos, n, ns, applied, lang) for sid in subs]
        _instrument_flag(inst, own, n, lang, rules, sources)
        blocks += own
    return _assemble(blocks, union, n, used, sources, lang, rules)


def _norms_by_instrument(frames: list, norms) -> dict:
    """``norms`` as {instrument id: norm spec}; a norm set given without an instrument goes to
    the instruments among the scores it applies to."""
    by_inst, loose = _norms_for(norms)
    for spec in loose:
        ns = load_norms(spec)
        hit = [k for k, _ in frames if k in ns.applies_to]
        if not hit:
            raise NormError(f"norm set {ns.id!r} is for {', '.join(ns.applies_to)}, but the scores "
                            f"are of {', '.join(k for k, _ in frames)}")
        for k in hit:
            by_inst[k] = ns
    unknown = sorted(set(by_inst) - {k for k, _ in frames})
    if unknown:
        raise NormError(f"norms given for {unknown}, which are not among the scores "
                        f"({', '.join(k for k, _ in frames)})")
    return by_inst


def _apply_bands(spec, frame, lang, norm_by, scale, inst_id, data, sources):
    """(norm set, its application to ``frame``), or (None, None) without a norm set."""
    if spec is None:
        return None, None
    ns = load_norms(spec)
    ns.warn_if_uncertain(stacklevel=4)  # points at the caller of profile()
    inst_scale = scale.get(inst_id) if isinstance(scale, Mapping) else scale
    applied, _ = apply_norm_set(frame, ns, lang=lang, norm_by=norm_by, scale=inst_scale,
                                data=data)
    sources[ns.id] = ns.doc["source"]["ref"]
    return ns, applied


def _subscale_block(inst, sid, frame, pos, n, ns, applied, lang) -> dict:
    """One subscale's scores, bands and elevation over the union of respondents."""
    sub = inst.subscales[sid]
    role = _role(inst, sid)
    score = np.full(n, np.nan)
    score[pos] = pd.to_numeric(frame[sid], errors="coerce").to_numpy(dtype=float)
    idx = np.full(n, -1)
    band = np.full(n, None, dtype=object)
    band_id = np.full(n, None, dtype=object)
    k = 0
    if applied is not None and sid in applied.band:
        idx[pos] = applied.band[sid]
        band[pos], band_id[pos] = applied.band_labels[sid], applied.band_ids[sid]
        entry = ns.overall or ns.entries[0]
        k = len(entry.subscales[sid].bands) if sid in entry.subscales else 0
    reason = np.full(n, None, dtype=object)
    if f"{sid}_prorated" in frame.columns:  # a band from a prorated score says so
        flag = frame[f"{sid}_prorated"].fillna(False).to_numpy(dtype=bool)
        reason[pos[flag]] = f"{sid} prorated (scored from fewer items than the scale has)"
    return {"instrument": inst.id, "scale": sid, "name": pick(sub.name, lang, sid),
            "role": role, "score": score, "band": band, "band_id": band_id,
            "elevated": _elevated(role, sub.higher_is, idx, k),
            "norms": ns.id if (ns is not None and sid in (applied.band if applied else {})) else None,
            "reason": reason}


def _instrument_flag(inst, blocks: list[dict], n: int, lang: str, rules: dict,
                     sources: dict) -> None:
    """The instrument's own rule decides whether its burnout scores are high: sets
    ``instrument_flag`` on its blocks and records the rule in ``rules`` and ``sources``."""
    high = {b["scale"]: b["elevated"] for b in blocks if b["role"] == "burnout"}
    if not high:
        return
    rule = _burnout_rule(inst, lang)
    flag = _flag_value(rule.pop("when"), high, n)
    rules[inst.id] = rule
    sources[f"{inst.id}:{rule['id']}"] = rule["source"]
    for b in blocks:
        b["instrument_flag"] = flag


def _criteria_blocks(inst, frame, pos, n, lang, sources) -> list[dict]:
    """One block per rule of a criteria checklist: the verdict, positive and reason."""
    out = []
    for rid in list_rules(inst.id)["id"]:
        rule = get_rule(rid, inst.id)
        if rule.uses_norms:
            continue
        try:
            res = classify(frame, rule, lang=lang)
        except DataError as exc:  # a reading that needs an input the checklist lacks (criterion F)
            sources[rule.id] = f"not shown: {exc}"
            continue
        label = np.full(n, None, dtype=object)
        level = np.full(n, None, dtype=object)
        reason = np.full(n, None, dtype=object)
        pos_ = np.full(n, np.nan)
        label[pos] = res["label"].to_numpy(dtype=object, na_value=None)
        level[pos] = res["level"].to_numpy(dtype=object, na_value=None)
        reason[pos] = res["reason"].to_numpy(dtype=object, na_value=None)
        pos_[pos] = res["positive"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        sources[rule.id] = rule.source["ref"]
        out.append({"instrument": inst.id, "scale": rule.id, "name": rule.text(lang),
                    "role": "criteria", "score": np.full(n, np.nan), "band": label,
                    "band_id": level, "elevated": pos_, "norms": rule.origin, "reason": reason})
    return out


def _assemble(blocks, union, n, used, sources, lang, rules) -> ProfileResult:
    flags = {b["instrument"]: b["instrument_flag"] for b in blocks if "instrument_flag" in b}
    burnout = _kleene_any(list(flags.values())
                          + [b["elevated"] for b in blocks if b["role"] == "criteria"], n)
    depression = _kleene_any([b["elevated"] for b in blocks if b["role"] == "depression"], n)
    anxiety = _kleene_any([b["elevated"] for b in blocks if b["role"] == "anxiety"], n)
    either = _kleene_any([b["elevated"] for b in blocks if b["role"] in ("depression", "anxiety")], n)
    frames, wide = [], {}
    for order, b in enumerate(blocks):
        if b["role"] in ("depression", "anxiety"):
            flag = _kleene_and(b["elevated"], burnout)
        elif b["role"] == "burnout" and "instrument_flag" in b:
            # a high burnout subscale is part of an overlap only when its instrument's rule fired
            flag = _kleene_and(_kleene_and(b["elevated"], b["instrument_flag"]), either)
        elif b["role"] == "criteria":
            flag = _kleene_and(b["elevated"], either)
        else:
            flag = np.zeros(n)
        frames.append(pd.DataFrame({
            "respondent": union.to_numpy(), "instrument": b["instrument"], "scale": b["scale"],
            "name": b["name"], "role": b["role"], "score": b["score"],
            "band": pd.array(b["band"], dtype="string"), "band_id": pd.array(b["band_id"], dtype="string"),
            "elevated": _boolean(b["elevated"]), "flag": _boolean(flag), "norms": b["norms"],
            "reason": pd.array(b["reason"], dtype="string"), "_r": np.arange(n), "_o": order}))
        col = f"{b['instrument']}.{b['scale']}"
        if b["role"] != "criteria":
            wide[col] = b["score"]
        wide[f"{col}_band"] = pd.array(b["band"], dtype="string")
    table = pd.concat(frames, ignore_index=True).sort_values(["_r", "_o"], kind="stable")
    table = table.drop(columns=["_r", "_o"]).reset_index(drop=True)[_COLUMNS]
    table["norms"] = table["norms"].astype("string")
    wide_df = pd.DataFrame(wide, index=pd.Index(union.to_numpy(), name="respondent"))
    for inst_id, flag in flags.items():
        wide_df[f"{inst_id}.burnout_high"] = _boolean(flag)
    wide_df["burnout_high"] = _boolean(burnout)
    wide_df["depression_elevated"] = _boolean(depression)
    wide_df["anxiety_elevated"] = _boolean(anxiety)
    wide_df["overlap"] = _boolean(_kleene_and(burnout, depression))
    wide_df["overlap_anxiety"] = _boolean(_kleene_and(burnout, anxiety))
    return ProfileResult(table=table, wide=wide_df, norms=used, sources=sources, lang=lang,
                         disclaimer=pick(DISCLAIMER, lang), burnout_rules=rules)
