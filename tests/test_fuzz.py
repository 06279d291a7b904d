"""Fuzz suite (issue 13): random exports, random command lines and mutated files.

* random exports (CSV with ``,``/``;``/tab/``|``, decimal marks, encodings incl. UTF-16 and
  cp1252, trailing delimiters, ids such as ``NA``/``007``, response labels, missing markers;
  .xlsx and .sav) go through ``read_export`` + ``score`` and must equal a plain scorer written
  here from the instrument's rules;
* random command lines must end with exit 0, or exit 2 and one ``error:`` line: never a
  traceback;
* truncated, corrupted and spliced .xlsx/.csv/.sav/.yaml files must be read or refused with
  the package's own error.

CI runs a small budget (``PSYCHOMETRICS_FUZZ_EXAMPLES``, default 20 examples per test); for a
release check run a long one::

    PSYCHOMETRICS_FUZZ_EXAMPLES=2000 pytest -p no:cacheprovider tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.errors import PsychometricsError
from psychometrics.instruments import data_dir

EXAMPLES = int(os.environ.get("PSYCHOMETRICS_FUZZ_EXAMPLES", "20"))
# no shrinking phase: a failing example is printed as found (shrinking whole files is slow)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INSTRUMENTS = [("mbi-hss", None), ("olbi", "agree-low"), ("cbi", "always-first")]
SPECIAL_IDS = ["NA", "None", "NULL", "007", "n/a", "1", "José"]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---- random exports against a plain scorer ------------------------------------------------

def reference_scores(codes: list[dict], inst) -> pd.DataFrame:
    """The scoring rules written out plainly, one respondent and subscale at a time: recode,
    reverse as (min + max) - x, mean of the answered items when at least ``min_answered`` are
    answered, a sum as that mean x the number of items."""
    rows = []
    for resp in codes:
        row = {}
        for sid, sub in inst.subscales.items():
            vals = []
            for item in sub.items:
                c = resp[item]
                if c is None:
                    continue
                v = float(inst.scale.recode.get(c, c))
                if item in sub.reverse:
                    lo, hi = inst.item_range(inst.item(item))
                    v = lo + hi - v
                vals.append(v)
            if len(vals) >= sub.min_answered:
                mean = sum(vals) / len(vals)
                row[sid] = mean * len(sub.items) if sub.scoring == "sum" else mean
            else:
                row[sid] = float("nan")
            row[f"{sid}_n"] = len(vals)
        rows.append(row)
    return pd.DataFrame(rows)


@st.composite
def exports(draw):
    iid, form = draw(st.sampled_from(INSTRUMENTS))
    inst = _quiet(pm.load_instrument, iid, form=form)
    n = draw(st.integers(1, 12))
    codes = [{it.id: draw(st.one_of(st.none(), st.sampled_from(inst.item_codes(it))))
              for it in inst.items} for _ in range(n)]
    kind = draw(st.sampled_from(["csv", "csv", "csv", "csv", "xlsx", "sav"]))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal_comma = sep != "," and draw(st.booleans())
    cell_style = draw(st.sampled_from(["int", "float", "label", "mixed"]))
    missing = draw(st.sampled_from(["", "NA", " ", "n/a"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    trailing = kind == "csv" and draw(st.booleans())
    special = draw(st.booleans())
    ids = [SPECIAL_IDS[i] if special and i < len(SPECIAL_IDS) else f"R{i:03d}" for i in range(n)]
    labels = next(iter(inst.scale.labels.values()), None)
    label_case = draw(st.sampled_from([str, str.upper, str.lower, lambda t: f"  {t} "]))
    style = [draw(st.sampled_from(["int", "float", "label"])) if cell_style == "mixed" else cell_style
             for _ in range(n)]
    return dict(inst=inst, iid=iid, form=form, codes=codes, kind=kind, sep=sep,
                decimal_comma=decimal_comma, style=style, missing=missing, encoding=encoding,
                trailing=trailing, ids=ids, labels=labels, label_case=label_case)


def _cell(code, style, spec) -> str:
    if code is None:
        return spec["missing"]
    if style == "label" and spec["labels"]:
        return spec["label_case"](spec["labels"][spec["inst"].scale.codes.index(code)])
    if style == "float":
        return f"{code},0" if spec["decimal_comma"] else f"{code}.0"
    return str(code)


def _excel_value(v: str):
    """What Excel stores for a typed cell: numbers as numbers (``3,0`` typed in a Belgian
    Excel is the number 3), missing markers as text, blanks as empty."""
    t = v.strip()
    if not t:
        return None
    try:
        return float(t.replace(",", ".")) if "," in t or "." in t else int(t)
    except ValueError:
        return v


def write_export(spec, folder: Path) -> Path:
    inst, ids = spec["inst"], spec["ids"]
    header = ["id"] + inst.item_ids
    if spec["kind"] == "sav":
        import pyreadstat
        frame = pd.DataFrame({"id": ids, **{i: [np.nan if r[i] is None else float(r[i])
                                                for r in spec["codes"]] for i in inst.item_ids}})
        p = folder / "export.sav"
        pyreadstat.write_sav(frame, str(p))
        return p
    rows = [[rid] + [_cell(r[i], st_, spec) for i in inst.item_ids]
            for rid, r, st_ in zip(ids, spec["codes"], spec["style"])]
    if spec["kind"] == "xlsx":
        frame = pd.DataFrame(rows, columns=header)
        for c in inst.item_ids:  # codes as numbers, like a real export; labels stay text
            frame[c] = [_excel_value(v) for v in frame[c]]
        p = folder / "export.xlsx"
        frame.to_excel(p, index=False)
        return p
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=spec["sep"], lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row + ([""] if spec["trailing"] else []))
    p = folder / "export.csv"
    p.write_bytes(buf.getvalue().encode(spec["encoding"], errors="replace"))
    return p


def _encodable(spec) -> bool:
    """Labels that the chosen encoding cannot hold would be lost by the writer, not the reader."""
    if not spec["labels"]:
        return True
    try:
        "".join(spec["labels"] + spec["ids"]).encode(spec["encoding"])
        return True
    except UnicodeEncodeError:
        return False


@FUZZ
@given(exports())
def test_random_exports_score_like_a_plain_scorer(spec):
    if not _encodable(spec):
        return
    inst = spec["inst"]
    with tempfile.TemporaryDirectory() as d:
        p = write_export(spec, Path(d))
        data = _quiet(pm.read_export, p, id="id")
        got = _quiet(pm.score, data, inst, id="id")
    assert data["id"].tolist() == spec["ids"]
    want = reference_scores(spec["codes"], inst)
    for sid in inst.subscales:
        np.testing.assert_allclose(got[sid].to_numpy(dtype=float), want[sid].to_numpy(dtype=float),
                                   rtol=0, atol=1e-9, err_msg=f"{sid} {spec['kind']} {spec['sep']!r}")
        assert got[f"{sid}_n"].tolist() == want[f"{sid}_n"].tolist()


# ---- random command lines ------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples"
BASES = [
    ["score", "@q", "-i", "mbi-hss", "--items", "Q1_{n}", "--id", "ResponseId"],
    ["match", "@q", "-i", "mbi-hss"],
    ["score", "@l", "-i", "olbi", "--form", "agree-low", "--items", "OLBI[SQ{n:03d}]"],
    ["summarise", "@l", "-i", "olbi", "--form", "agree-low", "--items", "OLBI[SQ{n:03d}]",
     "--by", "startlanguage"],
    ["reliability", "@s", "-i", "cbi", "--form", "always-first", "--id", "id"],
    ["instruments", "show", "mbi-hss"], ["norms", "show", "cbi-kristensen-50"],
    ["norms", "list"], ["instruments", "list"],
]
OPTIONS = ["-i", "--items", "--id", "--form", "--keys", "--missing-codes", "--on-invalid",
           "--method", "--norms", "--by", "--json", "-o", "--limit", "--min-group", "--fallback",
           "--cutoff", "--table", "--stratum", "--subscale"]
VALUES = ["mbi-hss", "olbi", "cbi", "../norms/cbi-kristensen-50", "/etc/passwd", "{n}", "{0}{n}",
          "{n:s}", "{n.__class__}", "", "abc", "-5", "0", "1.5", "nan", "ResponseId", "id",
          "x=y", "agree-low", "max_rows=3", "max_bytes=abc", "max_cell_chars=5", "raise",
          "missing", "mean", "sum", "@tmp", "@tmp/out.csv", "@tmp/out.xlsx", "@tmp/out.sav",
          "@tmp/out.json", "@tmp/out.txt", "cbi-kristensen-50", "EE", "-99,99", "=cmd|' /C calc'!A0",
          "x" * 300, "@q", "@s", "@l", "sex=f", "total=45"]


@FUZZ
@given(st.sampled_from(BASES), st.lists(st.tuples(st.sampled_from(OPTIONS), st.none() | st.sampled_from(VALUES)),
                                         max_size=4), st.booleans())
def test_random_command_lines_never_trace_back(base, extra, drop):
    with tempfile.TemporaryDirectory() as tmp:
        # copies: a random "-o" may name an input, and must never damage the shipped examples
        names = {"@tmp": tmp}
        for key, name in (("@q", "mbi-hss-qualtrics.csv"), ("@l", "olbi-limesurvey.csv"),
                          ("@s", "cbi-spss.sav")):
            copy = Path(tmp) / name
            copy.write_bytes((EXAMPLE / name).read_bytes())
            names[key] = str(copy)

        def fill(a: str) -> str:
            for k, v in names.items():
                a = a.replace(k, v)
            return a
        argv = [fill(a) for a in base]
        if drop and len(argv) > 2:
            argv.pop(len(argv) // 2)
        for opt, val in extra:
            argv += [opt] + ([fill(val)] if val is not None else [])
        err, out = io.StringIO(), io.StringIO()
        # in the temporary folder: "-o abc" writes ./abc
        with contextlib.chdir(tmp), contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
                code = exc.code
    errors = [ln for ln in err.getvalue().splitlines() if ln.startswith("error")]
    assert code in (0, 2, None), (argv, err.getvalue())
    if code == 2:
        assert len(errors) == 1, (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()


# ---- mutated files -------------------------------------------------------------------------

def _seed_files(folder: Path) -> dict[str, bytes]:
    xlsx = folder / "seed.xlsx"
    pd.DataFrame({"id": ["a", "b", "c"], **{f"mbi{i}": [1, 2, 3] for i in range(1, 23)}}).to_excel(
        xlsx, index=False)
    return {
        ".xlsx": xlsx.read_bytes(),
        ".csv": (EXAMPLE / "mbi-hss-qualtrics.csv").read_bytes()[:6000],
        ".sav": (EXAMPLE / "cbi-spss.sav").read_bytes(),
        "instrument.yaml": (data_dir("instruments") / "olbi.yaml").read_bytes(),
        "norms.yaml": (data_dir("norms") / "olbi-peterson-2008.yaml").read_bytes(),
    }


_SEEDS: dict[str, bytes] = {}


def _seeds() -> dict[str, bytes]:
    if not _SEEDS:
        with tempfile.TemporaryDirectory() as d:
            _SEEDS.update(_seed_files(Path(d)))
    return _SEEDS


@st.composite
def mutations(draw, kinds=(".xlsx", ".csv", "instrument.yaml", "norms.yaml")):
    kind = draw(st.sampled_from(kinds))
    raw = bytearray(_seeds()[kind])
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "flip", "delete", "duplicate", "insert"]))
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        if op == "truncate":
            raw = raw[:at]
        elif op == "flip":
            raw[at] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del raw[at:at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            raw[at:at] = raw[at:at + draw(st.integers(1, 256))]
        else:
            raw[at:at] = draw(st.sampled_from([b"&a ", b"*a", b"\x00", b'"', b",,,", b"\xff\xfe",
                                               b"\n\n", b"=cmd()", b"<f>1/0</f>"]))
    return kind, bytes(raw)


@FUZZ
@given(mutations())
def test_mutated_files_are_read_or_refused(mutation):
    kind, raw = mutation
    with tempfile.TemporaryDirectory() as d:
        name = "x" + kind if kind.startswith(".") else kind
        p = Path(d) / name
        p.write_bytes(raw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if kind == "instrument.yaml":
                    pm.load_instrument(p, form="agree-low")
                elif kind == "norms.yaml":
                    pm.load_norms(p)
                else:
                    df = pm.read_export(p)
                    pm.match_items(df, "mbi-hss")
            except PsychometricsError as exc:
                assert len(str(exc)) < 5000  # a message, never the document
                return


_CHILD = """
import sys, warnings
warnings.simplefilter("ignore")
import psychometrics as pm
from psychometrics.errors import PsychometricsError
try:
    pm.read_export(sys.argv[1])
except PsychometricsError:
    pass
"""


def _read_in_child(path: Path):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          text=True, timeout=120)


@settings(max_examples=max(3, EXAMPLES // 4), deadline=None, derandomize=EXAMPLES <= 50,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutations(kinds=(".sav",)))
def test_mutated_sav_files_are_read_or_refused(mutation):
    # in a child process: pyreadstat (ReadStat, C) can crash on a corrupt header, see below
    _, raw = mutation
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.sav"
        p.write_bytes(raw)
        done = _read_in_child(p)
    if done.returncode == -11:  # the upstream segfault; kept as the xfail below
        return
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.xfail(strict=True, reason="pyreadstat 1.3.8 (ReadStat) segfaults on this corrupted "
                   ".sav header, even with metadataonly=True: an upstream bug the package cannot "
                   "catch in-process. When this passes, upstream fixed it: remove the xfail.")
def test_known_corrupt_sav_does_not_crash_the_process():
    done = _read_in_child(Path(__file__).parent / "data" / "corrupt-segfault.sav")
    assert done.returncode == 0, done.returncode


@pytest.mark.parametrize("kind", [".xlsx", ".csv"])
def test_every_truncation_of_a_small_file_is_read_or_refused(kind, tmp_path):
    raw = _seeds()[kind]
    step = max(1, len(raw) // 40)
    for cut in range(0, len(raw), step):  # deterministic: a spread of cut points
        p = tmp_path / f"t{kind}"
        p.write_bytes(raw[:cut])
        try:
            _quiet(pm.read_export, p)
        except PsychometricsError:
            pass
