"""The flat parameter vector: every layer's parameters packed into one array, the layers holding views of it.

:class:`FlatParameters` is the part of :class:`~glassnet.nn.Stack` that owns
that vector: it packs the layers' arrays (weights that L2 penalizes first),
reads and writes them in layer order, moves them to a device, and rebinds the
layers' views after a copy or unpickling. Optimizers, SciPy's quasi-Newton
solvers and the gradient check all work on the vector and its gradients.
"""

from __future__ import annotations

import contextlib as _contextlib
import copy as _copy
import functools
import math
import weakref
from types import ModuleType
from typing import TypeVar

import numpy as np

from ..core._validation import check_dtype
from ..core.arrays import device_errors, device_name, is_numpy, on_device, resolve_device, to_numpy
from ..errors import OptionError
from .base import Array, Layer

_Model = TypeVar("_Model", bound="FlatParameters")


def on_its_device(function):
    """``function(model, ...)`` run with the model's GPU current (:meth:`FlatParameters.device_context`): a tool's
    new arrays land where the model's are ("gpu:1"), as in fit and predict.

    Parameters
    ----------
    function : callable
        Whose first argument is a model.

    Returns
    -------
    callable
    """
    @functools.wraps(function)
    def run(model, *args, **kwargs):
        context = getattr(model, "device_context", None)
        if context is None:  # not a model: the function's own check says so
            return function(model, *args, **kwargs)
        with context():
            return function(model, *args, **kwargs)
    return run


#: each layer's model, the one whose vector its parameters view (kept weakly: a layer does not keep its model alive)
_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: what :meth:`FlatParameters._bind` makes from the layers, and so neither pickles nor copies
_MADE_BY_BIND = ("xp", "_me", "_params", "_grads", "_state")


def _fits(old: Array | None, new: Array) -> bool:
    """Whether ``new``'s values can go into the vector ``old`` (same length, dtype and namespace)."""
    return old is not None and old.shape == new.shape and old.dtype == new.dtype and type(old) is type(new)


def pack(values: list, xp: ModuleType, dtype: np.dtype) -> tuple[Array, list[Array], list[slice]]:
    """``values`` copied one after another into a new flat vector of ``xp``.

    Parameters
    ----------
    values : list of arrays
        Of any namespace and shape.
    xp : module
        The namespace of the vector.
    dtype : numpy.dtype
        The vector's dtype.

    Returns
    -------
    vector : array, shape (total size,)
    views : list of arrays
        A view of ``vector`` in each value's shape.
    spans : list of slice
        Each value's slice of ``vector``.
    """
    spans, offset = [], 0
    for value in values:
        spans.append(slice(offset, offset + math.prod(value.shape)))
        offset = spans[-1].stop
    vector = xp.empty(offset, dtype=dtype)
    views = []
    for value, span in zip(values, spans):
        vector[span] = (to_numpy(value) if is_numpy(xp) else xp.asarray(value)).reshape(-1)
        views.append(vector[span].reshape(tuple(value.shape)))
    return vector, views, spans


class FlatParameters:
    """A model's parameters (and the layers' state) as views of one flat vector, on one device.

    A mixin of :class:`~glassnet.nn.Stack`, which gives it :attr:`layers`,
    :attr:`dtype`, :attr:`xp` and :attr:`device_index`, and calls
    :meth:`_bind` once its layers are built.

    Attributes
    ----------
    params : array, shape (n_params,)
        Every parameter of every layer, weights that L2 penalizes first.
    grads : array, shape (n_params,)
        Their gradients.
    n_decayed : int
        ``params[:n_decayed]`` are the weights that L2 and weight decay touch.
    state : array, shape (n_state,)
        The layers' untrained state (batch normalization's running statistics).
    """

    layers: list[Layer]
    _params: Array
    _grads: Array
    _state: Array
    dtype: np.dtype
    xp: ModuleType
    #: the GPU the arrays are on, when one was named ("gpu:1"); None for the current one
    device_index: int | None

    @property
    def device(self) -> str:
        """Where the parameters live: ``"cpu"`` (NumPy), ``"gpu"`` or ``"gpu:N"`` (see :meth:`to`)."""
        return device_name(self.xp, self.device_index)

    def device_context(self) -> _contextlib.ExitStack:
        """A context in which this model's arrays are computed on: its GPU current, a GPU's out-of-memory
        error told plainly (see :func:`glassnet.arrays.device_errors`).

        Returns
        -------
        context manager
        """
        stack = _contextlib.ExitStack()
        stack.enter_context(device_errors())
        stack.enter_context(on_device(self.xp, self.device_index))
        return stack

    @property
    def params(self) -> Array:
        """Every parameter, in one vector (see the class's Attributes); assigning copies into it."""
        self.own_layers()
        return self._params

    @params.setter
    def params(self, values: Array) -> None:  # model.params -= step, model.params = saved: the views stay valid
        self.own_layers()
        if values is not self._params:
            self._params[...] = values

    @property
    def grads(self) -> Array:
        """The gradients of :attr:`params`, in one vector of the same layout; assigning copies into it."""
        self.own_layers()
        return self._grads

    @grads.setter
    def grads(self, values: Array) -> None:
        self.own_layers()
        if values is not self._grads:
            self._grads[...] = values

    @property
    def state(self) -> Array:
        """The layers' untrained state (running statistics), in one vector; assigning copies into it."""
        self.own_layers()
        return self._state

    @state.setter
    def state(self, values: Array) -> None:
        self.own_layers()
        if values is not self._state:
            self._state[...] = values

    def own_layers(self) -> None:
        """Take back layers that a later model took into its own vector, so that this one is their vector again.

        A layer's parameters are views of one vector: a model made from another's
        layers (``Sequential(model.layers[1:])``) packs them into its own. Their
        values are always the layers' own, so the two models share them; whichever
        is trained, saved or checked next gathers its layers' current values into
        its vector first, and its layers view that vector from then on.
        """
        me = self.__dict__.get("_me")
        if any(_OWNERS.get(layer) is not me for layer in self.layers):
            with self.device_context():  # into the same vectors: an optimizer bound to them keeps stepping them
                self._bind(self.dtype, self.xp, keep=True)

    def _bind(self, dtype: np.dtype, xp: ModuleType, keep: bool = False) -> None:
        """Gather every parameter into one vector of ``xp`` (decayed weights first); rebind as views.

        With ``keep``, the model's vectors are kept where they fit (same length,
        dtype and namespace), and the values copied into them.
        """
        me = self.__dict__.setdefault("_me", weakref.ref(self))
        for layer in self.layers:
            _OWNERS[layer] = me
        entries = [(layer, name) for decayed in (True, False) for layer in self.layers
                   for name in layer.params if (name in layer.decayed) == decayed]
        params, views, spans = pack([layer.params[name] for layer, name in entries], xp, dtype)
        if keep and _fits(self.__dict__.get("_params"), params):
            self._params[...] = params
            views = [self._params[span].reshape(view.shape) for span, view in zip(spans, views)]
            params, grads = self._params, self._grads
        else:
            grads = xp.zeros(params.shape[0], dtype=dtype)
        self._slices: list[tuple[int, str, slice]] = []
        self.n_decayed = 0
        index = {id(layer): i for i, layer in enumerate(self.layers)}
        for (layer, name), view, span in zip(entries, views, spans):
            layer.params[name] = view
            layer.grads[name] = grads[span].reshape(view.shape)
            self._slices.append((index[id(layer)], name, span))
            if name in layer.decayed:
                self.n_decayed = span.stop
        for layer in self.layers:
            layer.dtype = dtype
        self._params, self._grads, self.dtype, self.xp = params, grads, dtype, xp
        # the layers' untrained state (running statistics) the same way, in :attr:`state`
        entries = [(layer, name) for layer in self.layers for name in layer.state]
        state, views, spans = pack([layer.state[name] for layer, name in entries], xp, dtype)
        if keep and _fits(self.__dict__.get("_state"), state):
            self._state[...] = state
            state, views = self._state, [self._state[s].reshape(v.shape) for s, v in zip(spans, views)]
        self._state = state
        for (layer, name), view in zip(entries, views):
            layer.state[name] = view

    @property
    def n_params(self) -> int:
        """The number of parameters (the length of :attr:`params`)."""
        return int(self.params.shape[0])

    def named_parameters(self) -> list[tuple[str, int, str, slice]]:
        """Each parameter with its place.

        Returns
        -------
        list of (label, layer index, parameter name, slice of the flat vector)
            In layer order, W before b.
        """
        return [(f"layers[{i}] {type(self.layers[i]).__name__}.{name}", i, name, s)
                for i, name, s in sorted(self._slices, key=lambda t: (t[0], t[2].start))]

    def get_weights(self) -> list[Array]:
        """Copies of every parameter, layer by layer (W before b).

        Returns
        -------
        list of arrays
        """
        return [self.layers[i].params[n].copy() for _, i, n, _ in self.named_parameters()]

    def set_weights(self, weights: list) -> None:
        """Copy arrays, in the order of :meth:`get_weights`, into the model.

        Parameters
        ----------
        weights : list of array_like
            One per parameter, of its shape.
        """
        named = self.named_parameters()
        if len(weights) != len(named):
            raise OptionError(f"weights must hold {len(named)} arrays (one per parameter); "
                              f"received {len(weights)}")
        for (_, i, name, _), value in zip(named, weights):
            self.layers[i].set_param(name, value)

    def copy(self: _Model, dtype: object = None) -> _Model:
        """An independent copy, optionally in another dtype (float64 for a gradient check).

        Parameters
        ----------
        dtype : float32 or float64, optional

        Returns
        -------
        Stack
            Of the same class as this model.
        """
        clone = _copy.deepcopy(self)
        if dtype is not None:
            clone._bind(check_dtype(dtype), clone.xp)
        return clone

    def to(self: _Model, device: str | ModuleType) -> _Model:
        """Move the parameters (and the layers' state) to a device, in place.

        ``fit``, ``predict`` and ``gradcheck`` then move the data they are given
        there too, once per call; outputs stay on the device (``glassnet.arrays.to_numpy``
        copies one to the host). Saving copies to the host.

        Parameters
        ----------
        device : str or module
            ``"cpu"``; ``"gpu"`` (CuPy, the current GPU) or ``"gpu:N"`` (GPU
            number N); or an array module with NumPy's API (``numpy``, ``cupy``).

        Returns
        -------
        Stack
            This model.

        Raises
        ------
        MissingDependencyError
            A GPU asked for without CuPy installed.
        DeviceMemoryError
            The GPU has not the memory for the parameters.
        """
        xp, index = resolve_device(device)
        if xp is self.xp and index == self.device_index:
            return self
        self.device_index = index
        with self.device_context():
            self._bind(self.dtype, xp)
        return self

    def __getstate__(self) -> dict:
        """For pickling: the layers' arrays go over, and the vectors are made again from them."""
        state = dict(self.__dict__)
        state["device_index"] = None
        for key in _MADE_BY_BIND:  # made again from the layers by __setstate__
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        """After unpickling or deepcopy: re-bind the layers' separate arrays as views of new vectors."""
        xp = state.get("xp") or np
        self.device_index = None
        state = {k: v for k, v in state.items() if k not in ("params", "grads", "state")}  # older pickles' vectors
        self.__dict__.update(state)
        self._bind(self.dtype, xp)

    def __deepcopy__(self: _Model, memo: dict) -> _Model:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        state = {k: _copy.deepcopy(v, memo) for k, v in self.__dict__.items() if k not in _MADE_BY_BIND}
        state["xp"] = self.xp
        with self.device_context():  # made on this model's GPU ("gpu:1"), and kept there
            clone.__setstate__(state)
        clone.device_index = self.device_index
        return clone
