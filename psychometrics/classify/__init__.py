"""Classification of respondents: declarative rules, and the differential-diagnosis profile.

Modules
-------
``rules``         the rule language read from norm and instrument files: :func:`classify`,
                  :func:`get_rule`, :func:`list_rules`
``differential``  :func:`profile`: burnout scores beside depression and anxiety scales

The words of rule reasons, the labels and the disclaimer in English, Dutch and French are data:
``psychometrics/strings/rules.yaml``, read through :mod:`psychometrics.i18n`.
"""

from __future__ import annotations

from .differential import DISCLAIMER, ProfileResult, comparison_instruments, default_norms, profile
from .rules import (
    NOT_SCORED,
    NOT_SCORED_LABEL,
    Rule,
    all_rules,
    classify,
    describe,
    get_rule,
    instrument_roles,
    list_rules,
)

__all__ = ["classify", "get_rule", "list_rules", "all_rules", "Rule", "describe", "instrument_roles",
           "NOT_SCORED", "NOT_SCORED_LABEL", "profile", "ProfileResult", "DISCLAIMER",
           "comparison_instruments", "default_norms"]
