"""Start-up: what `import glassnet`, a first use, the command line and reading MNIST cost, each in fresh processes.

Every measure is a fresh interpreter that times its own work with ``time.perf_counter`` (so the
interpreter's own start is left out, and shown apart as "python -c pass"). The measures alternate, round
after round, so that a busy machine slows them alike; the table gives the median of the rounds.
``--before DIR`` also times another source tree (a ``git worktree`` of an older commit, say) in the
same rounds, for a before-and-after table from one run.

    python benchmarks/startup.py                                   # 9 rounds
    python benchmarks/startup.py --mnist ../shared/data/mnist      # and load_mnist from that folder
    git worktree add /tmp/before HEAD~3 && python benchmarks/startup.py --before /tmp/before/src
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _args import counting, source_tree

SRC = Path(__file__).resolve().parents[1] / "src"

#: each measure: the code timed (after the setup line), in a fresh process
MEASURES = {
    "import numpy": "import numpy",
    "import glassnet": "import glassnet",
    "import glassnet; glassnet.mlp": "import glassnet; glassnet.mlp",
    "the command line's parser": "from glassnet.cli import build_parser; build_parser()",
}
MNIST = "from glassnet.datasets import load_mnist; load_mnist({folder!r})"

TIMER = ("import time; t = time.perf_counter()\n{code}\n"
         "print(time.perf_counter() - t)")


def once(code: str, src: Path) -> float:
    """Seconds ``code`` took in a fresh interpreter that imports glassnet from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", TIMER.format(code=code)], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.split()[-1])


def interpreter() -> float:
    """Seconds a bare interpreter takes to start and stop, timed from outside."""
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=counting(), default=9)
    parser.add_argument("--mnist", help="a folder with MNIST's four files: also time load_mnist from it")
    parser.add_argument("--before", type=source_tree, help="another source tree to time in the same rounds")
    args = parser.parse_args(argv)
    measures = dict(MEASURES)
    if args.mnist:
        measures["load_mnist (cache warm)"] = MNIST.format(folder=args.mnist)
        once(measures["load_mnist (cache warm)"], SRC)  # the first load fills whatever cache there is
        if args.before:
            once(measures["load_mnist (cache warm)"], args.before)
    trees = {"now": SRC, **({"before": args.before} if args.before else {})}
    times: dict[tuple[str, str], list[float]] = {}
    python = []
    for _ in range(args.rounds):
        python.append(interpreter())
        for name, code in measures.items():
            for tree, src in trees.items():
                times.setdefault((name, tree), []).append(once(code, src))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.rounds} rounds; "
          f"python -c pass: {statistics.median(python) * 1000:.0f} ms from outside")
    header = "| measure | " + " | ".join(trees) + (" | now / before |" if args.before else " |")
    print(header)
    print("|---|" + "---:|" * (len(trees) + bool(args.before)))
    for name in measures:
        cells = [statistics.median(times[name, tree]) for tree in trees]
        ratio = f" {cells[0] / cells[1]:.2f} |" if args.before else ""
        print(f"| {name} | " + " | ".join(f"{c * 1000:.1f} ms" for c in cells) + " |" + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
