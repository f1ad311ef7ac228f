"""Layers and the Sequential container: everything a forward and backward pass needs.

``nn`` knows nothing of losses, training or files: those build on it.
"""

from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Context, Layer
from .builder import mlp, mlp_layers
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .registry import ACTIVATIONS, LAYERS, get_activation, layer_from_config
from .sequential import Sequential, Workspace

__all__ = [
    "ACTIVATIONS", "LAYERS", "Activation", "Context", "Dense", "Dropout", "Flatten", "Identity", "Layer",
    "LeakyReLU", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "Workspace", "get_activation",
    "layer_from_config", "mlp", "mlp_layers",
]
