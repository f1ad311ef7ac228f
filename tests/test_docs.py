"""The Python blocks of docs/tutorial.md run, in order, in one namespace."""

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
