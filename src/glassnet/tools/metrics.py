"""Scores for predictions: accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of predictions equal to the truth.

    Parameters
    ----------
    y_true, y_pred : arrays, shape (n_samples,)

    Returns
    -------
    float
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` counts samples of true class i predicted as class j.

    Parameters
    ----------
    y_true, y_pred : int arrays, shape (n_samples,)
    n_classes : int, optional
        By default one more than the largest label.

    Returns
    -------
    int array, shape (n_classes, n_classes)
    """
    y_true, y_pred = np.asarray(y_true, np.intp), np.asarray(y_pred, np.intp)
    k = n_classes or int(max(y_true.max(), y_pred.max())) + 1
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def format_confusion(matrix: np.ndarray, labels: list[str] | None = None) -> str:
    """The matrix as text: rows are true classes, columns predicted ones.

    Parameters
    ----------
    matrix : int array, shape (k, k)
    labels : list of str, optional
        The classes' names; 0..k-1 by default.

    Returns
    -------
    str
    """
    k = matrix.shape[0]
    labels = labels or [str(i) for i in range(k)]
    width = max(max(len(str(v)) for v in matrix.ravel()), max(len(s) for s in labels)) + 1
    corner = "true\\pred"
    side = max(len(corner), max(len(s) for s in labels)) + 1
    lines = [corner.ljust(side) + "".join(s.rjust(width) for s in labels)]
    for label, row in zip(labels, matrix):
        lines.append(label.ljust(side) + "".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)
