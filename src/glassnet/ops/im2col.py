"""Convolution as pure functions on batches of images: sizes and padding, im2col and col2im, conv2d and its gradients.

Images are laid out as ``(samples, channels, height, width)``. A convolution is
turned into one matrix product by *im2col*: every window the kernel visits
becomes a column of a matrix, so that sliding ``out_channels`` kernels over the
image is ``kernels @ cols``. Its backward pass is two more products and
*col2im*, which adds each column's gradient back onto the pixels of its window.

The functions work window position by window position: a ``kh x kw`` kernel
means ``kh * kw`` slices of the image, each one the pixels that a given kernel
entry touches, whatever the window. That is short to read and does the work
in large array operations, in any array namespace with NumPy's API.

The batch is first laid out channels first, samples second: ``(c, n, h, w)``.
Then each kernel entry's slice of the image is a block of whole pixel rows,
and the columns of ``cols`` run over samples, rows and columns of windows,
while its rows run over kernel row, kernel column and channel.
:func:`kernel_matrix` lays weights of PyTorch's shape ``(out_channels,
in_channels, kh, kw)`` out the same way, one row per output channel.
"""

from __future__ import annotations

import numbers
from typing import Any

from ..core._validation import short
from ..core.arrays import namespace
from ..errors import OptionError

Array = Any
Pads = tuple[int, int, int, int]  # top, bottom, left, right


# -- sizes --------------------------------------------------------------------
def pads_for(padding: object, kernel: tuple[int, int], stride: tuple[int, int]) -> Pads:
    """Rows and columns of zeros added around each image: ``(top, bottom, left, right)``.

    Parameters
    ----------
    padding : int, (int, int), "valid" or "same"
        An int pads every side alike; a pair pads (top and bottom, left and right);
        "valid" pads nothing; "same" keeps the size (stride 1 only; an even
        kernel puts the extra row and column at the bottom and right, as PyTorch does).
    kernel, stride : (int, int)

    Returns
    -------
    (int, int, int, int)
    """
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise OptionError(f"padding='same' needs stride 1; received stride {stride}")
        (kh, kw) = kernel
        return ((kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2, kw - 1 - (kw - 1) // 2)
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph, pw, pw)


def padding_setting(padding: object) -> str | int | list[int]:
    """A layer's ``padding`` as it keeps it: "same", "valid", an int (NumPy's too, as PyTorch takes them) or a
    pair as a list, checked (the pads themselves are :func:`pads_for`'s).

    Parameters
    ----------
    padding : object

    Returns
    -------
    str, int or list of int
    """
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        padding = int(padding)
    if not (padding in ("same", "valid") or isinstance(padding, (int, tuple, list))):
        raise OptionError(f"padding must be an integer, a pair of them, 'same' or 'valid'; received {short(padding)}")
    return padding if isinstance(padding, (str, int)) else list(pair(padding, "padding", 0))


def pair(value: object, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as a pair, checked to be at least ``minimum``.

    Parameters
    ----------
    value : int or (int, int)
        NumPy's integers count as integers, as PyTorch takes them; booleans do not.
    name : str
        The argument's name, for the message.
    minimum : int

    Returns
    -------
    (int, int)
    """
    items = list(value) if isinstance(value, (tuple, list)) else [value, value]
    if len(items) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                  and int(v) >= minimum for v in items):
        raise OptionError(f"{name} must be an integer of at least {minimum}, or a pair of them; "
                          f"received {short(value)}")
    return (int(items[0]), int(items[1]))  # type: ignore[arg-type]


def output_size(size: int, kernel: int, stride: int, pad_before: int = 0, pad_after: int = 0) -> int:
    """How many windows fit along one axis: ``(size + pads - kernel) // stride + 1``.

    Parameters
    ----------
    size, kernel, stride, pad_before, pad_after : int

    Returns
    -------
    int
        0 or less when the kernel does not fit.
    """
    return (size + pad_before + pad_after - kernel) // stride + 1


def grid(size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0),
         owner: str = "the layer", noun: str = "kernel", note: str = "") -> tuple[int, int]:
    """``(oh, ow)``: the rows and columns of windows over a picture of ``size``, refused when none fits.

    Parameters
    ----------
    size : (height, width)
    kernel, stride : (int, int)
    pads : (top, bottom, left, right)
    owner, noun, note : str
        For the message: "{owner}'s 5x5 {noun} does not fit images of 3x3 pixels{note}".

    Returns
    -------
    (int, int)
    """
    top, bottom, left, right = pads
    oh = output_size(size[0], kernel[0], stride[0], top, bottom)
    ow = output_size(size[1], kernel[1], stride[1], left, right)
    if oh < 1 or ow < 1:
        raise OptionError(f"{owner}'s {kernel[0]}x{kernel[1]} {noun} does not fit images of {size[0]}x{size[1]} "
                          f"pixels{note}")
    return oh, ow


def _windows(h: int, w: int, kernel: tuple[int, int], stride: tuple[int, int]) -> list[tuple[int, int, slice, slice]]:
    """For each kernel entry (i, j): the rows and columns of the (padded) image it meets, one per window."""
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    return [(i, j, slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]


def _gather(xpad: Array, kernel: tuple[int, int], stride: tuple[int, int], cols: Array) -> None:
    """Each kernel entry's slice of ``xpad`` (a, b, H, W) into ``cols[i, j]``: either layout's matrix as (kh, kw, a, b,
    oh, ow), a view (:func:`im2col`, :func:`glassnet.ops.im2col_samples.im2col_samples`)."""
    for i, j, rows, columns in _windows(xpad.shape[2], xpad.shape[3], kernel, stride):
        cols[i, j] = xpad[:, :, rows, columns]


def _scatter(cols: Array, kernel: tuple[int, int], stride: tuple[int, int], out: Array) -> None:
    """The adjoint of :func:`_gather`: ``out`` (a, b, H, W) zeroed, then each ``cols[i, j]`` added onto its slice."""
    out[...] = 0
    for i, j, rows, columns in _windows(out.shape[2], out.shape[3], kernel, stride):
        out[:, :, rows, columns] += cols[i, j]


# -- im2col and col2im ----------------------------------------------------------
def pad_images(x: Array, pads: Pads, out: Array | None = None) -> Array:
    """``x`` of shape (n, c, h, w) as (c, n, h + top + bottom, w + left + right), zeros around each image.

    Channels come first and samples second so that :func:`im2col` copies
    whole rows of pixels and its result has one row per channel and kernel entry.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    pads : (top, bottom, left, right)
    out : array, optional
        Of the result's shape and ``x``'s dtype.

    Returns
    -------
    array, shape (c, n, h + top + bottom, w + left + right)
    """
    return _padded(x.transpose(1, 0, 2, 3), pads, out)


def _padded(x: Array, pads: Pads, out: Array | None = None) -> Array:
    """``x`` of shape (a, b, h, w) with zeros around each (h, w) picture, in ``out`` if given."""
    xp = namespace(x)
    a, b, h, w = x.shape
    top, bottom, left, right = pads
    if out is None:
        out = xp.empty((a, b, h + top + bottom, w + left + right), dtype=x.dtype)
    if any(pads):
        out[:, :, :top], out[:, :, top + h:], out[:, :, :, :left], out[:, :, :, left + w:] = 0, 0, 0, 0
    out[:, :, top:top + h, left:left + w] = x
    return out


def im2col(xpad: Array, kernel: tuple[int, int], stride: tuple[int, int], out: Array | None = None) -> Array:
    """Every window of a padded batch as one column of a matrix.

    Parameters
    ----------
    xpad : array, shape (c, n, H, W)
        From :func:`pad_images`.
    kernel, stride : (int, int)
    out : array, optional
        Of the result's shape and ``xpad``'s dtype.

    Returns
    -------
    array, shape (kh * kw * c, n * oh * ow)
        Column ``(s, y, x)`` holds the window whose top-left corner is at
        ``(y * sh, x * sw)`` in image ``s``; row ``(i, j, ch)`` the pixel at
        kernel entry ``(i, j)`` of channel ``ch``.
    """
    xp = namespace(xpad)
    c, n, h, w = xpad.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if out is None:
        out = xp.empty((kh * kw * c, n * oh * ow), dtype=xpad.dtype)
    _gather(xpad, kernel, stride, out.reshape(kh, kw, c, n, oh, ow))
    return out


def col2im(dcols: Array, padded_shape: tuple[int, int, int, int], kernel: tuple[int, int],
           stride: tuple[int, int], out: Array | None = None) -> Array:
    """The adjoint of :func:`im2col`: each column's values added back onto the pixels of its window.

    Parameters
    ----------
    dcols : array, shape (kh * kw * c, n * oh * ow)
    padded_shape : (c, n, H, W)
        The shape of the padded batch.
    kernel, stride : (int, int)
    out : array, optional
        Of ``padded_shape`` and ``dcols``'s dtype.

    Returns
    -------
    array of ``padded_shape``
        Where windows overlap, their contributions add up.
    """
    xp = namespace(dcols)
    c, n, h, w = padded_shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if out is None:
        out = xp.empty(padded_shape, dtype=dcols.dtype)
    _scatter(dcols.reshape(kh, kw, c, n, oh, ow), kernel, stride, out)
    return out


def kernel_matrix(W: Array) -> Array:
    """Weights (out, c, kh, kw) as the (out, kh * kw * c) matrix that multiplies :func:`im2col`'s columns.

    Parameters
    ----------
    W : array, shape (out_channels, in_channels, kh, kw)

    Returns
    -------
    array, shape (out_channels, kh * kw * in_channels)
    """
    return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)


# -- convolution ------------------------------------------------------------------
def conv2d(x: Array, W: Array, b: Array | None, stride: tuple[int, int] = (1, 1),
           pads: Pads = (0, 0, 0, 0)) -> Array:
    """Cross-correlation of a batch with ``out_channels`` kernels, as deep-learning libraries define it.

    ``Z[s, o, y, x] = b[o] + sum over c, i, j of W[o, c, i, j] * X[s, c, y*sh + i, x*sw + j]``
    (with X padded). This is the readable reference; :class:`glassnet.Conv2D`
    computes the same with reusable buffers and keeps ``cols`` for its backward.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    W : array, shape (out_channels, c, kh, kw)
    b : array, shape (out_channels,), or None
    stride : (int, int)
    pads : (top, bottom, left, right)

    Returns
    -------
    array, shape (n, out_channels, oh, ow)
    """
    n = x.shape[0]
    kernel = (W.shape[2], W.shape[3])
    xpad = pad_images(x, pads)
    oh, ow = output_size(xpad.shape[2], kernel[0], stride[0]), output_size(xpad.shape[3], kernel[1], stride[1])
    z = kernel_matrix(W) @ im2col(xpad, kernel, stride)  # (out, n * oh * ow)
    if b is not None:
        z += b[:, None]
    return z.reshape(-1, n, oh, ow).transpose(1, 0, 2, 3).copy()


def conv2d_backward(x: Array, W: Array, grad: Array, stride: tuple[int, int] = (1, 1),
                    pads: Pads = (0, 0, 0, 0)) -> tuple[Array, Array, Array]:
    """The gradients of :func:`conv2d` for ``grad = dC/dZ``.

    With ``G`` the gradient as a matrix of one column per window (and one row
    per output channel) and ``K`` the kernels as :func:`kernel_matrix` lays
    them out: ``dC/dK = G @ cols.T``, ``dC/db = row sums of G``, and
    ``dC/dX = col2im(K.T @ G)``.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    W : array, shape (out_channels, c, kh, kw)
    grad : array, shape (n, out_channels, oh, ow)
    stride : (int, int)
    pads : (top, bottom, left, right)

    Returns
    -------
    dx : array like ``x``
    dW : array like ``W``
    db : array, shape (out_channels,)
    """
    n, c, h, w = x.shape
    out_channels, _, kh, kw = W.shape
    xpad = pad_images(x, pads)
    cols = im2col(xpad, (kh, kw), stride)
    g = grad.transpose(1, 0, 2, 3).reshape(out_channels, -1)
    dW = (g @ cols.T).reshape(out_channels, kh, kw, c).transpose(0, 3, 1, 2)
    dxpad = col2im(kernel_matrix(W).T @ g, xpad.shape, (kh, kw), stride)
    top, _, left, _ = pads
    dx = dxpad[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
    return dx.copy(), dW.copy(), g.sum(axis=1)


