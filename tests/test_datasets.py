"""Loaders: digits, MNIST from a folder or a (loopback) download, CSV files."""

import functools
import gzip
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet import datasets
from glassnet.datasets import mnist as mnist_module
from glassnet.errors import DataError
from glassnet.web import default_model
from helpers import MNIST_DIR, needs_mnist, traced_peak


def test_digits_ship_with_the_install():
    d = datasets.load_digits()
    assert d.X.shape == (1797, 64) and d.X.dtype == np.float32
    assert 0 <= d.X.min() and d.X.max() == 1.0
    assert d.image_shape == (8, 8) and d.classes == [str(i) for i in range(10)]


def test_digits_are_read_without_importing_scikit_learn_and_equal_its_own():
    """The pixels come from scikit-learn's file without its import (about a second), and are its load_digits's."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    script = "import sys; from glassnet.datasets import load_digits; load_digits(); print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"], done.stdout + done.stderr
    theirs, ours = sklearn_datasets.load_digits(), datasets.load_digits()
    np.testing.assert_array_equal(ours.X, (theirs.data / 16.0).astype(np.float32))
    np.testing.assert_array_equal(ours.y, theirs.target)


@pytest.mark.parametrize("content", [None, b"not gzip", gzip.compress(b"1,2,3\n4,5,6\n"),
                                     gzip.compress(b"\n".join([b",".join([b"17"] * 65)] * 1797)),
                                     gzip.compress(b"1,2,3\n"), gzip.compress(b"1\n2\n"), gzip.compress(b""),
                                     gzip.compress(b"1,2,3\n" * 100)[:12] + b"\xff" * 40],
                         ids=["missing", "not gzip", "wrong shape", "pixels out of range", "one line", "one column",
                              "empty", "damaged deflate"])
def test_digits_fall_back_to_scikit_learn_where_its_file_is_missing_or_wrong(tmp_path, monkeypatch, content):
    """A scikit-learn that keeps the file elsewhere, or a damaged file, is read through load_digits instead."""
    pytest.importorskip("sklearn")
    from glassnet.datasets import digits

    package = tmp_path / "fake_sklearn"
    (package / "datasets" / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if content is not None:
        (package / "datasets" / "data" / "digits.csv.gz").write_bytes(content)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert digits.shipped_table("fake_sklearn") is None
    assert digits.shipped_table("no_such_package_here") is None
    expected = datasets.load_digits()
    monkeypatch.setattr(digits, "shipped_table", lambda package="sklearn": None)
    fallen_back = datasets.load_digits()
    np.testing.assert_array_equal(fallen_back.X, expected.X)
    np.testing.assert_array_equal(fallen_back.y, expected.y)


def test_train_test_split_is_stratified_and_seeded():
    d = datasets.load_digits()
    a_train, a_test = datasets.train_test_split(d, 0.2, rng=3)
    b_train, b_test = datasets.train_test_split(d, 0.2, rng=3)
    np.testing.assert_array_equal(a_test.X, b_test.X)
    assert len(a_train) + len(a_test) == len(d)
    counts = np.bincount(a_test.y)
    assert counts.min() >= 35 and counts.max() <= 37


def test_a_split_leaves_every_class_a_training_row():
    """0.95 of ten pictures of each of two classes took 10 + 9 for the test set: the training set held one class."""
    d = datasets.Dataset(np.arange(40.0).reshape(20, 2), np.repeat([0, 1], 10), "two", classes=["cat", "dog"])
    for fraction in (0.95, 0.9):
        train, test = datasets.train_test_split(d, fraction)
        assert sorted(train.y) == [0, 1] and len(test) == 18
    sizes = np.array([1, 1, 2, 30, 5000])  # a class of one row stays whole on the training side
    for fraction in (0.1, 0.5, 0.99):
        counts = datasets.base.stratified_counts(sizes, fraction)
        assert (counts < np.maximum(sizes, 2)).all() and counts[:2].tolist() == [0, 0]
        wanted = round(fraction * sizes.sum())
        assert counts.sum() == wanted if fraction < 0.9 else wanted - 5 <= counts.sum() < wanted  # short at 0.99
    mnist_like = np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    assert datasets.base.stratified_counts(mnist_like, 0.1).sum() == 6000  # the total kept where rows allow it


@needs_mnist
def test_mnist_from_folder(mnist):
    train, test = mnist
    assert train.X.shape == (60000, 784) and test.X.shape == (10000, 784)
    assert train.y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(train.y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert abs(float(train.X.mean()) - 0.1306604762738429) < 1e-6


@pytest.fixture
def unzipped(monkeypatch):
    """The names of the image files unzipped while the test runs, in order."""
    names = []
    read_idx = mnist_module._read_idx

    def counting(path, magic, name):
        names.extend([path.name] if name == "image" else [])
        return read_idx(path, magic, name)

    monkeypatch.setattr(mnist_module, "_read_idx", counting)
    return names


@needs_mnist
def test_a_second_load_reads_the_kept_pixels_instead_of_unzipping(tmp_path, monkeypatch, unzipped):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "data"))
    plain = datasets.load_mnist(MNIST_DIR, cache=False)  # the files unzipped, nothing kept
    assert len(unzipped) == 2 and not (tmp_path / "data").exists()
    first = datasets.load_mnist(MNIST_DIR)
    kept = sorted((tmp_path / "data" / "mnist").iterdir())
    assert [p.name[:26] for p in kept] == ["mnist-t10k-images-uint8-8d", "mnist-train-images-uint8-4"]
    made = [p.stat().st_mtime_ns for p in kept]
    unzipped.clear()
    second = datasets.load_mnist(MNIST_DIR)
    assert unzipped == [] and [p.stat().st_mtime_ns for p in kept] == made  # read, not unzipped or written
    for a, b, c in zip(plain, first, second):  # the same numbers, a writable float32 array in memory
        assert type(c.X) is np.ndarray and c.X.dtype == np.float32 and c.X.flags.writeable
        np.testing.assert_array_equal(b.X, a.X)
        np.testing.assert_array_equal(c.X, a.X)
        np.testing.assert_array_equal(c.y, a.y)
    whole = kept[0].read_bytes()
    kept[0].write_bytes(whole[:5000])  # a cut-short kept file is written again, without a warning (errors here)
    unzipped.clear()
    _, test = datasets.load_mnist(MNIST_DIR)
    np.testing.assert_array_equal(test.X, plain[1].X)
    assert unzipped == ["t10k-images-idx3-ubyte.gz"] and kept[0].read_bytes() == whole
    unzipped.clear()
    datasets.load_mnist(MNIST_DIR, verify=False)  # unchecked files are never taken for the kept ones
    assert len(unzipped) == 2


@needs_mnist
def test_lazy_mnist_reads_the_kept_uint8_pixels_as_the_same_floats(tmp_path, monkeypatch):
    """load_mnist(lazy=True), as glassnet train reads MNIST: the kept uint8 pixels mapped from disk, divided by 255
    as rows are asked for; the same float32 values, also after a split and where nothing can be kept."""
    from glassnet.core.rows import LazyRows

    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "data"))
    plain = datasets.load_mnist(MNIST_DIR, cache=False)
    (tmp_path / "a-file").write_text("not a folder")
    for data in (tmp_path / "data", tmp_path / "a-file"):  # kept and mapped; then unzipped in memory
        monkeypatch.setenv("GLASSNET_DATA", str(data))
        for lazy, eager in zip(datasets.load_mnist(MNIST_DIR, lazy=True), plain):
            assert isinstance(lazy.X, LazyRows) and lazy.X.shape == eager.X.shape and lazy.X.dtype == np.float32
            assert lazy.X.source.dtype == np.uint8
            assert isinstance(lazy.X.source, np.memmap) == (data == tmp_path / "data")  # mapped where kept
            rows = np.array([9, 0, 5000, 9, len(eager.X) - 1])
            np.testing.assert_array_equal(lazy.X[rows], eager.X[rows])
            np.testing.assert_array_equal(lazy.X[:700], eager.X[:700])
            np.testing.assert_array_equal(lazy.y, eager.y)
    a_train, a_test = datasets.train_test_split(lazy, 0.25, rng=1)  # lazy rows stay lazy, the same rows
    b_train, b_test = datasets.train_test_split(eager, 0.25, rng=1)
    assert isinstance(a_train.X, LazyRows) and isinstance(a_test.X, LazyRows)
    np.testing.assert_array_equal(a_test.X[:], b_test.X)
    np.testing.assert_array_equal(a_train.y, b_train.y)


@needs_mnist
def test_a_data_folder_that_cannot_keep_pixels_still_loads(tmp_path, monkeypatch):
    reference = datasets.load_mnist(MNIST_DIR, cache=False)
    (tmp_path / "file").write_text("not a folder")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "mnist").symlink_to(elsewhere)
    for data in (tmp_path / "file", tmp_path / "linked"):
        monkeypatch.setenv("GLASSNET_DATA", str(data))
        train, test = datasets.load_mnist(MNIST_DIR)
        np.testing.assert_array_equal(train.X[::601], reference[0].X[::601])
        np.testing.assert_array_equal(test.X, reference[1].X)
    assert list(elsewhere.iterdir()) == []  # a link is never followed to write


@needs_mnist
def test_a_data_folder_that_cannot_be_written_unzips_each_file_once(tmp_path, monkeypatch, unzipped):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))

    def full(path, write, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mnist_module, "write_atomically", full)
    train, test = datasets.load_mnist(MNIST_DIR)
    assert sorted(unzipped) == ["t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz"]
    assert train.X.shape == (60000, 784) and test.X.shape == (10000, 784)


def test_the_data_folder_from_the_environment(monkeypatch):
    home = mnist_module.Path.home()
    monkeypatch.setenv("GLASSNET_DATA", "")  # empty is unset, never the current folder
    assert mnist_module.default_cache() == home / ".cache" / "glassnet" / "mnist"
    monkeypatch.setenv("GLASSNET_DATA", "~/data")
    assert mnist_module.default_cache() == home / "data" / "mnist"


@needs_mnist
def test_a_cache_another_process_just_wrote_is_not_called_damaged(tmp_path, monkeypatch):
    """Missing when read, there when written: the other process's whole copy wins, with no warning (errors here)."""
    datasets.load_mnist(MNIST_DIR, memmap=tmp_path / "theirs")
    theirs = {p.name: p.read_bytes() for p in (tmp_path / "theirs").iterdir()}
    ours = tmp_path / "ours"
    open_cache = mnist_module._open_cache

    def late(path, n):
        found = open_cache(path, n)
        if found is None and not path.exists():  # the other process renames its copy in just now
            path.write_bytes(theirs[path.name])
        return found

    monkeypatch.setattr(mnist_module, "_open_cache", late)
    datasets.load_mnist(MNIST_DIR, memmap=ours)
    assert {p.name: p.read_bytes() for p in ours.iterdir()} == theirs


def fake_mnist(folder, pixels, labels=(5, 3)):
    """MNIST's four files, unverifiable: ``pixels`` (a function of the image count) in each images file."""
    folder.mkdir()
    for prefix, n in zip(("train", "t10k"), labels):
        images = pixels(n if prefix == "train" else 3).astype(np.uint8)
        header = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + images.tobytes()))
        marks = np.arange(n, dtype=np.uint8) % 10
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress((0x801).to_bytes(4, "big") + n.to_bytes(4, "big") + marks.tobytes()))
    return folder


def test_unverified_files_are_kept_under_their_own_checksum(tmp_path):
    """The memmap cache was named by MNIST's published checksum whatever was read: after a load of other,
    unverified files, a verified load returned their pixels, and the other way round."""
    rng = np.random.default_rng(0)
    drawn = rng.integers(0, 256, size=(5, 28, 28))
    one = fake_mnist(tmp_path / "one", lambda n: drawn[:n])
    other = fake_mnist(tmp_path / "other", lambda n: 255 - drawn[:n])
    cache = tmp_path / "cache"
    first, _ = datasets.load_mnist(one, verify=False, memmap=cache)
    second, _ = datasets.load_mnist(other, verify=False, memmap=cache)
    np.testing.assert_array_equal(first.X[:], drawn.reshape(5, -1).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(second.X[:], (255 - drawn.reshape(5, -1)).astype(np.float32) / np.float32(255))
    assert len(list(cache.iterdir())) == 4  # two sets of files, each its own pair of caches


def test_an_images_file_that_disagrees_with_its_labels_is_refused(tmp_path):
    """60,000 training images beside 10,000 labels came back as 10,000 rows of 4,704 values, without a word."""
    folder = fake_mnist(tmp_path / "mixed", lambda n: np.zeros((n, 28, 28)), labels=(5, 3))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz holds 5 images of 28 x 28 where "
                                                  r"MNIST's train set has 3 labels and 28 x 28 images"):
        datasets.load_mnist(folder, verify=False, cache=False)


def test_unverified_mnist_files_are_read_no_further_than_their_headers_say(tmp_path):
    """verify=False read a labels file of 1.5 GiB of zeros whole (3 GiB) before calling it "truncated"; a label of
    46 was taken for a digit; one byte more was "truncated" too; a pipe named as a file was read for ever."""
    folder = fake_mnist(tmp_path / "long", lambda n: np.zeros((n, 28, 28)))
    labels = folder / "train-labels-idx1-ubyte.gz"
    head = (0x801).to_bytes(4, "big") + (5).to_bytes(4, "big")
    for body, message in [(bytes(5) + bytes(10**6), r"longer than its header says: 6 or more values for shape "
                                                    r"\(5,\)"),
                          (bytes(4), r"is truncated: 4 values for shape \(5,\)"),
                          (bytes([1, 2, 46, 3, 4]), "holds the label 46, where MNIST's labels are the digits 0 to 9")]:
        labels.write_bytes(gzip.compress(head + body))
        with pytest.raises(DataError, match=message):
            datasets.load_mnist(folder, verify=False, cache=False)
    huge = (0x801).to_bytes(4, "big") + (10**9).to_bytes(4, "big")
    labels.write_bytes(gzip.compress(huge))
    with pytest.raises(DataError, match=r"header announces shape \(1000000000,\), which no MNIST file has"):
        datasets.load_mnist(folder, verify=False, cache=False)
    wraps = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (2**22, 2**21, 2**21))  # 2**64
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(wraps))  # NumPy's product of it: 0
    with pytest.raises(DataError, match="which no MNIST file has"):
        mnist_module._read_idx(folder / "train-images-idx3-ubyte.gz", 0x803, "image")
    labels.unlink()
    os.mkfifo(labels)  # read by sha256 (verify) or gzip (not) for ever
    for read in (lambda: datasets.load_mnist(folder, verify=False, cache=False), lambda: mnist_module.sha256(labels)):
        with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz is not a regular file"):
            read()
    with pytest.raises(gn.OptionError, match="memmap must name a folder for the unzipped pixels; received an empty"):
        datasets.load_mnist(folder, memmap="")
    with pytest.raises(gn.OptionError, match="memmap must be a file path .* received bool"):
        datasets.load_mnist(folder, memmap=True)


@needs_mnist
def test_mnist_unzipped_as_browsers_and_kaggle_give_it_is_read_and_verified(mnist, tmp_path):
    """The four files unzipped (Kaggle's "train-images.idx3-ubyte", or a browser's unzipping under the .gz name)
    were "missing" or "do not match the published SHA-256", though they hold the published data."""
    names = {"train-images-idx3-ubyte.gz": "train-images.idx3-ubyte", "train-labels-idx1-ubyte.gz":
             "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte.gz": "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz": "t10k-labels.idx1-ubyte"}
    for name, unzipped in names.items():
        (tmp_path / unzipped).write_bytes(gzip.decompress((MNIST_DIR / name).read_bytes()))
    train, test = datasets.load_mnist(tmp_path, cache=False)
    np.testing.assert_array_equal(train.X, mnist[0].X)
    np.testing.assert_array_equal(test.y, mnist[1].y)
    (tmp_path / "t10k-labels.idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(8))  # not MNIST's
    with pytest.raises(DataError, match=r"t10k-labels.idx1-ubyte does not match the published SHA-256 of MNIST's "
                                        r"t10k-labels-idx1-ubyte.gz, nor that of its contents unzipped"):
        datasets.load_mnist(tmp_path, cache=False)
    (tmp_path / "t10k-labels.idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte.gz is missing from .* \(nor is it there "
                                                r"unzipped, as t10k-labels-idx1-ubyte\)"):
        datasets.load_mnist(tmp_path, cache=False)


@needs_mnist
def test_mnist_checksum_mismatch_is_refused(tmp_path):
    for name in datasets.MNIST_FILES:
        shutil.copy(MNIST_DIR / name, tmp_path / name)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[100] = (raw[100] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match="does not match the published SHA-256"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="MNIST folder not found"):
        datasets.load_mnist(tmp_path / "nowhere")


@needs_mnist
def test_mnist_download_verifies_and_caches(tmp_path, monkeypatch):
    """The downloader, against a web server on loopback that serves the shared copies."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(MNIST_DIR))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
        monkeypatch.setattr(mnist_module, "MIRRORS", ("http://127.0.0.1:9/nothing/", url))
        mnist_module.fetch(mnist_module.default_cache(), mnist_module.MIRRORS)
        train, test = datasets.load_mnist()
        assert len(train) == 60000 and len(test) == 10000
        files = sorted(p.name for p in (tmp_path / "mnist").iterdir())  # the four files, and their pixels kept
        assert [f for f in files if f.endswith(".gz")] == sorted(datasets.MNIST_FILES)
        kept = [f[:25] for f in files if f.endswith(".npy")]
        assert kept == ["mnist-t10k-images-uint8-8", "mnist-train-images-uint8-"]
        # a damaged file of the download is fetched again (every later load was refused for its SHA-256)
        damaged = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
        data = bytearray(damaged.read_bytes())
        data[100:102] = b"xx"
        damaged.write_bytes(bytes(data))
        assert len(datasets.load_mnist()[1]) == 10000
        assert mnist_module.sha256(damaged) == datasets.MNIST_FILES[damaged.name]
    finally:
        server.shutdown()
        server.server_close()
    # damaged again while offline: the message said only that the download failed, not why it was tried
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(mnist_module, "MIRRORS", ("http://127.0.0.1:9/nothing/",))
    with pytest.raises(OSError, match=r"t10k-labels-idx1-ubyte.gz does not match the published SHA-256 of MNIST's "
                                      r"t10k-labels-idx1-ubyte.gz, nor that of its contents unzipped, and fetching "
                                      r"it again failed: could not download"):
        datasets.load_mnist()
    # Ctrl-C in the middle of a download leaves no part of it behind (it stayed for good)
    damaged.unlink()

    def interrupted(source, target):
        target.write(source.read(1000))
        raise KeyboardInterrupt
    monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout: io.BytesIO(b"x" * 5000))
    monkeypatch.setattr(mnist_module.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        datasets.load_mnist()
    assert not [p.name for p in (tmp_path / "mnist").iterdir() if p.name.startswith(".")]


def test_download_refuses_a_corrupt_file(tmp_path, monkeypatch):
    (tmp_path / "srv").mkdir()
    for name in datasets.MNIST_FILES:
        (tmp_path / "srv" / name).write_bytes(b"not mnist")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "srv"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(OSError, match=r"(?s)could not download MNIST's train-images-idx3-ubyte.gz:.*SHA-256 "
                                          r"mismatch.*Without the internet, copy MNIST's four files "
                                          r"\(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                                          r"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, as published at "
                                          r"https://.*\): into .*cache, or into any folder given as "
                                          r"load_mnist\(folder\) or glassnet train --dataset mnist --data DIR"):
            mnist_module.fetch(tmp_path / "cache", (url,))
        assert not (tmp_path / "cache").exists()  # nothing unverified is kept, not even the empty folder it made
        (tmp_path / "kept").mkdir()
        with pytest.raises(OSError, match="could not download"):
            mnist_module.fetch(tmp_path / "kept", (url,))
        assert (tmp_path / "kept").is_dir()  # a folder of the user's own stays
        with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz is missing from .*kept \(nor is "
                                                    r"it there unzipped, .*\), which must hold MNIST's four files"):
            datasets.load_mnist(tmp_path / "kept")
    finally:
        server.shutdown()
        server.server_close()


def test_a_data_folder_that_is_a_file_is_named_before_any_download(tmp_path, monkeypatch):
    """It was "[Errno 20] Not a directory: '.../mnist'"."""
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "a-file"))
    asked = []
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: asked.append(a))
    with pytest.raises(DataError, match=r"cannot make the folder '.*a-file/mnist' to download MNIST into: not a "
                                        r"directory\. Set GLASSNET_DATA to a folder glassnet may write \(now "
                                        r"'.*a-file'\), or give a folder that holds the four files"):
        mnist_module.fetch(mnist_module.default_cache())
    assert asked == []
    # glassnet serve's default model: refused before its 30 epochs of training, not at the save after them
    said = []
    with pytest.raises(DataError, match=r"cannot make the folder '.*a-file/models' to keep the default model in: .* or "
                                        r"serve a model file of your own \(glassnet serve MODEL\)"):
        default_model(announce=said.append)
    assert [line.split(" (")[0] for line in said] == ["MNIST not available"]


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_classification_and_regression(tmp_path):
    d = datasets.load_csv(write(tmp_path, "a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n"), "kind")
    assert d.task == "classification" and d.classes == ["cat", "dog"] and d.y.tolist() == [0, 1, 0]
    assert d.feature_names == ["a", "b"] and d.X.shape == (3, 2)
    r = datasets.load_csv(write(tmp_path, "x,score\n1,0.5\n2,1.5\n"), "score")
    assert r.task == "regression" and r.y.tolist() == [0.5, 1.5]
    # a number is one class however it is written (1, 1.0 and 01 were three classes); words stay as written
    n = datasets.load_csv(write(tmp_path, "a,y\n1,1\n2,1.0\n3,01\n4,2\n5,2.00\n6,.5\n"), "y", task="classification")
    assert n.classes == ["0.5", "1", "2"] and n.y.tolist() == [1, 1, 1, 2, 2, 0]
    big = datasets.load_csv(write(tmp_path, "a,y\n1,9007199254740993\n2,9007199254740992\n3,+1\n"), "y")
    assert big.classes == ["1", "9007199254740992", "9007199254740993"]  # whole numbers exactly, not as floats
    huge = datasets.load_csv(write(tmp_path, "a,y\n1,100000000000000000000\n2,99999999999999999999\n"
                                             "3,99999999999999999999.0\n"), "y", task="classification")
    assert huge.classes == ["99999999999999999999", "100000000000000000000"] and huge.y.tolist() == [1, 0, 0]
    # kept as read, in float64: beyond float32's range, and dates that float32 rounds (20240103 to 20240104)
    edge = datasets.load_csv(write(tmp_path, "a,y\n4e39,1\n20240103,2\n20240105,3\n"), "y", task="regression")
    assert edge.X.dtype == edge.y.dtype == np.float64 and edge.X[:, 0].tolist() == [4e39, 20240103, 20240105]
    w = datasets.load_csv(write(tmp_path, "a,y\n1,none\n2,mild\n3,NA\n"), "y")
    assert w.classes == ["NA", "mild", "none"]  # among words, none and NA may be classes


@pytest.mark.parametrize(("text", "target", "message"), [
    ("a,b\n1,\n", "b", "line 2: missing value in target column 'b'"),
    ("a,b\n1,0\n2,1\n3,nan\n", "b", r"line 4: missing value in target column 'b' \('nan'\)"),  # it was a class
    ("a,b\n1,0\n2,NA\n", "b", r"line 3: missing value in target column 'b' \('NA'\)"),
    # beyond float64's range: infinity, refused with its line
    ("a,b\n1,0\n-4e400,1\n", "b", r"line 3: column 'a' holds '-4e400', not a finite number"),
    ("a,b\n1,0.5\n2,5e400\n", "b", r"line 3: target column 'b' holds '5e400', not a finite number"),
    ("a,b\n,1\n", "b", "line 2: missing value in column 'a'"),
    ("a,b\n1,2\nhello,3\n", "b", "line 3: column 'a' must be numeric; received 'hello'"),
    ("a,b\n1,2\n", "c", "target column 'c' is not in .*; its columns are 'a', 'b'$"),
    ("a;b\n1;2\n", "b", r"its columns are 'a;b' \(its fields seem separated by ';', as Excel writes them in some "
                         r"countries: save it as comma-separated values\)"),
    ("a,b\n1,2,3\n", "b", "line 2: 3 fields, but the header has 2"),
    ("a,b\n", "b", "needs a header row and at least one data row; found the header alone$"),  # "found 1 rows"
    # a blank line above the header was read as a header of no columns: "its columns are " and nothing
    ("\n\na,b\n1,2\n", "b", "line 1: names no column, where the header row that names them must be"),
    (",,\n1,2,3\n", "b", "line 1: names no column"),
    # the model read its columns by name: predict took the first 'a' twice, and 'y,y' named the wrong column
    ("a,a,y\n1,2,0\n", "y", "columns 1 and 2 are both named 'a'; give each column its own name"),
    ("a,y, y\n1,0,0\n", "y", "columns 2 and 3 are both named 'y'"),
    # pandas' row numbers, written by to_csv without index=False, were trained on as a feature named ''
    (",a,b,y\n0,1.5,0,0\n1,2.5,1,1\n", "y", r"column 1 has no name in the header \(pandas writes its row "
                                            r"numbers so, unless saved with to_csv\(..., index=False\)"),
    ("a,b,y,\n1,2,0,\n3,4,1,\n", "y", "column 4 has no name in the header .* a comma at the end of each line"),
])
def test_csv_errors(tmp_path, text, target, message):
    with pytest.raises(ValueError, match=message):
        datasets.load_csv(write(tmp_path, text), target)


def test_an_unnamed_column_left_out_by_name_is_no_reason_to_refuse_the_file(tmp_path):
    """A model's columns read by name from a file with pandas' row numbers (or commas at the ends of lines)."""
    path = write(tmp_path, ",a,b,y\n0,1.5,0,0\n1,2.5,1,1\n")
    read = datasets.load_csv(path, "y", columns=["a", "b"])
    assert read.X.tolist() == [[1.5, 0.0], [2.5, 1.0]] and read.feature_names == ["a", "b"]
    assert "at position 30" in datasets.infer_task([str(i % 2) for i in range(30)] + ["-"], "y")[1]  # not a line


def test_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="CSV file not found"):
        datasets.load_csv(tmp_path / "none.csv", "y")


def test_prices_written_with_separators_are_refused_not_made_a_class_each(tmp_path):
    """A target of "175,867"-style prices was read as text: 200 classes of one row each, a test split of classes
    never trained on, stopped only by the guard's "no better than chance"."""
    r = np.random.default_rng(0)
    rows = "\n".join(f'{a:.3f},"{int(p):,}"' for a, p in zip(r.normal(size=200), r.uniform(1e5, 9e5, 200)))
    (tmp_path / "price.csv").write_text("area,price\n" + rows + "\n")
    with pytest.raises(DataError, match=r"the target 'price' holds text such as '\d{3},\d{3}' on line 2 that reads "
                                        r"as numbers once its separators or units are taken out, or is no number, "
                                        r"among 200 distinct values"):
        datasets.load_csv(tmp_path / "price.csv", "price")
    # one bad field among numbers: it was quoted as a number, '0.00', the culprit and its line unnamed
    (tmp_path / "div.csv").write_text("a,y\n" + "".join(f"{i},{0.37 * i:.2f}\n" for i in range(300)) + "300,#DIV/0!\n")
    with pytest.raises(DataError, match=r"the target 'y' holds text such as '#DIV/0!' on line 302 that"):
        datasets.load_csv(tmp_path / "div.csv", "y")
    (tmp_path / "dash.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(30)) + "30,-\n")
    assert "holds text ('-' on line 32), read as class names" in datasets.load_csv(tmp_path / "dash.csv",
                                                                                     "y").task_reason
    assert len(datasets.load_csv(tmp_path / "price.csv", "price", task="classification").classes) == 200  # as asked
    (tmp_path / "kinds.csv").write_text("a,kind\n" + "\n".join(f"{i},k{i % 3}" for i in range(30)) + "\n")
    assert datasets.load_csv(tmp_path / "kinds.csv", "kind").classes == ["k0", "k1", "k2"]  # words stay classes
    (tmp_path / "only.csv").write_text("y\n1\n2\n")  # refused as "X must not be empty" in training
    with pytest.raises(DataError, match="holds no feature column beside the target 'y'; its columns are 'y'"):
        datasets.load_csv(tmp_path / "only.csv", "y")


def test_a_csv_too_large_for_memory_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """Nothing checked the memory a table takes: a 1 GB file would have asked for some 27 GB as text. read_rows
    (the rows as strings, for predict) counts its fields; load_csv, which keeps numbers, counts its lines."""
    from glassnet.core import _check_arrays
    from glassnet.datasets.csv import table_bytes

    r = np.random.default_rng(0)
    rows = "\n".join(",".join(f"{v:.3f}" for v in r.random(50)) for _ in range(200))
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(49)) + ",y\n" + rows + "\n")
    assert 10 * path.stat().st_size < table_bytes(path) < 15 * path.stat().st_size  # 10,200 fields of 6 bytes
    monkeypatch.setattr(_check_arrays, "available_memory", lambda: 100_000)
    with pytest.raises(gn.OptionError, match=r"reading .*wide.csv as a table of text fields would need .* of "
                                              r"memory, but this machine has 97.7 KiB free"):
        datasets.read_rows(path)
    monkeypatch.setattr(_check_arrays, "available_memory", lambda: 80_000)
    with pytest.raises(gn.OptionError, match=r"reading .*wide.csv as a table of numbers would need 90.0 KiB of "
                                              r"memory, but this machine has 78.1 KiB free"):
        datasets.load_csv(path, "y")  # 202 lines of 49 numbers in float64, and a target each


def test_a_csv_is_read_into_numbers_row_by_row(tmp_path):
    """load_csv held every field as a Python string before converting any: some thirty times the file's size
    (a 6.7 MB file took 180 MB). It now keeps numbers as it reads, and the strings of the target column only."""

    r = np.random.default_rng(1)
    values = r.random((4000, 41))
    path = tmp_path / "numbers.csv"
    path.write_text(",".join(f"c{i}" for i in range(40)) + ",y\n"
                    + "\n".join(",".join(f"{v:.3f}" for v in row[:40]) + f",{row[40]:.2f}" for row in values) + "\n")
    data, peak = traced_peak(lambda: datasets.load_csv(path, "y", task="regression"))
    np.testing.assert_allclose(data.X, values[:, :40], atol=5e-4)
    np.testing.assert_allclose(data.y, values[:, 40], atol=5e-3)
    size = path.stat().st_size  # 0.8 MB: the numbers take 1.3 MB as float64, 0.6 MB as float32
    assert peak < 4 * size, (peak, size)


@pytest.mark.parametrize("header", [True, False], ids=["with a header", "without one"])
def test_predict_reads_a_csv_into_numbers_row_by_row(tmp_path, header):
    """`glassnet predict` read the whole file as strings (read_rows) before converting: some thirty times the
    file's size. read_features keeps numbers as it reads; the columns the model does not take are dropped."""

    values = np.random.default_rng(2).random((4000, 41))
    path = tmp_path / "inputs.csv"
    path.write_text((",".join(f"c{i}" for i in range(41)) + "\n" if header else "")
                    + "\n".join(",".join(f"{v:.3f}" for v in row) for row in values) + "\n")
    wanted = [f"c{i}" for i in range(40, -1, -2)] if header else []  # by name, in the model's order
    (X, first_line), peak = traced_peak(lambda: datasets.read_features(path, wanted, 41 if not header else len(wanted)))
    expected = values[:, 40::-2] if header else values
    np.testing.assert_allclose(X, expected, atol=5e-4)
    assert first_line == (2 if header else 1) and X.dtype == np.float64
    size = path.stat().st_size  # 0.8 MB: the numbers take 1.3 MB as float64
    assert peak < 4 * size, (peak, size)


def test_predict_names_the_line_and_column_of_a_value_beyond_float64(tmp_path):
    """1e400 was "holds values that are not finite numbers", with no line, column or value (train named all three);
    a gap was "column 2" where the header names it b."""
    path = write(tmp_path, "a,b\n1,2\n1e400,2\n")
    with pytest.raises(DataError, match=r"line 3: column 'a' holds '1e400', not a finite number"):
        datasets.read_features(path, ["a", "b"], 2)
    with pytest.raises(DataError, match=r"line 2: column 'b' must be a number; received ''"):
        datasets.read_features(write(tmp_path, "a,b\n0.1,\n"), ["a", "b"], 2)
    with pytest.raises(DataError, match=r"line 1: column 2 holds '-1e999', not a finite number"):
        datasets.read_features(write(tmp_path, "1,-1e999\n"), [], 2)  # no header: a column by its place


def test_predict_reads_a_header_by_the_rules_training_reads_it_by(tmp_path):
    """Where training's reader refuses or explains, predict's said something else: "1,2,3," on every line (a
    comma at each line's end) made the first row a header, blamed as "column '' must be a number" on line 2; a
    header with an unnamed column, or more columns than the model takes, was read in order, the extra columns
    too; a file saved with semicolons got no hint."""
    with pytest.raises(DataError, match=r"line 1: the model's 3 numbers, then an empty field \(a comma at the end "
                                        r"of each line makes an empty column\)"):
        datasets.read_features(write(tmp_path, "1,2,3,\n4,5,6,\n"), [], 3)
    # a header of numbers that names the model's columns, with a comma at each line's end: read by name
    X, _ = datasets.read_features(write(tmp_path, "2020,2021,\n1,2,\n"), ["2021", "2020"], 2)
    assert X.tolist() == [[2.0, 1.0]]
    with pytest.raises(DataError, match=r"column 3 has no name in the header"):
        datasets.read_features(write(tmp_path, "a,b,\n1,2,3\n"), [], 3)
    with pytest.raises(DataError, match=r"has 4 columns, 'a', 'b', 'c', 'd', but the model takes 3 features; it "
                                        r"knows no names for them, so the columns are read in order$"):
        datasets.read_features(write(tmp_path, "a,b,c,d\n1,2,3,4\n"), [], 3)
    semicolons = write(tmp_path, "a;b;c\n1;2;3\n")
    for known in ([], ["a", "b", "c"]):
        with pytest.raises(DataError, match=r"its fields seem separated by ';'"):
            datasets.read_features(semicolons, known, 3)
    # a column the model reads by name is never the unnamed one: read as before
    X, first_line = datasets.read_features(write(tmp_path, "a,b,c,\n1,2,3,\n"), ["c", "a"], 2)
    assert X.tolist() == [[3.0, 1.0]] and first_line == 2


READERS = {"read_features": lambda path: datasets.read_features(path, [], 2),
           "load_csv": lambda path: datasets.load_csv(path, "b")}


@pytest.mark.parametrize("reader", READERS)
def test_reading_a_row_at_a_time_keeps_the_whole_file_readings_answers(tmp_path, monkeypatch, reader):
    """What the streaming readers say of a file is what reading it whole said (found by a review of the
    streaming): a file that cannot be read says so, whatever its first rows held; a blank tail takes no room;
    and one line too long to hold as fields is refused before it is parsed, as the whole-file reading refused
    it. read_features is what glassnet predict reads; load_csv what glassnet train reads."""
    from glassnet.core import _check_arrays

    read = READERS[reader]

    def refused(text):
        path = tmp_path / "x.csv"
        path.write_text(text)
        with pytest.raises((gn.DataError, gn.OptionError)) as info:
            read(path)
        return str(info.value)

    # the quote on line 3 is never closed: the value on line 2 is not what is wrong with the file
    assert "line 3: a quote opened in this row is never closed" in refused('a,b\nx,1\n1,"2\n')
    assert "is not a readable CSV file" in refused("a,b\nx,1\n" + "1," + "9" * 200_000 + "\n")


    path = tmp_path / "tail.csv"  # two rows of numbers, then 200,000 blank lines and 200,000 of commas
    path.write_text("a,b\n1,2\n3,4\n" + "\n" * 200_000 + ",\n" * 200_000)
    data, peak = traced_peak(lambda: read(path))
    assert len(data[0] if reader == "read_features" else data.X) == 2
    assert peak < 8 * 2**20, peak  # room for the rows the bytes could hold (2.4 MB); holding the blank rows, 30 MB

    monkeypatch.setattr(_check_arrays, "available_memory", lambda: 64 * 2**20)
    message = refused("a,b\n" + "," * 2_000_000 + "\n")
    assert re.search(r"reading .*x\.csv a row at a time would need 122\.1 MiB of memory, but this machine has "
                     r"64\.0 MiB free", message), message


def test_a_table_read_a_row_at_a_time_grows_where_its_room_runs_out():
    """Not expected (its room is what the file's bytes can hold), but a row past it is kept, not lost."""
    from glassnet.datasets._rows import grown

    X = np.arange(6.0).reshape(2, 3)
    assert grown(X, 1, "t.csv") is X
    more = grown(X, 2, "t.csv")
    assert more.shape == (4, 3) and np.array_equal(more[:2], X)
