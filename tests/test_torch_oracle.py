"""PyTorch as an independent oracle: forward values and every gradient of random networks.

Skipped where torch is not installed (it is an optional extra, never a dependency).
"""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")
tF = torch.nn.functional

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
HEADS = [  # (output activation, glassnet loss, torch cost of (output, pre-activation, y), target)
    (None, gn.SquaredError(), lambda a, z, y: 0.5 * ((a - y) ** 2).sum() / a.shape[0], "real"),
    ("sigmoid", gn.SquaredError("sum"), lambda a, z, y: 0.5 * ((a - y) ** 2).sum(), "unit"),
    ("sigmoid", gn.BinaryCrossEntropy(),
     lambda a, z, y: tF.binary_cross_entropy(a, y, reduction="sum") / a.shape[0], "binary"),
    (None, gn.BinaryCrossEntropy(from_logits=True),
     lambda a, z, y: tF.binary_cross_entropy_with_logits(a, y, reduction="sum") / a.shape[0], "unit"),
    ("softmax", gn.SoftmaxCrossEntropy(), lambda a, z, y: tF.nll_loss(torch.log(a), y), "labels"),
    (None, gn.SoftmaxCrossEntropy(), lambda a, z, y: tF.cross_entropy(a, y), "labels"),
    ("tanh", gn.SquaredError(), lambda a, z, y: 0.5 * ((a - y) ** 2).sum() / a.shape[0], "real"),
]


def torch_activation(name, x, layer):
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "relu":
        return torch.relu(x)
    if name == "leaky_relu":
        return tF.leaky_relu(x, layer.alpha)
    if name == "softmax":
        return torch.softmax(x, dim=1)
    return x


def random_case(seed, dtype):
    r = np.random.default_rng(seed)
    depth = int(r.integers(1, 4))
    sizes = [int(s) for s in r.integers(1, 9, size=depth + 2)]
    head, loss, torch_cost, kind = HEADS[seed % len(HEADS)]
    if kind == "labels":
        sizes[-1] = max(sizes[-1], 2)
    layers, names = [], []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        act = head if last else HIDDEN[int(r.integers(len(HIDDEN)))]
        layers.append(gn.Dense(a, b, bias=bool(r.integers(0, 4)), init="xavier_normal", rng=r,
                               dtype=dtype))
        names.append("dense")
        if act is not None:
            layers.append(gn.get_activation(act))
            names.append(act)
        if not last and r.integers(0, 3) == 0:
            layers.append(gn.Dropout(0.3))
            names.append("dropout")
    n = int(r.integers(1, 12))
    X = r.normal(size=(n, sizes[0]))
    k = sizes[-1]
    y = {"real": r.normal(size=(n, k)), "unit": r.uniform(size=(n, k)),
         "binary": r.integers(0, 2, (n, k)) * 1.0, "labels": r.integers(0, k, n)}[kind]
    model = gn.Sequential(layers, rng=seed)
    return model, names, loss, torch_cost, X, y


def torch_run(model, names, torch_cost, X, y, tdtype, contexts):
    params, h = [], torch.tensor(X, dtype=tdtype)
    pre = h
    for layer, name, ctx in zip(model.layers, names, contexts):
        pre = h
        if name == "dense":
            W = torch.tensor(layer.W.astype(np.float64), dtype=tdtype, requires_grad=True)
            params.append(W)
            h = h @ W
            if layer.bias:
                b = torch.tensor(layer.b.astype(np.float64), dtype=tdtype, requires_grad=True)
                params.append(b)
                h = h + b
        elif name == "dropout":
            # the same mask glassnet drew in its training forward pass
            h = h * torch.tensor(ctx.scale.astype(np.float64), dtype=tdtype)
        else:
            h = torch_activation(name, h, layer)
    ty = torch.tensor(y) if y.dtype.kind == "i" else torch.tensor(y, dtype=tdtype)
    cost = torch_cost(h, pre, ty)
    cost.backward()
    return h.detach().numpy(), float(cost.detach()), [p.grad.numpy() for p in params]


def rel(a, b):
    return np.linalg.norm(np.asarray(a, np.float64) - b) / max(np.linalg.norm(b), 1e-30)


@pytest.mark.parametrize(("dtype", "tdtype", "tol"), [
    (np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-5)], ids=["f64", "f32"])
@pytest.mark.parametrize("seed", range(28))
def test_random_networks_agree_with_torch(seed, dtype, tdtype, tol):
    model, names, loss, torch_cost, X, y = random_case(seed, dtype)
    objective = gn.Objective(model, loss)
    Xv, yv = objective.prepare(X, y)
    cost = objective(Xv, yv, training=True)  # draws the dropout masks that torch replays
    grads = [model.layers[i].grads[n].copy() for _, i, n, _ in model.named_parameters()]
    t_out, t_cost, t_grads = torch_run(model, names, torch_cost, X, y, tdtype,
                                       objective.workspace(training=True).contexts)
    assert len(grads) == len(t_grads) > 0
    for g, tg in zip(grads, t_grads):
        assert rel(g, tg) < tol, (g, tg)
    assert abs(cost - t_cost) <= tol * max(abs(t_cost), 1e-30)
    if "dropout" not in names:  # the inference pass equals the training pass
        assert rel(model.predict(X), t_out) < tol
