"""Inverted dropout."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validation import as_generator, check_real
from .base import Array, Context, Layer


class Dropout(Layer):
    """Zero each input with probability ``rate`` while training; the identity otherwise.

    Surviving inputs are scaled by ``1 / (1 - rate)`` during training ("inverted"
    dropout), so the expected activation is unchanged and inference needs no
    rescaling. ``dC/dX = dC/dA * mask / (1 - rate)`` with the mask of the same pass.

    Parameters
    ----------
    rate : float
        The probability of dropping an input, in [0, 1).
    rng : None, int or numpy.random.Generator
        Draws the masks. Without one, the masks come from the generator of the
        pass (inside a :class:`~glassnet.nn.Stack`, the model's).

    Notes
    -----
    On NumPy the masks are drawn by that generator. On a GPU they are drawn
    on the device, by a generator of the device's library seeded once per
    training run from the host generator (copying a mask each step would
    make every step wait): the one place where a GPU run differs from the CPU
    run of the same seed, beyond rounding.
    """

    output_owned = None  # its output is its input, or a view of it, outside training
    trace_skip = True
    trace_forward = "A{k} = A{k} * mask / (1 - rate)   (training only)"
    trace_backward = "dA{k} = dA{k} * mask / (1 - rate)"

    def __init__(self, rate: float, rng: object = None) -> None:
        super().__init__()
        self.rate = check_real(rate, "rate", low=0.0, high=1.0, high_open=True)
        self.rng = None if rng is None else as_generator(rng)

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = X * mask / (1 - rate)`` in training, else ``A = X``.

        Parameters
        ----------
        x : array, any shape
        ctx : Context
            ``ctx.training`` switches dropout on; ``ctx.rng`` draws the mask
            when the layer has no generator of its own.

        Returns
        -------
        array like ``x``
        """
        if not ctx.training or self.rate == 0.0:
            ctx.scale = None
            return x
        rng = self.rng or ctx.rng
        if rng is None:
            rng = self.rng = np.random.default_rng()
        dtype, xp = self.work_dtype(x), ctx.xp
        # scale = [u >= rate] / (1 - rate), drawn where the arrays live
        keep = ctx.buffer("mask", x.shape, dtype)
        if xp is np:
            rng.random(dtype=keep.dtype, out=keep)
        else:
            if getattr(ctx, "device_rng", None) is None:  # seeded at each epoch's start by gradient descent
                ctx.device_rng = xp.random.default_rng(int(rng.integers(2**63)))
            ctx.device_rng.random(x.shape, dtype=keep.dtype, out=keep)
        xp.greater_equal(keep, self.rate, out=keep)
        keep *= 1.0 / (1.0 - self.rate)
        ctx.scale = keep
        return xp.multiply(x, keep, out=ctx.buffer("a", x.shape, dtype))

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX = dC/dA * mask / (1 - rate)`` (``dC/dA`` itself outside training).

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        if ctx.scale is None:
            return grad
        return ctx.xp.multiply(grad, ctx.scale, out=ctx.buffer("dz", grad.shape, grad.dtype))

    def draws_in_training(self) -> bool:
        """Whether masks are drawn: a rate above 0 (see :meth:`Layer.draws_in_training`).

        Returns
        -------
        bool
        """
        return self.rate > 0

    def config(self) -> dict:
        """``{"rate": rate}``.

        Returns
        -------
        dict
        """
        return {"rate": self.rate}

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """Nothing: dropout is the identity at inference (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return x
