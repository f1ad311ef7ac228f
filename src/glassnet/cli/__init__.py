"""The ``glassnet`` command: train, evaluate, predict, check and describe models.

A thin layer over the public API: each subcommand parses its arguments (every
option's bounds are checked by its type, :mod:`glassnet.cli.options`), calls
glassnet, and prints. Exit statuses:

* 0 -- done;
* 1 -- a check found a problem (``gradcheck``), or some inputs of ``predict`` could not be predicted
  (2 when none could);
* 2 -- an error in what was given (options, files, data, a model file): one line on standard error;
* 3 -- training diverged; nothing was written;
* 130 -- interrupted by Ctrl-C (``train`` first saves the best weights and a checkpoint, once an epoch
  is complete).
* 141 -- the output was closed before it was all written (``glassnet info MODEL | head``); no message.

Anything else that escapes is a bug in glassnet and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable

from .._version import __version__
from ..core._validation import ECHO
from ..core.threads import limit as limit_threads
from ..errors import DivergenceError, GlassnetError
from ..optim import DEFAULT_LR
from ..training.solvers import SOLVERS
from .options import MAX_EPOCHS, integer, layer_sizes, port_number, real, thread_count
from .settings import DEFAULTS

THREADS_HELP = ("bound the BLAS's threads, at most the cores this process may use (default: the cores free when "
                "the command starts, within GLASSNET_THREADS or OPENBLAS_NUM_THREADS if set); 1 when other work "
                "shares the cores")
DEVICE_HELP = ("cpu (default), gpu, or gpu:N for GPU number N: the arrays live and compute there (needs CuPy, "
               "the gpu extra); the model file is the same either way")
EXIT_STATUS = """exit status: 0 done; 1 a check failed (gradcheck, diagnose) or some inputs of predict failed (2 if all
did); 2 an error in what was given; 3 training diverged (nothing written); 130 interrupted (Ctrl-C);
141 the output was closed early (glassnet info ... | head)"""


def lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """The command ``function`` of ``glassnet.cli.<module>``, imported only when that command runs.

    The parser then loads no command's code: ``glassnet train`` never imports
    the web server, ONNX export or the gradient checker.

    Parameters
    ----------
    module, function : str

    Returns
    -------
    callable
        Runs the command on parsed arguments and returns its exit status.
    """
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(args)

    run.__name__ = function
    return run


def add_train(sub) -> None:
    t = sub.add_parser("train", help="train an MLP or a conv net (default: the 8x8 digits, no download)",
                       epilog=EXIT_STATUS,
                       description="Train a network. With a validation share (--validation-fraction) it keeps "
                                   "the weights of its epoch of lowest validation cost; without one (the digits' "
                                   "default), those of its last epoch (--keep-best). Ctrl-C saves the weights so "
                                   "far and a checkpoint to resume from.")
    t.add_argument("--dataset", choices=list(DEFAULTS),
                   help="digits (default), mnist, csv, or folder: your own pictures, one sub-folder per class")
    t.add_argument("--data", help="MNIST folder, the CSV file for --dataset csv, or the folder of class folders")
    t.add_argument("--test-data", metavar="FOLDER",
                   help="for --dataset folder: class folders of test pictures (default: --test-fraction of --data)")
    t.add_argument("--size", type=integer(8, 256),
                   help="for --dataset folder: the side of the square pictures the network reads (default 32)")
    t.add_argument("--color", choices=["auto", "rgb", "grey"],
                   help="for --dataset folder: rgb, grey, or auto (default): rgb if any picture has colour")
    t.add_argument("--fit", choices=["pad", "crop"],
                   help="for --dataset folder: a picture that is not square is padded with its border's colour "
                        "(default) or centre-cropped")
    t.add_argument("--target", help="the CSV column to predict")
    t.add_argument("--task", choices=["auto", "classify", "regress"],
                   help="for CSV: auto (default) reads text and up to 20 distinct whole numbers as classes, "
                        "other numbers as values to regress on")
    t.add_argument("--arch", choices=["mlp", "cnn"],
                   help="mlp (default): fully connected layers; cnn: the default conv net, for digits and mnist "
                        "(conv 32 and conv 64 3x3, each with 2x2 max-pooling and batch norm, dense 128)")
    t.add_argument("--recipe", choices=["fast"],
                   help="fast: the speedrun recipe for --dataset mnist (MLP 784-256-128-10, batch 128, 3 epochs; with "
                        "--arch cnn, conv 16 and 32 channels, batch 64, 3 epochs), Adam under a one-cycle schedule, "
                        "no validation share; see docs/speedrun.md")
    t.add_argument("--augment", action=argparse.BooleanOptionalAction,
                   help="train on pictures shifted, turned and resized at random (digits and mnist; the default for "
                        "the digits MLP); for --dataset folder (the default), mirrored, shifted and jittered in "
                        "brightness, contrast and saturation")
    t.add_argument("--layers", type=layer_sizes, help="hidden layer widths, comma separated (digits: 256,128)")
    t.add_argument("--activation", choices=["relu", "leaky_relu", "tanh", "sigmoid"], help="default relu")
    t.add_argument("--dropout", type=real(0, 1, high_open=True), help="dropout rate after each hidden layer")
    t.add_argument("--optimizer", choices=SOLVERS,
                   help="default adam")
    t.add_argument("--lr", type=real(0, low_open=True),
                   help="learning rate (" + "; ".join(f"{k}: {v:g}" for k, v in DEFAULT_LR.items())
                        + "; 0.002 for the digits MLP)")
    t.add_argument("--schedule", choices=["constant", "cosine"],
                   help="the learning rate over the run: constant, or from --lr down to 0 along a cosine (the "
                        "default for digits and --arch cnn, whose last epoch is then the one kept)")
    t.add_argument("--momentum", type=real(0, 1, high_open=True), help="for sgd")
    t.add_argument("--epochs", type=integer(1, MAX_EPOCHS),
                   help="epochs (iterations for bfgs/lbfgs); digits 40, mnist 20")
    t.add_argument("--batch-size", type=integer(0), help="rows per step; 0 for the whole set")
    t.add_argument("--l2", type=real(0), help="L2 regularization strength (digits: 1e-4, else 0)")
    t.add_argument("--patience", type=integer(1),
                   help="stop when the validation cost (without a validation share, the training cost) stalls "
                        "this many epochs")
    t.add_argument("--seed", type=integer(0), help="seeds the weights, the splits and the shuffles (default 0)")
    t.add_argument("--test-fraction", type=real(0, 1, low_open=True, high_open=True),
                   help="held-out share for digits, csv and folder (default 0.2; each class keeps a training row)")
    t.add_argument("--validation-fraction", type=real(0, 1, high_open=True),
                   help="share of the training rows that judge the best epoch (default 0.1 for mnist and csv; 0 "
                        "for digits, --arch cnn and --recipe, whose schedules aim at the last epoch)")
    t.add_argument("--dtype", choices=["float32", "float64"], help="default float32")
    t.add_argument("--diagnose", action="store_true",
                   help="diagnose the network before training and after every epoch (dead or saturated units, "
                        "vanishing gradients, unscaled data, a step too large), warning once per finding")
    t.add_argument("--keep-best", choices=["val_loss", "val_accuracy", "loss", "last"],
                   help="the epoch whose weights the model file keeps: the lowest validation cost (default), the "
                        "highest validation accuracy, the lowest training cost, or the last epoch (the default "
                        "with --validation-fraction 0)")
    t.add_argument("--out", help="folder for the model, checkpoint and plots (default glassnet-out); the "
                   "confusion-matrix picture goes beside the learning curves (--plot)")
    t.add_argument("--model", help="model file path (default OUT/model.glassnet)")
    t.add_argument("--checkpoint", help="checkpoint path (default OUT/checkpoint.glassnet)")
    t.add_argument("--checkpoint-every", type=integer(0), default=10,
                   help="write the checkpoint every this many epochs, and at the end and on Ctrl-C (0: only "
                        "those two); default 10")
    t.add_argument("--plot", help="learning-curve picture (default OUT/learning_curves.png; .png, .jpg, .svg, .pdf)")
    t.add_argument("--resume", metavar="CHECKPOINT", help="continue the run a checkpoint was written by")
    t.add_argument("--quiet", action="store_true", help="no progress bar or lines")
    t.add_argument("--threads", type=thread_count(), help=THREADS_HELP)
    t.add_argument("--device", default="cpu", help=DEVICE_HELP)
    t.add_argument("--distributed", action="store_true",
                   help="train data-parallel over MPI's ranks: start with mpiexec -n K glassnet train ... "
                        "--distributed (needs mpi4py: the mpi extra); rank 0 prints and writes the files")
    t.set_defaults(func=lazy("train", "cmd_train"), parser=t)  # a resumed run's settings are checked by its options


def add_data_options(parser) -> None:
    """A tool command's --dataset, --data and --target: the data of a model file whose own cannot be read there.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument("--dataset", choices=list(DEFAULTS), help="with a model file: the dataset to use (default: "
                                                                  "the one the model was trained on)")
    parser.add_argument("--data", help="with a model file: the MNIST folder, CSV file or folder of pictures in "
                                       "class folders (default: the one the model was trained on)")
    parser.add_argument("--target", help="with a model file: the CSV column to predict (default: the model's)")


def add_use(sub) -> None:
    e = sub.add_parser("evaluate", help="score a model on its dataset's test set")
    e.add_argument("model", help="a model file written by glassnet train")
    e.add_argument("--dataset", choices=list(DEFAULTS),
                   help="the dataset whose test set to score (default: the one the model was trained on)")
    e.add_argument("--data", help="the MNIST folder, CSV file or folder of test pictures in class folders (default: "
                                  "the one the model was trained on; a CSV file or folder of new rows or pictures "
                                  "is scored whole)")
    e.add_argument("--target", help="the CSV column to predict (default: the model's)")
    e.add_argument("--threads", type=thread_count(), help=THREADS_HELP)
    e.set_defaults(func=lazy("use", "cmd_evaluate"))

    pr = sub.add_parser("predict", help="predict CSV rows or classify pictures (digits, or the classes a model was "
                                        "trained on)", epilog=EXIT_STATUS)
    pr.add_argument("model", help="a model file written by glassnet train")
    pr.add_argument("inputs", nargs="+", help="CSV files (with or without a header row) or pictures")
    pr.add_argument("--explain", metavar="HEAT.png",
                    help="draw which pixels drove each picture's prediction: the gradient of its class's score, "
                         "and the drop in probability when each part is covered up")
    pr.add_argument("--threads", type=thread_count(), help=THREADS_HELP)
    pr.add_argument("--device", default="cpu", help=DEVICE_HELP)
    pr.set_defaults(func=lazy("use", "cmd_predict"))

    i = sub.add_parser("info", help="a model file's architecture, size and metadata")
    i.add_argument("model", help="a model file or checkpoint")
    i.set_defaults(func=lazy("use", "cmd_info"))

    x = sub.add_parser("export", help="write a model as an ONNX file, for ONNX Runtime and other runtimes",
                       epilog=EXIT_STATUS)
    x.add_argument("model", help="a model file written by glassnet train")
    x.add_argument("output", help="the ONNX file to write (its folder must exist; written whole or not at all); "
                                  "'-' for standard output")
    x.set_defaults(func=lazy("use", "cmd_export"))


def add_tools(sub) -> None:
    g = sub.add_parser("gradcheck", help="backpropagation against central differences, per parameter",
                       epilog=EXIT_STATUS)
    g.add_argument("model", nargs="?", help="a model file (default: a small digits network)")
    g.add_argument("--samples", type=integer(1), default=8, help="training samples the cost is computed on (default 8)")
    g.add_argument("--max-entries", type=integer(1), default=30, help="entries checked per parameter")
    g.add_argument("--activation", default="tanh", choices=["relu", "leaky_relu", "tanh", "sigmoid"],
                   help="the hidden activation of the default network (default tanh)")
    g.add_argument("--l2", type=real(0), default=0.0, help="L2 strength of the checked cost (default 0)")
    g.add_argument("--tol", type=real(0, low_open=True), default=1e-6, help="largest relative error that passes")
    g.add_argument("--eps", type=real(0, 1, low_open=True), default=1e-6,
                   help="the central differences' step, in (0, 1] (default 1e-6)")
    g.add_argument("--seed", type=integer(0), default=0,
                   help="seeds the default network's weights and the choice of samples and entries (default 0)")
    g.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    add_data_options(g)
    g.set_defaults(func=lazy("tools", "cmd_gradcheck"))

    d = sub.add_parser("diagnose", help="why a network will not learn: dead or saturated units, vanishing "
                                        "gradients, unscaled data, a step too large", epilog=EXIT_STATUS)
    d.add_argument("model", nargs="?", help="a model file (default: a fresh digits network)")
    d.add_argument("--optimizer", choices=list(DEFAULT_LR), help="also take one trial step with this optimizer")
    d.add_argument("--lr", type=real(0, low_open=True), help="the trial step's learning rate (default: the "
                                                              "optimizer's)")
    d.add_argument("--samples", type=integer(1), default=512, help="rows the pass is made on (default 512)")
    d.add_argument("--activation", default="relu", choices=["relu", "leaky_relu", "tanh", "sigmoid"],
                   help="the hidden activation of the default network (default relu)")
    d.add_argument("--seed", type=integer(0), default=0, help="seeds the default network's weights (default 0)")
    add_data_options(d)
    d.set_defaults(func=lazy("diagnose", "cmd_diagnose"))

    f = sub.add_parser("lr-find", help="sweep the learning rate upwards until the cost blows up; suggest one")
    f.add_argument("model", nargs="?", help="a model file (default: a fresh digits network)")
    f.add_argument("--optimizer", choices=list(DEFAULT_LR), default="adam", help="default adam")
    f.add_argument("--start", type=real(0, low_open=True), default=1e-6, help="the first rate (default 1e-6)")
    f.add_argument("--stop", type=real(0, low_open=True), default=10.0, help="the largest rate (default 10)")
    f.add_argument("--steps", type=integer(3, 100_000), default=100, help="steps of the sweep (default 100)")
    f.add_argument("--batch-size", type=integer(1), default=64, help="rows per step (default 64)")
    f.add_argument("--activation", default="relu", choices=["relu", "leaky_relu", "tanh", "sigmoid"],
                   help="the hidden activation of the default network (default relu)")
    f.add_argument("--seed", type=integer(0), default=0, help="seeds the default network and the batches")
    f.add_argument("--plot", help="draw the sweep to this picture (.png)")
    add_data_options(f)
    f.set_defaults(func=lazy("diagnose", "cmd_lr_find"))

    tr = sub.add_parser("trace", help="every value of one training iteration, beside its formula")
    tr.add_argument("--example", default="or", choices=["or", "xor", "341"],
                    help="the tutorials' networks: the OR gate (default), XOR, or the 3-4-1 network")
    tr.add_argument("--lr", type=real(0, low_open=True), default=1.0, help="the step's learning rate (default 1)")
    tr.add_argument("--l2", type=real(0), default=0.0, help="L2 strength of the cost (default 0)")
    tr.add_argument("--markdown", action="store_true", help="write the trace as Markdown")
    tr.add_argument("--output", help="write to this file instead of the terminal ('-': standard output)")
    tr.add_argument("--graph", help="also draw the computational graph, every node with its value and gradient, "
                                    "to this .svg or .png file")
    tr.set_defaults(func=lazy("tools", "cmd_trace"))

    c = sub.add_parser("compare-solvers",
                       help="GD, mini-batch, SGD, momentum, Adam, BFGS, L-BFGS side by side")
    c.add_argument("--problem", default="xor", choices=["xor", "digits"],
                   help="XOR with a 2-3-1 network (default), or the 8x8 digits with a small MLP")
    c.add_argument("--epochs", type=integer(1, MAX_EPOCHS), default=2000,
                   help="epochs of gradient descent, iterations of BFGS and L-BFGS (default 2000)")
    c.add_argument("--seed", type=integer(0), default=0, help="seeds the shared starting weights (default 0)")
    c.add_argument("--plot", help="picture of the overlaid loss curves (.png, .svg, ...)")
    c.set_defaults(func=lazy("tools", "cmd_compare"))

    s = sub.add_parser("serve", help="a web page to upload or draw a digit and see the prediction")
    s.add_argument("model", nargs="?",
                   help="a picture model file: digits, MNIST or your own pictures (default: "
                        "glassnet-out/model.glassnet when glassnet train wrote a picture model there, else a digit "
                        "model trained at first start and cached)")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every network)")
    s.add_argument("--port", type=port_number, default=8000, help="default 8000")
    s.add_argument("--data", help="MNIST folder: the default model is then an MNIST model, trained from it")
    s.add_argument("--max-upload-mb", type=real(0.001, 1024), default=4.0,
                   help="larger uploads are refused (413); from 0.001 (1 kB) to 1024 (default 4)")
    s.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a host name the page may be reached by besides this machine's loopback names "
                        "(repeat for several; '*' for any: only behind a proxy that checks names)")
    s.set_defaults(func=lazy("tools", "cmd_serve"))

    pages = {"playground": "the playground: shape a small network and watch it learn, in the browser (also at "
                           "/playground under glassnet serve)",
             "teach": "the teach page: name classes, give them webcam snapshots or uploads, train a conv net and try "
                      "it live (also at /teach under glassnet serve; the webcam needs localhost or HTTPS)"}
    for name, text in pages.items():
        pg = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        pg.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for a "
                             "classroom)")
        pg.add_argument("--port", type=port_number, default=8000, help="default 8000")
        pg.add_argument("--no-browser", action="store_true", help="only serve; open the address yourself")
        pg.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="a host name the page may be reached by besides this machine's loopback names")
        pg.set_defaults(func=lazy("tools", "cmd_playground"), page=name)


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake reported in one line instead of the usage and the error."""

    def error(self, message: str, prog: str | None = None):
        # argparse repeats a refused value whole (an "invalid choice" of 3 MB): cut it to a prefix
        message = re.sub(rf"'([^']{{{ECHO}}})[^']+'", lambda m: f"'{m.group(1)}...'", message)
        prog = prog or self.prog
        self.exit(2, f"{prog}: error: {message} (see {prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """argparse's, with what is left over refused in the terms of the command it was given to: that
        command's help, and the option meant where one is spelled nearly right (``--epohcs``)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = _subcommand(self, getattr(parsed, "command", None))
            options = [] if command is None else [o[2:] for a in command._actions for o in a.option_strings
                                                  if o.startswith("--")]
            # matched without the dashes that every option shares; none for 3 letters or fewer (--lt: --lr, --plot?)
            typed = [e[2:].split("=")[0] for e in extras if e.startswith("--")]
            near = [m for t in typed if len(t) > 3 for m in difflib.get_close_matches(t, options, n=1)]
            self.error(f"unrecognized arguments: {' '.join(extras)}" + (f"; did you mean --{near[0]}?" if near else ""),
                       None if command is None else command.prog)
        return parsed


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="glassnet", description="Train, check and use glassnet networks.",
                                epilog=EXIT_STATUS)
    p.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    add_train(sub)
    add_use(sub)
    add_tools(sub)
    return p


def _subcommand(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser | None:
    """The parser of the command ``name`` (``train``), or None."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices.get(name) if actions and name else None


def _empty_argument(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The name of the first argument given as an empty string, or None."""
    command = _subcommand(parser, args.command)
    assert command is not None
    for action in command._actions:
        value = getattr(args, action.dest, None)
        if value == "" or (isinstance(value, list) and "" in value):
            return action.option_strings[-1] if action.option_strings else action.dest.upper()
    return None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as the command's other lines read ("glassnet: warning: ..."), not Python's "bin/glassnet:6:
    UserWarning: ..." with the line of the script that started the command; a kind other than UserWarning is
    named ("glassnet: warning: RuntimeWarning: overflow encountered in exp")."""
    kind = "" if category is UserWarning else f"{category.__name__}: "
    print(f"glassnet: warning: {kind}{message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    empty = _empty_argument(parser, args)
    if empty is not None:  # "--out ''" (an unset shell variable) fell back to the default, silently
        print(f"glassnet {args.command}: error: argument {empty}: expected a value; received an empty string "
              f"(see glassnet {args.command} --help)", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings(), \
                limit_threads(args.threads) if hasattr(args, "threads") else contextlib.nullcontext():
            warnings.showwarning = _show_warning
            return args.func(args)
    except DivergenceError as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:  # the reader stopped reading (| head): end quietly, as the shell's tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the final flush then goes nowhere
        return 141
    except (GlassnetError, OSError) as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        print(f"glassnet: error: not enough memory ({str(exc) or 'the request was too large'})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
