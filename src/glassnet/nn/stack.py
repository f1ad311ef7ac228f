"""A stack of layers whose parameters live in one flat vector.

:class:`Stack` builds its layers (following each one's shape), runs the
forward and backward passes and describes itself. Its flat parameter vector
is :class:`~glassnet.nn.flat.FlatParameters`, its handling of input data and
prediction in chunks :class:`~glassnet.nn.predicting.Predicting`.
"""

from __future__ import annotations

import math
import os
import threading
from types import ModuleType
from typing import Any

import numpy as np

from ..core._html import table
from ..core._validation import as_generator, check_dtype, meant, short
from ..core.arrays import namespace
from ..errors import OptionError, OptionTypeError
from .base import Layer
from .context import Array, Shape, Workspace, made_by_pass
from .flat import FlatParameters
from .predicting import _INFERENCE as _INFERENCE  # these two lived here before predicting.py: re-exported
from .predicting import REUSE_BYTES as REUSE_BYTES
from .predicting import Predicting
from .shapes import as_shape, follow_shapes

#: NumPy's bit generators, by name: those a layer's generator state may name
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: held while a model builds itself on its first data, so that two threads' first calls build it once
_BUILD_LOCK = threading.Lock()


class Stack(Predicting, FlatParameters):
    """Layers applied in order: ``A = layers[-1](... layers[0](X))``.

    Parameters
    ----------
    *layers : Layer, or one list of them
        At least one layer; each layer object appears once. ``Stack([a, b])``
        and ``Stack(a, b)`` are the same.
    input_shape : tuple of int, optional
        The per-sample input shape, ``(784,)`` or ``(1, 28, 28)``. By default
        that of the first layer that requires one (``(in_features,)`` for
        Dense); where no layer does, the shape of the first data the model
        sees (``fit``, ``predict``, ``forward``), as Keras builds a model on
        its first call.
    dtype : float32 or float64, optional
        Precision of every parameter and computation. By default, the dtype of
        the first layer that has parameters (float32 for :class:`Dense`).
    rng : None, int or numpy.random.Generator
        The model's generator: it draws dropout masks (for Dropout layers given
        no generator of their own), shuffles mini-batches during training, and
        draws the weights of layers given no input size and no generator of
        their own (``Dense(10)``) when the model is built. A seeded model also
        draws again the weights of layers given all their sizes and no
        generator (``Dense(784, 10)``), unless they were changed since.
    xp : module, optional
        The array namespace of the parameters (see :mod:`glassnet.arrays`); NumPy by default.

    Attributes
    ----------
    params : array, shape (n_params,)
        Every parameter of every layer, weights that L2 penalizes first.
    grads : array, shape (n_params,)
        Their gradients, written by :meth:`backward`.
    n_decayed : int
        ``params[:n_decayed]`` are the weights that L2 and weight decay touch.
    state : array, shape (n_state,)
        What layers update themselves and nothing trains (batch
        normalization's running statistics): saved with the model, kept and
        restored with the parameters by training runs. Empty for most models.
    input_shape, output_shape : tuple of int or None
        Per-sample shapes of the input and the output; None until the model is built.

    Notes
    -----
    Layer parameters are views into :attr:`params`, their gradients into
    :attr:`grads`: optimizers, SciPy's quasi-Newton solvers and the gradient
    check all work on these two vectors. Writing a layer's weights
    (``model.layers[0].W = ...``) copies into the vector, so the views stay valid.
    A layer may be in several models (``Sequential(model.layers[:2])``): they
    share its values, and each gathers its layers back into its own vector
    when it next needs the vector (to train, save or check).

    :meth:`forward` and :meth:`predict` only read the parameters (once the
    model is built): every array they return is the caller's, and any number
    of threads may call them on one model at once. Training passes keep
    their buffers in a :class:`Workspace` that the training run owns.
    """

    def __init__(self, *layers: Layer | list[Layer], input_shape: Shape | None = None, dtype: object = None,
                 rng: object = None, xp: ModuleType | None = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise OptionError("layers must contain at least one layer: Sequential([layer, ...]) or "
                              "Sequential(layer, ...); received none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise OptionTypeError(f"layers[{i}] must be a glassnet Layer; received {type(layer).__name__}"
                                      f"{meant(layer, ())}")
        if len({id(layer) for layer in layers}) != len(layers):
            raise OptionError("layers must not contain the same layer object twice")
        self.layers: list[Layer] = list(layers)  # type: ignore[arg-type]
        self.rng = as_generator(rng)
        if dtype is None:
            owners = [layer for layer in self.layers if layer.params or not layer.built]
            dtype = owners[0].dtype if owners else np.float32
        dtype = check_dtype(dtype)
        # layers that live on a device already (taken from a model moved there) keep it: bound to NumPy, the
        # arrays they share with that model went back to the host under it
        held = next((namespace(a) for layer in self.layers for a in layer.params.values()), np)
        # a seeded model: weights drawn from fresh entropy come from its seed instead (once every shape is checked)
        self.input_shape, self.output_shape = follow_shapes(self.layers, input_shape, self.rng, adopt=rng is not None)
        #: the GPU the arrays are on, when one was named ("gpu:1"); None for the current one
        self.device_index: int | None = None
        self._bind(dtype, xp or held)

    @property
    def built(self) -> bool:
        """Whether the input shape is known, and with it every layer's parameters."""
        return self.input_shape is not None

    def build(self, input_shape: Shape, *, from_data: bool = False) -> Stack:
        """Fix the per-sample input shape; layers given no input size get their parameters.

        :meth:`fit`, :meth:`predict` and :meth:`forward` call it with the
        shape of the first data they see; call it yourself to build before
        any data. Every layer's shape is checked on the way, so a layer
        that cannot take what the one before produces is named.

        Parameters
        ----------
        input_shape : tuple of int
            Without the samples axis: ``(64,)`` or ``(1, 8, 8)``.
        from_data : bool
            The shape is the data's, not one written by the user (then a refusal does not suggest a
            batch axis left in ``input_shape``).

        Returns
        -------
        Stack
            This model.
        """
        shape = as_shape(input_shape, "input_shape")
        with _BUILD_LOCK:
            if self.input_shape is None:
                self.input_shape, self.output_shape = follow_shapes(self.layers, shape, self.rng, given=not from_data)
                self._bind(self.dtype, self.xp)
            elif self.input_shape != shape:
                raise OptionError(f"the model was built for input of shape {self.input_shape} per sample; "
                                  f"received shape {shape}")
        return self

    def require_built(self, action: str) -> None:
        """Refuse ``action`` (``"saving"``) while a layer still waits for its input size.

        Parameters
        ----------
        action : str
            What needs the weights, for the message.
        """
        waiting = [f"layers[{i}] {type(layer).__name__}" for i, layer in enumerate(self.layers) if not layer.built]
        if waiting:
            raise OptionError(f"{action} needs every layer's weights, but {', '.join(waiting)} take their input size "
                              f"from the first data the model sees: call fit or predict first, or build the model "
                              f"with model.build(input_shape), such as model.build((1, 28, 28))")

    @property
    def in_features(self) -> int | None:
        """Values per input sample (``prod(input_shape)``), or None if the model takes any width."""
        return None if self.input_shape is None else math.prod(self.input_shape)

    @property
    def out_features(self) -> int | None:
        """Values per output sample (``prod(output_shape)``), or None if unknown."""
        return None if self.output_shape is None else math.prod(self.output_shape)

    # -- forward and backward -----------------------------------------------
    def workspace(self, training: bool = False) -> Workspace:
        """A new workspace for passes that :meth:`backward` will follow.

        Parameters
        ----------
        training : bool
            Dropout on or off.

        Returns
        -------
        Workspace
        """
        return Workspace(self, training)

    def forward(self, x: Array, training: bool = False, stop: int | None = None,
                workspace: Workspace | None = None) -> Array:
        """Run ``layers[:stop]`` on a batch.

        Parameters
        ----------
        x : array, shape (n_samples, *input_shape)
            Taken as valid (see :meth:`check_input`); converted to the model's dtype.
        training : bool
            Dropout on (ignored when ``workspace`` is given: it decides).
        stop : int, optional
            Run only the first ``stop`` layers.
        workspace : Workspace, optional
            Where the pass keeps its buffers and caches, for :meth:`backward`.
            Without one, a new one is made and dropped: the result is the caller's.
            In an inference workspace, and without one outside training, an
            activation writes over the array the layer before it made, when that
            layer says the array is its own (:attr:`Layer.output_owned`).

        Returns
        -------
        array, shape (n_samples, *output_shape)
            With a workspace, valid until its next pass.
        """
        if self.input_shape is None:
            self.build(tuple(x.shape[1:]), from_data=True)
        ws = workspace or Workspace(self, training, inference=True)
        given = x
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        owned: bool | None = x is not given  # a cast copy is the pass's own; then as each layer says
        for layer, ctx in zip(self.layers[:stop], ws.contexts):
            ctx.overwrite = ws.inference and bool(owned) and made_by_pass(x, given)
            x = layer.forward(x, ctx)
            owned = owned if layer.output_owned is None else layer.output_owned
        return x

    def backward(self, grad: Array, workspace: Workspace, start: int | None = None,
                 need_input_grad: bool = False) -> Array | None:
        """Propagate ``dC/d(output of layers[start - 1])`` back through the pass in ``workspace``.

        Parameters
        ----------
        grad : array, shape (n_samples, *output shape of layers[start - 1])
        workspace : Workspace
            The one the matching :meth:`forward` used.
        start : int, optional
            Begin at ``layers[start - 1]`` (all layers by default).
        need_input_grad : bool
            Whether to compute ``dC/dX`` (the first layer skips it otherwise).

        Returns
        -------
        array, shape (n_samples, *input_shape), or None
            ``dC/dX`` when ``need_input_grad``. Every parameter's gradient is
            written into :attr:`grads`.
        """
        layers = self.layers[:start]
        for k in range(len(layers) - 1, -1, -1):
            grad = layers[k].backward(grad, workspace.contexts[k], need_input_grad=need_input_grad or k > 0)
        return grad

    # -- description --------------------------------------------------------
    def config(self) -> dict:
        """The architecture as JSON-ready data (no weights).

        Returns
        -------
        dict
            ``{"dtype": ..., "input_shape": ..., "layers": [{"type": ..., **layer.config()}]}``.
        """
        return {"dtype": self.dtype.name,
                "input_shape": None if self.input_shape is None else list(self.input_shape),
                "layers": [{"type": type(layer).__name__, **layer.config()} for layer in self.layers]}

    def _summary_rows(self) -> tuple[str, list[tuple[str, str, str]]]:
        """The summary's first line, and a (layer, output shape, parameter count) row per layer."""
        rows = []
        for i, (layer, shape) in enumerate(zip(self.layers, self.layer_shapes()[1:])):  # each layer's output
            n = sum(math.prod(p.shape) for p in layer.params.values())
            out = "?" if shape is None else "x".join(map(str, shape))
            rows.append((f"[{i}] {layer.describe()}", out, f"{n:,}"))
        n_state = f", {self.state.size:,} values of state" if self.state.size else ""
        first = f"{type(self).__name__} ({self.n_params:,} parameters{n_state}, {self.dtype.name})"
        if not all(layer.built for layer in self.layers):
            first += "; not built: the sizes left out come from the first data it sees"
        return first, rows

    def summary(self) -> str:
        """A table of the layers with their output shapes and parameter counts.

        Returns
        -------
        str
            ``print(model.summary())`` shows it (a notebook shows the model itself as an HTML table).
        """
        first, rows = self._summary_rows()
        widths = [max(len(row[k]) for row in rows) for k in range(3)]
        lines = [first] + [f"  {a:<{widths[0]}}  -> {b:>{widths[1]}}  {c:>{widths[2]}} params" for a, b, c in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The summary as an HTML table for Jupyter: each layer, its output shape and its parameter count."""
        first, rows = self._summary_rows()
        return table(["layer", "output shape", "parameters"], rows, caption=first)

    def __repr__(self) -> str:
        return f"{type(self).__name__}([" + ", ".join(repr(layer) for layer in self.layers) + "])"

    def generator_states(self) -> dict:
        """The state of each generator that training draws from: the model's, and those of layers with one of
        their own (``Dropout(rate, rng=...)``), by layer index. A checkpoint keeps them, so that a resumed run
        draws what the uninterrupted one would have.

        Returns
        -------
        dict
            ``{"rng_state": state, "layer_rng_states": {"2": state, "5": "2", ...}}``: each a
            ``bit_generator.state``, or the index of an earlier layer that shares the generator (a layer given
            the model's own generator is left out); the keys of a checkpoint's training state.
        """
        first: dict[int, str] = {}  # each generator object, by the index of the first layer that holds it
        layers: dict[str, Any] = {}
        for i, rng in enumerate(getattr(layer, "rng", None) for layer in self.layers):
            if isinstance(rng, np.random.Generator) and rng is not self.rng:
                key = first.setdefault(id(rng), str(i))
                layers[str(i)] = rng.bit_generator.state if key == str(i) else key
        return {"rng_state": self.rng.bit_generator.state, "layer_rng_states": layers}

    def set_generator_states(self, states: dict) -> None:
        """Return each generator to a state :meth:`generator_states` gave (a layer not named keeps its own).

        Parameters
        ----------
        states : dict
            With ``rng_state``, and ``layer_rng_states`` (a checkpoint before it has none).
        """
        self.rng.bit_generator.state = states["rng_state"]
        layers = states.get("layer_rng_states") or {}
        where = "layer_rng_states"  # read from a file: each key a layer that holds a generator, each state NumPy's
        if not all(isinstance(i, str) and i.isascii() and i.isdigit() and int(i) < len(self.layers)
                   and hasattr(self.layers[int(i)], "rng") for i in layers):
            raise ValueError(f"{where} must be keyed by the indices of layers with a generator; received "
                             f"{short(list(layers))}")
        for i in sorted(layers, key=int):
            layer, state = self.layers[int(i)], layers[i]
            if isinstance(state, str):  # the generator of an earlier layer, shared
                if state not in layers or int(state) >= int(i):
                    raise ValueError(f"{where}[{i!r}] must name an earlier layer's; received {short(state)}")
                layer.rng = self.layers[int(state)].rng  # type: ignore[attr-defined]
                continue
            # the layer's own generator kept where it has one (a roll-back)
            layer.rng = generator_in(state, f"{where}[{i!r}]", getattr(layer, "rng", None))  # type: ignore[attr-defined]


def generator_in(state: object, where: str, rng: object = None) -> np.random.Generator:
    """A generator in ``state`` (a ``bit_generator.state``, as read from a file): ``rng`` itself, set to it, where
    it is a generator of that kind, else a new one.

    Parameters
    ----------
    state : dict
    where : str
        What the state is, for the message.
    rng : numpy.random.Generator, optional

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    ValueError
        For a state of none of NumPy's bit generators (NumPy's own errors for a damaged one).
    """
    kind = state.get("bit_generator") if isinstance(state, dict) else None
    if kind not in BIT_GENERATORS:
        raise ValueError(f"{where} must be the state of one of NumPy's generators; received {short(kind)}")
    if not (isinstance(rng, np.random.Generator) and type(rng.bit_generator).__name__ == kind):
        rng = np.random.Generator(getattr(np.random, kind)())
    assert isinstance(rng, np.random.Generator)
    rng.bit_generator.state = state  # type: ignore[assignment]
    return rng


def check_model(model: object) -> Stack:
    """``model`` if it is a glassnet model (a :class:`Stack`, as ``Sequential`` is), else a message that names what
    was given, and how to read a model file where a path was given.

    Parameters
    ----------
    model : object

    Returns
    -------
    Stack
    """
    if isinstance(model, Stack):
        return model
    loaded = " (to use a model file, load it: glassnet.load(path).model)" if isinstance(model, (str, os.PathLike)) \
        else ""
    raise OptionTypeError(f"model must be a glassnet Sequential; received {short(model)}{loaded}")
