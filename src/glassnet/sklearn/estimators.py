"""``GlassnetClassifier`` and ``GlassnetRegressor``: scikit-learn's MLP estimators, trained by glassnet."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target

from ..core._validation import short
from ..core.arrays import to_numpy
from ..losses.costs import AbsoluteError, BinaryCrossEntropy, Huber, PoissonDeviance, SoftmaxCrossEntropy, SquaredError
from ..ops.functional import sigmoid, softmax
from ._base import QUASI_NEWTON, GlassnetBase
from ._docstrings import ATTRIBUTES, SHARED_PARAMETERS
from ._targets import class_weighted, raveled_labels


def _stochastic(est) -> bool:
    if est.solver in QUASI_NEWTON:
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. {est.solver} is not "
                             "stochastic: it takes whole-set steps that one call on a part of the data cannot make.")
    return True


class GlassnetClassifier(ClassifierMixin, GlassnetBase):
    __doc__ = f"""A multilayer perceptron classifier trained by glassnet: scikit-learn's ``MLPClassifier``, and more.

    Multiclass targets use a softmax output and cross-entropy; binary and
    multi-label (indicator matrix) targets use sigmoid outputs and binary
    cross-entropy. ``class_weight`` ("balanced" or a dict) and
    ``sample_weight`` weigh each sample's term of the cost. ``X`` may be a
    SciPy sparse matrix (CSR or CSC): the first layer multiplies it as it is.

    Parameters
    ----------{SHARED_PARAMETERS}
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the cost.

    Attributes
    ----------
    classes_ : array{ATTRIBUTES}
    """

    _parameter_constraints = {**GlassnetBase._parameter_constraints,
                              "class_weight": [StrOptions({"balanced"}), dict, None]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 max_fun=15000, init=None, dtype=None, n_threads=None, device="cpu", class_weight=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
                         verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun, init=init,
                         dtype=dtype, n_threads=n_threads, device=device)
        self.class_weight = class_weight

    # -- targets ---------------------------------------------------------------------
    def _set_outputs(self, labels, multilabel: bool) -> None:
        """classes_, and one softmax output per class, or one sigmoid output (two classes) or per label."""
        self._binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._binarizer.classes_
        self._multilabel = multilabel
        self.n_outputs_ = len(self.classes_) if len(self.classes_) > 2 or multilabel else 1
        self.out_activation_ = "softmax" if self.n_outputs_ > 1 and not multilabel else "logistic"

    def _encode_targets(self, y, first, incremental):
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"Unknown label type: {kind}. GlassnetClassifier needs class labels; "
                             f"received targets of type {short(kind)}")
        multilabel = kind == "multilabel-indicator"
        if first and not incremental:
            self._set_outputs(y, multilabel)
        if first and len(self.classes_) < 2:
            only = getattr(self.classes_[0], "item", lambda: self.classes_[0])()
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in y, to tell them "
                             f"apart; received 1 class: {short(only)}")
        if multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
            wanted = (f"a multi-label indicator matrix with {len(self.classes_)} columns" if self._multilabel
                      else "class labels")
            raise ValueError(f"y must be {wanted}, as in the first fit; received targets of type {short(kind)} and "
                             f"shape {np.shape(y)}")
        if (incremental or not first) and not multilabel:  # partial_fit's first call too: classes came apart from y
            labels = np.unique(y)
            if incremental and not np.isin(labels, self.classes_).all():
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {labels}.")
            if not incremental and not np.array_equal(labels, self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {labels}")
        if self.out_activation_ == "softmax":
            return np.searchsorted(self.classes_, y).astype(np.intp)
        if multilabel:
            return np.asarray(y, dtype=np.float64)
        return self._binarizer.transform(y).astype(np.float64)

    def _stratify(self, y):
        # as scikit-learn: binary targets only (one output); it does not stratify multiclass splits
        return self._binarizer.transform(y).astype(bool) if self.n_outputs_ == 1 else None

    def _loss(self):
        return SoftmaxCrossEntropy() if self.out_activation_ == "softmax" else BinaryCrossEntropy(from_logits=True)

    # -- fitting ---------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on class labels.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multi-label indicator matrix.
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        GlassnetClassifier
            self.
        """
        self._sparse_labels = sparse.issparse(y)  # predicted as they were given, as MLPClassifier does
        y = raveled_labels(y)
        return self._fit(X, y, class_weighted(self.class_weight, np.asarray(y), sample_weight, None), incremental=False)

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X`` and ``y`` (stochastic solvers only).

        The arguments come in scikit-learn's order: ``MLPClassifier.partial_fit(X, y, sample_weight, classes)``.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array_like, shape (n_samples,), optional
        classes : array_like, optional
            All the labels; needed at the first call.

        Returns
        -------
        GlassnetClassifier
            self.
        """
        if classes is not None and np.asarray(classes, dtype=object).ndim != 1:  # a set has no order to read
            raise ValueError(f"classes must be a 1-D array-like of all the labels, such as [0, 1, 2]; received "
                             f"{type(classes).__name__} {short(classes)}")
        if not hasattr(self, "model_"):
            self._sparse_labels = sparse.issparse(y)
        y = raveled_labels(y)
        if not hasattr(self, "model_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            multilabel = type_of_target(y, input_name="y") == "multilabel-indicator"
            columns = np.arange(np.shape(y)[1] if multilabel else 0)  # a label per column: classes 0 to k-1
            if multilabel and not np.array_equal(np.unique(np.asarray(classes)), columns):
                raise ValueError(f"`classes={list(classes)}` must be the labels of y's {len(columns)} columns, "
                                 f"{columns.tolist()}, for a multi-label y")
            self._set_outputs(np.asarray(y) if multilabel else np.asarray(classes), multilabel)
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):  # any order
            raise ValueError(f"`classes={list(classes)}` is not the same as the fitted estimator's: "
                             f"{self.classes_.tolist()}")
        if isinstance(self.class_weight, str):  # "balanced" needs every label's frequency, which one part lacks
            raise ValueError("class_weight='balanced' needs all the labels at once, which partial_fit does not see: "
                             "compute the weights from all of y (sklearn.utils.class_weight.compute_class_weight) "
                             "and give them as a dict")
        weights = class_weighted(self.class_weight, np.asarray(y), sample_weight, self.classes_)
        return self._fit(X, y, weights, incremental=True)

    # -- predicting ------------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples, n_classes)
            One column per label for multi-label targets.
        """
        return self._proba(self._forward(X))

    def _proba(self, out):
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
        X : array_like or sparse matrix, shape (n_samples, n_features)

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
        X : array_like or sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples,)
            An indicator matrix (n_samples, n_labels) for multi-label targets.
        """
        return self._labels(self._forward(X))

    def _labels(self, out):
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(out, axis=1)]
        if self._multilabel:
            indicators = (out > 0).astype(int)
            return sparse.csr_matrix(indicators) if getattr(self, "_sparse_labels", False) else indicators
        return self.classes_[(out[:, 0] > 0).astype(int)]

    def _score_arrays(self, X, y, sample_weight):
        with np.errstate(all="ignore"):
            pred = self._labels(to_numpy(self._network().predict(X)))  # from the device, as _forward's
        pred = pred.toarray() if sparse.issparse(pred) else pred
        return float(accuracy_score(y, pred, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class GlassnetRegressor(RegressorMixin, GlassnetBase):
    __doc__ = f"""A multilayer perceptron regressor trained by glassnet: scikit-learn's ``MLPRegressor``, and more.

    ``y`` may have several columns (multi-output regression). ``X`` may be a
    SciPy sparse matrix (CSR or CSC).

    Parameters
    ----------{SHARED_PARAMETERS}
    loss : {{"squared_error", "poisson", "absolute_error", "huber"}}, default="squared_error"
        The cost: half the squared error; half the Poisson deviance of the
        rate ``exp(output)`` (counts and rates, non-negative targets); the
        absolute error (the median's cost); Huber's cost, square within
        ``huber_delta`` of the target and straight beyond.
    huber_delta : float, default=1.0

    Attributes
    ----------{ATTRIBUTES}
    """

    _parameter_constraints = {**GlassnetBase._parameter_constraints,
                              "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber"})],
                              "huber_delta": [Interval(numbers.Real, 0, None, closed="neither")]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 max_fun=15000, init=None, dtype=None, n_threads=None, device="cpu", loss="squared_error",
                 huber_delta=1.0):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
                         verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun, init=init,
                         dtype=dtype, n_threads=n_threads, device=device)
        self.loss = loss
        self.huber_delta = huber_delta

    def _encode_targets(self, y, first, incremental):
        y = np.asarray(y, dtype=np.float64)
        if first:
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif (1 if y.ndim == 1 else y.shape[1]) != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} column(s), as in the first fit; received shape {y.shape}")
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _loss(self):
        if self.loss == "huber":
            return Huber(self.huber_delta)
        return {"squared_error": SquaredError, "poisson": PoissonDeviance, "absolute_error": AbsoluteError}[self.loss]()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on real targets.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        GlassnetRegressor
            self.
        """
        return self._fit(X, raveled_labels(y), sample_weight, incremental=False)  # (n, 1): scikit-learn's warning

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X`` and ``y`` (stochastic solvers only).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        GlassnetRegressor
            self.
        """
        return self._fit(X, raveled_labels(y), sample_weight, incremental=True)

    def predict(self, X):
        """Predicted values, in the network's precision.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        array, shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._values(self._forward(X))

    def _values(self, out):
        if self.out_activation_ == "exp":
            out = np.exp(out)
        return out.ravel() if self.n_outputs_ == 1 else out  # one output: one value per row, as scikit-learn

    def _score_arrays(self, X, y, sample_weight):
        with np.errstate(all="ignore"):
            pred = self._values(to_numpy(self._network().predict(X)))
        if not np.isfinite(pred).all():
            return float("nan")
        return float(r2_score(y, pred, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
