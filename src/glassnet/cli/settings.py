"""``glassnet train``'s settings: the defaults, what the command line gives, and what a resumed run keeps.

A new run's settings are, the later winning: the common defaults, the
dataset's, the conv net's recipe (``--arch cnn``), a named recipe
(``--recipe``), then what the user gave; the combinations that cannot go
together are refused with the option to change. A resumed run takes its
settings from its checkpoint, each checked as its option would check it, and
only ``--epochs`` may change.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..core._validation import short
from ..datasets.mnist import MNIST_FILES, source_of
from ..optim import DEFAULT_LR
from ..training.models import CNN_RECIPES
from ..training.recipes import get_recipe
from ..training.resuming import checkpoint_epochs
from ..training.solvers import is_full_batch
from .data import UserError, check_data_option, is_own_file, resolved
from .options import MAX_EPOCHS
from .pictures import NEEDS_DATA, same_folder

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
    "folder": {"epochs": 120, "batch_size": 32, "l2": 0.0},
}
#: the default conv net's recipe per dataset: its learning rate decays to 0 along a cosine, so the
#: last epoch is the one the recipe aims at, and every training picture trains it (no validation share)
CNN_DEFAULTS: dict[str, dict[str, Any]] = {name: {**recipe, "l2": 0.0, "validation_fraction": 0.0,
                                                  "schedule": "cosine", "augment": name == "folder"}
                                           for name, recipe in CNN_RECIPES.items()}
#: what --dataset folder reads when not told: pictures of 32x32, colour if any has colour, padded to a square
PICTURE = {"size": 32, "color": "auto", "fit": "pad", "test_data": None}
#: how --augment moves MNIST's pictures: pixels, degrees, relative size
AUGMENT = {"shift": 2.0, "rotation": 10.0, "scale": 0.1}
COMMON = {"dataset": "digits", "activation": "relu", "dropout": 0.0, "optimizer": "adam", "momentum": 0.0,
          "seed": 0, "test_fraction": 0.2, "validation_fraction": 0.1, "task": "auto", "dtype": "float32",
          "data": None, "target": None, "patience": None, "arch": "mlp", "augment": False, "recipe": None,
          "schedule": "constant", **PICTURE}
#: the options that describe a run; a resumed run keeps them all, except its number of epochs
SETTINGS = ("dataset", "data", "target", "task", "arch", "recipe", "augment", "layers", "activation", "dropout",
            "optimizer", "lr", "schedule", "momentum", "epochs", "batch_size", "l2", "patience", "seed",
            "test_fraction", "validation_fraction", "dtype", "keep_best", "size", "color", "fit", "test_data")


def settings_from(args) -> dict:
    """The run's settings: what the user gave, else the dataset's defaults, checked for consistency.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    dict
    """
    given = {name: value for name in SETTINGS if (value := getattr(args, name, None)) is not None}
    s = {**COMMON, **given}
    check_data_option(s["dataset"], given.get("data"))
    if s["dataset"] == "folder":
        if given.get("arch") == "mlp" or "layers" in given:
            raise UserError("--dataset folder trains a conv net that suits its pictures' size: leave out --arch mlp "
                            "and --layers")
        if not given.get("data"):
            raise UserError(NEEDS_DATA)
        s["arch"] = given["arch"] = "cnn"
    else:
        for option in PICTURE:
            if option in given:
                raise UserError(f"--{option.replace('_', '-')} applies to --dataset folder; received --dataset "
                                f"{s['dataset']}")
    if s["arch"] == "cnn":
        if s["dataset"] not in CNN_DEFAULTS:
            raise UserError(f"--arch cnn reads pictures: use --dataset digits, mnist or folder; received --dataset "
                            f"{s['dataset']}")
        for option in ("layers", "activation"):
            if option in given:
                raise UserError(f"--{option} describes the MLP; --arch cnn has its own layers (see glassnet train "
                                "--help)")
    if given.get("augment") and s["dataset"] == "csv":
        raise UserError("--augment moves pictures: use --dataset digits, mnist or folder; received --dataset csv")
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
    if quasi and given.get("batch_size"):
        raise UserError(f"--batch-size {given['batch_size']} applies to gradient descent; --optimizer "
                        f"{s['optimizer']} takes the whole set at every step")
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
    if s.get("test_data") and "test_fraction" in given:  # it was ignored without a word
        raise UserError("--test-fraction does not apply with --test-data, whose pictures are the test set")
    # by default the lowest validation cost; without a validation set, the last epoch
    s.setdefault("keep_best", "val_loss" if s["validation_fraction"] else "last")
    if s["keep_best"].startswith("val_") and not s["validation_fraction"]:
        raise UserError(f"--keep-best {s['keep_best']} needs a validation set: --validation-fraction 0 leaves none "
                        "(use --keep-best loss or last)")
    if quasi or ("lr" not in given and s["optimizer"] != "adam"):
        s.pop("lr", None)  # the conv net's recipe rate is Adam's
    s.setdefault("lr", None if quasi else DEFAULT_LR[s["optimizer"]])
    s["data"], s["test_data"] = resolved(s["data"]), resolved(s["test_data"])
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
        if name == "schedule" and value == "one-cycle" and saved.get("recipe") is not None:
            continue  # a recipe's own schedule, which no option names (the recipe itself is checked)
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
    if isinstance(saved, dict) and "epoch" not in checkpoint.training:  # the trained model that a run wrote
        if is_full_batch(str(saved.get("optimizer"))):
            raise UserError(f"{args.resume} is the model a run of glassnet train --optimizer {saved['optimizer']} "
                            "wrote; such runs write no checkpoint and cannot be resumed (the solver's memory of "
                            "past steps is not kept): train again with more --epochs")
        raise UserError(f"{args.resume} is the model a run of glassnet train wrote, not its checkpoint: resume "
                        f"from checkpoint.glassnet beside it (written every --checkpoint-every epochs and at the end)")
    if not isinstance(saved, dict):
        raise UserError(f"{args.resume} is not a checkpoint of glassnet train; continue a run started from Python "
                        "with glassnet.resume")
    check_saved_settings(saved, args.parser, args.resume)
    done, _ = checkpoint_epochs(checkpoint.training, args.resume)
    if done > MAX_EPOCHS:
        raise UserError(f"{args.resume}: its epoch count must be a whole number from 0 to {MAX_EPOCHS}; received "
                        f"{short(done)}")
    moved = {}  # the data moved or copied since: known again by the fingerprint the checkpoint kept
    for name in SETTINGS:
        value = getattr(args, name)
        if name in ("data", "test_data") and value is not None:  # as they were saved: the same folder however
            value = resolved(value)  # it is written (te, ./te/, its whole path)
            if value and value != saved.get(name) and found_again(
                    value, checkpoint.metadata.get(f"{name}_fingerprint"), saved.get("dataset")):
                moved[name] = value
                continue
        if name != "epochs" and value is not None and value != saved.get(name, COMMON.get(name)):
            option = "--" + name.replace("_", "-")
            kept = saved.get(name)  # as the option is written: --layers 64 32, not [64, 32]; none, not None
            kept = " ".join(map(str, kept)) if isinstance(kept, list) else "not given" if kept is None else kept
            raise UserError(f"{option} cannot change when resuming: the run continues with its own settings "
                            f"({option} {kept}); start a new run to change them")
    # checkpoints from before these options: the conv net's cosine was then implied by --arch cnn
    s = {"arch": "mlp", "augment": False, "recipe": None,
         "schedule": "one-cycle" if saved.get("recipe") else "cosine" if saved.get("arch") == "cnn" else "constant",
         **saved, **moved}
    if args.epochs is not None and s["recipe"] and args.epochs != s["epochs"]:
        raise UserError(f"--epochs cannot change when resuming a --recipe {s['recipe']} run: its rate falls to 0 at "
                        f"epoch {s['epochs']}, so more epochs would not train; start a new run with --epochs "
                        f"{args.epochs}")
    if args.epochs is None and done >= s["epochs"]:
        raise UserError(f"{args.resume} is the checkpoint of a complete run ({done} of {s['epochs']} epochs): give "
                        f"--epochs with more than {done} to train further; nothing was written")
    history = checkpoint.training.get("history")
    if args.epochs is None and isinstance(history, dict) and history.get("stopped_early") is True:
        raise UserError(f"{args.resume} is the checkpoint of a run that early stopping ended after epoch {done}: "
                        "give --epochs to train it further all the same; nothing was written")
    if args.epochs is not None:
        if args.epochs <= checkpoint.training["epoch"]:
            raise UserError(f"--epochs {args.epochs}: the checkpoint has already done "
                            f"{checkpoint.training['epoch']} epochs; give more to continue")
        s["epochs"] = args.epochs
    return s


def found_again(path: str, stored: object, dataset: object) -> bool:
    """Whether ``path`` holds the data a checkpoint's run trained on, moved or copied: a folder of pictures with
    the same listing, a CSV file of the same size and SHA-256, or a folder of MNIST's four files (which the
    loader checks against MNIST's own checksums).

    Parameters
    ----------
    path : str
    stored : object
        The fingerprint the checkpoint kept (``data_fingerprint`` or ``test_data_fingerprint``).
    dataset : object
        The run's ``--dataset``.

    Returns
    -------
    bool
    """
    if dataset == "mnist":
        return all(source_of(Path(path), name).is_file() for name in MNIST_FILES)  # published, or unzipped
    if not isinstance(stored, dict):
        return False
    return same_folder(path, stored) if dataset == "folder" else dataset == "csv" and is_own_file(path, None, stored)


__all__ = ["AUGMENT", "CNN_DEFAULTS", "COMMON", "PICTURE", "DEFAULTS", "DEFAULT_LR", "SETTINGS", "check_saved_settings",
           "found_again", "recipe_settings", "resumed_settings", "settings_from"]
