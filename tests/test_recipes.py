"""The one-cycle schedule, step by step, and the speedrun recipes of glassnet train --recipe fast."""

import math
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import OptionError
from glassnet.optim import OneCycle
from helpers import MNIST_DIR, mechanics_only, needs_mnist, run_glassnet


def test_one_cycle_worked_by_hand():
    s = OneCycle(period=4, warmup=0.25, min_lr=0.01)  # one epoch up, three down
    assert s.per_step and s.rate(0.2, 0) == 0.0
    assert s.rate(0.2, 0.5) == pytest.approx(0.1)  # half-way up the line
    assert s.rate(0.2, 1.0) == pytest.approx(0.2)  # the peak, at the end of the warm-up
    assert s.rate(0.2, 2.5) == pytest.approx(0.01 + 0.19 * 0.5)  # half-way down the cosine
    assert s.rate(0.2, 4.0) == pytest.approx(0.01) and s.rate(0.2, 9.0) == pytest.approx(0.01)
    assert OneCycle(period=2, warmup=0.0).rate(1.0, 0) == 1.0  # no warm-up: the cosine from the start
    for bad, match in (({"period": 0}, "period"), ({"warmup": 1.0}, "warmup"), ({"min_lr": -1}, "min_lr")):
        with pytest.raises(OptionError, match=match):
            OneCycle(**bad)


@mechanics_only  # reads the rate of six steps
def test_the_loop_sets_a_one_cycle_rate_before_every_step():
    """20 rows in batches of 8: 3 steps an epoch, at 0, 1/3 and 2/3 of it; the rates are the formula's."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(20, 3)), r.integers(0, 2, 20)
    seen = []

    class Rates(gn.Callback):
        def on_batch_end(self, run, batch, cost):
            seen.append(run.optimizer.lr)  # the rate the step just taken used

    model = gn.mlp([3, 4, 2], rng=0)
    model.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.5, schedule=OneCycle(period=2, warmup=0.5)), epochs=2,
              batch_size=8, verbose=False, callbacks=[Rates()])

    def by_hand(t):  # t: share of the run done; up in a line for the first half, down a half cosine after
        return 0.5 * t / 0.5 if t < 0.5 else 0.5 * 0.5 * (1 + math.cos(math.pi * (t - 0.5) / 0.5))

    expected = [by_hand((epoch + k / 3) / 2) for epoch in range(2) for k in range(3)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


@mechanics_only  # one step, checked against central differences
def test_a_one_cycle_step_is_plain_sgd_at_that_rate():
    """Two batches in one epoch: the first step comes at rate 0 (the warm-up's start), the second at the peak,
    so the weights end at w - 0.4 * (the second batch's gradient, from central differences of the cost)."""
    r = np.random.default_rng(1)
    X, y = r.normal(size=(6, 3)), r.normal(size=(6, 1))
    model = gn.mlp([3, 2, 1], output="identity", rng=0, dtype="float64")
    w0 = model.params.copy()

    def cost(w):  # the second batch's cost, as glassnet scores it
        model.params[...] = w
        return model.evaluate(X[3:], y[3:], loss="mse")["loss"]
    grad = np.array([(cost(w0 + e) - cost(w0 - e)) / 2e-6 for e in np.eye(len(w0)) * 1e-6])
    model.params[...] = w0
    model.fit(X, y, loss="mse", optimizer=gn.SGD(0.4, schedule=OneCycle(period=1, warmup=0.5)), epochs=1,
              batch_size=3, shuffle=False, verbose=False)
    assert np.abs(grad).max() > 0.01
    np.testing.assert_allclose(model.params, w0 - 0.4 * grad, atol=1e-8)


@mechanics_only  # a replay of a few steps
def test_a_resumed_one_cycle_run_ends_where_an_unbroken_one_does(tmp_path):
    r = np.random.default_rng(2)
    X, y = r.normal(size=(50, 4)), r.integers(0, 3, 50)

    def run(epochs, **kw):
        model = gn.mlp([4, 8, 3], rng=0, dtype="float64")
        opt = gn.Adam(0.01, schedule=OneCycle(period=4))
        model.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=16, verbose=False, **kw)
        return model

    whole = run(4)
    run(2, callbacks=[gn.ModelCheckpoint(tmp_path / "half.glassnet", every=1)])
    resumed, _ = gn.resume(tmp_path / "half.glassnet", X, y, epochs=4, verbose=False)
    np.testing.assert_array_equal(resumed.params, whole.params)


def test_recipes_build_their_networks_and_refuse_what_they_set():
    mlp = gn.recipes.FAST["mlp"].build(rng=0)
    assert [layer.params["W"].shape for layer in mlp.layers if isinstance(layer, gn.Dense)] == \
        [(784, 256), (256, 128), (128, 10)]
    cnn = gn.recipes.FAST["cnn"].build(rng=0)
    assert [layer.out_channels for layer in cnn.layers if isinstance(layer, gn.Conv2D)] == [16, 32]
    assert cnn.input_shape == (1, 28, 28) and cnn.predict(np.zeros((2, 1, 28, 28))).shape == (2, 10)
    assert gn.recipes.FAST["mlp"].with_(epochs=1).epochs == 1 and gn.recipes.FAST["mlp"].epochs == 3
    with pytest.raises(OptionError, match="the recipe sets batch_size, epochs"):
        gn.recipes.FAST["mlp"].fit(mlp, np.zeros((4, 784)), np.zeros(4, int), epochs=2, batch_size=3)
    with pytest.raises(OptionError, match="recipe must be 'fast'; received 'slow'"):
        gn.recipes.get_recipe("slow")
    with pytest.raises(OptionError, match="arch must be one of 'mlp', 'cnn'; received 'rnn'"):
        gn.recipes.get_recipe("fast", "rnn")
    # a recipe changed by hand is checked as fit checks its arguments (arch="xyz" built an MLP)
    changed = gn.recipes.FAST["mlp"].with_(hidden=[np.int64(32)], epochs=np.int64(2))
    assert changed.hidden == (32,) and type(changed.epochs) is int
    for change, message in [({"arch": "xyz"}, "arch must be one of 'mlp', 'cnn'; received 'xyz'"),
                            ({"lr": 0}, "lr must be in"), ({"hidden": ()}, "hidden must be a tuple of one or more"),
                            ({"epochs": 0}, "epochs must be >= 1"), ({"warmup": 1}, "warmup must be in"),
                            ({"epoch": 2}, "a recipe has no setting 'epoch'; its settings are arch, hidden")]:
        with pytest.raises(OptionError, match=message):
            gn.recipes.FAST["mlp"].with_(**change)


def test_dropout_asked_of_the_conv_recipe_on_the_command_line_is_there():
    """glassnet train --recipe fast --arch cnn --dropout 0.5 built the recipe's net without dropout, silently."""
    from glassnet.cli.train import build_model

    settings = {"arch": "cnn", "recipe": "fast", "dataset": "mnist", "seed": 0, "dtype": "float32", "dropout": 0.5}
    model = build_model(settings, [784, 10], (1, 28, 28))
    assert [layer.config()["rate"] for layer in model.layers if isinstance(layer, gn.Dropout)] == [0.5]
    mlp = gn.recipes.FAST["mlp"].build(rng=0, dropout=0.25)
    assert [layer.config()["rate"] for layer in mlp.layers if isinstance(layer, gn.Dropout)] == [0.25, 0.25]


@mechanics_only  # one step of the conv recipe
def test_the_conv_recipe_trains_a_step_with_its_schedule():
    r = np.random.default_rng(3)
    X, y = r.random((128, 1, 28, 28), dtype=np.float32), r.integers(0, 10, 128)
    recipe = gn.recipes.FAST["cnn"].with_(epochs=1)
    model = recipe.build(rng=0)
    history = recipe.fit(model, X, y, verbose=False)
    assert history.n_epochs == 1 and np.isfinite(history["loss"][0])
    assert history["lr"][0] == pytest.approx(recipe.optimizer().schedule.rate(recipe.lr, 0.5))  # the last step's


@needs_mnist
@pytest.mark.slow
def test_glassnet_train_recipe_fast_passes_98_percent(tmp_path):
    """The whole MLP recipe through the command line (seed 0); benchmarks/speedrun.py times it over 5 seeds."""
    proc = run_glassnet("train", "--dataset", "mnist", "--data", MNIST_DIR, "--recipe", "fast", "--quiet",
                        "--out", tmp_path)
    assert "0 validation" in proc.stdout
    assert float(re.search(r"test accuracy ([\d.]+)%", proc.stdout).group(1)) >= 98.0, proc.stdout


def test_a_recipe_run_resumes_to_its_end_but_not_beyond(tmp_path):
    """Resuming a --recipe run goes on to its own last epoch; more epochs are refused, since the one cycle
    has brought the rate to 0 there."""
    from glassnet.cli import build_parser
    from glassnet.cli.data import UserError
    from glassnet.cli.train import SETTINGS, resumed_settings

    class Args:
        epochs, resume = 5, "ck"
        parser = build_parser()._subparsers._group_actions[0].choices["train"]

    class Checkpoint:
        metadata = {"settings": {"dataset": "mnist", "recipe": "fast", "epochs": 3}}
        training = {"epoch": 1, "epochs": 3}

    for name in SETTINGS:
        if name != "epochs":
            setattr(Args, name, None)  # nothing else given on the command line
    with pytest.raises(UserError, match="--epochs cannot change when resuming a --recipe fast run: its rate "
                                        "falls to 0 at epoch 3"):
        resumed_settings(Args, Checkpoint)
    Args.epochs = None
    assert resumed_settings(Args, Checkpoint)["epochs"] == 3


def test_a_recipes_own_schedule_in_a_checkpoint_is_taken():
    """A --recipe run saves its schedule as 'one-cycle', which no --schedule choice names: every resume of a
    real checkpoint was refused as "damaged or edited" (the test above builds settings without a schedule)."""
    from glassnet.cli import build_parser
    from glassnet.cli.settings import UserError, check_saved_settings, recipe_settings

    parser = build_parser()._subparsers._group_actions[0].choices["train"]
    saved = {"dataset": "mnist", "recipe": "fast", "arch": "mlp",
             **recipe_settings({"dataset": "mnist", "recipe": "fast", "arch": "mlp"}, {})}
    assert saved["schedule"] == "one-cycle"
    check_saved_settings(saved, parser, "ck.glassnet")  # taken
    with pytest.raises(UserError, match="the checkpoint's setting --schedule is not one glassnet train takes"):
        check_saved_settings({**saved, "recipe": None}, parser, "ck.glassnet")  # without its recipe: refused


@pytest.mark.parametrize("args, message", [
    (["--recipe", "fast"], "--recipe fast is tuned for MNIST: use --dataset mnist; received --dataset digits"),
    (["--recipe", "fast", "--dataset", "mnist", "--optimizer", "sgd"],
     "--recipe fast trains with --optimizer adam; received --optimizer sgd"),
])
def test_glassnet_train_refuses_a_recipe_that_does_not_fit(tmp_path, args, message):
    proc = run_glassnet("train", *args, "--out", tmp_path, check=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


@mechanics_only  # a three-epoch run on a few pictures, for its plot
def test_a_short_run_plots_whole_epochs(tmp_path, monkeypatch):
    """A 3-epoch recipe's learning curves: ticks at epochs 1, 2, 3, none at 1.5."""
    pytest.importorskip("matplotlib")
    from glassnet.tools import plots

    r = np.random.default_rng(0)
    X, y = r.normal(size=(30, 2)), r.integers(0, 2, 30)
    history = gn.mlp([2, 3, 2], rng=0).fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, verbose=False)
    made = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: made.append(fig) or path)  # keep the figure to read
    plots.learning_curves(history, tmp_path / "curves.png", title="three epochs")
    ticks = [t for ax in made[0].axes for t in ax.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
