"""The playground: small 2-D problems, a network to shape, and every number of its training open.

The web page (``glassnet serve``, ``/playground``) is a front-end over this
package; everything it shows can be computed here from a :class:`Spec`, and
:func:`script` writes the Python that reproduces a run with the public API.
"""

from .data import FEATURES, SETS, features, make, read_csv
from .session import MAX_LAYERS, MAX_NEURONS, Session, Spec, build, make_optimizer, script

__all__ = ["FEATURES", "MAX_LAYERS", "MAX_NEURONS", "SETS", "Session", "Spec", "build", "features", "make",
           "make_optimizer", "read_csv", "script"]
