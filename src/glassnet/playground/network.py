"""A playground run's network and optimizer, built from its spec, and the optimizer's next step written out.

:func:`build` and :func:`make_optimizer` are what a :class:`~glassnet.playground.session.Session`
trains and what the script of :func:`~glassnet.playground.scripts.script` calls, so that
both reach the same numbers; :func:`step_formula` writes out what the page shows of a weight's next step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn import Dense, Stack, get_activation
from ..optim import SGD, Adam
from .spec import Spec


def build(spec: Spec, n_out: int) -> tuple[Stack, str]:
    """The network of ``spec`` (float64, weights drawn from ``spec.seed``) and the loss that fits its task.

    Parameters
    ----------
    spec : Spec
    n_out : int
        Classes, or 1 for regression.

    Returns
    -------
    (Stack, str)
        The model, and "bce" (two classes: one sigmoid output), "cross_entropy"
        (several: softmax) or "mse" (regression: a linear output).
    """
    rng = np.random.default_rng(spec.seed)
    widths = [len(spec.features), *spec.layers]
    layers = []
    for n_in, width, act in zip(widths[:-1], widths[1:], spec.activations):
        layers += [Dense(n_in, width, rng=rng, dtype=np.float64), get_activation(act)]
    if spec.task == "regression":
        return Stack([*layers, Dense(widths[-1], 1, rng=rng, dtype=np.float64)], rng=spec.seed), "mse"
    if n_out == 2:
        return Stack([*layers, Dense(widths[-1], 1, rng=rng, dtype=np.float64), get_activation("sigmoid")],
                     rng=spec.seed), "bce"
    return Stack([*layers, Dense(widths[-1], n_out, rng=rng, dtype=np.float64), get_activation("softmax")],
                 rng=spec.seed), "cross_entropy"


def make_optimizer(spec: Spec) -> SGD | Adam:
    """The optimizer ``spec`` names, at its learning rate.

    Parameters
    ----------
    spec : Spec

    Returns
    -------
    Optimizer
    """
    if spec.optimizer == "adam":
        return Adam(lr=spec.lr)
    return SGD(lr=spec.lr, momentum=0.9 if spec.optimizer == "momentum" else 0.0)


def step_formula(optimizer: Any, kind: str, index: int, w: float, g: float, step: float) -> str:
    """The next step of parameter ``index`` written out with its numbers, as the optimizer will take it.

    Parameters
    ----------
    optimizer : SGD or Adam
        Bound, with its state.
    kind : "sgd", "momentum" or "adam"
    index : int
        The parameter's place in the flat vector.
    w, g : float
        Its value and gradient.
    step : float
        What :meth:`~glassnet.optim.Optimizer.preview` says the step adds.

    Returns
    -------
    str
    """
    lr, after = optimizer.lr, w + step
    if kind == "adam":
        t = optimizer.t + 1
        b1, b2, eps = optimizer.beta1, optimizer.beta2, optimizer.eps
        m_before, v_before = (float(a[index]) for a in optimizer.moments())
        m = b1 * m_before + (1 - b1) * g
        v = b2 * v_before + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return (f"Adam, step {t}: m = {b1:g} m + {1 - b1:.3g} dJ/dw = {m:.6g}; v = {b2:g} v + {1 - b2:.3g} "
                f"(dJ/dw)^2 = {v:.6g}; w - lr m_hat / (sqrt(v_hat) + eps) = {w:.6g} - {lr:g} x {m_hat:.6g} / "
                f"(sqrt({v_hat:.6g}) + {eps:g}) = {after:.6g}")
    if kind == "momentum":
        mu = optimizer.momentum
        velocity = mu * float(optimizer.state["velocity"][index]) + g
        return (f"momentum: v = {mu:g} v + dJ/dw = {velocity:.6g}; w - lr v = {w:.6g} - {lr:g} x "
                f"({velocity:.6g}) = {after:.6g}")
    return f"SGD: w - lr dJ/dw = {w:.6g} - {lr:g} x ({g:.6g}) = {after:.6g}"
