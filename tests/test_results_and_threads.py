"""Results belong to the caller: nothing in glassnet writes them again, and threads may share a model."""

import threading
import time
import warnings

import numpy as np
import pytest

import glassnet as gn
from helpers import traced_peak

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kept_results_never_change(dtype):
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 5)), r.integers(0, 3, 40)
    model = gn.mlp([5, 16, 3], dropout=0.1, rng=0, dtype=dtype)
    kept = {
        "forward": model.forward(model.check_input(X)),
        "forward, training": model.forward(model.check_input(X), training=True),
        "predict": model.predict(X),
        "predict_proba": model.predict_proba(X),
        "predict, batches": model.predict(X, batch_size=7),
    }
    snapshot = {k: v.copy() for k, v in kept.items()}
    model.forward(model.check_input(X[:13] * 2))
    model.predict(X * 3)
    model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=3, batch_size=8)
    model.forward(model.check_input(X))
    for name, value in kept.items():
        np.testing.assert_array_equal(value, snapshot[name], err_msg=name)
    # and the model did change: the results above would have been overwritten by a buffer-reusing engine
    assert not np.array_equal(model.predict(X), snapshot["predict"])


def test_a_model_that_returns_its_input_still_returns_a_new_array():
    X = np.arange(12.0).reshape(3, 4)
    for model in (gn.Sequential([gn.Identity()], input_shape=(4,), dtype="float64"),
                  gn.Sequential([gn.Flatten()], input_shape=(2, 2), dtype="float64")):
        data = X.reshape(3, *model.input_shape)
        out = model.predict(data)
        out += 1
        np.testing.assert_array_equal(data.reshape(3, 4), X)


@pytest.mark.parametrize("activation", [gn.ReLU, gn.Sigmoid, gn.Tanh, gn.Softmax])
def test_inference_writes_an_activation_over_arrays_of_its_own_pass_only(activation):
    # an inference pass lets an activation write over the array the layer before it made; never over the
    # caller's, whether the activation comes first or behind layers that pass the caller's array on as a view
    r = np.random.default_rng(0)
    X = r.normal(size=(6, 2, 2))
    models = [gn.Sequential([activation(), gn.Flatten(), gn.Dense(3)], input_shape=(4,), dtype="float64", rng=0),
              gn.Sequential([gn.Flatten(), gn.Identity(), activation(), gn.Dense(3), activation()],
                            input_shape=(2, 2), dtype="float64", rng=0),
              gn.Sequential([gn.Flatten(), gn.Dense(5), activation(), gn.Dense(3), activation()],
                            input_shape=(2, 2), dtype="float64", rng=0)]
    for model in models:
        data = X.reshape(6, *model.input_shape)
        given = data.copy()
        kept = model.forward(data, workspace=model.workspace())  # a pass that backward may follow keeps all
        for out in (model.predict(data), model.forward(data), model.predict(data, batch_size=4)):
            np.testing.assert_array_equal(out, kept)
        np.testing.assert_array_equal(data, given)


class Table(gn.Layer):
    """A layer of one's own that returns a view of its weights: a row of them per sample."""

    def __init__(self, rows=8, width=3):
        super().__init__()
        self.params = {"t": np.linspace(-2.0, 2.0, rows * width).reshape(rows, width)}
        self.grads = {"t": np.zeros((rows, width))}

    def output_shape(self, input_shape):
        return (self.params["t"].shape[1],)

    def forward(self, x, ctx):
        return self.params["t"][:x.shape[0]]

    def backward(self, grad, ctx, need_input_grad=True):
        return None


def test_an_activation_never_writes_over_what_a_layer_of_ones_own_returns():
    """An activation wrote over any array the pass had not been given: a layer of one's own that returned a
    view of its weights had them put through a sigmoid at each predict."""
    class Noise(gn.nn.Activation):  # an activation of one's own that passes its input on outside training
        name = "noise_for_the_test"

        def forward(self, x, ctx):
            return x + ctx.rng.normal(0, 0.1, x.shape) if ctx.training else x

        def backward(self, grad, ctx, need_input_grad=True):
            return grad

    for layers in ([Table(), gn.Sigmoid()], [Table(), Noise(), gn.Sigmoid()]):
        model = gn.Sequential(layers, input_shape=(2,), dtype="float64")
        weights = model.params.copy()
        first = model.predict(np.zeros((5, 2)))
        np.testing.assert_array_equal(model.params, weights)
        np.testing.assert_array_equal(model.predict(np.zeros((5, 2))), first)
    assert Noise.output_owned is False and Table.output_owned is False and gn.ReLU.output_owned is True


def test_an_input_cast_in_another_order_gives_the_same_result():
    """A float64 input in Fortran order, cast for a float32 model that begins with an activation: the
    activation wrote over the cast copy, and its output kept Fortran order (later sums rounded otherwise)."""
    X = np.asfortranarray(np.random.default_rng(0).normal(size=(37, 20)))
    model = gn.Sequential([gn.Softmax(), gn.Dense(12)], input_shape=(20,), rng=0)
    kept = model.forward(X, workspace=model.workspace())
    out = model.forward(X)
    np.testing.assert_array_equal(out, kept)
    assert model.forward(X, stop=1).flags.c_contiguous


def test_an_inference_pass_keeps_no_buffer_of_its_own_for_its_activations():

    model = gn.mlp([64, 2048, 2048, 1], activation="relu", rng=0)
    X = np.ones((1000, 64), np.float32)
    model.forward(X)  # the rectifier's shared zeros grow to their size once
    _, peak = traced_peak(lambda: model.forward(X))
    dense_outputs = 1000 * (2048 + 2048 + 1) * 4
    assert dense_outputs < peak < 1.25 * dense_outputs  # twice as much when each ReLU had an output of its own


def test_batch_norm_at_inference_keeps_one_array_for_its_output():
    """Its formula made three temporaries, the last the output, and kept the normalized input for a backward
    pass that inference never takes; after a pooling it now writes over the pooled pictures."""
    model = gn.Sequential([gn.MaxPool2D(2), gn.BatchNorm(8), gn.ReLU()], input_shape=(8, 64, 64))
    X = np.ones((200, 8, 64, 64), np.float32)
    model.forward(X)  # the rectifier's shared zeros grow to their size once
    _, peak = traced_peak(lambda: model.forward(X))
    pooled = X.nbytes // 4
    assert pooled < peak < 1.25 * pooled  # 4 pooled outputs' worth with the formula's temporaries


def hammer(predict, X, n_threads, seconds):
    """Call ``predict`` from ``n_threads`` threads on slices of ``X`` of mixed sizes for ``seconds``.

    Returns the number of calls and of calls whose result differs, in any bit,
    from the same call made by one thread beforehand.
    """
    r = np.random.default_rng(0)
    slices = [(int(r.integers(0, len(X) - n)), n) for n in r.choice([1, 7, 64, 300], size=40)]
    expected = [predict(X[a:a + n]) for a, n in slices]
    stop = time.perf_counter() + seconds
    calls, wrong, failures = [0] * n_threads, [0] * n_threads, []

    def work(k):
        g = np.random.default_rng(k)
        try:
            while time.perf_counter() < stop:
                i = int(g.integers(len(slices)))
                a, n = slices[i]
                wrong[k] += not np.array_equal(predict(X[a:a + n]), expected[i])
                calls[k] += 1
        except Exception as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    return sum(calls), sum(wrong)


@pytest.fixture(scope="module")
def digits():
    from glassnet.datasets import load_digits

    return load_digits()


@pytest.mark.parametrize("n_threads", [2, 8])
def test_threads_predicting_on_one_sequential(digits, n_threads):
    model = gn.mlp([64, 128, 64, 10], rng=0)
    model.fit(digits.X, digits.y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=64)
    for method in (model.predict, model.predict_classes):
        calls, wrong = hammer(method, digits.X, n_threads, seconds=1.0)
        assert calls > 20 * n_threads and wrong == 0


@pytest.mark.parametrize("n_threads", [2, 8])
def test_threads_predicting_on_one_fitted_classifier(digits, n_threads):
    from sklearn.exceptions import ConvergenceWarning

    from glassnet.sklearn import GlassnetClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GlassnetClassifier(hidden_layer_sizes=(64,), max_iter=5, random_state=0).fit(digits.X, digits.y)
    for method in (clf.predict, clf.predict_proba):
        calls, wrong = hammer(method, digits.X, n_threads, seconds=1.0)
        assert calls > 20 * n_threads and wrong == 0


def test_predict_reuses_a_small_workspace_per_thread_and_keeps_no_large_one():
    import weakref

    from glassnet.nn import stack as sequential
    from glassnet.nn.predicting import PREDICT_BYTES

    r = np.random.default_rng(0)
    small = gn.mlp([5, 16, 3], rng=0)
    X = r.normal(size=(40, 5))
    first = small.predict(X)
    ws = small._inference_workspace()
    buffers = [dict(ctx._buffers) for ctx in ws.contexts]
    assert sum(map(len, buffers)) == 2  # the call wrote its two Dense outputs there (the ReLU writes over its Dense's)
    second = small.predict(X * 2)
    assert small._inference_workspace() is ws
    for ctx, before in zip(ws.contexts, buffers):  # the same arrays served the second call
        assert ctx._buffers.keys() == before.keys() and all(ctx._buffers[k] is v for k, v in before.items())
    assert not np.shares_memory(first, second)  # and each call's result is its own
    seen = {}

    def other():
        small.predict(X)
        seen["ws"] = small._inference_workspace()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["ws"] is not ws  # another thread, other buffers
    # a conv net's batch of 256 pictures needs far more than REUSE_BYTES: its buffers are dropped after the call
    big = gn.cnn(rng=0)
    assert 256 * big._scratch_bytes_per_sample() > sequential.REUSE_BYTES
    pictures = r.random((256, 1, 28, 28), dtype=np.float32)
    big.predict(pictures, batch_size=256)
    cache = getattr(sequential._INFERENCE, "models", weakref.WeakKeyDictionary())
    assert big not in cache
    # by default predict goes a chunk of PREDICT_BYTES at a time, whose buffers are small enough to keep
    assert PREDICT_BYTES <= sequential.REUSE_BYTES
    # float32 rounding: chunks of other sizes take other BLAS blockings (within 1.2e-6 on an AMD EPYC's kernels)
    np.testing.assert_allclose(big.predict(pictures), big.predict(pictures, batch_size=256), rtol=1e-5, atol=1e-5)
    assert big in sequential._INFERENCE.models
