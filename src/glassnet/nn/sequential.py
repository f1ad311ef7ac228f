"""A stack of layers whose parameters live in one flat vector."""

from __future__ import annotations

import copy as _copy

import numpy as np

from .._validation import all_finite, as_generator, check_array, check_dtype
from .base import Layer
from .dense import Dense
from .dropout import Dropout


class Sequential:
    """Layers applied in order: ``A = layers[-1](... layers[0](X))``.

    Parameters
    ----------
    layers : list of Layer
        At least one layer; each layer object appears once.
    dtype : float32 or float64, optional
        Precision of every parameter and computation. By default, the dtype of
        the first layer that has parameters (float32 for :class:`Dense`).
    rng : None, int or numpy.random.Generator
        The model's generator: it draws dropout masks (for Dropout layers given
        no generator of their own) and shuffles mini-batches during ``fit``.

    Notes
    -----
    All parameters are views into one contiguous vector, :attr:`params`, and
    their gradients into another, :attr:`grads`. The weights that L2
    regularization penalizes come first: ``params[:n_decayed]``. Optimizers,
    SciPy's quasi-Newton solvers and the gradient check all work on these two
    vectors. Writing a layer's weights (``model.layers[0].W = ...``) copies
    into the vector, so the views stay valid.

    Layers reuse their output buffers from one call to the next, so a model is
    not safe to call from several threads at once: give each thread its own
    :meth:`copy`, or serialize the calls (the web app holds a lock).
    """

    def __init__(self, layers: list[Layer], *, dtype: object = None, rng: object = None) -> None:
        if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of Layer objects; received {layers!r}")
        if not layers:
            raise ValueError("layers must contain at least one layer; received an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] must be a glassnet Layer; received {type(layer).__name__}"
                )
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError("layers must not contain the same layer object twice")
        self.layers = list(layers)
        self.rng = as_generator(rng)
        self.in_features, self.out_features = _check_widths(self.layers)
        if dtype is None:
            owners = [layer for layer in self.layers if layer._params]
            dtype = owners[0].dtype if owners else np.float32
        self._bind(check_dtype(dtype))

    # -- the flat parameter vector ------------------------------------------
    def _bind(self, dtype: np.dtype) -> None:
        """Gather every parameter into one vector (decayed weights first) and rebind as views."""
        entries = [
            (layer, name)
            for decayed in (True, False)
            for layer in self.layers
            for name in layer._params
            if (name in layer.decayed) == decayed
        ]
        total = sum(layer._params[name].size for layer, name in entries)
        params = np.empty(total, dtype=dtype)
        grads = np.zeros(total, dtype=dtype)
        offset = 0
        self._slices: list[tuple[int, str, slice]] = []
        self.n_decayed = 0
        index = {id(layer): i for i, layer in enumerate(self.layers)}
        for layer, name in entries:
            value = layer._params[name]
            stop = offset + value.size
            params[offset:stop] = value.ravel()
            layer._params[name] = params[offset:stop].reshape(value.shape)
            layer._grads[name] = grads[offset:stop].reshape(value.shape)
            self._slices.append((index[id(layer)], name, slice(offset, stop)))
            if name in layer.decayed:
                self.n_decayed = stop
            offset = stop
        for layer in self.layers:
            layer.dtype = dtype
            layer._buffers.clear()
            if isinstance(layer, Dropout) and layer.rng is None:
                layer.rng = self.rng
        self.params = params
        self.grads = grads
        self.dtype = dtype

    @property
    def n_params(self) -> int:
        return int(self.params.size)

    def named_parameters(self) -> list[tuple[str, int, str, slice]]:
        """``(label, layer index, parameter name, slice of the flat vector)`` for each parameter."""
        return [
            (f"layers[{i}] {type(self.layers[i]).__name__}.{name}", i, name, s)
            for i, name, s in sorted(self._slices, key=lambda t: (t[0], t[2].start))
        ]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter, layer by layer (W before b)."""
        return [self.params[s].reshape(self.layers[i]._params[n].shape).copy()
                for _, i, n, s in self.named_parameters()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Copy arrays, in the order of :meth:`get_weights`, into the model."""
        named = self.named_parameters()
        if len(weights) != len(named):
            raise ValueError(
                f"weights must hold {len(named)} arrays (one per parameter); "
                f"received {len(weights)}"
            )
        for (_, i, name, _), value in zip(named, weights):
            self.layers[i]._set_param(name, value)

    def copy(self, dtype: object = None) -> Sequential:
        """An independent copy, optionally in another dtype (float64 for a gradient check)."""
        clone = _copy.deepcopy(self)
        if dtype is not None:
            clone._bind(check_dtype(dtype))
        return clone

    def __setstate__(self, state: dict) -> None:
        """After unpickling or deepcopy: the layers hold separate arrays again; re-bind them as views
        into fresh, writable flat vectors."""
        self.__dict__.update(state)
        self._bind(self.dtype)

    # -- forward and backward -----------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False, stop: int | None = None) -> np.ndarray:
        """Run ``layers[:stop]`` on ``x`` of shape ``(n_samples, in_features)``.

        The low-level pass used in training: no NaN check, and the result is a
        buffer that the next call overwrites. Use :meth:`predict` for fresh arrays.
        """
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        for layer in self.layers[:stop]:
            x = layer.forward(x, training)
        return x

    def backward(
        self, grad: np.ndarray, start: int | None = None, need_input_grad: bool = False
    ) -> np.ndarray | None:
        """Propagate ``dC/d(output of layers[start - 1])`` back to the input.

        Writes every parameter's gradient into :attr:`grads` and returns
        ``dC/dX`` when ``need_input_grad`` (the first layer skips it otherwise).
        """
        layers = self.layers[:start]
        for k in range(len(layers) - 1, -1, -1):
            grad = layers[k].backward(grad, need_input_grad=need_input_grad or k > 0)
        return grad

    def predict(self, X: object, batch_size: int | None = None) -> np.ndarray:
        """The network's output for ``X`` of shape ``(n_samples, in_features)``, as a new array."""
        X = self.check_input(X, finite=False)
        with np.errstate(over="ignore", invalid="ignore"):
            if batch_size is None or batch_size >= X.shape[0]:
                out = self.forward(X).copy()
            else:
                out = np.concatenate([self.forward(X[i:i + batch_size]).copy()
                                      for i in range(0, X.shape[0], batch_size)])
        # NaN and infinity in X reach the output, so checking the (narrow) output is
        # enough; only then is X itself inspected, for a precise message.
        if not all_finite(out):
            self.check_input(X)
            raise FloatingPointError(
                "the model's output is not finite although X is: the weights hold NaN or "
                "infinity, or the input overflowed a layer"
            )
        return out

    __call__ = predict

    def predict_proba(self, X: object, batch_size: int | None = None) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_outputs)``.

        The output as is when the model ends in Softmax or Sigmoid; otherwise
        the output is taken as logits and passed through softmax (several
        outputs) or the sigmoid (one output).
        """
        from ..functional import sigmoid, softmax
        from .activations import Sigmoid, Softmax

        out = self.predict(X, batch_size)
        if isinstance(self.layers[-1], (Softmax, Sigmoid)):
            return out
        return sigmoid(out, out=out) if out.shape[1] == 1 else softmax(out, out=out)

    def predict_classes(self, X: object, batch_size: int | None = None) -> np.ndarray:
        """Predicted class of each sample: the argmax, or ``p > 0.5`` for a single output."""
        proba = self.predict_proba(X, batch_size)
        return (proba[:, 0] > 0.5).astype(np.intp) if proba.shape[1] == 1 else proba.argmax(axis=1)

    def fit(self, X: object, y: object, **kwargs):
        """Train this model; see :func:`glassnet.training.fit` for the arguments."""
        from ..training import fit

        return fit(self, X, y, **kwargs)

    def evaluate(self, X: object, y: object, loss: object = "mse", l2: float = 0.0) -> dict[str, float]:
        """Cost (and accuracy for classification losses) on ``X`` and ``y``, in inference mode."""
        from ..objective import Objective
        from ..training import evaluate

        objective = Objective(self, loss, l2)
        return evaluate(self, *objective.prepare(X, y), objective)

    def save(self, path) -> None:
        """Write the architecture and weights to ``path`` (see :mod:`glassnet.io.model_file`)."""
        from ..io import save

        save(path, self)

    def check_input(self, X: object, name: str = "X", finite: bool = True) -> np.ndarray:
        """Validate ``X``: 2-D, finite, ``in_features`` columns; returned in the model's dtype."""
        X = check_array(X, name, ndim=(1, 2) if self.in_features == 1 else 2, dtype=self.dtype,
                        finite=finite)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        if self.in_features is not None and X.shape[1] != self.in_features:
            raise ValueError(
                f"{name} has {X.shape[1]} features per sample, but the model's first layer "
                f"expects {self.in_features}; received {name} of shape {X.shape}"
            )
        return X

    # -- description --------------------------------------------------------
    def config(self) -> dict:
        """The architecture as JSON-ready data (no weights)."""
        return {
            "dtype": self.dtype.name,
            "layers": [{"type": type(layer).__name__, **layer.config()} for layer in self.layers],
        }

    def summary(self) -> str:
        lines = [f"Sequential ({self.n_params} parameters, {self.dtype.name})"]
        width = self.in_features
        for i, layer in enumerate(self.layers):
            if width is not None:
                width = layer.output_features(width)
            n = sum(p.size for p in layer._params.values())
            lines.append(f"  [{i}] {layer!r:<52} -> {width!s:>5} cols  {n:>8} params")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"


def _check_widths(layers: list[Layer]) -> tuple[int | None, int | None]:
    """Follow the number of columns through the stack; raise where two layers disagree."""
    width: int | None = None
    source = "the input"
    first: int | None = None
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            if width is not None and layer.in_features != width:
                raise ValueError(
                    f"layers[{i}] Dense expects {layer.in_features} input features, but "
                    f"{source} produces {width}"
                )
            if first is None and width is None:
                first = layer.in_features
            width = layer.out_features
            source = f"layers[{i}] Dense"
        elif width is not None:
            width = layer.output_features(width)
    return first, width
