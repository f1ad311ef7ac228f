"""``glassnet diagnose`` and ``glassnet lr-find``: why a network will not learn, and a learning rate to try."""

from __future__ import annotations

import numpy as np

from ..tools.diagnose import diagnose
from ..tools.figures import check_path
from ..tools.lr_find import lr_find
from .data import UserError, model_or_default


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
    model, X, y, loss, name = model_or_default(args, (256, 128))
    print(f"diagnosing {name} on its training data" if args.model else f"diagnosing a fresh {name} on the digits")
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
    if args.stop <= args.start:  # before the model and the data are read, which may take a while
        raise UserError(f"--stop must be larger than --start; received --start {args.start:g}, --stop {args.stop:g}")
    if args.plot:
        check_path(args.plot, "--plot", inputs=[args.model] if args.model else [])
    model, X, y, loss, name = model_or_default(args, (256, 128))
    print(f"sweeping the learning rate of {name} on its training data" if args.model
          else f"sweeping the learning rate of a fresh {name} on the digits")
    result = lr_find(model, X, y, loss, args.optimizer, start=args.start, stop=args.stop, steps=args.steps,
                     batch_size=args.batch_size, rng=np.random.default_rng(args.seed))
    print(result)
    if args.plot:
        print(f"plot written to {result.plot(args.plot)}")
    return 0


__all__ = ["cmd_diagnose", "cmd_lr_find"]
