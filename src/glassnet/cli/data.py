"""The command line's data: which dataset, how it is split and scaled, and how a model file remembers it.

``glassnet train`` splits a dataset into training, validation and test rows
from its seed, and standardizes CSV features (and a regression target); the
model file's metadata records all of that, so that ``evaluate``, ``predict``
and ``--resume`` rebuild exactly the same data and units.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets
from ..errors import GlassnetError

TASKS = {"auto": "auto", "classify": "classification", "regress": "regression"}


class UserError(GlassnetError):
    """A problem with what the user asked for, reported without a traceback."""


def load_data(dataset: str, data: str | None, target: str | None, test_fraction: float, seed: int,
              task: str = "auto"):
    """(train, test) Datasets for a dataset name, split as the training command splits them.

    Parameters
    ----------
    dataset : "digits", "mnist" or "csv"
    data : str, optional
        The MNIST folder or the CSV file.
    target : str, optional
        The CSV column to predict.
    test_fraction : float
    seed : int
    task : "auto", "classify" or "regress"
        For CSV files.

    Returns
    -------
    (train, test) : Dataset
    """
    if dataset == "digits":
        return datasets.train_test_split(datasets.load_digits(), test_fraction, rng=seed)
    if dataset == "mnist":
        return datasets.load_mnist(data)
    if dataset == "csv":
        if not data or not target:
            raise UserError("--dataset csv needs --data FILE.csv and --target COLUMN")
        return datasets.train_test_split(datasets.load_csv(data, target, task=TASKS[task]), test_fraction, rng=seed)
    raise UserError(f"unknown dataset {dataset!r}")


def split_validation(train: datasets.Dataset, fraction: float, seed: int):
    """Hold out ``fraction`` of the training rows for validation, from ``seed`` (so a resumed run gets the same).

    Parameters
    ----------
    train : Dataset
    fraction : float
        0 for no validation set.
    seed : int

    Returns
    -------
    (train, validation or None)
    """
    if not fraction:
        return train, None
    try:
        return datasets.train_test_split(train, fraction, rng=seed + 1)
    except GlassnetError as exc:
        raise UserError(f"--validation-fraction {fraction}: {exc}") from None


def standardize(X: np.ndarray) -> tuple[list[float], list[float]]:
    """Each column's mean and standard deviation (1 where a column is constant).

    Parameters
    ----------
    X : array, shape (n_samples, n_features) or (n_samples,)

    Returns
    -------
    (mean, scale) : lists of float
    """
    mean = np.atleast_1d(X.mean(axis=0))
    scale = np.atleast_1d(X.std(axis=0))
    scale[scale == 0] = 1.0
    return mean.tolist(), scale.tolist()


def scale_inputs(X: np.ndarray, meta: dict, dtype: Any = np.float32) -> np.ndarray:
    """Features as the model was trained on them (standardized for CSV data).

    Parameters
    ----------
    X : array
    meta : dict
        The model file's metadata.
    dtype : dtype

    Returns
    -------
    array
    """
    if "input_mean" in meta:
        X = (X - np.asarray(meta["input_mean"])) / np.asarray(meta["input_scale"])
    return X.astype(dtype)


def scale_target(y: np.ndarray, meta: dict) -> np.ndarray:
    """A regression target in the standardized units the model learns in.

    Parameters
    ----------
    y : array
    meta : dict

    Returns
    -------
    array
    """
    if "target_mean" not in meta:
        return y
    return (y - meta["target_mean"]) / meta["target_scale"]


def unscale_target(values: np.ndarray, meta: dict) -> np.ndarray:
    """A regression model's outputs in the target's own units.

    Parameters
    ----------
    values : array
    meta : dict

    Returns
    -------
    array
    """
    if "target_mean" not in meta:
        return values
    return values * meta["target_scale"] + meta["target_mean"]


def regression_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² of predictions, in the target's units.

    Parameters
    ----------
    y, predicted : arrays, shape (n_samples,)

    Returns
    -------
    dict
    """
    y, predicted = np.asarray(y, np.float64), np.asarray(predicted, np.float64).reshape(y.shape)
    error = predicted - y
    total = float(np.sum((y - y.mean()) ** 2))
    return {"rmse": float(np.sqrt(np.mean(error ** 2))), "mae": float(np.mean(np.abs(error))),
            "r2": 1.0 - float(np.sum(error ** 2)) / total if total > 0 else float("nan")}


def format_value(value: float) -> str:
    """A score in the target's units with four significant digits, trailing zeros kept, never an exponent
    for everyday sizes: ``53.20``, ``0.01230``, ``65,361``.

    Parameters
    ----------
    value : float

    Returns
    -------
    str
    """
    if not np.isfinite(value) or value == 0:
        return f"{value:g}"
    magnitude = int(np.floor(np.log10(abs(value))))
    if magnitude < -4 or magnitude > 15:
        return f"{value:.3e}"
    return f"{value:,.{max(0, 3 - magnitude)}f}"


def format_regression(scores: dict[str, float]) -> str:
    """``RMSE 1.230  MAE 0.9800  R² 0.871``, in the target's units.

    Parameters
    ----------
    scores : dict

    Returns
    -------
    str
    """
    return f"RMSE {format_value(scores['rmse'])}  MAE {format_value(scores['mae'])}  R² {scores['r2']:.3f}"


def model_data(meta: dict, dataset: str | None = None, data: str | None = None, target: str | None = None):
    """(train, test) split as ``glassnet train`` split them for this model; arguments override its metadata.

    Parameters
    ----------
    meta : dict
        The model file's metadata.
    dataset, data, target : str, optional

    Returns
    -------
    (train, test) : Dataset
    """
    dataset = dataset or meta.get("dataset")
    if dataset is None:
        raise UserError("the model file does not say which dataset it was trained on: give --dataset")
    task = {v: k for k, v in TASKS.items()}.get(meta.get("task", ""), "auto")
    return load_data(dataset, data or meta.get("data"), target or meta.get("target"),
                     meta.get("test_fraction") or 0.2, meta.get("seed", 0), task)


def check_width(model, n_features: int, what: str) -> None:
    """Refuse data whose width is not the model's input width.

    Parameters
    ----------
    model : Sequential
    n_features : int
    what : str
        The data, in words.
    """
    if model.in_features != n_features:
        raise UserError(f"the model expects {model.in_features} input features, but {what} has "
                        f"{n_features}: was the model made for another input size?")


def resolved(path: str | None) -> str | None:
    """An absolute path for the metadata, so the model finds its data from any folder.

    Parameters
    ----------
    path : str, optional

    Returns
    -------
    str or None
    """
    return str(Path(path).resolve()) if path else None
