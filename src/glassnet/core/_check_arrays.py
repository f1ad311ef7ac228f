"""Checks of arrays and what they cost: dtypes, shapes, finite values, the memory an allocation needs.

:func:`check_array` takes an array of any namespace (see :mod:`glassnet.core.arrays`)
and refuses, with a message that names the argument, what is not a non-empty
numeric array of the allowed dimensions.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import OptionError, OptionTypeError
from ._check_values import short
from .arrays import namespace, to_numpy

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
    value : array_like
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
    if target is np and src is not np:  # a device's array for a model on the host: copied (CuPy refuses asarray)
        array = to_numpy(array)
    elif target is not src:
        array = target.asarray(array)
    given = array
    if dtype is not None and np.dtype(array.dtype) != dtype:
        with np.errstate(over="ignore"):  # a value beyond the dtype's range is named below, not warned about
            array = target.asarray(array, dtype=dtype)
    if finite and np.issubdtype(np.dtype(array.dtype), np.inexact) and not all_finite(array):
        n_nan = int(target.isnan(array).sum())
        n_inf = int(target.isinf(array).sum())
        if array is not given and np.issubdtype(np.dtype(given.dtype), np.inexact) and all_finite(given):
            raise too_large(name, float(abs(given).max()), dtype)  # type: ignore[arg-type]
        raise OptionError(f"{name} must hold finite values; received {n_nan} NaN and {n_inf} infinite")
    return array


def too_large(name: str, largest: float, dtype: np.dtype) -> OptionError:
    """The error for finite values that ``dtype`` cannot hold (1e39 in float32), which a cast would make infinite.

    Parameters
    ----------
    name : str
        The argument's name.
    largest : float
        The largest magnitude it holds.
    dtype : numpy.dtype
        The dtype it is cast to.

    Returns
    -------
    OptionError
    """
    kind = np.dtype(dtype)
    return OptionError(f"{name} holds values too large for {kind.name} (up to {largest:.3g}, where {kind.name} holds "
                       f"at most {float(np.finfo(kind).max):.3g}): scale them down, or use float64")


def check_in_range(values: Any, name: str, dtype: np.dtype, where: str = "") -> None:
    """Refuse NaN, infinity, or a finite value beyond ``dtype``'s range, in NumPy ``values`` about to be cast.

    For data cast a part at a time (the rows of a memmap, a sparse matrix's
    entries), where :func:`check_array` never sees the whole array.

    Parameters
    ----------
    values : numpy.ndarray of floats, not empty
    name : str
        The argument's name.
    dtype : numpy.dtype
        The dtype the values are cast to.
    where : str
        Where in the argument they are, for the message (" in rows 0 to 9").
    """
    with np.errstate(invalid="ignore"):
        low, high = float(values.min()), float(values.max())  # NaN if any is (see all_finite)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise OptionError(f"{name} must hold finite values; received NaN or infinity{where}")
    largest = max(-low, high)
    if largest > float(np.finfo(dtype).max):
        raise too_large(name, largest, dtype)


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
