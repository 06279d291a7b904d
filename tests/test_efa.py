"""EFA, KMO, Bartlett and parallel analysis against psych (tests/data/reference/*_efa.json)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psychometrics.errors import DataError, OptionError
from psychometrics.factor import rotation as rot
from psychometrics.factor.adequacy import bartlett, kmo
from psychometrics.factor.correlation import pairwise_corr, pairwise_cov
from psychometrics.factor.efa import efa
from psychometrics.factor.parallel import parallel_analysis

DATA = Path(__file__).parent / "data"
DATASETS = {"bfi": "bfi.csv", "hs": "HolzingerSwineford1939.csv"}


def _ref(ds):
    return json.loads((DATA / "reference" / f"{ds}_efa.json").read_text())


REFS = {ds: _ref(ds) for ds in DATASETS}


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request):
    ds = request.param
    ref = REFS[ds]
    return ds, pd.read_csv(DATA / DATASETS[ds])[ref["items"]], ref


def _match_columns(ours: np.ndarray, theirs: np.ndarray):
    """Best column permutation and signs of ``ours`` to match ``theirs``; max abs diff."""
    m = ours.shape[1]
    best = (np.inf, None, None)
    for perm in itertools.permutations(range(m)):
        o = ours[:, perm]
        sign = np.sign((o * theirs).sum(axis=0))
        sign[sign == 0] = 1
        d = np.abs(o * sign - theirs).max()
        if d < best[0]:
            best = (d, perm, sign)
    return best


# ------------------------------------------------------------------ correlation, KMO, Bartlett
def test_pairwise_correlation_matches_r(dataset):
    ds, x, ref = dataset
    r = pd.DataFrame(ref["correlation"]).loc[ref["items"], ref["items"]].to_numpy()
    assert np.abs(pairwise_corr(x.to_numpy(float)) - r).max() < 1e-10


def test_kmo_matches_psych(dataset):
    ds, x, ref = dataset
    res = kmo(x)
    assert res.msa == pytest.approx(ref["kmo"]["msa"], abs=1e-6)
    for item in ref["items"]:
        assert res.msai[item] == pytest.approx(ref["kmo"]["msai"][item], abs=1e-6)


def test_bartlett_matches_psych(dataset):
    ds, x, ref = dataset
    res = bartlett(x)
    assert res.chisq == pytest.approx(ref["bartlett"]["chisq"], abs=1e-6)
    assert res.df == ref["bartlett"]["df"]
    assert res.p_value == pytest.approx(ref["bartlett"]["p_value"], abs=1e-6)
    assert res.n == ref["n_rows"]


# ------------------------------------------------------------------ parallel analysis
def test_parallel_analysis_decision_matches_psych(dataset):
    ds, x, ref = dataset
    res = parallel_analysis(x, n_iter=20, seed=42)
    assert res.n_factors == ref["parallel"]["nfact"]
    assert res.n_components == ref["parallel"]["ncomp"]
    # observed eigenvalues are deterministic
    assert np.abs(res.pc_values - ref["parallel"]["pc_values"]).max() < 1e-6
    assert np.abs(res.fa_values - ref["parallel"]["fa_values"]).max() < 1e-3


def test_parallel_analysis_simulated_close_to_psych(dataset):
    """Simulated eigenvalues agree with psych's up to simulation error (not R's RNG)."""
    ds, x, ref = dataset
    res = parallel_analysis(x, n_iter=20, seed=7, resample=True)
    assert np.abs(res.pc_sim - ref["parallel"]["pc_sim"]).max() < 0.03
    # beyond the first value (see the docstring on its Heywood-prone one-factor fits)
    assert np.abs(res.fa_sim[1:] - ref["parallel"]["fa_sim"][1:]).max() < 0.03
    assert np.abs(res.pc_simr - ref["parallel"]["pc_simr"]).max() < 0.05


def test_parallel_analysis_is_reproducible_and_keeps_input():
    x = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    before = x.copy()
    cols = [f"x{i}" for i in range(1, 10)]
    a = parallel_analysis(x[cols], seed=3)
    b = parallel_analysis(x[cols], seed=3)
    assert np.array_equal(a.fa_sim, b.fa_sim) and np.array_equal(a.pc_sim, b.pc_sim)
    pd.testing.assert_frame_equal(x, before)
    assert set(a.to_dict()) >= {"n_factors", "n_components", "fa_values", "pc_values"}
    assert "Parallel analysis" in a.summary()


def test_wishart_draws_have_the_correlation_distribution():
    """Bartlett-decomposition draws match correlations of simulated data in mean and spread."""
    from psychometrics.factor.parallel import _wishart_corr
    g = np.random.default_rng(0)
    w = _wishart_corr(g, 50, 4, 4000)
    d = np.array([np.corrcoef(g.standard_normal((50, 4)), rowvar=False) for _ in range(4000)])
    assert abs(w[:, 0, 1].mean()) < 0.01
    assert w[:, 0, 1].std() == pytest.approx(d[:, 0, 1].std(), rel=0.05)
    ev_w = np.linalg.eigvalsh(w)[:, ::-1].mean(0)
    ev_d = np.linalg.eigvalsh(d)[:, ::-1].mean(0)
    assert np.abs(ev_w - ev_d).max() < 0.02


# ------------------------------------------------------------------ EFA against psych::fa
FA_CASES = [(ds, key) for ds in DATASETS for key in REFS[ds]["fa"]]


@pytest.fixture(scope="module")
def frames():
    return {ds: pd.read_csv(DATA / f)[REFS[ds]["items"]] for ds, f in DATASETS.items()}


@pytest.mark.parametrize("ds,key", FA_CASES, ids=[f"{d}-{k}" for d, k in FA_CASES])
def test_efa_matches_psych_fa(frames, ds, key):
    ref = REFS[ds]
    fr = ref["fa"][key]
    method, rotation = key.split("_")
    res = efa(frames[ds], len(fr["factors"]), method=method,
              rotation=None if rotation == "none" else rotation)
    items, names = ref["items"], fr["factors"]
    theirs = pd.DataFrame(fr["loadings"]).T.loc[items, names].to_numpy()
    d, perm, sign = _match_columns(res.loadings.to_numpy(), theirs)
    assert d < 1e-3
    # and we name and order the factors as psych does
    assert list(res.loadings.columns) == names
    assert np.abs(res.loadings[names].to_numpy() - theirs).max() < 1e-3
    assert np.abs(res.communality[items].to_numpy() - [fr["communality"][i] for i in items]).max() < 1e-3
    assert np.abs(res.uniqueness[items].to_numpy() - [fr["uniqueness"][i] for i in items]).max() < 1e-3
    var = pd.DataFrame(fr["variance"]).loc[names]
    assert np.abs(res.variance.T.loc[names, var.columns].to_numpy() - var.to_numpy()).max() < 1e-3
    if fr["phi"] is None:
        assert res.phi is None
    else:
        phi = pd.DataFrame(fr["phi"]).loc[names, names].to_numpy()
        assert np.abs(res.phi.loc[names, names].to_numpy() - phi).max() < 1e-3
    if fr["rotation_matrix"] is not None:
        # psych does not reorder rot.mat; the reference stores it row-wise, labelled with
        # the sorted names, so compare positionally
        rm = pd.DataFrame(fr["rotation_matrix"]).T.to_numpy()
        assert np.abs(res.rotation_matrix.to_numpy() - rm).max() < 1e-3
    for k, v in fr["fit"].items():
        if v is None:
            continue
        assert res.fit[k] == pytest.approx(v, abs=1e-3, rel=0), k


def test_efa_result_to_dict_and_summary(frames):
    res = efa(frames["hs"], 3, method="ml")
    d = res.to_dict()
    assert {"loadings", "communality", "uniqueness", "phi", "variance", "fit"} <= set(d)
    assert set(d["loadings"]["x1"]) == {"ML1", "ML2", "ML3"}
    assert "Factor analysis" in res.summary()
    import json as _json
    _json.dumps(d)


def test_efa_communality_is_diag_l_phi_lt(frames):
    res = efa(frames["bfi"], 5, rotation="oblimin")
    load, phi = res.loadings.to_numpy(), res.phi.to_numpy()
    assert np.allclose(np.diag(load @ phi @ load.T), res.communality.to_numpy(), atol=1e-8)


def test_efa_does_not_mutate_and_keeps_order(frames):
    x = frames["hs"].copy()
    x.iloc[0, 0] = np.nan
    before = x.copy()
    res = efa(x, 2)
    pd.testing.assert_frame_equal(x, before)
    assert list(res.loadings.index) == list(x.columns)


@pytest.mark.parametrize("kwargs,match,error", [
    ({"n_factors": 9}, "n_factors", DataError),
    ({"n_factors": 2, "method": "pa"}, "method", OptionError),
    ({"n_factors": 2, "rotation": "quartimax"}, "rotation", OptionError),
    ({"n_factors": 2, "missing": "mean"}, "missing", OptionError),
])
def test_efa_rejects_bad_arguments(frames, kwargs, match, error):
    with pytest.raises(error, match=match):
        efa(frames["hs"], **kwargs)


def test_constant_item_is_named():
    x = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [2, 2, 2, 2.0], "c": [1, 3, 2, 4.0]})
    with pytest.raises(DataError, match="'b'"):
        kmo(x)


# ------------------------------------------------------------------ properties
@st.composite
def item_matrices(draw):
    n = draw(st.integers(8, 40))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2 ** 16))
    g = np.random.default_rng(seed)
    x = np.round(g.normal(size=(n, k)) * 2)
    x[g.random((n, k)) < draw(st.floats(0, 0.2))] = np.nan
    return x


@settings(max_examples=40, deadline=None)
@given(item_matrices())
def test_pairwise_corr_equals_pandas(x):
    ours = pairwise_corr(x)
    theirs = pd.DataFrame(x).corr(min_periods=2).to_numpy()
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert np.allclose(ours[both], theirs[both], atol=1e-9)
    cov = pairwise_cov(x)
    tc = pd.DataFrame(x).cov(min_periods=2).to_numpy()
    fin = np.isfinite(cov) & np.isfinite(tc)
    assert np.allclose(cov[fin], tc[fin], atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["varimax", "oblimin", "promax"]))
def test_rotations_preserve_the_common_variance(seed, method):
    g = np.random.default_rng(seed)
    a = g.uniform(-0.8, 0.8, size=(8, 3))
    r = rot.rotate(a, method)
    phi = np.eye(3) if r.phi is None else r.phi
    assert np.allclose(r.loadings @ phi @ r.loadings.T, a @ a.T, atol=1e-8)
    assert np.allclose(a @ r.rotmat, r.loadings, atol=1e-8)


def test_kmo_is_invariant_to_reversing_an_item():
    x = pd.read_csv(DATA / "HolzingerSwineford1939.csv")[[f"x{i}" for i in range(1, 10)]]
    y = x.copy()
    y["x3"] = -y["x3"]
    assert kmo(y).msa == pytest.approx(kmo(x).msa, abs=1e-12)


# ------------------------------------------------------------------ CLI
def test_cli_efa_json(capsys):
    from psychometrics.cli import main
    code = main(["efa", str(DATA / "HolzingerSwineford1939.csv"), "--items",
                 ",".join(f"x{i}" for i in range(1, 10)), "--factors", "3", "--method", "ml",
                 "--seed", "1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parallel"]["n_factors"] == 3
    assert out["kmo"]["msa"] == pytest.approx(REFS["hs"]["kmo"]["msa"], abs=1e-6)
    assert set(out["efa"]["loadings"]["x1"]) == {"ML1", "ML2", "ML3"}


def test_cli_efa_missing_column(capsys):
    from psychometrics.cli import main
    code = main(["efa", str(DATA / "bfi.csv"), "--items", "A1,A2,NOPE"])
    assert code == 2
    assert "NOPE" in capsys.readouterr().err
