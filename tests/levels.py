"""The package's levels: one list that the architecture test enforces and the README and the site print.

Kept apart from the test so that the docs build can read it without pytest.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"

#: each module's level, with what lives there: a module may import only from its own level or below.
#: The README's table "How it is built" is written from this list (run python tests/test_architecture.py),
#: and so is the site's architecture page (docs/scripts/gen_pages.py); test_architecture.py fails when the
#: README's copy is stale or when an import points up.
LEVELS = [
    (["_version", "errors", "core", "ops"],
     "the plumbing and the math: the error family, the array seam, argument checks, the thread bound, lazily "
     "read rows, SVG and HTML written by hand (`core/`); activations, costs, convolutions and pooling as pure "
     "functions beside their derivatives, initializers, the BLAS calls of the vector updates (`ops/`)"),
    (["nn"], "layers (backward under forward), each answering for its shapes, passes, trace formulas and ONNX "
             "nodes; the context a pass keeps its caches in, the one registry of layer types, `Stack` with its "
             "flat parameter vector, `mlp` and `cnn`"),
    (["losses"], "costs; the objective: cost plus L1 and L2 terms over the flat vector, fused with softmax or "
                 "sigmoid"),
    (["optim"], "SGD, RMSProp, Adam, AdamW over the flat vector, each fast rule beside its paper's rule; schedules"),
    (["io", "datasets"], "model files, pictures and ONNX export; digits, MNIST (verified download), CSV files, "
                         "augmentation"),
    (["training"], "`fit` asking its solver (gradient descent with an optimizer, BFGS/L-BFGS), the divergence "
                   "guard, callbacks, history, `resume`, data-parallel training; `Sequential`, a `Stack` that fits, "
                   "evaluates and saves itself; the speedrun recipes"),
    (["tools", "playground"], "the tools that look inside a network (gradient check, trace, the computational "
                              "graph, diagnosis and the learning-rate finder, saliency, solvers side by side, "
                              "plots, confusion matrices) and the playground's engine"),
    (["cli", "sklearn", "web", "__main__"], "the front-ends, thin over the API above: command line, scikit-learn "
                                            "estimators, web pages"),
    (["__init__"], "the package's table of contents"),
]
LEVEL = {name: i for i, (names, _) in enumerate(LEVELS) for name in names}

#: where each kind of change goes, for the architecture page: (the change, the level it lives at, how)
CHANGES = [
    ("a formula: an activation, a cost's derivative, an initializer", "ops",
     "a pure function beside its derivative in `ops/`, checked against central differences and PyTorch"),
    ("a layer", "nn", "one file in `nn/` with backward under forward, one line in `nn/registry.py`, its tests "
                      "(gradcheck, PyTorch, a model file round trip)"),
    ("a cost", "losses", "a `Loss` in `losses/` with its `validate_target` and `baseline`"),
    ("an optimizer or a schedule", "optim", "an `update` beside its paper's `reference_update` in `optim/`"),
    ("a file format, an export, a data set", "io", "`io/` for model files and pictures, `datasets/` for data sets"),
    ("how training runs: a solver, a callback, a guard", "training", "`training/`, behind `fit`"),
    ("a way to look inside a network", "tools", "a function in `tools/` over the public layer protocol"),
    ("a command, an estimator option, a web route", "cli",
     "the front-ends in `cli/`, `sklearn/` and `web/`: thin, over the public API, never math of their own"),
]


def where(name: str) -> str:
    """A module or package as a path in the source tree."""
    return f"`{name}/`" if (PACKAGE / name).is_dir() else f"`{name}.py`"


def levels_table() -> str:
    """The README's table of the levels, from :data:`LEVELS`."""
    rows = ["| level | where (in `src/glassnet/`) | what |", "|---:|---|---|"]
    rows += [f"| {i} | {', '.join(where(n) for n in names)} | {what} |" for i, (names, what) in enumerate(LEVELS)]
    return "\n".join(rows)
