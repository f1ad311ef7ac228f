"""Element-wise and row-wise activation layers.

Each layer caches only what its backward pass needs: its output, from which
every derivative here can be computed (the rectifiers' sign masks included).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_real
from ..functional import sigmoid, softmax
from .base import Layer


class Identity(Layer):
    """``A = Z``; ``dC/dZ = dC/dA``. The output layer of a regression."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return grad


class Sigmoid(Layer):
    """``A = 1 / (1 + exp(-Z))``; ``dC/dZ = dC/dA * A * (1 - A)``."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        self._a = sigmoid(x, out=self._buffer("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        a = self._a
        dz = np.subtract(1, a, out=self._buffer("dz", a.shape, a.dtype))
        dz *= a
        dz *= grad
        return dz


class Tanh(Layer):
    """``A = tanh(Z)``; ``dC/dZ = dC/dA * (1 - A**2)``."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        self._a = np.tanh(x, out=self._buffer("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        dz = np.square(self._a, out=self._buffer("dz", self._a.shape, self._a.dtype))
        np.subtract(1, dz, out=dz)
        dz *= grad
        return dz


class ReLU(Layer):
    """``A = max(Z, 0)``; ``dC/dZ = dC/dA * [A > 0]`` (zero at the kink).

    ``A > 0`` exactly where ``Z > 0``, so the mask is taken from the output in
    backward: inference pays for one pass only.
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        self._a = np.maximum(x, 0, out=self._buffer("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        mask = np.greater(self._a, 0, out=self._buffer("mask", grad.shape, np.dtype(bool)))
        return np.multiply(grad, mask, out=self._buffer("dz", grad.shape, grad.dtype))


class LeakyReLU(Layer):
    """``A = Z`` where ``Z > 0``, else ``alpha * Z``; ``dC/dZ = dC/dA * (1 or alpha)``.

    ``alpha`` lies in [0, 1): the slope for negative inputs.
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_real(alpha, "alpha", low=0.0, high=1.0, high_open=True)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        a = np.multiply(x, self.alpha, out=self._buffer("a", x.shape, x.dtype))
        self._a = np.maximum(x, a, out=a)  # alpha < 1: the larger of Z and alpha*Z
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        # with 0 <= alpha < 1, A > 0 exactly where Z > 0
        mask = np.greater(self._a, 0, out=self._buffer("mask", grad.shape, np.dtype(bool)))
        dz = np.multiply(grad, self.alpha, out=self._buffer("dz", grad.shape, grad.dtype))
        np.copyto(dz, grad, where=mask)
        return dz

    def config(self) -> dict:
        return {"alpha": self.alpha}


class Softmax(Layer):
    """Row-wise ``A = exp(Z) / sum(exp(Z))``.

    ``dC/dZ = A * (dC/dA - sum(dC/dA * A, per row))``. Followed by
    :class:`glassnet.SoftmaxCrossEntropy`, training skips this layer and uses the
    fused, simpler gradient ``(A - Y) / n`` of the loss instead.
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        self._a = softmax(x, out=self._buffer("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        a = self._a
        dz = np.multiply(grad, a, out=self._buffer("dz", a.shape, a.dtype))
        dz -= a * dz.sum(axis=1, keepdims=True)
        return dz


ACTIVATIONS: dict[str, type[Layer]] = {
    "identity": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
}


def get_activation(name: str, argument: str = "activation") -> Layer:
    """A new activation layer from its name (``"relu"``, ``"sigmoid"``, ...)."""
    if isinstance(name, str) and name in ACTIVATIONS:
        return ACTIVATIONS[name]()
    raise ValueError(
        f"{argument} must be one of {', '.join(map(repr, ACTIVATIONS))}; received {name!r}"
    )
