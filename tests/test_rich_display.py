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
