"""Checks of single values: integers, reals in an interval, choices, seeds, numbers sent as text or JSON.

Every message names the argument, what was expected and what was received
(cut by :func:`short`, so that a huge value is not repeated whole), and is an
:class:`~glassnet.errors.OptionError` (a ``ValueError``) or an
:class:`~glassnet.errors.OptionTypeError` (also a ``TypeError``).
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

from ..errors import OptionError, OptionTypeError

#: the most characters of a received value that a message repeats
ECHO = 60


def short(value: object, limit: int = ECHO) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length said: what a message may repeat.

    A name or value sent from outside can be megabytes long; a message that
    repeats it whole is a megabyte too.

    Parameters
    ----------
    value : object
    limit : int

    Returns
    -------
    str
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def brief(value: object) -> str:
    """A setting in few characters, for a one-line description: ``3x3`` for a pair, ``0.01`` for a float.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
    """
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, for the message.
    minimum : int

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise OptionTypeError(f"{name} must be an integer; received {short(value)}")
    if value < minimum:
        raise OptionError(f"{name} must be >= {minimum}; received {value}")
    return int(value)


def check_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float inside an interval.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, for the message.
    low, high : float, optional
        The interval's ends; None for no bound.
    low_open, high_open : bool
        Whether the ends themselves are excluded.

    Returns
    -------
    float
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise OptionTypeError(f"{name} must be a real number; received {short(value)}")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond any float, such as 10**400
        x = math.inf
    if not np.isfinite(x):
        raise OptionError(f"{name} must be finite; received {short(value)}")
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if too_low or too_high:
        lo = "(" if low_open or low is None else "["  # an end at infinity is never in: only finite values are
        hi = ")" if high_open or high is None else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise OptionError(f"{name} must be in {interval}; received {short(value)}")
    return x


def check_choice(value: object, name: str, choices: tuple[str, ...] | list[str]) -> str:
    """``value`` if it is one of ``choices``.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, for the message.
    choices : sequence of str

    Returns
    -------
    str
    """
    if not isinstance(value, str) or value not in choices:
        raise OptionError(f"{name} must be one of {', '.join(map(repr, choices))}; received {short(value)}"
                          f"{meant(value, choices)}")
    return value


def meant(value: object, choices: tuple[str, ...] | list[str] | dict) -> str:
    """A hint for a name given in other letters (``"ReLU"`` for ``"relu"``, ``"MSE"``) or a class given
    where an instance of it was wanted (``optimizer=gn.Adam``), or "".

    Parameters
    ----------
    value : object
        What was received.
    choices : sequence of str
        The names taken.

    Returns
    -------
    str
        ``"; did you mean 'relu'?"``, or the like.
    """
    if isinstance(value, type):
        return f"; did you mean {value.__name__}(), an instance, where you gave the class?"
    if isinstance(value, str):
        same = [c for c in choices if c.lower() == value.lower().replace("-", "_")]
        if same:
            return f"; did you mean {same[0]!r}?"
    return ""


def check_flag(value: object, name: str) -> bool:
    """``value`` as a bool if it is one (Python's or NumPy's): ``shuffle="no"`` read as True.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, for the message.

    Returns
    -------
    bool
    """
    if not isinstance(value, (bool, np.bool_)):
        raise OptionTypeError(f"{name} must be True or False; received {short(value)}")
    return bool(value)


def as_generator(rng: object, name: str = "rng") -> np.random.Generator:
    """A NumPy Generator from None, an integer seed or a Generator.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
    name : str
        The argument's name, for the message.

    Returns
    -------
    numpy.random.Generator
        ``rng`` itself when it is one; a new one seeded from ``rng`` otherwise.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:  # NumPy's own message names no argument
            raise OptionError(f"{name} must be None, a seed of at least 0 or a numpy.random.Generator; "
                              f"received {short(rng)}")
        return np.random.default_rng(rng)  # type: ignore[arg-type]
    raise OptionTypeError(
        f"{name} must be None, an integer seed or a numpy.random.Generator; received {short(rng)}"
    )


#: a number as text, ASCII only: digits, one point, an exponent. Python's own float() and int() also take
#: "1_0", full-width digits and spaces inside; a field or an option that is meant as a number takes this
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: a whole number as text, ASCII digits only
WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


def is_number_text(text: str) -> bool:
    """Whether ``text`` (spaces around it allowed) is a plain decimal number: ``3``, ``-0.5``, ``1e-3``.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool
        False for ``1_0``, full-width digits, ``nan``, ``inf`` and anything else ``float`` alone would take.
    """
    return bool(NUMBER.fullmatch(text.strip()))


def finite_number(value: object) -> bool:
    """Whether ``value`` is a real number that is finite: an int too large for a float is not.

    ``math.isfinite`` raises ``OverflowError`` for a whole number beyond a float's range, which JSON and
    Python read without complaint (a 1 followed by 400 zeros).

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def json_number(value: object, name: str, *, whole: bool = False) -> float:
    """A number sent as JSON, refused unless it is one: ``true`` is not 1, ``1.5`` is not a whole number.

    Parameters
    ----------
    value : object
        As ``json.loads`` gave it.
    name : str
        The field's name, for the message.
    whole : bool
        Refuse a number with a fractional part.

    Returns
    -------
    float or int
    """
    if not isinstance(value, (int, float)) or not finite_number(value):
        raise OptionTypeError(f"{name} must be a {'whole ' if whole else ''}number; received {short(value)}")
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise OptionError(f"{name} must be a whole number; received {short(value)}")
        return int(value)
    return float(value)
