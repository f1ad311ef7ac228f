"""The pure math: stability at extremes, and every loss gradient against central differences."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import functional as F
from glassnet.nn import Context
from glassnet.ops import activations
from helpers import central_diff, rel_error


def test_sigmoid_is_finite_and_exact_at_extremes():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # any overflow would raise here
        s = F.sigmoid(z)
    assert np.all(np.isfinite(s))
    assert s[2] == 0.5
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(s[1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_stable_for_huge_logits(dtype):
    z = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        p = F.softmax(z)
        logp = F.log_softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    ref = np.exp(np.array([0.0, 1.0, -1.0]) - np.log(np.exp([0.0, 1.0, -1.0]).sum()))
    np.testing.assert_allclose(p[0], ref, rtol=1e-5)
    np.testing.assert_allclose(logp[1], [-2e4, -1e4, 0.0], rtol=1e-6)
    assert p.dtype == dtype


def test_softmax_writes_into_out():
    z = np.array([[0.0, np.log(3.0)]])
    out = np.empty_like(z)
    result = F.softmax(z, out=out)
    assert result is out
    np.testing.assert_allclose(out, [[0.25, 0.75]])


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


def _check_loss_grad(fn, pred, target):
    cost, grad = fn(pred.copy(), target)
    numeric = central_diff(lambda p: fn(p.copy(), target)[0], pred.copy())
    assert rel_error(grad, numeric) < 1e-7
    return cost


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_squared_error_value_and_gradient(rng, reduction):
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    cost = _check_loss_grad(lambda p, t: F.squared_error(p, t, reduction), pred, target)
    expected = 0.5 * np.sum((pred - target) ** 2) / (5 if reduction == "mean" else 1)
    assert cost == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_probs_value_and_gradient(rng):
    prob, target = rng.uniform(0.05, 0.95, size=(6, 2)), rng.integers(0, 2, size=(6, 2)) * 1.0
    cost = _check_loss_grad(F.binary_cross_entropy, prob, target)
    expected = -np.mean(np.sum(target * np.log(prob) + (1 - target) * np.log(1 - prob), axis=1))
    assert cost == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_logits_matches_probs_and_is_stable(rng):
    z, target = rng.normal(size=(6, 2)) * 3, rng.uniform(size=(6, 2))
    cost = _check_loss_grad(F.binary_cross_entropy_with_logits, z, target)
    assert cost == pytest.approx(F.binary_cross_entropy(F.sigmoid(z), target)[0], rel=1e-10)
    big = np.array([[800.0], [-800.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cost_big, grad_big = F.binary_cross_entropy_with_logits(big, np.array([[0.0], [1.0]]))
    assert cost_big == pytest.approx(800.0, rel=1e-12)
    np.testing.assert_allclose(grad_big, [[0.5], [-0.5]])


def test_softmax_cross_entropy_integer_and_one_hot_labels_agree(rng):
    z, labels = rng.normal(size=(7, 4)), rng.integers(0, 4, size=7)
    cost_int = _check_loss_grad(F.softmax_cross_entropy, z, labels)
    cost_hot = _check_loss_grad(F.softmax_cross_entropy, z, F.one_hot(labels, 4))
    assert cost_int == pytest.approx(cost_hot, rel=1e-12)
    expected = -np.mean(np.log(F.softmax(z)[np.arange(7), labels]))
    assert cost_int == pytest.approx(expected, rel=1e-12)


def test_softmax_cross_entropy_gradient_for_rows_that_do_not_sum_to_one(rng):
    """Multi-hot and unnormalized rows are accepted as PyTorch takes them; the gradient was (P - Y) / n, which
    is the cost's only for rows summing to 1 (gradcheck: relative error 0.15). Central differences, then a
    model ending in Softmax (the fused path) and PyTorch where installed."""
    z = rng.normal(size=(6, 4))
    y = np.array([[1, 1, 0, 0], [0.5, 0, 0.25, 0], [0, 0, 0, 3], [0.2, 0.3, 0.1, 0.4], [0, 0, 0, 0], [2, 1, 1, 0]])
    cost = _check_loss_grad(F.softmax_cross_entropy, z, y)
    assert cost == pytest.approx(-np.sum(y * F.log_softmax(z)) / 6, rel=1e-12)
    weight = rng.uniform(0.5, 2, size=6)
    _check_loss_grad(lambda a, t: F.softmax_cross_entropy(a, t, weight), z, y)
    X = rng.normal(size=(6, 3))
    model = gn.Sequential([gn.Dense(3, 4), gn.Softmax()], rng=0)
    assert gn.gradcheck(model, "cross_entropy", X, y).passed
    torch = pytest.importorskip("torch")
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.functional.cross_entropy(zt, torch.tensor(y), reduction="sum").div(6).backward()
    np.testing.assert_allclose(F.softmax_cross_entropy(z, y)[1], zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_cross_entropy_from_probs(rng):
    p, labels = F.softmax(rng.normal(size=(5, 3))), rng.integers(0, 3, size=5)
    cost = _check_loss_grad(F.cross_entropy_from_probs, p, labels)
    assert cost == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])), rel=1e-12)


def test_l2_penalty_and_gradient(rng):
    w = rng.normal(size=12)
    assert F.l2_penalty(w, 0.3) == pytest.approx(0.15 * np.sum(w**2))
    numeric = central_diff(lambda v: F.l2_penalty(v, 0.3), w.copy())
    assert rel_error(F.l2_penalty_grad(w, 0.3), numeric) < 1e-8


@pytest.mark.parametrize(("forward", "backward"), [
    (F.sigmoid, F.sigmoid_backward),
    (F.tanh, F.tanh_backward),
    (F.relu, F.relu_backward),
    (lambda z: F.leaky_relu(z, 0.1), lambda a, g, out=None: F.leaky_relu_backward(a, g, 0.1, out=out)),
    (F.softmax, F.softmax_backward),
], ids=["sigmoid", "tanh", "relu", "leaky_relu", "softmax"])
def test_each_activation_backward_against_central_differences(forward, backward):
    """``f_backward(f(z), g)`` is the gradient of ``sum(f(z) * g)`` with respect to ``z``."""
    r = np.random.default_rng(3)
    z = r.normal(size=(4, 5))
    z = np.sign(z) * (0.1 + np.abs(z))  # away from the rectifiers' kink
    g = r.normal(size=z.shape)
    numeric = central_diff(lambda v: float(np.sum(forward(v) * g)), z.copy())
    np.testing.assert_allclose(backward(forward(z), g), numeric, rtol=1e-7, atol=1e-9)
    out = np.empty_like(z)
    assert backward(forward(z), g, out=out) is out  # writes into a given buffer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_read_against_zeros_equals_the_plain_maximum(dtype):
    """relu takes a faster path for contiguous NumPy arrays; it must agree with max(z, 0) everywhere."""
    r = np.random.default_rng(0)
    z = r.normal(size=(37, 11)).astype(dtype)
    z[0, :4] = [np.nan, -0.0, np.inf, -np.inf]
    expected = np.maximum(z, 0)
    np.testing.assert_array_equal(F.relu(z), expected)
    out = np.empty_like(z)
    assert F.relu(z, out=out) is not None
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(F.relu(z[:, ::2]), expected[:, ::2])  # strided: the plain path
    big = r.normal(size=5000).astype(dtype)  # the shared zeros grow, and stay zeros
    np.testing.assert_array_equal(F.relu(big), np.maximum(big, 0))
    np.testing.assert_array_equal(F.relu(z), expected)
    assert not activations._zeros(10, dtype).flags.writeable and not activations._zeros(6000, dtype).any()


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.bool_, np.int32])
@pytest.mark.parametrize("layer", [gn.Tanh, gn.Sigmoid, gn.ReLU, gn.LeakyReLU, gn.Softmax])
def test_an_activation_layer_called_on_integers_computes_in_its_own_dtype(layer, dtype):
    """A layer called alone on int8 or bool took NumPy's float16 loop for tanh and the sigmoid (tanh(-2) read
    -0.96387 for -0.96403), and Softmax refused booleans; the same values as floats are the reference."""
    x = np.array([[-2, 0, 1, 3]]).astype(dtype)
    out = layer().forward(x, Context())
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, layer().forward(x.astype(np.float64), Context()), rtol=2e-7, atol=1e-7)
