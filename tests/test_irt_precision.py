"""Cut-off precision: Rudner's classification accuracy and consistency, information at a
cut-off, raw <-> theta cut-offs; hand-computed cases and simulation checks."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import psychometrics as pm
from psychometrics.errors import DataError, OptionError
from psychometrics.irt.precision import model_curves, theta_at_raw


def test_rudner_respondents_by_hand():
    res = pm.classification_accuracy([0.5, -1.0], [0.5, 0.5], cutoffs=0.0)
    p1, p2 = norm.cdf(1.0), norm.cdf(-2.0)       # P(true theta >= 0) for each respondent
    assert res.accuracy == pytest.approx((p1 + (1 - p2)) / 2, abs=1e-12)
    assert res.consistency == pytest.approx(
        ((p1 ** 2 + (1 - p1) ** 2) + (p2 ** 2 + (1 - p2) ** 2)) / 2, abs=1e-12)
    # respondent 1 observed above, truly below with 1 - p1; respondent 2 the reverse
    assert res.false_positive == pytest.approx((1 - p1) / 2, abs=1e-12)
    assert res.false_negative == pytest.approx(p2 / 2, abs=1e-12)
    assert res.table.to_numpy().sum() == pytest.approx(1.0)
    assert res.n == 2


def test_rudner_three_classes_by_hand():
    res = pm.classification_accuracy([0.0], [1.0], cutoffs=[1.0, -1.0])
    inner = norm.cdf(1) - norm.cdf(-1)
    assert res.cutoffs == [-1.0, 1.0]
    assert res.accuracy == pytest.approx(inner)
    assert res.consistency == pytest.approx(inner ** 2 + 2 * norm.cdf(-1) ** 2)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(42)
    a = rng.uniform(1.0, 2.2, 20)
    b = np.sort(rng.normal(0, 1, (20, 3)), axis=1)
    X, true = pm.simulate_grm(a, b, 4000, seed=9, return_theta=True)
    return X, pm.grm(X), true


def test_rudner_respondent_form_matches_simulated_truth(simulated):
    """With EAP and posterior SD, the expected accuracy is the observed one (seeded, n=4000)."""
    X, res, true = simulated
    for cut in (0.0, 1.0):
        est = pm.classification_accuracy(res.scores["theta"], res.scores["se"], cutoffs=cut)
        empirical = np.mean((res.scores["theta"].to_numpy() >= cut) == (true >= cut))
        assert est.accuracy == pytest.approx(empirical, abs=0.015)


def test_rudner_model_form_matches_simulated_ml_estimates(simulated):
    """The model form assumes ML estimates ~ N(theta, 1/I(theta)): check with ML thetas."""
    X, res, true = simulated
    grid = np.linspace(-4, 4, 801)
    ll = np.zeros((len(X), grid.size))
    for item in res.items:
        logp = np.log(res.category_probabilities(grid, item).to_numpy())   # G x K
        ll += logp[:, X[item].to_numpy()].T
    ml = grid[np.argmax(ll, axis=1)]
    inside = (ml > -4) & (ml < 4)
    est = pm.classification_accuracy(res, cutoffs=0.5)
    empirical = np.mean((ml[inside] >= 0.5) == (true[inside] >= 0.5))
    assert est.accuracy == pytest.approx(empirical, abs=0.015)
    assert 0 < est.consistency < est.accuracy < 1


def test_cutoff_precision_on_raw_and_theta_scales(simulated):
    X, res, _ = simulated
    cp = pm.cutoff_precision(res, 35, scale="raw")
    assert res.expected_score([cp.theta]).iloc[0] == pytest.approx(35, abs=1e-8)
    info = res.information([cp.theta])["test"].iloc[0]
    assert cp.information == pytest.approx(info)
    assert cp.sem == pytest.approx(1 / np.sqrt(info))
    same = pm.cutoff_precision(res, cp.theta, scale="theta")
    assert same.accuracy.accuracy == pytest.approx(cp.accuracy.accuracy)
    assert cp.respondents is not None and cp.respondents.n == len(X)
    assert "SE of measurement" in cp.summary()
    # a cut-off far from where the test measures is measured less precisely
    far = pm.cutoff_precision(res, 3.0, scale="theta")
    assert far.sem > cp.sem


def test_rasch_family_curves_from_thresholds():
    """For the Rasch family, information = d E[X | theta] / d theta = Var(X | theta)."""
    model = SimpleNamespace(thresholds=pd.DataFrame({"1": [-1.0, 0.0, 0.5], "2": [0.5, np.nan, 1.5]},
                                                    index=["x", "y", "z"]))
    info, expected, hi, lo = model_curves(model)
    assert (lo, hi) == (0.0, 5.0)
    t = np.array([-1.0, 0.0, 0.7])
    h = 1e-6
    np.testing.assert_allclose(info(t), (expected(t + h) - expected(t - h)) / (2 * h), rtol=1e-6)
    # dichotomous item y: E = logistic(theta - 0)
    assert expected(np.array([0.0]))[0] == pytest.approx(
        sum(np.dot([0, 1, 2], np.exp([0, th - tau1, 2 * th - tau1 - tau2]) /
                   np.exp([0, th - tau1, 2 * th - tau1 - tau2]).sum())
            for th, tau1, tau2 in [(0, -1, 0.5), (0, 0.5, 1.5)]) + 0.5)
    c = theta_at_raw(model, 2.5)
    assert expected(c)[0] == pytest.approx(2.5, abs=1e-8)


def test_errors(simulated):
    _, res, _ = simulated
    with pytest.raises(DataError, match="outside"):
        pm.cutoff_precision(res, 0, scale="raw")
    with pytest.raises(OptionError):
        pm.cutoff_precision(res, 1, scale="z")
    with pytest.raises(DataError):
        pm.classification_accuracy([0.1, 0.2], [0.3], cutoffs=0)
    with pytest.raises(DataError, match="positive"):
        pm.classification_accuracy([0.1], [0.0], cutoffs=0)
    with pytest.raises(DataError, match="not a fitted IRT model"):
        pm.cutoff_precision(object(), 1.0, scale="theta")


def test_figures_for_grm_and_pcm(simulated):
    import matplotlib

    matplotlib.use("Agg")
    _, res, _ = simulated
    fig = pm.plot_item_person_map(res)
    assert len(fig.axes) == 2 and fig.axes[0].patches          # the respondents' histogram
    fig = pm.plot_information(res, cutoff=35)
    assert any("cut-off 35" in t.get_text() for t in fig.axes[0].texts)
    X = pd.read_csv(Path(__file__).parent / "data" / "bfi.csv")[["N1", "N2", "N3", "N4", "N5"]] - 1
    pcm = pm.pcm(X)
    fig = pm.plot_item_person_map(pcm)
    assert len(fig.axes[1].lines) == 5
    fig = pm.plot_information(pcm, cutoff=12)
    assert fig.axes[0].lines
    cp = pm.cutoff_precision(pcm, 12)
    assert cp.respondents is not None and 0.5 < cp.respondents.accuracy < 1
