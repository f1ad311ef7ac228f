import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def central_diff(f, x, eps=1e-6):
    """Numerical gradient of scalar f at float64 array x, entry by entry (x is restored)."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)
