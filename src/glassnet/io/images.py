"""Prepare an ordinary picture of one handwritten digit the way MNIST's images were made.

MNIST's digits are white on black, cropped to the digit, scaled (keeping the
aspect ratio) to fit a 20x20 box, then placed in a 28x28 image so that their
centre of mass is at the centre. :func:`prepare_digit` does the same to a
photo or a drawing: any size, colour or grey, dark ink on light paper or the
reverse, PNG, JPEG or anything else Pillow reads. For the 8x8 digits dataset
the digit fills a 32x32 box that is then averaged in 4x4 blocks, as the
original bitmaps were.

Pillow is needed (the ``app`` extra: ``pip install -e '.[app]'`` in the glassnet folder).

Decoding the picture within its pixel budget, and reading its grey levels,
is :mod:`.decoding`'s part (its names can be imported from here as well; the
budget and the wait are read there, so that is where a test changes them).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ImageError, ImageTooLargeError, OptionError, ServerBusyError
from .decoding import (
    DECODE_BUDGET,
    DECODE_SLOTS,
    DECODE_WAIT,
    FLAT,
    LARGE_PICTURE,
    MAX_PIXELS,
    WORK_SIDE,
    PixelBudget,
    _pil,
    contrasting_paper,
    open_image,
    pixel_budget,
    to_grey,
)

__all__ = ["DECODE_BUDGET", "DECODE_SLOTS", "DECODE_WAIT", "EIGHT_NEIGHBOURS", "FLAT", "LARGE_PICTURE", "MAX_PIXELS",
           "UNEVEN", "WORK_SIDE", "ImageError", "ImageTooLargeError", "PixelBudget", "ServerBusyError", "background",
           "center_in_canvas", "drop_specks", "ink_on_black", "model_image_shape", "open_image", "pixel_budget",
           "prepare_digit", "to_grey"]

#: how far apart (in grey levels from 0 to 1) the medians of a picture's four sides may be before its
#: lighting counts as uneven
UNEVEN = 0.05
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """White ink on black, background at 0 and ink at up to 1, whatever the picture's polarity.

    The picture is inverted when more ink lies below the paper than above
    it: the paper is the lighting's smooth surface (:func:`background`, on
    either side), and each pixel weighs by the fourth power of its distance
    from it (dark ink on paper of any brightness, its centre lit more than
    its corners). Where the four sides of the picture then agree on the
    paper's level (within :data:`UNEVEN`), that level is subtracted; where
    they do not, the lighting is uneven and the paper is estimated as a
    smooth surface (see :func:`background`), so that a lighting gradient does
    not pass for ink. Sides that agree but are each uneven along their
    length take the surface too, where it leaves the border clearly darker
    than the one level would (corners dimmed alike by vignetting); a table
    beside paper that lies askew, or noisy paper, keep the one level.

    Parameters
    ----------
    grey : array, shape (height, width)

    Returns
    -------
    float32 array, shape (height, width)
    """
    paper = float(np.median(_border(grey)))
    # more ink below the paper than above it: dark ink, inverted. The paper is the lighting's surface, so that a
    # lit centre over dim corners is no ink; each pixel counts by the fourth power of its distance from it, so
    # that the ink outweighs the paper's noise. (Paper lighter than mid-grey was the rule, which took a dim
    # photo's paper at 0.35 for a blackboard and found no digit on it.)
    # judged on at most about 260,000 pixels (every k-th row and column; a stroke k pixels wide is always in it):
    # full-size differences took tens of MB a picture, several at once, beside the decoding budget
    k = max(1, math.ceil(math.sqrt(grey.size / 2**18)))
    seen = grey[::k, ::k]
    off = seen - background(seen, either_ink=True)
    below, above = (float(np.sum(np.clip(side, 0, None) ** 4)) for side in (-off, off))
    a = 1.0 - grey if below > above or below == above and paper > 0.5 else grey.copy()
    sides = [a[0], a[-1], a[:, 0], a[:, -1]]
    levels = [float(np.median(side)) for side in sides]
    border = _border(a)
    spread = _middle_half(border)
    if max(levels) - min(levels) >= UNEVEN:  # a gradient across the picture: the paper is a smooth surface
        a -= background(a)
    elif spread >= UNEVEN and _brightest(border - _border(surface := background(a))) < \
            0.75 * _brightest(border - float(np.median(border))):
        # the sides agree, but each is uneven along its length, and a smooth surface leaves the border darker
        # than one level would: corners dimmed alike by vignetting. (Beside paper that lies askew, a table is
        # no smooth surface; on noisy paper the surface leaves as much as the level: those keep one level)
        a -= surface
    else:  # even lighting: one level for the whole paper
        a -= float(np.median(border))
    peak = float(a.max())
    if peak <= 0.05:
        raise ImageError("no digit found: the picture is blank or has no contrast")
    a /= peak
    a[a < 0.1] = 0.0  # paper texture and JPEG noise
    return a


def _border(a: np.ndarray) -> np.ndarray:
    """The pixels along the picture's four sides, in one array."""
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def _middle_half(values: np.ndarray) -> float:
    """How far apart the middle half of ``values`` lie (their interquartile range)."""
    low, high = np.quantile(values, [0.25, 0.75])
    return float(high - low)


def _brightest(values: np.ndarray) -> float:
    """Where the brightest tenth of ``values`` begins: how much ink a paper level leaves along the border."""
    return float(np.quantile(values, 0.9))


def background(a: np.ndarray, either_ink: bool = False) -> np.ndarray:
    """The paper under the ink: a quadratic surface fitted to the pixels that are not ink.

    Parameters
    ----------
    a : array, shape (height, width)
        Ink bright, paper dark.
    either_ink : bool
        The ink may be darker or lighter than the paper (its polarity not yet known): the
        surface is fitted to the middle 60 % of the pixels, and refitted to those near it on
        both sides.

    Returns
    -------
    float32 array, shape (height, width)

    Notes
    -----
    A lighting gradient across a photo makes the paper brighter on one side;
    a single level (the border's median) would leave a bright band beside the
    digit. The surface ``c0 + c1 x + c2 y + c3 x**2 + c4 x y + c5 y**2`` is
    fitted by least squares to the darker 60 % of 4,096 pixels drawn at
    random (a digit covers far less of a picture), then once more to the
    pixels within reach of that first fit.
    """
    h, w = a.shape
    # 4,096 pixels drawn at random, the same every time: a grid's every-nth pixel can land on nothing but a
    # pattern's dots (specks every 4th pixel read as the paper)
    ys, xs = np.divmod(np.random.default_rng(0).integers(0, h * w, min(h * w, 4096)), w)
    sample = a[ys, xs].astype(np.float64)
    y, x = ys / h - 0.5, xs / w - 0.5
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y])  # (6, n_samples)
    low, high = np.quantile(sample, [0.2, 0.8] if either_ink else [0.0, 0.6])
    keep = (sample >= low) & (sample <= high)
    for _ in range(2):
        # the 6x6 normal equations, formed without BLAS: the web server calls this from many threads
        D = design[:, keep]
        coef = np.linalg.solve(np.einsum("in,jn->ij", D, D) + 1e-9 * np.eye(6), np.einsum("in,n->i", D, sample[keep]))
        fit = np.einsum("in,i->n", design, coef)
        spread = float(np.std(sample[keep] - fit[keep]))
        reach = 3 * spread + 0.02
        keep = np.abs(sample - fit) <= reach if either_ink else sample <= fit + reach
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
    from scipy import ndimage  # SciPy is imported when a picture is first read, not with glassnet

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


def center_in_canvas(a: np.ndarray, box: int, canvas: int, centre: float | None = None) -> np.ndarray:
    """Crop to the ink, scale to fit ``box`` keeping the aspect, centre by mass in ``canvas``.

    Parameters
    ----------
    a : array, shape (height, width)
        Ink on black.
    box : int
        The side of the box the digit is scaled into.
    canvas : int
        The side of the result.
    centre : float, optional
        Where the centre of mass goes, in pixel indices along both axes: by default
        ``canvas / 2``, where MNIST's lie ((14, 14) in 28 x 28).

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
    small /= small.max() or 1.0  # thin strokes shrunk from a large picture blur faint: MNIST's ink peaks at 1
    total = small.sum()
    ys, xs = np.indices(small.shape)
    cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
    # MNIST's centres of mass lie at (14.0, 14.0) in pixel indices (13.99 and 14.01 over its test set)
    centre = canvas / 2 if centre is None else centre
    top = int(np.clip(round(centre - cy), 0, canvas - small.shape[0]))
    left = int(np.clip(round(centre - cx), 0, canvas - small.shape[1]))
    out = np.zeros((canvas, canvas), np.float32)
    out[top: top + small.shape[0], left: left + small.shape[1]] = small
    return out


#: the longest side, in pixels, that a model may ask pictures to be made at
MAX_SIDE = 4096


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
        rows, columns = int(shape[0]), int(shape[1])
    else:
        side = int(round(in_features ** 0.5)) if in_features else 0
        if in_features is None or side * side != in_features or side < 8:
            raise OptionError(f"this model takes {in_features} features, not a picture: it needs a model trained "
                              "on pictures (glassnet train --dataset digits, mnist or folder)")
        rows = columns = side
    if max(rows, columns) > MAX_SIDE:
        raise OptionError(f"this model takes pictures of {rows:,} x {columns:,} pixels; pictures are made at most "
                          f"{MAX_SIDE:,} pixels a side")
    return rows, columns


def prepare_digit(source, image_shape: tuple[int, int] = (28, 28), name: str = "image") -> np.ndarray:
    """A picture of one digit as the network's input image, float32 in [0, 1], ``image_shape``.

    (28, 28): MNIST's preparation (20x20 box, centred by mass). (8, 8): the
    digits dataset's (32x32 box, 4x4 block averages). Other square shapes
    scale MNIST's box proportionally.

    Parameters
    ----------
    source : str, path_like, bytes, file_like or PIL.Image.Image
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
    a = drop_specks(ink_on_black(to_grey(img, paper=contrasting_paper)))  # white ink on a transparent canvas too
    if tuple(image_shape) == (8, 8):
        big = center_in_canvas(a, 32, 32, centre=15.5)  # the 8x8 digits' centres lie near (3.5, 3.6)
        return big.reshape(8, 4, 8, 4).mean(axis=(1, 3))
    return center_in_canvas(a, max(1, round(side * 20 / 28)), side)
