"""The layer protocol shared by every building block of a network."""

from __future__ import annotations

import numpy as np


class Layer:
    """A differentiable function of its input and, possibly, of its own parameters.

    A layer's ``forward(x, training)`` maps ``(n_samples, n_in)`` to
    ``(n_samples, n_out)`` and caches what ``backward`` needs. ``backward(grad)``
    receives ``dC/d(output)`` of the same shape as the output, writes
    ``dC/d(parameter)`` for each of its parameters, and returns ``dC/d(input)``.

    Gradients are written, not accumulated: a layer appears once in a model, and
    every backward pass follows exactly one forward pass.

    Outputs and input-gradients live in buffers the layer reuses from one call
    to the next (training allocates nothing per batch). An array returned by
    ``forward`` or ``backward`` is therefore valid until the layer's next call;
    copy it to keep it. :meth:`glassnet.Sequential.predict` returns fresh arrays.
    """

    #: names of the parameters that L2 regularization and weight decay apply to
    decayed: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._params: dict[str, np.ndarray] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._buffers: dict[tuple, np.ndarray] = {}
        self.dtype = np.dtype(np.float32)

    # -- to override --------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def output_features(self, in_features: int) -> int:
        """The number of output columns for ``in_features`` input columns."""
        return in_features

    def config(self) -> dict:
        """Arguments that rebuild this layer (without its weights): JSON-ready."""
        return {}

    # -- shared machinery ---------------------------------------------------
    def parameters(self) -> dict[str, np.ndarray]:
        """The layer's parameter arrays by name (live arrays, not copies)."""
        return dict(self._params)

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients written by the last ``backward``, by parameter name."""
        return dict(self._grads)

    def _set_param(self, name: str, value: object) -> None:
        """Copy ``value`` into parameter ``name`` in place, keeping any view into a flat vector."""
        target = self._params[name]
        array = np.asarray(value)
        if array.shape != target.shape:
            raise ValueError(
                f"{type(self).__name__}.{name} must have shape {target.shape}; "
                f"received shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{type(self).__name__}.{name} must hold finite values")
        target[...] = array

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: np.dtype | None = None) -> np.ndarray:
        """A reusable scratch array; reallocated only when its shape or dtype changes."""
        key = (name, shape, np.dtype(dtype or self.dtype))
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) > 16:  # a few batch sizes in turn; never grow without bound
                self._buffers.clear()
            buf = self._buffers[key] = np.empty(shape, dtype=key[2])
        return buf

    def __getstate__(self) -> dict:
        """Pickle and deepcopy without scratch buffers or what the last pass cached."""
        state = dict(self.__dict__)
        state["_buffers"] = {}
        for key in ("_x", "_a", "_mask", "_scale"):
            state.pop(key, None)
        return state

    def _as_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the layer's dtype; a layer without parameters keeps a float input's dtype."""
        if x.dtype == self.dtype or (not self._params and x.dtype in (np.float32, np.float64)):
            return x
        return x.astype(self.dtype)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
