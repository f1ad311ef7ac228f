"""The command line under the mistakes people make: no lost work, no tracebacks, no silent substitutions.

Each case runs `glassnet` as a user does (a subprocess) and checks: one line on
standard error, no traceback, the documented exit status, and no model file
overwritten.
"""

import hashlib
import importlib
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet import cli
from glassnet.cli import train as train_cli
from glassnet.web import default_model
from helpers import MNIST_DIR, needs_mnist, rewrite_description, run_glassnet

pytestmark = pytest.mark.slow


def fails(*args, status=2, cwd=None):
    """Run glassnet expecting failure: the one line it prints on standard error."""
    proc = run_glassnet(*args, cwd=cwd, check=False)
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- lost work -----------------------------------------------------------------------

EPOCHS = 6  # the interrupt comes in the second epoch or so, once the first checkpoint is on disk
RUN = ("train", "--dtype", "float64", "--layers", "16", "--batch-size", "2", "--epochs", str(EPOCHS),
       "--checkpoint-every", "1", "--quiet", "--plot", "curves.png", "--validation-fraction", "0.1")


def test_ctrl_c_saves_the_best_weights_and_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    whole = tmp_path / "whole"
    run_glassnet(*RUN, "--out", whole, cwd=tmp_path)

    part = tmp_path / "part"
    # Ctrl-C as a terminal sends it: a runner that starts the tests in the background has SIGINT ignored,
    # which Python would inherit, and then no KeyboardInterrupt would ever reach the run
    proc = subprocess.Popen([sys.executable, "-m", "glassnet", *RUN, "--out", str(part)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (part / "checkpoint.glassnet").exists():  # a few epochs done
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert re.search(r"interrupted during epoch (\d+); training stopped at the end of epoch \d+", out), out
    assert f"glassnet train --resume {part / 'checkpoint.glassnet'}" in out
    saved = gn.load(part / "model.glassnet")
    ck = gn.load(part / "checkpoint.glassnet")
    done = ck.training["epoch"]
    assert 1 <= done < EPOCHS
    history = ck.training["history"]["history"]["val_loss"]
    best = int(np.argmin(history))
    np.testing.assert_array_equal(saved.model.params, ck.training_arrays["best_params"])  # the best so far
    assert ck.training["best"]["epoch"] == best

    resumed = run_glassnet("train", "--resume", part / "checkpoint.glassnet", cwd=tmp_path)
    assert f"resuming {part / 'checkpoint.glassnet'} at epoch {done + 1} of {EPOCHS}" in resumed.stdout
    np.testing.assert_array_equal(gn.load(part / "model.glassnet").model.params,
                                  gn.load(whole / "model.glassnet").model.params)
    np.testing.assert_array_equal(gn.load(part / "checkpoint.glassnet").model.params,
                                  gn.load(whole / "checkpoint.glassnet").model.params)


def test_ctrl_c_while_the_command_imports_exits_130_without_a_traceback():
    """The console script's entry point (pyproject's) imports the command line inside a guard: a Ctrl-C in
    its first fifth of a second, NumPy's import, printed Python's traceback."""
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    module, function = re.search(r'^glassnet = "([\w.]+):(\w+)"$', pyproject, re.M).groups()  # [project.scripts]
    code = ("import sys\n"
            "class CtrlC:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'glassnet.cli':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, CtrlC())\n"
            f"from {module} import {function}\n"
            f"sys.exit({function}())\n")
    done = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (130, "")
    done = subprocess.run([sys.executable, "-m", "glassnet", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and gn.__version__ in done.stdout


@pytest.mark.parametrize("resume", [False, True])
def test_ctrl_c_before_an_epoch_is_complete_writes_nothing(tmp_path, monkeypatch, capsys, resume):
    """Stopped in its first epoch, a run has learned nothing: the model of an earlier run at the same path is
    kept as it was, and no checkpoint that was not written is offered to resume."""
    out = tmp_path / "out"
    args = ["train", "--layers", "8", "--epochs", "2", "--validation-fraction", "0.1", "--quiet", "--out", str(out)]
    assert cli.main(args) == 0
    kept = {p.name: p.read_bytes() for p in out.iterdir()}
    ck = out / "checkpoint.glassnet"
    if resume:  # a copy, so that its own model file is the one at risk
        ck = tmp_path / "ck" / "checkpoint.glassnet"
        ck.parent.mkdir()
        ck.write_bytes(kept["checkpoint.glassnet"])
        (ck.parent / "model.glassnet").write_bytes(kept["model.glassnet"])
        kept = {p.name: p.read_bytes() for p in ck.parent.iterdir()}
    capsys.readouterr()

    def ctrl_c(self, run, batch, cost):  # as if the user pressed Ctrl-C at the third batch
        if batch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(gn.ModelCheckpoint, "on_batch_end", ctrl_c)
    status = cli.main(["train", "--resume", str(ck), "--epochs", "4", "--quiet"] if resume else args)
    printed = capsys.readouterr().out
    assert status == 130
    done = 2 if resume else 0
    assert f"interrupted during epoch {done + 1}; training stopped where it started" in printed
    assert "no epoch was complete: nothing was written" in printed
    assert ("glassnet train --resume" in printed) == resume and (not resume or str(ck) in printed)
    folder = ck.parent if resume else out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == kept



@pytest.mark.parametrize(("options", "message"), [
    (["--model", "{out}/x.png", "--plot", "{out}/x.png"], "--plot and --model name the same file"),
    (["--checkpoint", "{out}/learning_curves.png"], "--plot and --checkpoint name the same file"),
    (["--model", "{out}/confusion_matrix.png"], "the confusion-matrix picture and --model name the same file"),
])
def test_two_outputs_of_one_run_are_never_the_same_file(tmp_path, capsys, options, message):
    out = tmp_path / "out"
    out.mkdir()
    status = cli.main(["train", "--epochs", "1", "--quiet", "--out", str(out),
                       *[o.format(out=out) for o in options]])
    assert status == 2 and message in capsys.readouterr().err
    assert not list(out.iterdir())


def test_the_confusion_picture_goes_beside_the_learning_curves(tmp_path, capsys):
    """With --model, --checkpoint and --plot all elsewhere, the confusion picture still went into --out, over
    another run's, so that folder paired two runs' files."""
    first = tmp_path / "glassnet-out"
    first.mkdir()
    (first / "confusion_matrix.png").write_bytes(b"another run's picture")
    other = tmp_path / "other"
    other.mkdir()
    assert cli.main(["train", "--epochs", "1", "--layers", "4", "--quiet", "--out", str(first),
                     "--model", str(other / "m.glassnet"), "--checkpoint", str(other / "ck.glassnet"),
                     "--plot", str(other / "curves.png")]) == 0
    assert f"confusion matrix drawn in {other / 'confusion_matrix.png'}" in capsys.readouterr().out
    assert (first / "confusion_matrix.png").read_bytes() == b"another run's picture"


def test_a_run_may_write_inside_the_mnist_folder_it_reads(tmp_path, capsys, monkeypatch):
    """MNIST is read by its four file names, so writing beside them changes nothing a run reads: only picture
    folders refuse outputs inside them (the folder check refused `cd mnist && glassnet train --data .`)."""
    (tmp_path / "mn").mkdir()
    monkeypatch.chdir(tmp_path / "mn")

    def reached(*args, **kwargs):
        raise train_cli.UserError("the outputs were accepted and the data is read next")

    monkeypatch.setattr(train_cli, "load_data", reached)
    assert cli.main(["train", "--dataset", "mnist", "--data", "."]) == 2
    assert "the outputs were accepted" in capsys.readouterr().err
    (tmp_path / "mn" / "train-labels-idx1-ubyte.gz").write_bytes(b"the labels")  # but its files are inputs
    assert cli.main(["train", "--dataset", "mnist", "--data", ".", "--model", "train-labels-idx1-ubyte.gz"]) == 2
    assert "--model 'train-labels-idx1-ubyte.gz' is also one of the command's inputs" in capsys.readouterr().err


def test_lr_find_never_plots_over_the_model_it_reads(tmp_path, capsys):
    model = gn.save(tmp_path / "m.png", gn.mlp([64, 8, 10], rng=0))  # a model file may have any name
    before = model.read_bytes()
    assert cli.main(["lr-find", str(model), "--plot", str(model)]) == 2
    assert "is also one of the command's inputs, which would be overwritten" in capsys.readouterr().err
    assert model.read_bytes() == before


def test_a_mistyped_option_points_to_its_commands_help_and_the_option_meant(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["train", "--epohcs", "5"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == ("glassnet train: error: unrecognized arguments: --epohcs 5; did you mean "
                                       "--epochs? (see glassnet train --help)\n")
    with pytest.raises(SystemExit):  # nothing near: no guess (the shared dashes made --out one for --gpu)
        cli.main(["train", "--gpu"])
    assert capsys.readouterr().err == ("glassnet train: error: unrecognized arguments: --gpu (see glassnet train "
                                       "--help)\n")
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "m.glassnet", "stray"])
    assert "glassnet evaluate: error: unrecognized arguments: stray (see glassnet evaluate --help)" in \
        capsys.readouterr().err


@pytest.mark.parametrize("layers", ["256,,128", "256,", ",128", ""])
def test_layers_with_a_width_left_out_are_refused(layers, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a run taken by mistake would write
    with pytest.raises(SystemExit):
        cli.main(["train", "--layers", layers])
    assert f"--layers: expected whole numbers of at least 1 separated by commas, such as 256,128; received " \
           f"'{layers}'" in capsys.readouterr().err


def test_lr_find_refuses_a_falling_range_before_reading_the_model(tmp_path, capsys, monkeypatch):
    from glassnet.cli import diagnose

    def reached(*args, **kwargs):
        raise AssertionError("the model and the data were read before the range was checked")

    monkeypatch.setattr(diagnose, "model_or_default", reached)
    assert cli.main(["lr-find", str(tmp_path / "missing.glassnet"), "--start", "10", "--stop", "1"]) == 2
    assert "--stop must be larger than --start; received --start 10, --stop 1" in capsys.readouterr().err


def test_resume_refuses_changed_settings_and_non_checkpoints(tmp_path):
    run_glassnet("train", "--layers", "8", "--epochs", "3", "--validation-fraction", "0.1", "--out", tmp_path / "o",
                 "--quiet", cwd=tmp_path)
    ck = tmp_path / "o" / "checkpoint.glassnet"
    assert "--lr cannot change when resuming" in fails("train", "--resume", ck, "--lr", "0.5")
    # as the options are written: it said (--layers [8]) and (--patience None)
    assert "(--layers 8);" in fails("train", "--resume", ck, "--layers", "16")
    assert "(--patience not given);" in fails("train", "--resume", ck, "--patience", "3")
    assert "has already done 3 epochs" in fails("train", "--resume", ck, "--epochs", "2")
    # the model a run wrote: the message names the checkpoint beside it (it sent the user to glassnet.resume)
    assert "model.glassnet is the model a run of glassnet train wrote, not its checkpoint: resume from " \
        "checkpoint.glassnet beside it" in fails("train", "--resume", tmp_path / "o" / "model.glassnet")
    run_glassnet("train", "--optimizer", "lbfgs", "--epochs", "2", "--out", tmp_path / "q", "--quiet", cwd=tmp_path)
    assert "wrote; such runs write no checkpoint and cannot be resumed" in fails(
        "train", "--resume", tmp_path / "q" / "model.glassnet")  # not sent to a checkpoint that is not there
    gn.save(tmp_path / "own.glassnet", gn.mlp([64, 8, 10], rng=0))
    assert "is not a checkpoint of glassnet train; continue a run started from Python with glassnet.resume" \
        in fails("train", "--resume", tmp_path / "own.glassnet")
    more = run_glassnet("train", "--resume", ck, "--epochs", "5", "--quiet", cwd=tmp_path).stdout
    assert "at epoch 4 of 5" in more and "kept the weights of epoch" in more
    # the digits run's cosine reached 0 at its third and last epoch; taken to 5, it follows a cosine over 5
    # (before, epochs 4 and 5 ran at a rate of 0 and trained nothing)
    lr = gn.load(ck).training["history"]["history"]["lr"]
    np.testing.assert_allclose(lr[3:], [0.002 * (1 + np.cos(np.pi * e / 5)) / 2 for e in (3, 4)], rtol=1e-12)
    assert lr[2] == pytest.approx(0.002 * (1 + np.cos(np.pi * 2 / 3)) / 2, rel=1e-12)  # the first run's own
    # a checkpoint edited to lose its count of epochs (its checksum made again): one line, where info and
    # --resume ended in a KeyError
    edited = tmp_path / "edited.glassnet"
    edited.write_bytes(ck.read_bytes())
    rewrite_description(edited, lambda meta: meta["training"].pop("epochs"))
    damaged = "is damaged or was edited: a checkpoint's epoch and epochs must be whole numbers of at least 0; " \
              "received 5 and None"
    assert damaged in fails("info", edited)
    assert damaged in fails("train", "--resume", edited, "--epochs", "6")
    with pytest.raises(gn.errors.ModelFileError, match=damaged):
        gn.resume(edited, np.zeros((1, 64)), np.zeros(1, int))


@pytest.mark.parametrize("args, message", [
    (["--model", "nodir/sub/m.glassnet"], "--model: the folder 'nodir/sub' of 'nodir/sub/m.glassnet' does not exist"),
    (["--out", "afile"], "--out must be a folder (made if missing), but 'afile' is a file"),
    (["--plot", "nodir2/p.png"], "--plot: the folder 'nodir2' of 'nodir2/p.png' does not exist"),
    (["--plot", "curves.xyz"], "--plot must end with a picture format matplotlib writes"),
    (["--model", "."], "--model must name a file, but '.' is a folder"),
])
def test_bad_output_paths_fail_at_once_before_any_training(tmp_path, args, message, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("keep me")
    loaded = []
    monkeypatch.setattr(train_cli, "load_data", lambda *a, **k: loaded.append(a))
    assert cli.main(["train", *args]) == 2
    assert not loaded  # refused before any data was read
    captured = capsys.readouterr()
    assert message in captured.err and captured.out.count("\n") <= 0, captured  # no data loaded, no epoch
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize(("optimizer", "lr"), [("adam", 1), ("adamw", 1), ("rmsprop", 1), ("sgd", 50)])
def test_divergence_stops_once_exits_3_and_writes_nothing(tmp_path, optimizer, lr):
    """Adam at lr=1 once ran to the end at chance level, exit 0, and wrote its model over the last one."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "model.glassnet").write_bytes(b"an earlier model")
    line = fails("train", "--optimizer", optimizer, "--lr", lr, "--out", out, "--quiet", status=3)
    assert re.search(r"training diverged at epoch 1, batch \d+: the cost (grew to [\d.e+]+, over 10 times its level "
                     r"before training \([\d.]+\)|became (nan|inf)).*The weights from before training were kept\. "
                     rf"Try a smaller learning rate, such as lr={lr / 10:g} \(a tenth of the {lr:g} used\)\. "
                     r"Nothing was written\.", line), line
    assert (out / "model.glassnet").read_bytes() == b"an earlier model"
    assert not (out / "learning_curves.png").exists() and not (out / "checkpoint.glassnet").exists()


def test_a_run_that_fails_after_a_checkpoint_leaves_the_earlier_one_as_it_was(tmp_path):
    """The checkpoint of a run that learned nothing (or diverged after its first epochs) replaced the last
    run's, under "Nothing was written"; the message also named the rate the cosine had fallen to (2e-11)."""
    out = tmp_path / "o"
    assert cli.main(["train", "--layers", "8", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    failing = ["train", "--layers", "8", "--epochs", "3", "--lr", "1e-9", "--checkpoint-every", "1", "--quiet"]
    line = fails(*failing, "--out", out, status=3)
    assert "training ended no better than chance" in line and "(lr=1e-09 was used)" in line
    assert line.endswith("Nothing was written.")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no file left aside either
    fails(*failing, "--out", tmp_path / "fresh", status=3)
    assert not (tmp_path / "fresh" / "checkpoint.glassnet").exists()
    # a checkpoint named through a link: the file it names is put back, not the link
    (tmp_path / "real.glassnet").write_bytes(before["checkpoint.glassnet"])
    (tmp_path / "link.glassnet").symlink_to(tmp_path / "real.glassnet")
    fails(*failing, "--out", tmp_path / "l", "--checkpoint", tmp_path / "link.glassnet", status=3)
    assert (tmp_path / "real.glassnet").read_bytes() == before["checkpoint.glassnet"]


def test_data_given_for_the_digits_is_refused_not_ignored(tmp_path):
    """glassnet train --data file.csv (no --dataset) trained the 8x8 digits, exit 0, and evaluate --data scored
    a digits model on the digits whatever the path."""
    line = fails("train", "--data", tmp_path / "ab.csv", "--epochs", "1", "--out", tmp_path / "o")
    assert re.search(r"--data .*ab\.csv names data for --dataset mnist, csv or folder, but the dataset is the 8x8 "
                     r"digits, which ship with glassnet: for a CSV file, give --dataset csv --target COLUMN", line)
    assert not (tmp_path / "o").exists()
    line = fails("train", "--dataset", "digits", "--data", tmp_path, "--epochs", "1")
    assert "for MNIST's four files give --dataset mnist; for a folder of pictures" in line
    out = tmp_path / "m"
    assert cli.main(["train", "--layers", "8", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    line = fails("evaluate", out / "model.glassnet", "--data", tmp_path / "nowhere")
    assert "names data for --dataset mnist, csv or folder, but the dataset is the 8x8 digits" in line


# --- tracebacks and wrong exits ----------------------------------------------------------


def test_a_layer_too_large_for_memory_is_one_line():
    # 96,857 GiB: too large for any machine (a width of 10^8 needs 97 GiB, which a large CI host may have free)
    line = fails("train", "--layers", "100000000000")
    assert "Dense(64, 100000000000)'s weights would need 96,857.5 GiB of memory" in line and "free" in line


def test_a_model_with_nan_weights_is_refused_by_predict_evaluate_and_serve(tmp_path):
    model = gn.mlp([64, 8, 10], rng=0)
    model.params[:] = np.nan
    path = gn.save(tmp_path / "nan.glassnet", model, metadata={"dataset": "digits", "image_shape": [8, 8]})
    Image.new("L", (40, 40), 255).save(tmp_path / "p.png")
    for args in (["predict", path, tmp_path / "p.png"], ["evaluate", path], ["serve", path, "--port", "1"]):
        assert "weights that are NaN or infinite" in fails(*args)
    assert "WARNING: some weights are NaN" in run_glassnet("info", path).stdout


# --- silent substitutions --------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "argument --epochs: expected a whole number from 1 to 100000; received 0"),
    (["--epochs", "1.5"], "argument --epochs: expected a whole number from 1 to 100000; received '1.5'"),
    (["--lr", "0"], "argument --lr: expected a number greater than 0; received '0'"),
    (["--lr", "nan"], "argument --lr: expected a number greater than 0; received 'nan'"),
    (["--seed", "-1"], "argument --seed: expected a whole number of at least 0; received -1"),
    (["--dropout", "1"], "argument --dropout: expected a number in [0, 1); received '1'"),
    (["--test-fraction", "0"], "argument --test-fraction: expected a number in (0, 1); received '0'"),
    (["--optimizer", "bfgs", "--lr", "0.1"], "--lr does not apply to --optimizer bfgs"),
    (["--momentum", "0.9"], "--momentum applies to --optimizer sgd; received --optimizer adam"),
    (["--optimizer", "lbfgs", "--batch-size", "32"],  # was ignored without a word
     "--batch-size 32 applies to gradient descent; --optimizer lbfgs takes the whole set at every step"),
    (["--task", "regress"], "--task and --target apply to --dataset csv"),
    (["--keep-best", "val_accuracy", "--validation-fraction", "0"], "--keep-best val_accuracy needs a validation set"),
])
def test_every_option_is_checked_and_named(args, message):
    assert message in fails("train", *args)


def test_an_empty_argument_is_refused_not_replaced_by_a_default(tmp_path, monkeypatch, capsys):
    """--out "$UNSET" trained and wrote into glassnet-out, the default, as if --out had not been given."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--out", "", "--epochs", "1", "--quiet"]) == 2
    assert "glassnet train: error: argument --out: expected a value; received an empty string" \
        in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    assert cli.main(["predict", "", "x.png"]) == 2
    assert "argument MODEL: expected a value; received an empty string" in capsys.readouterr().err


def test_predict_reads_a_csv_without_a_header_as_data_and_goes_on_after_a_bad_input(tmp_path):
    r = np.random.default_rng(0)
    X = r.normal(size=(120, 3))
    rows = "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{'hi' if a + b > 0 else 'lo'}" for a, b, c in X)
    (tmp_path / "t.csv").write_text("f1,f2,f3,kind\n" + rows + "\n")
    run_glassnet("train", "--dataset", "csv", "--data", tmp_path / "t.csv", "--target", "kind", "--epochs", "40",
                 "--out", tmp_path / "o", "--quiet")
    model = tmp_path / "o" / "model.glassnet"
    (tmp_path / "bare.csv").write_text("2,2,0\n-2,-2,0\n")
    (tmp_path / "reordered.csv").write_text("f3,kind,f2,f1\n0,?,2,2\n")
    (tmp_path / "other.csv").write_text("a,b,c\n1,2,3\n")
    proc = run_glassnet("predict", model, tmp_path / "bare.csv", tmp_path / "missing.png", tmp_path / "other.csv",
                        tmp_path / "reordered.csv", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "bare.csv: no header row, so every line is data" in proc.stdout
    assert "bare.csv line 1: hi" in proc.stdout and "bare.csv line 2: lo" in proc.stdout  # no row dropped
    assert "reordered.csv line 2: hi" in proc.stdout  # columns taken by name
    errors = proc.stderr.strip().splitlines()
    assert "missing.png: this model takes 3 features, not a picture" in errors[0]
    assert "other.csv lacks the column(s) 'f1', 'f2', 'f3'" in errors[1]
    assert errors[2] == "glassnet: 2 of 4 inputs could not be predicted"
    (tmp_path / "narrow.csv").write_text("1,2\n")
    assert "has no header row and 2 columns, but the model takes 3" in fails("predict", model, tmp_path / "narrow.csv")


def test_predict_reads_a_header_of_numbers_by_name_and_refuses_a_name_given_twice(tmp_path):
    """Columns named 2020 and 2021: a first row of numbers was data, so the header was predicted as a row and
    the next read in the file's order, not by name (now refused as ambiguous, with the way out); a column
    named twice was read as its first."""
    r = np.random.default_rng(0)
    X = r.normal(size=(120, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{'pos' if a > b else 'neg'}" for a, b in X)
    (tmp_path / "t.csv").write_text("2020,2021,y\n" + rows + "\n")
    run_glassnet("train", "--dataset", "csv", "--data", tmp_path / "t.csv", "--target", "y", "--epochs", "40",
                 "--out", tmp_path / "o", "--quiet")
    model = tmp_path / "o" / "model.glassnet"
    (tmp_path / "swapped.csv").write_text("2021,2020\n-0.9,0.9\n")
    assert "swapped.csv: its first row, '2021', '2020', names the model's features but is all numbers, so it " \
           "could be the header or data: add a column whose name is not a number" in fails(
               "predict", model, tmp_path / "swapped.csv")
    (tmp_path / "named.csv").write_text("2021,2020,id\n-0.9,0.9,a\n")  # the way out: read by name
    out = run_glassnet("predict", model, tmp_path / "named.csv").stdout
    assert "named.csv line 2: pos" in out and "line 1" not in out
    (tmp_path / "twice.csv").write_text("2020,2020,2021,id\n1,2,3,a\n")
    assert "names the column(s) '2020' more than once" in fails("predict", model, tmp_path / "twice.csv")


def test_class_names_print_without_their_control_characters(tmp_path):
    """A model file's class names reached the terminal raw: ESC sequences cleared the screen, set the title."""
    path = tmp_path / "m.glassnet"
    names = ["\x1b[2J\x1b[31mcat", "\x1b]0;pwned\x07dog"]
    gn.save(path, gn.mlp([2, 3, 2], rng=0), metadata={"classes": names, "task": "classification"})
    (tmp_path / "x.csv").write_text("0.1,0.2\n-3,4\n")
    for command in (("predict", path, tmp_path / "x.csv"), ("info", path)):
        out = run_glassnet(*command).stdout
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b[2J\\x1b[31mcat" in out or "\\x1b]0;pwned\\x07dog" in out  # shown, escaped


def test_predict_names_a_value_beyond_float32_and_a_file_of_no_rows(tmp_path):
    """1e39 printed NumPy's two-line overflow warning, then "X must hold finite values"; a file of a header
    alone, "X must not be empty; received shape (0, 2)"."""
    path = tmp_path / "m.glassnet"
    gn.save(path, gn.mlp([2, 3, 2], rng=0), metadata={"classes": ["a", "b"], "task": "classification",
                                                          "feature_names": ["u", "v"]})
    (tmp_path / "big.csv").write_text("u,v\n0.1,0.2\n1e39,3\n")
    line = fails("predict", path, tmp_path / "big.csv")
    assert line.endswith("big.csv holds values too large for float32 (up to 1e+39, where float32 holds at most "
                         "3.4e+38): scale them down, or use float64")
    (tmp_path / "header.csv").write_text("u,v\n")
    assert fails("predict", path, tmp_path / "header.csv").endswith("header.csv holds a header row but no data rows")


def test_a_run_refused_after_it_made_its_folder_leaves_none_and_says_why_in_the_commands_terms(tmp_path):
    """A target of one class was refused by the loss ("softmax cross-entropy needs one output per class ...
    use loss='bce'") after the model's summary, and the empty --out folder stayed; a validation share too
    small named train_test_split's test_fraction."""
    (tmp_path / "one.csv").write_text("a,y\n" + "".join(f"{i},p\n" for i in range(30)))
    line = fails("train", "--dataset", "csv", "--data", tmp_path / "one.csv", "--target", "y", "--epochs", "1",
                 "--out", tmp_path / "o1")
    assert line.endswith("the training rows hold one class only, 'p': a classifier needs two or more (--target y "
                         "names a column of one value)")
    (tmp_path / "few.csv").write_text("a,y\n" + "".join(f"{i},{'pq'[i % 2]}\n" for i in range(6)))
    line = fails("train", "--dataset", "csv", "--data", tmp_path / "few.csv", "--target", "y", "--epochs", "1",
                 "--validation-fraction", "0.1", "--out", tmp_path / "o2")
    assert "--validation-fraction 0.1 leaves no row for training or none for validation, of the 5 training " \
           "rows" in line and "test_fraction" not in line
    fails("train", "--epochs", "1", "--out", tmp_path / "o3", "--model", tmp_path / "o3" / "x.glassnet",
          "--checkpoint", tmp_path / "o3" / "x.glassnet")
    fails("train", "--dataset", "csv", "--data", tmp_path / "one.csv", "--target", "y", "--epochs", "1",
          "--out", tmp_path / "o4" / "deeper" / "run")  # the folders it made above --out went too (o4 stayed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["few.csv", "one.csv"]  # no folder left behind
    kept = tmp_path / "kept"
    kept.mkdir()
    fails("train", "--dataset", "csv", "--data", tmp_path / "one.csv", "--target", "y", "--out", kept)
    assert kept.is_dir()  # a folder that was there before is the user's


@pytest.mark.parametrize("command", ["gradcheck", "diagnose", "lr-find"])
def test_the_tool_commands_take_the_data_options_their_messages_ask_for(tmp_path, command):
    """A teach page's model names the dataset 'teach': the tools said "give --dataset", which they lacked."""
    path = tmp_path / "taught.glassnet"
    gn.save(path, gn.mlp([64, 8, 10], rng=0), metadata={"dataset": "teach", "classes": list("0123456789")})
    assert "names a dataset glassnet does not know, 'teach': give --dataset" in fails(command, path)
    extra = ["--steps", "5", "--plot", str(tmp_path / "sweep.png")] if command == "lr-find" else []
    done = run_glassnet(command, path, "--dataset", "digits", *extra, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "--data applies with a model file" in fails(command, "--data", tmp_path / "x.csv")


def test_inputs_that_are_not_files_are_named_for_what_they_are(tmp_path):
    """A device or a FIFO given as a CSV file or a picture was "not found" (and a FIFO could block the read);
    one of MNIST's files given for its folder was "MNIST folder not found" though it was there."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    model = tmp_path / "m.glassnet"
    gn.save(model, gn.mlp([64, 3, 10], rng=0), metadata={"dataset": "digits", "image_shape": [8, 8]})
    assert fails("train", "--dataset", "csv", "--data", "/dev/null", "--target", "y").endswith(
        "/dev/null is a character device, not a CSV file")
    line = fails("predict", model, fifo)
    assert line.endswith("pipe is a FIFO (named pipe), not a picture file")
    gz = tmp_path / "train-images-idx3-ubyte.gz"
    gz.write_bytes(b"")
    assert fails("train", "--dataset", "mnist", "--data", gz).endswith(
        f"{gz} is not a folder; MNIST's four files are read from a folder: give the folder that holds it, {tmp_path}")
    assert "CSV file not found: " in fails("train", "--dataset", "csv", "--data", tmp_path / "no.csv", "--target", "y")


def test_the_plot_is_written_in_the_format_its_name_says(tmp_path):
    out = run_glassnet("train", "--layers", "8", "--epochs", "2", "--out", tmp_path, "--plot", tmp_path / "c.jpg",
                       "--quiet", "--keep-best", "last").stdout
    assert "kept the weights" not in out  # --keep-best last: the last epoch's weights
    assert (tmp_path / "c.jpg").read_bytes()[:2] == b"\xff\xd8"  # JPEG, not PNG bytes
    assert not list(tmp_path.glob(".c.jpg*"))


def test_a_csv_of_whole_number_prices_is_regression_in_the_target_units(tmp_path):
    r = np.random.default_rng(1)
    X = r.uniform(0, 10, size=(300, 2))
    price = np.round(100 + 40 * X[:, 0] + 15 * X[:, 1])  # whole numbers, hundreds of distinct values
    rows = "\n".join(f"{a:.3f},{b:.3f},{p:.1f}" for (a, b), p in zip(X, price))
    (tmp_path / "houses.csv").write_text("rooms,age,price\n" + rows + "\n")
    out = run_glassnet("train", "--dataset", "csv", "--data", tmp_path / "houses.csv", "--target", "price",
                       "--out", tmp_path / "o", "--quiet").stdout
    assert re.search(r"task: regression: the target 'price' holds \d{3} distinct whole numbers", out)
    rmse, r2 = re.search(r"test set: +RMSE ([\d.]+) +MAE [\d.]+ +R² ([\d.]+)", out).groups()
    assert float(rmse) < 0.1 * price.std() and float(r2) > 0.98  # learned, in the target's units
    (tmp_path / "new.csv").write_text("rooms,age\n5,5\n")
    value = float(run_glassnet("predict", tmp_path / "o" / "model.glassnet", tmp_path / "new.csv")
                  .stdout.split(":")[-1])
    assert abs(value - (100 + 200 + 75)) < 15  # in dollars, not standardized units
    # hundreds of prices taken as classes, for one epoch: done as asked, and found to have learned nothing
    forced = run_glassnet("train", "--dataset", "csv", "--data", tmp_path / "houses.csv", "--target", "price",
                          "--task", "classify", "--epochs", "1", "--out", tmp_path / "c", "--quiet",
                          "--validation-fraction", "0", "--test-fraction", "0.5", "--lr", "1e-6", check=False)
    assert "task: classification, as asked" in forced.stdout and forced.returncode == 3
    assert "training ended no better than chance" in forced.stderr and not (tmp_path / "c" / "model.glassnet").exists()


def test_a_constant_decimal_column_is_left_unscaled_so_a_new_value_moves_predictions_little(tmp_path):
    """A column of 0.1 read as float32 had a standard deviation of 1.5e-8 from rounding, not 0, so it was
    divided by it: a new row with 0.11 moved the prediction from 2.1 to 73,470."""
    from glassnet.cli.data import standardize

    mean, scale = standardize(np.full((1000, 2), [0.1, 3.3], np.float32))
    assert scale == [1.0, 1.0] and mean == pytest.approx([0.1, 3.3])
    assert standardize(np.array([[1e20], [2e20], [3e20]], np.float32))[1] == pytest.approx([8.164966e19])  # not inf
    # nor constant where the squares overflow: 1e300 and -1e300 vary
    assert standardize(np.array([[1e300], [-1e300]])) == ([0.0], [1e300])
    r = np.random.default_rng(0)
    x = r.uniform(0, 1, 300)
    (tmp_path / "rate.csv").write_text("x1,rate,y\n" + "".join(f"{a:.4f},0.1,{2 * a + 1:.4f}\n" for a in x))
    run_glassnet("train", "--dataset", "csv", "--data", tmp_path / "rate.csv", "--target", "y", "--out",
                 tmp_path / "o", "--quiet")
    (tmp_path / "new.csv").write_text("x1,rate\n0.5,0.1\n0.5,0.11\n")
    said = run_glassnet("predict", tmp_path / "o" / "model.glassnet", tmp_path / "new.csv").stdout
    at, near = [float(line.split(":")[-1]) for line in said.splitlines() if " line " in line]
    assert abs(at - 2.0) < 0.2 and abs(near - at) < 0.5


# --- friction ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_gradcheck_passes_on_the_model_make_run_makes(digits_run, seed, capsys):
    cwd, _ = digits_run
    status = cli.main(["gradcheck", str(cwd / "glassnet-out" / "model.glassnet"), "--seed", str(seed)])
    assert status == 0, capsys.readouterr().out


def test_gradcheck_takes_tol_and_eps(digits_run, capsys):
    cwd, _ = digits_run
    model = str(cwd / "glassnet-out" / "model.glassnet")
    assert cli.main(["gradcheck", model, "--eps", "1e-2"]) == 1  # a coarse step: O(eps^2) truncation error
    out = capsys.readouterr().out
    assert "gradient check FAILED" in out and "at a kink" in out  # and more inputs cross a kink
    assert cli.main(["gradcheck", model, "--eps", "1e-2", "--tol", "1e-3"]) == 0
    # a step of 1e308 overflowed into RuntimeWarnings and a report that blamed backpropagation
    assert "argument --eps: expected a number in (0, 1]; received '1e308'" in fails("gradcheck", "--eps", "1e308")
    assert "relative error < 0.001" in capsys.readouterr().out


def test_serve_uses_the_dataset_asked_for_never_a_stale_cache(tmp_path):
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    gn.save(cache / "models" / "digits-8x8-cnn.glassnet", gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8]})
    with pytest.raises(gn.DataError, match="--data .*nowhere: MNIST folder not found"):
        default_model(str(tmp_path / "nowhere"), cache=cache)
    mnist = gn.save(cache / "models" / "digits-mnist-cnn.glassnet", gn.mlp([784, 10], rng=0),
                    metadata={"image_shape": [28, 28]})
    assert default_model(None, cache=cache).model.in_features == 784
    assert mnist.exists()


def test_serve_finds_its_cached_model_under_a_data_folder_given_with_a_tilde(tmp_path, monkeypatch):
    """GLASSNET_DATA=~/... is the home folder's, for the page's models as for MNIST's files, never a folder named ~."""
    import glassnet.web.model_choice as model_choice

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GLASSNET_DATA", "~/data")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "models").mkdir(parents=True)
    kept = gn.save(tmp_path / "data" / "models" / "digits-mnist-cnn.glassnet", gn.mlp([784, 10], rng=0),
                   metadata={"image_shape": [28, 28]})

    def no_training(*args, **kwargs):
        raise AssertionError("the cached model was not found: it would be trained again")

    monkeypatch.setattr(model_choice, "_train_default", no_training)
    monkeypatch.setattr(model_choice.datasets, "load_mnist", no_training)
    lines = []
    assert default_model(announce=lines.append).model.in_features == 784
    assert lines[0].startswith(f"serving the default MNIST model, cached in {kept}")


@needs_mnist
def test_serve_with_mnist_data_ignores_a_cached_digits_model(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    gn.save(cache / "models" / "digits-8x8-cnn.glassnet", gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8]})
    fitted = []
    monkeypatch.setattr(gn.Sequential, "fit", lambda self, *a, **k: fitted.append((self.in_features, k["verbose"])))
    ck = default_model(str(MNIST_DIR), cache=cache)
    assert fitted == [(784, True)] and ck.model.in_features == 784  # progress shows, in a log too
    lines = []
    again = default_model(str(MNIST_DIR), cache=cache, announce=lines.append)  # cached for the same data
    assert fitted == [(784, True)] and again.model.in_features == 784
    assert lines == [f"serving the default MNIST model, cached in {cache / 'models' / 'digits-mnist-cnn.glassnet'} "
                     f"(mnist, test accuracy {again.metadata['test_accuracy']:.2%}); the files in {MNIST_DIR} are "
                     "MNIST's, on which it was trained"]


def test_missing_web_dependencies_name_the_install_from_the_checkout():
    message = str(gn.errors.missing("flask", "web", "the web app"))
    assert "-m pip install -e '.[web]'" in message and sys.executable in message
    assert "pip install 'glassnet[" not in message  # not a registry package of that name


def test_compare_solvers_shows_each_learning_rate_and_why_it_stopped(tmp_path):
    out = run_glassnet("compare-solvers", "--epochs", "300").stdout
    assert re.search(r"momentum 0\.9 +0\.1 ", out) and re.search(r"batch GD +1 ", out)
    assert "ran all 300 epochs" in out
    assert re.search(r"L-BFGS +- .*\n +L-BFGS-B: ", out)  # a long reason, wrapped under its row
    assert "plot" not in out
    assert "--plot must end with a picture format" in fails("compare-solvers", "--plot", tmp_path / "x.nope")


def test_help_documents_the_exit_statuses(capsys):
    text = " ".join(run_glassnet("train", "--help").stdout.split())  # argparse wraps the epilog as it likes
    assert "3 training diverged" in text and "130 interrupted" in text
    for command in ("predict", "gradcheck", "export"):  # each command that can end in more than 0 or 2
        with pytest.raises(SystemExit) as done:
            cli.main([command, "--help"])
        assert done.value.code == 0
        help_text = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0 done; 1 a check failed" in help_text and "141 the output was closed" in help_text, \
            command


def test_output_closed_early_ends_quietly(tmp_path, monkeypatch, capsys):
    """`glassnet info MODEL | head -1`: the reader goes away; no "Broken pipe" error, exit status 141."""
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([4, 3, 2], rng=0))
    read, write = os.pipe()
    os.close(read)  # nobody reads: every write fails with EPIPE
    closed = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", closed)
    assert cli.main(["info", str(path)]) == 141
    assert "Broken pipe" not in capsys.readouterr().err
    # predict took it for each input's failure: "t.csv: [Errno 32] Broken pipe", and exit status 2
    rows = tmp_path / "rows.csv"
    rows.write_text("".join(f"{i},{i},{i},{i}\n" for i in range(5000)))
    read, write = os.pipe()  # the first pipe's end was pointed at /dev/null when info ended
    os.close(read)
    again = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", again)
    assert cli.main(["predict", str(path), str(rows), str(rows)]) == 141
    assert "Broken pipe" not in capsys.readouterr().err
    monkeypatch.undo()
    try:
        again.close()
    except OSError:
        pass
    monkeypatch.undo()
    try:
        closed.close()
    except OSError:
        pass


def test_running_out_of_memory_says_so_even_when_the_error_has_no_words(monkeypatch, capsys):
    """NumPy's MemoryError names the array; one raised bare printed "not enough memory ()"."""
    def greedy(args):
        raise MemoryError()
    monkeypatch.setattr(importlib.import_module("glassnet.cli.use"), "cmd_info", greedy)
    assert cli.main(["info", "any.glassnet"]) == 2
    assert capsys.readouterr().err == "glassnet: error: not enough memory (the request was too large)\n"


def test_resuming_takes_the_same_test_folder_however_it_is_written(tmp_path, monkeypatch):
    """--test-data was compared as typed with the whole path the run saved: after a resume asked for the folder,
    giving it as 'te' or 'te/' was refused as a change of setting."""
    from glassnet.cli import build_parser
    from glassnet.cli.data import UserError
    from glassnet.cli.train import SETTINGS, resumed_settings

    (tmp_path / "te").mkdir()
    monkeypatch.chdir(tmp_path)

    class Args:
        epochs, resume, test_data = 3, "ck", "te/"
        parser = build_parser()._subparsers._group_actions[0].choices["train"]

    class Checkpoint:
        metadata = {"settings": {"dataset": "folder", "data": str(tmp_path / "tr"), "epochs": 2,
                                 "test_data": str(tmp_path / "te")}}
        training = {"epoch": 2, "epochs": 2}

    for name in SETTINGS:
        if name not in ("epochs", "test_data"):
            setattr(Args, name, None)
    for written in ("te", "te/", "./te", str(tmp_path / "te")):
        Args.test_data = written
        assert resumed_settings(Args, Checkpoint)["test_data"] == str(tmp_path / "te")
    Args.test_data = "other"
    with pytest.raises(UserError, match="--test-data cannot change when resuming"):
        resumed_settings(Args, Checkpoint)


def test_gradcheck_says_how_many_samples_it_used(capsys):
    """--samples 5000 printed "on 5000 digits" where the digits are 1,797, all of which were used."""
    cli.main(["gradcheck", "--samples", "5000"])
    assert "on 1797 digits" in capsys.readouterr().out


def test_the_kept_epoch_reads_an_accuracy_as_a_percentage(capsys):
    """'the highest val_accuracy (1)' for a validation set all right; a cost stays a number."""
    from glassnet.cli.outputs import say_kept

    history = gn.training.History()
    for epoch, (acc, loss) in enumerate([(0.5, 0.9), (1.0, 0.2), (0.75, 0.4)]):
        history.record(epoch, {"val_accuracy": acc, "val_loss": loss})
    history.best_epoch = 1
    say_kept(history, "val_accuracy")
    say_kept(history, "val_loss")
    assert capsys.readouterr().out.splitlines() == [
        "kept the weights of epoch 2 of 3, the highest val_accuracy (100.00%)",
        "kept the weights of epoch 2 of 3, the lowest val_loss (0.2)"]


def test_info_quotes_class_names_that_hold_a_comma(tmp_path, capsys):
    """Classes "no" and "yes, big" were listed as "no, yes, big": three classes to the reader."""
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 3, 2], rng=0), metadata={"classes": ["no", "yes, big"]})
    assert cli.main(["info", str(path)]) == 0
    assert "classes: 'no', 'yes, big'" in capsys.readouterr().out
    gn.save(path, gn.mlp([2, 3, 2], rng=0), metadata={"classes": ["no", "yes"]})
    assert cli.main(["info", str(path)]) == 0
    assert "classes: no, yes" in capsys.readouterr().out


def test_resuming_a_run_that_early_stopping_ended_says_so(tmp_path, monkeypatch):
    """The last checkpoint of a run that early stopping had ended was resumed as an interrupted one: it trained
    on to new weights and replaced the run's model, where a complete run is refused."""
    from glassnet.cli import build_parser
    from glassnet.cli.data import UserError
    from glassnet.cli.train import SETTINGS, resumed_settings

    history = gn.training.History(stopped_early=True)
    assert gn.training.History.from_dict(history.as_dict()).stopped_early  # kept in the checkpoint

    class Args:
        epochs, resume = None, "ck"
        parser = build_parser()._subparsers._group_actions[0].choices["train"]

    class Checkpoint:
        metadata = {"settings": {"dataset": "digits", "epochs": 200, "patience": 2}}
        training = {"epoch": 11, "epochs": 200, "history": history.as_dict()}

    for name in SETTINGS:
        if name != "epochs":
            setattr(Args, name, None)
    with pytest.raises(UserError, match="is the checkpoint of a run that early stopping ended after epoch 11: give "
                                        "--epochs to train it further all the same"):
        resumed_settings(Args, Checkpoint)
    Args.epochs = 300
    assert resumed_settings(Args, Checkpoint)["epochs"] == 300
    Checkpoint.training["history"] = gn.training.History().as_dict()  # an interrupted run resumes as before
    Args.epochs = None
    assert resumed_settings(Args, Checkpoint)["epochs"] == 200


def test_csv_columns_far_larger_than_their_spread_train_and_predict_in_full(tmp_path, capsys, monkeypatch):
    """The features were held in float32 before they were standardized: 124 timestamps near 1.7e9 became 3
    values, and the run ended "no better than chance". Predictions of a target of millions printed 6 digits
    (2.99684e+06), and a float32 sum lost the units."""
    monkeypatch.chdir(tmp_path)
    a = np.random.default_rng(0).normal(size=400)
    rows = "\n".join(f"{1700000000 + round(30 * v)},{'late' if v > 0 else 'early'}" for v in a)
    (tmp_path / "times.csv").write_text("t,label\n" + rows + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", "times.csv", "--target", "label", "--out", "c",
                     "--quiet"]) == 0
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", capsys.readouterr().out)[1])
    assert accuracy >= 95
    rooms = np.random.default_rng(1).uniform(1, 8, 300)
    (tmp_path / "houses.csv").write_text("rooms,price\n" + "\n".join(f"{x:.3f},{round(2_000_000 + 300_000 * x)}"
                                                                      for x in rooms) + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", "houses.csv", "--target", "price", "--out", "r",
                     "--quiet"]) == 0
    capsys.readouterr()
    (tmp_path / "new.csv").write_text("rooms\n3\n")
    assert cli.main(["predict", "r/model.glassnet", "new.csv"]) == 0
    value = re.search(r"new.csv line 2: (\S+)$", capsys.readouterr().out.strip())[1]
    assert re.fullmatch(r"\d{7}", value) and abs(int(value) - 2_900_000) < 60_000  # every digit, no exponent


def test_a_regression_target_of_one_value_is_refused(tmp_path, capsys, monkeypatch):
    """It trained, reported R² nan, and predicted 5.29, 5.78 and 6.40 for a target of 5.5 on every row."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flat.csv").write_text("a,y\n" + "\n".join(f"{i},5.5" for i in range(40)) + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", "flat.csv", "--target", "y", "--quiet"]) == 2
    assert ("the training rows' target holds one value, 5.5: a regression needs values that vary (--target y "
            "names a column of one value)") in capsys.readouterr().err
    assert not (tmp_path / "glassnet-out" / "model.glassnet").exists()


@pytest.mark.parametrize("marker", ["#N/A", "n/a", "N/A", "<NA>"])
def test_excels_and_pandas_missing_markers_are_missing_values(marker, tmp_path):
    """A 0/1 column with Excel's #N/A trained as three classes, one of them '#N/A'; a price column with N/A
    was refused for holding "text such as '93.48'"."""
    (tmp_path / "t.csv").write_text("a,churn\n" + "\n".join(f"{i},{i % 2}" for i in range(9)) + f"\n9,{marker}\n")
    with pytest.raises(gn.DataError, match=rf"line 11: missing value in target column 'churn' \('{marker}'\)"):
        gn.datasets.load_csv(tmp_path / "t.csv", "churn")
    (tmp_path / "f.csv").write_text(f"a,price\n1.5,93.48\n{marker},12.5\n")
    with pytest.raises(gn.DataError, match="line 3: missing value in column 'a'"):
        gn.datasets.load_csv(tmp_path / "f.csv", "price")


def test_a_table_model_reads_rows_whatever_the_files_name(tmp_path, capsys, monkeypatch):
    """rows.txt given to a CSV model was read as a picture: "this model takes 2 features, not a picture"."""
    monkeypatch.chdir(tmp_path)
    r = np.random.default_rng(0)
    (tmp_path / "t.csv").write_text("a,b,k\n" + "\n".join(f"{x:.3f},{y:.3f},{'p' if x > 0 else 'q'}"
                                                          for x, y in r.normal(size=(60, 2))) + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", "t.csv", "--target", "k", "--quiet"]) == 0
    capsys.readouterr()
    (tmp_path / "rows.txt").write_text("a,b\n2,0\n-2,0\n")
    assert cli.main(["predict", "glassnet-out/model.glassnet", "rows.txt"]) == 0
    assert "rows.txt line 2: p" in capsys.readouterr().out
    assert cli.main(["predict", "glassnet-out/model.glassnet", "rows.txt", "--explain", "heat.png"]) == 2
    assert "--explain draws pictures; this model reads rows of a table" in capsys.readouterr().err


def test_a_csv_too_short_to_split_is_refused_in_the_commands_terms(tmp_path):
    """train_test_split's message named its own argument (test_fraction=0.2) and not the file."""
    (tmp_path / "two.csv").write_text("a,y\n1,0.5\n2,1.5\n")
    line = fails("train", "--dataset", "csv", "--data", tmp_path / "two.csv", "--target", "y")
    assert line.endswith(f"--test-fraction=0.2 leaves an empty training or test set for 2 rows (the rows of "
                         f"{tmp_path / 'two.csv'})")


@pytest.mark.parametrize(("value", "spread", "text"), [
    (2996840.3, 1e6, "2996840"), (5000000.123456, 0.58, "5000000.12346"), (0.5, 0.6, "0.50000"),
    (3.2e-5, 0.6, "0.00003"), (-1e-7, 0.6, "0.00000"), (-0.0, 0.6, "0.00000"), (1.5, None, "1.5"),
])
def test_a_prediction_is_written_to_a_ten_thousandth_of_the_targets_spread(value, spread, text):
    from glassnet.cli.outputs import format_prediction

    assert format_prediction(value, spread) == text


def test_regression_scores_of_targets_near_float64s_end_do_not_overflow():
    """CSV targets are kept in float64 now; at 1e300 the squares of the scores overflowed to inf and R² to nan."""
    from glassnet.cli.outputs import regression_scores

    y, predicted = np.array([1.0, 2, 3, 4]), np.array([1.1, 1.9, 3.2, 3.9])
    small = regression_scores(y, predicted)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = regression_scores(1e300 * y, 1e300 * predicted)
    assert huge["rmse"] == pytest.approx(1e300 * small["rmse"], rel=1e-12)
    assert huge["mae"] == pytest.approx(1e300 * small["mae"], rel=1e-12)
    assert huge["r2"] == pytest.approx(small["r2"], rel=1e-12) == 0.986
    # far from 0 and close together (timestamps): units that are not a power of two rounded R² at 1e-8
    from sklearn.metrics import r2_score

    r = np.random.default_rng(0)
    times = 1.7e9 + r.normal(size=40)
    guess = times + 0.5 * r.normal(size=40)
    assert regression_scores(times, guess)["r2"] == pytest.approx(r2_score(times, guess), rel=1e-12)


def test_a_csv_target_of_identifiers_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """10,000 distinct strings trained 10,000 classes, where the test split held only classes never seen; only the
    check after training said anything."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ids.csv").write_text("a,id\n" + "\n".join(f"{i % 7},user{i}" for i in range(300)) + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", "ids.csv", "--target", "id", "--quiet"]) == 2
    assert "--target id holds 300 classes among 300 rows, fewer than two rows a class: a column of identifiers, " \
        "not of classes?" in capsys.readouterr().err
    assert not (tmp_path / "glassnet-out").exists()


def test_resume_knows_the_runs_data_again_where_it_was_moved(tmp_path):
    """A moved MNIST folder was "not found", and --data naming its new place "cannot change when resuming"."""
    from glassnet.cli.settings import found_again
    from glassnet.datasets.mnist import MNIST_FILES

    moved = tmp_path / "m2"
    moved.mkdir()
    for name in list(MNIST_FILES)[:3]:
        (moved / name).write_bytes(b"")
    assert not found_again(str(moved), None, "mnist")
    (moved / list(MNIST_FILES)[3]).write_bytes(b"")  # the loader checks each against MNIST's own checksum
    assert found_again(str(moved), None, "mnist")
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    stored = {"size": 8, "sha256": hashlib.sha256(b"x,y\n1,2\n").hexdigest()}
    assert found_again(str(tmp_path / "a.csv"), stored, "csv") and not found_again(str(tmp_path / "a.csv"), stored,
                                                                                   "digits")


def test_ctrl_c_while_a_finished_run_is_scored_writes_its_model_beside_its_checkpoint(tmp_path, monkeypatch, capsys):
    """Ctrl-C after the last epoch, while the test set was scored: the run's checkpoint had replaced the last run's,
    but its model was never written, and the folder held the old run's model beside the new run's checkpoint."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert cli.main(["train", "--layers", "8", "--epochs", "1", "--quiet", "--out", str(out)]) == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_cli, "report", interrupted)
    assert cli.main(["train", "--layers", "16", "--epochs", "1", "--quiet", "--out", str(out)]) == 130
    assert "interrupted while scoring the trained model: it was written without its test scores" in \
        capsys.readouterr().err
    model, checkpoint = gn.load(out / "model.glassnet").model, gn.load(out / "checkpoint.glassnet").model
    assert model.layers[0].out_features == 16
    np.testing.assert_array_equal(model.params, checkpoint.params)


def test_the_commands_a_message_suggests_run_as_printed_with_spaces_in_paths(tmp_path, monkeypatch, capsys):
    """"glassnet train --resume int run/checkpoint.glassnet" was printed for a folder "int run": pasted, it was
    "unrecognized arguments"."""
    import shlex

    class Stop(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train_cli, "EarlyStopping", lambda **kw: Stop())  # Ctrl-C at the end of epoch 1
    assert cli.main(["train", "--layers", "8", "--epochs", "3", "--patience", "1", "--quiet", "--out",
                     str(tmp_path / "int run")]) == 130
    line = next(line for line in capsys.readouterr().out.splitlines() if "glassnet train --resume" in line)
    words = shlex.split(line.split(": ", 1)[1])
    assert words[:3] == ["glassnet", "train", "--resume"] and Path(words[3]).is_file()


def test_evaluate_names_the_data_file_it_looked_for(tmp_path, monkeypatch):
    """A model whose CSV file moved: "names a data file that is not there or is not the one it was trained on",
    without saying which file."""
    monkeypatch.chdir(tmp_path)
    r = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in r.random((60, 2)))
    data = tmp_path / "plain.csv"
    data.write_text("a,b,y\n" + rows + "\n")
    assert cli.main(["train", "--dataset", "csv", "--data", str(data), "--target", "y", "--epochs", "1",
                     "--quiet", "--out", "o"]) == 0
    data.rename(tmp_path / "moved.csv")
    line = fails("evaluate", tmp_path / "o" / "model.glassnet", cwd=tmp_path)
    assert f"names the data file {data}, which is gone: give the data with --data FILE" in line
    data.write_text("a,b,y\n1,2,0\n")
    assert "which is not the one it was trained on (its size or checksum differ)" in fails(
        "evaluate", tmp_path / "o" / "model.glassnet", cwd=tmp_path)


def test_a_moved_mnist_folder_is_known_again_unzipped_too(tmp_path):
    """--resume --data NEW for MNIST knew a moved folder by its four .gz files only, where the loader also reads
    them unzipped (train-images.idx3-ubyte, ...)."""
    from glassnet.cli.settings import found_again
    from glassnet.datasets import MNIST_FILES

    for name in MNIST_FILES:
        (tmp_path / name[:-3].replace("-idx", ".idx")).write_bytes(b"")
    assert found_again(str(tmp_path), None, "mnist")
    (tmp_path / "t10k-labels.idx1-ubyte").unlink()
    assert not found_again(str(tmp_path), None, "mnist")
