"""Full-batch training by BFGS and L-BFGS through SciPy, on the flat parameter vector."""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.optimize import minimize

from .data import is_classifier_loss


def fit_quasi_newton(model, objective, X, y, X_val, y_val, *, method, max_iter, tol, history,
                     callbacks, weight=None, **options):
    """Minimize the objective with ``scipy.optimize.minimize`` (BFGS or L-BFGS-B).

    SciPy works in float64; the model's parameters are set from its vector
    before each evaluation, and the analytic gradient is returned with the cost.
    The cost after each iteration is recorded in ``history`` (one entry per
    iteration, like an epoch of gradient descent). Dropout is off: a
    quasi-Newton method needs a deterministic objective.
    """
    if options:
        raise ValueError(f"unknown option(s) for optimizer={method!r}: {', '.join(sorted(options))}")
    from .loop import Run, evaluate

    run = Run(model, objective, None, history, max_iter, 0, X_val is not None, {})
    evals = 0

    def fun(theta):
        nonlocal evals
        evals += 1
        model.params[...] = theta
        cost = objective(X, y, training=False, weight=weight)
        return cost, model.grads.astype(np.float64)

    def callback(intermediate_result):
        epoch = history.n_epochs
        logs = {"loss": float(intermediate_result.fun)}
        if not np.isfinite(logs["loss"]):
            run.stop = True
        model.params[...] = intermediate_result.x
        if is_classifier_loss(objective.loss):
            logs["accuracy"] = evaluate(model, X, y, objective)["accuracy"]
        if X_val is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, X_val, y_val, objective).items()})
        history.record(epoch, logs)
        for cb in callbacks:
            cb.on_epoch_end(run, epoch, logs)
        if run.stop:
            raise StopIteration

    for cb in callbacks:
        cb.on_train_begin(run)
    start = time.perf_counter()
    scipy_method = {"bfgs": "BFGS", "lbfgs": "L-BFGS-B"}[method]
    opts = {"maxiter": max_iter, "gtol": tol}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # line-search probes may overflow exp
        result = minimize(fun, model.params.astype(np.float64), jac=True, method=scipy_method,
                          callback=callback, options=opts)
    model.params[...] = result.x
    history.n_grad_evals += evals
    history.seconds += time.perf_counter() - start
    history.converged = bool(result.success)
    history.message = f"{scipy_method}: {result.message}"
    for cb in callbacks:
        cb.on_train_end(run)
    return history
