"""The layer protocol shared by every building block of a network.

A layer is a differentiable function of its input and, possibly, of its own parameters. It holds only
its parameters, their gradients and its settings. What a forward pass must leave for the backward pass
(the input, the output, a dropout mask) and the scratch arrays it writes into live in a
:class:`~glassnet.nn.context.Context` that the caller owns: a fresh one per call for inference, so
results belong to the caller and any number of threads may run a model at once; one per layer for the
length of a training run, so training allocates nothing per batch. ``Context``, ``Array`` and ``Shape``
live in :mod:`glassnet.nn.context` and are imported here too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core._validation import brief
from ..core.arrays import namespace
from ..errors import OptionError
from .context import Array, Context, Shape


class Layer:
    """Base class of all layers.

    A layer maps a batch ``x`` of shape ``(n_samples, *input_shape)`` to a batch
    of shape ``(n_samples, *output_shape(input_shape))``.

    * ``forward(x, ctx)`` computes the output and stores in ``ctx`` what
      ``backward`` needs;
    * ``backward(grad, ctx)`` receives ``dC/d(output)``, writes ``dC/d(parameter)``
      into :attr:`grads` for each parameter, and returns ``dC/d(input)``.

    Gradients are written, not accumulated: a layer appears once in a model,
    and every backward pass follows exactly one forward pass.

    Attributes
    ----------
    params : dict of str to array
        The layer's parameters by name (``"W"``, ``"b"``); inside a
        :class:`~glassnet.nn.Stack`, views into its flat vector.
    grads : dict of str to array
        Their gradients from the last ``backward``, the same shapes.
    dtype : numpy.dtype
        The precision of the parameters.
    """

    #: names of the parameters that L2 regularization and weight decay apply to
    decayed: tuple[str, ...] = ()
    #: the per-sample input shape the layer requires, or None for any shape
    input_shape: Shape | None = None
    #: trace formulas (see :meth:`trace_formulas`): the symbol of the output ("Z" for a
    #: layer with weights, "A" for an activation, "H" by default), the forward rule and the rule
    #: for the gradient of the input, with {k} for the layer's number, {prev} for its input's
    #: name, {out} for its output's and {name} for the layer's class
    trace_symbol = "H"
    trace_forward = "{out} = {name}({prev})"
    trace_backward = "d{prev} = d{out} through {name}'s backward"
    #: layers that are the identity outside training (dropout) are left out of traces
    trace_skip = False
    #: what ``forward`` returns, for inference passes that write an activation over it (``Context.overwrite``):
    #: True, an array the layer made and reads no more; None, its input or a view; False (own forward), unknown
    output_owned: bool | None = False
    #: the layer has no derivative where an input is exactly 0 (ReLU's kink): a
    #: gradient check reports the perturbations that carry an input across 0 apart
    kinked_at_zero = False
    #: the layer's output switches from one formula to another somewhere (ReLU at 0,
    #: max-pooling where two inputs tie); :meth:`kink_sides` says which formula applies
    kinked = False

    def __init_subclass__(cls, **kwargs: Any) -> None:  # a forward of its own: its output may be anything
        super().__init_subclass__(**kwargs)
        cls.output_owned = cls.__dict__.get("output_owned", False if "forward" in cls.__dict__ else cls.output_owned)

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        #: arrays the layer updates itself and that are not trained (batch norm's running
        #: statistics); inside a Stack, views into its flat ``state`` vector
        self.state: dict[str, Array] = {}
        self.dtype = np.dtype(np.float32)

    # -- to override --------------------------------------------------------
    @property
    def built(self) -> bool:
        """Whether the layer has all its parameters.

        False for a layer given no input size (``Dense(10)``,
        ``Conv2D(out_channels=8, kernel_size=3)``) until :meth:`build` gives
        it one; its model does that when it first sees data.
        """
        return True

    def build(self, input_shape: Shape, rng: np.random.Generator) -> None:
        """Make the parameters for inputs of ``input_shape``, for a layer that left out its input size.

        Parameters
        ----------
        input_shape : tuple of int
            The per-sample shape of the layer's input.
        rng : numpy.random.Generator
            Draws the initial weights when the layer was given no generator of its own.
        """

    def adopt(self, rng: np.random.Generator) -> None:
        """Draw again, from a seeded model's ``rng``, weights that came from fresh entropy (see :class:`Dense`).

        Most layers have nothing to draw.

        Parameters
        ----------
        rng : numpy.random.Generator
            The model's.
        """

    def forward(self, x: Array, ctx: Context) -> Array:
        """The layer's output for ``x``.

        Parameters
        ----------
        x : array, shape (n_samples, *input_shape)
        ctx : Context
            Receives what ``backward`` will need; hands out reusable buffers.

        Returns
        -------
        array, shape (n_samples, *output_shape)
            An array of ``ctx`` (or ``x`` itself for the identity); valid as long
            as ``ctx`` is not used for another pass.
        """
        raise NotImplementedError

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """Gradients from ``grad = dC/d(output)``, for the pass that ``ctx`` recorded.

        Parameters
        ----------
        grad : array, shape (n_samples, *output_shape)
        ctx : Context
            The context of the matching forward pass.
        need_input_grad : bool
            Whether to compute ``dC/d(input)``; the first layer of a model can skip it.

        Returns
        -------
        array, shape (n_samples, *input_shape), or None
            ``dC/d(input)``, or None when not needed.
        """
        raise NotImplementedError

    def output_shape(self, input_shape: Shape) -> Shape:
        """The per-sample output shape for a per-sample input shape.

        Parameters
        ----------
        input_shape : tuple of int
            Without the samples axis: ``(784,)`` or ``(1, 28, 28)``.

        Returns
        -------
        tuple of int

        Raises
        ------
        OptionError
            When the layer cannot take that shape.
        """
        return tuple(input_shape)

    def config(self) -> dict:
        """Arguments that rebuild this layer, without its weights.

        Returns
        -------
        dict
            JSON-ready keyword arguments of the constructor.
        """
        return {}

    def describe(self) -> str:
        """The layer in a few words, for summaries that fit 80 columns: ``Dense(64 -> 256)``.

        Returns
        -------
        str
            By default the class name and the settings of :meth:`config` (sizes as ``3x3``).
        """
        settings = ", ".join(f"{k}={brief(v)}" for k, v in self.config().items() if k != "init")
        return f"{type(self).__name__}({settings})"

    @classmethod
    def parameter_count(cls, config: dict) -> int:
        """How many parameters a layer of this description has, computed without building it.

        Model files check their arrays against this before allocating anything.

        Parameters
        ----------
        config : dict
            As :meth:`config` returns it.

        Returns
        -------
        int
        """
        return 0

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """Rebuild a layer from :meth:`config`; its parameters are set by the caller.

        Parameters
        ----------
        config : dict
            As :meth:`config` returned it.

        Returns
        -------
        Layer
        """
        return cls(**config)

    def trace_formulas(self, k: int | str, prev: str) -> tuple[str, str, dict[str, str]]:
        """This layer's rules as text, for :func:`glassnet.trace`.

        Parameters
        ----------
        k : int or str
            The layer's number in the trace (W1, W2, ...; "1b" for a second P1).
        prev : str
            The name of the layer's input (``"X"``, ``"A1"``).

        Returns
        -------
        forward : str
            How the output is computed.
        backward : str
            How the gradient of the input is computed.
        params : dict of str to str
            How each parameter's gradient is computed, by parameter name.
        """
        names = {"k": k, "prev": prev, "out": f"{self.trace_symbol}{k}", "name": type(self).__name__}
        params = {p: f"d{p}{k} = d{names['out']} through {names['name']}'s backward" for p in self.params}
        return self.trace_forward.format(**names), self.trace_backward.format(**names), params

    def fewest_rows(self, input_shape: tuple[int, ...]) -> int:
        """The fewest rows a training batch must hold for this layer, given its per-sample input shape.

        ``fit`` asks before the first step: a batch size leaving too small a last batch is refused then.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        int
            1 for most layers.
        """
        return 1

    def draws_in_training(self) -> bool:
        """Whether a training pass draws random numbers (dropout's masks): then two passes differ.

        A gradient check, a trace and data-parallel training ask this before a training pass.

        Returns
        -------
        bool
        """
        return False

    #: the ONNX operator of a layer that is that one operator on its input, with no attributes ("Relu");
    #: other layers that export override :meth:`onnx_nodes`
    onnx_op: str | None = None

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """Write this layer as ONNX nodes, for :func:`glassnet.export_onnx`.

        Parameters
        ----------
        x : str
            The name of the layer's input tensor.
        graph : glassnet.io.onnx.GraphParts
            Takes the nodes: ``graph.constant(name, array)`` adds an initializer
            (a parameter) and ``graph.node(op, inputs, **attributes)`` a node;
            each returns the name of what it made.

        Returns
        -------
        str
            The name of the layer's output tensor.

        Raises
        ------
        OptionError
            For a layer with no ONNX equivalent (no :attr:`onnx_op` and no override).
        """
        if self.onnx_op is None:
            raise OptionError(f"{type(self).__name__} has no ONNX equivalent: give it an onnx_op or an onnx_nodes "
                              "method to export it")
        return graph.node(self.onnx_op, [x])

    @classmethod
    def exports(cls) -> bool:
        """Whether the layer type has an ONNX equivalent (:meth:`onnx_nodes`).

        Returns
        -------
        bool
        """
        return cls.onnx_op is not None or cls.onnx_nodes is not Layer.onnx_nodes

    def kink_sides(self, x: Array) -> Array | None:
        """Which piece of its formula the layer applies to each input, for a gradient check.

        Two inputs that get different answers lie on different sides of a kink,
        where the layer has no derivative.

        Parameters
        ----------
        x : array
            The layer's input.

        Returns
        -------
        array or None
            ``x > 0`` for layers kinked at zero; None for smooth layers.
        """
        return x > 0 if self.kinked_at_zero else None

    def scratch_per_sample(self, input_shape: Shape, training: bool = False) -> int:
        """About how many values a pass allocates per sample: its output and any working copy.

        Parameters
        ----------
        input_shape : tuple of int
        training : bool
            Count a training step's, its backward pass's arrays too.

        Returns
        -------
        int
        """
        return math.prod(self.output_shape(input_shape)) * (2 if training else 1)

    @classmethod
    def state_count(cls, config: dict) -> int:
        """How many values of :attr:`state` a layer of this description keeps (0 for most layers).

        Parameters
        ----------
        config : dict
            As :meth:`config` returns it.

        Returns
        -------
        int
        """
        return 0

    # -- shared machinery ---------------------------------------------------
    def work_dtype(self, x: Array) -> np.dtype:
        """The dtype a layer without weights computes in: the input's if it is a float, else the layer's.

        Parameters
        ----------
        x : array

        Returns
        -------
        numpy.dtype
        """
        return np.dtype(x.dtype) if np.dtype(x.dtype).kind == "f" else self.dtype

    def set_param(self, name: str, value: object) -> None:
        """Copy ``value`` into parameter ``name`` in place, keeping any view into a flat vector.

        Parameters
        ----------
        name : str
            A key of :attr:`params`.
        value : array_like
            Of the parameter's shape, finite.
        """
        target = self.params[name]
        xp = namespace(target)
        array = np.asarray(value) if xp is np else xp.asarray(value)
        if tuple(array.shape) != tuple(target.shape):
            raise OptionError(f"{type(self).__name__}.{name} must have shape {tuple(target.shape)}; "
                              f"received shape {tuple(array.shape)}")
        if not bool(xp.isfinite(array).all()):
            raise OptionError(f"{type(self).__name__}.{name} must hold finite values")
        target[...] = array

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
