"""scikit-learn's per-epoch bookkeeping, as one glassnet callback, its learning-rate rules, its early-stopping
split, and the optimizer and network a fit goes on with after ``set_params``.

scikit-learn's MLP decides three things at the end of every epoch: whether
the epoch improved on the best so far by ``tol`` (the training cost, or the
validation score under early stopping), whether ``n_iter_no_change`` epochs
in a row did not (then training stops, or the "adaptive" rate is divided by
5 until it falls below 1e-6), and which weights are the best (restored at
the end under early stopping). :class:`Epochs` does the same inside
:func:`glassnet.fit`, and reports each epoch to scikit-learn's callbacks.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from .. import training
from ..errors import NonFiniteError
from ..nn import Dense
from ..optim import SGD, Adam, AdamW, Optimizer, RMSProp
from ..optim.schedules import Cosine, Schedule
from ..training.models import Sequential, mlp

#: scikit-learn's "adaptive" rate: divided by this after each run of epochs without improvement ...
ADAPTIVE_FACTOR = 5.0
#: ... until it is at most this, when training stops
ADAPTIVE_FLOOR = 1e-6


class SamplesSeen(Schedule):
    """scikit-learn's learning-rate rules, on its clock: samples seen since the first fit.

    "constant" keeps ``lr0``; "invscaling" gives ``lr0 / (t + 1) ** power_t``
    where ``t`` counts the samples of every earlier epoch, so a warm start or
    ``partial_fit`` continues the decay; "adaptive" is ``lr0`` times
    :attr:`scale`, which :class:`Epochs` divides by 5.

    Parameters
    ----------
    kind : "constant", "invscaling" or "adaptive"
    power_t : float
    """

    def __init__(self, kind: str, power_t: float) -> None:
        self.kind, self.power_t = kind, power_t
        self.t0 = 0          # samples seen before this fit's first epoch
        self.per_epoch = 1   # samples per epoch in this fit
        self.scale = 1.0

    def start(self, samples_seen: int, per_epoch: int) -> None:
        """Set the clock at the start of a fit.

        Parameters
        ----------
        samples_seen : int
            The estimator's ``t_``.
        per_epoch : int
            Training samples in this fit.
        """
        self.t0, self.per_epoch = int(samples_seen), int(per_epoch)

    def rate(self, lr0: float, epoch: float) -> float:
        if self.kind == "invscaling":
            return lr0 / (self.t0 + epoch * self.per_epoch + 1) ** self.power_t
        return lr0 * self.scale

    def state(self) -> dict:
        return {"scale": self.scale}

    def load_state(self, state: dict) -> None:
        self.scale = float(state.get("scale", 1.0))

    def config(self) -> dict:
        return {"kind": self.kind, "power_t": self.power_t}


class ScikitLearnOrder(np.random.Generator):
    """A generator whose epoch orders are scikit-learn's: the same ``random_state``, the same batches.

    scikit-learn's MLP reshuffles its index array with its ``RandomState``
    at the start of every epoch; :func:`glassnet.fit` asks ``model.rng`` for
    ``permutation(n)``. This generator answers with scikit-learn's order and
    draws everything else from ``bit_generator`` as any generator does. The
    estimators lend it to the model for the length of one fit.

    Parameters
    ----------
    random_state : numpy.random.RandomState
    bit_generator : numpy.random.BitGenerator
        The model's own.
    """

    def __init__(self, random_state: np.random.RandomState, bit_generator: np.random.BitGenerator) -> None:
        super().__init__(bit_generator)
        self.random_state = random_state
        self.order: np.ndarray | None = None

    def permutation(self, x: Any, axis: int = 0) -> np.ndarray:
        """The next epoch's order of ``x`` rows (``x`` an int: of ``range(x)``).

        Parameters
        ----------
        x : int or array
        axis : int
            Must be 0.

        Returns
        -------
        array
        """
        n = int(x) if np.ndim(x) == 0 else len(x)
        if self.order is None or len(self.order) != n:
            self.order = np.arange(n)
        # what sklearn.utils.shuffle(self.order, random_state=...) draws, without its 0.25 ms of checks
        # per epoch (a test holds the two equal)
        step = np.arange(n)
        self.random_state.shuffle(step)
        self.order = self.order[step]
        return self.order if np.ndim(x) == 0 else np.asarray(x)[self.order]


def optimizer_for(est: Any) -> Optimizer | str:
    """The optimizer an estimator's parameters describe (its ``solver``, rate and schedule); the solver's name
    for the quasi-Newton ones.

    Parameters
    ----------
    est : GlassnetClassifier or GlassnetRegressor

    Returns
    -------
    Optimizer or str
    """
    lr, sched = est.learning_rate_init, schedule(est.learning_rate, est.power_t, est.max_iter)
    if est.solver == "sgd":
        return SGD(lr, momentum=est.momentum, nesterov=est.nesterovs_momentum and est.momentum > 0,
                   schedule=sched, velocity="steps")  # scikit-learn's, which a changing rate shows
    if est.solver == "adam":  # eps on the uncorrected root, as scikit-learn's Adam adds it
        return Adam(lr, est.beta_1, est.beta_2, est.epsilon, schedule=sched, eps_hat=True)
    if est.solver == "adamw":  # glassnet's own solver: PyTorch's AdamW, as gn.AdamW
        return AdamW(lr, est.beta_1, est.beta_2, est.epsilon, weight_decay=est.alpha, schedule=sched)
    if est.solver == "rmsprop":
        return RMSProp(lr, rho=est.beta_2, eps=est.epsilon, schedule=sched)
    return est.solver  # "lbfgs" or "bfgs"


def optimizer_settings(est: Any) -> tuple:
    """The parameters :func:`optimizer_for` reads (``max_iter`` aside): a warm start whose settings changed
    (``set_params``) gets a new optimizer, one whose settings did not goes on with its own.

    Parameters
    ----------
    est : GlassnetClassifier or GlassnetRegressor

    Returns
    -------
    tuple
    """
    return (est.solver, est.learning_rate_init, est.learning_rate, est.power_t, est.momentum, est.nesterovs_momentum,
            est.beta_1, est.beta_2, est.epsilon, est.alpha if est.solver == "adamw" else None)


def with_activation(model: Sequential, activation: str) -> Sequential:
    """``model`` with ``activation`` between its layers, its weights kept (scikit-learn reads ``activation`` at
    each pass, so a warm start after ``set_params(activation=...)`` uses the new one).

    Parameters
    ----------
    model : Sequential
        An MLP of Dense layers, an activation after each but the last.
    activation : str

    Returns
    -------
    Sequential
        ``model`` itself when its activation is that one already.
    """
    if len(model.layers) < 2 or getattr(model.layers[1], "name", None) == activation:
        return model
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    sizes = [dense[0].params["W"].shape[0], *(layer.params["W"].shape[1] for layer in dense)]
    rebuilt = mlp(sizes, activation=activation, init="zeros", rng=0, dtype=model.dtype).to(model.xp)
    rebuilt.params[...], rebuilt.rng = model.params, model.rng  # on the model's device (CuPy to CuPy)
    return rebuilt


def schedule(kind: str, power_t: float, max_iter: int) -> Schedule:
    """The schedule for ``learning_rate=kind``: scikit-learn's three, and glassnet's "cosine".

    Parameters
    ----------
    kind : str
    power_t : float
    max_iter : int
        The cosine's period.

    Returns
    -------
    Schedule
    """
    if kind == "cosine":
        return Cosine(period=max_iter)
    return SamplesSeen(kind, power_t)


class Epochs(training.Callback):
    """Records, stops and restores at each epoch as scikit-learn's MLP does.

    Parameters
    ----------
    est : estimator
        Its fitted attributes are updated in place: ``n_iter_``, ``t_``,
        ``loss_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_``,
        ``validation_loss_curve_``, ``best_validation_score_``,
        ``learning_rate_`` and ``_no_improvement_count``.
    validation : (X_val, y_val, w_val) or None
        The held-out set scored after each epoch (early stopping).
    n_train : int
        Samples per epoch.
    stop_on_plateau : bool
        Whether more than ``n_iter_no_change`` epochs without improvement
        divide the adaptive rate or stop training. ``partial_fit``'s calls
        count toward it as scikit-learn's do: its one epoch ends anyway, but
        the adaptive rate falls.
    report : ReportEpochs or None
        scikit-learn's callbacks, told of each epoch.
    shuffles_whole : bool
        The epochs shuffle a batch that is the whole set: glassnet needs no order for it, but scikit-learn
        shuffles it all the same, and a ``random_state`` shared with other code must be drawn from as much.
    """

    def __init__(self, est: Any, validation: tuple | None, n_train: int, stop_on_plateau: bool,
                 report: ReportEpochs | None, shuffles_whole: bool = False) -> None:
        self.est, self.validation, self.n_train = est, validation, n_train
        self.stop_on_plateau, self.report, self.shuffles_whole = stop_on_plateau, report, shuffles_whole
        self.best_params: Any = None
        self.best_state: Any = None
        self.converged = False

    def on_epoch_begin(self, run, epoch):
        if self.shuffles_whole:
            self.est.model_.rng.permutation(self.n_train)  # scikit-learn's draw (ScikitLearnOrder), unused
        if self.report is not None:
            self.report.begin()

    def on_epoch_end(self, run, epoch, logs):
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_train
        est.loss_ = float(logs["loss"])
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if self.validation is not None:
            self._validate(run, logs)
        else:
            if est.loss_ > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, est.loss_)
        if self.report is not None and self.report.end():
            run.stop = True
            self.converged = True
        if self.stop_on_plateau and est._no_improvement_count > est.n_iter_no_change:
            self._plateau(run)
        est.learning_rate_ = self._next_rate(run, epoch)

    def _validate(self, run, logs):
        est = self.est
        assert self.validation is not None
        X_val, y_val, w_val = self.validation
        try:
            score = est._score_arrays(X_val, y_val, w_val)
        except NonFiniteError:  # outputs that overflowed: scikit-learn's score is then NaN, no improvement
            score = math.nan
        est.validation_scores_.append(score)
        est.validation_loss_curve_.append(float(logs["val_loss"]))
        if est.verbose:
            print(f"Validation score: {score:f}")
        if not score >= est.best_validation_score_ + est.tol:  # NaN counts as no improvement
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            self.best_params = run.model.params.copy()
            self.best_state = run.model.state.copy()

    def _plateau(self, run):
        """``n_iter_no_change`` epochs without improvement: divide the adaptive rate, or stop."""
        est = self.est
        what = "Validation score" if self.validation is not None else "Training loss"
        message = (f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} "
                   "consecutive epochs.")
        sched = run.optimizer.schedule if run.optimizer is not None else None
        if isinstance(sched, SamplesSeen) and sched.kind == "adaptive" and run.optimizer.lr > ADAPTIVE_FLOOR:
            sched.scale /= ADAPTIVE_FACTOR
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{message} Setting learning rate to {sched.rate(run.optimizer.lr0, 0):f}")
            return
        if est.verbose:
            print(f"{message} Stopping.")
        run.stop = True
        self.converged = True

    def _next_rate(self, run, epoch):
        """The rate the next epoch will use, as scikit-learn reports it after fitting."""
        opt = run.optimizer
        if opt is None:
            return None
        return float(opt.schedule.rate(opt.lr0, epoch + 1))

    def on_train_end(self, run):
        est = self.est
        if run.history.diverged and self.validation is not None:
            # the epoch that diverged: scikit-learn records its score as NaN and keeps the best weights
            est.n_iter_ += 1
            est.validation_scores_.append(float("nan"))
            est.validation_loss_curve_.append(float("nan"))
        if self.best_params is not None:
            run.model.params[...] = self.best_params
            run.model.state[...] = self.best_state


class ReportEpochs:
    """scikit-learn's callback protocol (``sklearn.callback``) around one fit: a task per epoch.

    Parameters
    ----------
    est : estimator
        Has ``_init_callback_context`` (``CallbackSupportMixin``).
    max_epochs : int or None
        The most epochs this fit can run.
    X, y : array_like
        The data given to ``fit``, handed to the callbacks (``ScoringMonitor`` scores on them).
    metadata : dict
        ``{"sample_weight": ...}`` when given.
    """

    def __init__(self, est: Any, max_epochs: int | None, X: Any, y: Any, metadata: dict) -> None:
        self.est, self.X, self.y, self.metadata = est, X, y, metadata
        self.root = est._init_callback_context(max_subtasks=max_epochs)
        self.task: Any = None
        self.root.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=metadata)

    def _snapshot(self) -> dict:
        """What makes a copy of the estimator predict as it would now: a copy of the network."""
        return {"model_": copy.deepcopy(self.est.model_)}

    def begin(self) -> None:
        """An epoch starts."""
        self.task = self.root.subcontext(task_name="epoch")
        self.task.call_on_fit_task_begin(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata)

    def end(self) -> bool:
        """An epoch ended; whether a callback asks training to stop.

        Returns
        -------
        bool
        """
        assert self.task is not None
        return bool(self.task.call_on_fit_task_end(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata,
                                                   reconstruction_attributes=self._snapshot))

    def finish(self) -> None:
        """The fit ended."""
        self.root.call_on_fit_task_end(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata,
                                       reconstruction_attributes=self._snapshot)


def hold_out(est: Any, X: Any, Y: Any, y: Any, sample_weight: Any) -> tuple:
    """scikit-learn's early-stopping split of ``est``'s data: ``validation_fraction`` of the rows, by its state.

    Returns the training part of ``X``, ``Y`` and ``sample_weight``, and
    ``(X_val, y_val, w_val)`` with ``y_val`` as the user gave the labels.
    """
    parts = [X, Y, np.asarray(y)] + ([] if sample_weight is None else [sample_weight])
    split = train_test_split(*parts, random_state=est._random_state, test_size=est.validation_fraction,
                             stratify=est._stratify(y))
    X, X_val, Y, _, _, y_val = split[:6]
    w_val = None
    if sample_weight is not None:
        sample_weight, w_val = split[6], split[7]
    if X_val.shape[0] < 2:
        raise ValueError(f"The validation set is too small: {X_val.shape[0]} sample(s) held out of "
                         f"{X.shape[0] + X_val.shape[0]} by validation_fraction={est.validation_fraction}, "
                         "where scoring needs at least 2. Increase 'validation_fraction' or the size of your "
                         "dataset.")
    if est.validation_scores_ is None:  # a warm start that turned early stopping on
        est.validation_scores_, est.validation_loss_curve_, est.best_validation_score_ = [], [], -np.inf
    return X, Y, sample_weight, (X_val, y_val, w_val)
