"""The math of glassnet as small pure functions on arrays.

Samples are rows: ``z`` has shape ``(n_samples, n_units)``. Layers and losses
call these functions; they are public so that a reader can check a formula on
a few numbers by hand.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, finite for every finite ``z``.

    SciPy's ``expit`` evaluates ``exp(-|z|)`` internally, so large ``|z|`` never
    overflows (the naive formula warns and returns 0 or 1 from ``inf``).
    """
    return expit(z, out=out) if out is not None else expit(z)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``log(softmax(z))`` row by row, shape ``(n, k)``, with the row maximum subtracted first."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise ``exp(z) / sum(exp(z))``; the row maximum is subtracted so exp never overflows."""
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def one_hot(labels: np.ndarray, n_classes: int, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Rows of zeros with a one in the column of each integer label; shape ``(n, n_classes)``."""
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


# --- losses: each returns (cost, gradient of the cost with respect to its first argument).
# Optional per-sample weights w (n,) multiply each sample's term: C = sum_i w_i C_i / n.


def _weighted(cost_rows: np.ndarray, grad: np.ndarray, weight: np.ndarray, scale: float):
    """Per-sample costs and gradient rows multiplied by per-sample weights ``w`` (n,)."""
    grad *= weight[:, None]
    return scale * float(np.dot(weight, cost_rows)), grad


def squared_error(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean", weight: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Squared error with the one-half factor.

    ``C = 1/2 * sum((pred - target)**2) / n`` for ``reduction="mean"`` (n samples),
    without the ``/ n`` for ``"sum"``. Gradient: ``(pred - target) / n`` or ``pred - target``.
    With per-sample weights ``w`` each sample's term is multiplied by ``w_i``.
    """
    diff = pred - target
    scale = 1.0 / pred.shape[0] if reduction == "mean" else 1.0
    if weight is not None:
        rows = 0.5 * np.einsum("ij,ij->i", diff, diff)
        return _weighted(rows, diff * scale, weight, scale)
    cost = 0.5 * scale * float(np.vdot(diff, diff))
    diff *= scale
    return cost, diff


def binary_cross_entropy(prob: np.ndarray, target: np.ndarray,
                         weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Logistic cost from probabilities, mean over samples, sum over outputs.

    ``C = -sum(t*log(p) + (1-t)*log(1-p)) / n``; ``dC/dp = (p - t) / (p*(1-p)) / n``.
    ``p`` is clipped to ``[eps, 1-eps]`` (machine epsilon of its dtype) so a
    saturated probability gives a large finite cost rather than ``inf``.
    """
    eps = np.finfo(prob.dtype).eps
    p = np.clip(prob, eps, 1 - eps)
    n = prob.shape[0]
    terms = target * np.log(p) + (1 - target) * np.log1p(-p)
    grad = ((p - target) / (p * (1 - p)) / n).astype(prob.dtype, copy=False)
    if weight is not None:
        return _weighted(-terms.sum(axis=1), grad, weight, 1.0 / n)
    return -float(np.sum(terms)) / n, grad


def binary_cross_entropy_with_logits(
    z: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Logistic cost from logits ``z`` (before the sigmoid), stable for any ``z``.

    ``C = sum(max(z, 0) - z*t + log(1 + exp(-|z|))) / n``, which equals the cost
    of ``sigmoid(z)`` without ever forming ``log(0)``; ``dC/dz = (sigmoid(z) - t) / n``.
    """
    n = z.shape[0]
    terms = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    grad = sigmoid(z)
    grad -= target
    grad /= n
    if weight is not None:
        return _weighted(terms.sum(axis=1), grad, weight, 1.0 / n)
    return float(np.sum(terms)) / n, grad


def softmax_cross_entropy(
    logits: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Cross-entropy of ``softmax(logits)``, mean over samples.

    ``labels`` are integers of shape ``(n,)`` or one-hot (or soft) rows ``(n, k)``.
    ``C = -sum(y * log_softmax(z)) / n``; ``dC/dz = (softmax(z) - y) / n``.
    """
    n = logits.shape[0]
    logp = log_softmax(logits)
    grad = np.exp(logp)
    if labels.ndim == 1:
        rows = np.arange(n)
        per_sample = -logp[rows, labels]
        grad[rows, labels] -= 1
    else:
        per_sample = -np.einsum("ij,ij->i", labels, logp)
        grad -= labels
    grad /= n
    if weight is not None:
        return _weighted(per_sample, grad, weight, 1.0 / n)
    return float(per_sample.sum()) / n, grad


def cross_entropy_from_probs(
    probs: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Cross-entropy of given class probabilities (rows summing to one), mean over samples.

    ``C = -sum(y * log(p)) / n`` with ``p`` clipped at machine epsilon; ``dC/dp = -y / p / n``.
    """
    n = probs.shape[0]
    p = np.clip(probs, np.finfo(probs.dtype).eps, None)
    y = one_hot(labels, probs.shape[1], probs.dtype) if labels.ndim == 1 else labels
    grad = (-(y / p) / n).astype(probs.dtype, copy=False)
    if weight is not None:
        return _weighted(-np.einsum("ij,ij->i", y, np.log(p)), grad, weight, 1.0 / n)
    return -float(np.vdot(y, np.log(p))) / n, grad


# --- L2 regularization (tutorial 02, "Overfitting & Regularization")


def l2_penalty(weights: np.ndarray, lam: float) -> float:
    """``lam / 2 * sum(W**2)`` over the weights given (biases are not penalized)."""
    return 0.5 * lam * float(np.vdot(weights, weights))


def l2_penalty_grad(weights: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of :func:`l2_penalty`: ``lam * W``."""
    return lam * weights
