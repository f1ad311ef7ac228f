"""Pictures drawn from a few primitives: boxes, text, lines and filled polygons, as SVG or with matplotlib.

The computational graph and the learning curve shown in a notebook are laid
out once, in pixels, and drawn on a canvas. :class:`SvgCanvas` writes SVG
text itself (no library, nothing to install: it displays in Jupyter and opens
in any browser); :class:`MatplotlibCanvas` draws the same primitives with
matplotlib, for PNG files. Coordinates are pixels from the top left.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Protocol

#: fonts a browser looks for, in order
FONTS = "DejaVu Sans Mono, Menlo, Consolas, monospace"
#: the width of one character of the monospaced font, as a fraction of its size
CHAR_WIDTH = 0.61


def text_width(text: str, size: float) -> float:
    """The width in pixels of ``text`` in the monospaced font at ``size`` pixels."""
    return len(text) * size * CHAR_WIDTH


def arrow_head(points: list[tuple[float, float]], length: float = 8.0) -> list[tuple[float, float]]:
    """The triangle at the end of a line through ``points``, pointing along its last segment.

    Parameters
    ----------
    points : list of (x, y)
    length : float

    Returns
    -------
    list of three (x, y)
    """
    (x0, y0), (x1, y1) = points[-2], points[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    left, right = angle + math.radians(155), angle - math.radians(155)
    return [(x1, y1), (x1 + length * math.cos(left), y1 + length * math.sin(left)),
            (x1 + length * math.cos(right), y1 + length * math.sin(right))]


class Canvas(Protocol):
    """What a layout draws on."""

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "none",
             radius: float = 0.0, title: str = "") -> None: ...

    def text(self, x: float, y: float, text: str, size: float = 11.0, anchor: str = "start",
             bold: bool = False, fill: str = "#222") -> None: ...

    def line(self, points: list[tuple[float, float]], stroke: str = "#555", width: float = 1.2,
             arrow: bool = False) -> None: ...

    def polygon(self, points: list[tuple[float, float]], fill: str) -> None: ...


class SvgCanvas:
    """Primitives collected as SVG elements; :meth:`render` gives the document.

    Parameters
    ----------
    width, height : float
        The picture's size in pixels.
    """

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []

    def rect(self, x, y, w, h, fill, stroke="none", radius=0.0, title=""):
        """A box; ``title`` is the tooltip a browser shows over it."""
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:g}" '
                          f'fill="{fill}" stroke="{stroke}">{tip}</rect>')

    def text(self, x, y, text, size=11.0, anchor="start", bold=False, fill="#222"):
        """One line of text, ``y`` its baseline; ``anchor`` is "start", "middle" or "end"."""
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"{weight} '
                          f'fill="{fill}" xml:space="preserve">{escape(text)}</text>')

    def line(self, points, stroke="#555", width=1.2, arrow=False):
        """A line through ``points``, with an arrow head at its end if asked."""
        xy = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(f'<polyline points="{xy}" fill="none" stroke="{stroke}" stroke-width="{width:g}"/>')
        if arrow:
            self.polygon(arrow_head(points), stroke)

    def polygon(self, points, fill):
        """A filled polygon."""
        xy = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(f'<polygon points="{xy}" fill="{fill}"/>')

    def render(self) -> str:
        """The SVG document.

        Returns
        -------
        str
        """
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
                f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family="{FONTS}">')
        background = f'<rect width="{self.width:.0f}" height="{self.height:.0f}" fill="white"/>'
        return "\n".join([head, background, *self.parts, "</svg>"]) + "\n"


class MatplotlibCanvas:
    """The same primitives drawn on a matplotlib figure, one pixel a hundredth of an inch at ``scale`` 1.

    Parameters
    ----------
    width, height : float
    scale : float
        Pixels of the saved picture per pixel of the layout.
    """

    def __init__(self, width: float, height: float, scale: float = 2.0) -> None:
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(width / 100, height / 100), dpi=100 * scale)
        self.ax: Any = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.axis("off")

    def rect(self, x, y, w, h, fill, stroke="none", radius=0.0, title=""):
        """A box (``title`` has no place in a picture)."""
        from matplotlib.patches import FancyBboxPatch

        style = f"round,pad=0,rounding_size={radius}" if radius else "square,pad=0"
        self.ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=style, facecolor=fill,
                                         edgecolor=stroke, linewidth=0.8))

    def text(self, x, y, text, size=11.0, anchor="start", bold=False, fill="#222"):
        """One line of text, ``y`` its baseline."""
        align = {"start": "left", "middle": "center", "end": "right"}[anchor]
        self.ax.text(x, y, text, fontsize=size * 0.72, family="monospace", ha=align, va="baseline", parse_math=False,
                     weight="bold" if bold else "normal", color=fill)

    def line(self, points, stroke="#555", width=1.2, arrow=False):
        """A line through ``points``, with an arrow head at its end if asked."""
        self.ax.plot([p[0] for p in points], [p[1] for p in points], color=stroke, linewidth=width * 0.72)
        if arrow:
            self.polygon(arrow_head(points), stroke)

    def polygon(self, points, fill):
        """A filled polygon."""
        from matplotlib.patches import Polygon

        self.ax.add_patch(Polygon(points, closed=True, facecolor=fill, edgecolor="none"))

    def png(self) -> bytes:
        """The picture as PNG bytes.

        Returns
        -------
        bytes
        """
        import io

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", facecolor="white")
        return buffer.getvalue()


def diverging(value: float, largest: float) -> str:
    """A colour for ``value`` on a blue (negative), white (0), red (positive) scale up to ``largest``.

    Parameters
    ----------
    value, largest : float

    Returns
    -------
    str
        ``#rrggbb``; black for NaN or infinity.
    """
    if not math.isfinite(value):  # NaN or infinity: black, unlike any value on the scale
        return "#000000"
    t = 0.0 if largest <= 0 else max(-1.0, min(1.0, value / largest))
    far = (178, 24, 43) if t > 0 else (33, 102, 172)
    r, g, b = (round(255 + abs(t) * (c - 255)) for c in far)
    return f"#{r:02x}{g:02x}{b:02x}"
