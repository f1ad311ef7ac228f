"""What every solver shares: the state of one training run, evaluation, divergence, checkpoints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..core.warn import warn_user
from ..io import model_file
from ..losses.objective import Objective
from ..nn import Stack
from ..optim import Optimizer
from .data import is_classifier_loss
from .guard import Guard
from .history import History
from .monitor import better, check_log, monitored

Array = Any


class DivergenceWarning(RuntimeWarning):
    """Training diverged (its cost became NaN, infinite or many times its starting level), or ended no better
    than chance."""


#: no best epoch: (value, epoch, params, state)
NO_BEST: tuple = (math.inf, None, None, None)


class Run:
    """The state of one ``fit``: what callbacks see, and what a checkpoint saves.

    Parameters
    ----------
    model : Stack
    objective : Objective
    optimizer : Optimizer or None
        The update rule of gradient descent; None for the quasi-Newton solvers.
    history : History
        Filled in as the run goes.
    epochs : int
        The epoch (iteration) at which the run ends.
    initial_epoch : int
        The epoch it starts from (non-zero when resumed).
    has_validation : bool
    settings : dict
        JSON-ready fit arguments that :func:`glassnet.resume` needs.
    keep_best : str or True, optional
        A log ("val_loss", "loss", "val_accuracy", ...): the run ends with the
        weights of the epoch where it was best (see :meth:`restore_best`).
        True follows :meth:`default_log`.

    Attributes
    ----------
    stop : bool
        Set by a callback to end training after the current epoch.
    """

    def __init__(self, model: Stack, objective: Objective, optimizer: Optimizer | None, history: History,
                 epochs: int, initial_epoch: int, has_validation: bool, settings: dict,
                 keep_best: str | bool | None = None) -> None:
        self.model, self.objective, self.optimizer = model, objective, optimizer
        self.history, self.epochs, self.initial_epoch = history, epochs, initial_epoch
        self.has_validation = has_validation
        # schedule="cosine" spans the first run that trains (a fit of 0 epochs fixed a period of 1)
        past_its_end = None if optimizer is None or initial_epoch >= epochs else optimizer.schedule.span(epochs)
        if past_its_end:
            warn_user(past_its_end)
        self.settings = settings
        self.stop = False
        #: what a diverging run does once it has restored its last finite weights: "warn" or "raise"
        self.on_divergence = "warn"
        #: the log whose best epoch's weights the run ends with ("val_loss", ...), or None for the last epoch's
        self.keep_best = self.default_log() if keep_best is True else (keep_best or None)
        self.best_value = math.inf
        self.best_epoch: int | None = None
        self.best_params: Array | None = None
        self.best_state: Array | None = None  # the running statistics that go with best_params
        #: the best before the current one (value, epoch, params, state): an undone epoch that was the best
        #: gives the title back to it
        self._best_before: tuple = NO_BEST
        #: set when Ctrl-C ended the run; the model is then back at the end of epoch ``next_epoch - 1``
        self.interrupted = False
        #: the ranks training this model together (a training.distributed.DataParallel), or None for one process
        self.parallel: Any = None
        self.next_epoch = self.checkpointed = initial_epoch  # (the epoch the last checkpoint written resumes at)
        # the state at the end of the last complete epoch, and at the end of the one before: the last step of an
        # epoch is checked only by the next epoch's first cost, so a run can have to go back two
        self._snapshot: dict[str, Any] = {}
        self._previous: dict[str, Any] = {}
        #: optimizer steps in an epoch (1 for the quasi-Newton solvers, whose epoch is one iteration)
        self.steps_per_epoch = 1
        #: the divergence guard (see :mod:`glassnet.training.guard`), set by ``fit`` before the first step
        self.guard: Guard | None = None
        #: whether the ``keep_best`` log is better lower ("min") or higher ("max")
        self.best_mode = "min"
        if self.keep_best is not None:
            self.check_log(self.keep_best, "keep_best")
            self.best_mode = better(self.keep_best, "auto", self.log_names(), "keep_best")

    def default_log(self) -> str:
        """The log that ``keep_best=True`` and the callbacks' monitors follow unless told: ``val_loss`` with
        validation data, else ``loss``.

        Returns
        -------
        str
        """
        return "val_loss" if self.has_validation else "loss"

    def log_names(self) -> list[str]:
        """The logs each epoch of this run writes: ``loss`` (and ``accuracy`` for a classifier), their
        ``val_`` twins with validation data, and ``lr`` under gradient descent.

        Returns
        -------
        list of str
        """
        names = ["loss", "accuracy"] if is_classifier_loss(self.objective.loss) else ["loss"]
        names += [f"val_{name}" for name in names] if self.has_validation else []
        return names + (["lr"] if self.optimizer is not None else [])

    def check_log(self, key: str, what: str, strict: bool = True) -> None:
        """Refuse, before the first epoch, a setting that names a log this run does not write.

        Parameters
        ----------
        key : str
            The log named (``"val_acc"``).
        what : str
            The setting, for the message (``"EarlyStopping monitor"``).
        strict : bool
            Refuse any other name. Otherwise (a callback's monitor, which an
            earlier callback's own metric may feed) refuse only a ``val_`` log
            of this run's without validation data; other names are checked
            when the first epoch ends.
        """
        check_log(key, self.log_names(), self.has_validation, what, strict)

    # --- the end of each epoch: history, best weights, and the state to fall back to ---

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append an epoch's logs to the history, keep its weights if they are the best so far, and mark it done.

        Parameters
        ----------
        epoch : int
        logs : dict of str to float
        """
        self.history.record(epoch, logs)
        if self.keep_best is not None:
            value = monitored(logs, self.keep_best, "keep_best", self.best_mode)
            if value < self.best_value:  # False for NaN: a diverged epoch is never the best
                spare = self._best_before  # its buffers are reused: two bests are kept at most
                self._best_before = (self.best_value, self.best_epoch, self.best_params, self.best_state)
                self.best_value, self.best_epoch = value, epoch
                self.best_params = _copy_into(spare[2], self.model.params)
                self.best_state = _copy_into(spare[3], self.model.state)
        self.mark_done(epoch + 1)

    def end_epoch(self, callbacks: list, epoch: int, logs: dict[str, float]) -> None:
        """Call each callback's ``on_epoch_end``, recording after each what it wrote into ``logs`` (see
        :meth:`History.record_late`), so that a checkpoint after it saves its metric.

        Parameters
        ----------
        callbacks : list of Callback
        epoch : int
        logs : dict of str to float
            The epoch's logs, already recorded by :meth:`record`.
        """
        for cb in callbacks:
            cb.on_epoch_end(self, epoch, logs)
            self.history.record_late(logs)

    def mark_done(self, next_epoch: int) -> None:
        """Remember the model, optimizer and random state as they are now, at the start of ``next_epoch``.

        A run that is interrupted or diverges later returns to exactly this
        state, from which a checkpoint resumes as if nothing had happened.

        Parameters
        ----------
        next_epoch : int
        """
        self._previous, self._snapshot = self._snapshot, self._previous  # the older one's buffers are reused
        snap = self._snapshot
        snap["params"] = _copy_into(snap.get("params"), self.model.params)
        snap["state"] = _copy_into(snap.get("state"), self.model.state)
        if self.optimizer is not None:
            scalars, slots = self.optimizer.state_dict()
            old = snap.get("slots", {})
            snap["scalars"] = scalars  # built afresh by state_dict, of numbers only
            snap["slots"] = {k: _copy_into(old.get(k), v) for k, v in slots.items()}
        snap["rng"] = self.model.generator_states()
        snap["n_epochs"] = self.history.n_epochs
        snap["next_epoch"] = self.next_epoch = next_epoch

    def roll_back(self, before_last: bool = False) -> None:
        """Return the model, optimizer, random state and history to the last :meth:`mark_done`.

        Parameters
        ----------
        before_last : bool
            Go back to the one before it instead (where there is one): the
            last complete epoch's final step sent the cost up. Its weights are
            then no longer kept as the best either.
        """
        snap = self._previous if before_last and self._previous else self._snapshot
        self.next_epoch = snap["next_epoch"]
        if self.best_epoch is not None and self.best_epoch >= self.next_epoch:  # the best before it, again
            self.best_value, self.best_epoch, self.best_params, self.best_state = self._best_before
            self._best_before = NO_BEST
        self.model.params[...] = snap["params"]
        self.model.state[...] = snap["state"]
        if self.optimizer is not None and "scalars" in snap:
            self.optimizer.restore_state(snap["scalars"], snap["slots"])  # still this model's
        self.model.set_generator_states(snap["rng"])
        self.history.truncate(snap["n_epochs"])

    def restore_best(self) -> None:
        """Give the model the weights of its best epoch, when the run keeps them (see :attr:`keep_best`)."""
        if self.best_params is not None:
            self.model.params[...] = self.best_params
            if self.best_state is not None:
                self.model.state[...] = self.best_state
            self.history.best_epoch = self.best_epoch

    # --- how a run ends other than by reaching its last epoch ---

    def diverged(self, epoch: int, batch: int | None, cost: float, last_cost: float | None = None,
                 ended_bad: bool = False) -> None:
        """Return to the last complete epoch, record why, and warn (see :attr:`on_divergence`).

        Parameters
        ----------
        epoch : int
        batch : int or None
            Where the guard saw the run diverge.
        cost : float
            The cost that was not finite, or too large.
        last_cost : float, optional
            The last finite cost seen before it.
        ended_bad : bool
            The cost was that of the weights the last complete epoch ended with (the first batch of the next
            epoch, or the end of the run): the run goes back one epoch further (see :meth:`roll_back`).
        """
        bad_epoch, rate = self.next_epoch, None if self.optimizer is None else self.optimizer.lr  # before going back
        self.roll_back(before_last=ended_bad)
        over = self.guard is not None and self.optimizer is not None and self.history.epochs \
            and self.guard.blown_up_now()
        went_on = bool(over and over[0] and not ended_bad and self._previous)  # the smoothing saw it late
        if went_on:  # the last complete epoch's weights are over the limit too: one epoch further back
            self.roll_back(before_last=True)
            over = self.history.epochs and self.guard.blown_up_now()  # type: ignore[union-attr]
        self.history.diverged = True
        self.stop = True
        if batch is None and ended_bad:
            where = f"the end of epoch {bad_epoch}"
        else:
            where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        if ended_bad:
            where += f" (the last step of epoch {bad_epoch} sent the cost there)" if batch is not None else ""
        if math.isfinite(cost):
            level = "" if self.guard is None else \
                f", over {self.guard.factor:g} times its level before training ({self.guard.level:.4g})"
            what = f"the cost grew to {cost:.4g}{level}"
        else:
            what = f"the cost became {cost:.4g}" + ("" if last_cost is None else
                                                    f" (the last finite cost was {last_cost:.4g})")
        kept = "the weights from before training were kept"
        if self.history.epochs:
            last = f"epoch {self.history.epochs[-1] + 1}"
            kept = f"the weights of {last} were kept" if ended_bad or went_on else \
                f"the weights of {last}, the last complete epoch, were kept"
            kept += f" (those of epoch {bad_epoch} cost over the limit too)" if went_on else ""
            kept += f", though they too cost {over[1]:.4g}, over the limit" if over and over[0] else ""
        advice = ""
        if self.optimizer is not None:  # the rate in force, which a schedule may have taken far from lr
            lr0 = self.optimizer.lr0
            advice = f" Try a smaller learning rate, such as lr={lr0 / 10:g} (a tenth of the {lr0:g} used)" + \
                ("." if rate is None or math.isclose(rate, lr0) else f": its schedule had taken it to {rate:.4g}.")
        self.history.message = f"training diverged at {where}: {what}. {kept[0].upper()}{kept[1:]}.{advice}"
        if self.checkpointed > self.next_epoch:  # written before the roll-back: the weights it holds went up
            self.history.message += (f" The checkpoint written at the end of epoch {self.checkpointed} holds weights "
                                     "past the ones kept: resume it only with a smaller learning rate.")
        if self.on_divergence == "warn":  # else fit raises DivergenceError once the run has ended
            warn_user(self.history.message, DivergenceWarning)

    def check_last_step(self, steps: int) -> None:
        """After a run of gradient descent that ended normally: its last step, which no later batch has checked.

        Where the weights cost over the guard's factor (:data:`~glassnet.training.guard.FACTOR`, or fit's
        ``divergence_factor``) times the level before training, the run has diverged at its very
        end: it goes back to the epoch before (see :meth:`diverged`). A run of
        one step is left as it is, as a one-batch epoch of a longer run is
        judged by the next epoch's cost: its level is its own starting cost
        (a ``partial_fit`` call), which a single step near a minimum may
        multiply without diverging.

        Parameters
        ----------
        steps : int
            The optimizer steps the run took.
        """
        if self.guard is None or self.optimizer is None or steps < 2:
            return
        bad, cost = self.guard.blown_up_now()
        if bad:
            self.diverged(self.next_epoch - 1, None, cost, ended_bad=True)

    def check_learned(self) -> None:
        """After a run that ended normally: record and report a model that does no better than chance.

        The guard scores the final model on its sample of the training rows
        against the best constant output; no lower means nothing was learned.
        """
        guard = self.guard
        if guard is None or guard.learned():
            return
        self.history.learned = False
        advice = (f" Try another learning rate (lr={self.optimizer.lr0:g} was used), more epochs,"
                  if self.optimizer is not None else " Try more iterations,")
        cost, right = guard.final_scores()
        scores = f"costs {cost:.4g}" + ("" if right is None else f" and is right {right:.1%} of the time")
        chance = f"costs {guard.chance:.4g}" + ("" if right is None else f" and is right {guard.chance_accuracy:.1%}")
        self.history.message = (f"training ended no better than chance: on the training set the model {scores}, "
                                f"where {guard.chance_words()} {chance}.{advice} or check that the inputs carry "
                                "information about the targets.")
        if self.on_divergence == "warn":
            warn_user(self.history.message, DivergenceWarning)

    def interrupt(self, epoch: int) -> None:
        """Ctrl-C during ``epoch``: return to the end of the last complete epoch and record it.

        Parameters
        ----------
        epoch : int
            The epoch that was running.
        """
        self.roll_back()
        self.interrupted = self.history.interrupted = self.stop = True
        where = (f"at the end of epoch {self.next_epoch}" if self.next_epoch > self.initial_epoch
                 else f"where it started, before epoch {self.next_epoch + 1} was complete")
        self.history.message = f"interrupted during epoch {epoch + 1}; training stopped {where}"

    # --- checkpoints ---

    def save_checkpoint(self, path: str | Path, next_epoch: int | None = None, metadata: dict | None = None) -> None:
        """Write the model, the optimizer and the training state, to resume at ``next_epoch``.

        Parameters
        ----------
        path : str or path_like
        next_epoch : int, optional
            By default the epoch after the last complete one.
        metadata : dict, optional
            Kept with the checkpoint (the command line records its settings there).
        """
        next_epoch = self.checkpointed = self.next_epoch if next_epoch is None else next_epoch
        training: dict[str, Any] = {
            "epoch": next_epoch, "epochs": self.epochs, **self.model.generator_states(),  # the layers' generators too
            "history": self.history.as_dict(),
            "settings": {**self.settings, "keep_best": self.keep_best, "best_mode": self.best_mode}}
        arrays: dict[str, Array] = {}
        if self.best_params is not None:
            training["best"] = {"value": self.best_value, "epoch": self.best_epoch}
            arrays["best_params"] = self.best_params
            if self.model.state.size:
                arrays["best_state"] = self.best_state
        model_file.save(path, self.model, self.optimizer, training, metadata=metadata, training_arrays=arrays)

    def load_best(self, training: dict, arrays: dict) -> None:
        """Continue a checkpoint's record of its best epoch (see :func:`glassnet.resume`).

        Parameters
        ----------
        training : dict
            The checkpoint's training state.
        arrays : dict
            Its training arrays (``best_params``, and ``best_state`` for models with running statistics).
        """
        if training.get("settings", {}).get("best_mode") in ("min", "max"):  # as the run had it (EarlyStopping's)
            self.best_mode = training["settings"]["best_mode"]
        best = training.get("best")
        if best is not None and "best_params" in arrays:
            self.best_value, self.best_epoch = float(best["value"]), int(best["epoch"])
            # copies: these buffers are written again by later bests, and the checkpoint's arrays stay its own
            self.best_params = self.model.xp.array(arrays["best_params"], dtype=self.model.dtype)
            if "best_state" in arrays:
                self.best_state = self.model.xp.array(arrays["best_state"], dtype=self.model.dtype)


def _copy_into(old: Array | None, new: Array) -> Array:
    if old is not None and old.shape == new.shape:
        old[...] = new
        return old
    return new.copy()
