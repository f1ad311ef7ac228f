"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_real
from .base import Layer


class Dropout(Layer):
    """Zero each input with probability ``rate`` while training; identity otherwise.

    Surviving inputs are scaled by ``1 / (1 - rate)`` during training ("inverted"
    dropout), so the expected activation is unchanged and inference needs no
    rescaling. ``dC/dX = dC/dA * mask / (1 - rate)`` with the mask of the last
    forward pass.

    ``rng`` (None, a seed or a Generator) draws the masks. Inside a
    :class:`~glassnet.Sequential` a Dropout without its own ``rng`` draws from
    the model's generator.
    """

    def __init__(self, rate: float, rng: object = None) -> None:
        super().__init__()
        self.rate = check_real(rate, "rate", low=0.0, high=1.0, high_open=True)
        self.rng = None if rng is None else as_generator(rng)
        self._scale: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._as_input(x)
        if not training or self.rate == 0.0:
            self._scale = None
            return x
        if self.rng is None:
            self.rng = np.random.default_rng()
        keep = self._buffer("keep", x.shape, x.dtype)
        self.rng.random(dtype=keep.dtype, out=keep)
        # scale = [u >= rate] / (1 - rate), built in place in the same buffer
        np.greater_equal(keep, self.rate, out=keep)
        keep *= 1.0 / (1.0 - self.rate)
        self._scale = keep
        return np.multiply(x, keep, out=self._buffer("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._scale is None:
            return grad
        return np.multiply(grad, self._scale, out=self._buffer("dz", grad.shape, grad.dtype))

    def config(self) -> dict:
        return {"rate": self.rate}
