"""The norm-set type: a validated norm file with its strata, bands, tables and models.

:class:`NormSet` wraps one norm file (see :mod:`psychometrics.norms` for its parts);
:class:`SubscaleNorm` holds the norms of one subscale in one stratum and turns scores into
percentile ranks, quartiles and band indices; :class:`NormEntry` is one stratum. Loading
shipped or user files is :mod:`psychometrics.norms.catalogue`.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .._frozen import Sealed
from .._results import format_table, jsonable
from ..errors import NormError
from ..i18n import pick
from ..instruments import dump_yaml, validate
from .continuous import continuous_raw, continuous_z
from .transforms import Z75, edge_tol, pr_from_distribution, stanine_from_pr, t_from_pr
from .weights import weighted_quantile_counts


class NoQuartilesWarning(UserWarning):
    """A norm set gives no quartiles (P25/P75) for subscales, so no quartile flags are made."""


class UncertainNormWarning(UserWarning):
    """A norm set or rule relies on numbers its sources do not confirm ([U] in the sources)."""



@dataclass(frozen=True)
class Band:
    """One band of a cut-point table; ``lower`` is None for the lowest band."""

    id: str
    label: dict
    lower: float | None = None
    lower_inclusive: bool = True
    printed: str = ""

    def text(self, lang: str = "en") -> str:
        """The band's label in ``lang`` (English, else the first language, else the id)."""
        return pick(self.label, lang, self.id)


@dataclass(frozen=True)
class SubscaleNorm:
    """The norms of one subscale in one stratum (see the module docstring for the parts)."""

    subscale: str
    score: str
    bands: tuple[Band, ...] = ()
    p25: float | None = None
    p75: float | None = None
    table: tuple[np.ndarray, np.ndarray, str] | None = field(default=None, repr=False)
    distribution: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    mean: float | None = None
    sd: float | None = None
    continuous: dict | None = field(default=None, repr=False)
    n: float | None = None

    @property
    def has_pr(self) -> bool:
        return (self.distribution is not None or self.table is not None
                or (self.mean is not None and bool(self.sd)) or self.continuous is not None)

    @property
    def has_quartiles(self) -> bool:
        return (self.p25 is not None and self.p75 is not None) or self.has_pr

    def pr(self, x: np.ndarray, covariate: np.ndarray | None = None) -> np.ndarray:
        """Percentile rank (see :func:`percentile_rank` and :func:`apply_norms`)."""
        x = np.asarray(x, dtype=float)
        if self.continuous is not None:  # a smoothed model wins over the raw distribution
            return 100.0 * ndtr(continuous_z(self.continuous, x, covariate))
        if self.distribution is not None:
            return pr_from_distribution(x, *self.distribution)
        if self.table is not None:
            scores, prs, how = self.table
            if how == "linear":
                out = np.interp(x, scores, prs)
            else:  # step: the PR printed for the largest tabled score <= x
                pos = np.searchsorted(scores, x + edge_tol(np.nan_to_num(x)), side="right") - 1
                out = np.where(pos >= 0, prs[np.clip(pos, 0, None)], 0.0)
            return np.where(np.isnan(x), np.nan, out)
        if self.mean is not None and self.sd:
            return 100.0 * ndtr((x - self.mean) / self.sd)
        raise NormError(f"the norms of {self.subscale!r} have no percentile table or mean/SD")

    def quartiles(self, covariate: np.ndarray | None = None, n: int = 1):
        """(P25, P75): given, or from the distribution (type 1), table, mean/SD or model."""
        if self.p25 is not None and self.p75 is not None and self.continuous is None:
            return np.full(n, self.p25), np.full(n, self.p75)
        if self.continuous is not None:
            cov = np.clip(np.asarray(covariate, dtype=float), *self.continuous["range"])
            return (continuous_raw(self.continuous, np.full(cov.shape, -Z75), cov),
                    continuous_raw(self.continuous, np.full(cov.shape, Z75), cov))
        if self.distribution is not None:
            q = weighted_quantile_counts(self.distribution[0], self.distribution[1][None, :],
                                         [0.25, 0.75])[0]
            return np.full(n, q[0]), np.full(n, q[1])
        if self.table is not None:
            scores, prs, _ = self.table
            return np.full(n, np.interp(25.0, prs, scores)), np.full(n, np.interp(75.0, prs, scores))
        if self.mean is not None and self.sd:
            return np.full(n, self.mean - Z75 * self.sd), np.full(n, self.mean + Z75 * self.sd)
        return None

    def band_index(self, x: np.ndarray) -> np.ndarray:
        """Index of each score's band (-1 for NaN): the highest band whose lower edge it reaches."""
        x = np.asarray(x, dtype=float)
        idx = np.zeros(x.shape, dtype=int)
        for k, b in enumerate(self.bands[1:], start=1):  # loop over edges, not respondents
            reached = (x >= b.lower - edge_tol(b.lower)) if b.lower_inclusive else (x > b.lower + edge_tol(b.lower))
            idx[reached] = k
        idx[np.isnan(x)] = -1
        return idx


@dataclass(frozen=True)
class NormEntry:
    stratum: dict
    subscales: dict
    n: float | None = None

    def matches(self, values: Mapping[str, np.ndarray], size: int) -> np.ndarray:
        """Which respondents belong to this stratum (all its variables match)."""
        ok = np.ones(size, dtype=bool)
        for var, want in self.stratum.items():  # loop over stratum variables
            col = values[var]
            if isinstance(want, Mapping):  # numeric range, inclusive
                num = pd.to_numeric(pd.Series(col), errors="coerce").to_numpy(dtype=float)
                lo, hi = want.get("min", -np.inf), want.get("max", np.inf)
                ok &= (num >= lo) & (num <= hi)
            else:
                ok &= col == _stratum_value_text(want)
        return ok

def _stratum_value_text(v) -> str:
    """A stratum value of a norm file as the text it is matched on (True -> "true", 1.0 -> "1")."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).lower()
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)

def stratum_text(col: pd.Series) -> np.ndarray:
    """A stratum column as text (object array, None = missing), vectorised; 1.0 reads as "1"
    (CSV readers turn integer columns with blanks into floats) and booleans as true/false."""
    notna = col.notna().to_numpy()
    if pd.api.types.is_bool_dtype(col):
        out = np.where(col.fillna(False).to_numpy(dtype=bool), "true", "false").astype(object)
    elif pd.api.types.is_numeric_dtype(col):
        v = col.to_numpy(dtype=float, na_value=np.nan)
        integral = notna & (v == np.round(v)) & np.isfinite(v)
        out = col.astype(str).to_numpy(dtype=object)
        out[integral] = v[integral].astype(np.int64).astype(str)
    else:
        out = col.astype(str).to_numpy(dtype=object)
    out[~notna] = None
    return out


class NormSet(Sealed):
    """A validated norm set: provenance, strata, per-stratum subscale norms and rules.

    Build it with :func:`load_norms` (a shipped id or a file) or :func:`build_norms` (from a
    sample). ``doc`` is the norm file's content; :meth:`to_file` writes it back.

    Attributes
    ----------
    id, name : str
    instrument : str
        The instrument id the norms refer to; ``applies_to`` lists further instruments with
        the same subscales (e.g. ``mbi-hss-mp`` for MBI-HSS norms).
    strata : list of str
        Stratum variables (empty for a single norm group).
    entries : list of NormEntry
        One per stratum; the entry with an empty stratum is the overall norm.
    rules : list of dict
        Classification rules declared in the file (see :mod:`psychometrics.rules`).
    uncertain : list of str
        Numbers the sources do not confirm; a warning is emitted when the norms are applied.
    """

    def __init__(self, doc: dict, *, path: str | None = None):
        self.doc = copy.deepcopy(doc)
        self.path = path
        src = path or doc.get("id", "norms")
        self.id: str = doc["id"]
        self.name: str = doc["name"]
        self.instrument: str = doc["instrument"]["id"]
        self.applies_to: list[str] = [self.instrument] + list(doc.get("applies_to") or [])
        self.strata: list[str] = list(doc.get("strata") or [])
        self.covariate: str | None = doc.get("covariate")
        self.uncertain: list[str] = list(doc.get("uncertain") or [])
        self.rules: list[dict] = list(doc.get("rules") or [])
        self.entries = [self._entry(e, f"{src}: field 'norms/{i}'") for i, e in enumerate(doc.get("norms") or [])]
        self._check(src)
        # load_norms caches norm sets and shares them with every caller: read-only from here on
        self.seal("doc", "applies_to", "strata", "uncertain", "rules", "entries")

    # -- parsing -------------------------------------------------------------------------------
    def _entry(self, e: dict, where: str) -> NormEntry:
        stratum = dict(e.get("stratum") or {})
        unknown = sorted(set(stratum) - set(self.strata))
        if unknown:
            raise NormError(f"{where}/stratum: variables {unknown} are not in 'strata' {self.strata}")
        subs = {sid: _subscale_norm(sid, s, f"{where}/subscales/{sid}")
                for sid, s in (e.get("subscales") or {}).items()}
        return NormEntry(stratum=stratum, subscales=subs, n=e.get("n"))

    def _check(self, src: str) -> None:
        keys = [tuple(sorted((k, str(v)) for k, v in e.stratum.items())) for e in self.entries]
        dup = sorted({str(dict(k)) for k in keys if keys.count(k) > 1})
        if dup:
            raise NormError(f"{src}: field 'norms': stratum listed twice: {dup}")
        ids = [r.get("id") for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise NormError(f"{src}: field 'rules': duplicate rule ids {dup}")
        if self.doc.get("partial") and not self.doc.get("partial_note"):
            raise NormError(f"{src}: field 'partial_note': say what is missing from a partial norm set")

    # -- views ---------------------------------------------------------------------------------
    @property
    def subscales(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.entries:
            seen.update(dict.fromkeys(e.subscales))
        return list(seen)

    @property
    def overall(self) -> NormEntry | None:
        return next((e for e in self.entries if not e.stratum), None)

    def entry(self, **stratum) -> NormEntry:
        """The entry of one stratum, e.g. ``ns.entry(sex="female")``; no argument: overall."""
        want = {k: _stratum_value_text(v) for k, v in stratum.items()}
        for e in self.entries:
            if {k: (v if isinstance(v, Mapping) else _stratum_value_text(v)) for k, v in e.stratum.items()} == want:
                return e
        raise NormError(f"norm set {self.id!r} has no stratum {stratum or '(overall)'}; strata: "
                        f"{[e.stratum for e in self.entries]}")

    def table(self, subscale: str, **stratum) -> pd.DataFrame:
        """The raw-score -> percentile-rank table of one subscale (and stratum), with T and
        stanine: from the norm sample's distribution or the published table."""
        sn = self.entry(**stratum).subscales.get(subscale)
        if sn is None:
            raise NormError(f"norm set {self.id!r} has no norms for subscale {subscale!r}")
        if sn.distribution is not None:
            scores = sn.distribution[0]
        elif sn.table is not None:
            scores = sn.table[0]
        else:
            raise NormError(f"norm set {self.id!r}, {subscale!r}: no percentile table (cut-points only)")
        pr = sn.pr(scores)
        return pd.DataFrame({"score": scores, "pr": pr, "t": t_from_pr(pr),
                             "stanine": stanine_from_pr(pr).astype(int)})

    def warn_if_uncertain(self, stacklevel: int = 3) -> None:
        if self.uncertain:
            warnings.warn(f"norm set {self.id!r} uses numbers its sources do not confirm: "
                          + "; ".join(self.uncertain), UncertainNormWarning, stacklevel=stacklevel)

    def to_dict(self) -> dict:
        """The norm file's content (plain JSON types)."""
        return jsonable(self.doc)

    def to_file(self, path: str | Path) -> Path:
        """Write the norm set as a norm file (YAML; ``.json`` writes JSON) that
        :func:`load_norms` reads back exactly (floats are written with full precision)."""
        from ..io.writers import atomic_write

        p = Path(path)
        doc = self.to_dict()
        validate(doc, "norms", str(p), error=NormError)
        if p.suffix.lower() == ".json":
            import json
            text = json.dumps(doc, indent=1, ensure_ascii=False)
        else:
            text = dump_yaml(doc)  # no aliases: read_yaml refuses them
        return atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def summary(self) -> str:
        d = self.doc
        src = d["source"]
        head = [f"{self.name} ({self.id})",
                f"instrument: {', '.join(self.applies_to)} ({d['instrument'].get('version', '')})",
                f"population: {d.get('population', '-')}; country {d.get('country', '-')}, "
                f"language {d.get('language', '-')}, year {d.get('year', '-')}, "
                f"n {d['n'] if d.get('n') is not None else 'not given by the source'}",
                f"method: {d['method']}; source ({src['confidence']}): {src['ref']}"]
        if src.get("note"):
            head.append(f"source note: {src['note']}")
        if d.get("partial"):
            head.append(f"PARTIAL: {d.get('partial_note')}")
        if self.uncertain:
            head.append("unconfirmed: " + "; ".join(self.uncertain))
        rows = []
        for e in self.entries:
            for sid, sn in e.subscales.items():
                bands = " | ".join(f"{b.id} {b.printed}".strip() for b in sn.bands)
                rows.append({"stratum": ", ".join(f"{k}={v}" for k, v in e.stratum.items()) or "overall",
                             "subscale": sid, "score": sn.score, "n": sn.n if sn.n is not None else e.n,
                             "P25": sn.p25, "P75": sn.p75, "table": "yes" if sn.has_pr else "-",
                             "bands": bands or "-"})
        text = "\n".join(head)
        if rows:
            text += "\n" + format_table(pd.DataFrame(rows).set_index(["stratum", "subscale"]))
        if self.rules:
            text += "\nrules: " + ", ".join(r["id"] for r in self.rules)
        return text

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"NormSet({self.id!r}, instrument={self.instrument!r}, strata={self.strata}, subscales={self.subscales})"


def _printed(b: dict) -> str:
    lo = f">= {b['min']:g}" if "min" in b else f"> {b['gt']:g}" if "gt" in b else ""
    hi = f"<= {b['max']:g}" if "max" in b else f"< {b['lt']:g}" if "lt" in b else ""
    return " and ".join(x for x in (lo, hi) if x)


def _subscale_norm(sid: str, s: dict, where: str) -> SubscaleNorm:
    bands = []
    raw = s.get("bands") or []
    for k, b in enumerate(raw):
        has_lo = ("min" in b) + ("gt" in b)
        if has_lo > 1 or ("max" in b and "lt" in b):
            raise NormError(f"{where}/bands/{k}: give one lower edge (min or gt) and at most one upper edge (max or lt)")
        if k > 0 and not has_lo:
            raise NormError(f"{where}/bands/{k}: every band after the first needs a lower edge (min or gt)")
        lower = b.get("min", b.get("gt")) if k > 0 else None
        bands.append(Band(id=b["id"], label=dict(b["label"]), lower=lower,
                          lower_inclusive="min" in b, printed=_printed(b)))
    ids = [b.id for b in bands]
    if len(set(ids)) != len(ids):
        raise NormError(f"{where}/bands: duplicate band ids {ids}")
    for k in range(1, len(raw)):
        prev, cur = raw[k - 1], raw[k]
        edge = cur.get("min", cur.get("gt"))
        prev_lo = prev.get("min", prev.get("gt"))
        if prev_lo is not None and k > 1 and edge < prev_lo:
            raise NormError(f"{where}/bands/{k}: lower edge {edge} is below the previous band's {prev_lo}")
        top = prev.get("max", prev.get("lt"))
        if top is not None:
            overlap = top > edge or (top == edge and "max" in prev and "min" in cur)
            if overlap:
                raise NormError(f"{where}/bands/{k - 1}..{k}: band {prev['id']!r} ends at {top} "
                                f"but {cur['id']!r} starts at {edge}: the bands overlap")
    q = s.get("quartiles") or {}
    p25, p75 = q.get("p25"), q.get("p75")
    if p25 is not None and p75 is not None and p25 > p75:
        raise NormError(f"{where}/quartiles: p25 {p25} is above p75 {p75}")
    table = None
    if s.get("table"):
        t = s["table"]
        sc, pr = np.asarray(t["score"], dtype=float), np.asarray(t["pr"], dtype=float)
        if sc.size != pr.size or sc.size < 1:
            raise NormError(f"{where}/table: 'score' and 'pr' need the same length (at least 1)")
        if (np.diff(sc) <= 0).any() or (np.diff(pr) < 0).any() or pr.min() < 0 or pr.max() > 100:
            raise NormError(f"{where}/table: scores must increase and percentile ranks (0-100) must not decrease")
        table = (sc, pr, t.get("interpolation", "linear"))
    dist = None
    if s.get("distribution"):
        d = s["distribution"]
        v, w = np.asarray(d["values"], dtype=float), np.asarray(d["weights"], dtype=float)
        if v.size != w.size or v.size == 0 or (np.diff(v) <= 0).any() or (w < 0).any() or w.sum() <= 0:
            raise NormError(f"{where}/distribution: values must increase, weights be non-negative "
                            "with a positive total, and both have the same length")
        dist = (v, w)
    sd = s.get("sd")
    for name, v in (("mean", s.get("mean")), ("sd", sd), ("quartiles/p25", p25),
                    ("quartiles/p75", p75)):
        if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v)):
            raise NormError(f"{where}/{name}: must be a finite number, got {str(v)[:40]}")
    if sd is not None and sd <= 0 and s.get("mean") is not None:
        raise NormError(f"{where}/sd: must be positive to turn scores into z, T and PR, got {sd}")
    if sd is not None and sd < 0:
        raise NormError(f"{where}/sd: must not be negative, got {sd}")
    return SubscaleNorm(subscale=sid, score=s["score"], bands=tuple(bands), p25=p25, p75=p75,
                        table=table, distribution=dist, mean=s.get("mean"), sd=sd,
                        continuous=s.get("continuous"), n=s.get("n"))


# --------------------------------------------------------------------------------------------
# continuous (smoothed) norms: raw = sum_ij b_ij z^i a^j
