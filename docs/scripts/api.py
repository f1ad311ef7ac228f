"""What the API reference holds: every public name, the page it is on, and how it is drawn.

One place for the page generator (gen_pages.py) and the docstring-role rewriter (griffe_roles.py).
The public names are those of ``glassnet.__all__`` and of each public sub-package's ``__all__``.
A name is drawn once, on the page of the level that defines it; a sub-package name that is the same
object as a top-level one gets an anchor of its own beside that entry.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
from dataclasses import dataclass, field

import glassnet

#: the public sub-packages whose ``__all__`` the reference covers besides ``glassnet.__all__``
SUBPACKAGES = ["nn", "losses", "optim", "io", "datasets", "training", "playground", "sklearn", "web"]

#: the reference pages in the package's level order: (the unit that defines the names, page, title, intro)
PAGES = [
    ("core", "arrays", "Arrays and threads",
     "The array seam that lets the engine run on NumPy or CuPy, and the bound on BLAS threads."),
    ("errors", "errors", "Errors",
     "Everything glassnet raises about what it was given is a `GlassnetError`, itself a `ValueError`."),
    ("ops", "math", "The math",
     "Activations, costs, convolutions and initializers as small pure functions, each beside its derivative."),
    ("nn", "layers", "Layers",
     "The layers, each with its backward pass under its forward pass, and the builders `mlp` and `cnn`."),
    ("losses", "losses", "Costs", "The costs, and the objective that adds the L1 and L2 terms."),
    ("optim", "optim", "Optimizers and schedules",
     "Optimizers over the model's flat parameter vector, each fast rule beside its paper's rule, and "
     "learning-rate schedules."),
    ("io", "files", "Model files and ONNX", "Saving, loading and exporting models."),
    ("datasets", "datasets", "Data sets", "The digits, MNIST, CSV files and folders of your own pictures."),
    ("training", "training", "Training",
     "`Sequential`, `fit` and its solvers, callbacks, history, resuming, and the speedrun recipes."),
    ("tools", "tools", "Looking inside a network",
     "Gradient checks, traces, the computational graph, diagnosis, the learning-rate finder and saliency."),
    ("playground", "playground", "The playground's engine",
     "Small 2-D problems, a network to shape, and every number of its training, for the playground page."),
    ("sklearn", "sklearn", "scikit-learn estimators", "Drop-in replacements for `MLPClassifier` and `MLPRegressor`."),
    ("web", "web", "Web pages", "The digit and photo page, the playground and the teach page, served by waitress."),
]

#: modules in ``glassnet.__all__`` whose members have entries of their own elsewhere: drawn without members
HEADERS_ONLY = {"glassnet.optim", "glassnet.errors"}


@dataclass
class Entry:
    """One drawn entry: its identifier (the anchor), the page it is on, and its extra anchors."""

    ident: str
    unit: str
    members: bool = True
    aliases: list[str] = field(default_factory=list)


def unit_of(obj: object) -> str:
    """The level unit (``nn``, ``training``, ...) whose module defines ``obj``."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "glassnet")
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "core"


def source_line(obj: object) -> int:
    """Where ``obj`` starts in its file, for a reading order (0 where it has no source)."""
    try:
        return inspect.getsourcelines(obj)[1]  # type: ignore[arg-type]
    except (TypeError, OSError):
        return 0


def drawable(obj: object) -> bool:
    """Whether ``obj`` is identified by its identity: a module, class or function (not a constant)."""
    return isinstance(obj, (types.ModuleType, type, types.FunctionType))


def kind(obj: object) -> int:
    """A page's order: the module first, then its classes and functions, then its constants."""
    return 0 if isinstance(obj, types.ModuleType) else 1 if drawable(obj) else 2


def public_names() -> list[str]:
    """Every identifier the reference must hold: ``glassnet.X`` and ``glassnet.<sub-package>.X``."""
    names = [f"glassnet.{name}" for name in glassnet.__all__]
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"glassnet.{sub}")
        names += [f"glassnet.{sub}.{name}" for name in module.__all__]
    return names


def public_objects() -> list[tuple[str, object]]:
    """Each public identifier with its object (the version string, written by hand on the index, left out)."""
    found = []
    for ident in public_names():
        if ident != "glassnet.__version__":
            owner, name = ident.rsplit(".", 1)
            found.append((ident, getattr(importlib.import_module(owner), name)))
    return found


def own_name(ident: str, obj: object) -> bool:
    """Whether ``ident`` ends in the name ``obj`` was defined with (``Schedule``, not its other name ``Constant``):
    an object is drawn under its own name, and its other names are anchors beside it."""
    return getattr(obj, "__name__", "").rsplit(".", 1)[-1] == ident.rsplit(".", 1)[1]


@functools.cache  # the page writer and the role rewriter ask in one build
def entries() -> list[Entry]:
    """The drawn entries, in page order then reading order, with each alias anchor beside its entry."""
    drawn: dict[int, Entry] = {}
    found: list[tuple[Entry, object]] = []
    for ident, obj in sorted(public_objects(), key=lambda pair: not own_name(*pair)):
        if drawable(obj) and id(obj) in drawn:
            drawn[id(obj)].aliases.append(ident)
            continue
        owner = ident.rsplit(".", 1)[0]
        unit = unit_of(obj) if owner == "glassnet" else owner.split(".")[1]
        entry = Entry(ident, unit, members=ident not in HEADERS_ONLY)
        if drawable(obj):
            drawn[id(obj)] = entry
        found.append((entry, obj))
    order = {unit: i for i, (unit, *_) in enumerate(PAGES)}
    found.sort(key=lambda pair: (order[pair[0].unit], kind(pair[1]), getattr(pair[1], "__module__", "") or "",
                                 source_line(pair[1])))
    return [entry for entry, _ in found]


@functools.cache
def anchors() -> frozenset[str]:
    """Every identifier a cross-reference may point to: the entries, their aliases and the classes' methods."""
    targets = set()
    for entry in entries():
        targets.add(entry.ident)
        targets.update(entry.aliases)
        owner, name = entry.ident.rsplit(".", 1)
        obj = getattr(importlib.import_module(owner), name)
        if isinstance(obj, type) and entry.members:
            targets.update(f"{entry.ident}.{member}" for member, value in vars(obj).items()
                           if not member.startswith("_") and callable(value))
    return frozenset(targets)
