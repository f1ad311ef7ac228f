"""The checks of :func:`glassnet.diagnose` that read one pass: the data, each layer's units, the gradients by depth.

Each returns a list of :class:`~glassnet.tools.findings.Finding`; the
thresholds are in :mod:`glassnet.tools.findings`. :func:`unit_states` gives the
same verdicts unit by unit, for the playground's neuron pictures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn import ReLU, Sigmoid, Stack, Tanh
from ..training.data import is_multilabel
from . import findings as T
from .findings import Finding


def frobenius(a: Any) -> float:
    """The Frobenius norm of ``a``, in float64.

    Parameters
    ----------
    a : array

    Returns
    -------
    float
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a gradient of 1e200: its square overflows, the norm is inf
        return float(np.linalg.norm(np.asarray(a, dtype=np.float64)))


def data_findings(X: np.ndarray, y: np.ndarray, classify: bool, n_classes: int = 2,
                  varies: np.ndarray | None = None) -> list[Finding]:
    """Unscaled and constant input columns, and a class far rarer than another.

    Parameters
    ----------
    X : array, shape (n_samples, *input_shape)
    y : array
        Labels (or one-hot rows) for a classifier.
    classify : bool
    n_classes : int
        The model's classes (its outputs; 2 for one output): those the data never shows count 0.
    varies : array of bool, optional
        For a sample of a larger table: which of the whole table's columns vary (a column constant in the
        sample may not be).

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    columns = X.reshape(X.shape[0], -1) if X.ndim == 2 else X.reshape(-1, 1)  # all pixels one column
    std, mean = columns.std(axis=0), columns.mean(axis=0)
    worst = int(np.argmax(np.maximum(std / T.UNSCALED_STD, np.abs(mean) / T.UNSCALED_MEAN)))
    by_std = std[worst] / T.UNSCALED_STD >= abs(mean[worst]) / T.UNSCALED_MEAN  # which of the two it broke
    if std[worst] > T.UNSCALED_STD or abs(mean[worst]) > T.UNSCALED_MEAN:
        where = f"column {worst} has" if X.ndim == 2 else "the pixels have"
        value, limit = (std[worst], T.UNSCALED_STD) if by_std else (abs(mean[worst]), T.UNSCALED_MEAN)
        out.append(Finding("unscaled_input", None, float(value), limit,
                           f"{where} mean {mean[worst]:.4g} and standard deviation {std[worst]:.4g} (beyond "
                           f"{T.UNSCALED_MEAN:g} or {T.UNSCALED_STD:g})",
                           "Standardize the inputs (StandardScaler), or divide pixels by 255."))
    if X.ndim == 2 and X.shape[0] >= T.MIN_SAMPLES:
        constant = (std == 0) & (mean != 0)  # an empty border of zeros is left alone
        constant = np.flatnonzero(constant if varies is None else constant & ~varies)
        if constant.size:
            out.append(Finding("constant_feature", None, float(constant.size), 0.0,
                               f"{constant.size} column(s) hold one nonzero value in every sample (column "
                               f"{constant[0]}: {mean[constant[0]]:.4g})",
                               "Drop them: they carry no information and act as a second bias."))
    if classify:
        multilabel = is_multilabel(y)  # rows that do not sum to 1: several labels a row
        if multilabel:  # several labels a row: how often each label is on
            counts = np.count_nonzero(y > 0.5, axis=0)
        else:  # every class the model has: one the data never shows counts 0
            one_hot = y.ndim == 2 and y.shape[1] > 1
            labels = np.argmax(y, axis=1) if one_hot else np.ravel(y)
            if not one_hot and not np.all(labels == np.round(labels)):  # probabilities of one output (soft
                labels = labels > 0.5  # targets): the side of a half each is on
            counts = np.bincount(labels.astype(np.int64), minlength=y.shape[1] if one_hot else max(n_classes, 2))
        # judged on enough rows that each class would show MIN_SAMPLES times (one sample of 10 digits is no
        # evidence that nine are missing)
        if counts.size > 1 and len(y) >= T.MIN_SAMPLES * counts.size and counts.min() / counts.max() < T.IMBALANCE:
            ratio, rarest = counts.min() / counts.max(), int(np.argmin(counts))
            what = "label is on in" if multilabel else "class has"
            out.append(Finding("class_imbalance", None, float(ratio), T.IMBALANCE,
                               f"the rarest {what} {counts.min()} samples ({'label' if multilabel else 'class'} "
                               f"{rarest}), the most frequent {counts.max()} (ratio {ratio:.3f}, below "
                               f"{T.IMBALANCE:g})",
                               "Check the labels where one has no sample: the network cannot learn what the data "
                               "never shows. Else weight the classes (sample_weight, or class_weight='balanced' "
                               "in the estimators) and watch per-class recall, not accuracy."))
    return out


def dead_units(a: np.ndarray) -> np.ndarray:
    """Which units of a ReLU layer's output are 0 for every sample: a column, or a conv net's channel.

    Parameters
    ----------
    a : array, shape (n_samples, units, ...)

    Returns
    -------
    bool array, shape (units,)
    """
    return ~np.any(a > 0, axis=tuple(k for k in range(a.ndim) if k != 1))


def saturated_shares(layer: Any, a: np.ndarray) -> np.ndarray:
    """Each unit's share of outputs within ``1 - SATURATION`` of a sigmoid's or tanh's limits.

    Parameters
    ----------
    layer : Sigmoid or Tanh
    a : array, shape (n_samples, units, ...)

    Returns
    -------
    float array, shape (units,)
    """
    far = np.abs(a - 0.5) > T.SATURATION - 0.5 if isinstance(layer, Sigmoid) else np.abs(a) > T.SATURATION
    return far.mean(axis=tuple(k for k in range(a.ndim) if k != 1))


def unit_states(model: Stack, X: Any) -> list[list[str]]:
    """For each hidden layer's output (every layer but a Dense and the last), each unit's state on ``X``.

    The playground marks its neuron pictures with these: "dead" (a ReLU that
    outputs 0 for every row), "saturated" (a sigmoid or tanh unit at its limits
    for more than :data:`~glassnet.tools.findings.SATURATED_SHARE` of the rows),
    or "".

    Parameters
    ----------
    model : Stack
    X : array, shape (n_samples, *input_shape)

    Returns
    -------
    list of lists of str
    """
    states, a = [], X
    ws = model.workspace(training=False)
    for i, (layer, ctx) in enumerate(zip(model.layers, ws.contexts)):
        a = layer.forward(a, ctx)
        if i == len(model.layers) - 1 or "W" in layer.params:
            continue
        out = np.asarray(a)
        units = [""] * out.shape[1]
        if isinstance(layer, ReLU):
            units = ["dead" if d else "" for d in dead_units(out)]
        elif isinstance(layer, (Sigmoid, Tanh)):
            units = ["saturated" if s > T.SATURATED_SHARE else "" for s in saturated_shares(layer, out)]
        states.append(units)
    return states


def layer_findings(model: Stack, outs: list[np.ndarray]) -> list[Finding]:
    """Dead ReLU units, saturated hidden sigmoid and tanh units, outputs that are not finite.

    Parameters
    ----------
    model : Stack
    outs : list of arrays
        The input and each layer's output, on the sample.

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    for i, layer in enumerate(model.layers):
        a = outs[i + 1]
        if not np.all(np.isfinite(a)):
            share = float(np.mean(~np.isfinite(a)))
            return out + [Finding("nonfinite", i, share, 0.0, f"{share:.1%} of its outputs are NaN or infinite",
                                  "Lower the learning rate, scale the inputs, or train in float64.")]
        if isinstance(layer, ReLU) and a.shape[0] >= T.MIN_SAMPLES:
            dead = float(np.mean(dead_units(a)))
            if dead > T.DEAD_SHARE:
                out.append(Finding("dead_relu", i, dead, T.DEAD_SHARE,
                                   f"{dead:.0%} of its units output 0 for every sample (over {T.DEAD_SHARE:.0%})",
                                   "Check the layer before it for large negative biases or weights; lower the "
                                   "learning rate; try LeakyReLU."))
        elif isinstance(layer, (Sigmoid, Tanh)) and i < len(model.layers) - 1:
            share = float(np.mean(saturated_shares(layer, a)))
            if share > T.SATURATED_SHARE:
                out.append(Finding("saturated", i, share, T.SATURATED_SHARE,
                                   f"{share:.0%} of its outputs are within {1 - T.SATURATION:g} of their limits "
                                   f"(over {T.SATURATED_SHARE:.0%})",
                                   "Scale the inputs and initialize with smaller weights (init='xavier_normal'), "
                                   "or use ReLU units."))
    return out


def gradient_findings(model: Stack, depth: bool = True) -> list[Finding]:
    """Gradients that are not finite, or (``depth``) that shrink or grow with depth.

    Parameters
    ----------
    model : Stack
        Its gradients filled by a backward pass.
    depth : bool
        Also compare the first weight layer's gradient with the last one's.

    Returns
    -------
    list of Finding
    """
    weights = [(i, layer) for i, layer in enumerate(model.layers) if "W" in layer.params]
    for i, layer in weights:
        if not all(np.all(np.isfinite(g)) for g in layer.grads.values()):
            return [Finding("nonfinite", i, 1.0, 0.0, "its gradients hold NaN or infinity",
                            "Lower the learning rate, scale the inputs, or train in float64.")]
    if not depth or len(weights) < 2:
        return []
    relative = [frobenius(layer.grads["W"]) / max(frobenius(layer.params["W"]), 1e-300) for _, layer in weights]
    ratio = relative[0] / max(relative[-1], 1e-300)
    first = weights[0][0]
    if ratio < T.VANISHING:
        return [Finding("vanishing_gradient", first, ratio, T.VANISHING,
                        f"its weights' gradient, relative to the weights, is {ratio:.2g} times the last layer's "
                        f"(below {T.VANISHING:g})",
                        "Use ReLU or tanh units, fewer sigmoid layers, or batch normalization.")]
    if ratio > T.EXPLODING:
        return [Finding("exploding_gradient", first, ratio, T.EXPLODING,
                        f"its weights' gradient, relative to the weights, is {ratio:.2g} times the last layer's "
                        f"(over {T.EXPLODING:g})",
                        "Initialize with smaller weights (init='he_normal' or 'xavier_normal'), or normalize.")]
    return []


__all__ = ["data_findings", "dead_units", "gradient_findings", "layer_findings", "saturated_shares",
           "unit_states"]
