"""Layers that answer for themselves: LayerNorm and GlobalAvgPool2D against PyTorch, and a layer of your own.

The two layers joined glassnet the way any layer does, one file each; PyTorch
is their oracle (skipped where it is not installed), central differences the
other. examples/own_layer.py writes a layer outside the package through public
names only, and it trains, checks, traces, saves, loads and exports.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import LAYERS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def torch_pass(module, X, G, params):
    """PyTorch's output, input gradient and parameter gradients of ``sum(module(X) * G)``."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    out = module(x)
    (out * torch.tensor(G)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), [p.grad.numpy() for p in params]


def glassnet_pass(model, X, G):
    out = model.forward(model.check_input(X), training=True, workspace=(ws := model.workspace(training=True)))
    dx = model.backward(G, ws, need_input_grad=True)
    return out.copy(), dx.copy()


@pytest.mark.parametrize("shape", [(7,), (3, 5, 4)], ids=["rows", "images"])
def test_layer_norm_matches_pytorch(shape):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    layer = gn.LayerNorm(shape, eps=1e-4, dtype="float64")
    layer.params["gamma"][...] = r.uniform(0.5, 1.5, shape)
    layer.params["beta"][...] = r.normal(size=shape)
    model = gn.Sequential([layer])
    X, G = r.normal(size=(6, *shape)) * 3 + 1, r.normal(size=(6, *shape))
    twin = torch.nn.LayerNorm(shape, eps=1e-4, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.params["gamma"]))
        twin.bias.copy_(torch.tensor(layer.params["beta"]))
    out, dx, (dgamma, dbeta) = torch_pass(twin, X, G, [twin.weight, twin.bias])
    ours, our_dx = glassnet_pass(model, X, G)
    np.testing.assert_allclose(ours, out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(our_dx, dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], dgamma, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["beta"], dbeta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.predict(X), out, rtol=1e-12, atol=1e-12)  # no batch statistics


def test_global_average_pooling_matches_pytorch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    X, G = r.normal(size=(5, 4, 6, 3)), r.normal(size=(5, 4))
    model = gn.Sequential([gn.GlobalAvgPool2D()], input_shape=(4, 6, 3), dtype="float64")
    twin = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    out, dx, _ = torch_pass(twin, X, G, [])
    ours, our_dx = glassnet_pass(model, X, G)
    np.testing.assert_allclose(ours, out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(our_dx, dx, rtol=1e-12, atol=1e-14)


def test_the_new_layers_pass_the_gradient_check_and_train():
    r = np.random.default_rng(2)
    X, y = r.normal(size=(12, 2, 5, 5)), r.integers(0, 3, 12)
    model = gn.Sequential([gn.Conv2D(2, 4, 3, padding=1, rng=0), gn.LayerNorm((4, 5, 5)), gn.Tanh(),
                           gn.GlobalAvgPool2D(), gn.Dense(4, 6, rng=1), gn.LayerNorm(6), gn.Tanh(),
                           gn.Dense(6, 3, rng=2)], dtype="float64", rng=0)
    report = gn.gradcheck(model, "cross_entropy", X, y, check_input=True)
    assert report.passed, str(report)
    assert {"layers[1]", "layers[5]"} <= {row.label.split()[0] for row in report.rows}
    before = model.evaluate(X, y, "cross_entropy")["loss"]
    model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=30, verbose=False)
    assert model.evaluate(X, y, "cross_entropy")["loss"] < before / 2
    assert "LayerNorm((4, 5, 5))" in model.summary() and "GlobalAvgPool2D()" in model.summary()


def test_the_new_layers_save_and_load(tmp_path):
    model = gn.Sequential([gn.LayerNorm((2, 3, 3)), gn.GlobalAvgPool2D(), gn.Dense(2, 2, rng=0), gn.LayerNorm(2)],
                          dtype="float64")
    model.layers[0].params["gamma"][...] = np.random.default_rng(0).uniform(size=(2, 3, 3))
    X = np.random.default_rng(1).normal(size=(4, 2, 3, 3))
    loaded = gn.load(gn.save(tmp_path / "m.glassnet", model)).model
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(gn.OptionError, match=r"LayerNorm expects samples of shape \(2, 3, 3\)"):
        gn.Sequential([gn.LayerNorm((2, 3, 3))], input_shape=(2, 3, 4))
    with pytest.raises(gn.OptionError, match="normalized_shape"):
        gn.LayerNorm("7")


@pytest.fixture
def own_layer():
    """examples/own_layer.py imported, as a user's module is; its layer unregistered afterwards."""
    spec = importlib.util.spec_from_file_location("own_layer", EXAMPLES / "own_layer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    LAYERS.pop("Scale", None)


def test_a_layer_of_your_own_trains_checks_saves_loads_and_exports(own_layer, tmp_path):
    result = own_layer.main(quick=True, out=tmp_path)
    assert result["accuracy"] > 0.9 and result["gradcheck"]
    assert result["same_after_loading"] and result["loaded_type"] == "Scale"
    trace = result["trace"]
    assert "S1 = X * s1" in trace and "ds1        ds1 = sum over samples of dS1 * X" in trace
    assert "dS1        dS1 = dZ2 @ W2.T" in trace  # the Dense after it names its input S1
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(result["onnx"], providers=["CPUExecutionProvider"])
    model = gn.load(result["model"]).model
    X = np.random.default_rng(3).normal(size=(5, 3))
    (output,) = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(output, model.predict(X), rtol=1e-9, atol=1e-12)
    # a process that has not imported the layer's module refuses the file, and says how to make it known
    proc = subprocess.run([sys.executable, "-m", "glassnet", "info", result["model"]], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Scale" in proc.stderr and "register_layer" in proc.stderr, proc.stderr


def test_register_layer_refuses_what_it_cannot_keep(own_layer):
    with pytest.raises(gn.errors.OptionTypeError, match="subclass of glassnet.Layer"):
        gn.register_layer(dict)

    class Dense(gn.Layer):  # the name of a built-in layer: model files could not tell them apart
        pass

    with pytest.raises(gn.OptionError, match="'Dense' is registered already.*another name"):
        gn.register_layer(Dense)
    assert LAYERS["Dense"] is gn.Dense
    # the same class defined again (a notebook cell run twice) replaces the first
    again = type("Scale", (own_layer.Scale,), {"__module__": own_layer.Scale.__module__,
                                                "__qualname__": own_layer.Scale.__qualname__})
    assert gn.register_layer(again) is again and LAYERS["Scale"] is again


def test_a_layer_without_formulas_is_traced_by_its_name():
    class Double(gn.Layer):
        def __init__(self):
            super().__init__()
            self.params["k"] = np.array([2.0])
            self.grads["k"] = np.zeros(1)

        def forward(self, x, ctx):
            ctx.x = x
            return x * self.params["k"]

        def backward(self, grad, ctx, need_input_grad=True):
            self.grads["k"][...] = (grad * ctx.x).sum()
            return grad * self.params["k"]

    model = gn.Sequential([gn.Dense(2, 2, rng=0, dtype="float64"), gn.Tanh(), Double(), gn.Dense(2, 1, rng=1)],
                          dtype="float64")
    text = str(gn.trace(model, np.ones((2, 2)), np.zeros(2), "mse"))
    assert "H2 = Double(A1)" in text
    assert "dA1        dA1 = dH2 through Double's backward" in text
    assert "dk2        dk2 = dH2 through Double's backward" in text
    assert "f(Z" not in text
    with pytest.raises(gn.OptionError, match="layer \\[2\\] Double has no ONNX equivalent.*onnx_nodes"):
        gn.export_onnx(model, "unused.onnx")
