"""Write the notebooks from the cells below, run each in a fresh kernel and store it with its outputs.

    python notebooks/build.py            # all of them
    python notebooks/build.py 04 05      # those whose names start so

The cells live here, as text, so that a change to a notebook is a reviewable
change to this file; the stored notebooks read on a code host without running.
A cell tagged ``published`` prints a tutorial's published figures beside
glassnet's: tests/test_notebooks.py runs every notebook again and fails when
such a cell prints anything else than what is stored. Every other cell must
print what is stored up to the rounding of its numbers, except one tagged
``timed``, whose seconds are the machine's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

INSTALL = '''\
# glassnet is not on a package registry. Where it is missing (a hosted notebook service), this cell
# installs it from its repository: the folder this notebook sits in, or GLASSNET_REPOSITORY
# (a folder, or a git address such as git+https://host/you/glassnet).
import importlib.util
import os
import pathlib
import subprocess
import sys

if importlib.util.find_spec("glassnet") is None:
    here = pathlib.Path.cwd()
    source = os.environ.get("GLASSNET_REPOSITORY") or next(
        (str(p) for p in (here, *here.parents) if (p / "pyproject.toml").is_file()), None)
    if source is None:
        raise RuntimeError("glassnet is not installed: set GLASSNET_REPOSITORY to its repository and run again")
    spec = f"glassnet[app] @ {source}" if "://" in source else f"{source}[app]"
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", spec])'''

NOTEBOOKS: dict[str, list[tuple[str, str] | tuple[str, str, list[str]]]] = {}

NOTEBOOKS["01_sigmoid_network"] = [
    ("md", """# A network of sigmoid units, trained by a loop over epochs

The first tutorial trains a small network on 5 samples of 3 features: a hidden layer of 5 sigmoid units, one
sigmoid output, no biases, and a loop that takes the output's error term `d = 2 (y - out) out (1 - out)`, adds
`hidden.T @ d` to the output weights and `X.T @ ((d @ W2.T) hidden (1 - hidden))` to the hidden ones: the same
error sent back through the output weights. That update is gradient descent with learning rate 1 on the sum of
squared errors (without the one-half), which in glassnet is `SquaredError("sum")` at learning rate 2.

It publishes its outputs after 10,000 epochs (0.0068 0.9942 0.9918 0.0058 0.0072 for labels 0 1 1 0 0). Its
input rows and its starting weights were lost, so this notebook checks glassnet differently: the same loop
written in plain NumPy, from the same starting weights, must give the same numbers."""),
    ("code", INSTALL),
    ("code", """import numpy as np

import glassnet as gn

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0]], dtype=float)
Y = np.array([0, 1, 1, 0, 0], dtype=float)

def uniform01(shape, rng, dtype):  # the tutorial's np.random.rand: weights uniform in [0, 1)
    return rng.random(shape).astype(dtype)

rng = np.random.default_rng(1)
model = gn.Sequential([gn.Dense(3, 5, bias=False, init=uniform01, rng=rng, dtype=np.float64), gn.Sigmoid(),
                       gn.Dense(5, 1, bias=False, init=uniform01, rng=rng, dtype=np.float64), gn.Sigmoid()])
w1, w2 = [w.copy() for w in model.get_weights()]
model"""),
    ("md", "One forward and backward pass, drawn: every operation with its value and its gradient."),
    ("code", """gn.draw_graph(model, X, Y, gn.SquaredError("sum"),
              title="5 samples, 3-5-1 sigmoid network, before training")"""),
    ("code", """history = model.fit(X, Y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=2.0), epochs=10_000,
                    batch_size=None, shuffle=False, verbose=False)
history"""),
    ("md", "The tutorial's loop in plain NumPy, from the same starting weights:"),
    ("code", """def sigmoid(z):
    return 1 / (1 + np.exp(-z))

a, b = w1.copy(), w2.copy()
for _ in range(10_000):
    hidden = sigmoid(X @ a)
    out = sigmoid(hidden @ b)
    delta_out = 2 * (Y[:, None] - out) * out * (1 - out)
    delta_hidden = (delta_out @ b.T) * hidden * (1 - hidden)
    b += hidden.T @ delta_out
    a += X.T @ delta_hidden

glassnet_out = model.predict(X).ravel()
plain_out = sigmoid(sigmoid(X @ a) @ b).ravel()
print("glassnet   ", " ".join(f"{v:.4f}" for v in glassnet_out))
print("plain NumPy", " ".join(f"{v:.4f}" for v in plain_out))
difference = np.abs(glassnet_out - plain_out).max()  # its last digits depend on the processor's BLAS kernels
print("largest difference below 1e-15:", bool(difference < 1e-15))
assert np.allclose(glassnet_out, plain_out, rtol=0, atol=1e-10)
assert np.all(np.abs(glassnet_out - Y) < 0.01)  # as the tutorial's: every output within 0.01 of its label""",
     ["published"]),
    ("md", """## Change something

* Give the hidden layer `gn.Tanh()` instead of `gn.Sigmoid()` (below): with weights that start in [0, 1) and
  no biases, which of the two gets there in 1,000 epochs, and why might tanh's outputs in (-1, 1) matter?
* Train for 1,000 epochs only, or with learning rate 0.5: how close are the outputs to the labels then?"""),
    ("code", """for activation in (gn.Sigmoid, gn.Tanh):
    m = gn.Sequential([gn.Dense(3, 5, bias=False, init=uniform01, rng=1, dtype=np.float64), activation(),
                       gn.Dense(5, 1, bias=False, init=uniform01, rng=2, dtype=np.float64), gn.Sigmoid()])
    h = m.fit(X, Y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=2.0), epochs=1_000, batch_size=None,
              shuffle=False, verbose=False)
    print(f"{activation.__name__:8} cost after 1,000 epochs {h.loss[-1]:.5f}")"""),
]

NOTEBOOKS["02_test_scores"] = [
    ("md", """# Test scores from hours of sleep and study: gradient checking, BFGS, overfitting

The second tutorial predicts a test score from hours of sleep and of study with a 2-3-1 sigmoid network without
biases. Inputs are divided by their column maxima and scores by 100, so that both lie in [0, 1]; the cost is
`J = 1/2 * sum((y - yhat)**2)`. Its table of contents goes on to gradient checking, training by BFGS, and
overfitting cured by L2 regularization: this notebook does all three. The tutorial publishes no figure that
depends on its lost random weights, so each result is checked against an independent computation."""),
    ("code", INSTALL),
    ("code", """import numpy as np

import glassnet as gn

hours = np.array([[3, 5], [5, 1], [10, 2]], dtype=float)  # (sleep, study)
scores = np.array([75, 82, 93], dtype=float)
X, y = hours / hours.max(axis=0), scores / 100

def network(seed=0, hidden=3):
    rng = np.random.default_rng(seed)
    return gn.Sequential([gn.Dense(2, hidden, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                          gn.Sigmoid(),
                          gn.Dense(hidden, 1, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                          gn.Sigmoid()])

model = network()
print("untrained predictions", np.round(model.predict(X).ravel() * 100, 1), "(targets 75 82 93)")"""),
    ("md", """## Gradient checking

Backpropagation's gradient against central differences, `(J(w + eps) - J(w - eps)) / (2 eps)`, weight by weight:"""),
    ("code", """loss = gn.SquaredError("sum")
report = gn.gradcheck(model, loss, X, y)
assert report.passed
report"""),
    ("md", "The same check written out by hand for one weight, in plain NumPy:"),
    ("code", """def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def cost(w1, w2):
    return 0.5 * np.sum((y[:, None] - sigmoid(sigmoid(X @ w1) @ w2)) ** 2)

w1, w2 = model.get_weights()
eps, step = 1e-6, np.zeros_like(w1)
step[0, 1] = eps
numeric = (cost(w1 + step, w2) - cost(w1 - step, w2)) / (2 * eps)
objective = gn.Objective(model, loss)
objective(*objective.prepare(X, y))  # one forward and backward pass fills the gradients
print(f"dJ/dW1[0, 1]: backpropagation {model.layers[0].grads['W'][0, 1]:.10f}, by hand {numeric:.10f}")
assert abs(model.layers[0].grads["W"][0, 1] - numeric) < 1e-8"""),
    ("md", """## Gradient descent against BFGS

The tutorial's point about brute force: a grid of 1,000 values for one weight is quick, but for 9 weights it is
1,000**9 evaluations. Gradient descent follows the slope instead, and BFGS also learns the curvature:"""),
    ("code", """gd, bfgs = network(), network()
h_gd = gd.fit(X, y, loss=loss, optimizer=gn.SGD(lr=1.0), epochs=1000, batch_size=None, verbose=False)
h_bfgs = bfgs.fit(X, y, loss=loss, optimizer="bfgs", epochs=200, verbose=False)
print(f"gradient descent, 1000 epochs: cost {h_gd.loss[-1]:.3e}")
print(f"BFGS, {h_bfgs.n_epochs} iterations ({h_bfgs.n_grad_evals} evaluations): cost {h_bfgs.loss[-1]:.3e}")
print("BFGS's predictions", np.round(bfgs.predict(X).ravel() * 100, 2))"""),
    ("md", """## Overfitting, and L2 regularization

Eight made-up students to train on and forty to test on, a wide network (12 hidden units), and the cost with and
without the L2 term `lambda / 2 * sum(W**2)`:"""),
    ("code", """rng = np.random.default_rng(1)
def students(n):
    sleep, study = rng.uniform(2, 10, n), rng.uniform(0, 6, n)
    return np.column_stack([sleep, study]) / [10, 6], np.clip(50 + 3 * sleep + 4 * study + rng.normal(0, 6, n),
                                                               0, 100) / 100

X_train, y_train = students(8)
X_test, y_test = students(40)
for lam in (0.0, 1e-4):
    m = network(seed=2, hidden=12)
    m.fit(X_train, y_train, loss="mse", optimizer="bfgs", epochs=200, l2=lam, verbose=False, tol=1e-12)
    print(f"lambda {lam:<6g} train cost {m.evaluate(X_train, y_train)['loss']:.4f}   "
          f"test cost {m.evaluate(X_test, y_test)['loss']:.4f}")"""),
    ("md", """## Change something

Try `lam = 1e-2`: the weights are held so small that the network can only predict about the mean score, and
glassnet says that the run ended no better than chance. Or give the network 3 hidden units instead of 12."""),
]

NOTEBOOKS["03_activations"] = [
    ("md", """# Activations, softmax and a deeper network

The third tutorial writes the activations (sigmoid, tanh, ReLU, leaky ReLU, softmax) with their derivatives,
one-hot labels for softmax, and trains a 4-layer network by forward pass, backward pass and update. It publishes
no numbers, so each derivative here is checked against central differences computed in the notebook."""),
    ("code", INSTALL),
    ("code", """%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from glassnet import functional as F

z = np.linspace(-4, 4, 401)
pairs = {"sigmoid": (F.sigmoid, F.sigmoid_backward), "tanh": (F.tanh, F.tanh_backward),
         "relu": (F.relu, F.relu_backward),
         "leaky_relu": (lambda z: F.leaky_relu(z, 0.1), lambda a, g: F.leaky_relu_backward(a, g, 0.1))}
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for name, (f, f_backward) in pairs.items():
    a = f(z)
    axes[0].plot(z, a, label=name)
    axes[1].plot(z, f_backward(a, np.ones_like(z)), label=name)
axes[0].set_title("f(z)")
axes[1].set_title("f'(z), from f(z)")
axes[0].legend()
fig.tight_layout()"""),
    ("md", "Each derivative against central differences (away from ReLU's kink at 0):"),
    ("code", """eps = 1e-6
zz = z[np.abs(z) > 1e-3]
for name, (f, f_backward) in pairs.items():
    numeric = (f(zz + eps) - f(zz - eps)) / (2 * eps)
    error = np.abs(f_backward(f(zz), np.ones_like(zz)) - numeric).max()
    print(f"{name:11} largest difference {error:.1e}")
    assert error < 1e-8

# softmax: its Jacobian-vector product against central differences, for one row
s = np.array([[0.5, -1.0, 2.0, 0.1]])
g = np.array([[0.3, -0.2, 0.9, 0.4]])
numeric = np.array([[(np.sum(g * F.softmax(s + eps * e)) - np.sum(g * F.softmax(s - eps * e))) / (2 * eps)
                     for e in np.eye(4)]])
print("softmax     largest difference", f"{np.abs(F.softmax_backward(F.softmax(s), g) - numeric).max():.1e}")
print("one-hot rows for labels 2, 0, 1:\\n", F.one_hot(np.array([2, 0, 1]), 3))"""),
    ("md", "## A 4-layer network on the 8x8 digits, softmax output"),
    ("code", """import glassnet as gn
from glassnet import datasets

digits = datasets.load_digits()
train, test = datasets.train_test_split(digits, 0.2, rng=0)
model = gn.mlp([64, 32, 16, 10], activation="relu", output="softmax", rng=0)
history = model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=20,
                    batch_size=32, validation_split=0.1, verbose=False)
print(f"test accuracy {np.mean(model.predict_classes(test.X) == test.y):.1%}")
model"""),
    ("code", "history"),
    ("md", """## Change something

The same network with each hidden activation in turn. Which trains best in 10 epochs? Try `lr=0.001`, or
sigmoid hidden units at a larger rate."""),
    ("code", """for activation in ("sigmoid", "tanh", "relu", "leaky_relu"):
    m = gn.mlp([64, 32, 16, 10], activation=activation, output="softmax", rng=0)
    m.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=10, batch_size=32,
          verbose=False)
    print(f"{activation:11} test accuracy {np.mean(m.predict_classes(test.X) == test.y):.1%}")"""),
]

NOTEBOOKS["04_computational_graph"] = [
    ("md", """# The computational graph: the OR gate and XOR

The fourth tutorial draws a network as a graph of small operations and runs the chain rule backwards through
it: each node multiplies the gradient that reaches it from above (upstream) by its own local gradient. Its OR
gate has weights w = (0.1, 0.6) and bias 0, the squared-error cost (one half, averaged over the 4 samples) is
**0.089**, and after one step of gradient descent with learning rate 1 it is **0.084**. glassnet draws the same
graph with its numbers: each node's value, and the gradient of the cost with respect to it."""),
    ("code", INSTALL),
    ("code", """import numpy as np

import glassnet as gn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y_or = np.array([0, 1, 1, 1], dtype=float)
dense = gn.Dense(2, 1, dtype=np.float64)
model = gn.Sequential([dense, gn.Sigmoid()])
dense.W = [[0.1], [0.6]]
graph = gn.draw_graph(model, X, y_or, "mse", title="OR gate, w = (0.1, 0.6), b = 0")
graph"""),
    ("md", "The same pass as a trace, each formula beside its numbers, then the step and the new cost:"),
    ("code", """trace = gn.trace(model, X, y_or, "mse", lr=1.0, title="OR gate: one step, learning rate 1")
trace"""),
    ("code", """print("published: cost 0.089, after one step 0.084")
before, after = trace["C"], trace["C'"]
print(f"glassnet:  cost {before:.3f}, after one step {after:.3f}")
assert round(before, 3) == 0.089 and round(after, 3) == 0.084""", ["published"]),
    ("md", """Read the chain rule off the graph: the gradient of `A1` is `(A - Y) / n`; multiplying by the sigmoid's
local gradient `A (1 - A)` gives the gradient of `Z1`; the bias add passes it on unchanged to `M1` and to `b1` (whose
gradient is its sum over the samples), and the product gives `X.T @ dZ1` to `W1`."""),
    ("code", """a = graph["A1"].value
print("dZ1 from the chain rule by hand:", np.round((a - y_or[:, None]) / 4 * a * (1 - a), 4).ravel())
print("dZ1 on the graph:              ", np.round(graph["Z1"].grad, 4).ravel())
assert np.allclose((a - y_or[:, None]) / 4 * a * (1 - a), graph["Z1"].grad, rtol=1e-12)"""),
    ("md", """## XOR, with one hidden layer of 3 sigmoid units

No straight line separates XOR's classes. The tutorial trains a hidden layer of 3 sigmoid units for 5,000 epochs
at learning rate 1 and reaches a cost of about **0.0009** and **100 %** accuracy. Its starting weights are lost;
from glassnet's (seed 0) the run lands near the same place."""),
    ("code", """y_xor = np.array([0, 1, 1, 0], dtype=float)
net = gn.mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=0, dtype=np.float64)
history = net.fit(X, y_xor, loss="mse", optimizer=gn.SGD(lr=1.0), epochs=5000, batch_size=None, verbose=False)
accuracy = np.mean(net.predict_classes(X) == y_xor)
print("published: cost about 0.0009, accuracy 100%")
print(f"glassnet:  cost {history.loss[-1]:.4f}, accuracy {accuracy:.0%}")
assert accuracy == 1.0 and history.loss[-1] < 0.005""", ["published"]),
    ("code", """import tempfile
from pathlib import Path

from IPython.display import Image

from glassnet.tools import plots

out = Path(tempfile.mkdtemp())
Image(filename=plots.decision_boundary(net, X, y_xor, out / "xor.png", title="XOR: 3 hidden sigmoid units"))"""),
    ("md", """## A branch: the cost with an L2 term

With L2 regularization the weights feed two operations, the products and the penalty `L2 = lambda / 2 * sum(W**2)`,
and their gradient is the sum of what comes back along both paths:"""),
    ("code", """gn.draw_graph(net, X, y_xor, "mse", l2=0.01, title="XOR after training, with an L2 term of 0.01")"""),
    ("md", """## Change something

Start the OR gate from other weights, say `dense.W = [[-0.5], [0.2]]`, or take a learning rate of 5 in the trace:
which gradients change sign? For XOR, try 2 hidden units instead of 3, or another seed."""),
]

NOTEBOOKS["05_two_layer_maths"] = [
    ("md", """# The maths of a two-layer network: 3-4-1, written as matrix calculus

The fifth tutorial trains a 3-4-1 sigmoid network without biases for 1,000 iterations at learning rate 1 on
half the sum of squared errors (its `delta2 = (A2 - Y) A2 (1 - A2)` has no factor 2), from weights drawn by
`np.random.seed(1)`, `random((3, 4))` and `random((4, 1))`. It publishes the outputs before (**0.758 0.771 0.791
0.801**) and after training (**0.028 0.925 0.925 0.090**), and **0.925** for the input (1, 0, 1)."""),
    ("code", INSTALL),
    ("code", """import numpy as np

import glassnet as gn

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y = np.array([0, 1, 1, 0], dtype=float)
np.random.seed(1)  # the tutorial's own generator, for its exact starting weights
w1, w2 = np.random.random((3, 4)), np.random.random((4, 1))
model = gn.Sequential([gn.Dense(3, 4, bias=False, dtype=np.float64), gn.Sigmoid(),
                       gn.Dense(4, 1, bias=False, dtype=np.float64), gn.Sigmoid()])
model.set_weights([w1, w2])
before = model.predict(X).ravel()
gn.draw_graph(model, X, Y, gn.SquaredError("sum"), title="3-4-1, np.random.seed(1): before training")"""),
    ("md", """The gradients as the tutorial derives them, with `*` element-wise: `delta2 = (A2 - Y) * A2 (1 - A2)`,
`dW2 = A1.T @ delta2`, `delta1 = (delta2 @ W2.T) * A1 (1 - A1)`, `dW1 = X.T @ delta1`. Written in NumPy, they
must equal backpropagation's:"""),
    ("code", """def sigmoid(z):
    return 1 / (1 + np.exp(-z))

a1 = sigmoid(X @ w1)
a2 = sigmoid(a1 @ w2)
delta2 = (a2 - Y[:, None]) * a2 * (1 - a2)
delta1 = (delta2 @ w2.T) * a1 * (1 - a1)
by_hand = [X.T @ delta1, a1.T @ delta2]

objective = gn.Objective(model, gn.SquaredError("sum"))
objective(*objective.prepare(X, Y))  # one forward and backward pass fills the gradients
for k, (layer, mine) in enumerate(zip(model.layers[::2], by_hand), start=1):
    print(f"dW{k}: largest difference {np.abs(layer.grads['W'] - mine).max():.1e}")
    assert np.allclose(layer.grads["W"], mine, rtol=1e-12, atol=0)"""),
    ("code", """history = model.fit(X, Y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=1.0), epochs=1000,
                    batch_size=None, shuffle=False, verbose=False)
after = model.predict(X).ravel()
one_zero_one = model.predict([[1, 0, 1]])[0, 0]
print("                  published                glassnet")
print("before training   0.758 0.771 0.791 0.801  ", " ".join(f"{v:.3f}" for v in before))
print("after 1,000       0.028 0.925 0.925 0.090  ", " ".join(f"{v:.3f}" for v in after))
print(f"input (1, 0, 1)   0.925                     {one_zero_one:.3f}")
assert [round(v, 3) for v in before] == [0.758, 0.771, 0.791, 0.801]
assert [round(v, 3) for v in after] == [0.028, 0.925, 0.925, 0.090] and round(one_zero_one, 3) == 0.925""",
     ["published"]),
    ("code", "history"),
    ("md", """## Change something

Give the network biases (`bias=True`), or train at learning rate 10: how many iterations does it need to reach the
same outputs? And what does the network say for (0, 0, 0), an input it never saw?"""),
]

NOTEBOOKS["06_conv_net_mnist"] = [
    ("md", """# A conv net reads a photo of a digit

A small convolutional network is trained on MNIST, then reads a photographed digit, and a saliency map shows which
pixels drove its answer. Two pictures made for this notebook sit in `pictures/`; set `PICTURE` to a photo of your
own (one dark digit on light paper, or the reverse). Without MNIST on this machine, the training cells say how to
get it and do nothing else."""),
    ("code", INSTALL),
    ("code", """%matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

import glassnet as gn
from glassnet.datasets import load_mnist
from glassnet.datasets.mnist import default_cache
from glassnet.io.images import prepare_digit
from glassnet.saliency import gradient_saliency

PICTURE = "pictures/seven.jpg"  # or your own
NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")
places = {"the folder GLASSNET_MNIST names": os.environ.get("GLASSNET_MNIST"),
          "glassnet's download cache": default_cache(),
          "the project's shared data": Path.cwd().parent.parent / "shared" / "data" / "mnist"}
where, mnist = next(((w, Path(p)) for w, p in places.items() if p and all((Path(p) / n).is_file() for n in NAMES)),
                    (None, None))
print(f"MNIST found in {where}" if mnist else
      "MNIST not found: run `glassnet train --dataset mnist` once (it downloads the four files), or set "
      "GLASSNET_MNIST to a folder that holds them. The training cells below are skipped.")"""),
    ("code", """if mnist:
    train, test = load_mnist(mnist)
    model = gn.Sequential([gn.Conv2D(out_channels=8, kernel_size=3, padding=1), gn.ReLU(), gn.MaxPool2D(2),
                           gn.Flatten(), gn.Dense(10)], rng=0)
    history = model.fit(train.X[:12000].reshape(-1, 1, 28, 28), train.y[:12000], loss="cross_entropy",
                        optimizer="adam", lr=0.003, epochs=1, batch_size=64, verbose=False)
    accuracy = np.mean(model.predict_classes(test.X[:5000].reshape(-1, 1, 28, 28)) == test.y[:5000])
    print(f"trained on 12,000 pictures for one epoch: {accuracy:.1%} of 5,000 test pictures right")
    display(model)"""),
    ("md", """The photo is prepared as MNIST's pictures were: ink made white on black, the digit boxed in 20x20 pixels
and centred by its mass in 28x28."""),
    ("code", """x = prepare_digit(PICTURE)
fig, axes = plt.subplots(1, 3 if mnist else 2, figsize=(9, 3))
axes[0].imshow(Image.open(PICTURE))
axes[0].set_title("the photo")
axes[1].imshow(x, cmap="gray")
axes[1].set_title("as the network reads it")
if mnist:
    scores = model.predict(x.reshape(1, 1, 28, 28))[0]
    probabilities = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    saliency = gradient_saliency(model, x.reshape(1, 1, 28, 28))[0, 0]
    limit = np.abs(saliency).max()
    axes[2].imshow(x, cmap="gray")
    axes[2].imshow(saliency, cmap="bwr", vmin=-limit, vmax=limit, alpha=0.6)
    axes[2].set_title(f"read as {probabilities.argmax()} (p={probabilities.max():.2f})")
    print("probabilities:", " ".join(f"{d}:{p:.2f}" for d, p in enumerate(probabilities)))
for ax in axes:
    ax.axis("off")
fig.tight_layout()"""),
    ("md", """Red pixels raised the chosen class's score, blue ones lowered it (the gradient of the score with respect
to each pixel). `glassnet predict MODEL photo.jpg --explain out.png` draws the same from the command line.

## Change something

Try `pictures/three.jpg`, or a photo of your own digit. Train with 16 channels instead of 8, or on all 60,000
pictures for two epochs: how does the accuracy change, and does the saliency map look different?"""),
]

NOTEBOOKS["07_from_scikit_learn"] = [
    ("md", """# From scikit-learn's MLPClassifier to glassnet

scikit-learn's multi-layer perceptron no longer gains features. `glassnet.sklearn.GlassnetClassifier` takes the
same parameters and works in the same pipelines and searches, and behind it is a glassnet network that can be
checked, traced and drawn. Here both learn the 8x8 digits with the same settings."""),
    ("code", INSTALL),
    ("code", """import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from glassnet.sklearn import GlassnetClassifier

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
settings = dict(hidden_layer_sizes=(64,), solver="adam", learning_rate_init=0.01, max_iter=300, random_state=0)
for cls in (MLPClassifier, GlassnetClassifier):
    start = time.perf_counter()
    clf = cls(**settings).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(f"{cls.__name__:19} test accuracy {clf.score(X_test, y_test):.1%}, {len(clf.loss_curve_)} epochs, "
          f"final loss {clf.loss_curve_[-1]:.4f}, {seconds:.1f} s")""", ["timed"]),
    ("md", """The fitted attributes have scikit-learn's names (`coefs_`, `intercepts_`, `loss_curve_`, `n_iter_`,
`classes_`), so code that reads them keeps working:"""),
    ("code", """print([w.shape for w in clf.coefs_], [b.shape for b in clf.intercepts_], clf.n_iter_, clf.classes_)"""),
    ("md", """What glassnet adds: the network itself is `clf.model_`, a `glassnet.Sequential`. Check its gradients
against central differences, and draw one pass on two samples (summaries for arrays this large):"""),
    ("code", """import glassnet as gn

net = clf.model_.copy(dtype=np.float64)
gn.gradcheck(net, "cross_entropy", X_train[:20], y_train[:20], max_entries=20, rng=0)"""),
    ("code", """gn.draw_graph(clf.model_, X_train[:2], y_train[:2], "cross_entropy",
              title="GlassnetClassifier's network, 2 samples")"""),
    ("md", """## Change something

Swap `GlassnetClassifier` into a `GridSearchCV` over `alpha` and `hidden_layer_sizes`, as you would with
`MLPClassifier`; or pass `solver="bfgs"`, which scikit-learn does not have."""),
]


def make(name: str, cells: list) -> nbformat.NotebookNode:
    """A notebook of ``cells``, its kernel Python 3."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        kind, source, *tags = cell
        new = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if tags:
            new.metadata["tags"] = tags[0]
        nb.cells.append(new)
    return nb


def main(prefixes: list[str]) -> None:
    # the kernel is this interpreter's: its folder first on PATH, where the kernel's "python" is looked up
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    for name, cells in NOTEBOOKS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        nb = make(name, cells)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
        for i, cell in enumerate(nb.cells):  # stable ids: a rebuild changes only what changed
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])
