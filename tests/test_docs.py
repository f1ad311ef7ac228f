"""The documentation holds: every Python block of README.md and docs/*.md runs as written, every `glassnet`
command in a shell block is one the command line accepts, every docstring example prints what it shows,
and what the pages state is what glassnet does.

A page's Python blocks run in order, in one namespace per page, in a temporary folder. An HTML comment
just before a block (invisible on the site and on a code host) tells the test what the block needs::

    <!-- docs-test
    needs: mnist               (or gpu, mpi, dask, onnx: the block is skipped, with the reason, without it)
    setup:
        X = ...                (run first, unseen: the names the text has just described)
    replace: epochs=8 => epochs=1        (a smaller run of the same code; the text must hold OLD)
    quiet: ConvergenceWarning            (a warning the block may give, as it would to a reader; others fail)
    -->
"""

import doctest
import importlib
import re
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

from glassnet.training.run import DivergenceWarning
from helpers import MNIST_DIR, MNIST_MISSING

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
BLOCK = re.compile(r"```(python|sh|bash)\n(.*?)```", re.S)
MARKER = re.compile(r"<!-- docs-test\n(.*?)-->\s*$", re.S)


@dataclass
class Block:
    """One fenced block of a page, with what its marker says."""

    page: str
    number: int
    language: str
    code: str
    needs: list[str] = field(default_factory=list)
    setup: str = ""
    replace: list[tuple[str, str]] = field(default_factory=list)
    quiet: list[str] = field(default_factory=list)

    def runnable(self) -> str:
        code = self.code
        for old, new in self.replace:
            assert old in code, f"{self.page} block {self.number}: its marker replaces {old!r}, which it lacks"
            code = code.replace(old, new)
        return code


def blocks(page: Path) -> list[Block]:
    """The page's fenced Python and shell blocks, each with its marker read."""
    text, found, end = page.read_text(encoding="utf-8"), [], 0
    for number, match in enumerate(BLOCK.finditer(text), 1):
        block = Block(page.name, number, match.group(1), match.group(2))
        marker = MARKER.search(text, end, match.start())
        if marker:
            setup = re.search(r"^setup:\n((?:    .*\n|\n)+)", marker.group(1), re.M)
            block.setup = "\n".join(line[4:] for line in setup.group(1).splitlines()) if setup else ""
            block.needs = re.findall(r"^needs: (\w+)", marker.group(1), re.M)
            block.quiet = re.findall(r"^quiet: (\w+)", marker.group(1), re.M)
            block.replace = [tuple(side.strip() for side in line.split(" => ")) for line in
                             re.findall(r"^replace: (.*)$", marker.group(1), re.M)]
        found.append(block)
        end = match.end()
    return found


def lacking(need: str) -> str | None:
    """Why this machine cannot run a block that needs ``need``, or None when it can."""
    if need == "mnist":
        return MNIST_MISSING if MNIST_DIR is None else None
    modules = {"mpi": "mpi4py", "dask": "distributed", "onnx": "onnxruntime", "gpu": "cupy"}
    try:
        module = importlib.import_module(modules[need])
    except ImportError:
        return f"needs {need}: {modules[need]} is not installed"
    if need == "gpu" and module.cuda.runtime.getDeviceCount() == 0:
        return "needs a GPU"
    return None


#: the warnings a marker may quiet, by name
WARNINGS = {"ConvergenceWarning": ConvergenceWarning, "DivergenceWarning": DivergenceWarning}


def run_page(page: Path) -> tuple[dict, list[str]]:
    """Run the page's Python blocks in order in one namespace; the namespace, and what was skipped and why."""
    namespace: dict = {"MNIST_DIR": str(MNIST_DIR)}
    skipped = []
    for block in blocks(page):
        if block.language != "python":
            continue
        reasons = [reason for reason in map(lacking, block.needs) if reason]
        if reasons:
            skipped.append(f"{page.name} block {block.number}: {reasons[0]}")
            continue
        name = f"{page.name} block {block.number}"
        if block.setup:
            exec(compile(block.setup, f"{name} (setup)", "exec"), namespace)
        with warnings.catch_warnings():
            for category in block.quiet:
                warnings.filterwarnings("ignore", category=WARNINGS[category])
            exec(compile(block.runnable(), name, "exec"), namespace)
    return namespace, skipped


#: pages whose blocks a test of their own runs, to check what they print too
CHECKED_APART = {"README.md", "tutorial.md", "getting-started.md"}


@pytest.mark.parametrize("page", [p for p in PAGES if p.name not in CHECKED_APART], ids=lambda p: p.name)
def test_every_python_block_runs(page, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # GLASSNET_DATA is the run's own folder (conftest): MNIST is unzipped there once
    namespace, skipped = run_page(page)
    for name in ("client", "cluster"):  # the Dask recipe's, which a reader would keep open
        if name in namespace:
            namespace[name].close()
    if skipped:
        pytest.skip("; ".join(skipped))


def test_a_marker_is_read_and_a_stale_replacement_fails(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n<!-- docs-test\nneeds: mnist\nsetup:\n    x = 1\n\n    y = 2\nreplace: a => b\n-->\n"
                    "```python\nprint(a)\n```\n\n```python\nz = 3\n```\n")
    first, second = blocks(page)
    assert (first.needs, first.setup.split(), first.replace) == (["mnist"], ["x", "=", "1", "y", "=", "2"],
                                                                [("a", "b")])
    assert first.runnable() == "print(b)\n" and not second.needs and not second.setup
    first.replace = [("nowhere", "b")]
    with pytest.raises(AssertionError, match="lacks"):
        first.runnable()


def test_every_markers_replacements_match_its_block_even_where_it_is_skipped():
    for page in PAGES:
        for block in blocks(page):
            block.runnable()
            assert set(block.needs) <= {"mnist", "gpu", "mpi", "dask", "onnx"}, (page.name, block.needs)
            assert set(block.quiet) <= set(WARNINGS), (page.name, block.quiet)


def test_the_tutorial_runs_and_prints_the_or_gates_numbers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert len(blocks(DOCS / "tutorial.md")) >= 8
    run_page(DOCS / "tutorial.md")
    out = capsys.readouterr().out
    assert "= 0.0889129" in out and "= 0.0840096" in out  # the trace of the OR gate
    assert (tmp_path / "or.png").exists() and (tmp_path / "run.glassnet").exists()


def test_the_readme_and_getting_started_run_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_page(ROOT / "README.md")
    assert "[0 1 1 0]" in capsys.readouterr().out
    namespace, _ = run_page(DOCS / "getting-started.md")
    out = capsys.readouterr().out
    assert "[0 1 1 0]" in out and "Conv2D(1 -> 8, 3x3, pad 1)" in out
    assert type(namespace["checkpoint"]).__name__ == "Checkpoint" and namespace["model"].built


def commands(page: Path):
    """Each `glassnet ...` command of the page's shell blocks, as argv, with the optional parts of a usage
    line (``[--arch cnn]``) taken and the first of alternatives (``auto|classify``) chosen."""
    for block in blocks(page):
        if block.language == "python":
            continue
        for line in block.code.replace("\\\n", " ").splitlines():
            line = re.sub(r"^\s*(\.venv/bin/|mpiexec -n \d+ |\$ )", "", line.split(" #")[0]).strip()
            if not line.startswith("glassnet ") or "<" in line:
                continue
            line = re.sub(r"\[([^\]]*)\]", r"\1", line)
            line = re.sub(r"(\S+?)\|\S+", r"\1", line)
            yield block, shlex.split(line)[1:]


def test_every_glassnet_command_in_the_docs_is_one_the_command_line_takes(capsys):
    from glassnet.cli import build_parser

    parser, seen, refused = build_parser(), 0, []
    for page in PAGES:
        for block, argv in commands(page):
            seen += 1
            try:
                parser.parse_args(argv)
            except SystemExit as exit:
                if exit.code:
                    refused.append(f"{page.name} block {block.number}: glassnet {' '.join(argv)}")
    capsys.readouterr()
    assert seen >= 40 and not refused, refused


def test_a_command_the_parser_refuses_is_found(tmp_path, capsys):
    from glassnet.cli import build_parser

    page = tmp_path / "page.md"
    page.write_text("```sh\nglassnet train --epochz 3   # a typo\n```\n")
    ((_, argv),) = commands(page)
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)


def docstring_examples():
    """The source files whose docstrings hold examples (``>>>``)."""
    return sorted(p for p in (ROOT / "src" / "glassnet").rglob("*.py") if ">>> " in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", docstring_examples(), ids=lambda p: str(p.relative_to(ROOT / "src")))
def test_every_docstring_example_prints_what_it_shows(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dotted = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
    module = importlib.import_module(dotted)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [test for test in finder.find(module) if test.examples]
    assert tests, f"{dotted} shows examples that doctest does not find"
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_one_way_to_install_an_extra_everywhere():
    """glassnet is not on a package registry: `pip install 'glassnet[x]'` would fetch another project."""
    wrong = re.compile(r"pip install ['\"]?glassnet\b")
    places = [*PAGES, *(ROOT / "examples").glob("*.py"),
              *(ROOT / "src" / "glassnet").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in places for n, line in enumerate(p.read_text().splitlines(), 1)
             if wrong.search(line)]
    assert not found, found


def test_the_or_gate_figures_on_the_performance_page_are_the_trace_before_the_step():
    import numpy as np

    import glassnet as gn
    from glassnet.tools.tracing import example

    model, X, y, loss, _ = example("or")
    t = gn.trace(model, X, y, loss, lr=1.0)
    dW, db = np.ravel(t["dW1"]), np.ravel(t["db1"])
    text = " ".join((DOCS / "performance.md").read_text().split())
    assert f"dC/dw = ({dW[0]:.3f}, {dW[1]:.3f}) and dC/db = {db[0]:.3f} at the start" in text


#: a link's target in Markdown: ](path) or ](path#anchor), not an address
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)#\s]+)(?:#[^)\s]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_to_a_file_of_the_repository(page):
    """On a code host the pages are read as they are: the notebooks' links led to docs/notebooks/, which only
    the site has. The API reference is the site's alone, and its link says so."""
    text = page.read_text(encoding="utf-8")
    missing = [target for target in LINK.findall(text)
               if not (page.parent / target).exists() and not target.startswith("reference/")]
    assert missing == []
    assert all("(on the built site)" in line for line in text.splitlines() if "](reference/" in line)
