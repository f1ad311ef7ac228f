"""Throughput on a device: glassnet on CuPy beside PyTorch on CUDA, in one run (``throughput.py --device gpu``).

The workloads are the ones a GPU is for, float32 on 60,000 rows of MNIST's shape:

- the MLP 784-1024-1024-10 (ReLU), SGD and Adam, at batch 128 and 512;
- a conv net of 8 and 16 3x3 filters, each followed by ReLU and 2x2 max pooling, Adam, batch 128;
- the default ``glassnet.cnn``, Adam, batch 128 (glassnet alone: its dropout and batch norm have
  no exact twin here);
- prediction with the MLP in batches of 10,000.

Each measurement is a fresh process; the libraries alternate. A process trains
``--epochs`` epochs and reports the median of all but the first (compiling the
GPU's kernels, filling its memory pool). Both clocks wait for the GPU to
finish before they read. Beside them, glassnet on NumPy with 2 BLAS threads
runs the MLP rows, for the ratio of the GPU to a small CPU.

    python benchmarks/throughput.py --device gpu              # the table, 3 processes a cell
    python benchmarks/throughput.py --device gpu --quick      # one process a cell
    python benchmarks/throughput.py --device cpu --quick      # the same table on the CPU (a smoke run)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import numpy as np

#: (workload, optimizer, batch): the table's rows
ROWS = [("mlp", "sgd", 128), ("mlp", "adam", 128), ("mlp", "sgd", 512), ("mlp", "adam", 512),
        ("conv", "adam", 128), ("cnn", "adam", 128), ("predict", "-", 10000)]
MLP = [784, 1024, 1024, 10]


def lr_for(opt: str) -> float:
    return 0.01 if opt == "sgd" else 0.001


def glassnet_net(workload: str):
    import glassnet as gn

    if workload == "conv":
        return gn.Sequential([gn.Conv2D(1, 8, 3, padding=1, rng=0), gn.ReLU(), gn.MaxPool2D(2),
                              gn.Conv2D(8, 16, 3, padding=1, rng=1), gn.ReLU(), gn.MaxPool2D(2), gn.Flatten(),
                              gn.Dense(16 * 7 * 7, 10, rng=2)])
    if workload == "cnn":
        return gn.cnn(rng=0)
    return gn.mlp(MLP, activation="relu", rng=0)


def glassnet_worker(workload, opt, bs, epochs, X, y, device) -> dict:
    import glassnet as gn

    model = glassnet_net(workload).to(device)
    xp = model.xp

    def finish():
        if xp is not np:
            xp.cuda.Device().synchronize()

    if workload == "predict":
        Xd = xp.asarray(X)  # the data on the device, as a GPU user keeps it
        model.predict(Xd[:bs])
        times = []
        for _ in range(epochs):
            finish()
            t = time.perf_counter()
            for s in range(0, X.shape[0], bs):
                model.predict(Xd[s:s + bs])
            finish()
            times.append(time.perf_counter() - t)
        return {"samples_per_s": X.shape[0] / statistics.median(times)}
    times = []

    class Clock(gn.Callback):
        def on_epoch_begin(self, run, epoch):
            finish()
            self.t = time.perf_counter()

        def on_epoch_end(self, run, epoch, logs):
            finish()
            times.append(time.perf_counter() - self.t)

    if workload != "mlp":
        X = X.reshape(-1, 1, 28, 28)
    model.fit(X, y, loss="cross_entropy", optimizer=opt, lr=lr_for(opt), epochs=epochs, batch_size=bs,
              callbacks=[Clock()], verbose=False)
    return {"samples_per_s": X.shape[0] / statistics.median(times[1:])}


def torch_worker(workload, opt, bs, epochs, X, y, device) -> dict:
    import torch

    nn = torch.nn
    where = "cpu" if device == "cpu" else "cuda" + device[3:]
    torch.manual_seed(0)
    if workload == "conv":
        net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
        X = X.reshape(-1, 1, 28, 28)
    else:
        net = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    net = net.to(where)
    Xd, yd = torch.from_numpy(X).to(where), torch.from_numpy(y).to(where)

    def finish():
        if where != "cpu":
            torch.cuda.synchronize()

    times = []
    if workload == "predict":
        with torch.inference_mode():
            net(Xd[:bs])
            for _ in range(epochs):
                finish()
                t = time.perf_counter()
                for s in range(0, X.shape[0], bs):
                    net(Xd[s:s + bs])
                finish()
                times.append(time.perf_counter() - t)
        return {"samples_per_s": X.shape[0] / statistics.median(times)}
    optim = (torch.optim.SGD(net.parameters(), lr=lr_for(opt)) if opt == "sgd"
             else torch.optim.Adam(net.parameters(), lr=lr_for(opt)))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        finish()
        t = time.perf_counter()
        perm = torch.randperm(X.shape[0], device=where)
        for s in range(0, X.shape[0], bs):
            idx = perm[s:s + bs]
            optim.zero_grad(set_to_none=True)
            loss_fn(net(Xd[idx]), yd[idx]).backward()
            optim.step()
        finish()
        times.append(time.perf_counter() - t)
    return {"samples_per_s": X.shape[0] / statistics.median(times[1:])}


def worker(lib: str, workload: str, opt: str, bs: int, epochs: int, n: int, device: str) -> dict:
    r = np.random.default_rng(0)
    X, y = r.random((n, 784), dtype=np.float32), r.integers(0, 10, n)
    if lib == "glassnet-cpu":  # the small CPU beside the GPU: NumPy with 2 BLAS threads
        from threadpoolctl import threadpool_limits

        with threadpool_limits(2):
            return glassnet_worker(workload, opt, bs, epochs, X, y, "cpu")
    work = glassnet_worker if lib == "glassnet" else torch_worker
    return work(workload, opt, bs, epochs, X, y, device)


def versions(device: str) -> str:
    import glassnet

    found = [f"glassnet {glassnet.__version__}", f"numpy {np.__version__}"]
    if device != "cpu":
        found.append(f"cupy {glassnet.arrays.gpu_library().__version__}")
    try:
        import torch

        found.append(f"torch {torch.__version__}")
        if device != "cpu" and torch.cuda.is_available():
            found.append(f"CUDA {torch.version.cuda} on {torch.cuda.get_device_name()}")
    except ImportError:
        pass
    return ", ".join(found)


def measure(lib, workload, opt, bs, args) -> dict | None:
    cmd = [sys.executable, __file__, lib, workload, opt, str(bs), str(args.epochs), str(args.n), args.device]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  {lib} {workload} {opt} {bs}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(args, torch_installed: bool) -> int:
    """The table; ``args`` as ``throughput.py`` parsed them (device, n, reps, epochs, json)."""
    import glassnet

    try:
        glassnet.arrays.resolve_device(args.device)
    except glassnet.GlassnetError as exc:
        print(f"throughput.py: error: {exc}", file=sys.stderr)
        return 2
    libs = ["glassnet"] + (["torch"] if torch_installed else [])
    if args.device != "cpu":
        libs.append("glassnet-cpu")
    print(f"# {versions(args.device)}; glassnet and torch on {args.device}"
          + ("; glassnet-cpu: NumPy, 2 BLAS threads" if "glassnet-cpu" in libs else ""))
    print(f"# synthetic data, MNIST's shape, n={args.n}, float32; median of {args.reps} processes x "
          f"{args.epochs - 1} timed epochs\n")
    results: dict = {}
    for _ in range(args.reps):
        for workload, opt, bs in ROWS:
            for lib in libs:
                if (lib == "torch" and workload == "cnn") or (lib == "glassnet-cpu" and workload != "mlp"):
                    continue
                r = measure(lib, workload, opt if opt != "-" else "sgd", bs, args)
                if r:
                    results.setdefault((workload, opt, bs, lib), []).append(r["samples_per_s"])
    print(f"{'workload':<9}{'opt':<6}{'batch':>6}" + "".join(f"{lib:>14}" for lib in libs)
          + f"{'gn/torch':>10}" + (f"{'gn/gn-cpu':>11}" if "glassnet-cpu" in libs else ""))
    summary = []
    for workload, opt, bs in ROWS:
        med = {lib: statistics.median(v) for lib in libs if (v := results.get((workload, opt, bs, lib)))}
        line = f"{workload:<9}{opt:<6}{bs:>6}" + "".join(f"{med.get(lib, float('nan')):>14,.0f}" for lib in libs)
        g = med.get("glassnet", float("nan"))
        line += f"{g / med['torch']:>10.2f}" if "torch" in med else f"{'':>10}"
        if "glassnet-cpu" in libs:
            line += f"{g / med['glassnet-cpu']:>11.1f}" if "glassnet-cpu" in med else ""
        print(line)
        summary.append({"workload": workload, "opt": opt, "batch": bs, **med})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": versions(args.device), "device": args.device, "rows": summary}, f, indent=1)
    return 0


if __name__ == "__main__":  # one measurement: LIB WORKLOAD OPT BATCH EPOCHS N DEVICE
    lib, workload, opt, bs, epochs, n, device = sys.argv[1:8]
    print(json.dumps(worker(lib, workload, opt, int(bs), int(epochs), int(n), device)))
