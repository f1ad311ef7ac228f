"""Optimizers that scale each coordinate's step by a running gradient statistic."""

from __future__ import annotations

import math

import numpy as np

from .._blas import axpby, axpy, scal
from .._validation import check_real
from .base import Optimizer


class RMSProp(Optimizer):
    """``s = rho * s + (1 - rho) * g**2``; ``p -= lr * g / (sqrt(s) + eps)`` (Tieleman & Hinton, 2012).

    PyTorch calls ``rho`` "alpha" and uses the same default, 0.99.
    """

    name = "rmsprop"
    slots = ("square_avg",)

    def __init__(self, lr: float = 0.01, rho: float = 0.99, eps: float = 1e-8,
                 schedule: object = None) -> None:
        super().__init__(lr, schedule)
        self.rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)

    def update(self, p, g, lr):
        s, tmp = self.state["square_avg"], self._tmp
        np.square(g, out=tmp)
        axpby(1 - self.rho, tmp, self.rho, s, tmp)  # s = rho s + (1 - rho) g**2
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        axpy(-lr, tmp, p, tmp)  # p -= lr g / (sqrt(s) + eps)

    def config(self):
        return {"lr": self.lr0, "rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with bias-corrected moments.

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g**2``;
    ``p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``.
    ``weight_decay`` (AdamW only) shrinks the weights, not the biases, by
    ``lr * weight_decay * p`` before each step.

    Notes
    -----
    The state holds the moments divided by their weights, ``M = m / (1 - b1)``
    and ``V = v / (1 - b2)``, which follow ``M = b1 M + g`` and
    ``V = b2 V + g**2``: the constant factors move into the two scalars of the
    step, and one update takes 7 passes over the parameters instead of 12, three of
    them level-1 BLAS calls (see :mod:`glassnet._blas`).
    The parameters follow the formula above exactly.
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, schedule: object = None) -> None:
        super().__init__(lr, schedule)
        self.beta1 = check_real(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_real(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.weight_decay = 0.0

    def update(self, p, g, lr):
        b1, b2, t = self.beta1, self.beta2, self.t
        M, V, tmp = self.state["m"], self.state["v"], self._tmp
        if self.weight_decay:
            scal(1 - lr * self.weight_decay, p[: self.n_decayed])  # w -= lr wd w
        axpby(1.0, g, b1, M, tmp)  # M = b1 M + g
        np.square(g, out=tmp)
        axpby(1.0, tmp, b2, V, tmp)  # V = b2 V + g**2
        # sqrt(v / c2) = k sqrt(V) with k = sqrt((1 - b2) / c2), so the step is
        # lr (1 - b1) / (c1 k) * M / (sqrt(V) + eps / k)
        c1, k = 1 - b1**t, math.sqrt((1 - b2) / (1 - b2**t))
        np.sqrt(V, out=tmp)
        tmp += self.eps / k
        np.divide(M, tmp, out=tmp)
        axpy(-lr * (1 - b1) / (c1 * k), tmp, p, tmp)

    def config(self):
        return {"lr": self.lr0, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): ``p -= lr * wd * p`` first.

    Only weights decay (the first ``n_decayed`` entries of the flat vector), as
    is usual: decaying biases and normalization offsets gains nothing.
    """

    name = "adamw"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01, schedule: object = None) -> None:
        super().__init__(lr, beta1, beta2, eps, schedule)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)

    def config(self):
        return {**super().config(), "weight_decay": self.weight_decay}
