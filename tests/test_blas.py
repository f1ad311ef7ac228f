"""The whole-vector updates of glassnet.ops._blas: NumPy's own OpenBLAS, and the NumPy fallback."""

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import _blas
from helpers import mechanics_only

HAVE_BLAS = _blas.backend() != "numpy"
TOL = {np.float32: 1e-6, np.float64: 1e-15}


@pytest.fixture(params=["blas", "numpy"])
def path(request, monkeypatch):
    """Run a test through the BLAS routines (where NumPy's OpenBLAS was found) and through NumPy."""
    if request.param == "blas" and not HAVE_BLAS:
        pytest.skip("NumPy's scipy-openblas was not found: only the NumPy path exists here")
    if request.param == "numpy":
        monkeypatch.setattr(_blas, "_ROUTINES", {})
    return request.param


def vectors(dtype, n=50_001):  # odd and large: OpenBLAS splits it between threads, with a tail
    r = np.random.default_rng(3)
    return r.standard_normal(n).astype(dtype), r.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_update_against_float64_arithmetic(path, dtype):
    x, y = vectors(dtype)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    scratch = np.empty_like(x)

    out = y.copy()
    _blas.axpy(-0.37, x, out, scratch)
    np.testing.assert_allclose(out, y64 - 0.37 * x64, rtol=TOL[dtype], atol=TOL[dtype])
    assert out.dtype == dtype

    out = y.copy()
    _blas.axpby(0.25, x, 0.9, out, scratch)
    np.testing.assert_allclose(out, 0.25 * x64 + 0.9 * y64, rtol=TOL[dtype], atol=TOL[dtype])

    out = y.copy()
    _blas.axpby(1.0, x, 0.999, out)  # no scratch: the NumPy path needs none for alpha == 1
    np.testing.assert_allclose(out, x64 + 0.999 * y64, rtol=TOL[dtype], atol=TOL[dtype])

    out = y.copy()
    _blas.scal(0.5, out)
    np.testing.assert_array_equal(out, y * dtype(0.5))  # exact: a power of two


def test_views_that_the_blas_cannot_take_fall_back_to_numpy(path):
    x, y = vectors(np.float32)
    strided = x[::2]
    out = y[: strided.size].copy()
    _blas.axpy(2.0, strided, out)
    np.testing.assert_allclose(out, y[: strided.size] + 2.0 * strided, rtol=1e-6)
    part = y.copy()
    _blas.scal(3.0, part[1::3])  # a strided view is scaled in place
    np.testing.assert_allclose(part[1::3], 3.0 * y[1::3], rtol=1e-6)
    np.testing.assert_array_equal(part[0::3], y[0::3])


def test_a_slice_of_the_flat_vector_is_updated_in_place(path):
    x, y = vectors(np.float32)
    out = y.copy()
    _blas.axpy(1.0, x[:10_000], out[:10_000])  # as the L2 term updates params[:n_decayed]
    np.testing.assert_allclose(out[:10_000], y[:10_000] + x[:10_000], rtol=1e-6)
    np.testing.assert_array_equal(out[10_000:], y[10_000:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_product_is_added_into_a_block_of_columns_of_a_wider_matrix(path, dtype):
    """add_product: out += a @ b, where out and b are blocks of columns of wider arrays (the conv grid's shifts)."""
    r = np.random.default_rng(5)
    a = r.standard_normal((7, 5)).astype(dtype)
    wide_b, wide_out = r.standard_normal((5, 300)).astype(dtype), r.standard_normal((7, 320)).astype(dtype)
    b, out = wide_b[:, 3:260], wide_out[:, 11:268]
    assert _blas._fits_product(a, b, out)  # the BLAS takes these views as they are
    want = wide_out.astype(np.float64)
    want[:, 11:268] += a.astype(np.float64) @ b.astype(np.float64)
    _blas.add_product(a, b, out)
    np.testing.assert_allclose(wide_out, want, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    assert np.array_equal(wide_out[:, :11], want[:, :11].astype(dtype))  # nothing outside the block moved


def test_products_the_blas_cannot_take_are_added_by_numpy(path):
    r = np.random.default_rng(6)
    a, b = r.standard_normal((4, 6)), r.standard_normal((6, 9))
    wide = r.standard_normal((4, 20))
    cases = {
        "transposed": (np.asfortranarray(a), b, np.zeros((4, 9))),
        "columns apart": (a, b, wide[:, ::2][:, :9]),
        "out overlaps b": (a[:, :4], wide[:, :9], wide[:, 2:11]),
        "another dtype": (a.astype(np.float32), b, np.zeros((4, 9))),
        "empty": (np.zeros((4, 0)), np.zeros((0, 9)), np.zeros((4, 9))),
    }
    for name, (x, y, out) in cases.items():
        assert not _blas._fits_product(x, y, out), name
        want = out + x.astype(np.float64) @ y.astype(np.float64)
        _blas.add_product(x, y, out)
        np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6, err_msg=name)


def test_byte_swapped_and_unaligned_arrays_are_left_to_numpy(path):
    """A big-endian ``>f8`` has the dtype char ``d`` too: handed to the BLAS, its bytes read as other numbers."""
    r = np.random.default_rng(7)
    a, b = r.standard_normal((6, 5)).astype(">f8"), r.standard_normal((5, 8)).astype(">f8")
    out = np.ones((6, 8), ">f8")
    assert not _blas._fits_product(a, b, out)
    _blas.add_product(a, b, out)
    np.testing.assert_allclose(out, 1 + a.astype(np.float64) @ b.astype(np.float64), rtol=1e-13)
    x, y = (v.astype(">f8") for v in vectors(np.float64))
    want = y.astype(np.float64) + 0.5 * x.astype(np.float64)
    _blas.axpy(0.5, x, y)
    np.testing.assert_allclose(y, want, rtol=1e-13)
    raw = np.zeros(6 * 8 * 8 + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(6, 8)  # one byte off an 8-byte boundary
    assert not unaligned.flags.aligned and not _blas._fits_product(a.astype(np.float64), b.astype(np.float64),
                                                                  unaligned)


def test_sizes_past_the_librarys_integer_type_are_left_to_numpy(monkeypatch):
    """With a 32-bit-index OpenBLAS a stride of 2**31 elements would wrap around: such arrays go to NumPy."""
    r = np.random.default_rng(8)
    a, wide = r.standard_normal((7, 5)), np.zeros((5, 320))
    b, out = wide[:, :257], np.zeros((7, 257))
    assert _blas._fits_product(a, b, out)
    monkeypatch.setattr(_blas, "_INDEX_MAX", 300)  # b's rows lie 320 apart: past this library's reach
    assert not _blas._fits_product(a, b, out) and _blas._fits_product(a, b.copy()[:, :257], out)
    monkeypatch.setattr(_blas, "_INDEX_MAX", _blas.BLAS_MIN - 1)
    assert not _blas._fits(*vectors(np.float64, _blas.BLAS_MIN))


def test_short_vectors_take_the_numpy_path_and_long_ones_the_blas(monkeypatch):
    called = []
    monkeypatch.setattr(_blas, "_ROUTINES", {("axpy", "d"): lambda *args: called.append(args[0])})
    x, y = vectors(np.float64, _blas.BLAS_MIN - 1)
    out = y.copy()
    _blas.axpy(2.0, x, out)
    np.testing.assert_allclose(out, y + 2.0 * x, rtol=1e-15)
    assert called == []
    x, y = vectors(np.float64, _blas.BLAS_MIN)
    _blas.axpy(2.0, x, y)
    assert called == [_blas.BLAS_MIN]


OPTIMIZERS = [
    ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("rmsprop", {"lr": 0.01}),
    ("adam", {"lr": 0.01}), ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
]


@mechanics_only  # five epochs on random labels, compared path to path
@pytest.mark.skipif(not HAVE_BLAS, reason="NumPy's scipy-openblas was not found: one path only")
@pytest.mark.parametrize(("name", "options"), OPTIMIZERS)
def test_training_takes_the_same_steps_on_both_paths(monkeypatch, name, options):
    """Five epochs with L2, through the BLAS and through NumPy: equal up to float64 rounding."""
    r = np.random.default_rng(4)
    X, y = r.normal(size=(60, 5)), r.integers(0, 3, 60)
    results = []
    for routines in (dict(_blas._ROUTINES), {}):
        monkeypatch.setattr(_blas, "_ROUTINES", routines)
        model = gn.mlp([5, 8, 3], rng=0, dtype="float64")
        model.fit(X, y, loss="cross_entropy", optimizer=name, epochs=5, batch_size=16, l2=0.01,
                  **options)
        results.append(model.params.copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-14)
    assert not np.array_equal(results[0], gn.mlp([5, 8, 3], rng=0, dtype="float64").params)


@pytest.mark.skipif(not HAVE_BLAS, reason="NumPy's scipy-openblas was not found")
def test_the_library_is_the_one_numpy_uses():
    """One thread pool: a threadpoolctl limit on NumPy's BLAS is seen through glassnet's handle."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    path = Path(_blas._LIBRARY)
    lib = ctypes.CDLL(str(path))
    get = getattr(lib, "scipy_openblas_get_num_threads64_", None) or lib.scipy_openblas_get_num_threads
    other = 2 if get() == 1 else 1  # a limit the pool is not at already (the suite runs at one thread)
    with threadpoolctl.threadpool_limits(limits=other, user_api="blas"):
        assert get() == other
    numpy_blas = next(i for i in threadpoolctl.threadpool_info() if Path(i["filepath"]).name == path.name)
    assert get() == numpy_blas["num_threads"]


def backend_with(value):
    env = {**os.environ, "GLASSNET_BLAS": value}
    return subprocess.run([sys.executable, "-c", "from glassnet.ops import _blas; print(_blas.backend())"],
                          capture_output=True, text=True, env=env)


def test_the_environment_variable_selects_numpy():
    assert backend_with("numpy").stdout.strip() == "numpy"
    assert backend_with("auto").stdout.strip() == backend_with("").stdout.strip() != ""


def test_an_unknown_value_of_the_environment_variable_is_refused():
    out = backend_with("openblass")
    assert out.returncode != 0
    assert "GLASSNET_BLAS must be 'auto' or 'numpy'; received 'openblass'" in out.stderr
