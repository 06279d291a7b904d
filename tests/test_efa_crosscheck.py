"""EFA loadings cross-checked against factor_analyzer, an independent implementation.

psych is the reference (tests/test_efa.py); factor_analyzer agrees with it on complete data
for the ML and minres fits, so it is a second, Python-side witness that the loadings are
right (up to the order and sign of the factors, which are arbitrary).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factor_analyzer import FactorAnalyzer

from psychometrics.factor.efa import efa

DATA = Path(__file__).parent / "data"
CASES = {
    "hs": (lambda: pd.read_csv(DATA / "HolzingerSwineford1939.csv")[[f"x{i}" for i in range(1, 10)]], 3),
    "bfi": (lambda: pd.read_csv(DATA / "bfi.csv").iloc[:, :25].dropna(), 5),
}


def _largest_column_difference(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Max over our factors of the distance to the closest of theirs, up to sign."""
    return max(min(np.max(np.abs(ours[:, j] - s * theirs[:, m]))
                   for m in range(theirs.shape[1]) for s in (1, -1))
               for j in range(ours.shape[1]))


@pytest.mark.parametrize("rotation", [None, "varimax", "oblimin", "promax"])
@pytest.mark.parametrize("method", ["minres", "ml"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_loadings_agree_with_factor_analyzer(case, method, rotation):
    load, n_factors = CASES[case]
    data = load()
    ours = np.asarray(efa(data, n_factors, method=method, rotation=rotation).loadings)
    fa = FactorAnalyzer(n_factors=n_factors, method=method, rotation=rotation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # factor_analyzer's own deprecation noise
        fa.fit(data.to_numpy(float))
    assert _largest_column_difference(ours, fa.loadings_) < 1e-3
