"""Gradient descent: batch, mini-batch and stochastic, with any optimizer's update rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core._validation import all_finite, short
from ..core.arrays import errstate, is_numpy, is_sparse, read_floats
from ..core.rows import LazyRows
from ..errors import OptionError
from ..losses.objective import Objective
from .callbacks import Callback
from .data import correct, evaluate, is_classifier_loss, is_multilabel
from .run import Run

Array = Any

#: on a GPU, the batches whose costs are read (and checked by the divergence guard) at once
SYNC_EVERY = 32


def gradient_descent(run: Run, X: Array, y: Array, w: Array | None, X_val: Array | None, y_val: Array | None,
                     batch_size: int | None, shuffle: bool, callbacks: list[Callback],
                     augment: Callable[[Array, np.random.Generator], Array] | None = None) -> None:
    """Train ``run.model`` epoch by epoch, one optimizer step per batch.

    Parameters
    ----------
    run : Run
        Its optimizer is bound to the model.
    X : array, shape (n_samples, *input_shape)
    y : array
        Prepared targets.
    w : array, shape (n_samples,), optional
        Per-sample weights.
    X_val, y_val : arrays, optional
        Validation data, scored at the end of each epoch.
    batch_size : int or None
        Rows per step; None for the whole set (batch gradient descent).
    shuffle : bool
        Reshuffle the rows each epoch from ``run.model.rng``.
    callbacks : list of Callback
        All five hooks fire.
    augment : callable, optional
        ``augment(batch, rng) -> batch`` for every training batch, with the model's generator.
    """
    model, objective, opt, history = run.model, run.objective, run.optimizer, run.history
    parallel = run.parallel
    assert opt is not None
    xp = model.xp
    n = X.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    classify = is_classifier_loss(objective.loss)
    multilabel = classify and is_multilabel(y)
    val_multilabel = classify and y_val is not None and is_multilabel(y_val)  # of all the rows, not a rank's share
    batch_hooks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
    # the training run's own buffers: batches are gathered into them, never allocated per step
    x_buf = None if is_sparse(X) else xp.empty((bs, *X.shape[1:]), dtype=X.dtype)
    y_buf = xp.empty((bs, *y.shape[1:]), dtype=y.dtype)
    w_buf = None if w is None else xp.empty(bs, dtype=w.dtype)
    wb = None
    steps_before = opt.t
    # NumPy's costs are floats already: each is checked before its step. A device's stay on the device,
    # read SYNC_EVERY at a time, so that a step never waits for the host
    every = 1 if is_numpy(xp) or parallel is not None else SYNC_EVERY
    last_cost = None
    start_time = time.perf_counter()
    run.steps_per_epoch = -(-n // bs)
    run.mark_done(run.initial_epoch)
    for cb in callbacks:
        cb.on_train_begin(run)
    epoch = run.initial_epoch
    try:
        # overflow is detected (a non-finite cost) and reported by the loop itself
        with errstate(xp, over="ignore", invalid="ignore"):
            for epoch in range(run.initial_epoch, run.epochs):
                for cb in callbacks:
                    cb.on_epoch_begin(run, epoch)
                opt.begin_epoch(epoch)
                if not is_numpy(xp):  # a device's dropout masks seeded afresh from the host's generators, which a
                    for ctx in objective.workspace(True).contexts:  # checkpoint keeps: a resumed run draws the same
                        ctx.device_rng = None
                order = model.rng.permutation(n) if shuffle and bs < n else None
                if order is not None and not is_numpy(xp):
                    order = xp.asarray(order)
                total = correct_rows = 0.0
                pending: list[tuple[int, int, Any, Any, Any]] = []  # (batch, rows, cost, right, extra) not yet read
                n_batches = -(-n // bs)
                for batch, start in enumerate(range(0, n, bs)):
                    stop = min(start + bs, n)
                    # the rows this process computes: the whole batch, or its rank's shard of it
                    lo, hi = (start, stop) if parallel is None else parallel.shard(start, stop)
                    if order is None:
                        xb, yb = X[lo:hi], y[lo:hi]
                        wb = None if w is None else w[lo:hi]
                    else:  # gathered into the run's buffers
                        idx = order[lo:hi]
                        xb = _gather(xp, X, idx, None if x_buf is None else x_buf[: hi - lo])
                        yb = _gather(xp, y, idx, y_buf[: hi - lo])
                        if w_buf is not None:
                            wb = _gather(xp, w, idx, w_buf[: hi - lo])
                    if augment is not None:
                        xb = _augmented(augment(xb, model.rng), xb)
                    if parallel is None:
                        cost = objective(xb, yb, training=True, weight=wb)
                        right = correct(objective.output, yb, objective.output_is_logits, multilabel) \
                            if classify else 0
                    else:  # the shards' gradients summed over the ranks: the whole batch's
                        cost, right = parallel.step(objective, xb, yb, wb, stop - start, classify, multilabel)
                    pending.append((batch, stop - start, cost, right, _extra_penalty(objective, stop - start, n)))
                    read = None
                    if len(pending) == every or batch == n_batches - 1:  # read the costs and check them
                        values = read_floats([v for p in pending for v in p[2:]])  # cost, right, extra
                        read = values[0::3], values[1::3], values[2::3]
                        for (b, rows, *_), c in zip(pending, read[0]):
                            if run.guard is not None and run.guard.check(c, rows) or not np.isfinite(c):
                                # the first batch's cost is that of the weights the last epoch ended with
                                run.diverged(epoch, b, c, last_cost, ended_bad=b == 0 and epoch > run.initial_epoch)
                                break
                            last_cost = c
                        if history.diverged:  # this batch's step is not taken (nor, on the CPU, any other)
                            break
                    opt.begin_step(epoch + batch / n_batches)
                    opt.step()
                    if read is not None:  # count them, and tell the batch hooks
                        for (b, rows, *_), c, r, extra in zip(pending, *read):
                            total += c * rows if objective.loss.is_mean else c - extra
                            correct_rows += r
                            for cb in batch_hooks:
                                cb.on_batch_end(run, b, c)
                        pending = []
                if history.diverged:
                    break
                if not all_finite(model.params):
                    run.diverged(epoch, None, float("nan"), last_cost)
                    break
                logs = {"loss": total / n if objective.loss.is_mean else total}
                if classify:
                    logs["accuracy"] = correct_rows / n
                if X_val is not None:
                    scores = evaluate(model, X_val, y_val, objective) if parallel is None else \
                        parallel.evaluate(model, X_val, y_val, objective, val_multilabel)
                    logs.update({f"val_{k}": v for k, v in scores.items()})
                logs["lr"] = opt.lr
                opt.end_epoch(logs.get("val_loss", logs["loss"]))
                run.record(epoch, logs)
                if parallel is None:
                    run.end_epoch(callbacks, epoch, logs)
                else:  # a stop, or a failure, on one rank is every rank's
                    parallel.end_epoch(run, callbacks, epoch, logs)
                if run.stop:
                    break
    except KeyboardInterrupt:  # Ctrl-C: back to the last complete epoch, which a checkpoint can resume
        run.interrupt(epoch)
    history.n_grad_evals += opt.t - steps_before
    history.seconds += time.perf_counter() - start_time
    for cb in callbacks:
        cb.on_train_end(run)


def _extra_penalty(objective: Objective, rows: int, n: int) -> Any:
    """What a batch's cost counts of the penalty beyond its share of an epoch's sum (0 for a mean loss).

    A sum loss's batch costs add up to the epoch's cost, but each counts the whole penalty; the epoch's cost
    counts it once, each batch ``rows / n`` of it at the weights it saw, as a mean loss's epoch cost does.
    """
    if objective.loss.is_mean or objective.batch_mean or rows == n:
        return 0.0  # (batch_mean gives each batch its own share of the penalty already)
    return objective.penalty_cost * (1.0 - rows / n)  # the term the batch's call added, at its weights


def _gather(xp: Any, source: Array, idx: Array, out: Array | None) -> Array:
    """``source[idx]`` written into ``out``; NumPy's ``mode="clip"`` skips a buffered copy."""
    if isinstance(source, LazyRows):  # read from the file now
        return source.take(idx, out)
    if out is None:  # a sparse matrix: its own row gather, into new CSR arrays
        return source[idx]
    if is_numpy(xp):
        return np.take(source, idx, axis=0, out=out, mode="clip")
    return xp.take(source, idx, axis=0, out=out)


def _augmented(moved: Any, batch: Array) -> Array:
    """What ``augment`` returned, if it is a batch like the one it was given: None (a function that changes
    the batch in place and returns nothing) or fewer rows failed inside the step, as NumPy's own error."""
    if getattr(moved, "shape", None) != batch.shape:
        raise OptionError(f"augment must return the batch it was given, moved, of shape {tuple(batch.shape)}; "
                          f"it returned {short(moved)}")
    return moved
