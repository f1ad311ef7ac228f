"""What a terminal user reads: 80 columns, options that explain themselves, numbers in their own units."""

import argparse
import re

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.cli.outputs import format_regression, format_value
from glassnet.cli.use import metadata_value
from glassnet.datasets.base import stratified_counts
from glassnet.recipes import FAST


def test_summaries_fit_80_columns():
    models = [gn.cnn(), gn.cnn((3, 32, 32), 100, channels=(64, 128, 256), hidden=1024), gn.mlp([784, 4096, 10]),
              *(recipe.build() for recipe in FAST.values())]
    for model in models:
        widths = [len(line) for line in model.summary().splitlines()]
        assert max(widths) <= 80, model.summary()


def test_compare_solvers_fits_80_columns(capsys):
    assert cli.main(["compare-solvers", "--epochs", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80 and lines[0].startswith("solver") and len(lines) >= 9


def test_every_option_of_every_command_says_what_it_does():
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    silent = [f"{name} {action.option_strings or action.dest}" for name, sub in commands.items()
              for action in sub._actions if not action.help and not isinstance(action, argparse._HelpAction)]
    assert not silent


@pytest.mark.parametrize(("value", "text"), [(65361.2, "65,361"), (53.2, "53.20"), (65.36, "65.36"),
                                             (0.0123, "0.01230"), (1.0, "1.000"), (2e-7, "2.000e-07"), (0.0, "0")])
def test_scores_keep_four_significant_digits_and_their_zeros(value, text):
    assert format_value(value) == text


def test_a_regression_report_in_thousands_has_no_exponent():
    line = format_regression({"rmse": 65361.0, "mae": 53210.4, "r2": 0.8712})
    assert line == "RMSE 65,361  MAE 53,210  R² 0.871" and "e+" not in line


@pytest.mark.parametrize(("key", "value", "text"), [("target_mean", 152.8495330810547, "152.85"),
                                                    ("test_accuracy", 0.98271, "98.27%"),
                                                    ("classes", ["cat", "dog"], "cat, dog")])
def test_info_prints_metadata_as_a_person_reads_it(key, value, text):
    assert metadata_value(key, value) == text


def test_a_stratified_split_holds_out_exactly_its_share():
    sizes = np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])  # MNIST's training classes
    counts = stratified_counts(sizes, 0.1)
    assert counts.sum() == 6000  # not 5,999, as rounding each class gave
    assert np.all(np.abs(counts - 0.1 * sizes) < 1)
    np.testing.assert_array_equal(stratified_counts(np.array([3, 3, 3]), 0.5), [2, 1, 1])  # 4.5 -> 4, ties first


def test_the_explanation_picture_has_a_legend(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    from glassnet.tools.plots import saliency_maps

    images = [np.random.default_rng(k).random((8, 8)) for k in range(2)]
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text kept as text, to be read back
        svg = saliency_maps(images, images, tmp_path / "s.svg", ["a", "b"], checks=images).read_text()
    assert all(word in svg for word in ("raises", "lowers", "effect on the predicted class", "Occlusion"))


@pytest.mark.slow
def test_resuming_a_complete_run_says_so_and_writes_nothing(tmp_path):
    from helpers import run_glassnet

    out = tmp_path / "o"
    run_glassnet("train", "--epochs", "2", "--out", out, "--quiet", cwd=tmp_path)
    before = (out / "model.glassnet").read_bytes(), (out / "learning_curves.png").read_bytes()
    proc = run_glassnet("train", "--resume", out / "checkpoint.glassnet", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert re.search(r"is the checkpoint of a complete run \(2 of 2 epochs\): give --epochs with more than 2 to "
                     r"train further; nothing was written", proc.stderr)
    assert ((out / "model.glassnet").read_bytes(), (out / "learning_curves.png").read_bytes()) == before
    conv = run_glassnet("train", "--arch", "cnn", "--epochs", "1", "--out", tmp_path / "c", "--quiet", cwd=tmp_path)
    assert "dataset digits: 1438 training, 0 validation" in conv.stdout
    assert "no validation share: the learning rate falls to 0 over the run" in conv.stdout
    info = run_glassnet("info", tmp_path / "c" / "model.glassnet").stdout
    lines = info.splitlines()[1:]  # after the file's path, which is the user's
    assert max(map(len, lines)) <= 80 and "  test_accuracy: " in info and "  seed: 0" in lines


def test_the_solvers_table_keeps_its_columns_apart_and_calls_only_poor_minima_poor():
    """On the digits, stochastic descent's 2,000 steps and 1,000,000 gradients ran together ("20001000000"), and
    L-BFGS at a cost of 2.1e-9 was "far above the best run's" (1e-12): a minimum found, called a poor one."""
    from glassnet.tools.compare import Comparison, SolverRun

    table = Comparison([
        SolverRun("stochastic GD (1)", 0.9239, 2000, 1_000_000, 41.07, [2.3, 0.9239], lr=0.5,
                  stop="ran all 2000 epochs"),
        SolverRun("L-BFGS", 2.09e-9, 300, 320, 1.2, [2.3, 2.09e-9], stop="converged", converged=True),
        SolverRun("BFGS", 1e-12, 250, 260, 2.0, [2.3, 1e-12], stop="converged", converged=True),
        SolverRun("BFGS, other start", 0.5, 40, 45, 0.3, [2.3, 0.5], stop="converged", converged=True),
    ]).table()
    rows = {line.split("  ")[0].strip(): line for line in table.splitlines()[2:] if not line.startswith("    ")}
    assert re.search(r"stochastic GD \(1\) +0\.5 +9\.2390e-01 +2,000 +1,000,000 +41\.070", rows["stochastic GD (1)"])
    assert "far above" not in table.split("L-BFGS", 1)[1].split("BFGS", 1)[0]
    assert table.count("far above the best run's") == 1 and "gradient vanished at cost 0.5" in table
    assert max(map(len, table.splitlines())) <= 80


def test_patience_without_a_validation_share_says_it_watches_the_training_cost(tmp_path, capsys):
    """--help said "stop when the validation cost stalls", but the digits hold no rows out: the run stopped on the
    training cost without a word. The help says both now, and the run says which it watches."""
    assert cli.main(["train", "--patience", "1", "--epochs", "2", "--quiet", "--out", str(tmp_path / "a")]) == 0
    assert "--patience 1 watches the training cost: no rows are held out for validation" in capsys.readouterr().out
    assert cli.main(["train", "--patience", "1", "--epochs", "2", "--validation-fraction", "0.2", "--quiet",
                     "--out", str(tmp_path / "b")]) == 0
    assert "watches the training cost" not in capsys.readouterr().out


def test_a_warning_reads_as_the_commands_other_lines(monkeypatch, capsys):
    """A warning from inside a command came out as Python shows it, ".../bin/glassnet:6: UserWarning: ...", and
    then the line "sys.exit(main())" of the script that started the command."""
    import warnings

    def command(args):
        warnings.warn("no font installed here has the characters '圆方'", UserWarning, stacklevel=2)
        return 0

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(command="info", func=command))
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # as outside the tests, where a warning is not an error
        assert cli.main(["info"]) == 0
    assert capsys.readouterr().err == "glassnet: warning: no font installed here has the characters '圆方'\n"
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(
        command="info", func=lambda args: np.exp(np.float64(1000)) and 0))
    with warnings.catch_warnings(), np.errstate(over="warn"):
        warnings.simplefilter("always")
        assert cli.main(["info"]) == 0
    assert capsys.readouterr().err == "glassnet: warning: RuntimeWarning: overflow encountered in exp\n"
    assert warnings.showwarning is not cli._show_warning  # put back after the command
