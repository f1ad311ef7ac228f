"""What a notebook shows: HTML tables for gradient checks, traces, models and histories; plain text kept."""

import dataclasses
import html
import re

import numpy as np

import glassnet as gn
from glassnet.core._html import typeset
from glassnet.tools.tracing import example


def body_rows(page: str) -> list[str]:
    return re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("<tbody>")[1], re.S)


def test_a_gradcheck_report_is_a_table_with_a_row_per_parameter_and_its_failures_marked():
    model, X, y, loss, _ = example("xor")
    report = gn.gradcheck(model, loss, X, y)
    page = report._repr_html_()
    rows = body_rows(page)
    assert len(rows) == len(report.rows) == 4
    for row, cells in zip(report.rows, rows):
        assert html.escape(row.label) in cells and f"{row.rel_error:.3e}" in cells
    assert "FAIL" not in page and "background:#fbe0e0" not in page
    broken = dataclasses.replace(report, rows=[report.rows[0], dataclasses.replace(report.rows[1], passed=False)])
    page = broken._repr_html_()
    marked = [r for r in re.findall(r"<tr([^>]*)>", page.split("<tbody>")[1])]
    assert ["fbe0e0" in m for m in marked] == [False, True]
    assert "gradient check FAILED: first disagreement at layers[0] Dense.b" in page
    assert str(report).startswith("parameter")  # the terminal keeps its text


def test_a_trace_shows_every_formula_typeset_beside_its_numbers():
    model, X, y, loss, title = example("341")
    trace = gn.trace(model, X, y, loss, title=title)
    page = trace._repr_html_()
    for step in trace.steps:
        assert f'title="{html.escape(step.formula)}"' in page  # the formula as written
        assert typeset(step.formula) in page  # and typeset
    sections = list(dict.fromkeys(s.section for s in trace.steps))
    assert len(body_rows(page)) == len(trace.steps) + len(sections)
    assert "<i>W</i><sub>1</sub>" in page and "<sup>T</sup>" in page and "<sup>2</sup>" in page
    assert typeset("dW1 = X.T @ dZ1") == "<i>dW</i><sub>1</sub> = X<sup>T</sup> · <i>dZ</i><sub>1</sub>"
    assert typeset("C = 1/2 * sum((A - Y)**2)") == "C = 1/2 × Σ((A - Y)<sup>2</sup>)"
    # the lower-case parameters too: "Z₁ = X · W₁ + b1" read unevenly
    assert typeset("Z1 = X @ W1 + b1") == "<i>Z</i><sub>1</sub> = X · <i>W</i><sub>1</sub> + <i>b</i><sub>1</sub>"
    assert typeset("dgamma2 = sum(dN2)") == "<i>dgamma</i><sub>2</sub> = Σ(<i>dN</i><sub>2</sub>)"
    assert typeset("log2(x) + bias2") == "log2(x) + bias2"
    assert typeset("a < b & c") == "a &lt; b &amp; c"  # escaped before any markup is added
    assert typeset("dP1b = dZ2 @ W2.T") == ("<i>dP</i><sub>1b</sub> = <i>dZ</i><sub>2</sub> · "
                                            "<i>W</i><sub>2</sub><sup>T</sup>")
    assert repr(trace) == f"Trace({title!r}, {len(trace.steps)} steps)"


def test_a_model_shows_its_layers_shapes_and_parameter_counts():
    model = gn.mlp([4, 3, 2], rng=0)
    page = model._repr_html_()
    rows = body_rows(page)
    assert len(rows) == 3
    assert "Dense(4 -&gt; 3)" in rows[0] and ">15<" in rows[0] and ">8<" in rows[2]
    assert "Sequential (23 parameters, float32)" in page
    assert model.summary().splitlines()[0] == "Sequential (23 parameters, float32)"


def test_a_history_shows_its_learning_curve_and_last_metrics():
    X = np.random.default_rng(0).random((40, 3))
    y = (X.sum(axis=1) > 1.5).astype(int)
    model = gn.mlp([3, 4, 2], rng=0)
    history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=6, validation_split=0.25,
                        verbose=False)
    page = history._repr_html_()
    # the axes, the training and the validation curves, and the legend's two swatches
    assert page.count("<polyline") == 5 and 'stroke="#e0701b" stroke-width="2"' in page
    assert "val_loss" in page and f"{history.loss[-1]:.6g}" in page and "6 epochs" in page
    assert repr(history) == f"History(6 epochs, loss {history.loss[-1]:.6g} at the end)"
    assert "<polyline" in gn.History()._repr_html_()  # no epoch: the axes and a line saying so
    assert "no epoch recorded" in gn.History()._repr_html_()


def test_a_cost_falling_over_decades_is_drawn_on_a_log_axis_in_the_notebook_too():
    """0.84 to 9.4e-5 over 10,000 epochs was drawn on a linear axis, an L flat after epoch 100 (the PNG of
    plots.learning_curves is on a log one); the last epoch's number ran past the picture's edge."""
    import re

    history = gn.History()
    for epoch, cost in enumerate(np.geomspace(0.838, 9.38e-5, 10_000)):
        history.record(epoch, {"loss": float(cost)})
    page = history._repr_html_()
    assert "cost on a log scale" in page and "10,000" in page and "10,000 epochs in 0.00\u00a0s" in page
    points = re.search(r'<polyline points="([^"]+)"[^>]*stroke="#1f6fb4"', page).group(1).split()
    heights = [float(p.split(",")[1]) for p in points]
    middle = heights[len(heights) // 2]  # halfway through, halfway down: on a linear axis it was at the bottom
    assert abs(middle - (heights[0] + heights[-1]) / 2) < 0.05 * (heights[-1] - heights[0])
    x_last = float(re.findall(r'<text x="([\d.]+)"[^>]*>10,000<', page)[0])
    assert x_last + 16 <= 420  # half of "10,000" in a 10-point font fits inside the picture
    flat = gn.History()
    for epoch, cost in enumerate([0.9, 0.8, 0.7]):
        flat.record(epoch, {"loss": cost})
    assert "log scale" not in flat._repr_html_()
