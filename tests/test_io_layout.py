"""The layout of ``psychometrics.io`` and ``psychometrics.scoring`` (issue 11): which way their
imports run, that their public names stay reachable, and that there is one cell parser."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_imports import PACKAGE, imports_of

import psychometrics as pm
import psychometrics.io as pio
import psychometrics.scoring as ps
from psychometrics.scoring.cells import MISSING_MARKERS, cell_values

#: Modules above io and scoring (statistics, figures, report, commands): neither imports them.
HIGHER = ("norms", "norms_stream", "reliability", "omega", "factor", "cutoff", "rules",
          "profile", "irt", "weights", "plots", "report", "report_figures", "report_docx",
          "methods", "commands", "cli", "app")


def _targets(prefix: str) -> set[tuple[str, str]]:
    return {(importer, target) for importer, target, _, _ in imports_of(PACKAGE)
            if importer == prefix or importer.startswith(prefix + ".")}


def _is_under(target: str, names) -> bool:
    return any(target == f"psychometrics.{n}" or target.startswith(f"psychometrics.{n}.")
               for n in names)


def test_io_imports_neither_scoring_nor_anything_above_it():
    bad = sorted((i, t) for i, t in _targets("psychometrics.io") if _is_under(t, HIGHER + ("scoring",)))
    assert bad == []


def test_scoring_imports_nothing_above_it():
    bad = sorted((i, t) for i, t in _targets("psychometrics.scoring") if _is_under(t, HIGHER))
    assert bad == []


def test_the_layout_check_fails_on_a_planted_violation():
    assert _is_under("psychometrics.scoring.scores", ("scoring",))
    assert _is_under("psychometrics.norms", HIGHER)
    assert not _is_under("psychometrics.normsx", HIGHER)


def test_formats_loads_no_pandas():
    code = ("import sys\nfrom psychometrics.io.formats import TABLE_FORMATS\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", pio.__all__)
def test_every_io_name_resolves(name):
    assert getattr(pio, name) is not None


def test_unknown_io_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pio.nope  # noqa: B018


@pytest.mark.parametrize("name", ["score", "keyed_items", "concat_scores", "read_export",
                                  "read_table", "write_table", "match_items", "MatchReport",
                                  "example_path", "list_examples", "score_file",
                                  "build_norms_file", "StreamReport", "read_parquet",
                                  "write_parquet"])
def test_public_names_of_io_scoring_and_stream_stay_reachable(name):
    value = getattr(pm, name)
    where = pio if name in pio.__all__ else ps if name in ps.__all__ else None
    if where is not None:
        assert getattr(where, name) is value


def test_score_and_match_items_read_cells_with_the_one_parser():
    import psychometrics.scoring.mapping as mapping
    import psychometrics.scoring.scores as scores
    assert scores.cell_values is cell_values and mapping.cell_values is cell_values


def test_cell_values_reads_codes_markers_and_labels():
    labels = {"nooit": 0, "jamais": 0, "never": 0, "altijd": 6}
    col = pd.Series([" 3 ", "NA", ".", "Nooit", "JAMAIS", "altijd", "sometimes", None, "2.0"])
    values, unreadable, integral = cell_values(col, labels)
    np.testing.assert_array_equal(values, [3, np.nan, np.nan, 0, 0, 6, np.nan, np.nan, 2])
    assert unreadable.tolist() == [False] * 6 + [True, False, False]
    assert not integral and "NA" in MISSING_MARKERS


def test_cell_values_keeps_integer_columns_and_refuses_booleans():
    values, unreadable, integral = cell_values(pd.Series([1, 2, 3]), {})
    assert integral and values.tolist() == [1, 2, 3] and not unreadable.any()
    values, unreadable, integral = cell_values(pd.Series([True, False]), {})
    assert np.isnan(values).all() and unreadable.all() and not integral
