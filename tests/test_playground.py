"""The playground's engine: settings in a URL, 2-D data, step-by-step training, and a script that redoes it."""

import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DataError, OptionError
from glassnet.playground import SETS, Session, Spec, build, make, make_optimizer, read_csv, script

SPIRAL = Spec(data="spiral", noise=0.1, layers=(8, 8), activations=("tanh", "tanh"), optimizer="adam", lr=0.03,
              batch_size=10, l2=1e-4)


def test_a_spec_goes_into_a_url_and_comes_back_the_same():
    spec = Spec(data="gauss", classes=4, noise=0.35, points=300, train_fraction=0.7, seed=12,
                features=("x1", "x2", "x1*x2", "sin(x1)"), layers=(5, 3, 2), activations=("relu", "tanh", "sigmoid"),
                optimizer="momentum", lr=0.1, batch_size=7, l2=0.001, l1=0.002,
                edits=((0, 0, 1, 2, -0.5), (40, 2, 0, 0, 3.25)))
    assert Spec.from_query(spec.to_query()) == spec
    assert Spec.from_query("?" + spec.to_query()) == spec
    assert Spec.from_query("data=xor") == Spec(data="xor")


@pytest.mark.parametrize("query, message", [
    ("lr=1000000", r"lr must be above 0 and at most 10; received 1e\+06"),
    ("layers=8,8,8,8,8,8,8&activations=tanh,tanh,tanh,tanh,tanh,tanh,tanh", "at most 6 hidden layers; received 7"),
    ("layers=64&activations=relu", r"layers\[0\] must be from 1 to 16; received 64"),
    ("layers=4&activations=swish", "activations must name one of"),
    ("features=x1,x3", "features must be distinct names"),
    ("data=spiral&classes=9", r"classes must be one of \[2, 3, 4, 5\] for spiral; received 9"),
    ("points=1000000", "points must be from 20 to 2,000; received 1000000"),
    ("noise=nan", "noise could not be read from 'nan'"),
    ("points=1_0", "points could not be read from '1_0'"),
    ("points=１０", "points could not be read from '１０'"),
    ("lr=1.5e", "lr could not be read from '1.5e'"),
    ("batch_size=ten", "batch_size could not be read from 'ten'"),
    ("colour=red", "unknown setting 'colour'"),
])
def test_a_bad_setting_is_refused_by_name(query, message):
    with pytest.raises(OptionError, match=message):
        Spec.from_query(query)


@pytest.mark.parametrize("name", ["circle", "xor", "moons"])
def test_a_set_of_its_own_classes_takes_them_whatever_the_classes_field_says(name):
    """The page sends its Classes field with every set: after 3 classes of the spiral, choosing the moons was
    refused ("classes must be one of [2] for moons") and the menu went back to the spiral."""
    spec = Spec.from_query(f"data={name}&classes=3")
    assert spec.classes == 2 and "classes=2" in spec.to_query()


@pytest.mark.parametrize("name", list(SETS))
def test_each_data_set_is_drawn_from_its_seed(name):
    classes = 3 if name in ("gauss", "spiral") else 2
    X, y = make(name, 200, 0.2, 7, classes)
    again, y_again = make(name, 200, 0.2, 7, classes)
    other, _ = make(name, 200, 0.2, 8, classes)
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, other)
    assert X.shape == (200, 2) and np.abs(X).max() < 2
    if SETS[name][0] == "classification":
        assert sorted(np.unique(y)) == list(range(classes))


def test_an_uploaded_csv_is_read_or_refused_with_the_line_at_fault():
    X, y = read_csv("x1,x2,label\n0,0,0\n2,4,1\n1,2,1\n", "classification")
    np.testing.assert_allclose(X, [[-1, -1], [1, 1], [0, 0]])  # scaled into the square
    assert y.tolist() == [0, 1, 1]
    bad = {
        "0,0,0\n1,hello,1\n": "line 2, column 2 must be a number; received 'hello'",
        "0,0,0,5\n1,1,1,5\n": "every row must hold 3 values .* line 1 holds 4",
        "0,0,1\n1,1,1\n": "at least 2 classes; received only class 1",
        "0,0,0\n1,1,0.5\n": "whole numbers",
        "0,0,0\n1,1,7\n": r"0 to k-1 with k from 2 to 5; received 2 labels: \[0, 7\]",
        "x1,x2,label\n": "no data rows",
        "0,0,0\n1,inf,1\n": "line 2, column 2 must be a number; received 'inf'",
        # the line of the file, past a header and blank lines (it read "row 2", counting data rows only)
        "x1,x2,class\n0.1,0.2,0\n0.3,oops,1\n": "line 3, column 2 must be a number; received 'oops'",
        "0.1,0.2,0\n\n\n0.3,oops,1\n": "line 4, column 2 must be a number",
        "x1,x2,class\n\n0.1,0.2,0,9\n": "every row must hold 3 values .* line 3 holds 4",
        # a typo in the first row's first cell made the row a header, dropped without a word
        "0.5O,0.1,1\n0.2,0.3,0\n0.4,0.9,1\n": "line 1, column 1 must be a number; received '0.5O'",
    }
    for text, message in bad.items():
        with pytest.raises(DataError, match=message):
            read_csv(text, "classification")
    with pytest.raises(DataError, match="at most 5,000 rows; received 6,000"):
        read_csv("0,0,0\n1,1,1\n" * 3000, "classification")
    million = ("0.5,0.5,1\n" * 10**6).encode()
    with pytest.raises(DataError, match="at most 1,000,000 bytes"):
        read_csv(million, "classification")
    X, y = read_csv("x,2019,label\n0,0,0\n1,1,1\n", "classification")  # a header with a year among its names
    assert y.tolist() == [0, 1]
    # old Macs' lone CR ends lines: the csv module's "new-line character seen in unquoted field", cut short
    X, y = read_csv("x1,x2,c\r0,0,0\r1,1,1\r", "classification")
    assert X.tolist() == [[-1, -1], [1, 1]] and y.tolist() == [0, 1]
    X, y = read_csv(b"\xef\xbb\xbf1,2,3.5\n2,1,-1\n", "regression")
    assert y.tolist() == [3.5, -1.0]
    # points as far apart as float64 goes: high - low overflowed, and the scaled points were NaN (refused as
    # "X must hold finite values"); a label of 1e308 was shown as -9223372036854775808
    X, _ = read_csv("1e308,0,0\n-1e308,2,1\n0,-1,0\n", "classification")
    np.testing.assert_allclose(X, [[1, -1 / 3], [-1, 1], [0, -1]])
    with pytest.raises(DataError, match=r"received 2 labels: \[0, 1e\+308\]"):
        read_csv("0,0,0\n1,1,1e308\n", "classification")
    # and as close: a range of subnormal numbers halved to 0, and the points were inf and NaN
    X, _ = read_csv("0,5e-324,0\n0,0,1\n", "classification")
    assert np.isfinite(X).all() and X.tolist() == [[-1.0, -1.0], [-1.0, -1.0]]


def test_whole_epochs_are_the_epochs_of_fit():
    session = Session(SPIRAL)
    for _ in range(3):
        session.train_epoch()
    model, loss = build(SPIRAL, 2)
    X, y = session.X_train, session.labels[session.train_rows]
    gn.fit(model, X, y, loss=loss, optimizer=make_optimizer(SPIRAL), epochs=3, batch_size=SPIRAL.batch_size,
           l2=SPIRAL.l2, verbose=False)
    np.testing.assert_array_equal(session.model.params, model.params)
    assert session.epoch == 3 and session.step == 3 * 20  # 200 training points in batches of 10


def test_the_exported_script_reaches_the_same_numbers_edits_included():
    spec = Spec.from_query(SPIRAL.to_query() + "&edits=0,0,1,2,-0.75;23,1,3,4,2.5;23,2,0,0,-1.25")
    session = Session(spec)
    session.train(57)
    assert session.edits == [(0, 0, 1, 2, -0.75), (23, 1, 3, 4, 2.5), (23, 2, 0, 0, -1.25)]
    done = subprocess.run([sys.executable, "-c", script(spec, 57)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    losses = session.losses()
    assert abs(float(printed["train loss"]) - losses["train_loss"]) <= 1e-12
    assert abs(float(printed["test loss"]) - losses["test_loss"]) <= 1e-12
    assert abs(float(printed["weight layer 0 (0, 0)"]) - session.weight(0, 0, 0)["value"]) <= 1e-12
    assert abs(float(printed["its gradient from the last step"]) - session.weight(0, 0, 0)["grad"]) <= 1e-12


def test_the_spiral_is_learned():
    session = Session(Spec.from_query(SPIRAL.to_query() + "&l2=0"))
    for _ in range(200):
        session.train_epoch()
    assert session.losses()["test_accuracy"] > 0.9


def test_a_neurons_formula_holds_its_own_numbers():
    session = Session(SPIRAL)
    session.train(30)
    info = session.neuron(1, 3, point=5)
    x = session.X_train[5]
    hidden = np.tanh(x @ session.model.layers[0].W + session.model.layers[0].b)
    assert info["inputs"] == pytest.approx(hidden.tolist(), abs=1e-15)
    z = hidden @ session.model.layers[2].W[:, 3] + session.model.layers[2].b[3]
    assert info["z"] == pytest.approx(z, abs=1e-14) and info["a"] == pytest.approx(np.tanh(z), abs=1e-14)
    assert f"= {z:.6g};" in info["formula"] and f"tanh(z) = {np.tanh(z):.6g}" in info["formula"]
    with pytest.raises(OptionError, match="hidden layer 1 has no neuron 8"):
        session.neuron(1, 8)


def test_a_weights_gradient_is_the_derivative_of_the_last_batchs_cost():
    session = Session(SPIRAL.__class__(**{**SPIRAL.__dict__, "optimizer": "sgd"}))
    session.train(12)
    rows = session.last_rows
    # the gradient is taken before the step: step back to those weights with plain SGD
    info = session.weight(1, 2, 4)
    W = session.model.layers[2].W
    params_after = session.model.params.copy()
    session.model.params[...] = params_after + session.spec.lr * session.model.grads
    eps, w0 = 1e-6, W[2, 4]
    W[2, 4] = w0 + eps
    up = session.objective.value(session.X_train[rows], session.y_train[rows])
    W[2, 4] = w0 - eps
    down = session.objective.value(session.X_train[rows], session.y_train[rows])
    assert info["grad"] == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)
    assert info["formula"].startswith(f"SGD: w - lr dJ/dw = {info['value']:.6g} - 0.03 x (")


def test_a_frame_shows_the_output_and_every_neuron_over_the_plane():
    session = Session(SPIRAL)
    session.train(5)
    frame = session.frame(grid=16)
    assert frame["output"].shape == (16, 16) and [n.shape for n in frame["neurons"]] == [(8, 16, 16)] * 2
    assert frame["step"] == 5 and 0 <= frame["output"].min() and frame["output"].max() <= 1
    corner = np.array([[-1.0, -1.0]])  # the grid's first cell
    first = np.tanh(corner @ session.model.layers[0].W + session.model.layers[0].b)[0]
    np.testing.assert_allclose(frame["neurons"][0][:, 0, 0], first, atol=1e-15)
    np.testing.assert_allclose(frame["output"][0, 0], session.model.predict(corner)[0, 0], atol=1e-15)


def test_edits_from_a_link_are_checked_before_training():
    for edits in ("0,0,5,0,1.0", "3,9,0,0,1.0", "-1,0,0,0,1.0", "2,0,0,0,1e9"):
        with pytest.raises(OptionError, match="edits: |layer must be from 0 to 2"):
            Session(Spec.from_query("edits=" + edits))


def test_a_weight_edit_is_checked():
    session = Session(SPIRAL)
    with pytest.raises(OptionError, match=r"layer 0 has weights 2 x 8; received \(2, 0\)"):
        session.set_weight(0, 2, 0, 1.0)
    with pytest.raises(OptionError, match="finite number from -100 to 100"):
        session.set_weight(0, 0, 0, float("inf"))
    with pytest.raises(OptionError, match="layer must be from 0 to 2"):
        session.set_weight(3, 0, 0, 1.0)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_the_weight_panel_shows_the_step_the_chosen_optimizer_takes(optimizer):
    """With Adam the panel once showed lr * dJ/dw, 10,000 times off the step Adam takes from its averages."""
    session = Session(SPIRAL.__class__(**{**SPIRAL.__dict__, "optimizer": optimizer}))
    opt, W = session.optimizer, session.model.layers[2].W
    index = session._flat_index(session.model.layers[2], 2, 4)
    seen, step = [], opt.step
    opt.step = lambda: (seen.append(float(session.model.grads[index])), step())  # each step's gradient
    session.train(12)
    del opt.step
    params, t = session.model.params.copy(), opt.t
    state = {k: v.copy() for k, v in opt.state.items()}
    info = session.weight(1, 2, 4)
    np.testing.assert_array_equal(session.model.params, params)  # the preview changed nothing
    assert opt.t == t and all(np.array_equal(state[k], opt.state[k]) for k in state)
    g, lr = info["grad"], session.spec.lr
    m = v = velocity = 0.0  # each rule by hand, from the gradients of every step so far, then this one
    for grad in [*seen, g]:
        m, v, velocity = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad * grad, 0.9 * velocity + grad
    if optimizer == "adam":
        expected = -lr * (m / (1 - 0.9 ** (t + 1))) / (np.sqrt(v / (1 - 0.999 ** (t + 1))) + 1e-8)
    elif optimizer == "momentum":
        expected = -lr * velocity
    else:
        expected = -lr * g
    assert info["step"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    before = W[2, 4]
    opt.step()  # the step itself, with the same gradient, moves the weight by exactly that
    assert W[2, 4] - before == pytest.approx(info["step"], rel=1e-12, abs=1e-15)
    assert f"= {before + info['step']:.6g}" in info["formula"] and info["formula"].startswith(
        {"sgd": "SGD: ", "momentum": "momentum: ", "adam": f"Adam, step {t + 1}: "}[optimizer])
    if optimizer == "adam":
        assert info["step"] != pytest.approx(-lr * g, rel=0.1)  # not plain SGD's lr * dJ/dw
