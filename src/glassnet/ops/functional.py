"""The math of glassnet as small pure functions on arrays, gathered under one name.

The activations with their derivatives, softmax and one-hot live in
:mod:`glassnet.ops.activations` (which explains the conventions: samples in
rows, ``f(z)`` beside ``f_backward(a, grad)``, ``out=`` buffers), the costs and
the penalties with their gradients in :mod:`glassnet.ops.costs`. This module
gathers them, so that ``glassnet.functional.sigmoid`` and the rest keep their
names.
"""

from .activations import (
    leaky_relu,
    leaky_relu_backward,
    log_softmax,
    one_hot,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from .costs import (
    absolute_error,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy_from_probs,
    huber,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
    poisson_deviance,
    softmax_cross_entropy,
    squared_error,
)

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "relu",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "one_hot",
    "squared_error",
    "poisson_deviance",
    "absolute_error",
    "huber",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax_cross_entropy",
    "cross_entropy_from_probs",
    "l2_penalty",
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty_grad",
]
