"""The divergence guard: a run that blows up under any optimizer stops at once, and one that learns nothing says so."""

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.predicting import PREDICT_BYTES
from glassnet.training.data import evaluate
from glassnet.training.guard import FACTOR, SAMPLE, Guard


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "sgd"])
def test_a_rate_of_one_is_caught_within_the_first_epoch_by_every_optimizer(digits, optimizer):
    """Adam at lr=1 took the cost from 2.5 to tens of thousands in a step, then sat at chance: once unnoticed."""
    X, y = digits
    lr = 1.0 if optimizer != "sgd" else 50.0
    model = gn.mlp([64, 256, 128, 10], rng=0)
    start = model.params.copy()
    with pytest.warns(gn.DivergenceWarning, match=r"training diverged at epoch 1, batch \d+: the cost grew to "
                                                  r"\S+, over 10 times its level before training"):
        history = model.fit(X, y, loss="cross_entropy", optimizer=optimizer, lr=lr, epochs=5, batch_size=32)
    assert history.diverged and history.n_epochs == 0
    assert "The weights from before training were kept" in history.message
    np.testing.assert_array_equal(model.params, start)
    with pytest.raises(gn.DivergenceError, match="training diverged at epoch 1"):
        gn.mlp([64, 256, 128, 10], rng=0).fit(X, y, loss="cross_entropy", optimizer=optimizer, lr=lr, epochs=5,
                                               batch_size=32, on_divergence="raise")


def test_the_levels_are_the_cost_before_training_and_the_chance_cost_worked_by_hand():
    r = np.random.default_rng(0)
    X = r.normal(size=(300, 4))
    labels = r.choice(3, size=300, p=[0.6, 0.3, 0.1])
    model = gn.mlp([4, 8, 3], rng=0, dtype="float64")
    objective = gn.Objective(model, "cross_entropy")
    guard = Guard(objective, *objective.prepare(X, labels))
    p = np.bincount(labels, minlength=3) / 300
    assert guard.chance == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)  # the entropy of the frequencies
    assert guard.chance_accuracy == pytest.approx(p.max())  # always naming the commonest class
    logits = model.predict(X)
    logp = logits - logits.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    assert guard.before == pytest.approx(-logp[np.arange(300), labels].mean(), rel=1e-12)
    assert guard.limit == FACTOR * max(guard.before, guard.chance)

    values = X @ [1.0, 2.0, 0.0, -1.0] + 3.0
    regression = gn.Objective(gn.mlp([4, 8, 1], rng=0, dtype="float64"), "mse")
    guard = Guard(regression, *regression.prepare(X, values))
    assert guard.chance == pytest.approx(0.5 * np.var(values), rel=1e-12)  # R² = 0: predicting the mean


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_with_sample_weights_the_chance_level_of_the_absolute_error_is_the_weighted_medians(loss):
    """The median ignored the weights: y = [0, 0, 0, 10] weighted [1, 1, 1, 10] put the chance level at the cost
    of 0 (25.0) where 10 costs 7.5, so a model that learned nothing could pass for one that had learned."""
    r = np.random.default_rng(0)
    X = r.normal(size=(40, 3))
    heavy = np.arange(40) % 4 == 3
    values = np.where(heavy, 10.0, 0.0) + 0.01 * r.normal(size=40)
    weight = np.where(heavy, 10.0, 1.0)
    objective = gn.Objective(gn.mlp([3, 4, 1], rng=0, dtype="float64"), loss)
    guard = Guard(objective, *objective.prepare(X, values), weight)
    by_hand = [float(np.mean(weight * np.abs(values - c))) for c in values]  # the absolute error of each constant
    if loss == "absolute_error":  # the best constant is one of the targets
        assert guard.chance == pytest.approx(min(by_hand), rel=1e-12)
    assert guard.chance < 8  # the weighted median, about 10, costs 7.5 and 7.1; the median, about 0, 25 and 24


def test_a_conv_nets_sample_goes_a_chunk_at_a_time_with_the_same_scores():
    """The conv recipe's 512 pictures at once took 250 MiB more than the whole of its training run."""
    r = np.random.default_rng(0)
    X = r.random((SAMPLE, 1, 28, 28), dtype=np.float32)
    y = np.arange(SAMPLE) % 10
    model = gn.recipes.FAST["cnn"].build(rng=0)
    objective = gn.Objective(model, "cross_entropy")
    sizes = []
    forward = model.forward
    model.forward = lambda x, *a, **k: sizes.append(len(x)) or forward(x, *a, **k)  # type: ignore[method-assign]
    guard = Guard(objective, *objective.prepare(X, y))
    assert max(sizes) <= model.chunk_size(PREDICT_BYTES) < SAMPLE and sum(sizes) >= SAMPLE  # (as even as they come)
    whole = forward(X)
    np.testing.assert_allclose(guard.output(), whole, rtol=1e-5, atol=1e-6)
    cost, right = guard.final_scores()  # (the level is a training pass's: its batch normalization's statistics)
    assert cost == pytest.approx(objective.value_of(whole, y), rel=1e-5) and guard.training
    assert right == pytest.approx(np.mean(whole.argmax(axis=1) == y))
    sizes.clear()  # the validation scores go the same way
    scores = evaluate(model, *objective.prepare(X, y), objective)
    assert max(sizes) == model.chunk_size(PREDICT_BYTES)
    assert scores["accuracy"] == pytest.approx(right) and scores["loss"] == pytest.approx(cost, rel=1e-5)


def test_the_sample_is_spread_over_sorted_data():
    X = np.repeat(np.eye(4), 1000, axis=0)  # 4,000 rows sorted by class
    y = np.repeat(np.arange(4), 1000)
    objective = gn.Objective(gn.mlp([4, 4], rng=0), "cross_entropy")
    guard = Guard(objective, *objective.prepare(X, y))
    assert guard.m == SAMPLE and np.bincount(guard.y, minlength=4).min() >= SAMPLE // 4 - 1
    assert guard.chance == pytest.approx(np.log(4), rel=1e-3)


def test_single_samples_are_smoothed_so_an_outlier_is_no_alarm():
    """Stochastic gradient descent on heavy-tailed targets: one sample can cost a hundred times the mean."""
    r = np.random.default_rng(1)
    X = r.normal(size=(400, 3))
    y = X @ [1.0, -1.0, 0.5] + r.standard_t(1.5, size=400)
    model = gn.mlp([3, 16, 1], rng=0, dtype="float64")
    costs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(X, y, loss="mse", optimizer="sgd", lr=0.002, epochs=3, batch_size=1,
                            callbacks=[gn.LambdaCallback(on_batch_end=lambda b, c: costs.append(c))])
    assert not history.diverged and history.learned is None
    assert max(costs) > 20 * history.loss[0]  # single samples far above the level: smoothed, not an alarm


def test_a_model_whose_units_all_died_is_no_better_than_chance(digits):
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    model.layers[0].b = np.full(32, -100.0)  # every hidden ReLU off for every input: the output is constant
    with pytest.warns(gn.DivergenceWarning, match=r"training ended no better than chance: on the training set the "
                                                  r"model costs .* and is right .* of the time, where predicting the "
                                                  r"class frequencies .* costs 2.2\d"):
        history = model.fit(X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=2, batch_size=64)
    assert history.learned is False and not history.diverged
    with pytest.raises(gn.DivergenceError, match="no better than chance"):
        model.fit(X, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=1, on_divergence="raise")


def test_a_regression_with_r2_at_most_zero_is_no_better_than_chance():
    r = np.random.default_rng(2)
    X, y = r.normal(size=(200, 3)), r.normal(size=200)  # the target has nothing to do with the inputs
    model = gn.mlp([3, 1], rng=0)
    model.layers[0].W = np.zeros((3, 1))
    model.layers[0].b = [5.0]  # far from the mean, and only two tiny steps to come back
    with pytest.warns(gn.DivergenceWarning, match=r"predicting the target's mean \(R² <= 0\)"):
        model.fit(X, y, optimizer="sgd", lr=1e-3, epochs=2, batch_size=None)


def test_a_classifier_that_ranks_the_classes_has_learned_even_while_its_cost_is_high():
    """Right 60 % of the time among 5 balanced classes, but confidently wrong the rest: its cost is far above
    log(5), yet it is no chance-level model."""
    n, k = 500, 5
    labels = np.arange(n) % k
    X = np.eye(k)[labels]
    model = gn.Sequential([gn.Dense(k, k, dtype="float64")])
    W = 20 * np.eye(k)
    W[[3, 4]] = 20 * np.eye(k)[[4, 0]]  # classes 3 and 4 are mapped to the wrong class
    model.layers[0].W, model.layers[0].b = W, np.zeros(k)
    objective = gn.Objective(model, "cross_entropy")
    guard = Guard(objective, *objective.prepare(X, labels))
    cost, right = guard.final_scores()
    assert cost > 3 * guard.chance and right == pytest.approx(0.6) and guard.learned()
    W[[0, 1, 2]] = 20 * np.eye(k)[[1, 2, 3]]  # now every class is mapped wrong
    model.layers[0].W = W
    assert guard.final_scores()[1] == 0 and not guard.learned()


def test_a_constant_target_leaves_nothing_to_learn_and_no_alarm():
    model = gn.mlp([2, 1], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(np.zeros((4, 2)), np.zeros(4), epochs=3)
    assert history.learned is None


def test_the_estimators_report_a_chance_level_model():
    from sklearn.exceptions import ConvergenceWarning

    from glassnet.sklearn import GlassnetClassifier

    r = np.random.default_rng(3)
    X, y = r.normal(size=(300, 4)), (r.random(300) < 0.1).astype(int)  # nine in ten are class 0, whatever X
    with pytest.warns(ConvergenceWarning, match="GlassnetClassifier: training ended no better than chance"):
        GlassnetClassifier(hidden_layer_sizes=(4,), max_iter=1, learning_rate_init=1e-6, random_state=0).fit(X, y)


def test_a_cost_that_overflows_before_any_step_names_its_cause_not_the_learning_rate():
    """--l2 1e308 once ended "diverged at batch 1 ... try a smaller learning rate"."""
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.zeros(20)
    with pytest.raises(gn.OptionError, match=r"the regularization term is inf at the starting weights, before any "
                                             r"step: l2=1e\+308, l1=0 overflow float32; choose smaller ones"):
        gn.mlp([3, 4, 1], rng=0).fit(X, y, l2=1e308)
    with pytest.raises(gn.NonFiniteError, match="the inputs or targets overflow the network's float32; scale them"):
        gn.mlp([3, 4, 1], rng=0).fit(np.full((10, 3), 1e30), np.zeros(10))


def test_an_outlier_in_the_first_batch_is_smoothed_as_any_other():
    """The smoothed cost began at the first batch's own cost: one row of target 15 (its cost 125 where the
    level is 5.3) stopped stochastic descent as diverged before a step, yet the same row later was no alarm."""
    r = np.random.default_rng(0)
    X = r.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5]
    y[0] = 15.0
    history = gn.mlp([3, 8, 1], rng=0, dtype="float64").fit(X, y, optimizer=gn.SGD(lr=0.01), epochs=5,
                                                             batch_size=1, shuffle=False, verbose=False)
    assert not history.diverged and history.n_epochs == 5
    objective = gn.Objective(gn.mlp([3, 8, 1], rng=0, dtype="float64"), "mse")
    guard = Guard(objective, *objective.prepare(X, y))
    assert guard.smoothed == guard.before
    assert not guard.check(125.0, 1) and guard.smoothed == pytest.approx(guard.before * 199 / 200 + 125.0 / 200)


@pytest.mark.parametrize("optimizer", ["sgd", "lbfgs"])
def test_the_guards_sample_is_drawn_from_rows_that_weigh_something(optimizer):
    """Every second row weighing 0 put all 512 sampled rows among them: the weighted mean of no weight ended the
    run in a ZeroDivisionError, and under the Huber loss a level of 0 called any cost divergence."""
    r = np.random.default_rng(0)
    X = r.normal(size=(1023, 3))
    y = X @ [1.0, 2.0, 3.0]
    w = (np.arange(1023) % 2).astype(float)
    for loss in ("mse", "huber"):
        model = gn.mlp([3, 8, 1], rng=0, dtype="float64")
        history = model.fit(X, y, loss=loss, sample_weight=w, optimizer=optimizer, epochs=2, verbose=False)
        assert not history.diverged and history.n_epochs == 2
    objective = gn.Objective(gn.mlp([3, 8, 1], rng=0, dtype="float64"), "mse")
    guard = Guard(objective, *objective.prepare(X, y), w)
    assert np.all(guard.w == 1) and guard.m == 511 and guard.chance > 1  # all 511 rows of weight 1


def test_an_l2_whose_gradient_overflows_the_dtype_is_refused_before_any_step():
    """l2=1e60 in float32: the penalty, a float64, was finite (3e60), so the check passed, and the step's l2 * W
    overflowed: "diverged at epoch 1, batch 2 ... Try a smaller learning rate"."""
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.zeros(20)
    with pytest.raises(gn.OptionError, match=r"at the starting weights, before any step: l2=1e\+60, l1=0 overflow "
                                             r"float32; choose smaller ones"):
        gn.mlp([3, 4, 1], rng=0).fit(X, y, l2=1e60)
    with pytest.raises(gn.OptionError, match=r"l2=0, l1=1e\+39 overflow float32"):
        gn.mlp([3, 4, 1], rng=0).fit(X, y, l1=1e39)
    assert not gn.mlp([3, 4, 1], rng=0, dtype="float64").fit(X, y, l2=1e60, epochs=1, verbose=False).diverged


def _bn_net(n_in, n_out, rng=0):
    return gn.Sequential(gn.Dense(n_in, 16), gn.BatchNorm(16), gn.ReLU(), gn.Dense(16, n_out), rng=rng,
                         dtype="float64")


def test_batch_normalization_is_judged_as_its_batches_are_scored_in_training():
    """At its start a BatchNorm is the identity outside training (running statistics 0 and 1), which is how
    the level was measured: tiny inputs diverged "at batch 1" at any rate, before a single step."""
    r = np.random.default_rng(0)
    X = r.standard_normal((500, 5)) * 1e-3
    y = X @ np.array([3.0, -2.0, 1.0, 0.5, 0.0]) * 10
    model = _bn_net(5, 1)
    state, generator = model.state.copy(), model.rng.bit_generator.state
    objective = gn.Objective(model, "mse")
    guard = Guard(objective, *objective.prepare(X, y))
    np.testing.assert_array_equal(model.state, state)  # the running statistics and the generator untouched
    assert model.rng.bit_generator.state == generator
    dense, norm, _, last = model.layers  # the level is the cost of a training pass, worked by hand
    a = guard.X @ dense.W + dense.b
    a = (a - a.mean(axis=0)) / np.sqrt(a.var(axis=0) + norm.eps) * norm.params["gamma"] + norm.params["beta"]
    out = np.maximum(a, 0) @ last.W + last.b
    assert guard.before == pytest.approx(0.5 * np.mean((out - guard.y) ** 2), rel=1e-9)
    for lr in (1e-8, 0.01):  # each diverged at batch 1
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "training ended no better than chance")  # in 2 epochs
            history = _bn_net(5, 1).fit(X, y, loss="mse", optimizer=gn.Adam(lr), epochs=2, batch_size=32)
        assert not history.diverged and history.n_epochs == 2


def test_a_training_pass_of_the_sample_never_leaves_batch_normalization_one_row(monkeypatch):
    """Chunks of 511 rows left the 512-row sample a last chunk of one, and a single row that weighs anything a
    sample of one: "BatchNorm needs more than one value per feature to train on", before any step."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(1000, 4)), np.arange(1000) % 3
    model = gn.Sequential(gn.Dense(4, 8), gn.BatchNorm(8), gn.ReLU(), gn.Dense(8, 3), rng=0, dtype="float64")
    monkeypatch.setattr(model, "chunk_size", lambda limit: 511)
    objective = gn.Objective(model, "cross_entropy")
    guard = Guard(objective, *objective.prepare(X, y))
    assert guard.training and np.isfinite(guard.before)
    weights = np.zeros(1000)
    weights[7] = 1.0
    history = _bn_net(4, 3).fit(X, y, loss="cross_entropy", sample_weight=weights, epochs=1, batch_size=100,
                                verbose=False)
    assert history.n_epochs == 1


def test_batch_normalization_on_huge_inputs_does_not_blind_the_guard(digits):
    """The other way round: at the identity, inputs 100 times too large scored 784 outside training where a
    batch cost 2.8, so an epoch at a mean cost of 165 passed, and the model kept was right 10 % of the time."""
    X, y = digits
    with pytest.warns(gn.DivergenceWarning, match=r"training diverged at epoch 1, batch \d+: the cost grew to "
                                                  r"\S+, over 10 times its level before training \(2\.\d+\)"):
        history = _bn_net(64, 10).fit(X * 100, y, loss="cross_entropy", optimizer=gn.SGD(30), epochs=3)
    assert history.diverged and history.n_epochs == 0


class _SendsTheCostUp(gn.Callback):
    """After the last step of one epoch, sets the output layer to answer class 0 with a margin of 60 for every
    row: a cost of about 54 a row (23 times the level before training), which the next steps hardly lower."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch, self.now = epoch, batch, None

    def on_epoch_begin(self, run, epoch):
        self.now = epoch

    def on_batch_end(self, run, batch, cost):
        if (self.now, batch) == (self.epoch, self.batch):
            last = run.model.layers[-1]
            last.W[...] = 0.0
            last.b[...] = 0.0
            last.b[0] = 60.0


def test_weights_the_smoothing_found_over_the_limit_late_are_not_the_ones_kept(digits, tmp_path):
    """Weights over the limit at an epoch's end, which the smoothed cost sees only some batches into the next
    epoch (each batch weighs 1/8 in it), were kept: 10 % right, over the limit. The run
    goes one epoch further back and says why; the advice names the rate the schedule had reached, not the
    starting one. (Built by hand: a rate growing 4 times an epoch did the same on one BLAS and not on
    another, where the weights of epoch 6 fell just under the limit.)"""
    X, y = digits
    model = gn.mlp([64, 32, 10], rng=0)
    last = -(-len(X) // 32) - 1  # the last batch of an epoch, at fit's batch size of 32
    schedule = gn.optim.ExponentialDecay(1.5)
    with pytest.warns(gn.DivergenceWarning) as seen:
        callbacks = [_SendsTheCostUp(epoch=5, batch=last), gn.ModelCheckpoint(tmp_path / "ck.glassnet")]
        history = model.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.05, schedule=schedule), epochs=10,
                            callbacks=callbacks)
    message = str(seen[0].message)
    assert re.search(r"training diverged at epoch 7, batch ([2-9]|\d\d):", message) and history.n_epochs == 5, message
    assert "The weights of epoch 5 were kept (those of epoch 6 cost over the limit too)" in message
    assert f"its schedule had taken it to {0.05 * 1.5 ** 6:.4g}" in message
    # the checkpoint of epoch 6 was written before the guard went back past it: said, not left to be found
    assert "The checkpoint written at the end of epoch 6 holds weights past the ones kept" in message
    objective = gn.Objective(model, "cross_entropy")
    guard = Guard(objective, *objective.prepare(X, y))  # the kept weights, scored as the run's guard scored them
    assert guard.before < FACTOR * guard.chance
