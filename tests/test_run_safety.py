"""Runs that end early keep what they learned: Ctrl-C, the best epoch, resuming;
and the API's mistakes that used to train silently on nothing."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.training.callbacks import format_logs
from helpers import mechanics_only


def data(seed=4, n=60):
    r = np.random.default_rng(seed)
    X, y = r.normal(size=(n, 5)), r.integers(0, 3, n)
    Xv, yv = r.normal(size=(20, 5)), r.integers(0, 3, 20)
    return X, y, Xv, yv


def new(lr=0.02):
    model = gn.mlp([5, 7, 3], dropout=0.2, rng=9, dtype="float64")
    return model, gn.Adam(lr=lr)


class CtrlC(gn.Callback):
    """Raise KeyboardInterrupt in the middle of an epoch, as a Ctrl-C would."""

    def __init__(self, epoch, batch=2):
        self.epoch, self.batch = epoch, batch
        self.current = None

    def on_epoch_begin(self, run, epoch):
        self.current = epoch

    def on_batch_end(self, run, batch, cost):
        if self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


FIT = dict(loss="cross_entropy", epochs=9, batch_size=8, l2=0.01)


def test_ctrl_c_returns_to_the_last_complete_epoch_and_a_checkpoint_resumes_exactly(tmp_path):
    X, y, Xv, yv = data()
    full, opt = new()
    h_full = full.fit(X, y, optimizer=opt, validation_data=(Xv, yv), keep_best=True, **FIT)

    part, opt = new()
    kept = []
    path = tmp_path / "ck.glassnet"
    snapshot = gn.LambdaCallback(on_epoch_end=lambda e, logs: kept.append(part.params.copy()))
    history = part.fit(X, y, optimizer=opt, validation_data=(Xv, yv), keep_best=True, on_interrupt="stop",
                       callbacks=[snapshot, gn.ModelCheckpoint(path, every=100), CtrlC(epoch=4)], **FIT)
    assert history.interrupted and history.n_epochs == 4
    assert "interrupted during epoch 5" in history.message and "end of epoch 4" in history.message
    best = int(np.argmin(history["val_loss"]))
    assert history.best_epoch == best
    np.testing.assert_array_equal(part.params, kept[best])  # the best so far, not a half-done epoch
    ck = gn.load(path)
    np.testing.assert_array_equal(ck.model.params, kept[3])  # the checkpoint holds the state to resume
    assert ck.training["epoch"] == 4 and ck.optimizer.t == 4 * 8

    resumed, h = gn.resume(path, X, y, validation_data=(Xv, yv))
    np.testing.assert_array_equal(resumed.params, full.params)
    assert h.history == h_full.history and h.best_epoch == h_full.best_epoch


def test_ctrl_c_is_raised_again_by_default_with_the_model_back_at_an_epoch_boundary():
    X, y, _, _ = data()
    model, opt = new()
    kept = []
    cb = gn.LambdaCallback(on_epoch_end=lambda e, logs: kept.append(model.params.copy()))
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y, optimizer=opt, callbacks=[cb, CtrlC(epoch=2)], **FIT)
    np.testing.assert_array_equal(model.params, kept[-1])
    assert opt.t == 2 * 8  # the interrupted epoch's steps were undone too


def test_ctrl_c_in_the_first_epoch_keeps_the_initial_weights():
    X, y, _, _ = data()
    model, opt = new()
    initial = model.params.copy()
    history = model.fit(X, y, optimizer=opt, on_interrupt="stop", callbacks=[CtrlC(epoch=0)], **FIT)
    assert history.interrupted and history.n_epochs == 0
    np.testing.assert_array_equal(model.params, initial)
    assert "training stopped where it started, before epoch 1 was complete" in history.message


def test_keep_best_ends_with_the_best_epoch_by_validation_cost():
    X, y, Xv, yv = data()
    model, opt = new(lr=0.2)  # large steps: the validation cost is not monotone
    kept = []
    cb = gn.LambdaCallback(on_epoch_end=lambda e, logs: kept.append(model.params.copy()))
    history = model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), keep_best=True, callbacks=[cb], **FIT)
    best = int(np.argmin(history["val_loss"]))
    assert best != history.n_epochs - 1, "the test needs a run whose best epoch is not its last"
    assert history.best_epoch == best
    np.testing.assert_array_equal(model.params, kept[best])


@mechanics_only  # a few epochs, for which one is kept
def test_keep_best_by_accuracy_maximizes_and_a_missing_log_is_named():
    X, y, Xv, yv = data()
    model, opt = new(lr=0.2)
    history = model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), keep_best="val_accuracy", **FIT)
    assert history.best_epoch == int(np.argmax(history["val_accuracy"]))
    with pytest.raises(gn.OptionError, match="keep_best='val_loss' is not among the logs"):
        new()[0].fit(X, y, keep_best="val_loss", **FIT)
    # EarlyStopping's restore_best keeps the epoch its own mode calls best: the run follows the callback
    model, opt = new(lr=0.2)
    history = model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), **FIT,
                        callbacks=[gn.EarlyStopping(monitor="val_loss", mode="max", patience=100)])
    assert history.best_epoch == int(np.argmax(history["val_loss"])) != int(np.argmin(history["val_loss"]))


def test_early_stopping_resumed_stops_where_the_uninterrupted_run_stops(tmp_path):
    X, y, Xv, yv = data()
    settings = dict(FIT, epochs=40)

    full, opt = new(lr=0.2)
    h_full = full.fit(X, y, optimizer=opt, validation_data=(Xv, yv), callbacks=[gn.EarlyStopping(patience=2)],
                      **settings)
    assert h_full.stopped_early and h_full.n_epochs < 40

    part, opt = new(lr=0.2)
    path = tmp_path / "ck.glassnet"
    stop_at = h_full.n_epochs - 1  # interrupted while the stopper is already waiting
    part.fit(X, y, optimizer=opt, validation_data=(Xv, yv), on_interrupt="stop",
             callbacks=[gn.EarlyStopping(patience=2), gn.ModelCheckpoint(path, every=100), CtrlC(stop_at)],
             **settings)
    resumed, h = gn.resume(path, X, y, validation_data=(Xv, yv), callbacks=[gn.EarlyStopping(patience=2)])
    assert h.stopped_early and h.n_epochs == h_full.n_epochs
    np.testing.assert_array_equal(resumed.params, full.params)


@mechanics_only  # the second fit is meant to do worse
def test_a_best_only_checkpoint_keeps_its_best_across_a_resume_and_past_a_nan(tmp_path):
    """A resumed run's ModelCheckpoint(save_best_only=True) started from no best at all, and wrote its first
    epoch over the file, however worse; and a NaN log counted as an improvement (value >= best is False)."""
    X, y, Xv, yv = data()
    model, opt = new(lr=0.2)
    best, last = tmp_path / "best.glassnet", tmp_path / "last.glassnet"
    model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), **dict(FIT, epochs=12),
              callbacks=[gn.ModelCheckpoint(best, save_best_only=True), gn.ModelCheckpoint(last)])
    _, h = gn.resume(last, X, y, epochs=16, validation_data=(Xv, yv),
                     callbacks=[gn.ModelCheckpoint(best, save_best_only=True)])
    first = int(np.argmin(h["val_loss"]))
    assert first < 12 and min(h["val_loss"][12:]) > h["val_loss"][first], "the test needs a best before the resume"
    assert gn.load(best).training["epoch"] == first + 1
    fresh = tmp_path / "fresh.glassnet"  # a new path after a resume is written, though no epoch beats the run's best
    _, h = gn.resume(last, X, y, epochs=14, validation_data=(Xv, yv),
                     callbacks=[gn.ModelCheckpoint(fresh, save_best_only=True)])
    assert min(h["val_loss"][12:]) > h["val_loss"][first]
    assert gn.load(fresh).training["epoch"] == 13 + int(np.argmin(h["val_loss"][12:]))
    # a callback reused by a second fit keeps its best too
    again = gn.ModelCheckpoint(best, save_best_only=True)
    model, opt = new(lr=0.2)
    h = model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), callbacks=[again], **dict(FIT, epochs=4))
    h2 = model.fit(X, y, optimizer=gn.SGD(lr=5.0), validation_data=(Xv, yv), callbacks=[again], **dict(FIT, epochs=1))
    assert h2["val_loss"][0] > min(h["val_loss"]), "the test needs a worse second fit"
    assert gn.load(best).training["epoch"] == int(np.argmin(h["val_loss"])) + 1  # not the wrecked epoch
    scores = [0.5, 0.9, np.nan, 0.6, 0.7]
    f1 = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(f1=scores[epoch]))
    new()[0].fit(X, y, **dict(FIT, epochs=5),
                 callbacks=[f1, gn.ModelCheckpoint(best, save_best_only=True, monitor="f1", mode="max")])
    assert gn.load(best).training["epoch"] == 2


@mechanics_only  # a few epochs on random labels: that the run goes on as it was
def test_a_run_with_sample_weights_resumes_with_them_and_only_with_them(tmp_path):
    """resume had no sample_weight: a weighted run went on unweighted, as another run (0.92 where 0.78)."""
    X, y, _, _ = data()
    w = np.where(y == 1, 10.0, 0.1)
    full, opt = new()
    h_full = full.fit(X, y, optimizer=opt, sample_weight=w, **dict(FIT, epochs=4))
    part, opt = new()
    path = tmp_path / "ck.glassnet"
    part.fit(X, y, optimizer=opt, sample_weight=w, callbacks=[gn.ModelCheckpoint(path)], **dict(FIT, epochs=2))
    with pytest.raises(gn.OptionError, match="sample_weight must be given to resume a run trained with it"):
        gn.resume(path, X, y, epochs=4)
    resumed, h = gn.resume(path, X, y, epochs=4, sample_weight=w)
    assert h["loss"] == h_full["loss"]
    np.testing.assert_array_equal(resumed.params, full.params)
    new()[0].fit(X, y, callbacks=[gn.ModelCheckpoint(path)], **dict(FIT, epochs=1))
    with pytest.raises(gn.OptionError, match="sample_weight was not used by the interrupted run"):
        gn.resume(path, X, y, epochs=2, sample_weight=w)


def test_a_best_kept_by_its_callbacks_mode_is_kept_so_after_a_resume(tmp_path):
    """The checkpoint kept keep_best's log but not which way EarlyStopping's mode took it: a resumed run
    compared raw values with a best stored negated."""
    X, y, Xv, yv = data()

    def stopper():
        return gn.EarlyStopping(monitor="val_loss", mode="max", patience=100)

    settings = dict(FIT, epochs=14)
    full, opt = new(lr=0.2)
    h_full = full.fit(X, y, optimizer=opt, validation_data=(Xv, yv), callbacks=[stopper()], **settings)
    assert h_full.best_epoch == int(np.argmax(h_full["val_loss"])) > 5, "the test needs a best after the resume"
    part, opt = new(lr=0.2)
    path = tmp_path / "ck.glassnet"
    part.fit(X, y, optimizer=opt, validation_data=(Xv, yv), on_interrupt="stop", **settings,
             callbacks=[stopper(), gn.ModelCheckpoint(path, every=100), CtrlC(5)])
    resumed, h = gn.resume(path, X, y, validation_data=(Xv, yv), callbacks=[stopper()])
    assert h.best_epoch == h_full.best_epoch
    np.testing.assert_array_equal(resumed.params, full.params)


class ValError(gn.Callback):
    """A metric of the user's own: the validation error rate."""

    def on_epoch_end(self, run, epoch, logs):
        logs["val_err"] = 1 - logs["val_accuracy"]


def test_a_metric_of_your_own_is_in_the_history_and_early_stopping_on_it_resumes(tmp_path):
    """Before, a callback's metric was not in the history, so a resumed EarlyStopping on it started afresh."""
    X, y, Xv, yv = data()
    settings = dict(FIT, epochs=40)

    def stopper():
        return gn.EarlyStopping(patience=2, monitor="val_err", mode="min", restore_best=False)

    full, opt = new(lr=0.2)
    h_full = full.fit(X, y, optimizer=opt, validation_data=(Xv, yv), callbacks=[ValError(), stopper()], **settings)
    assert h_full.stopped_early and h_full.n_epochs < 40
    np.testing.assert_allclose(h_full["val_err"], 1 - np.array(h_full["val_accuracy"]))

    part, opt = new(lr=0.2)
    path = tmp_path / "ck.glassnet"
    waiting = stopper()
    stop_at = h_full.n_epochs - 1  # interrupted while the stopper is already waiting
    part.fit(X, y, optimizer=opt, validation_data=(Xv, yv), on_interrupt="stop",
             callbacks=[ValError(), waiting, gn.ModelCheckpoint(path, every=100), CtrlC(stop_at)], **settings)
    assert waiting.wait > 0, "the test needs a run interrupted while its stopper waits"
    resumed, h = gn.resume(path, X, y, validation_data=(Xv, yv), callbacks=[ValError(), stopper()])
    assert h.stopped_early and h.n_epochs == h_full.n_epochs
    assert h["val_err"] == h_full["val_err"]
    np.testing.assert_array_equal(resumed.params, full.params)


def test_a_metric_written_at_some_epochs_only_keeps_one_value_per_epoch():
    X, y, _, _ = data()
    odd = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({"odd": epoch} if epoch % 2 else {}))
    h = new()[0].fit(X, y, callbacks=[odd], **dict(FIT, epochs=4))
    np.testing.assert_array_equal(h["odd"], [np.nan, 1, np.nan, 3])
    word = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({"note": "good"}))
    with pytest.raises(TypeError, match=r"logs\['note'\] must be a number.*a callback wrote 'good'"):
        new()[0].fit(X, y, callbacks=[word], **dict(FIT, epochs=1))


def test_checkpoint_keeps_the_best_weights_and_refuses_a_misshapen_array(tmp_path):
    model = gn.mlp([2, 3, 1], rng=0)
    with pytest.raises(gn.OptionError, match=r"training_arrays\['best_params'\] must .* one value per parameter"):
        gn.io.save(tmp_path / "m.glassnet", model, training_arrays={"best_params": np.zeros(3)})
    gn.io.save(tmp_path / "m.glassnet", model, training_arrays={"best_params": model.params + 1})
    ck = gn.load(tmp_path / "m.glassnet")
    np.testing.assert_array_equal(ck.training_arrays["best_params"], model.params + 1)


def test_a_model_with_nan_weights_is_refused_at_load_and_by_predict(tmp_path):
    model = gn.mlp([4, 3, 2], rng=0)
    model.params[5] = np.nan
    gn.save(tmp_path / "nan.glassnet", model)
    with pytest.raises(gn.ModelFileError, match="holds 1 weights that are NaN or infinite"):
        gn.load(tmp_path / "nan.glassnet")
    assert np.isnan(gn.load(tmp_path / "nan.glassnet", allow_nonfinite=True).model.params[5])
    with pytest.raises(gn.GlassnetError, match="the weights hold NaN"):
        model.predict(np.ones((2, 4)))
    with pytest.raises(FloatingPointError):  # still the kind of error it always was
        model.predict(np.ones((2, 4)))


def test_a_layer_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(gn.OptionError, match=r"Dense\(64, 100000000000\)'s weights would need .* of memory"):
        gn.mlp([64, 100_000_000_000, 10])


def test_all_zero_sample_weights_are_refused():
    X, y, _, _ = data()
    with pytest.raises(gn.OptionError, match="sample_weight must give some sample a positive weight"):
        new()[0].fit(X, y, sample_weight=np.zeros(len(y)), **FIT)


def test_one_output_with_softmax_cross_entropy_is_refused_with_the_alternative():
    X = np.random.default_rng(0).normal(size=(8, 4))
    with pytest.raises(gn.OptionError, match="needs one output per class.*use loss='bce'"):
        gn.mlp([4, 1], rng=0).fit(X, np.zeros(8), loss="cross_entropy")


def test_labels_given_to_a_squared_error_model_suggest_cross_entropy():
    X = np.random.default_rng(0).normal(size=(5, 64))
    with pytest.raises(gn.OptionError, match=r"received shape \(5,\)\. These look like class labels.*"
                                             "loss='cross_entropy'"):
        gn.mlp([64, 32, 10], rng=0).fit(X, np.arange(5))
    with pytest.raises(gn.OptionError) as info:  # real values: no hint
        gn.mlp([64, 32, 10], rng=0).fit(X, np.linspace(0, 1, 5))
    assert "class labels" not in str(info.value)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_fits_the_metrics_in_80_columns(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setenv("COLUMNS", "80")
    X, y, Xv, yv = data()
    stream = Terminal()
    model, opt = new()
    logs = []
    keep = gn.LambdaCallback(on_epoch_end=lambda epoch, values: logs.append(dict(values)))
    model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), callbacks=[keep, gn.ProgressBar(stream)],
              **dict(FIT, epochs=100))
    last = stream.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert "<00:00 100/100 " in last and last.endswith(format_logs(logs[-1])), last  # nothing left
    worst = format_logs({"loss": 0.012345, "accuracy": 1.0, "val_loss": 0.012345, "val_accuracy": 1.0})
    assert len(last) - len(format_logs(logs[-1])) + len(worst) <= 80


@mechanics_only  # a run on random data, for its progress lines
def test_progress_written_to_a_file_is_a_line_per_epoch_at_most_every_few_seconds():
    X, y, Xv, yv = data()
    stream = io.StringIO()
    new()[0].fit(X, y, validation_data=(Xv, yv), callbacks=[gn.ProgressBar(stream, every=0)], **FIT)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 9 and lines[0].startswith("epoch 1/9  loss ") and "val_acc" in lines[0]
    stream = io.StringIO()
    new()[0].fit(X, y, callbacks=[gn.ProgressBar(stream, every=3600)], **FIT)
    lines = stream.getvalue().splitlines()
    # the first epoch at once, then none for an hour, but the last epoch is always written
    assert len(lines) == 2 and lines[0].startswith("epoch 1/9") and lines[1].startswith("epoch 9/9")


def test_format_logs():
    text = format_logs({"loss": 0.012345, "accuracy": 0.99666, "val_loss": 0.07, "val_accuracy": 0.979, "lr": 1})
    assert text == "loss 0.01235 acc 99.7% val_loss 0.07 val_acc 97.9%"


def test_drawing_leaves_pyplot_and_the_backend_alone(tmp_path):
    """glassnet's pictures are drawn on figures of their own: pyplot is not imported, no backend is chosen for the
    user (a notebook's or a script's own figures and windows are left alone)."""
    pytest.importorskip("matplotlib")
    script = (
        "import sys, matplotlib\n"
        "from glassnet.tools import plots\n"
        "from glassnet.tools.confusion_plot import confusion_picture\n"
        f"plots.learning_curves({{'loss': [1.0, 0.5], 'accuracy': [0.5, 0.7]}}, {str(tmp_path / 'c.png')!r})\n"
        f"confusion_picture([[3, 1], [0, 4]], ['a', 'b'], {str(tmp_path / 'm.png')!r})\n"
        "try:\n"
        "    backend = matplotlib.get_backend(auto_select=False)  # None: none chosen yet\n"
        "except TypeError:  # matplotlib before 3.10 has only the private question\n"
        "    backend = matplotlib.rcParams._get_backend_or_none()\n"
        "print('matplotlib.pyplot' in sys.modules, backend)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["MATPLOTLIBRC"] = str(tmp_path)  # an empty folder: no matplotlibrc of the user's names a backend
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["False", "None"], done.stdout + done.stderr
    assert (tmp_path / "c.png").stat().st_size > 1000 and (tmp_path / "m.png").stat().st_size > 1000


def test_learning_curves_mark_the_kept_epoch_and_refuse_an_empty_history(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    from glassnet.tools import plots

    X, y, Xv, yv = data()
    model, opt = new(lr=0.2)
    history = model.fit(X, y, optimizer=opt, validation_data=(Xv, yv), keep_best=True, **FIT)
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text kept as text, to be read back
        svg = plots.learning_curves(history, tmp_path / "c.svg").read_text()
    assert f"kept (epoch {history.best_epoch + 1})" in svg
    with pytest.raises(gn.OptionError, match="the history holds no epoch to plot"):
        plots.learning_curves(gn.History(), tmp_path / "empty.png")
    assert not list(tmp_path.glob("empty*")) and not list(tmp_path.glob(".*tmp"))


def _stopped_and_resumed(tmp_path, make, **fit):
    """The params of a run of 6 epochs that ``make()`` builds, and of the same run stopped by a Ctrl-C in
    epoch 3 and resumed from its checkpoint by :func:`glassnet.resume` (given ``fit``'s augment again)."""
    X, y, _, _ = data()
    full = make()
    full.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=6, batch_size=8, verbose=False, **fit)
    part, path = make(), tmp_path / "ck.glassnet"
    part.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=6, batch_size=8, verbose=False,
             on_interrupt="stop", callbacks=[gn.ModelCheckpoint(path), CtrlC(epoch=2)], **fit)
    resumed, _ = gn.resume(path, X, y, verbose=False, **fit)
    return full.params, resumed.params


def _own():
    return gn.Sequential(gn.Dense(5, 7), gn.ReLU(), gn.Dropout(0.4, rng=5), gn.Dense(7, 3), rng=0, dtype="float64")


def _shared_with_the_model():
    g = np.random.default_rng(7)
    return gn.Sequential(gn.Dense(5, 7), gn.ReLU(), gn.Dropout(0.4, rng=g), gn.Dense(7, 3), rng=g, dtype="float64")


def _shared_by_two():
    g = np.random.default_rng(7)
    return gn.Sequential(gn.Dense(5, 7), gn.Dropout(0.3, rng=g), gn.ReLU(), gn.Dropout(0.4, rng=g), gn.Dense(7, 3),
                         rng=0, dtype="float64")


@mechanics_only
@pytest.mark.parametrize("make", [_own, _shared_with_the_model, _shared_by_two])
def test_a_dropout_with_a_generator_of_its_own_resumes_exactly(tmp_path, make):
    """The checkpoint kept the model's generator only: a Dropout(rate, rng=5) resumed drew from the model's, and
    the run ended 4e-3 to 0.45 away from the uninterrupted one, without a word. A generator shared with the model
    or by two layers stays one generator."""
    full, resumed = _stopped_and_resumed(tmp_path, make)
    np.testing.assert_array_equal(resumed, full)


@mechanics_only
def test_an_augmentation_of_your_own_resumes_in_a_new_process(tmp_path):
    """The checkpoint kept repr(augment), "<function shift at 0x7f...>", whose address differs in the process that
    resumes: the same function was refused as another. Two functions made alike stand for the two processes."""
    def made():
        def shift(batch, rng):
            return batch + rng.normal(0, 0.1, batch.shape)
        return shift
    first, second = made(), made()
    assert repr(first) != repr(second)
    X, y, _, _ = data()
    part, path = new()[0], tmp_path / "ck.glassnet"
    part.fit(X, y, loss="cross_entropy", epochs=6, batch_size=8, verbose=False, augment=first,
             on_interrupt="stop", callbacks=[gn.ModelCheckpoint(path), CtrlC(epoch=2)])
    resumed, history = gn.resume(path, X, y, verbose=False, augment=second)
    assert history.n_epochs == 6
    full, resumed = _stopped_and_resumed(tmp_path, lambda: new()[0], augment=first)
    np.testing.assert_array_equal(resumed, full)
    with pytest.raises(gn.OptionError, match=r"augment must be what the interrupted run had \(<function "
                                             r"test_an_augmentation_.*\.made\.<locals>\.shift>\) .*; received none"):
        gn.resume(path, X, y, verbose=False)


@mechanics_only
@pytest.mark.parametrize("edit, message", [
    (lambda t: t["settings"].pop("loss"), r"its training settings cannot be read \(no field 'loss'\)"),
    (lambda t: t["settings"].pop("batch_size"), r"its training settings cannot be read \(no field 'batch_size'\)"),
    (lambda t: t.pop("history"), r"its training settings cannot be read \(no field 'history'\)"),
    (lambda t: t.update(history="x"), r"its training settings cannot be read \(AttributeError: "),
    (lambda t: t.update(settings="x"), r"its training settings cannot be read \(TypeError: settings is a str\)"),
    (lambda t: t["settings"].update(loss="mse"), r"its training settings cannot be read \(ValueError: "),
    (lambda t: t.update(epoch=50), r"its run did 50 epochs of 9"),  # resumed, it trained nothing and said nothing
])
def test_a_checkpoint_with_an_edited_training_state_is_refused_by_name(tmp_path, edit, message):
    """KeyError, AttributeError or an unrelated ValueError from inside fit, naming neither file nor field."""
    from helpers import rewrite_description

    X, y, _, _ = data()
    model, opt = new()
    path = tmp_path / "ck.glassnet"
    model.fit(X, y, optimizer=opt, callbacks=[gn.ModelCheckpoint(path)], verbose=False, **FIT)
    rewrite_description(path, lambda meta: edit(meta["training"]))
    with pytest.raises(gn.errors.ModelFileError, match=r"ck.glassnet is damaged or was edited: " + message):
        gn.resume(path, X, y, verbose=False)


def test_a_path_that_ends_with_a_slash_is_refused_as_a_folder(tmp_path, monkeypatch):
    """save("models/") wrote a file named models, where the user meant a folder; ModelCheckpoint too."""
    monkeypatch.chdir(tmp_path)
    model = gn.mlp([4, 3], rng=0)
    for call in (lambda: model.save("models/"), lambda: gn.save("models/", model), lambda: gn.ModelCheckpoint("ck/")):
        with pytest.raises(IsADirectoryError, match=r"path '(models|ck)/' ends with a slash, which names a folder"):
            call()
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "run").mkdir()  # reading is another matter: the folder is named, with the file to give
    with pytest.raises(gn.errors.ModelFileError, match=r"run is a folder; give the path of a model file \(such as "
                                                       r"run/model.glassnet\)"):
        gn.load("run/")
    with pytest.raises(TypeError, match=r"ModelCheckpoint path must be a file path .*; received NoneType"):
        gn.ModelCheckpoint(None)


@mechanics_only
def test_a_run_with_validation_split_resumes_exactly_holding_out_the_same_rows(tmp_path):
    """A ModelCheckpoint of a validation_split run wrote a file that resume refused ("use validation_data"),
    known only after the interruption: the split's rows were drawn from the model's generator, which the
    checkpoint keeps as it was at the epoch's end. It now keeps the generator as the split found it."""
    from test_model_file_hostile import rewrite

    X, y, Xv, yv = data(n=90)
    fit = dict(loss="cross_entropy", optimizer="adam", epochs=6, batch_size=8, verbose=False, validation_split=0.2)
    full = gn.mlp([5, 7, 3], dropout=0.2, rng=9, dtype="float64")
    whole = full.fit(X, y, **fit)
    part, path = gn.mlp([5, 7, 3], dropout=0.2, rng=9, dtype="float64"), tmp_path / "ck.glassnet"
    part.fit(X, y, on_interrupt="stop", callbacks=[gn.ModelCheckpoint(path), CtrlC(epoch=2)], **fit)
    resumed, history = gn.resume(path, X, y, verbose=False)
    np.testing.assert_array_equal(resumed.params, full.params)
    assert history.val_loss == whole.val_loss  # the same rows held out, scored alike
    with pytest.raises(gn.OptionError, match=r"held out validation_split=0.2 of its rows, which resuming holds "
                                             r"out again: leave validation_data out"):
        gn.resume(path, X, y, validation_data=(Xv, yv))
    rewrite(path, lambda m: m["training"]["settings"].update(split_rng={"bit_generator": "os.system"}))
    with pytest.raises(gn.ModelFileError, match=r"damaged or was edited: its training settings cannot be read "
                                                r"\(ValueError: split_rng must be the state of one of NumPy's"):
        gn.resume(path, X, y)
    rewrite(path, lambda m: m["training"]["settings"].pop("split_rng"))  # as checkpoints before it were
    with pytest.raises(gn.OptionError, match="written before checkpoints kept the rows validation_split held out"):
        gn.resume(path, X, y)
