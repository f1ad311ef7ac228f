"""Normalize: fixed per-channel centring and scaling of images, the first layer of a network that reads photos.

The mean and standard deviation of each colour channel are measured once, on
the training pictures, and kept in the model, so that the model takes plain
pixel values in [0, 1] wherever it goes: a model file, ``glassnet predict``,
the web page, an ONNX export. Keras' ``Normalization`` layer plays the same
part; torchvision's ``transforms.Normalize`` does the same sum outside the model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core._validation import short
from ..errors import OptionError
from ..ops.normalization import mean_and_scale
from .base import Array, Context, Layer, Shape


class Normalize(Layer):
    """``Z[:, c] = (X[:, c] - mean[c]) / std[c]`` for each channel ``c``; nothing in it is trained.

    Parameters
    ----------
    mean, std : sequence of float
        One value per channel (axis 1 of the input); each ``std`` above 0.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((1000, 3, 8, 8))
    >>> layer = Normalize.fit(x)
    >>> [round(m, 2) for m in layer.mean]
    [0.5, 0.5, 0.5]
    """

    output_owned = True  # its output is an array of its own (Layer.output_owned)
    trace_symbol = "N"
    trace_forward = "N{k} = ({prev} - mean) / std, each channel by its own mean and std"
    trace_backward = "d{prev} = dN{k} / std, each channel by its own std"

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__()
        self.mean = _numbers(mean, "mean")
        self.std = _numbers(std, "std")
        if len(self.mean) != len(self.std):
            raise OptionError(f"mean and std must have one value per channel each; received {len(self.mean)} "
                              f"and {len(self.std)}")
        if min(self.std) <= 0:
            raise OptionError(f"std must be above 0 in every channel; received {short(self.std)}")

    @classmethod
    def fit(cls, images: Array) -> Normalize:
        """The layer that makes each channel of ``images`` mean 0 and standard deviation 1 (1 where it is flat).

        Parameters
        ----------
        images : array, shape (n_samples, channels, height, width)

        Returns
        -------
        Normalize
        """
        x = np.asarray(images)
        if x.ndim != 4 or not len(x):
            raise OptionError(f"images must have shape (n_samples, channels, height, width); received shape "
                              f"{x.shape}")
        # in float64 a channel at a time: the sums are exact enough, and no float64 copy of every picture is made
        mean, std = [], []
        for c in range(x.shape[1]):  # flat up to its mean's rounding: 1 (0.1 in float64 had a spread of 2.8e-17)
            m, spread = mean_and_scale(x[:, c].reshape(-1))
            mean.append(float(m[0]))
            std.append(float(spread[0]))
        return cls(mean, std)

    def output_shape(self, input_shape: Shape) -> Shape:
        """The input's shape: images (channels, height, width) with this layer's number of channels.

        Parameters
        ----------
        input_shape : tuple of int

        Returns
        -------
        tuple of int
        """
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != len(self.mean):
            raise OptionError(f"Normalize takes images of {len(self.mean)} channel(s), shape (channels, height, "
                              f"width) per sample; received shape {shape}")
        return shape

    def _stats(self, x: Array, ctx: Context) -> tuple[Array, Array]:
        dtype = self.work_dtype(x)
        mean = ctx.xp.asarray(np.asarray(self.mean, dtype).reshape(-1, 1, 1))
        std = ctx.xp.asarray(np.asarray(self.std, dtype).reshape(-1, 1, 1))
        return mean, std

    def forward(self, x: Array, ctx: Context) -> Array:
        """``(X - mean) / std``, channel by channel.

        Parameters
        ----------
        x : array, shape (n_samples, channels, height, width)
        ctx : Context

        Returns
        -------
        array like ``x``
        """
        self.output_shape(x.shape[1:])
        mean, std = self._stats(x, ctx)
        return (x - mean) / std

    def backward(self, grad: Array, ctx: Context, need_input_grad: bool = True) -> Array | None:
        """``dC/dX = dC/dZ / std``, channel by channel.

        Parameters
        ----------
        grad : array like the output
        ctx : Context
        need_input_grad : bool

        Returns
        -------
        array or None
        """
        if not need_input_grad:
            return None
        return grad / self._stats(grad, ctx)[1]

    def config(self) -> dict:
        """``mean`` and ``std``, one number per channel.

        Returns
        -------
        dict
        """
        return {"mean": list(self.mean), "std": list(self.std)}

    def describe(self) -> str:
        """``Normalize(3 channels)``.

        Returns
        -------
        str
        """
        return f"Normalize({len(self.mean)} channel{'s' if len(self.mean) > 1 else ''})"

    def onnx_nodes(self, x: str, graph: Any) -> str:
        """ONNX's ``Sub`` and ``Div`` by constants of shape (channels, 1, 1) (see :meth:`Layer.onnx_nodes`).

        Parameters
        ----------
        x : str
        graph : glassnet.io.onnx.GraphParts

        Returns
        -------
        str
        """
        mean = np.asarray(self.mean).reshape(-1, 1, 1)
        std = np.asarray(self.std).reshape(-1, 1, 1)
        return graph.node("Div", [graph.node("Sub", [x, graph.constant("mean", mean)], "centered"),
                                  graph.constant("std", std)])


def _numbers(values: Any, name: str) -> list[float]:
    try:
        out = [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be numbers, one per channel; received {short(values)}") from None
    if not out or not all(math.isfinite(v) for v in out):
        raise OptionError(f"{name} must be finite numbers, one per channel; received {short(values)}")
    return out


__all__ = ["Normalize"]
