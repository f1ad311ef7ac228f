"""The threads setting: BLAS's pool bounded during fit and predict, and what the default reads."""

import io
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.core import threads
from glassnet.errors import OptionError
from helpers import mechanics_only

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def two_blas_threads():
    """The BLAS at two threads for the test (the suite runs it at one), whatever the environment says."""
    previous = threads.blas_threads()
    controller = threads._blas_controller()
    controller.limit(limits=2, user_api="blas")  # unrestored by itself: set back below
    assert threads.blas_threads() == 2
    yield
    controller.limit(limits=previous, user_api="blas")


@pytest.fixture
def no_environment(monkeypatch):
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_last_count", None)
    monkeypatch.setattr(threads, "blas_threads", lambda: None)  # no bound around the call (the suite sets one)


def fake_loadavg(monkeypatch, *running):
    """/proc/loadavg reads its running/total field from ``running`` in turn, the last one from then on.

    Returns the list of reads made, for the test to count.
    """
    reads = []
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/loadavg":
            reads.append(path)
            return io.StringIO(f"0.50 0.40 0.30 {running[min(len(reads), len(running)) - 1]} 12345\n")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    return reads


def small_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    return X, (X[:, 0] > 0).astype(int)


def test_limit_bounds_the_pool_inside_the_block_and_restores_it(two_blas_threads):
    with gn.limit_threads(1) as n:
        assert n == 1
        assert threads.blas_threads() == 1
    assert threads.blas_threads() == 2


@mechanics_only  # two epochs, counting threads
def test_fit_trains_within_the_bound_and_gives_the_pool_back(two_blas_threads):
    X, y = small_problem()
    seen = []
    cb = gn.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(threads.blas_threads()))
    gn.mlp([6, 4, 2], rng=0).fit(X, y, loss="cross_entropy", epochs=2, threads=1, callbacks=[cb], verbose=False)
    assert seen == [1, 1]
    assert threads.blas_threads() == 2


@mechanics_only  # a short run compared thread count to thread count
def test_the_bound_changes_no_number(two_blas_threads):
    X, y = small_problem()
    runs = []
    for n in (1, 2):
        model = gn.mlp([6, 16, 2], rng=0, dtype=np.float64)
        model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, threads=n, verbose=False)
        runs.append(model.params.copy())
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_bad_thread_count_is_refused_by_name(bad):
    X, y = small_problem()
    with pytest.raises((OptionError, TypeError), match="threads"):
        gn.mlp([6, 2], rng=0).fit(X, y, loss="cross_entropy", epochs=1, threads=bad, verbose=False)
    with pytest.raises((OptionError, TypeError), match="threads"):
        with gn.limit_threads(bad):
            pass


def test_the_default_leaves_busy_cores_to_the_other_work(no_environment, monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 4)
    monkeypatch.setattr(threads, "runnable_others", lambda: 0)
    assert threads.auto_threads() == 4
    monkeypatch.setattr(threads, "runnable_others", lambda: 3)
    assert threads.auto_threads() == 1
    monkeypatch.setattr(threads, "runnable_others", lambda: 9)
    assert threads.auto_threads() == 1


def test_the_default_keeps_within_a_bound_set_around_the_call(two_blas_threads, monkeypatch):
    """threadpoolctl.threadpool_limits(1) around a fit, as scikit-learn's users and its benchmarks set it, was
    raised back to the cores: glassnet's L-BFGS on friedman1 took 5.6 s where 0.25 s was the bound's."""
    from threadpoolctl import threadpool_limits

    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(threads, "runnable_others", lambda: 0)
    assert threads.auto_threads() == 2
    X, y = small_problem()
    seen = []

    class Look(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            seen.append(threads.blas_threads())
    with threadpool_limits(1):
        assert threads.auto_threads() == 1
        gn.mlp([6, 4, 2], rng=0).fit(X, y, loss="cross_entropy", epochs=2, callbacks=[Look()], verbose=False)
        monkeypatch.setenv("GLASSNET_THREADS", "2")  # glassnet's own setting still comes first
        assert threads.auto_threads() == 2
    assert seen == [1, 1] and threads.blas_threads() == 2


OVERLAP = """
import threading
import glassnet as gn
from glassnet.core import threads
threads.runnable_others = lambda: 0  # an idle machine
threads.available_cores = lambda: 2
found = threads.blas_threads()  # the cores OpenBLAS found (2 or more)
a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
def a():
    with gn.limit_threads(1):
        a_in.set(); b_in.wait(10)
    a_out.set()
def b():
    a_in.wait(10)
    with gn.limit_threads(2):
        b_in.set(); a_out.wait(10)
workers = [threading.Thread(target=a), threading.Thread(target=b)]
[w.start() for w in workers]; [w.join(20) for w in workers]
print(found, threads.blas_threads(), threads.auto_threads())
"""


def test_limits_of_two_threads_that_overlap_give_the_pool_back_as_found():
    """Thread A holds a limit of 1, thread B enters one of 2, A ends, then B: each put back what it had found, so
    the pool stayed at 1, and with the default bounded by the pool every later fit kept 1 thread. (In a fresh
    process: threadpoolctl lets the first thread that sets a bound keep control, and this one has set some.)"""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in threads.ENVIRONMENT}
    done = subprocess.run([sys.executable, "-c", OVERLAP], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    found, after, auto = map(int, done.stdout.split())
    assert found >= 2 and after == found and auto == 2  # the pool as found, and the default from it


def test_the_default_keeps_within_what_the_environment_set(no_environment, monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    monkeypatch.setattr(threads, "runnable_others", lambda: 0)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # as joblib's loky workers and Dask's nannies set it
    assert threads.auto_threads() == 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert threads.auto_threads() == 2  # the smallest BLAS setting
    monkeypatch.setenv("GLASSNET_THREADS", "5")
    assert threads.auto_threads() == 5  # glassnet's own setting comes first
    monkeypatch.setenv("GLASSNET_THREADS", "many")
    with pytest.raises(OptionError, match="GLASSNET_THREADS must be a positive integer; received 'many'"):
        threads.auto_threads()


def test_runnable_tasks_are_read_from_the_kernel_and_kept_a_moment(no_environment, monkeypatch):
    reads = fake_loadavg(monkeypatch, "4/300")
    monkeypatch.setattr(threads, "own_running", lambda: 1)
    assert threads.runnable_others(samples=3, interval=0) == 3  # four running, this process one of them
    assert threads.runnable_others(samples=3, interval=0) == 3
    assert len(reads) == 3  # the second call used the first count


def test_own_busy_threads_are_not_counted_as_other_work(no_environment, monkeypatch):
    # BLAS workers spin for a while after a product; a second fit in the same process used to read them in
    # /proc/loadavg as other work and train on one thread (a speedrun's later seeds ran 45 % slower)
    fake_loadavg(monkeypatch, "4/300")
    monkeypatch.setattr(threads, "own_running", lambda: 3)  # the reader and two spinning BLAS workers
    assert threads.runnable_others(samples=1, interval=0) == 1


def test_a_momentary_task_is_not_counted_as_other_work(no_environment, monkeypatch):
    # a kernel worker, or this process's BLAS worker falling asleep between the two reads, shows up in one
    # read and not the next: counted, it took a core from a conv net's fit on 2 cores (25-30 % slower)
    reads = fake_loadavg(monkeypatch, "4/300", "4/300", "2/300", "4/300", "2/300", "3/300")
    monkeypatch.setattr(threads, "own_running", lambda: 1)
    assert threads.runnable_others(samples=5, interval=0) == 1  # 3, 3, 1, 3, 1 others: two of them blinked
    monkeypatch.setattr(threads, "_last_count", None)
    assert threads.runnable_others(samples=5, interval=0) == 2  # a task in every read holds a core
    assert len(reads) == 10


def test_an_idle_machine_is_read_once(no_environment, monkeypatch):
    reads = fake_loadavg(monkeypatch, "1/300")
    monkeypatch.setattr(threads, "own_running", lambda: 1)  # the one running task is this process's reader
    monkeypatch.setattr(threads.time, "sleep", lambda s: pytest.fail("an idle machine was read again"))
    assert threads.runnable_others(samples=5, interval=0.002) == 0 and len(reads) == 1


def test_own_running_threads_are_read_from_the_kernel():
    import threading

    stop = threading.Event()
    a = np.ones(1 << 20)

    def work():  # NumPy lets go of the interpreter's lock in its loops: the thread runs on a core
        out = np.empty_like(a)
        while not stop.is_set():
            np.sqrt(a, out=out)

    seen = [threads.own_running()]
    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        deadline = time.monotonic() + 5
        while max(seen) < 2 and time.monotonic() < deadline:
            seen.append(threads.own_running())
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert seen[0] >= 1 and max(seen) >= 2


def test_estimators_bound_fit_and_predict(two_blas_threads, monkeypatch):
    from glassnet.nn.stack import Stack as Sequential
    from glassnet.sklearn import GlassnetClassifier

    seen = []
    real_predict = Sequential.predict

    def spy(self, *args, **kwargs):
        seen.append(threads.blas_threads())
        return real_predict(self, *args, **kwargs)

    X, y = small_problem()
    clf = GlassnetClassifier((4,), max_iter=3, n_threads=1, random_state=0, early_stopping=True)
    monkeypatch.setattr(Sequential, "predict", spy)
    clf.fit(X, y)  # early stopping scores the held-out rows with predict, inside fit
    fit_calls = len(seen)
    clf.predict(X)
    assert fit_calls >= 3 and len(seen) == fit_calls + 1
    assert set(seen) == {1}
    assert threads.blas_threads() == 2
    assert clf.get_params()["n_threads"] == 1
    with pytest.raises(ValueError, match="n_threads"):
        GlassnetClassifier(n_threads=0).fit(X, y)


@pytest.mark.parametrize("command", [["train", "--quiet"], ["evaluate", "model.glassnet"], ["predict", "m", "x.csv"]])
def test_the_command_line_refuses_a_bad_thread_count(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--threads", "0"])
    assert exc.value.code == 2
    assert "--threads" in capsys.readouterr().err
