"""Every notebook runs clean in a fresh kernel and prints the tutorials' published numbers as stored.

A cell tagged ``published`` compares a tutorial's figures with glassnet's (and
asserts them): its fresh output must equal the stored one. Every other cell's
must equal it up to the rounding of its numbers (a stale notebook shows a
learner figures the code no longer prints), except a ``timed`` cell's. No cell may write to
standard error (a warning is a failure), and the stored notebooks must be the
ones notebooks/build.py writes from its cells.
"""

import importlib.util
import os
import re
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


def printed(cell) -> str:
    """What a cell shows as text: its streams and the plain text of its value."""
    value = [o.data.get("text/plain", "") for o in cell.get("outputs", []) if o.output_type == "execute_result"]
    return texts(cell) + "".join(value)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def step(text: str) -> float:
    """The size of the last digit a number is written with: 0.01 for "0.99", 1e-18 for "2.8e-17"; 0 for a
    whole number (counts, shapes, epochs: compared exactly) and for a zero ("0.0e+00" says nothing of its
    digits: the other number's count)."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    if float(mantissa) == 0 or (not decimals and not exponent):
        return 0.0
    return 10.0 ** (int(exponent or 0) - decimals)


def same_but_rounding(old: str, new: str) -> bool:
    """The same text, each number within what another processor's rounding moves it: a step and a half of its
    last digit ("0.99" and "1.00"), a thousandth of itself, or both below 1e-12 (differences that are rounding);
    whole numbers equal."""
    if NUMBER.split(old) != NUMBER.split(new):
        return False
    for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)):
        x, y = float(a), float(b)
        if abs(x - y) > max(1e-12, 1.5 * max(step(a), step(b)), 1e-3 * max(abs(x), abs(y)) if step(a) or step(b)
                            else 0.0):
            return False
    return True


def test_numbers_are_compared_to_their_printed_rounding():
    assert same_but_rounding("p=0.99, 89.4% right", "p=1.00, 89.3% right")
    assert same_but_rounding("largest difference 2.8e-17", "largest difference 0.0e+00")
    assert same_but_rounding("loss 0.015549", "loss 0.0155485")
    assert not same_but_rounding("largest difference 0.0e+00", "largest difference 1.4e-01")
    assert not same_but_rounding("test cost 0.0125", "test cost 0.0098")  # a stale figure
    assert not same_but_rounding("accuracy 0.9", "accuracy 0.7")  # one step of the last digit may be rounding
    assert not same_but_rounding("95 epochs", "96 epochs") and not same_but_rounding("float32", "float33")
    assert not same_but_rounding("found in A", "found in B") and not same_but_rounding("1 2", "1 2 3")


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
    # without MNIST, the conv net's notebook says how to get it where its stored outputs show the net trained
    compare = not (path.stem.startswith("06") and MNIST_DIR is None)
    for k, (old, new) in enumerate(zip(stored.cells, fresh.cells)):
        if "published" in old.metadata.get("tags", []):
            assert texts(new) == texts(old), f"{path.name}: the published figures changed"
        elif compare and "timed" not in old.metadata.get("tags", []):  # (a timed cell's seconds vary)
            # a stored figure the code no longer prints is a stale notebook: a learner sees another
            assert same_but_rounding(printed(old), printed(new)), \
                f"{path.name}, cell {k}: stored {printed(old)!r}, now {printed(new)!r}: run python notebooks/build.py"
        warnings = [o.text for o in new.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]
        assert not warnings, f"{path.name} wrote to standard error: {warnings}"
    if path.stem[:2] in ("01", "04", "05"):  # the tutorials that publish figures glassnet reproduces
        assert any("published" in c.metadata.get("tags", []) for c in stored.cells)
    if path.stem.startswith("06") and MNIST_DIR is not None:
        assert "trained on 12,000 pictures" in "".join(texts(c) for c in fresh.cells)
