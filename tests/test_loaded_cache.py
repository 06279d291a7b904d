"""Loaded instruments and norm sets are cached per process and read-only (issue 12 item 10,
issue 15): one caller's change can never reach the next caller, and a repeated
``score(df, "mbi-hss")`` does not re-read or re-validate the YAML."""

from __future__ import annotations

import copy
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics import instruments as instruments_module
from psychometrics.errors import ImmutableError, PsychometricsError


def test_a_change_to_a_loaded_norm_set_is_refused_and_never_reaches_the_next_caller():
    # the reported failure: ns.doc["name"] = ... showed up in the next load_norms
    ns = pm.load_norms("mbi-hss-overall")
    name = ns.doc["name"]
    with pytest.raises(ImmutableError):
        ns.doc["name"] = "changed by another caller"
    assert pm.load_norms("mbi-hss-overall").doc["name"] == name


@pytest.mark.parametrize("change", [
    lambda ns: setattr(ns, "id", "other"),
    lambda ns: ns.rules.append({"id": "x"}),
    lambda ns: ns.strata.append("sex"),
    lambda ns: ns.uncertain.clear(),
    lambda ns: ns.entries.pop(),
    lambda ns: ns.entries[0].subscales.update(EE=None),
    lambda ns: ns.entries[0].stratum.__setitem__("sex", "female"),
    lambda ns: ns.entries[0].subscales["EE"].bands[0].label.__setitem__("en", "x"),
    lambda ns: ns.doc["norms"][0]["subscales"]["EE"].pop("bands"),
    lambda ns: delattr(ns, "doc"),
])
def test_every_part_of_a_loaded_norm_set_is_read_only(change):
    ns = pm.load_norms("mbi-hss-overall")
    before = ns.to_dict()
    with pytest.raises(ImmutableError):
        change(ns)
    assert pm.load_norms("mbi-hss-overall").to_dict() == before


def test_norm_arrays_are_read_only(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 7, size=(200, 22)), columns=[f"mbi{i}" for i in range(1, 23)])
    built = pm.build_norms(pm.score(df, "mbi-hss"), "mbi-hss", seed=1, bootstrap=0)
    ns = pm.load_norms(built.to_file(tmp_path / "mine.yaml"))
    arrays = [a for e in ns.entries for sn in e.subscales.values()
              for a in ((sn.table or ())[:2] + (sn.distribution or ()))]
    assert arrays
    with pytest.raises(ValueError, match="read-only"):
        arrays[0][0] = 99.0


@pytest.mark.parametrize("change", [
    lambda inst: setattr(inst, "id", "other"),
    lambda inst: inst.items.append(inst.items[0]),
    lambda inst: inst.subscales.pop("EE"),
    lambda inst: inst.scale.labels.__setitem__("en", []),
    lambda inst: inst.subscales["EE"].name.__setitem__("en", "x"),
    lambda inst: inst.doc["items"][0].__setitem__("reverse", True),
    lambda inst: inst.uncertain.append("x"),
    lambda inst: inst.rules.append({}),
])
def test_every_part_of_a_loaded_instrument_is_read_only(change):
    inst = pm.load_instrument("mbi-hss")
    before = inst.to_dict()
    with pytest.raises(ImmutableError):
        change(inst)
    assert pm.load_instrument("mbi-hss").to_dict() == before


def test_immutable_error_is_a_package_error_and_a_type_error():
    assert issubclass(ImmutableError, PsychometricsError) and issubclass(ImmutableError, TypeError)


def test_deepcopy_gives_plain_writable_data_that_loads_as_an_own_instrument(tmp_path):
    inst = pm.load_instrument("mbi-hss")
    doc = copy.deepcopy(inst.doc)
    assert type(doc) is dict and type(doc["items"]) is list
    doc["id"] = "my-mbi"
    doc["subscales"]["EE"]["min_answered"] = 9
    mine = pm.Instrument(doc)
    assert mine.subscales["EE"].min_answered == 9
    assert pm.load_instrument("mbi-hss").id == "mbi-hss"
    assert doc["id"] == "my-mbi"  # the caller's own data is not frozen in place


def test_loaded_objects_pickle():
    inst, ns = pm.load_instrument("mbi-hss"), pm.load_norms("mbi-hss-overall")
    assert pickle.loads(pickle.dumps(inst.doc)) == inst.doc
    assert pickle.loads(pickle.dumps(ns.doc)) == ns.doc


def test_loading_by_id_validates_once(monkeypatch):
    calls = []
    original = instruments_module.validate

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(instruments_module, "validate", counting)
    instruments_module._load_cached.cache_clear()
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 7, size=(200, 22)), columns=[f"mbi{i}" for i in range(1, 23)])
    first = pm.score(df, "mbi-hss")
    second = pm.score(df, "mbi-hss")
    pd.testing.assert_frame_equal(first, second)
    assert calls == ["instrument"]
    assert pm.load_instrument("mbi-hss") is pm.load_instrument("mbi-hss")


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "mine.yaml"
    shutil.copy(instruments_module.data_dir("instruments") / "mbi-hss.yaml", path)
    a = pm.load_instrument(path)
    assert pm.load_instrument(path) is a
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min_answered: ", "min_answered:  ", 1) + "\n", encoding="utf-8")
    b = pm.load_instrument(path)
    assert b is not a and b.to_dict() == a.to_dict()


def test_uncertain_instruments_still_warn_on_every_load():
    with pytest.warns(instruments_module.UncertainKeyWarning):
        pm.load_instrument("ubos-a")
    with pytest.warns(instruments_module.UncertainKeyWarning):
        pm.load_instrument("ubos-a")
