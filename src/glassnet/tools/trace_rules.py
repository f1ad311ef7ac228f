"""What :func:`glassnet.trace` and :func:`glassnet.draw_graph` call each value, the rule they write beside it,
and the pass they run: the cost's formula, each layer's name (Z1, A1, P1, P1b) and formulas, and whether batch
normalization runs on the batch's statistics or on its running ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..losses.costs import (
    AbsoluteError,
    BinaryCrossEntropy,
    Huber,
    Loss,
    PoissonDeviance,
    SoftmaxCrossEntropy,
    SquaredError,
)
from ..nn import Stack


def loss_formulas(loss: Loss, fused: bool) -> tuple[str, str]:
    """The cost's formula and its gradient's, as text.

    Parameters
    ----------
    loss : Loss
    fused : bool
        Whether the gradient is the one of Z (a loss fused with its activation, or taking logits).

    Returns
    -------
    (str, str)
    """
    if isinstance(loss, SquaredError):
        div = " / n" if loss.reduction == "mean" else ""
        return "C = 1/2 * sum((A - Y)**2)" + div, "dA = (A - Y)" + div
    if isinstance(loss, PoissonDeviance):
        return "C = sum(exp(A) - Y A + Y log Y - Y) / n", "dA = (exp(A) - Y) / n"
    if isinstance(loss, AbsoluteError):
        return "C = sum(|A - Y|) / n", "dA = sign(A - Y) / n"
    if isinstance(loss, Huber):
        return (f"C = sum(h(A - Y)) / n, h(r) = r**2 / 2 if |r| <= {loss.delta:g} else {loss.delta:g} (|r| - "
                f"{loss.delta / 2:g})", f"dA = clip(A - Y, -{loss.delta:g}, {loss.delta:g}) / n")
    if isinstance(loss, SoftmaxCrossEntropy):
        return ("C = -sum(Y * log(softmax(Z))) / n", "dZ = (softmax(Z) - Y) / n" if fused else "dA = -Y / A / n")
    if isinstance(loss, BinaryCrossEntropy):
        return ("C = -sum(Y log A + (1 - Y) log(1 - A)) / n",
                "dZ = (sigmoid(Z) - Y) / n" if fused else "dA = (A - Y) / (A (1 - A)) / n")
    return (f"C = {type(loss).__name__}(A, Y)", "dA = dC/dA")


def layer_names(model: Stack) -> list[tuple[str, str, int | str] | None]:
    """For each layer: (its output's name, its input's name, its number k), or None if left out.

    Layers with weights are numbered from 1 as the tutorials number W1, W2, ...;
    an activation shares the number of the layer before it (Z1 -> A1). Two
    layers without weights of one symbol in a row (max-pooling, then global
    average pooling) would share a name: the second is P1b, a third P1c.

    Parameters
    ----------
    model : Stack

    Returns
    -------
    list of (str, str, int or str) or None
        ``k`` is a string ("1b") for a layer whose number it shares with one of its symbol.
    """
    names: list[tuple[str, str, int | str] | None] = []
    k, prev = 0, "X"
    for layer in model.layers:
        if layer.trace_skip:
            names.append(None)
            continue
        if layer.params:
            k += 1
        label: int | str = k
        taken, count = {entry[0] for entry in names if entry is not None}, 1
        while f"{layer.trace_symbol}{label}" in taken:  # 1b, 1c, ... 1z, then 1_27, 1_28, ...
            count += 1
            label = f"{k}{chr(ord('a') + count - 1)}" if count <= 26 else f"{k}_{count}"
        name = f"{layer.trace_symbol}{label}"
        names.append((name, prev, label))
        prev = name
    return names


def formulas(layer: Any, k: int | str, prev: str, training: bool) -> tuple[str, str, dict[str, str]]:
    """``layer.trace_formulas(k, prev)``, or its formulas on running statistics (``trace_running``) in a pass
    that is not a training one.

    Parameters
    ----------
    layer : Layer
    k : int or str
    prev : str
    training : bool
        The pass's mode (:func:`training_pass`).

    Returns
    -------
    (str, str, dict)
    """
    forward, backward, params = layer.trace_formulas(k, prev)
    running = getattr(layer, "trace_running", None)
    if running and not training:
        forward, backward = (text.format(k=k, prev=prev) for text in running)
    return forward, backward, params


def training_pass(model: Stack) -> bool:
    """Whether a traced pass runs in training mode: where batch normalization uses the batch's statistics,
    unless dropout would draw masks (then two passes would differ, and the values could not be checked).

    Parameters
    ----------
    model : Stack

    Returns
    -------
    bool
    """
    return any(layer.state for layer in model.layers) and not any(layer.draws_in_training() for layer in model.layers)


def layer_outputs(model: Stack, X: Any) -> tuple[Any, list[np.ndarray]]:
    """One forward pass of a host model, in :func:`training_pass`'s mode, keeping a copy of every layer's output.

    Parameters
    ----------
    model : Stack
    X : array, shape (n_samples, *input_shape)
        Prepared rows.

    Returns
    -------
    (Workspace, list of arrays)
        The pass's workspace (for a backward pass through it) and the input followed by each layer's output.
    """
    ws, outs = model.workspace(training=training_pass(model)), [X]
    with np.errstate(all="ignore"):  # a sick network's overflow is for the caller to report
        for layer, ctx in zip(model.layers, ws.contexts):
            outs.append(np.array(layer.forward(outs[-1], ctx), dtype=np.float64, copy=True))
    return ws, outs


__all__ = ["formulas", "layer_names", "layer_outputs", "loss_formulas", "training_pass"]
