"""Helpers shared by the tests: oracles, the tutorials' worked networks, where MNIST lies."""

import contextlib
import errno
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from glassnet.datasets.base import data_home
from glassnet.io.file_checks import description_digest


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
    """The `glassnet` command in a subprocess, as a user runs it: in ``cwd``, or else in an empty folder of its
    own (never the checkout, where two runs at once made and removed each other's glassnet-out/)."""
    if cwd is None:
        with tempfile.TemporaryDirectory(prefix="glassnet-cwd-") as own:
            return run_glassnet(*args, cwd=own, check=check)
    proc = subprocess.run([sys.executable, "-m", "glassnet", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def traced_peak(call):
    """``call()``'s result, and the most memory Python's allocators (NumPy's among them) held while it ran, in
    bytes: what a test of bounded memory compares with its bound."""
    tracemalloc.start()
    try:
        return call(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


MNIST_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")


def mnist_folders():
    """Where the tests look for MNIST's four files, in order; the tests never download.

    ``$GLASSNET_MNIST`` alone when it is set; otherwise the project's shared copy
    beside the checkout, then the folder glassnet's loader downloads into
    (``$GLASSNET_DATA/mnist`` or ``~/.cache/glassnet/mnist``: filled by
    ``glassnet train --dataset mnist`` on a machine with internet).
    """
    if os.environ.get("GLASSNET_MNIST"):
        return [Path(os.environ["GLASSNET_MNIST"]).expanduser()]
    # the user's data folder: conftest.py gives the run a folder of its own as GLASSNET_DATA and keeps the
    # user's in GLASSNET_USER_DATA, which xdist's workers inherit along with the run's
    cache = data_home(os.environ.get("GLASSNET_USER_DATA")) / "mnist"
    return [Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist", cache]


def find_mnist():
    """The first folder of :func:`mnist_folders` that holds all four files, or None."""
    found = next((f for f in mnist_folders() if all((f / n).is_file() for n in MNIST_NAMES)), None)
    return None if found is None else found.resolve()  # absolute: run_glassnet runs in a folder of its own


#: the four original MNIST files, or None where this machine has none (the MNIST tests then skip)
MNIST_DIR = find_mnist()
#: the one reason every MNIST test gives when it skips; conftest.py counts the skips that carry it
MNIST_MISSING = ("MNIST not found (looked in " + ", ".join(map(str, mnist_folders())) + "): run `glassnet train "
                 "--dataset mnist` once to download it, or set GLASSNET_MNIST to a folder holding its four files")
needs_mnist = pytest.mark.skipif(MNIST_DIR is None, reason=MNIST_MISSING)


#: for tests of the mechanics of a step or a loop (its count, its arithmetic, its bit-for-bit replay), whose
#: few steps, often on random data, need not learn anything: the divergence guard's report that such a run
#: ended no better than chance is true and beside their point. Each test that carries it says why. (The
#: scikit-learn estimators put their own name before the words.)
mechanics_only = pytest.mark.filterwarnings("ignore:.*training ended no better than chance")


def rewrite_description(path, edit, reseal=True):
    """Edit a model file's description (glassnet.json) in place with ``edit(meta)``.

    With ``reseal`` the description's checksum is recomputed, as a tool that edits files on purpose would,
    so that the deeper checks of ``load`` are the ones under test.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "glassnet.json":
                meta = json.loads(data)
                edit(meta)
                if reseal and "description_sha256" in meta:
                    meta["description_sha256"] = description_digest(meta)
                data = json.dumps(meta).encode()
            dst.writestr(name, data)
    path.write_bytes(buf.getvalue())


@contextlib.contextmanager
def serving(app, threads=2):
    """Serve a WSGI app with waitress on a free loopback port, in a thread; yields its address (``http://.../``)."""
    from waitress.server import create_server

    srv = create_server(app, host="127.0.0.1", port=0, threads=threads)
    with running(srv):
        yield f"http://127.0.0.1:{srv.effective_port}/"


@contextlib.contextmanager
def running(srv):
    """Run a waitress server in a thread for the block; yields it.

    On exit the server's sockets are closed. Its loop, still waiting in ``select`` on those sockets in its
    own thread, then fails with EBADF ("bad file descriptor"): that one error, after the close, is the loop
    ending, and is not reported as an exception in the thread. Any other error is.
    """
    closed = threading.Event()

    def run():
        try:
            srv.run()
        except OSError as exc:
            if not (closed.is_set() and exc.errno == errno.EBADF):
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        closed.set()
        srv.close()
        thread.join(timeout=5)


class Ranks:
    """A rank and a size, and the reductions of ranks that all hold what this one holds: enough for the arithmetic
    and the agreement every rank reaches before any weights are sent."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size
        self.sent = []

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Allreduce(self, sendbuf, recvbuf, op=None):
        self.sent.append(str(op))  # the maximum over ranks alike is this rank's own: the buffer stays

    def Bcast(self, *args, **kwargs):
        raise AssertionError("no weights may be sent")

    bcast = Bcast
