"""The progress bar of long steps (issue 16): a percentage on a terminal, silence when piped."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

from psychometrics import resample
from psychometrics.progress import BAR_WIDTH, progress, progress_enabled, render, show_progress


class Tty(io.StringIO):
    """stderr as a terminal."""

    def isatty(self) -> bool:
        return True


def percentages(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"(\d+)% \[", text)]


def test_render_shows_the_percentage_and_a_proportional_bar():
    line = render("bootstrap", 42, 100)
    assert line.startswith("\rbootstrap") and " 42% [" in line
    bar = line[line.index("[") + 1:line.index("]")]
    assert len(bar) == BAR_WIDTH and bar.count("=") == round(0.42 * BAR_WIDTH)
    assert " 100% [" + "=" * BAR_WIDTH + "]" in render("x", 5, 4)  # never past 100 %
    assert "100% [" in render("x", 0, 0)  # nothing to do is done


def test_a_terminal_sees_the_bar_reach_100_percent():
    term = Tty()
    with progress(10, "resampling", enabled=True, stream=term) as update:
        for _ in range(4):
            update(2)
        update(2)
    shown = percentages(term.getvalue())
    assert shown[0] == 0 and shown[-1] == 100 and shown == sorted(shown)
    assert 40 in shown and "resampling" in term.getvalue()
    assert term.getvalue().endswith("\r")  # the line is cleared for what follows


def test_a_step_that_ends_early_still_shows_100_percent():
    term = Tty()
    with progress(10, "x", enabled=True, stream=term) as update:
        update(3)
    assert percentages(term.getvalue())[-1] == 100


def test_nothing_is_written_when_piped_or_switched_off():
    piped = io.StringIO()
    with progress(10, "x", enabled=True, stream=piped) as update:
        update(10)
    assert piped.getvalue() == ""
    term = Tty()
    with progress(10, "x", enabled=False, stream=term) as update:
        update(10)
    with progress(10, "x", stream=term) as update:  # not switched on by show_progress
        update(10)
    assert term.getvalue() == ""


def test_a_closed_stream_is_not_a_terminal():
    closed = io.StringIO()
    closed.close()  # isatty() of a closed file raises ValueError
    with progress(3, "x", enabled=True, stream=closed) as update:  # must not raise
        update(3)


def test_show_progress_switches_every_step_inside_it():
    assert not progress_enabled()
    with show_progress():
        assert progress_enabled()
        with show_progress(False):
            assert not progress_enabled()
        assert progress_enabled()
    assert not progress_enabled()


def test_every_bootstrap_reports_one_update_per_batch(monkeypatch):
    term = Tty()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setattr(resample, "_MAX_BATCH_ELEMENTS", 50 * 10)  # batches of 50 resamples
    x = np.arange(10.0)
    with show_progress():
        res = resample.bootstrap(lambda idx: x[idx].mean(axis=1), 10, n_boot=200, seed=1)
    shown = percentages(term.getvalue())
    assert shown == [0, 25, 50, 75, 100]  # one redraw per batch, none per resample
    assert "bootstrap (200 resamples)" in term.getvalue()
    # the bar changes nothing: the same numbers without it
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    again = resample.bootstrap(lambda idx: x[idx].mean(axis=1), 10, n_boot=200, seed=1)
    np.testing.assert_array_equal(res.replicates, again.replicates)


def test_a_bootstrap_is_quiet_when_piped(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    x = np.arange(10.0)
    with show_progress():
        resample.bootstrap(lambda idx: x[idx].mean(axis=1), 10, n_boot=50, seed=1)
    assert piped.getvalue() == ""


@pytest.mark.parametrize("tty", [True, False])
def test_the_cli_shows_the_bar_only_on_a_terminal(monkeypatch, capsys, tmp_path, tty):
    import pandas as pd

    from psychometrics.cli import main

    df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6, 7, 8], "y": [0, 0, 1, 0, 1, 0, 1, 1],
                       "t": [2, 1, 3, 5, 4, 6, 8, 7]})
    df.to_csv(tmp_path / "d.csv", index=False)
    err = Tty() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    code = main(["omega", str(tmp_path / "d.csv"), "--columns", "s,t,y", "--n-boot", "40",
                 "--seed", "1", "--json"])
    assert code == 0
    shown = percentages(err.getvalue())
    if tty:
        assert shown and shown[-1] == 100
    else:
        assert err.getvalue() == ""
