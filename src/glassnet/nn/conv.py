"""The 2-D convolution layer: Dense's matrix product, applied to every window of an image."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validation import check_dtype, check_positive_int
from ..core.arrays import is_numpy
from ..errors import OptionError
from ..ops import convolution as C
from ..ops import im2col_grid as G
from ..ops.init import get_initializer
from .base import Array, Context, Shape
from .weighted import _Weighted, place_sizes, torch_positions


class Conv2D(_Weighted):
    """``Z = conv(X, W) + b``: ``out_channels`` kernels slid over images of ``in_channels`` channels.

    Parameters
    ----------
    *sizes : int
        ``Conv2D(in_channels, out_channels, kernel_size)`` as PyTorch's
        ``Conv2d``, or ``Conv2D(out_channels, kernel_size)`` as Keras writes
        ``Conv2D(filters, kernel_size)``: ``in_channels`` then comes from the
        layer before, when the model is built (see :meth:`Layer.build`).
        Two values more are ``stride`` and ``padding``, as PyTorch takes them
        by position (``Conv2D(1, 8, 3, 1, 1)``).
    in_channels, out_channels : int
        Channels of the input and of the output, by name
        (``Conv2D(out_channels=8, kernel_size=3)``).
    kernel_size : int or (int, int)
        Height and width of each kernel. It and ``out_channels`` are needed:
        ``Conv2D(in_channels=3, out_channels=8)`` is refused.
    stride : int or (int, int)
        How far the kernel moves between windows.
    padding : int, (int, int), "valid" or "same"
        Zeros added around each image (see :func:`glassnet.convolution.pads_for`):
        "same" keeps height and width (stride 1), "valid" (0) adds none.
    bias : bool
        Whether each output channel has a bias.
    init : str or callable
        Kernel initializer (see :mod:`glassnet.init`; fans count the kernel's
        area); biases start at zero.
    rng : None, int or numpy.random.Generator
        Source of the initial kernels. Without one, the layer draws from its
        model's generator: when it is built (given no ``in_channels``), or,
        given them, when a model with a seed takes it (``Sequential([...],
        rng=0)``), unless its kernels were changed since.
    dtype : float32 (default) or float64

    Attributes
    ----------
    W : array, shape (out_channels, in_channels, kh, kw)
        As in PyTorch.
    b : array, shape (out_channels,), present when ``bias`` is true

    Notes
    -----
    The forward pass lays every window of the (padded) input out as a column
    of ``cols`` (im2col) and multiplies: ``Z = K @ cols + b`` with ``K`` the
    kernels as a matrix, one row per output channel. With ``G = dC/dZ`` as
    columns of the same windows, ``dC/dK = G @ cols.T``, ``dC/db = row sums of
    G`` and ``dC/dX = col2im(K.T @ G)``: Dense's three formulas, transposed, and
    col2im to put each window's share of the gradient back on its pixels.

    On NumPy, an input of at most :attr:`SAMPLES_FIRST_CHANNELS` channels (a
    picture's one or three) is laid out samples first
    (:mod:`glassnet.ops.im2col_samples`): one product per sample writes the
    output where it belongs, where the channels-first layout's one product for
    the whole batch needs a copy on each side. For MNIST's first convolution at
    batch 64 (1 to 16 channels, 28x28) the forward and backward passes took
    0.83 ms instead of 2.35 ms on a 2-core Xeon; from 8 channels on, one
    product for the whole batch is faster. A picture that holds fewer windows
    than a window holds numbers (a 16x16 patch at stride 16, a kernel the size
    of the picture) stays channels first: there the per-sample products of
    ``dC/dK`` would be larger than the layer's output, and slower. At stride 1 on NumPy, more channels
    lie on a grid of images that share their padding (:mod:`glassnet.ops.im2col_grid`): im2col is a few
    block copies, and ``dC/dX`` adds each kernel entry's product at its shift, with no col2im.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    #: inputs of at most this many channels take the samples-first layout, on NumPy, when each picture holds
    #: at least as many windows as a window holds numbers
    SAMPLES_FIRST_CHANNELS = 3

    trace_backward = "d{prev} = col2im(W{k}.T @ dZ{k}), each window's gradient added back onto its pixels"

    def __init__(self, *sizes: object, in_channels: int | None = None, out_channels: int | None = None,
                 kernel_size: object = None, stride: object = 1, padding: object = 0, bias: bool = True,
                 init: object = "xavier_uniform", rng: object = None, dtype: object = np.float32) -> None:
        super().__init__()
        named = {"in_channels": in_channels, "out_channels": out_channels, "kernel_size": kernel_size}
        sizes, stride, padding = torch_positions(sizes, stride, padding)
        in_channels, out_channels, kernel_size = place_sizes(  # type: ignore[assignment]
            "Conv2D", sizes, named, "Conv2D(out_channels=8, kernel_size=3), Conv2D(8, 3), or "
            "Conv2D(in_channels, out_channels, kernel_size) as Conv2D(1, 8, 3)").values()
        self.in_channels = None if in_channels is None else check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        self.kernel_size = C.pair(kernel_size, "kernel_size")
        self.stride = C.pair(stride, "stride")
        self.padding = C.padding_setting(padding)
        self.pads = C.pads_for(self.padding, self.kernel_size, self.stride)
        self.bias = bool(bias)
        self.init = init
        self.dtype = check_dtype(dtype)
        if self.in_channels is None:
            get_initializer(init)  # type: ignore[arg-type]  # a bad name is refused now, not when the model meets its data
            self._rng = rng
        else:
            self._make_weights(self._weights_shape(), self.out_channels, rng, self._what())

    def _take_input(self, input_shape: Shape) -> None:
        self.in_channels = input_shape[0]

    def _weights_shape(self) -> Shape:
        return (self.out_channels, self.in_channels, *self.kernel_size)  # type: ignore[return-value]

    def _n_outputs(self) -> int:
        return self.out_channels

    def _what(self) -> str:
        return f"Conv2D({self.in_channels}, {self.out_channels})'s kernels"

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(out_channels, oh, ow)`` for input ``(in_channels, h, w)``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != (self.in_channels or shape[0]):
            channels = "" if self.in_channels is None else f" of {self.in_channels} channel(s)"
            raise OptionError(f"Conv2D expects images{channels}, (channels, height, width) per sample; received "
                              f"shape {shape} per sample")
        oh, ow = C.grid(shape[1:], self.kernel_size, self.stride, self.pads, "Conv2D", "kernel",
                        f" with padding {self.padding!r}")
        return (self.out_channels, oh, ow)

    def scratch_per_sample(self, input_shape: Shape, training: bool = False) -> int:
        """The padded input (or its grid), the im2col matrix, the outputs; in training, the gradients' arrays.

        Parameters
        ----------
        input_shape : tuple of int
        training : bool

        Returns
        -------
        int
        """
        out, oh, ow = self.output_shape(input_shape)
        c, h, w = input_shape
        k = self.params["W"][0].size  # numbers in a window
        layout, grid = self._layout(input_shape, numpy=True)
        if grid is not None:  # see forward and backward: the grid's positions, one per entry of its images
            forward = (c + out + (k if training else 0)) * grid.image + out * oh * ow  # inference: no columns
            return forward + ((out + c) * grid.image + c * h * w if training else 0)
        top, bottom, left, right = self.pads
        padded = c * (h + top + bottom) * (w + left + right)
        outputs = out if layout == "samples" else 2 * out  # samples first: the product writes the output
        forward = padded + (k + outputs) * oh * ow
        gradients = out * k if layout == "samples" else out * oh * ow  # a kernel gradient per sample
        return forward + (padded + k * oh * ow + gradients + c * h * w if training else 0)

    def _layout(self, input_shape: Shape, numpy: bool) -> tuple[str, G.Grid | None]:
        """How a pass lays the batch out: "samples" first (few channels), on a "grid" (stride 1), or "windows"."""
        c, h, w = input_shape
        _, oh, ow = self.output_shape(input_shape)
        if numpy and c <= self.SAMPLES_FIRST_CHANNELS and self.params["W"][0].size <= oh * ow:
            return "samples", None
        grid = G.grid_for((h, w), self.pads, self.kernel_size) if self.stride == (1, 1) and numpy else None
        return ("windows" if grid is None else "grid"), grid

    def forward(self, x: Array, ctx: Context) -> Array:
        """``Z = conv(X, W) + b``, computed as ``K @ im2col(X) + b``.

        Parameters
        ----------
        x : array, shape (n_samples, in_channels, h, w)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, out_channels, oh, ow)
        """
        if not self.built:
            raise self._not_built()
        if x.ndim != 4:
            raise OptionError(f"Conv2D expects input of shape (n_samples, {self.in_channels}, height, width); "
                              f"received shape {tuple(x.shape)}")
        _, oh, ow = self.output_shape(x.shape[1:])
        xp, W = ctx.xp, self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        n, _, h, w = x.shape
        top, bottom, left, right = self.pads
        ctx.layout, grid = self._layout(x.shape[1:], is_numpy(xp))
        if ctx.layout == "samples":
            return self._forward_samples(x, ctx, oh, ow)
        ctx.grid, ctx.x_shape, ctx.cols = grid, x.shape, None
        if grid is not None:  # one long row per channel: see glassnet.ops.im2col_grid
            positions = grid.positions(n)
            ctx.xgrid = G.to_grid(x, grid, out=ctx.buffer("xgrid", (x.shape[1], grid.length(n)), W.dtype))
            zt = ctx.buffer("zt", (self.out_channels, positions), W.dtype)
            if ctx.training:  # the columns, kept for dC/dK
                ctx.cols = G.im2col_grid(ctx.xgrid, grid, n, out=ctx.buffer("cols", (W[0].size, positions), W.dtype))
                xp.matmul(C.kernel_matrix(W), ctx.cols, out=zt)
            else:  # no columns: each kernel entry's product added at its shift
                G.add_shifted_products(xp.ascontiguousarray(W.transpose(2, 3, 0, 1)), ctx.xgrid, grid, n, out=zt)
            zt4 = G.windows(zt, grid, n)
        else:
            padded = (x.shape[1], n, h + top + bottom, w + left + right)
            xpad = C.pad_images(x, self.pads, out=ctx.buffer("xpad", padded, W.dtype))
            ctx.cols = C.im2col(xpad, self.kernel_size, self.stride,
                                out=ctx.buffer("cols", (W[0].size, n * oh * ow), W.dtype))
            zt4 = xp.matmul(C.kernel_matrix(W), ctx.cols, out=ctx.buffer("zt", (self.out_channels, n * oh * ow),
                                                                          W.dtype)).reshape(-1, n, oh, ow)
        z = ctx.buffer("z", (n, self.out_channels, oh, ow), W.dtype)
        z[...] = zt4.transpose(1, 0, 2, 3)
        if self.bias:
            z += self.params["b"][:, None, None]
        return z

    def _forward_samples(self, x: Array, ctx: Context, oh: int, ow: int) -> Array:
        """The forward pass samples first: ``Z[s] = K @ cols[s] + b`` for each sample ``s``, written in place."""
        xp, W = ctx.xp, self.params["W"]
        n, c, h, w = x.shape
        top, bottom, left, right = self.pads
        padded = (n, c, h + top + bottom, w + left + right)
        xpad = C.pad_samples(x, self.pads, out=ctx.buffer("xpad", padded, W.dtype))
        cols = C.im2col_samples(xpad, self.kernel_size, self.stride,
                                out=ctx.buffer("cols", (n, W[0].size, oh * ow), W.dtype))
        z = ctx.buffer("z", (n, self.out_channels, oh, ow), W.dtype)
        xp.matmul(C.kernel_matrix(W), cols, out=z.reshape(n, self.out_channels, oh * ow))
        if self.bias:
            z += self.params["b"][:, None, None]
        ctx.cols, ctx.x_shape, ctx.padded = cols, x.shape, padded
        return z

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dK = G @ cols.T``, ``dC/db = row sums of G``, ``dC/dX = col2im(K.T @ G)``.

        Parameters
        ----------
        grad : array, shape (n_samples, out_channels, oh, ow)
            ``dC/dZ``.
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, in_channels, h, w), or None
        """
        if ctx.layout == "samples":
            return self._backward_samples(grad, ctx, need_input_grad)
        xp, W, grid = ctx.xp, self.params["W"], ctx.grid
        n, _, oh, ow = grad.shape
        if grid is None:
            g = ctx.buffer("g", (self.out_channels, n * oh * ow), W.dtype)  # G: one column per window
            g.reshape(self.out_channels, n, oh, ow)[...] = grad.transpose(1, 0, 2, 3)
        else:
            g = ctx.buffer("g", (self.out_channels, grid.positions(n)), W.dtype)
            G.to_windows(grad, grid, out=g)  # the positions that are no window: no gradient
        cols = ctx.cols if ctx.cols is not None else G.im2col_grid(ctx.xgrid, grid, n)  # after a pass not training
        kh, kw = self.kernel_size
        dK = xp.matmul(cols, g.T).T  # G @ cols.T, in the order OpenBLAS runs fastest at these shapes
        self.grads["W"][...] = dK.reshape(self.out_channels, kh, kw, self.in_channels).transpose(0, 3, 1, 2)
        if self.bias:
            xp.sum(g, axis=1, out=self.grads["b"])
        if not need_input_grad:
            return None
        dx = ctx.buffer("dx", ctx.x_shape, W.dtype)
        if grid is not None:
            dgrid = G.add_input_gradient(xp.ascontiguousarray(W.transpose(2, 3, 1, 0)), g, grid, n,
                                         out=ctx.buffer("dgrid", ctx.xgrid.shape, W.dtype))
            dx[...] = G.pixels(dgrid, grid, n).transpose(1, 0, 2, 3)
            return dx
        top, bottom, left, right = self.pads
        _, _, h, w = ctx.x_shape
        padded = (ctx.x_shape[1], n, h + top + bottom, w + left + right)
        dcols = xp.matmul(C.kernel_matrix(W).T, g, out=ctx.buffer("dcols", cols.shape, W.dtype))
        dxpad = C.col2im(dcols, padded, self.kernel_size, self.stride, out=ctx.buffer("dxpad", padded, W.dtype))
        dx[...] = dxpad[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
        return dx

    def _backward_samples(self, grad: Array, ctx: Context, need_input_grad: bool) -> Array | None:
        """The backward pass samples first: ``dC/dK`` sums ``G[s] @ cols[s].T`` over the samples."""
        xp, W, cols = ctx.xp, self.params["W"], ctx.cols
        n, out, oh, ow = grad.shape
        g = xp.reshape(grad.astype(W.dtype, copy=False), (n, out, oh * ow))  # G[s]: a column per window of s
        per_sample = xp.matmul(g, cols.transpose(0, 2, 1), out=ctx.buffer("dk", (n, out, W[0].size), W.dtype))
        kh, kw = self.kernel_size
        dK = xp.sum(per_sample, axis=0).reshape(out, kh, kw, self.in_channels)
        self.grads["W"][...] = dK.transpose(0, 3, 1, 2)
        if self.bias:
            xp.sum(g, axis=(0, 2), out=self.grads["b"])
        if not need_input_grad:
            return None
        dcols = xp.matmul(C.kernel_matrix(W).T, g, out=ctx.buffer("dcols", cols.shape, W.dtype))
        dxpad = C.col2im_samples(dcols, ctx.padded, self.kernel_size, self.stride,
                                 out=ctx.buffer("dxpad", ctx.padded, W.dtype))
        _, _, h, w = ctx.x_shape
        top, _, left, _ = self.pads
        dx = ctx.buffer("dx", ctx.x_shape, W.dtype)
        dx[...] = dxpad[:, :, top:top + h, left:left + w]
        return dx

    def trace_formulas(self, k: int | str, prev: str) -> tuple[str, str, dict[str, str]]:
        """``Z{k} = conv({prev}, W{k}) + b{k}`` and its gradients (see :meth:`Layer.trace_formulas`).

        Parameters
        ----------
        k : int or str
        prev : str

        Returns
        -------
        (str, str, dict)
        """
        forward = f"Z{k} = conv({prev}, W{k})" + (f" + b{k}" if self.bias else "") + \
            f" = W{k} as a matrix @ im2col({prev})"
        params = {"W": f"dW{k} = dZ{k} @ im2col({prev}).T, one column per window"}
        if self.bias:
            params["b"] = f"db{k} = sum of dZ{k} over samples and pixels"
        return forward, self.trace_backward.format(k=k, prev=prev), params

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``Conv`` with this layer's kernels, stride and padding (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        top, bottom, left, right = self.pads
        inputs = [x, graph.constant("kernel", self.params["W"])]
        if self.bias:
            inputs.append(graph.constant("b", self.params["b"]))
        return graph.node("Conv", inputs, "conv", kernel_shape=list(self.kernel_size), strides=list(self.stride),
                          pads=[top, left, bottom, right])

    def describe(self) -> str:
        """``Conv2D(1 -> 32, 3x3, pad same)`` (see :meth:`Layer.describe`).

        Returns
        -------
        str
        """
        parts = [f"{self.in_channels or '?'} -> {self.out_channels}", "x".join(map(str, self.kernel_size))]
        if self.stride != (1, 1):
            parts.append("stride " + "x".join(map(str, self.stride)))
        if self.padding not in (0, "valid", [0, 0]):
            pad = self.padding if isinstance(self.padding, (str, int)) else "x".join(map(str, self.padding))
            parts.append(f"pad {pad}")
        if not self.bias:
            parts.append("no bias")
        return f"Conv2D({', '.join(parts)})"

    def config(self) -> dict:
        """The constructor's arguments, with the initializer's name.

        Returns
        -------
        dict
        """
        init = self.init if isinstance(self.init, str) else "custom"
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": self.padding,
                "bias": self.bias, "init": init}

    @classmethod
    def parameter_count(cls, config: dict) -> int:
        """``out_channels * in_channels * kh * kw`` weights, and ``out_channels`` biases when ``bias``.

        Parameters
        ----------
        config : dict
            As :meth:`config` returns it; the sizes are checked.

        Returns
        -------
        int
        """
        n_in = check_positive_int(config.get("in_channels"), "in_channels")
        n_out = check_positive_int(config.get("out_channels"), "out_channels")
        kh, kw = C.pair(config.get("kernel_size"), "kernel_size")
        return n_out * n_in * kh * kw + (n_out if config.get("bias", True) else 0)
