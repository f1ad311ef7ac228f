"""A griffe extension: the docstrings' Sphinx roles (``:class:`Dense```) become Markdown for the site.

glassnet's docstrings are numpydoc, read in a terminal with ``help()`` as often as on the site, so they
keep the roles. Here a role whose target has an entry in the reference becomes a cross-reference
(``[`Dense`][glassnet.Dense]``); any other becomes code. ``~`` shows the last part of the name only,
as in Sphinx.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import griffe

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import anchors  # noqa: E402

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")


def rewrite(text: str, targets: set[str] | frozenset[str]) -> str:
    """``text`` with each role replaced by a cross-reference where its target is in ``targets``, else code."""

    def one(match: re.Match) -> str:
        short, name = match.group(1), match.group(2).strip().removesuffix("()")
        shown = name.rsplit(".", 1)[-1] if short else name
        for target in (name, f"glassnet.{name}"):
            if target in targets:
                return f"[`{shown}`][{target}]"
        return f"`{shown}`"

    return ROLE.sub(one, text)


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring's roles once, as griffe loads the package."""

    def __init__(self) -> None:
        self.targets = anchors()

    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value, self.targets)
