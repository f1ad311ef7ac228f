"""Costs and penalties as pure functions: each gives the cost and its gradient with respect to the network's output.

Samples are rows. A cost function returns (cost, dC/d(output)): the mean
over the samples, and the gradient of that mean. With sample weights ``w`` it is
``sum(w_i * c_i) / n``, each sample's cost weighed and divided by the number of
samples, not by the weights' sum, so that
weights of 1 change nothing and a weight of 2 counts a sample twice. The
penalties give the L2 and L1 terms over a vector of weights and their
gradients. See :mod:`glassnet.functional`, which gathers them with the activations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.arrays import namespace, scalar
from .activations import log_softmax, one_hot, sigmoid

Array = Any  # an array of NumPy or of another namespace with NumPy's API


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
        ``(softmax(z) - y) / n``; for rows ``y`` that do not sum to 1,
        ``(softmax(z) * sum(y) - y) / n``, as the cost's gradient is.
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
        # d/dz of -sum(y log_softmax(z)) is softmax(z) sum(y) - y: rows that do not sum to 1 (multi-hot, or
        # unnormalized weights per class) scale the softmax; one-hot rows multiply it by exactly 1
        grad *= labels.sum(axis=1, keepdims=True)
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
