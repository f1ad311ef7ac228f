"""Training and prediction throughput: glassnet against PyTorch and scikit-learn, in one run.

Workload: an MLP 784-256-128-10 (ReLU, softmax cross-entropy, float32) on
60,000 samples of MNIST's shape (synthetic, or real MNIST with --mnist DIR).
Each measurement runs in a fresh process (two libraries' thread pools in one
process slow each other), the libraries alternate, and each process reports
the median epoch after a warm-up epoch. The parent prints medians over the
repetitions and the ratios between libraries, plus the roofline: the eight
matrix products of one SGD training step (for predict, the three products of
the forward pass) timed alone at their shapes.

    python benchmarks/throughput.py                  # the full table
    python benchmarks/throughput.py --quick          # one repetition, batch 128 only
    python benchmarks/throughput.py --mnist ../shared/data/mnist --to-accuracy 0.98
    python benchmarks/throughput.py --baseline ../old/src   # also another glassnet checkout's src/
    python benchmarks/throughput.py --device gpu     # glassnet on CuPy beside PyTorch CUDA (device_table.py)

With ``--baseline``, a second glassnet (another commit's ``src`` folder, put
first on ``PYTHONPATH``) runs the same glassnet workload in processes that
alternate with the others: the column "baseline" and the ratio "gn/baseline"
compare the working tree with it in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from _args import counting, sizes, source_tree
from speedrun import installed, version_of  # beside this script: torch found, not imported

SIZES = [784, 256, 128, 10]


def make_data(mnist: str | None, n: int):
    if mnist:
        from glassnet.datasets import load_mnist

        train, test = load_mnist(mnist)
        return train.X[:n], train.y[:n], test.X, test.y
    r = np.random.default_rng(0)
    X = r.random((n, 784), dtype=np.float32)
    y = r.integers(0, 10, n)
    return X, y, X[:10000], y[:10000]


# --- one measurement per process -------------------------------------------------


def worker(lib: str, task: str, opt: str, bs: int, epochs: int, mnist: str | None, n: int) -> dict:
    X, y, Xt, yt = make_data(mnist, n)
    run = {"glassnet": glassnet_worker, "baseline": glassnet_worker, "glassnet-numpy": glassnet_worker,
           "torch": torch_worker,
           "sklearn": sklearn_worker, "roofline": roofline_worker}[lib]
    result = run(task, opt, bs, epochs, X, y, Xt, yt)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def time_predict(predict, X, bs: int, epochs: int) -> dict:
    """Predictions for all of ``X`` in batches of ``bs``: the median over ``epochs`` passes, after one call."""
    predict(X[:bs])
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        for s in range(0, X.shape[0], bs):
            predict(X[s:s + bs])
        times.append(time.perf_counter() - t)
    return {"samples_per_s": X.shape[0] / statistics.median(times)}


def lr_for(opt: str) -> float:
    return 0.01 if opt == "sgd" else 0.001


def glassnet_worker(task, opt, bs, epochs, X, y, Xt, yt):
    import glassnet as gn

    model = gn.mlp(SIZES, activation="relu", rng=0)
    if task == "predict":
        return time_predict(model.predict, X, bs, epochs)
    times, accs = [], []

    class Clock(gn.Callback):
        def on_epoch_begin(self, run, epoch):
            self.t = time.perf_counter()

        def on_epoch_end(self, run, epoch, logs):
            now = time.perf_counter()
            times.append(now - self.t)
            if task == "accuracy":  # the training time so far: the clock stops while the test set is scored
                accs.append((now - scoring[0], float(np.mean(model.predict_classes(Xt) == yt))))
                scoring[0] += time.perf_counter() - now

    start = time.perf_counter()
    scoring = [0.0]  # seconds spent scoring the test set, which no library's time to an accuracy counts
    model.fit(X, y, loss="cross_entropy", optimizer=opt, lr=lr_for(opt), epochs=epochs, batch_size=bs,
              callbacks=[Clock()], verbose=False, threads=threads())
    if task == "accuracy":
        return {"curve": [(t - start, a) for t, a in accs]}
    return {"samples_per_s": X.shape[0] / statistics.median(times[1:])}


def torch_worker(task, opt, bs, epochs, X, y, Xt, yt):
    import torch

    torch.set_num_threads(threads())
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10))
    Xtr, ytr = torch.from_numpy(X), torch.from_numpy(y)
    if task == "predict":
        with torch.inference_mode():
            return time_predict(lambda xb: net(xb).numpy(), Xtr, bs, epochs)
    optim = (torch.optim.SGD(net.parameters(), lr=lr_for(opt)) if opt == "sgd"
             else torch.optim.Adam(net.parameters(), lr=lr_for(opt)))
    loss_fn = torch.nn.CrossEntropyLoss()
    times, accs, start, scoring = [], [], time.perf_counter(), 0.0
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(X.shape[0])
        for s in range(0, X.shape[0], bs):
            idx = perm[s:s + bs]
            optim.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xtr[idx]), ytr[idx])
            loss.backward()
            optim.step()
        now = time.perf_counter()
        times.append(now - t)
        if task == "accuracy":  # the training time so far, as glassnet's: scoring is not counted
            with torch.inference_mode():
                pred = net(torch.from_numpy(Xt)).argmax(1).numpy()
            accs.append((now - start - scoring, float(np.mean(pred == yt))))
            scoring += time.perf_counter() - now
    if task == "accuracy":
        return {"curve": accs}
    return {"samples_per_s": X.shape[0] / statistics.median(times[1:])}


def sklearn_worker(task, opt, bs, epochs, X, y, Xt, yt):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(256, 128), solver=opt, batch_size=bs,
                        learning_rate_init=lr_for(opt), momentum=0.0, random_state=0)
    if task == "predict":
        clf.partial_fit(X[:1000], y[:1000], classes=np.arange(10))
        return time_predict(clf.predict_proba, X, bs, epochs)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i in range(epochs):
            t = time.perf_counter()
            clf.partial_fit(X, y, classes=np.arange(10)) if i == 0 else clf.partial_fit(X, y)
            times.append(time.perf_counter() - t)
    return {"samples_per_s": X.shape[0] / statistics.median(times[1:])}


def roofline_worker(task, opt, bs, epochs, X, y, Xt, yt):
    """The eight matrix products of one training step (or the three of a prediction), alone, at their shapes."""
    r = np.random.default_rng(0)
    f = np.float32
    if task == "predict":  # the data's batches through the three weight matrices, into reused outputs
        Ws = [r.random((a, b), dtype=f) for a, b in zip(SIZES[:-1], SIZES[1:])]
        outs = [np.empty((bs, W.shape[1]), f) for W in Ws]

        def products(xb):
            into = outs if len(xb) == bs else [np.empty((len(xb), W.shape[1]), f) for W in Ws]
            for W, o in zip(Ws, into):
                xb = np.matmul(xb, W, out=o)
        return time_predict(products, X, bs, epochs)
    pairs = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        pairs.append((r.random((bs, a), dtype=f), r.random((a, b), dtype=f)))  # forward
        pairs.append((r.random((bs, a), dtype=f).T, r.random((bs, b), dtype=f)))  # dW = x.T @ g
        if a != SIZES[0]:
            pairs.append((r.random((bs, b), dtype=f), r.random((b, a), dtype=f)))  # dX = g @ W.T
    outs = [np.empty((p.shape[0], q.shape[1]), f) for p, q in pairs]
    reps = max(20, min(len(X), 20000) // bs)  # 20,000 samples' steps a timing, fewer for a smaller set
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            for (p, q), o in zip(pairs, outs):
                np.matmul(p, q, out=o)
        times.append((time.perf_counter() - t) / reps)
    return {"samples_per_s": bs / statistics.median(times[1:])}


# --- the parent: alternate libraries, collect medians ----------------------------


def threads() -> int:
    """The worker's thread count: the parent's choice, passed on as the BLAS's bound (the same for every library)."""
    return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


def measure(lib, task, opt, bs, epochs, args) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", lib, task, opt, str(bs), str(epochs), "--n", str(args.n)]
    if args.mnist:
        cmd += ["--mnist", args.mnist]
    # one thread count for every library: the BLAS's (glassnet's, scikit-learn's, the roofline's) and PyTorch's
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
    if lib == "glassnet-numpy":  # glassnet with its compiled kernels off
        env["GLASSNET_ACCELERATE"] = "0"
    if lib == "baseline":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (args.baseline, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"  {lib} {task} {opt} {bs}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def environment() -> str:
    from threadpoolctl import threadpool_info

    import glassnet

    libs = sorted((i for i in threadpool_info() if i["user_api"] == "blas"),
                  key=lambda i: "numpy" not in i["filepath"])  # NumPy's BLAS does glassnet's matmuls
    blas = [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})" for i in libs]  # (this process's
    # thread count is not the workers': the header's count is)
    versions = [f"glassnet {glassnet.__version__}", f"numpy {np.__version__}"]
    for name in ("torch", "sklearn"):
        if installed(name):
            versions.append(f"{name} {version_of({'sklearn': 'scikit-learn'}.get(name, name))}")
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from glassnet.ops import _blas

    return (f"{cpu}, {os.cpu_count()} cores; {', '.join(versions)}; BLAS: {'; '.join(blas[:1])}; "
            f"glassnet's vector updates: {_blas.backend()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs=5, metavar=("LIB", "TASK", "OPT", "BS", "EPOCHS"))
    ap.add_argument("--mnist", help="folder with the four MNIST files (else synthetic data)")
    ap.add_argument("--n", type=counting(), default=60000, help="training samples (default 60000)")
    ap.add_argument("--reps", type=counting(), default=3, help="repetitions per measurement")
    ap.add_argument("--epochs", type=counting(2), default=3, help="epochs per process (the first is warm-up)")
    ap.add_argument("--batch-sizes", type=sizes,
                    help="training batch sizes (default 32,128,512; 128 with --quick); \"\" for "
                    "predict alone")
    ap.add_argument("--quick", action="store_true", help="one repetition at batch 128")
    ap.add_argument("--to-accuracy", type=float, help="also time glassnet and PyTorch to this test accuracy")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--baseline", type=source_tree,
                    help="another glassnet's src folder, measured as the library 'baseline'")
    ap.add_argument("--libs", default="glassnet,torch,sklearn",
                    help="libraries to measure, of glassnet, glassnet-numpy (its compiled kernels off), torch, "
                         "sklearn (those installed)")
    ap.add_argument("--device", help="gpu, gpu:N (or cpu): the device table of device_table.py instead")
    ap.add_argument("--threads", type=counting(), help="threads for every library (default: glassnet's own choice)")
    args = ap.parse_args()
    if args.device and not args.worker:
        from device_table import main as device_table

        if args.quick:
            args.reps = 1
        sys.exit(device_table(args, installed("torch")))
    if args.worker:
        lib, task, opt, bs, epochs = args.worker
        print(json.dumps(worker(lib, task, opt, int(bs), int(epochs), args.mnist, args.n)))
        return
    if args.quick:
        args.reps = 1
    if args.batch_sizes is None:
        args.batch_sizes = [128] if args.quick else [32, 128, 512]  # [] ("") for predict alone
    wanted = args.libs.split(",")
    known = ("glassnet", "glassnet-numpy", "torch", "sklearn")
    if unknown := [lib for lib in wanted if lib not in known]:
        ap.error(f"--libs: {', '.join(unknown)} is none of {', '.join(known)}")
    if missing := [lib for lib in ("torch", "sklearn") if lib in wanted and not installed(lib)]:
        print(f"# {' and '.join(missing)} not installed: measured without")
    libs = ["glassnet"] + (["baseline"] if args.baseline else []) + [lib for lib in wanted if lib == "glassnet-numpy"]
    libs += [lib for lib in ("torch", "sklearn") if lib in wanted and installed(lib)]
    from glassnet.core.threads import auto_threads

    args.threads = args.threads or auto_threads()  # chosen once, for every library and process
    print(f"# {environment()}; {args.threads} threads for every library")
    print(f"# data: {'MNIST from ' + args.mnist if args.mnist else 'synthetic, MNIST shape'}, "
          f"n={args.n}; median of {args.reps} processes x {args.epochs - 1} timed epochs\n")
    results: dict = {}
    rows = [("train", opt, bs) for opt in ("sgd", "adam") for bs in args.batch_sizes] + [("predict", "-", 1000)]
    for _ in range(args.reps):
        for task, opt, bs in rows:
            for lib in libs + (["roofline"] if task == "predict" or opt == "sgd" else []):
                r = measure(lib, task, opt if opt != "-" else "sgd", bs, args.epochs, args)
                if r:
                    results.setdefault((task, opt, bs, lib), []).append(r)
    header = f"{'task':<8}{'opt':<6}{'batch':>6}" + "".join(f"{lib:>16}" for lib in libs)
    header += f"{'roofline':>12}{'gn/roof':>9}" + "".join(f"{'gn/' + lib:>19}" for lib in libs[1:])
    print("samples/s (median)\n" + header)
    summary = []
    for task, opt, bs in rows:
        med = {lib: statistics.median(r["samples_per_s"] for r in results.get((task, opt, bs, lib), []))
               for lib in libs + ["roofline"] if results.get((task, opt, bs, lib))}
        line = f"{task:<8}{opt:<6}{bs:>6}" + "".join(f"{med.get(lib, float('nan')):>16,.0f}" for lib in libs)
        roof = med.get("roofline")
        line += f"{roof:>12,.0f}{med['glassnet'] / roof:>9.2f}" if roof else f"{'':>12}{'':>9}"
        line += "".join(f"{med['glassnet'] / med[lib]:>19.2f}" if lib in med else f"{'n/a':>19}"
                        for lib in libs[1:])
        print(line)
        summary.append({"task": task, "opt": opt, "batch": bs, **med})
    print("\npeak resident memory, MiB (train, sgd, batch 128; data included)")
    for lib in libs:
        rss = [r["peak_rss_mib"] for r in results.get(("train", "sgd", 128, lib), [])]
        if rss:
            print(f"  {lib:<16}{statistics.median(rss):>8.0f}")
    if args.to_accuracy:
        print(f"\ntime to {args.to_accuracy:.1%} test accuracy (Adam, lr 0.001, batch 128, up to 20 epochs)")
        for lib in [lib for lib in libs if lib != "sklearn"]:
            r = measure(lib, "accuracy", "adam", 128, 20, args)
            hit = next(((t, i + 1) for i, (t, a) in enumerate(r["curve"]) if a >= args.to_accuracy), None)
            best = max(a for _, a in r["curve"])
            print(f"  {lib:<10}" + (f"{hit[0]:7.1f} s, epoch {hit[1]}" if hit else "not reached")
                  + f"   (best {best:.2%})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": environment(), "rows": summary}, f, indent=1)


if __name__ == "__main__":
    main()
