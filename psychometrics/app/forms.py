"""The options forms: a field of a submitted form as the value the package's functions take.

A wrong value raises the package's :class:`~psychometrics.errors.OptionError` (shown on the
error page like the CLI's one-line error).
"""

from __future__ import annotations

import re

import yaml

from psychometrics._checks import check_level, check_positive_int
from psychometrics.errors import OptionError


def whole_number(form, name: str, default: int, minimum: int = 0) -> int:
    """A whole number ``>= minimum``; ``default`` when the field is empty."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(f"{name} must be a whole number >= {minimum}; got {raw!r}",
                          name, raw) from None
    return check_positive_int(value, name, minimum)


def level_or_none(form, name: str) -> float | None:
    """A proportion in (0, 1) (a decimal comma is accepted), or None when empty."""
    raw = (form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    return check_level(raw, name)


def pairs(text: str, option: str) -> dict[str, str]:
    """``"sex=gender, region=regio"`` -> ``{"sex": "gender", "region": "regio"}``."""
    out = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text or ""))):
        if "=" not in part:
            raise OptionError(f"{option}: write STRATUM=COLUMN pairs separated by commas; "
                              f"got {part!r}", option, part)
        k, v = (s.strip() for s in part.split("=", 1))
        out[k] = v
    return out


def norm_by(text: str) -> dict[str, str] | None:
    """The norm strata as the user wrote them: ``sex=gender`` pairs, ``overall`` for the
    overall norm on purpose (``{}``), or nothing (``None``: strata are matched to same-named
    columns, and a stratified norm set without them is refused on the page)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() == "overall":
        return {}
    return pairs(text, "norm_by")


def codes(text: str) -> list[float]:
    """Missing-value codes: numbers separated by commas, semicolons or spaces."""
    out = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+", text or ""))):
        try:
            out.append(float(part))
        except ValueError:
            raise OptionError(f"missing codes must be numbers separated by commas; got {part!r}",
                              "missing_codes", part) from None
    return out


def margins(text: str) -> dict | None:
    """Population margins for raking, as YAML: one ``column: {level: share, ...}`` per line."""
    text = text.strip()
    if not text:
        return None
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OptionError(f"margins: not valid YAML: {exc}", "margins", text[:80]) from None
    if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
        raise OptionError("margins: write one 'column: {level: share, ...}' per line",
                          "margins", text[:80])
    return found
