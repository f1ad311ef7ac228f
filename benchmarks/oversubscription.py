"""Training beside other trainings: the cost of too many BLAS threads, and what ``threads`` does about it.

One training is timed alone ("idle") and beside two copies of itself that
train without pause ("busy"), all three with the same thread setting. The
training is ``glassnet train``'s default network on the 8x8 digits (Adam,
batch 32), or with ``--workload mnist`` an MLP 784-256-128-10 on
MNIST-shaped data (batch 128), float32. The settings:

- ``threads=K`` with K the cores: every process uses all cores, as OpenBLAS
  does by default and as glassnet did before it had a ``threads`` setting;
- the default (``threads=None``): the cores free when training starts;
- ``threads=1``.

Each run is a fresh process; idle and busy runs alternate. Beside two
others on C cores, a run's fair share of the machine is C / 3 of it, so its
fair time is its idle time times 3 / C (1.5 on two cores); the target is at
most 1.2 times that: 1.8 times the idle time of the default setting. The
environment's BLAS variables are cleared in the children, so that each
setting speaks for itself.

    python benchmarks/oversubscription.py [--workload digits|mnist] [--repeats 3] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _args import counting

CLEARED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GLASSNET_THREADS")


#: the network and batch size of each workload: digits is `glassnet train`'s default run, small products
#: that two threads barely speed up; mnist has products large enough for two threads to pay
WORKLOADS = {"digits": ([64, 256, 128, 10], 32), "mnist": ([784, 256, 128, 10], 128)}


def data(workload: str, n: int):
    import numpy as np
    if workload == "digits":
        from sklearn.datasets import load_digits
        X, y = load_digits(return_X_y=True)
        return (X / 16).astype(np.float32), y
    rng = np.random.default_rng(0)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def train(workload: str, threads: int | None, n: int, epochs: int, forever: bool) -> None:
    """One timed training (or trainings without end, for the load); prints the seconds of fit."""
    import glassnet as gn

    X, y = data(workload, n)
    sizes, batch_size = WORKLOADS[workload]
    while True:
        model = gn.mlp(sizes, rng=0)
        start = time.perf_counter()
        model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=1e-3, batch_size=batch_size, epochs=epochs,
                  threads=threads, verbose=False)
        seconds = time.perf_counter() - start
        if not forever:
            print(json.dumps({"seconds": seconds}))
            return


def child(args: argparse.Namespace, threads: str, forever: bool) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    cmd = [sys.executable, __file__, "--child", threads, "--workload", args.workload, "--n", str(args.n),
           "--epochs", str(args.epochs)]
    if forever:
        cmd.append("--forever")
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def timed(args: argparse.Namespace, threads: str, busy: bool) -> float:
    load = [child(args, threads, forever=True) for _ in range(2)] if busy else []
    try:
        if load:
            time.sleep(args.warmup)  # the load's imports are done and its training runs
        out, _ = child(args, threads, forever=False).communicate()
    finally:
        for p in load:
            p.kill()
            p.wait()
    return json.loads(out)["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=counting(), default=3)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="digits")
    parser.add_argument("--n", type=int, default=30000, help="samples of the mnist workload")
    parser.add_argument("--epochs", type=int, help="digits 30, mnist 3")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds the load runs before the timed run")
    parser.add_argument("--settings", default="all,default,1",
                        help="comma-separated: all (every core), default, or a thread count")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--forever", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 30 if args.workload == "digits" else 3
    if args.child is not None:
        train(args.workload, None if args.child == "default" else int(args.child), args.n, args.epochs,
              args.forever)
        return

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    settings = [str(cores) if s == "all" else s for s in args.settings.split(",")]
    times: dict[tuple[str, bool], list[float]] = {(s, b): [] for s in settings for b in (False, True)}
    for r in range(args.repeats):
        for s in settings:
            for busy in (False, True):
                times[s, busy].append(timed(args, s, busy))
        print(f"round {r + 1}/{args.repeats}: " + ", ".join(
            f"{s} {'busy' if b else 'idle'} {v[-1]:.2f}s" for (s, b), v in times.items()), flush=True)

    idle = statistics.median(times["default", False])
    fair = idle * 3 / cores
    sizes, batch_size = WORKLOADS[args.workload]
    print(f"\n{args.workload}: MLP {'-'.join(map(str, sizes))}, Adam, batch {batch_size}, {args.epochs} epochs; "
          f"{cores} cores; medians of {args.repeats}; "
          f"fair share beside two others = {3 / cores:.2f} x the default's idle time = {fair:.2f} s")
    print(f"{'threads':>10} {'idle s':>8} {'busy s':>8} {'busy/idle':>10} {'busy/fair':>10} {'busy/default idle':>18}")
    for s in settings:
        i, b = statistics.median(times[s, False]), statistics.median(times[s, True])
        name = f"{s} (all)" if s == str(cores) else s
        print(f"{name:>10} {i:8.2f} {b:8.2f} {b / i:10.2f} {b / fair:10.2f} {b / idle:18.2f}")


if __name__ == "__main__":
    main()
