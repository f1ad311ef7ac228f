"""Scores for predictions: accuracy, the confusion matrix, and each class's precision and recall."""

from __future__ import annotations

import unicodedata

import numpy as np

from ..core._validation import check_positive_int
from ..errors import OptionError


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of predictions equal to the truth.

    Parameters
    ----------
    y_true, y_pred : arrays, shape (n_samples,)
        Or columns, (n_samples, 1): one label a row either way.

    Returns
    -------
    float
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()  # (n, 1) against (n,) broadcast to n x n
    if y_true.shape != y_pred.shape:
        raise OptionError(f"y_true and y_pred must hold one label per sample each; received {y_true.size} and "
                          f"{y_pred.size}")
    return float(np.mean(y_true == y_pred))


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
    given = np.asarray(y_true), np.asarray(y_pred)
    for name, labels in zip(("y_true", "y_pred"), given):  # 1.7 was counted as class 1
        flat = labels.ravel()
        fractions = flat[flat != np.round(flat)] if flat.dtype.kind == "f" else flat[:0]
        if fractions.size:
            raise OptionError(f"{name} must hold class labels, whole numbers; received {float(fractions[0]):g}")
    y_true, y_pred = given[0].astype(np.intp).ravel(), given[1].astype(np.intp).ravel()
    if y_true.shape != y_pred.shape:
        raise OptionError(f"y_true and y_pred must hold one label per sample each; received {y_true.size} and "
                          f"{y_pred.size}")
    if n_classes is None:
        if not y_true.size:
            raise OptionError("y_true is empty: give n_classes for a matrix of no samples")
        k = int(max(y_true.max(), y_pred.max())) + 1
    else:
        k = check_positive_int(n_classes, "n_classes")
    labels = np.concatenate([y_true, y_pred])
    if labels.size and (labels.min() < 0 or labels.max() >= k):  # counted in another class's cell before
        raise OptionError(f"labels must be classes 0..{k - 1} (n_classes={k}); received labels from "
                          f"{labels.min()} to {labels.max()}")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def text_width(text: str) -> int:
    """How many columns ``text`` takes in a terminal: two for each wide character (Chinese, Japanese, Korean),
    none for a combining mark, one for the rest.

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - text_width(text)) + text


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
    width = max(max(len(str(v)) for v in matrix.ravel()), max(text_width(s) for s in labels)) + 1
    corner = "true\\pred"
    side = max(len(corner), max(text_width(s) for s in labels)) + 1
    lines = [corner.ljust(side) + "".join(_right(s, width) for s in labels)]
    for label, row in zip(labels, matrix):
        lines.append(_left(label, side) + "".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)


def precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each class's precision and recall, read from a confusion matrix.

    Precision of class j: of the samples predicted j, the share that are j
    (``C[j, j] / C[:, j].sum()``). Recall of class i: of the samples of class
    i, the share predicted i (``C[i, i] / C[i, :].sum()``). A class never
    predicted, or never seen, gets NaN there: there is nothing to count.

    Parameters
    ----------
    matrix : int array, shape (k, k)
        From :func:`confusion_matrix`: rows true classes, columns predicted ones.

    Returns
    -------
    (precision, recall) : float arrays, shape (k,)
    """
    matrix = np.asarray(matrix, np.float64)
    hits = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.where(predicted > 0, hits / predicted, np.nan), np.where(actual > 0, hits / actual, np.nan))


def format_precision_recall(matrix: np.ndarray, labels: list[str]) -> str:
    """A table of each class's precision, recall and number of test samples.

    Parameters
    ----------
    matrix : int array, shape (k, k)
    labels : list of str

    Returns
    -------
    str
    """
    precision, recall = precision_recall(matrix)
    side = max(len("class"), *(text_width(s) for s in labels)) + 1
    lines = ["class".ljust(side) + " precision    recall   samples"]
    for label, p, r, n in zip(labels, precision, recall, np.asarray(matrix).sum(axis=1)):
        cells = ["—" if np.isnan(v) else f"{v:.1%}" for v in (p, r)]
        lines.append(_left(label, side) + f"{cells[0]:>10}{cells[1]:>10}{n:>10}")
    return "\n".join(lines)
