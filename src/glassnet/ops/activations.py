"""Activations and their derivatives as small pure functions on arrays, with softmax, log-softmax and one-hot.

Samples are rows: ``z`` has shape ``(n_samples, n_units)``. Layers and losses
call these functions; they are public so that a reader can check a formula on
a few numbers by hand.

Each activation comes as a pair: ``f(z)`` and ``f_backward(a, grad)``, the
chain rule ``dC/dz = dC/da * f'(z)`` written with the activation's output
``a = f(z)``, which is all that backward needs. ``out``, where given, is an
array of the result's shape that receives the result (training reuses its
buffers this way); without it a new array is returned. The functions work on
arrays of any library with NumPy's API (see :mod:`glassnet.arrays`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.arrays import namespace

Array = Any  # an array of NumPy or of another namespace with NumPy's API

# --- activations and their derivatives -------------------------------------------


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """Logistic function ``1 / (1 + exp(-z))``, finite for every finite ``z``.

    Parameters
    ----------
    z : array, any shape
    out : array like ``z``, optional

    Returns
    -------
    array like ``z``

    Notes
    -----
    SciPy's ``expit`` evaluates ``exp(-|z|)`` internally, so a large ``|z|``
    never overflows (the naive formula warns and returns 0 or 1 from ``inf``).
    Other namespaces compute the same as ``exp(-log(1 + exp(-z)))``. SciPy is
    imported at the first sigmoid, not with glassnet: most programs never need it.
    """
    xp = namespace(z)
    if xp is np:
        from scipy.special import expit  # at the first call only: later ones find it in sys.modules

        return expit(z, out=out) if out is not None else expit(z)
    a = xp.negative(z, out=out)
    xp.logaddexp(0, a, out=a)
    xp.negative(a, out=a)
    return xp.exp(a, out=a)


def sigmoid_backward(a: Array, grad: Array, out: Array | None = None) -> Array:
    """``dC/dz = dC/da * a * (1 - a)`` for ``a = sigmoid(z)``.

    Parameters
    ----------
    a : array
        The sigmoid's output.
    grad : array like ``a``
        ``dC/da``.
    out : array like ``a``, optional

    Returns
    -------
    array like ``a``
        ``dC/dz``.
    """
    xp = namespace(a)
    dz = xp.subtract(1, a, out=out)
    dz *= a
    dz *= grad
    return dz


def tanh(z: Array, out: Array | None = None) -> Array:
    """Hyperbolic tangent ``(exp(z) - exp(-z)) / (exp(z) + exp(-z))``.

    Parameters
    ----------
    z : array, any shape
    out : array like ``z``, optional

    Returns
    -------
    array like ``z``
    """
    return namespace(z).tanh(z, out=out)


def tanh_backward(a: Array, grad: Array, out: Array | None = None) -> Array:
    """``dC/dz = dC/da * (1 - a**2)`` for ``a = tanh(z)``.

    Parameters
    ----------
    a : array
        The tanh's output.
    grad : array like ``a``
        ``dC/da``.
    out : array like ``a``, optional

    Returns
    -------
    array like ``a``
        ``dC/dz``.
    """
    xp = namespace(a)
    dz = xp.square(a, out=out)
    xp.subtract(1, dz, out=dz)
    dz *= grad
    return dz


def relu(z: Array, out: Array | None = None) -> Array:
    """Rectifier ``max(z, 0)``.

    Parameters
    ----------
    z : array, any shape
    out : array like ``z``, optional

    Returns
    -------
    array like ``z``
    """
    xp = namespace(z)
    if xp is np and z.flags.c_contiguous and (out is None or out.flags.c_contiguous):
        # the same maximum, read flat against zeros: NumPy 2.4 compares two contiguous arrays about
        # 2.5 times as fast as an array and the scalar 0 (benchmarks/RESULTS.md)
        flat = np.maximum(z.reshape(-1), _zeros(z.size, z.dtype), out=None if out is None else out.reshape(-1))
        return flat.reshape(z.shape)
    return xp.maximum(z, 0, out=out)


_ZEROS: dict[Any, np.ndarray] = {}


def _zeros(n: int, dtype: Any) -> np.ndarray:
    """``n`` zeros of ``dtype``, read-only, from one shared array that grows as needed.

    NumPy's zeros come from calloc: pages the program only reads stay the
    kernel's shared zero page, so a large one costs no memory.
    """
    dtype = np.dtype(dtype)
    zeros = _ZEROS.get(dtype)
    if zeros is None or zeros.size < n:
        zeros = np.zeros(max(n, 2 * (0 if zeros is None else zeros.size)), dtype=dtype)
        zeros.flags.writeable = False
        _ZEROS[dtype] = zeros
    return zeros[:n]


def relu_backward(a: Array, grad: Array, out: Array | None = None) -> Array:
    """``dC/dz = dC/da * [z > 0]`` for ``a = relu(z)``; zero at the kink.

    Parameters
    ----------
    a : array
        The rectifier's output; ``a > 0`` exactly where ``z > 0``.
    grad : array like ``a``
        ``dC/da``.
    out : array like ``a``, optional

    Returns
    -------
    array like ``a``
        ``dC/dz``.
    """
    xp = namespace(a)
    return xp.multiply(grad, a > 0, out=out)


def leaky_relu(z: Array, alpha: float, out: Array | None = None) -> Array:
    """``z`` where ``z > 0``, else ``alpha * z``, for a slope ``0 <= alpha < 1``.

    Parameters
    ----------
    z : array, any shape
    alpha : float
        The slope for negative inputs, in [0, 1).
    out : array like ``z``, optional

    Returns
    -------
    array like ``z``

    Notes
    -----
    With ``alpha < 1`` the result is the larger of ``z`` and ``alpha * z``.
    """
    xp = namespace(z)
    a = xp.multiply(z, alpha, out=out)
    return xp.maximum(z, a, out=a)


def leaky_relu_backward(a: Array, grad: Array, alpha: float, out: Array | None = None) -> Array:
    """``dC/dz = dC/da * (1 where z > 0, else alpha)`` for ``a = leaky_relu(z, alpha)``.

    Parameters
    ----------
    a : array
        The layer's output; with ``0 <= alpha < 1``, ``a > 0`` exactly where ``z > 0``.
    grad : array like ``a``
        ``dC/da``.
    alpha : float
        The slope for negative inputs.
    out : array like ``a``, optional

    Returns
    -------
    array like ``a``
        ``dC/dz``.
    """
    xp = namespace(a)
    dz = xp.multiply(grad, alpha, out=out)
    xp.copyto(dz, grad, where=a > 0)
    return dz


def softmax(z: Array, out: Array | None = None) -> Array:
    """Row-wise ``exp(z) / sum(exp(z))``; the row maximum is subtracted so exp never overflows.

    Parameters
    ----------
    z : array, shape (n_samples, k)
    out : array like ``z``, optional

    Returns
    -------
    array, shape (n_samples, k)
        Each row sums to one.
    """
    xp = namespace(z)
    out = xp.subtract(z, z.max(axis=1, keepdims=True), out=out)
    xp.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def softmax_backward(a: Array, grad: Array, out: Array | None = None) -> Array:
    """``dC/dz = a * (dC/da - sum(dC/da * a, per row))`` for ``a = softmax(z)``.

    Parameters
    ----------
    a : array, shape (n_samples, k)
        The softmax's output.
    grad : array like ``a``
        ``dC/da``.
    out : array like ``a``, optional

    Returns
    -------
    array, shape (n_samples, k)
        ``dC/dz``.
    """
    xp = namespace(a)
    dz = xp.multiply(grad, a, out=out)
    dz -= a * dz.sum(axis=1, keepdims=True)
    return dz


def log_softmax(z: Array) -> Array:
    """``log(softmax(z))`` row by row, with the row maximum subtracted first.

    Parameters
    ----------
    z : array, shape (n_samples, k)

    Returns
    -------
    array, shape (n_samples, k)
    """
    xp = namespace(z)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))


def one_hot(labels: Array, n_classes: int, dtype: np.dtype | type = np.float64) -> Array:
    """Rows of zeros with a one in the column of each integer label.

    Parameters
    ----------
    labels : int array, shape (n_samples,)
    n_classes : int
    dtype : dtype of the result

    Returns
    -------
    array, shape (n_samples, n_classes)
    """
    xp = namespace(labels)
    out = xp.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[xp.arange(labels.shape[0]), labels] = 1
    return out
