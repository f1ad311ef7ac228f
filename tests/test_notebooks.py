"""Every notebook runs clean in a fresh kernel and prints the tutorials' published numbers as stored.

A cell tagged ``published`` compares a tutorial's figures with glassnet's (and
asserts them): its fresh output must equal the stored one. No cell may write to
standard error (a warning is a failure), and the stored notebooks must be the
ones notebooks/build.py writes from its cells.
"""

import importlib.util
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import MNIST_DIR

pytestmark = pytest.mark.slow  # trains models, runs Jupyter kernels

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def texts(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def test_a_notebook_for_each_tutorial_and_two_more_each_as_built_from_its_cells():
    build = build_module()
    assert [p.stem for p in NOTEBOOKS] == list(build.NOTEBOOKS) and len(NOTEBOOKS) >= 7
    for path in NOTEBOOKS:
        stored = nbformat.read(path, as_version=4)
        written = build.make(path.stem, build.NOTEBOOKS[path.stem])
        assert [(c.source, c.metadata.get("tags")) for c in stored.cells] == \
            [(c.source, c.metadata.get("tags")) for c in written.cells], \
            f"{path.name} is stale: run python notebooks/build.py {path.stem[:2]}"
        assert any(c.get("outputs") for c in stored.cells), f"{path.name} is stored without its outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs_clean_and_reproduces_its_published_numbers(path, monkeypatch):
    # the kernel is this interpreter's (its "python" looked up on PATH) and finds MNIST where the tests do
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if MNIST_DIR is not None:
        monkeypatch.setenv("GLASSNET_MNIST", str(MNIST_DIR))
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(fresh, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}}).execute()
    for old, new in zip(stored.cells, fresh.cells):
        if "published" in old.metadata.get("tags", []):
            assert texts(new) == texts(old), f"{path.name}: the published figures changed"
        warnings = [o.text for o in new.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]
        assert not warnings, f"{path.name} wrote to standard error: {warnings}"
    if path.stem[:2] in ("01", "04", "05"):  # the tutorials that publish figures glassnet reproduces
        assert any("published" in c.metadata.get("tags", []) for c in stored.cells)
    if path.stem.startswith("06") and MNIST_DIR is not None:
        assert "trained on 12,000 pictures" in "".join(texts(c) for c in fresh.cells)
