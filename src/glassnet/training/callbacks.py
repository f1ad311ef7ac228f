"""Callbacks: code that runs at fixed points of a training run.

A callback overrides any of the hooks below. Each receives the running
:class:`~glassnet.training.loop.Run`, which gives access to the model, the
optimizer and the history, and whose ``stop`` flag ends training after the
current epoch.
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._validation import check_positive_int, check_real
from ..errors import OptionError


class Callback:
    """Base class: override any of the five hooks; the others do nothing.

    Every solver fires all five, in this order: ``on_train_begin``; per epoch
    ``on_epoch_begin``, ``on_batch_end`` for each batch, ``on_epoch_end``;
    ``on_train_end``. For the quasi-Newton solvers an epoch is one iteration on
    the whole set (one "batch").
    """

    def on_train_begin(self, run) -> None:
        """Before the first epoch.

        Parameters
        ----------
        run : glassnet.training.Run
        """

    def on_epoch_begin(self, run, epoch: int) -> None:
        """At the start of an epoch.

        Parameters
        ----------
        run : glassnet.training.Run
        epoch : int
            Counted from 0.
        """

    def on_batch_end(self, run, batch: int, cost: float) -> None:
        """After each optimizer step.

        Parameters
        ----------
        run : glassnet.training.Run
        batch : int
            The batch's number within the epoch, from 0.
        cost : float
            The batch's cost before the step.
        """

    def on_epoch_end(self, run, epoch: int, logs: dict[str, float]) -> None:
        """At the end of an epoch; setting ``run.stop`` ends training.

        Parameters
        ----------
        run : glassnet.training.Run
        epoch : int
        logs : dict of str to float
            The epoch's ``loss``, ``accuracy``, ``val_*`` and ``lr``.
        """

    def on_train_end(self, run) -> None:
        """After the last epoch (also after an early stop or divergence).

        Parameters
        ----------
        run : glassnet.training.Run
        """


class LambdaCallback(Callback):
    """Call user functions ``on_epoch_end(epoch, logs)`` and ``on_batch_end(batch, cost)``.

    Parameters
    ----------
    on_epoch_end : callable, optional
    on_batch_end : callable, optional
    """

    def __init__(self, on_epoch_end: Callable | None = None, on_batch_end: Callable | None = None):
        self._epoch, self._batch = on_epoch_end, on_batch_end
        self.wants_batches = on_batch_end is not None

    def on_epoch_end(self, run, epoch, logs):
        if self._epoch:
            self._epoch(epoch, logs)

    def on_batch_end(self, run, batch, cost):
        if self._batch:
            self._batch(batch, cost)


class EarlyStopping(Callback):
    """Stop once ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        The smallest change that counts as an improvement.
    monitor : str, optional
        A key of the logs: "val_loss" when there is validation data, else
        "loss" by default; names with "accuracy" are maximized.
    restore_best : bool
        End with the weights of the best epoch.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, monitor: str | None = None,
                 restore_best: bool = True) -> None:
        self.patience = check_positive_int(patience, "patience", minimum=0)
        self.min_delta = check_real(min_delta, "min_delta", low=0.0)
        self.monitor = monitor
        self.restore_best = bool(restore_best)

    def on_train_begin(self, run):
        self.key = self.monitor or ("val_loss" if run.has_validation else "loss")
        self.sign = -1.0 if "accuracy" in self.key else 1.0
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_params: np.ndarray | None = None
        self.wait = 0

    def on_epoch_end(self, run, epoch, logs):
        if self.key not in logs:
            raise OptionError(f"EarlyStopping monitor={self.key!r} is not among the logs {sorted(logs)}")
        value = self.sign * logs[self.key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_params = run.model.params.copy()
        else:
            self.wait += 1
            if self.wait > self.patience:
                run.stop = True
                run.history.stopped_early = True
                run.history.message = (f"early stopping: {self.key} did not improve for "
                                       f"{self.patience} epochs after epoch {self.best_epoch}")

    def on_train_end(self, run):
        if self.restore_best and self.best_params is not None:
            run.model.params[...] = self.best_params


class ModelCheckpoint(Callback):
    """Save model, optimizer and training state to ``path`` after every ``every`` epochs.

    A gradient-descent run resumes from the file with :func:`glassnet.resume`
    and continues exactly as if it had not stopped.

    Parameters
    ----------
    path : str or path-like
    every : int
        Save every this many epochs.
    save_best_only : bool
        Save only when ``monitor`` (as in :class:`EarlyStopping`) improves.
    monitor : str, optional
    """

    def __init__(self, path: str | Path, every: int = 1, save_best_only: bool = False,
                 monitor: str | None = None) -> None:
        self.path = Path(path)
        self.every = check_positive_int(every, "every")
        self.save_best_only = bool(save_best_only)
        self.monitor = monitor

    def on_train_begin(self, run):
        self.key = self.monitor or ("val_loss" if run.has_validation else "loss")
        self.best = math.inf

    def on_epoch_end(self, run, epoch, logs):
        if (epoch + 1) % self.every:
            return
        if self.save_best_only:
            value = -logs[self.key] if "accuracy" in self.key else logs[self.key]
            if value >= self.best:
                return
            self.best = value
        run.save_checkpoint(self.path, next_epoch=epoch + 1)


class ProgressBar(Callback):
    """A progress bar over epochs (tqdm when installed, else one line per epoch).

    Parameters
    ----------
    stream : file-like, optional
        Standard error by default.
    """

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr

    def on_train_begin(self, run):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
        else:
            # the size given: some terminals report 0 x 0, where tqdm's own query draws nothing
            size = shutil.get_terminal_size(fallback=(80, 24))
            self.bar = tqdm(total=run.epochs - run.initial_epoch, unit="epoch", file=self.stream,
                            ncols=size.columns or 80, nrows=size.lines or 24, leave=True)

    def on_epoch_end(self, run, epoch, logs):
        text = {k: f"{v:.4g}" for k, v in logs.items() if k != "lr"}
        if self.bar is not None:
            self.bar.set_postfix(text, refresh=False)
            self.bar.update(1)
        else:
            print(f"epoch {epoch + 1}/{run.epochs} " + " ".join(f"{k}={v}" for k, v in text.items()),
                  file=self.stream)

    def on_train_end(self, run):
        if self.bar is not None:
            self.bar.close()
