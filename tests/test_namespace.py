"""The array seam: the engine runs on a second array library, taking every function from it.

Each test runs on the CPU double (tests/fake_namespace.py), which has NumPy's
API but refuses any silent mix with NumPy, as CuPy does, and again on CuPy
itself where CuPy and a GPU are present (skipped elsewhere). A single ``np.``
call on one of a model's arrays anywhere on the engine's path fails them.
"""

import copy

import numpy as np
import pytest

import fake_namespace
import glassnet as gn
from fake_namespace import FakeArray, MixedNamespaceError
from helpers import MNIST_DIR, Ranks, mechanics_only, needs_mnist

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


def _cupy():
    """CuPy where it can run (a GPU present), else None."""
    try:
        import cupy
        cupy.zeros(1).sum()
    except Exception:  # not installed, no driver or no GPU: the tests for it skip
        return None
    return cupy


@pytest.fixture(params=["fake", "cupy"])
def xp(request):
    """The second array library: the CPU double, or CuPy on a GPU."""
    if request.param == "fake":
        return fake_namespace.xp
    module = _cupy()
    if module is None:
        pytest.skip("CuPy and a GPU are not both here: run benchmarks/gpu_check.py on a GPU machine")
    return module


def host(a):
    return gn.arrays.to_numpy(a)


def random_case(seed, hidden=HIDDEN, dropout=False):
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
        if dropout and not last and r.integers(0, 2) == 0:
            layers.append(gn.Dropout(0.3))
    n, k = int(r.integers(2, 9)), sizes[-1]
    X = r.normal(size=(n, sizes[0]))
    y = {"real": r.normal(size=(n, k)), "unit": r.uniform(size=(n, k)),
         "binary": r.integers(0, 2, (n, k)) * 1.0, "labels": r.integers(0, k, n)}[kind]
    return gn.Sequential(layers, rng=seed), loss, X, y


def test_the_double_refuses_numpy_and_is_known_by_its_type_alone():
    xp = fake_namespace.xp
    a = xp.asarray(np.ones(3))
    assert not hasattr(a, "__array_namespace__")  # as CuPy 14's arrays: known through the registry
    assert gn.arrays.namespace(a) is xp and gn.arrays.namespace(None, 1.0, np.ones(2), a) is xp
    with pytest.raises(MixedNamespaceError):
        np.asarray(a)
    with pytest.raises(TypeError):
        np.exp(a)
    with pytest.raises(MixedNamespaceError):
        a + np.ones(3)
    with pytest.raises(MixedNamespaceError):
        xp.exp(np.ones(3))


def test_namespace_detection():
    assert gn.arrays.namespace(np.ones(2)) is np and gn.arrays.namespace() is np

    class Tagged:  # a library that does say which module it belongs to
        def __array_namespace__(self):
            return fake_namespace.xp

    assert gn.arrays.namespace(Tagged()) is fake_namespace.xp
    with pytest.raises(gn.errors.OptionTypeError, match="array_type must be a class"):
        gn.arrays.register("FakeArray", fake_namespace.xp)
    with pytest.raises(gn.errors.OptionTypeError, match="module must be a module"):
        gn.arrays.register(FakeArray, "xp")
    cupy = _cupy()
    if cupy is not None:
        assert gn.arrays.namespace(cupy.ones(2)) is cupy


@pytest.mark.parametrize("seed", range(14))
def test_forward_backward_and_gradcheck_equal_numpy(xp, seed):
    model, loss, X, y = random_case(seed)
    twin = model.copy().to(xp)
    assert gn.arrays.namespace(twin.params) is xp and gn.arrays.namespace(twin.layers[0].W) is xp
    out = twin.predict(X)
    assert gn.arrays.namespace(out) is xp
    np.testing.assert_allclose(host(out), model.predict(X), rtol=1e-12, atol=1e-15)
    # one training pass: the same cost and every gradient
    a, b = gn.Objective(model, loss), gn.Objective(twin, loss)
    cost_a, cost_b = a(*a.prepare(X, y)), b(*b.prepare(X, y))
    assert isinstance(cost_a, float) and gn.arrays.namespace(cost_b) is xp  # stays on the device
    assert float(cost_b) == pytest.approx(cost_a, rel=1e-12)
    np.testing.assert_allclose(host(twin.grads), model.grads, rtol=1e-10, atol=1e-14)
    # and against central differences, computed in the second library, where they hold (no kink)
    smooth, loss, X, y = random_case(seed, hidden=["sigmoid", "tanh", "identity"])
    report = gn.gradcheck(smooth.to(xp), loss, X, y, check_input=True)
    assert report.passed, str(report)


def test_dropout_draws_its_masks_on_the_device(xp):
    model = gn.Sequential([gn.Dense(50, 400, rng=0, dtype="float64"), gn.Dropout(0.25)], rng=1).to(xp)
    X = np.ones((40, 50))

    def masks(seed):
        model.rng = np.random.default_rng(seed)
        objective = gn.Objective(model, gn.SquaredError())
        Xd, yd = objective.prepare(X, np.zeros((40, 400)))
        reads = fake_namespace.READS[0]
        objective(Xd, yd, training=True)
        if xp is fake_namespace.xp:
            assert fake_namespace.READS[0] == reads, "a training pass with dropout read from the device"
        return host(objective.output) != 0

    first, again, other = masks(3), masks(3), masks(4)
    np.testing.assert_array_equal(first, again)  # reproducible from the model's generator
    assert (first != other).any()
    assert abs(first.mean() - 0.75) < 0.01  # 16,000 draws: the kept share is 1 - rate


OPTIMIZERS = [gn.SGD(lr=0.1, momentum=0.9, nesterov=True), gn.Adam(lr=0.01), gn.RMSProp(lr=0.01),
              gn.AdamW(lr=0.01)]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: type(o).__name__)
@mechanics_only  # a short run compared library to library
def test_a_short_training_run_equals_numpy(xp, optimizer):
    r = np.random.default_rng(5)
    X, y, w = r.normal(size=(60, 4)), r.integers(0, 3, 60), r.uniform(1, 2, 60)
    model = gn.mlp([4, 8, 3], rng=3, dtype="float64")
    twin = model.copy()
    histories = []
    for m, device in ((model, None), (twin, xp)):
        m.rng = np.random.default_rng(11)  # the same shuffles and split
        histories.append(m.fit(X, y, loss="cross_entropy", optimizer=copy.deepcopy(optimizer), epochs=4,
                               batch_size=16, l2=1e-3, validation_split=0.2, sample_weight=w, verbose=False,
                               device=device))
    assert twin.xp is xp  # fit leaves the model where it trained
    np.testing.assert_allclose(host(twin.params), model.params, rtol=1e-12, atol=1e-14)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-12, err_msg=key)
    np.testing.assert_array_equal(host(twin.predict_classes(X)), model.predict_classes(X))


@mechanics_only
def test_a_conv_net_with_batch_norm_trains_as_on_numpy(xp):
    r = np.random.default_rng(2)
    X, y = r.normal(size=(24, 1, 8, 8)), r.integers(0, 3, 24)
    model = gn.Sequential([gn.Conv2D(1, 3, 3, padding=1, bias=False, rng=0), gn.BatchNorm(3), gn.ReLU(),
                           gn.MaxPool2D(2), gn.AvgPool2D(2), gn.Flatten(), gn.Dense(12, 3, rng=1)],
                          dtype="float64", rng=4)
    twin = model.copy()
    for m, device in ((model, None), (twin, xp)):
        m.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=3, batch_size=8, verbose=False,
              device=device)
    np.testing.assert_allclose(host(twin.params), model.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(twin.state), model.state, rtol=1e-12, atol=1e-14)  # running statistics
    np.testing.assert_allclose(host(twin.predict(X)), model.predict(X), rtol=1e-12, atol=1e-14)


def test_a_training_step_does_not_wait_for_the_host():
    xp = fake_namespace.xp
    r = np.random.default_rng(0)
    X, y = r.normal(size=(2048, 6)), r.integers(0, 3, 2048)
    model = gn.mlp([6, 16, 3], rng=0, dtype="float64").to(xp)
    reads = fake_namespace.READS[0]
    history = model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16, verbose=False)
    per_epoch = (fake_namespace.READS[0] - reads) / 2
    steps = 2048 / 16
    # NumPy reads its cost at every step; here the costs and counts of 32 steps come in one copy
    assert per_epoch <= 2 * steps / gn.training.descent.SYNC_EVERY + 8, per_epoch
    assert np.isfinite(history["loss"]).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow, inside the double
def test_divergence_is_caught_on_the_device_and_the_weights_kept():
    xp = fake_namespace.xp
    r = np.random.default_rng(0)
    X = r.normal(size=(512, 4))
    y = np.eye(2)[(X[:, 0] > 0).astype(int)] * 1e6
    model = gn.mlp([4, 8, 2], rng=0, dtype="float64").to(xp)
    kept = host(model.params).copy()
    with pytest.warns(gn.DivergenceWarning, match="epoch 1, batch 2:.*before training were kept"):
        history = model.fit(X, y, loss="mse", optimizer="sgd", lr=1e3, epochs=3, batch_size=8, verbose=False)
    # the costs were read at batch 32, thirty steps later: those steps were undone
    assert history.diverged and history.n_epochs == 0
    np.testing.assert_array_equal(host(model.params), kept)


@pytest.fixture
def gpu_is_the_double(monkeypatch):
    """``"gpu"`` names the CPU double, so that the device API runs here."""
    monkeypatch.setattr(gn.arrays, "gpu_library", lambda: fake_namespace.xp)
    return fake_namespace.xp


def test_devices_by_name(gpu_is_the_double, tmp_path):
    xp = gpu_is_the_double
    model = gn.mlp([3, 5, 2], rng=0, dtype="float64")
    before = model.params.copy()
    assert model.device == "cpu"
    assert model.to("gpu") is model and model.device == "gpu" and isinstance(model.params, FakeArray)
    assert model.to(" CUDA ").device == "gpu"
    model.to("gpu:1")
    assert model.device == "gpu:1" and model.device_index == 1
    seen = []

    class Where(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            seen.append(fake_namespace.CURRENT_DEVICE[0])

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    model.fit(X, y, loss="cross_entropy", epochs=2, verbose=False, callbacks=[Where()])
    assert seen == [1, 1] and fake_namespace.CURRENT_DEVICE[0] is None  # GPU 1 current while it trained
    trained = host(model.params).copy()
    # saving copies to the host; loading puts the model where it is asked
    path = gn.save(tmp_path / "m.glassnet", model)
    assert gn.load(path).model.device == "cpu"
    np.testing.assert_array_equal(gn.load(path).model.params, trained)
    on_gpu = gn.load(path, device="gpu").model
    assert on_gpu.device == "gpu"
    np.testing.assert_array_equal(host(on_gpu.params), trained)
    assert model.to("cpu").device == "cpu" and isinstance(model.params, np.ndarray)
    np.testing.assert_array_equal(model.params, trained)
    assert not np.array_equal(trained, before)
    fresh = gn.mlp([3, 5, 2], rng=0, dtype="float64")
    fresh.fit(X, y, loss="cross_entropy", epochs=1, verbose=False, device="gpu")
    assert fresh.device == "gpu" and gn.arrays.namespace(fresh.predict(X)) is xp


@pytest.mark.parametrize("device,error,match", [
    ("tpu", gn.errors.OptionError, "device must be 'cpu', 'gpu' or 'gpu:N'.*'tpu'"),
    ("gpu:-1", gn.errors.OptionError, "'gpu:-1'"),
    ("gpu:1:2", gn.errors.OptionError, "'gpu:1:2'"),
    ("gpu:١", gn.errors.OptionError, "gpu:"),
    (3, gn.errors.OptionTypeError, "device must be.*received 3"),
    (None, gn.errors.OptionTypeError, "received None"),
])
def test_a_bad_device_is_named(device, error, match):
    with pytest.raises(error, match=match):
        gn.mlp([2, 2]).to(device)


def test_a_gpu_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setattr(gn.arrays, "GPU_LIBRARY", "no_such_gpu_library")
    model = gn.mlp([2, 3, 2])
    with pytest.raises(gn.errors.MissingDependencyError, match=r"needs CuPy.*\.\[gpu\].*cupy-cuda13x"):
        model.to("gpu")
    with pytest.raises(gn.errors.MissingDependencyError):
        model.fit(np.zeros((4, 2)), [0, 1, 0, 1], loss="cross_entropy", epochs=1, verbose=False, device="gpu:0")
    assert model.device == "cpu"


def test_running_out_of_gpu_memory_names_the_size(gpu_is_the_double, monkeypatch):
    def zeros(*args, **kwargs):
        raise fake_namespace.OutOfMemoryError(3 * 2**30)

    monkeypatch.setattr(gpu_is_the_double, "zeros", zeros, raising=False)
    with pytest.raises(gn.errors.DeviceMemoryError, match=r"asked for 3,072\.0 MiB.*smaller batch_size") as info:
        gn.mlp([4, 4]).to("gpu")
    assert isinstance(info.value, MemoryError) and info.value.__cause__ is None


@mechanics_only
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_estimators_take_a_device(gpu_is_the_double):
    from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor
    r = np.random.default_rng(0)
    X = r.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    settings = dict(hidden_layer_sizes=(6,), max_iter=20, learning_rate_init=0.05, random_state=0, dtype="float64")
    cpu = GlassnetClassifier(**settings).fit(X, y)
    gpu = GlassnetClassifier(**settings, device="gpu").fit(X, y)
    assert gpu.get_params()["device"] == "gpu" and gpu.model_.device == "gpu"
    proba = gpu.predict_proba(X)
    assert isinstance(proba, np.ndarray) and isinstance(gpu.predict(X), np.ndarray)
    np.testing.assert_allclose(proba, cpu.predict_proba(X), rtol=1e-12)
    assert all(isinstance(c, np.ndarray) for c in gpu.coefs_ + gpu.intercepts_)
    np.testing.assert_allclose(gpu.coefs_[0], cpu.coefs_[0], rtol=1e-12)
    reg = GlassnetRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0, device="gpu").fit(X, X[:, 0])
    assert isinstance(reg.predict(X), np.ndarray)
    with pytest.raises(gn.errors.OptionError, match="device"):
        GlassnetClassifier(device="tpu").fit(X, y)
    # early stopping scores its validation rows from the device's predictions (it read them as host arrays)
    for est in (GlassnetClassifier(**settings, device="gpu", early_stopping=True).fit(X, y),
                GlassnetRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0, device="gpu",
                                  early_stopping=True).fit(X, X[:, 0])):
        assert len(est.validation_scores_) == est.n_iter_
        assert all(isinstance(v, float) for v in est.validation_scores_)


def test_the_command_line_without_cupy_fails_in_one_line(monkeypatch, capsys, tmp_path):
    from glassnet.cli import main
    monkeypatch.setattr(gn.arrays, "GPU_LIBRARY", "no_such_gpu_library")
    assert main(["train", "--device", "gpu", "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs CuPy" in err[0] and ".[gpu]" in err[0], err
    assert not (tmp_path / "out").exists()
    assert main(["train", "--device", "tpu", "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert "device must be" in capsys.readouterr().err


@needs_mnist
def test_mnist_trains_on_the_device_from_the_command_line(gpu_is_the_double, tmp_path, capsys):
    """The command line reads MNIST lazily only for a run on the CPU: on a device the pixels are arrays again."""
    from glassnet.cli import main

    assert main(["train", "--dataset", "mnist", "--data", str(MNIST_DIR), "--device", "gpu", "--layers", "8",
                 "--epochs", "1", "--batch-size", "6000", "--quiet", "--out", str(tmp_path / "out")]) == 0
    assert "test accuracy" in capsys.readouterr().out and (tmp_path / "out" / "model.glassnet").exists()


def test_data_parallel_training_of_a_model_on_a_device_is_refused_by_name(gpu_is_the_double):
    """MPI sums host buffers: the first step put a device's cost into a NumPy array and failed there."""
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    comm = Ranks(0, 2)
    with pytest.raises(gn.errors.OptionError, match=r"sums the ranks' gradients in host memory: train the model on "
                                                    r"the CPU \(model.to\('cpu'\)\)"):
        gn.mlp([3, 4, 2], rng=0).fit(X, y, loss="cross_entropy", device="gpu", comm=comm)
    assert len(comm.sent) == 2  # agreed on by every rank, and no weights sent


@mechanics_only  # a few epochs on random labels: where the arrays live, not what is learned
def test_a_device_models_layers_traces_plots_and_arrays_stay_where_they_belong(xp, tmp_path):
    """A Sequential made of a device model's layers bound them to NumPy (the device model's predict then mixed
    namespaces); Sequential(layers, rng=0) hashed device weights through NumPy; trace, decision_boundary,
    first_layer_weights and feature_maps read device arrays with NumPy; a model on the host given a device's
    array raised inside NumPy; sparse rows on a device were refused as if its first layer were not Dense."""
    import scipy.sparse

    from glassnet.tools import plots

    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 2)), np.arange(40) % 3
    model = gn.mlp([2, 8, 3], rng=0, dtype="float64").to(xp)
    model.fit(X, y, loss="cross_entropy", epochs=2, verbose=False)
    before = host(model.predict(X))
    first = gn.Sequential(model.layers[:2])
    assert first.xp is xp and host(first.predict(X)).shape == (40, 8)
    np.testing.assert_array_equal(host(model.predict(X)), before)  # the device model still whole
    unseeded = gn.Sequential([gn.Dense(2, 4), gn.ReLU(), gn.Dense(4, 3)]).to(xp)
    assert gn.Sequential(unseeded.layers, rng=0).xp is xp
    assert "Z1 = X @ W1 + b1" in str(gn.trace(model, X[:3], y[:3], "cross_entropy"))
    plots.decision_boundary(model, X, y, tmp_path / "db.png", resolution=20)
    plots.first_layer_weights(model, (1, 2), tmp_path / "w.png")
    conv = gn.cnn((1, 6, 6), 3, channels=(2,), hidden=4, rng=0, dtype="float64").to(xp)
    plots.feature_maps(conv, r.random((1, 6, 6)), tmp_path / "maps.png")
    assert all((tmp_path / f).exists() for f in ("db.png", "w.png", "maps.png"))
    on_host = gn.mlp([2, 8, 3], rng=0, dtype="float64")
    on_host.fit(xp.asarray(X), y, loss="cross_entropy", epochs=1, verbose=False)  # copied to the host
    with pytest.raises(gn.OptionError, match="only a model on the CPU can take; this model is on a device"):
        model.predict(scipy.sparse.csr_matrix(X))


@mechanics_only  # four epochs on random labels: the same draws resumed, not what is learned
def test_a_run_with_dropout_on_the_device_resumes_exactly(xp, tmp_path):
    """The device's dropout generator was seeded once per fit from the host's: a run resumed from a checkpoint
    drew other masks (4.7e-3 away from the run that was never stopped), where on the CPU it ends exactly alike."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(64, 4)), np.arange(64) % 3

    def make():
        return gn.Sequential([gn.Dense(4, 16, rng=0), gn.ReLU(), gn.Dropout(0.3), gn.Dense(16, 3, rng=1)], rng=3,
                             dtype="float64").to(xp)

    fit = dict(loss="cross_entropy", optimizer="adam", batch_size=16, verbose=False)
    full = make()
    full.fit(X, y, epochs=4, **fit)
    part = make()
    part.fit(X, y, epochs=2, callbacks=[gn.ModelCheckpoint(tmp_path / "p.glassnet")], **fit)
    resumed, _ = gn.resume(tmp_path / "p.glassnet", X, y, epochs=4, device=xp, verbose=False)
    np.testing.assert_array_equal(host(resumed.params), host(full.params))


@mechanics_only  # a few steps on random labels: which GPU is current, not what is learned
def test_the_tools_compute_on_the_models_gpu(gpu_is_the_double):
    """fit and predict made the model's GPU current ("gpu:1"), but evaluate, copy, gradcheck, lr_find and
    gradient_saliency made their arrays on CuPy's current GPU, where the weights are not."""
    model = gn.mlp([3, 5, 2], rng=0, dtype="float64").to("gpu:1")
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    seen = []
    forward = type(model).forward

    def watched(self, *args, **kwargs):
        seen.append(fake_namespace.CURRENT_DEVICE[0])
        return forward(self, *args, **kwargs)

    type(model).forward = watched
    try:
        model.evaluate(X, y, loss="cross_entropy")
        copy = model.copy()
        assert copy.device_index == 1
        gn.gradcheck(model, "cross_entropy", X[:4], y[:4], max_entries=4)
        gn.lr_find(model, X, y, "cross_entropy", steps=5)
        gn.saliency.gradient_saliency(model, X[:2])
    finally:
        type(model).forward = forward
    assert seen and set(seen) == {1} and fake_namespace.CURRENT_DEVICE[0] is None
