"""What the layers with weights and biases share: Dense and Conv2D."""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_generator, check_memory
from ..init import get_initializer, zeros
from .base import Array, Layer


class _Weighted(Layer):
    """A layer whose parameters are weights ``W`` (decayed by L2) and, when ``bias``, biases ``b``.

    A subclass sets ``self.bias``, ``self.init`` and ``self.dtype`` and calls
    :meth:`_make_weights` in its constructor.
    """

    decayed = ("W",)
    trace_symbol = "Z"
    bias = True
    init: object = "zeros"

    def _make_weights(self, shape: tuple[int, ...], n_out: int, rng: object, what: str) -> None:
        """Draw ``W`` of ``shape`` from the initializer, ``b`` of ``n_out`` zeros, and their gradients.

        The memory of the weights, their gradients and the model's two flat
        vectors is checked first, so a size far beyond the machine is refused
        with a message rather than a MemoryError half-way.
        """
        initializer = get_initializer(self.init)  # type: ignore[arg-type]
        check_memory(4 * (math.prod(shape) + n_out) * self.dtype.itemsize, what)
        self.params["W"] = np.asarray(initializer(shape, as_generator(rng), self.dtype), dtype=self.dtype)
        if self.bias:
            self.params["b"] = zeros((n_out,), dtype=self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    @property
    def W(self) -> Array:
        """The weights; assigning copies into them."""
        return self.params["W"]

    @W.setter
    def W(self, value: object) -> None:
        self.set_param("W", value)

    @property
    def b(self) -> Array:
        """The biases, one per output (channel); assigning copies into them."""
        if not self.bias:
            raise AttributeError(f"this {type(self).__name__} layer was built with bias=False")
        return self.params["b"]

    @b.setter
    def b(self, value: object) -> None:
        if not self.bias:
            raise AttributeError(f"this {type(self).__name__} layer was built with bias=False")
        self.set_param("b", value)

    @classmethod
    def from_config(cls, config: dict) -> _Weighted:
        """A layer of the described shape with zero weights, to be overwritten by the caller.

        Parameters
        ----------
        config : dict
            As :meth:`config` returned it.

        Returns
        -------
        Layer
        """
        layer = cls(**{**config, "init": "zeros"})
        layer.init = config.get("init", "zeros")
        return layer
