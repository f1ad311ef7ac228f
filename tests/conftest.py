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


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


import os  # noqa: E402
from pathlib import Path  # noqa: E402

#: the four original MNIST files, beside the checkout (never downloaded by the tests)
MNIST_DIR = Path(os.environ.get("GLASSNET_MNIST",
                                Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists(),
                                 reason=f"MNIST files not found in {MNIST_DIR}")


@pytest.fixture(scope="session")
def mnist():
    from glassnet.datasets import load_mnist

    return load_mnist(MNIST_DIR)


@pytest.fixture(scope="session")
def mnist_model(mnist):
    import glassnet as gn

    train, _ = mnist
    model = gn.mlp([784, 256, 128, 10], rng=0)
    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", epochs=4, batch_size=128)
    return model
