"""Where each node of a computational graph goes, and how it is drawn.

The operations of the pass form a chain that reads left to right: the input,
each product, bias add and activation, the cost. Each parameter sits above the
operation that uses it and the targets above the cost, so every edge is a
short horizontal or downward line and none crosses another. An L2 term is a
branch: the weights also feed the penalty, along a line above every box, and
the penalty joins the cost in the total ``J``.

Small arrays are written out in full; an array of more than
:data:`NUMBERS_UP_TO` entries is summarized by its shape, norm and range and
a heat strip of some of its values, taken evenly through it (blue negative,
white zero, red positive).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._svg import Canvas, diverging, text_width

#: arrays with at most this many entries (and at most two axes) are written out in full: the tutorial's
#: worked example has five samples of five hidden units
NUMBERS_UP_TO = 30
#: numbers on one line of a box: wider matrices are summarized, longer vectors wrapped
ROW_UP_TO = 6
#: cells of a heat strip, each one of the array's values, taken evenly through it (means of runs of them hid
#: their signs: a gradient half of whose entries are negative had every run's mean positive, a strip all red)
STRIP_CELLS = 24
SIZE, LINE, PAD, CELL, STRIP_H = 11.0, 14.0, 8.0, 7.0, 10.0
MARGIN, TITLE_H, BUS_H, ROW_GAP, MIN_GAP = 16.0, 26.0, 22.0, 46.0, 44.0
FILL = {"input": "#e3eefa", "param": "#fff1d6", "op": "#e6f4e6", "target": "#eeeeee", "loss": "#fbe0e0",
        "penalty": "#efe3f8"}
Box = tuple[float, float, float, float]  # x, y, width, height


def number(v: float) -> str:
    """A value in at most ten characters: four decimals, or an exponent when far from 1.

    Parameters
    ----------
    v : float

    Returns
    -------
    str
    """
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return f"{v:g}"
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def shape_of(value: Any) -> str:
    """``(4, 2)`` for an array, ``scalar`` for a number.

    Parameters
    ----------
    value : float or array

    Returns
    -------
    str
    """
    return "scalar" if np.ndim(value) == 0 else str(tuple(np.shape(value)))


def written_out(value: Any) -> bool:
    """Whether ``value`` is shown as its numbers rather than a summary.

    Parameters
    ----------
    value : float or array

    Returns
    -------
    bool
    """
    shape = np.shape(value)
    return len(shape) <= 2 and np.size(value) <= NUMBERS_UP_TO and (len(shape) < 2 or shape[1] <= ROW_UP_TO)


def items(label: str, value: Any) -> list[tuple[str, Any]]:
    """What a box shows of one array: ("text", line) and ("strip", cell values) items.

    Parameters
    ----------
    label : str
        "value" or "grad".
    value : float, array or None

    Returns
    -------
    list of (kind, content)
    """
    if value is None:
        return [("text", f"{label}: none (data)")]
    if np.ndim(value) == 0:
        return [("text", f"{label} {number(float(value))}")]
    a = np.asarray(value, dtype=np.float64)
    if written_out(a):
        rows = a if a.ndim == 2 else [a[i:i + ROW_UP_TO] for i in range(0, a.size, ROW_UP_TO)]  # vectors wrap
        # one format for the whole array, as the text trace writes it: whole numbers (labels, one-hot rows),
        # four decimals for an array of values up to 10^4 whose largest reaches 10^-3 (one entry of 1e-4
        # among them is 0.0001, not a reason to write them all with exponents), or exponents
        largest = float(np.abs(a).max()) if np.isfinite(a).all() else np.inf
        fmt = "{:.0f}" if largest < 1e6 and np.all(a == np.round(a)) else \
            "{:.4f}" if 1e-3 <= largest < 1e4 else "{:.2e}"
        cells = [[fmt.format(v + 0.0) for v in row] for row in rows]
        width = max(len(c) for row in cells for c in row)
        return [("text", f"{label}:")] + [("text", " [" + " ".join(c.rjust(width) for c in row) + "]")
                                          for row in cells]
    finite = a[np.isfinite(a)]
    low, high = (finite.min(), finite.max()) if finite.size else (np.nan, np.nan)
    flat = a.ravel()  # NaN and infinity are drawn black
    taken = [float(flat[i]) for i in np.linspace(0, flat.size - 1, min(STRIP_CELLS, flat.size)).astype(np.intp)]
    lines = [("text", f"{label}: norm {number(float(np.linalg.norm(finite)))}"),
             ("text", f" range [{number(float(low))}, {number(float(high))}]")]
    if finite.size < a.size:  # the norm and the range above are of the finite values: say what else there is
        nan = int(np.isnan(a).sum())
        lines.append(("text", f" and {nan} NaN, {a.size - finite.size - nan} infinite"))
    return lines + [("strip", taken)]


def content(node: Any) -> list[tuple[str, Any]]:
    """Everything a node's box shows, top to bottom.

    Parameters
    ----------
    node : glassnet.tools.graph.Node

    Returns
    -------
    list of (kind, content)
        Its title, then :func:`items` of its value and of its gradient.
    """
    return [("title", node.title)] + items("value", node.value) + ([] if node.kind == "target" and node.grad is None
                                                                    else items("grad", node.grad))


def box_size(node: Any) -> tuple[float, float]:
    """The width and height of a node's box.

    Parameters
    ----------
    node : glassnet.tools.graph.Node

    Returns
    -------
    (float, float)
    """
    width, height = 0.0, 2 * PAD
    for kind, what in content(node):
        if kind == "strip":
            width, height = max(width, len(what) * CELL), height + STRIP_H + 4
        else:
            width, height = max(width, text_width(what, SIZE)), height + LINE
    return max(width + 2 * PAD, 80.0), height


def layout(graph: Any) -> tuple[dict[str, Box], tuple[float, float]]:
    """Each node's box, and the picture's size.

    Parameters
    ----------
    graph : glassnet.tools.graph.Graph

    Returns
    -------
    boxes : dict of key to (x, y, width, height)
    size : (width, height)
    """
    sizes = {n.key: box_size(n) for n in graph.nodes}
    chain = [n for n in graph.nodes if n.kind in ("input", "op", "loss")]
    column = {n.key: i for i, n in enumerate(chain)}
    above: list[list[Any]] = [[] for _ in chain]
    for n in graph.nodes:
        if n.key not in column:  # a parameter, the targets or the penalty: above the first chain node it feeds
            user = next(c for c in chain if n.key in c.inputs)
            above[column[user.key]].append(n)
    widths = [max(sizes[c.key][0], sum(sizes[a.key][0] for a in above[i]) + 12 * max(0, len(above[i]) - 1))
              for i, c in enumerate(chain)]
    gaps = [max(MIN_GAP, text_width(shape_of(c.value), SIZE - 1) + 24) for c in chain[:-1]]
    bus = any(n.kind == "penalty" for n in graph.nodes)
    top = MARGIN + TITLE_H + (BUS_H if bus else 0)
    top_h = max((sizes[a.key][1] for row in above for a in row), default=0.0)
    chain_top = top + top_h + ROW_GAP if top_h else top
    chain_h = max(sizes[c.key][1] for c in chain)
    boxes: dict[str, Box] = {}
    x = MARGIN
    for i, c in enumerate(chain):
        w, h = sizes[c.key]
        boxes[c.key] = (x + (widths[i] - w) / 2, chain_top + (chain_h - h) / 2, w, h)
        group = sum(sizes[a.key][0] for a in above[i]) + 12 * max(0, len(above[i]) - 1)
        ax = x + (widths[i] - group) / 2
        for a in above[i]:
            aw, ah = sizes[a.key]
            boxes[a.key] = (ax, top + top_h - ah, aw, ah)
            ax += aw + 12
        x += widths[i] + (gaps[i] if i < len(gaps) else 0)
    title_w = text_width(graph.title, 13.0) + 2 * MARGIN
    return boxes, (max(x + MARGIN, title_w), chain_top + chain_h + MARGIN)


def draw(graph: Any, boxes: dict[str, Box], canvas: Canvas) -> None:
    """Draw the laid-out graph: its title, its edges with their shapes, then its boxes.

    Parameters
    ----------
    graph : glassnet.tools.graph.Graph
    boxes : dict
        As :func:`layout` returned them.
    canvas : Canvas
    """
    canvas.text(MARGIN, MARGIN + 13, graph.title, size=13.0, bold=True)
    nodes = {n.key: n for n in graph.nodes}
    bus_y = MARGIN + TITLE_H + BUS_H / 2
    for target in graph.nodes:
        tx, ty, tw, th = boxes[target.key]
        for key in target.inputs:
            sx, sy, sw, sh = boxes[key]
            label = shape_of(nodes[key].value)
            if target.kind == "penalty":  # a weight also feeds the penalty, along the line above the boxes
                canvas.line([(sx + sw / 2, sy), (sx + sw / 2, bus_y), (tx + tw / 2, bus_y), (tx + tw / 2, ty)],
                            stroke="#8a63b8", arrow=True)
            elif abs((sy + sh / 2) - (ty + th / 2)) < 1 and sx < tx:  # along the chain
                y = ty + th / 2
                canvas.line([(sx + sw, y), (tx, y)], arrow=True)
                canvas.text((sx + sw + tx) / 2, y - 5, label, size=SIZE - 1, anchor="middle", fill="#555")
            else:  # from above into the operation that uses it
                start = (sx + sw / 2, sy + sh)
                end = (min(max(start[0], tx + 10), tx + tw - 10), ty)
                canvas.line([start, end], arrow=True)
                canvas.text((start[0] + end[0]) / 2 + 5, (start[1] + end[1]) / 2 + 4, label, size=SIZE - 1,
                            fill="#555")
    for node in graph.nodes:
        x, y, w, h = boxes[node.key]
        canvas.rect(x, y, w, h, FILL[node.kind], stroke="#8c8c8c", radius=6, title=node.title)
        line_y = y + PAD
        for kind, what in content(node):
            if kind == "strip":
                largest = max((abs(v) for v in what if np.isfinite(v)), default=0.0)
                for j, v in enumerate(what):
                    canvas.rect(x + PAD + j * CELL, line_y + 2, CELL, STRIP_H, diverging(v, largest))
                canvas.rect(x + PAD, line_y + 2, len(what) * CELL, STRIP_H, "none", stroke="#b0b0b0")
                line_y += STRIP_H + 4
            else:
                canvas.text(x + PAD, line_y + LINE - 3, what, size=SIZE, bold=kind == "title")
                line_y += LINE
