"""Input checks shared by the whole library.

Every message names the argument, what was expected and what was received, so
that a user can fix the call without reading glassnet's source.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy float32 or float64 dtype, or raise."""
    try:
        resolved = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as exc:
        raise TypeError(
            f"{name} must be float32 or float64; received {dtype!r}"
        ) from exc
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; received {resolved}")
    return resolved


def check_array(
    value: object,
    name: str,
    *,
    ndim: int | tuple[int, ...] = 2,
    dtype: np.dtype | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``value`` to a numeric array with the given number of dimensions.

    Raises TypeError for non-numeric data and ValueError for a wrong number of
    dimensions, an empty array, or NaN and infinite values (when ``finite``).
    """
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must hold numbers; received an array of dtype {array.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        expected = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(
            f"{name} must be a {expected} array; received shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; received shape {array.shape}")
    if dtype is not None:
        array = np.asarray(array, dtype=dtype)
    if finite and np.issubdtype(array.dtype, np.inexact) and not all_finite(array):
        n_nan = int(np.isnan(array).sum())
        n_inf = int(np.isinf(array).sum())
        raise ValueError(
            f"{name} must hold finite values; received {n_nan} NaN and {n_inf} infinite"
        )
    return array


def all_finite(array: np.ndarray) -> bool:
    """True when no entry is NaN or infinite.

    Two reductions instead of ``np.isfinite(a).all()``: no temporary boolean
    array as large as the data (NaN propagates through min and max).
    """
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; received {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; received {value}")
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
    """Return ``value`` as a float inside the given interval, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; received {value!r}")
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite; received {value!r}")
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{name} must be in {interval}; received {value!r}")
    return x


def check_choice(value: object, name: str, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}; received {value!r}"
        )
    return value


def as_generator(rng: object, name: str = "rng") -> np.random.Generator:
    """Accept None, an integer seed or a Generator, and return a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)  # type: ignore[arg-type]
    raise TypeError(
        f"{name} must be None, an integer seed or a numpy.random.Generator; received {rng!r}"
    )
