"""Raking and weighted quantiles: margins reproduced, numpy/R quantile definitions, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.errors import ConvergenceError, DataError
from psychometrics.norms.weights import rake, weighted_quantile, weighted_quantile_counts

MARGINS = {"sex": {"female": 0.48, "male": 0.52},
           "age_band": {"18-34": 0.30, "35-49": 0.35, "50-65": 0.35},
           "region": {"Flanders": 0.58, "Wallonia": 0.31, "Brussels": 0.11}}


@pytest.fixture(scope="module")
def skewed() -> pd.DataFrame:
    """A web-survey-like sample: too many women, too many young Flemish respondents."""
    rng = np.random.default_rng(7)
    n = 2000
    return pd.DataFrame({
        "sex": rng.choice(["female", "male"], n, p=[0.7, 0.3]),
        "age_band": rng.choice(["18-34", "35-49", "50-65"], n, p=[0.5, 0.3, 0.2]),
        "region": rng.choice(["Flanders", "Wallonia", "Brussels"], n, p=[0.75, 0.15, 0.10]),
    })


def test_rake_reproduces_margins(skewed):
    w = rake(skewed, MARGINS)
    assert w.index.equals(skewed.index)
    assert w.sum() == pytest.approx(len(skewed))
    for col, shares in MARGINS.items():
        got = w.groupby(skewed[col]).sum() / w.sum()
        for level, share in shares.items():
            assert abs(got[level] - share) < 1e-6, (col, level)


def test_rake_public_name_and_no_mutation(skewed):
    before = skewed.copy()
    w = pm.rake(skewed, MARGINS)
    pd.testing.assert_frame_equal(skewed, before)
    assert (w > 0).all()


def test_rake_with_base_weights_keeps_margins(skewed):
    base = np.linspace(0.5, 2.0, len(skewed))
    w = rake(skewed, MARGINS, weights=base)
    got = w.groupby(skewed["sex"]).sum() / w.sum()
    assert abs(got["female"] - 0.48) < 1e-6


def test_rake_margins_already_met_gives_equal_weights():
    d = pd.DataFrame({"sex": ["f", "m"] * 50})
    w = rake(d, {"sex": {"f": 0.5, "m": 0.5}})
    np.testing.assert_allclose(w, 1.0)


@pytest.mark.parametrize("margins, message", [
    ({"sex": {"female": 0.5, "male": 0.4}}, "sum to"),
    ({"sex": {"female": 1.0}}, "has no population share"),
    ({"sex": {"female": 0.4, "male": 0.4, "other": 0.2}}, "no respondent"),
    ({"gender": {"f": 1.0}}, "not in the data"),
])
def test_rake_bad_margins(skewed, margins, message):
    with pytest.raises(DataError, match=message):
        rake(skewed, margins)


def test_rake_missing_level_names_respondent():
    d = pd.DataFrame({"sex": ["f", None, "m"]}, index=["r1", "r2", "r3"])
    with pytest.raises(DataError, match="r2"):
        rake(d, {"sex": {"f": 0.5, "m": 0.5}})


def test_rake_inconsistent_margins_do_not_converge():
    # men are only in region b, so region a = 0.9 forces women's share above 0.5
    d = pd.DataFrame({"sex": ["f", "f", "m"], "region": ["a", "b", "b"]})
    with pytest.raises(ConvergenceError):
        rake(d, {"sex": {"f": 0.5, "m": 0.5}, "region": {"a": 0.9, "b": 0.1}}, max_iter=200)


# --- quantiles: R type 1 / numpy inverted_cdf ------------------------------------------------

def test_type1_hand_checked_table():
    # R: quantile(1:10, c(.05, .25, .5, .75, .95), type = 1) -> 1 3 5 8 10
    np.testing.assert_array_equal(weighted_quantile(np.arange(1, 11), [0.05, 0.25, 0.5, 0.75, 0.95]),
                                  [1, 3, 5, 8, 10])
    # ties: R quantile(c(1, 2, 2, 2, 3, 9), c(.25, .75), type = 1) -> 2 3
    np.testing.assert_array_equal(weighted_quantile([1, 2, 2, 2, 3, 9], [0.25, 0.75]), [2, 3])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=60),
       st.lists(st.floats(0.01, 0.99), min_size=1, max_size=5))
def test_unweighted_equals_numpy_inverted_cdf(x, q):
    np.testing.assert_array_equal(weighted_quantile(np.array(x, float) / 4, q),
                                  np.quantile(np.array(x, float) / 4, q, method="inverted_cdf"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=50), st.floats(0.1, 10),
       st.lists(st.floats(0.01, 0.99), min_size=1, max_size=5))
def test_equal_weights_equal_unweighted(x, c, q):
    x = np.array(x, dtype=float)
    np.testing.assert_array_equal(weighted_quantile(x, q, weights=np.full(x.size, c)),
                                  weighted_quantile(x, q))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 5)), min_size=1, max_size=40),
       st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4))
def test_integer_weights_equal_replication_and_numpy_weighted(pairs, q):
    x = np.array([p[0] for p in pairs], dtype=float)
    w = np.array([p[1] for p in pairs], dtype=float)
    got = weighted_quantile(x, q, weights=w)
    np.testing.assert_array_equal(got, weighted_quantile(np.repeat(x, w.astype(int)), q))
    np.testing.assert_array_equal(got, np.quantile(x, q, method="inverted_cdf", weights=w))


def test_quantile_counts_batch_equals_row_by_row():
    rng = np.random.default_rng(3)
    values = np.arange(10.0)
    counts = rng.integers(0, 5, size=(50, 10)).astype(float)
    counts[0] = 0  # an empty distribution gives NaN
    got = weighted_quantile_counts(values, counts, [0.25, 0.75])
    assert np.isnan(got[0]).all()
    for b in range(1, 50):  # the reference is a plain loop
        exp = np.quantile(values, [0.25, 0.75], method="inverted_cdf", weights=counts[b]) \
            if counts[b].sum() > 0 else [np.nan, np.nan]
        np.testing.assert_array_equal(got[b], exp)


def test_nan_ignored():
    np.testing.assert_array_equal(weighted_quantile([np.nan, 1, 2, 3], [0.5]), [2])


def test_type1_quantile_where_q_times_n_rounds_above_a_whole_number():
    # Found by hypothesis: 0.28 * 25 is 7.000000000000001 in doubles, so R's
    # quantile(c(rep(0, 7), rep(1, 18)) / 4, 0.28, type = 1) and numpy give 0.25; a relative
    # slack on unweighted counts gave 0. Equal weights give the same as none.
    x = np.array([0] * 7 + [1] * 18, float) / 4
    assert weighted_quantile(x, [0.28])[0] == 0.25
    assert weighted_quantile(x, [0.28], weights=np.full(25, 0.3))[0] == 0.25
    # bootstrap-style counts are whole numbers: the same exact comparison
    assert weighted_quantile_counts(np.array([0.0, 0.25]), np.array([[7.0, 18.0]]), [0.28])[0, 0] == 0.25


@pytest.mark.parametrize("weights", [[np.nan, 1, 1], [-1, 1, 1], [1, 1], [np.inf, 1, 1]])
def test_weighted_quantile_refuses_weights_it_cannot_use(weights):
    # a NaN weight used to give a quantile as if it were not there
    with pytest.raises(DataError, match="weights"):
        weighted_quantile([1, 2, 3], [0.5], weights=weights)
