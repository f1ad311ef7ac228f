"""The training loop: batch, mini-batch and stochastic gradient descent, validation, callbacks."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .._validation import check_array, check_positive_int, check_real
from ..functional import l2_penalty
from ..io import model_file
from ..losses import Loss, get_loss, loss_from_config
from ..nn.sequential import Sequential
from ..objective import Objective
from ..optim import Optimizer, get_optimizer
from .callbacks import Callback, ProgressBar
from .data import accuracy, class_labels, is_classifier_loss, split_indices
from .history import History

QUASI_NEWTON = ("bfgs", "lbfgs")


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the cost became NaN or infinite."""


class Run:
    """The state of one ``fit``: what callbacks see, and what a checkpoint saves."""

    def __init__(self, model, objective, optimizer, history, epochs, initial_epoch,
                 has_validation, settings):
        self.model, self.objective, self.optimizer = model, objective, optimizer
        self.history, self.epochs, self.initial_epoch = history, epochs, initial_epoch
        self.has_validation = has_validation
        self.settings = settings
        self.stop = False

    def save_checkpoint(self, path: str | Path, next_epoch: int) -> None:
        training = {
            "epoch": next_epoch, "epochs": self.epochs,
            "rng_state": self.model.rng.bit_generator.state,
            "history": self.history.as_dict(), "settings": self.settings,
        }
        model_file.save(path, self.model, self.optimizer, training)


def fit(
    model: Sequential,
    X: object,
    y: object,
    *,
    loss: str | Loss = "mse",
    optimizer: str | Optimizer = "sgd",
    epochs: int = 10,
    batch_size: int | None = 32,
    l2: float = 0.0,
    shuffle: bool = True,
    validation_data: tuple | None = None,
    validation_split: float = 0.0,
    callbacks: list[Callback] | tuple = (),
    verbose: bool | None = None,
    initial_epoch: int = 0,
    tol: float = 1e-6,
    sample_weight: object = None,
    **optimizer_options,
) -> History:
    """Train ``model`` on ``X`` (n_samples, n_features) and ``y``; return a :class:`History`.

    ``batch_size=None`` is batch gradient descent (the whole set each step),
    ``k`` mini-batches of k rows, ``1`` stochastic gradient descent. Rows are
    reshuffled each epoch from ``model.rng`` when ``shuffle``.

    ``optimizer`` is an :class:`~glassnet.optim.Optimizer` or a name, "sgd",
    "rmsprop", "adam", "adamw", with options as keyword arguments (``lr=0.1,
    momentum=0.9``); or "bfgs" / "lbfgs" for full-batch quasi-Newton training
    with SciPy, where ``epochs`` bounds the iterations and ``tol`` is the
    gradient tolerance.

    Validation: ``validation_data=(X_val, y_val)``, or ``validation_split``, a
    fraction held out (stratified by class for classification losses).

    ``sample_weight`` (n_samples,), non-negative, multiplies each sample's
    term of the training cost (validation costs stay unweighted).

    A cost that becomes NaN or infinite stops training with a
    :class:`DivergenceWarning`; the model keeps the weights of its last epoch
    with a finite cost.
    """
    objective = Objective(model, get_loss(loss), l2)
    X, y = objective.prepare(X, y)
    w = None
    if sample_weight is not None:
        w = check_array(sample_weight, "sample_weight", ndim=1, dtype=model.dtype)
        if w.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight must hold {X.shape[0]} values, one per sample; "
                             f"received {w.shape[0]}")
        if w.min() < 0:
            raise ValueError(f"sample_weight must be non-negative; received a minimum of {w.min()}")
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    initial_epoch = check_positive_int(initial_epoch, "initial_epoch", minimum=0)
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    validation_split = check_real(validation_split, "validation_split", low=0.0, high=1.0,
                                  high_open=True)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks[{i}] must be a glassnet Callback; received {type(cb).__name__}")
    settings = {"loss": {"name": type(objective.loss).__name__, **objective.loss.config()},
                "l2": objective.l2, "batch_size": batch_size, "shuffle": bool(shuffle),
                "validation_split": validation_split}

    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    X_val = y_val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_val, y_val)")
        X_val = model.check_input(validation_data[0], "validation_data[0]")
        n_out = model.out_features if model.out_features is not None else X.shape[1]
        y_val = objective.loss.validate_target(validation_data[1], (X_val.shape[0], n_out), model.dtype,
                                               "validation_data[1]")
    elif validation_split:
        labels = class_labels(y) if is_classifier_loss(objective.loss) else None
        train_idx, val_idx = split_indices(X.shape[0], validation_split, model.rng, labels)
        X, X_val, y, y_val = X[train_idx], X[val_idx], y[train_idx], y[val_idx]
        w = None if w is None else w[train_idx]

    history = History()
    callbacks = list(callbacks)
    if verbose or (verbose is None and sys.stderr.isatty()):
        callbacks.append(ProgressBar())

    if isinstance(optimizer, str) and optimizer in QUASI_NEWTON:
        from .quasi_newton import fit_quasi_newton

        return fit_quasi_newton(model, objective, X, y, X_val, y_val, method=optimizer,
                                max_iter=epochs, tol=tol, history=history, callbacks=callbacks,
                                weight=w, **optimizer_options)
    opt = get_optimizer(optimizer, **optimizer_options).bind(model)
    run = Run(model, objective, opt, history, epochs, initial_epoch, X_val is not None, settings)
    # overflow is detected (a non-finite cost) and reported by the loop itself
    with np.errstate(over="ignore", invalid="ignore"):
        _gradient_descent(run, X, y, w, X_val, y_val, batch_size, shuffle, callbacks)
    return history


def _gradient_descent(run: Run, X, y, w, X_val, y_val, batch_size, shuffle, callbacks) -> None:
    model, objective, opt, history = run.model, run.objective, run.optimizer, run.history
    n = X.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    mean_cost = objective.loss.is_mean
    classify = is_classifier_loss(objective.loss)
    batch_hooks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
    x_buf = np.empty((bs,) + X.shape[1:], dtype=X.dtype)
    y_buf = np.empty((bs,) + y.shape[1:], dtype=y.dtype)
    w_buf = None if w is None else np.empty(bs, dtype=w.dtype)
    wb = None
    last_good = model.params.copy()
    start_time = time.perf_counter()
    for cb in callbacks:
        cb.on_train_begin(run)
    for epoch in range(run.initial_epoch, run.epochs):
        for cb in callbacks:
            cb.on_epoch_begin(run, epoch)
        opt.begin_epoch(epoch)
        order = model.rng.permutation(n) if shuffle and bs < n else None
        total = correct = 0.0
        for batch, start in enumerate(range(0, n, bs)):
            stop = min(start + bs, n)
            if order is None:
                xb, yb = X[start:stop], y[start:stop]
                wb = None if w is None else w[start:stop]
            else:  # gather into reused buffers: no allocation per batch
                idx = order[start:stop]
                xb = np.take(X, idx, axis=0, out=x_buf[: stop - start], mode="clip")
                yb = np.take(y, idx, axis=0, out=y_buf[: stop - start], mode="clip")
                if w is not None:
                    wb = np.take(w, idx, axis=0, out=w_buf[: stop - start], mode="clip")
            cost = objective(xb, yb, training=True, weight=wb)
            if not np.isfinite(cost):
                _diverged(run, epoch, batch, cost, last_good)
                break
            opt.step()
            total += cost * (stop - start) if mean_cost else cost
            if classify:
                correct += accuracy(objective.output, yb, objective.output_is_logits) * (stop - start)
            for cb in batch_hooks:
                cb.on_batch_end(run, batch, cost)
        if history.diverged:
            break
        if not np.isfinite(model.params).all():
            _diverged(run, epoch, None, float("nan"), last_good)
            break
        logs = {"loss": total / n if mean_cost else total}
        if classify:
            logs["accuracy"] = correct / n
        if X_val is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, X_val, y_val, objective).items()})
        logs["lr"] = opt.lr
        opt.end_epoch(logs.get("val_loss", logs["loss"]))
        history.record(epoch, logs)
        last_good[...] = model.params
        for cb in callbacks:
            cb.on_epoch_end(run, epoch, logs)
        if run.stop:
            break
    history.n_grad_evals += opt.t
    history.seconds += time.perf_counter() - start_time
    for cb in callbacks:
        cb.on_train_end(run)


def _diverged(run: Run, epoch: int, batch: int | None, cost: float, last_good: np.ndarray) -> None:
    run.model.params[...] = last_good
    run.history.diverged = True
    where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
    kept = f"epoch {run.history.epochs[-1]}" if run.history.epochs else "the start of training"
    run.history.message = (
        f"training diverged at {where}: the cost became {cost}. The weights of {kept}, the last "
        f"with a finite cost, were kept. Try a smaller learning rate (lr={run.optimizer.lr:g} now)."
    )
    warnings.warn(run.history.message, DivergenceWarning, stacklevel=4)


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray, objective: Objective,
             batch_size: int = 4096) -> dict[str, float]:
    """Cost (L2 term included) and, for classifiers, accuracy; inference mode, in chunks."""
    loss = objective.loss
    mean_cost = loss.is_mean
    n = X.shape[0]
    total = correct = 0.0
    for start in range(0, n, batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model.forward(xb, training=False, stop=objective.stop)
        cost = objective.cost_and_grad(out, yb)[0]
        total += cost * xb.shape[0] if mean_cost else cost
        if is_classifier_loss(loss):
            correct += accuracy(out, yb, objective.output_is_logits) * xb.shape[0]
    result = {"loss": (total / n if mean_cost else total)
              + (l2_penalty(model.params[: model.n_decayed], objective.l2) if objective.l2 else 0.0)}
    if is_classifier_loss(loss):
        result["accuracy"] = correct / n
    return result


def resume(path: str | Path, X: object, y: object, *, epochs: int | None = None,
           validation_data: tuple | None = None, callbacks: list[Callback] | tuple = (),
           verbose: bool | None = None) -> tuple[Sequential, History]:
    """Continue a run from a checkpoint written by :class:`ModelCheckpoint`.

    The model, optimizer, random generator and fit settings come from the file,
    so with the same data the run ends exactly as if it had never stopped.
    Returns the model and the history of the whole run.
    """
    ck = model_file.load(path)
    state = ck.training
    if "settings" not in state:
        raise model_file.ModelFileError(f"{path} holds a model but no training state to resume")
    s = state["settings"]
    loss_obj = loss_from_config(s["loss"])
    history = History.from_dict(state["history"])
    if s.get("validation_split"):
        raise ValueError("runs with validation_split cannot be resumed exactly; use validation_data")
    rest = fit(ck.model, X, y, loss=loss_obj, optimizer=ck.optimizer,
               epochs=epochs if epochs is not None else state["epochs"],
               batch_size=s["batch_size"], l2=s["l2"], shuffle=s["shuffle"],
               validation_data=validation_data, callbacks=callbacks, verbose=verbose,
               initial_epoch=state["epoch"])
    history.extend(rest)
    return ck.model, history
