"""Flatten: the bridge from image-shaped data to rows."""

from __future__ import annotations

import math
from typing import Any

from .base import Array, Context, Layer, Shape


class Flatten(Layer):
    """Each sample's values in one row: ``(n, c, h, w) -> (n, c*h*w)``, in C order.

    ``dC/dX`` is ``dC/dA`` given back the input's shape. Both are views, not copies.
    """

    output_owned = None  # its output is its input, or a view of it, outside training
    trace_symbol = "F"
    trace_forward = "F{k} = {prev} with each sample's values in one row"
    trace_backward = "d{prev} = dF{k} in the shape of {prev}"

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(prod(input_shape),)``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        return (math.prod(input_shape),)

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = X.reshape(n, -1)``.

        Parameters
        ----------
        x : array, shape (n_samples, *input_shape)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, prod(input_shape))
        """
        ctx.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX = dC/dA.reshape(X.shape)``.

        Parameters
        ----------
        grad : array, shape (n_samples, prod(input_shape))
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, *input_shape)
        """
        return grad.reshape(ctx.shape)

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``Flatten`` from axis 1 (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return graph.node("Flatten", [x], axis=1)
