"""Continuing a run from its checkpoint, as if it had never stopped."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core._validation import check_real, short
from ..errors import GlassnetError, ModelFileError, OptionError
from ..io import model_file
from ..losses.costs import loss_from_config
from ..nn import Stack
from ..nn.stack import generator_in
from ..optim import get_schedule
from .callbacks import Callback
from .history import History
from .loop import augment_name, fit
from .solvers import is_full_batch


def resume(path: str | os.PathLike, X: Any, y: Any, *, epochs: int | None = None,
           validation_data: tuple | None = None, callbacks: list[Callback] | tuple = (),
           verbose: bool | None = None, model_class: type[Stack] = Stack,
           on_divergence: str = "warn", on_interrupt: str = "raise",
           augment: Callable[[Any, np.random.Generator], Any] | None = None,
           threads: int | None = None, comm: Any = None, device: Any = None,
           schedule: object = None, sample_weight: Any = None) -> tuple[Stack, History]:
    """Continue a run from a checkpoint written by :class:`~glassnet.training.ModelCheckpoint`.

    Parameters
    ----------
    path : str or path_like
        The checkpoint.
    X, y : array_like
        The same training data as the interrupted run.
    epochs : int, optional
        Where the run ends; by default where the interrupted run would have.
    validation_data : (X_val, y_val), optional
    callbacks : list of Callback
    verbose : bool, optional
    model_class : type
        The class of the model to build.
    on_divergence, on_interrupt : str
        As for :func:`fit`.
    augment : callable, optional
        The interrupted run's augmentation, again (the checkpoint records its
        description and refuses another).
    threads : int, optional
    comm : mpi4py communicator, optional
        As for :func:`fit`: every rank resumes from the same checkpoint.
    device : str or module, optional
        As for :func:`fit`: where the run goes on (``"gpu"``); by default the CPU.
    schedule : str or Schedule, optional
        Replaces the run's learning-rate schedule from here on; by default
        the run's own goes on. A run taken beyond its last epoch needs one
        where its own ends at 0, as a cosine does (``Cosine(period=epochs)``).
    sample_weight : array_like, optional
        The interrupted run's sample weights, again: a run trained with them
        is refused without them (it would go on as another run), and the other
        way round.

    Returns
    -------
    model : Stack
    history : History
        The whole run's, the interrupted part included.

    Notes
    -----
    The model, optimizer, random generator and fit settings come from the
    file, so with the same data a gradient-descent run ends exactly as if it
    had never stopped. A quasi-Newton run cannot be resumed exactly (SciPy
    keeps its curvature estimate to itself) and is refused.
    """
    ck = model_file.load(path, model_class, device=device)
    state = ck.training
    if "settings" not in state:
        raise ModelFileError(f"{path} holds a model but no training state to resume")
    done, planned = checkpoint_epochs(state, path)
    s = state["settings"]
    try:  # what fit takes from the file, read before fit reads it (an edited file raised KeyError from inside)
        if not isinstance(s, dict):
            raise TypeError(f"settings is a {type(s).__name__}")
        loss = loss_from_config(s["loss"])
        options = {"batch_size": s["batch_size"], "l2": s["l2"], "l1": s.get("l1", 0.0), "shuffle": s["shuffle"],
                   "batch_mean": s.get("batch_mean", False), "keep_best": s.get("keep_best") or False}
        History.from_dict(state["history"])
        if s.get("validation_split"):  # the same rows held out again, drawn as the interrupted run drew them
            options["validation_split"] = check_real(s["validation_split"], "validation_split", low=0.0, high=1.0,
                                                     high_open=True)
            split = s.get("split_rng")  # a checkpoint before it has none
            if split is not None:
                generator_in(split, "split_rng")
    except (KeyError, TypeError, AttributeError, ValueError, GlassnetError) as exc:
        why = f"no field {exc.args[0]!r}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {str(exc)[:120]}"
        raise ModelFileError(f"{path} is damaged or was edited: its training settings cannot be read ({why})") \
            from None
    if is_full_batch(s.get("solver", "")):
        raise ModelFileError(f"{path} was written by a {s['solver']!r} run, which cannot be resumed exactly: "
                             "SciPy keeps the solver's curvature estimate to itself. Load the model with "
                             "glassnet.load and start a new fit from its weights.")
    if ck.optimizer is None:
        raise ModelFileError(f"{path} holds no optimizer state, which resuming needs")
    if s.get("validation_split") and "split_rng" not in s:
        raise OptionError(f"{path} was written before checkpoints kept the rows validation_split held out, so its "
                          "run cannot be resumed exactly; load the model and fit it again")
    if s.get("validation_split") and validation_data is not None:
        raise OptionError(f"the interrupted run held out validation_split={s['validation_split']:g} of its rows, "
                          "which resuming holds out again: leave validation_data out")
    given, kept = augment_name(augment), augment_name(s.get("augment"))  # checkpoints before it kept addresses
    if given != kept:
        raise OptionError(f"augment must be what the interrupted run had ({kept or 'none'}) for it to resume "
                          f"exactly; received {given or 'none'}")
    if "sample_weight" in s and (sample_weight is not None) != s["sample_weight"]:  # files before it: unknown
        raise OptionError("sample_weight must be given to resume a run trained with it, the same weights again"
                          if s["sample_weight"] else "sample_weight was not used by the interrupted run; resuming "
                          "it with weights would make another run")
    if schedule is not None:
        ck.optimizer.schedule = get_schedule(schedule)
    history = fit(ck.model, X, y, loss=loss, optimizer=ck.optimizer, epochs=epochs if epochs is not None else planned,
                  validation_data=validation_data, callbacks=callbacks, sample_weight=sample_weight,
                  verbose=verbose, initial_epoch=done, on_divergence=on_divergence, on_interrupt=on_interrupt,
                  resume_state=ck, augment=augment, threads=threads, comm=comm, **options)
    return ck.model, history


def checkpoint_epochs(training: dict, path: str | os.PathLike) -> tuple[int, int]:
    """The epochs a checkpoint's run had done and was to do, checked to be whole numbers of at least 0.

    Parameters
    ----------
    training : dict
        A checkpoint's training state (``Checkpoint.training``).
    path : str or path_like
        Its file, for the message.

    Returns
    -------
    (int, int)
        ``epoch`` (the epochs done) and ``epochs``.
    """
    done, planned = training.get("epoch"), training.get("epochs")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (done, planned)):
        raise ModelFileError(f"{path} is damaged or was edited: a checkpoint's epoch and epochs must be whole "
                             f"numbers of at least 0; received {short(done)} and {short(planned)}")
    done, planned = int(done), int(planned)  # type: ignore[arg-type]  # checked above
    if done > planned:  # no run writes one: resuming it trained nothing and said nothing
        raise ModelFileError(f"{path} is damaged or was edited: its run did {done} epochs of {planned}")
    return done, planned
