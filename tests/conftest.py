"""Shared test configuration.

- ``slow``: whole modules whose tests take seconds each (executing notebooks, driving a
  browser) are marked here, so ``pytest -m "not slow"`` gives a quick edit-test loop; CI runs
  everything.
- ``data_dir``: the folder of the public datasets and R references copied from ``shared/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SLOW_MODULES = {"test_notebooks.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
