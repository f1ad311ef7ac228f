"""Layers and the Sequential container: everything a forward and backward pass needs."""

from .activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from .base import Layer
from .builder import mlp
from .dense import Dense
from .dropout import Dropout
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS", "Dense", "Dropout", "Identity", "Layer", "LeakyReLU", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "Tanh", "get_activation", "mlp",
]
