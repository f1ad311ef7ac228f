"""Layers and the Stack container: everything a forward and backward pass needs.

``nn`` knows nothing of losses, training or files: those build on it. The
model users build, :class:`glassnet.Sequential`, is a :class:`Stack` that can
also fit, evaluate and save itself.
"""

from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Context, Layer
from .batchnorm import BatchNorm
from .builder import cnn, mlp, mlp_layers, picture_channels
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .global_pool import GlobalAvgPool2D
from .layernorm import LayerNorm
from .normalize import Normalize
from .pooling import AvgPool2D, MaxPool2D
from .registry import ACTIVATIONS, LAYERS, get_activation, layer_from_config, register_layer
from .stack import Stack, Workspace

__all__ = [
    "ACTIVATIONS", "LAYERS", "Activation", "AvgPool2D", "BatchNorm", "Context", "Conv2D", "Dense", "Dropout",
    "Flatten", "GlobalAvgPool2D", "Identity", "Layer", "LayerNorm", "LeakyReLU", "MaxPool2D", "Normalize", "ReLU",
    "Stack", "Sigmoid", "Softmax", "Tanh", "Workspace", "get_activation",
    "cnn", "layer_from_config", "mlp", "mlp_layers", "picture_channels", "register_layer",
]


def __getattr__(name: str) -> object:
    """Point a reader of older code from ``glassnet.nn.Sequential`` to the two classes it became."""
    if name == "Sequential":
        raise AttributeError("glassnet.nn has no Sequential: the model to build is glassnet.Sequential (it fits, "
                             "evaluates and saves), whose forward and backward passes are glassnet.nn.Stack's")
    raise AttributeError(f"module 'glassnet.nn' has no attribute {name!r}")
