"""The math of glassnet as small pure functions on arrays.

Samples are rows: ``z`` has shape ``(n_samples, n_units)``. Layers and losses
call these functions; they are public so that a reader can check a formula on
a few numbers by hand.

Each activation comes as a pair: ``f(z)`` and ``f_backward(a, grad)``, the
chain rule ``dC/dz = dC/da * f'(z)`` written with the activation's output
``a = f(z)``, which is all that backward needs. ``out``, where given, is an
array of the result's shape that receives the result (training reuses its
buffers this way); without it a new array is returned. The functions work on
arrays of any library with NumPy's API (see :mod:`glassnet.arrays`).

The activations live in :mod:`glassnet.ops.activations`, the costs and
penalties in :mod:`glassnet.ops.costs`; this module gathers them.
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
