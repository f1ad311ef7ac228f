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
"""

import sys as _sys

from . import errors, optim
from ._version import __version__
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

# the public modules at their short names too, for attribute access and for import statements
for _name, _module in {"arrays": arrays, "functional": functional, "init": init, "convolution": convolution,
                       "saliency": saliency, "recipes": recipes}.items():
    _sys.modules[f"{__name__}.{_name}"] = _module
