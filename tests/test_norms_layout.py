"""The norms package after the issue-11 split: old import paths, data-file labels, helpers."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.i18n import strings
from psychometrics.norms import build as norms_build
from psychometrics.norms import continuous, meta

# every public name that was importable from psychometrics.norms / psychometrics.weights
OLD_NORMS_NAMES = [
    "EDGE_TOL", "PR_CLIP", "Band", "NoQuartilesWarning", "NormEntry", "NormSet", "SubscaleNorm",
    "UncertainNormWarning", "apply_norm_set", "apply_norms", "band_edge_texts", "build_norms",
    "check_scale_range", "instrument_forms", "list_norms", "load_norms", "norm_catalogue",
    "norm_groups", "norm_provenance", "norm_set_from_entries", "percentile_rank",
    "resolve_norm_by", "resolve_scales", "stanine_from_pr", "stratum_text",
    "subscale_norm_doc", "t_from_pr",
]
OLD_WEIGHTS_NAMES = ["rake", "weighted_quantile", "weighted_quantile_counts"]


@pytest.mark.parametrize("name", OLD_NORMS_NAMES + OLD_WEIGHTS_NAMES)
def test_old_names_are_importable_from_psychometrics_norms(name):
    assert hasattr(importlib.import_module("psychometrics.norms"), name)


def test_summarise_lives_in_groups_and_the_package_api_points_there():
    from psychometrics.groups import summarise

    assert pm.summarise is summarise
    assert pm.rake is importlib.import_module("psychometrics.norms.weights").rake


# the labels build_norms wrote before they moved to strings/norms.yaml
FORMER_LABELS = {
    "very_low": {"en": "very low", "nl": "zeer laag", "fr": "très bas"},
    "low": {"en": "low", "nl": "laag", "fr": "bas"},
    "average": {"en": "average", "nl": "gemiddeld", "fr": "moyen"},
    "high": {"en": "high", "nl": "hoog", "fr": "élevé"},
    "very_high": {"en": "very high", "nl": "zeer hoog", "fr": "très élevé"},
    "bottom_quartile": {"en": "bottom quartile", "nl": "laagste kwartiel", "fr": "quartile inférieur"},
    "middle": {"en": "middle half", "nl": "middelste helft", "fr": "moitié centrale"},
    "top_quartile": {"en": "top quartile", "nl": "hoogste kwartiel", "fr": "quartile supérieur"},
}


def test_band_labels_of_built_norms_are_the_former_ones():
    assert {k: dict(v) for k, v in strings("norms").items()} == FORMER_LABELS
    assert set(norms_build.FIVE_LEVELS) | set(norms_build.QUARTILE_BANDS) == set(FORMER_LABELS)


@pytest.mark.parametrize("percentiles, ids", [
    ((5, 25, 75, 95), list(norms_build.FIVE_LEVELS)),
    ((10, 90), list(norms_build.QUARTILE_BANDS)),
])
def test_built_bands_carry_the_labels(percentiles, ids):
    rng = np.random.default_rng(3)
    s = pd.DataFrame({"EX": rng.integers(8, 33, 300) / 8})
    s.attrs["psychometrics"] = {"instrument": "olbi", "scoring": {"EX": "mean"}}
    ns = pm.build_norms(s, bootstrap=0, seed=1, percentiles=percentiles)
    bands = ns.overall.subscales["EX"].bands
    assert [b.id for b in bands] == ids
    assert [b.text("nl") for b in bands] == [FORMER_LABELS[i]["nl"] for i in ids]


def test_band_text_falls_back_to_english_then_first_then_id():
    from psychometrics.norms import Band

    assert Band("x", {"en": "e", "nl": "n"}).text("fr") == "e"
    assert Band("x", {"nl": "n"}).text("fr") == "n"
    assert Band("x", {}).text("fr") == "x"


def test_instrument_forms_and_metadata_instrument():
    forms = meta.instrument_forms("cbi")
    assert list(forms) == ["always-first", "never-first"]
    assert meta.instrument_forms("not-a-shipped-instrument") == {}
    first = meta.instrument_for_metadata("cbi")
    other = meta.instrument_for_metadata("cbi", form="never-first")
    assert list(first.subscales) == list(other.subscales)
    assert [first.score_range(s, "mean") for s in first.subscales] == \
        [other.score_range(s, "mean") for s in other.subscales]
    assert list(meta.instrument_for_metadata("olbi").subscales)  # no forms: loads as is


@pytest.mark.parametrize("n, groups", [(0, 3), (749, 3), (750, 3), (1000, 4), (2999, 11),
                                       (3000, 12), (10**6, 12)])
def test_age_groups_are_one_per_250_respondents_between_3_and_12(n, groups):
    assert continuous.age_groups(n) == groups


def test_norms_for_roles_prefilters_without_validating_every_file(monkeypatch):
    from psychometrics.classify.conditions import instrument_roles
    from psychometrics.norms import catalogue, norms_for_roles

    assert norms_for_roles(instrument_roles("mbi-hss")) == ["quartile-rule"]
    assert norms_for_roles(["exhaustion"]) == []            # the rule needs all three roles
    catalogue._load_file.cache_clear()
    loaded = []
    real = catalogue._load_file.__wrapped__
    monkeypatch.setattr(catalogue, "_load_file", lambda path, mtime: loaded.append(path) or real(path, mtime))
    norms_for_roles(["exhaustion", "distance", "competence"])
    assert loaded == []   # the roles are read from each file's header, no file is validated
