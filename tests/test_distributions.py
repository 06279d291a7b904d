"""psychometrics.distributions gives scipy.stats' numbers to the last bit, edges included,
without importing scipy.stats (issue 15, cold start of the report and the CLI)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as sp

from psychometrics.distributions import stats

X = np.array([-3.0, -0.0, 0.0, 1e-300, 1e-8, 0.3, 1.0, 2.5, 7.9, 24.3, 206.0, 1e4, np.inf, -np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-12, 0.001, 0.025, 0.05, 0.3, 0.5, 0.8, 0.95, 0.975, 0.999, 1.0, 1.1, np.nan])
DF = [0.5, 1, 2, 3, 7.5, 24, 206, 0, -1, np.nan]


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.ndim(a) == np.ndim(b)


@pytest.mark.parametrize("df", DF)
def test_chi2(df):
    with np.errstate(all="ignore"):
        same(stats.chi2.cdf(X, df), sp.chi2.cdf(X, df))
        same(stats.chi2.sf(X, df), sp.chi2.sf(X, df))
        same(stats.chi2.ppf(Q, df), sp.chi2.ppf(Q, df))
        same(stats.chi2.sf(3.5, df), sp.chi2.sf(3.5, df))


@pytest.mark.parametrize("df", [1, 3, 24, 206, 0, np.nan])
@pytest.mark.parametrize("nc", [0.0, 0.4, 3.3, 150.0, -1.0])
def test_ncx2(df, nc):
    with np.errstate(all="ignore"):
        same(stats.ncx2.cdf(X, df, nc), sp.ncx2.cdf(X, df, nc))


def test_norm_f_beta():
    with np.errstate(all="ignore"):
        same(stats.norm.cdf(X), sp.norm.cdf(X))
        same(stats.norm.sf(X), sp.norm.sf(X))
        same(stats.norm.ppf(Q), sp.norm.ppf(Q))
        same(stats.norm.ppf(0.975), sp.norm.ppf(0.975))
        for dfn, dfd in [(1, 5), (3, 200), (8.5, 1e5), (0, 3), (3, -1)]:
            same(stats.f.ppf(Q, dfn, dfd), sp.f.ppf(Q, dfn, dfd))
            same(stats.f.sf(X, dfn, dfd), sp.f.sf(X, dfn, dfd))
        for a, b in [(0.5, 0.5), (2, 3), (37, 5), (1e-3, 4), (0, 3), (4, 0)]:
            same(stats.beta.ppf(Q, a, b), sp.beta.ppf(Q, a, b))


def test_hmean():
    for a in ([3.0], [1.0, 2.0, 4.0], np.arange(1.0, 500.0)):
        assert stats.hmean(np.array(a)) == pytest.approx(sp.hmean(np.array(a)), rel=1e-15)


def test_reliability_and_cfa_load_no_scipy_stats():
    code = ("import sys, psychometrics.reliability, psychometrics.factor.cfa, psychometrics.diagnostic\n"
            "import psychometrics.factor.efa, psychometrics.factor.wls, psychometrics.factor.invariance\n"
            "print(any(m == 'scipy.stats' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
