"""The fit loop: the tutorials' training runs, the three forms of gradient descent,
validation, callbacks, divergence, and the quasi-Newton solvers."""

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from helpers import Ranks, mechanics_only, three_four_one, traced_peak

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0], dtype=float)


def test_three_four_one_network_after_1000_iterations():
    """Tutorial 05: 1,000 full-batch steps at learning rate 1 from its seeded weights."""
    model, X, w1, w2 = three_four_one()
    history = model.fit(X, [0, 1, 1, 0], loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=1.0),
                        epochs=1000, batch_size=None, shuffle=False)
    np.testing.assert_array_equal(np.round(model.predict(X).ravel(), 3), [0.028, 0.925, 0.925, 0.090])
    assert round(float(model.predict([[1, 0, 1]])[0, 0]), 3) == 0.925
    assert history.n_epochs == 1000 and history.n_grad_evals == 1000

    # the same 1,000 steps written out by hand, as the tutorial does
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for _ in range(1000):
        a1 = sig(X @ w1)
        a2 = sig(a1 @ w2)
        d2 = (a2 - np.array([[0, 1, 1, 0]]).T) * a2 * (1 - a2)
        d1 = (d2 @ w2.T) * a1 * (1 - a1)
        w2, w1 = w2 - a1.T @ d2, w1 - X.T @ d1
    np.testing.assert_allclose(model.get_weights()[0], w1, rtol=1e-10)
    np.testing.assert_allclose(model.get_weights()[1], w2, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_with_three_hidden_sigmoid_units(seed):
    """Tutorial 04: cost about 0.0009 after 5,000 epochs, 100% accuracy."""
    model = gn.mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=seed, dtype="float64")
    history = model.fit(XOR_X, XOR_Y, loss="mse", optimizer=gn.SGD(lr=1.0), epochs=5000,
                        batch_size=None)
    assert 0.0004 < history.loss[-1] < 0.0015
    assert np.all(np.diff(history.loss) <= 1e-12)  # full-batch descent at this rate never rises
    np.testing.assert_array_equal(model.predict_classes(XOR_X), XOR_Y)


@mechanics_only  # counts the steps of two epochs on noise
@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(None, 1), (4, 3), (1, 10), (64, 1)])
def test_batch_minibatch_and_stochastic_step_counts(batch_size, steps_per_epoch):
    r = np.random.default_rng(0)
    X, y = r.normal(size=(10, 3)), r.normal(size=10)
    model = gn.mlp([3, 2, 1], rng=0)
    seen = []
    cb = gn.LambdaCallback(on_batch_end=lambda batch, cost: seen.append(batch))
    history = model.fit(X, y, epochs=2, batch_size=batch_size, optimizer="sgd", callbacks=[cb])
    assert history.n_grad_evals == 2 * steps_per_epoch
    assert seen == list(range(steps_per_epoch)) * 2


def test_mini_batch_equals_hand_written_loop():
    """Mini-batches drawn from model.rng, step by step, as a user would write them."""
    r = np.random.default_rng(1)
    X, y = r.normal(size=(13, 3)), r.normal(size=(13, 2))
    a = gn.mlp([3, 4, 2], activation="tanh", rng=7, dtype="float64")
    b = a.copy()
    b.rng = np.random.default_rng(7)
    a.rng = np.random.default_rng(7)
    a.fit(X, y, epochs=3, batch_size=5, optimizer=gn.SGD(lr=0.1))
    objective = gn.Objective(b, "mse")
    for _ in range(3):
        order = b.rng.permutation(13)
        for s in range(0, 13, 5):
            idx = order[s:s + 5]
            objective(X[idx], y[idx])
            b.params -= 0.1 * b.grads
    # equal up to rounding: the optimizer's BLAS update may fuse the multiply and the add
    np.testing.assert_allclose(a.params, b.params, rtol=1e-13, atol=0)


@mechanics_only  # three epochs on random labels, replayed
def test_same_seed_same_training_bit_for_bit():
    r = np.random.default_rng(2)
    X, y = r.normal(size=(40, 5)), r.integers(0, 3, 40)
    runs = []
    for _ in range(2):
        m = gn.mlp([5, 8, 3], dropout=0.2, rng=11)
        m.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=8)
        runs.append(m.params.copy())
    np.testing.assert_array_equal(*runs)


def test_history_validation_and_metrics():
    r = np.random.default_rng(3)
    X = r.normal(size=(120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    model = gn.mlp([4, 16, 3], rng=0)
    history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=30,
                        batch_size=16, validation_split=0.25)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(history[key]) == 30
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.8
    scores = model.evaluate(X, y, loss="cross_entropy")
    assert set(scores) == {"loss", "accuracy"} and scores["accuracy"] > 0.8


def test_validation_split_is_stratified():
    from glassnet.training.data import split_indices

    labels = np.array([0] * 80 + [1] * 20)
    train, val = split_indices(100, 0.25, np.random.default_rng(0), labels)
    assert np.bincount(labels[val]).tolist() == [20, 5]
    assert np.intersect1d(train, val).size == 0 and train.size + val.size == 100
    # many small classes: the share of the whole, where each class rounded on its own held out a third at 0.2
    # (20 classes of 3 rows) and nothing at 0.1 (10 classes of 4), which was refused as an empty split
    for classes, rows, fraction in ((20, 3, 0.2), (10, 4, 0.1)):
        labels = np.repeat(np.arange(classes), rows)
        _, val = split_indices(labels.size, fraction, np.random.default_rng(0), labels)
        assert val.size == round(fraction * labels.size) and np.bincount(labels[val]).max() == 1
    # a share under one row holds out one, with labels as without: with them it was refused as empty
    for labels in (None, np.arange(40) % 2):
        train, val = split_indices(40, 0.01, np.random.default_rng(0), labels)
        assert val.size == 1 and train.size == 39


def test_one_output_scored_against_labels_in_a_row_counts_row_by_row():
    """Outputs (n, 1) against labels (n,) compared every row with every other: 8 right of 4, accuracy 200 %."""
    from glassnet.training.data import accuracy, correct

    out, y = np.array([[2.0], [-1.0], [3.0], [-2.0]]), np.array([1, 0, 0, 0])
    assert correct(out, y, True) == correct(out, y[:, None], True) == 3
    assert accuracy(out, y, True) == 0.75 and accuracy(1 / (1 + np.exp(-out)), y, False) == 0.75


@mechanics_only  # reads the rates of six epochs on noise
def test_validation_data_and_schedule_in_history():
    r = np.random.default_rng(4)
    X, y = r.normal(size=(30, 2)), r.normal(size=30)
    model = gn.mlp([2, 4, 1], rng=0)
    history = model.fit(X, y, epochs=6, optimizer=gn.SGD(lr=0.1, schedule=gn.optim.StepDecay(2, 0.5)),
                        validation_data=(X[:10], y[:10]))
    assert history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert len(history["val_loss"]) == 6


def test_early_stopping_restores_best_weights():
    r = np.random.default_rng(5)
    X, y = r.normal(size=(30, 3)), r.normal(size=30)
    Xv, yv = r.normal(size=(30, 3)), r.normal(size=30)  # unrelated: validation loss soon rises
    model = gn.mlp([3, 32, 1], rng=0, dtype="float64")
    stopper = gn.EarlyStopping(patience=3)
    best = {}

    def remember(epoch, logs):
        best[epoch] = (logs["val_loss"], model.params.copy())

    history = model.fit(X, y, epochs=500, batch_size=None, optimizer=gn.SGD(lr=0.1),  # 0.3 diverges
                        validation_data=(Xv, yv),
                        callbacks=[gn.LambdaCallback(on_epoch_end=remember), stopper])
    assert history.stopped_early and history.n_epochs < 500
    assert "early stopping" in history.message
    epoch = min(best, key=lambda e: best[e][0])
    assert history.n_epochs == epoch + 1 + 3  # three epochs after the best, none more: patience=3 allows three
    assert stopper.best_epoch == epoch
    np.testing.assert_array_equal(model.params, best[epoch][1])
    assert model.evaluate(Xv, yv)["loss"] == pytest.approx(best[epoch][0])


def test_divergence_stops_with_message_and_keeps_the_last_weights_under_the_limit():
    """A step just past the stability limit makes the weights grow geometrically: the guard stops the run
    at the first cost over ten times the cost before training, replayed here in plain NumPy. One batch an
    epoch: that cost is of the weights the epoch before ended with, so the run goes back one epoch further,
    to weights whose cost was under the limit."""
    r = np.random.default_rng(6)
    X = r.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    model = gn.Sequential([gn.Dense(3, 1, rng=0, dtype="float64")])
    W, b = model.layers[0].W[:, 0].copy(), 0.0
    costs = []  # full-batch gradient descent on 1/2 mean squared error, by hand
    for _ in range(20):
        e = X @ W + b - y
        costs.append(0.5 * np.mean(e**2))
        W, b = W - 2.5 * X.T @ e / 50, b - 2.5 * e.mean()
    stop = next(k for k, c in enumerate(costs) if c > 10 * costs[0])  # costs[k]: the weights after k epochs
    assert stop >= 2
    kept = []
    cb = gn.LambdaCallback(on_epoch_end=lambda e, logs: kept.append(model.params.copy()))
    with pytest.warns(gn.DivergenceWarning, match=r"training diverged at epoch \d+.*smaller learning rate") as seen:
        history = model.fit(X, y, epochs=1000, optimizer=gn.SGD(lr=2.5), batch_size=None, callbacks=[cb])
    assert [w.filename for w in seen] == [__file__]  # the warning points at the caller's line
    assert history.diverged and history.n_epochs == stop - 1
    assert (f"training diverged at epoch {stop + 1}, batch 1 (the last step of epoch {stop} sent the cost there): "
            f"the cost grew to {costs[stop]:.4g}") in history.message
    assert f"over 10 times its level before training ({costs[0]:.4g})" in history.message
    assert f"The weights of epoch {stop - 1} were kept" in history.message
    assert "lr=0.25 (a tenth of the 2.5 used)" in history.message
    np.testing.assert_array_equal(model.params, kept[stop - 2])
    np.testing.assert_allclose(0.5 * np.mean((model.predict(X)[:, 0] - y) ** 2), costs[stop - 1], rtol=1e-12)
    assert costs[stop - 1] <= 10 * costs[0]
    np.testing.assert_allclose(history.loss, costs[:stop - 1], rtol=1e-12)


def test_a_last_step_that_blows_up_is_not_kept_even_as_the_best_epoch():
    """Full batch, a learning rate of 1e10: the first step sends the cost up, which only the next epoch's cost
    shows. The model goes back to its weights from before training, though keep_best had taken epoch 1
    (its logged loss is that of the weights before its step)."""
    r = np.random.default_rng(0)
    X = r.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    model = gn.mlp([3, 4, 2], rng=0)
    start = model.params.copy()
    with pytest.warns(gn.DivergenceWarning, match="The weights from before training were kept") as seen:
        history = gn.fit(model, X, y, loss="cross_entropy", optimizer=gn.SGD(lr=1e10), epochs=5, batch_size=None,
                         keep_best=True)
    assert [w.filename for w in seen] == [__file__]  # through glassnet.fit, one frame fewer than model.fit
    assert history.diverged and history.n_epochs == 0 and history.best_epoch is None
    np.testing.assert_array_equal(model.params, start)


class Sabotage(gn.Callback):
    """Multiplies the weights by 1e4 after the last step of epoch ``at`` (counted from 0): a step that blew up."""

    def __init__(self, at):
        self.at, self.ends = at, []

    def on_batch_end(self, run, batch, cost):
        if run.history.n_epochs == self.at and batch == run.steps_per_epoch - 1:
            run.model.params[...] *= 1e4

    def on_epoch_end(self, run, epoch, logs):
        self.ends.append(run.model.params.copy())


@pytest.mark.parametrize("at, epochs", [(1, 4), (2, 3)])
def test_an_epoch_whose_last_step_blew_up_is_undone_in_the_middle_or_at_the_end_of_a_run(at, epochs):
    """Mini-batches: the next epoch's first batch (or, after the last epoch, the check of the final weights)
    sees the cost the last step left, and the run ends with the weights of the epoch before."""
    r = np.random.default_rng(1)
    X = r.normal(size=(64, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = gn.mlp([4, 8, 2], rng=0)
    sabotage = Sabotage(at)
    with pytest.warns(gn.DivergenceWarning, match=f"the last step of epoch {at + 1} sent the cost there|"
                                                  f"the end of epoch {at + 1}") as seen:
        history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=epochs, batch_size=16,
                            callbacks=[sabotage])
    assert [w.filename for w in seen] == [__file__]
    assert history.diverged and history.n_epochs == at
    assert f"The weights of epoch {at} were kept" in history.message
    np.testing.assert_array_equal(model.params, sabotage.ends[at - 1])


def test_an_undone_epoch_that_was_the_best_gives_the_title_back_to_the_best_before_it():
    """roll_back past the best epoch: the best before it is kept again (it was forgotten, and the run ended
    with no best at all, even one read from a checkpoint)."""
    from glassnet.training.history import History
    from glassnet.training.run import Run

    model = gn.mlp([2, 3, 1], rng=0, dtype="float64")
    run = Run(model, gn.Objective(model, "mse"), None, History(), 5, 0, False, {}, keep_best="loss")
    weights = []
    for epoch, loss in enumerate([1.0, 2.0, 0.5]):  # epoch 0 is the best until epoch 2
        model.params[...] = epoch + 1.0
        weights.append(model.params.copy())
        run.record(epoch, {"loss": loss, "lr": 0.1})
    assert run.best_epoch == 2
    run.roll_back(before_last=True)  # epoch 2's last step blew up: back to the end of epoch 1
    assert run.next_epoch == 2 and run.best_epoch == 0 and run.best_value == 1.0
    np.testing.assert_array_equal(model.params, weights[1])
    run.restore_best()
    np.testing.assert_array_equal(model.params, weights[0])
    assert run.history.best_epoch == 0


def test_a_cost_that_overflows_within_an_epoch_names_the_batch_and_the_last_finite_cost():
    r = np.random.default_rng(6)
    X, y = r.normal(size=(50, 3)), r.normal(size=50)
    model = gn.Sequential([gn.Dense(3, 1, rng=0)])
    with pytest.warns(gn.DivergenceWarning) as caught:
        model.fit(X, y, epochs=50, optimizer=gn.SGD(lr=1e30), batch_size=10)
    message = str(caught[0].message)
    assert re.search(r"training diverged at epoch 1, batch \d+: the cost became (inf|nan) \(the last finite cost "
                     r"was [\d.e+]+\)", message), message


def test_divergence_in_the_first_epoch_keeps_the_initial_weights():
    r = np.random.default_rng(6)
    X, y = r.normal(size=(50, 3)) * 10, r.normal(size=50) * 100
    model = gn.mlp([3, 8, 1], rng=0)
    initial = model.params.copy()
    with pytest.warns(gn.DivergenceWarning, match="The weights from before training were kept"):
        history = model.fit(X, y, epochs=5, optimizer=gn.SGD(lr=10.0), batch_size=10)
    assert history.n_epochs == 0
    np.testing.assert_array_equal(model.params, initial)


def test_progress_bar_only_when_asked_or_interactive(capsys):
    X, y = np.zeros((4, 2)), np.zeros(4)
    gn.mlp([2, 1], rng=0).fit(X, y, epochs=3)  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""
    gn.mlp([2, 1], rng=0).fit(X, y, epochs=3, verbose=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss" in err
    gn.mlp([2, 1], rng=0).fit(X, y, epochs=3, verbose=False)
    assert capsys.readouterr().err == ""


def score_data():
    """Tutorial 02's test-score regression: hours of (sleep, study) -> score, scaled to [0, 1]."""
    X = np.array([[3, 5], [5, 1], [10, 2]], dtype=float)
    y = np.array([75, 82, 93], dtype=float)
    return X / X.max(axis=0), y / 100


@pytest.mark.parametrize("solver", ["bfgs", "lbfgs"])
def test_quasi_newton_beats_gradient_descent_on_test_scores(solver):
    X, y = score_data()

    def network():  # 2-3-1 sigmoid, no biases, as in the tutorial
        return gn.Sequential([gn.Dense(2, 3, bias=False, init="xavier_normal", rng=3, dtype="float64"),
                              gn.Sigmoid(),
                              gn.Dense(3, 1, bias=False, init="xavier_normal", rng=4, dtype="float64"),
                              gn.Sigmoid()])

    loss = gn.SquaredError("sum")  # J = 1/2 sum (y - yhat)^2
    qn = network()
    report = gn.gradcheck(qn, loss, X, y)
    assert report.passed, str(report)
    history = qn.fit(X, y, loss=loss, optimizer=solver, epochs=200)
    gd = network()
    gd_history = gd.fit(X, y, loss=loss, optimizer=gn.SGD(lr=1.0), epochs=1000, batch_size=None)
    assert history.loss[-1] < gd_history.loss[-1] / 10
    assert history.n_epochs <= 200 and history.n_grad_evals >= history.n_epochs
    assert history.message.startswith("BFGS" if solver == "bfgs" else "L-BFGS-B")
    assert gd.evaluate(X, y, loss=loss)["loss"] == pytest.approx(gd_history.loss[-1], rel=0.05)


def test_quasi_newton_records_validation_and_honours_early_stopping():
    r = np.random.default_rng(8)
    X, y = r.normal(size=(40, 3)), r.integers(0, 2, 40)
    model = gn.mlp([3, 6, 1], output="sigmoid", rng=0, dtype="float64")
    history = model.fit(X, y, loss="bce", optimizer="lbfgs", epochs=300,
                        validation_data=(X[:10], y[:10]),
                        callbacks=[gn.EarlyStopping(patience=2, monitor="loss", min_delta=1.0)])
    assert history.stopped_early and history.n_epochs == 3  # the first epoch is the best, two more wait
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)


def test_bfgs_is_refused_before_training_where_its_matrices_cannot_fit(monkeypatch):
    """SciPy's BFGS makes n_params x n_params float64 matrices: a network too big for them is refused by name
    before any step, and L-BFGS, which keeps vectors, still trains it."""
    import glassnet.core._check_arrays as arrays

    model = gn.mlp([20, 10, 3], rng=0, dtype="float64")  # 243 parameters: 7 matrices of 243 x 243 are 3.2 MiB
    monkeypatch.setattr(arrays, "available_memory", lambda: 2**20)
    X, y = np.random.default_rng(0).normal(size=(30, 20)), np.arange(30) % 3
    before = model.params.copy()
    with pytest.raises(gn.errors.OptionError, match=r"optimizer='bfgs' on 243 parameters \(its 243 x 243 matrices; "
                                                    r"use optimizer='lbfgs'.*would need 3.2 MiB of memory, but this "
                                                    r"machine has 1.0 MiB free"):
        model.fit(X, y, loss="cross_entropy", optimizer="bfgs", epochs=3)
    np.testing.assert_array_equal(model.params, before)
    assert model.fit(X, y, loss="cross_entropy", optimizer="lbfgs", epochs=3).n_epochs == 3



@mechanics_only  # an epoch on random labels: what is refused, not what is learned
def test_a_batch_whose_activations_cannot_fit_is_refused_before_training(monkeypatch):
    """A whole-set batch of a large set (optimizer='lbfgs', batch_size=None) asked NumPy for gigabytes mid-fit
    (a MemoryError); the batch's outputs and gradients are now measured against the free memory first."""
    import glassnet.core._check_arrays as arrays

    model = gn.mlp([20, 64, 3], rng=0)  # 67 float32 outputs and their gradients per row, and the layers' scratch
    X, y = np.random.default_rng(0).normal(size=(1000, 20)), np.arange(1000) % 3
    monkeypatch.setattr(arrays, "available_memory", lambda: 2**19)
    before = model.params.copy()
    with pytest.raises(gn.errors.OptionError, match=r"training on batches of 1,000 rows \(their layers' outputs and "
                                                    r"gradients; a smaller batch_size needs less\) would need "
                                                    r"1.1 MiB of memory, but this machine has 512.0 KiB free"):
        model.fit(X, y, loss="cross_entropy", batch_size=5000)
    with pytest.raises(gn.errors.OptionError, match=r"training on all 1,000 rows at once \(.*batches, of a "
                                                    r"gradient-descent optimizer, need less\)"):
        model.fit(X, y, loss="cross_entropy", optimizer="lbfgs", batch_size=10)  # lbfgs takes the whole set
    np.testing.assert_array_equal(model.params, before)
    assert model.fit(X, y, loss="cross_entropy", batch_size=100, epochs=1).n_epochs == 1


@mechanics_only  # one step on random labels: the memory it takes
def test_a_conv_nets_training_memory_is_estimated_with_its_im2col_matrices(monkeypatch):
    """Each conv layer keeps its im2col matrix and that matrix's gradient from one step's forward pass to its
    backward pass; the estimate counted the outputs alone, 57 % of the traced peak of the conv recipe's net."""

    from glassnet.training import loop

    def net():
        return gn.Sequential(gn.Conv2D(1, 8, 3, padding=1), gn.ReLU(), gn.Conv2D(8, 16, 3, padding=1), gn.ReLU(),
                             gn.MaxPool2D(2), gn.Flatten(), gn.Dense(16 * 8 * 8, 10), rng=0)

    X, y = np.random.default_rng(0).random((256, 1, 16, 16), dtype=np.float32), np.arange(256) % 10
    net().fit(X[:4], y[:4], loss="cross_entropy", epochs=1, verbose=False)  # imports (numba's) are not training
    model, asked = net(), []
    monkeypatch.setattr(loop, "check_memory", lambda nbytes, what: asked.append(nbytes))
    _, peak = traced_peak(lambda: model.fit(X, y, loss="cross_entropy", batch_size=256, epochs=1, shuffle=False,
                                            verbose=False))
    assert 0.85 < asked[0] / peak < 1.15, (asked[0], peak)  # 0.58 before


def test_fit_argument_errors():
    model = gn.mlp([2, 1], rng=0)
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match="batch_size must be >= 1; received 0"):
        model.fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match="give validation_data or validation_split, not both"):
        model.fit(X, y, validation_data=(X, y), validation_split=0.2)
    with pytest.raises(ValueError, match=r"validation_split must be in \[0.0, 1.0\)"):
        model.fit(X, y, validation_split=1.5)
    with pytest.raises(ValueError, match=r"unknown option 'momentum' for optimizer='adam'"):
        model.fit(X, y, optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match=r"unknown option\(s\) for optimizer='bfgs': lr"):
        model.fit(X, y, optimizer="bfgs", lr=0.1)
    # a misspelt argument of fit lands among the optimizer's options: the message names the argument meant
    with pytest.raises(ValueError, match=r"unknown option 'epocs' for optimizer='adam'; its options are .*; fit's "
                                         r"own arguments include epochs: did you mean epochs= where you wrote epocs="):
        model.fit(X, y, optimizer="adam", epocs=5)
    with pytest.raises(ValueError, match=r"unknown option 'shufle' .* did you mean shuffle= where you wrote shufle="):
        model.fit(X, y, optimizer="adam", eps=1e-8, shufle=False)  # eps is Adam's: the hint is for the typo
    for options, message in [({"eps": -1}, r"eps must be in \(0.0, inf\); received -1$"),
                             ({"step_size": 3}, r"its options are lr, beta1, beta2, eps, schedule, eps_hat; fit "
                                                r"hands the arguments that are not its own to the optimizer$")]:
        with pytest.raises(ValueError, match=message):  # a bad value, or a name like no argument of fit
            model.fit(X, y, optimizer="adam", **options)
    # other libraries' names: Keras's and scikit-learn's learning rate, PyTorch's weight decay (the L2 term's
    # gradient, l2 * W), scikit-learn's epochs
    for name, ours in [("learning_rate", "lr"), ("learning_rate_init", "lr"), ("weight_decay", "l2"),
                       ("max_iter", "epochs")]:
        with pytest.raises(ValueError, match=rf"unknown option '{name}' for optimizer='sgd'; its options are .*; "
                                             rf"glassnet calls {name} {ours}: did you mean {ours}=\?$"):
            model.fit(X, y, **{name: 1})
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a glassnet Callback"):
        model.fit(X, y, callbacks=[print])
    with pytest.raises(ValueError, match=r"validation_data\[0\] has 3 features"):
        model.fit(X, y, validation_data=(np.zeros((2, 3)), np.zeros(2)))



@mechanics_only  # a few epochs on random labels: which settings are refused, and when
def test_settings_that_name_logs_or_files_are_checked_before_the_first_epoch(tmp_path):
    """Before, a monitor naming a log no epoch writes failed after the first epoch (its message naming
    keep_best), and a checkpoint path that is a folder failed at the first save."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(30, 2)), np.arange(30) % 2
    model = gn.mlp([2, 4, 2], rng=0)
    before = model.params.copy()
    cases = [
        ({"callbacks": [gn.EarlyStopping(monitor="val_acc")], "validation_split": 0.2},
         "EarlyStopping monitor='val_acc' is not among the logs this run writes: loss, accuracy, val_loss, "
         "val_accuracy, lr; did you mean 'val_accuracy'"),
        ({"callbacks": [gn.EarlyStopping(monitor="val_loss")]},
         "EarlyStopping monitor='val_loss' is not among the logs this run writes: loss, accuracy, lr; give "
         "validation data for the val_ logs"),
        ({"keep_best": "val_accuracy"}, "keep_best='val_accuracy' is not among the logs"),
        ({"callbacks": [gn.ModelCheckpoint(tmp_path, save_best_only=True, monitor="loss")]},
         "ModelCheckpoint path must name a file, but .* is a folder"),
        ({"callbacks": [gn.ModelCheckpoint(tmp_path / "c.glassnet", metadata={"classes": ["a", "b", "c"]})]},
         r"metadata's classes must name one class per output of the model \(2\).*c.glassnet was not written"),
        ({"callbacks": [gn.EarlyStopping(monitor="f1")]},
         "EarlyStopping monitor='f1' is not among the logs this run writes: loss, accuracy, lr; restore_best=True "
         "keeps the best weights by the run's own logs only: give restore_best=False"),
    ]
    # a metric of the user's own, written into the logs by an earlier callback, may be monitored
    class Metric(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            logs["f1"] = float(epoch)  # better each epoch, as an f1 score is

    cases += [  # ... saying which way it improves: it used to be minimized, as every name but an accuracy was
        ({"callbacks": [Metric(), gn.EarlyStopping(monitor="f1", restore_best=False)]},
         "EarlyStopping monitor='f1' is a log of your own, so whether it is better higher or lower is not known: "
         "give mode='max'"),
        ({"callbacks": [Metric(), gn.ModelCheckpoint(tmp_path / "best.glassnet", save_best_only=True, monitor="f1")]},
         "ModelCheckpoint monitor='f1' is a log of your own"),
    ]
    seen = []
    count = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    for options, message in cases:
        with pytest.raises(ValueError, match=message):
            model.fit(X, y, loss="cross_entropy", epochs=3, verbose=False,
                      callbacks=[*options.pop("callbacks", []), count], **options)
        assert seen == [], message  # refused before any epoch
        np.testing.assert_array_equal(model.params, before)
    best = tmp_path / "best.glassnet"
    history = model.fit(X, y, loss="cross_entropy", epochs=3, verbose=False, callbacks=[
        Metric(), gn.ModelCheckpoint(best, save_best_only=True, monitor="f1", mode="max"),
        gn.EarlyStopping(monitor="f1", patience=0, restore_best=False, mode="max")])
    assert not history.stopped_early and history.n_epochs == 3  # rising every epoch: never stopped
    assert gn.load(best).training["epoch"] == 3  # the last epoch, the best, was saved
    history = model.fit(X, y, loss="cross_entropy", epochs=3, verbose=False, callbacks=[
        Metric(), gn.EarlyStopping(monitor="f1", patience=0, restore_best=False, mode="min")])
    assert history.stopped_early and history.n_epochs == 2  # read as an error: worse at once
    with pytest.raises(ValueError, match=r"EarlyStopping mode must be one of 'auto', 'min', 'max'"):
        gn.EarlyStopping(mode="maximize")
    with pytest.raises(ValueError, match=r"ModelCheckpoint monitor='f1' is not among the logs \['accuracy', 'loss', "
                                         r"'lr'\]"):  # when nothing writes it: named, where it was a KeyError
        model.fit(X, y, loss="cross_entropy", epochs=2, verbose=False,
                  callbacks=[gn.ModelCheckpoint(tmp_path / "best.glassnet", save_best_only=True, monitor="f1",
                                                mode="max")])
    with pytest.raises(TypeError, match=r"callbacks must be a list of Callbacks; received one EarlyStopping: write "
                                        r"callbacks=\[EarlyStopping\(...\)\]"):
        model.fit(X, y, loss="cross_entropy", callbacks=gn.EarlyStopping())
    with pytest.raises(TypeError, match=r"model must be a glassnet Sequential; received 'm.glassnet' \(to use a "
                                        r"model file, load it: glassnet.load\(path\).model\)"):
        gn.gradcheck("m.glassnet", "cross_entropy", X, y)
    with pytest.raises(ValueError, match=r"eps must be in \(0.0, 1.0\]; received 2"):
        gn.gradcheck(model, "cross_entropy", X, y, eps=2)



@mechanics_only  # a few steps on random labels: what is refused, and when
def test_a_last_batch_too_small_for_batch_norm_is_refused_before_the_first_step():
    """A flat BatchNorm cannot train on one row (one value per feature has no variance). Before, a run of 33
    rows in batches of 16 failed at the last batch of its first epoch, its weights already changed."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(33, 4)), np.arange(33) % 2
    model = gn.Sequential([gn.Dense(4, 8, rng=0), gn.BatchNorm(8), gn.ReLU(), gn.Dense(8, 2, rng=1)])
    before = model.params.copy()
    with pytest.raises(ValueError, match=r"layers\[1\] BatchNorm needs at least 2 rows in a training batch, but 33 "
                                         r"training rows in batches of 16 leave a last batch of 1: choose another "
                                         r"batch_size \(such as 17\)"):
        model.fit(X, y, loss="cross_entropy", epochs=2, batch_size=16, verbose=False)
    np.testing.assert_array_equal(model.params, before)
    with pytest.raises(ValueError, match="needs at least 2 rows in a training batch; received 1 training row"):
        model.fit(X[:1], y[:1], loss="cross_entropy", epochs=1, verbose=False)
    assert model.fit(X, y, loss="cross_entropy", epochs=2, batch_size=17, verbose=False).n_epochs == 2
    # after a convolution a picture gives many values per channel: a last batch of one picture trains
    conv = gn.Sequential([gn.Conv2D(1, 2, 3, padding=1, rng=0), gn.BatchNorm(2), gn.ReLU(), gn.Flatten(),
                          gn.Dense(2 * 4 * 4, 2, rng=1)], input_shape=(1, 4, 4))
    images = r.normal(size=(5, 1, 4, 4))
    assert conv.fit(images, y[:5], loss="cross_entropy", epochs=1, batch_size=4, verbose=False).n_epochs == 1
    # but 1x1 maps give one value per channel again
    dots = gn.Sequential([gn.Conv2D(1, 2, 1, rng=0), gn.BatchNorm(2), gn.Flatten(), gn.Dense(2, 2, rng=1)],
                         input_shape=(1, 1, 1))
    with pytest.raises(ValueError, match=r"layers\[1\] BatchNorm needs at least 2 rows"):
        dots.fit(images[:, :, :1, :1], y[:5], loss="cross_entropy", epochs=1, batch_size=4, verbose=False)


@mechanics_only  # five steps on random labels, weighted and not
def test_sample_weights_equal_repeated_rows_in_full_batch():
    """Weight 2 on a row is the same cost and gradient as that row twice (full batch, sum cost)."""
    r = np.random.default_rng(9)
    X, y = r.normal(size=(6, 3)), r.integers(0, 3, 6)
    w = np.array([1, 2, 1, 3, 1, 1.0])
    rep = np.repeat(np.arange(6), w.astype(int))
    for loss in ("cross_entropy", "mse", "bce"):
        yy = y if loss == "cross_entropy" else (y > 0).astype(float)
        out = 3 if loss == "cross_entropy" else 1
        a = gn.mlp([3, 4, out], output="sigmoid" if loss == "bce" else None, rng=0, dtype="float64")
        b = a.copy()
        oa, ob = gn.Objective(a, loss), gn.Objective(b, loss)
        ca = oa(*oa.prepare(X, yy), weight=w) * 6
        cb = ob(*ob.prepare(X[rep], yy[rep])) * len(rep)
        assert ca == pytest.approx(cb, rel=1e-12)
        np.testing.assert_allclose(a.grads * 6, b.grads * len(rep), rtol=1e-10)
    m1 = gn.mlp([3, 4, 3], rng=0, dtype="float64")
    m2 = m1.copy()
    m1.fit(X, y, loss="cross_entropy", epochs=5, batch_size=None, sample_weight=w)
    m2.fit(X, y, loss="cross_entropy", epochs=5, batch_size=None)
    assert not np.allclose(m1.params, m2.params)
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        m1.fit(X, y, loss="cross_entropy", sample_weight=-w)
    with pytest.raises(ValueError, match="sample_weight must hold 6 values"):
        m1.fit(X, y, loss="cross_entropy", sample_weight=w[:3])


def test_weighted_losses_against_central_differences(rng):
    from glassnet import functional as F
    from helpers import central_diff, rel_error

    w = rng.uniform(0.1, 3, size=5)
    z, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    for fn, target in [(F.softmax_cross_entropy, labels),
                       (F.binary_cross_entropy_with_logits, rng.uniform(size=(5, 4))),
                       (lambda p, t, w: F.squared_error(p, t, "mean", w), rng.normal(size=(5, 4)))]:
        cost, grad = fn(z.copy(), target, w)
        numeric = central_diff(lambda v, fn=fn, target=target: fn(v.copy(), target, w)[0], z.copy())
        assert rel_error(grad, numeric) < 1e-7


@mechanics_only  # one epoch on random targets: what is saved, not what is learned
def test_batch_mean_divides_each_batch_by_its_weight_and_is_kept_for_a_resume(tmp_path):
    """The objective's batch_mean, worked by hand on one batch, refused with comm, and saved in the settings."""
    r = np.random.default_rng(0)
    X, y, w = r.normal(size=(6, 3)), r.normal(size=(6, 1)), r.uniform(0.5, 2, size=6)
    model = gn.mlp([3, 2, 1], rng=0, dtype="float64")
    plain, share = gn.Objective(model, "mse", l2=0.3), gn.Objective(model, "mse", l2=0.3, batch_mean=True)
    data = 0.5 * np.sum(w * np.sum((model.predict(X) - y) ** 2, axis=1))
    penalty = 0.15 * np.sum(model.params[: model.n_decayed] ** 2)
    assert float(plain(X, y, weight=w)) == pytest.approx(data / 6 + penalty, rel=1e-12)
    assert float(share(X, y, weight=w)) == pytest.approx((data + penalty) / w.sum(), rel=1e-12)
    assert share.value(X, y, weight=w) == pytest.approx((data + penalty) / w.sum(), rel=1e-12)  # as a call
    with pytest.raises(gn.OptionError, match="batch_mean divides each batch's cost by its own weight"):
        gn.fit(model, X, y, comm=Ranks(0, 2), batch_mean=True)
    checkpoint = gn.ModelCheckpoint(tmp_path / "ck.glassnet", every=1)
    gn.fit(model, X, y, epochs=1, batch_size=4, batch_mean=True, callbacks=[checkpoint], verbose=False)
    assert gn.load(tmp_path / "ck.glassnet").training["settings"]["batch_mean"] is True


@mechanics_only  # one epoch on noise: the costs' arithmetic, not what is learned
def test_with_batch_mean_the_guard_and_validation_take_a_batchs_share_of_the_penalty():
    """The guard's level and the validation loss took the penalty over 512 sample rows and whole, where a step
    takes it over its batch's weight: the sklearn estimators' validation loss read 0.489 for 0.370, and sample
    weights of mean 1000 put the guard's chance level 1000 times too high."""
    from glassnet.training.guard import Guard

    r = np.random.default_rng(0)
    X, y = r.normal(size=(300, 4)), r.normal(size=(300, 1))
    Xv, yv = r.normal(size=(80, 4)), r.normal(size=(80, 1))
    model = gn.mlp([4, 8, 1], rng=0, dtype="float64")
    history = gn.fit(model, X, y, loss="mse", l2=0.3, batch_mean=True, batch_size=50, epochs=1,
                     validation_data=(Xv, yv), verbose=False)
    penalty = 0.15 * np.sum(model.params[: model.n_decayed] ** 2)
    data_term = 0.5 * np.mean(np.sum((model.predict(Xv) - yv) ** 2, axis=1))
    assert history["val_loss"][0] == pytest.approx(data_term + penalty / 50, rel=1e-10)
    weighted = gn.mlp([4, 8, 1], rng=0, dtype="float64")  # fit sets the batch's weight: 50 rows of mean 3
    seen = []

    class Look(gn.Callback):
        def on_train_begin(self, run):
            seen.append(run.objective.penalty_rows)
    gn.fit(weighted, X, y, loss="mse", l2=0.3, batch_mean=True, batch_size=50, epochs=1,
           sample_weight=np.full(300, 3.0), callbacks=[Look()], verbose=False)
    assert seen == [150.0]
    levels = []
    for scale in (1.0, 1000.0):  # weights of any common scale: the same weighted means, the same levels
        objective = gn.Objective(gn.mlp([4, 8, 1], rng=0, dtype="float64"), "mse", l2=0.3, batch_mean=True)
        objective.penalty_rows = 50 * scale
        guard = Guard(objective, *objective.prepare(X, y), np.full(300, scale))
        levels.append((guard.before - float(objective.penalty()) / (50 * scale), guard.chance))
    np.testing.assert_allclose(levels[0], levels[1], rtol=1e-12)


@mechanics_only  # one epoch on noise: the costs' arithmetic, not what is learned
def test_a_sum_losss_epoch_cost_counts_the_penalty_once_over_its_batches():
    """Each mini-batch's cost under a sum loss counts the whole penalty, and the epoch's cost added them up:
    four batches read 24.80 where the cost at those weights is 19.42. The epoch's cost is now its batches' data
    terms plus each batch's ``rows / n`` of the penalty at the weights it saw, replayed here step by step."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), r.normal(size=(40, 1))
    model = gn.mlp([3, 5, 1], rng=1, dtype="float64")
    replay = gn.Objective(model.copy(), gn.SquaredError("sum"), l2=0.5)
    history = gn.fit(model, X, y, loss=gn.SquaredError("sum"), l2=0.5, optimizer=gn.SGD(lr=0.01), batch_size=15,
                     epochs=1, shuffle=False, verbose=False)
    expected = 0.0
    for start in range(0, 40, 15):  # batches of 15, 15 and 10 rows, as fit steps through them
        xb, yb = X[start:start + 15], y[start:start + 15]
        penalty = float(replay.penalty())
        expected += float(replay(xb, yb)) - penalty * (1 - len(xb) / 40)
        replay.model.params -= 0.01 * replay.model.grads
    np.testing.assert_allclose(replay.model.params, model.params, rtol=1e-12)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-12)
    # with batch_mean each batch holds its own share of the penalty already: nothing taken off (it read -281.6)
    weighted = gn.fit(gn.mlp([3, 5, 1], rng=1, dtype="float64"), X, y, loss=gn.SquaredError("sum"), l2=50.0,
                      optimizer=gn.SGD(lr=1e-9), batch_size=10, epochs=1, shuffle=False, batch_mean=True,
                      verbose=False)["loss"][0]
    assert weighted > 0
    whole = gn.mlp([3, 5, 1], rng=1, dtype="float64")  # one batch: the cost of the weights it started from
    start_cost = float(gn.Objective(whole.copy(), gn.SquaredError("sum"), l2=0.5)(X, y))
    assert gn.fit(whole, X, y, loss=gn.SquaredError("sum"), l2=0.5, optimizer=gn.SGD(lr=0.01), batch_size=None,
                  epochs=1, verbose=False)["loss"][0] == pytest.approx(start_cost, rel=1e-12)


def test_evaluate_scores_multi_label_targets_alike_in_any_chunks():
    """Whether the targets were multi-label was decided chunk by chunk: a chunk whose rows each held one label
    was scored by argmax, so the accuracy read 0.391 in chunks of 2,000 and 0.497 at once."""
    r = np.random.default_rng(0)
    X, Y = r.normal(size=(3000, 4)), np.zeros((3000, 3))
    Y[np.arange(3000), r.integers(0, 3, 3000)] = 1
    Y[2000:] = 1
    Y[2000 + np.arange(1000), r.integers(0, 3, 1000)] = 0  # the last thousand rows hold two labels each
    model = gn.mlp([4, 8, 3], rng=0)
    loss = gn.BinaryCrossEntropy(from_logits=True)
    by_hand = np.mean((model.predict(X) > 0) == (Y > 0.5))  # each of a row's entries counts 1/3
    for chunk in (4096, 2000, 7):
        assert gn.evaluate(model, X, Y, loss, batch_size=chunk)["accuracy"] == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize(("n", "fraction"), [(2, 0.9), (1, 0.5), (10, 0.97)])
def test_a_validation_split_that_leaves_no_training_rows_is_named_for_regression_too(n, fraction):
    """Classification said so; regression went on to "Dense needs at least 1 rows in a training batch"."""
    X, y = np.ones((n, 2)), np.arange(n, dtype=float)
    with pytest.raises(gn.OptionError, match=rf"validation_split={fraction} leaves an empty training or validation "
                                             rf"set for {n} samples"):
        gn.mlp([2, 1], rng=0).fit(X, y, validation_split=fraction, epochs=1, verbose=False)


def test_a_validation_split_of_classes_of_one_row_says_they_stay_for_training():
    """Each class keeps a training row: a class of one sample is never held out, which the message says (it said
    only that 0.2 left no validation rows)."""
    with pytest.raises(gn.OptionError, match=r"validation_split=0.2 leaves an empty training or validation set for "
                                             r"10 samples \(each class keeps a training row: a class of one sample is "
                                             r"never held out\)"):
        gn.mlp([2, 10], rng=0).fit(np.zeros((10, 2)), np.arange(10), loss="cross_entropy", validation_split=0.2)


def test_the_divergence_message_names_the_factor_the_run_was_given():
    """fit(divergence_factor=1.5) stopped at 2.4 times the starting cost and said "over 10 times"."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(64, 4)), (r.random(64) > 0.5).astype(int)
    model = gn.mlp([4, 8, 2], rng=0)
    with pytest.warns(gn.DivergenceWarning, match=r"over 1\.5 times its level before training"):
        history = model.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(5.0), epochs=20, batch_size=8,
                            divergence_factor=1.5, verbose=False)
    assert history.diverged


@mechanics_only  # two epochs on labels unrelated to X: which targets are read, not what is learned
def test_a_column_of_class_labels_is_taken_as_the_labels():
    """y[:, None] or a one-column data frame was refused as "y must have shape (n, 10)", which points to one-hot
    rows; a single column can only be labels for a model of several outputs."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(50, 4)), np.arange(50) % 3
    runs = []
    for target in (y, y[:, None], y[:, None].astype(float)):
        model = gn.mlp([4, 5, 3], rng=0, dtype="float64")
        runs.append((model.fit(X, target, loss="cross_entropy", epochs=2, verbose=False).loss, model.params.copy()))
    for loss, params in runs[1:]:
        assert loss == runs[0][0] and np.array_equal(params, runs[0][1])
    with pytest.raises(gn.OptionError, match=r"class labels in 0..2 .* received labels from 0 to 3"):
        gn.mlp([4, 5, 3], rng=0).fit(X, (np.arange(50) % 4)[:, None], loss="cross_entropy", epochs=1)


def test_a_model_without_a_fit_behind_it_says_which_loss_evaluate_took(tmp_path):
    """A classifier saved and read back scored as a regression (mse), with no accuracy, and said nothing."""
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    model = gn.mlp([4, 8, 1], output="sigmoid", rng=0)
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=20, verbose=False)
    scored = model.evaluate(X, y)
    assert set(scored) == {"loss", "accuracy"}
    loaded = gn.load(model.save(tmp_path / "b.glassnet")).model
    with pytest.warns(UserWarning, match="evaluate scores with 'mse': this model has no fit of its own "
                                         "behind it"):
        assert set(loaded.evaluate(X, y)) == {"loss"}
    assert loaded.evaluate(X, y, loss="bce") == pytest.approx(scored)
    # a checkpoint keeps its run's loss: evaluate takes it, without a word
    model.fit(X, y, loss="bce", optimizer="adam", lr=0.01, epochs=2, verbose=False,
              callbacks=[gn.ModelCheckpoint(tmp_path / "run.glassnet")])
    resumed = gn.load(tmp_path / "run.glassnet").model
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resumed.evaluate(X, y) == pytest.approx(model.evaluate(X, y))


def test_a_historys_metrics_read_as_attributes_as_its_loss_does():
    X = np.random.default_rng(1).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    history = gn.mlp([3, 8, 2], rng=0).fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=3,
                                            verbose=False, validation_split=0.25)
    assert history.accuracy == history["accuracy"] and history.val_loss == history["val_loss"]
    with pytest.raises(AttributeError, match="History has no 'acc': its metrics are 'loss', 'accuracy'"):
        getattr(history, "acc")  # noqa: B009 (the attribute a user types)


def test_class_probabilities_of_a_regression_say_how_they_read_its_values():
    """A model fitted with mse to raw outputs gave 'classes' as sigmoid(value) > 0.5, value > 0, silently; a
    sigmoid output fitted with mse (the tutorials' way) is a classifier, and says nothing."""
    X = np.random.default_rng(0).normal(size=(50, 4))
    raw = gn.mlp([4, 8, 1], output="identity", rng=0)
    raw.fit(X, 3 * X[:, 0], loss="mse", optimizer="adam", epochs=3, verbose=False)
    with pytest.warns(UserWarning, match=r"fitted as a regression \(loss 'mse'\) to outputs that are not "
                                         r"probabilities, which class probabilities read as logits"):
        raw.predict_classes(X)
    squashed = gn.mlp([4, 8, 1], output="sigmoid", rng=0)
    squashed.fit(X, (X[:, 0] > 0).astype(float), loss="mse", optimizer="adam", epochs=3, verbose=False)
    several = gn.mlp([4, 8, 3], rng=0)  # raw outputs, one-hot targets: the argmax is the class all the same
    several.fit(X, np.eye(3)[X[:, :3].argmax(axis=1)], loss="mse", optimizer="adam", lr=0.05, epochs=20,
                verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        squashed.predict_classes(X)
        several.predict_classes(X)
