"""Fonts for the text of glassnet's pictures: class names in any script, or one clear warning.

matplotlib draws text in DejaVu Sans, which has no Chinese, Japanese or Korean characters, among others.
Class names such as a folder called 猫 then came out as empty boxes, every class alike, with one warning
per character from deep inside matplotlib. Before a picture is drawn, :func:`cover_missing_glyphs` looks
for the characters a text's font lacks and gives that text a second font, installed on this machine, that
has them all: matplotlib then takes each character it lacks from the second font. Where no installed font
has them, the picture is drawn as before and one warning names the characters and a font to install.
"""

from __future__ import annotations

import functools
from typing import Any

from ..core.warn import warn_user

#: the warning matplotlib gives once per character a font lacks, silenced where glassnet draws
GLYPH_WARNING = r"Glyph \d+ .* missing from font"
#: an OpenType font holds at most 65,535 glyphs: one that maps more code points than that (Debian's
#: "Last Resort" maps all 1,114,112) draws placeholders, one per Unicode block, and is never a fallback
MOST_GLYPHS = 65535


@functools.cache
def _characters(path: str) -> frozenset[int]:
    """The code points the font file at ``path`` has glyphs for (empty where it cannot be read)."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _fallback(wanted: set[int]) -> str | None:
    """The family name of an installed font that has every code point of ``wanted``, or None.

    matplotlib's list of fonts is made once and cached on disk, so a font installed since is looked for
    among the system's font files too, and added to the list when it is the one.
    """
    from matplotlib.font_manager import findSystemFonts, fontManager

    for entry in fontManager.ttflist:
        has = _characters(entry.fname)
        if len(has) <= MOST_GLYPHS and wanted <= has:
            return entry.name
    known = {entry.fname for entry in fontManager.ttflist}
    for path in sorted(set(findSystemFonts()) - known):
        has = _characters(path)
        if len(has) <= MOST_GLYPHS and wanted <= has:
            fontManager.addfont(path)
            return fontManager.ttflist[-1].name
    return None


def cover_missing_glyphs(fig: Any) -> str:
    """Give each text of ``fig`` whose font lacks some of its characters fonts that have them.

    One installed font with all of a text's missing characters, else one for each character. One warning
    names the characters no installed font has and a font to install; draw the figure with
    :data:`GLYPH_WARNING` ignored, so that matplotlib does not warn again for each of them. A figure drawn
    twice is given each font once.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
        The characters no installed font has, in the order met ("" when every one can be drawn).
    """
    from matplotlib.font_manager import findfont
    from matplotlib.text import Text

    lacking: dict[Any, set[int]] = {}
    for text in fig.findobj(Text):
        content = text.get_text()
        if not content or text.get_usetex() or "$" in content:  # TeX and mathtext bring their own fonts
            continue
        have = _characters(findfont(text.get_fontproperties()))
        missing = {ord(c) for c in content if c.isprintable() and not c.isspace() and ord(c) not in have}
        if missing:
            lacking[text] = missing
    unknown: dict[str, None] = {}  # in the order met
    for text, missing in lacking.items():
        whole = _fallback(missing)  # one font for all of this text's characters, else one for each
        found = [whole] if whole else [_fallback({c}) for c in sorted(missing)]
        unknown.update((chr(c), None) for c, family in zip(sorted(missing), found) if not whole and family is None)
        families = text.get_fontfamily()
        text.set_fontfamily([*families, *dict.fromkeys(f for f in found if f and f not in families)])
    if not unknown:
        return ""
    unknown_text = "".join(unknown)
    warn_user(f"no font installed here has the characters {unknown_text!r} of this picture's text: they show as "
              "empty boxes. Install a font that has them (for Chinese, Japanese or Korean, Noto Sans CJK: the "
              "fonts-noto-cjk package on Debian and Ubuntu) and draw the picture again")
    return unknown_text


__all__ = ["GLYPH_WARNING", "cover_missing_glyphs"]
