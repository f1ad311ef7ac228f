"""Stochastic gradient descent, with classical or Nesterov momentum."""

from __future__ import annotations

from .._blas import axpby, axpy
from .._validation import check_real
from .base import Optimizer


class SGD(Optimizer):
    """``p -= lr * g``, or with momentum ``mu``:

    ``v = mu * v + g`` then ``p -= lr * v`` (classical), or
    ``p -= lr * (g + mu * v)`` (Nesterov, Sutskever et al., 2013).
    These are PyTorch's ``torch.optim.SGD`` conventions (dampening 0).
    """

    name = "sgd"

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 schedule: object = None) -> None:
        super().__init__(lr, schedule)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; received momentum=0")
        self.slots = ("velocity",) if self.momentum else ()

    def update(self, p, g, lr):
        tmp = self._tmp
        if not self.momentum:
            axpy(-lr, g, p, tmp)  # p -= lr g
            return
        v = self.state["velocity"]
        axpby(1.0, g, self.momentum, v, tmp)  # v = mu v + g
        if self.nesterov:  # p -= lr * (g + mu v)
            axpy(-lr, g, p, tmp)
            axpy(-lr * self.momentum, v, p, tmp)
        else:
            axpy(-lr, v, p, tmp)

    def config(self):
        return {"lr": self.lr0, "momentum": self.momentum, "nesterov": self.nesterov}
