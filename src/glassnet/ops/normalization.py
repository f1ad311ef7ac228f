"""Normalization as pure functions: batch norm (statistics over the batch and its pixels) and layer norm
(statistics over each sample's values), with their gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.arrays import namespace

Array = Any
Pads = tuple[int, int, int, int]  # top, bottom, left, right


# -- batch normalization ------------------------------------------------------------
def batch_norm(x: Array, mean: Array, var: Array, gamma: Array, beta: Array, eps: float) -> tuple[Array, Array,
                                                                                                      Array]:
    """``gamma * (x - mean) / sqrt(var + eps) + beta``, per feature (axis 1).

    Parameters
    ----------
    x : array, shape (n, features) or (n, channels, h, w)
    mean, var : array, shape (features,)
        The batch's statistics in training, the running ones otherwise.
    gamma, beta : array, shape (features,)
    eps : float

    Returns
    -------
    out : array like ``x``
    xhat : array like ``x``
        The normalized input ``(x - mean) / sqrt(var + eps)``.
    inv_std : array, shape (features,)
        ``1 / sqrt(var + eps)``.
    """
    xp = namespace(x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    inv_std = 1.0 / xp.sqrt(var + eps)
    xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    return xhat * gamma.reshape(shape) + beta.reshape(shape), xhat, inv_std


def batch_statistics(x: Array) -> tuple[Array, Array]:
    """The mean and the (biased) variance of each feature over the samples and, for images, the pixels.

    Parameters
    ----------
    x : array, shape (n, features) or (n, channels, h, w)

    Returns
    -------
    mean, var : arrays, shape (features,)
    """
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)
    return mean, var


def batch_norm_backward(grad: Array, xhat: Array, inv_std: Array, gamma: Array,
                        batch_stats: bool) -> tuple[Array, Array, Array]:
    """The gradients of :func:`batch_norm` for ``grad = dC/d(out)``.

    ``dC/dgamma = sum(grad * xhat)`` and ``dC/dbeta = sum(grad)`` over samples
    and pixels. With the batch's own statistics, the mean and the variance
    depend on every input, and with ``m`` values per feature and
    ``g = grad * gamma``:
    ``dC/dx = inv_std * (g - mean(g) - xhat * mean(g * xhat))``.
    With fixed (running) statistics it is ``g * inv_std``.

    Parameters
    ----------
    grad, xhat : arrays like the input
    inv_std, gamma : arrays, shape (features,)
    batch_stats : bool
        Whether the forward pass normalized with the batch's statistics.

    Returns
    -------
    dx : array like the input
    dgamma, dbeta : arrays, shape (features,)
    """
    axes = (0,) + tuple(range(2, grad.ndim))
    shape = (1, -1) + (1,) * (grad.ndim - 2)
    dgamma = (grad * xhat).sum(axis=axes)
    dbeta = grad.sum(axis=axes)
    scale = (gamma * inv_std).reshape(shape)
    if not batch_stats:
        return grad * scale, dgamma, dbeta
    m = grad.size // grad.shape[1]
    dx = (grad - (dbeta / m).reshape(shape) - xhat * (dgamma / m).reshape(shape)) * scale
    return dx, dgamma, dbeta


# -- layer normalization -----------------------------------------------------------

def layer_norm(x: Array, gamma: Array, beta: Array, eps: float) -> tuple[Array, Array, Array]:
    """``gamma * (x - mean) / sqrt(var + eps) + beta``, the mean and (biased) variance of each sample's values.

    Parameters
    ----------
    x : array, shape (n_samples, *shape)
    gamma, beta : arrays, shape ``shape``
    eps : float

    Returns
    -------
    out : array like ``x``
    xhat : array like ``x``
        The normalized values, before the scale and shift.
    inv_std : array, shape (n_samples, 1, ...)
        ``1 / sqrt(var + eps)`` of each sample, broadcasting against ``x``.
    """
    xp = namespace(x)
    axes = tuple(range(1, x.ndim))
    mean = xp.mean(x, axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1.0 / xp.sqrt(xp.mean(centred * centred, axis=axes, keepdims=True) + eps)
    xhat = centred * inv_std
    return xhat * gamma + beta, xhat, inv_std


def layer_norm_backward(grad: Array, xhat: Array, inv_std: Array, gamma: Array) -> tuple[Array, Array, Array]:
    """The gradients of :func:`layer_norm`: of its input, of ``gamma`` and of ``beta``.

    With ``g = grad * gamma``, each sample's ``dx = inv_std * (g - mean(g) - xhat * mean(g * xhat))``,
    the means over that sample's values; ``dgamma`` and ``dbeta`` sum ``grad * xhat`` and ``grad``
    over the samples.

    Parameters
    ----------
    grad : array like the output
    xhat, inv_std : arrays
        As :func:`layer_norm` returned them.
    gamma : array

    Returns
    -------
    (dx, dgamma, dbeta)
    """
    xp = namespace(grad)
    axes = tuple(range(1, grad.ndim))
    g = grad * gamma
    dx = inv_std * (g - xp.mean(g, axis=axes, keepdims=True)
                    - xhat * xp.mean(g * xhat, axis=axes, keepdims=True))
    return dx, xp.sum(grad * xhat, axis=0), xp.sum(grad, axis=0)


# -- standardizing data -------------------------------------------------------------------
def mean_and_scale(x: Any) -> tuple[Any, Any]:
    """Each column's mean and standard deviation in float64, with 1 for a column that is constant.

    Constant as scikit-learn's ``StandardScaler`` judges it: its variance no larger than the rounding of
    its mean can leave (a column of 0.1 read as float32 had a spread of 1.5e-8, and a new 0.11 then became
    671,088). The column is divided by its largest magnitude first, so that neither the squares nor the
    rule overflow (1e300 and -1e300 are not a constant column).

    Parameters
    ----------
    x : NumPy array, shape (n_samples, n_features) or (n_samples,)

    Returns
    -------
    (mean, scale) : float64 arrays, shape (n_features,) (or (1,))
    """
    unit = np.array(x, dtype=np.float64).reshape(len(x), -1)  # a copy of our own, divided in place
    big = np.maximum(unit.max(axis=0), -unit.min(axis=0))  # the largest magnitude, without a copy of |x|
    big = np.where((big > 0) & np.isfinite(big), big, 1.0)
    unit /= big
    mean, var = unit.mean(axis=0), unit.var(axis=0)
    n, eps = unit.shape[0], np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    return mean * big, np.where(constant, 1.0, np.sqrt(var) * big)
