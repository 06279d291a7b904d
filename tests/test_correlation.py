"""Pairwise correlations of bootstrap resamples without copying them (factor.correlation)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from psychometrics.factor import correlation
from psychometrics.factor.correlation import pairwise_corr, resampled_corr
from psychometrics.resample import bootstrap_indices, frequency_weights


def test_frequency_weights_count_each_row_per_resample():
    idx = np.array([[0, 0, 2, 3], [3, 3, 3, 1]])
    w = frequency_weights(idx, 4)
    assert w.tolist() == [[2, 0, 1, 1], [0, 1, 0, 3]]
    assert w.dtype == float


def _survey(n, k, missing, seed):
    g = np.random.default_rng(seed)
    x = g.integers(0, 7, size=(n, k)).astype(float)
    x[g.random((n, k)) < missing] = np.nan
    return x


def test_equals_pairwise_corr_of_the_copied_resamples():
    for n, k, missing in [(200, 5, 0.0), (200, 5, 0.1), (500, 9, 0.02), (30, 3, 0.4)]:
        x = _survey(n, k, missing, seed=n + k)
        idx = bootstrap_indices(n, 60, seed=3)
        got, want = resampled_corr(x)(idx), pairwise_corr(x[idx])
        assert got.shape == (60, k, k)
        assert (np.isnan(got) == np.isnan(want)).all()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, equal_nan=True)


def test_memory_blocks_do_not_change_the_sums(monkeypatch):
    x = _survey(300, 6, 0.1, seed=5)
    idx = bootstrap_indices(300, 20, seed=1)
    whole = resampled_corr(x)(idx)
    monkeypatch.setattr(correlation, "_BLOCK_ELEMENTS", 50)   # a few rows per block
    np.testing.assert_allclose(resampled_corr(x)(idx), whole, rtol=0, atol=1e-13, equal_nan=True)


def test_a_pair_never_answered_together_is_nan_as_in_pairwise_corr():
    x = np.array([[1, np.nan, 2], [2, np.nan, 3], [np.nan, 1, 4], [np.nan, 3, 1], [3, np.nan, 3.]])
    idx = np.vstack([np.arange(5), bootstrap_indices(5, 4, seed=0)])
    got, want = resampled_corr(x)(idx), pairwise_corr(x[idx])
    assert np.isnan(got[0, 0, 1]) and np.isnan(want[0, 0, 1])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(2, 25), st.integers(2, 5)),
              elements=st.one_of(st.integers(0, 6).map(float), st.just(np.nan))),
       st.integers(0, 2**31))
def test_property_equals_pairwise_corr(x, seed):
    idx = bootstrap_indices(x.shape[0], 5, seed=seed)
    got, want = resampled_corr(x)(idx), pairwise_corr(x[idx])
    finite = np.isfinite(got) & np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=1e-9)


def test_an_item_constant_over_the_pairs_rows_gives_nan_as_r():
    # R: cor(c(3, 2, 2), c(3, 3, 3)) is NA; the second item's centre (2.8, over all its
    # answers) left rounding noise in its variance over the pair's rows, which became -1
    x = np.array([[3, 3], [np.nan, 1], [np.nan, 4], [2, 3], [2, 3.]])
    r = pairwise_corr(x)
    assert np.isnan(r[0, 1]) and np.isnan(r[1, 0])
    assert np.isnan(resampled_corr(x)(np.arange(5)[None, :])[0, 0, 1])
