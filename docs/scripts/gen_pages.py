"""Pages written at build time (mkdocs-gen-files runs this): the API reference, the architecture page and the
notebooks.

* ``reference/*.md``: one page per level of the package, an mkdocstrings entry per public name, and an index
  with every name and its one-line summary. A public name without a summary stops the build.
* ``architecture.md``: the levels, from the same list as the README's table (``tests/levels.py``).
* ``index.md`` and ``developers.md``: README.md and DEVELOPERS.md, with their links made the site's.
* ``notebooks/*.ipynb``: the notebooks as they are stored, outputs and all; mkdocs-jupyter draws them and
  runs nothing.
"""

import importlib
import importlib.util
import inspect
import re
import sys
from collections import defaultdict
from pathlib import Path

import griffe
import mkdocs_gen_files

import glassnet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from api import PAGES, anchors, entries, public_names  # noqa: E402
from griffe_roles import rewrite  # noqa: E402


def load_levels():
    """tests/levels.py, the one list of the package's levels."""
    spec = importlib.util.spec_from_file_location("levels", ROOT / "tests" / "levels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summaries() -> tuple[dict[str, str], set[str]]:
    """Each public name's summary (the first paragraph of its docstring), and the names whose docstring is
    written at import time, which mkdocstrings must read from the live object rather than the source."""
    package = griffe.load("glassnet", search_paths=[str(ROOT / "src")], docstring_parser="numpy",
                          extensions=griffe.load_extensions("griffe_sphinx"))
    found, live, missing, targets = {}, set(), [], anchors()
    for ident in public_names():
        obj = package[ident.removeprefix("glassnet.")]
        text = obj.docstring.value.strip() if obj.docstring else ""
        if not text and ident != "glassnet.__version__":
            owner, name = ident.rsplit(".", 1)
            text = inspect.getdoc(getattr(importlib.import_module(owner), name)) or ""
            live.add(ident)
        if not text and ident != "glassnet.__version__":
            missing.append(ident)
        found[ident] = rewrite(text.split("\n\n")[0].replace("\n", " "), targets)
    if missing:
        raise SystemExit(f"public names without a docstring (the reference needs a summary): {missing}")
    return found, live


def table_cell(text: str) -> str:
    """``text`` for a Markdown table cell: a pipe outside code is escaped, one inside code is left to the table
    extension, which does not split a row inside a code span."""
    pieces = re.split(r"((`+).+?\2)", text)  # code spans at 1, 4, 7, ..., their backtick runs at 2, 5, ...
    return "".join(piece.replace("|", "\\|") if i % 3 == 0 else piece
                   for i, piece in enumerate(pieces) if i % 3 != 2)


def entry_block(entry, live: set[str]) -> str:
    """One mkdocstrings entry, with the anchors of its other public names above it."""
    anchors = "".join(f"[](){{#{alias}}}\n" for alias in entry.aliases)
    options = [] if entry.members else ["members: false"]
    options += ["force_inspection: true"] if entry.ident in live else []
    block = "".join(f"\n      {option}" for option in options)
    return f"{anchors}::: {entry.ident}" + (f"\n    options:{block}" if block else "") + "\n"


def write_reference() -> None:
    summary, live = summaries()
    by_page = defaultdict(list)
    for entry in entries():
        by_page[entry.unit].append(entry)
    index = ["# API reference", "",
             "Every public name of glassnet, with its one-line summary. The names at the top level "
             "(`import glassnet as gn; gn.fit`) are listed first; the sub-packages' names follow on the same "
             "pages. Each page follows one level of the package, from the math up to the front-ends "
             "([how the package is built](../architecture.md)).", "",
             f'<span id="glassnet.__version__"></span>`glassnet.__version__` is the installed version, a string '
             f"(`{glassnet.__version__}` here).", ""]
    for unit, page, title, intro in PAGES:
        if not by_page[unit]:
            continue
        lines = [f"# {title}", "", intro, ""]
        lines += [entry_block(entry, live) for entry in by_page[unit]]
        with mkdocs_gen_files.open(f"reference/{page}.md", "w") as f:
            f.write("\n".join(lines))
        index += [f"## [{title}]({page}.md)", "", "| name | summary |", "|---|---|"]
        for entry in by_page[unit]:
            for ident in (entry.ident, *entry.aliases):
                index.append(f"| [`{ident}`][{ident}] | {table_cell(summary[ident])} |")
        index.append("")
    with mkdocs_gen_files.open("reference/index.md", "w") as f:
        f.write("\n".join(index))


def write_architecture() -> None:
    levels = load_levels()
    lines = ["# How glassnet is built", "",
             "glassnet is a stack of levels. A module imports only from its own level and the levels before it "
             "(above it in this table), so the math never depends on training, and training never on the command "
             "line. "
             "A test reads every import and fails on one that points the other way or closes a cycle; this table "
             "and the README's are written from the same list (`tests/levels.py`).", "",
             levels.levels_table(), "",
             "Each level's public names, in the API reference: " + ", ".join(
                 f"[{title}](reference/{page}.md) (`{unit}`)" for unit, page, title, _ in PAGES) + ".", "",
             "## Where a change goes", "",
             "| the change | level | how |", "|---|---:|---|"]
    for change, unit, how in levels.CHANGES:
        lines.append(f"| {change} | {levels.LEVEL[unit]} | {how} |")
    lines += ["", "The rules every level keeps (samples are rows, one flat parameter vector, results belong to "
              "the caller, one error family, fast code beside its readable twin) are in "
              "[Conventions](conventions.md).", ""]
    with mkdocs_gen_files.open("architecture.md", "w") as f:
        f.write("\n".join(lines))


def write_home() -> None:
    """The README as the home page: one text for the code host and the site, its links made the site's."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = text.replace("](docs/", "](").replace("](DEVELOPERS.md)", "](developers.md)")
    with mkdocs_gen_files.open("index.md", "w") as f:
        f.write(text)


def write_developers() -> None:
    """DEVELOPERS.md, which lives beside the code for those who work on it, as a page of the site too."""
    with mkdocs_gen_files.open("developers.md", "w") as f:
        f.write((ROOT / "DEVELOPERS.md").read_text(encoding="utf-8"))


def write_notebooks() -> None:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        with mkdocs_gen_files.open(f"notebooks/{notebook.name}", "wb") as f:
            f.write(notebook.read_bytes())


write_reference()
write_architecture()
write_notebooks()
write_developers()
write_home()
