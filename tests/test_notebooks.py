"""The worked-example notebooks run from a clean checkout (nbclient, kernel ``python3``), and
the committed ``.ipynb`` files are what ``scripts/make_notebooks.py`` generates, without
outputs."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import ipykernel  # noqa: F401  (test extra: the python3 kernel must be installed)
import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "scripts" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01-score-and-norm.ipynb",
                                           "02-build-belgian-norms.ipynb",
                                           "03-validate-cutoff.ipynb",
                                           "04-irt.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_in_sync(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    fresh = _generator().build(path.name)
    assert [c.source for c in nb.cells] == [c.source for c in fresh.cells], \
        "run python scripts/make_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    work = tmp_path / "run"
    work.mkdir()
    shutil.copy(path, work / path.name)
    # the kernel must import this checkout's package, from a working dir outside the repo
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    try:
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                         resources={"metadata": {"path": str(work)}})
        client.execute()  # raises CellExecutionError naming the cell on any error
    finally:
        if env_path:
            os.environ["PYTHONPATH"] = env_path
        else:
            os.environ.pop("PYTHONPATH", None)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert any(work.iterdir())  # outputs land in the temp dir, not the repository
