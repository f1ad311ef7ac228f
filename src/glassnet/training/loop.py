"""``fit`` and ``resume``: one entry point for every solver, and a run continued from a checkpoint."""

from __future__ import annotations

import inspect
import math
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core._validation import (
    check_array,
    check_choice,
    check_flag,
    check_memory,
    check_positive_int,
    check_real,
    short,
)
from ..core.rows import LazyRows
from ..core.threads import limit as limit_threads
from ..core.threads import resolve as resolve_threads
from ..errors import DivergenceError, OptionError, OptionTypeError
from ..io.model_file import Checkpoint
from ..losses.costs import Loss, get_loss
from ..losses.objective import Objective
from ..nn import Stack
from ..nn.stack import check_model, generator_in
from ..optim import Optimizer
from .callbacks import Callback, ProgressBar
from .data import class_labels, is_classifier_loss, split_indices
from .distributed import DataParallel, check_supported, run_facts, solver_digest
from .guard import FACTOR, Guard
from .history import History
from .run import Run
from .solvers import get_solver, misspelt


def fit(
    model: Stack,
    X: Any,
    y: Any,
    *,
    loss: str | Loss = "mse",
    optimizer: str | Optimizer = "sgd",
    epochs: int = 10,
    batch_size: int | None = 32,
    l2: float = 0.0,
    l1: float = 0.0,
    shuffle: bool = True,
    validation_data: tuple | None = None,
    validation_split: float = 0.0,
    callbacks: list[Callback] | tuple = (),
    verbose: bool | None = None,
    initial_epoch: int = 0,
    tol: float = 1e-6,
    sample_weight: object = None,
    on_divergence: str = "warn",
    divergence_factor: float = FACTOR,
    keep_best: bool | str = False,
    on_interrupt: str = "raise",
    resume_state: Checkpoint | None = None,
    augment: Callable[[Any, np.random.Generator], Any] | None = None,
    max_fun: int | None = None,
    threads: int | None = None,
    comm: Any = None,
    device: Any = None,
    batch_mean: bool = False,
    **optimizer_options: Any,
) -> History:
    """Train a model; gradient descent and quasi-Newton solvers behind one call.

    Parameters
    ----------
    model : Stack
        Trained in place.
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
        Targets for ``loss``: integer labels ``(n_samples,)`` or one-hot rows for
        softmax cross-entropy, values ``(n_samples, n_outputs)`` otherwise.
    loss : str or Loss
        "mse", "bce", "cross_entropy" (see :func:`glassnet.get_loss`).
    optimizer : str or Optimizer
        An :class:`~glassnet.optim.Optimizer`, or a name: "sgd", "rmsprop",
        "adam", "adamw" for gradient descent, with options as keyword
        arguments; "bfgs" or "lbfgs" for full-batch quasi-Newton training with SciPy.
    epochs : int
        Epochs of gradient descent; iterations of a quasi-Newton solver.
    batch_size : int or None
        Rows per step: None for batch gradient descent (the whole set each
        step), k for mini-batches of k rows, 1 for stochastic gradient descent.
        Ignored by the quasi-Newton solvers, which always take the whole set.
    l2 : float
        L2 strength lambda: ``lambda / 2 * sum(W**2)`` joins the cost (biases are not penalized).
    l1 : float
        L1 strength: ``l1 * sum(|W|)`` joins the cost, on the same weights.
    shuffle : bool
        Reshuffle the rows each epoch from ``model.rng``.
    validation_data : (X_val, y_val), optional
        Scored at the end of each epoch (``val_loss``, ``val_accuracy``).
    validation_split : float
        Or hold out this fraction of ``X`` (stratified by class for classification losses), drawn from
        ``model.rng``; a checkpoint keeps where the draw began, and :func:`resume` holds out the same rows.
    callbacks : list of Callback
        Hooks called during training; every solver fires all five.
    verbose : bool, optional
        Show a progress bar; by default when standard error is a terminal.
    initial_epoch : int
        The epoch to start from (non-zero when resuming).
    tol : float
        The quasi-Newton solvers' gradient tolerance.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative; multiplies each sample's term of the training cost
        (validation costs stay unweighted).
    on_divergence : "warn" or "raise"
        When a batch's cost becomes NaN or infinite, or grows ``divergence_factor``
        times over its level before training (see :mod:`glassnet.training.guard`),
        training stops and the model keeps the weights of its last complete
        epoch; a run that ends no better than chance (the cost of predicting
        the class frequencies, or R² <= 0) is reported the same way. Then a
        :class:`DivergenceWarning` is issued, or :class:`~glassnet.errors.DivergenceError` raised.
    divergence_factor : float
        How many times its level before training the smoothed batch cost may
        grow before the run counts as diverged (10); ``math.inf`` stops only
        on a cost that is not finite, as scikit-learn's MLP does, whose
        estimators here pass it.
    keep_best : bool or str
        End with the weights of the best epoch rather than the last: True
        judges by ``val_loss`` when there is validation data, else by
        ``loss``; a string names the log to judge by ("val_accuracy" is
        maximized). ``history.best_epoch`` says which epoch it was.
    on_interrupt : "raise" or "stop"
        Ctrl-C (``KeyboardInterrupt``) during training always returns the
        model, optimizer and random state to the end of the last complete
        epoch (then to the best epoch's weights with ``keep_best``), and
        callbacks' ``on_train_end`` runs, so a :class:`ModelCheckpoint` saves
        a state that resumes exactly. Then "raise" raises the
        ``KeyboardInterrupt`` again; "stop" returns the history as after an
        early stop, with ``history.interrupted`` set.
    resume_state : Checkpoint, optional
        Used by :func:`resume`: the checkpoint whose history and best epoch the run continues.
    augment : callable, optional
        ``augment(batch, rng) -> batch``, applied to every training batch with
        the model's generator (:class:`glassnet.datasets.RandomAffine` for
        images). Gradient-descent optimizers only.
    max_fun : int, optional
        The quasi-Newton solvers' limit on cost evaluations, line-search
        probes included (iterations are limited by ``epochs``).
    threads : int, optional
        Bound the BLAS's threads during training (see :mod:`glassnet.core.threads`);
        by default the cores this process may fairly use when training starts
        (with ``comm``, its share of the cores among the ranks on its machine).
    comm : mpi4py communicator, optional
        Train data-parallel over its ranks (see :mod:`glassnet.training.distributed`):
        every rank calls ``fit`` with the same model, data and arguments and
        computes its shard of every batch; the ranks end with identical
        parameters. Callbacks that write (:class:`ModelCheckpoint`,
        :class:`ProgressBar`) run on rank 0 only, the others on every rank.
    device : str or module, optional
        Train on this device: ``"cpu"``, ``"gpu"``, ``"gpu:N"`` (see
        :meth:`Stack.to <glassnet.nn.Stack.to>`). The model moves there first
        and stays there afterwards; the data moves there once. By default the
        model trains where it is.
    batch_mean : bool
        Each batch's cost as scikit-learn's MLP takes it, the penalty divided
        by the batch's weight (see :class:`~glassnet.Objective`); not with ``comm``.
    **optimizer_options
        Options of an optimizer given by name (``lr=0.1, momentum=0.9``).

    Returns
    -------
    History
        Per-epoch ``loss``, ``accuracy`` (classification), ``val_*`` and ``lr``.
    """
    check_model(model)
    if device is not None:
        model.to(device)
    with model.device_context():  # its GPU current, and the GPU's out-of-memory error told plainly
        # under comm, a rank that cannot start stops every rank, which would otherwise wait for it forever
        parallel = None if comm is None else DataParallel(comm)
        try:
            on_divergence = check_choice(on_divergence, "on_divergence", ("warn", "raise"))
            on_interrupt = check_choice(on_interrupt, "on_interrupt", ("raise", "stop"))
            if divergence_factor != math.inf:  # infinity: no factor at all, only costs that are not finite
                divergence_factor = check_real(divergence_factor, "divergence_factor", low=1.0)
            epochs = check_positive_int(epochs, "epochs", minimum=0)
            initial_epoch = check_positive_int(initial_epoch, "initial_epoch", minimum=0)
            batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
            threads = None if threads is None else resolve_threads(threads)  # at most the cores, on every rank
            validation_split = check_real(validation_split, "validation_split", low=0.0, high=1.0, high_open=True)
            tol = check_real(tol, "tol", low=0.0)
            shuffle = check_flag(shuffle, "shuffle")
            _check_hooks(callbacks, augment, keep_best, validation_data, validation_split)
            try:
                solver = get_solver(optimizer, **optimizer_options)
            except OptionError as exc:  # a misspelt argument of fit lands among the optimizer's options
                hint = misspelt(optimizer, optimizer_options, FIT_ARGUMENTS)
                if not hint:
                    raise
                raise type(exc)(f"{exc}{hint}") from None

            # prepare once: the data checked and on the model's device, the validation rows set apart
            objective = Objective(model, get_loss(loss), l2, l1, batch_mean)
            X, y = objective.prepare(X, y)
            w = _sample_weights(sample_weight, X.shape[0], model)
            if comm is not None and objective.batch_mean:
                raise OptionError("batch_mean divides each batch's cost by its own weight, which a rank's share of a "
                                  "batch does not know: train with comm and batch_mean=False")
            max_fun = solver.check(X, augment, parallel, max_fun)
            val = None if validation_data is None else objective.prepare(
                validation_data[0], validation_data[1], names=("validation_data[0]", "validation_data[1]"))
            if parallel is not None:  # everything a rank could refuse, refused before the ranks agree
                check_supported(model, solver.full_batch, augment)
                facts = run_facts(X, y, w, val, {
                    "parameters": model.n_params, "epochs": epochs, "initial_epoch": initial_epoch,
                    "batch_size": batch_size or 0, "validation_split": validation_split, "l2": objective.l2,
                    "l1": objective.l1, "shuffle": shuffle, "optimizer and its settings": solver_digest(solver)})
        except Exception as exc:
            if parallel is None:
                raise
            parallel.agree(exc)
            raise
        if parallel is not None:
            parallel.agree(facts=facts)
            share = parallel.threads()  # a collective: every rank asks, whatever it was given
            threads = min(share, resolve_threads(None)) if threads is None else threads
            parallel.start_together(model)  # rank 0's weights and generator, before they split or shuffle
        # the split's generator as it was before the split: a resumed run draws the same rows from it again
        kept = None if resume_state is None else resume_state.training["settings"].get("split_rng")
        split_rng = model.rng if kept is None else generator_in(kept, "split_rng")
        split_state = split_rng.bit_generator.state
        X, y, w, X_val, y_val = _validation_rows(objective, X, y, w, val, validation_split, split_rng)
        if parallel is None and initial_epoch < epochs:
            _check_batch_rows(model, X.shape[0], None if solver.full_batch else batch_size)
        if objective.batch_mean:  # a whole batch's weight: the penalty's share in the guard's and validation costs
            rows = X.shape[0] if solver.full_batch or batch_size is None else min(batch_size, X.shape[0])
            objective.penalty_rows = rows * (1.0 if w is None else float(w.mean()) or 1.0)
        settings = {"loss": {"name": type(objective.loss).__name__, **objective.loss.config()}, "l2": objective.l2,
                    "l1": objective.l1, "batch_mean": objective.batch_mean, "batch_size": batch_size,
                    "shuffle": shuffle, "validation_split": validation_split, "solver": solver.name,
                    "sample_weight": w is not None, "augment": augment_name(augment)}
        if validation_split:
            settings["split_rng"] = split_state
        history = History() if resume_state is None else History.from_dict(resume_state.training["history"])
        run = Run(model, objective, solver.bind(model), history, epochs, initial_epoch, X_val is not None, settings,
                  keep_best=keep_best)
        run.on_divergence, run.parallel = on_divergence, parallel
        trains = initial_epoch < epochs
        if trains:
            run.guard = Guard(objective, X, y, w, divergence_factor)
        if resume_state is not None:
            run.load_best(resume_state.training, resume_state.training_arrays)

        # then step
        epochs_before, steps_before = history.n_epochs, run.optimizer.t if run.optimizer is not None else 0
        with limit_threads(threads):
            solver.train(run, X, y, w, X_val, y_val, _with_progress(callbacks, verbose, parallel),
                         batch_size=batch_size, shuffle=shuffle, augment=augment, tol=tol, max_fun=max_fun)
        objective.release()  # the training passes' buffers, before the checks below score the model

        # then the weights to keep, and how the run ended
        if trains and not (history.diverged or run.interrupted) and history.n_epochs > epochs_before:
            run.check_last_step(run.optimizer.t - steps_before if run.optimizer is not None else 0)
        run.restore_best()
        if trains and not (history.diverged or run.interrupted) and history.n_epochs > epochs_before:
            run.check_learned()
        if (history.diverged or history.learned is False) and on_divergence == "raise":
            raise DivergenceError(history.message)
        if run.interrupted and on_interrupt == "raise":
            raise KeyboardInterrupt(history.message)
        if hasattr(model, "fit_loss"):  # a Sequential's evaluate takes this loss unless given another
            model.fit_loss = loss
        return history


def augment_name(augment: object) -> str | None:
    """What a checkpoint keeps of ``augment``, for a resumed run to be given the same: its repr, less the memory
    address that Python's own reprs hold (``<function shift at 0x7f...>``), which differs in every process.

    Parameters
    ----------
    augment : callable or None, or its name as a checkpoint kept it

    Returns
    -------
    str or None
    """
    if augment is None:
        return None
    return re.sub(r" at 0x[0-9a-fA-F]+", "", augment if isinstance(augment, str) else repr(augment))


#: fit's keyword arguments, to name one misspelt among the optimizer's options
FIT_ARGUMENTS = [name for name, p in inspect.signature(fit).parameters.items()
                 if p.kind is p.KEYWORD_ONLY or p.default is not p.empty]


def _check_hooks(callbacks: Any, augment: object, keep_best: object, validation_data: object,
                 validation_split: float) -> None:
    """Refuse callbacks, an augmentation, ``keep_best`` or validation settings of the wrong kind."""
    if isinstance(callbacks, Callback):
        name = type(callbacks).__name__
        raise OptionTypeError(f"callbacks must be a list of Callbacks; received one {name}: write "
                              f"callbacks=[{name}(...)]")
    if not isinstance(callbacks, (list, tuple)):
        raise OptionTypeError(f"callbacks must be a list of Callbacks; received {short(callbacks)}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise OptionTypeError(f"callbacks[{i}] must be a glassnet Callback; received {type(cb).__name__}")
    if augment is not None and not callable(augment):
        raise OptionTypeError(f"augment must be a callable (batch, rng) -> batch; received {short(augment)}")
    if not isinstance(keep_best, (bool, str)):
        raise OptionTypeError(f"keep_best must be True, False or the name of a log; received {short(keep_best)}")
    if validation_data is not None:
        if validation_split:
            raise OptionError("give validation_data or validation_split, not both")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise OptionTypeError("validation_data must be a pair (X_val, y_val)")


def _check_batch_rows(model: Stack, n: int, batch_size: int | None) -> None:
    """Refuse, before the first step, batches smaller than a layer can train on (see ``Layer.fewest_rows``),
    and batches whose layer outputs and their gradients cannot fit in the memory this machine has free."""
    shapes: list[Any] = model.layer_shapes()  # built by the data's preparation
    rows = n if batch_size is None else min(batch_size, n)
    # the batch, and each layer's working arrays (its output; a conv layer's im2col matrix) with their
    # gradients: within 15 % of a conv net's traced peak, where outputs and gradients alone came to 57 %
    values = math.prod(shapes[0]) + sum(layer.scratch_per_sample(shape, training=True)
                                        for layer, shape in zip(model.layers, shapes))
    if model.xp is np:  # (a GPU's own memory is the device's to refuse)
        check_memory(rows * values * model.dtype.itemsize,
                     f"training on batches of {rows:,} rows (their layers' outputs and gradients; a smaller "
                     f"batch_size needs less)" if batch_size is not None else
                     f"training on all {rows:,} rows at once (their layers' outputs and gradients; batches, "
                     f"of a gradient-descent optimizer, need less)")
    smallest = n if rows == n else (n % rows or rows)
    for i, (layer, shape) in enumerate(zip(model.layers, shapes)):
        need = layer.fewest_rows(shape)
        if smallest < need:
            name = f"layers[{i}] {type(layer).__name__}"
            if rows == n:
                raise OptionError(f"{name} needs at least {need} rows in a training batch; received {n} training "
                                  f"row(s)")
            other = next(b for b in range(rows + 1, n + 1) if n % b == 0 or n % b >= need)
            raise OptionError(f"{name} needs at least {need} rows in a training batch, but {n:,} training rows "
                              f"in batches of {rows} leave a last batch of {smallest}: choose another "
                              f"batch_size (such as {other})")


def _sample_weights(sample_weight: object, n: int, model: Stack) -> Any:
    """The per-sample weights checked (one per row, non-negative, not all zero), on the model's device."""
    if sample_weight is None:
        return None
    w = check_array(sample_weight, "sample_weight", ndim=1, dtype=model.dtype, xp=model.xp)
    if w.shape[0] != n:
        raise OptionError(f"sample_weight must hold {n} values, one per sample; received {w.shape[0]}")
    if float(w.min()) < 0:
        raise OptionError(f"sample_weight must be non-negative; received a minimum of {float(w.min())}")
    if not float(w.max()) > 0:
        raise OptionError("sample_weight must give some sample a positive weight; received all zeros, "
                          "which leaves nothing to learn from")
    return w


def _validation_rows(objective: Objective, X: Any, y: Any, w: Any, validation_data: tuple | None,
                     validation_split: float, rng: np.random.Generator) -> tuple:
    """``(X, y, w, X_val, y_val)``: the validation data (prepared), or a share of the rows held out (stratified
    for a classifier, drawn from ``rng``); no validation gives ``X_val = y_val = None``."""
    if validation_data is not None:
        return (X, y, w, *validation_data)
    if not validation_split:
        return X, y, w, None, None
    labels = class_labels(y) if is_classifier_loss(objective.loss) else None
    train, val = split_indices(X.shape[0], validation_split, rng, labels)
    X, X_val = (X.subset(train), X.subset(val)) if isinstance(X, LazyRows) else (X[train], X[val])
    return X, y[train], None if w is None else w[train], X_val, y[val]


def _with_progress(callbacks: Any, verbose: bool | None, parallel: DataParallel | None) -> list[Callback]:
    """The callbacks a process runs: a progress bar added when asked (by default on a terminal); on the ranks
    after the first of a data-parallel run, only those that run on every rank."""
    callbacks = list(callbacks)
    if verbose or (verbose is None and sys.stderr.isatty()):
        callbacks.append(ProgressBar())
    if parallel is not None and parallel.rank:
        callbacks = [cb for cb in callbacks if cb.every_rank]
    return callbacks
