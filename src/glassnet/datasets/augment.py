"""Data augmentation for images: each training batch moved, turned and resized a little, at random.

A network that sees every digit a few pixels off, tilted by a few degrees or
a little larger or smaller learns what does not change under those moves, and
reads digits that are not centred the way MNIST's are. The warps are drawn
per batch from the generator the training run passes in (the model's), so
the same seed gives the same run.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..core._validation import as_generator, check_choice, check_flag, check_positive_int, check_real, short
from ..core.arrays import namespace
from ..errors import OptionError

Array = Any


def affine_warp(images: Array, matrices: Array, offsets: Array, fill: str = "zeros") -> Array:
    """Resample each image through its own affine map, bilinearly, with zeros outside (or the nearest edge).

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
    fill : "zeros" or "edge"
        What is brought in from outside the picture: black, or its nearest edge pixel (for photos).

    Returns
    -------
    array like ``images``
    """
    fill = check_choice(fill, "fill", ("zeros", "edge"))
    xp = namespace(images)
    n, c, h, w = images.shape
    src = matrices @ xp.asarray(_centred_grid(h, w)) + offsets[:, :, None]  # (n, 2, h*w), from the centre
    sy, sx = src[:, 0] + (h - 1) / 2, src[:, 1] + (w - 1) / 2
    y0, x0 = xp.floor(sy), xp.floor(sx)
    fy, fx = (sy - y0).astype(images.dtype), (sx - x0).astype(images.dtype)
    # the rows above and below each point, the columns left and right of it, their weights, and which lie
    # in the picture: each of the four pixels around the point is a row and a column of these
    ys, xs = [y0.astype(xp.intp), y0.astype(xp.intp) + 1], [x0.astype(xp.intp), x0.astype(xp.intp) + 1]
    wy, wx = [1 - fy, fy], [1 - fx, fx]
    if fill == "edge":
        ys, xs = [xp.clip(y, 0, h - 1) for y in ys], [xp.clip(x, 0, w - 1) for x in xs]
    in_y, in_x = [(y >= 0) & (y < h) for y in ys], [(x >= 0) & (x < w) for x in xs]
    flat = images.reshape(-1)
    start = (xp.arange(n * c) * (h * w)).reshape(n, c, 1)  # where each picture's pixels begin in flat
    out = xp.zeros((n, c, h * w), dtype=images.dtype)
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        inside = in_y[dy] & in_x[dx]
        index = xp.where(inside, ys[dy] * w + xs[dx], 0)
        out += xp.take(flat, start + index[:, None, :]) * (wy[dy] * wx[dx] * inside)[:, None, :]
    return out.reshape(n, c, h, w)


@functools.lru_cache(maxsize=16)
def _centred_grid(h: int, w: int) -> np.ndarray:
    """Each pixel's (row, column) measured from the picture's centre: a (2, h * w) array, shared and read-only."""
    rows, cols = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    grid = np.stack([rows.reshape(-1), cols.reshape(-1)])
    grid.flags.writeable = False
    return grid


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
        if image_shape is not None and (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2):
            raise OptionError(f"image_shape must be (height, width); received {short(image_shape)}")  # "28": (2, 8)
        self.image_shape = None if image_shape is None else \
            tuple(check_positive_int(v, "image_shape") for v in image_shape)  # not 28.9 as 28, nor (0, 5)

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
        shape, rng = self.image_shape, as_generator(rng)
        if shape is not None and getattr(images, "ndim", 0) == 2 and images.shape[1] == shape[0] * shape[1]:
            return self(images.reshape(images.shape[0], 1, *shape), rng).reshape(images.shape)
        if getattr(images, "ndim", 0) != 4:
            hint = f" or rows of {shape[0] * shape[1]} pixels (image_shape={shape})" if shape else ""
            raise OptionError(f"RandomAffine works on images, shape (n_samples, channels, height, width){hint}; "
                              f"received shape {tuple(getattr(images, 'shape', ()))}")
        xp = namespace(images)
        if images.dtype.kind in "iu":  # whole-number pixels: blended in float32, rounded back (the fractions of the
            kind = images.dtype  # blend were cast to 0, every pixel the one to its upper left)
            low, high = np.iinfo(kind).min, np.iinfo(kind).max
            return xp.clip(xp.rint(self(images.astype(np.float32), rng)), low, high).astype(kind)
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


#: ITU-R 601 weights of red, green and blue in a grey level, as Pillow's grey conversion uses them
LUMA = (0.299, 0.587, 0.114)


class PhotoAugment:
    """Flip, shift and colour-jitter each photo of a batch at random, in pixel values (0 to 1).

    Parameters
    ----------
    flip : bool
        Mirror half the pictures left to right.
    shift : float
        Largest move along each axis, as a share of the picture's side; the
        nearest edge fills what comes in.
    jitter : float
        Largest relative change of brightness, contrast and (for colour) saturation:
        each factor is drawn from ``[1 - jitter, 1 + jitter]``; 0 for none.

    Examples
    --------
    >>> model.fit(X, y, loss="cross_entropy", optimizer="adam", augment=PhotoAugment())  # doctest: +SKIP
    """

    def __init__(self, flip: bool = True, shift: float = 0.1, jitter: float = 0.0) -> None:
        self.flip = check_flag(flip, "flip")  # "false" was True
        self.shift = check_real(shift, "shift", low=0.0, high=0.5)
        self.jitter = check_real(jitter, "jitter", low=0.0, high=1.0, high_open=True)

    def __call__(self, images: Array, rng: np.random.Generator) -> Array:
        """A changed copy of a batch.

        Parameters
        ----------
        images : array, shape (n, channels, h, w)
            Pixel values in [0, 1].
        rng : numpy.random.Generator
            Draws, per picture: the flip, the shift, then brightness, contrast and saturation.

        Returns
        -------
        array like ``images``
        """
        rng = as_generator(rng)
        if getattr(images, "ndim", 0) != 4:
            raise OptionError(f"PhotoAugment works on images, shape (n_samples, channels, height, width); "
                              f"received shape {tuple(getattr(images, 'shape', ()))}")
        xp = namespace(images)
        n, c, h, w = images.shape
        flip = rng.random(n) < 0.5 if self.flip else np.zeros(n, bool)
        shift = rng.uniform(-self.shift, self.shift, (n, 2)) * np.array([h, w])
        # a mirror is the map column -> -column; then the move, from output to input
        matrices = np.zeros((n, 2, 2))
        matrices[:, 0, 0], matrices[:, 1, 1] = 1.0, np.where(flip, -1.0, 1.0)
        offsets = -np.einsum("nij,nj->ni", matrices, shift)
        out = affine_warp(images, xp.asarray(matrices), xp.asarray(offsets), fill="edge")
        if not self.jitter:
            return out
        low, high = 1 - self.jitter, 1 + self.jitter
        brightness, contrast, saturation = (xp.asarray(rng.uniform(low, high, (n, 1, 1, 1)).astype(out.dtype))
                                            for _ in range(3))
        out = out * brightness
        mean = xp.mean(out, axis=(1, 2, 3), keepdims=True)
        out = mean + contrast * (out - mean)
        if c == 3:
            grey = xp.sum(out * xp.asarray(np.array(LUMA, out.dtype).reshape(1, 3, 1, 1)), axis=1, keepdims=True)
            out = grey + saturation * (out - grey)
        return xp.clip(out, 0.0, 1.0)

    def config(self) -> dict:
        """``flip``, ``shift`` and ``jitter``.

        Returns
        -------
        dict
        """
        return {"flip": self.flip, "shift": self.shift, "jitter": self.jitter}

    def __repr__(self) -> str:
        return f"PhotoAugment(flip={self.flip}, shift={self.shift:g}, jitter={self.jitter:g})"
