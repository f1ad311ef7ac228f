"""The numbers the reference tutorials publish, reproduced from the same starting weights.

The tutorials put samples in columns; glassnet puts them in rows, so their W is our W.T.
"""

import numpy as np
import pytest

import glassnet as gn
from helpers import three_four_one

OR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
OR_Y = np.array([0, 1, 1, 1], dtype=float)


def or_gate_model():
    model = gn.Sequential([gn.Dense(2, 1, dtype=np.float64), gn.Sigmoid()])
    model.layers[0].W = [[0.1], [0.6]]  # w1 = 0.1, w2 = 0.6
    model.layers[0].b = [0.0]
    return model


def test_or_gate_single_example_by_hand():
    """Tutorial 04, first example x = (0, 0), y = 0: prediction 0.5, loss 0.125, dL/db = 0.125."""
    model = or_gate_model()
    objective = gn.Objective(model, gn.SquaredError())
    X, y = objective.prepare(OR_X[:1], OR_Y[:1])
    assert objective(X, y) == pytest.approx(0.125)
    assert model.layers[0].grads["b"][0] == pytest.approx(0.125)
    model.params -= model.grads  # learning rate 1: b becomes -0.125
    assert model.predict(OR_X[:1])[0, 0] == pytest.approx(0.469, abs=5e-4)
    # "around 0.109": 1/2 * 0.4688^2 = 0.10988, which the tutorial truncates
    assert objective.value(X, y) == pytest.approx(0.109, abs=1e-3)
    assert objective.value(X, y) == pytest.approx(0.5 * (1 / (1 + np.exp(0.125))) ** 2, rel=1e-12)


def test_or_gate_vectorized_batch_step():
    """Tutorial 04: cost 0.089; one step of rate 1; cost 0.084 and gradients 0.044, 0.035, 0.031."""
    model = or_gate_model()
    objective = gn.Objective(model, gn.SquaredError())
    X, y = objective.prepare(OR_X, OR_Y)

    # the cost worked by hand: mean of 1/2 (sigmoid(x.w) - y)^2
    a = 1 / (1 + np.exp(-(OR_X @ [0.1, 0.6])))
    by_hand = np.mean(0.5 * (a - OR_Y) ** 2)
    cost = objective(X, y)
    assert cost == pytest.approx(by_hand, rel=1e-12)
    assert round(cost, 3) == 0.089
    # gradients by hand: dC/dW = X.T (a - y) a (1 - a) / m
    delta = (a - OR_Y) * a * (1 - a) / 4
    np.testing.assert_allclose(model.layers[0].grads["W"].ravel(), OR_X.T @ delta, rtol=1e-12)
    np.testing.assert_allclose(model.layers[0].grads["b"], [delta.sum()], rtol=1e-12)

    model.params -= 1.0 * model.grads
    cost_after = objective(X, y)
    assert round(cost_after, 3) == 0.084
    # the tutorial quotes these gradients of the second step as magnitudes: all are negative
    # (every output is below its target), and their rounded sizes are the published ones.
    grads = model.layers[0].grads
    np.testing.assert_array_equal(np.round(-grads["W"].ravel(), 3), [0.044, 0.035])
    np.testing.assert_array_equal(np.round(-grads["b"], 3), [0.031])


def test_three_four_one_network_initial_outputs():
    """Tutorial 05: weights from np.random.seed(1), random((3,4)), random((4,1)); no biases."""
    model, X, w1, w2 = three_four_one()
    out = model.predict(X).ravel()
    np.testing.assert_array_equal(np.round(out, 3), [0.758, 0.771, 0.791, 0.801])
    by_hand = 1 / (1 + np.exp(-(1 / (1 + np.exp(-(X @ w1))) @ w2)))
    np.testing.assert_allclose(out, by_hand.ravel(), rtol=1e-14)
