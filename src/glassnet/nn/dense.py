"""The fully connected (affine) layer."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_dtype, check_positive_int
from ..init import get_initializer, zeros
from .base import Layer


class Dense(Layer):
    """Affine map ``Z = X @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        Columns of the input and of the output.
    bias : bool
        Whether to add the bias ``b``; the 3-4-1 network of the tutorials has none.
    init : str or callable
        Weight initializer (see :mod:`glassnet.init`); biases start at zero.
    rng : None, int or numpy.random.Generator
        Source of the initial weights. The same seed gives the same weights.
    dtype : float32 (default) or float64

    Attributes
    ----------
    W : ndarray, shape (in_features, out_features)
    b : ndarray, shape (out_features,), present when ``bias`` is true

    Notes
    -----
    With upstream gradient ``G = dC/dZ`` of shape ``(n, out_features)``:
    ``dC/dW = X.T @ G``, ``dC/db = sum of G over rows``, ``dC/dX = G @ W.T``.
    """

    decayed = ("W",)

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        init: object = "xavier_uniform",
        rng: object = None,
        dtype: object = np.float32,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        self.bias = bool(bias)
        self.init = init
        self.dtype = check_dtype(dtype)
        initializer = get_initializer(init)
        shape = (self.in_features, self.out_features)
        self._params["W"] = np.asarray(
            initializer(shape, as_generator(rng), self.dtype), dtype=self.dtype
        )
        if self.bias:
            self._params["b"] = zeros((self.out_features,), dtype=self.dtype)
        self._grads = {k: np.zeros_like(v) for k, v in self._params.items()}

    @property
    def W(self) -> np.ndarray:
        return self._params["W"]

    @W.setter
    def W(self, value: object) -> None:
        self._set_param("W", value)

    @property
    def b(self) -> np.ndarray:
        if not self.bias:
            raise AttributeError("this Dense layer was built with bias=False")
        return self._params["b"]

    @b.setter
    def b(self, value: object) -> None:
        if not self.bias:
            raise AttributeError("this Dense layer was built with bias=False")
        self._set_param("b", value)

    def output_features(self, in_features: int) -> int:
        return self.out_features

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Dense expects input of shape (n_samples, {self.in_features}); "
                f"received shape {x.shape}"
            )
        self._x = x = self._as_input(x)
        z = self._buffer("z", (x.shape[0], self.out_features))
        np.matmul(x, self._params["W"], out=z)
        if self.bias:
            z += self._params["b"]
        return z

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x = self._x
        np.matmul(x.T, grad, out=self._grads["W"])
        if self.bias:
            np.sum(grad, axis=0, out=self._grads["b"])
        if not need_input_grad:
            return None
        return np.matmul(grad, self._params["W"].T, out=self._buffer("dx", x.shape))

    def config(self) -> dict:
        init = self.init if isinstance(self.init, str) else "custom"
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias,
            "init": init,
        }
