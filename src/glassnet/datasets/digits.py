"""The 8x8 handwritten digits that ship with scikit-learn (1,797 images, no download).

The pixels are read from the file scikit-learn installs (``sklearn/datasets/data/digits.csv.gz``)
without importing scikit-learn, whose import was a third of the default ``glassnet train`` run (4.7 s
against 3.2 s without it on a 2-core machine). Where that file is not found or does not hold what it
should (a scikit-learn that keeps its data elsewhere), scikit-learn's own ``load_digits`` reads it.
Both give the same arrays; ``tests/test_datasets.py`` holds them to that.
"""

from __future__ import annotations

import gzip
import importlib.util
import warnings
import zlib
from pathlib import Path

import numpy as np

from ..errors import missing
from .base import Dataset

#: the samples, and the 64 pixels and the label of each, that scikit-learn's file holds
SHAPE = (1797, 65)


def load_digits() -> Dataset:
    """The UCI optical digits as scikit-learn ships them: 8x8 images, 17 grey levels (0-16).

    Pixels are scaled to [0, 1] (divided by 16). Needs scikit-learn
    (the ``app`` extra: ``pip install -e '.[app]'`` in the glassnet folder), which carries the data itself.

    Returns
    -------
    Dataset
        1,797 samples of 64 features.
    """
    table = shipped_table()
    if table is None:
        table = _from_sklearn()
    return Dataset(
        X=(table[:, :-1] / 16.0).astype(np.float32),
        y=table[:, -1].astype(np.intp),
        name="digits",
        classes=[str(c) for c in range(10)],
        image_shape=(8, 8),
    )


def shipped_table(package: str = "sklearn") -> np.ndarray | None:
    """The digits' table (64 pixels then the label, one row a sample) read from the file in scikit-learn's folder.

    The package is found, not imported. None where it is not installed or its file is missing or not the
    1,797 x 65 whole numbers it should be.

    Parameters
    ----------
    package : str
        The installed package whose ``datasets/data/digits.csv.gz`` is read.

    Returns
    -------
    array, shape (1797, 65), or None
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an empty file's warning: it is refused below all the same
            table = np.loadtxt(f, delimiter=",", ndmin=2)
    except (OSError, ValueError, EOFError, zlib.error):  # missing, unreadable, not gzip, cut short, not numbers
        return None
    if table.shape != SHAPE:
        return None
    pixels, labels = table[:, :-1], table[:, -1]
    if not ((pixels >= 0) & (pixels <= 16)).all() or not np.isin(labels, range(10)).all() \
            or not (table == np.round(table)).all():
        return None
    return table


def _from_sklearn() -> np.ndarray:
    """The same table through scikit-learn's ``load_digits``."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise missing("scikit-learn", "app", "the digits dataset (it ships with scikit-learn)") from None
    bunch = sk_load_digits()
    return np.column_stack([bunch.data, bunch.target])
