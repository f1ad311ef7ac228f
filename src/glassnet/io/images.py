"""Prepare an ordinary picture of one handwritten digit the way MNIST's images were made.

MNIST's digits are white on black, cropped to the digit, scaled (keeping the
aspect ratio) to fit a 20x20 box, then placed in a 28x28 image so that their
centre of mass is at the centre. :func:`prepare_digit` does the same to a
photo or a drawing: any size, colour or grey, dark ink on light paper or the
reverse, PNG, JPEG or anything else Pillow reads. For the 8x8 digits dataset
the digit fills a 32x32 box that is then averaged in 4x4 blocks, as the
original bitmaps were.

Pillow is needed (the ``app`` extra: ``pip install -e '.[app]'`` in the glassnet folder).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..errors import ImageError, ImageTooLargeError, OptionError, ServerBusyError, missing

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
#: how far apart (in grey levels from 0 to 1) the medians of a picture's four sides may be before its
#: lighting counts as uneven
UNEVEN = 0.05
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)
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
        photo's JPEG of any size is decoded at a reduced scale first), 4 for the 8x8 digits.
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
    source : str, path-like, bytes, file-like or PIL.Image.Image
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
            img = Image.open(source)  # reads the header only
            full = img.size
            if img.format == "JPEG":  # decode at the smallest built-in scale (1/2 to 1/8) that is big enough
                img.draft("L" if img.mode == "L" else "RGB", (WORK_SIDE, WORK_SIDE))
            w, h = img.size  # what will be decoded
            if w * h > max_pixels or full[0] * full[1] > 64 * MAX_PIXELS:
                raise ImageTooLargeError(f"{name} is too large: {full[0]}x{full[1]} pixels (pictures of up to "
                                         f"{max_pixels:,} pixels are read)")
            if w * h > LARGE_PICTURE:
                with _BUDGET.hold(w * h):
                    img = _decoders.submit(_load_and_reduce, img).result()
            else:
                img.load()
        except (ImageError, ServerBusyError):
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLargeError(f"{name} is too large to decode safely: {exc}") from None
        except Image.UnidentifiedImageError:
            raise ImageError(f"{name} is not a picture glassnet can read (PNG, JPEG, GIF, BMP, TIFF, WebP ...)") \
                from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageError(f"{name} is a damaged picture: {exc}") from None
    return ImageOps.exif_transpose(img)


def _load_and_reduce(img):
    """Decode ``img`` and reduce it at once (on a decoder thread), so the full-size picture never leaves it."""
    img.load()
    return _reduce(img)


def _reduce(img):
    """``img`` averaged in blocks down to about :data:`WORK_SIDE` pixels on its longer side."""
    factor = max(img.size) // WORK_SIDE
    if factor < 2:
        return img
    if img.mode not in ("L", "RGB", "RGBA", "LA", "I", "F"):
        img = img.convert("F" if img.mode.startswith("I") else "RGBA")
    return img.reduce(factor)


def to_grey(img) -> np.ndarray:
    """Grey levels in [0, 1]; transparent areas count as white paper.

    8-bit pictures are divided by 255; 16-bit, 32-bit and floating-point ones
    are scaled from their darkest to their brightest value (clipping them to
    8 bits would lose the digit), unless that range is narrower than
    :data:`FLAT` of the format's: a nearly flat picture is not stretched
    into one that seems to hold a digit.

    Parameters
    ----------
    img : PIL.Image.Image

    Returns
    -------
    float32 array, shape (height, width)
    """
    Image, _ = _pil()
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
        return ((values - low) / max(high - low, FLAT * full)).astype(np.float32)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """White ink on black, background at 0 and ink at up to 1, whatever the picture's polarity.

    The paper's side is the median of the border pixels: a light one is
    inverted. Where the four sides of the picture agree on the paper's level
    (within :data:`UNEVEN`), that level is subtracted; where they do not, the
    lighting is uneven and the paper is estimated as a smooth surface (see
    :func:`background`), so that a lighting gradient does not pass for ink.

    Parameters
    ----------
    grey : array, shape (height, width)

    Returns
    -------
    float32 array, shape (height, width)
    """
    sides = [grey[0], grey[-1], grey[:, 0], grey[:, -1]]
    a = 1.0 - grey if np.median(np.concatenate(sides)) > 0.5 else grey.copy()
    sides = [a[0], a[-1], a[:, 0], a[:, -1]]
    levels = [float(np.median(side)) for side in sides]
    if max(levels) - min(levels) < UNEVEN:  # even lighting: one level for the whole paper
        a -= float(np.median(np.concatenate(sides)))
    else:
        a -= background(a)
    peak = float(a.max())
    if peak <= 0.05:
        raise ImageError("no digit found: the picture is blank or has no contrast")
    a /= peak
    a[a < 0.1] = 0.0  # paper texture and JPEG noise
    return a


def background(a: np.ndarray) -> np.ndarray:
    """The paper under the ink: a quadratic surface fitted to the pixels that are not ink.

    Parameters
    ----------
    a : array, shape (height, width)
        Ink bright, paper dark.

    Returns
    -------
    float32 array, shape (height, width)

    Notes
    -----
    A lighting gradient across a photo makes the paper brighter on one side;
    a single level (the border's median) would leave a bright band beside the
    digit. The surface ``c0 + c1 x + c2 y + c3 x**2 + c4 x y + c5 y**2`` is
    fitted by least squares to the darker 60 % of a grid of at most 64 x 64
    pixels (a digit covers far less of a picture), then once more to the
    pixels within reach of that first fit.
    """
    h, w = a.shape
    step = max(1, max(h, w) // 64)
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    sample = a[::step, ::step].ravel().astype(np.float64)
    y, x = ys.ravel() / h - 0.5, xs.ravel() / w - 0.5
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y])  # (6, n_samples)
    keep = sample <= np.quantile(sample, 0.6)
    for _ in range(2):
        # the 6x6 normal equations, formed without BLAS: the web server calls this from many threads
        D = design[:, keep]
        coef = np.linalg.solve(np.einsum("in,jn->ij", D, D) + 1e-9 * np.eye(6), np.einsum("in,n->i", D, sample[keep]))
        fit = np.einsum("in,i->n", design, coef)
        spread = float(np.std(sample[keep] - fit[keep]))
        keep = sample <= fit + 3 * spread + 0.02
    c = coef.astype(np.float32)
    X = (np.arange(w, dtype=np.float32) / w - 0.5)[None, :]  # a row and a column: the surface is
    Y = (np.arange(h, dtype=np.float32) / h - 0.5)[:, None]  # built by broadcasting, one h x w array
    surface = (c[0] + c[1] * X + c[3] * X * X) + (c[2] * Y + c[5] * Y * Y)
    surface += c[4] * X * Y
    return surface


def drop_specks(a: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Keep the digit's strokes and drop isolated specks (dust, a dot beside the digit).

    Parameters
    ----------
    a : array, shape (height, width)
        Ink on black, as :func:`ink_on_black` returns it.
    threshold : float
        What counts as ink.

    Returns
    -------
    array, shape (height, width)
        ``a`` with the specks set to 0 (in place).

    Notes
    -----
    The largest connected piece of ink is the digit's body. Another piece is
    kept when it is at least 15 % of the body's size (the bar of a 5 written in
    two strokes) or lies within the body's bounding box grown by a fifth of its
    size (a broken stroke); anything else is a speck.
    """
    labels, n = ndimage.label(a > threshold, structure=EIGHT_NEIGHBOURS)
    if n < 2:
        return a
    sizes = np.bincount(labels.ravel())  # sizes[k]: pixels of piece k (0 is the paper)
    body = int(np.argmax(sizes[1:])) + 1
    boxes = ndimage.find_objects(labels)
    rows, cols = boxes[body - 1]
    grow = max(rows.stop - rows.start, cols.stop - cols.start) / 5
    top, bottom = rows.start - grow, rows.stop + grow
    left, right = cols.start - grow, cols.stop + grow
    keep = np.ones(n + 1, dtype=bool)
    for k, (r, c) in enumerate(boxes, start=1):
        near = r.start >= top and r.stop <= bottom and c.start >= left and c.stop <= right
        keep[k] = near or sizes[k] >= 0.15 * sizes[body]
    if not keep.all():
        a[~keep[labels]] = 0.0  # one pass, however many specks
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


def model_image_shape(in_features: int | None, metadata: dict) -> tuple[int, int]:
    """The picture size a model takes: from its metadata, or a square input of at least 8x8.

    Parameters
    ----------
    in_features : int or None
        The model's input width.
    metadata : dict
        The model file's metadata; ``image_shape`` when it was trained on pictures.

    Returns
    -------
    (rows, columns)

    Raises
    ------
    OptionError
        For a model that does not take pictures (a table's rows, say), or whose
        metadata disagrees with its input width.
    """
    shape = metadata.get("image_shape")
    if shape is not None:
        if (not isinstance(shape, (list, tuple)) or len(shape) != 2
                or not all(isinstance(v, int) and v > 0 for v in shape) or shape[0] * shape[1] != in_features):
            raise OptionError(f"the model's metadata gives image_shape {shape!r}, which does not match its "
                              f"{in_features} input features")
        return int(shape[0]), int(shape[1])
    side = int(round(in_features ** 0.5)) if in_features else 0
    if in_features is None or side * side != in_features or side < 8:
        raise OptionError(f"this model takes {in_features} features, not a picture: it needs a model trained on "
                          "pictures of digits (glassnet train --dataset digits or mnist)")
    return side, side


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
    side = image_shape[0]
    if image_shape[0] != image_shape[1]:
        raise OptionError(f"image_shape must be square; received {image_shape}")
    img = open_image(source, name, max_pixels=pixel_budget(image_shape))
    a = drop_specks(ink_on_black(to_grey(img)))
    if tuple(image_shape) == (8, 8):
        big = center_in_canvas(a, 32, 32)
        return big.reshape(8, 4, 8, 4).mean(axis=(1, 3))
    return center_in_canvas(a, max(1, round(side * 20 / 28)), side)
