"""Build the common multilayer perceptron in one call."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_positive_int, check_real
from ..init import default_init, get_initializer
from .activations import get_activation
from .dense import Dense
from .dropout import Dropout
from .sequential import Sequential


def mlp(
    sizes: list[int],
    *,
    activation: str = "relu",
    output: str | None = None,
    dropout: float = 0.0,
    init: str | None = None,
    bias: bool = True,
    rng: object = None,
    dtype: object = np.float32,
) -> Sequential:
    """A fully connected network ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Parameters
    ----------
    sizes : list of int
        Widths of the input, each hidden layer and the output (at least two).
    activation : str
        Hidden activation: "relu", "leaky_relu", "tanh", "sigmoid" or "identity".
    output : str or None
        Output activation ("sigmoid", "softmax", ...) or None for raw outputs
        (logits for :class:`~glassnet.SoftmaxCrossEntropy`, values for regression).
    dropout : float
        Dropout rate after each hidden activation (0 for none).
    init : str, optional
        Weight initializer; by default He for rectifiers and Xavier otherwise.
    rng : None, int or Generator
        One seed gives the same initial weights, dropout masks and shuffles.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width; received {sizes!r}")
    sizes = [check_positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    get_activation(activation, "activation")
    if output is not None:
        get_activation(output, "output")
    rate = check_real(dropout, "dropout", low=0.0, high=1.0, high_open=True)
    if init is not None:
        get_initializer(init, "init")
    gen = as_generator(rng)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        act = output if last else activation
        layers.append(
            Dense(n_in, n_out, bias=bias, init=init or default_init(act or "identity"),
                  rng=gen, dtype=dtype)
        )
        if act is not None:
            layers.append(get_activation(act))
        if not last and rate > 0:
            layers.append(Dropout(rate))
    return Sequential(layers, rng=gen)
