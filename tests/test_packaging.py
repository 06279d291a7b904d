"""The wheel must carry every subpackage and the data folders (a wheel, unlike an editable
install, only holds what setup.cfg lists)."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def test_every_subpackage_is_listed():
    listed = set(_setup_cfg()["options"]["packages"].split())
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "psychometrics").rglob("__init__.py")}
    assert found <= listed, f"missing from setup.cfg packages: {sorted(found - listed)}"


def test_data_folders_are_shipped_inside_the_package():
    cfg = _setup_cfg()["options"]
    package_dir = dict(line.split(" = ") for line in cfg["package_dir"].strip().splitlines())
    assert package_dir == {"psychometrics._instruments": "instruments",
                           "psychometrics._norms": "norms", "psychometrics._examples": "examples"}
    for folder in package_dir.values():
        assert any((ROOT / folder).glob("*.yaml")), folder
