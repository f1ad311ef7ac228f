"""Layers and the Sequential container: everything a forward and backward pass needs.

``nn`` knows nothing of losses, training or files: those build on it.
"""

from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Context, Layer
from .batchnorm import BatchNorm
from .builder import cnn, mlp, mlp_layers
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import AvgPool2D, MaxPool2D
from .registry import ACTIVATIONS, LAYERS, get_activation, layer_from_config
from .sequential import Sequential, Workspace

__all__ = [
    "ACTIVATIONS", "LAYERS", "Activation", "AvgPool2D", "BatchNorm", "Context", "Conv2D", "Dense", "Dropout",
    "Flatten", "Identity", "Layer", "LeakyReLU", "MaxPool2D", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "Tanh", "Workspace", "get_activation",
    "cnn", "layer_from_config", "mlp", "mlp_layers",
]
