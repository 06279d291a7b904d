"""Helpers shared by the lavaan reference tests (CFA, FIML)."""

from __future__ import annotations

import numpy as np
import pytest

TOL = 1e-3


def assert_estimates_match(est, ref_rows, col: str) -> None:
    """Every lavaan parameterEstimates row is in ``est`` once, with ``col`` within 1e-3
    (z, whose scale is large, relative to its size); NA in lavaan is NaN here."""
    for row in ref_rows:
        sel = est[(est["lhs"] == row["lhs"]) & (est["op"] == row["op"]) & (est["rhs"] == row["rhs"])]
        assert len(sel) == 1, row
        if row[col] is None:
            assert np.isnan(sel[col].iloc[0])
        else:
            tol = TOL * max(1.0, abs(row[col])) if col == "z" else TOL
            assert sel[col].iloc[0] == pytest.approx(row[col], abs=tol), row
