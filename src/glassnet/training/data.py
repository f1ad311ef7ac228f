"""Splitting data and scoring predictions: helpers of the training loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.arrays import namespace, scalar, to_numpy
from ..datasets.base import stratified_rows
from ..errors import OptionError
from ..losses.costs import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from ..losses.objective import Objective
from ..nn import Stack
from ..nn.predicting import PREDICT_BYTES
from ..nn.stack import check_model

Array = Any


def is_classifier_loss(loss: Loss) -> bool:
    """Whether ``loss`` scores classes (so that accuracy is reported).

    Parameters
    ----------
    loss : Loss

    Returns
    -------
    bool
    """
    return isinstance(loss, (SoftmaxCrossEntropy, BinaryCrossEntropy))


def class_labels(y: Array) -> np.ndarray:
    """Integer labels from labels, one-hot rows or a single 0/1 column (for stratifying).

    Parameters
    ----------
    y : array, shape (n_samples,) or (n_samples, k)

    Returns
    -------
    numpy int array, shape (n_samples,)
    """
    y = to_numpy(y)
    if y.ndim == 1:
        return y.astype(np.intp)
    if y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.intp)
    return np.argmax(y, axis=1)


def split_indices(n: int, fraction: float, rng: np.random.Generator,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a training and a validation part.

    Parameters
    ----------
    n : int
        The number of rows.
    fraction : float
        The share that goes to validation: of each class when ``labels`` are
        given (a stratified split), else of all rows.
    rng : numpy.random.Generator
    labels : int array, shape (n,), optional

    Returns
    -------
    (train, validation) : sorted int arrays
    """
    if labels is None:
        n_val = max(1, int(round(fraction * n)))
        if n_val >= n:  # as the stratified split says it, not a batch of 0 rows later
            raise OptionError(f"validation_split={fraction} leaves an empty training or validation set for {n} "
                              "samples")
        order = rng.permutation(n)
        return np.sort(order[n_val:]), np.sort(order[:n_val])
    # round(fraction * n) rows in all, shared out by largest remainder (each class rounded on its own held out
    # 20 of 60 rows at 0.2 with 20 classes of 3, and none of 40 at 0.1 with 10 classes of 4); each class keeps
    # a training row, so a class of one row is never held out
    share = fraction if round(fraction * n) >= 1 else 1 / n  # at least one row, as without labels
    val_idx = np.sort(stratified_rows(labels, share, rng))
    if val_idx.size == 0 or val_idx.size == n:
        raise OptionError(f"validation_split={fraction} leaves an empty training or validation set for {n} samples"
                          + (" (each class keeps a training row: a class of one sample is never held out)"
                             if val_idx.size == 0 else ""))
    return np.setdiff1d(np.arange(n), val_idx), val_idx


def accuracy(output: Array, y: Array, logits: bool) -> float:
    """Fraction of correct predictions: argmax for several outputs, a threshold for one.

    Parameters
    ----------
    output : array, shape (n_samples, k)
        Logits (threshold 0) or probabilities (threshold 0.5).
    y : array
        Integer labels, one-hot rows, or 0/1 targets (each column counts).
    logits : bool

    Returns
    -------
    float
    """
    return float(correct(output, y, logits)) / output.shape[0]


def correct(output: Array, y: Array, logits: bool, multilabel: bool | None = None) -> Any:
    """How many rows are predicted right (see :func:`accuracy`): a float on NumPy, a 0-d array on a device.

    Parameters
    ----------
    output : array, shape (n_samples, k)
    y : array
    logits : bool
    multilabel : bool, optional
        Whether ``y`` holds several 0/1 targets per row (:func:`is_multilabel`);
        given by a caller that asks batch after batch, so that no batch waits
        for the device to decide it.

    Returns
    -------
    float or 0-d array
        For several 0/1 targets a row counts each of its k entries as 1/k.
    """
    xp = namespace(output)
    if multilabel is None:
        multilabel = is_multilabel(y)
    if output.shape[1] > 1 and (y.ndim == 1 or y.shape[1] == output.shape[1]) and not multilabel:
        pred = xp.argmax(output, axis=1)
        truth = y if y.ndim == 1 else xp.argmax(y, axis=1)
        return scalar(xp.count_nonzero(pred == truth))
    pred = output > (0.0 if logits else 0.5)
    truth = y[:, None] if y.ndim == 1 else y  # one output and labels (n,): row against row, not all pairs
    return scalar(xp.count_nonzero(pred == (truth > 0.5))) / output.shape[1]


def is_multilabel(y: Array) -> bool:
    """Whether ``y`` holds several 0/1 targets per row rather than one-hot rows.

    Parameters
    ----------
    y : array

    Returns
    -------
    bool
    """
    return y.ndim == 2 and y.shape[1] > 1 and not bool(namespace(y).allclose(y.sum(axis=1), 1.0))


def evaluate(model: Stack, X: Array, y: Array, objective: Objective | str | Loss,
             batch_size: int = 4096, multilabel: bool | None = None) -> dict[str, float]:
    """Cost and, for classifiers, accuracy on ``(X, y)`` in inference mode, in chunks.

    Parameters
    ----------
    model : Stack
    X, y : arrays
        As ``objective.prepare`` returned them; given a loss, the data as
        ``model.evaluate`` takes it (checked and prepared here).
    objective : Objective, str or Loss
        The training loop's objective, or a loss (``"cross_entropy"``).
    batch_size : int
        Rows per chunk at most; fewer where the working arrays would pass
        :data:`~glassnet.nn.predicting.PREDICT_BYTES` (a conv net's few dozen pictures).
    multilabel : bool, optional
        Whether ``y`` holds several 0/1 targets per row; by default decided from ``y`` itself
        (a rank scoring its share of the rows is told what all the rows hold).

    Returns
    -------
    dict
        ``{"loss": cost with the L2 term}``, and ``"accuracy"`` for classification losses.
    """
    if not isinstance(objective, Objective):  # a loss by name: 'str' object has no attribute 'loss' before
        objective = Objective(check_model(model), objective)
        X, y = objective.prepare(X, y)
    loss = objective.loss
    n = X.shape[0]
    total = right = 0.0
    # decided once for all of y: a chunk whose rows each hold one 1 was scored as one-hot by argmax
    multilabel = is_classifier_loss(loss) and (is_multilabel(y) if multilabel is None else multilabel)
    batch_size = min(batch_size, model.chunk_size(PREDICT_BYTES))  # as predict: a conv net's chunks stay in cache
    for start in range(0, n, batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model.forward(xb, stop=objective.stop)
        cost = objective.cost_and_grad(out, yb)[0]
        total += cost * xb.shape[0] if loss.is_mean else cost
        if is_classifier_loss(loss):
            right += float(correct(out, yb, objective.output_is_logits, multilabel))
    share = objective.evaluation_shares(n, None)[1]  # the penalty's share a training batch gives it
    result = {"loss": float((total / n if loss.is_mean else total) + share * objective.penalty())}
    if is_classifier_loss(loss):
        result["accuracy"] = right / n
    return result


def params_host_copy(model: Stack) -> Array:
    """A NumPy copy of the flat parameters (for SciPy).

    Parameters
    ----------
    model : Stack

    Returns
    -------
    numpy.ndarray, shape (n_params,), float64
    """
    return to_numpy(model.params).astype("float64")
