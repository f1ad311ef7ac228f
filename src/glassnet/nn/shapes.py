"""Shapes through a stack of layers: one sample's shape as given, and each layer's output shape after it.

:func:`follow_shapes` checks every layer's shape before any layer is built, so that a model refused leaves its
layers as they were, and says which layer took what from where when one refuses.
"""

from __future__ import annotations

import numpy as np

from ..core._validation import check_positive_int, short
from ..errors import OptionError
from .base import Layer
from .context import Shape


def as_shape(value: object, name: str) -> Shape:
    """A per-sample shape, each size a positive whole number: ``3`` was "'int' object is not iterable", and
    ``(0,)`` built a Dense layer of no inputs.

    Parameters
    ----------
    value : object
    name : str
        The argument, for the message.

    Returns
    -------
    tuple of int
    """
    try:
        sizes: tuple = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        sizes = ()
    if not sizes:
        raise OptionError(f"{name} must be a tuple of sizes, one per axis of a sample ((64,) or (1, 8, 8)); "
                          f"received {short(value)}")
    if sizes[0] is None and len(sizes) > 1 and None not in sizes[1:]:  # Keras' batch_input_shape, or a summary's
        raise OptionError(f"{name} is one sample's shape, without the batch axis: {name}={tuple(sizes[1:])}; "
                          f"received {short(value)}")
    return tuple(check_positive_int(size, f"{name}[{i}]") for i, size in enumerate(sizes))


def follow_shapes(layers: list[Layer], input_shape: Shape | None, rng: np.random.Generator,
                   adopt: bool = False, given: bool = True) -> tuple[Shape | None, Shape | None]:
    """(model input shape, model output shape), following each layer's ``output_shape``.

    Without an explicit ``input_shape``, the first layer that requires one
    fixes it, provided the layers before it keep their input's shape; failing
    that, both stay None until the model is built. Every shape is checked
    before anything is drawn, so a model refused leaves its layers as they
    were. Then, with ``adopt``, each layer draws again from ``rng`` the
    weights it drew from fresh entropy (:meth:`Layer.adopt`), and layers given
    no input size are built, drawing from ``rng`` unless they have a
    generator of their own.

    Parameters
    ----------
    layers : list of Layer
    input_shape : tuple of int, optional
        One sample's shape, as the model was given it.
    rng : numpy.random.Generator
    adopt : bool
    given : bool
        False where ``input_shape`` is the data's (a model built on its first data): a refusal then gives no
        hint about a batch axis in ``input_shape``, which the user never wrote.

    Returns
    -------
    (tuple of int or None, tuple of int or None)
    """
    shape: Shape | None = None if input_shape is None else as_shape(input_shape, "input_shape")
    if shape is None:
        for i, layer in enumerate(layers):
            if layer.input_shape is not None:
                need = tuple(layer.input_shape)
                if all(_output(earlier, need) == need for earlier in layers[:i]):
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
            # an input_shape given with the batch axis, (64, 784): the layer takes what follows that axis
            batch = (given and input_shape is not None and source == "the input" and len(shape) > 1
                     and _output(layer, shape[1:]) is not None)
            hint = f"; if {shape[0]} counts the samples, leave it out: input_shape={shape[1:]}" if batch else ""
            if required is None:  # the layer's own message says what it takes
                raise OptionError(f"layers[{i}] {type(layer).__name__}: {exc}, from {source}{hint}") from None
            wanted = (f"{required[0]} input features" if len(required) == 1 else f"input of shape {required}")
            raise OptionError(f"layers[{i}] {type(layer).__name__} expects {wanted}, but {source} "
                              f"produces {got}{hint}") from None
        if new != shape:
            source = f"layers[{i}] {type(layer).__name__}"
        shape = new
    if adopt:
        for layer in layers:
            layer.adopt(rng)
    for layer, taken in zip(layers, inputs):
        if not layer.built:
            layer.build(taken, rng)
    return first, shape


def _output(layer: Layer, shape: Shape) -> Shape | None:
    """The layer's output shape for input of ``shape``, or None where it refuses that input."""
    try:
        return tuple(layer.output_shape(shape))
    except OptionError:
        return None
