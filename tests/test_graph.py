"""The computational graph: every node's value and gradient against gn.trace's and a hand computation,
a layout without overlaps, SVG that a browser opens, PNG, the command line's --graph."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.tools.graph_layout import layout
from glassnet.tools.tracing import example

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def or_graph(**kwargs):
    model, X, y, loss, title = example("or")
    return gn.draw_graph(model, X, y, loss, title=title, **kwargs), gn.trace(model, X, y, loss, **kwargs)


def mnist_sized():
    r = np.random.default_rng(0)
    model = gn.mlp([784, 256, 128, 10], activation="relu", output="softmax", rng=0)
    return model, r.random((8, 784)), r.integers(0, 10, 8)


def test_the_or_gate_graph_holds_the_traces_values_and_gradients():
    graph, trace = or_graph()
    assert [n.key for n in graph.nodes] == ["X", "W1", "M1", "b1", "Z1", "A1", "Y", "C"]
    for key in ("X", "W1", "b1", "Z1", "A1"):
        np.testing.assert_allclose(graph[key].value, trace[key], rtol=1e-14)
    for key in ("W1", "b1", "Z1", "A1"):
        np.testing.assert_allclose(graph[key].grad, trace[f"d{key}"], rtol=1e-13)
    assert graph["C"].value == pytest.approx(trace["C"], rel=1e-14) and round(graph["C"].value, 3) == 0.089
    # by hand: M1 = X W, its gradient dZ1 = (A - Y) / n * A (1 - A)
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([[0], [1], [1], [1.0]])
    a = 1 / (1 + np.exp(-(X @ [[0.1], [0.6]])))
    np.testing.assert_allclose(graph["M1"].value, X @ [[0.1], [0.6]], rtol=1e-15)
    np.testing.assert_allclose(graph["M1"].grad, (a - y) / 4 * a * (1 - a), rtol=1e-13)
    assert graph["Y"].grad is None and graph["C"].grad == 1.0
    assert all(node.grad is not None for node in graph.nodes if node.key != "Y")


def test_an_mnist_sized_network_has_a_node_per_operation_each_matching_the_trace():
    model, X, y = mnist_sized()
    graph, trace = gn.draw_graph(model, X, y, "cross_entropy"), gn.trace(model, X, y, "cross_entropy")
    keys = [n.key for n in graph.nodes]
    assert keys == ["X", "W1", "M1", "b1", "Z1", "A1", "W2", "M2", "b2", "Z2", "A2", "W3", "M3", "b3", "Z3", "A3",
                    "Y", "C"]
    for k in (1, 2, 3):
        for name in (f"Z{k}", f"A{k}"):
            np.testing.assert_allclose(graph[name].value, trace[name], rtol=1e-12, atol=1e-15)
        for name in (f"W{k}", f"b{k}"):
            np.testing.assert_allclose(graph[name].grad, trace[f"d{name}"], rtol=1e-9, atol=1e-15)
    for name in ("A1", "A2", "Z1", "Z2"):
        np.testing.assert_allclose(graph[name].grad, trace[f"d{name}"], rtol=1e-9, atol=1e-15)
    # training fuses softmax with its cost; the graph shows both, and their product is the fused gradient
    np.testing.assert_allclose(graph["Z3"].grad, trace["dZ3"], rtol=1e-9, atol=1e-15)
    assert graph["C"].value == pytest.approx(trace["C"], rel=1e-12)
    assert graph["C"].title == "C = -sum(Y * log(A3)) / n"
    svg = graph._repr_svg_()
    assert svg.count("<title>") == len(graph.nodes)  # one box per node
    for node in graph.nodes:
        assert f"<title>{node.title.replace('>', '&gt;')}</title>" in svg
    assert ">(8, 784)</text>" in svg and ">(784, 256)</text>" in svg  # shapes as labels of edges
    assert "norm" in svg  # summaries of large arrays


def test_an_l2_term_branches_and_sums_both_paths_into_the_weights():
    graph, trace = or_graph(l2=0.5)
    assert graph["L2"].inputs == ["W1"] and graph["J"].inputs == ["C", "L2"]
    np.testing.assert_allclose(graph["W1"].grad, trace["dW1"], rtol=1e-13)  # the trace's includes 0.5 * W1
    assert graph["J"].value == pytest.approx(trace["J"], rel=1e-14)
    assert graph["L2"].value == pytest.approx(0.5 / 2 * (0.1**2 + 0.6**2), rel=1e-14)
    boxes, _ = layout(graph)
    assert_no_overlap(boxes)


def test_a_conv_net_is_drawn_layer_by_layer_with_its_parameters_above():
    model = gn.Sequential([gn.Conv2D(1, 4, 3, padding=1, rng=0), gn.ReLU(), gn.MaxPool2D(2), gn.Flatten(),
                           gn.Dense(64, 10, rng=1)], input_shape=(1, 8, 8), rng=0)
    X = np.random.default_rng(1).random((5, 1, 8, 8))
    graph = gn.draw_graph(model, X, np.arange(5), "cross_entropy", l2=1e-3)
    assert [n.key for n in graph.nodes] == ["X", "W1", "b1", "Z1", "A1", "P1", "F1", "W2", "M2", "b2", "Z2", "Y",
                                            "C", "L2", "J"]
    assert graph["Z1"].inputs == ["X", "W1", "b1"] and graph["L2"].inputs == ["W1", "W2"]
    np.testing.assert_allclose(graph["Z2"].value, model.copy(dtype=np.float64).predict(X), rtol=1e-12)
    boxes, (width, height) = layout(graph)
    assert_no_overlap(boxes)
    chain = [boxes[k] for k in ("X", "Z1", "A1", "P1", "F1", "M2", "Z2", "C", "J")]
    centres = {round(y + h / 2, 6) for _, y, _, h in chain}
    assert len(centres) == 1  # the chain reads along one line, left to right
    assert all(a[0] + a[2] < b[0] for a, b in zip(chain, chain[1:]))
    for param, op in (("W1", "Z1"), ("b1", "Z1"), ("W2", "M2"), ("Y", "C"), ("L2", "J")):
        assert boxes[param][1] + boxes[param][3] < boxes[op][1]  # above what it feeds
    assert all(x + w <= width and y + h <= height for x, y, w, h in boxes.values())


def assert_no_overlap(boxes):
    items = list(boxes.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)


def test_two_layers_without_weights_of_one_symbol_get_names_of_their_own():
    """Max-pooling then global average pooling were both P1: the graph had the edge P1 -> P1 and two boxes one
    over the other, and the trace's t["P1"] was the first of the two."""
    m = gn.Sequential(gn.Conv2D(1, 3, 3), gn.ReLU(), gn.MaxPool2D(2), gn.GlobalAvgPool2D(), gn.Dense(2),
                      input_shape=(1, 6, 6), rng=0)
    X, y = np.random.default_rng(0).normal(size=(2, 1, 6, 6)), np.array([0, 1])
    g = gn.draw_graph(m, X, y, "cross_entropy")
    assert all(a != b for a, b in g.edges()) and ("P1", "P1b") in g.edges() and ("P1b", "M2") in g.edges()
    assert g["P1b"].title.startswith("P1b = the mean of each channel of P1")
    t = gn.trace(m, X, y, "cross_entropy")
    assert t["P1"].shape == (2, 3, 2, 2) and t["P1b"].shape == (2, 3)
    np.testing.assert_allclose(t["P1b"], t["P1"].mean(axis=(2, 3)))
    assert t["dP1b"].shape == (2, 3) and t["dP1"].shape == (2, 3, 2, 2)


def test_small_arrays_are_written_out_and_large_ones_summarized():
    graph, _ = or_graph()
    svg = graph.to_svg()
    assert "[0.1000]" in svg and "[0.6000]" in svg  # W1's numbers
    assert "grad 1" in svg and "value 0.0889" in svg
    model, X, y = mnist_sized()
    svg = gn.draw_graph(model, X, y, "cross_entropy").to_svg()
    assert "value: norm" in svg and "range [" in svg
    assert len(re.findall(r'fill="#[0-9a-f]{6}"', svg)) > 24 * 10  # heat strips


def test_save_writes_svg_and_png_and_refuses_other_files(tmp_path):
    graph, _ = or_graph()
    assert graph.save(tmp_path / "g.svg").read_text().startswith("<svg")
    assert (graph.save(tmp_path / "g.png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(gn.OptionError, match=r"path must end in .svg or .png; received '.*, which ends in '.txt'"):
        graph.save(tmp_path / "g.txt")
    assert not (tmp_path / "g.txt").exists()


def test_the_command_line_draws_the_graph_beside_the_trace(tmp_path):
    run = [sys.executable, "-m", "glassnet", "trace", "--example", "or"]
    done = subprocess.run(run + ["--graph", str(tmp_path / "or.svg")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "graph written to" in done.stdout and "C = 1/2" in (tmp_path / "or.svg").read_text()
    bad = subprocess.run(run + ["--graph", str(tmp_path / "or.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "--graph must end in .svg or .png" in bad.stderr
    same = subprocess.run(run + ["--graph", str(tmp_path / "x.svg"), "--output", str(tmp_path / "x.svg")],
                          capture_output=True, text=True)
    assert same.returncode == 2 and "name the same file" in same.stderr and not (tmp_path / "x.svg").exists()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_the_svgs_open_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    graph, _ = or_graph()
    model, X, y = mnist_sized()
    files = [graph.save(tmp_path / "or.svg"), gn.draw_graph(model, X, y, "cross_entropy").save(tmp_path / "m.svg")]
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        try:
            page = browser.new_page()
            for path in files:
                page.goto(path.as_uri())
                assert page.evaluate("document.documentElement.tagName") == "svg"  # parsed, no error page
                assert page.evaluate("document.querySelectorAll('rect').length") == path.read_text().count("<rect")
                width = page.evaluate("document.documentElement.getBBox().width")
                assert width > 300
        finally:
            browser.close()


def test_saturated_logits_give_the_traces_cost_and_gradients():
    # a confidently wrong softmax: the probabilities of the right classes underflow, the logits do not
    model = gn.mlp([4, 8, 3], output="softmax", rng=0, dtype="float64")
    X, y = np.random.default_rng(0).random((6, 4)) * 300, np.array([0, 1, 2, 0, 1, 2])
    graph, trace = gn.draw_graph(model, X, y, "cross_entropy"), gn.trace(model, X, y, "cross_entropy")
    assert graph["C"].value == pytest.approx(trace["C"], rel=1e-12) and trace["C"] > 40
    for name in ("dZ2", "dW1", "dW2", "db1"):
        np.testing.assert_allclose(graph[name[1:]].grad, trace[name], rtol=1e-12, atol=1e-15)


def test_rows_read_from_a_file_and_values_that_are_not_finite(tmp_path):
    model, X, y, loss, _ = example("or")
    np.save(tmp_path / "x.npy", X)
    graph = gn.draw_graph(model, np.load(tmp_path / "x.npy", mmap_mode="r"), y, loss)
    assert graph["C"].value == pytest.approx(or_graph()[0]["C"].value, rel=1e-15)
    sick = gn.mlp([30, 40, 2], rng=0, dtype="float64")
    sick.layers[0].params["W"][0, :5] = np.nan
    with np.errstate(all="ignore"):
        svg = gn.draw_graph(sick, np.ones((4, 30)), np.array([0, 1, 0, 1]), "cross_entropy").to_svg()
    assert "and 5 NaN, 0 infinite" in svg and 'fill="#000000"' in svg  # said, and drawn black in the strips


def test_the_pictures_text_is_drawn_as_written_not_as_mathematics():
    """matplotlib reads $...$ as mathematics: a title "cost in $ vs gain in $_x" came out in the PNG as italic
    "vsgainin" with the dollars gone, while the SVG was right."""
    from glassnet.core._svg import MatplotlibCanvas

    canvas = MatplotlibCanvas(200, 100)
    canvas.text(10, 20, "cost in $ vs gain in $_x")
    (text,) = canvas.ax.texts
    assert text.get_text() == "cost in $ vs gain in $_x" and text.get_parse_math() is False


def test_pictures_written_to_a_path_that_is_not_one_are_refused_by_name(tmp_path):
    """Graph.save(3) and LRFind.plot(3) gave pathlib's "expected str, bytes or os.PathLike object", and a
    graph saved into a folder that does not exist a bare FileNotFoundError, where LRFind.plot gave an
    OptionError."""
    graph = gn.draw_graph(gn.mlp([2, 2, 1], rng=0), np.zeros((1, 2)), np.zeros(1), "mse")
    r = np.random.default_rng(0)
    found = gn.lr_find(gn.mlp([4, 8, 3], rng=0), r.normal(size=(40, 4)), r.integers(0, 3, 40), "cross_entropy",
                       steps=5)
    for save in (graph.save, found.plot):
        with pytest.raises(gn.OptionError, match="path must be a file path .*; received int"):  # a TypeError too
            save(3)
        with pytest.raises(gn.OptionError, match="path: the folder .* does not exist"):
            save(tmp_path / "missing" / "x.png")


def test_how_a_box_writes_its_numbers_and_draws_its_strip():
    """A weight of 1e300 was written as a 301-digit whole number (every float above 2**52 is whole); one entry of
    1e-4 wrote its whole array with exponents, where the text trace writes 0.0001; a strip's cells were the means
    of runs of entries, all red for a gradient half of whose entries are negative; the tutorial's 5 x 5 hidden
    values were summarized."""
    from glassnet.tools.graph_layout import items

    assert items("value", np.array([1e300, 2.0]))[1][1] == " [1.00e+300  2.00e+00]"  # right-aligned
    assert items("value", np.array([0.417, 0.7203, 1.14e-4]))[1][1] == " [0.4170 0.7203 0.0001]"
    assert items("value", np.array([0, 1, 2]))[1][1] == " [0 1 2]"  # labels stay whole
    assert items("value", np.array([1e-5, -2e-5]))[1][1] == " [ 1.00e-05 -2.00e-05]"  # small as a whole: exponents
    r = np.random.default_rng(0)
    grad = r.normal(size=(784, 256)) + 0.01  # half negative, every run's mean positive
    strip = items("grad", grad)[-1]
    assert strip[0] == "strip" and len(strip[1]) == 24 and set(strip[1]) <= set(grad.ravel())
    assert 6 <= sum(v < 0 for v in strip[1]) <= 18
    assert len(items("value", r.normal(size=(5, 5)))) == 6  # written out: a label and five rows
