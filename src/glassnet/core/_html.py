"""Small HTML tables for the way objects show themselves in Jupyter (``_repr_html_``), and formulas typeset.

Every cell is escaped; a table carries its own inline style, so it reads the
same in JupyterLab, the classic notebook and a code host's static view of a
stored notebook, where no style sheet of ours is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

TABLE = "border-collapse:collapse;font-family:monospace;font-size:12px;margin:4px 0"
CELL = "border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top"
BAD = "background:#fbe0e0;color:#a00;font-weight:bold"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str = "",
          marked: Sequence[bool] = (), raw_columns: Sequence[int] = ()) -> str:
    """An HTML table.

    Parameters
    ----------
    header : list of str
    rows : list of lists of str
    caption : str
        A line above the table.
    marked : list of bool
        Rows to mark as failures (red), by position.
    raw_columns : list of int
        Columns whose cells are HTML already (not escaped).

    Returns
    -------
    str
    """
    head = "".join(f'<th style="{CELL};background:#f3f3f3">{escape(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        style = f' style="{BAD}"' if i < len(marked) and marked[i] else ""
        cells = "".join(f'<td style="{CELL}">{c if j in raw_columns else escape(c)}</td>' for j, c in enumerate(row))
        body.append(f"<tr{style}>{cells}</tr>")
    top = f'<caption style="text-align:left;font-weight:bold;padding:2px 0">{escape(caption)}</caption>' \
        if caption else ""
    return f'<table style="{TABLE}">{top}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def pre(text: str) -> str:
    """``text`` as preformatted, escaped HTML."""
    return f'<pre style="margin:0;font-size:11px">{escape(text)}</pre>'


def typeset(formula: str) -> str:
    """A trace formula as HTML: subscript layer numbers, superscript powers and transposes, ``·`` for the
    matrix product, ``∘`` for the element-wise one and ``×`` for a number times an array.

    Parameters
    ----------
    formula : str

    Returns
    -------
    str
    """
    text = escape(formula, quote=False)
    text = re.sub(r"\*\*(\w+|\([^)]*\))", r"<sup>\1</sup>", text)
    text = re.sub(r"(\w)\.T\b", r"\1<sup>T</sup>", text)
    text = re.sub(r"\b(d?(?:[A-Z][A-Za-z]?|b|gamma|beta))(\d+[a-z]?)('?)(?![A-Za-z0-9])", r"<i>\1</i><sub>\2</sub>\3",
                  text)  # W1, dZ2 and also the lower-case parameters b1, dgamma2 (which read "+ b1" beside "W₁")
    text = re.sub(r"(\d) \* ", r"\1 × ", text).replace(" * ", " ∘ ").replace(" @ ", " · ")
    return text.replace("sum(", "Σ(").replace("sum of", "Σ of")
