"""The array seam: the engine runs on a second array namespace, taking every function from it.

The second namespace (tests/fake_namespace.py) has NumPy's API but refuses any
silent mix with NumPy, as CuPy does: a single ``np.`` call on one of its
arrays anywhere on the engine's path fails these tests.
"""

import copy

import numpy as np
import pytest

import glassnet as gn
from fake_namespace import FakeArray, MixedNamespaceError, xp
from helpers import mechanics_only

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
HEADS = [  # (output activation, loss, kind of target)
    (None, gn.SquaredError(), "real"),
    ("sigmoid", gn.SquaredError("sum"), "unit"),
    ("sigmoid", gn.BinaryCrossEntropy(), "binary"),
    (None, gn.BinaryCrossEntropy(from_logits=True), "unit"),
    ("softmax", gn.SoftmaxCrossEntropy(), "labels"),
    (None, gn.SoftmaxCrossEntropy(), "labels"),
    ("softmax", gn.SquaredError(), "unit"),
]


def random_case(seed, hidden=HIDDEN):
    """A random float64 network mixing layers and losses, with data for it."""
    r = np.random.default_rng(seed)
    head, loss, kind = HEADS[seed % len(HEADS)]
    sizes = [int(s) for s in r.integers(2, 7, size=int(r.integers(1, 4)) + 2)]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(gn.Dense(a, b, bias=bool(r.integers(0, 4)), init="xavier_normal", rng=r, dtype=np.float64))
        act = head if last else hidden[int(r.integers(len(hidden)))]
        if act is not None:
            layers.append(gn.get_activation(act))
        if not last and r.integers(0, 3) == 0:
            layers.append(gn.Dropout(0.3))
    n, k = int(r.integers(2, 9)), sizes[-1]
    X = r.normal(size=(n, sizes[0]))
    y = {"real": r.normal(size=(n, k)), "unit": r.uniform(size=(n, k)),
         "binary": r.integers(0, 2, (n, k)) * 1.0, "labels": r.integers(0, k, n)}[kind]
    return gn.Sequential(layers, rng=seed), loss, X, y


def test_the_fake_namespace_refuses_numpy():
    a = xp.asarray(np.ones(3))
    assert gn.arrays.namespace(a) is xp
    with pytest.raises(MixedNamespaceError):
        np.asarray(a)
    with pytest.raises(TypeError):
        np.exp(a)
    with pytest.raises(MixedNamespaceError):
        a + np.ones(3)
    with pytest.raises(MixedNamespaceError):
        xp.exp(np.ones(3))


@pytest.mark.parametrize("seed", range(14))
def test_forward_backward_and_gradcheck_on_a_second_namespace(seed):
    model, loss, X, y = random_case(seed)
    twin = model.copy().to(xp)
    assert isinstance(twin.params, FakeArray) and gn.arrays.namespace(twin.layers[0].W) is xp
    # inference: the same outputs as on NumPy
    out = twin.predict(X)
    assert isinstance(out, FakeArray)
    np.testing.assert_allclose(out.get(), model.predict(X), rtol=1e-12, atol=1e-15)
    # one training pass (dropout masks drawn from the same seed): the same cost and every gradient
    a, b = gn.Objective(model, loss), gn.Objective(twin, loss)
    cost_a, cost_b = a(*a.prepare(X, y)), b(*b.prepare(X, y))
    assert cost_b == pytest.approx(cost_a, rel=1e-12)
    np.testing.assert_allclose(twin.grads.get(), model.grads, rtol=1e-10, atol=1e-14)
    # and against central differences, computed in the second namespace, where they hold (no kink)
    smooth, loss, X, y = random_case(seed, hidden=["sigmoid", "tanh", "identity"])
    report = gn.gradcheck(smooth.to(xp), loss, X, y, check_input=True)
    assert report.passed, str(report)


@pytest.mark.parametrize("optimizer", [gn.SGD(lr=0.1, momentum=0.9, nesterov=True), gn.Adam(lr=0.01),
                                       gn.RMSProp(lr=0.01), gn.AdamW(lr=0.01)], ids=lambda o: type(o).__name__)
@mechanics_only  # a short run compared namespace to namespace
def test_a_short_training_run_on_a_second_namespace(optimizer):
    r = np.random.default_rng(5)
    X, y, w = r.normal(size=(60, 4)), r.integers(0, 3, 60), r.uniform(1, 2, 60)
    model = gn.mlp([4, 8, 3], dropout=0.2, rng=3, dtype="float64")
    twin = model.copy().to(xp)
    histories = []
    for m in (model, twin):
        m.rng = np.random.default_rng(11)  # the same shuffles, split and dropout masks
        histories.append(m.fit(X, y, loss="cross_entropy", optimizer=copy.deepcopy(optimizer), epochs=4,
                               batch_size=16, l2=1e-3, validation_split=0.2, sample_weight=w, verbose=False))
    np.testing.assert_allclose(twin.params.get(), model.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(histories[1]["val_loss"], histories[0]["val_loss"], rtol=1e-9)
    np.testing.assert_array_equal(twin.predict_classes(X).get(), model.predict_classes(X))
