"""The fully connected (affine) layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validation import check_dtype, check_positive_int
from ..core.arrays import is_sparse
from ..errors import OptionError
from ..ops.init import get_initializer
from .base import Array, Context, Shape
from .weighted import _Weighted, place_sizes


class Dense(_Weighted):
    """Affine map ``Z = X @ W + b``.

    Parameters
    ----------
    *sizes : int
        ``Dense(in_features, out_features)`` as PyTorch's ``Linear``, or
        ``Dense(out_features)`` as Keras' ``Dense(units)`` and PyTorch's
        ``LazyLinear``: the input size then comes from the layer before, when
        the model is built (see :meth:`Layer.build`).
    in_features, out_features : int
        The same sizes by name: columns of the input and of the output.
        ``out_features`` is needed; ``Dense(in_features=10)`` is refused.
    bias : bool
        Whether to add the bias ``b``; the 3-4-1 network of the tutorials has none.
    init : str or callable
        Weight initializer (see :mod:`glassnet.init`); biases start at zero.
    rng : None, int or numpy.random.Generator
        Source of the initial weights. The same seed gives the same weights.
        Without one, the layer draws from its model's generator: when it is
        built (given one size), or, given both, when a model with a seed takes
        it (``Sequential([...], rng=0)``), unless its weights were changed since.
    dtype : float32 (default) or float64

    Attributes
    ----------
    W : array, shape (in_features, out_features)
    b : array, shape (out_features,), present when ``bias`` is true

    Notes
    -----
    With upstream gradient ``G = dC/dZ`` of shape ``(n, out_features)``:
    ``dC/dW = X.T @ G``, ``dC/db = sum of G over rows``, ``dC/dX = G @ W.T``.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    trace_backward = "d{prev} = dZ{k} @ W{k}.T"

    def __init__(self, *sizes: int, in_features: int | None = None, out_features: int | None = None,
                 bias: bool = True, init: object = "xavier_uniform", rng: object = None,
                 dtype: object = np.float32) -> None:
        super().__init__()
        in_features, out_features = place_sizes(  # type: ignore[assignment]
            "Dense", sizes, {"in_features": in_features, "out_features": out_features},
            "Dense(10) for 10 outputs, Dense(784, 10) or Dense(in_features=784, out_features=10)").values()
        self.out_features = check_positive_int(out_features, "out_features")
        self.in_features = None if in_features is None else check_positive_int(in_features, "in_features")
        self.bias = bool(bias)
        self.init = init
        self.dtype = check_dtype(dtype)
        if self.in_features is None:
            get_initializer(init)  # type: ignore[arg-type]  # a bad name is refused now, not when the model meets its data
            self._rng = rng
        else:
            self._make_weights(self._weights_shape(), self.out_features, rng, self._what())

    def _take_input(self, input_shape: Shape) -> None:
        self.in_features = input_shape[0]

    def _weights_shape(self) -> Shape:
        return (self.in_features, self.out_features)  # type: ignore[return-value]

    def _n_outputs(self) -> int:
        return self.out_features

    def _what(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})'s weights"

    @property
    def input_shape(self) -> Shape | None:  # type: ignore[override]
        """``(in_features,)``: a Dense layer takes rows of ``in_features`` values (None before it is built)."""
        return None if self.in_features is None else (self.in_features,)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(out_features,)``; refuses any input shape but ``(in_features,)`` (any row before it is built).

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        if self.in_features is None:
            if len(shape) != 1:
                raise OptionError(f"Dense takes rows of features, one axis per sample; received input of shape "
                                  f"{shape} per sample: put a Flatten() before it")
        elif shape != (self.in_features,):
            raise OptionError(f"Dense expects {self.in_features} input features per sample; "
                              f"received input of shape {shape} per sample")
        return (self.out_features,)

    def forward(self, x: Array, ctx: Context) -> Array:
        """``Z = X @ W + b``.

        Parameters
        ----------
        x : array, shape (n_samples, in_features)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, out_features)
        """
        if not self.built:
            raise self._not_built()
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise OptionError(f"Dense expects input of shape (n_samples, {self.in_features}); "
                              f"received shape {tuple(x.shape)}")
        xp, W = ctx.xp, self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        ctx.x = x
        z = ctx.buffer("z", (x.shape[0], self.out_features), W.dtype)
        if is_sparse(x):  # SciPy's sparse-times-dense product; X stays sparse
            z[...] = x @ W
        else:
            xp.matmul(x, W, out=z)
        if self.bias:
            z += self.params["b"]
        return z

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dW = X.T @ G``, ``dC/db = column sums of G``, ``dC/dX = G @ W.T``.

        Parameters
        ----------
        grad : array, shape (n_samples, out_features)
            ``G = dC/dZ``.
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, in_features), or None
        """
        xp, x = ctx.xp, ctx.x
        if is_sparse(x):
            self.grads["W"][...] = x.T @ grad
        else:
            xp.matmul(x.T, grad, out=self.grads["W"])
        if self.bias:
            xp.sum(grad, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        return xp.matmul(grad, self.params["W"].T, out=ctx.buffer("dx", x.shape, x.dtype))

    def trace_formulas(self, k: int | str, prev: str) -> tuple[str, str, dict[str, str]]:
        """``Z{k} = {prev} @ W{k} + b{k}`` and its gradients (see :meth:`Layer.trace_formulas`).

        Parameters
        ----------
        k : int or str
        prev : str

        Returns
        -------
        (str, str, dict)
        """
        forward = f"Z{k} = {prev} @ W{k}" + (f" + b{k}" if self.bias else "")
        params = {"W": f"dW{k} = {prev}.T @ dZ{k}"}
        if self.bias:
            params["b"] = f"db{k} = sum of the rows of dZ{k}"
        return forward, self.trace_backward.format(k=k, prev=prev), params

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``Gemm`` (``MatMul`` without a bias) with this layer's weights (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        w = graph.constant("W", self.params["W"])
        if self.bias:
            return graph.node("Gemm", [x, w, graph.constant("b", self.params["b"])], "dense")
        return graph.node("MatMul", [x, w], "dense")

    def describe(self) -> str:
        """``Dense(64 -> 256)``, or ``Dense(? -> 10)`` before it is built (see :meth:`Layer.describe`).

        Returns
        -------
        str
        """
        return f"Dense({self.in_features or '?'} -> {self.out_features}{'' if self.bias else ', no bias'})"

    def config(self) -> dict:
        """``in_features``, ``out_features``, ``bias`` and the initializer's name.

        Returns
        -------
        dict
        """
        init = self.init if isinstance(self.init, str) else "custom"
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias,
                "init": init}

    @classmethod
    def parameter_count(cls, config: dict) -> int:
        """``in_features * out_features`` weights, and ``out_features`` biases when ``bias``.

        Parameters
        ----------
        config : dict
            As :meth:`config` returns it; the counts are checked to be positive integers.

        Returns
        -------
        int
        """
        n_in = check_positive_int(config.get("in_features"), "in_features")
        n_out = check_positive_int(config.get("out_features"), "out_features")
        return n_in * n_out + (n_out if config.get("bias", True) else 0)
