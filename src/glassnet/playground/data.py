"""The playground's data: small 2-D sets to classify or regress, and the features made from them.

Every set is drawn from a seeded generator, so a seed names one set exactly.
Points lie in the square [-1, 1]^2 (noise may push a few outside). The sets:

- ``circle``: class 1 on a ring around class 0 (2 classes);
- ``xor``: the class is the sign of x1 * x2 (2 classes);
- ``gauss``: one round cluster per class on a circle (2 to 5 classes);
- ``spiral``: one arm per class, winding out from the centre (2 to 5 classes);
- ``moons``: two interleaved half circles (2 classes);
- ``plane``: regression on ``(x1 + x2) / 2``;
- ``bumps``: regression on two Gaussian bumps of opposite sign.

``noise`` (0 to 1) moves every point by a Gaussian whose standard deviation
is a quarter of ``noise``: 0.5 already blurs the boundaries.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ..core._validation import is_number_text, short
from ..errors import DataError, OptionError

#: set name -> (task, allowed numbers of classes)
SETS = {
    "circle": ("classification", (2,)),
    "xor": ("classification", (2,)),
    "gauss": ("classification", (2, 3, 4, 5)),
    "spiral": ("classification", (2, 3, 4, 5)),
    "moons": ("classification", (2,)),
    "plane": ("regression", (1,)),
    "bumps": ("regression", (1,)),
}

#: the inputs a network can be given, each a function of the two coordinates
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(math.pi * x1),
    "sin(x2)": lambda x1, x2: np.sin(math.pi * x2),
}

#: the most rows an uploaded CSV may have, and the most bytes
MAX_ROWS = 5000
MAX_CSV_BYTES = 1_000_000


def make(name: str, n: int, noise: float, seed: int, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Draw one of :data:`SETS`.

    Parameters
    ----------
    name : str
    n : int
        Points.
    noise : float
        0 (none) to 1.
    seed : int
    classes : int
        For ``gauss`` and ``spiral``.

    Returns
    -------
    X : float64 array, shape (n, 2)
    y : int array (classification) or float64 array (regression), shape (n,)
    """
    rng = np.random.default_rng(seed)
    sigma = 0.25 * noise
    X: np.ndarray
    y: np.ndarray
    if name == "circle":
        y = (np.arange(n) % 2).astype(np.intp)
        radius = np.where(y == 1, rng.uniform(0.65, 0.95, n), rng.uniform(0.0, 0.45, n))
        angle = rng.uniform(0, 2 * math.pi, n)
        X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    elif name == "xor":
        X = rng.uniform(-1, 1, (n, 2))
        X += np.sign(X) * 0.05  # a margin along the axes
        X = np.clip(X, -1, 1)
        y = (X[:, 0] * X[:, 1] > 0).astype(np.intp)
    elif name == "gauss":
        y = (np.arange(n) % classes).astype(np.intp)
        centre = 2 * math.pi * y / classes + math.pi / 4
        X = 0.55 * np.column_stack([np.cos(centre), np.sin(centre)]) + rng.normal(0, 0.15, (n, 2))
    elif name == "spiral":
        y = (np.arange(n) % classes).astype(np.intp)
        t = rng.uniform(0.05, 1.0, n)
        angle = 1.75 * 2 * math.pi * t + 2 * math.pi * y / classes
        X = 0.9 * t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    elif name == "moons":
        y = (np.arange(n) % 2).astype(np.intp)
        angle = rng.uniform(0, math.pi, n)
        X = np.where(y[:, None] == 0,
                     np.column_stack([np.cos(angle), np.sin(angle)]),
                     np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)]))
        X = (X - [0.5, 0.25]) * 0.6
    elif name == "plane":
        X = rng.uniform(-1, 1, (n, 2))
        y = (X[:, 0] + X[:, 1]) / 2
    elif name == "bumps":
        X = rng.uniform(-1, 1, (n, 2))
        y = np.exp(-8 * ((X[:, 0] - 0.4) ** 2 + (X[:, 1] - 0.4) ** 2)) \
            - np.exp(-8 * ((X[:, 0] + 0.4) ** 2 + (X[:, 1] + 0.4) ** 2))
    else:
        raise OptionError(f"data must be one of {', '.join(SETS)}; received {short(name)}")
    if sigma:
        X = X + rng.normal(0, sigma, X.shape)
    return X, y


def features(X: np.ndarray, names: list[str]) -> np.ndarray:
    """The network's input columns, one per feature name, from the points ``X``.

    Parameters
    ----------
    X : array, shape (n, 2)
    names : list of str
        Keys of :data:`FEATURES`.

    Returns
    -------
    float64 array, shape (n, len(names))
    """
    return np.column_stack([FEATURES[f](X[:, 0], X[:, 1]) for f in names])


def inputs_from_points(points: np.ndarray, names: list[str], centre: list[float] | None = None,
                       half: list[float] | None = None) -> np.ndarray:
    """A network's inputs from points in their own coordinates: scaled as :func:`read_csv` scaled the points it
    trained on (``(X - centre) / half``, when they came from a CSV), then turned into the features ``names``.

    Parameters
    ----------
    points : array, shape (n, 2)
        x1 and x2.
    names : list of str
        Keys of :data:`FEATURES`, the network's inputs in order.
    centre, half : lists of 2 floats, optional
        From :func:`csv_scaling`; without them the points are the playground's own, in [-1, 1].

    Returns
    -------
    float64 array, shape (n, len(names))
    """
    X = np.asarray(points, dtype=np.float64)
    if centre is not None and half is not None:
        X = (X - np.asarray(centre)) / np.asarray(half)
    return features(X, names)


def read_csv(text: str | bytes, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Points and labels from a CSV of three columns, ``x1, x2, label``, with or without a header.

    Parameters
    ----------
    text : str or bytes
    task : "classification" or "regression"
        Labels are class numbers 0..k-1 (2 to 5 classes) or real values.

    Returns
    -------
    X : float64 array, shape (n, 2), scaled into [-1, 1] column by column
    y : int or float64 array, shape (n,)

    Raises
    ------
    DataError
        Naming the line and what was wrong.
    """
    values = _points(text)
    X, y = values[:, :2], values[:, 2]
    centre, half = _square(X)
    X = (X - centre) / half  # into [-1, 1]; no overflow: each difference is at most half, a finite number
    if task == "regression":
        return X, y
    if not np.array_equal(y, np.round(y)) or y.min() < 0:
        raise DataError("class labels must be whole numbers 0, 1, 2, ...; received other values")
    labels = np.unique(y)
    if labels.size < 2:
        raise DataError(f"classification needs at least 2 classes; received only class {int(labels[0])}")
    if labels.size > 5 or not np.array_equal(labels, np.arange(labels.size)):
        shown = ", ".join(f"{v:.6g}" for v in labels[:8])  # as numbers: 1e308 was -9223372036854775808 as an int
        raise DataError(f"class labels must be 0 to k-1 with k from 2 to 5; received {labels.size} labels: "
                        f"[{shown}{', ...' if labels.size > 8 else ''}]")
    return X, y.astype(np.intp)


def csv_scaling(text: str | bytes) -> tuple[list[float], list[float]]:
    """The centre and half-width of an uploaded CSV's x1 and x2, which :func:`read_csv` maps onto [-1, 1]:
    ``(X - centre) / half``, a column of one value to -1. A model trained on the points needs them to read
    the file's own coordinates: the playground's model download records them.

    Parameters
    ----------
    text : str or bytes
        As :func:`read_csv` takes it.

    Returns
    -------
    (centre, half) : lists of float
    """
    centre, half = _square(_points(text)[:, :2])
    return centre.tolist(), half.tolist()


def _square(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's centre and half-width, so that ``(X - centre) / half`` spans [-1, 1]; a column of one
    value goes to -1 (half 0.5). In halves: ``high - low`` overflows at ±1e308."""
    low, high = X.min(axis=0), X.max(axis=0)
    spread = high / 2 - low / 2  # 0 for a range of subnormal numbers too, where high > low: constant, then
    half = np.where(spread > 0, spread, 0.5)
    return low + half, half


def _points(text: str | bytes) -> np.ndarray:
    """The rows of an uploaded CSV as numbers, (x1, x2, label), checked (see :func:`read_csv`)."""
    if isinstance(text, bytes):
        if len(text) > MAX_CSV_BYTES:
            raise DataError(f"the CSV file must be at most {MAX_CSV_BYTES:,} bytes; received {len(text):,}")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("the CSV file must be UTF-8 text") from None
    elif len(text) > MAX_CSV_BYTES:
        raise DataError(f"the CSV file must be at most {MAX_CSV_BYTES:,} characters; received {len(text):,}")
    # newline="": the csv module reads the line endings itself, old Macs' lone CR among them
    reader = csv.reader(io.StringIO(text, newline=""))  # each row with the line it ends on, as named below
    try:
        rows = [(reader.line_num, r) for r in reader if any(cell.strip() for cell in r)]
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte
        raise DataError(f"the CSV file cannot be read at line {reader.line_num}: {str(exc)[:200]}") from None
    if rows and sum(_numeric(cell) for cell in rows[0][1]) <= len(rows[0][1]) // 2:
        rows = rows[1:]  # a header: mostly names ("x,2019,label"); a row of numbers with a typo is named below
    if not rows:
        raise DataError("the CSV file holds no data rows")
    if len(rows) > MAX_ROWS:
        raise DataError(f"the CSV file may have at most {MAX_ROWS:,} rows; received {len(rows):,}")
    values = np.empty((len(rows), 3))
    for i, (line, row) in enumerate(rows):
        if len(row) != 3:
            raise DataError(f"every row must hold 3 values (x1, x2, label); line {line} holds {len(row)}")
        for j, cell in enumerate(row):
            if not _numeric(cell):
                raise DataError(f"line {line}, column {j + 1} must be a number; received {short(cell.strip()[:40])}")
            values[i, j] = float(cell)
    if not np.isfinite(values).all():
        raise DataError("the CSV file must hold finite numbers; received NaN or infinity")
    return values


def _numeric(cell: str) -> bool:
    return is_number_text(cell)
