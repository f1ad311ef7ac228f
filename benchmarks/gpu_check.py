"""The GPU check: the suite's GPU tests, the device throughput table and the GPU speedrun, in one run.

Run it on a machine with an NVIDIA GPU, CuPy and PyTorch (CUDA), from the
repository's root; it needs no network and writes every figure under
``--out``:

    PYTHONPATH=src python benchmarks/gpu_check.py --out gpu-figures --mnist .data/mnist

It takes about 5 minutes: the tests that run on CuPy (``tests/test_namespace.py``,
float64 against NumPy; the benchmarks' GPU paths are tested there on the CPU
stand-in, and run on CuPy in the two parts after), then
``throughput.py --device gpu --quick`` and ``speedrun.py --device gpu`` for
``--seeds`` seeds. ``--only`` runs some of the three parts (a second try after
a failure). Each part's output goes to a text file of its own, and the
figures to JSON beside it; ``summary.txt`` lists what passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("tests", "throughput", "speedrun")


def run(name: str, cmd: list[str], out: Path, limit: float) -> tuple[int, float]:
    """Run ``cmd`` from the repository's root, its output to ``out/name.txt`` and the terminal."""
    print(f"\n== {name}: {' '.join(cmd)}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT / "tests"),
                                                                    os.environ.get("PYTHONPATH")) if p)}
    start = time.perf_counter()
    with open(out / f"{name}.txt", "w") as log:
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=env, timeout=limit)
            code, text = proc.returncode, proc.stdout
        except subprocess.TimeoutExpired as exc:
            code, text = 124, (exc.stdout or b"").decode(errors="replace") + f"\n(stopped after {limit:.0f} s)"
        log.write(text)
    print(text[-6000:], flush=True)
    return code, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the figures (made if missing)")
    parser.add_argument("--mnist", help="folder with MNIST's four files (the speedrun needs them)")
    parser.add_argument("--seeds", type=int, default=3, help="speedrun seeds (default 3)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"some of {', '.join(PARTS)} (default all)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = args.only.split(",")
    py = sys.executable
    sys.path.insert(0, str(ROOT / "src"))
    import glassnet

    try:
        cupy = glassnet.arrays.gpu_library()
        gpu = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception as exc:  # no CuPy, no driver, no GPU: nothing here can be measured
        print(f"gpu_check.py: error: no GPU to check on: {exc}", file=sys.stderr)
        return 2
    print(f"GPU {gpu}; cupy {cupy.__version__}; python {sys.version.split()[0]}", flush=True)
    results = {}
    if "tests" in parts:
        if importlib.util.find_spec("pytest") is None:
            results["tests"] = (2, 0.0)
            print("pytest is not installed: the tests part needs it (pip install pytest)")
        else:
            results["tests"] = run("tests", [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                                             "tests/test_namespace.py", "tests/test_benchmarks.py", "-k",
                                             "namespace or gpu"], out, 240)
    if "throughput" in parts:
        results["throughput"] = run("throughput", [py, "benchmarks/throughput.py", "--device", "gpu", "--quick",
                                                   "--json", str(out / "throughput.json")], out, 300)
    if "speedrun" in parts:
        if args.mnist is None or not Path(args.mnist).is_dir():
            print("the speedrun needs --mnist DIR, a folder with MNIST's four files (no network here)")
            results["speedrun"] = (2, 0.0)
        else:
            results["speedrun"] = run("speedrun", [py, "benchmarks/speedrun.py", "--device", "gpu", "--seeds",
                                                   str(args.seeds), "--mnist", args.mnist, "--json",
                                                   str(out / "speedrun.json")], out, 400)
    lines = [f"GPU {gpu}, cupy {cupy.__version__}"]
    lines += [f"{name}: {'passed' if code == 0 else f'failed (exit {code})'} in {t:.0f} s"
              for name, (code, t) in results.items()]
    (out / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
