"""Fixtures shared by the tests (helpers live in helpers.py).

The suite bounds BLAS and OpenMP to one thread, in this process and in every
subprocess it starts: with the machine's cores busy, several spinning BLAS
threads per process slow a run many times over, while one thread each holds up.

Whatever glassnet keeps in its data folder during the run (MNIST's unzipped
pixels, the web page's models) goes to a temporary folder shared by the run's
workers and removed at its end, never to the user's ``~/.cache/glassnet``.
"""

import atexit
import gc
import os
import shutil
import tempfile
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import MNIST_DIR, MNIST_MISSING, run_glassnet  # noqa: E402

if "GLASSNET_TEST_DATA" not in os.environ:  # the first process of the run (xdist's workers inherit it)
    os.environ["GLASSNET_TEST_DATA"] = tempfile.mkdtemp(prefix="glassnet-tests-")
    os.environ["GLASSNET_USER_DATA"] = os.environ.get("GLASSNET_DATA", "")  # where the workers look for MNIST
    atexit.register(shutil.rmtree, os.environ["GLASSNET_TEST_DATA"], ignore_errors=True)
os.environ["GLASSNET_DATA"] = os.environ["GLASSNET_TEST_DATA"]  # after helpers found the user's own MNIST

try:  # numpy may have been loaded before the variables were set
    from threadpoolctl import threadpool_limits

    threadpool_limits(int(os.environ["OPENBLAS_NUM_THREADS"]))
except ImportError:  # threadpoolctl comes with the test extra
    pass


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: a worker per core, at most four; each worker builds the session fixtures again, but for the
    MNIST models, which :func:`trained_once` trains once for all of them."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def pytest_collection_modifyitems(items):
    # scikit-learn's own MLP tests, run as they ship against glassnet's estimators, train models on
    # noise or for an iteration or two and expect no warning beyond scikit-learn's; glassnet's report
    # that such a model ended no better than chance is its own addition, true and beside their point
    for item in items:
        if item.path.name == "test_sklearn_mlp_port.py":
            item.add_marker(pytest.mark.filterwarnings("ignore:.*training ended no better than chance"))


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


#: the tests that skipped for want of MNIST; with GLASSNET_REQUIRE_MNIST set (.ci/run sets it where
#: the project's copy exists) any of them fails the run, so that CI never loses them quietly
_MNIST_SKIPS: list[str] = []


def pytest_collection_finish(session):
    """Move what collection made (the modules of torch, scikit-learn, dask, ... and the test items) out of the
    garbage collector's reach, which its full collections otherwise walk again and again: a run's two workers
    spent 12.8 s collecting garbage, 9.6 s with this. Objects made by the tests themselves are collected as ever."""
    gc.collect()
    gc.freeze()


def pytest_runtest_logreport(report):
    if report.skipped and MNIST_MISSING in str(report.longrepr):
        _MNIST_SKIPS.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _MNIST_SKIPS and os.environ.get("GLASSNET_REQUIRE_MNIST"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _MNIST_SKIPS and os.environ.get("GLASSNET_REQUIRE_MNIST"):
        terminalreporter.write_line(f"GLASSNET_REQUIRE_MNIST is set, but {len(_MNIST_SKIPS)} test(s) skipped for "
                                    f"want of MNIST, such as {_MNIST_SKIPS[0]}", red=True)


@pytest.fixture(scope="session")
def mnist():
    """MNIST's training and test sets, read from :data:`helpers.MNIST_DIR`; skips where this machine has none."""
    if MNIST_DIR is None:
        pytest.skip(MNIST_MISSING)
    from glassnet.datasets import load_mnist

    return load_mnist(MNIST_DIR)


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    """`glassnet train` with no argument at all, in an empty folder: the model `make run` makes.

    Returns the folder and the finished process; the model is glassnet-out/model.glassnet in it.
    """
    cwd = tmp_path_factory.mktemp("train")
    return cwd, run_glassnet("train", cwd=cwd)


def trained_once(name, train):
    """A model trained once per run and shared by xdist's workers, which would otherwise each train it again.

    The first worker to ask trains it and saves it in the run's data folder, under a lock that the others
    wait on; then every worker, the first included, gets the model as loaded from that file. The folder is
    the run's own (``GLASSNET_TEST_DATA``, made for the run and removed after it), so no model outlives
    the code that trained it, unless that variable is set from outside.
    """
    import glassnet as gn

    try:
        import fcntl
    except ImportError:  # no file locks (Windows): each worker trains its own
        return train()
    folder = Path(os.environ["GLASSNET_TEST_DATA"]) / "fixtures"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.glassnet"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            gn.save(path, train())
    return gn.load(path).model


@pytest.fixture(scope="session")
def mnist_model(mnist):
    """784-256-128-10 after 4 epochs of Adam on MNIST's training set (about 98 % on its test set)."""
    import glassnet as gn

    def train():
        model = gn.mlp([784, 256, 128, 10], rng=0)
        model.fit(mnist[0].X, mnist[0].y, loss="cross_entropy", optimizer="adam", epochs=4, batch_size=128)
        return model

    return trained_once("mnist_model", train)


@pytest.fixture(scope="session")
def mnist_model_file(mnist, mnist_model, tmp_path_factory):
    """``mnist_model`` in a model file with the metadata `glassnet serve` reads."""
    import glassnet as gn

    train, _ = mnist
    path = tmp_path_factory.mktemp("mnist-model") / "mnist.glassnet"
    return gn.save(path, mnist_model, metadata={"dataset": "mnist", "classes": train.classes,
                                                "image_shape": [28, 28]})


@pytest.fixture(scope="session")
def mnist_cnn(mnist):
    """The default conv net after one epoch on a tenth of MNIST's training set (about 96 % on its test set)."""
    import glassnet as gn

    def train():
        model = gn.cnn(rng=0)
        model.fit(mnist[0].X[:6000], mnist[0].y[:6000], loss="cross_entropy", optimizer=gn.Adam(0.003), epochs=1,
                  batch_size=64)
        return model

    return trained_once("mnist_cnn", train)
