"""Weight initializers.

Each initializer is a pure function ``init(shape, rng, dtype) -> array``. For
a Dense layer's matrix of shape ``(fan_in, fan_out)`` the fans are its two
sides; for a convolution's kernels of shape ``(out_channels, in_channels, kh,
kw)`` (PyTorch's layout), every output sees ``fan_in = in_channels * kh * kw``
inputs and every input feeds ``fan_out = out_channels * kh * kw`` outputs
(see :func:`fans`). The scale rules:

=================  =========================================
name               distribution
=================  =========================================
``plain``          N(0, 0.01²): the small Gaussian of the tutorials
``xavier_normal``  N(0, 2 / (fan_in + fan_out))   (Glorot & Bengio, 2010)
``xavier_uniform`` U(±sqrt(6 / (fan_in + fan_out)))
``he_normal``      N(0, 2 / fan_in)                 (He et al., 2015)
``he_uniform``     U(±sqrt(6 / fan_in))
``lecun_normal``   N(0, 1 / fan_in)                 (LeCun et al., 1998)
``lecun_uniform``  U(±sqrt(3 / fan_in))
``zeros``          all zero (biases)
=================  =========================================

``glorot_normal`` and ``glorot_uniform`` are accepted as other names for Xavier.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..core._validation import short
from ..errors import OptionError

Initializer = Callable[[tuple[int, ...], np.random.Generator, np.dtype], np.ndarray]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)``: how many inputs each output sums, and how many outputs each input feeds.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)`` for a Dense matrix; ``(out_channels, in_channels,
        *kernel_size)`` for convolution kernels.

    Returns
    -------
    (int, int)
    """
    if len(shape) <= 2:
        return (shape[0], shape[-1])
    field = math.prod(shape[2:])
    return (shape[1] * field, shape[0] * field)


def _normal(std: float, shape, rng, dtype):
    return (rng.standard_normal(shape) * std).astype(dtype, copy=False)


def _uniform(limit: float, shape, rng, dtype):
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def plain(shape, rng, dtype=np.float64):
    """N(0, 0.01**2): the small Gaussian of the tutorials.

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _normal(0.01, shape, rng, dtype)


def xavier_normal(shape, rng, dtype=np.float64):
    """N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _normal(np.sqrt(2.0 / sum(fans(shape))), shape, rng, dtype)


def xavier_uniform(shape, rng, dtype=np.float64):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _uniform(np.sqrt(6.0 / sum(fans(shape))), shape, rng, dtype)


def he_normal(shape, rng, dtype=np.float64):
    """N(0, 2 / fan_in) (He et al., 2015).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _normal(np.sqrt(2.0 / fans(shape)[0]), shape, rng, dtype)


def he_uniform(shape, rng, dtype=np.float64):
    """U(-limit, limit) with limit = sqrt(6 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _uniform(np.sqrt(6.0 / fans(shape)[0]), shape, rng, dtype)


def lecun_normal(shape, rng, dtype=np.float64):
    """N(0, 1 / fan_in) (LeCun et al., 1998).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _normal(np.sqrt(1.0 / fans(shape)[0]), shape, rng, dtype)


def lecun_uniform(shape, rng, dtype=np.float64):
    """U(-limit, limit) with limit = sqrt(3 / fan_in).

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return _uniform(np.sqrt(3.0 / fans(shape)[0]), shape, rng, dtype)


def zeros(shape, rng=None, dtype=np.float64):
    """All zeros (biases); ``rng`` is not used.

    Parameters
    ----------
    shape : tuple of int
        The weights' shape (see :func:`fans`).
    rng : numpy.random.Generator
    dtype : dtype of the result

    Returns
    -------
    array of ``shape``
    """
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "plain": plain,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "glorot_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "zeros": zeros,
}

# The variance rule that suits each activation: He for the rectifiers, whose
# derivative is zero on half the inputs; Xavier for the saturating ones.
DEFAULT_FOR_ACTIVATION = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "sigmoid": "xavier_uniform",
    "tanh": "xavier_uniform",
    "softmax": "xavier_uniform",
    "identity": "xavier_uniform",
}


def get_initializer(init: str | Initializer, name: str = "init") -> Initializer:
    """Look an initializer up by name, or accept a callable.

    Parameters
    ----------
    init : str or callable
        A key of :data:`INITIALIZERS`, or a callable ``(shape, rng, dtype) -> array``.
    name : str
        The argument's name, for the message.

    Returns
    -------
    callable
    """
    if callable(init):
        return init
    if isinstance(init, str) and init in INITIALIZERS:
        return INITIALIZERS[init]
    raise OptionError(
        f"{name} must be one of {', '.join(map(repr, INITIALIZERS))} or a callable; "
        f"received {short(init)}"
    )


def default_init(activation: str) -> str:
    """The initializer glassnet uses for the weights before a given activation.

    Parameters
    ----------
    activation : str
        "relu", "tanh", ...

    Returns
    -------
    str
        He for the rectifiers, Xavier for the rest.
    """
    return DEFAULT_FOR_ACTIVATION.get(activation, "xavier_uniform")
