"""Photos as a model reads them: colour or grey, resized to a square with the aspect kept.

A model trained on a folder of pictures (:func:`glassnet.datasets.load_folder`)
remembers in its metadata how its pictures were made, under ``"picture"``:
``{"size": 32, "channels": 3, "fit": "pad"}``. :func:`preparation_of` reads
that back, so that ``glassnet predict``, the web page and the teach page make
every new picture the same way; a model without it reads digits, prepared
the way MNIST's were (:mod:`.images`). Either way the input is plain pixel
values in [0, 1], shape (channels, rows, columns): a photo model's own first
layer (:class:`glassnet.Normalize`) centres and scales its channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core._validation import short
from ..errors import OptionError
from .decoding import on_white_paper, open_image, pixel_budget, to_grey
from .images import MAX_SIDE, model_image_shape, prepare_digit

FITS = ("pad", "crop")


def picture_array(img: Any, color: str) -> np.ndarray:
    """A decoded picture as float32 values in [0, 1], shape (height, width, channels): 1 for grey, 3 for RGB.

    Parameters
    ----------
    img : PIL.Image.Image
    color : "rgb" or "grey"
        "grey" turns colour to grey levels; "rgb" repeats a grey picture's level in three channels.

    Returns
    -------
    float32 array
    """
    from PIL import Image

    colourful = img.mode == "P" or Image.getmodebase(img.mode) == "RGB"  # RGB(A), RGBa, palettes (PA too), CMYK...
    if color == "grey" or not colourful:
        grey = to_grey(img, stretch=False)  # 16 bits as 8: each divided by its whole range
        return grey[..., None] if color == "grey" else np.repeat(grey[..., None], 3, axis=2)
    # transparency counts as white paper, as for the digits
    return np.asarray(on_white_paper(img).convert("RGB"), dtype=np.float32) / 255.0


def fit_square(a: np.ndarray, size: int, fit: str) -> np.ndarray:
    """``a`` resized to ``size`` x ``size`` with its aspect kept: padded with its border's mean, or cropped.

    Parameters
    ----------
    a : float32 array, shape (height, width, channels)
    size : int
    fit : "pad" or "crop"

    Returns
    -------
    float32 array, shape (size, size, channels)
    """
    from PIL import Image

    h, w, c = a.shape
    scale = size / max(h, w) if fit == "pad" else size / min(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    box = None
    if fit == "crop":  # only the square kept is resized: the part of the picture it covers, as a box
        top, left = (nh - size) // 2, (nw - size) // 2
        box = (left * w / nw, top * h / nh, (left + size) * w / nw, (top + size) * h / nh)
        nh = nw = size  # resizing the whole picture first took 2 GB for a 1 x 60,000 one
    planes = [np.asarray(Image.fromarray(a[..., k]).resize((nw, nh), Image.Resampling.BILINEAR, box=box,
                                                           reducing_gap=3.0)) for k in range(c)]
    small = np.clip(np.stack(planes, axis=2), 0.0, 1.0)
    if fit == "crop":
        return small
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]]).mean(axis=0)
    out = np.empty((size, size, c), dtype=np.float32)
    out[...] = border
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = small
    return out


def prepare_photo(source: Any, size: int, channels: int = 3, fit: str = "pad", name: str = "image") -> np.ndarray:
    """A picture as a photo model's input: float32 in [0, 1], shape (channels, size, size).

    Read through the guarded decoder (its pixel budget set by ``size``),
    turned to grey or RGB, then resized with its aspect kept and padded or
    cropped, exactly as :func:`glassnet.datasets.load_folder` reads a folder.

    Parameters
    ----------
    source : str, path_like, bytes, file_like or PIL.Image.Image
    size : int
    channels : 1 or 3
    fit : "pad" or "crop"
    name : str
        How messages name the picture.

    Returns
    -------
    float32 array, shape (channels, size, size)
    """
    img = open_image(source, name, max_pixels=pixel_budget((size, size)))
    a = fit_square(picture_array(img, "grey" if channels == 1 else "rgb"), size, fit)
    return np.ascontiguousarray(a.transpose(2, 0, 1))


@dataclass(frozen=True)
class Preparation:
    """How a model's pictures are made from a file: a digit the way MNIST's were, or a photo.

    Attributes
    ----------
    kind : "digit" or "photo"
    shape : (channels, rows, columns)
        The model's input, one picture.
    fit : "pad" or "crop"
        For photos: how a picture that is not square becomes one.
    """

    kind: str
    shape: tuple[int, int, int]
    fit: str = "pad"

    def prepare(self, source: Any, name: str = "image") -> np.ndarray:
        """The model's input for one picture: float32 in [0, 1], shape :attr:`shape`.

        Parameters
        ----------
        source : str, path_like, bytes, file_like or PIL.Image.Image
        name : str
            How messages name the picture.

        Returns
        -------
        float32 array
        """
        c, rows, _ = self.shape
        if self.kind == "photo":
            return prepare_photo(source, rows, c, self.fit, name)
        return prepare_digit(source, self.shape[1:], name=name)[None]

    def metadata(self) -> dict:
        """The model-file metadata that describes this preparation (``{}`` for digits, which is the default).

        Returns
        -------
        dict
        """
        if self.kind != "photo":
            return {}
        return {"picture": {"size": self.shape[1], "channels": self.shape[0], "fit": self.fit}}


def check_picture(picture: Any, in_features: int | None) -> tuple[int, int, str]:
    """A model file's ``picture`` metadata checked: (size, channels, fit).

    Parameters
    ----------
    picture : object
        The value read from the file.
    in_features : int or None
        The model's input width, which must be ``channels * size * size``.

    Returns
    -------
    (size, channels, fit)

    Raises
    ------
    OptionError
    """
    ok = isinstance(picture, dict) and all(
        isinstance(picture.get(k), int) and not isinstance(picture.get(k), bool) for k in ("size", "channels"))
    if ok:
        size, channels, fit = picture["size"], picture["channels"], picture.get("fit", "pad")
        ok = 1 <= size <= MAX_SIDE and channels in (1, 3) and fit in FITS and (
            in_features is None or channels * size * size == in_features)
    if not ok:
        raise OptionError(f"its picture metadata must be {{size, channels (1 or 3), fit (pad or crop)}} with "
                          f"channels x size x size = the model's {in_features} inputs; received {short(picture)}")
    return size, channels, fit


def preparation_of(in_features: int | None, metadata: dict, input_shape: tuple | None = None) -> Preparation:
    """How to make a picture for a model, from its metadata: a photo model's ``picture``, else a digit's shape.

    A model of square colour pictures whose metadata says nothing of them, as one saved from Python, reads
    photos as :func:`glassnet.datasets.load_folder` makes them by default (``fit="pad"``), where it was
    refused ("takes 768 features, not a picture"). A grey model with no ``picture`` in its metadata reads
    digits, made as MNIST's were: save a grey photo model with its ``picture`` (see own-pictures.md).

    Parameters
    ----------
    in_features : int or None
        The model's input width.
    metadata : dict
        The model file's metadata.
    input_shape : tuple, optional
        The model's input shape, one sample's.

    Returns
    -------
    Preparation

    Raises
    ------
    OptionError
        For a model that does not read pictures (see :func:`glassnet.io.images.model_image_shape`).
    """
    if metadata.get("picture") is not None:
        size, channels, fit = check_picture(metadata["picture"], in_features)
        return Preparation("photo", (channels, size, size), fit)
    shape = tuple(input_shape or ())
    if metadata.get("image_shape") is None and len(shape) == 3 and shape[0] == 3 and shape[1] == shape[2] <= MAX_SIDE:
        return Preparation("photo", shape, "pad")  # no digit is in colour
    digit = (1, *model_image_shape(in_features, metadata))
    if len(shape) == 3 and shape != digit:  # (1, 16, 64) was given a 32x32 digit, (4, 8, 8) a 16x16 one
        raise OptionError(f"this model takes input of shape {shape}, not a picture glassnet makes from a file: a "
                          "grey digit, or a square photo of 1 or 3 channels (see its picture metadata)")
    return Preparation("digit", digit)


__all__ = ["FITS", "Preparation", "check_picture", "fit_square", "picture_array", "prepare_photo",
           "preparation_of"]
