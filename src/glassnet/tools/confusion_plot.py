"""The confusion matrix as a picture: where a classifier's test samples went, with each class's precision and
recall.

Drawn beside the learning curves by ``glassnet train`` for every classifier:
rows are the true classes, columns the predicted ones, each cell shaded by
the share of its row, so that a class with few samples reads as clearly as a
large one."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import OptionError
from .figures import figure, save_figure
from .metrics import precision_recall


def confusion_picture(matrix: np.ndarray, classes: list[str], path: str | os.PathLike,
                      title: str = "Test set: true class against predicted class",
                      inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Write a confusion matrix as a picture: counts in the cells, rows shaded by share, precision and recall.

    Parameters
    ----------
    matrix : int array, shape (k, k)
        From :func:`glassnet.tools.metrics.confusion_matrix`.
    classes : list of str
        The k class names.
    path : str or path_like
        PNG, SVG, PDF or JPEG, by its suffix.
    title : str
    inputs : iterable of paths
        Files the picture must not overwrite.

    Returns
    -------
    pathlib.Path
    """
    matrix = np.asarray(matrix)
    k = len(classes)
    if matrix.ndim != 2 or matrix.shape != (k, k):
        raise OptionError(f"matrix must be square, one row and column for each of the {k} classes; received shape "
                          f"{matrix.shape}")
    precision, recall = precision_recall(matrix)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    side = min(12.0, 2.4 + 0.6 * k)
    # an inch more below the axes than the figure's own margins give a picture of height ``side``, where the
    # class names and precisions go: they then lie inside the canvas and the picture is drawn once
    fig, ax = figure(figsize=(side + 1.2, side + 1))
    margins = fig.subplotpars  # fractions of the height, as matplotlib's settings give them
    fig.subplots_adjust(bottom=(margins.bottom * side + 1) / (side + 1), top=1 - (1 - margins.top) * side / (side + 1))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=9 if k <= 12 else 6,
                    color="white" if share[i, j] > 0.6 else "black")

    def named(names, values, what):
        return [f"{name}\n{what} {'—' if np.isnan(v) else f'{v:.0%}'}" for name, v in zip(names, values)]

    ax.set_xticks(range(k), named(classes, precision, "precision"), fontsize=8, rotation=45 if k > 6 else 0)
    ax.set_yticks(range(k), named(classes, recall, "recall"), fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(matrix) / max(1, matrix.sum())
    ax.set_title(f"{title}\n{matrix.sum()} samples, accuracy {accuracy:.1%}", fontsize=10)
    return save_figure(fig, path, inputs)  # its tight bounding box takes in the labels


__all__ = ["confusion_picture"]
