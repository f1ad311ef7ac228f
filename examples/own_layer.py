"""A layer of your own, in one file, through glassnet's public names: it trains, checks, saves, loads and exports.

``Scale`` multiplies each feature by a learned factor: ``H = X * s``, with
``dC/ds = sum over samples of dC/dH * X`` and ``dC/dX = dC/dH * s``. The class
says everything glassnet asks of a layer: its shapes, its two passes, its
trace formulas and its ONNX nodes; ``@gn.register_layer`` makes it known to
model files. A process that loads a model with a Scale in it imports this
module first; one that does not is told so.

    python examples/own_layer.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn


@gn.register_layer
class Scale(gn.Layer):
    """``H = X * s``: each of ``features`` inputs times its own learned factor (starting at 1)."""

    trace_symbol = "S"
    trace_forward = "S{k} = {prev} * s{k}"
    trace_backward = "d{prev} = dS{k} * s{k}"

    def __init__(self, features: int, dtype: object = np.float32) -> None:
        super().__init__()
        self.features, self.dtype = int(features), np.dtype(dtype)
        self.params["s"] = np.ones(self.features, dtype=self.dtype)
        self.grads["s"] = np.zeros(self.features, dtype=self.dtype)

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.features,):
            raise gn.OptionError(f"Scale expects {self.features} features per sample; received {input_shape}")
        return (self.features,)

    def forward(self, x, ctx):
        ctx.x = x
        return x * self.params["s"]

    def backward(self, grad, ctx, need_input_grad=True):
        self.grads["s"][...] = (grad * ctx.x).sum(axis=0)
        return grad * self.params["s"]

    def trace_formulas(self, k, prev):
        forward, backward, _ = super().trace_formulas(k, prev)
        return forward, backward, {"s": f"ds{k} = sum over samples of dS{k} * {prev}"}

    def onnx_nodes(self, x, graph):
        return graph.node("Mul", [x, graph.constant("s", self.params["s"])], "scale")

    def config(self):
        return {"features": self.features}

    @classmethod
    def parameter_count(cls, config):
        return int(config["features"])


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    """Train a network with a Scale layer, check it, save, load and export it; the numbers for the tests."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(0)
    X = r.normal(size=(200, 3)) * [1.0, 10.0, 0.1]  # features on very different scales
    y = (X[:, 0] + X[:, 1] / 10 - X[:, 2] * 10 > 0).astype(int)
    model = gn.Sequential([Scale(3, dtype="float64"), gn.Dense(3, 8, rng=1, dtype="float64"), gn.Tanh(),
                           gn.Dense(8, 2, rng=2, dtype="float64")], rng=0)
    history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=10 if quick else 40,
                        batch_size=32, verbose=False)
    check = gn.gradcheck(model, "cross_entropy", X[:8], y[:8])
    path = gn.save(out / "own_layer.glassnet", model)
    loaded = gn.load(path).model
    trace = gn.trace(model, X[:2], y[:2], "cross_entropy")
    worst = max(row.rel_error for row in check.rows)
    result = {"accuracy": history["accuracy"][-1], "gradcheck": check.passed, "max_error": worst,
              "same_after_loading": bool(np.array_equal(loaded.predict(X), model.predict(X))),
              "loaded_type": type(loaded.layers[0]).__name__, "trace": str(trace), "model": str(path)}
    try:
        onnx_path = gn.export_onnx(model, out / "own_layer.onnx")
        result["onnx"] = str(onnx_path)
    except gn.errors.MissingDependencyError:  # the onnx extra is not installed
        result["onnx"] = None
    noise = any(row.within_noise for row in check.rows)  # tiny gradients, whose relative error is rounding's
    print(f"{model.summary()}\ntraining accuracy {result['accuracy']:.1%}; gradient check "
          f"{'passed' if check.passed else 'FAILED'} (largest relative error {worst:.1e}"
          f"{', within rounding noise' if noise else ''}); "
          f"saved, loaded and predicting the same: {result['same_after_loading']}; ONNX: {result['onnx']}")
    return result


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
