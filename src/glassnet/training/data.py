"""Splitting data and scoring predictions: helpers of the training loop."""

from __future__ import annotations

import numpy as np

from ..losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy


def is_classifier_loss(loss: Loss) -> bool:
    return isinstance(loss, (SoftmaxCrossEntropy, BinaryCrossEntropy))


def class_labels(y: np.ndarray) -> np.ndarray:
    """Integer labels from labels, one-hot rows or a single 0/1 column (for stratifying)."""
    if y.ndim == 1:
        return y.astype(np.intp)
    if y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.intp)
    return np.argmax(y, axis=1)


def split_indices(n: int, fraction: float, rng: np.random.Generator,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices; ``fraction`` of each class goes to validation when
    ``labels`` are given (a stratified split), else ``fraction`` of all rows."""
    if labels is None:
        order = rng.permutation(n)
        n_val = max(1, int(round(fraction * n)))
        return np.sort(order[n_val:]), np.sort(order[:n_val])
    val = []
    for c in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == c))
        val.append(rows[: int(round(fraction * rows.size))])
    val_idx = np.sort(np.concatenate(val))
    if val_idx.size == 0 or val_idx.size == n:
        raise ValueError(
            f"validation_split={fraction} leaves an empty training or validation set for {n} samples"
        )
    return np.setdiff1d(np.arange(n), val_idx), val_idx


def accuracy(output: np.ndarray, y: np.ndarray, logits: bool) -> float:
    """Fraction of correct predictions: argmax for several outputs, a threshold for one.

    ``output`` is logits (threshold 0) or probabilities (threshold 0.5); ``y``
    is integer labels, one-hot rows, or 0/1 targets (each column counts).
    """
    if output.shape[1] > 1 and (y.ndim == 1 or y.shape[1] == output.shape[1]) and not _multilabel(y):
        pred = np.argmax(output, axis=1)
        truth = y if y.ndim == 1 else np.argmax(y, axis=1)
        return np.count_nonzero(pred == truth) / pred.size
    pred = output > (0.0 if logits else 0.5)
    return np.count_nonzero(pred == (y > 0.5)) / pred.size


def _multilabel(y: np.ndarray) -> bool:
    return y.ndim == 2 and y.shape[1] > 1 and not np.allclose(y.sum(axis=1), 1.0)
