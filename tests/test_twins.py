"""Every fast path against its readable twin.

Conv2D's stride-1 path (a grid of images that share their padding,
glassnet.ops.im2col_grid) on the BLAS and on NumPy, in training and inference
passes, and its general path, and BatchNorm's training pass in reused buffers, each
against the plain functions of glassnet.convolution that the docs show
(conv2d, conv2d_backward, batch_statistics, batch_norm, batch_norm_backward),
in float64 to rounding.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet import convolution as C
from glassnet.ops import _blas


def passes(layer, x, grad, training=True):
    model = gn.Sequential([layer], input_shape=x.shape[1:], dtype="float64")
    ws = model.workspace(training=training)
    out = model.forward(x, training=training, workspace=ws).copy()
    dx = model.backward(grad, ws, need_input_grad=True).copy()
    return model, out, dx


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_layer_equals_the_plain_conv2d(seed):
    r = np.random.default_rng(seed)
    c, out_c = int(r.integers(1, 4)), int(r.integers(1, 5))
    kernel = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    stride = (1, 1) if seed % 2 == 0 else (int(r.integers(1, 3)), int(r.integers(1, 3)))  # even seeds: stride 1
    padding = ["same", 0, 1, (1, 2)][seed % 4] if stride == (1, 1) else [0, 1][seed % 2]
    layer = gn.Conv2D(c, out_c, kernel, stride=stride, padding=padding, bias=bool(seed % 3), rng=r,
                      dtype="float64")
    x = r.normal(size=(int(r.integers(1, 4)), c, int(r.integers(4, 9)), int(r.integers(4, 9))))
    model = gn.Sequential([layer], input_shape=x.shape[1:], dtype="float64")
    grad = r.normal(size=(x.shape[0], *model.output_shape))
    _, out, dx = passes(layer, x, grad)
    W, b = layer.params["W"], layer.params.get("b")
    np.testing.assert_allclose(out, C.conv2d(x, W, b, layer.stride, layer.pads), rtol=1e-12, atol=1e-12)
    want_dx, want_dW, want_db = C.conv2d_backward(x, W, grad, layer.stride, layer.pads)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], want_dW, rtol=1e-12, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(layer.grads["b"], want_db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("blas", [True, False], ids=["blas", "numpy"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("seed", range(6))
def test_the_stride_one_grid_path_equals_the_plain_conv2d(seed, training, blas, monkeypatch):
    """More channels than the samples-first path takes, every kind of padding, one image or a few.

    A pass that is not training keeps no im2col columns and sums a product per kernel entry instead; a
    backward pass after it (as BFGS and saliency take) makes the columns then.
    """
    if not blas:
        monkeypatch.setattr(_blas, "_ROUTINES", {})
    r = np.random.default_rng(100 + seed)
    c, out_c = int(r.integers(4, 7)), int(r.integers(1, 5))
    kernel = [(3, 3), (2, 4), (1, 1), (3, 2), (5, 5), (3, 3)][seed]
    padding = ["same", "same", 0, (2, 1), 4, 3][seed]  # (2, 1) and 4: the most padding the grid shares
    layer = gn.Conv2D(c, out_c, kernel, padding=padding, bias=bool(seed % 2), rng=r, dtype="float64")
    x = r.normal(size=(int(r.integers(1, 4)), c, int(r.integers(5, 9)), int(r.integers(5, 9))))
    model = gn.Sequential([layer], input_shape=x.shape[1:], dtype="float64")
    grad = r.normal(size=(x.shape[0], *model.output_shape))
    ws = model.workspace(training=training)
    out = model.forward(x, training=training, workspace=ws).copy()
    dx = model.backward(grad, ws, need_input_grad=True).copy()
    # padding 3 on every side of a 3x3 kernel is wider than the grid shares: the window path
    assert ws.contexts[0].layout == ("windows" if padding == 3 else "grid")
    W, b = layer.params["W"], layer.params.get("b")
    np.testing.assert_allclose(out, C.conv2d(x, W, b, layer.stride, layer.pads), rtol=1e-12, atol=1e-12)
    want_dx, want_dW, want_db = C.conv2d_backward(x, W, grad, layer.stride, layer.pads)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], want_dW, rtol=1e-12, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(layer.grads["b"], want_db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 5, 6), (7, 1), (1, 3, 2, 3), (5, 4, 1, 1), (3, 2, 7, 5, "strided")],
                         ids=["rows", "images", "one feature", "one image", "1x1 images", "strided images"])
@pytest.mark.parametrize("training", [True, False], ids=["batch statistics", "running statistics"])
def test_batch_norm_layer_equals_the_plain_functions(shape, training):
    r = np.random.default_rng(0)
    strided = shape[-1] == "strided"
    shape = shape[:-1] if strided else shape
    layer = gn.BatchNorm(shape[1], momentum=0.3, dtype="float64")
    layer.params["gamma"][...] = r.uniform(0.5, 1.5, shape[1])
    layer.params["beta"][...] = r.normal(size=shape[1])
    layer.state["running_mean"][...] = r.normal(size=shape[1])
    layer.state["running_var"][...] = r.uniform(0.5, 2, shape[1])
    running_mean, running_var = layer.state["running_mean"].copy(), layer.state["running_var"].copy()
    x, grad = r.normal(size=shape) * 2 + 1, r.normal(size=shape)
    if strided:  # images that are a view of a wider array, as a slice of a batch gives them
        x = np.concatenate([x, x], axis=3)[..., ::2]
        assert not x.flags.c_contiguous
    gamma, beta = layer.params["gamma"].copy(), layer.params["beta"].copy()
    _, out, dx = passes(layer, x, grad, training=training)
    mean, var = C.batch_statistics(x) if training else (running_mean, running_var)
    want, xhat, inv_std = C.batch_norm(x, mean, var, gamma, beta, layer.eps)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    want_dx, want_dgamma, want_dbeta = C.batch_norm_backward(grad, xhat, inv_std, gamma, training)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], want_dgamma, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["beta"], want_dbeta, rtol=1e-12, atol=1e-12)
    if training:  # the running statistics moved toward the batch's, the variance unbiased
        m = x.size // shape[1]
        np.testing.assert_allclose(layer.state["running_mean"], 0.7 * running_mean + 0.3 * mean, rtol=1e-12)
        np.testing.assert_allclose(layer.state["running_var"], 0.7 * running_var + 0.3 * var * m / (m - 1),
                                   rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 5, 6), (5, 4, 1, 1)], ids=["rows", "images", "1x1 images"])
def test_batch_norm_at_inference_gives_the_plain_functions_numbers_bit_for_bit(shape, order, dtype):
    """predict and forward without a workspace write the running statistics' pass into one array (over the
    one the layer before made, when it may): the same four operations in the same order, so the same bits,
    laid out as the formula's result would be; and the caller's array is left as it was."""
    r = np.random.default_rng(2)
    layer = gn.BatchNorm(shape[1], dtype=dtype)
    for name, values in [("gamma", r.uniform(0.5, 1.5, shape[1])), ("beta", r.normal(size=shape[1]))]:
        layer.params[name][...] = values
    layer.state["running_mean"][...] = r.normal(size=shape[1])
    layer.state["running_var"][...] = r.uniform(0.5, 2, shape[1])
    x = (r.normal(size=shape) * 2 + 1).astype(dtype)
    x = {"C": x, "F": np.asfortranarray(x), "strided": np.concatenate([x, x], axis=1)[:, ::2]}[order]
    kept = x.copy()
    want, _, _ = C.batch_norm(x, layer.state["running_mean"], layer.state["running_var"], layer.params["gamma"],
                              layer.params["beta"], layer.eps)
    alone = gn.Sequential([layer], input_shape=shape[1:], dtype=dtype)
    after = gn.Sequential([gn.Identity(), gn.ReLU(), layer], input_shape=shape[1:], dtype=dtype)  # over ReLU's
    out = alone.forward(x)
    np.testing.assert_array_equal(out, want)
    assert out.dtype == want.dtype and out.flags.f_contiguous == want.flags.f_contiguous
    np.testing.assert_array_equal(alone.predict(x), want)
    relu, _, _ = C.batch_norm(np.abs(x), layer.state["running_mean"], layer.state["running_var"],
                              layer.params["gamma"], layer.params["beta"], layer.eps)
    np.testing.assert_array_equal(after.forward(np.abs(x)), relu)
    np.testing.assert_array_equal(after.predict(np.abs(x)), relu)
    np.testing.assert_array_equal(x, kept)


@pytest.mark.parametrize("shape", [(64, 16, 14, 14), (9, 5, 3, 3), (33, 7)])
def test_batch_norm_training_pass_in_float32_equals_the_plain_functions_to_its_rounding(shape):
    """The layer sums whole rows in float32 where the plain functions sum each feature's run: both round alike."""
    r = np.random.default_rng(1)
    layer = gn.BatchNorm(shape[1], dtype="float32")
    layer.params["gamma"][...] = r.uniform(0.5, 1.5, shape[1])
    x, grad = (r.normal(size=shape) * 3 + 2).astype(np.float32), r.normal(size=shape).astype(np.float32)
    model = gn.Sequential([layer], input_shape=shape[1:])
    ws = model.workspace(training=True)
    out = model.forward(x, training=True, workspace=ws)
    dx = model.backward(grad, ws, need_input_grad=True)
    x64, g64 = x.astype(np.float64), grad.astype(np.float64)
    want, xhat, inv_std = C.batch_norm(x64, *C.batch_statistics(x64), layer.params["gamma"].astype(np.float64),
                                       layer.params["beta"].astype(np.float64), layer.eps)
    want_dx, want_dgamma, want_dbeta = C.batch_norm_backward(g64, xhat, inv_std,
                                                             layer.params["gamma"].astype(np.float64), True)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5)
    scale = np.sqrt(x.size / shape[1])  # a sum of m float32 terms: its rounding grows about as sqrt(m)
    np.testing.assert_allclose(layer.grads["gamma"], want_dgamma, rtol=1e-5, atol=1e-6 * scale)
    np.testing.assert_allclose(layer.grads["beta"], want_dbeta, rtol=1e-5, atol=1e-6 * scale)
