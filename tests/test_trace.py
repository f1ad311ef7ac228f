"""glassnet.trace: every value of one iteration, consistent with the engine's own computation."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.tools.tracing import example


def test_or_gate_trace_matches_the_hand_calculation():
    model, X, y, loss, _ = example("or")
    before = model.params.copy()
    t = gn.trace(model, X, y, loss, lr=1.0)
    np.testing.assert_array_equal(model.params, before)  # the user's model is untouched
    assert t["C"] == pytest.approx(0.0889129, abs=1e-7)
    np.testing.assert_allclose(t["dW1"].ravel(), [-0.04800646, -0.03865882], rtol=1e-6)
    np.testing.assert_allclose(t["db1"], [-0.03702353], rtol=1e-6)
    np.testing.assert_allclose(t["W1'"].ravel(), [0.14800646, 0.63865882], rtol=1e-7)
    assert t["C'"] == pytest.approx(0.0840096, abs=1e-7)
    a = t["A1"]
    np.testing.assert_allclose(t["dZ1"], t["dA1"] * a * (1 - a), rtol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_trace_agrees_with_objective_and_a_manual_step(l2):
    model = gn.mlp([3, 4, 3], activation="tanh", output="softmax", rng=2, dtype="float64")
    r = np.random.default_rng(0)
    X, y = r.normal(size=(5, 3)), r.integers(0, 3, 5)
    t = gn.trace(model, X, y, "cross_entropy", lr=0.5, l2=l2)
    objective = gn.Objective(model, "cross_entropy", l2)
    cost = objective(*objective.prepare(X, y))
    assert (t["J"] if l2 else t["C"]) == pytest.approx(cost, rel=1e-12)
    np.testing.assert_allclose(t["dW1"], model.layers[0].grads["W"], rtol=1e-10)
    np.testing.assert_allclose(t["dW2"], model.layers[2].grads["W"], rtol=1e-10)
    np.testing.assert_allclose(t["W2'"], model.layers[2].W - 0.5 * model.layers[2].grads["W"], rtol=1e-12)
    names = [s.name for s in t.steps]
    assert names.index("dZ2") < names.index("dW2") < names.index("dA1") < names.index("dZ1") < names.index("dW1")
    md = t.to_markdown()
    assert md.count("## ") == 7 and "`dW1 = X.T @ dZ1" in md
    assert "(fused with the cost below)" in str(t)
    # after the step: C' is the cost alone, as C is (it held the L2 term, so a good step seemed to raise C),
    # and J' adds the penalty of the updated weights
    stepped = model.copy()
    stepped.params -= 0.5 * model.grads
    after = gn.Objective(stepped, "cross_entropy")
    assert t["C'"] == pytest.approx(after.value(*after.prepare(X, y)), rel=1e-12)
    penalty = l2 / 2 * np.sum(stepped.params[: stepped.n_decayed] ** 2)
    assert ("J'" in [s.name for s in t.steps]) == bool(l2) and (not l2 or t["J'"] == pytest.approx(t["C'"] + penalty))


@pytest.mark.parametrize(("loss", "formula"), [
    ("poisson", "C = sum(exp(A) - Y A + Y log Y - Y) / n"),
    ("absolute_error", "C = sum(|A - Y|) / n"),
    (gn.losses.Huber(0.5), "h(r) = r**2 / 2 if |r| <= 0.5 else 0.5 (|r| - 0.25)"),
])
def test_trace_writes_each_regression_loss_with_its_formula_and_value(loss, formula):
    model = gn.mlp([2, 3, 1], rng=0, dtype="float64")
    r = np.random.default_rng(1)
    X, y = r.normal(size=(6, 2)), r.poisson(2.0, size=6).astype(float)
    t = gn.trace(model, X, y, loss, lr=0.1)
    objective = gn.Objective(model, loss)
    assert t["C"] == pytest.approx(objective(*objective.prepare(X, y)), rel=1e-12)
    np.testing.assert_allclose(t["dW1"], model.layers[0].grads["W"], rtol=1e-10)
    assert formula in str(t)


def test_the_cost_after_the_step_is_taken_as_the_cost_before_it_was():
    """C' of a batch-norm network came from an inference pass on running statistics moved once, while C is a
    training pass on the batch's statistics: the two did not compare. Both are training passes now, as a
    step of PyTorch in train mode takes them."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(6, 3)) + 2.0, r.integers(0, 2, 6)
    model = gn.Sequential([gn.Dense(3, 4), gn.BatchNorm(4), gn.Sigmoid(), gn.Dense(4, 2)], rng=0, dtype="float64")
    t = gn.trace(model, X, y, "cross_entropy", lr=0.5)
    stepped = model.copy()
    for k, layer in enumerate((layer for layer in stepped.layers if layer.params), start=1):  # W1, gamma2, W3
        for name in layer.params:
            layer.params[name][...] = t[f"{name}{k}'"]
    objective = gn.Objective(stepped, "cross_entropy")
    Xp, yp = objective.prepare(X, y)
    assert t["C'"] == pytest.approx(objective.value(Xp, yp, training=True), rel=1e-12)
    assert t["C'"] != pytest.approx(objective.value(Xp, yp, training=False), rel=1e-3)
    torch = pytest.importorskip("torch")
    layers = [torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Sigmoid(), torch.nn.Linear(4, 2)]
    net = torch.nn.Sequential(*layers).double().train()
    with torch.no_grad():
        for ours, theirs in ((model.layers[0], layers[0]), (model.layers[3], layers[3])):
            theirs.weight.copy_(torch.from_numpy(ours.params["W"].T.copy()))
            theirs.bias.copy_(torch.from_numpy(ours.params["b"].copy()))
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    loss = torch.nn.functional.cross_entropy(net(inputs), targets)
    loss.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 0.5 * p.grad
    assert t["C"] == pytest.approx(loss.item(), rel=1e-10)
    assert t["C'"] == pytest.approx(torch.nn.functional.cross_entropy(net(inputs), targets).item(), rel=1e-10)


def test_batch_norm_in_a_pass_on_running_statistics_says_so():
    """With dropout in the network the trace runs an inference pass (two training passes would draw other
    masks), where batch normalization uses its running statistics; its formulas spoke of the batch's."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(4, 3)) + 5, np.array([0, 1, 0, 1])
    model = gn.Sequential([gn.Dense(3, 4), gn.BatchNorm(4), gn.Tanh(), gn.Dropout(0.2), gn.Dense(4, 2)], rng=0,
                          dtype="float64")
    t = gn.trace(model, X, y, "cross_entropy")
    rules = {s.name: s.formula for s in t.steps}
    assert "running_mean" in rules["N2"] and "batch" not in rules["N2"]
    assert rules["dZ1"] == "dZ1 = gamma2 / sqrt(running_var + eps) * dN2, the running statistics held fixed"
    np.testing.assert_allclose(t["dZ1"], t["dN2"] * model.layers[1].params["gamma"]
                               / np.sqrt(model.layers[1].state["running_var"] + model.layers[1].eps))
    bn_only = gn.Sequential([gn.Dense(3, 4), gn.BatchNorm(4), gn.Tanh(), gn.Dense(4, 2)], rng=0, dtype="float64")
    assert "the batch's mean and var" in {s.name: s.formula for s in gn.trace(bn_only, X, y, "cross_entropy").steps}[
        "dZ1"]
    assert "running" not in str(gn.draw_graph(bn_only, X, y, "cross_entropy")["N2"].title)
    assert "running_mean" in gn.draw_graph(model, X, y, "cross_entropy")["N2"].title


def test_a_rectifiers_negative_zeros_print_as_zeros():
    """dZ1 = dA1 * [Z1 > 0] is -0.0 where a negative gradient meets the mask, printed as -0.0000."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    traced = gn.trace(gn.mlp([2, 3, 3], activation="relu", output="softmax", rng=0, dtype="float64"), X,
                      np.array([0, 1, 2, 1]), "cross_entropy")
    assert np.signbit(traced["dZ1"][traced["dZ1"] == 0]).any()  # the pass holds negative zeros
    assert "-0.0000" not in str(traced)
