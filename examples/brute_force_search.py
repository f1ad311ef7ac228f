"""Tutorial 02: why not try every weight? The curse of dimensionality, against gradient descent.

Published: 1,000 values of one weight in about 0.11 s; 1,000 x 1,000 values
of two weights take about 100 s, and all nine weights of the 2-3-1 network
would take longer than the age of the universe. This example times the same
search with glassnet (one forward pass per candidate, as the tutorial does),
extrapolates, and sets it against gradient descent on all nine weights.

    python examples/brute_force_search.py [--quick] [--out DIR]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.tools import plots

HOURS = np.array([[3, 5], [5, 1], [10, 2]], dtype=float)
SCORES = np.array([75, 82, 93], dtype=float)


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X, y = HOURS / HOURS.max(axis=0), SCORES / 100
    rng = np.random.default_rng(0)
    model = gn.Sequential([gn.Dense(2, 3, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                           gn.Sigmoid(),
                           gn.Dense(3, 1, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                           gn.Sigmoid()])
    objective = gn.Objective(model, gn.SquaredError("sum"))
    Xv, yv = objective.prepare(X, y)
    # weights along which the cost has its minimum inside [-5, 5]: an output weight, then a first-layer
    # weight with it (along a first-layer weight alone the cost keeps falling as its sigmoid saturates, so
    # a grid's "best" would sit on the grid's edge, not at a minimum)
    W1, W2 = model.layers[0].W, model.layers[2].W
    results = {}

    values = np.linspace(-5, 5, 1000)
    start = time.perf_counter()
    costs = []
    for v in values:  # one weight, W2[0, 0], everything else fixed
        W2[0, 0] = v
        costs.append(objective.value(Xv, yv))
    one = time.perf_counter() - start
    i_best = int(np.argmin(costs))
    best = values[i_best]
    results["one_weight_inside"] = 0 < i_best < len(values) - 1
    plots.cost_surface(np.array(costs), [values], out / "brute_force_one_weight.png", labels=("W2[0,0]",),
                       title="Cost over one weight (1,000 tries)", marks=[(best,)])

    side = 60 if quick else 200
    grid = np.linspace(-5, 5, side)
    start = time.perf_counter()
    surface = np.empty((side, side))
    for i, a in enumerate(grid):
        for j, b in enumerate(grid):
            W1[0, 0], W2[0, 0] = a, b
            surface[j, i] = objective.value(Xv, yv)
    two = time.perf_counter() - start
    per_eval = two / side**2
    jb, ib = np.unravel_index(np.argmin(surface), surface.shape)
    results["two_weights_inside"] = bool(0 < ib < side - 1 and 0 < jb < side - 1)
    plots.cost_surface(surface, [grid, grid], out / "brute_force_two_weights.png", labels=("W1[0,0]", "W2[0,0]"),
                       title=f"Cost over two weights ({side}x{side} tries)", marks=[(grid[ib], grid[jb])])
    W1[0, 0], W2[0, 0] = grid[ib], grid[jb]
    results["brute_force_cost"] = float(surface.min())

    results.update(one_weight_s=one, per_eval_s=per_eval, two_weights_s=per_eval * 1e6,
                   nine_weights_years=per_eval * 1000.0**9 / 3.156e7)
    gd = model.copy()
    start = time.perf_counter()
    history = gd.fit(X, y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=1.0), epochs=1000,
                     batch_size=None, verbose=False)
    results["gd_seconds"], results["gd_cost"] = time.perf_counter() - start, history.loss[-1]

    print("Brute-force search (tutorial 02)            published        glassnet")
    print(f"  1,000 values of one weight                 ~0.11 s   {one:9.3f} s")
    print(f"  1,000 x 1,000 values of two weights         ~100 s   {results['two_weights_s']:9.0f} s "
          f"(from {side}x{side})")
    print(f"  all 9 weights, 1,000 values each      ~1e12 millennia   "
          f"{results['nine_weights_years'] / 1000:9.1e} millennia")
    print(f"  best cost found on the 2-weight grid                    {results['brute_force_cost']:.2e}  "
          f"at W1[0,0]={grid[ib]:.2f}, W2[0,0]={grid[jb]:.2f}, inside the searched [-5, 5]")
    print(f"  gradient descent on all 9 weights, 1,000 steps         {results['gd_cost']:.2e}  "
          f"in {results['gd_seconds']:.2f} s")
    print(f"  plots in {out}/brute_force_*.png")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
