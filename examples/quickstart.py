"""A small end-to-end run of the engine: XOR learned by a 2-3-1 sigmoid network.

Full-batch gradient descent written out in five lines over the flat parameter
vector, with a gradient check before training: `python examples/quickstart.py`.
"""

import numpy as np

import glassnet as gn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([0, 1, 1, 0], dtype=float)

model = gn.mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=1, dtype="float64")
print(model.summary(), end="\n\n")
print(gn.gradcheck(model, "mse", X, y), end="\n\n")

objective = gn.Objective(model, gn.SquaredError())
Xv, yv = objective.prepare(X, y)
for epoch in range(5000):
    cost = objective(Xv, yv)  # forward and backward: gradients land in model.grads
    model.params -= 4.0 * model.grads  # one vectorized step for the whole network
    if epoch % 1000 == 0:
        print(f"epoch {epoch:5d}  cost {cost:.6f}")

pred = model.predict(X).ravel()
print(f"final cost {objective.value(Xv, yv):.6f}")
print("predictions", np.round(pred, 3), "accuracy", np.mean((pred > 0.5) == y))
