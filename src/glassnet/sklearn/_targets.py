"""What the estimators make of what fit is given: a column of targets raveled, labels as fit takes them, the
weights of their classes, and the settings a warm start cannot change."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight


def raveled_labels(y):
    """``y`` as fit and partial_fit take it: a column vector raveled, with scikit-learn's warning.

    Parameters
    ----------
    y : array_like or pandas object

    Returns
    -------
    array_like
    """
    if sparse.issparse(y):  # a multi-label indicator matrix
        return y.toarray()
    y_arr = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected.", DataConversionWarning,
                      stacklevel=3)
        return y_arr.ravel()
    return y


def class_weighted(class_weight, y, sample_weight, classes):
    """``sample_weight`` times each row's class weight (``class_weight``), as scikit-learn's SGDClassifier.

    Refused: a multi-label ``y`` (no one class a row), and, as ``compute_class_weight`` refuses it, a dict
    that names a label which is no class while it leaves a class out (a misspelt "Cat" weighed nothing).

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        The estimator's parameter.
    y : array, shape (n_samples,)
    sample_weight : array_like, shape (n_samples,), or None
    classes : array_like, or None
        All the classes (partial_fit's); by default those of ``y``.

    Returns
    -------
    array, shape (n_samples,), or None
    """
    if class_weight is None:
        return sample_weight
    if y.ndim != 1:
        raise ValueError("class_weight weighs each sample by its one class; a multi-label y has several per "
                         "sample: give sample_weight instead")
    if sample_weight is not None and np.ndim(sample_weight) == 0:  # one number for every sample, as without it
        sample_weight = np.full(y.shape, float(sample_weight))
    if sample_weight is not None and np.shape(sample_weight) != y.shape:  # before the product below
        raise ValueError(f"sample_weight.shape == {np.shape(sample_weight)}, expected {y.shape}!")
    if isinstance(class_weight, dict):  # a class it leaves out weighs 1
        known = (np.unique(y) if classes is None else np.asarray(classes)).tolist()  # partial_fit's classes
        strangers = [key for key in class_weight if key not in set(known)]
        if strangers and (left_out := [label for label in known if label not in class_weight]):
            raise ValueError(f"class_weight names {strangers}, no class of y, and leaves out {left_out}: misspelt?")
        if bad := {key: value for key, value in class_weight.items() if not float(value) >= 0}:
            raise ValueError(f"class_weight must give each class a weight of at least 0; received {bad}")
        weights = np.array([float(class_weight.get(label, 1.0)) for label in y.tolist()])
        if not weights.any():  # it was "Sample weights must contain ...", a sample_weight never given
            raise ValueError(f"class_weight weighs every sample of y 0: {class_weight}")
    else:
        weights = compute_sample_weight(class_weight, y)
    return weights if sample_weight is None else weights * np.asarray(sample_weight, float)


def check_kept_network(estimator) -> None:
    """Refuse, for a warm start or partial_fit, settings the fitted network does not have: they go on with it
    (a new hidden_layer_sizes or dtype was ignored without a word, where get_params reported it).

    Parameters
    ----------
    estimator : GlassnetClassifier or GlassnetRegressor
        Fitted.
    """
    kept = tuple(layer.out_features for layer in estimator._dense_layers()[:-1])
    asked = tuple(int(h) for h in np.atleast_1d(estimator.hidden_layer_sizes))
    dtype = None if estimator.dtype is None else np.dtype(estimator.dtype)
    for name, given, has in [("hidden_layer_sizes", asked, kept), ("dtype", dtype, estimator.model_.dtype)]:
        if given is not None and given != has:
            raise ValueError(f"{name}={given} differs from the fitted network's {has}, which warm_start and "
                             "partial_fit go on with: set warm_start=False (or call fit) for a new network")
