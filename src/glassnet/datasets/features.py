"""A trained model's inputs from a CSV file, with or without a header row: what ``glassnet predict`` reads.

The file is read one row at a time into an array of numbers, so a table takes about 8 bytes for each value
the model reads, not the ~64 of each field held as text (:func:`~.csv.read_rows`). Before anything is read,
the file's longest line is measured, so that one row too long for memory is refused, not parsed.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..core._validation import check_memory, short
from ..errors import DataError
from ._rows import fill, grown, rows_at_most
from .csv import check_named, is_number, names, separator_hint


def read_features(path: str | os.PathLike, feature_names: list[str], width: int,
                  takes: str = "") -> tuple[np.ndarray, int]:
    """A CSV file's feature columns as numbers, with or without a header row; never a row dropped.

    A first row that is all numbers is data (the file has no header): every
    row must then hold exactly the model's features, in order. A first row
    of numbers that names the model's features (columns named 2020 and 2021)
    could be either, so it is refused, with the way out. Otherwise the first
    row names the columns; the model's features are taken by name when it
    knows them (other columns, the target among them, are ignored), else all
    columns in order. A feature's name found twice is refused. Blank lines at
    the end are no rows; a blank line before a row is a row of no fields, and
    refused as one.

    Parameters
    ----------
    path : str or path_like
    feature_names : list of str
        The names the model was trained with, or empty.
    width : int
        The model's number of input features.
    takes : str
        What the model reads, for the message of a file without a header (default "takes WIDTH features").

    Returns
    -------
    X : numpy.ndarray of float64, shape (n_rows, n_columns)
    first_line : int
        The line number of the first data row (1 or 2), to number the output.
    """
    takes = takes or f"takes {width} features"
    table = fill(path, lambda first, lines: _Table(path, [v.strip() for v in first], feature_names, width, takes,
                                                  lines))
    if table is None:
        raise DataError(f"{path} is empty")
    return table.finish()


class _Table:
    """The rows read so far: the first row decides the header and the columns; each later row adds numbers."""

    def __init__(self, path: str | os.PathLike, first: list[str], feature_names: list[str], width: int,
                 takes: str, lines: int) -> None:
        self.path, self.fields = path, len(first)
        header = not all(is_number(v) for v in first)
        if header and len(first) == width + 1 and not first[-1] and all(is_number(v) for v in first[:-1]) \
                and sorted(first[:-1]) != sorted(feature_names):  # (a header of numbers names the columns)
            # "1,2,3," for a model of 3 features: data, each line ending in a comma
            raise DataError(f"{path}, line 1: the model's {width} numbers, then an empty field (a comma at the end "
                            "of each line makes an empty column): take the commas at the lines' ends out")
        if not header and feature_names and sorted(first) == sorted(feature_names):
            # a header of numbers, or a row of data that happens to be them: either reading could be wrong
            raise DataError(f"{path}: its first row, {names(first)}, names the model's features but is all "
                            f"numbers, so it could be the header or data: add a column whose name is not a number "
                            f"(such as id) to read it as the header, or give no header and the features in order")
        self.names = [v.strip() for v in first] if header else None  # for messages: a column by its name
        if header:
            self.first_line, self.columns = 2, _named_columns(path, first, feature_names, width, takes)
        else:
            self.first_line, self.columns = 1, list(range(width))
            if len(first) != width:
                raise DataError(f"{path} has no header row and {len(first)} columns, but the model {takes}: give "
                                "a header naming the columns, or exactly the features in order")
        most = rows_at_most(path, lines, self.fields, len(self.columns))
        check_memory(most * len(self.columns) * 8, f"reading {path} as a table of numbers")
        self.X, self.n = np.empty((most, len(self.columns)), np.float64), 0
        if not header:
            self.add(first)

    def add(self, row: list[str]) -> None:
        line = self.n + self.first_line
        if len(row) != self.fields:
            raise DataError(f"{self.path}, line {line}: {len(row)} fields, but the first row has {self.fields}")
        self.X = grown(self.X, self.n, self.path)
        out = self.X[self.n]
        for j, c in enumerate(self.columns):
            value = row[c].strip()
            column = f"column {c + 1}" if self.names is None else f"column {short(self.names[c])}"
            if not is_number(value):
                raise DataError(f"{self.path}, line {line}: {column} must be a number; received {short(value)}")
            out[j] = float(value)
            if not math.isfinite(out[j]):  # 1e400: it was "holds values that are not finite numbers", nothing named
                raise DataError(f"{self.path}, line {line}: {column} holds {short(value)}, not a finite number")
        self.n += 1

    def finish(self) -> tuple[np.ndarray, int]:
        if self.n == 0:
            raise DataError(f"{self.path} holds a header row but no data rows")
        X = self.X[:self.n]
        if not np.isfinite(X).all():
            raise DataError(f"{self.path} holds values that are not finite numbers")
        return X, self.first_line


def _named_columns(path: str | os.PathLike, header: list[str], feature_names: list[str], width: int,
                   takes: str) -> list[int]:
    """Where the model's features are among the header's names (all columns, for a model that knows none)."""
    if not feature_names:
        check_named(path, header)
        if len(header) != width:
            raise DataError(f"{path} has {len(header)} column{'' if len(header) == 1 else 's'}, {names(header)}, "
                            f"but the model {takes}; it knows no names for them, so the columns are read in order"
                            f"{separator_hint(header)}")
        return list(range(len(header)))
    missing = [n for n in feature_names if n not in header]
    if missing:
        raise DataError(f"{path} lacks the column(s) {names(missing)} that the model was trained on; its header "
                        f"is {names(header)}{separator_hint(header)}")
    if twice := sorted({n for n in feature_names if header.count(n) > 1}):
        raise DataError(f"{path} names the column(s) {names(twice)} more than once: which to read is not known; "
                        "give each column its own name")
    return [header.index(n) for n in feature_names]

