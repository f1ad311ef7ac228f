"""The MNIST speedrun: time to 98 % (MLP) and 99 % (conv net) test accuracy, glassnet against PyTorch.

Both libraries train by the same recipe (``glassnet.recipes.FAST``): the same
network from the same starting weights (glassnet's, copied into PyTorch), Adam
with the same one-cycle rate set before every step, the same batch size and
epochs, softmax cross-entropy, float32. Each run is a fresh process; for every
seed the libraries alternate. The clock runs only while training: at the end
of each epoch it stops while the test set is scored; glassnet's starts at the
call to ``fit``, so that its own start (checks, the divergence guard's first
scoring, numba's kernels) counts, as PyTorch's first steps do. A run's time
to the target is the training time up to the first epoch whose test accuracy
reaches it; the ratios are given to the target (seeds where both reached it)
and for the whole run, paired by seed.

    python benchmarks/speedrun.py --mnist ../shared/data/mnist               # 5 seeds, MLP and conv net
    python benchmarks/speedrun.py --mnist ../shared/data/mnist --arch mlp    # the MLP only
    python benchmarks/speedrun.py --quick                                    # 1 seed, 2,000 samples

Threads: both libraries get the same count, printed in the header and in each line: ``--threads N``, or
the count glassnet would choose when the run starts (``glassnet.core.threads.auto_threads``), given to
``fit(threads=)`` and ``torch.set_num_threads`` alike; each worker reports the count it trained with.
PyTorch runs with its defaults otherwise (``torch.optim.Adam`` picks its own implementation).

On a GPU (``--device gpu``: glassnet on CuPy, PyTorch on CUDA) each process
trains twice: the first run pays for compiling the GPU's kernels and warming
its memory pool and is reported as the warm-up; the second, from the same
weights, is the one timed. The clock waits for the GPU to finish before it
reads. The recipe is the CPU's; ``--batch-size`` tries another (a GPU is
idle between the small steps of batch 128, so larger batches may reach the
target sooner).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _args import counting

TARGET = {"mlp": 0.98, "cnn": 0.99}
LIMIT = {"mlp": 3.0, "cnn": 90.0}  # seconds of training the issue allows on the 2-core machine
GPU_LIMIT = {"mlp": 1.0, "cnn": 5.0}  # and on one GPU


def load(mnist: str | None, n: int | None, n_test: int | None = None):
    from glassnet.datasets import load_mnist

    train, test = load_mnist(mnist) if mnist else load_mnist()
    X, y = (train.X, train.y) if n is None else (train.X[:n], train.y[:n])
    return X, y, test.X[:n_test], test.y[:n_test]


def recipe_for(arch: str, epochs: int | None, batch_size: int | None):
    import glassnet as gn

    changes = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size)) if v is not None}
    return gn.recipes.FAST[arch].with_(**changes)


def twice_on_a_gpu(work):
    """On a GPU, run ``work`` twice in one process: a warm-up, then the timed run."""
    def run(arch, seed, epochs, data, device="cpu", batch_size=None, threads=None):
        first = work(arch, seed, epochs, data, device, batch_size, threads)
        if device == "cpu":
            return first
        return {**work(arch, seed, epochs, data, device, batch_size, threads), "warmup_curve": first["curve"]}
    return run


@twice_on_a_gpu
def glassnet_worker(arch: str, seed: int, epochs: int | None, data, device: str = "cpu",
                    batch_size: int | None = None, threads: int | None = None) -> dict:
    import glassnet as gn

    recipe = recipe_for(arch, epochs, batch_size)
    X, y, Xt, yt = data
    if arch == "cnn":
        X, Xt = X.reshape(-1, 1, 28, 28), Xt.reshape(-1, 1, 28, 28)
    model = recipe.build(rng=seed).to(device)
    clock = {"train": 0.0, "curve": [], "threads": None}

    def finish():  # the GPU's queue drained, so that the clock reads the work done
        if model.xp is not np:
            model.xp.cuda.Device().synchronize()

    class Clock(gn.Callback):  # training time only: the clock stops while the test set is scored
        t = 0.0

        def on_train_begin(self, run):  # inside fit's bound on the BLAS's threads: the count it trains with
            from threadpoolctl import threadpool_info

            clock["threads"] = max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"),
                                   default=None)

        def on_epoch_end(self, run, epoch, logs):
            finish()
            clock["train"] += time.perf_counter() - self.t
            acc = float(np.mean(gn.arrays.to_numpy(model.predict_classes(Xt)) == yt))
            clock["curve"].append((clock["train"], acc))
            self.t = time.perf_counter()

    timer = Clock()
    timer.t = time.perf_counter()  # from the call: fit's own start (checks, the guard's scoring, numba) counts
    recipe.fit(model, X, y, callbacks=[timer], verbose=False, threads=threads)
    return {"curve": clock["curve"], "threads": clock["threads"]}


@twice_on_a_gpu
def torch_worker(arch: str, seed: int, epochs: int | None, data, device: str = "cpu",
                 batch_size: int | None = None, threads: int | None = None) -> dict:
    import torch

    torch.set_num_threads(threads or os.cpu_count() or 1)  # the count glassnet is given
    torch.manual_seed(seed)
    recipe = recipe_for(arch, epochs, batch_size)
    X, y, Xt, yt = data
    if arch == "cnn":
        X, Xt = X.reshape(-1, 1, 28, 28), Xt.reshape(-1, 1, 28, 28)
    where = "cpu" if device == "cpu" else "cuda" + device[3:]  # gpu:1 -> cuda:1

    def finish():
        if where != "cpu":
            torch.cuda.synchronize()

    net = torch_twin(recipe.build(rng=seed)).to(where)
    optimizer = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    schedule = recipe.schedule()
    steps = math.ceil(len(X) / recipe.batch_size)
    # LambdaLR multiplies the base rate by this before step k (counted over the run), as glassnet's loop does
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: schedule.rate(1.0, k / steps))
    loss_fn = torch.nn.CrossEntropyLoss()
    Xtr, ytr, Xte = (torch.from_numpy(a).to(where) for a in (X, y, Xt))
    train_time, curve = 0.0, []
    for _ in range(recipe.epochs):
        finish()
        t = time.perf_counter()
        net.train()
        perm = torch.randperm(len(X), device=where)
        for s in range(0, len(X), recipe.batch_size):
            idx = perm[s:s + recipe.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(Xtr[idx]), ytr[idx]).backward()
            optimizer.step()
            scheduler.step()
        finish()
        train_time += time.perf_counter() - t
        net.eval()
        with torch.inference_mode():
            pred = torch.cat([net(Xte[s:s + 1000]).argmax(1) for s in range(0, len(Xt), 1000)]).cpu().numpy()
        curve.append((train_time, float(np.mean(pred == yt))))
    return {"curve": curve, "threads": torch.get_num_threads()}


def torch_twin(model):
    """The PyTorch network with ``model``'s layers and weights (glassnet's Dense keeps W as (in, out))."""
    import torch

    import glassnet as gn

    nn, layers = torch.nn, []
    dtype = torch.float64 if model.dtype == np.float64 else torch.float32
    for layer in model.layers:
        p = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in layer.params.items()}
        if isinstance(layer, gn.Dense):
            t = nn.Linear(*layer.params["W"].shape, bias="b" in p, dtype=dtype)
            t.weight.data.copy_(p["W"].T)
        elif isinstance(layer, gn.Conv2D):
            t = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, padding="same", bias="b" in p,
                          dtype=dtype)
            t.weight.data.copy_(p["W"])
        elif isinstance(layer, gn.BatchNorm):
            t = nn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum, dtype=dtype)
            t.weight.data.copy_(p["gamma"])
            t.bias.data.copy_(p["beta"])
            layers.append(t)
            continue
        elif isinstance(layer, gn.MaxPool2D):
            t = nn.MaxPool2d(2)
        elif isinstance(layer, gn.ReLU):
            t = nn.ReLU()
        elif isinstance(layer, gn.Flatten):
            t = nn.Flatten()
        else:
            raise TypeError(f"no PyTorch twin for {layer!r}")
        if "b" in p:
            t.bias.data.copy_(p["b"])
        layers.append(t)
    return nn.Sequential(*layers)


def reached(curve, target: float) -> float | None:
    """Training seconds to the first epoch at or above ``target``, or None."""
    return next((t for t, acc in curve if acc >= target), None)


def measure(lib: str, arch: str, seed: int, args) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", lib, arch, str(seed)]
    for option in ("mnist", "n", "n_test", "epochs", "device", "batch_size", "threads"):
        if getattr(args, option) is not None:
            cmd += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(lib))
    if proc.returncode != 0:
        print(f"  {lib} {arch} seed {seed}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def worker_env(lib: str) -> dict:
    """The worker's environment: "glassnet-numpy" is glassnet with its compiled kernels off."""
    return {**os.environ, **({"GLASSNET_ACCELERATE": "0"} if lib == "glassnet-numpy" else {})}


def environment(device: str = "cpu") -> str:
    import glassnet

    versions = [f"glassnet {glassnet.__version__}", f"numpy {np.__version__}"]
    if installed("torch"):  # its version from its metadata: importing it costs the parent 1.5 s
        versions.append(f"torch {version_of('torch')}")
        if device != "cpu":
            try:
                import torch
            except ImportError:
                torch = None
            if torch is not None and torch.cuda.is_available():
                versions.append(f"CUDA {torch.version.cuda} on {torch.cuda.get_device_name()}")
    if device != "cpu":
        versions.append(f"cupy {glassnet.arrays.gpu_library().__version__}")
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores; {', '.join(versions)}"  # the workers' threads: the header's count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_mnist = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"
    parser.add_argument("--mnist", default=str(default_mnist) if default_mnist.is_dir() else None,
                        help="folder with MNIST's four files (default ../shared/data/mnist if present, else download)")
    parser.add_argument("--arch", default="mlp,cnn", help="mlp, cnn or both (default)")
    parser.add_argument("--seeds", type=counting(), default=5, help="seeds 0..K-1 (default 5)")
    parser.add_argument("--libs", default="glassnet,torch",
                        help="of glassnet, glassnet-numpy (its compiled kernels off) and torch (those installed)")
    parser.add_argument("--n", type=counting(), help="train on the first N training images only")
    parser.add_argument("--n-test", type=counting(), help="score on the first N test images only (smoke runs)")
    parser.add_argument("--epochs", type=counting(), help="change the recipe's epochs (smoke runs)")
    parser.add_argument("--quick", action="store_true",
                        help="1 seed, 2,000 training and 1,000 test images, 1 epoch: a smoke run")
    parser.add_argument("--device", default="cpu",
                        help="cpu (default), or gpu / gpu:N: glassnet on CuPy and PyTorch on CUDA")
    parser.add_argument("--batch-size", type=int, help="change the recipe's batch size")
    parser.add_argument("--threads", type=counting(),
                        help="threads for both libraries (default: the cores glassnet would take, PyTorch's too)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", nargs=3, metavar=("LIB", "ARCH", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for flag, given, known in (("--arch", args.arch, TARGET), ("--libs", args.libs, ("glassnet", "glassnet-numpy",
                                                                                      "torch"))):
        if unknown := [v for v in given.split(",") if v not in known]:
            parser.error(f"{flag}: {', '.join(unknown)} is none of {', '.join(known)}")
    if args.worker:
        lib, arch, seed = args.worker
        work = {"glassnet": glassnet_worker, "glassnet-numpy": glassnet_worker, "torch": torch_worker}[lib]
        data = load(args.mnist, args.n, args.n_test)
        result = work(arch, int(seed), args.epochs, data, args.device, args.batch_size, args.threads)
        # the process's peak resident memory: data, library, and numba's compiler where a kernel ran
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0
    if args.device != "cpu":
        import glassnet

        try:
            glassnet.arrays.resolve_device(args.device)
        except glassnet.GlassnetError as exc:
            print(f"speedrun.py: error: {exc}", file=sys.stderr)
            return 2
    if args.quick:
        args.seeds, args.n, args.epochs = 1, args.n or 2000, args.epochs or 1
        args.n_test = args.n_test or 1000
    if args.threads is None:  # one count for both libraries, glassnet's own choice, fixed for the whole run
        from glassnet.core.threads import auto_threads

        args.threads = auto_threads()
    libs = [lib for lib in args.libs.split(",") if lib.startswith("glassnet") or installed(lib)]
    if "torch" in args.libs and "torch" not in libs:
        print("PyTorch is not installed: glassnet alone (pip install torch==2.13.0 --index-url "
              "https://download.pytorch.org/whl/cpu)")
    print(f"# {environment(args.device)}; {args.threads} threads for each library" +
          ("" if args.device == "cpu" else f"; on {args.device}, warm (each process's second run)"))
    results: dict = {}
    failed = 0
    for arch in args.arch.split(","):
        target = TARGET[arch]
        print(f"\n{arch}: time to {target:.0%} test accuracy, seconds of training (final accuracy)")
        for seed in range(args.seeds):
            line = f"  seed {seed}"
            for lib in libs:  # alternating, one fresh process each
                r = measure(lib, arch, seed, args)
                if r is None:
                    failed += 1
                    continue
                hit = reached(r["curve"], target)
                results.setdefault(arch, {}).setdefault(lib, []).append({"seed": seed, "to_target": hit, **r})
                line += f"   {lib} " + (f"{hit:6.2f} s" if hit is not None else "   not  ") + \
                        f" ({r['curve'][-1][1]:.2%}, all {r['curve'][-1][0]:.2f} s, {r.get('threads')} threads)"
                if "warmup_curve" in r:
                    warm = reached(r["warmup_curve"], target)
                    line += f" [warm-up {'not' if warm is None else f'{warm:.2f} s'}]"
            print(line, flush=True)
        runs = results.get(arch, {})
        limit = (LIMIT if args.device == "cpu" else GPU_LIMIT)[arch]
        summary = {}
        for lib, rs in runs.items():
            hits = [r["to_target"] for r in rs]
            summary[lib] = statistics.median(r["curve"][-1][0] for r in rs)
            ok = len(hits) == args.seeds and all(h is not None and h <= limit for h in hits)  # a failed seed fails
            found = [h for h in hits if h is not None]
            print(f"  {lib}: {sum(h is not None for h in hits)} of {len(hits)} seeds reached {target:.0%}; "
                  f"slowest {max(found, default=float('nan')):.2f} s; median to {target:.0%} "
                  f"{statistics.median(found) if found else float('nan'):.2f} s (of the seeds that reached it); "
                  f"median whole run {summary[lib]:.2f} s; every seed within {limit:g} s: {'yes' if ok else 'no'}; "
                  f"peak memory {statistics.median(r['peak_rss_mib'] for r in rs):.0f} MiB")
        for other, words in (("torch", "PyTorch's time"), ("glassnet-numpy", "glassnet's without its kernels")):
            if other in summary and "glassnet" in summary:
                print(f"  {words} / glassnet's, same recipe, seed by seed (the median of these ratios is not the "
                      "ratio of the medians above):")
                for name, ratios in paired_ratios(runs["glassnet"], runs[other]).items():
                    shown = ", ".join("-" if r is None else f"{r:.2f}" for r in ratios)
                    found = [r for r in ratios if r is not None]
                    print(f"    {name}: {shown}; median {statistics.median(found) if found else float('nan'):.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": environment(args.device), "device": args.device, "threads": args.threads,
                       "results": results}, f, indent=1)
    if failed:
        print(f"speedrun.py: {failed} worker(s) failed (above)", file=sys.stderr)
    return 1 if failed else 0


def paired_ratios(mine: list[dict], theirs: list[dict]) -> dict[str, list[float | None]]:
    """The other library's time over glassnet's, seed by seed (paired by seed, not by position): to the target
    where both reached it (None where either did not), and for the whole run."""
    by_seed = {r["seed"]: r for r in theirs}
    pairs = [(g, by_seed[g["seed"]]) for g in mine if g["seed"] in by_seed]
    to_target = [None if g["to_target"] is None or t["to_target"] is None else t["to_target"] / g["to_target"]
                 for g, t in pairs]
    return {"to the target": to_target, "the whole run": [t["curve"][-1][0] / g["curve"][-1][0] for g, t in pairs]}


def installed(name: str) -> bool:
    """Whether a module is installed, found without importing it (the worker that imports it says if it fails)."""
    return importlib.util.find_spec(name) is not None


def version_of(distribution: str) -> str:
    """An installed distribution's version from its metadata, or "?" where it has none."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
