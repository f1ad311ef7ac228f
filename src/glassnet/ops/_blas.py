"""Whole-vector updates ``y += a x``, ``y = a x + b y``, ``x *= a``, and ``C += A @ B``, through NumPy's own BLAS.

Optimizers update every parameter at every step. Written in NumPy, ``p -= lr * g``
is two passes over the flat vectors on one core. The same update as a level-1
BLAS call (``axpy``) is one pass, spread over the BLAS threads that NumPy's
matrix products already use and that otherwise wait, spinning, between products.
On MNIST's 784-256-128-10 network this made SGD training about 40 % faster at
batch 32 and 10 % at batch 128 (benchmarks/RESULTS.md).

NumPy's wheels ship OpenBLAS under the name scipy-openblas. When that library
is found beside NumPy, these functions call it (the very copy NumPy loaded, so
one thread pool, which threadpoolctl limits as usual); otherwise, or with the
environment variable ``GLASSNET_BLAS=numpy`` (the default is ``auto``), they run
in NumPy. Both paths give the same values up to rounding (the BLAS may fuse a
multiply and an add).

:func:`add_product` adds a matrix product into a matrix in place, which NumPy's
``matmul`` cannot do without a temporary array and a second pass: the BLAS's
``gemm`` with ``beta = 1``. Its matrices may be views whose rows are spaced
further apart than their length, such as a window of columns of a wider array.

The vector updates take 1-D, C-contiguous NumPy arrays of one float dtype and equal
length, of at least :data:`BLAS_MIN` elements; other arrays (short vectors,
strided views, arrays of another namespace) go the plain way, in the arrays'
own namespace (see :mod:`glassnet.arrays`).
``scratch``, optional, is a buffer like ``x`` that the plain path may
overwrite instead of allocating.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from ..core._validation import short
from ..core.arrays import namespace
from ..errors import OptionError

#: shorter vectors take the NumPy path: a call through ctypes costs about 4 us, which NumPy's two passes over
#: a 100-element vector (1.3 us) or a 4000-element one (4.1 us) do not; at 16,000 the BLAS takes 8 us, NumPy 11.
#: (A playground network has about 100 parameters: each BLAS call also let go of Python's lock, and a
#: server thread waited to take it back.)
BLAS_MIN = 8192


def axpy(alpha: float, x, y, scratch=None) -> None:
    """``y += alpha * x``, in place.

    Parameters
    ----------
    alpha : float
    x : array, shape (n,)
    y : array, shape (n,)
        Updated in place.
    scratch : array, shape (n,), optional
        May be overwritten by the plain path.
    """
    fn = _ROUTINES.get(("axpy", x.dtype.char))
    if fn is not None and _fits(x, y):
        fn(x.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    else:
        y += namespace(x).multiply(x, alpha, out=scratch)


def axpby(alpha: float, x, beta: float, y, scratch=None) -> None:
    """``y = alpha * x + beta * y``, in place.

    Parameters
    ----------
    alpha, beta : float
    x : array, shape (n,)
    y : array, shape (n,)
        Updated in place.
    scratch : array, shape (n,), optional
        May be overwritten by the plain path.
    """
    fn = _ROUTINES.get(("axpby", x.dtype.char))
    if fn is not None and _fits(x, y):
        fn(x.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
    else:
        y *= beta
        y += x if alpha == 1 else namespace(x).multiply(x, alpha, out=scratch)


def scal(alpha: float, x) -> None:
    """``x *= alpha``, in place.

    Parameters
    ----------
    alpha : float
    x : array, shape (n,)
        Updated in place.
    """
    fn = _ROUTINES.get(("scal", x.dtype.char))
    if fn is not None and _fits(x, x):
        fn(x.size, alpha, x.ctypes.data, 1)
    else:
        x *= alpha


def add_product(a, b, out) -> None:
    """``out += a @ b``, in place: one BLAS ``gemm`` where the arrays allow it.

    Parameters
    ----------
    a : array, shape (m, k)
    b : array, shape (k, n)
    out : array, shape (m, n)
        Updated in place; it may be a view with rows spaced further apart than ``n`` (a block of
        columns of a wider array).
    """
    fn = _ROUTINES.get(("gemm", out.dtype.char))
    if fn is not None and _fits_product(a, b, out):
        (m, k), n, size = a.shape, b.shape[1], out.itemsize
        fn(_ROW_MAJOR, _NO_TRANSPOSE, _NO_TRANSPOSE, m, n, k, 1.0, a.ctypes.data, a.strides[0] // size,
           b.ctypes.data, b.strides[0] // size, 1.0, out.ctypes.data, out.strides[0] // size)
    else:
        out += namespace(out).matmul(a, b)


def backend() -> str:
    """Which path the updates take on NumPy arrays.

    Returns
    -------
    str
        The BLAS library's file name, or ``"numpy"``.
    """
    return Path(_LIBRARY).name if _LIBRARY else "numpy"


def _plain(x) -> bool:
    """A NumPy array the BLAS can read as it is: native byte order (a byte-swapped ``>f8`` has the dtype
    char ``d`` too, and the BLAS would read its bytes as numbers), aligned, no dimension or row stride past
    the library's integer type."""
    return (isinstance(x, np.ndarray) and x.dtype.isnative and x.flags.aligned
            and max(x.shape + tuple(s // x.itemsize for s in x.strides), default=0) <= _INDEX_MAX)


def _fits(x, y) -> bool:
    """The BLAS path needs equal 1-D contiguous NumPy arrays of one dtype, long enough, the output writable."""
    return (_plain(x) and _plain(y) and x.ndim == 1 and x.shape == y.shape
            and x.size >= BLAS_MIN
            and x.dtype == y.dtype and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)


def _fits_product(a, b, out) -> bool:
    """``gemm`` takes 2-D NumPy matrices of one dtype whose rows are contiguous and spaced at least a row
    apart, of matching shapes, the output writable and apart from the inputs."""
    arrays = (a, b, out)
    if not all(_plain(x) and x.ndim == 2 and x.dtype == out.dtype and x.size for x in arrays):
        return False
    if a.shape[1] != b.shape[0] or out.shape != (a.shape[0], b.shape[1]) or not out.flags.writeable:
        return False
    rows_ok = all(x.strides[1] == x.itemsize and x.strides[0] >= x.shape[1] * x.itemsize
                  and x.strides[0] % x.itemsize == 0 for x in arrays)
    return rows_ok and not (np.may_share_memory(out, a) or np.may_share_memory(out, b))


def _numpy_openblas() -> tuple[str | None, dict, int]:
    """Load the scipy-openblas that NumPy bundles and bind the routines used above; with the largest
    size or stride its integer type holds."""
    choice = os.environ.get("GLASSNET_BLAS", "auto").strip().lower() or "auto"
    if choice not in ("auto", "numpy"):
        raise OptionError(f"the environment variable GLASSNET_BLAS must be 'auto' or 'numpy'; "
                         f"received {short(os.environ['GLASSNET_BLAS'])}")
    if choice == "numpy":
        return None, {}, 2 ** 31 - 1
    package = Path(np.__file__).resolve().parent
    candidates = [p for folder in (package.parent / "numpy.libs", package / ".dylibs")
                  if folder.is_dir() for p in sorted(folder.iterdir()) if "scipy_openblas" in p.name]
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by NumPy: the same handle and threads
        except OSError:
            continue
        for suffix, int_type in (("64_", ctypes.c_int64), ("", ctypes.c_int32)):
            try:
                limit = 2 ** (8 * ctypes.sizeof(int_type) - 1) - 1
                return str(path), _bind(lib, suffix, int_type), limit
            except AttributeError:
                continue
    return None, {}, 2 ** 31 - 1


def _bind(lib: ctypes.CDLL, suffix: str, n: type) -> dict:
    """The routines by (name, dtype char); ``suffix`` and the integer type ``n`` tell the
    64-bit-index build (``..._64_``, NumPy's wheels) from the 32-bit one."""
    ptr, enum = ctypes.c_void_p, ctypes.c_int
    routines = {}
    for char, prefix, real in (("f", "s", ctypes.c_float), ("d", "d", ctypes.c_double)):
        signatures = {
            "axpy": [n, real, ptr, n, ptr, n],
            "axpby": [n, real, ptr, n, real, ptr, n],
            "scal": [n, real, ptr, n],
            # order, transpose a, transpose b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
            "gemm": [enum, enum, enum, n, n, n, real, ptr, n, ptr, n, real, ptr, n],
        }
        for op, argtypes in signatures.items():
            fn = getattr(lib, f"scipy_cblas_{prefix}{op}{suffix}")
            fn.argtypes, fn.restype = argtypes, None
            routines[(op, char)] = fn
    return routines


#: CBLAS's codes for row-major storage and an untransposed matrix
_ROW_MAJOR, _NO_TRANSPOSE = 101, 111

#: the full path of the library bound, or None; its routines by (name, dtype char); the largest size or stride it takes
_LIBRARY, _ROUTINES, _INDEX_MAX = _numpy_openblas()
