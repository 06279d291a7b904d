"""Finding and loading norm sets: the shipped catalogue and norm files of the user's own.

Shipped norm sets are the YAML files of the data folder ``norms/``; :func:`load_norms`
validates a file against ``schemas/norms.schema.json`` once per modification time and shares
the read-only :class:`~psychometrics.norms.normset.NormSet` with every caller.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..errors import InstrumentError, NormError, PsychometricsError
from ..instruments import data_dir, read_yaml, validate
from .normset import NormSet

#: Norm files kept parsed and validated (a few hundred KB each); more than the 28 shipped
#: files plus the user's own, so a session never re-reads a file that did not change.
CACHE_SIZE = 256


@lru_cache(maxsize=CACHE_SIZE)
def _load_file(path: str, mtime: float) -> NormSet:
    doc = read_yaml(Path(path))
    validate(doc, "norms", path, error=NormError)
    return NormSet(doc, path=path)


def _shipped() -> list[Path]:
    try:
        return sorted(data_dir("norms").glob("*.yaml"))
    except InstrumentError:  # no norms folder: nothing shipped
        return []


def _renamed(old: str) -> str | None:
    """The shipped norm set that lists ``old`` among its former ids (``aliases``), if any."""
    for p in _shipped():
        if old in (load_norms(p).doc.get("aliases") or []):
            return p.stem
    return None


def list_norms(instrument: str | None = None) -> list[str]:
    """Ids of the shipped norm sets, optionally only those for one instrument.

    Examples
    --------
    >>> "bat-23-flanders" in list_norms("bat-23")
    True
    """
    out = []
    for p in _shipped():
        if instrument is None:
            out.append(p.stem)
        else:
            # which instruments a file is for, read without validating all 28 files (1-2 s);
            # the norm sets listed are validated when they are loaded
            targets = _targets(str(p), p.stat().st_mtime_ns)
            if instrument in (targets if targets is not None else load_norms(p).applies_to):
                out.append(p.stem)
    return out


def _targets(path: str, stamp: int) -> tuple[str, ...] | None:
    """The instrument ids a norm file names (``instrument/id``, ``applies_to``), unvalidated;
    None when the file does not have that shape (then :func:`load_norms` says what is wrong)."""
    head = _header(path, stamp)
    return None if head is None else head[0]


@lru_cache(maxsize=CACHE_SIZE)
def _header(path: str, stamp: int) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(instrument ids, ``applies_to_roles``) of a norm file, read without validating it;
    None when the file does not have that shape."""
    try:
        doc = read_yaml(Path(path))
    except InstrumentError:
        return None
    if not isinstance(doc, dict):
        return None
    inst, also, roles = doc.get("instrument"), doc.get("applies_to"), doc.get("applies_to_roles")
    if (not isinstance(inst, dict) or not isinstance(inst.get("id"), str)
            or not isinstance(also or [], list) or not isinstance(roles or [], list)):
        return None
    return (inst["id"], *map(str, also or [])), tuple(map(str, roles or []))


def norms_for_roles(roles) -> list[str]:
    """Ids of the shipped norm sets whose rules are written over roles (``applies_to_roles``)
    that are all among ``roles``. Files are pre-filtered without validation, as in
    :func:`list_norms`; the sets returned are validated when they are loaded.

    Examples
    --------
    >>> norms_for_roles([])
    []
    """
    have, out = set(roles), []
    for p in _shipped():
        head = _header(str(p), p.stat().st_mtime_ns)
        wanted = set(head[1] if head is not None
                     else load_norms(p).doc.get("applies_to_roles") or [])
        if wanted and wanted <= have:
            out.append(p.stem)
    return out


def norm_catalogue(instrument: str | None = None) -> pd.DataFrame:
    """One row per shipped norm set: instrument, population, country, year, method, source."""
    rows = []
    for nid in list_norms(instrument):
        ns = load_norms(nid)
        d = ns.doc
        rows.append({"id": nid, "instrument": ", ".join(ns.applies_to), "population": d.get("population"),
                     "country": d.get("country"), "year": d.get("year"), "n": d.get("n"),
                     "method": d["method"], "confidence": d["source"]["confidence"],
                     "partial": bool(d.get("partial")), "rules": len(ns.rules)})
    out = pd.DataFrame(rows, columns=["id", "instrument", "population", "country", "year", "n",
                                      "method", "confidence", "partial", "rules"])
    return out.astype({"year": "Int64", "n": "Int64"})


_NORM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def load_norms(norms: str | Path | NormSet) -> NormSet:
    """Load and validate a norm set by id (shipped) or path (a file of your own).

    Parameters
    ----------
    norms : str, Path or NormSet
        A shipped id (see :func:`list_norms`) or a ``.yaml``/``.json`` norm file, e.g. one
        written by :meth:`NormSet.to_file`.

    Raises
    ------
    NormError
        Unknown id, unreadable file, or a file that does not validate (naming file, field
        and problem).

    Examples
    --------
    >>> ns = load_norms("cbi-50-borritz-2004")
    >>> ns.instrument, ns.subscales
    ('cbi', ['PB', 'WB', 'CB'])
    """
    if isinstance(norms, NormSet):
        return norms
    if not isinstance(norms, (str, Path)):
        raise NormError(f"norms must be a shipped norm set id, the path of a norm file or a NormSet, "
                        f"not {type(norms).__name__}")
    p = Path(norms)
    if not (p.suffix.lower() in (".yaml", ".yml", ".json") or p.exists()):
        if not _NORM_ID.fullmatch(str(norms)):  # an id names a shipped file, nothing else
            raise NormError(f"{str(norms)[:80]!r} is neither a shipped norm set id nor an existing "
                            f"norm file; shipped norm sets: {', '.join(list_norms())}")
        p = data_dir("norms") / f"{norms}.yaml" if _shipped() else p
        if not p.exists():
            renamed = _renamed(str(norms))
            if renamed is None:
                raise NormError(f"unknown norm set {str(norms)!r}; shipped norm sets: {', '.join(list_norms())}")
            warnings.warn(f"norm set {str(norms)!r} is now called {renamed!r} (the old id is deprecated)",
                          DeprecationWarning, stacklevel=2)
            p = data_dir("norms") / f"{renamed}.yaml"
    if not p.exists():
        raise NormError(f"norm file {str(p)!r} does not exist")
    try:
        return _load_file(str(p.resolve()), p.stat().st_mtime)
    except NormError:
        raise
    # What can go wrong reading a user's norm file (read_yaml's InstrumentError/LimitError,
    # an OSError, a deeply nested file's RecursionError) reaches the caller as one NormError
    # naming the file; a bug in the package is not dressed up as a bad file.
    except (PsychometricsError, OSError, RecursionError) as exc:
        raise NormError(str(exc)) from None
