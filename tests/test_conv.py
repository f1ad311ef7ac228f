"""Convolution, pooling and batch normalization: worked by hand, by central differences, and in model files."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import convolution as C
from glassnet.nn import Context
from glassnet.nn.predicting import PREDICT_BYTES
from glassnet.ops import _blas
from glassnet.ops import im2col_grid as G
from helpers import mechanics_only


def random_images(r, n, c, h, w):
    return r.normal(size=(n, c, h, w))


# -- worked by hand ----------------------------------------------------------------

def test_a_convolution_worked_by_hand():
    """A 3x3 image, one 2x2 kernel, stride 1, no padding: four windows, each a sum of four products."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # 1 2 3 / 4 5 6 / 7 8 9
    W = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # top-left minus bottom-right
    z = C.conv2d(x, W, np.array([0.5]))
    np.testing.assert_array_equal(z, [[[[1 - 5 + 0.5, 2 - 6 + 0.5], [4 - 8 + 0.5, 5 - 9 + 0.5]]]])
    # backward with dC/dZ = 1 everywhere: dW[i, j] sums the pixels each kernel entry met
    dx, dW, db = C.conv2d_backward(x, W, np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(dW, [[[[1 + 2 + 4 + 5, 2 + 3 + 5 + 6], [4 + 5 + 7 + 8, 5 + 6 + 8 + 9]]]])
    np.testing.assert_array_equal(db, [4.0])
    # each pixel gets +1 for every window that met it at the top-left, -1 at the bottom-right
    np.testing.assert_array_equal(dx, [[[[1, 1, 0], [1, 0, -1], [0, -1, -1]]]])


def test_im2col_lays_each_window_out_as_a_column_and_col2im_is_its_adjoint():
    r = np.random.default_rng(0)
    x = random_images(r, 2, 3, 5, 4)
    pads, kernel, stride = C.pads_for(1, (3, 2), (2, 1)), (3, 2), (2, 1)
    xpad = C.pad_images(x, pads)
    cols = C.im2col(xpad, kernel, stride)
    oh, ow = C.output_size(5, 3, 2, 1, 1), C.output_size(4, 2, 1, 1, 1)
    assert cols.shape == (3 * 2 * 3, 2 * oh * ow)
    # column (sample 1, window row 1, window column 2) is that window, kernel row by row, channels inside
    window = xpad[:, 1, 2:5, 2:4]  # (channels, 3, 2)
    np.testing.assert_array_equal(cols[:, (1 * oh + 1) * ow + 2], window.transpose(1, 2, 0).reshape(-1))
    # <im2col(x), d> == <x, col2im(d)>: col2im is the transpose of the linear map im2col
    d = r.normal(size=cols.shape)
    back = C.col2im(d, xpad.shape, kernel, stride)
    assert np.isclose(np.sum(cols * d), np.sum(xpad * back), rtol=1e-12)


def test_pooling_worked_by_hand_with_ties_going_to_the_first():
    x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                    [0.0, -1.0, 2.0, 1.0]]]])
    out = C.max_pool2d(x, (2, 2), (2, 2))
    np.testing.assert_array_equal(out, [[[[3.0, 2.0]]]])
    dx = C.max_pool2d_backward(np.array([[[[10.0, 20.0]]]]), x, out, (2, 2), (2, 2))
    np.testing.assert_array_equal(dx, [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])  # the tie of 2s: the first takes it
    np.testing.assert_array_equal(C.max_positions(x, (2, 2), (2, 2)), [[[[1, 0]]]])
    np.testing.assert_array_equal(C.avg_pool2d(x, (2, 2), (2, 2)), [[[[0.75, 1.75]]]])
    np.testing.assert_array_equal(C.avg_pool2d_backward(np.array([[[[4.0, 8.0]]]]), x.shape, (2, 2), (2, 2)),
                                  [[[[1, 1, 2, 2], [1, 1, 2, 2]]]])


def test_a_gradient_check_takes_a_max_pool_window_of_more_than_128_entries():
    """Each window's argmax was kept as int8, so a 12 x 12 window (a whole map pooled) ended the gradient check
    in an OverflowError; the positions are those of argmax over each window."""
    x = np.random.default_rng(0).standard_normal((2, 3, 12, 12))
    where = C.max_positions(x, (12, 12), (12, 12))
    np.testing.assert_array_equal(where[..., 0, 0], x.reshape(2, 3, 144).argmax(axis=2))
    model = gn.Sequential(gn.Conv2D(3, 2, 1), gn.MaxPool2D(12), gn.Flatten(), gn.Dense(3), rng=0, dtype="float64",
                          input_shape=(3, 12, 12))
    assert gn.gradcheck(model, "cross_entropy", x, np.array([0, 1]), check_input=True).passed


def test_batch_norm_worked_by_hand():
    x = np.array([[1.0], [3.0]])  # one feature, mean 2, biased variance 1
    out, xhat, inv_std = C.batch_norm(x, np.array([2.0]), np.array([1.0]), np.array([2.0]), np.array([0.5]), 0.0)
    np.testing.assert_allclose(out, [[-1.5], [2.5]])
    np.testing.assert_allclose(xhat, [[-1.0], [1.0]])
    # the batch's own statistics: shifting both inputs alike changes nothing, so dC/dx sums to 0
    dx, dgamma, dbeta = C.batch_norm_backward(np.array([[1.0], [0.0]]), xhat, inv_std, np.array([2.0]), True)
    np.testing.assert_allclose(dx.sum(), 0.0, atol=1e-15)
    np.testing.assert_allclose([dgamma[0], dbeta[0]], [-1.0, 1.0])


# -- central differences on random shapes ----------------------------------------------

def conv_net(r, dtype=np.float64, batch_norm=True, pool="max"):
    """A random small network that mixes every image layer: shapes, strides and paddings drawn from r."""
    c, h, w = int(r.integers(1, 4)), int(r.integers(6, 10)), int(r.integers(6, 10))
    k1 = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    stride = (int(r.integers(1, 3)), int(r.integers(1, 3)))
    padding = [0, 1, (1, 0), "valid"][int(r.integers(4))]
    c1 = int(r.integers(2, 5))
    layers = [gn.Conv2D(c, c1, k1, stride=stride, padding=padding, bias=bool(r.integers(2)), rng=r, dtype=dtype)]
    if batch_norm:
        layers.append(gn.BatchNorm(c1, dtype=dtype))
    layers.append(gn.Tanh())
    layers.append(gn.MaxPool2D(2, stride=int(r.integers(1, 3))) if pool == "max" else gn.AvgPool2D((2, 1)))
    layers.append(gn.Conv2D(c1, 3, 2, padding="same", rng=r, dtype=dtype))
    layers.append(gn.ReLU())
    layers.append(gn.Flatten())
    model = gn.Sequential(layers, input_shape=(c, h, w), dtype=dtype)
    flat = model.output_shape[0]
    if batch_norm:
        model = gn.Sequential(layers + [gn.Dense(flat, 5, rng=r, dtype=dtype), gn.BatchNorm(5, dtype=dtype),
                                        gn.Sigmoid(), gn.Dense(5, 3, rng=r, dtype=dtype)],
                              input_shape=(c, h, w), dtype=dtype)
    else:
        model = gn.Sequential(layers + [gn.Dense(flat, 3, rng=r, dtype=dtype)], input_shape=(c, h, w), dtype=dtype)
    return model


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("training", [False, True])
def test_random_conv_nets_pass_the_gradient_check(seed, training):
    r = np.random.default_rng(seed)
    model = conv_net(r, pool="max" if seed % 2 else "avg")
    if not training:  # running statistics away from their starting 0 and 1
        for layer in model.layers:
            if isinstance(layer, gn.BatchNorm):
                layer.state["running_mean"][...] = r.normal(size=layer.num_features)
                layer.state["running_var"][...] = r.uniform(0.5, 2.0, layer.num_features)
    X = r.normal(size=(4, *model.input_shape))
    y = r.integers(0, 3, 4)
    report = gn.gradcheck(model, "cross_entropy", X, y, check_input=True, training=training, tol=1e-6)
    assert report.passed, str(report)
    assert {row.label.split()[1] for row in report.rows} >= {"Conv2D.W", "Dense.W", "BatchNorm.gamma"}


def test_gradient_check_catches_a_wrong_convolution_gradient(monkeypatch):
    """The check can fail: an input gradient that drops the last kernel row's contribution is caught on dJ/dX.

    Each of the three ways the layer may take is broken in turn: col2im_samples (inputs of up to three
    channels), the grid's add_input_gradient (more channels, stride 1) and col2im (more channels, another
    stride).
    """
    def breaking(real):
        def broken(first, *args, **kwargs):
            cut = first.copy()
            if real.__name__ == "col2im_samples":  # (n, kh * kw * c, windows): zero kernel row kh - 1 of every sample
                cut.reshape(cut.shape[0], args[-2][0], -1)[:, -1] = 0
            elif real.__name__ == "add_input_gradient":  # the weights by kernel entry: zero kernel row kh - 1
                cut[-1] = 0
            else:
                cut.reshape(*args[-2], -1)[-1] = 0
            return real(cut, *args, **kwargs)
        return broken

    r = np.random.default_rng(0)
    for module, name, channels, stride, size in ((C, "col2im_samples", 2, 1, 16), (G, "add_input_gradient", 4, 1, 16),
                                                 (C, "col2im", 4, 2, 4)):
        model = gn.Sequential([gn.Conv2D(1, channels, 3, padding=1, rng=r, dtype=np.float64),
                               gn.Conv2D(channels, 1, 2, stride=stride, rng=r, dtype=np.float64), gn.Flatten()],
                              input_shape=(1, 5, 5))
        X, y = r.normal(size=(2, 1, 5, 5)), r.normal(size=(2, size))
        assert gn.gradcheck(model, "mse", X, y, check_input=True).passed
        with monkeypatch.context() as m:
            m.setattr(module, name, breaking(getattr(module, name)))
            report = gn.gradcheck(model, "mse", X, y, check_input=True)
        assert not report.passed and not report.rows[-1].passed, name  # the input's gradient is wrong
        assert not report.rows[0].passed, name  # and through it the first layer's kernels


GRIDS = [((3, 2, 7, 9), (3, 3), (1, 1, 1, 1)), ((2, 3, 6, 5), (2, 4), (0, 1, 1, 2)),
         ((1, 1, 4, 4), (1, 1), (0,) * 4), ((2, 2, 5, 6), (3, 2), (2, 2, 1, 1)),
         ((1, 2, 3, 3), (5, 5), (4, 4, 4, 4)), ((2, 1, 6, 4), (3, 3), (0, 2, 1, 0))]  # (c, n, h, w), kernel, pads


@pytest.mark.parametrize("shape, kernel, pads", GRIDS)
def test_the_grid_holds_every_window_and_col2im_grid_is_its_adjoint(shape, kernel, pads):
    """im2col_grid's columns at the window positions are im2col's columns; col2im_grid is its adjoint."""
    r = np.random.default_rng(1)
    c, n, h, w = shape
    x = r.normal(size=(n, c, h, w))
    g = C.grid_for((h, w), pads, kernel)
    grid = G.to_grid(x, g, out=np.full((c, g.length(n)), np.nan))  # every entry written
    np.testing.assert_array_equal(G.pixels(grid, g, n), x.transpose(1, 0, 2, 3))
    assert np.count_nonzero(grid) == np.count_nonzero(x)  # zeros everywhere else
    cols = C.im2col_grid(grid, g, n)
    windows = C.im2col(C.pad_images(x, pads), kernel, (1, 1))
    assert (g.oh, g.ow) == C.grid((h, w), kernel, (1, 1), pads)
    np.testing.assert_array_equal(G.windows(cols, g, n).reshape(windows.shape), windows)
    dcols = r.normal(size=cols.shape)
    back = C.col2im_grid(dcols, g, n)
    assert np.isclose(np.vdot(cols, dcols), np.vdot(grid, back))  # <im2col(a), d> = <a, col2im(d)>


def test_padding_wider_than_the_grid_shares_has_no_grid():
    assert C.grid_for((5, 5), (3, 3, 1, 1), (3, 3)) is None  # three zero rows above and below a 3x3 kernel
    assert C.grid_for((5, 5), (1, 1, 0, 3), (3, 3)) is not None  # one side may be as wide as it likes
    assert C.grid_for((5, 5), (1, 1, 3, 3), (3, 3)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("blas", [True, False], ids=["blas", "numpy"])
@pytest.mark.parametrize("shape, kernel, pads", GRIDS)
def test_the_grids_products_equal_im2col_and_col2im_with_one_product(shape, kernel, pads, blas, dtype, monkeypatch):
    """add_shifted_products is K @ im2col_grid, add_input_gradient is col2im_grid(K.T @ G): on the BLAS and NumPy."""
    if not blas:
        monkeypatch.setattr(_blas, "_ROUTINES", {})
    r = np.random.default_rng(2)
    c, n, h, w = shape
    out_c, (kh, kw) = 3, kernel
    W = r.normal(size=(out_c, c, kh, kw)).astype(dtype)
    g = C.grid_for((h, w), pads, kernel)
    grid = G.to_grid(r.normal(size=(n, c, h, w)).astype(dtype), g, out=np.empty((c, g.length(n)), dtype))
    K = C.kernel_matrix(W)
    tol = {np.float32: 2e-5, np.float64: 1e-12}[dtype]
    z = G.add_shifted_products(np.ascontiguousarray(W.transpose(2, 3, 0, 1)), grid, g, n,
                               out=np.full((out_c, g.positions(n)), np.nan, dtype))
    np.testing.assert_allclose(z, K @ C.im2col_grid(grid, g, n), rtol=tol, atol=tol)
    grad = r.normal(size=(out_c, g.positions(n))).astype(dtype)
    dgrid = G.add_input_gradient(np.ascontiguousarray(W.transpose(2, 3, 1, 0)), grad, g, n,
                                 out=np.full(grid.shape, np.nan, dtype))
    np.testing.assert_allclose(dgrid, C.col2im_grid(K.T @ grad, g, n), rtol=tol, atol=tol)
    assert z.dtype == dgrid.dtype == dtype


def test_samples_first_im2col_holds_the_same_windows_and_col2im_samples_is_its_adjoint():
    r = np.random.default_rng(2)
    for (n, c, h, w), kernel, stride, pads in (((2, 3, 7, 9), (3, 3), (1, 1), (1, 1, 1, 1)),
                                               ((1, 1, 6, 5), (2, 4), (2, 1), (0, 1, 2, 0)),
                                               ((3, 2, 5, 5), (1, 1), (2, 2), (0, 0, 0, 0))):
        x = r.normal(size=(n, c, h, w))
        xpad = C.pad_samples(x, pads)
        np.testing.assert_array_equal(xpad, C.pad_images(x, pads).transpose(1, 0, 2, 3))
        cols = C.im2col_samples(xpad, kernel, stride)
        reference = C.im2col(C.pad_images(x, pads), kernel, stride)  # (kh * kw * c, n * windows)
        assert cols.shape == (n, reference.shape[0], reference.shape[1] // n)
        np.testing.assert_array_equal(cols, reference.reshape(reference.shape[0], n, -1).transpose(1, 0, 2))
        g = r.normal(size=cols.shape)
        back = C.col2im_samples(g, xpad.shape, kernel, stride)
        assert np.isclose(np.vdot(cols, g), np.vdot(xpad, back), rtol=1e-12)  # <im2col(x), g> = <x, col2im(g)>


@pytest.mark.parametrize("channels, stride, padding, bias, n", [
    (1, 1, "same", False, 1), (3, 1, 1, True, 4), (2, 2, "valid", True, 3), (1, (2, 1), (1, 2), True, 2)])
def test_both_layouts_of_a_convolution_give_the_same_output_and_gradients(monkeypatch, channels, stride, padding,
                                                                       bias, n):
    """Samples first (inputs of few channels) and channels first agree, for one layer's weights and input."""
    r = np.random.default_rng(3)
    layer = gn.Conv2D(channels, 4, (3, 2), stride=stride, padding=padding, bias=bias, rng=r, dtype=np.float64)
    if bias:
        layer.params["b"][...] = r.normal(size=4)
    x = r.normal(size=(n, channels, 9, 8, 2))[..., 0]  # not contiguous
    results = []
    for limit in (channels, channels - 1):  # samples first, then channels first
        monkeypatch.setattr(gn.Conv2D, "SAMPLES_FIRST_CHANNELS", limit)
        ctx = Context()
        z = layer.forward(x, ctx).copy()
        grad = np.random.default_rng(4).normal(size=z.shape)
        dx = layer.backward(grad, ctx).copy()
        assert ctx.layout == ("samples" if limit == channels else "grid" if stride == 1 else "windows")
        results.append((z, dx, {k: v.copy() for k, v in layer.grads.items()}))
    (z1, dx1, g1), (z2, dx2, g2) = results
    np.testing.assert_allclose(z1, z2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx1, dx2, rtol=1e-12, atol=1e-12)
    for name in g1:
        np.testing.assert_allclose(g1[name], g2[name], rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("sizes, options, shape, layout", [
    ((1, 16, 3), {"padding": "same"}, (1, 28, 28), "samples"),
    ((3, 64, 16), {"stride": 16}, (3, 64, 64), "windows"),  # 16 windows of 768 numbers each
    ((1, 32, 28), {}, (1, 28, 28), "grid")])  # a kernel the size of the picture: one window
def test_a_convolution_of_few_channels_needs_no_more_memory_samples_first(monkeypatch, sizes, options, shape,
                                                                          layout):
    """Samples first only where each picture has as many windows as a window has numbers: for 16x16 patches the
    per-sample products of dC/dK would need more memory than the channels-first layout (87 against 15 MB at
    batch 32), and for a kernel the size of the picture twice its time."""
    layer, n = gn.Conv2D(*sizes, **options, rng=0), 8

    def working_bytes():
        ctx = Context()
        z = layer.forward(np.ones((n, *shape), np.float32), ctx)
        layer.backward(np.ones_like(z), ctx)
        return ctx.layout, sum(buf.nbytes for buf in ctx._buffers.values())

    chosen, used = working_bytes()
    assert chosen == layout
    monkeypatch.setattr(gn.Conv2D, "SAMPLES_FIRST_CHANNELS", 0)
    assert working_bytes()[1] >= used
    if layout == "windows":  # what samples first would have taken for the patches: more than the layout chosen
        ctx = Context()
        z = layer._forward_samples(np.ones((n, *shape), np.float32), ctx, *layer.output_shape(shape)[1:])
        ctx.layout = "samples"
        layer.backward(np.ones_like(z), ctx)
        assert sum(buf.nbytes for buf in ctx._buffers.values()) > used


def test_max_pool_ties_are_reported_as_kinks_not_failures():
    """Two equal inputs in a window: moving either one past the other changes which one takes the gradient."""
    model = gn.Sequential([gn.MaxPool2D(2), gn.Flatten()], input_shape=(1, 2, 2), dtype=np.float64)
    X = np.array([[[[1.0, 1.0], [0.0, -1.0]]]])
    report = gn.gradcheck(model, "mse", X, [[0.0]], check_input=True)
    row = report.rows[-1]
    assert row.kinks == 2 and row.passed and "max-pooling" in str(report)
    model.layers[0].kinked = False  # without detection, the central difference averages two slopes and fails
    assert not gn.gradcheck(model, "mse", X, [[0.0]], check_input=True).passed


def test_training_gradient_check_refuses_dropout():
    model = gn.Sequential([gn.Dense(2, 2), gn.Dropout(0.5), gn.Dense(2, 1)])
    with pytest.raises(gn.OptionError, match="training=True cannot check a model with dropout"):
        gn.gradcheck(model, "mse", np.ones((2, 2)), np.ones((2, 1)), training=True)


# -- layer behaviour and errors -------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3, 4, 6), (7, 4)])
def test_batch_norm_layer_in_buffers_matches_its_readable_formulas(shape):
    """The layer's training pass (reused buffers, sums over pixels then samples) against batch_statistics,
    batch_norm and batch_norm_backward, in float64, with the running statistics updated alike."""
    r = np.random.default_rng(5)
    layer = gn.BatchNorm(shape[1], dtype="float64")
    layer.params["gamma"][...] = r.normal(size=shape[1])
    layer.params["beta"][...] = r.normal(size=shape[1])
    model = gn.Sequential([layer], input_shape=shape[1:], dtype="float64")
    x, g = r.normal(size=shape) * 3 + 1, r.normal(size=shape)
    ws = model.workspace(True)
    for _ in range(2):  # the second pass reuses the first one's buffers
        out = model.forward(x, workspace=ws)
        dx = model.backward(g, ws, need_input_grad=True)
    mean, var = C.batch_statistics(x)
    ref_out, xhat, inv_std = C.batch_norm(x, mean, var, layer.params["gamma"], layer.params["beta"], layer.eps)
    ref_dx, dgamma, dbeta = C.batch_norm_backward(g, xhat, inv_std, layer.params["gamma"], True)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], dgamma, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["beta"], dbeta, rtol=1e-12)
    m = x.size // shape[1]
    running = 0.1 * mean * (1 + 0.9)  # two updates from 0 with momentum 0.1
    np.testing.assert_allclose(layer.state["running_mean"], running, rtol=1e-12)
    np.testing.assert_allclose(layer.state["running_var"], 0.81 + 0.1 * var * m / (m - 1) * (1 + 0.9), rtol=1e-12)


def test_batch_norm_uses_batch_statistics_in_training_and_running_ones_otherwise():
    r = np.random.default_rng(1)
    layer = gn.BatchNorm(3, momentum=0.25, dtype=np.float64)
    x = r.normal(2.0, 3.0, size=(8, 3, 4, 4))
    out = layer.forward(x, Context(np, training=True))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, rtol=1e-4)
    m = 8 * 16
    np.testing.assert_allclose(layer.state["running_mean"], 0.25 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(layer.state["running_var"], 0.75 + 0.25 * x.var(axis=(0, 2, 3)) * m / (m - 1))
    before = layer.state["running_mean"].copy()
    inference = layer.forward(x, Context(np, training=False))
    np.testing.assert_array_equal(layer.state["running_mean"], before)  # inference never writes the state
    mean, var = layer.state["running_mean"], layer.state["running_var"]
    np.testing.assert_allclose(inference, (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5))
    with pytest.raises(gn.OptionError, match="more than one value per feature"):
        gn.BatchNorm(3).forward(np.ones((1, 3)), Context(np, training=True))


@pytest.mark.parametrize("make, shape, message", [
    (lambda: gn.Conv2D(3, 4, 3), (1, 8, 8), r"Conv2D expects images of 3 channel\(s\).*received shape \(1, 8, 8\)"),
    (lambda: gn.Conv2D(1, 4, 5), (1, 3, 3), "5x5 kernel does not fit images of 3x3 pixels"),
    (lambda: gn.MaxPool2D(3), (2, 2, 2), "3x3 window does not fit images of 2x2 pixels"),
    (lambda: gn.AvgPool2D(2), (4,), r"AvgPool2D expects images.*received shape \(4,\)"),
    (lambda: gn.BatchNorm(4), (3, 2, 2), r"BatchNorm expects 4 features.*received shape \(3, 2, 2\)"),
])
def test_shape_mistakes_name_the_layer_and_the_shapes(make, shape, message):
    with pytest.raises(gn.OptionError, match=message):
        gn.Sequential([make()], input_shape=shape)


@pytest.mark.parametrize("kwargs, message", [
    ({"kernel_size": 0}, "kernel_size must be an integer of at least 1"),
    ({"kernel_size": (3, 3, 3)}, "kernel_size must be an integer of at least 1, or a pair"),
    ({"kernel_size": 3, "stride": 2, "padding": "same"}, "padding='same' needs stride 1"),
    ({"kernel_size": 3, "padding": -1}, "padding must be an integer of at least 0"),
    ({"kernel_size": 3, "padding": "full"}, "padding must be an integer, a pair of them, 'same' or 'valid'"),
])
def test_conv2d_refuses_bad_settings_by_name(kwargs, message):
    with pytest.raises(gn.OptionError, match=message):
        gn.Conv2D(1, 2, **kwargs)


def test_numpy_integers_and_pytorchs_positions_give_the_layer_pytorch_builds():
    """PyTorch takes Conv2d(in, out, kernel, stride, padding) by position, and NumPy's integers (sizes read
    from an array): both were refused."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 9, 8))
    for a, b in [(gn.Conv2D(3, 5, 3, 2, 1, dtype=np.float64), torch.nn.Conv2d(3, 5, 3, 2, 1)),
                 (gn.Conv2D(3, 5, np.int64(3), stride=np.int32(2), padding=np.int64(1), dtype=np.float64),
                  torch.nn.Conv2d(3, 5, np.int64(3), stride=np.int32(2), padding=np.int64(1))),
                 (gn.Conv2D(3, 5, tuple(np.array([3, 2])), 1, (np.int64(2), 0), dtype=np.float64),
                  torch.nn.Conv2d(3, 5, (3, 2), 1, (2, 0)))]:
        a.W[...], a.b[...] = b.weight.detach().double().numpy(), b.bias.detach().double().numpy()
        expected = b.double()(torch.from_numpy(x)).detach().numpy()
        got = gn.Sequential([a], input_shape=(3, 9, 8)).predict(x)
        np.testing.assert_allclose(got, expected, atol=1e-12)
        assert type(a.padding) is int or all(type(p) is int for p in a.padding)  # saved as the file's JSON
    assert gn.MaxPool2D(np.int64(2)).output_shape((1, 4, 4)) == (1, 2, 2)
    # a stride by position beside a padding by name, as PyTorch takes them (refused as "padding twice")
    assert gn.Conv2D(1, 8, 3, 2, padding=1).pads == (1, 1, 1, 1)
    assert gn.Conv2D(1, 8, 3, 1, padding="same").stride == (1, 1)
    with pytest.raises(gn.OptionError, match="received stride twice, by position and by name"):
        gn.Conv2D(3, 5, 3, 2, stride=2)
    with pytest.raises(gn.OptionError, match="at most five values by position.*received 6"):
        gn.Conv2D(3, 5, 3, 1, 1, 1)
    with pytest.raises(gn.OptionError, match="stride must be an integer"):
        gn.Conv2D(3, 5, 3, np.True_)


def test_same_padding_keeps_the_size_for_odd_and_even_kernels():
    for k in (1, 2, 3, 4, 5):
        assert gn.Conv2D(2, 3, k, padding="same").output_shape((2, 7, 6)) == (3, 7, 6)


def test_kernel_initializers_count_the_kernel_area_in_their_fans():
    assert gn.init.fans((64, 32, 3, 3)) == (32 * 9, 64 * 9)
    assert gn.init.fans((784, 100)) == (784, 100)
    W = gn.Conv2D(32, 256, 3, init="he_normal", rng=0, dtype=np.float64).W
    assert abs(W.std() / np.sqrt(2 / (32 * 9)) - 1) < 0.01  # 73,728 draws
    W = gn.Conv2D(16, 64, 5, init="xavier_uniform", rng=0, dtype=np.float64).W
    assert abs(np.abs(W).max() / np.sqrt(6 / (16 * 25 + 64 * 25)) - 1) < 0.01


def test_convolutions_keep_float32():
    model = gn.nn.cnn((1, 8, 8), 3, channels=(2,), hidden=4, rng=0)
    out = model.predict(np.random.default_rng(0).normal(size=(3, 1, 8, 8)))
    assert out.dtype == np.float32 and out.shape == (3, 3)


def test_cnn_builder_checks_its_arguments():
    with pytest.raises(gn.OptionError, match=r"input_shape must be \(channels, height, width\)"):
        gn.nn.cnn((28, 28))
    with pytest.raises(gn.OptionError, match="too small for 3 blocks"):
        gn.nn.cnn((1, 4, 4), channels=(2, 2, 2))
    model = gn.nn.cnn((3, 16, 12), 4, channels=(5,), hidden=0, batch_norm=False, dropout=0.5, rng=0)
    assert model.output_shape == (4,) and model.state.size == 0
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPool2D", "ReLU", "Flatten", "Dropout", "Dense"]


# -- running statistics as model state ------------------------------------------------------

def small_bn_model(seed=0):
    from glassnet.training.models import Sequential  # a submodule: imported, not reached as an attribute

    return Sequential(gn.nn.cnn((1, 8, 8), 3, channels=(3,), hidden=6, rng=seed).layers, input_shape=(1, 8, 8),
                      rng=seed)


@mechanics_only  # two epochs on random labels move the statistics
def test_running_statistics_live_in_the_model_state_and_travel_in_model_files(tmp_path):
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 1, 8, 8)).astype(np.float32), r.integers(0, 3, 40)
    model = small_bn_model()
    assert model.state.size == 6 and model.n_params == sum(p.size for p in model.get_weights())
    model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=10)
    bn = model.layers[2]
    assert np.shares_memory(bn.state["running_mean"], model.state)
    assert not np.allclose(model.state, [0, 0, 0, 1, 1, 1])  # training moved them
    path = model.save(tmp_path / "bn.glassnet")
    loaded = gn.load(path).model
    np.testing.assert_array_equal(loaded.state, model.state)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert "6 values of state" in loaded.summary()


def test_a_file_without_the_running_statistics_is_refused(tmp_path):
    import json
    import zipfile

    path = small_bn_model().save(tmp_path / "bn.glassnet")
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("glassnet.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "state.npy"}
    del meta["arrays"]["state.npy"]
    from glassnet.io.file_checks import description_digest

    meta["description_sha256"] = description_digest(meta)
    members["glassnet.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "cut.glassnet", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(gn.ModelFileError, match="missing state.npy, the running statistics"):
        gn.load(tmp_path / "cut.glassnet")


@mechanics_only  # a few epochs on random labels
def test_keeping_the_best_epoch_keeps_its_running_statistics_too():
    r = np.random.default_rng(2)
    X, y = r.normal(size=(60, 1, 8, 8)).astype(np.float32), r.integers(0, 3, 60)
    states = []
    model = small_bn_model(1)
    cb = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: states.append(model.state.copy()))
    history = model.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(1.0), epochs=6, batch_size=20,
                        keep_best="loss", callbacks=[cb])
    best = history.best_epoch
    assert best < 5 and not np.array_equal(states[best], states[-1])  # the last epoch was worse
    np.testing.assert_array_equal(model.state, states[best])


def test_predicting_from_many_threads_leaves_the_state_alone():
    from concurrent.futures import ThreadPoolExecutor

    model = small_bn_model()
    model.state[...] = np.random.default_rng(0).uniform(0.5, 1.5, model.state.size)
    before = model.state.copy()
    X = np.random.default_rng(1).normal(size=(16, 1, 8, 8))
    expected = model.predict(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict(X), range(16)))
    assert all(np.array_equal(r, expected) for r in results)
    np.testing.assert_array_equal(model.state, before)


def test_a_conv_net_trains_on_a_task_only_convolutions_solve_easily():
    """Where is the bright pixel: left half or right half? A conv net learns it in a few epochs."""
    r = np.random.default_rng(0)
    n = 200
    X = np.zeros((n, 1, 6, 6), np.float32)
    y = r.integers(0, 2, n)
    cols = np.where(y == 0, r.integers(0, 3, n), r.integers(3, 6, n))
    X[np.arange(n), 0, r.integers(0, 6, n), cols] = 1.0
    model = gn.training.models.Sequential([gn.Conv2D(1, 4, 3, padding="same", rng=0), gn.ReLU(), gn.AvgPool2D((6, 3)),
                                  gn.Flatten(), gn.Dense(8, 2, rng=0)], input_shape=(1, 6, 6), rng=0)
    model.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.05), epochs=30, batch_size=50)
    assert (model.predict_classes(X) == y).mean() == 1.0


def test_trace_of_a_conv_net_shows_a_few_positions_and_is_one_training_step():
    r = np.random.default_rng(3)
    model = gn.cnn((1, 6, 6), 3, channels=(2,), hidden=4, rng=0, dtype=np.float64)
    X, y = r.normal(size=(2, 1, 6, 6)), [0, 2]
    t = gn.trace(model, X, y, loss="cross_entropy", lr=0.1)
    text = str(t)
    assert "Z1 = conv(X, W1)" in text and "shape (2, 2, 6, 6), min" in text and "[0, 0, :4, :4] =" in text
    every_value = sum(len(np.array2string(np.asarray(step.value)).splitlines()) for step in t.steps)
    assert len(text.splitlines()) < 0.6 * every_value  # a few positions per image, not every value
    np.testing.assert_array_equal(t["Z1"].shape, (2, 2, 6, 6))  # every value is still there
    # batch normalization normalized with the batch's statistics, as a training step does
    np.testing.assert_allclose(t["N2"].mean(axis=(0, 2, 3)), 0, atol=1e-12)
    # the update is the engine's own training step
    twin = model.copy()
    gn.Objective(twin, "cross_entropy")(X, np.array(y), training=True)
    np.testing.assert_allclose(t["W1'"], model.layers[0].W - 0.1 * twin.layers[0].grads["W"], atol=1e-12)


def test_augmented_runs_are_reproducible_and_resume_exactly(tmp_path):
    from glassnet.datasets import RandomAffine

    r = np.random.default_rng(4)
    X, y = r.random((48, 1, 8, 8)).astype(np.float32), r.integers(0, 3, 48)
    augment = RandomAffine(shift=1, rotation=15, scale=0.1)

    def run(epochs, callbacks=()):
        model = small_bn_model(5)
        model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=epochs, batch_size=16, augment=augment,
                  callbacks=list(callbacks))
        return model

    whole = run(4)
    np.testing.assert_array_equal(run(4).params, whole.params)  # same seed, same warps, same run
    plain = small_bn_model(5)
    plain.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=4, batch_size=16)
    assert not np.array_equal(plain.params, whole.params)  # the warps did change the batches
    run(2, [gn.ModelCheckpoint(tmp_path / "ck.glassnet", every=2)])
    with pytest.raises(gn.OptionError, match=r"augment must be what the interrupted run had \(RandomAffine"):
        gn.resume(tmp_path / "ck.glassnet", X, y, epochs=4)
    resumed, _ = gn.resume(tmp_path / "ck.glassnet", X, y, epochs=4, augment=augment)
    np.testing.assert_array_equal(resumed.params, whole.params)
    np.testing.assert_array_equal(resumed.state, whole.state)
    with pytest.raises(gn.OptionError, match="augment needs a gradient-descent optimizer"):
        small_bn_model().fit(X, y, loss="cross_entropy", optimizer="lbfgs", augment=augment)
    with pytest.raises(gn.OptionError, match="RandomAffine works on images"):
        augment(X.reshape(48, 64), np.random.default_rng(0))
    # an MLP's rows: warped as the pictures they are, given their shape
    rows = RandomAffine(shift=1, rotation=15, scale=0.1, image_shape=(8, 8))
    np.testing.assert_array_equal(rows(X.reshape(48, 64), np.random.default_rng(1)),
                                  augment(X, np.random.default_rng(1)).reshape(48, 64))


def test_running_statistics_that_are_not_finite_are_refused_like_weights(tmp_path):
    model = small_bn_model()
    model.state[2] = np.nan
    path = model.save(tmp_path / "nan.glassnet")
    with pytest.raises(gn.ModelFileError, match="holds 1 weights that are NaN or infinite"):
        gn.load(path)
    assert np.isnan(gn.load(path, allow_nonfinite=True).model.state[2])


def test_predict_runs_a_conv_net_in_chunks_that_bound_its_memory():
    """A conv net's im2col matrix is nine times its input: predicting 54,000 MNIST pictures at once would
    take 12 GB. predict goes a few dozen pictures at a time unless told otherwise, an MLP thousands of rows."""
    model = gn.cnn(rng=0)
    conv2 = model.layers[4]
    # on the grid of 14x14 images that share one row and one column of zeros, 15 x 15 entries an image: the
    # input's grid and the output's, then the output itself; no im2col matrix where nothing is learned
    scratch = (32 + 64) * 15 * 15 + 64 * 14 * 14
    assert conv2.scratch_per_sample((32, 14, 14)) == scratch
    # a training step: im2col's 288 numbers per position, the output's gradient and the input's on the grid,
    # and the input's gradient
    assert conv2.scratch_per_sample((32, 14, 14), training=True) == scratch + (288 + 64 + 32) * 15 * 15 + 32 * 196
    assert model.chunk_size() == 256 * 2**20 // (4 * scratch)
    assert gn.mlp([784, 256, 10]).chunk_size() >= 2**17  # an MLP's rows all at once
    assert model.chunk_size(PREDICT_BYTES) == 8 * 2**20 // (4 * scratch) == 61  # what predict takes
    assert gn.mlp([784, 256, 10]).chunk_size(PREDICT_BYTES) == 8192
    small = gn.cnn((1, 8, 8), 3, channels=(2,), hidden=4, rng=0)
    X = np.random.default_rng(0).random((25, 64))
    whole = small.predict(X, batch_size=25)
    sizes = []
    forward = small.forward
    small.chunk_size = lambda budget: 10 if budget == PREDICT_BYTES else 0  # type: ignore[method-assign]
    small.forward = lambda x, *a, **k: sizes.append(len(x)) or forward(x, *a, **k)  # type: ignore[method-assign]
    np.testing.assert_array_equal(small.predict(X), whole)
    assert sizes == [10, 10, 5]
