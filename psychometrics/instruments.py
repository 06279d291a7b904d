"""Instrument definitions: loading, schema validation, the ``Instrument`` object, the registry.

An instrument is a YAML data file (``instruments/<id>.yaml``, shipped inside the package)
validated against ``schemas/instrument.schema.json``. Nothing in the code knows a particular
instrument: keys, scales, recodings, missing-data minimums, forms and their sources all live in
the file. Facts the file marks ``uncertain`` raise an :class:`UncertainKeyWarning` when the
instrument is used, until a user who holds the manual supplies a key file of their own
(``load_instrument("ubos-a", keys="my-ubos-keys.yaml")``).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import yaml

from ._frozen import Sealed
from ._results import format_table
from .errors import InstrumentError

_PKG = Path(__file__).resolve().parent
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class UncertainKeyWarning(UserWarning):
    """An instrument fact (key, item map, answer direction) is not confirmed by its sources."""


def data_dir(kind: str) -> Path:
    """The folder of shipped data files (``instruments`` or ``norms``).

    In an installed wheel they live inside the package (``psychometrics/_instruments``); in a
    source checkout or editable install, at the repository root.
    """
    for candidate in (_PKG / f"_{kind}", _PKG.parent / kind):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise InstrumentError(f"the package's {kind} folder is missing; reinstall the package")


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases: a few hundred bytes of nested
    aliases expand into gigabytes ("billion laughs"), and no data file of ours needs them."""

    source = "YAML"

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InstrumentError(
                f"{self.source}: line {event.start_mark.line + 1}: YAML anchors and aliases "
                f"(&{event.anchor} / *{event.anchor}) are not allowed in data files; write the "
                "values out")
        return super().compose_node(parent, index)


def excerpt(value, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters: error messages quote a user's data, never
    a whole document."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def _shipped(path: Path) -> bool:
    where = path.resolve().parent
    return any(where == data_dir(kind).resolve() for kind in ("instruments", "norms"))


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(doc) -> str:
    """YAML text of plain data, without anchors or aliases (so :func:`read_yaml` reads it back)."""
    return yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


def read_yaml(path: Path) -> Any:
    """Load a YAML file safely: no Python objects, no code (``SafeLoader``), at most
    ``max_yaml_bytes`` (see :mod:`psychometrics.limits`) and, in a user's file, no anchors or
    aliases (the package's own data files may use them).

    Raises
    ------
    InstrumentError
        Missing file, a folder, a file beyond the size limit, or not valid YAML.
    """
    from .limits import current_limits, exceeded

    path = Path(path)
    if not path.exists():
        raise InstrumentError(f"{path}: no such file")
    if path.is_dir():
        raise InstrumentError(f"{path}: is a folder, not a YAML file")
    size = path.stat().st_size
    limit = current_limits().max_yaml_bytes
    if size > limit:
        raise exceeded(f"{path}: size of a YAML file in bytes", "max_yaml_bytes", size, limit)
    try:
        with open(path, encoding="utf-8") as fh:
            if _shipped(path):  # our own files may share a block with an alias
                # libyaml's parser where PyYAML has it: the same safe constructor, ~10x faster
                # (the pure-Python parser was a third of the report's time)
                return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            loader = _NoAliasLoader(fh)
            loader.source = str(path)
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()
    except yaml.YAMLError as exc:
        raise InstrumentError(f"{path}: not valid YAML: {str(exc)[:300]}") from None
    except UnicodeDecodeError:
        raise InstrumentError(f"{path}: not a UTF-8 text file (is it a YAML file?)") from None


@cache
def schema(kind: str) -> dict:
    """The JSON Schema of a data file kind (``instrument``, ``norms``, ``keys``)."""
    return json.loads((_PKG / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(kind))


def validate(doc: Any, kind: str, source: str, error=InstrumentError) -> None:
    """Validate a parsed data file; the error names the file, the field path and the problem."""
    sch = schema(kind)
    if sch.get("type") == "object" and not isinstance(doc, dict):
        # never echo the file (it may be any file of the user's: /etc/passwd)
        raise error(f"{source}: not a{'n' if kind[0] in 'aeiou' else ''} {kind} file: a YAML mapping "
                    f"(field: value lines) was expected, the file holds {type(doc).__name__}")
    validator = _validator(kind)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{source}: field '{'/'.join(map(str, e.absolute_path)) or '(top)'}': "
                 f"{e.message if len(e.message) <= 200 else e.message[:200] + '...'}"
                 for e in errors[:10]]
        more = f"\n... and {len(errors) - 10} more problems" if len(errors) > 10 else ""
        raise error(f"invalid {kind} file:\n" + "\n".join(lines) + more)


@dataclass(frozen=True)
class Item:
    id: str
    number: int
    reverse: bool = False
    text: dict = field(default_factory=dict)
    codes: tuple[int, ...] | None = None  # item-specific codes (e.g. HAMD 0-2 items)


@dataclass(frozen=True)
class Subscale:
    id: str
    name: dict
    items: tuple[str, ...]
    scoring: str
    min_answered: int
    reverse: frozenset[str]
    higher_is: str = "worse"
    composite: bool = False
    secondary: bool = False
    construct: str | None = None


@dataclass(frozen=True)
class Scale:
    codes: tuple[int, ...]
    labels: dict
    recode: dict  # code -> scored value; empty when codes are scored as they are
    missing_codes: tuple[float, ...] = ()

    @property
    def scored_values(self) -> list[float]:
        return [float(self.recode.get(c, c)) for c in self.codes]

    @property
    def scored_min(self) -> float:
        return min(self.scored_values)

    @property
    def scored_max(self) -> float:
        return max(self.scored_values)


class Instrument(Sealed):
    """One validated instrument version.

    Build it with :func:`load_instrument`. ``doc`` is the parsed, validated file; the
    attributes below are read from it and never change afterwards.

    Attributes
    ----------
    id, name, version : str
    scale : Scale
        Response codes, labels per language, recoding of codes to scored values.
    items : list of Item
        In questionnaire order; ``reverse`` already reflects the chosen ``form``.
    subscales : dict of str to Subscale
    form : str or None
        The chosen answer-direction form, for instruments that have several.
    uncertain : list of str
        Unconfirmed facts still in force (empty once a user key file overrides them).
    """

    def __init__(self, doc: dict, *, path: str | None = None, form: str | None = None,
                 keys_source: str | None = None, source: str | None = None):
        self.doc = doc
        self.path = path
        self._source = source or path
        self.id: str = doc["id"]
        self.name: str = doc["name"]
        self.version: str = doc["version"]
        self.keys_source = keys_source
        self._check_consistency()
        forms = doc.get("forms") or {}
        if forms and form is None:
            raise InstrumentError(
                f"instrument {self.id!r} exists in forms with different answer directions "
                f"({'; '.join(k + ': ' + v['description'] for k, v in forms.items())}); "
                f"say which one your questionnaire used with form=... (--form on the command line)")
        if form is not None and form not in forms:
            raise InstrumentError(f"instrument {self.id!r} has no form {form!r}; forms: {sorted(forms) or 'none'}")
        self.form = form
        form_reverse = set(forms[form]["reverse"]) if form else None
        sc = doc["scale"]
        labels = dict(sc.get("labels") or {})
        if form and forms[form].get("labels"):
            labels = dict(forms[form]["labels"])
        self.scale = Scale(codes=tuple(sc["codes"]), labels=labels,
                           recode={int(k): float(v) for k, v in (sc.get("recode") or {}).items()},
                           missing_codes=tuple(sc.get("missing_codes") or ()))
        self.items = [Item(id=it["id"], number=it["number"],
                           reverse=(it["id"] in form_reverse) if form_reverse is not None
                           else bool(it.get("reverse", False)),
                           text=it.get("text") or {},
                           codes=tuple(it["codes"]) if it.get("codes") else None)
                      for it in doc["items"]]
        rev = {it.id for it in self.items if it.reverse}
        self.subscales = {
            sid: Subscale(id=sid, name=s["name"], items=tuple(s["items"]), scoring=s["scoring"],
                          min_answered=s["min_answered"],
                          reverse=frozenset(s["reverse"]) if "reverse" in s else frozenset(rev & set(s["items"])),
                          higher_is=s.get("higher_is", "worse"), composite=s.get("composite", False),
                          secondary=s.get("secondary", False), construct=s.get("construct"))
            for sid, s in doc["subscales"].items()}
        self.uncertain: list[str] = list(doc.get("uncertain") or [])
        self.rules: list[dict] = list(doc.get("rules") or [])
        # loaded instruments are cached and shared by every caller: read-only from here on
        self.seal("doc", "scale", "items", "subscales", "uncertain", "rules")

    @property
    def usable(self) -> bool:
        """Whether the instrument can be scored as it is: False while its key is a placeholder
        (``placeholder_keys: true`` in the file) and no key file of the user's was given."""
        return not (self.doc.get("placeholder_keys") and self.keys_source is None)

    def check_usable(self) -> None:
        """Raise :class:`InstrumentError` saying how to supply keys when :attr:`usable` is False."""
        if not self.usable:
            raise InstrumentError(
                f"instrument {self.id!r} ships a placeholder item-to-subscale key (no public "
                "source gives the real one), so its scores would be meaningless and are not "
                f"computed. Supply the key from the manual in a key file "
                f"(format: psychometrics/schemas/keys.schema.json) with keys='my-keys.yaml' "
                f"(score(..., keys=...) or load_instrument({self.id!r}, keys=...))")

    # -- consistency the schema cannot express -------------------------------------------
    def _check_consistency(self) -> None:
        doc, src = self.doc, self._source or self.doc.get("id", "instrument")
        ids = [it["id"] for it in doc["items"]]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise InstrumentError(f"{src}: field 'items': duplicate item ids {dup}")
        nums = [it["number"] for it in doc["items"]]
        if len(set(nums)) != len(nums):
            raise InstrumentError(f"{src}: field 'items': duplicate item numbers")
        known = set(ids)
        for sid, s in doc["subscales"].items():
            unknown = [i for i in s["items"] if i not in known]
            if unknown:
                raise InstrumentError(f"{src}: field 'subscales/{sid}/items': unknown item ids {unknown}")
            twice = sorted({i for i in s["items"] if s["items"].count(i) > 1})
            if twice:  # it would count twice in the score
                raise InstrumentError(f"{src}: field 'subscales/{sid}/items': items listed twice {twice}")
            if s["min_answered"] > len(s["items"]):
                raise InstrumentError(f"{src}: field 'subscales/{sid}/min_answered': "
                                      f"{s['min_answered']} is more than its {len(s['items'])} items")
            bad = [i for i in s.get("reverse", []) if i not in s["items"]]
            if bad:
                raise InstrumentError(f"{src}: field 'subscales/{sid}/reverse': {bad} are not items of {sid}")
        for fid, f in (doc.get("forms") or {}).items():
            bad = [i for i in f["reverse"] if i not in known]
            if bad:
                raise InstrumentError(f"{src}: field 'forms/{fid}/reverse': unknown item ids {bad}")
        sc = doc["scale"]
        for lang, labs in (sc.get("labels") or {}).items():
            if len(labs) != len(sc["codes"]):
                raise InstrumentError(f"{src}: field 'scale/labels/{lang}': {len(labs)} labels for "
                                      f"{len(sc['codes'])} codes")
        bad = [k for k in (sc.get("recode") or {}) if int(k) not in sc["codes"]]
        if bad:
            raise InstrumentError(f"{src}: field 'scale/recode': codes {bad} are not in scale/codes")
        bad = {k: v for k, v in (sc.get("recode") or {}).items()
               if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)}
        if bad:  # a code recoded to NaN would silently become a missing answer
            raise InstrumentError(f"{src}: field 'scale/recode': values must be finite numbers; got {bad}")
        if not doc["licence"]["item_texts"] and any(it.get("text") for it in doc["items"]):
            raise InstrumentError(f"{src}: field 'items/text': the licence does not allow item texts "
                                  "(licence/item_texts is false); ship item numbers and keys only")

    # -- views ----------------------------------------------------------------------------
    @property
    def item_ids(self) -> list[str]:
        return [it.id for it in self.items]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def item_codes(self, item: Item) -> tuple[int, ...]:
        """Valid codes of one item: its own where it has them, else the scale's."""
        return item.codes if item.codes is not None else self.scale.codes

    def item_range(self, item: Item) -> tuple[float, float]:
        """Min and max scored value of an item (the reverse-keying range)."""
        vals = [float(self.scale.recode.get(c, c)) for c in self.item_codes(item)]
        return min(vals), max(vals)

    def label_codes(self) -> dict[str, int]:
        """Response labels in every language (stripped, case-folded) -> code. A label that
        means different codes in two languages is left out (a cell holding it is invalid,
        never a guess).

        Examples
        --------
        >>> load_instrument("mbi-hss").label_codes()["never"]
        0
        """
        seen: dict[str, set] = {}
        for labels in self.scale.labels.values():
            for code, lab in zip(self.scale.codes, labels):
                seen.setdefault(lab.strip().casefold(), set()).add(code)
        return {lab: next(iter(codes)) for lab, codes in seen.items() if len(codes) == 1}

    def score_range(self, subscale: str, scoring: str | None = None) -> tuple[float, float]:
        """Lowest and highest score a subscale can take (``scoring`` ``"mean"`` or ``"sum"``,
        default the subscale's own; a sum is the prorated sum, mean x number of items).

        Examples
        --------
        >>> load_instrument("mbi-hss").score_range("EE")
        (0.0, 54.0)
        """
        sub = self.subscales[subscale]
        ranges = [self.item_range(self.item(i)) for i in sub.items]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        k = len(sub.items) if (scoring or sub.scoring) == "sum" else 1
        return float(k * lo), float(k * hi)

    def key(self) -> pd.DataFrame:
        """The scoring key: one row per (item, subscale) with columns ``item``, ``number``,
        ``subscale``, ``reverse`` (reversed within that subscale)."""
        numbers = {it.id: it.number for it in self.items}
        rows = [{"item": i, "number": numbers[i], "subscale": s.id, "reverse": i in s.reverse}
                for s in self.subscales.values() for i in s.items]
        return pd.DataFrame(rows, columns=["item", "number", "subscale", "reverse"])

    def cfa_model(self) -> str:
        """The measurement model in lavaan syntax, one line per (non-composite) subscale.

        The file's own ``cfa_model`` wins where it gives one (e.g. a bifactor model).
        """
        if self.doc.get("cfa_model"):
            return self.doc["cfa_model"].strip()
        return "\n".join(f"{s.id} =~ {' + '.join(s.items)}" for s in self.subscales.values()
                         if not s.composite and not s.secondary)

    def warn_if_uncertain(self, stacklevel: int = 3) -> None:
        """Warn about unconfirmed facts still in force (called when the instrument is used)."""
        if self.uncertain:
            warnings.warn(
                f"instrument {self.id!r} uses facts that are not confirmed by its sources: "
                + "; ".join(self.uncertain)
                + ". If you hold the manual, pass your own key file: "
                  f"load_instrument({self.id!r}, keys='my-keys.yaml').",
                UncertainKeyWarning, stacklevel=stacklevel)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "version": self.version, "form": self.form,
                "path": self.path, "keys_source": self.keys_source,
                "licence": self.doc["licence"], "citations": self.doc["citations"],
                "scale": {"codes": list(self.scale.codes), "labels": self.scale.labels,
                          "recode": {str(k): v for k, v in self.scale.recode.items()}},
                "subscales": {s.id: {"name": s.name, "items": list(s.items), "scoring": s.scoring,
                                     "min_answered": s.min_answered, "reverse": sorted(s.reverse),
                                     "higher_is": s.higher_is} for s in self.subscales.values()},
                "uncertain": self.uncertain, "sources": self.doc["sources"]}

    def summary(self) -> str:
        head = [f"{self.name} ({self.id}, version {self.version})",
                f"scale codes {list(self.scale.codes)}"
                + (f", recoded to {self.scale.scored_values}" if self.scale.recode else ""),
                f"licence: {self.doc['licence']['holder']}; item texts shipped: "
                f"{'yes' if self.doc['licence']['item_texts'] else 'no'}"]
        if self.form:
            head.append(f"form: {self.form}")
        sub = pd.DataFrame([{"subscale": s.id, "name": s.name.get("en", next(iter(s.name.values()))),
                             "items": len(s.items), "reversed": ",".join(sorted(s.reverse)) or "-",
                             "scoring": s.scoring, "min_answered": s.min_answered}
                            for s in self.subscales.values()]).set_index("subscale")
        text = "\n".join(head) + "\n" + format_table(sub)
        if self.uncertain:
            text += "\nunconfirmed: " + "; ".join(self.uncertain)
        return text

    def __repr__(self) -> str:
        return f"Instrument({self.id!r}, items={len(self.items)}, subscales={list(self.subscales)})"


def list_instruments(usable: bool | None = None) -> list[str]:
    """Ids of the instruments shipped with the package, sorted.

    Parameters
    ----------
    usable : bool, optional
        True: only the instruments that can be scored as shipped; False: only those whose
        key is a placeholder (they need ``keys=``, see :meth:`Instrument.check_usable`).

    Examples
    --------
    >>> "mbi-hss" in list_instruments()
    True
    >>> "ubos-a" in list_instruments(usable=True)
    False
    """
    ids = sorted(p.stem for p in data_dir("instruments").glob("*.yaml"))
    if usable is None:
        return ids
    placeholder = {i for i in ids
                   if read_yaml(data_dir("instruments") / f"{i}.yaml").get("placeholder_keys")}
    return [i for i in ids if (i not in placeholder) == bool(usable)]


def _apply_keys(doc: dict, keys_path: Path) -> dict:
    """Overlay a user's key file (items/reverse keys/subscale item lists) on an instrument."""
    keys = read_yaml(keys_path)
    validate(keys, "keys", str(keys_path))
    doc = json.loads(json.dumps(doc))  # deep copy of plain data
    if "items" in keys:
        doc["items"] = keys["items"]
    if "reverse" in keys:
        rev = set(keys["reverse"])
        unknown = rev - {it["id"] for it in doc["items"]}
        if unknown:
            raise InstrumentError(f"{keys_path}: field 'reverse': unknown item ids {sorted(unknown)}")
        for it in doc["items"]:
            it["reverse"] = it["id"] in rev
        for f in (doc.get("forms") or {}).values():
            f["reverse"] = sorted(rev)
    for sid, s in (keys.get("subscales") or {}).items():
        if sid not in doc["subscales"]:
            raise InstrumentError(f"{keys_path}: field 'subscales/{sid}': instrument {doc['id']!r} "
                                  f"has subscales {sorted(doc['subscales'])}")
        doc["subscales"][sid].update(s)
    user_src = {"ref": keys["source"], "confidence": "user"}
    doc["sources"] = {**doc["sources"], "key": user_src}
    doc["uncertain"] = list(keys.get("uncertain", []))
    return doc


def load_instrument(instrument: str | Path | Instrument, keys: str | Path | None = None, *,
                    form: str | None = None, warn: bool = True) -> Instrument:
    """Load and validate an instrument by id (shipped) or by path (your own file).

    Parameters
    ----------
    instrument : str, Path or Instrument
        A shipped id such as ``"mbi-hss"`` (see :func:`list_instruments`) or a path to a
        YAML file that follows ``schemas/instrument.schema.json``. An Instrument is returned
        as it is (or re-loaded when ``keys``/``form`` are given).
    keys : str or Path, optional
        A key file of your own (``source`` required; ``items``, ``reverse``, ``subscales`` with
        ``items``) that replaces the instrument's keys, e.g. from a manual you hold. It clears
        the instrument's *uncertain* flags and is recorded as the key's source.
    form : str, optional
        For instruments published with different answer directions (OLBI: 1 = agree or
        1 = disagree), the form your questionnaire used. Required there; never inferred.
    warn : bool
        Emit :class:`UncertainKeyWarning` for unconfirmed facts.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        Unknown id, unreadable file, or a file that does not validate (the message names
        file, field and problem).

    Examples
    --------
    >>> mbi = load_instrument("mbi-hss")
    >>> list(mbi.subscales)
    ['EE', 'DP', 'PA']
    >>> mbi.key().head(2)
      item  number subscale  reverse
    0 mbi1       1       EE    False
    1 mbi2       2       EE    False
    """
    if isinstance(instrument, Instrument):
        if keys is None and (form is None or form == instrument.form):
            return instrument
        return _load(instrument, keys, form, warn)
    p = _instrument_path(instrument)
    if p.is_file() and (keys is None or (isinstance(keys, (str, Path)) and Path(keys).is_file())):
        # validated once per process for each (file content, form, keys); the result is
        # read-only, so every caller can share it (issue 12 item 10, issue 15)
        inst = _load_cached(str(instrument), str(p.resolve()), _stamp(p), form,
                            None if keys is None else str(keys),
                            None if keys is None else str(Path(keys).resolve()),
                            None if keys is None else _stamp(Path(keys)))
        if warn:
            inst.warn_if_uncertain(stacklevel=3)
        return inst
    return _load(instrument, keys, form, warn)  # raises the error that names the problem


def _stamp(p: Path) -> tuple[int, int]:
    """What identifies a file's content for the cache: modification time and size."""
    st = p.stat()
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=128)
def _load_cached(instrument: str, path: str, stamp, form, keys, keys_path, keys_stamp) -> Instrument:
    return _load(instrument, keys, form, warn=False)


def _instrument_path(instrument) -> Path:
    """The file an instrument argument names: a path is a path; an id names a shipped file and
    nothing else ("../norms/x" is neither). Raises :class:`InstrumentError` otherwise."""
    if not isinstance(instrument, (str, Path)):
        raise InstrumentError(f"instrument must be a shipped id (e.g. 'mbi-hss'), the path of an "
                              f"instrument file or an Instrument, not {type(instrument).__name__}")
    p = Path(instrument)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    if not _ID.fullmatch(str(instrument)):
        raise InstrumentError(f"{excerpt(str(instrument), 80)} is neither a shipped instrument "
                              "id (letters, digits, '-', '_') nor an existing .yaml file; "
                              f"shipped instruments: {', '.join(list_instruments())}")
    path = data_dir("instruments") / f"{instrument}.yaml"
    if not path.exists():
        raise InstrumentError(f"unknown instrument {str(instrument)!r}; shipped instruments: "
                              f"{', '.join(list_instruments())}")
    return path


def _load(instrument, keys, form, warn) -> Instrument:
    """Read, validate and build an instrument (uncached)."""
    if isinstance(instrument, Instrument):
        doc, path = instrument.doc, instrument.path
    else:
        path = _instrument_path(instrument)
        if not path.exists():
            raise InstrumentError(f"instrument file {str(path)!r} does not exist")
        doc = read_yaml(path)
        validate(doc, "instrument", str(path))
        path = str(path)
    keys_source = None
    src = path
    if keys is not None:
        if not isinstance(keys, (str, Path)):
            raise InstrumentError(f"keys must be the path of a key file, not {type(keys).__name__}")
        doc = _apply_keys(doc, Path(keys))
        # problems now come from the user's key file: name it first
        src = f"{keys} (key file, applied to {path})"
        validate(doc, "instrument", src)
        keys_source = str(keys)
    inst = Instrument(doc, path=path, form=form, keys_source=keys_source, source=src)
    if warn:
        inst.warn_if_uncertain(stacklevel=3)
    return inst
