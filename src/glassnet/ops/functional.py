"""The math of glassnet as small pure functions on arrays.

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
from scipy.special import expit

from ..core.arrays import namespace, scalar

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
    Other namespaces compute the same as ``exp(-log(1 + exp(-z)))``.
    """
    xp = namespace(z)
    if xp is np:
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


# --- losses: each returns (cost, gradient of the cost with respect to its first argument). The cost is a
# Python float on NumPy and a 0-d array on a device, where reading it would wait (glassnet.arrays.scalar).
# Optional per-sample weights w (n,) multiply each sample's term: C = sum_i w_i C_i / n.


def _weighted(cost_rows: Array, grad: Array, weight: Array, scale: float) -> tuple[float, Array]:
    """Per-sample costs and gradient rows multiplied by per-sample weights ``w`` (n,)."""
    xp = namespace(grad)
    grad *= weight[:, None]
    return scale * scalar(xp.dot(weight, cost_rows)), grad


def squared_error(
    pred: Array, target: Array, reduction: str = "mean", weight: Array | None = None
) -> tuple[float, Array]:
    """Squared error with the one-half factor, and its gradient.

    Parameters
    ----------
    pred, target : arrays, shape (n_samples, k)
    reduction : "mean" or "sum"
        Divide by the number of samples or not.
    weight : array, shape (n_samples,), optional
        Multiplies each sample's term.

    Returns
    -------
    cost : float
        ``1/2 * sum((pred - target)**2) / n`` (without ``/ n`` for "sum").
    grad : array, shape (n_samples, k)
        ``(pred - target) / n`` (or ``pred - target``), a new array.
    """
    xp = namespace(pred)
    diff = pred - target
    scale = 1.0 / pred.shape[0] if reduction == "mean" else 1.0
    if weight is not None:
        rows = 0.5 * xp.einsum("ij,ij->i", diff, diff)
        return _weighted(rows, diff * scale, weight, scale)
    cost = 0.5 * scale * scalar(xp.vdot(diff, diff))
    diff *= scale
    return cost, diff


def poisson_deviance(z: Array, target: Array, weight: Array | None = None) -> tuple[float, Array]:
    """Half the Poisson deviance of the rate ``exp(z)``, mean over samples, sum over outputs.

    Parameters
    ----------
    z : array, shape (n_samples, k)
        The logarithm of the predicted rate (the output before ``exp``).
    target : array, shape (n_samples, k)
        Non-negative counts or rates.
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``sum(exp(z) - t*z + t*log(t) - t) / n`` (``t*log(t)`` is 0 where t is 0),
        which is 0 when every rate equals its target.
    grad : array, shape (n_samples, k)
        ``(exp(z) - t) / n``.
    """
    xp = namespace(z)
    n = z.shape[0]
    rate = xp.exp(z)
    t_log_t = xp.where(target > 0, target * xp.log(xp.where(target > 0, target, 1)), 0)
    terms = rate - target * z + t_log_t - target
    grad = (rate - target) / n
    if weight is not None:
        return _weighted(terms.sum(axis=1), grad, weight, 1.0 / n)
    return scalar(terms.sum()) / n, grad


def absolute_error(pred: Array, target: Array, weight: Array | None = None) -> tuple[float, Array]:
    """Absolute error, mean over samples, sum over outputs.

    Parameters
    ----------
    pred, target : arrays, shape (n_samples, k)
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``sum(|pred - target|) / n``.
    grad : array, shape (n_samples, k)
        ``sign(pred - target) / n``, taking 0 where the two are equal (the kink).
    """
    xp = namespace(pred)
    n = pred.shape[0]
    diff = pred - target
    grad = xp.sign(diff) / n
    terms = xp.abs(diff)
    if weight is not None:
        return _weighted(terms.sum(axis=1), grad, weight, 1.0 / n)
    return scalar(terms.sum()) / n, grad


def huber(pred: Array, target: Array, delta: float = 1.0, weight: Array | None = None) -> tuple[float, Array]:
    """Huber's cost: squared near the target, absolute beyond ``delta``; mean over samples, sum over outputs.

    Parameters
    ----------
    pred, target : arrays, shape (n_samples, k)
    delta : float
        Where the square gives way to the straight line.
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``sum(h(pred - target)) / n`` with ``h(r) = r**2 / 2`` for ``|r| <= delta``
        and ``delta * (|r| - delta / 2)`` beyond.
    grad : array, shape (n_samples, k)
        ``clip(pred - target, -delta, delta) / n``.
    """
    xp = namespace(pred)
    n = pred.shape[0]
    r = pred - target
    a = xp.abs(r)
    terms = xp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    grad = xp.clip(r, -delta, delta) / n
    if weight is not None:
        return _weighted(terms.sum(axis=1), grad, weight, 1.0 / n)
    return scalar(terms.sum()) / n, grad


def binary_cross_entropy(prob: Array, target: Array, weight: Array | None = None) -> tuple[float, Array]:
    """Logistic cost from probabilities, mean over samples, sum over outputs.

    Parameters
    ----------
    prob : array, shape (n_samples, k)
        Probabilities in [0, 1].
    target : array, shape (n_samples, k)
        Targets in [0, 1].
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``-sum(t*log(p) + (1-t)*log(1-p)) / n``.
    grad : array, shape (n_samples, k)
        ``(p - t) / (p*(1-p)) / n``.

    Notes
    -----
    ``p`` is clipped to ``[eps, 1-eps]`` (machine epsilon of its dtype) so a
    saturated probability gives a large finite cost rather than ``inf``.
    """
    xp = namespace(prob)
    eps = np.finfo(prob.dtype).eps
    p = xp.clip(prob, eps, 1 - eps)
    n = prob.shape[0]
    terms = target * xp.log(p) + (1 - target) * xp.log1p(-p)
    grad = ((p - target) / (p * (1 - p)) / n).astype(prob.dtype, copy=False)
    if weight is not None:
        return _weighted(-terms.sum(axis=1), grad, weight, 1.0 / n)
    return -scalar(terms.sum()) / n, grad


def binary_cross_entropy_with_logits(
    z: Array, target: Array, weight: Array | None = None
) -> tuple[float, Array]:
    """Logistic cost from logits ``z`` (before the sigmoid), stable for any ``z``.

    Parameters
    ----------
    z : array, shape (n_samples, k)
    target : array, shape (n_samples, k)
        Targets in [0, 1].
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``sum(max(z, 0) - z*t + log(1 + exp(-|z|))) / n``, the cost of
        ``sigmoid(z)`` without ever forming ``log(0)``.
    grad : array, shape (n_samples, k)
        ``(sigmoid(z) - t) / n``.
    """
    xp = namespace(z)
    n = z.shape[0]
    terms = xp.maximum(z, 0) - z * target + xp.log1p(xp.exp(-xp.abs(z)))
    grad = sigmoid(z)
    grad -= target
    grad /= n
    if weight is not None:
        return _weighted(terms.sum(axis=1), grad, weight, 1.0 / n)
    return scalar(terms.sum()) / n, grad


def softmax_cross_entropy(logits: Array, labels: Array, weight: Array | None = None) -> tuple[float, Array]:
    """Cross-entropy of ``softmax(logits)``, mean over samples.

    Parameters
    ----------
    logits : array, shape (n_samples, k)
    labels : int array, shape (n_samples,), or array (n_samples, k)
        Class labels, or one-hot (or soft) rows.
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``-sum(y * log_softmax(z)) / n``.
    grad : array, shape (n_samples, k)
        ``(softmax(z) - y) / n``.
    """
    xp = namespace(logits)
    n = logits.shape[0]
    logp = log_softmax(logits)
    grad = xp.exp(logp)
    if labels.ndim == 1:
        rows = xp.arange(n)
        per_sample = -logp[rows, labels]
        grad[rows, labels] -= 1
    else:
        per_sample = -xp.einsum("ij,ij->i", labels, logp)
        grad -= labels
    grad /= n
    if weight is not None:
        return _weighted(per_sample, grad, weight, 1.0 / n)
    return scalar(per_sample.sum()) / n, grad


def cross_entropy_from_probs(probs: Array, labels: Array, weight: Array | None = None) -> tuple[float, Array]:
    """Cross-entropy of given class probabilities (rows summing to one), mean over samples.

    Parameters
    ----------
    probs : array, shape (n_samples, k)
    labels : int array, shape (n_samples,), or array (n_samples, k)
    weight : array, shape (n_samples,), optional

    Returns
    -------
    cost : float
        ``-sum(y * log(p)) / n`` with ``p`` clipped at machine epsilon.
    grad : array, shape (n_samples, k)
        ``-y / p / n``.
    """
    xp = namespace(probs)
    n = probs.shape[0]
    p = xp.clip(probs, np.finfo(probs.dtype).eps, None)
    y = one_hot(labels, probs.shape[1], probs.dtype) if labels.ndim == 1 else labels
    grad = (-(y / p) / n).astype(probs.dtype, copy=False)
    if weight is not None:
        return _weighted(-xp.einsum("ij,ij->i", y, xp.log(p)), grad, weight, 1.0 / n)
    return -scalar(xp.vdot(y, xp.log(p))) / n, grad


# --- L2 regularization (tutorial 02, "Overfitting & Regularization")


def l2_penalty(weights: Array, lam: float) -> float:
    """``lam / 2 * sum(W**2)`` over the weights given (biases are not penalized).

    Parameters
    ----------
    weights : array, any shape
    lam : float
        The regularization strength lambda.

    Returns
    -------
    float
    """
    xp = namespace(weights)
    return 0.5 * lam * scalar(xp.vdot(weights, weights))


def l1_penalty(weights: Array, lam: float) -> float:
    """``lam * sum(|W|)`` over the weights given (biases are not penalized).

    Parameters
    ----------
    weights : array, any shape
    lam : float
        The L1 strength.

    Returns
    -------
    float
    """
    xp = namespace(weights)
    return lam * scalar(xp.sum(xp.abs(weights)))


def l1_penalty_grad(weights: Array, lam: float) -> Array:
    """Gradient of :func:`l1_penalty`: ``lam * sign(W)`` (0 where a weight is exactly 0, a subgradient).

    Parameters
    ----------
    weights : array, any shape
    lam : float

    Returns
    -------
    array like ``weights``
    """
    return lam * namespace(weights).sign(weights)


def l2_penalty_grad(weights: Array, lam: float) -> Array:
    """Gradient of :func:`l2_penalty`: ``lam * W``.

    Parameters
    ----------
    weights : array, any shape
    lam : float

    Returns
    -------
    array like ``weights``
    """
    return lam * weights
