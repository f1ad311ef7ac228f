"""The optional accelerator: every numba kernel against its NumPy twin, the switch, and laziness.

The twin is the reference. Each kernel is held to it at several shapes (one sample, odd sizes, ties,
float64), and the paths that must not take a kernel (strided views, odd-sized pictures) are checked to
fall back to NumPy. ``accelerate.use`` turns the kernels on and off within a test; the fixture puts the
process's setting back.
"""

import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import accelerate
from glassnet.ops import pooling as P

numba = pytest.importorskip("numba", reason="the fast extra is not installed: the kernels have nothing to test")


@pytest.fixture
def switch():
    """``switch(True)`` or ``switch(False)`` for the rest of the test; the environment's setting after it."""
    yield accelerate.use
    accelerate.use(None)


def both(switch, work):
    """``work()`` with the kernels and without them."""
    switch(True)
    fast = work()
    switch(False)
    return fast, work()


SHAPES = [(1, 1, 2, 2), (1, 3, 4, 6), (5, 2, 10, 14), (64, 16, 28, 28)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_max_pooling_kernels_equal_their_twins(switch, shape, dtype):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    x[..., ::3, :] = np.round(x[..., ::3, :])  # ties within windows: the first in reading order wins
    pooled, ref_pooled = both(switch, lambda: P.max_pool2d(x, (2, 2), (2, 2)))
    np.testing.assert_array_equal(pooled, ref_pooled)
    g = rng.standard_normal(pooled.shape).astype(dtype)
    dx, ref_dx = both(switch, lambda: P.max_pool2d_backward(g, x, ref_pooled, (2, 2), (2, 2),
                                                           out=np.full(shape, np.nan, dtype)))
    np.testing.assert_array_equal(dx, ref_dx)  # selections and copies: exact, every entry written


def test_a_nan_in_a_window_pools_to_nan_and_takes_no_gradient_as_in_numpy(switch):
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    x[0, 0, 0, 1] = x[0, 1, 3, 3] = np.nan  # one window's first row, another's last entry
    pooled, ref_pooled = both(switch, lambda: P.max_pool2d(x, (2, 2), (2, 2)))
    np.testing.assert_array_equal(pooled, ref_pooled)  # NaN where NaN, in the same places
    assert np.isnan(pooled).sum() == 2
    g = np.ones(pooled.shape, np.float32)
    dx, ref_dx = both(switch, lambda: P.max_pool2d_backward(g, x, ref_pooled, (2, 2), (2, 2)))
    np.testing.assert_array_equal(dx, ref_dx)


def test_ties_send_the_gradient_to_the_first_maximum_alone(switch):
    switch(True)
    x = np.ones((1, 1, 2, 2), np.float32)
    dx = P.max_pool2d_backward(np.full((1, 1, 1, 1), 5.0, np.float32), x, np.ones((1, 1, 1, 1), np.float32),
                               (2, 2), (2, 2))
    assert dx.ravel().tolist() == [5.0, 0.0, 0.0, 0.0]


def test_pictures_the_kernel_does_not_tile_take_the_numpy_path(switch, monkeypatch):
    calls = []
    real = accelerate.kernel
    monkeypatch.setattr(accelerate, "kernel", lambda name: calls.append(name) or real(name))
    switch(True)
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8)).astype(np.float32)  # 7 rows: one left over
    P.max_pool2d(x, (2, 2), (2, 2))
    P.max_pool2d(x[:, :, :6, :], (2, 2), (2, 2))  # tiled, but a strided view
    P.max_pool2d(x[:, :, :6], (3, 3), (3, 3))  # 3x3 windows
    assert calls == []
    P.max_pool2d(np.ascontiguousarray(x[:, :, :6]), (2, 2), (2, 2))
    assert calls == ["max_pool_2x2"]


def test_a_conv_net_trains_to_the_same_weights_with_and_without_kernels(switch):
    rng = np.random.default_rng(0)
    X = rng.random((96, 1, 8, 8), np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(int)  # top half brighter

    def run():
        model = gn.Sequential(gn.Conv2D(1, 4, 3, padding=1, rng=0), gn.MaxPool2D(2), gn.ReLU(), gn.Flatten(),
                              gn.Dense(64, 2, rng=1), rng=2)
        history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.02, epochs=8, batch_size=16,
                            verbose=False, threads=1)
        return model.params, history.loss[-1]

    (fast, fast_loss), (reference, loss) = both(switch, run)
    assert fast_loss < 0.6 and fast_loss == pytest.approx(loss, rel=1e-5)  # it learned (chance: 0.69), alike
    np.testing.assert_allclose(fast, reference, rtol=1e-5, atol=1e-6)


def test_off_by_environment_and_never_imported_before_a_kernel_is_needed():
    code = ("import sys, numpy as np, glassnet as gn\n"
            "model = gn.mlp([4, 3], rng=0)\n"
            "model.fit(np.ones((8, 4)), np.eye(3)[[0, 1] * 4], optimizer='adam', epochs=1, verbose=False)\n"
            "print('numba' in sys.modules)\n"  # an MLP needs no kernel
            "gn.Sequential(gn.MaxPool2D(2)).predict(np.ones((1, 1, 4, 4), np.float32))\n"
            "print('numba' in sys.modules)\n")
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                        env={**__import__("os").environ, "GLASSNET_ACCELERATE": "1"})  # whatever the suite's
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         env={**__import__("os").environ, "GLASSNET_ACCELERATE": "0"})
    assert on.stdout.split() == ["False", "True"]  # the first 2x2 pooling compiled (or loaded) its kernel
    assert off.stdout.split() == ["False", "False"]


def test_fits_takes_contiguous_numpy_floats_of_one_dtype_only():
    a = np.zeros(4, np.float32)
    assert accelerate.fits(a, np.ones(4, np.float32))
    assert not accelerate.fits(a, np.ones(4))  # float64 beside float32
    assert not accelerate.fits(np.zeros(8, np.float32)[::2])
    assert not accelerate.fits(np.zeros(4, np.int64))
    assert not accelerate.fits([0.0, 1.0])
