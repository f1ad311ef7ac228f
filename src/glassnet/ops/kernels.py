"""numba kernels: each the one-pass twin of NumPy code that the engine runs in several passes.

Imported only through :mod:`glassnet.ops.accelerate`, when a kernel is first needed; nothing else imports
numba. Each kernel names its NumPy twin, which is the reference: ``tests/test_accelerate.py`` holds the two
to float32 rounding at several shapes. The kernels are compiled with numba's NumPy error model (a division
by zero gives inf, as in NumPy, instead of a check on every element that would stop the loop from being
vectorized), without ``fastmath`` (the arithmetic is the twin's, in its order), and without the GIL, so
that two threads training at once run side by side.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def larger(a, b):
    """The larger of two numbers, NaN if either is: ``np.maximum`` on scalars, at a scalar's cost.

    Parameters
    ----------
    a, b : float

    Returns
    -------
    float
    """
    return a if (a > b or a != a) else b


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool_2x2(x, out):
    """The largest of each 2x2 window, windows 2 apart: the twin of :func:`glassnet.ops.pooling.max_pool2d`.

    Parameters
    ----------
    x : array, shape (n, c, 2 oh, 2 ow)
    out : array, shape (n, c, oh, ow)
        Receives the result (NaN for a window that holds one, as in NumPy).
    """
    n, c, oh, ow = out.shape
    for s in range(n):
        for ch in range(c):
            image, pooled = x[s, ch], out[s, ch]
            for y in range(oh):
                top, bottom, row = image[2 * y], image[2 * y + 1], pooled[y]
                for j in range(ow):
                    row[j] = larger(larger(top[2 * j], top[2 * j + 1]), larger(bottom[2 * j], bottom[2 * j + 1]))


@njit(cache=True, error_model="numpy", nogil=True)
def max_pool_2x2_backward(grad, x, pooled, out):
    """Each window's gradient to the first pixel, in reading order, that holds its maximum; 0 to the others.

    The twin of :func:`glassnet.ops.pooling.max_pool2d_backward` for 2x2 windows 2 apart that tile ``x``; a
    window whose maximum is NaN equals no pixel and passes no gradient, as there. Each comparison is made
    before the test of the earlier ones, so that the loop has no branch to take.

    Parameters
    ----------
    grad, pooled : array, shape (n, c, oh, ow)
    x : array, shape (n, c, 2 oh, 2 ow)
    out : array like ``x``
        Receives the result; every entry is written.
    """
    n, c, oh, ow = grad.shape
    for s in range(n):
        for ch in range(c):
            image, dx = x[s, ch], out[s, ch]
            for y in range(oh):
                top, bottom, dtop, dbottom = image[2 * y], image[2 * y + 1], dx[2 * y], dx[2 * y + 1]
                g, best = grad[s, ch, y], pooled[s, ch, y]
                for j in range(ow):
                    m, gj = best[j], g[j]
                    a = top[2 * j] == m
                    b = (top[2 * j + 1] == m) and not a
                    d = (bottom[2 * j] == m) and not (a or b)
                    e = (bottom[2 * j + 1] == m) and not (a or b or d)
                    dtop[2 * j] = gj if a else 0.0
                    dtop[2 * j + 1] = gj if b else 0.0
                    dbottom[2 * j] = gj if d else 0.0
                    dbottom[2 * j + 1] = gj if e else 0.0
