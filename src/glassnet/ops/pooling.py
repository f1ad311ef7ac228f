"""Pooling as pure functions on batches of images (samples, channels, height, width): each window of each
channel summed up by its maximum or its mean, and the gradients that flow back to the window's pixels.
"""

from __future__ import annotations

from typing import Any

from ..core.arrays import namespace
from . import accelerate
from .im2col import _windows

Array = Any
Pads = tuple[int, int, int, int]  # top, bottom, left, right


# -- pooling -------------------------------------------------------------------------
def max_pool2d(x: Array, kernel: tuple[int, int], stride: tuple[int, int]) -> Array:
    """The largest value of each window.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    kernel, stride : (int, int)

    Returns
    -------
    array, shape (n, c, oh, ow)
    """
    xp = namespace(x)
    fast = accelerate.kernel("max_pool_2x2") if tiles_2x2(x.shape, kernel, stride) and accelerate.fits(x) else None
    if fast is not None:  # one pass (glassnet.ops.kernels)
        out = xp.empty((*x.shape[:2], x.shape[2] // 2, x.shape[3] // 2), dtype=x.dtype)
        fast(x, out)
        return out
    windows = _windows(x.shape[2], x.shape[3], kernel, stride)
    _, _, rows, columns = windows[0]
    out = x[:, :, rows, columns].copy()
    for _, _, rows, columns in windows[1:]:
        xp.maximum(out, x[:, :, rows, columns], out=out)
    return out


def tiles_2x2(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int]) -> bool:
    """Whether 2x2 windows 2 apart tile images of ``shape`` exactly: the case the accelerator compiles.

    Parameters
    ----------
    shape : (n, c, h, w)
    kernel, stride : (int, int)

    Returns
    -------
    bool
    """
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and shape[2] % 2 == 0 and shape[3] % 2 == 0
            and shape[2] > 0 and shape[3] > 0)


def max_pool2d_backward(grad: Array, x: Array, pooled: Array, kernel: tuple[int, int], stride: tuple[int, int],
                        out: Array | None = None) -> Array:
    """``dC/dX``: each window's gradient goes to the pixel that holds its maximum, the others get 0.

    Where several pixels of a window tie for the maximum, the first in reading
    order takes the gradient, as in PyTorch.

    Parameters
    ----------
    grad : array, shape (n, c, oh, ow)
    x : array, shape (n, c, h, w)
        The input of the forward pass.
    pooled : array, shape (n, c, oh, ow)
        Its output, from :func:`max_pool2d`.
    kernel, stride : (int, int)
    out : array, optional
        Of ``x``'s shape and ``grad``'s dtype.

    Returns
    -------
    array like ``x``
    """
    xp = namespace(grad)
    if out is None:
        out = xp.empty(x.shape, dtype=grad.dtype)
    fast = (accelerate.kernel("max_pool_2x2_backward")
            if tiles_2x2(x.shape, kernel, stride) and accelerate.fits(grad, x, pooled, out) else None)
    if fast is not None:  # one pass (glassnet.ops.kernels)
        fast(grad, x, pooled, out)
        return out
    windows = _windows(x.shape[2], x.shape[3], kernel, stride)
    overlap = stride[0] < kernel[0] or stride[1] < kernel[1]
    (oh, ow), (h, w) = pooled.shape[2:], x.shape[2:]
    if tuple(stride) != tuple(kernel) or oh * stride[0] != h or ow * stride[1] != w:
        out[...] = 0  # the windows do not tile the picture: some pixels are in none, or in several
    open_ = None  # windows whose maximum has not taken the gradient yet (None: all of them)
    for k, (_, _, rows, columns) in enumerate(windows):
        hit = xp.equal(x[:, :, rows, columns], pooled)
        if open_ is not None:
            hit &= open_
        if overlap:
            out[:, :, rows, columns] += grad * hit
        else:  # each pixel in one window at most: write, do not add
            xp.multiply(grad, hit, out=out[:, :, rows, columns])
        if k < len(windows) - 1:
            open_ = ~hit if open_ is None else xp.greater(open_, hit, out=open_)  # open and not hit
    return out


def max_positions(x: Array, kernel: tuple[int, int], stride: tuple[int, int]) -> Array:
    """Which entry of each window holds its maximum: ``i * kw + j``, the first on ties.

    A gradient check compares these before and after a perturbation to find
    the ties that max-pooling has no derivative at.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    kernel, stride : (int, int)

    Returns
    -------
    int8 array, shape (n, c, oh, ow)
        int32 for a window of more than 128 entries (a whole 12 x 12 map, say).
    """
    xp = namespace(x)
    windows = _windows(x.shape[2], x.shape[3], kernel, stride)
    _, _, rows, columns = windows[0]
    best = x[:, :, rows, columns]
    where = xp.zeros(best.shape, dtype=xp.int8 if len(windows) <= 128 else xp.int32)
    for k, (_, _, rows, columns) in enumerate(windows[1:], start=1):
        candidate = x[:, :, rows, columns]
        larger = candidate > best
        best = xp.where(larger, candidate, best)
        where = xp.where(larger, where.dtype.type(k), where)
    return where


def avg_pool2d(x: Array, kernel: tuple[int, int], stride: tuple[int, int]) -> Array:
    """The mean of each window.

    Parameters
    ----------
    x : array, shape (n, c, h, w)
    kernel, stride : (int, int)

    Returns
    -------
    array, shape (n, c, oh, ow)
    """
    windows = _windows(x.shape[2], x.shape[3], kernel, stride)
    _, _, rows, columns = windows[0]
    out = x[:, :, rows, columns].copy()
    for _, _, rows, columns in windows[1:]:
        out += x[:, :, rows, columns]
    out *= 1.0 / len(windows)
    return out


def avg_pool2d_backward(grad: Array, input_shape: tuple[int, ...], kernel: tuple[int, int],
                        stride: tuple[int, int], out: Array | None = None) -> Array:
    """``dC/dX``: each window's gradient shared equally among its ``kh * kw`` entries.

    Parameters
    ----------
    grad : array, shape (n, c, oh, ow)
    input_shape : (n, c, h, w)
    kernel, stride : (int, int)
    out : array, optional
        Of ``input_shape`` and ``grad``'s dtype.

    Returns
    -------
    array of ``input_shape``
    """
    xp = namespace(grad)
    if out is None:
        out = xp.empty(input_shape, dtype=grad.dtype)
    out[...] = 0
    windows = _windows(input_shape[2], input_shape[3], kernel, stride)
    share = grad * (1.0 / len(windows))
    for _, _, rows, columns in windows:
        out[:, :, rows, columns] += share
    return out
