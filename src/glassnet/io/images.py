"""Prepare an ordinary picture of one handwritten digit the way MNIST's images were made.

MNIST's digits are white on black, cropped to the digit, scaled (keeping the
aspect ratio) to fit a 20x20 box, then placed in a 28x28 image so that their
centre of mass is at the centre. :func:`prepare_digit` does the same to a
photo or a drawing: any size, colour or grey, dark ink on light paper or the
reverse, PNG, JPEG or anything else Pillow reads. For the 8x8 digits dataset
the digit fills a 32x32 box that is then averaged in 4x4 blocks, as the
original bitmaps were.

Pillow is needed (``pip install glassnet[app]``).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import ImageError, ImageTooLargeError, OptionError, missing

#: pictures with more pixels than this are refused before they are decoded
MAX_PIXELS = 40_000_000


def _pil():
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise missing("Pillow", "app", "reading pictures") from None
    return Image, ImageOps


def open_image(source, name: str = "image"):
    """A Pillow image from a path, bytes or a binary file; refuses non-images and huge pictures.

    Parameters
    ----------
    source : str, path-like, bytes, file-like or PIL.Image.Image
    name : str
        How messages name the picture.

    Returns
    -------
    PIL.Image.Image
    """
    Image, ImageOps = _pil()
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        if Path(source).is_dir():
            raise ImageError(f"{source} is a folder, not a picture file")
        if not Path(source).is_file():
            raise FileNotFoundError(f"picture not found: {source}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(source)
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageTooLargeError(f"{name} is too large: {w}x{h} pixels (the limit is {MAX_PIXELS:,} pixels)")
            img.load()
        except ImageError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLargeError(f"{name} is too large to decode safely: {exc}") from None
        except Image.UnidentifiedImageError:
            raise ImageError(f"{name} is not a picture glassnet can read (PNG, JPEG, GIF, BMP, TIFF, WebP ...)") \
                from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageError(f"{name} is a damaged picture: {exc}") from None
    return ImageOps.exif_transpose(img)


def to_grey(img) -> np.ndarray:
    """Grey levels in [0, 1]; transparent areas count as white paper.

    Parameters
    ----------
    img : PIL.Image.Image

    Returns
    -------
    float32 array, shape (height, width)
    """
    Image, _ = _pil()
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """White ink on black, background at 0 and ink at up to 1, whatever the picture's polarity.

    The background is the median of the border pixels: a light one is inverted.

    Parameters
    ----------
    grey : array, shape (height, width)

    Returns
    -------
    float32 array, shape (height, width)
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    a = 1.0 - grey if np.median(border) > 0.5 else grey.copy()
    background = float(np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])))
    a -= background
    peak = float(a.max())
    if peak <= 0.05:
        raise ImageError("no digit found: the picture is blank or has no contrast")
    a /= peak
    a[a < 0.1] = 0.0  # paper texture and JPEG noise
    return a


def center_in_canvas(a: np.ndarray, box: int, canvas: int) -> np.ndarray:
    """Crop to the ink, scale to fit ``box`` keeping the aspect, centre by mass in ``canvas``.

    Parameters
    ----------
    a : array, shape (height, width)
        Ink on black.
    box : int
        The side of the box the digit is scaled into.
    canvas : int
        The side of the result.

    Returns
    -------
    float32 array, shape (canvas, canvas)
    """
    Image, _ = _pil()
    rows, cols = np.nonzero(a > 0.2)
    if rows.size == 0:
        raise ImageError("no digit found: no ink stands out from the background")
    crop = a[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS), dtype=np.float32)
    small = np.clip(small, 0.0, 1.0)
    total = small.sum()
    ys, xs = np.indices(small.shape)
    cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
    top = int(np.clip(round(canvas / 2 - 0.5 - cy), 0, canvas - small.shape[0]))
    left = int(np.clip(round(canvas / 2 - 0.5 - cx), 0, canvas - small.shape[1]))
    out = np.zeros((canvas, canvas), np.float32)
    out[top: top + small.shape[0], left: left + small.shape[1]] = small
    return out


def prepare_digit(source, image_shape: tuple[int, int] = (28, 28), name: str = "image") -> np.ndarray:
    """A picture of one digit as the network's input image, float32 in [0, 1], ``image_shape``.

    (28, 28): MNIST's preparation (20x20 box, centred by mass). (8, 8): the
    digits dataset's (32x32 box, 4x4 block averages). Other square shapes
    scale MNIST's box proportionally.

    Parameters
    ----------
    source : str, path-like, bytes, file-like or PIL.Image.Image
    image_shape : (side, side)
    name : str
        How messages name the picture.

    Returns
    -------
    float32 array, shape ``image_shape``
    """
    img = open_image(source, name)
    a = ink_on_black(to_grey(img))
    side = image_shape[0]
    if image_shape[0] != image_shape[1]:
        raise OptionError(f"image_shape must be square; received {image_shape}")
    if tuple(image_shape) == (8, 8):
        big = center_in_canvas(a, 32, 32)
        return big.reshape(8, 4, 8, 4).mean(axis=(1, 3))
    return center_in_canvas(a, max(1, round(side * 20 / 28)), side)
