"""PyTorch as the oracle of the image layers: random networks of conv, pool, flatten, batch norm and dense layers.

Forward values, the cost, every parameter's gradient, the input's gradient and
the updated running statistics agree to 1e-10 in float64 and 1e-5 in float32,
in training passes (batch statistics) and inference passes (running ones).
Skipped where torch is not installed.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import Workspace

torch = pytest.importorskip("torch")
tF = torch.nn.functional


def random_network(seed, dtype):
    """Shapes, strides, paddings, pooling and the place of batch norm all drawn from the seed."""
    r = np.random.default_rng(seed)
    c, h, w = int(r.integers(1, 4)), int(r.integers(8, 13)), int(r.integers(8, 13))
    layers = []
    shape = (c, h, w)
    for _ in range(int(r.integers(1, 3))):
        k = (int(r.integers(1, 4)), int(r.integers(1, 4)))
        if r.integers(3) == 0:
            stride, padding = (1, 1), "same"
        else:
            stride = (int(r.integers(1, 3)), int(r.integers(1, 3)))
            padding = [0, 1, (0, 1), (2, 1)][int(r.integers(4))]
        out = int(r.integers(2, 6))
        layers.append(gn.Conv2D(shape[0], out, k, stride=stride, padding=padding, bias=bool(r.integers(2)),
                                init="he_normal", rng=r, dtype=dtype))
        shape = layers[-1].output_shape(shape)
        if r.integers(2):
            layers.append(gn.BatchNorm(out, momentum=float(r.uniform(0.05, 0.5)), dtype=dtype))
        layers.append([gn.ReLU(), gn.Tanh(), gn.LeakyReLU(0.1)][int(r.integers(3))])
        pool = [gn.MaxPool2D, gn.AvgPool2D][int(r.integers(2))]
        kp = (int(r.integers(1, 3)), int(r.integers(1, 3)))
        if kp[0] <= shape[1] and kp[1] <= shape[2]:
            layers.append(pool(kp, stride=(int(r.integers(1, 3)), int(r.integers(1, 3)))))
            shape = layers[-1].output_shape(shape)
    layers.append(gn.Flatten())
    flat = int(np.prod(shape))
    hidden = int(r.integers(3, 8))
    layers += [gn.Dense(flat, hidden, rng=r, dtype=dtype), gn.BatchNorm(hidden, dtype=dtype), gn.Sigmoid(),
               gn.Dense(hidden, 4, rng=r, dtype=dtype)]
    model = gn.Sequential(layers, input_shape=(c, h, w), dtype=dtype, rng=seed)
    for layer in model.layers:  # running statistics away from 0 and 1, and a scale away from 1
        if isinstance(layer, gn.BatchNorm):
            layer.state["running_mean"][...] = r.normal(size=layer.num_features)
            layer.state["running_var"][...] = r.uniform(0.5, 2.0, layer.num_features)
            layer.params["gamma"][...] = r.uniform(0.5, 1.5, layer.num_features)
            layer.params["beta"][...] = r.normal(size=layer.num_features)
    n = int(r.integers(2, 7))
    return model, r.normal(size=(n, c, h, w)), r.integers(0, 4, n)


def torch_forward(model, X, tdtype, training):
    """The same network in PyTorch; returns the output, the leaf tensors by label and the new running stats."""
    leaves = {}
    h = x = torch.tensor(X, dtype=tdtype, requires_grad=True)
    running = []
    for i, layer in enumerate(model.layers):
        p = {k: torch.tensor(np.asarray(v, np.float64), dtype=tdtype, requires_grad=True)
             for k, v in layer.params.items()}
        leaves.update({(i, k): v for k, v in p.items()})
        name = type(layer).__name__
        if name == "Conv2D":
            padding = tuple(layer.padding) if isinstance(layer.padding, list) else layer.padding
            h = tF.conv2d(h, p["W"], p.get("b"), stride=layer.stride, padding=padding)
        elif name == "MaxPool2D":
            h = tF.max_pool2d(h, layer.kernel_size, layer.stride)
        elif name == "AvgPool2D":
            h = tF.avg_pool2d(h, layer.kernel_size, layer.stride)
        elif name == "BatchNorm":
            mean = torch.tensor(np.asarray(layer.state["running_mean"], np.float64), dtype=tdtype)
            var = torch.tensor(np.asarray(layer.state["running_var"], np.float64), dtype=tdtype)
            h = tF.batch_norm(h, mean, var, p["gamma"], p["beta"], training=training, momentum=layer.momentum,
                              eps=layer.eps)
            running += [mean, var]
        elif name == "Flatten":
            h = h.reshape(h.shape[0], -1)
        elif name == "Dense":
            h = h @ p["W"] + p["b"]
        elif name == "ReLU":
            h = torch.relu(h)
        elif name == "Tanh":
            h = torch.tanh(h)
        elif name == "Sigmoid":
            h = torch.sigmoid(h)
        elif name == "LeakyReLU":
            h = tF.leaky_relu(h, layer.alpha)
        else:
            raise AssertionError(name)
    return h, x, leaves, running


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("training", [True, False])
def test_image_networks_agree_with_pytorch(seed, dtype, tol, training):
    model, X, y = random_network(seed, dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    out_t, x_t, leaves, running_t = torch_forward(model, X, tdtype, training)
    cost_t = tF.cross_entropy(out_t, torch.tensor(y))
    cost_t.backward()

    objective = gn.Objective(model, "softmax_cross_entropy")
    ws = Workspace(model, training)
    out = model.forward(X.astype(dtype), workspace=ws)
    cost, grad = objective.cost_and_grad(out, y)
    dx = model.backward(grad, ws, need_input_grad=True)

    def close(a, b, what):
        b = b.detach().numpy()
        scale = max(1.0, float(np.abs(b).max()))
        assert np.abs(np.asarray(a, np.float64) - b).max() <= tol * scale, what

    close(out, out_t, "output")
    assert abs(cost - cost_t.item()) <= tol * max(1.0, abs(cost))
    for (i, name), leaf in leaves.items():
        close(model.layers[i].grads[name], leaf.grad, f"layers[{i}].{name} gradient")
    close(dx, x_t.grad, "input gradient")
    ours = [layer.state[k] for layer in model.layers if isinstance(layer, gn.BatchNorm)
            for k in ("running_mean", "running_var")]
    for a, b in zip(ours, running_t):
        close(a, b, "running statistics")
