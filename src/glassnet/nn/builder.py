"""Build the common multilayer perceptron in one call."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_positive_int, check_real
from ..errors import OptionError
from ..init import default_init, get_initializer
from .base import Layer
from .dense import Dense
from .dropout import Dropout
from .registry import get_activation
from .sequential import Sequential


def mlp_layers(sizes: list[int], *, activation: str = "relu", output: str | None = None,
               dropout: float = 0.0, init: str | None = None, bias: bool = True,
               rng: np.random.Generator, dtype: object = np.float32) -> list[Layer]:
    """The layers of :func:`mlp`, drawing initial weights from ``rng``.

    Parameters
    ----------
    sizes, activation, output, dropout, init, bias, dtype
        As for :func:`mlp`.
    rng : numpy.random.Generator

    Returns
    -------
    list of Layer
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise OptionError(f"sizes must list at least an input and an output width; received {sizes!r}")
    sizes = [check_positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    get_activation(activation, "activation")
    if output is not None:
        get_activation(output, "output")
    rate = check_real(dropout, "dropout", low=0.0, high=1.0, high_open=True)
    if init is not None:
        get_initializer(init, "init")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        act = output if last else activation
        layers.append(Dense(n_in, n_out, bias=bias, init=init or default_init(act or "identity"), rng=rng,
                            dtype=dtype))
        if act is not None:
            layers.append(get_activation(act))
        if not last and rate > 0:
            layers.append(Dropout(rate))
    return layers


def mlp(sizes: list[int], *, activation: str = "relu", output: str | None = None, dropout: float = 0.0,
        init: str | None = None, bias: bool = True, rng: object = None, dtype: object = np.float32,
        cls: type[Sequential] = Sequential) -> Sequential:
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
    bias : bool
        Whether the Dense layers have biases.
    rng : None, int or numpy.random.Generator
        One seed gives the same initial weights, dropout masks and shuffles.
    dtype : float32 (default) or float64
    cls : type
        The model class to build (:class:`Sequential` or a subclass).

    Returns
    -------
    Sequential
        Of class ``cls``, whose generator is ``rng``.
    """
    gen = as_generator(rng)
    layers = mlp_layers(sizes, activation=activation, output=output, dropout=dropout, init=init, bias=bias,
                        rng=gen, dtype=dtype)
    return cls(layers, rng=gen)
