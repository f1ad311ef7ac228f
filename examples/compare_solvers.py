"""One network, one starting point, every solver: batch, mini-batch and stochastic gradient
descent, momentum, Adam, BFGS and L-BFGS, in one table and one plot of cost curves.

    python examples/compare_solvers.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

from glassnet.tools import plots
from glassnet.tools.compare import compare_solvers, digits_problem, xor_problem


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, problem, epochs, lr in [("xor", xor_problem(), 500 if quick else 3000, 1.0),
                                      ("digits", digits_problem(0), 10 if quick else 150, 0.5)]:
        comparison = compare_solvers(*problem, epochs=epochs, lr=lr)
        print(f"{name}: {epochs} epochs (iterations for BFGS and L-BFGS)")
        print(comparison.table(), end="\n\n")
        plots.loss_curves(comparison.curves(), out / f"solvers_{name}.png", title=f"{name}: cost per iteration")
        results[name] = comparison
    print(f"plots in {out}/solvers_*.png")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
