"""What the two estimators share: parameters, the network, the fit, the weights.

Each batch's cost follows scikit-learn: ``(sum(w_i C_i) + alpha / 2 *
sum(W**2)) / sum(w_i)`` over its m rows (``sum(w_i) = m`` without sample
weights), the objective's ``batch_mean``; a last batch of fewer rows takes a
larger share of the penalty. SGD's momentum accumulates steps, as
scikit-learn's does (``SGD(velocity="steps")``), which a changing rate shows.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import training
from ..core._validation import check_positive_int, short
from ..core.arrays import to_numpy
from ..core.threads import available_cores
from ..core.threads import limit as limit_threads
from ..errors import DivergenceError, NonFiniteError
from ..losses.objective import Objective
from ..nn import Dense
from ..ops.init import INITIALIZERS
from ..training.models import mlp
from ._epochs import (
    Epochs,
    ReportEpochs,
    ScikitLearnOrder,
    hold_out,
    optimizer_for,
    optimizer_settings,
    with_activation,
)
from ._targets import check_kept_network

try:  # scikit-learn 1.9's callback protocol; older versions fit without it
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - scikit-learn < 1.9
    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stands in for scikit-learn's mixin where it does not exist."""

#: the solvers by name: glassnet's one list (:data:`glassnet.training.SOLVERS`)
SOLVERS = training.SOLVERS
QUASI_NEWTON = training.QUASI_NEWTON

#: the message scikit-learn gives when training overflows; glassnet adds where and why
NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large values and need to "
              "be preprocessed.")


#: scikit-learn's name for each list of layer arrays, and the Dense parameter it lists
_LAYER_ARRAYS = {"coefs": "W", "intercepts": "b"}


def _layer_arrays(name: str, doc: str) -> property:
    """``coefs_`` or ``intercepts_``: the network's arrays; assigned before the first fit, its starting ones."""

    def get(self):
        check_is_fitted(self, "model_")
        arrays = [layer.params[_LAYER_ARRAYS[name]] for layer in self._dense_layers()]
        return arrays if self.model_.xp is np else [to_numpy(a) for a in arrays]

    def set(self, arrays):
        if hasattr(self, "model_"):
            self._write(name, arrays)
        else:  # starting arrays for the first fit
            setattr(self, f"_start_{name}", [np.array(a, dtype=float) for a in arrays])

    return property(get, set, doc=doc)


class GlassnetBase(CallbackSupportMixin, BaseEstimator):
    """The shared half of :class:`GlassnetClassifier` and :class:`GlassnetRegressor`."""

    loss_curve_: list[float]
    validation_scores_: list[float] | None
    validation_loss_curve_: list[float] | None
    best_validation_score_: float | None
    best_loss_: float | None
    _optimizer_: Any

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions({"relu", "leaky_relu", "tanh", "sigmoid", "logistic", "identity"})],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="both")],  # scikit-learn's ranges
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left"), Options(numbers.Real, {np.inf})],
        "max_fun": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions(set(INITIALIZERS)), None],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "device": [str],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 max_fun=15000, init=None, dtype=None, n_threads=None, device="cpu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.init = init
        self.dtype = dtype
        self.n_threads = n_threads
        self.device = device

    # -- hooks the two estimators fill in ----------------------------------------
    def _encode_targets(self, y, first, incremental):
        raise NotImplementedError

    def _loss(self):
        raise NotImplementedError

    def _score_arrays(self, X, y, sample_weight):
        raise NotImplementedError

    def _stratify(self, Y):
        return None

    # -- the network ---------------------------------------------------------------
    def _hidden(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if any(not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 1 for s in sizes):  # True is 1
            raise ValueError("hidden_layer_sizes must be positive integers; "
                             f"received {short(self.hidden_layer_sizes)}")
        return [int(s) for s in sizes]

    def _new_model(self, n_features: int, dtype: np.dtype) -> None:
        """A fresh network (raw outputs: the loss applies softmax, sigmoid or exp) and empty records.

        With ``init=None`` the weights and biases are drawn as scikit-learn
        draws them, from the same random state in the same order: uniform in
        ``+-sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` for the logistic
        activation). With the same ``random_state`` the network starts where
        ``MLPClassifier`` or ``MLPRegressor`` starts.
        """
        act = "sigmoid" if self.activation == "logistic" else self.activation
        sizes = [n_features, *self._hidden(), self.n_outputs_]
        rs = self._random_state
        if self.init is None:
            self.model_ = mlp(sizes, activation=act, init="zeros", rng=0, dtype=dtype)
            factor = 2.0 if self.activation == "logistic" else 6.0
            for layer, fan_in, fan_out in zip(self._dense_layers(), sizes[:-1], sizes[1:]):
                bound = np.sqrt(factor / (fan_in + fan_out))
                layer.params["W"][...] = rs.uniform(-bound, bound, (fan_in, fan_out))
                layer.params["b"][...] = rs.uniform(-bound, bound, fan_out)
        else:
            self.model_ = mlp(sizes, activation=act, init=self.init, rng=rs.randint(np.iinfo(np.int32).max),
                              dtype=dtype)
        for name in ("coefs", "intercepts"):
            given = self.__dict__.pop(f"_start_{name}", None)
            if given is not None:
                self._write(name, given)
        self.n_layers_ = len(sizes)
        self.loss_curve_ = []
        self.t_, self.n_iter_, self._no_improvement_count = 0, 0, 0
        self._optimizer_ = None
        self._optimizer_settings: tuple | None = None
        if self.early_stopping:
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -np.inf, None
        else:
            self.validation_scores_ = self.validation_loss_curve_ = self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _dense_layers(self):
        return [layer for layer in self.model_.layers if isinstance(layer, Dense)]

    def _write(self, name, arrays):
        """Copy ``coefs_`` or ``intercepts_`` into the network, checking every shape."""
        key = _LAYER_ARRAYS[name]
        layers = self._dense_layers()
        arrays = list(arrays)
        if len(arrays) != len(layers):
            raise ValueError(f"{name}_ must hold {len(layers)} arrays, one per layer; received {len(arrays)}")
        for i, (layer, a) in enumerate(zip(layers, arrays)):
            a = np.asarray(a, dtype=float)
            if a.shape != layer.params[key].shape:
                raise ValueError(f"{name}_[{i}] must have shape {layer.params[key].shape}; received {a.shape}")
            layer.params[key][...] = a if self.model_.xp is np else self.model_.xp.asarray(a)

    coefs_ = _layer_arrays("coefs", "The weight matrices, (fan_in, fan_out) each: views that training updates "
                                    "in place.")
    intercepts_ = _layer_arrays("intercepts", "The bias vectors, one per layer: views that training updates in "
                                              "place.")

    # -- training -----------------------------------------------------------------
    def _check_data(self, X, y, first):
        dtype = [np.float64, np.float32] if self.dtype is None else np.dtype(self.dtype)
        if not first:  # a warm start or partial_fit keeps the network's precision (and refuses another)
            check_kept_network(self)
            dtype = self.model_.dtype
        return validate_data(self, X, y, reset=first, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=isinstance(self, RegressorMixin), dtype=dtype)

    def _fit(self, X, y, sample_weight, incremental):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True: it trains one epoch on the "
                             "data it is given, with nothing held out. Use fit, or set early_stopping=False")
        X_given, y_given, w_given = X, y, sample_weight
        if self.n_threads is not None:  # refused by this estimator's name, before any work
            check_positive_int(self.n_threads, "n_threads")
        first = not hasattr(self, "model_") or not (self.warm_start or incremental)
        X, y = self._check_data(X, y, first)
        self._random_state = check_random_state(self.random_state)  # again at each fit, as scikit-learn
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        Y = self._encode_targets(y, first, incremental)
        if first:
            self._new_model(X.shape[1], X.dtype)
        else:  # a warm start or partial_fit: the activation set_params may have changed, the weights kept
            rebuilt = self._network()
            if rebuilt is not self.model_ and self._optimizer_ is not None and not isinstance(self._optimizer_, str):
                self._optimizer_.keep_state()  # the same weights in a new model: the optimizer goes on with them
            self.model_ = rebuilt
        quasi = training.solvers.is_full_batch(self.solver)

        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = hold_out(self, X, Y, y, sample_weight)
        elif self.best_loss_ is None:  # a warm start that turned early stopping off
            self.best_loss_ = np.inf
        if first:  # the model's own generator, seeded from the random state's words without drawing from it:
            # a draw here shifted every epoch's order from scikit-learn's (ScikitLearnOrder replays its shuffles)
            state = self._random_state.get_state()  # its key and its position in it
            self.model_.rng = np.random.default_rng([*state[1].tolist(), state[2]])

        n = X.shape[0]
        batch = n if quasi else (min(200, n) if self.batch_size == "auto" else min(self.batch_size, n))
        if not quasi and self.batch_size != "auto" and self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be "
                          "clipped", UserWarning, stacklevel=3)
        # as scikit-learn, each batch's cost is (sum(w_i C_i) + alpha / 2 sum(W**2)) / sum(w) over its rows
        # (batch_mean); repeating a row then equals weighting it
        l2 = 0.0 if self.solver == "adamw" else self.alpha  # AdamW decays the weights itself
        if sample_weight is not None:
            if sample_weight.min() < 0:  # named before the rescaling below, in the units given
                raise ValueError(f"sample_weight must not be negative; received a minimum of "
                                 f"{sample_weight.min():g}")
            scale = sample_weight.sum() / sample_weight.shape[0]
            if scale <= 0:
                raise ValueError("sample_weight must not be all zero")
            # weights of mean 1, so that the divergence guard's levels are the cost's; each batch's weighted
            # mean is the same, and alpha / scale over their sum is alpha over the given weights' sum
            sample_weight = sample_weight / scale
            l2 /= scale
        # a warm start's optimizer goes on (see the docs), unless set_params changed it; partial_fit's goes on
        settings = optimizer_settings(self)
        if self._optimizer_ is None or quasi or isinstance(self._optimizer_, str) \
                or (not incremental and settings != self._optimizer_settings):  # (a quasi-Newton fit's is a name)
            self._optimizer_, self._optimizer_settings = optimizer_for(self), settings
        if not quasi and hasattr(self._optimizer_.schedule, "start"):
            self._optimizer_.schedule.start(self.t_, n)

        epochs = 1 if incremental else self.max_iter
        report = None
        if hasattr(self, "_init_callback_context"):
            metadata = {} if w_given is None else {"sample_weight": w_given}
            report = ReportEpochs(self, epochs, X_given, y_given, metadata)
        recorder = Epochs(self, validation, n, stop_on_plateau=not quasi or self.early_stopping,
                          report=report, shuffles_whole=self.shuffle and not quasi and batch >= n)
        self.n_iter_ = 0
        val_data = None
        if validation is not None:
            val_data = (validation[0], self._encode_targets(validation[1], False, True))
        own_rng = self.model_.rng
        self.model_.rng = ScikitLearnOrder(self._random_state, own_rng.bit_generator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", training.DivergenceWarning)
            try:
                history = self._train(X, Y, batch, l2, val_data, recorder, sample_weight, quasi, epochs)
            except NonFiniteError as exc:  # the cost overflows before any step: scikit-learn's message, and why
                raise DivergenceError(f"{NON_FINITE} {type(self).__name__}: {exc}") from None
            finally:
                self.model_.rng = own_rng
        if report is not None:
            report.finish()
        if history.diverged:
            if validation is None or recorder.best_params is None:
                raise DivergenceError(f"{NON_FINITE} {type(self).__name__}: {history.message}")
            warnings.warn(f"{type(self).__name__}: {history.message}; kept the weights of the best validation "
                          f"score ({self.best_validation_score_:.4g})", ConvergenceWarning, stacklevel=3)
            return self
        if history.interrupted:  # Ctrl-C: as scikit-learn, the fit ends with what it learned, and says so
            warnings.warn(f"Training interrupted by user: {type(self).__name__} {history.message}; the fitted "
                          "weights are that epoch's", UserWarning, stacklevel=3)
            return self
        if quasi and self.n_iter_ == 0:  # a quasi-Newton fit that stopped before its first iteration: the cost
            objective = Objective(self.model_, self._loss(), l2, batch_mean=True)  # where it stands, as there
            weight = None if sample_weight is None else self.model_.xp.asarray(sample_weight)  # (on its device)
            self.loss_ = self.best_loss_ = float(objective(*objective.prepare(X, Y), weight=weight))
        if history.learned is False and not incremental:  # the guard found the model no better than chance
            # (not after one call of partial_fit: a stream's first epochs are no verdict, and scikit-learn's
            # partial_fit warns of nothing)
            warnings.warn(f"{type(self).__name__}: {history.message}", ConvergenceWarning, stacklevel=3)
            return self
        if not incremental and not recorder.converged and not (quasi and history.converged):
            detail = history.message if quasi else (f"maximum iterations ({self.max_iter}) reached and the "
                                                    "optimization hasn't converged yet.")
            warnings.warn(f"{type(self).__name__}: {detail}", ConvergenceWarning, stacklevel=3)
        return self

    def _threads(self) -> int | None:
        """``n_threads``, at most the cores this process may use: an estimator set up on a laptop and sent to
        workers of one core (a Dask search) runs there with one; fit refused it, where predict took one."""
        return None if self.n_threads is None else min(self.n_threads, available_cores())

    def _train(self, X, Y, batch, l2, val_data, recorder, sample_weight, quasi, epochs):
        return training.fit(
            self.model_, X, Y, loss=self._loss(), optimizer=self._optimizer_, epochs=epochs, batch_size=batch,
            l2=l2, shuffle=self.shuffle, validation_data=val_data, callbacks=[recorder], verbose=False,
            tol=self.tol, sample_weight=sample_weight, max_fun=self.max_fun if quasi else None, on_interrupt="stop",
            threads=self._threads(), device=self.device, batch_mean=True,
            divergence_factor=math.inf)  # as scikit-learn: a cost that grows and falls again is no divergence

    def _loss_grad(self, theta, X, Y):
        """The training cost at the flat parameter vector ``theta`` and its gradient (for checks).

        Parameters
        ----------
        theta : array, shape (n_params,)
        X : array, shape (n_samples, n_features)
        Y : array
            Targets as the loss takes them.

        Returns
        -------
        (float, array)
        """
        objective = Objective(self.model_, self._loss(), self.alpha / X.shape[0])
        X, Y = objective.prepare(X, Y)
        self.model_.params[...] = theta if self.model_.xp is np else self.model_.xp.asarray(theta)
        cost = float(objective(X, Y))
        return cost, to_numpy(self.model_.grads).copy()

    def _network(self):
        """``model_`` with the activation that ``set_params`` may have changed since the fit, its weights kept:
        scikit-learn reads ``activation`` at each pass, its predictions included."""
        return with_activation(self.model_, "sigmoid" if self.activation == "logistic" else self.activation)

    def _forward(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"], dtype=self.model_.dtype)
        # at most the cores here: a model pickled where more were free still predicts (fit refuses too many)
        with limit_threads(self._threads(), "n_threads"):
            return to_numpy(self._network().predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
