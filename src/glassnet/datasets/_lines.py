"""How a text file's lines run, measured before a CSV reader parses any: what a table read a row at a time may
need in memory (its longest line, as fields) and at most how many rows it can hold."""

from __future__ import annotations

import os

import numpy as np

from ..core._validation import check_memory

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
