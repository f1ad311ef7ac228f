"""The types of the command line's options: each checks its bounds and says what it expected.

argparse reports a failed check as ``glassnet train: error: argument --lr:
expected a number greater than 0; received '0'``: the option, what it takes
and what it was given. No option is ever replaced by a default in silence.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An option that takes a whole number in ``[minimum, maximum]``.

    Parameters
    ----------
    minimum : int
    maximum : int, optional

    Returns
    -------
    callable
        argparse's ``type``.
    """
    expected = (f"a whole number from {minimum} to {maximum}" if maximum is not None
                else f"a whole number of at least {minimum}")

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {expected}; received {value}")
        return value

    parse.__name__ = "integer"
    return parse


def real(low: float = -math.inf, high: float = math.inf, *, low_open: bool = False,
         high_open: bool = False) -> Callable[[str], float]:
    """An option that takes a finite number in an interval.

    Parameters
    ----------
    low, high : float
        The bounds.
    low_open, high_open : bool
        Whether the bound itself is excluded.

    Returns
    -------
    callable
        argparse's ``type``.
    """
    if low == 0 and low_open and high == math.inf:
        expected = "a number greater than 0"
    elif high == math.inf:
        expected = f"a number of at least {low:g}"
    else:
        expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}") from None
        ok = (math.isfinite(value) and (value > low if low_open else value >= low)
              and (value < high if high_open else value <= high))
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {expected}; received {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def layer_sizes(text: str) -> list[int]:
    """``--layers``: hidden widths separated by commas, each a whole number of at least 1.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of int
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected whole numbers of at least 1 separated by commas, such as "
                                         f"256,128; received {text!r}")
    return [int(p) for p in parts]


port_number = integer(1, 65535)
#: the most epochs a run may ask for: far beyond any useful run (the digits default is 40), and a bound
#: on what a mistyped or edited number can cost
MAX_EPOCHS = 100_000
