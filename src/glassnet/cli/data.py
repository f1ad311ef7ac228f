"""The command line's data: which dataset, how it is split and scaled, and how a model file remembers it.

``glassnet train`` splits a dataset into training, validation and test rows
from its seed, and standardizes CSV features (and a regression target); the
model file's metadata records all of that, so that ``evaluate``, ``predict``
and ``--resume`` rebuild exactly the same data and units.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets
from ..core._validation import _same_file, check_array, short
from ..core.rows import LazyRows
from ..errors import GlassnetError, OptionError
from ..ops.normalization import mean_and_scale
from ..training.models import load, mlp
from .options import UserError as UserError  # it lived here: re-exported
from .pictures import check_folder, load_pictures, model_pictures, same_classes

TASKS = {"auto": "auto", "classify": "classification", "regress": "regression"}


def load_data(dataset: str, data: str | None, target: str | None, test_fraction: float, seed: int,
              task: str = "auto", picture: dict | None = None, lazy: bool = True):
    """(train, test) Datasets for a dataset name, split as the training command splits them.

    Parameters
    ----------
    dataset : "digits", "mnist", "csv" or "folder"
    data : str, optional
        The MNIST folder, the CSV file, or the folder of class folders.
    target : str, optional
        The CSV column to predict.
    test_fraction : float
    seed : int
    task : "auto", "classify" or "regress"
        For CSV files.
    picture : dict, optional
        For folders: ``size``, ``color``, ``fit`` and ``test_data`` (see :func:`load_pictures`).
    lazy : bool
        MNIST's pixels as uint8, read as float32 a batch at a time (``load_mnist(lazy=True)``): for gradient
        descent on the CPU, and for scoring; a GPU and the whole-set solvers take arrays in memory.

    Returns
    -------
    (train, test) : Dataset
    """
    if dataset == "folder":
        return load_pictures(data, picture or {}, test_fraction, seed)
    if dataset == "digits":
        return datasets.train_test_split(datasets.load_digits(), test_fraction, rng=seed)
    if dataset == "mnist":  # uint8 pixels, divided by 255 batch by batch: a quarter of the memory, no conversion
        return datasets.load_mnist(data, lazy=lazy)
    if dataset == "csv":
        if not data or not target:
            raise UserError("--dataset csv needs --data FILE.csv and --target COLUMN")
        rows = datasets.load_csv(data, target, task=TASKS[task])
        if task == "auto" and rows.task == "classification" and len(rows.classes) > max(20, len(rows.y) // 2):
            raise UserError(f"--target {target} holds {len(rows.classes):,} classes among {len(rows.y):,} rows, fewer "
                            "than two rows a class: a column of identifiers, not of classes? (--task classify trains "
                            "on them all the same; --task regress reads numbers as values)")
        try:
            return datasets.train_test_split(rows, test_fraction, rng=seed, name="--test-fraction")
        except OptionError as exc:  # in the command's terms, naming the file
            raise UserError(f"{exc} (the rows of {data})") from None
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
    except GlassnetError:  # its message names train_test_split's own argument, test_fraction
        raise UserError(f"--validation-fraction {fraction} leaves no row for training or none for validation, of "
                        f"the {len(train)} training rows: give a fraction that holds out at least one row and "
                        f"keeps one, or 0 for no validation set") from None


def standardize(X: np.ndarray) -> tuple[list[float], list[float]]:
    """Each column's mean and standard deviation (1 where a column is constant).

    Parameters
    ----------
    X : array, shape (n_samples, n_features) or (n_samples,)

    Returns
    -------
    (mean, scale) : lists of float
    """
    mean, scale = mean_and_scale(X)  # in float64, 1 for a constant column (float32 left 0.1's spread 1.5e-8)
    return mean.tolist(), scale.tolist()


def scale_inputs(X: Any, meta: dict, dtype: Any = np.float32, name: str = "X") -> Any:
    """Features as the model was trained on them (standardized for CSV data).

    Parameters
    ----------
    X : array, or LazyRows (MNIST's pixels)
    meta : dict
        The model file's metadata.
    dtype : dtype
    name : str
        The data, for the message of a value beyond ``dtype``'s range (a CSV file's path).

    Returns
    -------
    array or LazyRows
    """
    if isinstance(X, LazyRows):  # MNIST's pixels stay lazy in their float32; otherwise read whole, as ever
        if X.dtype == np.dtype(dtype) and "input_mean" not in meta:
            return X
        X = X[:]
    if "input_mean" in meta:
        mean = np.asarray(meta["input_mean"])
        if X.shape[1] != mean.size:
            names = meta.get("feature_names") or []
            raise UserError(f"the model was trained on {mean.size} features"
                            + (f" ({', '.join(map(str, names[:8]))}{', ...' if len(names) > 8 else ''})"
                               if names else "") + f", but the data has {X.shape[1]}")
        X = (X - mean) / np.asarray(meta["input_scale"])
    if X.dtype == np.dtype(dtype):
        return X  # no copy of what is already in that dtype
    return check_array(X, name, ndim=X.ndim, dtype=dtype)  # 1e39 named, not cast to infinity with a warning


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
    return np.asarray(values, np.float64) * meta["target_scale"] + meta["target_mean"]  # float32 kept 7 digits


def check_data_option(dataset: str, data: str | None) -> None:
    """Refuse ``--data`` for the 8x8 digits, which ship with glassnet: it was read as nothing, and the
    digits trained (or were scored) in place of the file or folder named, with exit status 0.

    Parameters
    ----------
    dataset : str
    data : str or None
    """
    if dataset != "digits" or data is None:
        return
    hint = ("for a CSV file, give --dataset csv --target COLUMN" if data.lower().endswith(".csv") else
            "for MNIST's four files give --dataset mnist; for a folder of pictures, one sub-folder per class, "
            "--dataset folder")
    raise UserError(f"--data {data} names data for --dataset mnist, csv or folder, but the dataset is the 8x8 "
                    f"digits, which ship with glassnet: {hint}")


def model_data(meta: dict, dataset: str | None = None, data: str | None = None, target: str | None = None,
               source: str = "the model file"):
    """(train, test) split as ``glassnet train`` split them for this model; arguments override its metadata.

    What the metadata says is checked as the command line would check it: a
    file may have been edited, so its data path is read only when the file
    there matches the stored fingerprint (see :func:`check_fingerprint`).

    Parameters
    ----------
    meta : dict
        The model file's metadata.
    dataset, data, target : str, optional
    source : str
        The model file, for messages.

    Returns
    -------
    (train, test) : Dataset
    """
    dataset = dataset or meta.get("dataset")
    if dataset is None:
        raise UserError(f"{source} does not say which dataset it was trained on: give --dataset")
    if dataset not in ("digits", "mnist", "csv", "folder"):
        raise UserError(f"{source} names a dataset glassnet does not know, {short(dataset)}: give --dataset")
    check_data_option(dataset, data)
    fraction, seed = meta.get("test_fraction") or 0.2, meta.get("seed", 0)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise UserError(f"{source}: its test_fraction must be a number in (0, 1); received {short(fraction)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UserError(f"{source}: its seed must be a whole number of at least 0; received {short(seed)}")
    if data is None:
        check_fingerprint(meta.get("data"), meta.get("data_fingerprint"), dataset, source)
    task = {v: k for k, v in TASKS.items()}.get(meta.get("task", ""), "auto")
    if dataset == "folder":
        return model_pictures(meta, data, fraction, seed, source)
    own, target = meta.get("data"), target or meta.get("target")
    if dataset == "csv" and data is not None and target and not is_own_file(data, own, meta.get("data_fingerprint")):
        # a model reads its columns by name, others left out, as predict reads them; a file of new rows is
        # tested whole, as a folder of new pictures is (not a fifth)
        train = test = datasets.load_csv(data, target, task=TASKS[task], columns=meta.get("feature_names") or None)
    else:
        train, test = load_data(dataset, data or own, target, fraction, seed, task)
    if test.task == "classification" and meta.get("classes"):  # the data's own numbering counts only its classes
        classes = [str(c) for c in meta["classes"]]
        train, test = (same_classes(p, classes, data or f"the {dataset} data", "class(es)") for p in (train, test))
    return train, test


def is_own_file(data: str, own: object, stored: object) -> bool:
    """Whether ``data`` is the file a model was trained on: the same file, or one of the same size and SHA-256
    (a copy, which a test split of it must not score whole: its training rows would count as tested).

    Parameters
    ----------
    data : str
    own : object
        The model's data path, from its metadata.
    stored : object
        Its fingerprint, from its metadata.

    Returns
    -------
    bool
    """
    if isinstance(own, str) and _same_file(data, own):
        return True
    return isinstance(stored, dict) and Path(data).is_file() and fingerprint(data) == {
        "size": stored.get("size"), "sha256": stored.get("sha256")}


def model_or_default(args, hidden: tuple[int, ...]) -> tuple:
    """The model and data a tool command works on: a model file with the data it was trained on, or a fresh
    network on the 8x8 digits.

    Parameters
    ----------
    args : argparse.Namespace
        ``model`` (a path or None); for the fresh network ``activation`` and ``seed``.
    hidden : tuple of int
        The fresh network's hidden widths.

    Returns
    -------
    (model, X, y, loss, name)
        ``name`` is the file's path, or the fresh network's sizes and activation ("64-16-10 tanh network").
    """
    given = [f"--{name}" for name in ("dataset", "data", "target") if getattr(args, name, None) is not None]
    if args.model:
        ck = load(args.model)
        model, meta = ck.model, ck.metadata
        train, _ = model_data(meta, args.dataset, args.data, args.target, source=args.model)
        X, y = scale_inputs(train.X, meta), scale_target(train.y, meta)
        loss = "cross_entropy" if meta.get("task", "classification") == "classification" else "mse"
        name = args.model
    elif given:
        raise UserError(f"{', '.join(given)} appl{'y' if len(given) > 1 else 'ies'} with a model file; without "
                        f"one, the command takes a fresh network on the 8x8 digits")
    else:
        train = datasets.load_digits()
        X, y = train.X, train.y
        model = mlp([64, *hidden, 10], activation=args.activation, rng=args.seed)
        loss, name = "cross_entropy", f"{'-'.join(map(str, [64, *hidden, 10]))} {args.activation} network"
    check_width(model, width(X), "the data")
    return model, X, y, loss, name


def width(X) -> int:
    """Values per sample: the features of a table's rows, or ``channels x rows x columns`` of images.

    Parameters
    ----------
    X : array, shape (n_samples, ...)

    Returns
    -------
    int
    """
    return math.prod(X.shape[1:])


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


def fingerprint(path: str | None) -> dict | None:
    """A data file's size and SHA-256, kept in a model file to know the file again.

    Parameters
    ----------
    path : str, optional

    Returns
    -------
    dict or None
        ``{"size": bytes, "sha256": hex}``; None for no path or a folder (MNIST's
        files carry the checksums MNIST published).
    """
    if not path or not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


def check_fingerprint(path: str | None, expected: object, dataset: str, source: str) -> None:
    """Refuse to read a data path taken from a model file unless the file there is the one it was trained on.

    A model file's metadata can be edited by anyone to name any file: it is
    read only when its size and SHA-256 match the fingerprint stored at
    training time, and nothing of a file that does not match is read or printed.

    Parameters
    ----------
    path : str, optional
        The data path the file names.
    expected : dict, optional
        Its stored fingerprint.
    dataset : str
        CSV files are checked by their size and SHA-256, picture folders by their listing
        (:func:`glassnet.cli.pictures.folder_fingerprint`); MNIST's files against MNIST's own checksums.
    source : str
        The model file, for messages.
    """
    if dataset == "folder":
        check_folder(path, expected, "--data", source)
        return
    if dataset != "csv" or not path:
        return
    ok = isinstance(expected, dict) and Path(path).is_file() and fingerprint(path) == {
        "size": expected.get("size"), "sha256": expected.get("sha256")}
    if not ok:  # named: it said "a data file", and which one to look for was left to guess
        why = "is not the one it was trained on (its size or checksum differ)" if Path(path).is_file() else "is gone"
        raise UserError(f"{source} names the data file {path}, which {why}: give the data with --data FILE")


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
