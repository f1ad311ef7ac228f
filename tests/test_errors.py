"""Bad input gets an error naming the argument, what was expected and what was received."""

import re

import numpy as np
import pytest
import scipy.sparse

import glassnet as gn
from helpers import mechanics_only


def test_mismatched_layer_widths():
    with pytest.raises(ValueError, match=r"layers\[2\] Dense expects 5 input features, but "
                                         r"layers\[0\] Dense produces 4"):
        gn.Sequential([gn.Dense(3, 4), gn.ReLU(), gn.Dense(5, 2)])


def test_feature_count_does_not_match_first_layer():
    model = gn.mlp([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"X has 5 features per sample, but the model's first "
                                         r"layer expects 3; received X of shape \(2, 5\)"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Dense expects input of shape \(n_samples, 3\); "
                                         r"received shape \(2, 5\)"):
        model.forward(np.zeros((2, 5), np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_input(bad):
    model = gn.mlp([3, 2], rng=0)
    X = np.zeros((4, 3))
    X[1, 2] = bad
    with pytest.raises(ValueError, match="X must hold finite values; received"):
        model.predict(X)
    objective = gn.Objective(model, "mse")
    with pytest.raises(ValueError, match="X must hold finite values"):
        objective.prepare(X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y must hold finite values"):
        objective.prepare(np.zeros((4, 3)), np.full((4, 2), bad))


def test_finite_values_too_large_for_the_models_dtype_are_named_as_such():
    """1e39 is a finite float64 that float32 cannot hold: it was reported as an infinite value of X."""
    X = np.zeros((4, 3))
    X[2, 1] = -1e39
    with pytest.raises(ValueError, match=r"X holds values too large for float32 \(up to 1e\+39, where float32 holds "
                                         r"at most 3.4e\+38\): scale them down, or use float64"):
        gn.mlp([3, 2], rng=0).predict(X)
    with pytest.raises(ValueError, match=r"X holds values too large for float32 \(up to 1e\+39"):
        gn.mlp([3, 2], rng=0).fit(X, np.arange(4) % 2, loss="cross_entropy")
    assert np.isfinite(gn.mlp([3, 2], rng=0, dtype="float64").predict(X)).all()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # the cast's overflow warning came first
def test_finite_values_too_large_are_named_in_sparse_and_memory_mapped_input_too(tmp_path):
    """They were cast to float32 first: 'must hold finite values', after a RuntimeWarning."""
    scipy_sparse = pytest.importorskip("scipy.sparse")
    X = np.zeros((300, 3))
    X[250, 1] = 1e39
    np.save(tmp_path / "X.npy", X)
    y = np.arange(300) % 2
    for given in (scipy_sparse.csr_matrix(X), np.load(tmp_path / "X.npy", mmap_mode="r")):
        with pytest.raises(ValueError, match=r"X holds values too large for float32 \(up to 1e\+39, where float32 "
                                             r"holds at most 3.4e\+38\)"):
            gn.mlp([3, 2], rng=0).fit(given, y, loss="cross_entropy")
        assert gn.mlp([3, 2], rng=0, dtype="float64").predict(given).shape == (300, 2)
    X[250, 1] = np.inf
    with pytest.raises(ValueError, match=r"X must hold finite values; received NaN or infinity"):
        gn.mlp([3, 2], rng=0).fit(scipy_sparse.csr_matrix(X), y, loss="cross_entropy")


def test_wrong_dimensions_and_types():
    model = gn.mlp([3, 2], rng=0)
    with pytest.raises(ValueError, match=r"X must be a 2-D array; received shape \(2, 3, 1\)"):
        model.predict(np.zeros((2, 3, 1)))
    with pytest.raises(TypeError, match="X must hold numbers; received an array of dtype <U1"):
        model.predict([["a", "b", "c"]])
    with pytest.raises(ValueError, match=r"X must not be empty"):
        model.predict(np.zeros((0, 3)))


@pytest.mark.parametrize(("labels", "message"), [
    ([0, 1, 3], r"y must hold class labels in 0..2 for a model with 3 outputs; received labels from 0 to 3"),
    ([0, -1, 2], r"received labels from -1 to 2"),
    ([0.5, 1, 2], r"y must hold integer class labels 0..2 or one-hot rows"),
    ([0, 1], r"y must hold 3 labels, one per sample; received 2"),
])
def test_labels_out_of_range_for_softmax_cross_entropy(labels, message):
    objective = gn.Objective(gn.mlp([2, 3], rng=0), gn.SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match=message):
        objective.prepare(np.zeros((3, 2)), labels)


def test_one_hot_of_wrong_width():
    objective = gn.Objective(gn.mlp([2, 3], rng=0), gn.SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match=r"y must have shape \(3, 3\) .* received shape \(3, 4\)"):
        objective.prepare(np.zeros((3, 2)), np.eye(4)[:3])


def test_binary_targets_outside_unit_interval():
    objective = gn.Objective(gn.mlp([2, 1], output="sigmoid", rng=0), gn.BinaryCrossEntropy())
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\]"):
        objective.prepare(np.zeros((2, 2)), [0, 2])


def test_unknown_names():
    with pytest.raises(ValueError, match=r"init must be one of .* received 'orthogonal'"):
        gn.Dense(2, 3, init="orthogonal")
    with pytest.raises(ValueError, match=r"activation must be one of .* received 'swish'"):
        gn.mlp([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match=r"output must be one of .* received 'soft_max'"):
        gn.mlp([2, 3, 1], output="soft_max")
    with pytest.raises(ValueError, match=r"activation must be one of .* received 'gelu'"):
        gn.get_activation("gelu")
    with pytest.raises(ValueError, match=r"loss must be a Loss or one of .* received 'hinge'"):
        gn.Objective(gn.mlp([2, 1], rng=0), "hinge")
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum'; received 'avg'$"):
        gn.SquaredError("avg")


def test_names_in_other_letters_and_classes_for_instances_are_answered_with_what_was_meant():
    """activation="ReLU", optimizer="Adam", loss="MSE" (PyTorch's and Keras's spellings) and optimizer=gn.Adam were
    refused with the list of names alone."""
    X, y = np.zeros((4, 2)), np.zeros(4)
    for call, hint in [(lambda: gn.mlp([2, 3, 1], activation="ReLU"), "did you mean 'relu'?"),
                       (lambda: gn.mlp([2, 3, 1], activation="leaky-relu"), "did you mean 'leaky_relu'?"),
                       (lambda: gn.mlp([2, 3, 1]).fit(X, y, optimizer="Adam"), "did you mean 'adam'?"),
                       (lambda: gn.optim.get_optimizer("RMSProp"), "did you mean 'rmsprop'?"),
                       (lambda: gn.mlp([2, 3, 1]).fit(X, y, loss="MSE"), "did you mean 'mse'?"),
                       (lambda: gn.mlp([2, 3, 1]).fit(X, y, optimizer=gn.Adam),
                        "did you mean Adam(), an instance, where you gave the class?"),
                       (lambda: gn.Objective(gn.mlp([2, 1], rng=0), gn.SquaredError),
                        "did you mean SquaredError(), an instance, where you gave the class?"),
                       (lambda: gn.Sequential(gn.Dense(2, 3), gn.ReLU),
                        r"layers\[1\] must be a glassnet Layer; received type; did you mean ReLU\(\), an instance"),
                       (lambda: gn.SquaredError("Sum"), "did you mean 'sum'?")]:
        with pytest.raises(ValueError, match=hint if "layers" in hint else re.escape(hint)):
            call()


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="out_features must be >= 1; received 0"):
        gn.Dense(3, 0)
    with pytest.raises(TypeError, match="in_features must be an integer; received 2.5"):
        gn.Dense(2.5, 3)
    with pytest.raises(TypeError, match="dtype must be float32 or float64; received int32"):
        gn.Dense(2, 3, dtype=np.int32)
    with pytest.raises(ValueError, match=r"rate must be in \[0.0, 1.0\); received 1.0"):
        gn.Dropout(1.0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0.0, 1.0\); received -0.2"):
        gn.LeakyReLU(-0.2)
    with pytest.raises(TypeError, match="rng must be None, an integer seed or a numpy.random.Generator"):
        gn.Dense(2, 3, rng="seed")
    with pytest.raises(TypeError, match=r"layers\[1\] must be a glassnet Layer; received str"):
        gn.Sequential([gn.Dense(2, 3), "relu"])
    with pytest.raises(ValueError, match="layers must contain at least one layer"):
        gn.Sequential([])
    relu = gn.ReLU()
    with pytest.raises(ValueError, match="same layer object twice"):
        gn.Sequential([gn.Dense(2, 2), relu, gn.Dense(2, 2), relu])
    with pytest.raises(ValueError, match=r"l2 must be in \[0.0, inf\); received -1"):
        gn.Objective(gn.mlp([2, 1], rng=0), "mse", l2=-1)



@mechanics_only  # two epochs on random labels: what changes, not what is learned
def test_a_layer_shared_by_two_models_is_trained_saved_and_checked_by_both(tmp_path):
    """A model made from another's layers packs them into its own vector. Before, the first model then held
    stale copies: its fit moved its own vector but not the shared layer, and its save wrote weights it no
    longer used. Now each model takes its layers back when it needs its vector, so they share the layer."""
    shared = gn.Dense(4, 3, rng=0, dtype="float64")
    first = gn.Sequential([shared, gn.ReLU(), gn.Dense(3, 2, rng=1, dtype="float64")])
    second = gn.Sequential([shared, gn.Tanh(), gn.Dense(3, 2, rng=2, dtype="float64")])
    X, y = np.random.default_rng(0).normal(size=(40, 4)), np.arange(40) % 2

    before = shared.W.copy()
    second.fit(X, y, loss="cross_entropy", epochs=2, verbose=False)
    trained_by_second = shared.W.copy()
    assert not np.array_equal(trained_by_second, before)
    np.testing.assert_array_equal(first.params[:12], trained_by_second.ravel())  # the shared layer's values

    first.fit(X, y, loss="cross_entropy", epochs=2, verbose=False)
    assert not np.array_equal(shared.W, trained_by_second)  # the first model trains the shared layer too
    np.testing.assert_array_equal(first.params[:12], shared.W.ravel())
    top = second.layers[2]
    np.testing.assert_allclose(second.predict(X), np.tanh(X @ shared.W + shared.b) @ top.W + top.b, rtol=1e-12)
    np.testing.assert_array_equal(gn.load(gn.save(tmp_path / "first.glassnet", first)).model.layers[0].W, shared.W)
    assert gn.gradcheck(second, "cross_entropy", X[:5], y[:5]).passed


def test_a_model_whose_shared_layers_are_used_by_another_during_its_fit_trains_on(tmp_path):
    """A callback that saves an encoder made from the model's first layers, every epoch: the encoder takes the
    layers, and the model takes them back into the same vector its optimizer steps. Before, the model took
    them into a new vector: its optimizer went on stepping the old one, and training stopped unseen."""
    X, y = np.random.default_rng(0).normal(size=(64, 4)), (np.arange(64) % 2)

    def model():
        return gn.Sequential([gn.Dense(4, 8, rng=0, dtype="float64"), gn.ReLU(),
                              gn.Dense(8, 2, rng=1, dtype="float64")], rng=2)  # and the same shuffles

    alone, shared = model(), model()
    encoder = gn.Sequential(shared.layers[:2])
    save_encoder = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: gn.save(tmp_path / "e.glassnet", encoder))
    alone.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=5, verbose=False)
    shared.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=5, verbose=False,
               callbacks=[save_encoder])
    np.testing.assert_array_equal(shared.params, alone.params)
    np.testing.assert_array_equal(gn.load(tmp_path / "e.glassnet").model.params, encoder.params)


def test_a_cross_entropy_of_probabilities_is_refused_on_outputs_that_are_not():
    """A Dense layer's outputs are any real numbers: binary cross-entropy took their logarithms, the cost was
    NaN at the first step and the run stopped as diverged. Named before training, with the two ways out."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(200, 2)), (r.normal(size=200) > 0).astype(float)

    def model():
        return gn.Sequential([gn.Dense(2, 8, rng=0), gn.ReLU(), gn.Dense(8, 1, rng=1)])

    with pytest.raises(ValueError, match=r"the loss BinaryCrossEntropy takes probabilities, but the model's outputs "
                                         r"come from Dense, whose outputs are not probabilities: end the model with "
                                         r"Sigmoid\(\), or take them as logits with "
                                         r"loss=gn.BinaryCrossEntropy\(from_logits=True\)"):
        model().fit(X, y, loss="bce", epochs=1, verbose=False)
    # layers that keep their inputs' range are looked through: a sigmoid's pixels, pooled and flattened
    pixels = gn.Sequential([gn.Conv2D(1, 1, 3, padding=1, rng=0), gn.Sigmoid(), gn.MaxPool2D(2), gn.Flatten()],
                           input_shape=(1, 4, 4))
    images, masks = r.normal(size=(6, 1, 4, 4)), (r.normal(size=(6, 4)) > 0).astype(float)
    assert np.isfinite(pixels.evaluate(images, masks, loss="bce")["loss"])
    with pytest.raises(ValueError, match="outputs come from Conv2D"):
        gn.Sequential([gn.Conv2D(1, 1, 3, padding=1, rng=0), gn.MaxPool2D(2), gn.Flatten()],
                      input_shape=(1, 4, 4)).evaluate(images, masks, loss="bce")
    with pytest.raises(ValueError, match="SoftmaxCrossEntropy takes probabilities.* with Softmax"):
        gn.mlp([2, 3], rng=0).evaluate(X, (y > 0).astype(int), loss=gn.SoftmaxCrossEntropy(from_logits=False))
    logits = gn.BinaryCrossEntropy(from_logits=True)
    fitted = model()
    learnable = (X[:, 0] > 0).astype(float)  # y is noise: whether two epochs end above chance was the BLAS's call
    assert np.isfinite(fitted.fit(X, learnable, loss=logits, epochs=2, verbose=False).loss).all()
    sigmoid = gn.Sequential([gn.Dense(2, 8, rng=0), gn.ReLU(), gn.Dense(8, 1, rng=1), gn.Sigmoid()])
    assert np.isfinite(sigmoid.fit(X, learnable, loss="bce", epochs=2, verbose=False).loss).all()


def test_an_activation_followed_by_layers_that_keep_its_range_is_not_applied_twice():
    """Softmax then Identity or Flatten: the default cross-entropy, which takes logits, applied softmax to the
    probabilities again (a cost of 1.40 where the model's own probabilities cost 1.87), and so did
    predict_proba; a sigmoid's pixels, flattened, went through a softmax in predict_proba."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(5, 3)), r.integers(0, 4, 5)
    for tail in (gn.Identity(), gn.Flatten(), gn.Dropout(0.5)):  # Dropout: the identity at inference
        model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Softmax(), tail])
        with pytest.raises(ValueError, match=rf"the model's Softmax is followed by {type(tail).__name__}, so its "
                                             r"outputs are probabilities already and would go through softmax "
                                             rf"twice: put Softmax\(\) last, after {type(tail).__name__}"):
            model.evaluate(X, y, loss="cross_entropy")
        np.testing.assert_allclose(model.predict_proba(X), model.predict(X))  # probabilities as they are
    pixels = gn.Sequential([gn.Conv2D(1, 1, 3, padding=1, rng=0), gn.Sigmoid(), gn.Flatten()], input_shape=(1, 4, 4))
    images, masks = r.normal(size=(6, 1, 4, 4)), (r.normal(size=(6, 16)) > 0).astype(float)
    with pytest.raises(ValueError, match="Sigmoid is followed by Flatten"):
        pixels.evaluate(images, masks, loss=gn.BinaryCrossEntropy(from_logits=True))
    p = pixels.predict(images)
    expected = -np.mean(np.sum(masks * np.log(p) + (1 - masks) * np.log(1 - p), axis=1))
    assert pixels.evaluate(images, masks, loss="bce")["loss"] == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(pixels.predict_proba(images), pixels.predict(images))
    # in training Dropout scales what it keeps out of a probability's range: a loss of probabilities refuses it
    with pytest.raises(ValueError, match="takes probabilities, but the model's outputs come from Dropout"):
        gn.Sequential([gn.Dense(3, 1, rng=0), gn.Sigmoid(), gn.Dropout(0.5)]).evaluate(X, y > 1, loss="bce")


@mechanics_only  # labels made of noise: what is refused, and that soft labels train at all
def test_probabilities_given_as_logits_and_negative_soft_labels_are_refused():
    """A sigmoid before the softmax cross-entropy (which takes logits) trained to a cost it could not go below
    (0.31 for two classes); rows of targets with a negative entry made the cost fall without end (-264)."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    squeezed = gn.Sequential(gn.Dense(3, 2, rng=0), gn.Sigmoid())
    with pytest.raises(ValueError, match=r"the loss SoftmaxCrossEntropy takes logits and applies softmax itself, "
                                         r"but the model ends with Sigmoid, whose outputs are probabilities: leave "
                                         r"out the last Sigmoid\(\), or end with Softmax\(\)"):
        squeezed.fit(X, y, loss="cross_entropy", epochs=1)
    with pytest.raises(ValueError, match=r"y must hold class labels, or rows of class probabilities .*received a "
                                         r"value of -1"):
        gn.mlp([3, 4, 2], rng=0).fit(X, np.c_[2 * y, 1 - 2 * y], loss="cross_entropy", epochs=1)
    soft = np.c_[0.8 * y + 0.1, 0.9 - 0.8 * y]  # soft labels of at least 0 are taken
    assert np.isfinite(gn.mlp([3, 4, 2], rng=0).fit(X, soft, loss="cross_entropy", epochs=2, verbose=False).loss).all()


def test_non_finite_weights_are_reported_by_predict():
    model = gn.mlp([3, 2], rng=0)
    model.params[0] = np.nan
    with pytest.raises(FloatingPointError, match="output is not finite although X is"):
        model.predict(np.ones((2, 3)))


def test_the_family_is_one_tree_of_value_errors():
    from glassnet import errors

    for cls in (errors.OptionError, errors.OptionTypeError, errors.DataError, errors.ModelFileError,
                errors.ImageError, errors.ImageTooLargeError, errors.DivergenceError,
                errors.MissingDependencyError):
        assert issubclass(cls, gn.GlassnetError) and issubclass(cls, ValueError)
    assert issubclass(errors.OptionTypeError, TypeError) and issubclass(errors.MissingDependencyError, ImportError)
    assert issubclass(errors.ImageTooLargeError, errors.ImageError)


def test_the_command_line_reports_glassnet_errors_in_one_line_and_lets_bugs_raise(monkeypatch, capsys):
    from glassnet import cli
    from glassnet.cli import use  # where `glassnet info` finds its function when it runs

    def user_mistake(args):
        raise gn.OptionError("lr must be > 0; received -1")

    monkeypatch.setattr(use, "cmd_info", user_mistake)
    assert cli.main(["info", "model.glassnet"]) == 2
    assert capsys.readouterr().err == "glassnet: error: lr must be > 0; received -1\n"

    monkeypatch.setattr(use, "cmd_info", lambda args: open("/nonexistent/folder/file"))
    assert cli.main(["info", "model.glassnet"]) == 2  # OSError: the system's word, one line
    assert "No such file or directory" in capsys.readouterr().err

    def bug(args):
        return {}["a key glassnet forgot"]

    monkeypatch.setattr(use, "cmd_info", bug)
    with pytest.raises(KeyError):  # a bug inside glassnet keeps its traceback
        cli.main(["info", "model.glassnet"])
    monkeypatch.setattr(use, "cmd_info", lambda args: int("a plain ValueError is a bug too"))
    with pytest.raises(ValueError, match="invalid literal"):
        cli.main(["info", "model.glassnet"])


def _two_classes():
    r = np.random.default_rng(0)
    return r.normal(size=(20, 4)), np.arange(20) % 2


def _fit_augmented(augment):
    X, y = _two_classes()
    gn.mlp([4, 3, 2], rng=0).fit(X, y, loss="cross_entropy", epochs=1, batch_size=8, augment=augment)


@pytest.mark.parametrize(("call", "kind", "message"), [
    # each of these was a raw error from deep inside (a range() argument, 'str' has no 'copy', a format code),
    # or was taken and read as something else (shuffle="no" as True, target=-1 as the last class)
    (lambda: gn.mlp([4, 2], rng=0).predict(np.zeros((3, 4)), batch_size=0), ValueError,
     r"batch_size must be >= 1; received 0"),
    (lambda: gn.mlp([4, 2], rng=0).predict_proba(np.zeros((3, 4)), batch_size=2.5), TypeError,
     r"batch_size must be an integer; received 2.5"),
    (lambda: gn.trace(gn.mlp([4, 2], rng=0), np.zeros((3, 4)), np.zeros((3, 2)), lr="0.1"), TypeError,
     r"lr must be a real number; received '0.1'"),
    (lambda: gn.trace(gn.mlp([4, 2], rng=0), np.zeros((3, 4)), np.zeros((3, 2)), lr=-1), ValueError,
     r"lr must be in \(0.0, inf\); received -1"),
    (lambda: gn.trace("m.glassnet", np.zeros((3, 4)), np.zeros((3, 2))), TypeError,
     r"model must be a glassnet Sequential; received 'm.glassnet' \(to use a model file, load it: "
     r"glassnet.load\(path\).model\)"),
    (lambda: gn.draw_graph("m.glassnet", np.zeros((3, 4)), np.zeros((3, 2))), TypeError, "model must be a glassnet"),
    (lambda: gn.lr_find("m.glassnet", np.zeros((3, 4)), np.zeros((3, 2))), TypeError, "model must be a glassnet"),
    (lambda: gn.diagnose("m.glassnet", np.zeros((3, 4)), np.zeros((3, 2))), TypeError, "model must be a glassnet"),
    (lambda: gn.saliency.occlusion(gn.cnn((1, 8, 8), 3, rng=0), np.zeros((1, 8, 8)), stride=0), ValueError,
     r"stride must be >= 1; received 0"),
    (lambda: gn.saliency.occlusion(gn.cnn((1, 8, 8), 3, rng=0), np.zeros((1, 8, 8)), patch=0), ValueError,
     r"patch must be >= 1; received 0"),  # an all-zero map
    (lambda: gn.saliency.occlusion(gn.cnn((1, 8, 8), 3, rng=0), np.zeros((1, 8, 8)), target=-1), ValueError,
     r"target must be class numbers from 0 to 2; received -1"),
    (lambda: gn.saliency.occlusion(gn.cnn((1, 8, 8), 3, rng=0), np.zeros(50)), ValueError,
     r"image must hold pictures of 8x8 pixels \(image_shape\); received 50 values"),
    (lambda: gn.saliency.gradient_saliency(gn.cnn((1, 8, 8), 3, rng=0), np.zeros((2, 1, 8, 8)), [0, 3]),
     ValueError, r"classes must be class numbers from 0 to 2; received \[0, 3\]"),
    (lambda: gn.EarlyStopping(monitor=5), TypeError, r"EarlyStopping monitor must be the name of a log"),
    (lambda: gn.ModelCheckpoint("m.glassnet", monitor=["loss"]), TypeError, r"ModelCheckpoint monitor must be"),
    (lambda: gn.ProgressBar(stream="x"), TypeError, r"stream must be a file opened for writing"),
    (lambda: gn.LambdaCallback(on_epoch_end=5), TypeError, r"on_epoch_end must be a function or None; received 5"),
    (lambda: gn.mlp([4, 2], rng=0).fit(*_two_classes(), shuffle="no"), TypeError,
     r"shuffle must be True or False; received 'no'"),
    (lambda: gn.SGD(0.1, momentum=0.9, nesterov="no"), TypeError, r"nesterov must be True or False"),
    (lambda: gn.Sequential(gn.Dense(3), input_shape=3), ValueError, r"input_shape must be a tuple of sizes"),
    (lambda: gn.Sequential(gn.Dense(3), input_shape=(0,)), ValueError, r"input_shape\[0\] must be >= 1"),
    # the batch axis, as Keras' batch_input_shape has it: "input_shape[0] must be an integer; received None"
    (lambda: gn.Sequential(gn.Dense(3), input_shape=(None, 784)), ValueError,
     r"input_shape is one sample's shape, without the batch axis: input_shape=\(784,\); received \(None, 784\)"),
    # "put a Flatten() before it", and nothing else, where a Flatten would have taken 64 x 784 features
    (lambda: gn.Sequential(gn.Dense(3), input_shape=(64, 784)), ValueError,
     r"layers\[0\] Dense: .* put a Flatten\(\) before it, from the input; if 64 counts the samples, leave it out: "
     r"input_shape=\(784,\)"),
    (lambda: gn.Sequential(gn.Dense(784, 3), input_shape=(5, 784)), ValueError,
     r"layers\[0\] Dense expects 784 input features, but the input produces shape \(5, 784\); if 5 counts the "
     r"samples, leave it out: input_shape=\(784,\)"),
    (lambda: gn.Sequential(gn.Conv2D(1, 4, 3), gn.Flatten(), gn.Dense(3), input_shape=(32, 1, 8, 8)), ValueError,
     r"layers\[0\] Conv2D: .*; if 32 counts the samples, leave it out: input_shape=\(1, 8, 8\)"),
    (lambda: gn.save("never.glassnet", gn.mlp([4, 2], rng=0), optimizer="adam"), TypeError,
     r"optimizer must be an Optimizer whose state to keep .*; received 'adam'"),
    (lambda: gn.save("never.glassnet", gn.mlp([4, 2], rng=0), training_arrays={"best_params": [1, 2]}), ValueError,
     r"training_arrays\['best_params'\] must be named like a variable and hold one value per parameter"),
    (lambda: gn.save("never.glassnet", gn.mlp([4, 2], rng=0), training_arrays={1: np.zeros(10)}), ValueError,
     r"training_arrays\[1\] must be named like a variable"),  # was AttributeError: 'int' has no 'endswith'
    (lambda: gn.Dropout(10**400), ValueError, r"rate must be finite; received 1000"),  # OverflowError from float()
    (lambda: gn.Adam(lr=10**400), ValueError, r"lr must be finite"),
    (lambda: gn.Dense(2, 3, rng=-1), ValueError, r"rng must be None, a seed of at least 0 or a numpy.random"),
    (lambda: gn.mlp([3, 2], rng=0).predict(scipy.sparse.csr_matrix((0, 3))), ValueError,
     r"X must not be empty; received shape \(0, 3\)"),  # NumPy's "zero-size array to reduction operation"
    (lambda: _fit_augmented(lambda batch, rng: None), ValueError,
     r"augment must return the batch it was given, moved, of shape \(8, 4\); it returned None"),
    (lambda: _fit_augmented(lambda batch, rng: batch[:3]), ValueError, r"it returned array\("),
])
def test_mistakes_in_the_api_are_named_with_what_was_received(call, kind, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(kind, match=message):
        call()
    assert not (tmp_path / "never.glassnet").exists()


def test_data_with_an_extra_axis_gets_no_hint_about_an_input_shape_never_written():
    """The shape a model takes from its first data is not the user's input_shape: "if 64 counts the samples, leave
    it out: input_shape=(784,)" sent them to an argument they had not given."""
    with pytest.raises(gn.OptionError) as caught:
        gn.Sequential(gn.Dense(3)).fit(np.zeros((10, 64, 784)), np.zeros(10, int), loss="cross_entropy")
    assert "put a Flatten() before it" in str(caught.value) and "counts the samples" not in str(caught.value)
    with pytest.raises(gn.OptionError, match=r"input_shape\[0\] must be an integer; received None"):
        gn.Sequential(gn.Dense(3), input_shape=(None, None, 3))  # no input_shape=(None, 3) suggested


def test_a_numpy_array_of_sizes_builds_an_mlp():
    assert [layer.W.shape for layer in gn.mlp(np.array([3, 4, 2]), rng=0).layers[::2]] == [(3, 4), (4, 2)]


def test_the_public_evaluate_takes_a_loss_as_model_evaluate_does():
    """gn.evaluate took only the training loop's prepared arrays and Objective: a loss by name was "'str' object
    has no attribute 'loss'", and labels out of range a raw IndexError."""
    model = gn.mlp([4, 3, 2], rng=0)
    X, y = np.random.default_rng(0).normal(size=(10, 4)), np.arange(10) % 2
    assert gn.evaluate(model, X, y, "cross_entropy") == model.evaluate(X, y, loss="cross_entropy")
    with pytest.raises(ValueError, match=r"y must hold class labels in 0..1 .* received labels from 5 to 6"):
        gn.evaluate(model, X, y + 5, "cross_entropy")


def test_the_scores_take_labels_as_columns_and_refuse_fractions():
    """accuracy_score of a column against a vector compared every row with every other (0.5 for 1.0), and
    confusion_matrix counted a label of 1.7 as class 1."""
    from glassnet.tools.metrics import accuracy_score, confusion_matrix

    assert accuracy_score(np.array([[0], [1], [2]]), np.array([0, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(gn.OptionError, match="one label per sample each; received 3 and 2"):
        accuracy_score([0, 1, 2], [0, 1])
    with pytest.raises(gn.OptionError, match="y_true must hold class labels, whole numbers; received 1.7"):
        confusion_matrix([0.0, 1.7], [0, 1])
    np.testing.assert_array_equal(confusion_matrix([0.0, 1.0], np.array([[0], [1]])), np.eye(2, dtype=int))
