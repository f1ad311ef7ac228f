"""A folder of photos to train on: four kinds of shapes, drawn at random, with test pictures on new backgrounds.

    python examples/shapes.py DIR [--train 120] [--test 40] [--seed 0]

writes ``DIR/train/<class>/*`` and ``DIR/test/<class>/*`` for the classes
circle, cross, square and triangle. What a network must learn is the shape
alone, so everything else is drawn independently of the class:

- the shape's colour and the background's colours are random;
- the shape's size (a third to three quarters of the picture), turn and
  position vary;
- the training pictures lie on two-colour gradients, stripes and checks; the
  test pictures on blotches and waves, kinds of background never seen in training;
- the files are of mixed sizes (48 to 160 pixels a side, not square) and
  kinds: JPEG, RGB and RGBA PNG, palette PNG, 8-bit and 16-bit grey PNG.

Then ``glassnet train --dataset folder --data DIR/train`` and
``glassnet predict glassnet-out/model.glassnet DIR/test/circle/*``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("circle", "cross", "square", "triangle")
SUPERSAMPLE = 4  # shapes are drawn this much larger, then reduced: smooth edges
KINDS = ("jpeg", "png", "rgba", "palette", "grey", "grey16")


def luminance(rgb: np.ndarray) -> float:
    """ITU-R 601 luma of a colour in [0, 255], as Pillow's grey conversion weighs it."""
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shape's colour and the background's two, the shape's luma at least 60 levels from both of theirs.

    A grey copy of the picture must still show the shape, so the gap is in luma, not only in hue.
    """
    while True:
        shape, a, b = rng.integers(0, 256, (3, 3)).astype(np.float64)
        if min(abs(luminance(shape) - luminance(a)), abs(luminance(shape) - luminance(b))) >= 60:
            if (luminance(a) - luminance(shape)) * (luminance(b) - luminance(shape)) > 0:  # both on one side
                return shape, a, b


def gradient(h: int, w: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth background: colour ``a`` fading to ``b`` along a random direction, with a little noise."""
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:h, 0:w]
    t = (np.cos(angle) * xs / w + np.sin(angle) * ys / h)
    t = (t - t.min()) / max(np.ptp(t), 1e-9)
    picture = a + (b - a) * t[..., None]
    return picture + rng.normal(0, 6, picture.shape)


def stripes(h: int, w: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stripes of ``a`` and ``b`` at a random angle and width."""
    u = coordinates(h, w, rng)[0]
    return np.where(((u // period(h, w, rng)) % 2 > 0)[..., None], a, b) + rng.normal(0, 6, (h, w, 3))


def checks(h: int, w: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A turned chequerboard of ``a`` and ``b``."""
    u, v = coordinates(h, w, rng)
    size = period(h, w, rng)
    return np.where(((u // size + v // size) % 2 > 0)[..., None], a, b) + rng.normal(0, 6, (h, w, 3))


def blotches(h: int, w: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Soft blotches of ``a`` on ``b``: coarse noise, enlarged smoothly."""
    coarse = Image.fromarray((rng.random((4, 4)) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    t = np.asarray(coarse, dtype=np.float64)[..., None] / 255
    return b + (a - b) * t + rng.normal(0, 6, (h, w, 3))


def waves(h: int, w: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Wavy bands of ``a`` and ``b``, blending smoothly into each other."""
    u, v = coordinates(h, w, rng)
    bend = rng.uniform(0.5, 2.0) * np.sin(2 * math.pi * v / period(h, w, rng) / 3)
    t = (0.5 + 0.5 * np.sin(2 * math.pi * u / period(h, w, rng) / 2 + bend))[..., None]
    return b + (a - b) * t + rng.normal(0, 6, (h, w, 3))


def coordinates(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates along and across a random direction."""
    ys, xs = np.mgrid[0:h, 0:w]
    angle = rng.uniform(0, math.pi)
    return np.cos(angle) * xs + np.sin(angle) * ys, -np.sin(angle) * xs + np.cos(angle) * ys


def period(h: int, w: int, rng: np.random.Generator) -> float:
    """A stripe's or a square's width: 6 to 16 pixels in a 64-pixel picture."""
    return rng.uniform(6, 16) * max(h, w) / 64


#: the backgrounds of the training pictures, and the other kinds, of the test pictures
TRAINING_BACKGROUNDS = (gradient, stripes, checks)
TEST_BACKGROUNDS = (blotches, waves)


def outline(kind: str, radius: float, turn: float) -> list[tuple[float, float]]:
    """The corners of a shape around (0, 0), ``radius`` from its centre to its farthest point."""
    if kind == "circle":
        corners = [(radius * math.cos(t), radius * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 64)]
    elif kind == "square":
        corners = [(radius * math.cos(t), radius * math.sin(t)) for t in np.arange(4) * math.pi / 2 + math.pi / 4]
    elif kind == "triangle":
        corners = [(radius * math.cos(t), radius * math.sin(t)) for t in np.arange(3) * 2 * math.pi / 3]
    else:  # a plus sign: arms a third of its width
        a, b = radius / math.sqrt(1 + 1 / 9), radius / math.sqrt(1 + 1 / 9) / 3
        corners = [(b, a), (b, b), (a, b), (a, -b), (b, -b), (b, -a), (-b, -a), (-b, -b), (-a, -b), (-a, b),
                   (-b, b), (-b, a)]
    cos, sin = math.cos(turn), math.sin(turn)
    return [(x * cos - y * sin, x * sin + y * cos) for x, y in corners]


def picture(kind: str, test: bool, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """One picture of a shape of ``kind``, as an RGB image, and the name of its background's kind."""
    w = int(rng.integers(48, 161))
    h = int(np.clip(w * rng.uniform(0.75, 1.33), 48, 160))
    shape, a, b = colours(rng)
    kinds = TEST_BACKGROUNDS if test else TRAINING_BACKGROUNDS
    draw = kinds[int(rng.integers(len(kinds)))]
    back = draw(h, w, a, b, rng)
    radius = min(h, w) * rng.uniform(0.33, 0.75) / 2
    cx, cy = rng.uniform(radius, w - radius), rng.uniform(radius, h - radius)
    mask = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    corners = [((cx + x) * SUPERSAMPLE, (cy + y) * SUPERSAMPLE)
               for x, y in outline(kind, radius, rng.uniform(0, 2 * math.pi))]
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    cover = np.asarray(mask.resize((w, h), Image.Resampling.BOX), dtype=np.float64)[..., None] / 255
    return Image.fromarray(np.clip(back * (1 - cover) + shape * cover, 0, 255).astype(np.uint8)), draw.__name__


def save(img: Image.Image, path: Path, kind: str, rng: np.random.Generator) -> Path:
    """``img`` written as one of :data:`KINDS` of file; returns the path with its suffix."""
    if kind == "jpeg":
        path = path.with_suffix(".jpg")
        img.save(path, quality=int(rng.integers(80, 96)))
    elif kind == "rgba":
        path = path.with_suffix(".png")
        img.convert("RGBA").save(path)
    elif kind == "palette":
        path = path.with_suffix(".png")
        img.quantize(64).save(path)
    elif kind == "grey":
        path = path.with_suffix(".png")
        img.convert("L").save(path)
    elif kind == "grey16":
        path = path.with_suffix(".png")
        levels = np.asarray(img.convert("L"), dtype=np.uint16) * 257
        Image.fromarray(levels).save(path)
    else:
        path = path.with_suffix(".png")
        img.save(path)
    return path


def make(root: str | Path, train: int = 120, test: int = 40, seed: int = 0) -> Path:
    """Write the training and test folders under ``root``; returns ``root``.

    Parameters
    ----------
    root : str or path
    train, test : int
        Pictures per class.
    seed : int

    Returns
    -------
    Path
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        for kind in CLASSES:
            folder = root / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                img, background = picture(kind, split == "test", rng)
                save(img, folder / f"{kind}-{i:03d}-{background}", KINDS[int(rng.integers(len(KINDS)))], rng)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--train", type=int, default=120, help="training pictures per class")
    parser.add_argument("--test", type=int, default=40, help="test pictures per class")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root = make(args.folder, args.train, args.test, args.seed)
    print(f"wrote {len(CLASSES)} classes to {root}/train ({args.train} each) and {root}/test ({args.test} each)")


if __name__ == "__main__":
    main()
