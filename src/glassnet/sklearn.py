"""scikit-learn estimators: ``GlassnetClassifier`` and ``GlassnetRegressor``.

They follow scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` in their
parameters and fitted attributes, and stay thin: each builds a
:func:`glassnet.mlp`, trains it with :func:`glassnet.fit`, and exposes the
result. ``__init__`` only stores arguments; ``fit`` validates them.

Regularization follows scikit-learn: ``alpha`` penalizes ``alpha / (2 m) *
sum(W**2)`` for a batch of m samples, so glassnet's per-batch L2 strength is
``alpha / m``. The cost of a regressor is ``1/2 * mean over samples of the
summed squared errors``; scikit-learn also averages over outputs.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import training
from .errors import DivergenceError
from .functional import sigmoid, softmax
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError
from .nn import Dense, mlp
from .optim import SGD, Adam, AdamW, Optimizer, RMSProp
from .optim.schedules import Cosine, InverseScaling, ReduceOnPlateau, Schedule
from .training.data import split_indices

SOLVERS = ("sgd", "adam", "adamw", "rmsprop", "lbfgs", "bfgs")


class _Record(training.Callback):
    """Collects validation scores and stops as scikit-learn's ``tol`` and ``n_iter_no_change`` do.

    An epoch counts as no improvement when the training cost is not below the
    best so far minus ``tol`` (or, with early stopping, the validation score
    not above the best plus ``tol``); after ``n_iter_no_change`` such epochs in
    a row, training stops. Only the stochastic solvers stop this way.
    """

    def __init__(self, estimator, X_val, y_val, stochastic: bool):
        self.est, self.X_val, self.y_val, self.stochastic = estimator, X_val, y_val, stochastic

    def on_train_begin(self, run):
        self.best, self.wait, self.best_params = -np.inf, 0, None

    def on_epoch_end(self, run, epoch, logs):
        est = self.est
        if self.X_val is not None:
            est.model_ = run.model
            value = est._score_model(self.X_val, self.y_val)
            est.validation_scores_.append(value)
        else:
            value = -logs["loss"]
        self.wait = self.wait + 1 if value <= self.best + est.tol else 0
        if value > self.best:
            self.best = value
            if self.X_val is not None:
                self.best_params = run.model.params.copy()
        if self.stochastic and self.wait > est.n_iter_no_change:
            run.stop = True
            est._converged = True

    def on_train_end(self, run):
        if self.X_val is not None and self.best_params is not None:
            run.model.params[...] = self.best_params


class _GlassnetBase(BaseEstimator):
    loss_curve_: list[float]
    validation_scores_: list[float]
    best_loss_: float | None
    _optimizer_: Optimizer | str | None
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
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 dtype="float64"):
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
        self.dtype = dtype

    # -- hooks the two estimators fill in ----------------------------------------
    def _encode_targets(self, y, first):
        raise NotImplementedError

    def _loss(self):
        raise NotImplementedError

    def _score_model(self, X, y):
        raise NotImplementedError

    # -- training -----------------------------------------------------------------
    def _schedule(self) -> Schedule:
        return {"constant": Schedule(), "invscaling": InverseScaling(self.power_t),
                "adaptive": ReduceOnPlateau(factor=0.2, patience=1, threshold=self.tol),
                "cosine": Cosine(period=self.max_iter)}[self.learning_rate]

    def _optimizer(self):
        lr, sched = self.learning_rate_init, self._schedule()
        if self.solver == "sgd":
            return SGD(lr, momentum=self.momentum,
                       nesterov=self.nesterovs_momentum and self.momentum > 0, schedule=sched)
        if self.solver == "adam":
            return Adam(lr, self.beta_1, self.beta_2, self.epsilon, schedule=sched)
        if self.solver == "adamw":
            return AdamW(lr, self.beta_1, self.beta_2, self.epsilon, weight_decay=self.alpha, schedule=sched)
        if self.solver == "rmsprop":
            return RMSProp(lr, rho=self.beta_2, eps=self.epsilon, schedule=sched)
        return self.solver  # "lbfgs" or "bfgs"

    def _hidden(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError("hidden_layer_sizes must be positive integers; "
                             f"received {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _fit(self, X, y, sample_weight, incremental):
        first = not (hasattr(self, "model_") and (self.warm_start or incremental))
        X, y = validate_data(self, X, y, reset=first, multi_output=True,
                             y_numeric=isinstance(self, RegressorMixin),
                             dtype=[np.float64, np.float32])
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        Y = self._encode_targets(y, first)
        loss = self._loss()
        if first:
            self._new_model(X.shape[1])
        n = X.shape[0]
        batch = n if self.solver in ("lbfgs", "bfgs") else (
            min(200, n) if self.batch_size == "auto" else min(self.batch_size, n))
        if self.batch_size != "auto" and self.batch_size > n and self.solver not in ("lbfgs", "bfgs"):
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be "
                          "clipped", UserWarning, stacklevel=3)
        X_val = y_val = None
        if self.early_stopping and not incremental:
            labels = Y if (isinstance(self, ClassifierMixin) and Y.ndim == 1) else None
            tr, va = split_indices(n, self.validation_fraction, self.model_.rng, labels)
            X, X_val, Y, y_val = X[tr], X[va], Y[tr], np.asarray(y)[va]
            sample_weight = None if sample_weight is None else sample_weight[tr]
        l2 = self.alpha / batch
        if sample_weight is not None:
            # as scikit-learn: the cost is sum(w_i C_i) / sum(w), and alpha is divided by sum(w)
            # (for a batch, its expected share of it); repeating a row then equals weighting it
            scale = sample_weight.sum() / sample_weight.shape[0]
            if scale <= 0:
                raise ValueError("sample_weight must not be all zero")
            sample_weight = sample_weight / scale
            l2 /= scale
        if self._optimizer_ is None or self.solver in ("lbfgs", "bfgs"):
            self._optimizer_ = self._optimizer()
        self._converged = False
        recorder = _Record(self, X_val, y_val, stochastic=self.solver not in ("lbfgs", "bfgs"))
        epochs = 1 if incremental else self.max_iter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", training.DivergenceWarning)
            history = training.fit(
                self.model_, X, Y, loss=loss, optimizer=self._optimizer_, epochs=epochs, batch_size=batch,
                l2=l2, shuffle=self.shuffle, callbacks=[] if incremental else [recorder],
                verbose=bool(self.verbose), tol=self.tol, sample_weight=sample_weight)
        if history.diverged:
            raise DivergenceError(f"{type(self).__name__}: {history.message}")
        self.loss_curve_ += history.loss
        self.n_iter_ += history.n_epochs
        self.t_ += history.n_epochs * X.shape[0]
        best = np.inf if self.best_loss_ is None else self.best_loss_
        self.best_loss_ = None if self.early_stopping else min([best, *history.loss])
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.inf
        if not incremental and not self._converged:
            done = history.converged if self.solver in ("lbfgs", "bfgs") else False
            if not done:
                warnings.warn(f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        return self

    def _new_model(self, n_features: int) -> None:
        """A fresh network (raw outputs: the loss applies softmax or sigmoid) and empty records."""
        act = "sigmoid" if self.activation == "logistic" else self.activation
        self.model_ = mlp([n_features, *self._hidden(), self.n_outputs_], activation=act,
                          rng=np.random.default_rng(_seed(self.random_state)), dtype=np.dtype(self.dtype))
        self.loss_curve_, self.validation_scores_ = [], []
        self.t_, self.n_iter_ = 0, 0
        self.best_loss_, self._optimizer_ = np.inf, None

    @property
    def coefs_(self):
        check_is_fitted(self, "model_")
        return [layer.params["W"].copy() for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self):
        check_is_fitted(self, "model_")
        return [layer.params["b"].copy() for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def n_layers_(self):
        return len(self._hidden()) + 2

    def _forward(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.model_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _seed(random_state):
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return random_state


class GlassnetClassifier(ClassifierMixin, _GlassnetBase):
    """A multilayer perceptron classifier trained by glassnet.

    Multiclass targets use a softmax output and cross-entropy; binary and
    multi-label (indicator matrix) targets use sigmoid outputs and binary
    cross-entropy. ``class_weight`` ("balanced" or a dict) and
    ``sample_weight`` weigh each sample's term of the cost. The parameters are
    scikit-learn's ``MLPClassifier``'s, with more choices.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int
        The widths of the hidden layers.
    activation : "relu", "leaky_relu", "tanh", "sigmoid" ("logistic") or "identity"
    solver : "adam", "sgd", "lbfgs", "adamw", "rmsprop" or "bfgs"
    alpha : float
        L2 strength, as scikit-learn counts it (``alpha / (2 m) * sum(W**2)`` for m samples).
    batch_size : int or "auto"
        "auto" is ``min(200, n_samples)``.
    learning_rate : "constant", "invscaling", "adaptive" or "cosine"
    learning_rate_init, power_t : float
    max_iter : int
        Epochs (stochastic solvers) or iterations (quasi-Newton).
    shuffle : bool
    random_state : None, int or RandomState
    tol : float
    verbose : bool
        Show a progress bar.
    warm_start : bool
    momentum : float
    nesterovs_momentum : bool
    early_stopping : bool
    validation_fraction : float
    beta_1, beta_2, epsilon : float
        Adam's (and RMSProp's: ``beta_2`` is its decay).
    n_iter_no_change : int
    dtype : "float64" or "float32"
        The precision of the network.
    class_weight : "balanced", dict or None
        Weights of the classes in the cost.
    """

    _parameter_constraints = {**_GlassnetBase._parameter_constraints,
                              "class_weight": [StrOptions({"balanced"}), dict, None]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 dtype="float64", class_weight=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
                         verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, n_iter_no_change=n_iter_no_change, dtype=dtype)
        self.class_weight = class_weight

    def _encode_targets(self, y, first):
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"Unknown label type: {kind}. GlassnetClassifier needs class labels; "
                             f"received targets of type {kind!r}")
        if first:
            self._set_outputs(y, multilabel=kind == "multilabel-indicator")
            if len(self.classes_) < 2:
                only = getattr(self.classes_[0], "item", lambda: self.classes_[0])()
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in y, to tell them "
                                 f"apart; received 1 class: {only!r}")
        elif not np.isin(np.unique(y) if y.ndim == 1 else [], self.classes_).all():
            raise ValueError("y holds classes not seen in the first fit; "
                             f"known classes: {list(self.classes_)}")
        if self.out_activation_ == "softmax":
            return np.searchsorted(self.classes_, y).astype(np.intp)
        return self._binarizer.transform(y).astype(np.dtype(self.dtype))

    def _set_outputs(self, labels, multilabel: bool) -> None:
        """classes_, and one softmax output per class, or one sigmoid output (two classes) or per label."""
        self._binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._binarizer.classes_
        self._multilabel = multilabel
        self.n_outputs_ = len(self.classes_) if len(self.classes_) > 2 or multilabel else 1
        self.out_activation_ = "softmax" if self.n_outputs_ > 1 and not multilabel else "logistic"

    def _loss(self):
        return SoftmaxCrossEntropy() if self.out_activation_ == "softmax" else BinaryCrossEntropy(from_logits=True)

    def _class_sample_weight(self, y, sample_weight):
        if self.class_weight is None or getattr(self, "_multilabel", False):
            return sample_weight
        cw = compute_sample_weight(self.class_weight, y)
        return cw if sample_weight is None else cw * sample_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on class labels.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multi-label indicator matrix.
        sample_weight : array-like, shape (n_samples,), optional

        Returns
        -------
        GlassnetClassifier
            self.
        """
        y_arr = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected.", DataConversionWarning,
                          stacklevel=2)
            y = y_arr.ravel()
        if self.class_weight is not None and sample_weight is None and y_arr.ndim == 1:
            sample_weight = self._class_sample_weight(y_arr, None)
        elif self.class_weight is not None and y_arr.ndim == 1:
            sample_weight = self._class_sample_weight(y_arr, np.asarray(sample_weight, float))
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X`` and ``y``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,)
        classes : array-like, optional
            All the labels; needed at the first call.
        sample_weight : array-like, shape (n_samples,), optional

        Returns
        -------
        GlassnetClassifier
            self.
        """
        if not hasattr(self, "model_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._set_outputs(np.asarray(classes), type_of_target(y, input_name="y") == "multilabel-indicator")
            X = validate_data(self, X, reset=True, dtype=[np.float64, np.float32])
            self._new_model(X.shape[1])
        elif classes is not None and not np.array_equal(np.asarray(classes), self.classes_):
            raise ValueError(f"classes={list(classes)} is not the same as on the first call: "
                             f"{list(self.classes_)}")
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples, n_classes)
            One column per label for multi-label targets.
        """
        out = self._forward(X)
        if self.out_activation_ == "softmax":
            return softmax(out.astype(np.float64))
        eps = np.finfo(np.float64).eps  # a probability never rounds to exactly 0 or 1
        p = np.clip(sigmoid(out.astype(np.float64)), eps, 1 - eps)
        if self._multilabel:
            return p
        return np.column_stack([1 - p[:, 0], p[:, 0]])

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples,)
            An indicator matrix (n_samples, n_labels) for multi-label targets.
        """
        out = self._forward(X)
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(out, axis=1)]
        if self._multilabel:
            return (out > 0).astype(int)
        return self.classes_[(out[:, 0] > 0).astype(int)]

    def _score_model(self, X, y):
        return float(np.mean(self.predict(X) == y)) if not self._multilabel else \
            float(np.mean(np.all(self.predict(X) == y, axis=1)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class GlassnetRegressor(RegressorMixin, _GlassnetBase):
    """A multilayer perceptron regressor trained by glassnet (identity output, squared error).

    ``y`` may have several columns (multi-output regression). The parameters
    are scikit-learn's ``MLPRegressor``'s, with more choices.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int
        The widths of the hidden layers.
    activation : "relu", "leaky_relu", "tanh", "sigmoid" ("logistic") or "identity"
    solver : "adam", "sgd", "lbfgs", "adamw", "rmsprop" or "bfgs"
    alpha : float
        L2 strength, as scikit-learn counts it (``alpha / (2 m) * sum(W**2)`` for m samples).
    batch_size : int or "auto"
        "auto" is ``min(200, n_samples)``.
    learning_rate : "constant", "invscaling", "adaptive" or "cosine"
    learning_rate_init, power_t : float
    max_iter : int
        Epochs (stochastic solvers) or iterations (quasi-Newton).
    shuffle : bool
    random_state : None, int or RandomState
    tol : float
    verbose : bool
        Show a progress bar.
    warm_start : bool
    momentum : float
    nesterovs_momentum : bool
    early_stopping : bool
    validation_fraction : float
    beta_1, beta_2, epsilon : float
        Adam's (and RMSProp's: ``beta_2`` is its decay).
    n_iter_no_change : int
    dtype : "float64" or "float32"
        The precision of the network.
    """

    def _encode_targets(self, y, first):
        y = np.asarray(y, dtype=np.dtype(self.dtype))
        if first:
            self._y_1d = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.out_activation_ = "identity"
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _loss(self):
        return SquaredError()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on real targets.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like, shape (n_samples,), optional

        Returns
        -------
        GlassnetRegressor
            self.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X`` and ``y``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like, shape (n_samples,), optional

        Returns
        -------
        GlassnetRegressor
            self.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._forward(X).astype(np.float64)
        return out.ravel() if self._y_1d else out

    def _score_model(self, X, y):
        return float(r2_score(y, self.predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
