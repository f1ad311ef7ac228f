"""Global average pooling: each channel of an image summed up by its mean, the bridge from images to rows."""

from __future__ import annotations

from typing import Any

from ..errors import OptionError
from .base import Array, Context, Layer, Shape


class GlobalAvgPool2D(Layer):
    """``P[n, c] = mean of X[n, c, :, :]``: images ``(n, c, h, w)`` to rows ``(n, c)``.

    Each pixel of a channel receives ``dC/dP[n, c] / (h * w)`` back. Placed
    after the last conv layer, it replaces ``Flatten`` with far fewer inputs
    to the dense layer that follows, and takes pictures of any size.
    PyTorch's ``torch.nn.AdaptiveAvgPool2d(1)`` followed by a flatten computes
    the same.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    trace_symbol = "P"
    trace_forward = "P{k} = the mean of each channel of {prev}, one value per channel"
    trace_backward = "d{prev} = dP{k} / (height * width), given to every pixel of its channel"

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(channels,)`` for images ``(channels, h, w)``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise OptionError(f"GlobalAvgPool2D expects images, shape (channels, height, width) per sample; "
                              f"received shape {shape}")
        return (shape[0],)

    def forward(self, x: Array, ctx: Context) -> Array:
        """The mean of each channel.

        Parameters
        ----------
        x : array, shape (n_samples, channels, h, w)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, channels)
        """
        self.output_shape(x.shape[1:])
        ctx.shape = x.shape
        return ctx.xp.mean(x, axis=(2, 3), dtype=self.work_dtype(x))

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX = dC/dP / (h * w)`` at every pixel of each channel.

        Parameters
        ----------
        grad : array, shape (n_samples, channels)
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, channels, h, w)
        """
        n, c, h, w = ctx.shape
        dx = ctx.buffer("dx", ctx.shape, grad.dtype)
        dx[...] = (grad / (h * w))[:, :, None, None]
        return dx

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``GlobalAveragePool`` and a ``Flatten`` of its (n, c, 1, 1) (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return graph.node("Flatten", [graph.node("GlobalAveragePool", [x], "pool")], axis=1)
