"""``psychometrics.resample``: the one bootstrap engine (seeds, batches, stratified classes)."""

from __future__ import annotations

import numpy as np
import pytest

from psychometrics import resample
from psychometrics.errors import OptionError


def test_resolve_seed_and_record():
    assert resample.resolve_seed(None) == resample.DEFAULT_SEED
    g = np.random.default_rng(3)
    assert resample.resolve_seed(g) is g and resample.seed_record(g) is None
    assert resample.resolve_seed(np.int64(5)) == 5 and resample.seed_record(5) == 5
    with pytest.raises(OptionError, match="seed must be a whole number >= 0"):
        resample.resolve_seed(-1)


def test_batches_make_n_boot_resamples_within_the_memory_bound(monkeypatch):
    monkeypatch.setattr(resample, "_MAX_BATCH_ELEMENTS", 70)  # 7 resamples of 10 rows a batch
    got = list(resample.batches(10, 30, seed=1))
    assert [b.shape for b in got] == [(7, 10)] * 4 + [(2, 10)]
    again = list(resample.batches(10, 30, seed=1))
    assert all((a == b).all() for a, b in zip(got, again))


def test_stratified_indices_keep_each_stratum_in_place():
    strata = np.array(["a", "b", "a", "b", "b"])
    idx = resample.bootstrap_indices(5, 50, seed=2, strata=strata)
    assert (strata[idx] == strata).all()
    with pytest.raises(ValueError, match="strata has 4 labels for 5 rows"):
        resample.bootstrap_indices(5, 2, strata=strata[:4])


def test_class_count_batches_draw_cases_then_controls_from_one_generator(monkeypatch):
    monkeypatch.setattr(resample, "MULTINOMIAL_RATIO", 0)   # counts drawn per score
    got = list(resample.class_count_batches([3, 0, 3], [1, 2, 1], 25, seed=3, max_elements=60))
    assert [(a.shape, b.shape) for a, b in got] == [((10, 3), (10, 3))] * 2 + [((5, 3), (5, 3))]
    g = np.random.default_rng(3)  # the same scheme written out
    for a, b in got:
        np.testing.assert_array_equal(a, g.multinomial(6, [.5, 0, .5], size=a.shape[0]))
        np.testing.assert_array_equal(b, g.multinomial(4, [.25, .5, .25], size=b.shape[0]))
        assert (a[:, 1] == 0).all()   # a score no case has is never drawn for a case


def test_class_count_batches_count_drawn_respondents_when_scores_are_mostly_distinct():
    # 6 cases over 3 scores: fewer than MULTINOMIAL_RATIO per score, so respondents are drawn
    got = list(resample.class_count_batches([3, 0, 3], [1, 2, 1], 25, seed=3))
    g = np.random.default_rng(3)
    cases, controls = np.array([0, 0, 0, 2, 2, 2]), np.array([0, 1, 1, 2])
    for a, b in got:
        want_a = cases[g.integers(0, 6, size=(a.shape[0], 6))]
        want_b = controls[g.integers(0, 4, size=(b.shape[0], 4))]
        np.testing.assert_array_equal(a, [np.bincount(r, minlength=3) for r in want_a])
        np.testing.assert_array_equal(b, [np.bincount(r, minlength=3) for r in want_b])


def test_bootstrap_counts_undefined_replicates():
    x = np.array([1.0, 2.0, np.nan, 4.0])
    res = resample.bootstrap(lambda idx: x[idx].mean(axis=1), 4, n_boot=200, seed=0)
    assert 0 < res.n_failed < 200 and np.isnan(res.estimate)
    assert res.to_dict()["n_failed"] == res.n_failed and res.to_dict()["seed"] == 0
    allnan = resample.bootstrap(lambda idx: np.full(idx.shape[0], np.nan), 4, n_boot=5, seed=0)
    assert allnan.n_failed == 5 and np.isnan(allnan.ci_low)
    two = resample.bootstrap(lambda idx: np.c_[idx.mean(axis=1), idx.max(axis=1)], 4,
                             n_boot=50, seed=0)
    assert two.to_dict()["estimate"] == [1.5, 3.0] and "   1" in two.summary()
    with pytest.raises(OptionError, match="n_boot"):
        resample.bootstrap(lambda idx: idx.mean(axis=1), 4, n_boot=0)
    with pytest.raises(OptionError, match="level"):
        resample.bootstrap(lambda idx: idx.mean(axis=1), 4, n_boot=5, level=95)
