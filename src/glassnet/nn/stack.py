"""A stack of layers whose parameters live in one flat vector."""

from __future__ import annotations

import contextlib as _contextlib
import copy as _copy
import math
import threading
import weakref
from types import ModuleType
from typing import Any

import numpy as np

from ..core._validation import all_finite, as_generator, check_array, check_dtype
from ..core.arrays import device_errors, device_name, errstate, is_numpy, is_sparse, on_device, resolve_device, to_numpy
from ..core.rows import SCAN_ROWS, LazyRows, is_lazy
from ..errors import NonFiniteError, OptionError, OptionTypeError
from ..ops import functional as F
from .base import Array, Context, Layer, Shape
from .dense import Dense


class Workspace:
    """The contexts of one run through a model, one per layer.

    Everything a pass writes besides the parameters' gradients (outputs,
    caches, scratch buffers) lives here, so it belongs to whoever made the
    workspace: a single call (inference) or a training run, which reuses it
    from batch to batch.

    Parameters
    ----------
    model : Stack
    training : bool
        Whether passes through this workspace are training passes (dropout on).
    """

    def __init__(self, model: Stack, training: bool = False) -> None:
        self.training = training
        self.contexts = [Context(model.xp, training, model.rng) for _ in model.layers]


#: held while a model builds itself on its first data, so that two threads' first calls build it once
_BUILD_LOCK = threading.Lock()
#: each thread's inference workspaces, one per model: predict reuses its buffers from call to call
_INFERENCE = threading.local()
#: calls whose working arrays would take more bytes than this get a workspace of their own, dropped
#: after: a thread keeps small buffers between calls, never a conv net's hundreds of megabytes
REUSE_BYTES = 16 * 2**20


class Stack:
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
        their own (``Dense(10)``) when the model is built.
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
                raise OptionTypeError(f"layers[{i}] must be a glassnet Layer; received {type(layer).__name__}")
        if len({id(layer) for layer in layers}) != len(layers):
            raise OptionError("layers must not contain the same layer object twice")
        self.layers: list[Layer] = list(layers)  # type: ignore[arg-type]
        self.rng = as_generator(rng)
        if dtype is None:
            owners = [layer for layer in self.layers if layer.params or not layer.built]
            dtype = owners[0].dtype if owners else np.float32
        self.input_shape, self.output_shape = _follow_shapes(self.layers, input_shape, self.rng)
        #: the GPU the arrays are on, when one was named ("gpu:1"); None for the current one
        self.device_index: int | None = None
        self._bind(check_dtype(dtype), xp or np)

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
    def built(self) -> bool:
        """Whether the input shape is known, and with it every layer's parameters."""
        return self.input_shape is not None

    def build(self, input_shape: Shape) -> Stack:
        """Fix the per-sample input shape; layers given no input size get their parameters.

        :meth:`fit`, :meth:`predict` and :meth:`forward` call it with the
        shape of the first data they see; call it yourself to build before
        any data. Every layer's shape is checked on the way, so a layer
        that cannot take what the one before produces is named.

        Parameters
        ----------
        input_shape : tuple of int
            Without the samples axis: ``(64,)`` or ``(1, 8, 8)``.

        Returns
        -------
        Stack
            This model.
        """
        shape = tuple(int(s) for s in input_shape)
        with _BUILD_LOCK:
            if self.input_shape is None:
                self.input_shape, self.output_shape = _follow_shapes(self.layers, shape, self.rng)
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

    # -- the flat parameter vector ------------------------------------------
    def _bind(self, dtype: np.dtype, xp: ModuleType) -> None:
        """Gather every parameter into one vector of ``xp`` (decayed weights first); rebind as views."""
        entries = [(layer, name) for decayed in (True, False) for layer in self.layers
                   for name in layer.params if (name in layer.decayed) == decayed]
        params, views, spans = _pack([layer.params[name] for layer, name in entries], xp, dtype)
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
        self.params, self.grads, self.dtype, self.xp = params, grads, dtype, xp
        # the layers' untrained state (running statistics) the same way, in :attr:`state`
        entries = [(layer, name) for layer in self.layers for name in layer.state]
        self.state, views, _ = _pack([layer.state[name] for layer, name in entries], xp, dtype)
        for (layer, name), view in zip(entries, views):
            layer.state[name] = view

    @property
    def n_params(self) -> int:
        """The number of parameters (the length of :attr:`params`)."""
        return int(self.params.shape[0])

    @property
    def in_features(self) -> int | None:
        """Values per input sample (``prod(input_shape)``), or None if the model takes any width."""
        return None if self.input_shape is None else math.prod(self.input_shape)

    @property
    def out_features(self) -> int | None:
        """Values per output sample (``prod(output_shape)``), or None if unknown."""
        return None if self.output_shape is None else math.prod(self.output_shape)

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
        weights : list of array-like
            One per parameter, of its shape.
        """
        named = self.named_parameters()
        if len(weights) != len(named):
            raise OptionError(f"weights must hold {len(named)} arrays (one per parameter); "
                              f"received {len(weights)}")
        for (_, i, name, _), value in zip(named, weights):
            self.layers[i].set_param(name, value)

    def copy(self, dtype: object = None) -> Stack:
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

    def to(self, device: str | ModuleType) -> Stack:
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
        """For pickling: the parameters go over as NumPy arrays."""
        state = dict(self.__dict__)
        state["xp"], state["device_index"] = None, None
        return state

    def __setstate__(self, state: dict) -> None:
        """After unpickling or deepcopy: re-bind the layers' separate arrays as views of new vectors."""
        xp = state.get("xp") or np
        self.device_index = None
        self.__dict__.update(state)
        self._bind(self.dtype, xp)

    def __deepcopy__(self, memo: dict) -> Stack:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        state = {k: _copy.deepcopy(v, memo) for k, v in self.__dict__.items() if k != "xp"}
        state["xp"] = self.xp
        clone.__setstate__(state)
        return clone

    def _inference_workspace(self) -> Workspace:
        """This thread's inference workspace for this model, made on first use.

        Its buffers serve one call after another (no fresh arrays, no page faults),
        and each thread has its own, so threads may predict at once.
        """
        cache = getattr(_INFERENCE, "models", None)
        if cache is None:
            cache = _INFERENCE.models = weakref.WeakKeyDictionary()
        ws = cache.get(self)
        if ws is None or len(ws.contexts) != len(self.layers) or ws.contexts[0].xp is not self.xp:
            ws = cache[self] = Workspace(self)
        return ws

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

        Returns
        -------
        array, shape (n_samples, *output_shape)
            With a workspace, valid until its next pass.
        """
        if self.input_shape is None:
            self.build(tuple(x.shape[1:]))
        ws = workspace or Workspace(self, training)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        for layer, ctx in zip(self.layers[:stop], ws.contexts):
            x = layer.forward(x, ctx)
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

    def chunk_size(self, budget: int = 256 * 2**20) -> int:
        """How many samples one pass may take so that its working arrays stay within ``budget`` bytes.

        Parameters
        ----------
        budget : int
            Bytes; 256 MiB by default.

        Returns
        -------
        int
            At least 1; without a known input shape, effectively no limit.
        """
        if self.input_shape is None:
            return 2**62
        return max(1, budget // self._scratch_bytes_per_sample())

    def _scratch_bytes_per_sample(self) -> int:
        """The largest working memory any layer needs per sample, in bytes (1 without an input shape)."""
        if self.input_shape is None:
            return 1
        shape, largest = self.input_shape, 1
        for layer in self.layers:
            largest = max(largest, layer.scratch_per_sample(shape))
            shape = layer.output_shape(shape)
        return largest * self.dtype.itemsize

    def predict(self, X: Any, batch_size: int | None = None) -> Array:
        """The network's output, as a new array.

        Parameters
        ----------
        X : array-like, shape (n_samples, *input_shape)
            Or a memmap or other lazily read array (:mod:`glassnet.core.rows`),
            read :data:`~glassnet.core.rows.SCAN_ROWS` rows at a time at most.
        batch_size : int, optional
            Run this many rows at a time (to bound memory). By default as
            many as :meth:`chunk_size` allows: every row at once for most
            MLPs, a few hundred images at a time for a conv net.

        Returns
        -------
        array, shape (n_samples, *output_shape)
            In the model's dtype and namespace; nothing in glassnet writes it again.
        """
        with self.device_context():
            return self._predict(X, batch_size)

    def _predict(self, X: Any, batch_size: int | None) -> Array:
        X = self.check_input(X, finite=False)
        xp = self.xp
        if batch_size is None:
            batch_size = self.chunk_size()
        if isinstance(X, LazyRows):  # read a chunk at a time
            batch_size = min(batch_size or SCAN_ROWS, SCAN_ROWS)
        rows = min(batch_size or X.shape[0], X.shape[0])
        reuse = rows * self._scratch_bytes_per_sample() <= REUSE_BYTES
        ws = self._inference_workspace() if reuse else Workspace(self)
        with errstate(xp, over="ignore", invalid="ignore"):
            if not isinstance(X, LazyRows) and (batch_size is None or batch_size >= X.shape[0]):
                out = self.forward(X, workspace=ws)
                if reuse or out is X or (is_numpy(xp) and np.may_share_memory(out, X)):
                    out = out.copy()  # the thread's reused buffer, or the input itself (Identity, Flatten)
            else:
                out = None
                for i in range(0, X.shape[0], batch_size):
                    part = self.forward(X[i:i + batch_size], workspace=ws)
                    if out is None:
                        out = xp.empty((X.shape[0], *part.shape[1:]), dtype=part.dtype)
                    out[i:i + part.shape[0]] = part
        # NaN and infinity in X reach the output, so checking the (narrow) output is
        # enough; only then is X itself inspected, for a precise message.
        if not all_finite(out):
            self.check_input(X)
            raise NonFiniteError("the model's output is not finite although X is: the weights hold NaN "
                                 "or infinity, or the input overflowed a layer")
        return out

    __call__ = predict

    def predict_proba(self, X: Any, batch_size: int | None = None) -> Array:
        """Class probabilities.

        Parameters
        ----------
        X : array-like, shape (n_samples, *input_shape)
        batch_size : int, optional

        Returns
        -------
        array, shape (n_samples, n_outputs)
            The output as is when the model ends in Softmax or Sigmoid; otherwise
            the output taken as logits through softmax (several outputs) or the
            sigmoid (one output).
        """
        out = self.predict(X, batch_size)
        if getattr(self.layers[-1], "name", None) in ("softmax", "sigmoid"):
            return out
        return F.sigmoid(out, out=out) if out.shape[1] == 1 else F.softmax(out, out=out)

    def predict_classes(self, X: Any, batch_size: int | None = None) -> Array:
        """The predicted class of each sample.

        Parameters
        ----------
        X : array-like, shape (n_samples, *input_shape)
        batch_size : int, optional

        Returns
        -------
        int array, shape (n_samples,)
            The argmax of the probabilities, or ``p > 0.5`` for a single output.
        """
        proba = self.predict_proba(X, batch_size)
        if proba.shape[1] == 1:
            return (proba[:, 0] > 0.5).astype(np.intp)
        return proba.argmax(axis=1)

    def check_input(self, X: Any, name: str = "X", finite: bool = True) -> Array:
        """Validate a batch for this model.

        Parameters
        ----------
        X : array-like, shape (n_samples, *input_shape)
            A 1-D array is taken as one column when the model takes one
            feature; rows of ``prod(input_shape)`` values as flattened images
            (C order) when it takes images. A memmap, h5py dataset, zarr
            array or :class:`~glassnet.core.rows.LazyRows` is not loaded.
        name : str
            The argument's name, for messages.
        finite : bool
            Refuse NaN and infinity.

        Returns
        -------
        array, shape (n_samples, *input_shape)
            In the model's dtype and namespace; a
            :class:`~glassnet.core.rows.LazyRows` in the model's dtype for lazily read input.
        """
        shape = self.input_shape
        if is_sparse(X):
            X = self._sparse_rows(X, name, finite)
        elif is_lazy(X):
            X = self._lazy_rows(X, name, finite)
        else:
            if shape is None:  # not built: any number of axes per sample, fixed by this first data
                allowed: int | tuple[int, ...] = tuple(range(2, 9))
            elif len(shape) > 1:  # images: the message names the whole expected shape
                allowed = tuple(range(1, 9))
            else:
                allowed = (1, 2) if shape == (1,) else 2
            X = check_array(X, name, ndim=allowed, dtype=self.dtype, finite=finite, xp=self.xp)
            if X.ndim == 1 and shape == (1,):
                X = X.reshape(-1, 1)
            if shape is not None and len(shape) > 1 and X.ndim == 2 and X.shape[1] == math.prod(shape):
                X = X.reshape(X.shape[0], *shape)  # flattened images, as files and web pages give them
        if shape is None:
            try:
                self.build(tuple(X.shape[1:]))
            except OptionError as exc:
                if not str(exc).startswith("layers[0] "):  # a layer further on: its message names the fix
                    raise
                raise OptionError(f"{exc}. The model takes its input shape from the first data it sees, here "
                                  f"{name} of shape {tuple(X.shape)}: give {name} in the shape its first layer "
                                  f"takes (images as (n_samples, channels, height, width)), or build the model "
                                  f"for it with input_shape=...") from None
            return X
        if tuple(X.shape[1:]) != shape:
            if len(shape) == 1:
                raise OptionError(f"{name} has {X.shape[1]} features per sample, but the model's first layer "
                                  f"expects {shape[0]}; received {name} of shape {tuple(X.shape)}")
            raise OptionError(f"{name} must have shape (n_samples, {', '.join(map(str, shape))}); "
                              f"received shape {tuple(X.shape)}")
        return X

    def _lazy_rows(self, X: Any, name: str, finite: bool) -> LazyRows:
        """A memmap or other lazily read array as :class:`~glassnet.core.rows.LazyRows` in the model's dtype.

        Nothing is loaded; with ``finite``, the rows are scanned once, a chunk at a time.
        """
        if not is_numpy(self.xp):
            raise OptionError(f"{name} is read lazily ({type(X).__name__}), which only a NumPy model can take")
        rows = X if isinstance(X, LazyRows) else LazyRows(X)
        shape = self.input_shape
        if shape is not None and len(shape) > 1 and rows.ndim == 2 and rows.shape[1] == math.prod(shape):
            rows = rows.like(row_shape=shape)  # flattened images
        elif shape == (1,) and rows.ndim == 1:
            rows = rows.like(row_shape=(1,))
        rows = rows.like(dtype=self.dtype)
        if finite and np.dtype(rows.source.dtype).kind == "f":
            for i, chunk in enumerate(rows.scan()):
                if not all_finite(chunk):
                    raise OptionError(f"{name} must hold finite values; received NaN or infinity in rows "
                                      f"{i * SCAN_ROWS} to {i * SCAN_ROWS + chunk.shape[0] - 1}")
        return rows

    def _sparse_rows(self, X: Any, name: str, finite: bool) -> Any:
        """A SciPy sparse matrix as CSR rows in the model's dtype; only a first Dense layer takes one.

        The first layer multiplies it by its dense weights (``X @ W`` and
        ``X.T @ G`` stay sparse-times-dense), so ``X`` is never densified.
        """
        if not self.layers or not isinstance(self.layers[0], Dense) or not is_numpy(self.xp):
            first = type(self.layers[0]).__name__ if self.layers else "none"
            raise OptionError(f"{name} is a sparse matrix, which only a NumPy model whose first layer is Dense "
                              f"can take; this model's first layer is {first}. Use {name}.toarray()")
        if X.ndim != 2:
            raise OptionError(f"{name} must be 2-dimensional (n_samples, n_features); received shape {X.shape}")
        X = X.tocsr().astype(self.dtype)
        if finite and not np.isfinite(X.data).all():
            raise OptionError(f"{name} must hold only finite values; received NaN or infinity")
        return X

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

    def summary(self) -> str:
        """A table of the layers with their output shapes and parameter counts.

        Returns
        -------
        str
        """
        rows = []
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            if shape is not None:
                shape = layer.output_shape(shape)
            n = sum(math.prod(p.shape) for p in layer.params.values())
            out = "?" if shape is None else "x".join(map(str, shape))
            rows.append((f"[{i}] {layer.describe()}", out, f"{n:,}"))
        widths = [max(len(row[k]) for row in rows) for k in range(3)]
        n_state = f", {self.state.size:,} values of state" if self.state.size else ""
        lines = [f"{type(self).__name__} ({self.n_params:,} parameters{n_state}, {self.dtype.name})"]
        if not all(layer.built for layer in self.layers):
            lines[0] += "; not built: the sizes left out come from the first data it sees"
        lines += [f"  {a:<{widths[0]}}  -> {b:>{widths[1]}}  {c:>{widths[2]}} params" for a, b, c in rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}([" + ", ".join(repr(layer) for layer in self.layers) + "])"


def _pack(values: list, xp: ModuleType, dtype: np.dtype) -> tuple[Array, list[Array], list[slice]]:
    """``values`` copied one after another into a new flat vector of ``xp``.

    Returns the vector, a view of it in each value's shape, and each value's slice of it.
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


def _follow_shapes(layers: list[Layer], input_shape: Shape | None,
                   rng: np.random.Generator) -> tuple[Shape | None, Shape | None]:
    """(model input shape, model output shape), following each layer's ``output_shape``.

    Without an explicit ``input_shape``, the first layer that requires one
    fixes it, provided the layers before it keep their input's shape; failing
    that, both stay None until the model is built. Layers given no input
    size are built on the way, drawing from ``rng`` unless they have a
    generator of their own.
    """
    shape: Shape | None = None if input_shape is None else tuple(int(s) for s in input_shape)
    if shape is None:
        for i, layer in enumerate(layers):
            if layer.input_shape is not None:
                need = tuple(layer.input_shape)
                if all(_keeps(earlier, need) for earlier in layers[:i]):
                    shape = need
                break
    first = shape
    source = "the input"
    inputs = []  # each layer's input shape: every layer is checked before any is built
    for i, layer in enumerate(layers):
        if shape is None:
            break
        inputs.append(shape)
        try:
            new = tuple(layer.output_shape(shape))
        except OptionError as exc:
            required = layer.input_shape
            got = str(shape[0]) if len(shape) == 1 else f"shape {shape}"
            if required is None:  # the layer's own message says what it takes
                raise OptionError(f"layers[{i}] {type(layer).__name__}: {exc}, from {source}") from None
            wanted = (f"{required[0]} input features" if len(required) == 1 else f"input of shape {required}")
            raise OptionError(f"layers[{i}] {type(layer).__name__} expects {wanted}, but {source} "
                              f"produces {got}") from None
        if new != shape:
            source = f"layers[{i}] {type(layer).__name__}"
        shape = new
    for layer, taken in zip(layers, inputs):
        if not layer.built:
            layer.build(taken, rng)
    return first, shape


def _keeps(layer: Layer, shape: Shape) -> bool:
    try:
        return tuple(layer.output_shape(shape)) == shape
    except OptionError:
        return False

