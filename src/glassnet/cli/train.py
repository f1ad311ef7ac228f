"""``glassnet train``: a run that loses nothing.

Before the first epoch every output path is checked. During the run the
weights of the best epoch by validation cost are kept, and a checkpoint is
written every few epochs. Ctrl-C saves the best weights so far and the
checkpoint, then exits 130; ``--resume CHECKPOINT`` continues the run to the
same final weights as if it had never stopped. A run that diverges writes
nothing and exits 3.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core._validation import check_writable, short
from ..core.arrays import resolve_device
from ..datasets import RandomAffine
from ..errors import DivergenceError, MissingDependencyError, missing
from ..nn import Dense
from ..optim import get_optimizer
from ..optim.schedules import Cosine
from ..tools.metrics import confusion_matrix, format_confusion
from ..tools.plots import check_path, learning_curves
from ..training import EarlyStopping, ModelCheckpoint
from ..training.models import CNN_RECIPES, Sequential, cnn, load, mlp, resume, save
from ..training.recipes import Recipe, get_recipe
from ..training.solvers import is_full_batch
from .data import (
    UserError,
    check_fingerprint,
    check_width,
    fingerprint,
    format_regression,
    load_data,
    regression_scores,
    resolved,
    scale_inputs,
    scale_target,
    split_validation,
    standardize,
    unscale_target,
)
from .options import MAX_EPOCHS

#: a sensible network and schedule per dataset. On the 8x8 digits (1,437 training pictures) the default
#: MLP trains 40 epochs with Adam from 0.002 down to 0 along a cosine, on pictures shifted, turned and
#: resized at random, and keeps its last epoch: over seeds 0-9 its test accuracy ranged from 97.8 to
#: 99.4 % (mean 98.9 %) in about 1.3 s. Keeping the epoch of lowest cost on a 144-picture validation
#: share picked epochs by noise (96.1 to 98.9 % over seeds 0-4), and the decaying rate makes the last
#: epoch the one the schedule aims at, so every training picture can train.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"layers": [256, 128], "epochs": 40, "batch_size": 32, "l2": 1e-4, "lr": 0.002, "schedule": "cosine",
               "augment": True, "validation_fraction": 0.0},
    "mnist": {"layers": [256, 128], "epochs": 20, "batch_size": 128, "l2": 0.0},
    "csv": {"layers": [64], "epochs": 200, "batch_size": 32, "l2": 0.0},
}
#: the default conv net's recipe per dataset: its learning rate decays to 0 along a cosine, so the
#: last epoch is the one the recipe aims at, and every training picture trains it (no validation share)
CNN_DEFAULTS: dict[str, dict[str, Any]] = {name: {**recipe, "l2": 0.0, "validation_fraction": 0.0,
                                                  "schedule": "cosine", "augment": False}
                                           for name, recipe in CNN_RECIPES.items()}
#: how --augment moves MNIST's pictures: pixels, degrees, relative size
AUGMENT = {"shift": 2.0, "rotation": 10.0, "scale": 0.1}
COMMON = {"dataset": "digits", "activation": "relu", "dropout": 0.0, "optimizer": "adam", "momentum": 0.0,
          "seed": 0, "test_fraction": 0.2, "validation_fraction": 0.1, "task": "auto", "dtype": "float32",
          "data": None, "target": None, "patience": None, "arch": "mlp", "augment": False, "recipe": None,
          "schedule": "constant"}
DEFAULT_LR = {"sgd": 0.1, "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001}
#: the options that describe a run; a resumed run keeps them all, except its number of epochs
SETTINGS = ("dataset", "data", "target", "task", "arch", "recipe", "augment", "layers", "activation", "dropout",
            "optimizer", "lr", "schedule", "momentum", "epochs", "batch_size", "l2", "patience", "seed",
            "test_fraction", "validation_fraction", "dtype", "keep_best")


def settings_from(args) -> dict:
    """The run's settings: what the user gave, else the dataset's defaults, checked for consistency.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    dict
    """
    given = {name: value for name in SETTINGS if (value := getattr(args, name)) is not None}
    s = {**COMMON, **given}
    if s["arch"] == "cnn":
        if s["dataset"] not in CNN_DEFAULTS:
            raise UserError(f"--arch cnn reads pictures: use --dataset digits or mnist; received --dataset "
                            f"{s['dataset']}")
        for option in ("layers", "activation"):
            if option in given:
                raise UserError(f"--{option} describes the MLP; --arch cnn has its own layers (see glassnet train "
                                "--help)")
    if given.get("augment") and s["dataset"] == "csv":
        raise UserError("--augment moves pictures: use --dataset digits or mnist; received --dataset csv")
    fast = recipe_settings(s, given) if s["recipe"] else {}
    # later ones win: common settings, the dataset's, the conv net's recipe, a named recipe, what the user gave
    s = {**COMMON, **DEFAULTS[s["dataset"]], **(CNN_DEFAULTS[s["dataset"]] if s["arch"] == "cnn" else {}), **fast,
         **given}
    quasi = is_full_batch(s["optimizer"])
    if quasi and "lr" in given:
        raise UserError(f"--lr does not apply to --optimizer {s['optimizer']}, which chooses its own steps")
    if quasi and given.get("augment"):
        raise UserError(f"--augment needs a gradient-descent optimizer; received --optimizer {s['optimizer']}")
    if quasi or s["dataset"] == "csv":  # a default that applies only to gradient descent on pictures
        s["augment"] = False
    if getattr(args, "distributed", False) and s["augment"] and "augment" not in given:
        print("no augmentation under --distributed: each rank would draw its own changes (see docs/scaling.md)")
        s["augment"] = False
    if quasi and given.get("schedule", "constant") != "constant":
        raise UserError(f"--schedule {given['schedule']} needs a gradient-descent optimizer; received --optimizer "
                        f"{s['optimizer']}, which chooses its own steps")
    if s["recipe"] and "schedule" in given:
        raise UserError(f"--recipe {s['recipe']} has its own schedule (one cycle); leave out --schedule")
    if quasi:
        s["schedule"] = "constant"
    if s["momentum"] and s["optimizer"] != "sgd":
        raise UserError(f"--momentum applies to --optimizer sgd; received --optimizer {s['optimizer']}")
    if s["dataset"] != "csv" and ("task" in given or "target" in given):
        raise UserError(f"--task and --target apply to --dataset csv; received --dataset {s['dataset']}")
    if s["dataset"] == "mnist" and "test_fraction" in given:
        raise UserError("--test-fraction does not apply to --dataset mnist, which has its own test set")
    # by default the lowest validation cost; without a validation set, the last epoch
    s.setdefault("keep_best", "val_loss" if s["validation_fraction"] else "last")
    if s["keep_best"].startswith("val_") and not s["validation_fraction"]:
        raise UserError(f"--keep-best {s['keep_best']} needs a validation set: --validation-fraction 0 leaves none "
                        "(use --keep-best loss or last)")
    if quasi or ("lr" not in given and s["optimizer"] != "adam"):
        s.pop("lr", None)  # the conv net's recipe rate is Adam's
    s.setdefault("lr", None if quasi else DEFAULT_LR[s["optimizer"]])
    s["data"] = resolved(s["data"])
    return s


def recipe_settings(s: dict, given: dict) -> dict:
    """The settings a named recipe (``--recipe fast``) brings, after checking it fits the rest.

    Parameters
    ----------
    s : dict
        The settings so far.
    given : dict
        What the user gave.

    Returns
    -------
    dict
    """
    if s["dataset"] != "mnist":
        raise UserError(f"--recipe {s['recipe']} is tuned for MNIST: use --dataset mnist; received --dataset "
                        f"{s['dataset']}")
    for option, allowed in (("optimizer", "adam"), ("activation", "relu")):
        if option in given and given[option] != allowed:
            raise UserError(f"--recipe {s['recipe']} trains with --{option} {allowed}; received --{option} "
                            f"{given[option]}")
    r = get_recipe(s["recipe"], s["arch"])
    shape = {} if r.arch == "cnn" else {"layers": list(r.hidden)}
    # every training picture trains it and the last epoch is the one the schedule aims at
    return {**shape, "epochs": r.epochs, "batch_size": r.batch_size, "lr": r.lr, "optimizer": "adam",
            "l2": 0.0, "dropout": 0.0, "validation_fraction": 0.0, "schedule": "one-cycle"}


def check_saved_settings(saved: dict, parser, source: str) -> None:
    """Check a checkpoint's settings as the command line checks its options: the same bounds, the same words.

    A checkpoint is a file, and anyone may edit one (its checksums can be
    recomputed): each setting goes through the type and the choices of its
    option, so that a tampered one is refused as the option would be.

    Parameters
    ----------
    saved : dict
        The checkpoint's settings.
    parser : argparse.ArgumentParser
        ``glassnet train``'s parser.
    source : str
        The checkpoint's path, for messages.
    """
    actions = {a.dest: a for a in parser._actions}
    for name in SETTINGS:
        if name not in saved or saved[name] is None:
            continue
        value, action = saved[name], actions[name]
        option = "--" + name.replace("_", "-")
        if name == "layers":
            ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            text = ",".join(map(str, value)) if ok else None
        elif name == "augment":
            text = "" if isinstance(value, bool) else None
        elif action.type is None and action.choices is None:  # a path or a column's name
            text = value if isinstance(value, str) else None
        else:
            text = None if isinstance(value, (bool, list, dict)) else str(value)
        try:
            if text is None:
                raise argparse.ArgumentTypeError(f"received {short(value)}")
            if action.type is not None and name != "augment":
                converted = action.type(text)
                if converted != value:
                    raise argparse.ArgumentTypeError(f"received {short(value)}")
            if action.choices is not None and value not in action.choices:
                raise argparse.ArgumentTypeError(f"expected one of {', '.join(map(str, action.choices))}; "
                                                 f"received {short(value)}")
        except argparse.ArgumentTypeError as exc:
            raise UserError(f"{source}: the checkpoint's setting {option} is not one glassnet train takes: {exc}; "
                            "the file was damaged or edited") from None


def resumed_settings(args, checkpoint) -> dict:
    """The settings of the run a checkpoint continues; only ``--epochs`` may change.

    Parameters
    ----------
    args : argparse.Namespace
    checkpoint : Checkpoint

    Returns
    -------
    dict
    """
    saved = checkpoint.metadata.get("settings")
    if not isinstance(saved, dict) or "epoch" not in checkpoint.training:
        raise UserError(f"{args.resume} is not a checkpoint of glassnet train; continue a run started from Python "
                        "with glassnet.resume")
    check_saved_settings(saved, args.parser, args.resume)
    done = checkpoint.training["epoch"]
    if isinstance(done, bool) or not isinstance(done, int) or not 0 <= done <= MAX_EPOCHS:
        raise UserError(f"{args.resume}: its epoch count must be a whole number from 0 to {MAX_EPOCHS}; received "
                        f"{short(done)}")
    for name in SETTINGS:
        value = getattr(args, name)
        if name == "data" and value is not None:
            value = resolved(value)
        if name != "epochs" and value is not None and value != saved.get(name, COMMON.get(name)):
            option = "--" + name.replace("_", "-")
            raise UserError(f"{option} cannot change when resuming: the run continues with its own settings "
                            f"({option} {saved.get(name)}); start a new run to change them")
    # checkpoints from before these options: the conv net's cosine was then implied by --arch cnn
    s = {"arch": "mlp", "augment": False, "recipe": None,
         "schedule": "one-cycle" if saved.get("recipe") else "cosine" if saved.get("arch") == "cnn" else "constant",
         **saved}
    if args.epochs is not None and s["recipe"] and args.epochs != s["epochs"]:
        raise UserError(f"--epochs cannot change when resuming a --recipe {s['recipe']} run: its rate falls to 0 at "
                        f"epoch {s['epochs']}, so more epochs would not train; start a new run with --epochs "
                        f"{args.epochs}")
    if args.epochs is None and done >= s["epochs"]:
        raise UserError(f"{args.resume} is the checkpoint of a complete run ({done} of {s['epochs']} epochs): give "
                        f"--epochs with more than {done} to train further; nothing was written")
    if args.epochs is not None:
        if args.epochs <= checkpoint.training["epoch"]:
            raise UserError(f"--epochs {args.epochs}: the checkpoint has already done "
                            f"{checkpoint.training['epoch']} epochs; give more to continue")
        s["epochs"] = args.epochs
    return s


@dataclass
class Outputs:
    """Where a run writes: checked before the first epoch."""

    folder: Path
    model: Path
    checkpoint: Path
    plot: Path | None


def check_outputs(args, inputs: list) -> Outputs:
    """Make the output folder and check that every file can be written there, before any training.

    Where to write comes from the command line alone, never from a file: a
    resumed run writes beside the checkpoint named by ``--resume`` (which it
    goes on writing), unless ``--out``, ``--model``, ``--checkpoint`` or
    ``--plot`` say otherwise.

    Parameters
    ----------
    args : argparse.Namespace
    inputs : list of paths
        The files the run reads (the data, the checkpoint it resumes): none may be written over.

    Returns
    -------
    Outputs
    """
    resume = Path(args.resume) if args.resume else None
    folder = Path(args.out) if args.out else resume.parent if resume is not None else Path("glassnet-out")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out must be a folder (made if missing), but {str(folder)!r} is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: cannot make the folder {str(folder)!r} ({exc.strerror})") from None

    def path(option: str, default: str) -> Path:
        given = getattr(args, option)
        return Path(given) if given else folder / default

    data = [p for p in inputs if p is not None]
    model = check_writable(path("model", "model.glassnet"), "--model", inputs=data)
    checkpoint_default = resume if resume is not None and not args.checkpoint else None
    checkpoint = check_writable(checkpoint_default or path("checkpoint", "checkpoint.glassnet"), "--checkpoint",
                                inputs=[p for p in data if resume is None or Path(p) != resume])
    if model.resolve() == checkpoint.resolve():
        raise UserError("--model and --checkpoint must be different files")
    plot: Path | None = path("plot", "learning_curves.png")
    try:
        check_path(plot, "--plot", inputs=data)  # type: ignore[arg-type]
    except MissingDependencyError as exc:  # matplotlib is optional: no plot, said once, now
        print(f"no learning-curve plot: {exc}")
        plot = None
    return Outputs(folder, model, checkpoint, plot)


def cmd_train(args) -> int:
    """Train, report and save; see the module's docstring.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status.
    """
    comm = mpi_world() if args.distributed else None
    if comm is not None and comm.Get_rank():  # the other ranks compute; rank 0 prints and writes
        with contextlib.redirect_stdout(io.StringIO()):
            return _train(args, comm)
    return _train(args, comm)


def mpi_world() -> Any:
    """MPI's world communicator, for ``--distributed`` (started by ``mpiexec -n K glassnet train ...``)."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise missing("mpi4py", "mpi", "--distributed") from exc
    return MPI.COMM_WORLD


def _train(args, comm: Any) -> int:
    resolve_device(args.device)  # a GPU asked for where there is none fails before any data is read
    ck = load(args.resume) if args.resume else None
    s = resumed_settings(args, ck) if ck is not None else settings_from(args)
    out = check_outputs(args, [s["data"], args.resume])
    if ck is not None and args.data is None:  # a path read from a file: only where its file is unchanged
        check_fingerprint(s["data"], ck.metadata.get("data_fingerprint"), s["dataset"], args.resume)
    train, test = load_data(s["dataset"], s["data"], s["target"], s["test_fraction"], s["seed"], s["task"])
    if train.task_reason:
        print(f"task: {train.task_reason}")
    train, val = split_validation(train, s["validation_fraction"], s["seed"])
    classify = train.task == "classification"
    meta: dict[str, Any] = {
        "dataset": s["dataset"], "data": s["data"], "target": s["target"], "task": train.task,
        "classes": train.classes, "feature_names": train.feature_names, "image_shape": train.image_shape,
        # MNIST has its own test set; the others are split from the seed
        "test_fraction": None if s["dataset"] == "mnist" else s["test_fraction"], "seed": s["seed"], "settings": s,
        "data_fingerprint": fingerprint(s["data"]) if s["dataset"] == "csv" else None}
    if s["dataset"] == "csv":
        meta["input_mean"], meta["input_scale"] = standardize(train.X)
    if not classify:
        (meta["target_mean"],), (meta["target_scale"],) = standardize(train.y)
    X, Xt = scale_inputs(train.X, meta, s["dtype"]), scale_inputs(test.X, meta, s["dtype"])
    y = scale_target(train.y, meta)
    validation = None if val is None else (scale_inputs(val.X, meta, s["dtype"]), scale_target(val.y, meta))
    loss = "cross_entropy" if classify else "mse"
    if "accuracy" in s["keep_best"] and not classify:
        raise UserError(f"--keep-best {s['keep_best']} applies to classification; this is regression")
    keep_best = False if s["keep_best"] == "last" else s["keep_best"]
    n_out = len(train.classes) if classify else 1
    sizes = [X.shape[1], *s["layers"], n_out]
    image = None if train.image_shape is None else (1, *train.image_shape)
    print(f"dataset {s['dataset']}: {len(train)} training, {0 if val is None else len(val)} validation and "
          f"{len(test)} test samples, {X.shape[1]} features" + (f", {n_out} classes" if classify else ""))
    if val is None and s["schedule"] != "constant" and ck is None:
        print("no validation share: the learning rate falls to 0 over the run, so its last epoch is the one kept "
              "(--validation-fraction holds some rows out)")

    quasi = is_full_batch(s["optimizer"])
    callbacks: list = [] if s["patience"] is None else [EarlyStopping(patience=s["patience"], restore_best=False)]
    if not quasi:  # a quasi-Newton run cannot be resumed exactly, so it writes no checkpoint
        callbacks.append(ModelCheckpoint(out.checkpoint, every=args.checkpoint_every or 10**9, metadata=meta))
    common = dict(validation_data=validation, callbacks=callbacks, verbose=not args.quiet,
                  on_divergence="raise", on_interrupt="stop", threads=args.threads, comm=comm)
    # moves in proportion to the picture: AUGMENT's shift is for MNIST's 28 rows
    augment = RandomAffine(**{**AUGMENT, "shift": AUGMENT["shift"] * image[1] / 28}, image_shape=image[1:]) \
        if s["augment"] and image else None
    try:
        if ck is not None:
            print(f"resuming {args.resume} at epoch {ck.training['epoch'] + 1} of {s['epochs']}")
            model, history = resume(args.resume, X, y, epochs=s["epochs"], augment=augment, device=args.device,
                                    **common)
        else:
            model = build_model(s, sizes, image)
            model.to(args.device)
            print(model.summary())
            optimizer: Any = s["optimizer"]
            if not quasi:
                optimizer = get_optimizer(s["optimizer"], lr=s["lr"], schedule=schedule_for(s),
                                          **({"momentum": s["momentum"]} if s["momentum"] else {}))
            history = model.fit(X, y, loss=loss, optimizer=optimizer, epochs=s["epochs"],
                                batch_size=s["batch_size"] or None, l2=s["l2"], keep_best=keep_best, augment=augment,
                                **common)
    except DivergenceError as exc:
        raise DivergenceError(f"{exc} Nothing was written.") from None
    model.to("cpu")  # scored and saved from the host

    if history.best_epoch is not None:
        key = s["keep_best"]
        best = history[key][history.epochs.index(history.best_epoch)]
        print(f"kept the weights of epoch {history.best_epoch + 1} of {history.n_epochs}, the "
              f"{'highest' if 'accuracy' in key else 'lowest'} {key} ({best:.4g})")
    if comm is not None and comm.Get_rank():
        return 130 if history.interrupted else 0
    if history.interrupted:
        save(out.model, model, metadata=meta)
        print(f"{history.message}.\nthe best weights so far were written to {out.model}")
        if not quasi:
            print(f"the run can go on from its checkpoint: glassnet train --resume {out.checkpoint}")
        return 130
    if history.message:
        print(history.message)
    score = report(model, X, train.y, Xt, test.y, meta, loss, train.classes)
    meta.update(score)
    save(out.model, model, metadata=meta)
    print(f"model written to {out.model}")
    if out.plot is not None:
        title = f"{train.name}: " + ("conv net" if s["arch"] == "cnn" else '-'.join(map(str, model_sizes(model))))
        print(f"learning curves written to {learning_curves(history, out.plot, title=title)}")
    return 0


def schedule_for(s: dict) -> Any:
    """The learning-rate schedule of a run: a recipe's one cycle, a cosine down to 0, or none.

    Parameters
    ----------
    s : dict
        The run's settings.

    Returns
    -------
    Schedule or None
    """
    if s.get("recipe"):  # the recipe's own cycle, over the epochs this run was given
        return get_recipe(s["recipe"], s["arch"]).with_(epochs=s["epochs"]).schedule()
    return Cosine(period=s["epochs"]) if s["schedule"] == "cosine" else None


def build_model(s: dict, sizes: list[int], image: tuple[int, int, int] | None) -> Sequential:
    """The network a run trains: the MLP of ``sizes``, or the default conv net for pictures of ``image``'s shape.

    Parameters
    ----------
    s : dict
        The run's settings.
    sizes : list of int
        Input, hidden and output widths of the MLP.
    image : (channels, rows, columns) or None

    Returns
    -------
    Sequential
    """
    if s["arch"] == "cnn" and s.get("recipe"):
        assert image is not None
        recipe: Recipe = get_recipe(s["recipe"], "cnn")
        return recipe.build(n_classes=sizes[-1], image_shape=image, rng=s["seed"], dtype=s["dtype"])
    if s["arch"] == "cnn":
        assert image is not None
        return cnn(image, sizes[-1], dropout=s["dropout"], rng=s["seed"], dtype=s["dtype"])
    return mlp(sizes, activation=s["activation"], dropout=s["dropout"], rng=s["seed"], dtype=s["dtype"])


def model_sizes(model) -> list[int]:
    """The widths of a stack of Dense layers: input, hidden layers, output.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    list of int
    """
    return [model.in_features] + [layer.out_features for layer in model.layers if isinstance(layer, Dense)]


def report(model, X, y, Xt, yt, meta: dict, loss: str, classes: list) -> dict[str, float]:
    """Print the scores on the training and test sets, in the target's own units.

    Parameters
    ----------
    model : Sequential
    X, y : the training set (scaled inputs, raw targets)
    Xt, yt : the test set
    meta : dict
    loss : str
    classes : list of str

    Returns
    -------
    dict
        The test scores, for the model file's metadata.
    """
    check_width(model, Xt.shape[1], "the test set")
    if loss == "cross_entropy":
        train_acc = float(np.mean(model.predict_classes(X) == y))
        pred = model.predict_classes(Xt)
        test_acc = float(np.mean(pred == yt))
        print(f"training accuracy {train_acc:.2%}   test accuracy {test_acc:.2%}")
        print("confusion matrix on the test set:")
        print(format_confusion(confusion_matrix(yt, pred, len(classes)), classes))
        return {"test_accuracy": test_acc}
    on_train = regression_scores(y, unscale_target(model.predict(X)[:, 0], meta))
    on_test = regression_scores(yt, unscale_target(model.predict(Xt)[:, 0], meta))
    print(f"training set: {format_regression(on_train)}")
    print(f"test set:     {format_regression(on_test)}   (in the target's units)")
    return {f"test_{k}": v for k, v in on_test.items()}


__all__ = ["DEFAULTS", "DEFAULT_LR", "cmd_train", "model_sizes", "report"]
