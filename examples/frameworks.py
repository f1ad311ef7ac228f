"""Tutorial 02's last part promised a comparison with the big frameworks. Here it is, with PyTorch.

One network, 784-256-128-10 with ReLU and softmax cross-entropy, built in
glassnet and in PyTorch from the same starting weights: the outputs, the
cost and every gradient side by side (float64), then each one's training
speed on data of MNIST's shape (float32, batch 128, plain SGD). For the
full, repeated measurement see benchmarks/throughput.py.

    python examples/frameworks.py [--quick]          # needs torch (pip install torch==2.13.0)
"""

from __future__ import annotations

import time

import numpy as np

import glassnet as gn


def main(quick: bool = False, out=None) -> dict:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0 (CPU) to run this comparison")
        return {}
    r = np.random.default_rng(0)
    X, y = r.random((64, 784)), r.integers(0, 10, 64)
    model = gn.mlp([784, 256, 128, 10], rng=0, dtype=np.float64)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10)).double()
    with torch.no_grad():  # glassnet's W is (in, out); torch's weight is (out, in)
        for layer, lin in zip(model.layers[::2], net[::2]):
            lin.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.b.copy()))
    objective = gn.Objective(model, "cross_entropy")
    cost = objective(*objective.prepare(X, y))
    tcost = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y))
    tcost.backward()
    out_gn, out_t = model.predict(X), net(torch.from_numpy(X)).detach().numpy()
    print("same weights, same batch of 64          glassnet            PyTorch      max |difference|")
    print(f"  output logits[0, :3]  {np.array2string(out_gn[0, :3], precision=5):>22} "
          f"{np.array2string(out_t[0, :3], precision=5):>22}   {np.abs(out_gn - out_t).max():.1e}")
    print(f"  cost                  {cost:>22.12f} {tcost.item():>22.12f}   {abs(cost - tcost.item()):.1e}")
    results = {"max_output_diff": float(np.abs(out_gn - out_t).max()), "cost_diff": abs(cost - tcost.item())}
    diffs = []
    for k, (layer, lin) in enumerate(zip(model.layers[::2], net[::2]), start=1):
        g = layer.grads
        dW = np.abs(g["W"] - lin.weight.grad.numpy().T).max()
        db = np.abs(g["b"] - lin.bias.grad.numpy()).max()
        diffs += [dW, db]
        print(f"  dC/dW{k}, dC/db{k}    largest entries {np.abs(g['W']).max():.3e}, {np.abs(g['b']).max():.3e}"
              f"      both agree to {max(dW, db):.1e}")
    results["max_grad_diff"] = float(max(diffs))

    n = 6400 if quick else 60000
    # pictures of MNIST's shape whose pixels say their class (a template each, under noise), so that the
    # timed runs learn something: random labels would leave them no better than chance, and glassnet says so
    ys = r.integers(0, 10, n)
    Xs = 0.5 * r.random((10, 784), dtype=np.float32)[ys] + 0.5 * r.random((n, 784), dtype=np.float32)
    speed = {}
    m32 = gn.mlp([784, 256, 128, 10], rng=0)
    m32.fit(Xs[:1280], ys[:1280], loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=1, batch_size=128)
    t = time.perf_counter()
    m32.fit(Xs, ys, loss="cross_entropy", optimizer="sgd", lr=0.01, epochs=1, batch_size=128, verbose=False)
    speed["glassnet"] = n / (time.perf_counter() - t)
    net32 = net.float()
    opt = torch.optim.SGD(net32.parameters(), lr=0.01)
    Xt, yt = torch.from_numpy(Xs), torch.from_numpy(ys)
    for _ in range(2):  # the first pass warms up
        t = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, 128):
            idx = perm[s:s + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net32(Xt[idx]), yt[idx]).backward()
            opt.step()
        speed["PyTorch"] = n / (time.perf_counter() - t)
    print(f"training speed, one epoch of {n:,} samples (float32, batch 128, SGD), samples/s:")
    for name, v in speed.items():
        print(f"  {name:<10}{v:>10,.0f}")
    results["speed"] = speed
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
