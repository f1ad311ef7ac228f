"""Every layer and loss against central differences in float64, via glassnet.gradcheck."""

import numpy as np
import pytest

import glassnet as gn

ACTIVATIONS = [gn.Sigmoid, gn.Tanh, gn.ReLU, lambda: gn.LeakyReLU(0.1), gn.Softmax, gn.Identity]


def away_from_zero(rng, shape, margin=0.1):
    """Inputs at least `margin` from zero, so the rectifiers' kink is never straddled."""
    x = rng.normal(size=shape)
    return np.sign(x) * (margin + np.abs(x))


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda f: getattr(f, "__name__", "LeakyReLU"))
def test_each_activation_input_gradient(rng, make):
    for n, k in [(1, 1), (4, 3), (7, 5)]:
        model = gn.Sequential([make()], dtype=np.float64)
        X, Y = away_from_zero(rng, (n, k)), rng.normal(size=(n, k))
        report = gn.gradcheck(model, gn.SquaredError(), X, Y, check_input=True)
        assert report.passed, str(report)
        assert report.rows[-1].label == "input X" and report.rows[-1].rel_error < 1e-6


@pytest.mark.parametrize("bias", [True, False])
def test_dense_parameters_and_input(rng, bias):
    for n, i, o in [(1, 1, 1), (5, 3, 4), (9, 6, 2)]:
        model = gn.Sequential([gn.Dense(i, o, bias=bias, rng=rng, dtype=np.float64)])
        report = gn.gradcheck(model, gn.SquaredError(), rng.normal(size=(n, i)),
                              rng.normal(size=(n, o)), check_input=True)
        assert report.passed, str(report)
        assert len(report.rows) == (3 if bias else 2)


def test_dropout_in_training_mode_is_masked_identity(rng):
    layer = gn.Dropout(0.4, rng=0)
    x = rng.normal(size=(50, 8))
    ctx = gn.nn.Context(training=True)
    a = layer.forward(x, ctx).copy()
    kept = a != 0
    np.testing.assert_allclose(a[kept], x[kept] / 0.6)
    assert 0.45 < kept.mean() < 0.75
    g = rng.normal(size=x.shape)
    np.testing.assert_allclose(layer.backward(g, ctx), np.where(kept, g / 0.6, 0.0))
    np.testing.assert_array_equal(layer.forward(x, gn.nn.Context(training=False)), x)


@pytest.mark.parametrize(
    ("loss", "output", "make_y"),
    [
        (gn.SquaredError(), None, lambda r, n, k: r.normal(size=(n, k))),
        (gn.SquaredError("sum"), "sigmoid", lambda r, n, k: r.uniform(size=(n, k))),
        (gn.BinaryCrossEntropy(), "sigmoid", lambda r, n, k: r.integers(0, 2, (n, k)) * 1.0),
        (gn.BinaryCrossEntropy(from_logits=True), None, lambda r, n, k: r.uniform(size=(n, k))),
        (gn.SoftmaxCrossEntropy(), None, lambda r, n, k: r.integers(0, k, n)),
        (gn.SoftmaxCrossEntropy(), "softmax", lambda r, n, k: r.integers(0, k, n)),
        (gn.SoftmaxCrossEntropy(from_logits=False), "softmax",
         lambda r, n, k: gn.functional.one_hot(r.integers(0, k, n), k)),
    ],
    ids=["mse", "sse-sigmoid", "bce-sigmoid", "bce-logits", "ce-logits", "ce-softmax", "ce-probs"],
)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_networks_mixing_layers_and_losses(rng, loss, output, make_y, activation):
    n, sizes = 8, [4, 6, 5, 3]
    model = gn.mlp(sizes, activation=activation, output=output, rng=rng, dtype=np.float64)
    X = rng.normal(size=(n, sizes[0]))
    report = gn.gradcheck(model, loss, X, make_y(rng, n, sizes[-1]), l2=0.05, check_input=True)
    # ReLU kinks: an entry of Z within eps of zero would break the difference;
    # with random Gaussian inputs that has probability ~1e-6 per entry.
    assert report.passed, str(report)


def test_softmax_layer_without_fusion(rng):
    """A Softmax followed by squared error is differentiated through the Softmax layer itself."""
    model = gn.Sequential([gn.Dense(3, 4, rng=rng, dtype=np.float64), gn.Softmax()])
    report = gn.gradcheck(model, "mse", rng.normal(size=(5, 3)), rng.uniform(size=(5, 4)),
                          check_input=True)
    assert report.passed, str(report)


def test_report_names_the_first_wrong_gradient(rng):
    class WrongTanh(gn.Tanh):
        def backward(self, grad, ctx, need_input_grad=True):
            return super().backward(grad, ctx, need_input_grad) * 1.01

    model = gn.Sequential([gn.Dense(3, 4, rng=rng, dtype=np.float64), gn.Tanh(),
                           gn.Dense(4, 4, rng=rng, dtype=np.float64), WrongTanh(),
                           gn.Dense(4, 2, rng=rng, dtype=np.float64)])
    report = gn.gradcheck(model, "mse", rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))
    assert not report.passed
    assert report.first_failure.label == "layers[0] Dense.W"
    assert [r.passed for r in report.rows] == [False, False, False, False, True, True]
    text = str(report)
    assert "FAIL" in text and "first disagreement at layers[0] Dense.W" in text
    assert "| layers[4] Dense.b | 2 |" in report.to_markdown()


def test_max_entries_samples_a_subset(rng):
    model = gn.mlp([20, 30, 3], rng=rng, dtype=np.float64)
    report = gn.gradcheck(model, "cross_entropy", rng.normal(size=(4, 20)), [0, 1, 2, 0],
                          max_entries=10)
    assert report.passed
    assert [r.checked for r in report.rows] == [10, 10, 10, 3]


def test_the_input_row_checks_any_layout_of_x_and_leaves_x_alone(rng):
    """A Fortran-ordered float64 X reached the check as itself, where reshape(-1) copied: the perturbations
    missed X and the row read "relative error 1.0"; a read-only X raised NumPy's own error."""
    model = gn.mlp([3, 4, 2], activation="tanh", rng=rng, dtype=np.float64)
    X, y = rng.normal(size=(6, 3)), np.arange(6) % 2
    read_only = X.copy()
    read_only.setflags(write=False)
    for given in (np.asfortranarray(X), read_only, X[:, ::-1][:, ::-1]):
        report = gn.gradcheck(model, "cross_entropy", given, y, check_input=True)
        assert report.passed and report.rows[-1].label == "input X"
    kept = X.copy()
    gn.gradcheck(model, "cross_entropy", X, y, check_input=True)
    np.testing.assert_array_equal(X, kept)
    for bad, kind in ((0, ValueError), (-1, ValueError), (2.5, TypeError)):  # 0 checked nothing and passed
        with pytest.raises(kind, match="max_entries must be"):
            gn.gradcheck(model, "cross_entropy", X, y, max_entries=bad)


def test_gradcheck_works_on_float32_models_by_copying(rng):
    model = gn.mlp([3, 4, 2], activation="tanh", rng=rng)  # float32
    before = model.params.copy()
    report = gn.gradcheck(model, "mse", rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert report.passed
    assert model.dtype == np.float32
    np.testing.assert_array_equal(model.params, before)


def test_perturbations_across_a_relu_kink_are_reported_apart_not_as_failures():
    """A hidden unit whose input sits 1e-9 above 0: perturbing its bias by 1e-6 crosses the kink."""
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    model = gn.Sequential([gn.Dense(2, 2, rng=0), gn.ReLU(), gn.Dense(2, 1, rng=1)], dtype="float64")
    first = model.layers[0]
    first.b[0] = 1e-9 - X[0] @ first.W[:, 0]  # sample 0's first unit: z = 1e-9
    report = gn.gradcheck(model, "mse", X, [[1.0], [0.0]])
    b1 = report.rows[1]
    assert b1.label.endswith("b") and b1.kinks == 1 and b1.checked == 1 and b1.passed
    assert report.passed and "at a kink" in str(report) and "crossed 0" in str(report)
    # the entry left out really disagrees: half of the slope on one side
    raw = gn.gradcheck(model, "mse", X[:1], [[1.0]])
    assert raw.rows[1].kinks == 1
    model.layers[1].kinked = False  # without detection the same check fails
    assert not gn.gradcheck(model, "mse", X, [[1.0], [0.0]]).passed


def test_kink_detection_does_not_hide_a_wrong_backward(monkeypatch):
    X = np.random.default_rng(0).normal(size=(6, 3))
    model = gn.mlp([3, 4, 2], activation="relu", rng=0, dtype="float64")
    assert gn.gradcheck(model, "cross_entropy", X, [0, 1, 0, 1, 1, 0]).passed
    original = gn.ReLU.backward

    def wrong(self, grad, ctx, need_input_grad=True):
        return original(self, grad, ctx, need_input_grad) * 1.01

    monkeypatch.setattr(gn.ReLU, "backward", wrong)
    report = gn.gradcheck(model, "cross_entropy", X, [0, 1, 0, 1, 1, 0])
    assert not report.passed and report.first_failure.label == "layers[0] Dense.W"


@pytest.fixture(scope="module")
def well_fit():
    """A network trained until its gradients are ~1e-5: rounding then dominates their relative error."""
    d = gn.datasets.load_digits()
    model = gn.mlp([64, 32, 10], rng=0)
    model.fit(d.X[:300], d.y[:300], loss="cross_entropy", optimizer="adam", lr=0.01, epochs=3000, batch_size=300,
              verbose=False)
    return model, d.X[:8], d.y[:8]


def test_tiny_gradients_pass_when_their_differences_are_below_rounding_noise(well_fit):
    model, X, y = well_fit
    report = gn.gradcheck(model, "cross_entropy", X, y, max_entries=30, rng=3)
    noisy = [r for r in report.rows if r.within_noise]
    assert noisy and all(r.rel_error >= report.tol for r in noisy)  # the relative error alone would fail them
    assert all(r.max_abs_error < 2.3e-9 for r in noisy)
    assert report.passed and "pass (noise)" in str(report) and "or within rounding noise" in report.summary()


def test_rounding_noise_does_not_hide_a_wrong_backward_on_tiny_gradients(well_fit, monkeypatch):
    model, X, y = well_fit
    original = gn.ReLU.backward
    monkeypatch.setattr(gn.ReLU, "backward", lambda self, g, ctx, need_input_grad=True:
                        original(self, g, ctx, need_input_grad) * 1.01)
    report = gn.gradcheck(model, "cross_entropy", X, y, max_entries=30, rng=3)
    assert not report.passed and not report.first_failure.within_noise


def test_a_model_without_parameters_is_refused_unless_the_input_is_checked():
    """A report of no rows passed: "all 0 gradients agree" for a check that checked nothing."""
    model = gn.Sequential([gn.ReLU(), gn.Softmax()], input_shape=(3,), dtype="float64")
    X, y = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 1, 2, 0])
    with pytest.raises(gn.OptionError, match="the model has no parameters, so there is no gradient to check"):
        gn.gradcheck(model, "cross_entropy", X, y)
    report = gn.gradcheck(model, "cross_entropy", X, y, check_input=True)
    assert report.passed and [row.label for row in report.rows] == ["input X"]
    unbuilt = gn.Sequential([gn.Dense(3), gn.Softmax()], rng=0, dtype="float64")  # its weights come with X
    assert [row.label.split()[1] for row in gn.gradcheck(unbuilt, "cross_entropy", X, y).rows] == ["Dense.W",
                                                                                                 "Dense.b"]


def _broken_tanh(monkeypatch):
    """Tanh's backward pass three times too large: a bug a gradient check must catch."""
    right = gn.Tanh.backward
    monkeypatch.setattr(gn.Tanh, "backward", lambda self, grad, ctx, need_input_grad=True: 3 * right(
        self, grad, ctx, need_input_grad))


def test_a_step_too_small_to_measure_is_refused_not_passed_as_noise(monkeypatch, rng):
    """eps=1e-20 left theta + eps equal to theta: every numerical gradient 0, and a broken backward pass passed
    as "pass (noise)" ("all 4 gradients agree"); eps=1e-12 passed it too."""
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    model = gn.mlp([3, 4, 2], activation="tanh", rng=0)
    _broken_tanh(monkeypatch)
    assert not gn.gradcheck(model, "cross_entropy", X, y).passed
    assert not gn.gradcheck(model, "cross_entropy", X, y, eps=1e-10).passed  # the smallest step allowed
    for eps in (1e-20, 1e-12):
        with pytest.raises(gn.OptionError, match=rf"eps must be at least 1e-10: below it, float64's rounding swamps "
                                                 rf"the central difference.*; received {eps:g}"):
            gn.gradcheck(model, "cross_entropy", X, y, eps=eps)


def test_a_parameter_of_which_nothing_was_compared_is_not_checked_not_passed(rng):
    """Zero weights put every ReLU input at its kink: the first layer's rows compared no entry and read "relative
    error 0.000, pass", and the summary "all 4 gradients agree"."""
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    model = gn.mlp([3, 4, 2], activation="relu", rng=0)
    model.layers[0].W[:] = 0
    model.layers[0].b[:] = 0
    report = gn.gradcheck(model, "cross_entropy", X, y)
    assert [(r.checked, r.passed) for r in report.rows[:2]] == [(0, False), (0, False)]
    assert "not checked" in str(report) and report.passed  # the rows it could compare agree
    assert report.summary() == ("the 2 gradients checked agree (relative error < 1e-06); 2 not checked, every "
                                "entry at a kink (layers[0] Dense.W, layers[0] Dense.b)")


def test_huge_inputs_are_compared_without_overflow_or_refused_by_name():
    """Inputs of 1e300: the norms of the gradients overflowed, and the report blamed backpropagation ("FAILED:
    relative error nan"); a cost that overflows is named as such."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings on the way
        report = gn.gradcheck(gn.mlp([4, 3], rng=0), "cross_entropy", np.full((2, 4), 1e300), [0, 1])
    assert report.rows[0].rel_error < 1e-9 and report.passed
    with pytest.raises(gn.OptionError, match=r"the cost or its gradient overflows at these inputs and weights"):
        gn.gradcheck(gn.mlp([4, 3], activation="relu", rng=0), "mse", np.full((2, 4), 1e300), np.ones((2, 3)))


def test_a_row_of_differences_near_the_float64_limit_is_measured_without_overflow():
    """The largest difference was taken before scaling: 1e308 against -1e308 overflowed to inf, with a warning."""
    import warnings

    from glassnet.tools.gradcheck import _row

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = _row("W", (1,), np.array([1e308]), np.array([-1e308]), 1e-6, np.array([False]), 1e-9)
    assert np.isinf(row.max_abs_error)  # 2e308 is beyond float64: said as inf, without a warning
    assert row.rel_error == 1.0 and not row.passed
