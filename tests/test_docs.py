"""The documentation holds: the Python blocks of docs/tutorial.md and README.md run, in order, in one
namespace each, and what the README states is what glassnet does."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def test_tutorial_code_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "= 0.0889129" in out and "= 0.0840096" in out  # the trace of the OR gate
    assert (tmp_path / "or.png").exists() and (tmp_path / "run.glassnet").exists()


ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_python_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "[0 1 1 0]" in out and "Conv2D(1 -> 8, 3x3, pad 1)" in out and "Dense(128 -> 10)" in out
    assert type(namespace["checkpoint"]).__name__ == "Checkpoint" and namespace["model"].built


def test_one_way_to_install_an_extra_everywhere():
    """glassnet is not on a package registry: `pip install 'glassnet[x]'` would fetch another project."""
    wrong = re.compile(r"pip install ['\"]?glassnet\b")
    places = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").glob("*.py"),
              *(ROOT / "src" / "glassnet").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in places for n, line in enumerate(p.read_text().splitlines(), 1)
             if wrong.search(line)]
    assert not found, found


def test_the_readmes_or_gate_figures_are_the_trace_before_the_step():
    import numpy as np

    import glassnet as gn
    from glassnet.tools.tracing import example

    model, X, y, loss, _ = example("or")
    t = gn.trace(model, X, y, loss, lr=1.0)
    dW, db = np.ravel(t["dW1"]), np.ravel(t["db1"])
    text = (ROOT / "README.md").read_text()
    assert f"dC/dw = ({dW[0]:.3f}, {dW[1]:.3f}) and dC/db = {db[0]:.3f} at the start" in text
