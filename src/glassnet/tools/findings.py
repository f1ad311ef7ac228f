"""What :func:`glassnet.diagnose` found: named findings with their evidence and advice, and the thresholds.

Each threshold is a named constant with the reasoning beside it. They were set
on healthy networks (MLPs of ReLU, leaky ReLU, tanh and sigmoid units with 1
to 4 hidden layers, a conv net, three seeds, the library's default
initializations; the depth ratio also on stacks of 10) so that none of those
gets a finding, and on the sick networks of tests/test_diagnose.py so
that each of those gets the right one.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from ..core._html import table

#: a ReLU unit (a column, or a conv channel) that outputs 0 for every sample of the batch is dead: no
#: gradient reaches its weights. A healthy He-initialized layer has none or a few percent; half is a
#: network that has lost half its width (a large negative bias, or a step that was too large)
DEAD_SHARE = 0.5
#: a sigmoid output beyond 0.01 or 0.99 has a local gradient under 0.01, a tanh output beyond +-0.99 one under 0.02:
#: learning through it stalls. Healthy hidden layers at initialization have almost none
SATURATION = 0.99
#: the share of a hidden layer's outputs saturated beyond which the layer is reported
SATURATED_SHARE = 0.5
#: the first weight layer's gradient, relative to its weights, against the last one's. Sigmoid units pass
#: back at most a quarter of the gradient each, so a stack of them shrinks it geometrically: 8 sigmoid
#: layers gave 1.5e-5, while 4 gave 5e-3 and ReLU or tanh stacks of 10 stayed within 0.6-1.3
VANISHING = 1e-3
#: the same ratio the other way: the first layer's gradient a thousand times the last one's
EXPLODING = 1e3
#: a cost before training this many times the chance level (predicting the class frequencies, or the
#: target's mean) means confident wrong guesses or unscaled targets. Fresh networks start at 1.0-1.4
#: times it (the default conv net on digits: 3.06 against 2.30)
INITIAL_FACTOR = 3.0
#: one step's change of a weight matrix against the matrix itself. Adam's first step at its default rate
#: is about 0.02 of a He-initialized layer; a step of half the weights' size throws away what they held
HIGH_STEP = 0.5
#: and a step too small to change anything in the run's lifetime (a learning rate far too low)
LOW_STEP = 1e-7
#: an input column with a standard deviation (or a mean) beyond these is unscaled: raw pixels in 0-255,
#: incomes, years. Inputs of order 1 keep the first layer's products of order 1; pixels scaled to [0, 1]
#: and standardized columns are far below
UNSCALED_STD = 20.0
UNSCALED_MEAN = 50.0
#: the rarest class's share against the most frequent one's: below this, a classifier can reach high
#: accuracy by never naming the rare class (95/5 gives 0.053)
IMBALANCE = 0.1
#: the fewest samples that "0 for every sample" (a dead unit) or "one value in every sample" (a constant
#: column) is judged on, and a class's share on (this many a class): with one or two, a healthy network's
#: units and columns read as dead or constant, and nine digits of ten as missing
MIN_SAMPLES = 8

#: the codes a finding may have, each with what it means in a few words
CODES = {
    "dead_relu": "ReLU units that output 0 for every sample",
    "saturated": "sigmoid or tanh units stuck at their limits",
    "vanishing_gradient": "the first layers get almost no gradient",
    "exploding_gradient": "gradients or a trial step blow up",
    "initial_cost": "the cost starts far above chance",
    "step_ratio": "a step far too large or too small for the weights",
    "nonfinite": "NaN or infinity in the data, the outputs or the gradients",
    "unscaled_input": "input columns far from unit scale",
    "constant_feature": "input columns that never change",
    "class_imbalance": "a class far rarer than another",
}


@dataclass
class Finding:
    """One thing that is wrong, or likely to be.

    Attributes
    ----------
    code : str
        One of :data:`CODES`.
    layer : int or None
        The index in ``model.layers`` it concerns; None for the data or the whole run.
    value : float
        The measured fraction or ratio.
    threshold : float
        What it was compared with.
    evidence : str
        The measurement in words.
    advice : str
        One line on what to try.
    """

    code: str
    layer: int | None
    value: float
    threshold: float
    evidence: str
    advice: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"code must be one of {', '.join(CODES)}; received {self.code!r}")

    @property
    def where(self) -> str:
        """``layer 3`` or ``data/run``."""
        return "data/run" if self.layer is None else f"layer {self.layer}"

    def __str__(self) -> str:
        text = f"{self.code} ({self.where}): {self.evidence}. {self.advice}"
        return textwrap.fill(text, 80, subsequent_indent="    ")


@dataclass
class Diagnosis:
    """The findings of one :func:`glassnet.diagnose`, in the order of the layers, the data's last.

    Attributes
    ----------
    findings : list of Finding
    samples : int
        The rows the pass was made on.
    checked : list of str
        What was looked at (a trial step only with an optimizer).
    """

    findings: list[Finding] = field(default_factory=list)
    samples: int = 0
    checked: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The findings' codes, in order."""
        return [f.code for f in self.findings]

    def __getitem__(self, code: str) -> list[Finding]:
        """The findings with ``code``."""
        return [f for f in self.findings if f.code == code]

    def __str__(self) -> str:
        head = f"diagnosis on {self.samples} sample{'s' * (self.samples != 1)}: "
        if not self.findings:
            return textwrap.fill(head + "no findings (checked " + ", ".join(self.checked) + ")", 80)
        return "\n".join([head + f"{len(self.findings)} finding" + "s" * (len(self.findings) > 1)]
                         + [str(f) for f in self.findings])

    def __repr__(self) -> str:
        return f"Diagnosis({self.codes or 'no findings'})"

    def _repr_html_(self) -> str:
        """The findings as an HTML table for Jupyter."""
        rows = [[f.code, f.where, f.evidence, f.advice] for f in self.findings]
        caption = str(self).splitlines()[0]
        return table(["finding", "where", "evidence", "advice"], rows, caption=caption, marked=[True] * len(rows))
