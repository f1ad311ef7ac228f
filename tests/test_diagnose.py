"""gn.diagnose names what is wrong with sick networks, on the right layer, and finds nothing in healthy ones;
gn.lr_find suggests a rate that trains as well as a hand-tuned one and leaves everything as it was."""

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.datasets import load_digits, train_test_split
from glassnet.tools import findings as T
from glassnet.training.guard import FACTOR, blown_up
from helpers import needs_mnist


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.X, d.y


def codes(result):
    return [(f.code, f.layer) for f in result.findings]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_networks_get_no_findings(digits, activation, seed):
    X, y = digits
    for sizes in ([64, 32, 10], [64, 128, 64, 10], [64, 32, 32, 32, 32, 10]):
        result = gn.diagnose(gn.mlp(sizes, activation=activation, rng=seed), X, y, "cross_entropy",
                             optimizer="adam")
        assert result.findings == [], (sizes, str(result))


def test_a_healthy_conv_net_and_a_healthy_regression_get_no_findings(digits):
    X, y = digits
    assert gn.diagnose(gn.cnn((1, 8, 8), 10, rng=0), X.reshape(-1, 1, 8, 8), y, "cross_entropy",
                       optimizer="adam").findings == []
    r = np.random.default_rng(0)
    Xr = r.normal(size=(300, 5))
    yr = Xr @ r.normal(size=5) + 0.1 * r.normal(size=300)
    for seed in (0, 1):
        assert gn.diagnose(gn.mlp([5, 16, 16, 1], rng=seed), Xr, yr, "mse", optimizer="sgd").findings == []


def test_first_layer_relus_all_off_are_dead_on_the_relu_layer(digits):
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    model.layers[0].b = np.full(32, -100.0)
    result = gn.diagnose(model, X, y, "cross_entropy")
    assert codes(result) == [("dead_relu", 1)]
    assert result.findings[0].value == 1.0 and result.findings[0].threshold == T.DEAD_SHARE


def test_dead_channels_of_a_conv_net(digits):
    X, y = digits
    # layers given no sizes draw their weights from the model's seed (explicit sizes would draw unseeded)
    model = gn.Sequential([gn.Conv2D(out_channels=8, kernel_size=3, padding=1), gn.ReLU(), gn.MaxPool2D(2),
                           gn.Flatten(), gn.Dense(10)], input_shape=(1, 8, 8), rng=0)
    model.layers[0].b = np.array([-100.0] * 6 + [0.0] * 2)  # six channels of eight never fire
    result = gn.diagnose(model, X.reshape(-1, 1, 8, 8), y, "cross_entropy")
    assert codes(result) == [("dead_relu", 1)] and result.findings[0].value == 0.75


def test_sigmoids_driven_to_saturation_by_large_weights(digits):
    X, y = digits
    model = gn.mlp([64, 32, 10], activation="sigmoid", rng=0)
    model.layers[0].W = model.layers[0].W * 50
    result = gn.diagnose(model, X, y, "cross_entropy")
    assert codes(result) == [("saturated", 1)] and result.findings[0].value > T.SATURATED_SHARE


def test_a_deep_sigmoid_stack_has_a_vanishing_gradient_at_its_first_layer(digits):
    X, y = digits
    result = gn.diagnose(gn.mlp([64] + [32] * 8 + [10], activation="sigmoid", rng=0), X, y, "cross_entropy")
    assert codes(result) == [("vanishing_gradient", 0)] and result.findings[0].value < T.VANISHING


def test_a_first_layer_whose_gradient_dwarfs_its_weights(digits):
    # relative to its weights, the first layer's gradient is thousands of times the last one's: the first
    # step will overwhelm what it holds (here a first layer initialized 10,000 times too small)
    X, y = digits
    model = gn.mlp([64, 32, 32, 10], activation="tanh", rng=0)
    model.layers[0].W = model.layers[0].W * 1e-4
    result = gn.diagnose(model, X, y, "cross_entropy")
    assert codes(result) == [("exploding_gradient", 0)] and result.findings[0].value > T.EXPLODING


def test_inputs_in_the_thousands_are_unscaled(digits):
    X, y = digits
    result = gn.diagnose(gn.mlp([64, 32, 10], rng=0), X * 2000, y, "cross_entropy")
    assert ("unscaled_input", None) in codes(result) and ("initial_cost", None) in codes(result)
    assert "column" in result["unscaled_input"][0].evidence


def test_pictures_are_judged_by_all_their_pixels_together(digits):
    """Pixels are one column: their mean and spread over every picture, not each pixel's own (which for a
    batch read as one row was the pixel's value, with spread 0)."""
    X, y = digits
    pictures, model = X.reshape(-1, 1, 8, 8), gn.cnn((1, 8, 8), 10, rng=0)
    result = gn.diagnose(model, pictures * 255, y, "cross_entropy")
    found = result["unscaled_input"][0]  # of the sample diagnose takes
    mean, std = (float(word) for word in re.match(r"the pixels have mean (\S+) and standard deviation (\S+) ",
                                                  found.evidence).groups())
    assert mean == pytest.approx(np.mean(pictures * 255), rel=0.05) and found.value == pytest.approx(std, rel=1e-3)
    assert std == pytest.approx(np.std(pictures * 255), rel=0.05)
    spread = np.random.default_rng(0).uniform(-40, 40, pictures.shape)  # mean 0, spread 23: beyond 20
    assert ("unscaled_input", None) in codes(gn.diagnose(model, spread, y, "cross_entropy"))
    one_bright = np.full(pictures.shape, 0.05)
    one_bright[:, :, 3, 3] = 60  # one pixel in 64: mean 1, spread 7.4, within both limits
    assert ("unscaled_input", None) not in codes(gn.diagnose(model, one_bright, y, "cross_entropy"))


def test_a_batch_norm_network_is_judged_by_the_pass_training_takes(digits):
    """Batch normalization makes a first layer's scale irrelevant to training, which normalizes each batch by
    its own statistics: its cost before the first step is near chance. diagnose measured it in an inference
    pass, on running statistics its own training pass had moved once, and reported 3.2 times chance."""
    X, y = digits
    model = gn.Sequential([gn.Dense(64, 64), gn.BatchNorm(64), gn.ReLU(), gn.Dense(64, 10)], rng=0)
    model.layers[0].params["W"][...] *= 10
    result = gn.diagnose(model, X, y, "cross_entropy", optimizer="adam")
    assert "initial_cost" not in [f.code for f in result.findings], str(result)


def test_multi_label_targets_are_counted_label_by_label():
    """Rows of several labels were read as one-hot (the argmax of each row): labels each on half the time
    were reported as classes of 9 and 213 samples. Each label's count of rows it is on is what compares."""
    r = np.random.default_rng(0)
    X, Y = r.normal(size=(400, 8)), (r.random((400, 5)) < 0.5).astype(float)
    model = gn.Sequential([gn.Dense(8, 16), gn.ReLU(), gn.Dense(16, 5), gn.Sigmoid()], rng=0)
    assert "class_imbalance" not in [f.code for f in gn.diagnose(model, X, Y, "binary_cross_entropy").findings]
    Y[:, 4] = r.random(400) < 0.02  # one label is rarely on
    found = gn.diagnose(model, X, Y, "binary_cross_entropy")["class_imbalance"][0]
    assert found.evidence.startswith(f"the rarest label is on in {int(Y[:, 4].sum())} samples")
    labels = np.r_[np.zeros(390, int), np.ones(10, int)]  # one class of each row, its targets smoothed
    smoothed = (np.eye(2, dtype=np.float32)[labels] * 0.9 + 0.1 / 2).astype(np.float32)
    single = gn.Sequential([gn.Dense(8, 2)], rng=0)  # (of 7 outputs, 5 classes of none: a finding of its own)
    assert gn.diagnose(single, X, smoothed, "cross_entropy")["class_imbalance"][0].evidence.startswith(
        "the rarest class has 10 samples")


def test_the_l1_penalty_is_part_of_the_cost_diagnosed(digits):
    """diagnose took l2 only, and the Diagnostics callback passed only the run's l2: a run with l1 was
    diagnosed on another cost than the one it trains."""
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    assert "initial_cost" not in [f.code for f in gn.diagnose(model, X, y, "cross_entropy").findings]
    heavy = gn.diagnose(model, X, y, "cross_entropy", l1=1.0)["initial_cost"][0]
    expected = gn.Objective(model.copy(dtype="float64"), "cross_entropy", l1=1.0)
    cost = float(re.match(r"the cost before training is (\S+),", heavy.evidence).group(1))  # of 512 rows
    assert cost == pytest.approx(expected.value(*expected.prepare(X, y)), rel=0.01)
    seen = gn.Diagnostics(X, y)
    with warnings.catch_warnings(record=True):  # the run's own findings are what is checked
        warnings.simplefilter("always")
        model.copy().fit(X, y, loss="cross_entropy", l1=1.0, epochs=1, callbacks=[seen], verbose=False)
    assert "initial_cost" in [f.code for f in seen.diagnoses[0][1].findings]


def test_a_constant_column_and_a_rare_class(digits):
    X, y = digits
    Xc = np.column_stack([X, np.full(len(X), 7.0)])
    assert codes(gn.diagnose(gn.mlp([65, 32, 10], rng=0), Xc, y, "cross_entropy")) == [("constant_feature", None)]
    rare = (np.random.default_rng(0).random(len(X)) < 0.05).astype(int)  # about 95/5
    result = gn.diagnose(gn.mlp([64, 32, 2], rng=0), X, rare, "cross_entropy")
    assert codes(result) == [("class_imbalance", None)] and result.findings[0].value < T.IMBALANCE


def test_an_exploding_learning_rate_by_the_guards_rule(digits):
    X, y = digits
    result = gn.diagnose(gn.mlp([64, 32, 10], rng=0), X, y, "cross_entropy", optimizer="sgd", lr=100.0)
    assert ("exploding_gradient", None) in codes(result) and ("step_ratio", 2) in codes(result)
    assert f"over {FACTOR:g} times" in result["exploding_gradient"][0].evidence
    assert blown_up(float("nan"), 1.0) and blown_up(10.01, 1.0) and not blown_up(9.99, 1.0)
    tiny = gn.diagnose(gn.mlp([64, 32, 10], rng=0), X, y, "cross_entropy", optimizer="sgd", lr=1e-12)
    assert [f.code for f in tiny.findings] == ["step_ratio"]
    assert tiny.findings[0].value < T.LOW_STEP and tiny.findings[0].advice == "Raise the learning rate."


def test_values_that_are_not_finite(digits):
    X, y = digits
    bad = X.copy()
    bad[3, 5] = np.nan
    assert codes(gn.diagnose(gn.mlp([64, 32, 10], rng=0), bad, y, "cross_entropy")) == [("nonfinite", None)]
    model = gn.mlp([64, 32, 10], rng=0)
    model.layers[2].params["W"][...] = np.inf  # as a step that overflowed leaves them (the setter refuses it)
    assert ("nonfinite", 2) in codes(gn.diagnose(model, X, y, "cross_entropy"))


def test_the_whole_table_is_read_for_what_the_sample_cannot_tell(digits):
    """NaN and infinity in rows outside the 512-row sample gave "no findings" where fit and lr_find refuse the
    data, and a NaN in the sample was "0.00% of the input values" in a "diagnosis on 0 samples"; a column
    constant in the sample but not in the data (standardized digits' column 8) was told to be dropped."""
    from glassnet.training.guard import spread_rows

    X, y = digits
    outside = np.setdiff1d(np.arange(len(X)), spread_rows(len(X), 512))
    bad = X.copy()
    bad[outside[0], 3], bad[outside[-1], 7] = np.nan, np.inf
    diagnosis = gn.diagnose(gn.mlp([64, 32, 10], rng=0), bad, y, "cross_entropy")
    assert codes(diagnosis) == [("nonfinite", None)] and diagnosis.samples == len(X)
    assert diagnosis.findings[0].evidence == f"2 of the {X.size:,} input values (0.0017 %) are NaN or infinite"
    import fake_namespace  # a device's array (the tests' stand-in for CuPy, which refuses NumPy's conversions)

    on_device = fake_namespace.xp.asarray(bad.astype(np.float32))
    assert codes(gn.diagnose(gn.mlp([64, 32, 10], rng=0), on_device, y, "cross_entropy")) == [("nonfinite", None)]
    rare = X.copy()
    rare[:, 20] = 1.0
    rare[outside[:5], 20] = 2.0  # varies, but only in rows the sample leaves out
    assert ("constant_feature", None) not in codes(gn.diagnose(gn.mlp([64, 32, 10], rng=0), rare, y,
                                                               "cross_entropy"))
    rare[outside[:5], 20] = 1.0  # constant everywhere: still found
    assert ("constant_feature", None) in codes(gn.diagnose(gn.mlp([64, 32, 10], rng=0), rare, y, "cross_entropy"))


def test_unscaled_targets_start_far_above_chance():
    r = np.random.default_rng(0)
    X = r.normal(size=(300, 5))
    y = X @ r.normal(size=5) * 100 + 500
    result = gn.diagnose(gn.mlp([5, 16, 1], rng=0), X, y, "mse")
    assert codes(result) == [("initial_cost", None)] and "Standardize the target" in result.findings[0].advice


def test_the_report_reads_in_80_columns_and_as_html(digits):
    X, y = digits
    result = gn.diagnose(gn.mlp([64, 32, 10], rng=0), X * 2000, y, "cross_entropy", optimizer="adam")
    text = str(result)
    assert all(len(line) <= 80 for line in text.splitlines()) and text.startswith("diagnosis on 512 samples")
    page = result._repr_html_()
    assert page.count("<tr") == 1 + len(result.findings) == 3 and "unscaled_input" in page
    assert repr(result).startswith("Diagnosis([")
    clean = gn.diagnose(gn.mlp([64, 32, 10], rng=0), X, y, "cross_entropy")
    assert "no findings" in str(clean) and all(len(line) <= 80 for line in str(clean).splitlines())


def test_diagnose_changes_nothing(digits):
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    optimizer = gn.Adam(0.01).bind(model)
    before = model.params.copy()
    gn.diagnose(model, X, y, "cross_entropy", optimizer=optimizer)
    assert np.array_equal(model.params, before) and optimizer.t == 0


def test_the_callback_warns_once_per_finding(digits):
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    model.layers[0].b = np.full(32, -100.0)  # dead from the start, and no gradient revives them
    callback = gn.Diagnostics(X[:200], y[:200])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, callbacks=[callback], verbose=False)
    said = [w for w in caught if issubclass(w.category, gn.DiagnosisWarning)]
    assert len(said) == 1 and "dead_relu (layer 1)" in str(said[0].message) and len(callback.diagnoses) == 3


def test_lr_find_suggests_a_rate_that_trains_as_well_as_the_hand_tuned_one_and_changes_nothing():
    train, test = train_test_split(load_digits(), 0.2, rng=0)
    model = gn.mlp([64, 256, 128, 10], rng=0)
    optimizer = gn.Adam(0.002).bind(model)
    before = model.params.copy()
    found = gn.lr_find(model, train.X, train.y, "cross_entropy", optimizer)
    assert np.array_equal(model.params, before) and optimizer.t == 0 and optimizer.lr == 0.002
    lowest = int(np.argmin(found.costs))
    assert found.rates[0] < found.suggestion <= found.rates[lowest]  # on the way down to the lowest cost
    assert found.costs[lowest] < found.costs[0] / 2  # and the sweep did find a fall
    accuracy = {}
    for lr in (0.002, found.suggestion):  # 0.002: the command line's tuned rate for this network
        right = []
        for seed in (1, 2, 3):  # one start alone is luck: 360 test images, and a few rounding steps apart
            m = gn.mlp([64, 256, 128, 10], rng=seed)  # (OpenBLAS's kernel for the CPU) moved it 4 % on seed 1
            m.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=lr, epochs=20, batch_size=32,
                  verbose=False)
            right.append(np.mean(m.predict_classes(test.X) == test.y))
        accuracy[lr] = np.mean(right)
    assert accuracy[found.suggestion] >= accuracy[0.002] - 0.01, (found.suggestion, accuracy)


def test_lr_find_counts_a_blow_up_at_its_first_step(digits):
    """The costs were compared only with those after a step: a sweep from Adam at 5, whose first step sent the
    cost from 2.55 to 1.9e6, said the cost never blew up and suggested 7.07 (10 % right); SGD from 50 blamed its
    second rate."""
    X, y = digits
    for optimizer, start in (("adam", 5.0), ("sgd", 50.0)):
        with pytest.raises(gn.OptionError, match=rf"blew up after the step at rate {start:g} \(step 1 of 5\)"):
            gn.lr_find(gn.mlp([64, 256, 128, 10], rng=0), X, y, "cross_entropy", optimizer, start=start,
                       stop=20 * start, steps=5)


def test_lr_find_on_a_trained_network_says_its_suggestion_means_little():
    """On a trained model the cost hardly falls: the sweep suggested one of its first rates (1e-6 from the command
    line's model file) as if it were found."""
    train, _ = train_test_split(load_digits(), 0.2, rng=0)
    model = gn.mlp([64, 32, 10], rng=0)
    fresh = gn.lr_find(model, train.X, train.y, "cross_entropy", "adam")
    assert not fresh.trained and "far below chance" not in str(fresh)
    high = gn.lr_find(gn.mlp([64, 32, 10], rng=1), train.X, train.y, "cross_entropy", "sgd", start=0.1, stop=1e4)
    assert not high.trained  # a fresh network swept from a high rate, whose steepest fall is its first step
    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.005, epochs=30, verbose=False)
    trained = gn.lr_find(model, train.X, train.y, "cross_entropy", "adam")
    assert trained.trained
    assert "far below chance" in str(trained) and "sweep a fresh network" in str(trained)


@needs_mnist
def test_lr_find_on_mnist(mnist):
    train, test = mnist
    X, y = train.X[:12000], train.y[:12000]
    found = gn.lr_find(gn.mlp([784, 128, 10], rng=0), X, y, "cross_entropy", "adam")
    accuracy = {}
    for lr in (0.001, found.suggestion):  # Adam's default
        m = gn.mlp([784, 128, 10], rng=0)
        m.fit(X, y, loss="cross_entropy", optimizer="adam", lr=lr, epochs=2, batch_size=64, verbose=False)
        accuracy[lr] = np.mean(m.predict_classes(test.X[:5000]) == test.y[:5000])
    assert accuracy[found.suggestion] >= accuracy[0.001] - 0.01, (found.suggestion, accuracy)


def test_the_command_line_diagnoses_and_finds_a_rate(tmp_path, capsys):
    assert cli.main(["diagnose"]) == 0 and "no findings" in capsys.readouterr().out
    assert cli.main(["diagnose", "--optimizer", "sgd", "--lr", "100"]) == 1
    assert "exploding_gradient (data/run)" in capsys.readouterr().out
    assert cli.main(["diagnose", "--lr", "100"]) == 2
    assert "--lr sets the trial step's rate: give --optimizer too" in capsys.readouterr().err
    assert cli.main(["lr-find", "--steps", "40", "--plot", str(tmp_path / "lr.png")]) == 0
    assert "suggested learning rate" in capsys.readouterr().out
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"
    # a batch larger than the data is the whole data, as scikit-learn clips it (10**9 rows asked for gigabytes
    # of row indices); and a set smaller than the default batch of 64 is swept
    assert cli.main(["lr-find", "--batch-size", str(10**9), "--steps", "10"]) == 0
    assert "suggested learning rate" in capsys.readouterr().out
    xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0])
    assert len(gn.lr_find(gn.mlp([2, 4, 2], rng=0), *xor, "cross_entropy", steps=10).rates) == 10
    assert cli.main(["train", "--diagnose", "--epochs", "2", "--quiet", "--out", str(tmp_path / "out")]) == 0
    assert "diagnosis on 512 samples: no findings" in capsys.readouterr().out


def test_unit_states_mark_each_neuron_as_the_playground_shows_it(digits):
    from glassnet.playground.session import NEURON_FINDINGS, Session
    from glassnet.playground.spec import Spec
    from glassnet.tools.checks import unit_states

    X, _ = digits
    model = gn.mlp([64, 4, 3, 10], activation="sigmoid", rng=0)
    model.layers[0].W = model.layers[0].W * 50
    states = unit_states(model, X)
    assert len(states) == 2 and len(states[0]) == 4 and "saturated" in states[0]
    assert set(states[1]) <= {"", "saturated"}
    relu = gn.mlp([64, 4, 10], rng=0)
    relu.layers[0].b = np.array([-100.0, 0.0, -100.0, 0.0])
    assert unit_states(relu, X) == [["dead", "", "dead", ""]]
    session = Session(Spec.from_query("layers=8,8&activations=relu,relu&optimizer=sgd&lr=1"))
    session.train(60)
    health = session.frame(8)["health"]
    assert [len(layer) for layer in health] == [8, 8] and "dead" in health[0] + health[1]
    layer = 0 if "dead" in health[0] else 1
    j = health[layer].index("dead")
    assert session.neuron(layer, j)["finding"] == NEURON_FINDINGS["dead"]
    alive = health[layer].index("")
    assert session.neuron(layer, alive)["finding"] == ""


def test_the_callback_trial_step_is_the_runs_own(digits):
    from types import SimpleNamespace

    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    callback = gn.Diagnostics(X[:200], y[:200])
    optimizer = gn.SGD(lr=0.1)
    model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, callbacks=[callback], verbose=False)
    assert callback.diagnoses[0][1].findings == [] and "one trial step" in callback.diagnoses[0][1].checked
    optimizer.lr = 100.0  # the same run, its schedule now stepping far too far
    run = SimpleNamespace(model=model, objective=gn.Objective(model, "cross_entropy"), optimizer=optimizer)
    before = model.params.copy()
    with pytest.warns(gn.DiagnosisWarning, match="one step of sgd at lr=100"):
        callback.on_epoch_end(run, 1, {})
    assert np.array_equal(model.params, before) and optimizer.lr == 100.0


def test_a_model_on_a_device_is_diagnosed_and_drawn_on_the_host(digits, monkeypatch):
    import fake_namespace

    monkeypatch.setattr(gn.arrays, "gpu_library", lambda: fake_namespace.xp)
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    model.layers[0].b = np.full(32, -100.0)
    model.to("gpu")
    result = gn.diagnose(model, X, y, "cross_entropy", optimizer="adam")
    assert codes(result) == [("dead_relu", 1)] and model.device == "gpu"
    graph = gn.draw_graph(model, X[:3], y[:3], "cross_entropy")
    assert isinstance(graph["Z2"].value, np.ndarray) and graph["C"].value > 0
    healthy = gn.mlp([64, 32, 10], rng=0).to("gpu")  # the callback's trial step from a GPU run's Adam state
    callback = gn.Diagnostics(X[:200], y[:200])
    healthy.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=1, callbacks=[callback], verbose=False)
    assert callback.diagnoses[0][1].findings == [] and "one trial step" in callback.diagnoses[0][1].checked


def test_batch_norm_is_read_as_a_training_step_reads_it(digits):
    # a fresh BatchNorm's running statistics (0 and 1) barely normalize: in inference mode the large
    # products below would saturate the sigmoid, while a training step normalizes them by the batch
    X, y = digits
    model = gn.Sequential([gn.Dense(32), gn.BatchNorm(32), gn.Sigmoid(), gn.Dense(10)], input_shape=(64,), rng=0)
    model.layers[0].W = model.layers[0].W * 20
    assert "saturated" not in gn.diagnose(model, X, y, "cross_entropy").codes


def test_more_samples_than_the_guard_reads_compare_like_with_like():
    # the cost after the trial step is measured on the guard's rows, as the cost before it: with a summed
    # cost, 6,000 rows against the guard's 512 would look like a twelve-fold blow-up of a tiny step
    r = np.random.default_rng(0)
    X = r.normal(size=(6000, 5))
    y = X @ r.normal(size=5)
    result = gn.diagnose(gn.mlp([5, 16, 1], rng=0), X, y, gn.SquaredError("sum"), optimizer="sgd", lr=1e-9,
                         samples=6000)
    assert "exploding_gradient" not in result.codes and result.samples == 6000


def test_bad_arguments_are_named():
    X, y = np.zeros((10, 3)), np.zeros(10)
    model = gn.mlp([3, 2, 1], rng=0)
    for bad in (0, -1, 2.5):
        with pytest.raises(gn.OptionError, match="samples"):
            gn.diagnose(model, X, y, samples=bad)
    with pytest.raises(gn.OptionError, match="lr applies when optimizer is given by name; received optimizer=None"):
        gn.diagnose(model, X, y, lr=0.1)
    with pytest.raises(gn.OptionError, match="every"):
        gn.Diagnostics(X, y, every=0)
    with pytest.raises(gn.OptionError, match="steps must be at least 3; received 2|steps must be at least 3"):
        gn.lr_find(model, X, y, steps=2)
    with pytest.raises(gn.OptionError, match="stop must be larger than start"):
        gn.lr_find(model, X, y, start=1.0, stop=0.5)
    # y of another length: a raw IndexError when shorter, and misaligned labels read as fine when longer
    for other in (np.zeros(5), np.zeros(20)):
        with pytest.raises(gn.OptionError, match=r"X and y must hold one row per sample alike; received X of shape "
                                                 r"\(10, 3\) and y of shape \(\d+,\)"):
            gn.diagnose(model, X, other)


def test_the_tools_on_a_model_file_that_names_no_dataset_ask_for_one(tmp_path, capsys):
    """A model saved from Python records no dataset: gradcheck, diagnose and lr-find took the 8x8 digits and
    called them "its training data" (or, for a 2-input model, failed on 64 features); evaluate asks, as they
    now do."""
    path = tmp_path / "xor.glassnet"
    gn.save(path, gn.mlp([2, 4, 2], rng=0))
    for command in ("gradcheck", "diagnose", "lr-find", "evaluate"):
        assert cli.main([command, str(path)]) == 2
        assert "does not say which dataset it was trained on: give --dataset" in capsys.readouterr().err
    assert cli.main(["gradcheck", str(path), "--dataset", "digits"]) == 2  # and the one given is checked
    assert "2 input features" in capsys.readouterr().err


def test_lr_find_looks_for_the_fall_after_its_average_has_settled():
    """Half the seeds of a 5-16-2 net on two blobs got the sweep's first rate, 1e-6, for SGD and Adam alike: the
    bias-corrected average of the first costs 'fell' most at the first step when the first batch was dear."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(300, 5)), (r.normal(size=(300, 5))[:, 0] > 0).astype(int)
    X[:, 0] += 2 * y  # the class shifts the first column
    for optimizer in ("sgd", "adam"):
        for seed in range(8):
            found = gn.lr_find(gn.mlp([5, 16, 2], rng=seed), X, y, "cross_entropy", optimizer, rng=seed)
            assert found.suggestion >= found.rates[10], (optimizer, seed, found.suggestion)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_weights_that_are_not_finite_are_named_by_every_tool(bad):
    """NaN in the weights was blamed on regularization that was not in use (lr_find, fit, diagnose), on
    backpropagation (gradcheck: "relative error nan"), or passed a gradient check (infinity)."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 4)), r.integers(0, 3, 40)
    model = gn.mlp([4, 16, 3], rng=0)
    model.layers[2].W[5, 1] = bad
    said = r"layers\[2\] Dense\.W holds 1 value that is NaN or infinite before"
    for tool in (lambda: gn.lr_find(model, X, y, "cross_entropy"), lambda: gn.gradcheck(model, "cross_entropy", X, y),
                 lambda: model.copy().fit(X, y, loss="cross_entropy", epochs=1)):
        with pytest.raises(gn.NonFiniteError, match=said):
            tool()
    diagnosis = gn.diagnose(model, X, y, "cross_entropy")
    assert [f.code for f in diagnosis.findings] == ["nonfinite"]
    assert re.match(said, diagnosis.findings[0].evidence) and "regularization" not in str(diagnosis)


def test_an_optimizer_that_is_not_one_is_named_and_huge_data_warns_nothing():
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 4)), r.integers(0, 3, 40)
    for tool in (lambda: gn.lr_find(gn.mlp([4, 8, 3], rng=0), X, y, "cross_entropy", 3),
                 lambda: gn.diagnose(gn.mlp([4, 8, 3], rng=0), X, y, "cross_entropy", optimizer=3)):
        with pytest.raises(gn.OptionError, match="optimizer must be an Optimizer or one of 'sgd'.*; received 3"):
            tool()  # an AttributeError on 'bind' or 'state'
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "overflow encountered in square", "in dot"
        diagnosis = gn.diagnose(gn.mlp([4, 8, 3], rng=0), X * 1e200, y, "cross_entropy")
    assert "unscaled_input" in [f.code for f in diagnosis.findings]


def test_a_class_the_data_never_shows_is_found_and_a_handful_of_samples_finds_nothing_false():
    """np.zeros(100) for a 3-class network: "no findings" (the missing classes' zero counts were dropped);
    `glassnet diagnose --samples 1` on the healthy default network: "dead_relu: 55% of its units output 0 for
    every sample", exit 1 (and 2 samples made constant columns)."""
    r = np.random.default_rng(0)
    X = r.normal(size=(100, 4))
    found = gn.diagnose(gn.mlp([4, 8, 3], rng=0), X, np.zeros(100, int), "cross_entropy")
    assert [f.code for f in found.findings] == ["class_imbalance"]
    assert found.findings[0].evidence.startswith("the rarest class has 0 samples (class 1), the most frequent 100")
    labels = r.integers(0, 2, 100)  # a 10-class network shown classes 0 and 1 only, as labels
    assert gn.diagnose(gn.mlp([4, 8, 10], rng=0), X, labels, "cross_entropy").findings[0].evidence.startswith(
        "the rarest class has 0 samples (class 2)")
    soft = gn.Sequential(gn.Dense(4, 8), gn.ReLU(), gn.Dense(8, 1), gn.Sigmoid(), rng=0)  # probabilities as targets
    assert not gn.diagnose(soft, X, r.uniform(0.2, 0.8, 100), "binary_cross_entropy").findings
    train = load_digits()
    for n in (1, 2, 4):
        quiet = gn.diagnose(gn.mlp([64, 256, 128, 10], rng=0), train.X, train.y, "cross_entropy", samples=n)
        assert not {f.code for f in quiet.findings} & {"dead_relu", "constant_feature", "class_imbalance"}, quiet
        assert str(quiet).startswith(f"diagnosis on {n} sample{'s' * (n > 1)}: ")  # not "on 1 samples"


def test_lr_find_measures_each_rate_by_the_cost_after_its_step():
    """The cost read before each step stood for the rate before it: with 3 steps the sweep suggested its stop,
    10, whose step it never measured ("the cost never blew up"); with 100 it suggested a rate 1.18 times high."""
    train = load_digits()
    model = gn.mlp([64, 256, 128, 10], rng=0)
    with pytest.raises(gn.OptionError, match=r"the cost blew up after the step at rate 10 \(step 3 of 3\), before a "
                                             r"fall could be seen"):
        gn.lr_find(model, train.X, train.y, "cross_entropy", "adam", steps=3)
    found = gn.lr_find(model, train.X, train.y, "cross_entropy", "adam", steps=5)
    assert found.suggestion < 10 and len(found.rates) == len(found.costs) <= 5
