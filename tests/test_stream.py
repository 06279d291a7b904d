"""Files larger than memory (issue 15): scoring and norms in chunks equal the in-memory
results; errors name the file's own rows; nothing is left behind when a run fails."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.errors import DuplicateIdError, InvalidResponseError, OptionError
from psychometrics.norms_stream import build_norms_file
from psychometrics.scoring.stream import score_file

ITEMS = [f"mbi{i}" for i in range(1, 23)]


def _export(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 7, size=(n, 22)).astype(float)
    x[rng.random((n, 22)) < 0.02] = np.nan
    df = pd.DataFrame(x, columns=ITEMS)
    df.insert(0, "rid", [f"R{i:07d}" for i in range(n)])
    df["sex"] = rng.choice(["f", "m", "x"], n, p=[0.5, 0.49, 0.01])
    return df


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200,000 respondents, as CSV and Parquet, and their in-memory scores."""
    d = tmp_path_factory.mktemp("stream")
    df = _export(200_000)
    df.to_csv(d / "big.csv", index=False)
    df.to_parquet(d / "big.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = pm.score(df, "mbi-hss", id="rid")
    return d, df, mem


def _read(path):
    return pd.read_csv(path, dtype={"rid": str}) if str(path).endswith(".csv") else pd.read_parquet(path)


@pytest.mark.parametrize("src,out", [("big.csv", "s.parquet"), ("big.parquet", "s.csv")])
def test_score_file_equals_score_in_memory(big, src, out):
    d, _, mem = big
    with pytest.warns(UserWarning, match="prorated"):
        rep = score_file(d / src, "mbi-hss", d / out, id="rid", chunksize=9_000)
    assert rep.rows == 200_000 and rep.chunks == 23
    assert rep.prorated == mem.attrs["psychometrics"]["prorated"]
    pd.testing.assert_frame_equal(_read(d / out), mem.reset_index(drop=True), check_dtype=False)


def test_parquet_output_keeps_the_scoring_report(big):
    d, _, _ = big
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score_file(d / "big.parquet", "mbi-hss", d / "r.parquet", id="rid", chunksize=50_000,
                   keep=["sex"])
    back = pm.read_parquet(d / "r.parquet", id="rid")
    assert back.attrs["psychometrics"]["instrument"] == "mbi-hss"
    assert back.attrs["psychometrics"]["scoring"] == {"EE": "sum", "DP": "sum", "PA": "sum"}
    assert list(back.columns[-1:]) == ["sex"]


def test_norms_in_one_pass_equal_build_norms_in_memory(big):
    d, df, mem = big
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = pm.build_norms(mem.assign(sex=df["sex"].to_numpy()), by="sex", bootstrap=0, min_n=5000)
        b = build_norms_file(d / "big.csv", "mbi-hss", id="rid", by="sex", bootstrap=0,
                             min_n=5000, chunksize=9_000)
    da, db = a.to_dict(), b.to_dict()
    for key in ("n", "strata", "partial", "suppressed", "weighting", "instrument"):
        assert da.get(key) == db.get(key), key
    assert [e["stratum"] for e in db["norms"]] == [{}, {"sex": "f"}, {"sex": "m"}]
    for ea, eb in zip(da["norms"], db["norms"], strict=True):
        assert ea["stratum"] == eb["stratum"] and ea["n"] == eb["n"]
        for sid, sa in ea["subscales"].items():
            sb = eb["subscales"][sid]
            for key in ("distribution", "table", "quartiles", "bands", "n", "score", "quantiles"):
                assert sa[key] == sb[key], (ea["stratum"], sid, key)
            assert sa["mean"] == pytest.approx(sb["mean"], rel=1e-12)
            assert sa["sd"] == pytest.approx(sb["sd"], rel=1e-12)


def test_norm_bootstrap_from_counts_is_seeded_and_agrees_with_resampling_respondents(big):
    d, df, mem = big
    small = d / "small.csv"
    df.head(3000).to_csv(small, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b1 = build_norms_file(small, "mbi-hss", id="rid", bootstrap=400, seed=3, chunksize=700)
        b2 = build_norms_file(small, "mbi-hss", id="rid", bootstrap=400, seed=3, chunksize=1100)
        a = pm.build_norms(mem.head(3000), bootstrap=400, seed=3)
    assert b1.to_dict()["norms"] == b2.to_dict()["norms"]
    for sid in ("EE", "DP", "PA"):
        qa = a.to_dict()["norms"][0]["subscales"][sid]["quantiles"]
        qb = b1.to_dict()["norms"][0]["subscales"][sid]["quantiles"]
        for p in qa:
            assert qb[p]["value"] == qa[p]["value"]
            # the same bootstrap distribution, other draws: CI ends within a score point or two
            assert abs(qb[p]["ci_low"] - qa[p]["ci_low"]) <= 2
            assert abs(qb[p]["ci_high"] - qa[p]["ci_high"]) <= 2
            assert qb[p]["ci_low"] <= qb[p]["value"] <= qb[p]["ci_high"]


def test_an_invalid_response_names_the_files_row_and_leaves_no_output(tmp_path):
    df = _export(5000)
    df.loc[3456, "mbi7"] = 9
    df.to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(InvalidResponseError, match="R0003456") as info:
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "out.csv", id="rid", chunksize=1000)
    assert "row 3457" in str(info.value)
    assert info.value.cells[0]["row"] == 3457
    assert not list(tmp_path.glob("out*")) and not list(tmp_path.glob(".out*"))


def test_invalid_cells_as_missing_are_counted_over_the_file(tmp_path):
    df = _export(5000)
    df.loc[[10, 2500, 4999], "mbi3"] = 8
    df.to_csv(tmp_path / "x.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.csv", id="rid",
                         chunksize=1000, on_invalid="missing")
    assert rep.invalid == 3
    assert [c["row"] for c in rep.invalid_cells] == [11, 2501, 5000]


def test_duplicate_ids_in_different_chunks_are_refused(tmp_path):
    df = _export(5000)
    df.loc[4321, "rid"] = df.loc[12, "rid"]
    df.to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DuplicateIdError, match=r"R0000012.*rows 13, 4322"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.parquet", id="rid", chunksize=1000)
    assert not (tmp_path / "o.parquet").exists()


def test_output_over_the_input_and_bad_options_are_refused(tmp_path):
    _export(100).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(OptionError, match="input"):
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "x.csv", id="rid")
    with pytest.raises(OptionError, match="chunksize"):
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.csv", id="rid", chunksize=0)
    with pytest.raises(OptionError, match="colour"):
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.csv", id="rid", colour="red")


_RSS_PROBE = """
import resource, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
import psychometrics as pm
from psychometrics.scoring.stream import score_file
pm.score(pd.DataFrame({f"mbi{i}": [1] for i in range(1, 23)}), "mbi-hss")  # imports and caches
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
score_file(sys.argv[1], "mbi-hss", sys.argv[2], id="rid", chunksize=5000)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
"""


def test_memory_is_bounded_by_the_chunk_not_the_file(big):
    """Peak memory grows by less than the file's item matrix alone (35 MB; the in-memory
    path takes ~200 MB for this file): it is bounded by the chunk."""
    d, _, _ = big
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(d / "big.csv"), str(d / "m.parquet")],
                         capture_output=True, text=True, check=True)
    grown = int(out.stdout.strip().splitlines()[-1])
    assert grown < 200_000 * 22 * 8, grown


def test_progress_only_on_request_or_a_terminal(tmp_path, capsys):
    _export(3000).to_csv(tmp_path / "x.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.csv", id="rid", chunksize=1000)
        assert capsys.readouterr().err == ""   # not a terminal
        score_file(tmp_path / "x.csv", "mbi-hss", tmp_path / "o.csv", id="rid", chunksize=1000,
                   progress=True)
    assert "3,000 rows (100%)" in capsys.readouterr().err


def test_cli_streams_to_parquet(tmp_path):
    df = _export(4000)
    df.to_csv(tmp_path / "x.csv", index=False)
    out = subprocess.run([sys.executable, "-m", "psychometrics.cli", "score", str(tmp_path / "x.csv"),
                          "-i", "mbi-hss", "--id", "rid", "--chunksize", "1000",
                          "-o", str(tmp_path / "s.parquet")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "scored 4,000 respondents" in out.stdout and "4 chunk(s)" in out.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = pm.score(df, "mbi-hss", id="rid")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), mem, check_dtype=False)
    bad = subprocess.run([sys.executable, "-m", "psychometrics.cli", "score", str(tmp_path / "x.csv"),
                          "-i", "mbi-hss", "--chunksize", "1000"], capture_output=True, text=True)
    assert bad.returncode == 2 and "-o OUT.csv" in bad.stderr


def test_parquet_in_memory_round_trip(tmp_path):
    df = _export(50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = pm.score(df, "mbi-hss", id="rid")
    pm.write_table(scores, tmp_path / "s.parquet")
    back = pm.read_export(tmp_path / "s.parquet", id="rid")
    pd.testing.assert_frame_equal(back, scores, check_dtype=False)
    assert back.attrs["psychometrics"]["instrument"] == "mbi-hss"


def test_cli_norms_build_in_one_pass(tmp_path):
    df = _export(3000)
    df.to_csv(tmp_path / "x.csv", index=False)
    out = subprocess.run([sys.executable, "-m", "psychometrics.cli", "norms", "build", str(tmp_path / "x.csv"),
                          "-i", "mbi-hss", "--id", "rid", "--chunksize", "700", "--bootstrap", "0",
                          "--min-n", "20", "--by", "sex", "-o", str(tmp_path / "n.yaml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = pm.build_norms(pm.score(df, "mbi-hss", id="rid").assign(sex=df["sex"]), by="sex",
                             bootstrap=0, min_n=20)
    got = pm.load_norms(tmp_path / "n.yaml").to_dict()["norms"]
    want = mem.to_dict()["norms"]
    assert [e["stratum"] for e in got] == [e["stratum"] for e in want]
    for eg, ew in zip(got, want):
        for sid in ("EE", "DP", "PA"):
            assert eg["subscales"][sid]["distribution"] == ew["subscales"][sid]["distribution"]
            assert eg["subscales"][sid]["quantiles"] == ew["subscales"][sid]["quantiles"]


@pytest.mark.parametrize("as_path", [str, lambda p: p])
def test_score_given_a_path_names_the_readers(tmp_path, as_path):
    """pm.score on a file path does not guess a reader: it says which two to use."""
    path = tmp_path / "export.csv"
    _export(5).to_csv(path, index=False)
    from psychometrics.errors import DataError
    with pytest.raises(DataError, match=r"read_export.*score_file") as err:
        pm.score(as_path(path), "mbi-hss")
    assert "export.csv" in str(err.value)


@pytest.mark.parametrize("meta", [b"not json {", b"[1, 2]", b'"junk"'])
def test_parquet_with_a_broken_scoring_record_is_an_export_error(tmp_path, meta):
    """The record is read back from the file's metadata: a file that was not written by the
    package (or was tampered with) is an ExportError naming it, not a crash later."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from psychometrics.errors import ExportError
    table = pa.table({"EE": [1.0, 2.0]}).replace_schema_metadata({b"psychometrics": meta})
    pq.write_table(table, tmp_path / "s.parquet")
    with pytest.raises(ExportError, match=r"s\.parquet.*psychometrics"):
        pm.read_export(tmp_path / "s.parquet")


def test_a_recorded_id_that_is_no_column_name_falls_back_to_the_index(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from psychometrics._checks import respondent_labels
    table = pa.table({"EE": [1.0, 2.0]}).replace_schema_metadata(
        {b"psychometrics": b'{"id": ["EE"], "scoring": {"EE": "mean"}}'})
    pq.write_table(table, tmp_path / "s.parquet")
    back = pm.read_export(tmp_path / "s.parquet")
    assert list(respondent_labels(back)) == [0, 1]
