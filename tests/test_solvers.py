"""Gradient descent and the quasi-Newton solvers are peers behind one fit: the same hooks, the same
checkpoints (resumed, or refused by name)."""

import numpy as np
import pytest

import glassnet as gn
from helpers import mechanics_only

HOOKS = ["on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end"]


class Recorder(gn.Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, run):
        self.calls.append(("on_train_begin",))

    def on_epoch_begin(self, run, epoch):
        self.calls.append(("on_epoch_begin", epoch))

    def on_batch_end(self, run, batch, cost):
        assert np.isfinite(cost)
        self.calls.append(("on_batch_end", batch))

    def on_epoch_end(self, run, epoch, logs):
        assert "loss" in logs
        self.calls.append(("on_epoch_end", epoch))

    def on_train_end(self, run):
        self.calls.append(("on_train_end",))


def data():
    r = np.random.default_rng(0)
    X = r.normal(size=(30, 3))
    return X, (X[:, 0] > X[:, 1]).astype(int)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "bfgs", "lbfgs"])
def test_every_solver_fires_all_five_hooks_in_order(optimizer):
    X, y = data()
    rec = Recorder()
    model = gn.mlp([3, 5, 2], activation="tanh", rng=0, dtype="float64")
    history = model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=4, batch_size=10,
                        callbacks=[rec], tol=1e-12)
    names = [c[0] for c in rec.calls]
    assert set(names) == set(HOOKS)
    assert names[0] == "on_train_begin" and names[-1] == "on_train_end"
    epochs = [c[1] for c in rec.calls if c[0] == "on_epoch_end"]
    assert epochs == list(range(history.n_epochs)) and len(epochs) == 4
    for e in epochs:  # each epoch: begin, its batches, end
        i, j = rec.calls.index(("on_epoch_begin", e)), rec.calls.index(("on_epoch_end", e))
        assert i < j and all(c[0] == "on_batch_end" for c in rec.calls[i + 1:j]) and j - i > 1


@pytest.mark.parametrize("optimizer", ["bfgs", "lbfgs"])
def test_a_quasi_newton_checkpoint_is_refused_by_name_when_resumed(tmp_path, optimizer):
    X, y = data()
    path = tmp_path / "ck.glassnet"
    model = gn.mlp([3, 5, 2], rng=0, dtype="float64")
    model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=3, callbacks=[gn.ModelCheckpoint(path)])
    np.testing.assert_array_equal(gn.load(path).model.params, model.params)  # the weights are there
    with pytest.raises(gn.ModelFileError, match=rf"written by a '{optimizer}' run, which cannot be resumed exactly"):
        gn.resume(path, X, y)


@mechanics_only  # a replay of a few epochs
def test_a_gradient_descent_checkpoint_resumes_to_the_uninterrupted_run(tmp_path):
    X, y = data()
    full = gn.mlp([3, 5, 2], dropout=0.2, rng=4, dtype="float64")
    full.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=6, batch_size=8, l2=1e-3)
    part = gn.mlp([3, 5, 2], dropout=0.2, rng=4, dtype="float64")
    stop = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    path = tmp_path / "ck.glassnet"

    class StopAt3(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.stop = epoch == 2

    part.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=6, batch_size=8, l2=1e-3,
             callbacks=[gn.ModelCheckpoint(path), StopAt3(), stop])
    resumed, history = gn.resume(path, X, y)
    np.testing.assert_array_equal(resumed.params, full.params)
    assert history.n_epochs == 6 and isinstance(resumed, gn.Sequential)


def test_divergence_can_raise_and_keeps_the_last_finite_weights():
    X, y = data()
    model = gn.mlp([3, 5, 1], rng=0)
    before = model.params.copy()
    with pytest.raises(gn.DivergenceError, match="training diverged at epoch 1"):
        model.fit(X, y * 1e15, optimizer="sgd", lr=1e30, epochs=3, on_divergence="raise")
    np.testing.assert_array_equal(model.params, before)


@pytest.mark.parametrize("optimizer", ["bfgs", "lbfgs"])
def test_each_quasi_newton_iteration_logs_the_accuracy_of_its_own_weights(optimizer):
    """The accuracy is read from SciPy's last evaluation when that is the accepted point: it must be that point's."""
    X, y = data()
    model = gn.mlp([3, 6, 2], rng=0, dtype=np.float64)

    class Check(gn.Callback):
        def __init__(self):
            self.checked = 0

        def on_epoch_end(self, run, epoch, logs):
            predicted = np.argmax(run.model.predict(X), axis=1)
            assert logs["accuracy"] == np.mean(predicted == y)
            self.checked += 1

    check = Check()
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=25, callbacks=[check])
    assert check.checked == history.n_epochs > 5 and len(set(history["accuracy"])) > 1


def test_max_fun_is_for_the_quasi_newton_solvers_only():
    X, y = data()
    model = gn.mlp([3, 4, 2], rng=0, dtype=np.float64)
    with pytest.raises(gn.OptionError, match="max_fun limits the quasi-Newton solvers.*optimizer='adam'"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer="adam", max_fun=5)
    with pytest.raises(gn.OptionError, match="max_fun"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer="lbfgs", max_fun=0)
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer="lbfgs", epochs=500, max_fun=7)
    assert history.n_grad_evals <= 7 + 1 and not history.converged  # L-BFGS-B may finish the evaluation it is in


def test_fit_asks_its_solver_and_takes_one_of_your_own():
    from glassnet.training import GradientDescent, QuasiNewton, Solver, get_solver

    assert isinstance(get_solver("lbfgs"), QuasiNewton) and get_solver("lbfgs").full_batch
    sgd = get_solver("sgd", lr=0.5)
    assert isinstance(sgd, GradientDescent) and sgd.optimizer.lr == 0.5 and not sgd.full_batch
    with pytest.raises(gn.OptionError, match="optimizer must be an Optimizer or one of 'sgd', 'rmsprop', 'adam', "
                                             "'adamw', 'bfgs', 'lbfgs'; received 'newton'"):
        get_solver("newton")
    with pytest.raises(gn.OptionError, match="unknown option.*lr"):
        get_solver("bfgs", lr=0.1)

    class HalfSteps(Solver):  # a solver of one's own: each epoch halves the weights, and says so to the hooks
        name = "halving"

        def train(self, run, X, y, w, X_val, y_val, callbacks, **settings):
            for epoch in range(run.initial_epoch, run.epochs):
                run.model.params *= 0.5
                run.record(epoch, {"loss": run.objective.value(X, y)})

    model = gn.mlp([2, 3, 1], rng=0, dtype="float64")
    before = model.params.copy()
    history = model.fit(np.ones((4, 2)), np.zeros(4), loss="mse", optimizer=HalfSteps(), epochs=3, verbose=False,
                        on_divergence="warn")
    np.testing.assert_array_equal(model.params, before / 8)
    assert history.n_epochs == 3 and history["loss"][-1] < history["loss"][0]


@pytest.mark.parametrize("optimizer", ["lbfgs", "bfgs"])
def test_a_quasi_newton_run_counts_its_iterations_from_initial_epoch(optimizer):
    """The quasi-Newton solvers took ``epochs`` iterations whatever ``initial_epoch`` was, numbered them from the
    history's length, and stepped at ``epochs=0`` (SciPy's L-BFGS-B takes a step at maxiter=0), unguarded."""
    r = np.random.default_rng(0)
    X = r.normal(size=(50, 3))
    y = X @ [1.0, 2.0, 3.0]
    for settings, epochs in [({"epochs": 0}, []), ({"epochs": 5, "initial_epoch": 5}, []),
                             ({"epochs": 5, "initial_epoch": 3}, [3, 4])]:
        model = gn.mlp([3, 4, 1], rng=0, dtype="float64")
        before = model.params.copy()
        history = model.fit(X, y, optimizer=optimizer, verbose=False, **settings)
        assert history.epochs == epochs and history.n_epochs == len(epochs)
        assert np.array_equal(model.params, before) == (not epochs)
    two = gn.mlp([3, 4, 1], rng=0, dtype="float64")
    two.fit(X, y, optimizer=optimizer, epochs=2, verbose=False)
    np.testing.assert_array_equal(two.params, model.params)  # iterations 3 and 4 of a fresh run are its first two
