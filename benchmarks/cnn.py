"""The default conv net: training and prediction throughput, glassnet against PyTorch on the CPU, in one run.

Workload: ``glassnet.cnn()`` (conv 32 and conv 64 3x3 "same", each followed by
2x2 max-pooling, batch norm and ReLU; dense 128; 10 logits; float32) and the
same network in PyTorch, with Adam (lr 0.001) and softmax cross-entropy, on
images of MNIST's shape (synthetic, or real MNIST with --mnist DIR). With
``--recipe``, the fast recipe's conv net instead (conv 16 and 32, dense 64),
at its batch size (64) and learning rate, PyTorch's twin starting from the same
weights: the speedrun's training step, without its minutes to 99 %. Each
measurement runs in a fresh process, the libraries alternate, and each
process reports the median of its timed passes after a warm-up. The parent
prints medians over the repetitions and the ratio glassnet / PyTorch
(above 1: glassnet is faster), and glassnet / another source tree's glassnet
with ``--baseline``.

    python benchmarks/cnn.py                 # 3 repetitions
    python benchmarks/cnn.py --quick         # 1 repetition, fewer samples
    python benchmarks/cnn.py --recipe --baseline /tmp/before/src   # the recipe's step, before and after

Threads: both libraries get the same count (``--threads N``, or the count glassnet would choose when the run
starts), passed to ``fit(threads=)`` and ``torch.set_num_threads`` and printed in the header.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from _args import counting, source_tree
from speedrun import installed, torch_twin  # beside this script


def make_data(mnist: str | None, n: int):
    if mnist:
        from glassnet.datasets import load_mnist

        train, _ = load_mnist(mnist)
        return train.X[:n].reshape(-1, 1, 28, 28), train.y[:n]
    r = np.random.default_rng(0)
    return r.random((n, 1, 28, 28), dtype=np.float32), r.integers(0, 10, n)


def network(recipe: bool):
    """The glassnet model and Adam's learning rate: the default conv net, or the fast recipe's."""
    import glassnet as gn

    if recipe:
        return gn.recipes.FAST["cnn"].build(rng=0), gn.recipes.FAST["cnn"].lr
    return gn.cnn(rng=0), 0.001


def glassnet_worker(task: str, bs: int, passes: int, X, y, recipe: bool = False, threads: int = 1) -> dict:
    import glassnet as gn

    model, lr = network(recipe)
    if task == "predict":
        return time_passes(lambda: [model.predict(X[s:s + bs]) for s in range(0, len(X), bs)], passes, len(X))
    optimizer = gn.Adam(lr)
    seconds: list[float] = []

    class Epoch(gn.Callback):  # from the call to fit to the epoch's end: not the scoring fit does after it
        def on_epoch_end(self, run, epoch, logs):
            seconds.append(time.perf_counter() - start)

    def epoch():
        nonlocal start
        start = time.perf_counter()
        model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, batch_size=bs, verbose=False,
                  callbacks=[Epoch()], threads=threads)

    start = 0.0
    epoch()  # warm-up: buffers, thread pools, caches
    for _ in range(passes):
        epoch()
    return {"samples_per_s": len(X) / statistics.median(seconds[1:])}


def torch_worker(task: str, bs: int, passes: int, X, y, recipe: bool = False, threads: int = 1) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn
    lr = 0.001
    if recipe:
        model, lr = network(True)
        net = torch_twin(model)
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(32),
                            nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.MaxPool2d(2),
                            nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(),
                            nn.Linear(128, 10))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    if task == "predict":
        net.eval()

        def predict_all():
            with torch.inference_mode():
                for s in range(0, len(X), bs):
                    net(Xt[s:s + bs]).numpy()
        return time_passes(predict_all, passes, len(X))
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(len(X))
        for s in range(0, len(X), bs):
            idx = perm[s:s + bs]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(Xt[idx]), yt[idx]).backward()
            optimizer.step()
    return time_passes(epoch, passes, len(X))


def time_passes(work, passes: int, n: int) -> dict:
    work()  # warm-up: buffers, thread pools, caches
    times = []
    for _ in range(passes):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return {"samples_per_s": n / statistics.median(times)}


def measure(lib: str, task: str, bs: int, args) -> float | None:
    cmd = [sys.executable, __file__, "--worker", lib, task, str(bs), "--n", str(args.n), "--passes", str(args.passes),
           "--threads", str(args.threads)]
    if args.mnist:
        cmd += ["--mnist", args.mnist]
    if args.recipe:
        cmd.append("--recipe")
    # the BLAS's bound as well: predict takes no thread count, and PyTorch is held to the same one
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
    if lib == "baseline":  # another source tree's glassnet
        env["PYTHONPATH"] = os.pathsep.join(p for p in (args.baseline, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"  {lib} {task} {bs}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])["samples_per_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repetition on 2,560 samples")
    parser.add_argument("--n", type=counting(), default=None, help="samples (default 10,240; 2,560 with --quick)")
    parser.add_argument("--passes", type=counting(), default=2, help="timed passes per process")
    parser.add_argument("--repeat", type=counting(), default=None, help="processes per library and task (default 3)")
    parser.add_argument("--mnist", help="a folder with MNIST's files, for real images")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--recipe", action="store_true",
                        help="the fast recipe's conv net, batch size and learning rate instead of glassnet.cnn()'s")
    parser.add_argument("--baseline", type=source_tree,
                        help="another glassnet's src folder, measured as the library 'baseline'")
    parser.add_argument("--threads", type=counting(), help="threads for every library (default: glassnet's own choice)")
    parser.add_argument("--libs", default="glassnet,torch", help="glassnet, and torch if installed (the default)")
    parser.add_argument("--worker", nargs=3, metavar=("LIB", "TASK", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.n = args.n or (2560 if args.quick else 10240)
    if args.worker:
        lib, task, bs = args.worker
        X, y = make_data(args.mnist, args.n)
        work = {"glassnet": glassnet_worker, "baseline": glassnet_worker, "torch": torch_worker}[lib]
        print(json.dumps(work(task, int(bs), args.passes, X, y, args.recipe, args.threads)))
        return 0
    repeat = args.repeat or (1 if args.quick else 3)
    wanted = args.libs.split(",")
    if unknown := [lib for lib in wanted if lib not in ("glassnet", "torch")]:
        parser.error(f"--libs: {', '.join(unknown)} is none of glassnet, torch")
    libs = ["glassnet"] + (["baseline"] if args.baseline else [])
    if "torch" in wanted and installed("torch"):  # found, not imported: its workers import it
        libs.append("torch")
    elif "torch" in wanted:
        print("PyTorch is not installed: glassnet alone (pip install torch==2.13.0 --index-url "
              "https://download.pytorch.org/whl/cpu)")
    import glassnet
    from glassnet.core.threads import auto_threads

    args.threads = args.threads or auto_threads()  # one count for every library, fixed for the whole run
    net = "the fast recipe's conv net" if args.recipe else "glassnet.cnn()"
    print(f"glassnet {glassnet.__version__}, NumPy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {args.threads} threads for each library; {net}; {args.n} samples, {repeat} "
          f"processes per cell, alternating")
    rows = []
    train_batch = glassnet.recipes.FAST["cnn"].batch_size if args.recipe else 128
    for task, bs in (("train", train_batch), ("predict", 1000)):
        samples: dict[str, list[float]] = {lib: [] for lib in libs}
        for _ in range(repeat):
            for lib in libs:
                value = measure(lib, task, bs, args)
                if value is not None:
                    samples[lib].append(value)
        medians = {lib: statistics.median(v) for lib, v in samples.items() if v}
        ratios = {f"glassnet/{lib}": medians.get("glassnet", 0) / medians[lib] for lib in libs[1:] if lib in medians}
        rows.append({"task": task, "batch": bs, **medians, **ratios})
        print(f"{task:>8} batch {bs:>4}: " + "  ".join(f"{lib} {v:8.0f} samples/s" for lib, v in medians.items())
              + "".join(f"  {name} {ratio:.2f}" for name, ratio in ratios.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
