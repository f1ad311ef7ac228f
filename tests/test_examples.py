"""Every example runs (short mode) and reproduces the numbers its tutorial publishes."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from helpers import MNIST_DIR, needs_mnist

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name, tmp_path, **kwargs):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(quick=True, out=tmp_path, **kwargs)


def pngs(tmp_path, prefix):
    files = sorted(tmp_path.glob(f"{prefix}*.png"))
    assert files and all(f.read_bytes()[:4] == b"\x89PNG" for f in files)
    return files


def test_or_gate(tmp_path):
    r = run("or_gate", tmp_path)
    assert round(r["loss_one"], 3) == 0.125 and abs(r["loss_one_after"] - 0.109) < 1e-3
    assert round(r["cost"], 3) == 0.089 and round(r["cost_after"], 3) == 0.084
    assert [round(abs(g), 3) for g in r["grad_after"]] == [0.044, 0.035, 0.031]
    assert r["accuracy"] == 1.0
    assert len(pngs(tmp_path, "or_")) == 2


def test_or_gate_full_run_reaches_the_published_cost(tmp_path):
    spec = importlib.util.spec_from_file_location("or_gate", EXAMPLES / "or_gate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.main(quick=False, out=tmp_path)
    assert round(r["cost_final"], 4) == 0.0005  # "about 0.0005" after 5,000 epochs


def test_xor(tmp_path):
    r = run("xor", tmp_path)
    assert r["cross_accuracy"] == 1.0 and r["hidden_accuracy"] == 1.0
    assert len(pngs(tmp_path, "xor_")) == 4


def test_three_four_one(tmp_path):
    r = run("two_layer_341", tmp_path)
    assert np.round(r["initial"], 3).tolist() == [0.758, 0.771, 0.791, 0.801]
    assert np.round(r["trained"], 3).tolist() == [0.028, 0.925, 0.925, 0.090]
    assert round(r["one_zero_one"], 3) == 0.925


def test_sigmoid_network(tmp_path):
    r = run("sigmoid_network", tmp_path)
    assert np.max(np.abs(r[10_000] - [0, 1, 1, 0, 0])) < 0.01  # as the published outputs are


def test_softmax_network(tmp_path):
    r = run("softmax_network", tmp_path)
    assert r["accuracy"] > 0.9
    np.testing.assert_allclose(r["row_sums"], 1.0, rtol=1e-6)


def test_test_scores(tmp_path):
    r = run("test_scores", tmp_path)
    assert r["gradcheck_passed"]
    assert r["bfgs_cost"] < r["gd_cost"] / 100
    np.testing.assert_allclose(r["bfgs_scores"], [75, 82, 93], atol=0.5)
    plain, l2 = r["lambda=0"], r["lambda=0.0001"]
    assert plain["train"] < l2["train"] and l2["test"] < plain["test"]  # L2 trades fit for generalization


def test_brute_force_search(tmp_path):
    r = run("brute_force_search", tmp_path)
    assert r["nine_weights_years"] > 1e9  # hopeless either way
    assert r["one_weight_inside"] and r["two_weights_inside"]  # each search holds the minimum it reports
    assert r["gd_cost"] < r["brute_force_cost"]
    assert len(pngs(tmp_path, "brute_force_")) == 2


def test_compare_solvers(tmp_path):
    r = run("compare_solvers", tmp_path)
    names = {run.name.split(" (")[0] for run in r["xor"].runs}
    assert names == {"batch GD", "mini-batch GD", "stochastic GD", "momentum 0.9", "Adam", "BFGS", "L-BFGS"}
    assert min(r["xor"].runs, key=lambda s: s.final_cost).name == "BFGS"
    assert len(pngs(tmp_path, "solvers_")) == 2


def test_frameworks(tmp_path):
    pytest.importorskip("torch")
    r = run("frameworks", tmp_path)
    assert r["max_output_diff"] < 1e-12 and r["cost_diff"] < 1e-12 and r["max_grad_diff"] < 1e-12
    assert set(r["speed"]) == {"glassnet", "PyTorch"}


def test_digit_weights(tmp_path):
    assert run("digit_weights", tmp_path)["accuracy"] > 0.9
    assert len(pngs(tmp_path, "weights_digits")) == 1


@needs_mnist
def test_digit_weights_mnist(tmp_path):
    assert run("digit_weights", tmp_path, mnist=MNIST_DIR)["accuracy"] > 0.93


def test_quickstart_runs(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLES / "quickstart.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "accuracy 1.0" in capsys.readouterr().out


def test_conv_net(tmp_path):
    r = run("conv_net", tmp_path)
    assert r["accuracy"] > 0.9
    assert len(pngs(tmp_path, "conv_")) == 3


def test_sklearn_and_onnx(tmp_path):
    pytest.importorskip("onnxruntime")
    r = run("sklearn_and_onnx", tmp_path)
    assert r["scores"]["GlassnetClassifier"] > 0.9
    assert abs(r["scores"]["GlassnetClassifier"] - r["scores"]["MLPClassifier"]) < 0.02
    assert r["onnx_agrees"] and r["onnx_max_probability_diff"] < 1e-5
    assert len(pngs(tmp_path, "sklearn_learning_curves")) == 1 and (tmp_path / "digits_pipeline.onnx").exists()


def test_custom_conv_net(tmp_path):
    r = run("custom_conv_net", tmp_path)
    assert r["input_shape"] == (1, 8, 8) and r["params"] == 80 + 1168 + 16448 + 650  # sizes from the data
    assert r["accuracy"] > 0.9 and r["same_after_loading"]
    if "onnx_max_difference" in r:
        assert r["onnx_max_difference"] < 1e-4


def test_a_missing_mnist_folder_is_one_line_from_an_example(tmp_path):
    """The docstrings suggested --mnist ../shared/data/mnist, a folder of the project's machines only; without it
    the example ended in a traceback."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(EXAMPLES / "conv_net.py"), "--quick", "--out", str(tmp_path),
                           "--mnist", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"conv_net.py: error: MNIST folder not found: {tmp_path / 'nowhere'}"
    assert "shared" not in (EXAMPLES / "conv_net.py").read_text() + (EXAMPLES / "digit_weights.py").read_text()
