"""Optimizers that scale each coordinate's step by a running gradient statistic."""

from __future__ import annotations

import math

from ..core._validation import check_flag, check_real
from ..core.arrays import namespace
from ..ops._blas import axpby, axpy, scal
from .base import Array, Optimizer


class RMSProp(Optimizer):
    """``s = rho * s + (1 - rho) * g**2``; ``p -= lr * g / (sqrt(s) + eps)`` (Tieleman & Hinton, 2012).

    Parameters
    ----------
    lr : float, default 0.001
        The step size (Keras' default; PyTorch's is 0.01, which reaches 97.8 % on MNIST's MLP where
        0.001 reaches 98.1 %).
    rho : float
        The decay of the running mean of squares, in [0, 1). PyTorch calls it
        "alpha" and uses the same default, 0.99.
    eps : float
        Added to the root, > 0.
    schedule : None, str or Schedule
    """

    name = "rmsprop"
    slots = ("square_avg",)

    def __init__(self, lr: float = 0.001, rho: float = 0.99, eps: float = 1e-8, schedule: object = None) -> None:
        super().__init__(lr, schedule)
        self.rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)

    def update(self, p: Array, g: Array, lr: float) -> None:
        """The rule in place, two of its five passes as BLAS calls.

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        """
        xp = namespace(p)
        s, tmp = self.state["square_avg"], self._tmp
        xp.square(g, out=tmp)
        axpby(1 - self.rho, tmp, self.rho, s, tmp)  # s = rho s + (1 - rho) g**2
        xp.sqrt(s, out=tmp)
        tmp += self.eps
        xp.divide(g, tmp, out=tmp)
        axpy(-lr, tmp, p, tmp)  # p -= lr g / (sqrt(s) + eps)

    def reference_update(self, p: Array, g: Array, lr: float, state: dict) -> None:
        """``s = rho s + (1 - rho) g**2``; ``p -= lr g / (sqrt(s) + eps)``, in plain NumPy.

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        state : dict
        """
        xp = namespace(p)
        s = state["square_avg"] = self.rho * state.get("square_avg", 0 * g) + (1 - self.rho) * g**2
        p -= lr * g / (xp.sqrt(s) + self.eps)

    def config(self) -> dict:
        """``lr``, ``rho`` and ``eps``.

        Returns
        -------
        dict
        """
        return {"lr": self.lr0, "rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with bias-corrected moments.

    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g**2``;
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1**t)``
    and ``v_hat = v / (1 - b2**t)``: :meth:`reference_update`, line for line.

    Parameters
    ----------
    lr : float
    beta1, beta2 : float
        The decays of the two moments, in [0, 1).
    eps : float
        Added to the root, > 0.
    schedule : None, str or Schedule
    eps_hat : bool
        Add ``eps`` to ``sqrt(v)`` rather than to ``sqrt(v_hat)``: the faster
        form the paper gives at the end of its Section 2,
        ``p -= lr sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``, which
        scikit-learn's MLP takes. Only coordinates whose root is near ``eps``
        step differently, mostly in the first steps.

    Notes
    -----
    :meth:`update` computes the same in fewer passes. Its state holds the
    moments divided by their weights, ``M = m / (1 - b1)`` and
    ``V = v / (1 - b2)``, which follow ``M = b1 M + g`` and ``V = b2 V + g**2``:
    the constant factors move into two scalars of the step. One update then
    takes 7 passes over the parameters instead of 12, three of them level-1
    BLAS calls (see :mod:`glassnet.ops._blas`); this is worth 14-25 % of a
    training step on MNIST. The tests hold it to :meth:`reference_update`.
    """

    name = "adam"
    slots = ("m", "v")

    #: eps added to the root of the uncorrected v (the option; an attribute too, for optimizers pickled before it)
    eps_hat = False

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 schedule: object = None, eps_hat: bool = False) -> None:
        super().__init__(lr, schedule)
        self.beta1 = check_real(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_real(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.eps_hat = check_flag(eps_hat, "eps_hat")

    def update(self, p: Array, g: Array, lr: float) -> None:
        """The rule in 7 passes on the rescaled moments ``M`` and ``V`` (see Notes).

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        """
        xp = namespace(p)
        b1, b2, t = self.beta1, self.beta2, self.t
        M, V, tmp = self.state["m"], self.state["v"], self._tmp
        axpby(1.0, g, b1, M, tmp)  # M = b1 M + g
        xp.square(g, out=tmp)
        axpby(1.0, tmp, b2, V, tmp)  # V = b2 V + g**2
        # sqrt(v_hat) = k sqrt(V) with k = sqrt((1 - b2) / (1 - b2**t)), and m_hat = (1 - b1) M / (1 - b1**t),
        # so the step is lr (1 - b1) / ((1 - b1**t) k) * M / (sqrt(V) + eps / k)
        c1, k = 1 - b1**t, math.sqrt((1 - b2) / (1 - b2**t))
        xp.sqrt(V, out=tmp)
        # sqrt(v) + eps = sqrt(1 - b2) (sqrt(V) + eps / sqrt(1 - b2)) for eps_hat, where the coefficient is the same
        tmp += self.eps / (math.sqrt(1 - b2) if self.eps_hat else k)
        xp.divide(M, tmp, out=tmp)
        axpy(-lr * (1 - b1) / (c1 * k), tmp, p, tmp)

    def moments(self) -> tuple[Array, Array]:
        """The first and second moment estimates ``m`` and ``v`` as the paper writes them.

        The state keeps them rescaled, ``M = m / (1 - beta1)`` and ``V = v / (1 - beta2)``
        (see Notes); these are new arrays in the paper's units.

        Returns
        -------
        (m, v) : arrays, shape (n_params,)
        """
        return (1 - self.beta1) * self.state["m"], (1 - self.beta2) * self.state["v"]

    def reference_update(self, p: Array, g: Array, lr: float, state: dict) -> None:
        """Adam as Kingma & Ba write it (Algorithm 1), in plain NumPy.

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        state : dict
        """
        xp = namespace(p)
        b1, b2, t = self.beta1, self.beta2, self.t
        m = state["m"] = b1 * state.get("m", 0 * g) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0 * g) + (1 - b2) * g**2
        if self.eps_hat:  # the paper's faster form, as scikit-learn writes it
            p -= lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (xp.sqrt(v) + self.eps)
            return
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p -= lr * m_hat / (xp.sqrt(v_hat) + self.eps)

    def config(self) -> dict:
        """``lr``, ``beta1``, ``beta2`` and ``eps`` (and ``eps_hat`` when it is set).

        Returns
        -------
        dict
        """
        config = {"lr": self.lr0, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}
        return {**config, "eps_hat": True} if self.eps_hat else config


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): ``w -= lr * wd * w`` first.

    Only weights decay (the first ``n_decayed`` entries of the flat vector), as
    is usual: decaying biases and normalization offsets gains nothing.

    Parameters
    ----------
    lr, beta1, beta2, eps, schedule, eps_hat
        As for :class:`Adam`.
    weight_decay : float
        The decay ``wd``, >= 0.
    """

    name = "adamw"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, schedule: object = None, eps_hat: bool = False) -> None:
        super().__init__(lr, beta1, beta2, eps, schedule, eps_hat)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)

    def update(self, p: Array, g: Array, lr: float) -> None:
        """Shrink the weights, then Adam's update.

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        """
        scal(1 - lr * self.weight_decay, p[: self.n_decayed])  # w -= lr wd w
        super().update(p, g, lr)

    def reference_update(self, p: Array, g: Array, lr: float, state: dict) -> None:
        """``w -= lr wd w`` on the weights, then :meth:`Adam.reference_update`.

        Parameters
        ----------
        p : array, shape (n_params,)
        g : array, shape (n_params,)
        lr : float
        state : dict
        """
        w = p[: self.n_decayed]
        w -= lr * self.weight_decay * w
        super().reference_update(p, g, lr, state)

    def config(self) -> dict:
        """Adam's options and ``weight_decay``.

        Returns
        -------
        dict
        """
        return {**super().config(), "weight_decay": self.weight_decay}
