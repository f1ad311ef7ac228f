"""Tables from CSV files: numeric feature columns and one named target column."""

from __future__ import annotations

import math
import os
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..core._validation import check_memory, is_number_text, short
from ..errors import DataError, OptionError
from ._rows import FIELD_BYTES, each_row, fill, grown, rows_at_most
from .base import Dataset


def load_csv(path: str | os.PathLike, target: str, *, task: str = "auto", columns: list[str] | None = None) -> Dataset:
    """Read a CSV file with a header row.

    Parameters
    ----------
    path : str or path_like
    target : str
        The column to predict. Every other column must be numeric with no missing values.
    columns : list of str, optional
        The feature columns to read, in this order (a trained model's feature names): only these must be
        numeric, and the others are left out, as ``glassnet predict`` leaves them. By default every column
        but the target, in the file's order.
    task : "auto", "classification" or "regression"
        The target may hold class names (classification) or values
        (regression); "auto" decides by the rule of :func:`infer_task`, and
        the returned dataset's ``task_reason`` says which way it went and why.

    Returns
    -------
    Dataset
        ``X`` in float64, as read: a Sequential casts it to its own precision (float32 by default), so
        standardize first where values such as dates or timestamps are far larger than their spread, as
        the command line does; scikit-learn's estimators and glassnet's follow ``X``'s dtype. ``y`` in
        float64 for regression, else class numbers.
    """
    path = Path(path)
    table = fill(path, lambda first, lines: _Numbers(path, first, target, columns, lines))
    if table is None or table.n == 0:
        raise DataError(f"{path} needs a header row and at least one data row; found "
                        f"{'no row' if table is None else 'the header alone'}")
    # kept in float64, as read: float32 would round a date (20240103 to 20240104) or a timestamp before the
    # command line's standardizing could keep it
    header, read, raw_target, X = table.header, table.read, table.target, table.X[:table.n]
    features = [header[i] for i in read]
    # empty is missing; so are NA, nan, ... among numbers (among words, "none" may be a class of its own)
    words = [i for i, v in enumerate(raw_target) if v.lower() in MISSING]
    missing = [i for i, v in enumerate(raw_target) if v == ""] or \
        (words if words and _all_float([v for v in raw_target if v.lower() not in MISSING]) else [])
    if missing:
        raise DataError(f"{path}, line {missing[0] + 2}: missing value in target column {short(target)}"
                        + (f" ({short(raw_target[missing[0]])})" if raw_target[missing[0]] else ""))
    nul = next((i for i, v in enumerate(raw_target) if "\x00" in v), None)
    if nul is not None:  # Python's csv module reads NUL bytes as characters: 'y\x00es' would be a class of its own
        raise DataError(f"{path}, line {nul + 2}: target column {short(target)} holds a NUL byte "
                        f"({short(raw_target[nul])}): the file is not plain text, or is damaged")
    numeric = _all_float(raw_target)
    infinite = [i for i, v in enumerate(raw_target) if v.lower().lstrip("+-") in ("inf", "infinity")]
    skip = set(infinite)  # made once: a set made again for every row took 12 s for 40,000 rows of a class "Inf"
    if infinite and _all_float([v for i, v in enumerate(raw_target) if i not in skip]):
        # among numbers, inf is not a class name: it was read as text, and the column as classes
        raise DataError(f"{path}, line {infinite[0] + 2}: target column {short(target)} holds "
                        f"{short(raw_target[infinite[0]])}, not a finite number")
    if task == "auto":
        task, reason = infer_task(raw_target, target, first_line=2)
    elif task in ("classification", "regression"):
        reason = f"{task}, as asked"
    else:
        raise OptionError(f"task must be 'auto', 'classification' or 'regression'; received {short(task)}")
    beyond = next((i for i, v in enumerate(raw_target) if numeric and not math.isfinite(float(v))), None)
    if beyond is not None:  # 1e400
        raise DataError(f"{path}, line {beyond + 2}: target column {short(target)} holds "
                        f"{short(raw_target[beyond])}, not a finite number")
    if task == "regression":
        if not numeric:
            raise DataError(f"target column {short(target)} must be numeric for regression")
        return Dataset(X, np.array([float(v) for v in raw_target], np.float64), path.stem, feature_names=features,
                       task="regression", task_reason=reason)
    if numeric:  # a number is one class however it is written: 1, 1.0 and 01 are the class "1"
        raw_target = [class_name(v) for v in raw_target]
    keys = sorted(set(raw_target), key=lambda v: (Decimal(v), v) if numeric else (0, v))
    index = {k: i for i, k in enumerate(keys)}
    return Dataset(X, np.array([index[v] for v in raw_target], np.intp), path.stem,
                   classes=keys, feature_names=features, task_reason=reason)


class _Numbers:
    """:func:`load_csv`'s table as it is read: the header's columns, then each row's features as numbers (in an
    array with room for the rows the file can hold) and its target as text."""

    def __init__(self, path: Path, first: list[str], target: str, columns: list[str] | None, lines: int) -> None:
        self.path, self.n, self.target = path, 0, list[str]()
        self.header, self.t, self.read = _columns(path, first, target, columns)
        self.X = np.empty((rows_at_most(path, lines, len(self.header), len(self.read)), len(self.read)), np.float64)
        check_memory(self.X.shape[0] * (8 * len(self.read) + FIELD_BYTES), f"reading {path} as a table of numbers")

    def add(self, row: list[str]) -> None:
        self.X = grown(self.X, self.n, self.path)
        self.target.append(_feature_row(self.path, self.n + 2, row, self.header, self.t, self.read, self.X[self.n]))
        self.n += 1


def _columns(path: Path, row: list[str], target: str, columns: list[str] | None) -> tuple[list[str], int, list[int]]:
    """The header's names, the target's place and the places of the feature columns to read."""
    header = [h.strip() for h in row]
    if not any(header):  # a blank first line (a file saved with one above its header), or only commas
        raise DataError(f"{path}, line 1: names no column, where the header row that names them must be")
    if columns is None:  # (a column read by name never is unnamed)
        check_named(path, header)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):  # a model reads its columns by name: two alike would be one
        if name in seen:
            raise DataError(f"{path}: columns {seen[name] + 1} and {i + 1} are both named {short(name)}; give each "
                            f"column its own name")
        seen[name] = i
    if target not in header:
        raise DataError(f"target column {short(target)} is not in {path}; its columns are {names(header)}"
                        f"{separator_hint(header)}")
    t = header.index(target)
    if columns is not None and (lacking := [c for c in columns if c not in header or c == target]):
        raise DataError(f"{path} lacks the feature column(s) {names(lacking)} the model was trained on; its columns "
                        f"are {names(header)}")
    read = [header.index(c) for c in columns] if columns is not None else [i for i in range(len(header)) if i != t]
    if not read:  # it reached training, as "X must not be empty; received shape (36, 0)"
        raise DataError(f"{path} holds no feature column beside the target {short(target)}; its columns are "
                        f"{names(header)}")
    return header, t, read


def check_named(path: str | os.PathLike, header: list[str]) -> None:
    """Refuse a header with a column of no name, which every column read in order must have.

    Parameters
    ----------
    path : str or path_like
        The file, for the message.
    header : list of str
        The first row's fields, stripped.

    Raises
    ------
    DataError
    """
    if unnamed := [i + 1 for i, name in enumerate(header) if not name]:
        raise DataError(f"{path}: column {unnamed[0]} has no name in the header (pandas writes its row numbers so, "
                        "unless saved with to_csv(..., index=False); a comma at the end of each line makes an empty "
                        "column): give each column a name, or take the column out")


def separator_hint(header: list[str]) -> str:
    """For a header read as one field holding ``;``, a tab or ``|``: the words that say so (else "").

    Parameters
    ----------
    header : list of str

    Returns
    -------
    str
        Starting with a space, in parentheses.
    """
    mark = next((m for m in (";", "\t", "|") if len(header) == 1 and m in header[0]), None)
    return f" (its fields seem separated by {mark!r}, as Excel writes them in some countries: save it as " \
           "comma-separated values)" if mark else ""


def _feature_row(path: Path, r: int, row: list[str], header: list[str], t: int, read: list[int],
                 out: np.ndarray) -> str:
    """Line ``r``'s features written into ``out`` as numbers; its target's text returned."""
    if len(row) != len(header):
        raise DataError(f"{path}, line {r}: {len(row)} fields, but the header has {len(header)}")
    values = [v.strip() for v in row]
    numbers = []
    for i in read:  # each value checked as a Python float, then the row written at once (a NumPy call a value
        v = values[i]  # took 22 s for a million rows of ten columns)
        if v == "" or v.lower() in MISSING:
            raise DataError(f"{path}, line {r}: missing value in column {short(header[i])}")
        if not is_number_text(v):
            raise DataError(f"{path}, line {r}: column {short(header[i])} must be numeric; received {short(v)}")
        number = float(v)
        if not math.isfinite(number):
            raise DataError(f"{path}, line {r}: column {short(header[i])} holds {short(v)}, not a finite number")
        numbers.append(number)
    out[:] = numbers
    return values[t]


def names(columns: list[str], limit: int = 20) -> str:
    """Column names for a message: the first ``limit`` of them, each cut short, and how many more.

    Parameters
    ----------
    columns : list of str
    limit : int

    Returns
    -------
    str
    """
    shown = ", ".join(short(c, 40) for c in columns[:limit])
    return shown + (f" and {len(columns) - limit:,} more" if len(columns) > limit else "")


#: how a CSV field says that its value is missing (besides an empty field), in lower case: pandas' markers,
#: Excel's among them (#N/A), and "none" and "?"
MISSING = ("na", "n/a", "#n/a", "#n/a n/a", "#na", "<na>", "nan", "-nan", "null", "none", "?",
           "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan")


def class_name(label: object) -> str:
    """A class label's name: a number's is one name however it is written, other text is kept as it is.

    ``1`` for 1, 1.0, 01 and +1; ``0.5`` for .5 and 0.50; whole numbers of any
    size exactly (``12345678901234567890``, which a float would round).

    Parameters
    ----------
    label : str or number

    Returns
    -------
    str
    """
    text = str(label).strip()
    if not is_number(text):
        return str(label)
    # decimal text exactly (12345678901234567890 and 12345678901234567890.0 alike), its exponent kept as a
    # number: 1e-10000000 is not written out in ten million digits
    exact = Decimal(text)
    if exact.adjusted() >= MAX_DIGITS:  # beyond any float: a name as written (a folder's, say)
        return text
    if exact != exact.to_integral_value():
        return repr(float(text))
    return "0" if exact == 0 else format(exact.to_integral_value(), "f")


#: the most digits before its point that a number's class name is written out in (Python's own limit)
MAX_DIGITS = 4300


#: the most distinct whole numbers a target may hold for "auto" to read them as class labels
MAX_AUTO_CLASSES = 20


def infer_task(values: list[str], name: str = "target", first_line: int | None = None) -> tuple[str, str]:
    """Classification or regression for a target column, by a rule that a user can predict.

    Text is a class name, unless nearly all of it reads as numbers once
    thousands separators and units are taken out ("175,867", "$12") and it
    has more than :data:`MAX_AUTO_CLASSES` distinct values: that is refused,
    with the way out. Numbers are values to regress on, unless
    they are all whole numbers with at most :data:`MAX_AUTO_CLASSES` distinct
    values (labels such as 0/1 or 1..10): counts, prices or ages written as
    whole numbers have many more distinct values and are regressed on.

    Parameters
    ----------
    values : list of str
        The column's fields.
    name : str
        The column's name, for the reason.
    first_line : int, optional
        The file's line of the first value, for the reason to name the line of the first text (else its
        position among the values, from 0).

    Returns
    -------
    task : "classification" or "regression"
    reason : str
        The rule's verdict in words, for the user to read.

    Raises
    ------
    DataError
        For numbers written as text with separators or units.
    """
    if not _all_float(values):
        # the first field that is no plain number, and its line (the header is line 1): where to look
        first = next(i for i, v in enumerate(values) if not _all_float([v]))
        where = f"{short(values[first])} " + (f"at position {first}" if first_line is None else
                                              f"on line {first + first_line}")
        disguised = [v for v in values if is_number(v.strip().strip("$€£%").replace(",", "").replace("_", ""))]
        if len(set(values)) > MAX_AUTO_CLASSES and len(disguised) >= 0.9 * len(values):
            # "175,867" or "$12": a class per price, and a test split of classes never trained on
            raise DataError(f"the target {name!r} holds text such as {where} that reads as numbers once its "
                            f"separators or units are taken out, or is no number, among {len(set(values))} distinct "
                            "values: write them as plain numbers to regress on them, or ask for classes (--task "
                            "classify, task='classification')")
        return "classification", f"classification: the target {name!r} holds text ({where}), read as class names"
    floats = [float(v) for v in values]
    whole = all(math.isfinite(v) and v.is_integer() for v in floats)
    distinct = len(set(floats))
    if whole and distinct <= MAX_AUTO_CLASSES:
        return "classification", (f"classification: the target {name!r} holds {distinct} distinct whole numbers, "
                                  f"read as class labels (at most {MAX_AUTO_CLASSES} make classes)")
    kind = "whole numbers" if whole else "numbers"
    return "regression", (f"regression: the target {name!r} holds {distinct} distinct {kind} "
                          f"(whole numbers make classes only up to {MAX_AUTO_CLASSES} distinct values)")


def read_rows(path: str | os.PathLike) -> list[list[str]]:
    """Every row of a CSV text file, as strings; what cannot be read is a one-line error naming the file.

    Parameters
    ----------
    path : str or path_like

    Returns
    -------
    list of list of str
    """
    rows: list[list[str]] = []
    for row in each_row(path, lambda: check_memory(table_bytes(path), f"reading {path} as a table of text fields")):
        if row is None:  # read again, leniently
            rows.clear()
        else:
            rows.append(row)
    while rows and not any(field.strip() for field in rows[-1]):  # blank lines at the end
        rows.pop()
    return rows


def _counts(path: str | os.PathLike, *marks: bytes) -> list[int]:
    """The file's size, then how often each of ``marks`` occurs in it, read a megabyte at a time."""
    counts = [0] * (1 + len(marks))
    with open(path, "rb") as f:
        while chunk := f.read(2**20):
            counts[0] += len(chunk)
            for k, mark in enumerate(marks, start=1):
                counts[k] += chunk.count(mark)
    return counts


def table_bytes(path: str | os.PathLike) -> int:
    """About what :func:`read_rows` holds for the file: each field's string and its place in a row's list.

    The fields are counted in the file (commas and line ends), a megabyte at a time: a file of millions of
    short fields takes about thirty times its size, which is checked before any is read.

    Parameters
    ----------
    path : str or path_like

    Returns
    -------
    int
    """
    size, commas, newlines = _counts(path, b",", b"\n")
    return size + FIELD_BYTES * (commas + newlines)


def is_number(text: str) -> bool:
    """Whether a CSV field reads as a number: plain decimal digits, a point, an exponent.

    ``float`` alone would also take ``1_0``, full-width digits, ``nan`` and
    ``inf``; a CSV field holding those is not a number here.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool
    """
    return is_number_text(text)


def _all_float(values: list[str]) -> bool:
    return all(is_number(v) for v in values)
