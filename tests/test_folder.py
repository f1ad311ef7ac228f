"""load_folder: a folder of one sub-folder per class, pictures of any size and mode, bad files skipped with a
line each, the aspect kept, the decoder's bounds held, and a conv net that learns from it."""

import os
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

import glassnet as gn
from glassnet.datasets import load_folder
from glassnet.datasets.folder import fit_square
from glassnet.io.decoding import open_image
from helpers import traced_peak


def shape_picture(kind, rng, size=None, mode="RGB"):
    """A square or a disc of a random colour and size, anywhere on a background of another random colour."""
    w, h = size or (int(rng.integers(40, 120)), int(rng.integers(40, 120)))
    background = tuple(int(v) for v in rng.integers(0, 256, 3))
    ink = tuple((b + int(rng.integers(90, 166))) % 256 for b in background)
    img = Image.new("RGB", (w, h), background)
    r = int(rng.integers(min(w, h) // 5, min(w, h) // 3))
    cx, cy = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
    draw = ImageDraw.Draw(img)
    (draw.ellipse if kind == "disc" else draw.rectangle)((cx - r, cy - r, cx + r, cy + r), fill=ink)
    if mode == "I;16":
        return Image.fromarray(np.asarray(img.convert("L"), dtype=np.uint16) * 257)  # 16-bit grey
    return img.convert(mode)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    modes = ["RGB", "L", "RGBA", "P", "I;16"]
    for kind in ("disc", "square"):
        (tmp_path / kind).mkdir()
        for i in range(30):
            mode = modes[i % len(modes)]
            suffix = ".jpg" if mode in ("RGB", "L") and i % 2 else ".png"
            shape_picture(kind, rng, mode=mode).save(tmp_path / kind / f"{i}{suffix}")
    return tmp_path


def test_classes_come_from_the_folders_and_every_mode_is_read(folder):
    data = load_folder(folder, size=24)
    assert data.classes == ["disc", "square"] and data.X.shape == (60, 3, 24, 24)
    assert data.X.dtype == np.float32 and 0 <= data.X.min() and data.X.max() <= 1
    assert np.bincount(data.y).tolist() == [30, 30] and data.image_shape == (24, 24)
    grey = load_folder(folder, size=24, color="grey")
    assert grey.X.shape == (60, 1, 24, 24)
    train, held = load_folder(folder, size=24, validation=0.25, rng=3)
    assert len(train) == 45 and len(held) == 15 and np.bincount(held.y).tolist() == [8, 7] or \
        np.bincount(held.y).tolist() == [7, 8]
    again = load_folder(folder, size=24, validation=0.25, rng=3)[1]
    np.testing.assert_array_equal(again.X, held.X)


def test_a_grey_folder_gives_one_channel():
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as d:
        for kind in ("disc", "square"):
            (Path(d) / kind).mkdir()
            for i in range(3):
                shape_picture(kind, rng, mode="L").save(Path(d) / kind / f"{i}.png")
        assert load_folder(d, size=16).X.shape == (6, 1, 16, 16)


def test_the_aspect_is_kept_padded_with_the_border_or_cropped():
    a = np.zeros((10, 40, 1), np.float32)  # a wide black picture with a white band down its middle
    a[:, 15:25] = 1.0
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).mean()  # 0.2
    padded = fit_square(a, 20, "pad")  # scaled to 5 x 20, then rows of the border's colour above and below
    assert padded.shape == (20, 20, 1)
    np.testing.assert_allclose(padded[:7], border, atol=1e-6)
    np.testing.assert_allclose(padded[12:], border, atol=1e-6)
    assert padded[7:12, 8:12].min() > 0.9 and padded[7:12, :4].max() < 0.1
    cropped = fit_square(a, 20, "crop")  # scaled to 20 x 80, its middle 20 columns kept: the band alone
    assert cropped.shape == (20, 20, 1) and cropped[:, 2:-2].min() > 0.9


def test_bad_files_are_skipped_with_a_line_each_in_bounded_memory(folder):
    (folder / "disc" / "truncated.png").write_bytes((folder / "disc" / "0.png").read_bytes()[:200])
    (folder / "disc" / "notes.jpg").write_text("this is not a picture")
    (folder / "disc" / "empty.png").write_bytes(b"")
    Image.new("L", (5000, 4000), 255).save(folder / "square" / "huge.png")  # 20 megapixels, a small file
    (folder / "square" / "inner").mkdir()
    (folder / "empty class").mkdir()
    (folder / "loose.png").write_bytes(b"")
    (folder / "disc" / "moved.png").symlink_to(folder / "nowhere.png")  # left out without a word before
    os.mkfifo(folder / "disc" / "pipe.png")
    with pytest.warns(UserWarning) as said:
        data, peak = traced_peak(lambda: load_folder(folder, size=24))
    text = str(said[0].message)
    assert text.startswith("skipped 4 of 64 files:") and len(text.splitlines()) == 1 + 4 + 4
    assert "disc/: 2 entries that are not files (such as 'moved.png', a link to nothing or a pipe) were left out" \
        in text
    assert "'disc/truncated.png' is a damaged picture" in text
    assert "'disc/notes.jpg' is not a picture glassnet can read" in text
    assert "'disc/empty.png' is not a picture glassnet can read" in text
    assert "'square/huge.png' is too large: 5000x4000 pixels" in text
    assert "empty class/ holds no picture" in text and "inside a class folder were left out" in text
    assert "beside the class folders" in text
    assert data.classes == ["disc", "square"] and len(data) == 60
    assert peak < 40 * 2**20  # the 20-megapixel picture was refused from its header, never decoded


def test_a_picture_with_damaged_exif_data_is_read_as_stored(folder, tmp_path):
    """ImageOps.exif_transpose ran outside the decoder's checks: one PNG with an eXIf chunk that is not EXIF
    ended the whole folder's load with SyntaxError (and predict with a traceback, the web page with a 500)."""
    from glassnet.io.decoding import open_image

    pixels = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    for fmt, suffix in (("PNG", "png"), ("WEBP", "webp")):
        Image.fromarray(pixels).save(folder / "disc" / f"bad_exif.{suffix}", fmt, exif=b"not exif data",
                                     **({"lossless": True} if fmt == "WEBP" else {}))
        img = open_image(folder / "disc" / f"bad_exif.{suffix}")
        assert img.size == (30, 20)
        np.testing.assert_array_equal(np.asarray(img.convert("RGB")), pixels)  # the pixels as stored
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read, so nothing skipped
        assert len(load_folder(folder, size=8)) == 62


def test_the_arguments_are_checked_before_any_picture_is_decoded(folder):
    """validation="0.2" raised TypeError from a comparison, and rng=-1 NumPy's ValueError, both after every
    picture had been decoded."""
    with pytest.raises(gn.OptionError, match=r"validation must be a real number; received '0.2'"):
        load_folder(folder, validation="0.2")
    with pytest.raises(gn.OptionError, match=r"validation must be in \[0.0, 1.0\); received 1"):
        load_folder(folder, validation=1)
    with pytest.raises(gn.OptionError, match=r"rng must be None, a seed of at least 0 or a numpy.random.Generator; "
                                             r"received -1"):
        load_folder(folder, rng=-1)
    train, val = load_folder(folder, size=8, validation=0.25, rng=np.random.default_rng(3))
    assert len(train) + len(val) == 60 and len(val) == 15
    # a split that leaves no training rows was named as train_test_split's test_fraction, not validation
    with pytest.raises(gn.OptionError, match=r"^validation=0.005 leaves an empty training or test set for 60 rows"):
        load_folder(folder, size=8, validation=0.005)


def test_a_folder_too_large_for_memory_is_refused_before_any_picture_is_decoded(folder, monkeypatch, tmp_path):
    """The memory the pictures need was checked after every one had been decoded and held: 200,000 files at
    --size 256 meant about 150 GB held before the refusal, so the process was killed instead. In colour "auto",
    a grey folder was counted as colour: refused where it fits."""
    import glassnet.core._check_arrays as arrays
    import glassnet.datasets.folder as folder_module

    monkeypatch.setattr(arrays, "available_memory", lambda: 40 * 2**20)
    decoded = []
    monkeypatch.setattr(folder_module, "open_image", lambda *a, **k: decoded.append(a) or open_image(*a, **k))
    with pytest.raises(gn.OptionError, match=r"60 pictures of 256x256 in colour would need 90.0 MiB of memory, "
                                             r"but this machine has 40.0 MiB free"):
        load_folder(folder, size=256, color="rgb")
    assert decoded == []
    with pytest.raises(gn.OptionError, match=r"60 pictures of 256x256 in colour would need 90.0 MiB"):
        load_folder(folder, size=256)  # "auto": refused at its first picture in colour (the first one here)
    assert len(decoded) == 1
    assert len(load_folder(folder, size=64)) == 60  # 5.6 MiB
    rng = np.random.default_rng(1)
    for kind in ("disc", "square"):
        (tmp_path / "grey" / kind).mkdir(parents=True)
        for i in range(30):
            shape_picture(kind, rng, mode="L").save(tmp_path / "grey" / kind / f"{i}.png")
    assert load_folder(tmp_path / "grey", size=256).X.shape == (60, 1, 256, 256)  # 30 MiB as one channel
    decoded.clear()
    with pytest.raises(gn.OptionError, match=r"60 pictures of 512x512 would need 120.0 MiB of memory"):
        load_folder(tmp_path / "grey", size=512)
    assert decoded == []


def test_the_check_at_the_first_picture_in_colour_counts_what_is_held_as_taken(tmp_path, monkeypatch):
    """The check made when "auto" meets its first picture in colour asked again for the memory that the grey
    pictures read before it already take (and that is no longer free): a folder that fits was refused."""
    import glassnet.core._check_arrays as arrays

    rng = np.random.default_rng(3)
    for kind, mode, n in (("a", "L", 9), ("b", "RGB", 1)):  # nine grey pictures, then one in colour
        (tmp_path / kind).mkdir()
        for i in range(n):
            shape_picture("disc", rng, mode=mode).save(tmp_path / kind / f"{i}.png")
    # three channels for all 10: 983,040 bytes; the 9 grey ones, read first, already hold 147,456 of them
    monkeypatch.setattr(arrays, "available_memory", lambda: 900_000)
    assert load_folder(tmp_path, size=64).X.shape == (10, 3, 64, 64)
    monkeypatch.setattr(arrays, "available_memory", lambda: 800_000)
    with pytest.raises(gn.OptionError, match=r"10 pictures of 64x64 in colour would need 816.0 KiB"):
        load_folder(tmp_path, size=64)


def test_grey_pictures_are_held_as_one_channel_while_a_folder_is_read(tmp_path):
    rng = np.random.default_rng(2)
    for kind in ("disc", "square"):
        (tmp_path / kind).mkdir()
        for i in range(20):
            shape_picture(kind, rng, mode="L").save(tmp_path / kind / f"{i}.png")
    load_folder(tmp_path, size=8)  # imports and caches made once
    data, peak = traced_peak(lambda: load_folder(tmp_path, size=200))
    X = data.X
    assert X.shape == (40, 1, 200, 200)
    assert peak < 2.6 * X.nbytes, peak / X.nbytes  # the pictures and their array; 4 times with three channels held


def test_a_mislabelled_picture_is_read_by_what_it_holds(folder):
    """A JPEG named .png and a PNG named .jpg, as phones and downloads often leave them: read, not skipped."""
    jpeg = next(p for p in sorted((folder / "disc").iterdir()) if p.suffix == ".jpg")
    png = next(p for p in sorted((folder / "square").iterdir()) if p.suffix == ".png")
    jpeg.rename(folder / "disc" / "photo.png")
    png.rename(folder / "square" / "drawing.jpg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped, nothing to say
        data = load_folder(folder, size=16)
    assert len(data) == 60
    with Image.open(folder / "disc" / "photo.png") as img:
        assert img.format == "JPEG"


def test_fewer_than_two_classes_and_bad_arguments_are_refused(tmp_path):
    (tmp_path / "only").mkdir()
    shape_picture("disc", np.random.default_rng(0)).save(tmp_path / "only" / "a.png")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "b.png").write_text("no")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(gn.DataError,
                           match="needs at least 2 class folder\\(s\\) with pictures; found 1 \\(only\\)"):
            load_folder(tmp_path)
    with pytest.raises(gn.DataError, match="path must be a folder"):
        load_folder(tmp_path / "only" / "a.png")
    with pytest.raises(gn.OptionError, match="fit"):
        load_folder(tmp_path, fit="stretch")
    with pytest.raises(gn.OptionError, match="color"):
        load_folder(tmp_path, color="cmyk")
    for bad in (2.5, 0, -3):  # 2.5 needed "2.5 class folder(s)", 0 and -3 were taken
        with pytest.raises(gn.OptionError, match="min_classes must be"):
            load_folder(tmp_path, min_classes=bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_folder(tmp_path, color="gray", min_classes=1).X.shape[1] == 1  # the American spelling too


def test_a_folder_of_splits_is_answered_with_the_split_to_give(tmp_path):
    """shapes/ with train/ and test/ inside (as examples/shapes.py writes it) was refused with a note per folder
    about folders inside a class folder; the message now names shapes/train."""
    for split in ("test", "train"):
        for kind in ("disc", "square"):
            (tmp_path / split / kind).mkdir(parents=True)
            shape_picture(kind, np.random.default_rng(0)).save(tmp_path / split / kind / "a.png")
    with pytest.raises(gn.DataError, match=r"found 0 \(none\)\. Its folders \(test, train\) hold class folders "
                                           r"themselves, as splits do: give one split, such as .*train, as the folder"):
        load_folder(tmp_path)
    assert load_folder(tmp_path / "train", size=8).classes == ["disc", "square"]


def test_the_pictures_feed_a_conv_net_that_fits_them(folder):
    # the small folder here is for the mechanics: images in (samples, channels, rows, columns) that a conv
    # net takes as they come and can fit; telling shapes apart on unseen backgrounds needs more pictures
    train, held = load_folder(folder, size=24, color="grey", validation=0.3, rng=0)
    model = gn.Sequential([gn.Conv2D(out_channels=8, kernel_size=3, padding=1), gn.ReLU(), gn.MaxPool2D(2),
                           gn.Conv2D(out_channels=8, kernel_size=3, padding=1), gn.ReLU(), gn.MaxPool2D(2),
                           gn.Flatten(), gn.Dense(2)], rng=0)
    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.005, epochs=80, batch_size=16,
              verbose=False)
    assert model.input_shape == (1, 24, 24) and np.mean(model.predict_classes(train.X) == train.y) > 0.9
    assert model.predict_proba(held.X).shape == (len(held), 2)
