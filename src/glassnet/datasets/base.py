"""What every loader returns, and a seeded, stratified train/test split."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core._validation import as_generator, check_real
from ..core.rows import LazyRows
from ..errors import DataError, OptionError


@dataclass
class Dataset:
    """Features, targets, and what a model needs to know about them.

    Attributes
    ----------
    X : array, shape (n_samples, n_features)
    y : array, shape (n_samples,)
        Integer labels 0..k-1 for classification, values for regression.
    name : str
    classes : list of str
        The names of the labels 0..k-1 of a classification set.
    feature_names : list of str
    image_shape : (rows, columns) or None
        Set for picture datasets, so that an uploaded photo can be prepared the same way.
    task : "classification" or "regression"
    task_reason : str
        How the task was chosen, in words (for a CSV read with ``task="auto"``).
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    classes: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    image_shape: tuple[int, int] | None = None
    task: str = "classification"
    task_reason: str = ""

    def __len__(self) -> int:
        return self.X.shape[0]


def data_home(setting: str | None = None) -> Path:
    """The folder glassnet keeps downloads and trained default models in: ``$GLASSNET_DATA`` or ``~/.cache/glassnet``.

    An empty ``GLASSNET_DATA`` counts as unset, and ``~`` in it is the home folder.

    Parameters
    ----------
    setting : str, optional
        A value to read in place of the environment's ``GLASSNET_DATA`` (the tests keep the user's aside).

    Returns
    -------
    pathlib.Path
    """
    value = os.environ.get("GLASSNET_DATA") if setting is None else setting
    return Path(value or Path.home() / ".cache" / "glassnet").expanduser()


def make_folder(folder: Path, what: str, instead: str) -> None:
    """Make ``folder`` (and the folders above it) for ``what``, or say why not and what to do instead.

    Parameters
    ----------
    folder : pathlib.Path
        Under :func:`data_home`, as a rule.
    what : str
        What goes there, for the message ("to download MNIST into").
    instead : str
        The other way, for the message ("give a folder that holds the four files").

    Raises
    ------
    DataError
        Naming the folder, the reason and ``GLASSNET_DATA`` (where ``$GLASSNET_DATA`` names a file the system
        said only "[Errno 20] Not a directory").
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        setting = os.environ.get("GLASSNET_DATA")
        now = f"now {setting!r}" if setting else "unset"
        raise DataError(f"cannot make the folder {str(folder)!r} {what}: {(exc.strerror or str(exc)).lower()}. Set "
                        f"GLASSNET_DATA to a folder glassnet may write ({now}), or {instead}") from None


def train_test_split(data: Dataset, test_fraction: float = 0.2, rng: object = 0, *,
                     name: str = "test_fraction") -> tuple[Dataset, Dataset]:
    """Split rows into a training and a test set; stratified by class for classification.

    Parameters
    ----------
    data : Dataset
    test_fraction : float
        In (0, 1).
    rng : None, int or Generator
    name : str
        What the caller calls ``test_fraction``, for messages (``load_folder``'s ``validation``).

    Returns
    -------
    (train, test) : Dataset

    Raises
    ------
    OptionError
        Where the split leaves no training or no test rows.
    """
    test_fraction = check_real(test_fraction, name, low=0.0, high=1.0, low_open=True, high_open=True)
    gen = as_generator(rng)
    n = len(data)
    if data.task == "classification":
        test = stratified_rows(data.y, test_fraction, gen)
    else:
        test = gen.permutation(n)[: int(round(test_fraction * n))]
    mask = np.zeros(n, bool)
    mask[test] = True
    if mask.all() or not mask.any():
        raise OptionError(f"{name}={test_fraction} leaves an empty training or test set for {n} rows")

    def part(m):  # rows read on demand stay so: a view of the rows, not the rows read
        X = data.X.subset(np.flatnonzero(m)) if isinstance(data.X, LazyRows) else data.X[m]
        return Dataset(X, data.y[m], data.name, data.classes, data.feature_names,
                       data.image_shape, data.task, data.task_reason)

    return part(~mask), part(mask)


def stratified_rows(labels: np.ndarray, fraction: float, gen: np.random.Generator) -> np.ndarray:
    """``round(fraction * n)`` rows drawn class by class (:func:`stratified_counts` of each, which leaves each
    class a row), unsorted.

    Parameters
    ----------
    labels : array, shape (n,)
    fraction : float
    gen : numpy.random.Generator
        Draws a permutation of each class's rows, in the classes' sorted order.

    Returns
    -------
    int array
    """
    classes, sizes = np.unique(labels, return_counts=True)
    counts = stratified_counts(sizes, fraction)
    return np.concatenate([gen.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, counts)])


def stratified_counts(sizes: np.ndarray, fraction: float) -> np.ndarray:
    """How many rows of each class a stratified split takes: ``round(fraction * n)`` in all, leaving each class
    at least one row on the other side.

    Each class gets its share rounded down, and the rows still owed go to
    the classes with the largest remainders (ties to the first): rounding
    each class on its own would miss the total (5,999 of MNIST's 60,000 at 10 %).
    No class gives all its rows (0.95 of two classes of ten rows took all ten of
    one, and the model trained on the other alone): the total falls short then.

    Parameters
    ----------
    sizes : int array, shape (n_classes,)
        The rows of each class.
    fraction : float

    Returns
    -------
    int array, shape (n_classes,)
    """
    sizes = np.asarray(sizes)
    exact, room = fraction * sizes.astype(np.float64), np.maximum(sizes - 1, 0)
    counts = np.minimum(np.floor(exact).astype(np.intp), room)
    owed = int(round(fraction * int(np.sum(sizes)))) - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    order = order[counts[order] < room[order]]  # the classes that can give one more row
    counts[order[:owed]] += 1
    return counts
