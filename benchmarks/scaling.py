"""Scaling out: data-parallel MPI training with 1 and 2 ranks, a grid search in one process and on a Dask cluster,
and training from a memmap under a memory limit.

``mpi``: MNIST-shaped data (60,000 x 784, float32), MLP 784-256-128-10, Adam,
global batch 256, 2 epochs, through ``mpiexec -n K`` with K = 1 and 2, the
runs alternating; each rank uses its share of the cores (one BLAS thread with
two ranks on two cores). Prints samples per second and the speed-up. PyTorch's
peer, DistributedDataParallel over gloo, is not measured here.

``dask``: GridSearchCV over 2 x 2 settings x 3 folds on the 1,797 digits,
for GlassnetClassifier and scikit-learn's MLPClassifier with the same
settings, each with ``n_jobs=1`` and on a ``LocalCluster(n_workers=2,
threads_per_worker=1)`` under joblib's "dask" backend, alternating. Prints
wall times and whether the scores agree.

``memmap``: a float32 file of MNIST's images repeated 8 times (480,000 x 784,
1.4 GiB) trained for one epoch from a memmap by a process allowed 320 MiB
(RLIMIT_DATA, as ``prlimit --data`` sets), and again loaded in memory without
the limit. Prints time, peak memory, and whether the weights agree.

``pixels``: the fast MLP recipe (3 epochs) trained from MNIST's pixels held three ways: float32 in
memory, uint8 in memory read through a ``LazyRows`` that divides by 255 batch by batch, and the
uint8 memmap cache of ``load_mnist(memmap=...)``; fresh processes alternating. Prints training time,
peak memory, and whether the weights agree.

    python benchmarks/scaling.py mpi|dask|memmap|pixels [--repeats 3] [--mnist ../shared/data/mnist]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve()
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


# --- mpi ------------------------------------------------------------------------------------------
def mpi_child(epochs: int, n: int) -> None:
    import numpy as np
    from mpi4py import MPI

    import glassnet as gn

    comm = MPI.COMM_WORLD
    rng = np.random.default_rng(0)
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    model = gn.mlp([784, 256, 128, 10], rng=0)
    start = time.perf_counter()
    model.fit(X, y, loss="cross_entropy", optimizer="adam", batch_size=256, epochs=epochs, verbose=False,
              comm=comm if comm.Get_size() > 1 else None)
    seconds = time.perf_counter() - start
    if comm.Get_rank() == 0:
        print(json.dumps({"samples_per_s": n * epochs / seconds}))


def mpi(args: argparse.Namespace) -> None:
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    if not Path(mpiexec).exists():
        mpiexec = shutil.which("mpiexec") or "mpiexec"
    env = {**os.environ, **MPI_ENV}
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GLASSNET_THREADS"):
        env.pop(name, None)
    runs = {"1 rank, 1 thread": (1, "1"), "1 rank, all cores": (1, None), "2 ranks": (2, None)}
    results: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(args.repeats):
        for name, (k, threads) in runs.items():
            out = subprocess.run([mpiexec, "-n", str(k), "--bind-to", "none", sys.executable, str(HERE),
                                  "mpi-child", "--epochs", str(args.epochs), "--n", str(args.n)],
                                 capture_output=True, text=True,
                                 check=True, env={**env, **({"GLASSNET_THREADS": threads} if threads else {})}).stdout
            results[name].append(json.loads(out.strip().splitlines()[-1])["samples_per_s"])
        print(f"round {r + 1}: " + ", ".join(f"{n} {v[-1]:,.0f}/s" for n, v in results.items()), flush=True)
    median = {name: statistics.median(v) for name, v in results.items()}
    print(f"\nMLP 784-256-128-10, Adam, global batch 256, {args.epochs} epochs of {args.n:,}; samples/s, medians of "
          f"{args.repeats} (2 ranks: one BLAS thread each)")
    for name, value in median.items():
        print(f"{name:>18}: {value:9,.0f}  ({value / median['1 rank, 1 thread']:.2f} x one rank on one thread)")


# --- dask -----------------------------------------------------------------------------------------
def dask(args: argparse.Namespace) -> None:
    import joblib
    import numpy as np
    from distributed import Client, LocalCluster
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier

    from glassnet.sklearn import GlassnetClassifier

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16
    grid = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}
    estimators = {"glassnet": GlassnetClassifier, "scikit-learn": MLPClassifier}
    times: dict[tuple[str, str], list[float]] = {}
    scores: dict[tuple[str, str], np.ndarray] = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        for r in range(args.repeats):
            for name, cls in estimators.items():
                for where in ("n_jobs=1", "dask"):
                    search = GridSearchCV(cls((64,), max_iter=150, batch_size=64, random_state=0), grid, cv=3)
                    start = time.perf_counter()
                    if where == "dask":
                        with joblib.parallel_backend("dask"):
                            search.fit(X, y)
                    else:
                        search.fit(X, y)
                    times.setdefault((name, where), []).append(time.perf_counter() - start)
                    scores[name, where] = search.cv_results_["mean_test_score"]
            print(f"round {r + 1}: " + ", ".join(f"{n} {w} {v[-1]:.2f}s" for (n, w), v in times.items()), flush=True)
    print(f"\nGridSearchCV, 2 x 2 settings x 3 folds, MLP (64,), 150 epochs, digits; LocalCluster(n_workers=2, "
          f"threads_per_worker=1); medians of {args.repeats}")
    for name in estimators:
        one, dist = statistics.median(times[name, "n_jobs=1"]), statistics.median(times[name, "dask"])
        same = np.array_equal(scores[name, "n_jobs=1"], scores[name, "dask"])
        print(f"{name:>13}: n_jobs=1 {one:6.2f} s, dask {dist:6.2f} s, speed-up {one / dist:.2f}; "
              f"same scores: {same}")
    g, s = statistics.median(times["glassnet", "dask"]), statistics.median(times["scikit-learn", "dask"])
    print(f"glassnet / scikit-learn wall time on the cluster: {g / s:.2f}")


# --- memmap ---------------------------------------------------------------------------------------
def memmap_child(path: str, rows: int, mode: str) -> None:
    import numpy as np

    import glassnet as gn

    X = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, 784))
    if mode == "memory":
        X = np.array(X)
    y = np.tile(np.load(path + ".labels.npy"), rows // 60000)
    model = gn.mlp([784, 256, 128, 10], rng=0)
    start = time.perf_counter()
    h = model.fit(X, y, loss="cross_entropy", optimizer="adam", batch_size=256, epochs=1, validation_split=0.05,
                  verbose=False, threads=1)
    status = Path("/proc/self/status").read_text()
    print(json.dumps({"seconds": time.perf_counter() - start, "val_accuracy": h["val_accuracy"][-1],
                      "params_sum": float(np.abs(model.params).sum()),
                      "params": model.params[::997].tolist(),
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_anon_mib": int(status.split("RssAnon:")[1].split()[0]) / 1024}))


def memmap(args: argparse.Namespace) -> None:
    import numpy as np

    from glassnet.datasets import load_mnist

    train, _ = load_mnist(args.mnist)
    copies, limit = 8, 320 * 2**20
    rows = 60000 * copies
    with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
        path = os.path.join(folder, "mnist-x8.f32")
        with open(path, "wb") as f:
            for _ in range(copies):
                train.X.astype(np.float32).tofile(f)
        np.save(path + ".labels.npy", train.y)
        size = os.path.getsize(path)

        def bounded() -> None:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        runs = {}
        for mode, preexec in (("memmap", bounded), ("memory", None)):
            out = subprocess.run([sys.executable, str(HERE), "memmap-child", path, str(rows), mode],
                                 capture_output=True, text=True, env=env, preexec_fn=preexec)
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            runs[mode] = json.loads(out.stdout)
    print(f"\n{rows:,} x 784 float32 = {size / 2**30:.2f} GiB; one epoch, Adam, batch 256, 1 BLAS thread")
    for mode, r in runs.items():
        bound = f"RLIMIT_DATA {limit / 2**20:.0f} MiB" if mode == "memmap" else "no limit"
        print(f"{mode:>7} ({bound}): {r['seconds']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB (mapped pages of "
              f"the file included), anonymous memory at the end {r['rss_anon_mib']:.0f} MiB, "
              f"validation accuracy {r['val_accuracy']:.4f} (its rows repeat training pictures)")
    print(f"same weights: {runs['memmap']['params'] == runs['memory']['params']}; "
          f"file / memory allowed = {size / limit:.1f}")


# --- pixels ---------------------------------------------------------------------------------------
PIXELS = ("float32 in memory", "uint8 in memory", "uint8 memmap")


def pixels_child(mnist: str, source: str, cache: str, n: str) -> None:
    import numpy as np

    import glassnet as gn
    from glassnet.core.rows import LazyRows
    from glassnet.datasets import load_mnist

    train, _ = load_mnist(mnist, memmap=cache)  # X: a LazyRows over the uint8 memmap
    rows = np.arange(min(int(n), len(train)))
    X = {"float32 in memory": lambda: train.X[rows],
         "uint8 in memory": lambda: LazyRows(np.array(train.X.source[rows]), np.float32, divisor=255.0),
         "uint8 memmap": lambda: train.X.subset(rows)}[source]()
    recipe = gn.recipes.FAST["mlp"]
    model = recipe.build(rng=0)
    start = time.perf_counter()
    recipe.fit(model, X, train.y[rows], verbose=False)
    print(json.dumps({"seconds": time.perf_counter() - start, "params": model.params[::997].tolist(),
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def pixels(args: argparse.Namespace) -> None:
    from glassnet.datasets import load_mnist

    runs: dict[str, list[dict]] = {source: [] for source in PIXELS}
    with tempfile.TemporaryDirectory() as cache:
        load_mnist(args.mnist, memmap=cache)  # the uint8 files, written once
        for _ in range(args.repeats):
            for source in PIXELS:
                out = subprocess.run([sys.executable, str(HERE), "pixels-child", args.mnist, source, cache,
                                      str(args.n)], capture_output=True, text=True, check=True)
                runs[source].append(json.loads(out.stdout.splitlines()[-1]))
    base = statistics.median(r["seconds"] for r in runs[PIXELS[0]])
    print(f"\nthe fast MLP recipe, 3 epochs; median of {args.repeats} fresh processes each, alternating")
    reference = runs[PIXELS[0]][0]["params"]
    for source, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        same = ("the reference" if source == PIXELS[0]
                else f"same weights as float32's: {all(r['params'] == reference for r in rs)}")
        print(f"{source:>18}: {seconds:.2f} s ({seconds / base:.2f} of float32's), peak RSS "
              f"{statistics.median(r['peak_rss_mib'] for r in rs):.0f} MiB, {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["mpi", "dask", "memmap", "pixels", "mpi-child", "memmap-child",
                                         "pixels-child"])
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=60000, help="rows of the mpi and pixels benchmarks' data")
    parser.add_argument("--mnist", default=str(HERE.parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--tmp", help="folder for the memmap benchmark's 1.4 GiB file (default: the system's)")
    args = parser.parse_args()
    if args.what == "mpi-child":
        mpi_child(args.epochs, args.n)
    elif args.what == "memmap-child":
        memmap_child(args.rest[0], int(args.rest[1]), args.rest[2])
    elif args.what == "pixels-child":
        pixels_child(*args.rest)
    else:
        {"mpi": mpi, "dask": dask, "memmap": memmap, "pixels": pixels}[args.what](args)


if __name__ == "__main__":
    main()
