"""Full-batch training by BFGS and L-BFGS through SciPy, on the flat parameter vector."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from ..core.arrays import to_numpy
from .callbacks import Callback
from .data import accuracy, evaluate, is_classifier_loss, params_host_copy
from .run import Run

Array = Any

#: glassnet's names of the quasi-Newton solvers and SciPy's
METHODS = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B"}


def quasi_newton(run: Run, X: Array, y: Array, w: Array | None, X_val: Array | None, y_val: Array | None,
                 method: str, tol: float, callbacks: list[Callback],
                 max_fun: int | None = None) -> None:
    """Minimize the objective with ``scipy.optimize.minimize`` (BFGS or L-BFGS-B).

    Parameters
    ----------
    run : Run
        ``run.epochs`` bounds the iterations; ``run.optimizer`` is None.
    X : array, shape (n_samples, *input_shape)
    y : array
        Prepared targets.
    w : array, shape (n_samples,), optional
        Per-sample weights.
    X_val, y_val : arrays, optional
    method : "bfgs" or "lbfgs"
    tol : float
        The gradient tolerance (SciPy's ``gtol``).
    callbacks : list of Callback
        All five hooks fire. An epoch is one iteration: its ``on_epoch_begin``,
        ``on_batch_end`` (batch 0, the whole set) and ``on_epoch_end`` fire
        together when SciPy reports the iteration.
    max_fun : int, optional
        The most cost evaluations (line-search probes included): L-BFGS-B's
        own ``maxfun``; BFGS stops at the first iteration that reaches it.

    Notes
    -----
    SciPy works in float64 on the host; the model's parameters are set from
    its vector before each evaluation, and the analytic gradient is returned
    with the cost. Dropout is off: a quasi-Newton method needs a deterministic
    objective.
    """
    # SciPy's optimizers cost 25 MB and a tenth of a second to import: only runs that use them pay
    from scipy.optimize import minimize

    model, objective, history = run.model, run.objective, run.history
    xp = model.xp
    evals = 0
    classify = is_classifier_loss(objective.loss)
    last: dict[str, Any] = {"theta": None, "accuracy": None}  # the accuracy of the latest evaluation
    limit: dict[str, str | None] = {"message": None}  # why BFGS stopped at max_fun (SciPy's BFGS has no such limit)
    epoch = run.initial_epoch  # an iteration is an epoch, numbered on from the run's first

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evals
        evals += 1
        model.params[...] = xp.asarray(theta, dtype=model.dtype)
        cost = float(objective(X, y, training=False, weight=w))
        if classify:  # an argmax now spares a forward pass when SciPy accepts this point
            last["theta"], last["accuracy"] = theta.copy(), accuracy(objective.output, y, objective.output_is_logits)
        return cost, to_numpy(model.grads).astype(np.float64)

    def callback(intermediate_result: Any) -> None:
        nonlocal epoch
        logs = {"loss": float(intermediate_result.fun)}
        if run.guard is not None and run.guard.check(logs["loss"], X.shape[0]) or not np.isfinite(logs["loss"]):
            run.diverged(epoch, None, logs["loss"])
            raise StopIteration
        model.params[...] = xp.asarray(intermediate_result.x, dtype=model.dtype)
        if classify:
            same = last["theta"] is not None and np.array_equal(last["theta"], intermediate_result.x)
            logs["accuracy"] = last["accuracy"] if same else evaluate(model, X, y, objective)["accuracy"]
        if X_val is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, X_val, y_val, objective).items()})
        run.record(epoch, logs)
        for cb in callbacks:
            cb.on_epoch_begin(run, epoch)
        for cb in callbacks:
            cb.on_batch_end(run, 0, logs["loss"])
        run.end_epoch(callbacks, epoch, logs)
        if max_fun is not None and method == "bfgs" and evals >= max_fun:
            run.stop = True
            limit["message"] = f"BFGS: stopped after {evals} cost evaluations (max_fun={max_fun})"
        epoch += 1
        if run.stop:
            raise StopIteration

    run.mark_done(run.initial_epoch)
    for cb in callbacks:
        cb.on_train_begin(run)
    start = time.perf_counter()
    options: dict[str, Any] = {"maxiter": run.epochs - run.initial_epoch, "gtol": tol}
    if max_fun is not None and method == "lbfgs":
        options["maxfun"] = max_fun
    try:
        if options["maxiter"] > 0:  # SciPy's L-BFGS-B takes a step even at maxiter=0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # line-search probes may overflow exp
                result = minimize(fun, params_host_copy(model), jac=True, method=METHODS[method], callback=callback,
                                  options=options)
            if not history.diverged:  # a diverged run has returned to its last good iteration
                model.params[...] = xp.asarray(result.x, dtype=model.dtype)
                history.converged = bool(result.success)
                history.message = limit["message"] or f"{METHODS[method]}: {result.message}"
    except KeyboardInterrupt:  # Ctrl-C: the weights of the last complete iteration
        run.interrupt(epoch)
    history.n_grad_evals += evals
    history.seconds += time.perf_counter() - start
    for cb in callbacks:
        cb.on_train_end(run)
