"""Build the common networks in one call: the multilayer perceptron and a small convolutional net."""

from __future__ import annotations

import numpy as np

from ..core._validation import as_generator, check_positive_int, check_real, short
from ..errors import OptionError
from ..ops.init import default_init, get_initializer
from .activations import ReLU
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .normalize import Normalize
from .pooling import MaxPool2D
from .registry import get_activation
from .stack import Stack


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
    sizes = list(sizes) if isinstance(sizes, np.ndarray) and sizes.ndim == 1 else sizes  # np.array([784, 10])
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise OptionError(f"sizes must list at least an input and an output width; received {short(sizes)}")
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
        cls: type[Stack] = Stack) -> Stack:
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
        The model class to build (:class:`Stack` or a subclass).

    Returns
    -------
    Stack
        Of class ``cls``, whose generator is ``rng``.
    """
    gen = as_generator(rng)
    layers = mlp_layers(sizes, activation=activation, output=output, dropout=dropout, init=init, bias=bias,
                        rng=gen, dtype=dtype)
    return cls(layers, rng=gen)


def cnn(input_shape: tuple[int, int, int] = (1, 28, 28), n_classes: int = 10, *,
        channels: tuple[int, ...] = (32, 64), kernel_size: int = 3, hidden: int = 128, batch_norm: bool = True,
        dropout: float = 0.0, normalize: Normalize | None = None, rng: object = None, dtype: object = np.float32,
        cls: type[Stack] = Stack) -> Stack:
    """A small convolutional network for images, glassnet's default digit reader.

    Each block is ``Conv2D(kernel_size, padding="same") -> MaxPool2D(2) ->
    BatchNorm -> ReLU``, halving height and width; then ``Flatten -> Dense(hidden)
    -> ReLU -> [Dropout] -> Dense(n_classes)`` giving logits for
    :class:`~glassnet.SoftmaxCrossEntropy`. Pooling comes before batch
    normalization and the rectifier: a maximum commutes with the rectifier, and
    both then touch a quarter of the pixels.

    Parameters
    ----------
    input_shape : (channels, height, width)
    n_classes : int
    channels : tuple of int
        Output channels of each convolution block.
    kernel_size : int
    hidden : int
        Width of the fully connected hidden layer (0 for none).
    batch_norm : bool
        Normalize after each pooling (the convolutions then have no bias).
    dropout : float
        Dropout rate before the last layer.
    normalize : Normalize, optional
        A first layer that centres and scales each colour channel (see
        :meth:`Normalize.fit`): the network then takes plain pixel values.
    rng : None, int or numpy.random.Generator
    dtype : float32 (default) or float64
    cls : type
        The model class to build.

    Returns
    -------
    Stack
        Whose ``input_shape`` is ``input_shape``.
    """
    gen = as_generator(rng)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise OptionError(f"input_shape must be (channels, height, width); received {short(input_shape)}")
    shape = tuple(check_positive_int(s, "input_shape") for s in input_shape)
    n_classes = check_positive_int(n_classes, "n_classes")
    rate = check_real(dropout, "dropout", low=0.0, high=1.0, high_open=True)
    layers: list[Layer] = [] if normalize is None else [normalize]
    c_in, h, w = shape
    for c_out in channels:
        c_out = check_positive_int(c_out, "channels")
        layers.append(Conv2D(c_in, c_out, kernel_size, padding="same", bias=not batch_norm, init="he_normal",
                             rng=gen, dtype=dtype))
        layers.append(MaxPool2D(2))
        if batch_norm:
            layers.append(BatchNorm(c_out, dtype=dtype))
        layers.append(ReLU())
        c_in, h, w = c_out, h // 2, w // 2
        if h < 1 or w < 1:
            raise OptionError(f"input_shape {shape} is too small for {len(channels)} blocks that each halve it")
    layers.append(Flatten())
    width = c_in * h * w
    if hidden:
        layers += [Dense(width, check_positive_int(hidden, "hidden"), init="he_normal", rng=gen, dtype=dtype),
                   ReLU()]
        width = hidden
    if rate > 0:
        layers.append(Dropout(rate))
    layers.append(Dense(width, n_classes, init="xavier_uniform", rng=gen, dtype=dtype))
    return cls(layers, input_shape=shape, rng=gen)


def picture_channels(side: int) -> tuple[int, ...]:
    """The conv blocks that suit square pictures of ``side`` pixels: enough to halve them to about 4 pixels.

    16 channels in the first block, doubling in each next one up to 128:
    ``(16, 32, 64)`` for 32x32 pictures, ``(16,)`` for 8x8 ones.

    Parameters
    ----------
    side : int

    Returns
    -------
    tuple of int
    """
    side = check_positive_int(side, "side")
    blocks = max(1, int(np.log2(max(side, 8) / 4) + 1e-9))
    return tuple(min(128, 16 * 2 ** k) for k in range(blocks))
