"""Tables from CSV files: numeric feature columns and one named target column."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from ..errors import DataError, OptionError
from .base import Dataset


def load_csv(path: str | os.PathLike, target: str, *, task: str = "auto") -> Dataset:
    """Read a CSV file with a header row.

    Parameters
    ----------
    path : str or path-like
    target : str
        The column to predict. Every other column must be numeric with no missing values.
    task : "auto", "classification" or "regression"
        The target may hold class names (text or integers: classification) or
        real numbers (regression); "auto" decides by whether all values are
        integers or text.

    Returns
    -------
    Dataset
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path} is not a readable CSV text file: {exc}") from None
    if len(rows) < 2:
        raise DataError(f"{path} needs a header row and at least one data row; found {len(rows)} rows")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise DataError(f"target column {target!r} is not in {path}; its columns are {', '.join(header)}")
    t = header.index(target)
    features = [h for i, h in enumerate(header) if i != t]
    X = np.empty((len(rows) - 1, len(features)), dtype=np.float64)
    raw_target = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path}, line {r}: {len(row)} fields, but the header has {len(header)}")
        values = [v.strip() for v in row]
        raw_target.append(values[t])
        for j, (i, v) in enumerate((i, v) for i, v in enumerate(values) if i != t):
            if v == "" or v.lower() in ("na", "nan", "null", "none", "?"):
                raise DataError(f"{path}, line {r}: missing value in column {header[i]!r}")
            try:
                X[r - 2, j] = float(v)
            except ValueError:
                raise DataError(
                    f"{path}, line {r}: column {header[i]!r} must be numeric; received {v!r}"
                ) from None
            if not np.isfinite(X[r - 2, j]):
                raise DataError(f"{path}, line {r}: column {header[i]!r} holds {v!r}, not a finite number")
    if any(v == "" for v in raw_target):
        line = raw_target.index("") + 2
        raise DataError(f"{path}, line {line}: missing value in target column {target!r}")
    numeric = _all_float(raw_target)
    if task == "auto":
        integers = numeric and all(float(v).is_integer() for v in raw_target)
        task = "regression" if numeric and not integers else "classification"
    if task == "regression":
        if not numeric:
            raise DataError(f"target column {target!r} must be numeric for regression")
        return Dataset(X.astype(np.float32), np.array([float(v) for v in raw_target], np.float32),
                       path.stem, feature_names=features, task="regression")
    if task != "classification":
        raise OptionError(f"task must be 'auto', 'classification' or 'regression'; received {task!r}")
    keys = sorted(set(raw_target), key=lambda v: (float(v), v) if numeric else (0, v))
    index = {k: i for i, k in enumerate(keys)}
    return Dataset(X.astype(np.float32), np.array([index[v] for v in raw_target], np.intp), path.stem,
                   classes=keys, feature_names=features)


def _all_float(values: list[str]) -> bool:
    try:
        for v in values:
            float(v)
    except ValueError:
        return False
    return True
