"""The facade: a Sequential that can also fit, evaluate and save itself.

The engine's :class:`glassnet.nn.Stack` knows only forward and
backward; training and model files build on it and never the other way
round. This module sits above both and joins them for convenience, as
Keras's ``Model`` gets ``fit`` from its trainer: ``model.fit(...)`` is
:func:`glassnet.fit`, ``model.save(path)`` is :func:`glassnet.save`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from pathlib import Path
from typing import Any

from .. import nn
from ..core._validation import short
from ..core.warn import warn_user
from ..io import Checkpoint, model_file
from ..losses.costs import Loss, get_loss, loss_from_config
from ..losses.objective import Objective
from ..nn.predicting import output_probabilities
from . import Callback, History, evaluate, fit
from . import resume as _resume
from .data import is_classifier_loss

#: the loss fit takes when none is given
FIT_DEFAULT_LOSS: str = inspect.signature(fit).parameters["loss"].default


class Sequential(nn.Stack):
    """:class:`glassnet.nn.Stack` with ``fit``, ``evaluate`` and ``save``.

    Parameters
    ----------
    layers, input_shape, dtype, rng, xp
        As for :class:`glassnet.nn.Stack`.
    """

    #: the loss of this model's last completed fit (the method's or ``glassnet.fit(model, ...)``'s; a model read
    #: from a file has none, but for a checkpoint's: it is None), which :meth:`evaluate` takes unless given another
    fit_loss: str | Loss | None = None

    def fit(self, X: object, y: object, **kwargs: Any) -> History:
        """Train this model; see :func:`glassnet.fit` for the arguments.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
        y : array_like
        **kwargs
            Every keyword of :func:`glassnet.fit`.

        Returns
        -------
        History
        """
        return fit(self, X, y, **kwargs)

    def evaluate(self, X: object, y: object, loss: str | Loss | None = None, l2: float = 0.0) -> dict[str, float]:
        """Cost (and accuracy for classification losses) on ``X`` and ``y``, in inference mode.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
        y : array_like
        loss : str or Loss, optional
            By default the loss of the last :meth:`fit` (:attr:`fit_loss`), or ``"mse"`` before any, with
            a warning that says so: a model read from a file keeps no loss, but for a checkpoint.
        l2 : float

        Returns
        -------
        dict
            ``{"loss": ...}``, and ``"accuracy"`` for classification losses.
        """
        if loss is None and self.fit_loss is None:  # a loaded classifier scored as a regression, silently
            warn_user(f"evaluate scores with {FIT_DEFAULT_LOSS!r}: this model has no fit of its own behind it (a "
                      "model file keeps no loss, but for a checkpoint); give loss=, such as loss=\"cross_entropy\"")
        with self.device_context():  # on this model's GPU ("gpu:1"), as fit and predict are
            objective = Objective(self, loss or self.fit_loss or FIT_DEFAULT_LOSS, l2)
            return evaluate(self, *objective.prepare(X, y), objective)

    def predict_proba(self, X: Any, batch_size: int | None = None) -> Any:
        """Class probabilities; see :meth:`glassnet.nn.Stack.predict_proba`. A model of one raw output fitted
        as a regression (a loss of values, such as ``"mse"``) warns that its value is read as a logit.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
        batch_size : int, optional

        Returns
        -------
        array, shape (n_samples, n_outputs)
        """
        if self.fit_loss is not None and self.out_features == 1 and not is_classifier_loss(get_loss(self.fit_loss)) \
                and not output_probabilities(self.layers):  # (predict_classes asks here: value > 0 is class 1)
            warn_user(f"this model was fitted as a regression (loss {short(self.fit_loss)}) to outputs that are "
                      "not probabilities, which class probabilities read as logits: its values are predict(X)")
        return super().predict_proba(X, batch_size)

    def save(self, path: str | os.PathLike, **kwargs: Any) -> Path:
        """Write the architecture and weights to ``path``; see :func:`glassnet.save`.

        Parameters
        ----------
        path : str or path_like
        **kwargs
            ``optimizer``, ``training``, ``metadata``.

        Returns
        -------
        pathlib.Path
        """
        return model_file.save(path, self, **kwargs)


def mlp(sizes: list[int], **kwargs: Any) -> Sequential:
    """A fully connected network, as :func:`glassnet.nn.mlp`, that can fit and save itself.

    Parameters
    ----------
    sizes : list of int
        Widths of the input, each hidden layer and the output.
    **kwargs
        ``activation``, ``output``, ``dropout``, ``init``, ``bias``, ``rng``, ``dtype``.

    Returns
    -------
    Sequential
    """
    model = nn.mlp(sizes, cls=Sequential, **kwargs)
    assert isinstance(model, Sequential)
    return model


def cnn(input_shape: tuple[int, int, int] = (1, 28, 28), n_classes: int = 10, **kwargs: Any) -> Sequential:
    """The default conv net, as :func:`glassnet.nn.cnn`, that can fit and save itself.

    Parameters
    ----------
    input_shape : (channels, height, width)
    n_classes : int
    **kwargs
        ``channels``, ``kernel_size``, ``hidden``, ``batch_norm``, ``dropout``, ``normalize``, ``rng``,
        ``dtype``.

    Returns
    -------
    Sequential
    """
    model = nn.cnn(input_shape, n_classes, cls=Sequential, **kwargs)
    assert isinstance(model, Sequential)
    return model


#: how the default conv net trains on each picture dataset: Adam from ``lr`` down to 0
#: along a cosine over ``epochs``, ``batch_size`` pictures a step, ``dropout`` before the last layer
CNN_RECIPES: dict[str, dict[str, Any]] = {
    "digits": {"epochs": 30, "batch_size": 32, "lr": 0.002, "dropout": 0.25},
    "mnist": {"epochs": 8, "batch_size": 128, "lr": 0.002, "dropout": 0.25},
    "folder": {"epochs": 120, "batch_size": 32, "lr": 0.003, "dropout": 0.25},
}


def load(path: str | os.PathLike, allow_nonfinite: bool = False, device: Any = None) -> Checkpoint:
    """Read a model file; see :func:`glassnet.io.load`.

    Parameters
    ----------
    path : str or path_like
    allow_nonfinite : bool
        Load weights that hold NaN or infinity instead of refusing them.
    device : str or module, optional
        Where to put the model: ``"cpu"`` (the default), ``"gpu"``, ``"gpu:1"``.

    Returns
    -------
    Checkpoint
        Its ``model`` is a :class:`Sequential` of this module.
    """
    ck = model_file.load(path, Sequential, allow_nonfinite=allow_nonfinite, device=device)
    settings, model = ck.training.get("settings"), ck.model
    if isinstance(settings, dict) and isinstance(settings.get("loss"), dict) and isinstance(model, Sequential):
        # a checkpoint: its run's loss, for evaluate (one it cannot rebuild is not the model's fault: resume says)
        with contextlib.suppress(TypeError, ValueError):
            model.fit_loss = loss_from_config(settings["loss"])
    return ck


def resume(path: str | os.PathLike, X: object, y: object, **kwargs: Any) -> tuple[Sequential, History]:
    """Continue a run from a checkpoint; see :func:`glassnet.training.resume`.

    Parameters
    ----------
    path : str or path_like
    X, y : array_like
    **kwargs
        ``epochs``, ``validation_data``, ``callbacks``, ``verbose``, ``on_divergence``, ``on_interrupt``,
        ``augment``, ``threads``, ``comm``, ``device``, ``schedule``, ``sample_weight``.

    Returns
    -------
    (Sequential, History)
    """
    model, history = _resume(path, X, y, model_class=Sequential, **kwargs)
    assert isinstance(model, Sequential)
    return model, history


save = model_file.save

__all__ = ["CNN_RECIPES", "Callback", "Sequential", "cnn", "load", "mlp", "resume", "save"]
