"""The data side of a :class:`~glassnet.nn.Stack`: checking the batches it is given, and predicting.

:class:`Predicting` takes arrays, lazily read rows (memmaps, h5py datasets,
:class:`~glassnet.core.rows.LazyRows`) and sparse matrices in the model's
shape and dtype, and runs :meth:`~glassnet.nn.Stack.forward` over them in
chunks that keep the working memory bounded, in a per-thread workspace that
one call after another reuses.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import numpy as np

from ..core._validation import all_finite, check_array, check_in_range, check_positive_int
from ..core.arrays import errstate, is_numpy, is_sparse
from ..core.rows import SCAN_ROWS, LazyRows, is_lazy
from ..core.warn import warn_user
from ..errors import NonFiniteError, OptionError
from ..ops import functional as F
from .activations import PROBABILITIES, Identity
from .base import Layer
from .context import Array, Shape, Workspace
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .global_pool import GlobalAvgPool2D
from .pooling import AvgPool2D, MaxPool2D

#: glassnet's layers whose outputs lie within the range of their inputs: probabilities stay probabilities
KEEP_RANGE = (Flatten, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Identity)


def layout_hint(given: tuple, expected: Shape | None, name: str = "X", pictures_failed: bool = False) -> str:
    """A hint for pictures laid out another way than (samples, channels, rows, columns), or "".

    Keras and Pillow put the channels last, (samples, rows, columns, channels), and grey pictures
    often come without a channel axis. ``expected`` is the model's input shape, or None for a model
    that takes it from this data (then a last axis of 1, 3 or 4 after two larger ones gives the hint,
    and so does data of one axis per sample too few for a first layer of pictures that failed to build on
    it: ``pictures_failed``).

    Parameters
    ----------
    given : tuple
        The data's shape, samples first.
    expected : tuple, optional
    name : str
    pictures_failed : bool

    Returns
    -------
    str
    """
    last = f"; if its channels come last, as Keras and Pillow lay them out, give {name}.transpose(0, 3, 1, 2)"
    if len(given) == 4 and (given[3] in (1, 3, 4) and min(given[1:3]) > 4 if expected is None else
                            tuple(given[1:]) == (*expected[1:], expected[0])):
        return last
    grey = expected is None and pictures_failed and len(given) == 3 or \
        expected is not None and len(expected) == 3 and expected[0] == 1 and tuple(given[1:]) == tuple(expected[1:])
    if grey:
        return f"; for grey pictures without a channel axis give {name}[:, None]"
    return ""


def output_layer(layers: list[Layer], inference: bool = False) -> Layer | None:
    """The layer that gives a network's outputs their meaning: the last one that does not keep its inputs' range.

    A Softmax followed by Flatten or pooling still outputs probabilities; this finds the Softmax.

    Parameters
    ----------
    layers : list of Layer
    inference : bool
        Look through Dropout too, which passes its input on unchanged at inference (in training it
        scales what it keeps, out of a probability's range).

    Returns
    -------
    Layer or None
        None when every layer keeps its inputs' range.
    """
    keep = (*KEEP_RANGE, Dropout) if inference else KEEP_RANGE
    return next((layer for layer in reversed(layers) if not isinstance(layer, keep)), None)


def output_probabilities(layers: list[Layer]) -> str | None:
    """``"softmax"`` or ``"sigmoid"`` when a network's outputs at inference are probabilities: its
    :func:`output_layer` is one (a Softmax followed by Dropout: predict_proba applied softmax again).

    What ``predict_proba`` and ONNX export ask before applying one themselves (the saliency tools ask
    :func:`glassnet.nn.activations.probability_output`, which layer to read the logits before).

    Parameters
    ----------
    layers : list of Layer

    Returns
    -------
    str or None
    """
    name = getattr(output_layer(layers, inference=True), "name", None)
    return name if name in PROBABILITIES else None


#: each thread's inference workspaces, one per model: predict reuses its buffers from call to call
_INFERENCE = threading.local()
#: calls whose working arrays would take more bytes than this get a workspace of their own, dropped
#: after: a thread keeps small buffers between calls, never a conv net's hundreds of megabytes
REUSE_BYTES = 16 * 2**20
#: predict's chunks hold working arrays of about this many bytes, so that each layer's output is still in
#: the processor's caches when the next layer reads it: MNIST's 60,000 rows through a 784-256-128-10 MLP
#: took 0.14 s in chunks of 8,192 against 0.57 s at once in a fresh process (0.16 s on a later call), and
#: the conv recipe's 10,000 test pictures 0.64 s about 40 at a time against 1.1 s about 1,300 at a time
PREDICT_BYTES = 8 * 2**20


class Predicting:
    """Checking a model's input and predicting from it, in bounded chunks.

    A mixin of :class:`~glassnet.nn.Stack`, which gives it the attributes
    annotated here, :meth:`~glassnet.nn.Stack.build` and
    :meth:`~glassnet.nn.Stack.forward`.
    """

    layers: list[Layer]
    dtype: np.dtype
    xp: ModuleType
    input_shape: Shape | None
    build: Callable[..., object]
    forward: Callable[..., Array]
    device_context: Callable[[], ExitStack]

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
            ws = cache[self] = Workspace(self, inference=True)
        return ws

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

    def layer_shapes(self) -> list[Shape | None]:
        """The per-sample shape going into each layer, then the model's output shape.

        Returns
        -------
        list of tuple of int
            ``len(layers) + 1`` shapes; each None before the model is built.
        """
        shapes: list[Shape | None] = [self.input_shape]
        for layer in self.layers:
            shape = shapes[-1]
            shapes.append(None if shape is None else tuple(layer.output_shape(shape)))
        return shapes

    def _scratch_bytes_per_sample(self) -> int:
        """The largest working memory any layer needs per sample, in bytes (1 without an input shape)."""
        if self.input_shape is None:
            return 1
        shapes: list[Any] = self.layer_shapes()  # all known: the model is built
        largest = max([1, *(layer.scratch_per_sample(shape) for layer, shape in zip(self.layers, shapes))])
        return largest * self.dtype.itemsize

    def predict(self, X: Any, batch_size: int | None = None) -> Array:
        """The network's output, as a new array.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
            Or a memmap or other lazily read array (:mod:`glassnet.core.rows`),
            read :data:`~glassnet.core.rows.SCAN_ROWS` rows at a time at most.
        batch_size : int, optional
            Run this many rows at a time. By default as many as keep the
            working arrays near :data:`PREDICT_BYTES` (``chunk_size(PREDICT_BYTES)``):
            thousands of rows of an MLP, a few dozen pictures for a conv net.

        Returns
        -------
        array, shape (n_samples, *output_shape)
            In the model's dtype and namespace; nothing in glassnet writes it again.
        """
        with self.device_context():
            return self._predict(X, batch_size)

    def _predict(self, X: Any, batch_size: int | None) -> Array:
        batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        given, X = X, self.check_input(X, finite=False)
        xp = self.xp
        if batch_size is None:
            batch_size = self.chunk_size(PREDICT_BYTES)
        if isinstance(X, LazyRows):  # read a chunk at a time
            batch_size = min(batch_size or SCAN_ROWS, SCAN_ROWS)
        rows = min(batch_size or X.shape[0], X.shape[0])
        reuse = rows * self._scratch_bytes_per_sample() <= REUSE_BYTES
        ws = self._inference_workspace() if reuse else Workspace(self, inference=True)
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
            self.check_input(given)  # as given: a value too large for the model's dtype is named as such
            raise NonFiniteError("the model's output is not finite although X is: the weights hold NaN "
                                 "or infinity, or the input overflowed a layer")
        return out

    __call__ = predict

    def predict_proba(self, X: Any, batch_size: int | None = None) -> Array:
        """Class probabilities.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
        batch_size : int, optional

        Returns
        -------
        array, shape (n_samples, n_outputs)
            The output as is when the model ends in Softmax or Sigmoid (or in one of them followed
            by layers that keep its range, such as Flatten); otherwise
            the output taken as logits through softmax (several outputs) or the
            sigmoid (one output).
        """
        out = self.predict(X, batch_size)
        if output_probabilities(self.layers):
            return out
        return F.sigmoid(out, out=out) if out.shape[1] == 1 else F.softmax(out, out=out)

    def predict_classes(self, X: Any, batch_size: int | None = None) -> Array:
        """The predicted class of each sample.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
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
        X : array_like, shape (n_samples, *input_shape)
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
                self.build(tuple(X.shape[1:]), from_data=True)
            except OptionError as exc:
                if not str(exc).startswith("layers[0] "):
                    # a layer further on: its message names the fix, but not that the pictures came channels last
                    if hint := layout_hint(X.shape, None, name):
                        raise OptionError(f"{exc}; the model took its input shape from {name} of shape "
                                          f"{tuple(X.shape)}{hint}") from None
                    raise
                pictures = hasattr(self.layers[0], "kernel_size")  # a convolution or pooling takes pictures
                raise OptionError(f"{exc}. The model takes its input shape from the first data it sees, here "
                                  f"{name} of shape {tuple(X.shape)}: give {name} in the shape its first layer "
                                  f"takes (images as (n_samples, channels, height, width)), or build the model "
                                  f"for it with input_shape=...{layout_hint(X.shape, None, name, pictures)}"
                                  ) from None
            if hint := layout_hint(X.shape, None, name):  # built, but most likely across the pictures' axes
                warn_user(f"the model was built for {name} of shape {tuple(X.shape)} as {X.shape[1]} channels of "
                          f"{X.shape[2]}x{X.shape[3]} pixels{hint}")
            return X
        if tuple(X.shape[1:]) != shape:
            if len(shape) == 1:
                raise OptionError(f"{name} has {X.shape[1]} features per sample, but the model's first layer "
                                  f"expects {shape[0]}; received {name} of shape {tuple(X.shape)}")
            raise OptionError(f"{name} must have shape (n_samples, {', '.join(map(str, shape))}); "
                              f"received shape {tuple(X.shape)}{layout_hint(X.shape, shape, name)}")
        return X

    def _lazy_rows(self, X: Any, name: str, finite: bool) -> LazyRows:
        """A memmap or other lazily read array as :class:`~glassnet.core.rows.LazyRows` in the model's dtype.

        Nothing is loaded; with ``finite``, the rows are scanned once, a chunk at a time.
        """
        if not is_numpy(self.xp):
            raise OptionError(f"{name} is read lazily ({type(X).__name__}), which only a model on the CPU can take: "
                              f"read it into memory (np.asarray({name})) for a model on a device")
        rows = X if isinstance(X, LazyRows) else LazyRows(X)
        shape = self.input_shape
        if shape is not None and len(shape) > 1 and rows.ndim == 2 and rows.shape[1] == math.prod(shape):
            rows = rows.like(row_shape=shape)  # flattened images
        elif shape == (1,) and rows.ndim == 1:
            rows = rows.like(row_shape=(1,))
        if finite and np.dtype(rows.source.dtype).kind == "f":  # as stored: a cast would make 1e39 infinite
            for i, chunk in enumerate(rows.like(dtype=rows.source.dtype, row_shape=rows.source.shape[1:]).scan()):
                check_in_range(chunk, name, self.dtype,
                               f" in rows {i * SCAN_ROWS} to {i * SCAN_ROWS + chunk.shape[0] - 1}")
        return rows.like(dtype=self.dtype)

    def _sparse_rows(self, X: Any, name: str, finite: bool) -> Any:
        """A SciPy sparse matrix as CSR rows in the model's dtype; only a first Dense layer takes one.

        The first layer multiplies it by its dense weights (``X @ W`` and
        ``X.T @ G`` stay sparse-times-dense), so ``X`` is never densified.
        """
        if not is_numpy(self.xp):  # it said "whose first layer is Dense; this model's first layer is Dense"
            raise OptionError(f"{name} is a sparse matrix, which only a model on the CPU can take; this model is on "
                              f"a device. Use {name}.toarray()")
        if not self.layers or not isinstance(self.layers[0], Dense):
            first = type(self.layers[0]).__name__ if self.layers else "none"
            raise OptionError(f"{name} is a sparse matrix, which only a model whose first layer is Dense "
                              f"can take; this model's first layer is {first}. Use {name}.toarray()")
        if X.ndim != 2:
            raise OptionError(f"{name} must be 2-dimensional (n_samples, n_features); received shape {X.shape}")
        if not X.shape[0] * X.shape[1]:  # as a dense array is told, not NumPy's reduction error further on
            raise OptionError(f"{name} must not be empty; received shape {tuple(X.shape)}")
        X = X.tocsr()
        if finite and X.nnz and X.dtype.kind == "f":  # before the cast, which would make 1e39 infinite
            check_in_range(X.data, name, self.dtype)
        return X.astype(self.dtype)
