"""Stride-1 convolutions on a grid of images that share their padding: im2col in a few block copies.

im2col (:mod:`glassnet.ops.im2col`) copies each window's pixels row by row: runs of ``ow`` numbers,
14 on MNIST's second layer, so most of its time goes to starting copies. Lay the batch out instead
as one long row per channel, each image's rows one after the other, with a few zeros after every
row and a few rows of zeros after every image, and give the output the same layout. Then, with
stride 1, kernel entry ``(i, j)`` meets the pixel ``i`` rows down and ``j`` columns right of every
output position: one fixed shift along that long row. Its slice of every window is one contiguous
block, and im2col is ``kh * kw`` block copies.

The zeros are shared: the zeros after a row are the right padding of that row and the left padding
of the next, and the zero rows after an image are the bottom padding of that image and the top
padding of the next. So the grid is no larger than the padded images, and the output grid holds a
few positions that are no window's (in the zeros' columns and rows); the layer drops them from its
output and gives them a zero gradient, so they add nothing to the gradients.

The gradient with respect to the input is the adjoint: each kernel entry's block added back at its
shift. :func:`add_input_gradient` does it without the ``(kh * kw * c)``-row matrix of column
gradients that col2im needs, adding ``K[i, j].T @ G`` into the shifted block of the input's
gradient directly (:func:`glassnet.ops._blas.add_product`, one BLAS call each);
:func:`col2im_grid` is its plain twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.arrays import namespace
from . import _blas

Array = Any


@dataclass(frozen=True)
class Grid:
    """Where a batch's pixels and windows lie on the shared-padding grid.

    Parameters
    ----------
    h, w : int
        The images' rows and columns (unpadded).
    top, left : int
        The padding above and left of each image.
    row : int
        Entries from one image row to the next: ``w`` plus the larger of the left and right padding.
    image : int
        Entries from one image to the next: ``h`` plus the larger of the top and bottom padding, in rows.
    oh, ow : int
        The windows per column and per row.
    kernel : (int, int)
    """

    h: int
    w: int
    top: int
    left: int
    row: int
    image: int
    oh: int
    ow: int
    kernel: tuple[int, int]

    def shifts(self) -> list[int]:
        """How far along the grid kernel entry ``(i, j)`` lies from its window's position, in reading order."""
        kh, kw = self.kernel
        return [i * self.row + j for i in range(kh) for j in range(kw)]

    def positions(self, n: int) -> int:
        """The output grid's length for ``n`` images: every window's position and the few that are none.

        Parameters
        ----------
        n : int
            How many images the grid holds.

        Returns
        -------
        int
            ``n`` times one image's block of the grid.
        """
        return n * self.image

    def length(self, n: int) -> int:
        """The input grid's length: the positions, then the reach of the last kernel entry.

        Parameters
        ----------
        n : int
            How many images the grid holds.

        Returns
        -------
        int
            ``positions(n)`` and the shift of the kernel's last entry, so every window reads inside the grid.
        """
        return self.positions(n) + self.shifts()[-1]


def grid_for(size: tuple[int, int], pads: tuple[int, int, int, int], kernel: tuple[int, int]) -> Grid | None:
    """The grid of stride-1 windows over images of ``size``, or None where the padding is wider than a kernel.

    Padding of ``kh - 1`` rows or more on both the top and the bottom (or ``kw - 1`` columns on both
    sides) would give the windows more rows (columns) than a shared-padding image holds.

    Parameters
    ----------
    size : (h, w)
    pads : (top, bottom, left, right)
    kernel : (kh, kw)

    Returns
    -------
    Grid or None
    """
    (h, w), (top, bottom, left, right), (kh, kw) = size, pads, kernel
    if min(top, bottom) > kh - 1 or min(left, right) > kw - 1:
        return None
    row = w + max(left, right)
    return Grid(h=h, w=w, top=top, left=left, row=row, image=(h + max(top, bottom)) * row,
                oh=h + top + bottom - kh + 1, ow=w + left + right - kw + 1, kernel=kernel)


def pixels(a: Array, g: Grid, n: int) -> Array:
    """The view of an input grid ``(c, length)`` that holds the pixels, as ``(c, n, h, w)``.

    Parameters
    ----------
    a : array, shape (c, g.length(n))
        An input grid.
    g : Grid
        Where the pixels lie.
    n : int
        How many images the grid holds.

    Returns
    -------
    array, shape (c, n, h, w)
        A view of ``a`` (no copy): writing to it writes to the grid.
    """
    return _images(a, g, n)[:, :, g.top:g.top + g.h, g.left:g.left + g.w]


def windows(a: Array, g: Grid, n: int) -> Array:
    """The view of an output grid ``(c, positions)`` that holds the windows, as ``(c, n, oh, ow)``.

    Parameters
    ----------
    a : array, shape (c, g.positions(n))
        An output grid, contiguous.
    g : Grid
        Where the windows lie.
    n : int
        How many images the grid holds.

    Returns
    -------
    array, shape (c, n, oh, ow)
        A view of ``a``; the positions that are no window are left out.
    """
    return _images(a, g, n)[:, :, :g.oh, :g.ow]


def to_grid(x: Array, g: Grid, out: Array) -> Array:
    """Images ``(n, c, h, w)`` written onto an input grid ``(c, g.length(n))``, zeros everywhere else.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    g : Grid
    out : array, shape (c, g.length(n))

    Returns
    -------
    array
        ``out``.
    """
    return _place(x, g, g.top, g.left, out)


def to_windows(grad: Array, g: Grid, out: Array) -> Array:
    """Values per window ``(n, c, oh, ow)`` written onto an output grid ``(c, g.positions(n))``, zeros elsewhere.

    Parameters
    ----------
    grad : array, shape (n, c, oh, ow)
    g : Grid
    out : array, shape (c, g.positions(n))

    Returns
    -------
    array
        ``out``.
    """
    return _place(grad, g, 0, 0, out)


def _place(v: Array, g: Grid, top: int, left: int, out: Array) -> Array:
    """``v`` (samples first) written into each image's block of ``out`` from row ``top`` and column ``left``;
    every other entry of ``out`` set to zero, each entry written once."""
    n, _, h, w = v.shape
    m = g.positions(n)
    blocks = _images(out, g, n)
    blocks[:, :, :top] = 0
    blocks[:, :, top + h:] = 0
    rows = blocks[:, :, top:top + h]
    rows[:, :, :, :left] = 0
    rows[:, :, :, left + w:] = 0
    rows[:, :, :, left:left + w] = v.transpose(1, 0, 2, 3)
    out[:, m:] = 0
    return out


def _images(a: Array, g: Grid, n: int) -> Array:
    """The first ``g.positions(n)`` entries of a grid ``(c, ...)`` as each image's block: ``(c, n, rows, g.row)``."""
    return a[:, :g.positions(n)].reshape(a.shape[0], n, g.image // g.row, g.row)


def im2col_grid(a: Array, g: Grid, n: int, out: Array | None = None) -> Array:
    """Every window of an input grid as a column: kernel entry ``(i, j)``'s block is the grid shifted.

    Parameters
    ----------
    a : array, shape (c, g.length(n))
    g : Grid
    n : int
    out : array, shape (kh * kw * c, g.positions(n)), optional

    Returns
    -------
    array, shape (kh * kw * c, g.positions(n))
        Rows by kernel row, kernel column and channel, as :func:`glassnet.ops.im2col.kernel_matrix`
        lays out the weights; a column per position of the output grid.
    """
    c, m = a.shape[0], g.positions(n)
    if out is None:
        out = namespace(a).empty((len(g.shifts()) * c, m), dtype=a.dtype)
    for k, shift in enumerate(g.shifts()):
        out[k * c:(k + 1) * c] = a[:, shift:shift + m]
    return out


def col2im_grid(dcols: Array, g: Grid, n: int, out: Array | None = None) -> Array:
    """The adjoint of :func:`im2col_grid`: each kernel entry's block added back at its shift.

    Parameters
    ----------
    dcols : array, shape (kh * kw * c, g.positions(n))
    g : Grid
    n : int
    out : array, shape (c, g.length(n)), optional

    Returns
    -------
    array, shape (c, g.length(n))
    """
    c, m = dcols.shape[0] // len(g.shifts()), g.positions(n)
    if out is None:
        out = namespace(dcols).empty((c, g.length(n)), dtype=dcols.dtype)
    out[...] = 0
    for k, shift in enumerate(g.shifts()):
        out[:, shift:shift + m] += dcols[k * c:(k + 1) * c]
    return out


def add_shifted_products(taps: Array, a: Array, g: Grid, n: int, out: Array) -> Array:
    """``K @ im2col_grid(a)`` without the columns: each kernel entry's ``K[i, j] @`` shifted grid, added up.

    Where no gradient is needed (a pass that is not training), this skips the column matrix, which is
    ``kh * kw`` times the input's size.

    Parameters
    ----------
    taps : array, shape (kh, kw, out_channels, in_channels)
        The weights, one ``(out, in)`` matrix per kernel entry.
    a : array, shape (in_channels, g.length(n))
        The input grid.
    g : Grid
    n : int
    out : array, shape (out_channels, g.positions(n))
        Receives the output grid.

    Returns
    -------
    array
        ``out``.
    """
    kh, kw = g.kernel
    m = g.positions(n)
    out[...] = 0
    for k, shift in enumerate(g.shifts()):
        _blas.add_product(taps[k // kw, k % kw], a[:, shift:shift + m], out)
    return out


def add_input_gradient(taps: Array, grad: Array, g: Grid, n: int, out: Array) -> Array:
    """``col2im_grid(K.T @ G)`` without the matrix ``K.T @ G``: ``K[i, j].T @ G`` added at each shift.

    Parameters
    ----------
    taps : array, shape (kh, kw, in_channels, out_channels)
        The weights transposed, one ``(in, out)`` matrix per kernel entry.
    grad : array, shape (out_channels, g.positions(n))
        ``dC/dZ`` on the output grid, zero at the positions that are no window.
    g : Grid
    n : int
    out : array, shape (in_channels, g.length(n))
        Receives ``dC/dX`` on the input grid.

    Returns
    -------
    array
        ``out``.
    """
    kh, kw = g.kernel
    m = g.positions(n)
    out[...] = 0
    for k, shift in enumerate(g.shifts()):
        _blas.add_product(taps[k // kw, k % kw], grad, out[:, shift:shift + m])
    return out
