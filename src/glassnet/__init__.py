"""glassnet: feed-forward neural networks in NumPy that you can read, check and trust.

The public API, by theme:

* building a network: :class:`Sequential`, :func:`mlp` and the layers
  (:class:`Dense`, :class:`Sigmoid`, :class:`Tanh`, :class:`ReLU`,
  :class:`LeakyReLU`, :class:`Softmax`, :class:`Identity`, :class:`Dropout`,
  :class:`Flatten`), and for images :func:`cnn` with :class:`Conv2D`,
  :class:`MaxPool2D`, :class:`AvgPool2D`, :class:`GlobalAvgPool2D` and :class:`BatchNorm`,
  and :class:`Normalize` for photos;
  :class:`LayerNorm` for either; a layer of your own with :func:`register_layer`;
* costs: :class:`SquaredError`, :class:`BinaryCrossEntropy`,
  :class:`SoftmaxCrossEntropy`, :class:`PoissonDeviance`, :class:`AbsoluteError`,
  :class:`Huber`, and :class:`Objective` (cost plus L2 term);
* checking and seeing: :func:`gradcheck`, :func:`trace` (one iteration, every value),
  :func:`draw_graph` (the computational graph with its values and gradients),
  :func:`diagnose` (why a network will not learn) and :func:`lr_find` (a learning rate to try),
  :mod:`glassnet.saliency` (which pixels drove a prediction);
* training: :func:`fit` (also ``model.fit``), the optimizers in :mod:`glassnet.optim`,
  callbacks, :func:`resume`; model files with :func:`save` and :func:`load`, and
  ONNX files with :func:`export_onnx` (the ``onnx`` extra);
* errors: :class:`GlassnetError` and its family in :mod:`glassnet.errors`;
* the math itself: :mod:`glassnet.functional`, :mod:`glassnet.convolution` and :mod:`glassnet.init`; the
  array seam in :mod:`glassnet.arrays`.

The package is layered, each level importing only from those below it (the
README's "How it is built" lists them): the plumbing (``core``) and the math
(``ops``) -> layers (``nn``) -> ``losses`` -> ``optim`` -> files, ONNX and data
sets (``io``, ``datasets``) -> ``training`` (``fit``, the solvers, ``Sequential``)
-> the tools that look inside a network (``tools``, ``playground``) -> the
front-ends (``cli``, ``sklearn``, ``web``). The public modules keep their short
names: ``glassnet.functional`` is ``glassnet.ops.functional``, and so on.

``import glassnet`` loads nothing but this table: each name is imported the first time it is used
(``gn.fit``, ``from glassnet import Dense``), so that a command or a script starts in milliseconds and pays
only for what it uses. The table below says where each name lives.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys

from ._version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (a third of the import's cost)
if TYPE_CHECKING:  # the same names, for type checkers and the API reference (which read, never run)
    from . import errors, optim
    from .core import arrays
    from .core.threads import limit as limit_threads
    from .errors import (
        DataError,
        DivergenceError,
        GlassnetError,
        ImageError,
        ImageTooLargeError,
        ModelFileError,
        NonFiniteError,
        OptionError,
    )
    from .io import Checkpoint
    from .io.model_file import save
    from .io.onnx import export_onnx
    from .losses.costs import (
        AbsoluteError,
        BinaryCrossEntropy,
        Huber,
        Loss,
        PoissonDeviance,
        SoftmaxCrossEntropy,
        SquaredError,
        get_loss,
    )
    from .losses.objective import Objective
    from .nn import (
        AvgPool2D,
        BatchNorm,
        Conv2D,
        Dense,
        Dropout,
        Flatten,
        GlobalAvgPool2D,
        Identity,
        Layer,
        LayerNorm,
        LeakyReLU,
        MaxPool2D,
        Normalize,
        ReLU,
        Sigmoid,
        Softmax,
        Tanh,
        get_activation,
        register_layer,
    )
    from .ops import convolution, functional, init
    from .optim import SGD, Adam, AdamW, RMSProp
    from .tools import saliency
    from .tools.compare import compare_solvers
    from .tools.diagnose import Diagnosis, DiagnosisWarning, Diagnostics, diagnose
    from .tools.gradcheck import GradcheckReport, gradcheck
    from .tools.graph import Graph, draw_graph
    from .tools.lr_find import LRFind, lr_find
    from .tools.tracing import Trace, trace
    from .training import (
        Callback,
        DivergenceWarning,
        EarlyStopping,
        History,
        LambdaCallback,
        ModelCheckpoint,
        ProgressBar,
        evaluate,
        fit,
        recipes,
    )
    from .training.models import Sequential, cnn, load, mlp, resume

#: each public name, by the module (under glassnet) that defines it
_HOMES = {
    "optim": ["SGD", "Adam", "AdamW", "RMSProp"],
    "errors": ["DataError", "DivergenceError", "GlassnetError", "ImageError", "ImageTooLargeError", "ModelFileError",
               "NonFiniteError", "OptionError"],
    "core.threads": ["limit_threads"],
    "io": ["Checkpoint"],
    "io.model_file": ["save"],
    "io.onnx": ["export_onnx"],
    "losses.costs": ["AbsoluteError", "BinaryCrossEntropy", "Huber", "Loss", "PoissonDeviance", "SoftmaxCrossEntropy",
                     "SquaredError", "get_loss"],
    "losses.objective": ["Objective"],
    "nn": ["AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Flatten", "GlobalAvgPool2D", "Identity", "Layer",
           "LayerNorm", "LeakyReLU", "MaxPool2D", "Normalize", "ReLU", "Sigmoid", "Softmax", "Tanh", "get_activation",
           "register_layer"],
    "tools.compare": ["compare_solvers"],
    "tools.diagnose": ["Diagnosis", "DiagnosisWarning", "Diagnostics", "diagnose"],
    "tools.gradcheck": ["GradcheckReport", "gradcheck"],
    "tools.graph": ["Graph", "draw_graph"],
    "tools.lr_find": ["LRFind", "lr_find"],
    "tools.tracing": ["Trace", "trace"],
    "training": ["Callback", "DivergenceWarning", "EarlyStopping", "History", "LambdaCallback", "ModelCheckpoint",
                 "ProgressBar", "evaluate", "fit"],
    "training.models": ["Sequential", "cnn", "load", "mlp", "resume"],
}
_WHERE = {name: home for home, names in _HOMES.items() for name in names}
_WHERE["limit_threads"] = "core.threads:limit"  # defined there as limit

#: the public modules, at their short names (``glassnet.functional`` is ``glassnet.ops.functional``)
_MODULES = {"arrays": "core.arrays", "functional": "ops.functional", "init": "ops.init",
            "convolution": "ops.convolution", "saliency": "tools.saliency", "recipes": "training.recipes",
            "errors": "errors", "optim": "optim"}
#: the sub-packages, which ``glassnet.nn`` and the like reach as attributes
_PACKAGES = {"core", "ops", "nn", "losses", "optim", "io", "datasets", "training", "tools", "playground", "cli",
             "sklearn", "web"}

__all__ = [
    "__version__", "SGD", "Adam", "AdamW", "RMSProp", "Callback", "Checkpoint", "DataError", "DivergenceError",
    "DivergenceWarning", "EarlyStopping", "GlassnetError", "History", "ImageError", "ImageTooLargeError",
    "LambdaCallback", "ModelCheckpoint", "ModelFileError", "NonFiniteError", "OptionError",
    "ProgressBar", "evaluate", "fit", "load", "optim",
    "resume", "save", "Trace", "trace", "Graph", "draw_graph", "Diagnosis",
    "DiagnosisWarning", "Diagnostics", "diagnose", "LRFind", "lr_find", "compare_solvers", "arrays", "errors",
    "BinaryCrossEntropy", "Dense", "Dropout", "Flatten", "GradcheckReport", "Identity", "Layer", "LeakyReLU",
    "Loss", "Objective", "ReLU", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy",
    "SquaredError", "Tanh", "functional", "get_activation", "get_loss", "gradcheck", "init", "mlp",
    "AvgPool2D", "BatchNorm", "Conv2D", "MaxPool2D", "cnn", "convolution", "saliency",
    "AbsoluteError", "Huber", "PoissonDeviance", "export_onnx", "limit_threads", "recipes",
    "GlobalAvgPool2D", "LayerNorm", "Normalize", "register_layer",
]


def __getattr__(name: str) -> object:
    """A public name, imported from its module the first time it is asked for, then kept here."""
    if name in _MODULES:
        value = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    elif name in _WHERE:
        home, _, attribute = _WHERE[name].partition(":")
        value = getattr(importlib.import_module(f"{__name__}.{home}"), attribute or name)
    elif name in _PACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _PACKAGES)


class _ShortNames:
    """Lets ``import glassnet.functional`` (and the other short names) import the module where it lives.

    A finder and loader on ``sys.meta_path``, written without importlib's abstract classes, whose import
    would cost more than the rest of ``import glassnet``.
    """

    def find_spec(self, fullname, path=None, target=None):  # noqa: D102
        prefix, _, short = fullname.partition(".")
        if prefix != __name__ or short not in _MODULES or _MODULES[short] == short:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)  # type: ignore[arg-type]  # a loader by its methods

    def create_module(self, spec):  # noqa: D102
        return importlib.import_module(f"{__name__}.{_MODULES[spec.name.partition('.')[2]]}")

    def exec_module(self, module):  # noqa: D102
        pass  # the module ran when it was imported under its own name


sys.meta_path.append(_ShortNames())
