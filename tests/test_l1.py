"""The L1 term: ``l1 * sum(|W|)`` on the weights (not the biases), its subgradient, and training with it."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.losses.objective import Objective
from helpers import mechanics_only


def problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 4))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    return X, y, gn.mlp([4, 5, 2], activation="tanh", rng=seed, dtype=np.float64)


def test_the_cost_adds_l1_times_the_absolute_weights_and_not_the_biases():
    X, y, model = problem()
    plain = Objective(model, "cross_entropy").value(X, y)
    both = Objective(model, "cross_entropy", l2=0.1, l1=0.03).value(X, y)
    W = [layer.W for layer in model.layers if isinstance(layer, gn.Dense)]
    by_hand = 0.03 * sum(np.abs(w).sum() for w in W) + 0.05 * sum((w ** 2).sum() for w in W)
    assert both - plain == pytest.approx(by_hand, rel=1e-12)


def test_a_weight_on_the_kink_of_its_absolute_value_is_left_out_of_the_gradient_check():
    """|w| has no derivative at 0: a weight within eps of it failed the check of a correct gradient (max abs error
    0.09, the subgradient against the difference across the kink), as a ReLU input at 0 would have without the
    kink test, which covered layers only."""
    X, y, model = problem(2)
    W = model.layers[0].W.copy()
    W[0, 0] = 1e-7
    model.layers[0].W = W
    report = gn.gradcheck(model, "cross_entropy", X, y, l1=0.1)
    assert report.passed and report.rows[0].kinks == 1 and sum(r.kinks for r in report.rows) == 1
    assert "a weight under L1 lay within eps of 0" in str(report)
    assert sum(r.kinks for r in gn.gradcheck(model, "cross_entropy", X, y).rows) == 0  # no L1, no kink there


def test_the_gradient_against_central_differences():
    X, y, model = problem(1)
    report = gn.gradcheck(model, "cross_entropy", X, y, l1=0.05, l2=0.01)
    assert report.passed and max(r.rel_error for r in report.rows) < 1e-7
    objective = Objective(model, "cross_entropy", l1=0.05)
    objective(X, y)
    W = model.layers[0].W
    i, j, eps = 1, 2, 1e-6
    w0 = W[i, j]
    W[i, j] = w0 + eps
    up = objective.value(X, y)
    W[i, j] = w0 - eps
    down = objective.value(X, y)
    W[i, j] = w0
    assert model.layers[0].grads["W"][i, j] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


@mechanics_only  # one step, checked against the hand-worked one
def test_one_sgd_step_worked_by_hand():
    X, y, model = problem(2)
    lr, l1 = 0.1, 0.02
    plain = model.copy()
    Objective(plain, "cross_entropy")(X, y)
    expected = plain.layers[0].W - lr * (plain.layers[0].grads["W"] + l1 * np.sign(plain.layers[0].W))
    expected_b = plain.layers[0].b - lr * plain.layers[0].grads["b"]  # biases are not penalized
    model.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(lr=lr), epochs=1, batch_size=None, l1=l1,
              verbose=False)
    np.testing.assert_allclose(model.layers[0].W, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.layers[0].b, expected_b, rtol=0, atol=1e-15)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    X, y, model = problem(3)
    objective = Objective(model, "cross_entropy", l1=0.04)
    cost = objective(X, y)
    W1, b1, W2, b2 = (torch.tensor(a.copy(), requires_grad=True) for a in
                      (model.layers[0].W, model.layers[0].b, model.layers[2].W, model.layers[2].b))
    logits = torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2
    reference = torch.nn.functional.cross_entropy(logits, torch.tensor(y)) + 0.04 * (W1.abs().sum() + W2.abs().sum())
    reference.backward()
    assert cost == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(model.layers[0].grads["W"], W1.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.layers[2].grads["W"], W2.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.layers[2].grads["b"], b2.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_a_negative_strength_is_refused():
    X, y, model = problem()
    with pytest.raises(gn.OptionError, match="l1"):
        model.fit(X, y, loss="cross_entropy", l1=-0.1, verbose=False)
