"""im2col with samples first: each picture's windows as the columns of its own matrix.

:mod:`glassnet.ops.im2col` lays a batch out channels first, ``(c, n, h, w)``,
so that one product ``K @ cols`` serves the whole batch. Its result is then
``(out_channels, n, oh, ow)``, and the layer turns it into its output
``(n, out_channels, oh, ow)`` with a copy; the backward pass turns the
gradient back the same way. When the input has few channels (a picture's
one or three) each column holds only ``kh * kw * c`` numbers, the product
does little work per number it writes, and those two copies cost more than
the product itself.

Here each sample keeps its own matrix, ``cols[s]`` of shape
``(kh * kw * c, oh * ow)``, and ``K @ cols[s]`` (NumPy's ``matmul`` over the
stack) is sample ``s``'s output already in place: ``(out_channels, oh * ow)``.
The rows of ``cols[s]`` run over kernel row, kernel column and channel, as in
:func:`glassnet.ops.im2col.kernel_matrix`, so the kernels are the same matrix
``K`` in both layouts. :class:`glassnet.Conv2D` takes this layout on NumPy
for inputs of at most three channels whose pictures hold at least as many
windows as a window holds numbers (see its Notes for the measurements).
"""

from __future__ import annotations

from typing import Any

from ..core.arrays import namespace
from .im2col import _gather, _padded, _scatter, output_size

Array = Any
Pads = tuple[int, int, int, int]  # top, bottom, left, right


def pad_samples(x: Array, pads: Pads, out: Array | None = None) -> Array:
    """``x`` with zeros around each image, samples still first.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    pads : (top, bottom, left, right)
    out : array, optional
        Of the result's shape and ``x``'s dtype.

    Returns
    -------
    array, shape (n, c, h + top + bottom, w + left + right)
    """
    return _padded(x, pads, out)


def im2col_samples(xpad: Array, kernel: tuple[int, int], stride: tuple[int, int], out: Array | None = None) -> Array:
    """Every window of each padded image as a column of that image's own matrix.

    Parameters
    ----------
    xpad : array, shape (n, c, H, W)
        From :func:`pad_samples`.
    kernel, stride : (int, int)
    out : array, optional
        Of the result's shape and ``xpad``'s dtype.

    Returns
    -------
    array, shape (n, kh * kw * c, oh * ow)
        ``cols[s]`` column ``(y, x)`` holds the window of image ``s`` whose
        top-left corner is at ``(y * sh, x * sw)``; row ``(i, j, ch)`` the pixel
        at kernel entry ``(i, j)`` of channel ``ch``.
    """
    xp = namespace(xpad)
    n, c, h, w = xpad.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if out is None:
        out = xp.empty((n, kh * kw * c, oh * ow), dtype=xpad.dtype)
    _gather(xpad, kernel, stride, out.reshape(n, kh, kw, c, oh, ow).transpose(1, 2, 0, 3, 4, 5))  # a view
    return out


def col2im_samples(dcols: Array, padded_shape: tuple[int, int, int, int], kernel: tuple[int, int],
                   stride: tuple[int, int], out: Array | None = None) -> Array:
    """The adjoint of :func:`im2col_samples`: each column's values added back onto its window's pixels.

    Parameters
    ----------
    dcols : array, shape (n, kh * kw * c, oh * ow)
    padded_shape : (n, c, H, W)
    kernel, stride : (int, int)
    out : array, optional
        Of ``padded_shape`` and ``dcols``'s dtype.

    Returns
    -------
    array of ``padded_shape``
        Where windows overlap, their contributions add up.
    """
    xp = namespace(dcols)
    n, c, h, w = padded_shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if out is None:
        out = xp.empty(padded_shape, dtype=dcols.dtype)
    _scatter(dcols.reshape(n, kh, kw, c, oh, ow).transpose(1, 2, 0, 3, 4, 5), kernel, stride, out)
    return out
