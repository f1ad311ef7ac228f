"""Helpers shared by the tests: oracles, the tutorials' worked networks, where MNIST lies."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


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


def three_four_one():
    """Tutorial 05's 3-4-1 sigmoid network without biases, weights from np.random.seed(1), and its X."""
    import glassnet as gn

    rs = np.random.RandomState(1)
    w1, w2 = rs.random_sample((3, 4)), rs.random_sample((4, 1))
    model = gn.Sequential([
        gn.Dense(3, 4, bias=False, dtype=np.float64), gn.Sigmoid(),
        gn.Dense(4, 1, bias=False, dtype=np.float64), gn.Sigmoid(),
    ])
    model.set_weights([w1, w2])
    return model, np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]), w1, w2


def run_glassnet(*args, cwd=None, check=True):
    """The `glassnet` command in a subprocess, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "glassnet", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


#: the four original MNIST files, beside the checkout (never downloaded by the tests)
MNIST_DIR = Path(os.environ.get("GLASSNET_MNIST", Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists(),
                                 reason=f"MNIST files not found in {MNIST_DIR}")
