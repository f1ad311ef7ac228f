"""Decoding a picture within bounds, and reading its grey levels.

A picture sent to the web page or named on the command line can be of any
size; its header is read first, and one that would decode to more pixels than
its budget is refused before it is decoded. A JPEG is decoded at a reduced
scale, anything else reduced right after decoding, so that the work that
follows is on at most about :data:`WORK_SIDE` pixels a side. Large pictures
decode on threads of their own and share one budget of pixels in flight
(:class:`PixelBudget`), so that many uploads at once cannot exhaust memory.
:func:`to_grey` then turns any mode (8-bit, 16-bit, float, transparent) into
grey levels in [0, 1]; :mod:`.images` prepares the digit from them.

Pillow is needed (the ``app`` extra: ``pip install -e '.[app]'`` in the glassnet folder).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..core._validation import not_a_file
from ..errors import ImageError, ImageTooLargeError, ServerBusyError, missing

#: pictures with more pixels than this are refused before they are decoded, whatever the model
MAX_PIXELS = 40_000_000
#: pictures are worked on at about this many pixels on a side (the digit ends in a 20-pixel box):
#: JPEGs are decoded at a reduced scale (Pillow's draft), others reduced right after decoding,
#: before any floating-point work
WORK_SIDE = 512
#: pictures larger than this decode on DECODE_SLOTS threads of their own: small ones never wait, and
#: the memory the decoder frees stays with those threads' allocator arenas to be used again, rather
#: than lingering in the arenas of every server thread that once decoded a large picture
LARGE_PICTURE = 1_000_000
DECODE_SLOTS = 2
_decoders = ThreadPoolExecutor(DECODE_SLOTS, thread_name_prefix="glassnet-decode")
#: the most pixels of large pictures being decoded at once, across every thread of the process: a
#: decoded pixel takes up to 4 bytes (RGBA, 32-bit grey) and its reduction or conversion as much again,
#: so the decodes in flight hold at most about 100 MB, however many uploads arrive together. Only JPEG
#: decodes at a reduced scale; a PNG or TIFF is decoded whole
DECODE_BUDGET = 12_000_000
#: how long a large picture waits for room in :data:`DECODE_BUDGET` before it is answered "busy"
DECODE_WAIT = 5.0


class PixelBudget:
    """Pixels that the decodes in flight may hold together; a decode waits for its share, for a while.

    Parameters
    ----------
    total : int
        The pixels that may be decoded at once.
    """

    def __init__(self, total: int) -> None:
        self.total = self.free = int(total)
        self._room = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels: int, wait: float | None = None):
        """Hold ``pixels`` of the budget for the ``with`` block, waiting at most ``wait`` seconds for them.

        Parameters
        ----------
        pixels : int
            At most :attr:`total`.
        wait : float, optional
            :data:`DECODE_WAIT` by default.

        Raises
        ------
        ServerBusyError
            When the room did not come in time: the caller may try again shortly.
        """
        pixels = min(int(pixels), self.total)
        with self._room:
            if not self._room.wait_for(lambda: self.free >= pixels, timeout=DECODE_WAIT if wait is None else wait):
                raise ServerBusyError(f"other large pictures are being decoded (at most {self.total:,} pixels at "
                                      "once): send the picture again in a few seconds")
            self.free -= pixels
        try:
            yield
        finally:
            with self._room:
                self.free += pixels
                self._room.notify_all()


_BUDGET = PixelBudget(DECODE_BUDGET)
#: the share of a 16- or 32-bit format's range that a picture must span to be stretched to full contrast
FLAT = 0.05


def pixel_budget(image_shape: tuple[int, int]) -> int:
    """The most pixels a picture for a model of ``image_shape`` may have, in proportion to its need.

    Parameters
    ----------
    image_shape : (rows, columns)
        What the model takes.

    Returns
    -------
    int
        10,000 pixels of picture per pixel of input, at least 4 megapixels and at most
        :data:`DECODE_BUDGET`: 7.84 megapixels for MNIST's 28x28 (a 3,400 x 2,300 picture; a
        photo's JPEG of any size is decoded at a reduced scale first, and a progressive one of up to
        16 megapixels), 4 for the 8x8 digits.
    """
    return int(min(DECODE_BUDGET, max(4_000_000, 10_000 * image_shape[0] * image_shape[1])))


def _pil():
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise missing("Pillow", "app", "reading pictures") from None
    return Image, ImageOps


def open_image(source, name: str = "image", max_pixels: int = MAX_PIXELS):
    """A Pillow image from a path, bytes or a binary file, decoded within bounds.

    The size is read from the header first. A JPEG is decoded at the smallest
    of its built-in reduced scales (1/2 to 1/8) that still has
    :data:`WORK_SIDE` pixels on a side; other formats are decoded whole and
    reduced to that afterwards. What would be decoded must not exceed
    ``max_pixels``: a larger picture is refused before it is decoded. Large
    pictures wait for their share of :data:`DECODE_BUDGET`, the pixels all
    decodes in flight may hold together, and for a decoding thread.

    Parameters
    ----------
    source : str, path_like, bytes, file_like or PIL.Image.Image
    name : str
        How messages name the picture.
    max_pixels : int
        The most pixels accepted (see :func:`pixel_budget`).

    Raises
    ------
    ServerBusyError
        When other decodes held the budget for longer than :data:`DECODE_WAIT`.

    Returns
    -------
    PIL.Image.Image
        Turned upright as its EXIF orientation says, at most about
        ``2 * WORK_SIDE`` pixels on a side.
    """
    Image, _ = _pil()
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        return _decode(io.BytesIO(source), name, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():  # a folder, a device or a FIFO (which would block), or nothing
            raise not_a_file(source, "picture file", ImageError)
        with open(source, "rb") as file:  # closed however the decoding ends: it has read all it needs
            return _decode(file, name, max_pixels)
    return _decode(source, name, max_pixels)


def _decode(source, name: str, max_pixels: int):
    """:func:`open_image` on an open binary file: the header, the checks, the decoding."""
    Image, ImageOps = _pil()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(source)  # reads the header only
            full = img.size
            if img.format == "JPEG":  # decode at the smallest built-in scale (1/2 to 1/8) that is big enough
                img.draft("L" if img.mode == "L" else "RGB", (WORK_SIDE, WORK_SIDE))
            w, h = img.size  # what will be decoded
            if w * h > max_pixels or full[0] * full[1] > 64 * MAX_PIXELS:
                raise ImageTooLargeError(f"{name} is too large: {full[0]}x{full[1]} pixels (pictures of up to "
                                         f"{max_pixels:,} pixels are read)")
            # a progressive JPEG holds the coefficients of the whole picture while it decodes, at any draft
            # scale: up to 6 bytes a pixel, 3/4 of a budgeted pixel's 8 (a 9000 x 9000 one took 513 MB where a
            # baseline one took 46). A phone's 12-megapixel photo fits; 16 megapixels fill the budget
            progressive = img.format == "JPEG" and bool(img.info.get("progressive"))
            held = -(-3 * full[0] * full[1] // 4) if progressive else w * h
            if progressive and held > DECODE_BUDGET:
                raise ImageTooLargeError(f"{name} is too large: a progressive JPEG of {full[0]}x{full[1]} pixels, "
                                         f"whose decoder holds the whole picture (progressive JPEGs of up to "
                                         f"{4 * DECODE_BUDGET // 3:,} pixels are read)")
            if held > LARGE_PICTURE:
                with _BUDGET.hold(held):
                    img = _decoders.submit(_load_and_reduce, img).result()
            else:
                img.load()
        except (ImageError, ServerBusyError):
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:  # Pillow's own bound, met
            size = re.search(r"\((\d+) pixels\)", str(exc))  # in its header: the bound to name is glassnet's
            pixels = f"{int(size[1]):,} pixels" if size else "more pixels than Pillow decodes"
            raise ImageTooLargeError(f"{name} is too large: {pixels} (pictures of up to {max_pixels:,} pixels "
                                     "are read)") from None
        except Image.UnidentifiedImageError:
            raise ImageError(f"{name} is not a picture glassnet can read (PNG, JPEG, GIF, BMP, TIFF, WebP ...)") \
                from None
        except (OSError, SyntaxError, ValueError, NotImplementedError) as exc:  # the last: a format's rare variant
            raise ImageError(f"{name} is a damaged picture: {exc}") from None
    try:
        return ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error):
        return img  # damaged EXIF data: the pixels as stored, upright or not, as a browser shows them


def _load_and_reduce(img):
    """Decode ``img`` and reduce it at once (on a decoder thread), so the full-size picture never leaves it."""
    img.load()
    return _reduce(img)


def _reduce(img):
    """``img`` averaged in blocks down to about :data:`WORK_SIDE` pixels on its longer side."""
    factor = max(img.size) // WORK_SIDE
    if factor < 2:
        return img
    if img.mode not in ("L", "RGB", "RGBA", "LA", "I", "F"):  # 16-bit to 32-bit integers: to_grey then reads
        img = img.convert("I" if img.mode.startswith("I") else "RGBA")  # them in 16 bits' range at any size
    return img.reduce(factor)


def to_grey(img, stretch: bool = True, paper: int | Callable[[Any], int] = 255) -> np.ndarray:
    """Grey levels in [0, 1]; transparent areas count as white paper (or ``paper``).

    8-bit pictures are divided by 255; 16-bit, 32-bit and floating-point ones
    are scaled from their darkest to their brightest value (clipping them to
    8 bits would lose the digit), unless that range is narrower than
    :data:`FLAT` of the format's: a nearly flat picture is not stretched
    into one that seems to hold a digit.

    Parameters
    ----------
    img : PIL.Image.Image
    stretch : bool
        False divides 16-bit and 32-bit integer pictures by their format's whole
        range instead (65,535 for 16 bits), as 8-bit ones by 255: a photo model
        then sees a picture alike in 8 bits and in 16. Floating-point pictures
        have no whole range to divide by and are scaled as above either way.
    paper : int or callable
        What transparent areas count as: see :func:`on_white_paper`.

    Returns
    -------
    float32 array, shape (height, width)
    """
    if img.mode.startswith("I") or img.mode == "F":  # 16- and 32-bit integers, floats: scaled to their range
        values = np.asarray(img, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ImageError("the picture holds values that are not finite numbers")
        # a range narrower than FLAT of what the format holds is not stretched to full contrast: a flat
        # picture stays flat (and shows no digit), as an 8-bit one divided by 255 does
        if img.mode == "F":  # floats: their own scale, at least [0, 1]
            full = max(1.0, abs(low), abs(high))
        else:  # 16-bit, or 32-bit integers
            full = 65535.0 if 0 <= low and high <= 65535 else float(2**32 - 1)
        if not stretch and img.mode != "F":
            return np.clip(values / full, 0.0, 1.0).astype(np.float32)
        return ((values - low) / max(high - low, FLAT * full)).astype(np.float32)
    return np.asarray(on_white_paper(img, paper).convert("L"), dtype=np.float32) / 255.0


def on_white_paper(img, paper: int | Callable[[Any], int] = 255):
    """``img`` laid on white paper where it is transparent; a picture without transparency as it is.

    "RGBa" and "La" (colours premultiplied by their alpha, as some TIFFs hold them) are made "RGBA" and "LA"
    first: their transparent areas were black, and "La" could not be turned grey at all. "LAB" is made "RGB",
    which Pillow can turn grey.

    Parameters
    ----------
    img : PIL.Image.Image
    paper : int, or callable
        The paper's grey level, 255 (white) by default; or a function of the "RGBA" picture that gives it
        (:func:`contrasting_paper`).

    Returns
    -------
    PIL.Image.Image
        "RGBA" where ``img`` has transparency.
    """
    Image, _ = _pil()
    if img.mode in ("RGBa", "La"):
        img = img.convert(img.mode.upper())
    if img.mode == "LAB":  # Pillow turns LAB colours into RGB, and from there into grey, but not into grey at once
        img = img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        level = paper(rgba) if callable(paper) else paper
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (level, level, level, 255)), rgba)
    return img


def contrasting_paper(rgba) -> int:
    """Black paper (0) for light ink on a transparent picture, white (255) for anything else.

    Where less than half the picture is opaque, its opaque pixels are taken for the ink: white strokes
    drawn on a transparent canvas, as a drawing program or a web canvas exports them, would vanish on
    white paper. A picture mostly opaque (a photo, a card with transparent corners) keeps white paper.

    Parameters
    ----------
    rgba : PIL.Image.Image
        In mode "RGBA".

    Returns
    -------
    int
        The paper's grey level, 0 or 255.
    """
    from PIL import ImageStat  # Pillow is loaded already: rgba is one of its images

    opaque = rgba.getchannel("A").point(lambda v: 255 if v >= 128 else 0)  # one byte a pixel, as is the grey
    share = ImageStat.Stat(opaque).mean[0] / 255
    if share == 0 or share >= 0.5:
        return 255
    ink = ImageStat.Stat(rgba.convert("L"), mask=opaque).mean[0]
    return 0 if ink > 127.5 else 255
