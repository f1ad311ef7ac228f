"""A CSV text file read a row at a time, as :func:`~.csv.read_rows`, :func:`~.csv.load_csv` and
:func:`~.features.read_features` read it; and how its lines run, measured before any is parsed (its longest
line, as fields in memory, and at most how many rows it can hold)."""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..core._validation import check_memory, not_a_file
from ..errors import DataError

#: how files that are not text begin: PNG, JPEG, GIF, ZIP (and model files), gzip, PDF, TIFF
BINARY_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"%PDF", b"II*\x00",
                     b"MM\x00*")

Table = TypeVar("Table")

#: what one field of a row read as text holds beside its characters: a Python string's header and the list's
#: pointer to it (a number of five characters, six bytes in the file, takes about 64 in memory)
FIELD_BYTES = 64


def measure(path: str | os.PathLike) -> tuple[int, int]:
    """How many lines the file holds (at most one row each), and the length in bytes of its longest.

    A line ends at a line feed or a carriage return. The file is read 64 KiB at a time, so that a chunk's line
    ends (8 bytes each, as positions) stay small.

    Parameters
    ----------
    path : str or path_like

    Returns
    -------
    (lines, longest) : (int, int)
    """
    feeds = returns = longest = run = 0  # run: the bytes of the line the last chunk ended in
    with open(path, "rb") as f:
        while chunk := f.read(2**16):
            data = np.frombuffer(chunk, np.uint8)
            feed, ret = data == 10, data == 13
            feeds, returns = feeds + int(np.count_nonzero(feed)), returns + int(np.count_nonzero(ret))
            ends = np.flatnonzero(feed | ret)
            if ends.size == 0:
                run += len(chunk)
                continue
            longest = max(longest, run + int(ends[0]), int(np.diff(ends).max(initial=0)))
            run = len(chunk) - 1 - int(ends[-1])
    return 1 + max(feeds, returns), max(longest, run)


def check_rows(path: str | os.PathLike) -> int:
    """Refuse a file with a line too long to hold as fields (a line of a million commas is a million strings);
    else return its line count.

    Parameters
    ----------
    path : str or path_like

    Returns
    -------
    int
        The file's lines, as :func:`measure` counts them.
    """
    lines, longest = measure(path)
    check_memory(longest * FIELD_BYTES, f"reading {path} a row at a time")
    return lines


def rows_at_most(path: str | os.PathLike, lines: int, fields: int, values: int) -> int:
    """How many rows of ``fields`` fields, ``values`` of them numbers, the file can hold.

    A row per line at most; and a row takes at least a byte for each field but the last (its comma), one for
    its line's end and one for each number, so that a file's blank tail adds no room.

    Parameters
    ----------
    path : str or path_like
    lines : int
        The file's line count.
    fields, values : int

    Returns
    -------
    int
    """
    return min(lines, os.path.getsize(path) // (fields + values) + 1)


def grown(X: np.ndarray, n: int, path: str | os.PathLike) -> np.ndarray:
    """``X``, or a copy twice as long when it has no room for row ``n``: not expected, since it is made as long
    as :func:`rows_at_most` says, but never a row lost.

    Parameters
    ----------
    X : numpy.ndarray
        The rows read so far, and room for more.
    n : int
        The row about to be written.
    path : str or path_like
        The file, for the message.

    Returns
    -------
    numpy.ndarray
    """
    if n < X.shape[0]:
        return X
    check_memory(3 * X.nbytes, f"reading {path} as a table of numbers")
    return np.concatenate([X, np.empty_like(X)])


def fill(path: str | os.PathLike, start: Callable[[list[str], int], Table]) -> Table | None:
    """A table read from the file a row at a time: ``start(first_row, lines)`` makes it from the first row
    that is not blank, and its ``add`` takes each later one.

    What reading the whole file first would say, it says: a line too long to hold as fields is refused before
    any is parsed (:func:`check_rows`), and a file that cannot be read is refused as such whatever its first
    rows held (the first error of ``start`` or ``add``, a :class:`DataError`, is raised once the file is read
    to its end). Blank lines at the end are no rows; before a row they are given to the table, which refuses
    them, and the first two are enough for that, so that a file's blank tail is never held. Where the file is
    read again, leniently (see :func:`each_row`), the table is made again.

    Parameters
    ----------
    path : str or path_like
    start : callable
        ``start(row, lines)``, given the first row and the file's line count; what it returns has ``add(row)``.

    Returns
    -------
    the table, or None for a file of no rows
    """
    lines = 0

    def count() -> None:  # once the file is known to be text
        nonlocal lines
        lines = check_rows(path)

    table: Any = None
    blanks: list[list[str]] = []
    failed: DataError | None = None
    for row in each_row(path, count):
        if row is None:  # the file read again from its start, leniently
            table, blanks, failed = None, [], None
        elif failed is not None:
            continue  # read on: a file that cannot be read at all says so, whatever its first rows held
        elif not any(field.strip() for field in row):
            blanks = blanks if len(blanks) == 2 else [*blanks, row]
        else:
            try:
                for each in [*blanks, row]:
                    if table is None:
                        table = start(each, lines)
                    else:
                        table.add(each)
            except DataError as exc:
                failed = exc
            blanks = []
    if failed is not None:
        raise failed
    return table


def each_row(path: str | os.PathLike, check: Callable[[], object] | None = None) -> Iterator[list[str] | None]:
    """The rows of a CSV text file one by one; None where the file is read again from its start, leniently.

    A space after a closing quote, as aligned files have, is an error to the csv module's strict reading, which
    also refuses a quote never closed; such a file is read a second time without strictness. ``check`` is
    called once the file is known to be text, before any row is read (:func:`read_rows` checks there that the
    whole table fits in memory as text).

    Parameters
    ----------
    path : str or path_like
    check : callable, optional

    Yields
    ------
    list of str, or None
    """
    if not Path(path).is_file():
        raise not_a_file(path, "CSV file", DataError)
    try:
        with open(path, "rb") as f:
            start = f.read(8)
        if start.startswith(BINARY_SIGNATURES):
            raise DataError(f"{path} is not a CSV text file: it starts like a picture or an archive")
        # UTF-32: a mark (whose little-endian one begins as UTF-16's does), or three NULs beside each letter
        utf32 = start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or len(start) == 8 and any(
            all(start[i::4] == b"\x00\x00" for i in nuls) for nuls in ((1, 2, 3), (0, 1, 2)))
        utf16 = start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or start[0::2].count(0) == 4 or \
            start[1::2].count(0) == 4  # Excel's "Unicode Text", Notepad's "Unicode"; without a mark, every other byte
        if utf16 or b"\x00" in start:  # NUL, which Python's csv module would read as part of the names and values
            kind = "as UTF-32 text does" if utf32 else "as UTF-16 text does" if utf16 else "and NUL bytes are not text"
            raise DataError(f"{path} is not UTF-8 text: it starts with the bytes {start[:4]!r}, {kind}: save the "
                            "file as UTF-8 (Excel: \"CSV UTF-8\")")
        if check is not None:
            check()
        # utf-8-sig: a byte-order mark, which spreadsheets write, is not part of the first column's name
        with open(path, newline="", encoding="utf-8-sig") as f:
            try:
                yield from _parsed(f, path, strict=True)  # strict: a quote never closed is an error
            except csv.Error as exc:
                if not str(exc.args[-1]).startswith("',' expected after"):
                    raise
                f.seek(0)  # a space after a closing quote, as aligned files have: read as before, leniently
                yield None
                yield from _parsed(f, path, strict=False)
    except UnicodeDecodeError:
        at, seen = _not_utf8(path)
        raise DataError(f"{path}, line {at}: not UTF-8 text (the bytes {seen!r}, of Latin-1 or another encoding): "
                        "save the file as UTF-8 (Excel: \"CSV UTF-8\")") from None
    except csv.Error as exc:  # a field over the csv module's limit (131,072 characters), a NUL byte, a quote
        line, what = exc.args if len(exc.args) == 2 else (None, str(exc))
        if what == "unexpected end of data":
            raise DataError(f"{path}, line {line}: a quote opened in this row is never closed, so the rest of the "
                            "file would be one field") from None
        raise DataError(f"{path} is not a readable CSV file: {what}" + (f" (line {line})" if line else "")) \
            from None


def _parsed(f, path: str | os.PathLike, strict: bool) -> Iterator[list[str]]:
    """Every row of an open CSV file, each on one line (a row over several is refused, naming ``path``); a
    csv.Error carries the line its row began on."""
    reader, line = csv.reader(f, strict=strict), 1
    try:
        for row in reader:
            if reader.line_num > line:  # a quote that a later one closes takes the lines between into one field
                raise DataError(f"{path}, line {line}: a quoted field runs on to line {reader.line_num}: a quote left "
                                "open, or a line break inside quotes, which glassnet's tables do not take (each row "
                                "on one line)")
            yield row
            line = reader.line_num + 1  # where the next row begins
    except csv.Error as exc:
        raise csv.Error(line, str(exc)) from None


def _not_utf8(path: str | os.PathLike) -> tuple[int, bytes]:
    """The line of the first bytes of ``path`` that are not UTF-8, and those bytes: read a megabyte at a time."""
    decoder, line = codecs.getincrementaldecoder("utf-8")(), 1
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:  # (its start may count up to 3 bytes of the chunk before)
                start = max(0, exc.start - len(exc.object) + len(chunk))
                return line + chunk.count(b"\n", 0, start), chunk[start:start + 4]
            line += chunk.count(b"\n")
    return line, b""
