"""The whole command against what a PyTorch user would run: time to 98 % on MNIST, start to finish.

glassnet's side is the command a user types, ``glassnet train --dataset mnist --recipe fast``, timed from
outside its process: the interpreter's start, the imports, reading MNIST, training, scoring the training
and test sets, drawing the two pictures and writing the model. Its test accuracy is read from what it
prints. It runs twice a round, with the compiled kernels on and off (``GLASSNET_ACCELERATE=0``).

PyTorch's side is what its tutorials teach: the same layer widths from PyTorch's own initialization, plain
``torch.optim.Adam(lr=1e-3)``, batch 128, shuffled every epoch, scored on the test set after each epoch,
until it reaches 98 %. Its time is the training alone (the clock stops while it scores); the whole of its
process, imports and loading included, is shown beside it.

The three alternate in fresh processes, round after round. A first, untimed run of the command fills the
cache of MNIST's unzipped pixels, as a user's first run does.

    python benchmarks/command.py --mnist ../shared/data/mnist               # 5 rounds
    python benchmarks/command.py --mnist ../shared/data/mnist --quick       # a smoke run: 1 round, 1 epoch each
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _args import counting

TARGET = 0.98
MAX_EPOCHS = 30


def glassnet_command(mnist: str, out: str, accelerate: bool, epochs: int | None = None, threads: int = 1) -> dict:
    """One run of the command: its wall time from outside and the test accuracy it printed."""
    env = {**os.environ, **({} if accelerate else {"GLASSNET_ACCELERATE": "0"}), **bound(threads)}
    command = [sys.executable, "-m", "glassnet", "train", "--dataset", "mnist", "--data", mnist, "--recipe", "fast",
               "--out", out, "--threads", str(threads)] + ([] if epochs is None else ["--epochs", str(epochs)])
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - start
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", done.stdout).group(1)) / 100
    return {"wall": wall, "accuracy": accuracy}


def bound(threads: int) -> dict:
    """The environment that holds a process's BLAS, OpenMP and PyTorch to ``threads``."""
    return {"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}


def torch_worker(mnist: str, seed: int, max_epochs: int = MAX_EPOCHS) -> dict:
    """PyTorch's plain Adam on the recipe's widths, to 98 %: training seconds, epochs and the final accuracy."""
    import numpy as np
    import torch

    from glassnet.datasets import load_mnist
    from glassnet.recipes import FAST

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))
    torch.manual_seed(seed)
    train, test = load_mnist(mnist)
    widths = [784, *FAST["mlp"].hidden, 10]
    layers: list = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y, Xt = torch.from_numpy(train.X), torch.from_numpy(train.y), torch.from_numpy(test.X)
    seconds, accuracy, epochs = 0.0, 0.0, 0
    while accuracy < TARGET and epochs < max_epochs:
        epochs += 1
        t = time.perf_counter()
        net.train()
        perm = torch.randperm(len(X))
        for s in range(0, len(X), 128):
            idx = perm[s:s + 128]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(X[idx]), y[idx]).backward()
            optimizer.step()
        seconds += time.perf_counter() - t
        net.eval()
        with torch.inference_mode():
            accuracy = float(np.mean(net(Xt).argmax(1).numpy() == test.y))
    return {"training": seconds, "epochs": epochs, "accuracy": accuracy}


def torch_run(mnist: str, seed: int, max_epochs: int = MAX_EPOCHS, threads: int = 1) -> dict:
    """:func:`torch_worker` in a fresh process, with that process's whole wall time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--mnist", mnist, "--torch-worker", str(seed),
                           "--max-epochs", str(max_epochs)], capture_output=True, text=True, check=True,
                          env={**os.environ, **bound(threads)})
    return {**json.loads(done.stdout.splitlines()[-1]), "wall": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", required=True, help="a folder with MNIST's four files")
    parser.add_argument("--rounds", type=counting(), default=5)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 1 round, each side trains 1 epoch, no untimed first run")
    parser.add_argument("--max-epochs", type=counting(), default=MAX_EPOCHS, help="PyTorch's epochs at most")
    parser.add_argument("--threads", type=counting(), help="threads for both sides (default: glassnet's own choice)")
    parser.add_argument("--torch-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch_worker is not None:
        print(json.dumps(torch_worker(args.mnist, args.torch_worker, args.max_epochs)))
        return 0
    epochs = None
    if args.quick:
        args.rounds, args.max_epochs, epochs = 1, 1, 1
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speedrun import environment

    from glassnet.core.threads import auto_threads

    threads = args.threads or auto_threads()  # one count for both sides, for the whole run
    print(f"# {environment()}; {threads} threads for each side")
    with tempfile.TemporaryDirectory() as out:
        if not args.quick:
            glassnet_command(args.mnist, out, True, epochs, threads)  # fills the pixel cache, as a first run does
        rows = []
        for k in range(args.rounds):
            on = glassnet_command(args.mnist, out, True, epochs, threads)
            off = glassnet_command(args.mnist, out, False, epochs, threads)
            torch = torch_run(args.mnist, k, args.max_epochs, threads)
            rows.append((on, off, torch))
            print(f"round {k}: glassnet {on['wall']:.2f} s ({on['accuracy']:.2%}), kernels off {off['wall']:.2f} s "
                  f"({off['accuracy']:.2%}); PyTorch {torch['training']:.2f} s of training, {torch['epochs']} "
                  f"epochs ({torch['accuracy']:.2%}), {torch['wall']:.2f} s in all", flush=True)
    # a time to the target only where the target was reached: a round where either side stopped short of it (the
    # glassnet command at its recipe's epochs, PyTorch at --max-epochs) has none, and no ratio
    def to_target(k: int) -> list[float]:
        return [r[k]["wall" if k < 2 else "training"] for r in rows if r[k]["accuracy"] >= TARGET]

    def median_of(times: list[float]) -> str:
        return f"{statistics.median(times):.2f} s" if times else "none"

    on, off, torch = (to_target(k) for k in range(3))
    both = [r for r in rows if min(r[0]["accuracy"], r[2]["accuracy"]) >= TARGET]  # the two sides of a ratio
    ratios = [r[2]["training"] / r[0]["wall"] for r in both]
    print(f"median time to {TARGET:.0%}, of the rounds that reached it: glassnet's whole command {median_of(on)} "
          f"({len(on)} of {len(rows)}; kernels off {median_of(off)}, {len(off)}); PyTorch's training "
          f"{median_of(torch)} ({len(torch)})")
    median = f"{statistics.median(ratios):.2f}" if ratios else "none"
    print(f"PyTorch's training / glassnet's whole command, round by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {median}" + (f" ({len(rows) - len(both)} rounds without a ratio: glassnet's command or PyTorch "
                                f"stopped short of {TARGET:.0%})" if len(both) < len(rows) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
