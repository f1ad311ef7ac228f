"""Layer normalization: each sample's values brought to mean 0 and variance 1, then scaled and shifted."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core._validation import check_dtype, check_positive_int, check_real
from ..errors import OptionError
from ..ops.normalization import layer_norm, layer_norm_backward
from .base import Array, Context, Layer, Shape


class LayerNorm(Layer):
    """``N = gamma * (X - mean) / sqrt(var + eps) + beta`` over each sample's own values.

    Unlike :class:`BatchNorm`, the statistics are each sample's (over all its
    values: the features of a row, or every channel and pixel of an image),
    the same in training and prediction, and the layer keeps no running
    averages. PyTorch's ``torch.nn.LayerNorm(normalized_shape)`` computes the
    same.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The shape of one sample: ``features`` for rows, ``(channels, h, w)`` for images.
    eps : float
        Added to the variance before its square root.
    dtype : float32 (default) or float64

    Attributes
    ----------
    gamma, beta : arrays, shape ``normalized_shape``
        The trained scale (starts at 1) and shift (starts at 0); not decayed by L2.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    trace_symbol = "N"
    trace_forward = "N{k} = gamma{k} * ({prev} - mean) / sqrt(var + eps) + beta{k}, over each sample's values"
    trace_backward = ("d{prev} = (G - mean(G) - Xhat * mean(G * Xhat)) / sqrt(var + eps), G = dN{k} * gamma{k}, "
                      "the means over each sample")

    def __init__(self, normalized_shape: int | tuple[int, ...], *, eps: float = 1e-5,
                 dtype: object = np.float32) -> None:
        super().__init__()
        self.normalized_shape = _checked_shape(normalized_shape)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.dtype = check_dtype(dtype)
        self.params["gamma"] = np.ones(self.normalized_shape, dtype=self.dtype)
        self.params["beta"] = np.zeros(self.normalized_shape, dtype=self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def output_shape(self, input_shape: Shape) -> Shape:
        """The input's shape, which must be ``normalized_shape``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        if tuple(input_shape) != self.normalized_shape:
            raise OptionError(f"LayerNorm expects samples of shape {self.normalized_shape}; received shape "
                              f"{tuple(input_shape)} per sample")
        return self.normalized_shape

    def forward(self, x: Array, ctx: Context) -> Array:
        """Normalize each sample with its own mean and variance.

        Parameters
        ----------
        x : array, shape (n_samples, *normalized_shape)
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        self.output_shape(x.shape[1:])
        gamma = self.params["gamma"]
        if x.dtype != gamma.dtype:
            x = x.astype(gamma.dtype)
        out, ctx.xhat, ctx.inv_std = layer_norm(x, gamma, self.params["beta"], self.eps)
        return out

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dgamma``, ``dC/dbeta`` and ``dC/dX`` (see :func:`layer_norm_backward`).

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        dx, self.grads["gamma"][...], self.grads["beta"][...] = layer_norm_backward(
            grad, ctx.xhat, ctx.inv_std, self.params["gamma"])
        return dx

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``LayerNormalization`` over every axis after the first; in a float64 graph, its formula written out
        (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, Mul, Add: the operator's epsilon is a float32). See
        :meth:`Layer.onnx_nodes`.

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        gamma, beta = graph.constant("gamma", self.params["gamma"]), graph.constant("beta", self.params["beta"])
        if graph.dtype == np.float32:
            return graph.node("LayerNormalization", [x, gamma, beta], "layernorm", axis=1, epsilon=float(self.eps))
        # ONNX's epsilon is a float32 attribute (0.3 is 0.30000001192..., 2e-8 off): a float64 graph writes the
        # formula out, with eps a float64 constant
        axes = list(range(1, 1 + len(self.normalized_shape)))  # an attribute at opset 17
        centered = graph.node("Sub", [x, graph.node("ReduceMean", [x], axes=axes, keepdims=1)], "centered")
        variance = graph.node("ReduceMean", [graph.node("Mul", [centered, centered])], "variance", axes=axes,
                              keepdims=1)
        spread = graph.node("Sqrt", [graph.node("Add", [variance, graph.constant("eps", self.eps)])])
        return graph.node("Add", [graph.node("Mul", [graph.node("Div", [centered, spread]), gamma]), beta], "layernorm")

    def describe(self) -> str:
        """``LayerNorm((8, 14, 14))`` (see :meth:`Layer.describe`).

        Returns
        -------
        str
        """
        shape = self.normalized_shape[0] if len(self.normalized_shape) == 1 else self.normalized_shape
        return f"LayerNorm({shape})"

    def config(self) -> dict:
        """``normalized_shape`` and ``eps``.

        Returns
        -------
        dict
        """
        return {"normalized_shape": list(self.normalized_shape), "eps": self.eps}

    @classmethod
    def parameter_count(cls, config: dict) -> int:
        """``2 * prod(normalized_shape)``: gamma and beta.

        Parameters
        ----------
        config : dict

        Returns
        -------
        int
        """
        return 2 * math.prod(_checked_shape(config.get("normalized_shape")))

    @classmethod
    def from_config(cls, config: dict) -> LayerNorm:
        """Rebuild from :meth:`config`.

        Parameters
        ----------
        config : dict

        Returns
        -------
        LayerNorm
        """
        config = dict(config)
        shape = config.pop("normalized_shape")
        return cls(tuple(shape) if isinstance(shape, list) else shape, **config)


def _checked_shape(normalized_shape: object) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of positive ints: an int, or a non-empty tuple or list of them."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    if not isinstance(shape, (tuple, list)) or not shape:
        raise OptionError(f"normalized_shape must be a positive integer or a tuple of them; received "
                          f"{normalized_shape!r:.60}")
    return tuple(check_positive_int(s, "normalized_shape") for s in shape)
