"""The container: flat parameter vector, views, copies, determinism, prediction."""

import numpy as np
import pytest

import glassnet as gn
from helpers import mechanics_only


def test_parameters_are_views_into_one_flat_vector(rng):
    model = gn.mlp([3, 4, 2], rng=rng)
    d0, d1 = model.layers[0], model.layers[2]
    assert model.n_params == 3 * 4 + 4 + 4 * 2 + 2
    assert model.n_decayed == 3 * 4 + 4 * 2  # weights first, then biases
    for layer in (d0, d1):
        for name in ("W", "b"):
            assert np.shares_memory(layer.params[name], model.params)
            assert np.shares_memory(layer.grads[name], model.grads)
    model.params[:] = 0.5
    assert np.all(d1.W == 0.5)
    d0.W = np.ones((3, 4))  # assignment copies into the flat vector
    assert np.shares_memory(d0.W, model.params)
    assert model.params[:12].sum() == 12


def test_get_and_set_weights_roundtrip(rng):
    a = gn.mlp([3, 5, 2], rng=1)
    b = gn.mlp([3, 5, 2], rng=2)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.params, b.params)
    with pytest.raises(ValueError, match="weights must hold 4 arrays"):
        b.set_weights(a.get_weights()[:2])
    with pytest.raises(ValueError, match=r"Dense.W must have shape \(3, 5\); received shape \(5, 3\)"):
        b.layers[0].W = np.zeros((5, 3))


def test_same_seed_same_model_and_outputs(rng):
    X = rng.normal(size=(10, 4))
    a = gn.mlp([4, 8, 3], activation="tanh", dropout=0.2, rng=42)
    b = gn.mlp([4, 8, 3], activation="tanh", dropout=0.2, rng=42)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.forward(X, training=True), b.forward(X, training=True))
    c = gn.mlp([4, 8, 3], activation="tanh", dropout=0.2, rng=43)
    assert not np.array_equal(a.params, c.params)


def test_predict_returns_fresh_arrays_and_matches_forward(rng):
    model = gn.mlp([4, 6, 2], rng=rng)
    X = rng.normal(size=(9, 4))
    p1 = model.predict(X)
    p2 = model.predict(X * 2)
    assert not np.shares_memory(p1, p2)
    np.testing.assert_allclose(model.predict(X), p1)
    np.testing.assert_allclose(model.predict(X, batch_size=4), p1, rtol=1e-6)
    assert p1.dtype == np.float32


def test_copy_is_independent_and_can_change_dtype(rng):
    model = gn.mlp([3, 4, 1], rng=rng)
    clone = model.copy(dtype=np.float64)
    assert clone.dtype == np.float64 and clone.layers[0].W.dtype == np.float64
    np.testing.assert_allclose(clone.params, model.params)
    clone.params[:] = 0
    assert np.any(model.params != 0)


def test_float64_on_request(rng):
    model = gn.mlp([3, 4, 1], rng=rng, dtype="float64")
    assert model.params.dtype == np.float64
    assert model.predict(rng.normal(size=(2, 3))).dtype == np.float64


def test_summary_and_config(rng):
    model = gn.mlp([3, 4, 2], activation="leaky_relu", output="softmax", dropout=0.1, rng=rng)
    text = model.summary()
    assert "26 parameters" in text and "LeakyReLU" in text
    cfg = model.config()
    assert [layer["type"] for layer in cfg["layers"]] == [
        "Dense", "LeakyReLU", "Dropout", "Dense", "Softmax"]
    assert cfg["layers"][0]["init"] == "he_normal"


def test_backward_skips_input_gradient_of_first_layer(rng):
    model = gn.mlp([3, 4, 2], rng=rng)
    X = rng.normal(size=(5, 3)).astype(np.float32)
    ws = model.workspace()
    model.forward(X, workspace=ws)
    assert model.backward(np.ones((5, 2), np.float32), ws) is None
    model.forward(X, workspace=ws)
    assert model.backward(np.ones((5, 2), np.float32), ws, need_input_grad=True).shape == (5, 3)


def test_pickle_and_deepcopy_keep_parameters_as_views_of_one_vector(rng):
    import copy
    import pickle

    model = gn.mlp([3, 4, 2], rng=rng)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_array_equal(clone.params, model.params)
        assert type(clone) is type(model)
        for layer in (clone.layers[0], clone.layers[2]):
            assert np.shares_memory(layer.W, clone.params) and np.shares_memory(layer.b, clone.params)
        clone.params[:] = 0
        assert np.all(clone.layers[0].W == 0) and np.any(model.params != 0)


@mechanics_only  # one epoch on labels unrelated to X: which loss evaluate takes, not what is learned
def test_evaluate_takes_the_loss_the_model_was_fit_with():
    """evaluate's loss was "mse" whatever fit had used: after fit(loss="cross_entropy") a bare evaluate of the same
    labels was refused, where Keras's evaluate takes the compiled loss."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(30, 3)), np.arange(30) % 2
    model = gn.mlp([3, 4, 2], rng=0, dtype="float64")
    assert model.fit_loss is None
    model.fit(X, y, loss="cross_entropy", epochs=1, verbose=False)
    assert model.evaluate(X, y) == model.evaluate(X, y, loss="cross_entropy")
    assert set(model.evaluate(X, y)) == {"loss", "accuracy"}
    model.fit(X, np.eye(2)[y], epochs=1, verbose=False)  # fit's own default, the squared error
    assert model.fit_loss == "mse" and set(model.evaluate(X, np.eye(2)[y])) == {"loss"}


@mechanics_only  # one epoch on labels unrelated to X: which loss evaluate takes, not what is learned
def test_the_function_fit_sets_the_loss_evaluate_takes_as_the_method_does():
    """glassnet.fit(model, ...) left fit_loss as it was, so the same training written as a function call gave
    an evaluate of the squared error, with no accuracy, where model.fit gave cross-entropy and accuracy."""
    r = np.random.default_rng(1)
    X, y = r.normal(size=(30, 3)), np.arange(30) % 2
    model = gn.mlp([3, 4, 2], rng=0, dtype="float64")
    gn.fit(model, X, y, loss="cross_entropy", epochs=1, verbose=False)
    assert model.fit_loss == "cross_entropy"
    assert model.evaluate(X, y) == model.evaluate(X, y, loss="cross_entropy")
    assert set(model.evaluate(X, y)) == {"loss", "accuracy"}
    with pytest.raises(gn.DivergenceError):  # a fit that raises leaves the loss of the last one that ended
        gn.fit(model, X, np.eye(2)[y] * 1e30, loss="mse", lr=1e30, epochs=1, on_divergence="raise", verbose=False)
    assert model.fit_loss == "cross_entropy"
