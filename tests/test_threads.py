"""BLAS thread control: one thread inside the package's numerical calls, the user's setting
outside them (issue 15)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import psychometrics as pm
from psychometrics import threads
from psychometrics.errors import OptionError


def _blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


@pytest.fixture()
def two_threads(monkeypatch):
    """The user's own setting: two BLAS threads (whatever the machine's default)."""
    monkeypatch.delenv(threads.ENV, raising=False)
    import scipy.linalg  # noqa: F401 - load scipy's own OpenBLAS too
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(_blas_threads()) == {2}
        yield


def _items(n=300, k=6, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    return pd.DataFrame(f + rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])


def test_bootstrap_statistic_runs_single_threaded_and_setting_is_restored(two_threads):
    seen = []
    x = np.arange(50.0)

    def stat(idx):
        seen.extend(_blas_threads())
        return x[idx].mean(axis=1)

    pm.bootstrap(stat, 50, n_boot=20, seed=1)
    assert seen and set(seen) == {1}
    assert set(_blas_threads()) == {2}


def test_efa_runs_single_threaded_and_setting_is_restored(two_threads, monkeypatch):
    efa_module = importlib.import_module("psychometrics.factor.efa")
    seen = []
    original = efa_module.correlation_matrix

    def spy(*args, **kwargs):
        seen.extend(_blas_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(efa_module, "correlation_matrix", spy)
    pm.efa(_items(), 1, rotation=None)
    assert seen and set(seen) == {1}
    assert set(_blas_threads()) == {2}


def test_setting_restored_when_the_call_raises(two_threads):
    def stat(idx):
        assert set(_blas_threads()) == {1}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        pm.bootstrap(stat, 10, n_boot=5, seed=1)
    assert set(_blas_threads()) == {2}


def test_nested_calls_limit_once_and_restore(two_threads):
    with threads.limit_blas():
        assert set(_blas_threads()) == {1}
        with threads.limit_blas():
            assert set(_blas_threads()) == {1}
        assert set(_blas_threads()) == {1}
    assert set(_blas_threads()) == {2}


def test_environment_variable_and_blas_threads(two_threads, monkeypatch):
    monkeypatch.setenv(threads.ENV, "0")   # leave BLAS alone
    with threads.limit_blas():
        assert set(_blas_threads()) == {2}
    monkeypatch.setenv(threads.ENV, "1")
    with pm.blas_threads(None), threads.limit_blas():
        assert set(_blas_threads()) == {2}
    with pm.blas_threads(2), threads.limit_blas():
        assert set(_blas_threads()) == {2}
    monkeypatch.setenv(threads.ENV, "two")
    with pytest.raises(OptionError, match=threads.ENV):
        with threads.limit_blas():
            pass
    with pytest.raises(OptionError):
        with pm.blas_threads(0):
            pass


def test_blas_info_lists_loaded_libraries(two_threads):
    info = pm.blas_info()
    assert info and all(d["threads"] == 2 for d in info)


@pytest.mark.parametrize("name", [
    "kmo", "bartlett", "efa", "parallel_analysis", "cfa", "invariance", "em_moments",
    "polychoric", "alpha", "item_analysis", "reliability", "icc", "omega", "omega_cfa",
    "roc", "cutoffs", "roc_test", "bootstrap", "build_norms"])
def test_numerical_entry_points_are_limited(name):
    assert getattr(getattr(pm, name), "__wrapped__", None) is not None, name
