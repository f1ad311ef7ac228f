"""Pictures of digits prepared as MNIST was made, and refused when they are not pictures."""

import io

import numpy as np
import pytest
from PIL import Image

from glassnet.io.images import MAX_PIXELS, ImageError, prepare_digit
from helpers import needs_mnist


def png_bytes(img, fmt="PNG"):
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_output_is_centred_by_mass_in_28x28():
    canvas = np.full((300, 200), 255, np.uint8)  # white paper
    canvas[40:140, 20:60] = 0  # a dark bar, off centre
    x = prepare_digit(png_bytes(Image.fromarray(canvas)))
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 + 1e-6
    ys, xs = np.nonzero(x > 0.5)
    assert ys.max() - ys.min() + 1 in (19, 20, 21)  # the long side fills the 20-pixel box
    cy = (np.indices(x.shape)[0] * x).sum() / x.sum()
    cx = (np.indices(x.shape)[1] * x).sum() / x.sum()
    assert abs(cy - 13.5) <= 0.6 and abs(cx - 13.5) <= 0.6


def test_polarity_and_colour_do_not_matter():
    ink = np.zeros((60, 60), np.uint8)
    ink[10:50, 25:35] = 255
    a = prepare_digit(png_bytes(Image.fromarray(ink)))
    b = prepare_digit(png_bytes(Image.fromarray(255 - ink)))
    rgb = Image.merge("RGB", [Image.fromarray(255 - ink)] * 3)
    c = prepare_digit(png_bytes(rgb, "JPEG"))
    np.testing.assert_allclose(a, b, atol=1e-6)
    # JPEG rings around hard edges, which can move the centre of mass by a pixel
    shifted = min(np.abs(np.roll(a, (dy, dx), (0, 1)) - c).mean() for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert shifted < 0.02


def test_eight_by_eight_for_the_digits_dataset():
    ink = np.zeros((64, 64), np.uint8)
    ink[8:56, 28:36] = 255
    x = prepare_digit(png_bytes(Image.fromarray(ink)), (8, 8))
    assert x.shape == (8, 8) and x[:, 3:5].mean() > x[:, :2].mean()


def test_not_an_image_blank_and_too_large(tmp_path):
    with pytest.raises(ImageError, match="is not a picture glassnet can read"):
        prepare_digit(b"%PDF-1.4 this is not a picture")
    with pytest.raises(ImageError, match="no digit found"):
        prepare_digit(png_bytes(Image.new("L", (50, 50), 255)))
    with pytest.raises(FileNotFoundError, match="not found"):
        prepare_digit(tmp_path / "missing.png")
    side = int(np.sqrt(MAX_PIXELS)) + 100
    bomb = png_bytes(Image.new("1", (side, side), 1))  # a few kB that would decode to gigabytes
    assert len(bomb) < 200_000
    with pytest.raises(ImageError, match="too large"):
        prepare_digit(bomb)


@needs_mnist
def test_pictures_made_from_mnist_are_recognised(mnist, mnist_model):
    """MNIST test images saved as PNG and JPEG, resized, inverted, with margins and in colour."""
    _, test = mnist
    idx = np.random.default_rng(0).choice(len(test), 250, replace=False)

    def variants(a):
        img = Image.fromarray((a * 255).astype(np.uint8))
        inv = Image.fromarray(255 - np.asarray(img))
        yield "png, 140x140, dark on light", png_bytes(inv.resize((140, 140), Image.Resampling.BICUBIC))
        yield "jpeg, 300x300", png_bytes(img.resize((300, 300), Image.Resampling.BILINEAR), "JPEG")
        yield "jpeg, 21x21", png_bytes(img.resize((21, 21), Image.Resampling.BILINEAR), "JPEG")
        page = Image.new("L", (200, 160), 255)
        page.paste(inv.resize((56, 56)), (30, 70))
        yield "png, margins", png_bytes(page)
        yield "jpeg, rgb", png_bytes(Image.merge("RGB", [img.resize((64, 64))] * 3), "JPEG")

    hits = {}
    for i in idx:
        for name, data in variants(test.X[i].reshape(28, 28)):
            x = prepare_digit(data).reshape(1, -1)
            hits.setdefault(name, []).append(mnist_model.predict_classes(x)[0] == test.y[i])
    rates = {name: float(np.mean(v)) for name, v in hits.items()}
    overall = float(np.mean([h for v in hits.values() for h in v]))
    assert overall >= 0.95, rates
    assert min(rates.values()) >= 0.93, rates
