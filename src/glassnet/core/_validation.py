"""Input checks shared by the whole library.

Every message names the argument, what was expected and what was received, so
that a user can fix the call without reading glassnet's source. Every check
raises :class:`~glassnet.errors.OptionError` (a ``ValueError``) or
:class:`~glassnet.errors.OptionTypeError` (also a ``TypeError``).
"""

from __future__ import annotations

import math
import numbers
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import OptionError, OptionTypeError
from .arrays import namespace

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """``dtype`` as NumPy's float32 or float64 dtype.

    Parameters
    ----------
    dtype : object
        Anything ``numpy.dtype`` understands ("float32", numpy.float64, ...).
    name : str
        The argument's name, for the message.

    Returns
    -------
    numpy.dtype
    """
    try:
        resolved = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as exc:
        raise OptionTypeError(f"{name} must be float32 or float64; received {short(dtype)}") from exc
    if resolved not in FLOAT_DTYPES:
        raise OptionTypeError(f"{name} must be float32 or float64; received {resolved}")
    return resolved


def check_array(
    value: object,
    name: str,
    *,
    ndim: int | tuple[int, ...] = 2,
    dtype: np.dtype | None = None,
    finite: bool = True,
    xp: ModuleType | None = None,
) -> Any:
    """``value`` as a numeric array with an allowed number of dimensions.

    Parameters
    ----------
    value : array-like
        Nested lists, a NumPy array, or an array of another namespace.
    name : str
        The argument's name, for the message.
    ndim : int or tuple of int
        The allowed numbers of dimensions.
    dtype : numpy.dtype, optional
        Convert to this dtype.
    finite : bool
        Refuse NaN and infinite values.
    xp : module, optional
        The namespace the result must belong to (a model's); NumPy input is moved
        into it with ``xp.asarray``.

    Returns
    -------
    array
        Of namespace ``xp`` (or the input's own), with ``dtype`` when given.
    """
    src = namespace(value)
    array: Any
    if src is np:
        try:
            array = np.asarray(value)
        except Exception as exc:  # ragged lists and the like
            raise OptionError(f"{name} could not be read as an array: {exc}") from exc
    else:
        array = value
    kind = np.dtype(array.dtype)
    if kind.kind not in "biuf":  # booleans, integers and floats only (not objects, text, complex)
        raise OptionTypeError(f"{name} must hold numbers; received an array of dtype {kind}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        expected = " or ".join(f"{d}-D" for d in allowed)
        raise OptionError(f"{name} must be a {expected} array; received shape {tuple(array.shape)}")
    if array.size == 0:
        raise OptionError(f"{name} must not be empty; received shape {tuple(array.shape)}")
    target = xp or src
    if target is not src:
        array = target.asarray(array)
    if dtype is not None and np.dtype(array.dtype) != dtype:
        array = target.asarray(array, dtype=dtype)
    if finite and np.issubdtype(np.dtype(array.dtype), np.inexact) and not all_finite(array):
        n_nan = int(target.isnan(array).sum())
        n_inf = int(target.isinf(array).sum())
        raise OptionError(f"{name} must hold finite values; received {n_nan} NaN and {n_inf} infinite")
    return array


def all_finite(array: Any) -> bool:
    """Whether no entry of ``array`` is NaN or infinite.

    Two reductions instead of ``isfinite(a).all()``: no temporary boolean array
    as large as the data (NaN propagates through min and max).

    Parameters
    ----------
    array : array of any namespace, not empty

    Returns
    -------
    bool
    """
    xp = namespace(array)
    if xp is np:
        with np.errstate(invalid="ignore"):
            return bool(np.isfinite(array.min()) and np.isfinite(array.max()))
    return bool(xp.isfinite(xp.min(array))) and bool(xp.isfinite(xp.max(array)))


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
    x = float(value)
    if not np.isfinite(x):
        raise OptionError(f"{name} must be finite; received {short(value)}")
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
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
        raise OptionError(f"{name} must be one of {', '.join(map(repr, choices))}; received {short(value)}")
    return value


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
        return np.random.default_rng(rng)  # type: ignore[arg-type]
    raise OptionTypeError(
        f"{name} must be None, an integer seed or a numpy.random.Generator; received {short(rng)}"
    )


def available_memory() -> int | None:
    """Bytes of memory this machine can still give a process, when the system says (Linux), else None.

    Returns
    -------
    int or None
    """
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return (int(fields["MemAvailable"].split()[0]) + int(fields.get("SwapFree", "0 kB").split()[0])) * 1024
    except (OSError, KeyError, ValueError):
        return None


def check_memory(nbytes: int, what: str) -> None:
    """Refuse, before allocating, what cannot fit in the memory this machine has free.

    Without the check a huge request either fails deep inside NumPy or,
    worse, is granted lazily and then thrashes the machine.

    Parameters
    ----------
    nbytes : int
        What the allocation needs.
    what : str
        What it is for, for the message ("Dense(64, 100000000)'s weights").
    """
    free = available_memory()
    if free is not None and nbytes > free:
        raise OptionError(f"{what} would need {_size(nbytes)} of memory, but this machine has {_size(free)} free")


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:,.0f} {unit}" if unit == "bytes" else f"{nbytes:,.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:,.1f} TiB"


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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise OptionTypeError(f"{name} must be a {'whole ' if whole else ''}number; received {short(value)}")
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise OptionError(f"{name} must be a whole number; received {short(value)}")
        return int(value)
    return float(value)


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


def check_writable(path: str | os.PathLike, name: str = "path", inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Check that a file can be written at ``path``, by writing and removing a trial file beside it.

    Parameters
    ----------
    path : str or path-like
        The file to be written later; its folder must exist. A target that is
        not a regular file, or is one of ``inputs``, is refused (see :func:`check_target`).
    name : str
        The argument's name, for messages.
    inputs : iterable of paths
        The files the command reads.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.is_dir():
        raise OptionError(f"{name} must name a file, but {str(path)!r} is a folder")
    try:
        target = check_target(path, inputs=inputs, name=name)
    except FileExistsError as exc:
        raise OptionError(str(exc)) from None
    folder = target.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OptionError(f"{name}: the folder {str(folder)!r} of {str(path)!r} {what}")
    try:
        fd, trial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".trial", dir=folder)
    except OSError as exc:
        raise OptionError(f"{name}: cannot write in the folder {str(folder)!r} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(trial)
    if target.exists() and not os.access(target, os.W_OK):
        raise OptionError(f"{name}: {str(path)!r} exists and cannot be written")
    return path


#: what a path that is not a regular file is, by the type bits of its mode
KINDS = {stat.S_IFDIR: "a folder", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


def check_target(path: str | os.PathLike, *, follow_links: bool = True, inputs: Iterable[str | os.PathLike] = (),
                 name: str = "path") -> Path:
    """The file a write to ``path`` would replace, refused where replacing it would destroy something else.

    Parameters
    ----------
    path : str or path-like
    follow_links : bool
        Follow a symbolic link to the file it names (True), or refuse it.
    inputs : iterable of paths
        Files the command reads: writing over one of them is refused.
    name : str
        What the path is, for messages (``"--model"``).

    Returns
    -------
    pathlib.Path
        ``path`` itself, or the file a symbolic link at ``path`` leads to.

    Raises
    ------
    FileExistsError
        When the target exists and is not a regular file (a device, a FIFO,
        a socket, a folder), whether named directly or through a link; when
        ``path`` is a link and ``follow_links`` is false; or when the target is
        one of ``inputs``. The message names the path and what it is.
    """
    path = Path(path)
    target = path
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        if not follow_links:
            raise FileExistsError(f"{name} {str(path)!r} is a symbolic link; this folder is written only through "
                                  "files of its own, never through a link")
        target = Path(os.path.realpath(path))
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None
    if mode is not None and not stat.S_ISREG(mode):
        via = "" if target == path else f", through the link {str(path)!r},"
        raise FileExistsError(f"{name} {str(target)!r}{via} is {KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, "
                              "which glassnet does not replace: give the path of a regular file")
    if mode is not None and any(_same_file(target, source) for source in inputs):
        raise FileExistsError(f"{name} {str(path)!r} is also one of the command's inputs, which would be "
                              "overwritten: give another path")
    return target


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # b is not there (yet), or cannot be looked at: not the same file
        return False


