"""A photographed-digit test set, made reproducibly, and the MLP's and the conv net's accuracy on it.

Each picture is a digit put on paper and photographed badly: MNIST test
digits and digits typed in several fonts, drawn dark on light paper or light
on dark, on coloured paper under a lighting gradient, with sensor noise,
specks of dirt, a slight turn, blur, JPEG compression, and often small and
off-centre. The pictures then go through ``glassnet.io.images.prepare_digit``,
the same preparation ``glassnet predict`` and the web page use.

    python benchmarks/photo_digits.py --data ../shared/data/mnist MLP.glassnet CNN.glassnet [--save DIR]

prints the accuracy of each model file (and, with --save, writes the pictures).
The set is drawn from seed 0: the same pictures on every machine.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from _args import counting
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf",
         "LiberationSans-Regular.ttf", "LiberationSerif-Italic.ttf"]
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]


def installed_fonts() -> list[Path]:
    """The files of :data:`FONTS` that this machine has, in that order."""
    found = (next((folder / name for folder in FONT_DIRS if (folder / name).exists()), None) for name in FONTS)
    return [path for path in found if path is not None]


def typed_digit(digit: int, rng: np.random.Generator) -> np.ndarray | None:
    """A digit typed in one of the installed fonts, as ink in [0, 1] on a 28x28 canvas (None without any)."""
    fonts = installed_fonts()
    pick, size = int(rng.integers(len(FONTS))), int(rng.integers(18, 26))
    if not fonts:
        return None
    face = ImageFont.truetype(str(fonts[pick % len(fonts)]), size)
    canvas = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(canvas).text((14, 14), str(digit), fill=255, font=face, anchor="mm")
    return np.asarray(canvas, np.float64) / 255.0


def photograph(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Ink in [0, 1] (28x28) put on paper and photographed: a JPEG of 96 to 200 pixels a side."""
    size = int(rng.integers(96, 201))
    scale = rng.uniform(0.35, 0.95) * size / 28  # the digit covers 35 to 95 % of the frame
    digit = Image.fromarray((ink * 255).astype(np.uint8)).resize((max(8, round(28 * scale)),) * 2, Image.BILINEAR)
    digit = digit.rotate(rng.uniform(-12, 12), resample=Image.BILINEAR, expand=True)
    d = np.asarray(digit, np.float64) / 255.0
    alpha = np.zeros((size, size))
    room = size - d.shape[0]
    top, left = (int(rng.integers(0, room + 1)), int(rng.integers(0, room + 1))) if room > 0 else (0, 0)
    h, w = min(d.shape[0], size), min(d.shape[1], size)
    alpha[top:top + h, left:left + w] = d[:h, :w]
    dark_paper = rng.random() < 0.3
    paper = rng.uniform(0.05, 0.3, 3) if dark_paper else rng.uniform(0.65, 1.0, 3)  # coloured paper
    ink_colour = rng.uniform(0.75, 1.0, 3) if dark_paper else rng.uniform(0.0, 0.3, 3)
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0.1, 0.35) * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
    rgb = (paper * (1 - alpha[..., None]) + ink_colour * alpha[..., None]) * light[..., None]
    for _ in range(int(rng.integers(0, 6))):  # specks of dirt
        y, x = rng.integers(0, size, 2)
        r = int(rng.integers(1, 3))
        rgb[max(0, y - r):y + r, max(0, x - r):x + r] = ink_colour * rng.uniform(0.5, 1.0)
    rgb += rng.normal(0, rng.uniform(0.01, 0.05), rgb.shape)  # sensor noise
    picture = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8), "RGB")
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.2)))
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=int(rng.integers(35, 90)))
    return buf.getvalue()


def photo_set(test_images: np.ndarray, test_labels: np.ndarray, n: int = 400,
              seed: int = 0) -> tuple[list[bytes], np.ndarray, list[str]]:
    """``n`` photographed digits: three in four from MNIST's test set, one in four typed.

    Returns
    -------
    (JPEG bytes, labels, where each came from: "mnist" or "typed")
    """
    rng = np.random.default_rng(seed)
    pictures, labels, sources = [], [], []
    picks = rng.choice(len(test_labels), size=n, replace=False)
    for k in range(n):
        digit = int(rng.integers(10))
        ink = typed_digit(digit, rng) if k % 4 == 3 else None
        if ink is None:
            i = int(picks[k])
            ink, digit, source = test_images[i].reshape(28, 28).astype(np.float64), int(test_labels[i]), "mnist"
        else:
            source = "typed"
        pictures.append(photograph(ink, rng))
        labels.append(digit)
        sources.append(source)
    return pictures, np.array(labels), sources


def accuracy(model_path: str, pictures: list[bytes], labels: np.ndarray, sources: list[str]) -> dict[str, float]:
    """The share of pictures a model file classifies right: in all, and by source."""
    import glassnet as gn
    from glassnet.io.images import model_image_shape, prepare_digit

    ck = gn.load(model_path)
    shape = model_image_shape(ck.model.in_features, ck.metadata)
    X = np.stack([prepare_digit(p, shape).reshape(-1) for p in pictures])
    right = ck.model.predict_classes(X) == labels
    kinds = np.array(sources)
    return {"all": float(right.mean()), **{kind: float(right[kinds == kind].mean()) for kind in ("mnist", "typed")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model files to score")
    parser.add_argument("--data", required=True, help="the folder with MNIST's four files")
    parser.add_argument("--n", type=counting(), default=400)
    parser.add_argument("--save", help="write the pictures into this folder")
    args = parser.parse_args(argv)
    from glassnet.datasets import load_mnist

    _, test = load_mnist(args.data)
    pictures, labels, sources = photo_set(test.X, test.y, args.n)
    if args.save:
        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        for k, (picture, label, source) in enumerate(zip(pictures, labels, sources)):
            (folder / f"{k:03d}-{source}-{label}.jpg").write_bytes(picture)
    print(f"{len(pictures)} photographed digits ({sources.count('typed')} typed, the rest from MNIST's test set)")
    for path in args.models:
        score = accuracy(path, pictures, labels, sources)
        print(f"{path}: {score['all']:.1%} correct ({score['mnist']:.1%} of MNIST's, {score['typed']:.1%} of the "
              "typed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
