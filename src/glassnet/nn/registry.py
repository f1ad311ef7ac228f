"""The one list of layer types: model files, summaries, traces and exports look layers up here.

A layer answers for itself: its shapes, passes, trace formulas and ONNX
nodes are methods and attributes of its class (:class:`~glassnet.nn.Layer`).
Adding one to glassnet takes its own file, one line below, and its tests; a
layer of your own joins with :func:`register_layer`.
"""

from __future__ import annotations

from ..core._validation import meant, short
from ..errors import OptionError, OptionTypeError
from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .global_pool import GlobalAvgPool2D
from .layernorm import LayerNorm
from .normalize import Normalize
from .pooling import AvgPool2D, MaxPool2D

#: every layer type by class name, as model files store it
LAYERS: dict[str, type[Layer]] = {cls.__name__: cls for cls in (
    Dense,
    Identity,
    Sigmoid,
    Tanh,
    ReLU,
    LeakyReLU,
    Softmax,
    Dropout,
    Flatten,
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    BatchNorm,
    LayerNorm,
    GlobalAvgPool2D,
    Normalize,
)}

#: the activation layers by their short name ("relu", "sigmoid", ...)
ACTIVATIONS: dict[str, type[Layer]] = {
    cls.name: cls for cls in LAYERS.values() if issubclass(cls, Activation)
}


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Make a layer class of your own known to model files, by its class name; use it as a decorator.

    A registered layer saves and loads with its model (its :meth:`~Layer.config`
    gives the arguments that rebuild it), and appears in summaries and traces
    as the built-in layers do; with an ``onnx_nodes`` method it exports too.
    Loading reads class names from the file and looks them up here: it
    never imports code named by a file, so the process that loads a model
    registers its layers first, by importing the module that defines them.

    Parameters
    ----------
    cls : type
        A subclass of :class:`~glassnet.nn.Layer`.

    Returns
    -------
    type
        ``cls`` itself.

    Raises
    ------
    OptionError
        Another class of the same name is registered already (a class
        defined again under the same module and name, as a notebook cell run
        twice does, replaces it).

    Examples
    --------
    A whole layer that registers itself is ``examples/own_layer.py``; in short (not run here: registering
    changes the process's registry for good):

    >>> import glassnet
    >>> @glassnet.register_layer  # doctest: +SKIP
    ... class Scale(glassnet.Layer):
    ...     ...
    """
    if not isinstance(cls, type) or not issubclass(cls, Layer):
        raise OptionTypeError(f"register_layer takes a subclass of glassnet.Layer; received {short(cls)}")
    name, known = cls.__name__, LAYERS.get(cls.__name__)
    if known is not None and known is not cls and (known.__module__, known.__qualname__) != (
            cls.__module__, cls.__qualname__):
        raise OptionError(f"a layer type named {name!r} is registered already ({known.__module__}."
                          f"{known.__qualname__}): model files name layers by class, so give yours another name")
    LAYERS[name] = cls
    if issubclass(cls, Activation) and cls.name not in ACTIVATIONS:
        ACTIVATIONS[cls.name] = cls
    return cls


def get_activation(name: str, argument: str = "activation") -> Layer:
    """A new activation layer from its short name.

    Parameters
    ----------
    name : str
        ``"relu"``, ``"sigmoid"``, ... (the keys of :data:`ACTIVATIONS`).
    argument : str
        The argument's name, for the message.

    Returns
    -------
    Layer
    """
    if isinstance(name, str) and name in ACTIVATIONS:
        return ACTIVATIONS[name]()
    raise OptionError(f"{argument} must be one of {', '.join(map(repr, ACTIVATIONS))}; received {short(name)}"
                      f"{meant(name, list(ACTIVATIONS))}")


def layer_from_config(spec: dict) -> Layer:
    """Rebuild a layer from ``{"type": class name, **layer.config()}``.

    Parameters
    ----------
    spec : dict
        As :meth:`glassnet.nn.Stack.config` lists each layer.

    Returns
    -------
    Layer
        Its parameters are placeholders, for the caller to overwrite.
    """
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in LAYERS:
        raise OptionError(f"unknown layer type {short(kind)}: this process knows {', '.join(LAYERS)}. A layer of "
                          "your own is known once the module that defines it has run, with @glassnet.register_layer "
                          "on its class")
    return LAYERS[kind].from_config(spec)
