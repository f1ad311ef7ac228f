"""The types of the command line's options: each checks its bounds and says what it expected.

argparse reports a failed check as ``glassnet train: error: argument --lr:
expected a number greater than 0; received '0'``: the option, what it takes
and what it was given. No option is ever replaced by a default in silence.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from ..core._validation import WHOLE, is_number_text, short
from ..core.threads import available_cores
from ..errors import GlassnetError


class UserError(GlassnetError):
    """A problem with what the user asked for, reported without a traceback."""


def printable(text: object) -> str:
    """``text`` with its control and format characters written as escapes (ESC as ``\\x1b``).

    Class names and other metadata come from files anyone may write (a teach
    page's names, a folder's): printed raw, ESC sequences clear the screen or
    retitle the window, and a right-to-left override reorders the line.

    Parameters
    ----------
    text : object

    Returns
    -------
    str
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def integer(minimum: int, maximum: int | None = None, why: str = "") -> Callable[[str], int]:
    """An option that takes a whole number in ``[minimum, maximum]``.

    Parameters
    ----------
    minimum : int
    maximum : int, optional
    why : str
        What the bounds are, said after them: `` (the cores this process may use)``.

    Returns
    -------
    callable
        argparse's ``type``.
    """
    expected = (f"a whole number from {minimum} to {maximum}" if maximum is not None
                else f"a whole number of at least {minimum}") + why

    def parse(text: str) -> int:
        if not WHOLE.fullmatch(text.strip()):  # not "1.5", "1_0" or full-width digits, which int() takes
            raise argparse.ArgumentTypeError(f"expected {expected}; received {short(text)}")
        value = int(text.strip())
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {expected}; received {short(value)}")
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
        if text.strip().lower() not in ("nan", "inf", "-inf", "+inf") and not is_number_text(text):
            raise argparse.ArgumentTypeError(f"expected {expected}; received {short(text)}")
        value = float(text)
        ok = (math.isfinite(value) and (value > low if low_open else value >= low)
              and (value < high if high_open else value <= high))
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {expected}; received {short(text)}")
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
    parts = [p.strip() for p in text.split(",")]  # an empty one (256,,128) is a width left out, not none
    if not all(WHOLE.fullmatch(p) and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected whole numbers of at least 1 separated by commas, such as "
                                         f"256,128; received {short(text)}")
    return [int(p) for p in parts]


port_number = integer(1, 65535)


def thread_count() -> Callable[[str], int]:
    """``--threads``: from 1 to the cores this process may use (more only spin and wait on each other).

    Returns
    -------
    callable
        argparse's ``type``.
    """
    return integer(1, available_cores(), " (the cores this process may use)")
#: the most epochs a run may ask for: far beyond any useful run (the digits default is 40), and a bound
#: on what a mistyped or edited number can cost
MAX_EPOCHS = 100_000
