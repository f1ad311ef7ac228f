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
import time
from collections.abc import Callable
from pathlib import Path

from ..core._validation import as_file_path, check_positive_int, check_real, check_writable, short
from ..errors import OptionError, OptionTypeError
from ..io.metadata import savable_metadata
from .monitor import better, check_monitor, monitored, oriented


class Callback:
    """Base class: override any of the five hooks; the others do nothing.

    Every solver fires all five, in this order: ``on_train_begin``; per epoch
    ``on_epoch_begin``, ``on_batch_end`` for each batch, ``on_epoch_end``;
    ``on_train_end``. For the quasi-Newton solvers an epoch is one iteration on
    the whole set (one "batch").

    Attributes
    ----------
    every_rank : bool
        In data-parallel training (``fit(comm=...)``), run on every rank (True,
        for callbacks that decide, such as early stopping: every rank sees the
        same logs and decides the same) or on rank 0 only (False, for those
        that write files or print).
    """

    every_rank = True

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

        On a GPU the costs are read 32 steps at a time
        (:data:`glassnet.training.descent.SYNC_EVERY`), so this is called for
        32 batches at once, after the last of their steps.

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
            The epoch's ``loss``, ``accuracy``, ``val_*`` and ``lr``. A value
            written into it (a metric of your own, ``logs["val_f1"] = ...``)
            goes into the history, and the callbacks after this one see it.
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
        for name, function in (("on_epoch_end", on_epoch_end), ("on_batch_end", on_batch_end)):
            if function is not None and not callable(function):  # it failed at the first epoch's end
                raise OptionTypeError(f"{name} must be a function or None; received {short(function)}")
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

    Its state is read from the run's history when training begins, so a run
    continued by :func:`glassnet.resume` stops where the uninterrupted run would.

    Parameters
    ----------
    patience : int
        Epochs without improvement before stopping: 3 stops after the third
        epoch in a row that does not improve on the best (0 after the first).
    min_delta : float
        The smallest change that counts as an improvement.
    monitor : str, optional
        A key of the logs: "val_loss" when there is validation data, else
        "loss" by default.
    mode : "auto", "min" or "max"
        Whether ``monitor`` improves as it falls or rises. "auto" knows the run's own logs (accuracies rise,
        losses fall); a log of your own callback's needs "min" or "max".
    restore_best : bool
        End with the weights of the epoch where ``monitor`` was best (the run
        keeps them, as ``fit(keep_best=monitor)`` does, unless ``fit`` was
        already asked to keep the best by another log).
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, monitor: str | None = None,
                 restore_best: bool = True, mode: str = "auto") -> None:
        self.patience = check_positive_int(patience, "patience", minimum=0)
        self.min_delta = check_real(min_delta, "min_delta", low=0.0)
        self.monitor, self.mode = check_monitor(monitor, mode, "EarlyStopping")
        self.restore_best = bool(restore_best)

    def on_train_begin(self, run):
        self.key = self.monitor or run.default_log()
        restores = self.restore_best and run.keep_best is None  # by the run's keep_best, of the run's own logs
        try:
            run.check_log(self.key, "EarlyStopping monitor", strict=restores)
        except OptionError as exc:
            raise OptionError(f"{exc}" + ("; restore_best=True keeps the best weights by the run's own logs only: "
                                          "give restore_best=False to stop on a metric of your own"
                                          if restores and not self.key.startswith("val_") else "")) from None
        self.better = better(self.key, self.mode, run.log_names(), "EarlyStopping monitor")
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        for epoch, value in zip(run.history.epochs, run.history.history.get(self.key, [])):
            self._update(epoch, oriented(value, self.better))  # the epochs before a resume
        if restores:
            run.keep_best, run.best_mode = self.key, self.better

    def _update(self, epoch: int, value: float) -> None:  # value: lower is better (see monitored)
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
        else:
            self.wait += 1

    def on_epoch_end(self, run, epoch, logs):
        self._update(epoch, monitored(logs, self.key, "EarlyStopping monitor", self.better))
        if self.wait and self.wait >= self.patience:  # as many epochs without improvement as it allows, as Keras
            run.stop = True
            run.history.stopped_early = True
            after = "the start" if self.best_epoch is None else f"epoch {self.best_epoch + 1}"
            run.history.message = f"early stopping: {self.key} did not improve for {self.patience} epochs after {after}"


class ModelCheckpoint(Callback):
    """Save model, optimizer and training state to ``path`` every ``every`` epochs, at the end, and on Ctrl-C.

    A gradient-descent run resumes from the file with :func:`glassnet.resume`
    and continues exactly as if it had not stopped (or goes on to more
    epochs). Unless ``save_best_only``, the state of the last complete epoch is
    also saved when the run ends, Ctrl-C included, but not after a divergence.

    Parameters
    ----------
    path : str or path_like
    every : int
        Save every this many epochs.
    save_best_only : bool
        Save only when ``monitor`` (as in :class:`EarlyStopping`) improves on
        its best so far: in this run, a run it resumes (read from the
        history), and earlier ``fit`` calls given this callback. An epoch whose
        log is NaN never counts as an improvement.
    monitor : str, optional
    mode : "auto", "min" or "max"
        As in :class:`EarlyStopping`.
    metadata : dict, optional
        JSON-ready data saved with each checkpoint.
    """

    every_rank = False

    def __init__(self, path: str | Path, every: int = 1, save_best_only: bool = False,
                 monitor: str | None = None, metadata: dict | None = None, mode: str = "auto") -> None:
        self.path = as_file_path(path, "ModelCheckpoint path")
        self.every = check_positive_int(every, "every")
        self.save_best_only = bool(save_best_only)
        self.monitor, self.mode = check_monitor(monitor, mode, "ModelCheckpoint")
        self.metadata = metadata
        self.key: str | None = None
        self.best = math.inf

    def on_train_begin(self, run):
        key = self.monitor or run.default_log()
        if self.save_best_only:
            run.check_log(key, "ModelCheckpoint monitor", strict=False)
            self.better = better(key, self.mode, run.log_names(), "ModelCheckpoint monitor")
            # the best saved so far, where the file holds it: by an earlier fit given this callback, or by the
            # run this one resumes (it used to start afresh, and overwrite the file with a worse epoch); a new
            # path starts afresh, so that it is written
            kept = self.path.is_file()
            saved = [oriented(value, self.better) for epoch, value in
                     zip(run.history.epochs, run.history.history.get(key, [])) if (epoch + 1) % self.every == 0]
            best = self.best if key == self.key else math.inf
            self.best = min([best, *saved]) if kept else math.inf  # NaN is never taken: min takes only a smaller
        self.key = key
        check_writable(self.path, "ModelCheckpoint path")  # now, not after the first epochs
        savable_metadata(self.metadata, run.model, self.path)  # as save will check it (class names for outputs)
        self.saved_at = run.initial_epoch

    def on_epoch_end(self, run, epoch, logs):
        if (epoch + 1) % self.every:
            return
        if self.save_best_only:
            value = monitored(logs, str(self.key), "ModelCheckpoint monitor", self.better)
            if not value < self.best:  # not better, or NaN
                return
            self.best = value
        run.save_checkpoint(self.path, next_epoch=epoch + 1, metadata=self.metadata)
        self.saved_at = epoch + 1

    def on_train_end(self, run):
        # the last complete epoch, to resume from: after Ctrl-C, or to train a finished run further
        if not self.save_best_only and not run.history.diverged and run.next_epoch != self.saved_at:
            run.save_checkpoint(self.path, metadata=self.metadata)


#: the least seconds between two lines of progress within an epoch, written to a file or a pipe
BATCH_EVERY = 10.0


class ProgressBar(Callback):
    """Training progress: a bar in a terminal, else a line every few seconds, each with the time left.

    In a terminal (with tqdm installed) one bar counts the steps of the whole
    run, so it moves within a long epoch, and shows the time spent and left,
    the epochs done and the last one's metrics, compact enough for 80 columns.
    Written to a file or a pipe, it prints each finished epoch's metrics, at
    most one line every ``every`` seconds and always the last epoch, and
    within an epoch longer than :data:`BATCH_EVERY` seconds how far it has
    come, each line with an estimate of the time left: a log shows a long
    run as it goes.

    Parameters
    ----------
    stream : file_like, optional
        Standard error by default.
    every : float
        The least seconds between two lines when ``stream`` is not a terminal.
    """

    every_rank = False

    def __init__(self, stream=None, every: float = 2.0) -> None:
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise OptionTypeError(f"stream must be a file opened for writing (sys.stdout, open(path, 'w')); "
                                  f"received {short(stream)}")
        self.stream = stream or sys.stderr
        self.every = check_real(every, "every", low=0.0)

    def on_train_begin(self, run):
        self.bar = None
        self.start, self.last = time.monotonic(), -math.inf  # the first epoch is written at once
        self.pending: str | None = None
        self.steps = max(1, getattr(run, "steps_per_epoch", 1))
        self.total = (run.epochs - run.initial_epoch) * self.steps
        self.done = 0
        isatty = getattr(self.stream, "isatty", None)
        if isatty is None or not isatty():
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        # the size given: some terminals report 0 x 0, where tqdm's own query draws nothing
        size = shutil.get_terminal_size(fallback=(80, 24))
        self.bar = tqdm(total=self.total, file=self.stream, ncols=size.columns or 80, nrows=size.lines or 24,
                        leave=True, bar_format="{bar:4} {elapsed}<{remaining} {desc}")
        self.bar.set_description_str(f"{run.initial_epoch}/{run.epochs}", refresh=False)

    def on_batch_end(self, run, batch, cost):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        now = time.monotonic()
        if batch + 1 < self.steps and now - max(self.last, self.start) >= max(self.every, BATCH_EVERY):
            print(f"epoch {run.next_epoch + 1}/{run.epochs}  batch {batch + 1}/{self.steps}  "
                  f"({self._times(now)})", file=self.stream, flush=True)
            self.last = now

    def on_epoch_end(self, run, epoch, logs):
        text = format_logs(logs)
        if self.bar is not None:
            self.bar.set_description_str(f"{epoch + 1}/{run.epochs} {text}", refresh=True)
            return
        self.pending = f"epoch {epoch + 1}/{run.epochs}  {text}  ({self._times(time.monotonic())})"
        if time.monotonic() - self.last >= self.every or epoch + 1 == run.epochs:
            self._flush()

    def _times(self, now: float) -> str:
        """``12.3 s`` spent, and ``about 1 min 5 s left`` once a step is done and steps remain."""
        spent = now - self.start
        text = f"{spent:.1f} s"
        if 0 < self.done < self.total:
            text += f", about {_duration(spent / self.done * (self.total - self.done))} left"
        return text

    def _flush(self) -> None:
        if self.pending:
            print(self.pending, file=self.stream, flush=True)
            self.pending, self.last = None, time.monotonic()

    def on_train_end(self, run):
        if self.bar is not None:
            self.bar.close()
        else:
            self._flush()  # the last epoch, also after an early stop


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def format_logs(logs: dict[str, float]) -> str:
    """An epoch's metrics in a few characters: ``loss 0.0123  acc 99.7%  val_loss 0.0712  val_acc 97.9%``.

    Parameters
    ----------
    logs : dict of str to float

    Returns
    -------
    str
    """
    parts = []
    for key, value in logs.items():
        if key == "lr":
            continue
        if key.endswith("accuracy"):
            parts.append(f"{key.replace('accuracy', 'acc')} {value:.1%}")
        else:
            parts.append(f"{key} {value:.4g}")
    return " ".join(parts)
