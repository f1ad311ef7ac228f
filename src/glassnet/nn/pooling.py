"""Pooling layers: each window of each channel summed up by one number (its maximum, or its mean)."""

from __future__ import annotations

from typing import Any

from ..errors import OptionError
from ..ops import convolution as C
from .base import Array, Context, Layer, Shape


class _Pool2D(Layer):
    """Base of the pooling layers: windows of ``kernel_size`` every ``stride`` pixels, no parameters.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        By default the kernel size: windows side by side, not overlapping.
        Rows and columns that no whole window reaches are left out, as in PyTorch.
    """

    trace_symbol = "P"

    def __init__(self, kernel_size: object, stride: object = None) -> None:
        super().__init__()
        self.kernel_size = C.pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else C.pair(stride, "stride")

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(channels, oh, ow)`` for input ``(channels, h, w)``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        name = type(self).__name__
        if len(shape) != 3:
            raise OptionError(f"{name} expects images, shape (channels, height, width) per sample; received "
                              f"shape {shape}")
        oh, ow = C.grid(shape[1:], self.kernel_size, self.stride, owner=name, noun="window")
        return (shape[0], oh, ow)

    def _check(self, x: Array) -> None:
        if x.ndim != 4:
            raise OptionError(f"{type(self).__name__} expects input of shape (n_samples, channels, height, width); "
                              f"received shape {tuple(x.shape)}")
        self.output_shape(x.shape[1:])

    #: the ONNX operator of the pooling
    onnx_pool = ""

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``MaxPool`` or ``AveragePool`` with this window and stride (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return graph.node(self.onnx_pool, [x], "pool", kernel_shape=list(self.kernel_size),
                          strides=list(self.stride))

    def describe(self) -> str:
        """``MaxPool2D(2x2)``, with the stride when it is not the window (see :meth:`Layer.describe`).

        Returns
        -------
        str
        """
        window = "x".join(map(str, self.kernel_size))
        stride = "" if self.stride == self.kernel_size else ", stride " + "x".join(map(str, self.stride))
        return f"{type(self).__name__}({window}{stride})"

    def config(self) -> dict:
        """``kernel_size`` and ``stride``.

        Returns
        -------
        dict
        """
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride)}


class MaxPool2D(_Pool2D):
    """The largest value of each window; its gradient goes to that value's pixel alone.

    The layer has no derivative where two values of a window tie for the
    maximum (``kinked``): a gradient check leaves perturbations that swap
    them out.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    kinked = True
    onnx_pool = "MaxPool"
    trace_forward = "P{k} = the largest value of each window of {prev}"
    trace_backward = "d{prev} = dP{k} at the pixel that held each window's maximum, 0 elsewhere"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``P = max over each window of X``.

        Parameters
        ----------
        x : array, shape (n_samples, channels, h, w)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, channels, oh, ow)
        """
        self._check(x)
        ctx.x = x
        ctx.out = C.max_pool2d(x, self.kernel_size, self.stride)
        return ctx.out

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX``: ``dC/dP`` routed to each window's maximum.

        Parameters
        ----------
        grad : array, shape (n_samples, channels, oh, ow)
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, channels, h, w)
        """
        return C.max_pool2d_backward(grad, ctx.x, ctx.out, self.kernel_size, self.stride,
                                     out=ctx.buffer("dx", ctx.x.shape, grad.dtype))

    def kink_sides(self, x: Array) -> Array:
        """Which entry of each window holds the maximum.

        Parameters
        ----------
        x : array, shape (n_samples, channels, h, w)

        Returns
        -------
        int8 array, shape (n_samples, channels, oh, ow)
            int32 for a window of more than 128 entries.
        """
        return C.max_positions(x, self.kernel_size, self.stride)


class AvgPool2D(_Pool2D):
    """The mean of each window; its gradient is shared equally among the window's pixels."""

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    onnx_pool = "AveragePool"
    trace_forward = "P{k} = the mean of each window of {prev}"
    trace_backward = "d{prev} = dP{k} / (window area), added to every pixel of each window"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``P = mean over each window of X``.

        Parameters
        ----------
        x : array, shape (n_samples, channels, h, w)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, channels, oh, ow)
        """
        self._check(x)
        ctx.x_shape = x.shape
        return C.avg_pool2d(x, self.kernel_size, self.stride)

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX``: each window's ``dC/dP`` spread evenly over it.

        Parameters
        ----------
        grad : array, shape (n_samples, channels, oh, ow)
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, channels, h, w)
        """
        return C.avg_pool2d_backward(grad, ctx.x_shape, self.kernel_size, self.stride,
                                     out=ctx.buffer("dx", ctx.x_shape, grad.dtype))
