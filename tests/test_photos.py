"""The pieces of training on your own pictures: the Normalize layer, a photo's preparation, PhotoAugment,
per-class precision and recall, the confusion picture, and the generated shapes set's difficulty."""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.datasets import PhotoAugment, affine_warp
from glassnet.io.images import prepare_digit
from glassnet.io.photos import Preparation, check_picture, preparation_of, prepare_photo
from glassnet.nn import Normalize, picture_channels
from glassnet.tools.metrics import (
    confusion_matrix,
    format_confusion,
    format_precision_recall,
    precision_recall,
    text_width,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import shapes  # noqa: E402  the generated data set of the own-pictures tutorial

from helpers import rewrite_description, traced_peak  # noqa: E402

# -- Normalize ------------------------------------------------------------------------------------

def test_normalize_centres_and_scales_each_channel_and_its_gradient_is_divided_by_std():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (5, 3, 4, 6)) * np.array([1.0, 2.0, 0.5]).reshape(1, 3, 1, 1)
    layer = Normalize.fit(X)
    out = gn.Sequential([layer], input_shape=(3, 4, 6), dtype=np.float64).predict(X)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-12)
    flat = Normalize.fit(np.ones((2, 1, 3, 3)))  # a flat channel keeps a scale of 1, not a division by 0
    assert flat.std == [1.0] and flat.mean == [1.0]
    # flat up to its mean's rounding: 0.1 in float64 had a spread of 2.8e-17, and a pixel of 0.11 became 3.6e14
    tenth = Normalize.fit(np.full((1000, 2, 8, 8), 0.1))
    assert tenth.std == [1.0, 1.0] and tenth.mean == pytest.approx([0.1, 0.1])
    assert Normalize.fit(np.array([1e200, 2e200]).reshape(2, 1, 1, 1)).std == [5e199]  # its squares overflow
    # backward: a step worked by hand (dC/dX = dC/dZ / std), then central differences through a whole net
    model = gn.Sequential([Normalize([0.5, -1.0, 2.0], [0.25, 2.0, 4.0]), gn.Conv2D(3, 2, 3, rng=0, dtype=np.float64),
                           gn.Flatten(), gn.Dense(2 * 2 * 4, 3, rng=1, dtype=np.float64)], input_shape=(3, 4, 6),
                          dtype=np.float64)
    ws = model.workspace(training=True)
    model.forward(X, workspace=ws, stop=1)
    grad = rng.normal(size=X.shape)
    back = model.backward(grad, ws, start=1, need_input_grad=True)
    np.testing.assert_allclose(back, grad / np.array([0.25, 2.0, 4.0]).reshape(1, 3, 1, 1), rtol=1e-14)
    report = gn.gradcheck(model, "cross_entropy", X, rng.integers(0, 3, 5), check_input=True)
    assert report.passed, report


def test_normalize_refuses_what_it_cannot_use():
    with pytest.raises(gn.OptionError, match="std must be above 0 in every channel"):
        Normalize([0.0], [0.0])
    with pytest.raises(gn.OptionError, match="one value per channel each; received 2 and 1"):
        Normalize([0.0, 1.0], [1.0])
    with pytest.raises(gn.OptionError, match="mean must be finite numbers"):
        Normalize([float("nan")], [1.0])
    with pytest.raises(gn.OptionError, match=r"images must have shape \(n_samples, channels, height, width\)"):
        Normalize.fit(np.zeros((4, 10)))
    with pytest.raises(gn.OptionError):  # 3 channels of mean for pictures of one
        gn.Sequential([Normalize([0, 0, 0], [1, 1, 1])], input_shape=(1, 4, 4))


def test_a_photo_model_keeps_its_normalization_in_its_file(tmp_path):
    X = np.random.default_rng(1).uniform(0, 1, (8, 3, 8, 8)).astype(np.float32)
    model = gn.cnn((3, 8, 8), 2, channels=picture_channels(8), hidden=8, normalize=Normalize.fit(X), rng=0)
    assert picture_channels(8) == (16,) and picture_channels(32) == (16, 32, 64) and picture_channels(256)[-1] == 128
    path = gn.save(tmp_path / "m.glassnet", model, metadata={"picture": {"size": 8, "channels": 3, "fit": "pad"}})
    again = gn.load(path)
    assert isinstance(again.model.layers[0], Normalize) and again.model.layers[0].mean == model.layers[0].mean
    np.testing.assert_array_equal(again.model.predict(X), model.predict(X))


# -- a photo's preparation ------------------------------------------------------------------------

def test_a_photo_is_prepared_as_the_folder_reader_prepares_it(tmp_path):
    rng = np.random.default_rng(2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for k in range(3):
        Image.fromarray(rng.integers(0, 256, (30 + k, 50, 3), dtype=np.uint8)).save(tmp_path / "a" / f"{k}.png")
        Image.fromarray(rng.integers(0, 256, (40, 20 + k), dtype=np.uint8)).save(tmp_path / "b" / f"{k}.png")
    data = gn.datasets.load_folder(tmp_path, size=12, color="rgb", fit="crop")
    for i, path in enumerate(sorted((tmp_path / "a").iterdir()) + sorted((tmp_path / "b").iterdir())):
        np.testing.assert_array_equal(prepare_photo(path, 12, 3, "crop"), data.X[i])
    grey = prepare_photo(tmp_path / "a" / "0.png", 12, 1, "pad")
    assert grey.shape == (1, 12, 12) and grey.dtype == np.float32 and 0 <= grey.min() and grey.max() <= 1


def _resized_then_cropped(a, size):
    """The readable definition of fit="crop": the whole picture resized so its shorter side is ``size``, then
    the centre square taken (what fit_square did itself, at the cost of the whole resized picture)."""
    h, w, _ = a.shape
    scale = size / min(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    whole = np.stack([np.asarray(Image.fromarray(a[..., k]).resize((nw, nh), Image.Resampling.BILINEAR))
                      for k in range(a.shape[2])], axis=2)
    top, left = (nh - size) // 2, (nw - size) // 2
    return np.clip(whole[top:top + size, left:left + size], 0, 1)


def test_cropping_resizes_only_the_square_it_keeps():
    """fit="crop" resized the whole picture first: a 257-byte PNG of 1 x 60,000 pixels took 2 GB and 6.5 s."""

    from glassnet.io.photos import fit_square

    rng = np.random.default_rng(0)
    for shape in [(40, 60, 3), (60, 40, 1), (33, 32, 3), (32, 32, 3), (45, 90, 3), (7, 80, 3)]:
        a = rng.random(shape, dtype=np.float32)
        np.testing.assert_allclose(fit_square(a, 16, "crop"), _resized_then_cropped(a, 16), atol=1e-5)
    buf = io.BytesIO()
    Image.fromarray(np.full((1, 60000, 3), 200, np.uint8)).save(buf, "PNG")
    out, peak = traced_peak(lambda: prepare_photo(buf.getvalue(), 32, fit="crop"))
    assert out.shape == (3, 32, 32) and np.allclose(out, 200 / 255, atol=1e-5)
    assert peak < 20 * 2**20, peak  # the picture itself is 0.7 MB as floats; resized whole it was 700 MB


def test_a_palette_picture_with_transparency_keeps_its_colour():
    """A "PA" picture (a palette with alpha) was read as grey: pure red came out [0.3, 0.3, 0.3]."""
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 0, 0)).convert("P").convert("PA").save(buf, "TIFF")
    np.testing.assert_allclose(prepare_photo(buf.getvalue(), 8).reshape(3, -1).mean(axis=1), [1, 0, 0])


def test_premultiplied_transparency_is_white_paper_too():
    """An "RGBa" picture's transparent areas came out black (0, 0, 0) where "RGBA"'s are white, and an "La" one
    stopped with Pillow's ValueError ("conversion from La to L not supported")."""
    a = np.zeros((16, 16, 4), np.uint8)
    a[..., 0] = 200
    a[np.arange(8), np.arange(8)] = (200, 30, 30, 255)
    rgba = Image.fromarray(a)
    for channels in (3, 1):
        np.testing.assert_array_equal(prepare_photo(rgba.convert("RGBa"), 8, channels),
                                      prepare_photo(rgba, 8, channels))
        grey = prepare_photo(rgba.convert("LA").convert("La"), 8, channels)  # read, whatever Pillow made of it
        assert grey.shape == (channels, 8, 8) and np.isfinite(grey).all()


def test_a_picture_in_lab_colours_is_read_as_its_rgb_twin(tmp_path):
    """A TIFF in CIELAB stopped grey models, digit recognition and the web page's answers (500) with Pillow's
    ValueError ("conversion from LAB to RGB not supported", on the way to grey)."""
    rgb = Image.new("RGB", (40, 40), (255, 255, 255))
    rgb.paste((200, 30, 30), (15, 5, 25, 35))
    lab = rgb.convert("LAB")
    lab.save(tmp_path / "lab.tif")
    for channels in (3, 1):
        np.testing.assert_allclose(prepare_photo(tmp_path / "lab.tif", 8, channels), prepare_photo(rgb, 8, channels),
                                   atol=3 / 255)
    np.testing.assert_allclose(prepare_digit(tmp_path / "lab.tif"), prepare_digit(rgb), atol=3 / 255)


def test_a_16_bit_picture_is_as_bright_at_any_size():
    """Over a megapixel, a 16-bit picture was reduced as floats, which to_grey scales by their own maximum: the
    same gradient from 1000 to 3000 (of 65535) read at most 0.57 at 600 x 500 and 0.93 at 1200 x 1000."""
    seen = []
    for w, h in [(600, 500), (1200, 1000)]:
        a = (1000 + 2000 * np.linspace(0, 1, w)[None, :].repeat(h, 0)).astype(np.uint16)
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "PNG")
        seen.append(prepare_photo(buf.getvalue(), 8, channels=1))
    np.testing.assert_allclose(seen[0], seen[1], atol=0.01)
    assert seen[0].max() < 0.6  # not stretched: 2000 of 65535 is under the flat share of the range


@pytest.mark.parametrize("channels", [1, 3])
def test_a_16_bit_picture_is_prepared_as_its_8_bit_copy(channels):
    """A photo model reads 16 bits as 8: each level divided by its whole range. The shapes set's 16-bit circle
    (levels 20303 to 53199) was stretched to 0.09-1.0 where its 8-bit copy read 0.36-0.81."""
    r = np.random.default_rng(0)
    deep = r.integers(20303, 53200, (40, 30)).astype(np.uint16)
    shallow = np.round(deep / 257).astype(np.uint8)
    prepared = []
    for a in (deep, shallow):
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "PNG")
        prepared.append(prepare_photo(buf.getvalue(), 16, channels=channels))
    np.testing.assert_allclose(prepared[0], prepared[1], atol=1 / 255)
    assert 0.3 < prepared[0].min() and prepared[0].max() < 0.85
    floats = io.BytesIO()  # a floating-point picture has no whole range to divide by: scaled as before
    Image.fromarray(deep.astype(np.float32) / 257).save(floats, "TIFF")
    read = prepare_photo(floats.getvalue(), 16, channels=channels)
    assert np.mean(read > 0.99) < 0.2 and read.max() - read.min() > 0.3  # not clipped to white: stretched


def test_the_confusion_tables_line_up_class_names_of_wide_characters():
    """Folders named in Chinese take two terminal columns a character: the counts stay under their headers."""
    matrix = np.array([[3, 0, 1], [0, 12, 0], [2, 0, 5]])
    names = ["猫", "狗狗", "cat"]
    for table in (format_confusion(matrix, names), format_precision_recall(matrix, names)):
        lines = table.splitlines()
        assert len({text_width(line) for line in lines}) == 1, table
    header, *rows = format_confusion(matrix, names).splitlines()
    ends = [text_width(header[:header.index(name) + len(name)]) for name in names]  # where each header ends
    for row in rows:
        cells = row.split()[-3:]
        positions, start = [], 0
        for cell in cells:
            start = row.index(cell, start) + len(cell)
            positions.append(text_width(row[:start]))
        assert positions == ends, (row, ends)
    assert text_width("猫a") == 3 and text_width("é") == 1 and text_width("e\u0301") == 1


def test_a_model_file_says_how_its_pictures_are_made():
    photo = preparation_of(3 * 16 * 16, {"picture": {"size": 16, "channels": 3, "fit": "crop"}})
    assert photo == Preparation("photo", (3, 16, 16), "crop")
    assert photo.metadata() == {"picture": {"size": 16, "channels": 3, "fit": "crop"}}
    digit = preparation_of(64, {"image_shape": [8, 8]})
    assert digit.kind == "digit" and digit.shape == (1, 8, 8) and digit.metadata() == {}
    for bad in ({"size": 16, "channels": 2}, {"size": 16.0, "channels": 3}, {"size": True, "channels": 1},
                {"size": 16, "channels": 3, "fit": "stretch"}, {"size": 15, "channels": 3}, "16", None):
        with pytest.raises(gn.OptionError, match="its picture metadata must be"):
            check_picture(bad, 3 * 16 * 16)


def test_a_model_file_with_broken_picture_metadata_is_refused(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([12, 2], rng=0), metadata={"picture": {"size": 2, "channels": 3}})
    assert gn.load(path).metadata["picture"]["size"] == 2
    broken = {"picture": {"size": 3, "channels": 3}}  # 27 values, where the model reads 12
    bad = tmp_path / "b.glassnet"
    with pytest.raises(gn.GlassnetError, match="picture metadata"):
        gn.save(bad, gn.mlp([12, 2], rng=0), metadata=broken)
    assert not bad.exists()
    gn.save(bad, gn.mlp([12, 2], rng=0))
    rewrite_description(bad, lambda m: m["metadata"].update(broken))
    with pytest.raises(gn.GlassnetError, match="picture metadata"):
        gn.load(bad)


# -- PhotoAugment -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 1, 8, 8), (3, 3, 9, 7), (1, 1, 1, 1), (2, 2, 1, 6), (4, 1, 28, 28, "strided")])
@pytest.mark.parametrize("fill, mode", [("zeros", "grid-constant"), ("edge", "nearest")])
def test_affine_warp_is_scipys_bilinear_resampling(shape, fill, mode):
    """Each output pixel against scipy.ndimage.map_coordinates (order 1) at the point the map sends it to."""
    ndimage = pytest.importorskip("scipy.ndimage")
    r = np.random.default_rng(len(shape) + shape[0])
    strided = shape[-1] == "strided"
    n, c, h, w = shape[:4]
    images = r.uniform(0, 1, (n, c, h, w))
    if strided:  # a view, as a slice of a batch gives it
        images = np.concatenate([images, images], axis=3)[..., ::2]
    angle, size = r.uniform(-0.6, 0.6, n), r.uniform(0.7, 1.3, n)
    matrices = np.stack([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]).transpose(2, 0, 1) \
        / size[:, None, None]
    offsets = r.uniform(-3, 3, (n, 2))
    out = affine_warp(images, matrices, offsets, fill=fill)
    rows, cols = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    for i in range(n):
        src = matrices[i] @ np.stack([rows.ravel(), cols.ravel()]) + offsets[i][:, None]
        at = src + np.array([[(h - 1) / 2], [(w - 1) / 2]])
        for ch in range(c):
            want = ndimage.map_coordinates(images[i, ch], at, order=1, mode=mode, cval=0.0).reshape(h, w)
            np.testing.assert_allclose(out[i, ch], want, atol=1e-12)


def test_photo_augment_mirrors_shifts_with_the_edge_and_jitters_within_its_bounds():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 1, (64, 3, 6, 7))
    mirror = PhotoAugment(flip=True, shift=0.0)(images, np.random.default_rng(0))
    flipped = np.random.default_rng(0).random(64) < 0.5  # the draw PhotoAugment makes first
    np.testing.assert_allclose(mirror[flipped], images[flipped][..., ::-1], atol=1e-12)
    np.testing.assert_allclose(mirror[~flipped], images[~flipped], atol=1e-12)
    # a shift of a whole pixel to the right, by hand: the left column repeats (edge fill), the right one drops
    moved = affine_warp(images[:1], np.eye(2)[None], np.array([[0.0, -1.0]]), fill="edge")
    np.testing.assert_allclose(moved[0, :, :, 1:], images[0, :, :, :-1], atol=1e-12)
    np.testing.assert_allclose(moved[0, :, :, 0], images[0, :, :, 0], atol=1e-12)
    zeros = affine_warp(images[:1], np.eye(2)[None], np.array([[0.0, -1.0]]))
    assert np.all(zeros[0, :, :, 0] == 0)
    with pytest.raises(gn.OptionError, match=r"fill must be one of 'zeros', 'edge'; received 'Edge'"):
        affine_warp(images[:1], np.eye(2)[None], np.array([[0.0, -1.0]]), fill="Edge")  # zeros, silently
    jittered = PhotoAugment(flip=False, shift=0.0, jitter=0.3)(images, np.random.default_rng(4))
    assert jittered.shape == images.shape and jittered.min() >= 0 and jittered.max() <= 1
    assert not np.allclose(jittered, images)
    grey = np.full((4, 1, 5, 5), 0.5)  # brightness in [0.7, 1.3] of a flat grey: 0.35 to 0.65
    out = PhotoAugment(flip=False, shift=0.0, jitter=0.3)(grey, np.random.default_rng(5))
    assert 0.35 - 1e-9 <= out.min() and out.max() <= 0.65 + 1e-9
    with pytest.raises(gn.OptionError, match="PhotoAugment works on images"):
        PhotoAugment()(np.zeros((3, 10)), rng)
    with pytest.raises(gn.OptionError, match="jitter"):
        PhotoAugment(jitter=1.5)


def test_the_augmentations_check_their_arguments_and_blend_whole_number_pixels():
    """PhotoAugment(flip="false") flipped; RandomAffine took image_shape "28" as (2, 8), (28.9, 28) as (28, 28) and
    (0, 5) or (-28, -28) until NumPy's reshape failed; rng=0 was AttributeError; uint8 pictures were sampled at the
    pixel to the upper left of each point (the blend's fractions cast to 0), up to 188 levels off."""
    from glassnet.datasets import RandomAffine

    with pytest.raises(gn.OptionError, match="flip must be True or False; received 'false'"):
        PhotoAugment(flip="false")
    for shape, message in [("28", "image_shape must be \\(height, width\\)"), ((28,), "image_shape must be"),
                           ((28.9, 28), "image_shape must be an integer"), ((0, 5), "image_shape must be >= 1"),
                           ((-28, -28), "image_shape must be >= 1")]:
        with pytest.raises(gn.OptionError, match=message):
            RandomAffine(image_shape=shape)
    with pytest.raises(gn.OptionError, match=r"or rows of 784 pixels \(image_shape=\(28, 28\)\); received shape "
                                             r"\(2, 756\)"):
        RandomAffine(image_shape=(28, 28))(np.zeros((2, 27 * 28)), np.random.default_rng(0))
    r = np.random.default_rng(0)
    pictures = r.integers(0, 256, (6, 1, 12, 12)).astype(np.uint8)
    warp = RandomAffine(shift=1.5, rotation=20, scale=0.2)
    whole, floats = warp(pictures, 0), warp(pictures.astype(np.float32), 0)  # an int seed is a generator's
    assert whole.dtype == np.uint8 and np.abs(whole.astype(float) - floats).max() <= 0.5 + 1e-3
    assert PhotoAugment(shift=0.0)(np.zeros((2, 3, 4, 4)), 1).shape == (2, 3, 4, 4)


# -- scores per class -------------------------------------------------------------------------------

def test_precision_and_recall_per_class_worked_by_hand():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 2, 0, 2, 2]
    precision, recall = precision_recall(confusion_matrix(y_true, y_pred, 4))
    # class 0: predicted 3 times, right twice; 3 samples, 2 found. class 1: 3 predicted, 2 right; 2 of 2.
    np.testing.assert_allclose(precision[:3], [2 / 3, 2 / 3, 3 / 3])
    np.testing.assert_allclose(recall[:3], [2 / 3, 2 / 2, 3 / 4])
    assert np.isnan(precision[3]) and np.isnan(recall[3])  # class 3: never predicted, never seen
    table = format_precision_recall(confusion_matrix(y_true, y_pred, 4), ["cat", "dog", "fox", "owl"])
    assert table.splitlines()[0].split() == ["class", "precision", "recall", "samples"]
    assert table.splitlines()[3].split() == ["fox", "100.0%", "75.0%", "4"]
    assert table.splitlines()[4].split() == ["owl", "—", "—", "0"]


def test_a_label_outside_the_classes_is_named_not_counted_in_another_cell():
    """A prediction of 2 with n_classes=2 was counted as true class 1, predicted 0; n_classes=0 meant "infer";
    empty labels raised NumPy's reduction error."""
    np.testing.assert_array_equal(confusion_matrix([0, 1, 1], [0, 0, 1], 2), [[1, 0], [1, 1]])
    with pytest.raises(gn.OptionError, match=r"labels must be classes 0..1 \(n_classes=2\); received labels from 0 "
                                             r"to 2"):
        confusion_matrix([0, 0], [2, 0], 2)
    with pytest.raises(gn.OptionError, match="n_classes must be >= 1; received 0"):
        confusion_matrix([0], [0], 0)
    with pytest.raises(gn.OptionError, match="y_true is empty: give n_classes"):
        confusion_matrix([], [])
    assert confusion_matrix([], [], 3).shape == (3, 3)


def test_the_confusion_picture_is_written_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    from glassnet.tools.confusion_plot import confusion_picture

    path = confusion_picture(np.array([[3, 1], [0, 4]]), ["a", "b"], tmp_path / "c.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and [p.name for p in tmp_path.iterdir()] == ["c.png"]
    with Image.open(path) as img:
        assert img.size[0] > 200


# -- the generated shapes: a set that is not self-graded ---------------------------------------------

@pytest.fixture(scope="module")
def shapes_set(tmp_path_factory):
    return shapes.make(tmp_path_factory.mktemp("shapes"), train=24, test=8, seed=0)


def test_the_shapes_set_has_every_mode_size_and_unseen_test_backgrounds(shapes_set):
    train = sorted((shapes_set / "train").rglob("*.*"))
    test = sorted((shapes_set / "test").rglob("*.*"))
    assert len(train) == 4 * 24 and len(test) == 4 * 8
    modes, sizes = set(), set()
    for p in train:
        with Image.open(p) as img:
            modes.add(img.mode)
            sizes.add(img.size)
    assert {"RGB", "RGBA", "P", "L"} <= modes and modes & {"I;16", "I"}
    assert len(sizes) > 50 and any(w != h for w, h in sizes)
    seen = {p.stem.rsplit("-", 1)[1] for p in train}
    unseen = {p.stem.rsplit("-", 1)[1] for p in test}
    assert seen == {"gradient", "stripes", "checks"} and unseen == {"blotches", "waves"}


def test_colour_and_background_say_nothing_of_the_class(shapes_set):
    """A classifier given only each picture's colour statistics (means and spreads of its channels, and of its
    border) does no better than chance: the class is in the shape alone."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    data = gn.datasets.load_folder(shapes_set / "train", size=24, color="rgb")
    X = data.X
    border = np.concatenate([X[:, :, 0, :], X[:, :, -1, :], X[:, :, :, 0], X[:, :, :, -1]], axis=2)
    features = np.concatenate([X.mean(axis=(2, 3)), X.std(axis=(2, 3)), border.mean(axis=2), border.std(axis=2)], 1)
    score = cross_val_score(LogisticRegression(max_iter=2000), features, data.y, cv=4).mean()
    assert score < 0.45, score  # chance is 0.25; a class told apart by colour would reach far more
