"""Batch normalization: each feature (or channel) brought to mean 0 and variance 1, then scaled and shifted."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core._validation import check_dtype, check_positive_int, check_real
from ..core.arrays import is_numpy
from ..errors import OptionError
from ..ops import convolution as C
from .base import Array, Context, Layer, Shape


class BatchNorm(Layer):
    """``N = gamma * (X - mean) / sqrt(var + eps) + beta``, per feature of rows or per channel of images.

    In training, ``mean`` and ``var`` are the batch's own, over the samples
    (and, for images, every pixel of the channel), and the layer keeps running
    averages of them: ``running = (1 - momentum) * running + momentum * batch``
    (the variance unbiased, as PyTorch keeps it). Outside training it
    normalizes with the running averages, so a prediction does not depend on
    the other samples of its batch.

    Parameters
    ----------
    num_features : int
        Columns of row input, or channels of image input.
    eps : float
        Added to the variance before its square root.
    momentum : float
        The weight of each batch in the running averages, in (0, 1].
    dtype : float32 (default) or float64

    Attributes
    ----------
    gamma, beta : arrays, shape (num_features,)
        The trained scale (starts at 1) and shift (starts at 0); not decayed by L2.
    running_mean, running_var : arrays, shape (num_features,)
        The model's :attr:`~glassnet.nn.Stack.state`: saved in model files,
        never trained.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    trace_symbol = "N"
    trace_forward = "N{k} = gamma{k} * ({prev} - mean) / sqrt(var + eps) + beta{k}"
    trace_backward = ("d{prev} = gamma{k} / sqrt(var + eps) * (dN{k} - mean(dN{k}) - Xhat * mean(dN{k} * Xhat)) "
                      "with the batch's mean and var")
    #: the forward and backward formulas of a pass on the running statistics (a trace of a network with dropout)
    trace_running = ("N{k} = gamma{k} * ({prev} - running_mean) / sqrt(running_var + eps) + beta{k}",
                     "d{prev} = gamma{k} / sqrt(running_var + eps) * dN{k}, the running statistics held fixed")

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1,
                 dtype: object = np.float32) -> None:
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0, low_open=True)
        self.dtype = check_dtype(dtype)
        self.params["gamma"] = np.ones(self.num_features, dtype=self.dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state["running_mean"] = np.zeros(self.num_features, dtype=self.dtype)
        self.state["running_var"] = np.ones(self.num_features, dtype=self.dtype)

    def fewest_rows(self, input_shape: Shape) -> int:
        """2 where a row gives one value per feature (after a flat layer, or 1x1 maps): one value has no
        variance. Else 1.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        int
        """
        return 2 if math.prod(input_shape[1:]) == 1 else 1

    def output_shape(self, input_shape: Shape) -> Shape:
        """The input's shape: ``(num_features,)`` or ``(num_features, h, w)``.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        if len(shape) not in (1, 3) or shape[0] != self.num_features:
            raise OptionError(f"BatchNorm expects {self.num_features} features per sample, shape "
                              f"({self.num_features},) or ({self.num_features}, height, width); received shape "
                              f"{shape} per sample")
        return shape

    def forward(self, x: Array, ctx: Context) -> Array:
        """Normalize with the batch's statistics in training (updating the running ones), else the running ones.

        Parameters
        ----------
        x : array, shape (n_samples, num_features) or (n_samples, num_features, h, w)
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        self.output_shape(x.shape[1:])
        gamma, beta = self.params["gamma"], self.params["beta"]
        own = ctx.overwrite
        if x.dtype != gamma.dtype:
            x, own = x.astype(gamma.dtype), True
        ctx.batch_stats = ctx.training
        ctx.fast = is_numpy(ctx.xp)
        if ctx.training:
            count = x.size // self.num_features
            if count < 2:
                raise OptionError("BatchNorm needs more than one value per feature to train on; received a batch "
                                  f"of shape {tuple(x.shape)}")
            if ctx.fast:
                return self._train_forward(x, ctx, count)
            mean, var = C.batch_statistics(x)
            self._update_running(mean, var, count)
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
            if ctx.fast and ctx.inference:
                return self._infer(x, ctx, own)
        out, ctx.xhat, ctx.inv_std = C.batch_norm(x, mean, var, gamma, beta, self.eps)
        return out

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dgamma``, ``dC/dbeta`` and ``dC/dX`` (see :func:`glassnet.convolution.batch_norm_backward`).

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        if ctx.fast and ctx.batch_stats:
            return self._train_backward(grad, ctx)
        dx, self.grads["gamma"][...], self.grads["beta"][...] = C.batch_norm_backward(
            grad, ctx.xhat, ctx.inv_std, self.params["gamma"], ctx.batch_stats)
        return dx

    def _update_running(self, mean: Array, var: Array, count: int) -> None:
        """Move the running statistics toward a batch's, the variance unbiased over its ``count`` values."""
        running_mean, running_var = self.state["running_mean"], self.state["running_var"]
        running_mean *= 1.0 - self.momentum
        running_mean += self.momentum * mean
        running_var *= 1.0 - self.momentum
        running_var += (self.momentum * count / (count - 1)) * var

    def _infer(self, x: Array, ctx: Context, own: bool) -> Array:
        """:func:`~glassnet.ops.normalization.batch_norm` on the running statistics, its four operations in
        its order (the same numbers), when no backward pass follows: written into one array, ``x`` itself
        when the pass owns it (:attr:`Context.overwrite`), and no ``xhat`` kept. The output is laid out as
        ``x`` is, as the formula's would be, so that the products after it round as they did."""
        shape = (1, -1) + (1,) * (x.ndim - 2)
        inv_std = 1.0 / np.sqrt(self.state["running_var"] + self.eps)
        if own:
            out = x
        else:
            out = ctx.buffer("out", x.shape, x.dtype) if x.flags.c_contiguous else np.empty_like(x)
        np.subtract(x, self.state["running_mean"].reshape(shape), out=out)
        out *= inv_std.reshape(shape)
        out *= self.params["gamma"].reshape(shape)
        out += self.params["beta"].reshape(shape)
        return out

    # -- the training pass in reused buffers: the formulas of batch_statistics, batch_norm and
    # batch_norm_backward (glassnet.convolution, their readable twins, which the tests compare). Each sample
    # is read as one row of c * per values (per: a channel's pixels, or 1 for rows): a sum over the samples
    # is then one pass down whole rows, and a per-feature number meets each row as a template of c * per
    # values (:func:`_spread`), so that every pass runs along long contiguous rows instead of runs of ``per``
    def _train_forward(self, x: Array, ctx: Context, count: int) -> Array:
        n, c = x.shape[:2]
        per = x.size // (n * c)
        x2 = x.reshape(n, -1)
        xhat = ctx.buffer("xhat", x.shape, x.dtype)
        out = ctx.buffer("out", x.shape, x.dtype)
        xh2, o2 = xhat.reshape(n, -1), out.reshape(n, -1)
        mean = _feature_sums(ctx, x2, c) / count
        np.subtract(x2, _spread(ctx, mean, per), out=xh2)
        np.square(xh2, out=o2)
        var = _feature_sums(ctx, o2, c) / count
        self._update_running(mean, var, count)
        ctx.inv_std = inv_std = 1.0 / np.sqrt(var + self.eps)
        xh2 *= _spread(ctx, inv_std, per)
        np.multiply(xh2, _spread(ctx, self.params["gamma"], per), out=o2)
        o2 += _spread(ctx, self.params["beta"], per)
        ctx.xhat, ctx.count = xhat, count
        return out

    def _train_backward(self, grad: Array, ctx: Context) -> Array:
        n, c = grad.shape[:2]
        per = grad.size // (n * c)
        g2, xh2 = grad.reshape(n, -1), ctx.xhat.reshape(n, -1)
        dx = ctx.buffer("dx", grad.shape, grad.dtype)
        d2 = dx.reshape(n, -1)
        dbeta = _feature_sums(ctx, g2, c)
        np.multiply(g2, xh2, out=d2)
        dgamma = _feature_sums(ctx, d2, c)
        self.grads["gamma"][...], self.grads["beta"][...] = dgamma, dbeta
        # dC/dx = gamma inv_std (g - mean(g) - xhat mean(g xhat)), the means over samples and pixels
        np.multiply(xh2, _spread(ctx, dgamma / ctx.count, per), out=d2)
        np.subtract(g2, d2, out=d2)
        d2 -= _spread(ctx, dbeta / ctx.count, per)
        d2 *= _spread(ctx, self.params["gamma"] * ctx.inv_std, per)
        return dx

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``BatchNormalization`` with the running statistics (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        # ONNX's epsilon is a float32 attribute (0.3 is 0.30000001192...): a float64 graph puts what it leaves out
        # of eps into the variance (the difference was 2e-8); a float32 layer computes with the float32 eps
        eps32 = float(np.float32(self.eps))
        rest = float(self.eps) - eps32 if graph.dtype == np.float64 else 0.0
        statistics = [graph.constant("gamma", self.params["gamma"]), graph.constant("beta", self.params["beta"]),
                      graph.constant("mean", self.state["running_mean"]),
                      graph.constant("var", self.state["running_var"] + rest)]
        return graph.node("BatchNormalization", [x, *statistics], "batchnorm", epsilon=eps32)

    def describe(self) -> str:
        """``BatchNorm(32)`` (see :meth:`Layer.describe`).

        Returns
        -------
        str
        """
        return f"BatchNorm({self.num_features})"

    def config(self) -> dict:
        """``num_features``, ``eps`` and ``momentum``.

        Returns
        -------
        dict
        """
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    @classmethod
    def parameter_count(cls, config: dict) -> int:
        """``gamma`` and ``beta``: ``2 * num_features``.

        Parameters
        ----------
        config : dict

        Returns
        -------
        int
        """
        return 2 * check_positive_int(config.get("num_features"), "num_features")

    @classmethod
    def state_count(cls, config: dict) -> int:
        """The running mean and variance: ``2 * num_features``.

        Parameters
        ----------
        config : dict

        Returns
        -------
        int
        """
        return 2 * check_positive_int(config.get("num_features"), "num_features")


def _feature_sums(ctx: Context, a2: Array, c: int) -> Array:
    """The sum of each of ``c`` features over the rows of ``a2`` (n, c * per), and over its ``per`` values a row."""
    return np.sum(a2, axis=0, out=ctx.buffer("sums", a2.shape[1:], a2.dtype)).reshape(c, -1).sum(axis=1)


def _spread(ctx: Context, values: Array, per: int) -> Array:
    """A row of ``values`` (one a feature), each ``per`` times: what meets every sample, in a reused buffer.

    One buffer serves every call: each row is used up before the next is asked for.
    """
    row = ctx.buffer("row", (values.shape[0], per), values.dtype)
    row[...] = values[:, None]
    return row.reshape(-1)
