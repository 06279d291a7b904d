"""The report's sections in forked workers (psychometrics.report.parallel): same report, safe."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pytest

from psychometrics.cli import main
from psychometrics.errors import DataError, OptionError
from psychometrics.io import example_path
from psychometrics.progress import progress_enabled, show_progress
from psychometrics.report import render_report
from psychometrics.report.context import Context
from psychometrics.report.parallel import can_fork, run_sections

pytestmark = pytest.mark.skipif(not can_fork(), reason="forked workers only on Linux, one thread")

KW = dict(items=example_path("mbi-hss-items.yaml"), id="ResponseId", norms="mbi-hss-overall",
          by="department", omega_boot=20, n_boot=50)


def _ctx() -> Context:
    return Context(data=pd.DataFrame(), inst=None, mapping={}, id=None, lang="en", L={"failed": "failed"},
                   scores=pd.DataFrame(), raw=np.zeros((0, 0)), invalid=[], respondents=[],
                   subscales=[])


def _job(sid, fn):
    return (sid, sid.title(), fn, f"running {sid}")


def _pid(c):
    return {"pid": os.getpid(), "progress": progress_enabled()}, "<p>x</p>", "ok", None


def test_the_report_is_the_same_byte_for_byte_in_workers():
    one = render_report(example_path("mbi-hss-qualtrics.csv"), "mbi-hss", n_jobs=1, **KW)
    two = render_report(example_path("mbi-hss-qualtrics.csv"), "mbi-hss", n_jobs=2, **KW)
    assert one.html == two.html
    assert [s.status for s in one.sections] == [s.status for s in two.sections]
    assert one.to_dict() == two.to_dict()


def test_sections_run_in_other_processes_and_come_back_in_order():
    jobs = [_job(f"s{i}", _pid) for i in range(5)]
    steps = []
    with show_progress(True):
        out = run_sections(jobs, _ctx(), n_jobs=2, step=steps.append)
    assert [s.id for s in out] == [f"s{i}" for i in range(5)]
    pids = {s.data["pid"] for s in out}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert not any(s.data["progress"] for s in out)     # no bars drawn by workers
    assert sorted(steps) == sorted(f"running s{i}" for i in range(5))
    seq = run_sections(jobs, _ctx(), n_jobs=1)
    assert {s.data["pid"] for s in seq} == {os.getpid()}


def test_a_process_with_other_threads_runs_the_sections_itself():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not can_fork()
        out = run_sections([_job("a", _pid), _job("b", _pid)], _ctx(), n_jobs=4)
    finally:
        stop.set()
        t.join()
    assert {s.data["pid"] for s in out} == {os.getpid()}


def test_a_worker_that_dies_has_its_sections_run_here():
    parent = os.getpid()

    def dies_in_a_worker(c):
        if os.getpid() != parent:
            os._exit(3)   # killed (out of memory, a signal): no result comes back
        return {"pid": os.getpid()}, "", "ok", None

    out = run_sections([_job("a", _pid), _job("b", dies_in_a_worker), _job("c", _pid)], _ctx(),
                       n_jobs=2)
    assert [s.id for s in out] == ["a", "b", "c"] and out[1].data["pid"] == parent
    assert all(s.status == "ok" for s in out)


def test_errors_are_the_same_as_one_after_another():
    def bad_data(c):
        raise DataError("no items")

    def bug(c):
        raise ZeroDivisionError("a bug")

    out = run_sections([_job("a", bad_data), _job("b", _pid)], _ctx(), n_jobs=2)
    assert out[0].status == "failed" and "no items" in out[0].message and out[1].status == "ok"
    with pytest.raises(ZeroDivisionError, match="a bug"):   # a bug is never a failed section
        run_sections([_job("a", _pid), _job("b", bug)], _ctx(), n_jobs=2)


def test_n_jobs_is_a_whole_number_of_at_least_one(tmp_path, capsys):
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(OptionError, match="n_jobs"):
            render_report(example_path("mbi-hss-qualtrics.csv"), "mbi-hss", n_jobs=bad, **KW)
    code = main(["report", str(example_path("mbi-hss-qualtrics.csv")), "-i", "mbi-hss",
                 "--items", str(example_path("mbi-hss-items.yaml")), "--id", "ResponseId",
                 "--n-jobs", "0", "-o", str(tmp_path / "r.html")])
    assert code == 2 and "--n-jobs must be a whole number" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
