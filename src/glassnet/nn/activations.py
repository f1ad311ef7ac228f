"""Element-wise and row-wise activation layers.

Each layer keeps only what its backward pass needs: its output ``A``, from
which every derivative here follows (the rectifiers' sign masks included).
The formulas themselves are the pure functions of :mod:`glassnet.functional`.
"""

from __future__ import annotations

from typing import Any

from ..core._validation import check_real
from ..ops import functional as F
from .base import Array, Context, Layer


class Activation(Layer):
    """Base of the activation layers: ``A = f(Z)`` with no parameters.

    A subclass sets ``name`` (how :func:`get_activation` and ``mlp`` call it)
    and writes ``forward`` and ``backward`` with the functions of
    :mod:`glassnet.functional`. The input keeps its float dtype.
    """

    name = "activation"
    trace_symbol = "A"
    #: its function may write its output over its input (``out=z``); then an inference pass
    #: does so over an array it made itself (:attr:`~glassnet.nn.context.Context.overwrite`)
    in_place = False

    def _out(self, ctx: Context, name: str, like: Array) -> Array:
        """A buffer of ``like``'s shape, in its dtype if that is a float one, else the layer's."""
        return ctx.buffer(name, like.shape, self.work_dtype(like))

    def _output(self, ctx: Context, x: Array) -> Array:
        """Where forward writes ``A``: over ``x`` when the pass allows it and ``x`` holds floats, else a buffer."""
        if self.in_place and ctx.overwrite and x.dtype.kind == "f":
            return x
        return self._out(ctx, "a", x)

    def _floats(self, x: Array) -> Array:
        """``x`` itself if it holds floats, else a copy in the layer's dtype (a layer called on integers alone).

        NumPy computes ``tanh`` of int8 or bool in float16 before writing it to a float32 buffer.
        """
        return x if x.dtype.kind == "f" else x.astype(self.work_dtype(x))


class Identity(Activation):
    """``A = Z``; ``dC/dZ = dC/dA``. The output layer of a regression."""

    output_owned = None  # its output is its input, or a view of it, outside training
    name = "identity"
    onnx_op = "Identity"
    trace_forward = "A{k} = {prev}"
    trace_backward = "d{prev} = dA{k}"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = Z`` (the input itself).

        Parameters
        ----------
        x : array, any shape
        ctx : Context

        Returns
        -------
        array
            ``x``.
        """
        return x

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = dC/dA``.

        Parameters
        ----------
        grad : array
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array
            ``grad``.
        """
        return grad


class Sigmoid(Activation):
    """``A = 1 / (1 + exp(-Z))``; ``dC/dZ = dC/dA * A * (1 - A)``."""

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    name = "sigmoid"
    in_place = True
    onnx_op = "Sigmoid"
    trace_forward = "A{k} = sigmoid({prev}) = 1 / (1 + exp(-{prev}))"
    trace_backward = "d{prev} = dA{k} * A{k} * (1 - A{k})"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = sigmoid(Z)``.

        Parameters
        ----------
        x : array, any shape
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        ctx.a = F.sigmoid(self._floats(x), out=self._output(ctx, x))
        return ctx.a

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = dC/dA * A * (1 - A)``.

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        return F.sigmoid_backward(ctx.a, grad, out=self._out(ctx, "dz", grad))


class Tanh(Activation):
    """``A = tanh(Z)``; ``dC/dZ = dC/dA * (1 - A**2)``."""

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    name = "tanh"
    in_place = True
    onnx_op = "Tanh"
    trace_forward = "A{k} = tanh({prev})"
    trace_backward = "d{prev} = dA{k} * (1 - A{k}**2)"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = tanh(Z)``.

        Parameters
        ----------
        x : array, any shape
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        ctx.a = F.tanh(self._floats(x), out=self._output(ctx, x))
        return ctx.a

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = dC/dA * (1 - A**2)``.

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        return F.tanh_backward(ctx.a, grad, out=self._out(ctx, "dz", grad))


class ReLU(Activation):
    """``A = max(Z, 0)``; ``dC/dZ = dC/dA * [Z > 0]`` (zero at the kink).

    ``A > 0`` exactly where ``Z > 0``, so the mask is taken from the output in
    backward: inference pays for one pass only.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    name = "relu"
    in_place = True
    kinked_at_zero = kinked = True
    onnx_op = "Relu"
    trace_forward = "A{k} = max({prev}, 0)"
    trace_backward = "d{prev} = dA{k} * [{prev} > 0]"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = max(Z, 0)``.

        Parameters
        ----------
        x : array, any shape
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        ctx.a = F.relu(self._floats(x), out=self._output(ctx, x))
        return ctx.a

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = dC/dA * [A > 0]``.

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        return F.relu_backward(ctx.a, grad, out=self._out(ctx, "dz", grad))


class LeakyReLU(Activation):
    """``A = Z`` where ``Z > 0``, else ``alpha * Z``; ``dC/dZ = dC/dA * (1 or alpha)``.

    Parameters
    ----------
    alpha : float
        The slope for negative inputs, in [0, 1).
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    name = "leaky_relu"
    kinked_at_zero = kinked = True
    trace_forward = "A{k} = {prev} where {prev} > 0, else alpha * {prev}"
    trace_backward = "d{prev} = dA{k} * (1 where {prev} > 0, else alpha)"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_real(alpha, "alpha", low=0.0, high=1.0, high_open=True)

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = max(Z, alpha * Z)``.

        Parameters
        ----------
        x : array, any shape
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        ctx.a = F.leaky_relu(self._floats(x), self.alpha, out=self._out(ctx, "a", x))
        return ctx.a

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = dC/dA`` where ``A > 0``, else ``alpha * dC/dA``.

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array like the input
        """
        return F.leaky_relu_backward(ctx.a, grad, self.alpha, out=self._out(ctx, "dz", grad))

    def config(self) -> dict:
        """``{"alpha": alpha}``.

        Returns
        -------
        dict
        """
        return {"alpha": self.alpha}

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """``Max(x, alpha * x)``, the formula of :func:`~glassnet.ops.activations.leaky_relu` (see
        :meth:`Layer.onnx_nodes`): ONNX's ``LeakyRelu`` gives the same numbers, but ONNX Runtime has no
        float64 kernel of it from opset 16 on, where skl2onnx's pipelines go.

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return graph.node("Max", [x, graph.node("Mul", [x, graph.constant("alpha", self.alpha)])], "leaky_relu")


class Softmax(Activation):
    """Row-wise ``A = exp(Z) / sum(exp(Z))``; ``dC/dZ = A * (dC/dA - sum(dC/dA * A, per row))``.

    Followed by :class:`glassnet.SoftmaxCrossEntropy`, training skips this
    layer and uses the fused, simpler gradient ``(A - Y) / n`` of the loss.
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    name = "softmax"
    in_place = True
    trace_forward = "A{k} = exp({prev}) / row sums of exp({prev})"
    trace_backward = "d{prev} = A{k} * (dA{k} - row sums of dA{k} * A{k})"

    def forward(self, x: Array, ctx: Context) -> Array:
        """``A = softmax(Z)`` over each row.

        Parameters
        ----------
        x : array, shape (n_samples, k)
        ctx : Context

        Returns
        -------
        array, shape (n_samples, k)
        """
        ctx.a = F.softmax(self._floats(x), out=self._output(ctx, x))
        return ctx.a

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dZ = A * (dC/dA - sum(dC/dA * A, per row))``.

        Parameters
        ----------
        grad : array, shape (n_samples, k)
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array, shape (n_samples, k)
        """
        return F.softmax_backward(ctx.a, grad, out=self._out(ctx, "dz", grad))

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``Softmax`` over axis 1, the classes or channels (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        return graph.node("Softmax", [x], axis=1)  # over the channels of pictures too, as forward takes it


#: the names of the activations whose outputs are probabilities
PROBABILITIES = ("sigmoid", "softmax")


def probability_output(layers: list[Layer]) -> str | None:
    """``"softmax"`` or ``"sigmoid"`` when the last of ``layers`` turns scores into probabilities, else None.

    The saliency tools read the scores before such a layer as the logits. Whether a network's outputs are
    probabilities (a Softmax followed by Flatten, say) is
    :func:`glassnet.nn.predicting.output_probabilities`.

    Parameters
    ----------
    layers : list of Layer

    Returns
    -------
    str or None
    """
    last = layers[-1] if layers else None
    return last.name if isinstance(last, (Softmax, Sigmoid)) else None
