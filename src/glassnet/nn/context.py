"""The context of one pass: what a layer keeps between its forward and its backward pass.

What a forward pass must leave for the backward pass (the input, the output,
a dropout mask) and the scratch arrays it writes into live in a
:class:`Context` that the caller owns, not in the layer. A
:class:`Workspace` holds one context per layer of a model: a fresh one per
call for inference, so results belong to the caller and any number of threads
may run a model at once; one for the length of a training run, so training
allocates nothing per batch. The two type names every layer uses, ``Array``
and ``Shape``, live here too, at the bottom of the package.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

Array = Any  # an array of NumPy or another namespace with NumPy's API
Shape = tuple[int, ...]


class Context:
    """What one layer keeps between its forward and its backward pass, in one run.

    Parameters
    ----------
    xp : module
        The array namespace (NumPy, or one with NumPy's API).
    training : bool
        Whether the pass is a training pass (dropout active).
    rng : numpy.random.Generator, optional
        The generator of random layers (dropout masks).
    inference : bool
        No backward pass follows: a layer need keep nothing for one.

    Notes
    -----
    A layer's ``forward`` stores what its ``backward`` needs as attributes
    (``ctx.x = x``) and asks for its output arrays with :meth:`buffer`, which
    hands back the same array for the same name, shape and dtype as long as
    the context lives.

    ``overwrite`` is set by :meth:`~glassnet.nn.Stack.forward` before each
    layer's forward: True in an inference pass (no backward follows) whose
    input to this layer the pass made itself, in a layer that says it reads
    it no more (:attr:`~glassnet.nn.base.Layer.output_owned`), so that an
    element-wise layer may write its output over it. That spares a buffer as
    large as the layer's output, and the memory it takes (benchmarks/RESULTS.md,
    stop 56).
    """

    def __init__(self, xp: ModuleType = np, training: bool = False, rng: np.random.Generator | None = None,
                 inference: bool = False):
        self.xp = xp
        self.training = training
        self.rng = rng
        self.inference = inference and not training
        self.overwrite = False
        self._buffers: dict[tuple, Array] = {}

    def buffer(self, name: str, shape: Shape, dtype: object) -> Array:
        """A scratch array, reused while this context lives.

        Parameters
        ----------
        name : str
            The buffer's role (``"z"``, ``"dx"``).
        shape : tuple of int
        dtype : dtype

        Returns
        -------
        array of ``shape`` and ``dtype``
            Uninitialized; the caller writes every entry.
        """
        key = (name, tuple(shape), np.dtype(dtype))  # type: ignore[call-overload]
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) > 16:  # a few batch sizes in turn; never grow without bound
                self._buffers.clear()
            buf = self._buffers[key] = self.xp.empty(shape, dtype=key[2])
        return buf

    def __setattr__(self, name: str, value: Any) -> None:
        """A forward pass stores what its backward needs as attributes: ``ctx.x = x``."""
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """Only reached for a value no forward pass stored: a backward without its forward."""
        raise AttributeError(f"this context holds no {name!r}: backward needs the forward pass that stores it, "
                             "through the same context")


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
    inference : bool
        No backward pass follows its passes: a layer may write its output
        over an input that the pass itself made (:attr:`Context.overwrite`).
    """

    def __init__(self, model: Any, training: bool = False, inference: bool = False) -> None:
        self.training = training
        self.inference = inference and not training
        self.contexts = [Context(model.xp, training, model.rng, self.inference) for _ in model.layers]


def made_by_pass(x: Array, given: Array) -> bool:
    """Whether ``x``, an array inside a forward pass, is the pass's own and may be written over.

    It is when it is a writeable, C-contiguous NumPy array that shares no
    memory with the pass's input ``given``: a view of the caller's array
    (Flatten's, or the input itself through Identity) is the caller's, and
    an output written over one in another order would keep that order.
    Arrays of other namespaces are never written over. (The layer that made
    ``x`` must also say it is its own: :attr:`~glassnet.nn.base.Layer.output_owned`.)

    Parameters
    ----------
    x : array
    given : array
        What the pass was called with.

    Returns
    -------
    bool
    """
    return (x is not given and isinstance(x, np.ndarray) and x.flags.writeable and x.flags.c_contiguous
            and not (isinstance(given, np.ndarray) and np.may_share_memory(x, given)))
