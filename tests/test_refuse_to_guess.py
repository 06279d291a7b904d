"""Issue 12, "never silently wrong": each item's regression test (items 1-9 and 11; item 10
is tested with the cached instruments)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.errors import DataError, OptionError
from psychometrics.resample import DEFAULT_SEED

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
DATA = Path(__file__).parent / "data"
QUALTRICS = EX / "mbi-hss-qualtrics.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def valid():
    return pd.read_csv(EX / "validation-sample.csv")


# ---- item 8: every bootstrap is reproducible by default, and says its seed -----------------

def _boot_calls(valid, hs):
    x = hs[[f"x{i}" for i in range(1, 10)]]
    score, diag = valid["mbi1"] + valid["mbi2"], valid["diagnosis"]
    scores = pm.score(valid, "mbi-hss", id="id")
    return {
        "roc": lambda: pm.roc(score, diag, positive="burnout", n_boot=50).to_dict(),
        "cutoffs": lambda: pm.cutoffs(score, diag, positive="burnout", n_boot=50).to_dict(),
        "alpha": lambda: pm.alpha(x.iloc[:, :3], ci="bootstrap", n_boot=50).to_dict(),
        "omega": lambda: pm.omega(x, n_factors=3, ci=0.9, n_boot=5, cfa=False).to_dict(),
        "build_norms": lambda: pm.build_norms(scores, bootstrap=50, min_n=10).to_dict(),
        "parallel_analysis": lambda: pm.parallel_analysis(x, n_iter=5).to_dict(),
        "reliability": lambda: pm.reliability(valid, "mbi-hss", ci="bootstrap",
                                              n_boot=30).to_dict(),
    }


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", ["roc", "cutoffs", "alpha", "omega", "build_norms",
                                  "parallel_analysis", "reliability"])
def test_resampling_is_reproducible_without_a_seed(valid, hs, name):
    call = _boot_calls(valid, hs)[name]
    first, second = call(), call()
    if name == "build_norms":  # the creation date is not a number
        for d in (first, second):
            d["created"].pop("date"), d["source"].pop("ref")
    assert first == second
    text = repr(first)
    assert f"'seed': {DEFAULT_SEED}" in text


def test_a_generator_draws_fresh_numbers(valid):
    score, diag = valid["mbi1"] + valid["mbi2"], valid["diagnosis"]
    a = pm.roc(score, diag, positive="burnout", n_boot=50, seed=np.random.default_rng(1))
    b = pm.roc(score, diag, positive="burnout", n_boot=50, seed=np.random.default_rng(2))
    assert a.boot_ci_low != b.boot_ci_low and a.to_dict()["seed"] is None


# ---- item 11: options are checked in one place; the CLI says it in its own words ------------

@pytest.mark.parametrize("argv, words", [
    (["reliability", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}", "--level", "1.5"],
     "--level must be between 0 and 1"),
    (["reliability", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}", "--level", "nan"],
     "--level must be between 0 and 1"),
    (["cutoff", EX / "validation-sample.csv", "--score", "mbi1", "--criterion", "diagnosis",
      "--positive", "burnout", "--n-boot", "-5", "--plot", "x.png"], "--n-boot"),
    (["score", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}"], "--on-invalid missing"),
])
def test_cli_errors_are_one_line_in_the_clis_words(capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert words in err
    assert "on_invalid=" not in err and "level=" not in err


def test_option_errors_name_option_and_value():
    with pytest.raises(OptionError) as info:
        pm.alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}), level=1.5)
    assert info.value.option == "level" and info.value.value == 1.5
    assert isinstance(info.value, ValueError)
    with pytest.raises(OptionError, match="on_invalid"):
        pm.score(pd.DataFrame({"x": [1]}), "mbi-hss", on_invalid="skip")


def test_cli_turns_a_bug_into_one_line(capsys, monkeypatch):
    import psychometrics.commands.instruments as cmd

    def broken(args):
        raise KeyError("boom")
    monkeypatch.setattr(cmd, "_list", broken)
    code, _, err = run(capsys, "instruments", "list")
    assert code == 1 and "internal error" in err and len(err.strip().splitlines()) == 1


def test_report_catches_only_package_errors():
    src = "".join(p.read_text() for p in (ROOT / "psychometrics" / "report").glob("*.py"))
    assert "except Exception" not in src


# ---- item 1: the scale of a score is never guessed -----------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from psychometrics.errors import NormError, PsychometricsError  # noqa: E402
from psychometrics.instruments import data_dir, load_instrument, read_yaml  # noqa: E402
from psychometrics.norms import list_norms, load_norms  # noqa: E402


def _two_mean_scored_exports(valid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = pm.score(valid.iloc[:25], "mbi-hss", id="id", method="mean")
        b = pm.score(valid.iloc[25:50], "mbi-hss", id="id", method="mean")
    return a, b


def test_concat_of_mean_scores_is_not_banded_as_sums(valid):
    a, b = _two_mean_scored_exports(valid)
    kept = pd.concat([a, b])  # identical records survive concat: means are known as means
    with pytest.raises(NormError, match="scores are means"):
        pm.apply_norms(kept, "mbi-hss-overall")
    b.attrs["psychometrics"]["items"] = {"other": "export"}  # a second export, mapped otherwise
    both = pd.concat([a, b])
    assert not both.attrs  # pandas dropped the record
    with pytest.raises(NormError, match="scale='sum' or scale='mean'"):
        pm.apply_norms(both, "mbi-hss-overall")
    with pytest.raises(NormError, match="sums or means"):
        pm.classify(both, "mbi-hss-overall-ee-or-dp")
    with pytest.raises(NormError, match="sums or means"):
        pm.profile({"mbi-hss": both}, norms={"mbi-hss": "mbi-hss-overall"})
    # said explicitly, the scale is checked: means are not sums of 9 items
    with pytest.raises(NormError, match="rescore|scale"):
        pm.apply_norms(both, "mbi-hss-overall", scale="mean")
    ok = pm.apply_norms(both, "mbi-hss-overall", scale="mean", convert=True)
    sums = pd.concat([pm.score(valid.iloc[:50], "mbi-hss", id="id")])
    full = pm.apply_norms(sums, "mbi-hss-overall")
    assert ok["EE_band"].tolist() == full["EE_band"].tolist()


def test_scores_outside_their_scale_are_refused():
    s = pd.DataFrame({"EE": [24.0, 60.0]})
    with pytest.raises(DataError, match=r"outside the possible range \(possible: 0 to 54\)"):
        pm.apply_norms(s, "mbi-hss-overall", scale="sum")
    s.attrs["psychometrics"] = {"instrument": "mbi-hss", "scoring": {"EE": "mean"}}
    with pytest.raises(NormError, match="scale='sum' was given"):
        pm.apply_norms(s, "mbi-hss-overall", scale="sum")


def _norm_cases():
    out = []
    for nid in list_norms():
        ns = load_norms(nid)
        if ns.covariate or not ns.subscales:
            continue
        out.append(nid)
    return out


def _random_scores(nid: str, n: int, seed: int) -> pd.DataFrame:
    ns = load_norms(nid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forms = read_yaml(data_dir("instruments") / f"{ns.instrument}.yaml").get("forms") or {}
        inst = load_instrument(ns.instrument, warn=False, form=next(iter(forms), None))
    rng = np.random.default_rng(seed)
    cols, scoring = {}, {}
    for sid in ns.subscales:
        if sid not in inst.subscales:
            continue
        scale = next(e.subscales[sid].score for e in ns.entries if sid in e.subscales)
        items = inst.subscales[sid].items
        lo, hi = (np.array([inst.item_range(inst.item(i)) for i in items])[:, j] for j in (0, 1))
        answers = rng.integers(lo.min(), hi.max() + 1, size=(n, len(items))).astype(float)
        cols[sid] = answers.sum(axis=1) if scale == "sum" else answers.mean(axis=1)
        scoring[sid] = scale
    frame = pd.DataFrame(cols, index=[f"r{seed}-{i}" for i in range(n)])
    for var in ns.strata:  # the first stratum's level, in a same-named column
        first = next(e.stratum[var] for e in ns.entries if var in e.stratum)
        frame[var] = first["min"] if isinstance(first, dict) else first
    frame.attrs["psychometrics"] = {"instrument": ns.instrument, "scoring": scoring}
    return frame


def _round_trip(frame: pd.DataFrame, how: str, tmp: Path) -> pd.DataFrame:
    if how == "concat":
        return pd.concat([frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2:]])
    if how == "concat-other":  # with a frame scored differently (another record)
        other = frame.iloc[:1].copy()
        other.attrs = {"psychometrics": {**frame.attrs["psychometrics"], "form": "x"}}
        return pd.concat([frame, other]).iloc[: len(frame)]
    if how == "merge":
        demo = pd.DataFrame({"k": np.arange(len(frame))}, index=frame.index)
        return demo.merge(frame, left_index=True, right_index=True).drop(columns="k")
    if how == "csv":
        frame.to_csv(tmp / "s.csv")
        return pd.read_csv(tmp / "s.csv", index_col=0)
    frame.to_excel(tmp / "s.xlsx")
    return pd.read_excel(tmp / "s.xlsx", index_col=0)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("nid", _norm_cases())
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(2, 8), seed=st.integers(0, 10_000),
       how=st.sampled_from(["concat", "concat-other", "merge", "csv", "excel"]))
def test_round_trips_give_the_same_result_or_an_error(tmp_path, nid, n, seed, how):
    frame = _random_scores(nid, n, seed)
    expected = pm.apply_norms(frame, nid)
    moved = _round_trip(frame, how, tmp_path)
    try:
        got = pm.apply_norms(moved, nid)
    except PsychometricsError:
        return  # loud is fine
    new = [c for c in expected.columns if c not in frame.columns]
    pd.testing.assert_frame_equal(got[new].reset_index(drop=True),
                                  expected[new].reset_index(drop=True), check_dtype=False)


# ---- item 2: strata are matched explicitly, or to same-named columns and said so -------------

@pytest.fixture(scope="module")
def regional(valid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = pm.score(valid, "mbi-hss", id="id")
    scores["region"] = valid["region"].to_numpy()
    ns = pm.build_norms(scores, by="region", bootstrap=0, min_n=10)
    return scores, ns


def test_stratified_norms_match_same_named_columns_and_say_so(regional):
    scores, ns = regional
    explicit = pm.apply_norms(scores, ns, norm_by={"region": "region"})
    auto = pm.apply_norms(scores, ns)
    pd.testing.assert_series_equal(auto["EE_pr"], explicit["EE_pr"])
    meta = auto.attrs["psychometrics"]["norms"]
    assert meta["matched"] == "same-named columns" and meta["by"] == {"region": "region"}
    assert set(auto["EE_norm_group"]) == {f"region={r}" for r in scores["region"].unique()}
    overall = pm.apply_norms(scores, ns, norm_by={})
    assert not np.allclose(overall["EE_pr"], auto["EE_pr"])  # the silent old default differs
    assert set(overall["EE_norm_group"]) == {"overall"}


def test_stratified_norms_without_columns_is_an_error_listing_strata(regional):
    scores, ns = regional
    with pytest.raises(NormError, match=r"norms by \['region'\].*Candidate columns: id"):
        pm.apply_norms(scores.drop(columns="region"), ns)


def test_fallback_to_overall_is_reported_per_respondent(regional):
    scores, ns = regional
    odd = scores.copy()
    odd.loc[odd.index[0], "region"] = "Mars"
    with pytest.warns(UserWarning, match="1 respondent"):
        out = pm.apply_norms(odd, ns, fallback="overall")
    assert out["EE_norm_group"].iloc[0] == "overall (fallback)"
    assert out.attrs["psychometrics"]["norms"]["fallback_n"] == 1


def test_by_is_a_deprecated_alias(regional):
    scores, ns = regional
    with pytest.warns(DeprecationWarning, match="norm_by"):
        old = pm.apply_norms(scores, ns, by={"region": "region"})
    pd.testing.assert_frame_equal(old, pm.apply_norms(scores, ns, norm_by={"region": "region"}))


def test_cli_score_with_stratified_norms_names_the_groups(capsys, tmp_path, regional):
    _, ns = regional
    path = ns.to_file(tmp_path / "regional.yaml")
    out = tmp_path / "s.csv"
    code, stdout, err = run(capsys, "score", EX / "validation-sample.csv", "-i", "mbi-hss",
                            "--id", "id", "--norms", path, "-o", out)
    assert code == 0, err
    back = pd.read_csv(out)
    assert back["EE_norm_group"].str.startswith("region=").all()
    assert "regional" in stdout or "norm set" in stdout


def test_cli_profile_matches_strata_or_takes_norm_by(capsys, tmp_path, regional):
    _, ns = regional
    path = ns.to_file(tmp_path / "regional.yaml")
    base = ["profile", EX / "validation-sample.csv", "-i", "mbi-hss", "--id", "id",
            "--norms", f"mbi-hss={path}", "--table", "long", "--json"]
    code, out, err = run(capsys, *base)  # the export has a 'region' column: matched by name
    assert code == 0, err
    rows = __import__("json").loads(out)
    assert {r["norms"] for r in rows} == {ns.id}
    # mapped to a column whose values are not the norm set's strata: refused, not overall
    code, out, err = run(capsys, *base, "--norm-by", "region=sex")
    assert code == 2 and "stratum that is not in norm set" in err


# ---- item 5: every output names the norm set used, its source and n ------------------------

def test_outputs_name_the_norm_set(valid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = pm.score(valid, "mbi-hss", id="id")
    meta = pm.apply_norms(s, "mbi-hss-overall").attrs["psychometrics"]["norms"]
    assert meta["id"] == "mbi-hss-overall" and meta["source"] and "n" in meta
    c = pm.classify(s, "mbi-hss-overall-ee-or-dp")
    assert c.attrs["psychometrics"]["norms"]["id"] == "mbi-hss-overall"


# ---- item 4: placeholder keys refuse to score ----------------------------------------------

def test_placeholder_keys_refuse_to_score_and_say_how_to_fix(capsys):
    from psychometrics.errors import InstrumentError
    data = pd.DataFrame({f"ubosa{i}": [3, 4] for i in range(1, 16)})
    with pytest.raises(InstrumentError, match=r"placeholder.*keys='my-keys.yaml'"):
        pm.score(data, "ubos-a")
    assert "ubos-a" not in pm.list_instruments(usable=True)
    assert {"mbi-ss", "ubos-a", "ubos-c", "ubos-l"} == set(pm.list_instruments(usable=False))
    code, out, _ = run(capsys, "instruments", "list", "--json")
    rows = {r["id"]: r for r in __import__("json").loads(out)}
    assert rows["ubos-a"]["usable"].startswith("needs --keys") and rows["mbi-hss"]["usable"] == "yes"


# ---- items 6 and 7: proration and unscored respondents are visible ---------------------------

def _mbi_with_gaps(valid):
    data = valid.iloc[:6].copy()
    data.loc[data.index[0], "mbi1"] = np.nan  # EE: 8 of 9 answered -> prorated
    data.loc[data.index[1], ["mbi5", "mbi10", "mbi11"]] = np.nan  # DP: 2 of 5 -> not scored
    return data


def test_prorated_scores_are_flagged_and_said_in_bands_and_reasons(valid):
    data = _mbi_with_gaps(valid)
    with pytest.warns(UserWarning, match="prorated"):
        s = pm.score(data, "mbi-hss", id="id")
    assert s["EE_prorated"].tolist() == [True] + [False] * 5
    normed = pm.apply_norms(s, "mbi-hss-overall")
    assert normed["EE_prorated"].iloc[0] and "EE_band" in normed  # the band row carries the flag
    c = pm.classify(s, "mbi-hss-overall-ee-or-dp")
    assert "EE prorated from 8 items" in c["reason"].iloc[0]
    assert "prorated" not in c["reason"].iloc[2]
    p = pm.profile({"mbi-hss": s}, id="id")
    row = p.table[(p.table.respondent == s["id"].iloc[0]) & (p.table.scale == "EE")]
    assert "prorated" in row["reason"].iloc[0]


def test_unscored_respondents_are_announced_and_a_named_level(valid, capsys, tmp_path):
    data = _mbi_with_gaps(valid)
    with pytest.warns(UserWarning, match=r"not scored .*'DP': 1"):
        s = pm.score(data, "mbi-hss", id="id")
    assert s.attrs["psychometrics"]["unscored"]["DP"] == 1
    c = pm.classify(s, "mbi-hss-overall-ee-or-dp")
    assert c["label"].iloc[1] in ("not scored", "high emotional exhaustion or high depersonalization") \
        or c["level"].iloc[1] == "not_scored"
    assert "?" not in set(c["label"].dropna())
    path = tmp_path / "gaps.csv"
    data.to_csv(path, index=False)
    code, _, err = run(capsys, "score", path, "-i", "mbi-hss", "--id", "id")
    assert code == 0 and "not scored (too few items answered): DP 1 of 6" in err


def test_min_answered_on_the_cli(valid, capsys, tmp_path):
    path = tmp_path / "gaps.csv"
    _mbi_with_gaps(valid).to_csv(path, index=False)
    code, out, err = run(capsys, "score", path, "-i", "mbi-hss", "--id", "id", "--json",
                         "--min-answered", "DP=2")
    assert code == 0, err
    rows = __import__("json").loads(out)["scores"]
    assert rows[1]["DP"] is not None and rows[1]["DP_prorated"] is True


# ---- item 9: impossible CFA solutions are flagged, non-convergence is returned --------------

from psychometrics.factor.cfa import CFAWarning  # noqa: E402


def _exact(cov: np.ndarray, n: int = 200) -> pd.DataFrame:
    """Data whose ML sample covariance is exactly ``cov``."""
    z = np.random.default_rng(0).standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return pd.DataFrame(q * np.sqrt(n) @ np.linalg.cholesky(cov).T,
                        columns=[f"x{i + 1}" for i in range(cov.shape[0])])


def test_heywood_case_is_inadmissible():
    # one factor, three indicators (just identified): lambda1^2 = .8 * .8 / .5 = 1.28 > 1, so
    # the residual variance of x1 is 1 - 1.28 = -0.28 (lavaan warns the same)
    data = _exact(np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]]))
    with pytest.warns(CFAWarning, match="negative observed variable"):
        res = pm.cfa(data, "F =~ x1 + x2 + x3")
    assert res.converged and not res.admissible
    theta = res.estimates.query("op == '~~' and lhs == 'x1' and rhs == 'x1'")["est"].iloc[0]
    assert theta == pytest.approx(-0.28, abs=1e-3)
    assert res.to_dict()["admissible"] is False and "NOT ADMISSIBLE" in res.summary()


def test_non_identified_model_is_flagged(hs):
    with pytest.warns(CFAWarning, match="not be identified"):
        res = pm.cfa(hs, "F1 =~ x1 + x2 + x3\nF2 =~ x4")
    assert not res.admissible and any("identified" in p for p in res.problems)


def test_non_convergence_returns_the_best_solution(hs, monkeypatch):
    import psychometrics.factor.estimation as cfa_mod

    real = cfa_mod.optimize.minimize

    class Stingy:  # an optimiser that gives up after two iterations
        @staticmethod
        def minimize(*a, **k):
            k["options"] = {**k.get("options", {}), "maxiter": 2}
            return real(*a, **k)
    monkeypatch.setattr(cfa_mod, "optimize", Stingy)
    with pytest.warns(CFAWarning, match="did not converge"):
        res = pm.cfa(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6")
    assert res.converged is False and np.isfinite(res.fit["chisq"])
    assert "NOT converged" in res.summary()


def test_admissible_model_stays_quiet(hs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CFAWarning)
        res = pm.cfa(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9")
    assert res.converged and res.admissible and res.problems == ()


def test_threshold_rules_check_the_scale_of_the_scores():
    inst = load_instrument("bat-12", warn=False)
    rng = np.random.default_rng(3)
    data = pd.DataFrame({it.id: rng.integers(1, 6, 20) for it in inst.items})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sums = pm.score(data, "bat-12", method="sum")
        means = pm.score(data, "bat-12")
    with pytest.raises(NormError, match="scores are sums"):
        pm.classify(sums, "bat-12-pooled-risk")  # sums of 12 items against mean cut-offs
    plain = pd.DataFrame({"total": sums["total"].to_numpy()})  # e.g. after read_csv
    with pytest.raises(NormError, match="sums or means"):
        pm.classify(plain, "bat-12-pooled-risk")
    with pytest.raises(NormError, match="outside"):
        pm.classify(plain, "bat-12-pooled-risk", scale="mean")
    ok = pm.classify(means, "bat-12-pooled-risk")
    assert ok["level"].notna().all()


def test_concat_scores_keeps_a_consistent_record(valid):
    a, b = _two_mean_scored_exports(valid)
    b.attrs["psychometrics"]["items"] = {"other": "export"}
    both = pm.concat_scores([a, b])
    assert both.attrs["psychometrics"]["scoring"]["EE"] == "mean"
    with pytest.raises(NormError, match="scores are means"):
        pm.apply_norms(both, "mbi-hss-overall")  # known as means, so refused as sums
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sums = pm.score(valid.iloc[:10], "mbi-hss", id="id")
    from psychometrics.errors import DataError
    with pytest.raises(DataError, match="scoring"):
        pm.concat_scores([a, sums])
    with pytest.raises(DataError, match="no record"):
        pm.concat_scores([a, pd.DataFrame({"EE": [1.0]})])


def test_concat_scores_keeps_the_id_only_when_every_part_shares_it(valid):
    a, b = _two_mean_scored_exports(valid)
    assert pm.concat_scores([a, b]).attrs["psychometrics"]["id"] == "id"
    other = b.rename(columns={"id": "rid"})
    other.attrs = {"psychometrics": {**b.attrs["psychometrics"], "id": "rid"}}
    assert pm.concat_scores([a, other]).attrs["psychometrics"]["id"] is None
