"""``glassnet diagnose`` and ``glassnet lr-find``: why a network will not learn, and a learning rate to try."""

from __future__ import annotations

import numpy as np

from .. import datasets
from ..tools.diagnose import diagnose
from ..tools.lr_find import lr_find
from ..tools.plots import check_path
from ..training.models import load, mlp
from .data import UserError, check_width, model_data, scale_inputs, scale_target


def subject(args, what: str) -> tuple:
    """The model and data a tool command works on: a model file's own data, or a default digits network.

    Parameters
    ----------
    args : argparse.Namespace
        ``model`` (a path or None), ``seed``, and ``activation`` for the default network.
    what : str
        What is done with them, for the first line printed.

    Returns
    -------
    (model, X, y, loss)
    """
    if args.model:
        ck = load(args.model)
        model, meta = ck.model, ck.metadata
        train, _ = model_data(meta, meta.get("dataset", "digits"), source=args.model)
        X, y = scale_inputs(train.X, meta), scale_target(train.y, meta)
        loss = "cross_entropy" if meta.get("task", "classification") == "classification" else "mse"
        print(f"{what} {args.model} on its training data")
    else:
        train = datasets.load_digits()
        X, y = train.X, train.y
        model = mlp([64, 256, 128, 10], activation=args.activation, rng=args.seed)
        loss = "cross_entropy"
        print(f"{what} a fresh 64-256-128-10 {args.activation} network on the digits")
    check_width(model, X.shape[1], "the data")
    return model, X, y, loss


def cmd_diagnose(args) -> int:
    """Print the findings of one pass over a sample; exit 1 when there are any.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    if args.lr is not None and not args.optimizer:
        raise UserError("--lr sets the trial step's rate: give --optimizer too")
    model, X, y, loss = subject(args, "diagnosing")
    result = diagnose(model, X, y, loss, optimizer=args.optimizer, lr=args.lr, samples=args.samples)
    print(result)
    return 1 if result.findings else 0


def cmd_lr_find(args) -> int:
    """Sweep the learning rate and print the suggestion (and plot the sweep).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    if args.plot:
        check_path(args.plot, "--plot")
    model, X, y, loss = subject(args, "sweeping the learning rate of")
    result = lr_find(model, X, y, loss, args.optimizer, start=args.start, stop=args.stop, steps=args.steps,
                     batch_size=args.batch_size, rng=np.random.default_rng(args.seed))
    print(result)
    if args.plot:
        print(f"plot written to {result.plot(args.plot)}")
    return 0


__all__ = ["cmd_diagnose", "cmd_lr_find", "subject"]
