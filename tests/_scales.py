"""Test helper: the scale (sum/mean) of each subscale of a norm set, for plain score frames.

Scores typed in a test carry no ``score()`` record, and the package refuses to guess their
scale (issue 12 item 1); tests say it with ``scale=norm_scale(norm set)``.
"""

from __future__ import annotations

from psychometrics.classify import get_rule
from psychometrics.norms import load_norms


def norm_scale(norms) -> dict:
    """{subscale: "sum" | "mean"} as the norm set is written."""
    ns = load_norms(norms)
    return {s: next(e.subscales[s].score for e in ns.entries if s in e.subscales)
            for s in ns.subscales}


def rule_scale(rule, norms=None) -> dict | None:
    """The scale of the norm set a rule uses (its own, or ``norms``), None for none."""
    r = get_rule(rule)
    if norms is not None:
        return {**norm_scale(r.origin), **norm_scale(norms)} if _from_norms(r) else norm_scale(norms)
    if _from_norms(r):
        return norm_scale(r.origin)
    return None


def _from_norms(r) -> bool:
    return r.origin not in ("inline",) and not r.origin.startswith("instrument:")
