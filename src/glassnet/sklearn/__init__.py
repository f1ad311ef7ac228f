"""scikit-learn estimators: ``GlassnetClassifier`` and ``GlassnetRegressor``.

They take scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` parameters,
set the same fitted attributes and behave the same way (scikit-learn's own
MLP test file runs against them: ``tests/test_sklearn_mlp_port.py``), with
what those estimators lack: loss and validation-loss curves for every solver,
early stopping for the quasi-Newton solvers, ``class_weight``, the Poisson,
absolute and Huber losses, sparse input, more solvers and schedules, and
scikit-learn's callback protocol. ``docs/scikit-learn.md`` lists every
difference and its reason.

Each estimator is thin: it builds a :func:`glassnet.mlp`, trains it with
:func:`glassnet.fit` and keeps scikit-learn's bookkeeping in one callback
(``_epochs.py``).
"""

from .estimators import GlassnetClassifier, GlassnetRegressor

__all__ = ["GlassnetClassifier", "GlassnetRegressor"]
