"""The documentation site: it builds strictly and offline, and its reference covers every public name.

The site is built once per session, as `make docs` builds it (``mkdocs build --strict``), into a temporary
folder; the tests then read the HTML the way a browser would get it.
"""

import html
import importlib
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import glassnet as gn

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ["nn", "losses", "optim", "io", "datasets", "training", "playground", "sklearn", "web"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f",
                           str(ROOT / "mkdocs.yml"), "-d", str(out / "site")],
                          cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out / "site"


def public_names() -> list[str]:
    """glassnet.__all__ and each public sub-package's __all__, as the issue defines the reference's scope."""
    names = [f"glassnet.{name}" for name in gn.__all__]
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"glassnet.{sub}")
        names += [f"glassnet.{sub}.{name}" for name in module.__all__]
    return names


def test_every_public_sub_package_is_covered():
    """A sub-package with an __all__ of its own is public: the reference must take it in."""
    with_all = {path.parent.name for path in (ROOT / "src" / "glassnet").glob("*/__init__.py")
                if "__all__" in path.read_text(encoding="utf-8")}
    assert with_all == set(SUBPACKAGES)


def test_every_public_name_has_an_anchor_on_a_reference_page(site):
    ids = set()
    for page in (site / "reference").rglob("*.html"):
        ids |= set(re.findall(r'\bid="(glassnet[^"]*)"', page.read_text(encoding="utf-8")))
    missing = [name for name in public_names() if name not in ids]
    assert not missing, missing


def test_the_reference_index_lists_every_name_with_its_summary(site):
    text = (site / "reference" / "index.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<tr>\s*<td><a [^>]*href="([^"]+)"[^>]*><code>(glassnet[^<]*)</code></a></td>', text))
    linked = {name: href for href, name in rows.items()}
    for name in public_names():
        if name == "glassnet.__version__":
            assert 'id="glassnet.__version__"' in text and gn.__version__ in text
            continue
        assert name in linked, f"{name} has no row in the reference index"
        assert linked[name].endswith(f"#{name}"), (name, linked[name])
        owner, attr = name.rsplit(".", 1)
        obj = getattr(importlib.import_module(owner), attr)
        start = re.search(rf"<tr>\s*<td><a [^>]*><code>{re.escape(name)}</code></a></td>", text)  # its own row,
        row = text[start.end():]  # not another summary's link to it
        summary = html.unescape(re.sub(r"<[^>]+>", "", row[:row.index("</tr>")])).strip()
        assert summary, f"{name} has no summary"
        if isinstance(obj, (type, types.FunctionType, types.ModuleType)) and obj.__name__.endswith(attr):
            first = " ".join(inspect.getdoc(obj).split("\n\n")[0].split())
            words = re.sub(r"`|:\w+:|~[\w.]+\.", "", first).split()[:4]  # roles and ~ shown as the site shows them
            assert summary.split()[:4] == words, (name, summary, first)


def test_no_page_loads_anything_from_elsewhere(site):
    """Fonts, scripts, styles, pictures and frames all come from the site: it reads offline."""
    remote = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"'
                        r'|@import\s+url\(["\']?(?:https?:)?//|import\(["\'](?:https?:)?//', re.I)
    found = [f"{path.relative_to(site)}: {match.group(0)[:100]}"
             for path in [*site.rglob("*.html"), *site.rglob("*.css"), *site.rglob("*.js")]
             for match in remote.finditer(path.read_text(encoding="utf-8", errors="replace"))]
    assert not found, found[:10]


def test_the_notebooks_are_pages_with_their_stored_outputs(site):
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = (site / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")
        assert "jp-OutputArea" in text and "jp-InputArea" in text, notebook.name
    graph = (site / "notebooks" / "04_computational_graph" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in graph and 'src="data:image/png;base64,' in graph  # the graph drawn, and a plot


def test_the_architecture_page_is_the_levels_list(site):
    from levels import LEVELS

    text = html.unescape(re.sub(r"<[^>]+>", "", (site / "architecture" / "index.html").read_text(encoding="utf-8")))
    for _, what in LEVELS:
        assert re.sub(r"`", "", what) in text


def test_every_guide_in_docs_is_in_the_navigation(site):
    """A Markdown page left out of the navigation would be built but found by no one."""
    index = (site / "index.html").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        assert f'href="{page.stem}/"' in index, f"docs/{page.name} is not in mkdocs.yml's nav"


def test_the_build_is_strict_and_offline_by_configuration():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^strict: true$", config, re.M)
    assert re.search(r"^\s+font: false", config, re.M)
    for check in ("omitted_files", "absolute_links", "unrecognized_links", "anchors"):
        assert re.search(rf"^\s+{check}: warn$", config, re.M), check


def test_docstring_roles_become_links_or_code():
    sys.path.insert(0, str(ROOT / "docs" / "scripts"))
    try:
        from griffe_roles import rewrite
    finally:
        sys.path.remove(str(ROOT / "docs" / "scripts"))
    targets = {"glassnet.fit", "glassnet.nn.Stack"}
    assert rewrite("see :func:`glassnet.fit` and :func:`fit`", targets) == \
        "see [`glassnet.fit`][glassnet.fit] and [`fit`][glassnet.fit]"
    assert rewrite(":class:`~glassnet.nn.Stack`, :meth:`Layer.forward`, :mod:`glassnet.ops._blas`", targets) == \
        "[`Stack`][glassnet.nn.Stack], `Layer.forward`, `glassnet.ops._blas`"
