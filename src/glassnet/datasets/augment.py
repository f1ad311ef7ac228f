"""Data augmentation for images: each training batch moved, turned and resized a little, at random.

A network that sees every digit a few pixels off, tilted by a few degrees or
a little larger or smaller learns what does not change under those moves, and
reads digits that are not centred the way MNIST's are. The warps are drawn
per batch from the generator the training run passes in (the model's), so
the same seed gives the same run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core._validation import check_real
from ..core.arrays import namespace
from ..errors import OptionError

Array = Any


def affine_warp(images: Array, matrices: Array, offsets: Array) -> Array:
    """Resample each image through its own affine map, bilinearly, with zeros outside.

    The output pixel at ``p`` (row, column, measured from the image centre)
    takes the input's value at ``matrices[i] @ p + offsets[i]`` (also from the
    centre), interpolated between the four pixels around it.

    Parameters
    ----------
    images : array, shape (n, c, h, w)
    matrices : array, shape (n, 2, 2)
        From output to input coordinates, (row, column) order.
    offsets : array, shape (n, 2)
        In pixels.

    Returns
    -------
    array like ``images``
    """
    xp = namespace(images)
    n, c, h, w = images.shape
    rows, cols = xp.meshgrid(xp.arange(h) - (h - 1) / 2, xp.arange(w) - (w - 1) / 2, indexing="ij")
    grid = xp.stack([rows.reshape(-1), cols.reshape(-1)])  # (2, h*w)
    src = matrices @ grid + offsets[:, :, None]  # (n, 2, h*w), from the centre
    sy, sx = src[:, 0] + (h - 1) / 2, src[:, 1] + (w - 1) / 2
    y0, x0 = xp.floor(sy), xp.floor(sx)
    fy, fx = (sy - y0).astype(images.dtype), (sx - x0).astype(images.dtype)
    flat = images.reshape(n, c, h * w)
    out = xp.zeros((n, c, h * w), dtype=images.dtype)
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        y, x = (y0 + dy).astype(xp.intp), (x0 + dx).astype(xp.intp)
        inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        index = xp.where(inside, y * w + x, 0)
        values = xp.take_along_axis(flat, xp.broadcast_to(index[:, None, :], (n, c, h * w)), axis=2)
        out += values * (weight * inside)[:, None, :]
    return out.reshape(n, c, h, w)


class RandomAffine:
    """Shift, rotate and scale each image of a batch at random (bilinear, zeros brought in at the edges).

    Parameters
    ----------
    shift : float
        Largest move along each axis, in pixels.
    rotation : float
        Largest turn either way, in degrees.
    scale : float
        Largest relative change of size: sizes are drawn from ``[1 - scale, 1 + scale]``.
    image_shape : (height, width), optional
        For batches of flattened pictures (an MLP's rows): each row is warped
        as a picture of this shape, one channel.

    Examples
    --------
    >>> model.fit(X, y, loss="cross_entropy", optimizer="adam", augment=RandomAffine())  # doctest: +SKIP
    """

    def __init__(self, shift: float = 2.0, rotation: float = 10.0, scale: float = 0.1,
                 image_shape: tuple[int, int] | None = None) -> None:
        self.shift = check_real(shift, "shift", low=0.0)
        self.rotation = check_real(rotation, "rotation", low=0.0, high=180.0)
        self.scale = check_real(scale, "scale", low=0.0, high=1.0, high_open=True)
        self.image_shape = None if image_shape is None else (int(image_shape[0]), int(image_shape[1]))

    def __call__(self, images: Array, rng: np.random.Generator) -> Array:
        """A warped copy of a batch.

        Parameters
        ----------
        images : array, shape (n, c, h, w), or (n, h * w) with ``image_shape``
        rng : numpy.random.Generator
            Draws the batch's moves: angle, size, then shift, per image.

        Returns
        -------
        array like ``images``
        """
        shape = self.image_shape
        if shape is not None and getattr(images, "ndim", 0) == 2 and images.shape[1] == shape[0] * shape[1]:
            return self(images.reshape(images.shape[0], 1, *shape), rng).reshape(images.shape)
        if getattr(images, "ndim", 0) != 4:
            raise OptionError(f"RandomAffine works on images, shape (n_samples, channels, height, width); "
                              f"received shape {tuple(getattr(images, 'shape', ()))}")
        xp = namespace(images)
        n = images.shape[0]
        angle = rng.uniform(-1, 1, n) * math.radians(self.rotation)
        size = rng.uniform(1 - self.scale, 1 + self.scale, n)
        shift = rng.uniform(-self.shift, self.shift, (n, 2))
        cos, sin = np.cos(angle) / size, np.sin(angle) / size
        # from output to input: undo the turn and the resizing, then the shift
        matrices = np.stack([np.stack([cos, -sin], axis=1), np.stack([sin, cos], axis=1)], axis=1)
        offsets = -np.einsum("nij,nj->ni", matrices, shift)
        return affine_warp(images, xp.asarray(matrices), xp.asarray(offsets))

    def config(self) -> dict:
        """``shift``, ``rotation``, ``scale`` and ``image_shape``.

        Returns
        -------
        dict
        """
        return {"shift": self.shift, "rotation": self.rotation, "scale": self.scale,
                "image_shape": None if self.image_shape is None else list(self.image_shape)}

    def __repr__(self) -> str:
        shape = "" if self.image_shape is None else f", image_shape={self.image_shape}"
        return f"RandomAffine(shift={self.shift:g}, rotation={self.rotation:g}, scale={self.scale:g}{shape})"
