"""glassnet: feed-forward neural networks in NumPy that you can read, check and trust.

The public API, by theme:

* building a network: :class:`Sequential`, :func:`mlp` and the layers
  (:class:`Dense`, :class:`Sigmoid`, :class:`Tanh`, :class:`ReLU`,
  :class:`LeakyReLU`, :class:`Softmax`, :class:`Identity`, :class:`Dropout`);
* costs: :class:`SquaredError`, :class:`BinaryCrossEntropy`,
  :class:`SoftmaxCrossEntropy`, and :class:`Objective` (cost plus L2 term);
* checking and seeing: :func:`gradcheck`, :func:`trace` (one iteration, every value);
* training: :func:`fit` (also ``model.fit``), the optimizers in :mod:`glassnet.optim`,
  callbacks, :func:`resume`; model files with :func:`save` and :func:`load`;
* the math itself: :mod:`glassnet.functional` and :mod:`glassnet.init`.
"""

from . import functional, init, optim
from .compare import compare_solvers
from .gradcheck import GradcheckReport, gradcheck
from .io import Checkpoint, ModelFileError, load, save
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError, get_loss
from .nn import (
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
    mlp,
)
from .objective import Objective
from .optim import SGD, Adam, AdamW, RMSProp
from .tracing import Trace, trace
from .training import (
    Callback,
    DivergenceWarning,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    evaluate,
    fit,
    resume,
)

__version__ = "0.1.0"

__all__ = [
    "SGD", "Adam", "AdamW", "RMSProp", "Callback", "Checkpoint", "DivergenceWarning", "EarlyStopping",
    "History", "LambdaCallback", "ModelCheckpoint", "ModelFileError", "evaluate", "fit", "load", "optim",
    "resume", "save", "Trace", "trace", "compare_solvers",
    "BinaryCrossEntropy", "Dense", "Dropout", "GradcheckReport", "Identity", "Layer", "LeakyReLU",
    "Loss", "Objective", "ReLU", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy",
    "SquaredError", "Tanh", "functional", "get_activation", "get_loss", "gradcheck", "init", "mlp",
]
