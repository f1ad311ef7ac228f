"""The one list of layer types: model files, summaries, traces and exports look layers up here.

Adding a layer to glassnet takes its own file (the class, backward under
forward), one line below, and its tests.
"""

from __future__ import annotations

from .._validation import short
from ..errors import OptionError
from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
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
)}

#: the activation layers by their short name ("relu", "sigmoid", ...)
ACTIVATIONS: dict[str, type[Layer]] = {
    cls.name: cls for cls in LAYERS.values() if issubclass(cls, Activation)
}


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
    raise OptionError(f"{argument} must be one of {', '.join(map(repr, ACTIVATIONS))}; received {short(name)}")


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
        raise OptionError(f"unknown layer type {kind!r}; known types: {', '.join(LAYERS)}")
    return LAYERS[kind].from_config(spec)
