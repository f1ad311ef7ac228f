"""Rows read on demand: training and prediction on data larger than memory.

A :class:`LazyRows` stands for the rows of an array that is never loaded
whole: a ``numpy.memmap`` of a file, an h5py dataset, a zarr array, or any
object with ``shape``, ``dtype`` and row indexing by an integer array
(``source[[3, 7, 9]]``). Training and prediction ask it for one batch at a
time, by row index, and get a NumPy array in the model's dtype; the
source's own dtype (say uint8 pixels) stays on disk.

``fit`` and ``predict`` wrap memmaps, h5py datasets and zarr arrays
themselves; other sources are wrapped by hand: ``fit(LazyRows(source), y)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OptionError, OptionTypeError

#: the libraries whose arrays read lazily and are wrapped without being asked
LAZY_LIBRARIES = ("h5py", "zarr")

#: rows per read when a whole source is scanned (the finiteness check)
SCAN_ROWS = 8192


def is_lazy(X: object) -> bool:
    """Whether ``X`` is read row by row rather than loaded: a memmap, an h5py dataset, a zarr array, a LazyRows.

    Parameters
    ----------
    X : object

    Returns
    -------
    bool
    """
    if isinstance(X, (LazyRows, np.memmap)):
        return True
    return type(X).__module__.split(".")[0] in LAZY_LIBRARIES and hasattr(X, "shape") and hasattr(X, "dtype")


class LazyRows:
    """Rows of ``source``, read batch by batch and cast to ``dtype``.

    Parameters
    ----------
    source : array_like
        ``shape``, ``dtype`` and ``source[int_array]`` returning those rows
        (indices given in increasing order, as h5py requires).
    dtype : numpy dtype, optional
        What batches come out as; by default the source's.
    rows : int array, optional
        The rows of ``source`` this view holds, in order; by default all.
    row_shape : tuple of int, optional
        Reshape each row (say 784 pixels to (1, 28, 28)); by default the source's.
    divisor : float, optional
        Divide every value read by this (255 for pixels kept as uint8 on disk,
        read as floats in [0, 1]); by default values arrive as they are.

    Attributes
    ----------
    shape : tuple of int
        ``(len(rows), *row_shape)``.
    dtype : numpy.dtype
    ndim : int
    """

    def __init__(self, source: Any, dtype: Any = None, rows: Any = None,
                 row_shape: tuple[int, ...] | None = None, divisor: float | None = None) -> None:
        if isinstance(source, LazyRows):
            raise OptionTypeError("source is already a LazyRows; use its subset() or as_dtype()")
        for attribute in ("shape", "dtype", "__getitem__"):
            if not hasattr(source, attribute):
                raise OptionTypeError(f"source must have shape, dtype and row indexing; received "
                                      f"{type(source).__name__}, which has no {attribute}")
        if len(source.shape) < 1 or source.shape[0] == 0:
            raise OptionError(f"source must hold at least one row; received shape {tuple(source.shape)}")
        if np.dtype(source.dtype).kind not in "biuf":
            raise OptionTypeError(f"source must hold numbers; received dtype {np.dtype(source.dtype)}")
        self.source = source
        self.dtype = np.dtype(source.dtype if dtype is None else dtype)
        given = None if rows is None else np.asarray(rows)
        if given is not None and (given.ndim != 1 or given.size and given.dtype.kind not in "iu"):
            raise IndexError(f"rows must be a list of whole row positions; received {given.dtype} of shape "
                             f"{given.shape}")  # [0.5, 1.9] read rows 0 and 1, a 2-D list other shapes
        self.rows = None if given is None else given.astype(np.intp)
        if self.rows is not None and self.rows.size and (self.rows.min() < 0 or self.rows.max() >= source.shape[0]):
            raise IndexError(f"rows must be row positions of the source, 0 to {source.shape[0] - 1}")
        inner = tuple(int(d) for d in source.shape[1:])
        self.row_shape = inner if row_shape is None else tuple(int(d) for d in row_shape)
        if any(d < 1 for d in self.row_shape):  # (-1, -2) holds 2 values to NumPy's product
            raise OptionError(f"row_shape must be sizes of at least 1; received {self.row_shape}")
        if int(np.prod(self.row_shape)) != int(np.prod(inner)):
            raise OptionError(f"row_shape {self.row_shape} must hold the {int(np.prod(inner))} values of a "
                              f"row of shape {inner}")
        n = int(source.shape[0]) if self.rows is None else self.rows.shape[0]
        self.shape = (n, *self.row_shape)
        self.ndim = len(self.shape)
        if divisor is not None and self.dtype.kind != "f":
            raise OptionTypeError(f"divisor needs rows read as floats; received dtype {self.dtype}")
        self.divisor = None if divisor is None else float(divisor)
        if self.divisor is not None and not (np.isfinite(self.divisor) and self.divisor > 0):
            raise OptionError(f"divisor must be a finite number above 0; received {divisor!r}")  # 0: rows of inf

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"LazyRows({type(self.source).__name__}, shape={self.shape}, dtype={self.dtype})"

    def like(self, dtype: Any = None, row_shape: tuple[int, ...] | None = None) -> LazyRows:
        """The same rows with another output dtype or row shape.

        Parameters
        ----------
        dtype : numpy dtype, optional
        row_shape : tuple of int, optional

        Returns
        -------
        LazyRows
        """
        return LazyRows(self.source, self.dtype if dtype is None else dtype, self.rows,
                        self.row_shape if row_shape is None else row_shape, self.divisor)

    def subset(self, idx: Any) -> LazyRows:
        """The rows ``idx`` of this view, still unread.

        Parameters
        ----------
        idx : int array

        Returns
        -------
        LazyRows
        """
        idx = self._positions(idx)
        return LazyRows(self.source, self.dtype, idx if self.rows is None else self.rows[idx], self.row_shape,
                        self.divisor)

    def take(self, idx: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``idx`` of this view, read now.

        Parameters
        ----------
        idx : int array, shape (k,)
            Negative ones count from the end; one out of range raises IndexError.
        out : array, shape (k, *row_shape), optional
            Written in place and returned.

        Returns
        -------
        numpy.ndarray, shape (k, *row_shape), of :attr:`dtype`
        """
        idx = self._positions(idx)
        wanted = idx if self.rows is None else self.rows[idx]
        if out is None:
            out = np.empty((wanted.shape[0], *self.row_shape), dtype=self.dtype)
        flat = out.reshape(wanted.shape[0], *self.source.shape[1:])
        if isinstance(self.source, np.ndarray):  # in memory or a memmap: NumPy gathers the rows itself
            source = self.source.view(np.ndarray)  # a memmap's own indexing costs more than the rows
            if source.dtype == self.dtype:
                np.take(source, wanted, axis=0, out=flat, mode="clip")
            elif self.divisor is not None:  # cast and divided in one pass (uint8 pixels to floats in [0, 1])
                np.divide(np.take(source, wanted, axis=0, mode="clip"), self.dtype.type(self.divisor), out=flat,
                          dtype=self.dtype)
                return out
            else:
                flat[...] = np.take(source, wanted, axis=0, mode="clip")
        else:  # other libraries (h5py) want increasing indices, each once
            unique, where = np.unique(wanted, return_inverse=True)
            flat[...] = np.asarray(self.source[unique])[where]
        if self.divisor is not None:
            out /= self.divisor
        return out

    def _positions(self, idx: Any) -> np.ndarray:
        """``idx`` as row positions, negative ones counted from the end; one out of range is refused (the
        gathers clip, which would read another row instead)."""
        idx = np.asarray(idx, dtype=np.intp)
        n = self.shape[0]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"row index out of range for {n} rows")
        return np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx

    def __getitem__(self, key: Any) -> np.ndarray:
        """Rows by a slice, an int, an int array or a boolean mask, read now (negative ints count from the end);
        a tuple indexes the rows by its first item and what they hold by the rest, as NumPy does (``X[0, 300]``
        is one value: it was read as rows 0 and 300)."""
        if isinstance(key, tuple) and not key:
            return self[:]
        if isinstance(key, tuple):
            if any(k is None or k is Ellipsis for k in key):
                raise IndexError("rows are indexed without ... or None: give the rows, then what they hold")
            arrays = [k for k in key if not isinstance(k, slice) and np.ndim(k) > 0]
            if len(arrays) > 1:  # NumPy pairs such arrays point by point, which reading rows first would not
                raise IndexError("rows are indexed by one array at most, of rows or of what they hold; index "
                                 "the rows read (X[rows][:, columns]) for another pairing")
            rows, rest = self[np.asarray(key[0]) if isinstance(key[0], tuple) else key[0]], key[1:]
            one_row = np.ndim(key[0]) == 0 and not isinstance(key[0], slice)
            return rows[rest] if one_row else rows[(slice(None),) + rest]
        n = self.shape[0]
        if isinstance(key, slice):
            return self.take(np.arange(*key.indices(n)))
        idx = np.asarray(key)
        if idx.dtype.kind == "b" and idx.shape == (n,):  # a mask of the rows
            idx = np.flatnonzero(idx)
        elif idx.size == 0:  # [] is no row, whatever dtype NumPy gives it
            idx = idx.astype(np.intp)
        if idx.dtype.kind not in "iu":
            raise IndexError(f"rows are indexed by a slice, an int, an int array or a mask of {n} booleans; received "
                             f"{idx.dtype} of shape {idx.shape}")
        rows = self.take(idx.reshape(-1))
        return rows[0] if idx.ndim == 0 else rows

    def scan(self, rows: int = SCAN_ROWS):
        """Consecutive chunks of at most ``rows`` rows, read one at a time.

        Parameters
        ----------
        rows : int

        Yields
        ------
        numpy.ndarray
        """
        if not isinstance(rows, (int, np.integer)) or isinstance(rows, bool) or rows < 1:
            raise OptionError(f"rows must be a whole number of at least 1; received {rows!r}")  # -1 gave no chunk
        for start in range(0, self.shape[0], rows):
            yield self[start:start + rows]
