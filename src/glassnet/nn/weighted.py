"""What the layers with weights and biases share: Dense and Conv2D."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ..core._validation import as_generator, check_memory, short
from ..core.arrays import to_numpy
from ..errors import OptionError
from ..ops.init import get_initializer, zeros
from .base import Array, Layer


class _Weighted(Layer):
    """A layer whose parameters are weights ``W`` (decayed by L2) and, when ``bias``, biases ``b``.

    A subclass sets ``self.bias``, ``self.init`` and ``self.dtype`` and calls
    :meth:`_make_weights` in its constructor.
    """

    decayed = ("W",)
    trace_symbol = "Z"
    bias = True
    init: object = "zeros"
    #: a layer given no input size keeps its own generator (or None: its model's) until :meth:`build`
    _rng: object = None
    #: the fingerprint of weights drawn from fresh entropy (no ``rng`` given), which a seeded model draws again
    _unseeded: bytes | None = None

    @property
    def built(self) -> bool:
        """Whether the weights exist: False until a layer given no input size is built."""
        return "W" in self.params

    def build(self, input_shape: tuple[int, ...], rng: object) -> None:
        """Take the input size from ``input_shape`` and draw the weights (see :meth:`Layer.build`).

        Parameters
        ----------
        input_shape : tuple of int
        rng : numpy.random.Generator
            Used when the layer was given no ``rng`` of its own.
        """
        if self.built:
            return
        self.output_shape(input_shape)  # refuses a shape the layer cannot take, with its own message
        self._take_input(tuple(input_shape))
        own, self._rng = self._rng, None
        self._make_weights(self._weights_shape(), self._n_outputs(), rng if own is None else own, self._what())

    def adopt(self, rng: np.random.Generator) -> None:
        """Draw the weights again from a model's ``rng`` if they came from fresh entropy and were never changed.

        ``Sequential([Conv2D(1, 4, 3), ...], rng=0)`` then starts from the
        same weights every time, as ``torch.manual_seed`` before building a
        network does; weights the user has set are kept.

        Parameters
        ----------
        rng : numpy.random.Generator
            The model's.
        """
        if self._unseeded is not None and self._unseeded == _fingerprint(self.params):
            self._make_weights(self._weights_shape(), self._n_outputs(), rng, self._what())

    def _take_input(self, input_shape: tuple[int, ...]) -> None:
        raise NotImplementedError

    def _weights_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _what(self) -> str:
        """The weights, in words, for the message of a size beyond the machine's memory."""
        raise NotImplementedError

    def _not_built(self) -> OptionError:
        """The error for a pass through a layer that has no weights yet."""
        return OptionError(f"{self!r} has no weights yet: its input size comes from the first data its model sees "
                           f"(model.fit, predict or forward), or from the model's input_shape=...")

    def _make_weights(self, shape: tuple[int, ...], n_out: int, rng: object, what: str) -> None:
        """Draw ``W`` of ``shape`` from the initializer, ``b`` of ``n_out`` zeros, and their gradients.

        The memory of the weights, their gradients and the model's two flat
        vectors is checked first, so a size far beyond the machine is refused
        with a message rather than a MemoryError half-way.
        """
        initializer = get_initializer(self.init)  # type: ignore[arg-type]
        check_memory(4 * (math.prod(shape) + n_out) * self.dtype.itemsize, what)
        self.params["W"] = np.asarray(initializer(shape, as_generator(rng), self.dtype), dtype=self.dtype)
        if self.bias:
            self.params["b"] = zeros((n_out,), dtype=self.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._unseeded = _fingerprint(self.params) if rng is None else None

    @property
    def W(self) -> Array:
        """The weights; assigning copies into them."""
        return self.params["W"]

    @W.setter
    def W(self, value: object) -> None:
        self.set_param("W", value)

    @property
    def b(self) -> Array:
        """The biases, one per output (channel); assigning copies into them."""
        if not self.bias:
            raise AttributeError(f"this {type(self).__name__} layer was built with bias=False")
        return self.params["b"]

    @b.setter
    def b(self, value: object) -> None:
        if not self.bias:
            raise AttributeError(f"this {type(self).__name__} layer was built with bias=False")
        self.set_param("b", value)

    @classmethod
    def from_config(cls, config: dict) -> _Weighted:
        """A layer of the described shape with zero weights, to be overwritten by the caller.

        Parameters
        ----------
        config : dict
            As :meth:`config` returned it.

        Returns
        -------
        Layer
        """
        layer = cls(**{**config, "init": "zeros"})
        layer.init = config.get("init", "zeros")
        return layer


def _fingerprint(params: dict) -> bytes:
    """A digest of the parameters' values, to tell whether they changed since they were drawn.

    The arrays' memory is hashed where it lies, not copied into bytes first (a wide layer's weights are
    hundreds of megabytes).
    """
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(params):
        digest.update(np.ascontiguousarray(to_numpy(params[name])).data)  # a device's weights through the host
    return digest.digest()


def place_sizes(layer: str, sizes: tuple, named: dict[str, object], example: str) -> dict[str, object]:
    """Which size each of a layer's positional values is, as PyTorch and Keras each write them.

    ``named`` lists the layer's sizes in PyTorch's order, the input's first
    (``in_features``, ``out_features``), with the values given by keyword
    (None where none was). The positional values fill the sizes the layer
    cannot do without, in order, as Keras writes them (``Dense(10)``: 10
    outputs); one more value than those is the input size first, as PyTorch
    writes them (``Dense(784, 10)``, ``Conv2D(1, 8, kernel_size=3)``).
    Nothing is guessed from a keyword: ``Dense(in_features=10)`` is refused
    for want of ``out_features``, where it used to mean 10 outputs.

    Parameters
    ----------
    layer : str
        The layer's name, for messages.
    sizes : tuple
        The positional values.
    named : dict
        Every size by name, the input's first; None where not given by keyword.
    example : str
        A call that works, for the message of a missing size.

    Returns
    -------
    dict
        ``named`` with the positional values placed.
    """
    names = list(named)
    free = [name for name in names if named[name] is None]
    needed = [name for name in free if name != names[0]]
    if len(sizes) > len(free):
        unnamed = ", ".join(free) if free else "no size"
        raise OptionError(f"{layer} received {len(sizes)} size(s) by position, {short(sizes)}, where {unnamed} "
                          f"remained to be given: name each size once ({example})")
    named = dict(named)
    for name, value in zip(needed if len(sizes) <= len(needed) else free, sizes):
        named[name] = value
    if missing := [name for name in needed if named[name] is None]:
        raise OptionError(f"{layer} needs {' and '.join(missing)}: {example}")
    return named


def torch_positions(sizes: tuple, stride: object, padding: object) -> tuple[tuple, object, object]:
    """``(sizes, stride, padding)``: a fourth and fifth value by position taken as PyTorch's ``Conv2d`` takes
    them, its stride and padding, where the keywords were left at their defaults.

    Parameters
    ----------
    sizes : tuple
        Conv2D's values by position.
    stride, padding : object
        As given by keyword (1 and 0 by default).

    Returns
    -------
    (tuple, object, object)
        The three sizes, and the stride and padding to use.
    """
    if len(sizes) <= 3:
        return sizes, stride, padding
    if len(sizes) > 5:
        raise OptionError(f"Conv2D takes at most five values by position (PyTorch's in_channels, out_channels, "
                          f"kernel_size, stride and padding); received {len(sizes)}, {short(sizes)}")
    extra = sizes[3:]
    for name, given, default in list(zip(("stride", "padding"), (stride, padding), (1, 0)))[:len(extra)]:
        if not (type(given) is int and given == default):  # (a keyword given as the default cannot be told apart)
            raise OptionError(f"Conv2D received {name} twice, by position and by name ({name}={short(given)})")
    return sizes[:3], extra[0], extra[1] if len(extra) > 1 else padding
