"""The report as a package (issue 11): the names it re-exports, its words as data, its
template, and the statistics that moved out of it (careless responding, group effects)."""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics import i18n
from psychometrics.report import LABELS, LANGS


@pytest.mark.parametrize("old", ["psychometrics.methods", "psychometrics.report_docx",
                                 "psychometrics.report_figures"])
def test_the_flat_modules_are_gone(old):
    assert importlib.util.find_spec(old) is None


@pytest.mark.parametrize("name", ["render_report", "Report", "Section", "LABELS", "longstring",
                                  "irv", "careless_flags", "group_effects", "readable_note",
                                  "apa_fit", "apa_number", "apa_p", "methods_text",
                                  "write_docx", "likert_bars", "scree_plot", "loadings_plot"])
def test_the_report_package_reexports_what_was_imported_from_it(name):
    mod = importlib.import_module("psychometrics.report")
    assert getattr(mod, name) is not None


def test_top_level_api_points_at_the_new_homes():
    from psychometrics.careless import careless_flags, irv, longstring
    from psychometrics.effects import group_effects
    assert (pm.longstring, pm.irv, pm.careless_flags, pm.group_effects) == (
        longstring, irv, careless_flags, group_effects)


def test_labels_are_the_yaml_strings_in_every_language():
    words = i18n.strings("report")
    for lang in LANGS:
        assert set(LABELS[lang]) == set(words)
        assert all(words[k][lang] == LABELS[lang][k] for k in words)  # no key falls back


def test_page_template_is_shipped_and_has_every_placeholder():
    from importlib.resources import files
    page = files("psychometrics.report").joinpath("templates/page.html").read_text("utf-8")
    for name in ("lang", "title", "instrument", "css", "info", "contents", "toc", "skipped",
                 "sections", "version"):
        assert f"${name}" in page
    assert files("psychometrics.report").joinpath("templates/report.css").is_file()


def test_careless_defaults_are_half_the_items_and_a_tenth_of_the_range():
    items = pd.DataFrame(np.tile([0, 6, 0, 6, 0, 6], (3, 1)), columns=list("abcdef"))
    th = pm.careless_flags(items).attrs["thresholds"]
    assert th["longstring_min"] == 3 and th["irv_max"] == pytest.approx(0.6)
