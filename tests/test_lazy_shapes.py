"""Models written the way PyTorch and Keras users write them: shapes from the data, sizes from the layer before."""

import threading

import numpy as np
import pytest

import glassnet as gn
from helpers import traced_peak


@pytest.fixture(scope="module")
def digit_images():
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0)[:, None].astype(np.float32)  # (1797, 1, 8, 8): samples, channels, height, width
    return X[:1500], d.target[:1500], X[1500:], d.target[1500:]


def conv_net(lazy):
    if lazy:
        return gn.Sequential([gn.Conv2D(out_channels=4, kernel_size=3, padding=1), gn.ReLU(), gn.MaxPool2D(2),
                              gn.Flatten(), gn.Dense(10)], rng=0)
    return gn.Sequential([gn.Conv2D(1, 4, 3, padding=1, rng=0), gn.ReLU(), gn.MaxPool2D(2), gn.Flatten(),
                          gn.Dense(64, 10, rng=1)], rng=0)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_conv_net_with_no_input_shape_trains_predicts_saves_and_exports(digit_images, lazy, tmp_path):
    X, y, Xt, yt = digit_images
    model = conv_net(lazy)
    assert model.input_shape is None and not model.built
    model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=15, batch_size=32)
    assert model.input_shape == (1, 8, 8) and model.output_shape == (10,)
    assert np.mean(model.predict_classes(Xt) == yt) > 0.8
    back = gn.load(model.save(tmp_path / "m.glassnet")).model
    np.testing.assert_array_equal(back.predict(Xt), model.predict(Xt))
    ort = pytest.importorskip("onnxruntime")
    gn.export_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: Xt})[0]
    np.testing.assert_allclose(logits, model.predict(Xt), rtol=1e-4, atol=1e-5)


def test_a_layer_given_one_size_draws_the_weights_an_explicit_one_would():
    lazy = gn.Sequential(gn.Dense(5, rng=3), gn.ReLU(), gn.Dense(2, rng=4))
    lazy.build((7,))
    explicit = gn.Sequential(gn.Dense(7, 5, rng=3), gn.ReLU(), gn.Dense(5, 2, rng=4))
    for a, b in zip(lazy.get_weights(), explicit.get_weights()):
        np.testing.assert_array_equal(a, b)
    conv = gn.Sequential(gn.Conv2D(8, 3, rng=5))
    conv.build((2, 6, 6))
    np.testing.assert_array_equal(conv.layers[0].W, gn.Conv2D(2, 8, 3, rng=5).W)


def test_layers_without_a_generator_draw_from_the_models_seed(digit_images):
    X = digit_images[0][:4]
    a, b = conv_net(lazy=True), conv_net(lazy=True)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))  # built on first predict, from rng=0 each
    assert a.n_params == 4 * 9 + 4 + 64 * 10 + 10


def test_a_seeded_model_seeds_layers_given_all_their_sizes_and_no_generator():
    def net(seed=0):  # written the PyTorch way: every size given, the seed once for the whole model
        return gn.Sequential([gn.Conv2D(1, 4, 3), gn.ReLU(), gn.Flatten(), gn.Dense(4 * 6 * 6, 10)],
                             input_shape=(1, 8, 8), rng=seed)

    a, b, c = net(), net(), net(1)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    # the same draws, in layer order, as layers given the model's generator themselves
    gen = np.random.default_rng(0)
    by_hand = [gn.Conv2D(1, 4, 3, rng=gen).W, gn.Dense(144, 10, rng=gen).W]
    np.testing.assert_array_equal(a.layers[0].W, by_hand[0])
    np.testing.assert_array_equal(a.layers[3].W, by_hand[1])
    # weights the user set are kept, and a model without a seed draws nothing again
    dense = gn.Dense(2, 3)
    dense.W = np.arange(6.0).reshape(2, 3)
    gn.Sequential([dense], rng=0)
    np.testing.assert_array_equal(dense.W, np.arange(6.0).reshape(2, 3))
    edited = gn.Dense(2, 3)
    edited.b[...] = 0.5  # changed in place, not through the setter
    kept = edited.W.copy()
    gn.Sequential([edited], rng=0)
    np.testing.assert_array_equal(edited.W, kept)
    assert (edited.b == 0.5).all()
    fresh = gn.Dense(2, 3)
    drawn = fresh.W.copy()
    gn.Sequential([fresh])
    np.testing.assert_array_equal(fresh.W, drawn)
    # a layer seeded by its own rng keeps its own weights
    own = gn.Dense(2, 3, rng=7)
    gn.Sequential([own], rng=0)
    np.testing.assert_array_equal(own.W, gn.Dense(2, 3, rng=7).W)


def test_a_seeded_model_refused_for_its_shapes_leaves_its_layers_as_they_were():
    """Shapes are checked before a seeded model draws any layer's weights again: a refused model changes nothing,
    and the same layers then make the model they would have made fresh."""
    first, mixed_up = gn.Dense(4, 6), gn.Dense(5, 2)  # 6 outputs into 5 inputs
    drawn = first.W.copy()
    with pytest.raises(gn.OptionError, match=r"layers\[1\] Dense expects 5 input features"):
        gn.Sequential([first, mixed_up], rng=0)
    np.testing.assert_array_equal(first.W, drawn)
    with pytest.raises(gn.OptionError, match="dtype"):  # nor a dtype it cannot take
        gn.Sequential([first, gn.Dense(6, 2)], rng=0, dtype="int32")
    np.testing.assert_array_equal(first.W, drawn)
    model = gn.Sequential([first, gn.Dense(6, 2)], rng=0)
    np.testing.assert_array_equal(model.layers[0].W, gn.Dense(4, 6, rng=np.random.default_rng(0)).W)


def test_telling_drawn_weights_from_changed_ones_copies_nothing():
    """The fingerprint that tells weights drawn from fresh entropy from changed ones hashes them in place."""

    from glassnet.nn.weighted import _fingerprint

    params = {"W": np.ones((1000, 1000), np.float32), "b": np.zeros(1000, np.float32)}
    before, peak = traced_peak(lambda: _fingerprint(params))
    assert peak < 2**20, f"{peak} bytes to fingerprint 4 MB of weights"
    params["b"][3] = 1
    assert _fingerprint(params) != before


def test_layers_in_a_list_or_as_arguments_make_the_same_model():
    a = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Tanh()])
    b = gn.Sequential(gn.Dense(3, 4, rng=0), gn.Tanh())
    assert a.config() == b.config()
    np.testing.assert_array_equal(a.params, b.params)
    with pytest.raises(gn.OptionError, match="at least one layer"):
        gn.Sequential()
    with pytest.raises(gn.OptionError, match=r"layers\[1\] must be a glassnet Layer; received str"):
        gn.Sequential(gn.Tanh(), "relu")


def test_one_public_class_is_called_sequential():
    import importlib
    import pkgutil

    found = set()
    for info in pkgutil.walk_packages(gn.__path__, "glassnet."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, type) and obj.__name__ == "Sequential":
                found.add(f"{obj.__module__}.{obj.__qualname__}")
    assert found == {"glassnet.training.models.Sequential"}
    with pytest.raises(AttributeError, match="glassnet.Sequential .* glassnet.nn.Stack"):
        gn.nn.Sequential  # noqa: B018
    assert issubclass(gn.Sequential, gn.nn.Stack)


def test_a_shape_that_cannot_be_known_says_what_to_do(digit_images):
    X, y, _, _ = digit_images
    no_flatten = gn.Sequential(gn.Conv2D(4, 3), gn.ReLU(), gn.Dense(10))
    with pytest.raises(gn.OptionError, match=r"layers\[2\] Dense: .*\(4, 6, 6\).*put a Flatten\(\) before it"):
        no_flatten.fit(X, y, loss="cross_entropy", epochs=1)
    assert not no_flatten.layers[0].built  # every layer is checked before any draws its weights
    flat_rows = gn.Sequential(gn.Conv2D(4, 3), gn.ReLU(), gn.Flatten(), gn.Dense(10))
    with pytest.raises(gn.OptionError, match=r"received shape \(64,\) per sample.*X of shape \(1500, 64\).*"
                                             r"input_shape"):
        flat_rows.fit(X.reshape(len(X), -1), y, loss="cross_entropy", epochs=1)
    assert not flat_rows.built  # a refused first batch builds nothing
    with pytest.raises(gn.OptionError, match=r"layers\[0\] Conv2D, layers\[3\] Dense .*model.build"):
        flat_rows.save("never-written.glassnet")
    with pytest.raises(gn.OptionError, match="Conv2D needs kernel_size: .*Conv2D\\(8, 3\\)"):
        gn.Conv2D(out_channels=4)
    built = gn.Sequential(gn.Dense(3), input_shape=(5,))
    assert built.built and built.layers[0].W.shape == (5, 3)
    with pytest.raises(gn.OptionError, match=r"built for input of shape \(5,\) per sample; received shape \(6,\)"):
        built.build((6,))


def test_threads_that_meet_an_unbuilt_model_together_build_it_once():
    model = gn.Sequential(gn.Dense(16), gn.ReLU(), gn.Dense(3), rng=0)
    X = np.random.default_rng(0).random((50, 9), dtype=np.float32)
    outs, barrier = [None] * 8, threading.Barrier(8)

    def work(k):
        barrier.wait()
        outs[k] = model.predict(X)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for out in outs:
        np.testing.assert_array_equal(out, model.predict(X))
    assert model.n_params == 9 * 16 + 16 + 16 * 3 + 3


@pytest.mark.parametrize(("call", "sizes"), [
    (lambda: gn.Dense(10), (None, 10)),  # Keras' Dense(units)
    (lambda: gn.Dense(784, 10), (784, 10)),  # PyTorch's Linear(in, out)
    (lambda: gn.Dense(784, out_features=10), (784, 10)),
    (lambda: gn.Dense(10, in_features=784), (784, 10)),
    (lambda: gn.Dense(in_features=784, out_features=10), (784, 10)),
    (lambda: gn.Conv2D(8, 3), (None, 8, (3, 3))),  # Keras' Conv2D(filters, kernel_size)
    (lambda: gn.Conv2D(1, 8, 3), (1, 8, (3, 3))),  # PyTorch's Conv2d(in, out, kernel_size)
    (lambda: gn.Conv2D(3, 16, kernel_size=3), (3, 16, (3, 3))),
    (lambda: gn.Conv2D(8, kernel_size=5), (None, 8, (5, 5))),
    (lambda: gn.Conv2D(3, out_channels=8, kernel_size=3), (3, 8, (3, 3))),
])
def test_sizes_by_position_read_as_pytorch_and_keras_write_them(call, sizes):
    layer = call()
    if isinstance(layer, gn.Dense):
        assert (layer.in_features, layer.out_features) == sizes
    else:
        assert (layer.in_channels, layer.out_channels, layer.kernel_size) == sizes


@pytest.mark.parametrize(("call", "message"), [
    # a size named by keyword is never read as another: these used to make 10 outputs and a kernel of 8
    (lambda: gn.Dense(in_features=10), r"Dense needs out_features: Dense\(10\) for 10 outputs"),
    (lambda: gn.Conv2D(in_channels=3, out_channels=8), r"Conv2D needs kernel_size"),
    (lambda: gn.Dense(1, 2, 3), r"received 3 size\(s\) by position, \(1, 2, 3\), where in_features, out_features"),
    (lambda: gn.Dense(5, in_features=2, out_features=3), r"received 1 size\(s\) by position, \(5,\), where no size"),
    (lambda: gn.Conv2D(1, 8, 3, kernel_size=3), r"received 3 size\(s\) by position"),
    (lambda: gn.Conv2D(1, 2, 3, 4, 0, 1), r"at most five values by position .*received 6"),  # 4 and 5: stride, padding
])
def test_sizes_that_cannot_be_read_one_way_are_refused(call, message):
    with pytest.raises(gn.OptionError, match=message):
        call()


def test_pictures_laid_out_as_keras_and_pillow_lay_them_out_get_the_way_to_ours(digit_images):
    """Channels last, (n, 8, 8, 1), read as pictures of 8x1 pixels ("the kernel does not fit"), and (n, 28, 28, 3)
    built a model of 28 channels of 28x3 pixels without a word: each now names the transpose that fixes it."""
    X, y, _, _ = digit_images
    last = X.transpose(0, 2, 3, 1)  # (1500, 8, 8, 1)
    with pytest.raises(gn.OptionError, match=r"8x1 pixels .* if its channels come last, as Keras and Pillow lay "
                                             r"them out, give X.transpose\(0, 3, 1, 2\)$"):
        gn.Sequential(gn.Conv2D(4, 3), gn.Flatten(), gn.Dense(10)).fit(last, y, loss="cross_entropy", epochs=1)
    # padded, the convolution fits: a pooling further on did not, and its message lacked the transpose
    with pytest.raises(gn.OptionError, match=r"layers\[2\] MaxPool2D: .* 8x1 pixels, from layers\[0\] Conv2D; the "
                                             r"model took its input shape from X of shape \(1500, 8, 8, 1\); if its "
                                             r"channels come last, .* give X.transpose\(0, 3, 1, 2\)$"):
        gn.Sequential(gn.Conv2D(4, 3, padding=1), gn.ReLU(), gn.MaxPool2D(2), gn.Flatten(), gn.Dense(10)).fit(
            last, y, loss="cross_entropy", epochs=1)
    with pytest.warns(UserWarning, match=r"built for X of shape \(5, 28, 28, 3\) as 28 channels of 28x3 pixels; if "
                                         r"its channels come last"):
        gn.Sequential(gn.Conv2D(4, 3), gn.Flatten(), gn.Dense(10)).predict(np.zeros((5, 28, 28, 3)))
    built = gn.cnn((1, 8, 8), 10, rng=0)
    with pytest.raises(gn.OptionError, match=r"received shape \(1500, 8, 8, 1\); if its channels come last"):
        built.predict(last)
    with pytest.raises(gn.OptionError, match=r"received shape \(1500, 8, 8\); for grey pictures without a channel "
                                             r"axis give X\[:, None\]"):
        built.predict(X[:, 0])
    with pytest.raises(gn.OptionError, match=r"input_shape=...; for grey pictures without a channel axis"):
        gn.Sequential(gn.Conv2D(4, 3), gn.Flatten(), gn.Dense(10)).predict(X[:, 0])
    # a model whose pictures are laid out as ours, and rows for an MLP, get no such hint or warning
    assert gn.Sequential(gn.Conv2D(4, 3), gn.Flatten(), gn.Dense(10)).predict(X).shape == (1500, 10)
    with pytest.raises(gn.OptionError) as refused:
        gn.Sequential(gn.Dense(10)).predict(X[:, 0])
    assert "grey" not in str(refused.value) and "transpose" not in str(refused.value)
