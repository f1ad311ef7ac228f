"""The benchmark scripts run end to end on tiny settings (no timing is asserted: speed lives
in the benchmarks themselves, never in the tests)."""

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import MNIST_DIR, needs_mnist

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def run(*args):
    proc = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_throughput_script(tmp_path):
    out = run(BENCH / "throughput.py", "--quick", "--n", "3000", "--epochs", "2", "--json", tmp_path / "r.json")
    assert "samples/s (median)" in out and "roofline" in out and "predict" in out
    assert (tmp_path / "r.json").exists()


@needs_mnist
def test_throughput_script_on_mnist():
    out = run(BENCH / "throughput.py", "--quick", "--n", "3000", "--epochs", "2", "--batch-sizes", "128",
              "--mnist", MNIST_DIR, "--libs", "glassnet")
    assert "MNIST from" in out


def test_accuracy_and_sklearn_scripts():
    assert "digits: 64-256-128-10" in run(BENCH / "accuracy.py", "--seeds", "0")
    assert "glassnet" in run(BENCH / "sklearn_digits.py", "--seeds", "1")
