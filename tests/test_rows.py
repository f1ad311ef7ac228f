"""Data larger than memory: memmaps and other lazily read arrays, trained on and predicted batch by batch."""

import os
import resource
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassnet as gn
from glassnet.core.rows import LazyRows
from glassnet.errors import OptionError, OptionTypeError
from helpers import MNIST_DIR, mechanics_only, needs_mnist

FIT = dict(loss="cross_entropy", optimizer="adam", epochs=3, batch_size=32, verbose=False)


def blobs(n=400, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


def as_memmap(X, folder, name="x.dat"):
    path = os.path.join(folder, name)
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    del mm
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


class NoLoading:
    """A lazily read source that counts its reads, wants increasing indices (as h5py does) and cannot be loaded."""

    def __init__(self, data):
        self.data, self.shape, self.dtype, self.reads, self.rows_read = data, data.shape, data.dtype, 0, 0

    def __getitem__(self, idx):
        idx = np.asarray(idx)
        assert idx.ndim == 1 and np.all(np.diff(idx) > 0), "indices must increase"
        self.reads += 1
        self.rows_read += idx.size
        return self.data[idx]

    def __array__(self, *args, **kwargs):
        raise AssertionError("the source was loaded whole")


def test_a_row_asked_for_twice_is_read_once_from_a_source_that_wants_increasing_indices():
    """The indices were sorted but not made unique: h5py refuses [1, 1, 2], where NumPy returns the rows."""
    data = np.arange(12.0).reshape(6, 2)
    src = NoLoading(data)
    np.testing.assert_array_equal(LazyRows(src).take(np.array([4, 1, 1, 2, 4])), data[[4, 1, 1, 2, 4]])
    assert src.reads == 1 and src.rows_read == 3


@mechanics_only  # two epochs, compared source to source
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, {"validation_split": 0.25}, {"shuffle": False}, {"batch_size": None}])
def test_a_memmap_trains_exactly_as_the_array_in_memory(tmp_path, dtype, options):
    X, y = blobs()
    mm = as_memmap(X, tmp_path)
    runs = []
    for data in (X, mm):
        model = gn.mlp([12, 16, 3], rng=1, dtype=dtype)
        history = model.fit(data, y, **{**FIT, **options})
        runs.append((model.params.copy(), history.as_dict()["history"], model.predict(data)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])


@mechanics_only  # two epochs, counting reads
def test_a_lazy_source_is_read_a_batch_at_a_time_never_whole():
    X, y = blobs(n=300)
    src = NoLoading(X.astype(np.float64))
    lazy_model, model = gn.mlp([12, 8, 3], rng=2), gn.mlp([12, 8, 3], rng=2)
    lazy_model.fit(LazyRows(src), y, **FIT, validation_split=0.2)
    model.fit(X.astype(np.float64), y, **FIT, validation_split=0.2)
    np.testing.assert_array_equal(lazy_model.params, model.params)
    # each read is one batch (32 rows at most) or a scan/validation chunk; none is the whole set
    assert src.reads > 3 * 240 / 32
    np.testing.assert_array_equal(lazy_model.predict(LazyRows(src)), model.predict(X.astype(np.float64)))


@mechanics_only  # two epochs on random pictures, compared source to source
def test_pixels_stay_uint8_on_disk_and_arrive_as_images(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(64, 64), dtype=np.uint8)  # 8x8 pictures, flattened
    y = rng.integers(0, 2, 64)
    mm = as_memmap(pixels, tmp_path)
    cnn, cnn_mem = (gn.Sequential([gn.Conv2D(1, 2, 3, rng=0), gn.ReLU(), gn.Flatten(), gn.Dense(72, 2, rng=0)],
                                  input_shape=(1, 8, 8), rng=0) for _ in range(2))
    cnn.fit(mm, y, **FIT)
    cnn_mem.fit(pixels.astype(np.float32).reshape(64, 1, 8, 8), y, **FIT)
    np.testing.assert_array_equal(cnn.params, cnn_mem.params)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uint8_pixels_divided_as_they_are_read_equal_the_whole_array_divided(tmp_path, dtype):
    """Rows of uint8 pixels, in memory or mapped, arrive as the floats that dividing the whole array gives."""
    pixels = np.random.default_rng(1).integers(0, 256, size=(40, 16), dtype=np.uint8)
    whole = np.divide(pixels, dtype(255.0), dtype=dtype).reshape(40, 1, 4, 4)
    for source in (pixels, as_memmap(pixels, tmp_path)):
        rows = LazyRows(source, dtype, row_shape=(1, 4, 4), divisor=255.0)
        idx = np.array([39, 0, 7, 7, 12])
        np.testing.assert_array_equal(rows[idx], whole[idx])
        out = np.empty((5, 1, 4, 4), dtype)
        assert rows.take(idx, out) is out
        np.testing.assert_array_equal(out, whole[idx])
        np.testing.assert_array_equal(rows.subset(np.arange(10, 30))[2:5], whole[12:15])


def test_rows_index_like_an_array(tmp_path):
    X, _ = blobs(n=50)
    rows = LazyRows(as_memmap(X, tmp_path), np.float64)
    np.testing.assert_array_equal(rows[-1], X[-1])
    np.testing.assert_array_equal(rows[[3, -2, 0]], X[[3, -2, 0]])
    np.testing.assert_array_equal(rows[10:20:3], X[10:20:3])
    np.testing.assert_array_equal(rows.subset([5, 1])[1], X[1])
    assert rows[0].dtype == np.float64 and rows.shape == (50, 12)
    for bad in (50, -51, [0, 99]):
        with pytest.raises(IndexError, match="out of range for 50 rows"):
            rows[bad]
    # take and subset, which training and splits call, count from the end too and never read another row
    pixels = LazyRows(np.arange(50 * 12, dtype=np.uint8).reshape(50, 12), np.float32, divisor=255.0)
    np.testing.assert_array_equal(pixels.take([-1]), pixels[[49]])
    np.testing.assert_array_equal(pixels.subset([-2, 3])[:], pixels[[48, 3]])
    for bad in ([50], [-51]):
        with pytest.raises(IndexError, match="out of range for 50 rows"):
            pixels.take(bad)
        with pytest.raises(IndexError, match="out of range for 50 rows"):
            pixels.subset(bad)
    with pytest.raises(IndexError, match="rows must be row positions of the source, 0 to 49"):
        LazyRows(np.zeros((50, 2)), rows=[0, 50])
    # a tuple indexes rows, then what they hold, as NumPy does: X[0, 3] read rows 0 and 3, X[5, :10] raised
    for key in [(0, 3), (5, slice(None, 10)), (slice(2, 9), 4), ([1, 7], slice(3, 6)), (-1,), (X[:, 0] > 0,)]:
        np.testing.assert_array_equal(rows[key], X[key])
    np.testing.assert_array_equal(rows[X[:, 0] > 0], X[X[:, 0] > 0])  # a mask of the rows
    assert rows[[]].shape == (0, 12)  # [] is float64 to NumPy: "received float64"
    with pytest.raises(IndexError, match="an int array or a mask of 50 booleans; received float64"):
        rows[[0.5, 1.9]]
    np.testing.assert_array_equal(rows[((0, 1),)], X[((0, 1),)])
    # NumPy pairs two index arrays point by point, which rows read first would not: refused, not answered otherwise
    for key, message in [(([0, 1], [2, 3]), "by one array at most"), ((Ellipsis, 0), "without ... or None"),
                         ((None, 0), "without ... or None")]:
        with pytest.raises(IndexError, match=message):
            rows[key]


def test_bad_lazy_input_gets_a_clear_message(tmp_path):
    X, y = blobs(n=100)
    X[70, 3] = np.nan
    mm = as_memmap(X, tmp_path)
    with pytest.raises(OptionError, match=r"X must hold finite values; received NaN or infinity in rows 0 to 99"):
        gn.mlp([12, 3], rng=0).fit(mm, y, **FIT)
    with pytest.raises(OptionError, match="read lazily .* optimizer='lbfgs' evaluates the whole set"):
        gn.mlp([12, 3], rng=0).fit(as_memmap(blobs(n=100)[0], tmp_path, "y.dat"), y, loss="cross_entropy",
                                   optimizer="lbfgs")
    with pytest.raises(OptionError, match="has 12 features per sample, but the model's first layer expects 5"):
        gn.mlp([5, 3], rng=0).predict(mm)
    with pytest.raises(OptionTypeError, match="source must have shape, dtype and row indexing"):
        LazyRows([[1.0, 2.0]])
    with pytest.raises(OptionTypeError, match="source must hold numbers"):
        LazyRows(np.array([["a", "b"]]))
    # each was taken: divisor 0 gave rows of infinity, [0.5, 1.9] rows 0 and 1, (-1, -2) a shape of two values,
    # and scan(-1) no chunk at all
    source = np.arange(8.0).reshape(4, 2)
    for divisor in (0, -2.0, float("nan")):
        with pytest.raises(OptionError, match="divisor must be a finite number above 0"):
            LazyRows(source, np.float32, divisor=divisor)
    for rows in ([0.5, 1.9], [[0, 1], [2, 3]]):
        with pytest.raises(IndexError, match="rows must be a list of whole row positions"):
            LazyRows(source, rows=rows)
    with pytest.raises(OptionError, match=r"row_shape must be sizes of at least 1; received \(-1, -2\)"):
        LazyRows(source, row_shape=(-1, -2))
    with pytest.raises(OptionError, match="rows must be a whole number of at least 1; received -1"):
        next(LazyRows(source).scan(-1))
    assert LazyRows(source, rows=[]).shape == (0, 2)


@needs_mnist
def test_the_mnist_loader_writes_a_memmap_cache_once_and_reads_it_after(tmp_path, monkeypatch):
    from glassnet.datasets import load_mnist
    from glassnet.datasets.mnist import MNIST_FILES, CacheRebuiltWarning

    train, test = load_mnist(MNIST_DIR, memmap=tmp_path)
    assert isinstance(train.X, LazyRows) and train.X.shape == (60000, 784) and train.X.dtype == np.float32
    assert isinstance(train.X.source, np.memmap) and train.X.source.dtype == np.uint8  # a quarter of float32's size
    digest = MNIST_FILES["t10k-images-idx3-ubyte.gz"][:16]
    cache = tmp_path / f"mnist-t10k-images-uint8-{digest}.npy"
    assert sorted(os.listdir(tmp_path)) == sorted([f"mnist-train-images-uint8-"
                                                   f"{MNIST_FILES['train-images-idx3-ubyte.gz'][:16]}.npy", cache.name])
    made = os.path.getmtime(cache)
    again, again_test = load_mnist(MNIST_DIR, memmap=tmp_path)
    assert os.path.getmtime(cache) == made
    plain, plain_test = load_mnist(MNIST_DIR)
    np.testing.assert_array_equal(again.X[::997], plain.X[::997])
    np.testing.assert_array_equal(again_test.X[:], plain_test.X)
    good = cache.read_bytes()

    def damaged(data):  # each is rebuilt, with a warning that names the file
        cache.write_bytes(data)
        with pytest.warns(CacheRebuiltWarning, match=f"the cache file .*{cache.name} did not hold MNIST's"):
            _, repaired = load_mnist(MNIST_DIR, memmap=tmp_path)
        np.testing.assert_array_equal(repaired.X[:], plain_test.X)
        assert cache.read_bytes() == good

    damaged(good[:1000])  # cut short: a crash, a full disk
    damaged(good[:5000] + bytes(100_000) + good[105_000:])  # the same size, pixels zeroed: only the checksum tells
    damaged(good[:-4])  # written by a glassnet that kept no checksum
    damaged(b"")  # empty
    damaged(good.replace(b"'fortran_order': False", b"'fortran_order': True ", 1))  # the same bytes, read transposed
    header = good.replace(b"'|u1'", b"'<f4'", 1)  # a header claiming float32, which could hold NaN
    damaged(header)
    # a regular file where the folder should be, and links: refused with a message, never followed
    (tmp_path / "afile").write_text("x")
    with pytest.raises(gn.DataError, match="memmap must be a folder .*'.*afile' is a file"):
        load_mnist(MNIST_DIR, memmap=tmp_path / "afile")
    cache.unlink()
    target = tmp_path / "elsewhere.npy"
    target.write_bytes(b"not ours")
    cache.symlink_to(target)
    with pytest.raises(gn.DataError, match="is a symbolic link; glassnet writes and reads its caches only"):
        load_mnist(MNIST_DIR, memmap=tmp_path)
    assert target.read_bytes() == b"not ours" and cache.is_symlink()
    if os.geteuid() == 0:  # a link to a device: the old cache replaced /dev/zero this way
        cache.unlink()
        cache.symlink_to("/dev/zero")
        with pytest.raises(gn.DataError, match="symbolic link"):
            load_mnist(MNIST_DIR, memmap=tmp_path)
        assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
    # a folder under the home directory, written the way a user writes it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_mnist(MNIST_DIR, memmap="~/mnist-npy")
    assert (tmp_path / "home" / "mnist-npy" / cache.name).exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA bounds a process's memory on Linux")
def test_a_file_three_times_the_memory_allowed_trains_as_it_would_in_memory(tmp_path):
    """The file is 768 MiB; the training process may allocate 256 MiB (RLIMIT_DATA, as prlimit --data sets)."""
    rows, width, limit = 192 * 1024, 1024, 256 * 2**20
    path = tmp_path / "big.f32"
    with open(path, "wb") as f:  # written in chunks: the test itself stays small too
        for start in range(0, rows, 16384):
            np.random.default_rng(start).random((16384, width), dtype=np.float32).tofile(f)
    assert path.stat().st_size == 3 * limit
    script = textwrap.dedent(f"""
        import json, resource, sys
        import numpy as np
        import glassnet as gn
        from glassnet.core.rows import LazyRows
        X = np.memmap({str(path)!r}, dtype=np.float32, mode="r", shape=({rows}, {width}))
        if sys.argv[1] == "memory":
            X = np.array(X)
        y = (np.arange({rows}) * 7919 % 3)
        model = gn.mlp([{width}, 8, 3], rng=0)
        h = model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=1, batch_size=512,
                      validation_split=0.1, verbose=False)
        out = model.predict(X[:1000] if sys.argv[1] == "memory" else LazyRows(X).subset(np.arange(1000)))
        print(json.dumps({{"params": model.params.tolist(), "logs": h.as_dict()["history"], "out": out.tolist(),
                          "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
    """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}

    def run(mode, preexec=None):
        done = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, env=env,
                              timeout=300, preexec_fn=preexec)
        assert done.returncode == 0, done.stderr[-2000:]
        return __import__("json").loads(done.stdout)

    def bounded():
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    lazy = run("lazy", bounded)
    whole = run("memory")
    assert lazy["params"] == whole["params"]
    assert lazy["logs"] == whole["logs"]
    assert lazy["out"] == whole["out"]
    # and the bound is real: loading the file whole under it fails
    failed = subprocess.run([sys.executable, "-c", f"import numpy as np; np.fromfile({str(path)!r}, np.float32)"],
                            capture_output=True, text=True, env=env, timeout=120, preexec_fn=bounded)
    assert failed.returncode != 0 and "MemoryError" in failed.stderr
