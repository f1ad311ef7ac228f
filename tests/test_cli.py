"""The `glassnet` command, run as a user runs it: in a subprocess, reading its output."""

import io
import re
import shutil

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.cli.data import model_data
from helpers import MNIST_DIR, needs_mnist, rewrite_description, run_glassnet

pytestmark = pytest.mark.slow


glassnet = run_glassnet


def test_default_train_on_digits(digits_run):
    cwd, proc = digits_run
    out = proc.stdout
    assert "dataset digits: 1438 training, 0 validation and 359 test samples, 64 features, 10 classes" in out
    assert "kept the weights" not in out  # the cosine aims at the last epoch, which is the one kept
    test_acc = float(re.search(r"test accuracy ([\d.]+)%", out).group(1))
    assert test_acc >= 97.5  # seed 0 (seeds 0-4 from 98.3 to 99.4 %; 0-9 from 97.8 %)
    assert "true\\pred" in out  # the confusion matrix
    assert (cwd / "glassnet-out" / "model.glassnet").stat().st_size > 0
    assert (cwd / "glassnet-out" / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    # the checkpoint, written as the other files were, is named as they are (it was not said)
    assert out.rstrip().endswith("checkpoint written to glassnet-out/checkpoint.glassnet (glassnet train --resume "
                                 "it, for more --epochs)")
    assert gn.load(cwd / "glassnet-out" / "checkpoint.glassnet").training["epoch"] == 40  # epochs done
    # not a terminal: progress lines, not a bar; at most one every 2 s, and always the last epoch
    assert "\r" not in proc.stderr and proc.stderr.splitlines()[-1].startswith("epoch 40/40  loss ")


def test_info_and_evaluate(digits_run):
    cwd, _ = digits_run
    model = cwd / "glassnet-out" / "model.glassnet"
    info = glassnet("info", model).stdout
    assert "Sequential (50,826 parameters, float32)" in info and "dataset: digits" in info
    ev = glassnet("evaluate", model).stdout
    assert re.search(r"digits test set: 359 samples, accuracy 9\d\.\d+%", ev)


def test_predict_images_of_digits(digits_run, tmp_path):
    from glassnet.datasets import load_digits

    cwd, _ = digits_run
    d = load_digits()
    paths = []
    for i in (0, 1, 2):  # 8x8 digits drawn large, dark ink on white
        img = Image.fromarray(((1 - d.X[i].reshape(8, 8)) * 255).astype(np.uint8)).resize((96, 96))
        paths.append(tmp_path / f"digit{i}.png")
        img.save(paths[-1])
    out = glassnet("predict", cwd / "glassnet-out" / "model.glassnet", *paths).stdout
    predicted = re.findall(r"digit\d\.png: (\d)", out)
    assert predicted == ["0", "1", "2"]
    assert out.count("9:") == 3  # all ten probabilities printed


def test_csv_train_and_predict(tmp_path):
    r = np.random.default_rng(0)
    X = r.normal(size=(200, 3))
    kind = np.where(X[:, 0] + X[:, 1] > 0, "high", "low")
    rows = "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{k}" for (a, b, c), k in zip(X, kind))
    (tmp_path / "t.csv").write_text("f1,f2,f3,kind\n" + rows + "\n")
    glassnet("train", "--dataset", "csv", "--data", tmp_path / "t.csv", "--target", "kind", "--epochs", "60",
             "--out", tmp_path / "o", cwd=tmp_path)
    (tmp_path / "new.csv").write_text("f1,f2,f3\n2,2,0\n-2,-2,0\n")
    out = glassnet("predict", tmp_path / "o" / "model.glassnet", tmp_path / "new.csv").stdout
    assert "new.csv line 2: high" in out and "new.csv line 3: low" in out

    # evaluate on another file: its labels are scored as the model's classes, whatever that file holds
    def write(name, X, kinds, columns="f1,f2,f3"):
        rows = "\n".join(",".join(f"{v:.4f}" for v in x) + f",{k}" for x, k in zip(X, kinds))
        (tmp_path / name).write_text(f"{columns},kind\n{rows}\n")
        return ("evaluate", tmp_path / "o" / "model.glassnet", "--dataset", "csv", "--data", tmp_path / name,
                "--target", "kind")

    low = r.normal(size=(100, 3)) - [2, 2, 0]  # all 'low': the file's own class 0, the model's class 1
    scored = glassnet(*write("low.csv", low, ["low"] * 100)).stdout
    assert "test set: 100 samples" in scored  # every row of a new file, where it scored a fifth of them
    assert float(re.search(r"accuracy ([\d.]+)%", scored)[1]) >= 95
    own = glassnet("evaluate", tmp_path / "o" / "model.glassnet", "--data", tmp_path / "t.csv").stdout
    assert "test set: 40 samples" in own  # the training file itself: its test rows, as trained
    shutil.copy(tmp_path / "t.csv", tmp_path / "copy.csv")  # a copy too, known by its checksum
    assert "test set: 40 samples" in glassnet("evaluate", tmp_path / "o" / "model.glassnet", "--data",
                                              tmp_path / "copy.csv").stdout
    # the tools read another file in the model's numbering of classes, as evaluate does: 'low' is its class 1
    meta = gn.load(tmp_path / "o" / "model.glassnet").metadata
    _, lows = model_data(meta, "csv", str(tmp_path / "low.csv"), "kind")
    assert set(lows.y.tolist()) == {1} and lows.classes == ["high", "low"]
    assert "mid.csv has class(es) that are not the model's classes: 'mid'; the model knows 'high', 'low'" in bad(
        *write("mid.csv", X, np.where(X[:, 2] > 0, "mid", kind)))
    # columns are taken by name, as predict takes them: in another order, or beside others (an id), they
    # were read by position (47 % where the rows in order score 100 %), and an extra column was refused
    wide = r.normal(size=(20, 3))
    rows = "".join(f"A{i},{c:.4f},{a:.4f},{b:.4f},{k}\n" for i, ((a, b, c), k) in enumerate(zip(wide, kind)))
    (tmp_path / "wide.csv").write_text("id,f3,f1,f2,kind\n" + rows)  # an id of text too, as predict ignores
    _, taken = model_data(meta, "csv", str(tmp_path / "wide.csv"), "kind")
    np.testing.assert_allclose(taken.X, wide, atol=1e-4)  # f1, f2, f3, as the file writes them
    assert taken.feature_names == ["f1", "f2", "f3"]
    assert "lacks the feature column(s) 'f3' the model was trained on" in bad(
        *write("narrow.csv", X[:20, :2], kind[:20], "f1,f2"))
    # numeric class names match however they are written: a model from before they were made one name
    # (classes '1.0' and '2.0', as pandas writes float labels) scores a file that writes them 1 and 2
    numbered = write("numbered.csv", X, np.where(kind == "high", "2.0", "1.0"))
    glassnet("train", *numbered[2:], "--epochs", "60", "--out", tmp_path / "n", cwd=tmp_path)
    rewrite_description(tmp_path / "n" / "model.glassnet", lambda m: m["metadata"].update(classes=["1.0", "2.0"]))
    write("numbered.csv", X, np.where(kind == "high", "2", "1"))
    scored = glassnet("evaluate", tmp_path / "n" / "model.glassnet", *numbered[2:]).stdout
    assert float(re.search(r"accuracy ([\d.]+)%", scored)[1]) >= 90


def test_gradcheck_trace_and_compare():
    g = glassnet("gradcheck").stdout
    assert "all 4 gradients agree" in g and "layers[0] Dense.W" in g
    t = glassnet("trace", "--example", "or").stdout
    assert "= 0.0889129" in t and "= 0.0840096" in t and "dW1 = X.T @ dZ1" in t
    md = glassnet("trace", "--example", "341", "--markdown").stdout
    assert md.startswith("# 3-4-1 network") and "## backward" in md
    c = glassnet("compare-solvers", "--epochs", "300").stdout
    for name in ("batch GD", "mini-batch GD", "stochastic GD", "momentum", "Adam", "BFGS", "L-BFGS"):
        assert name in c


@needs_mnist
def test_mnist_train_and_recognise_a_photo(tmp_path, mnist):
    proc = glassnet("train", "--dataset", "mnist", "--data", MNIST_DIR, "--epochs", "2", "--out", tmp_path)
    assert float(re.search(r"test accuracy ([\d.]+)%", proc.stdout).group(1)) > 95
    # its name, and a validation share of exactly a tenth (rounding each class once gave 54001 and 5999)
    assert "dataset mnist: 54000 training, 6000 validation and 10000 test samples" in proc.stdout
    info = glassnet("info", tmp_path / "model.glassnet").stdout
    assert "dataset: mnist" in info and "test_fraction" not in info  # MNIST's test set is its own
    _, test = mnist
    img = Image.fromarray(255 - (test.X[0].reshape(28, 28) * 255).astype(np.uint8)).resize((200, 200))
    img.convert("RGB").save(tmp_path / "seven.jpg")
    out = glassnet("predict", tmp_path / "model.glassnet", tmp_path / "seven.jpg").stdout
    assert out.startswith(f"{tmp_path / 'seven.jpg'}: 7")


def bad(*args, cwd=None):
    proc = glassnet(*args, cwd=cwd, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("glassnet: error: ")
    return proc.stderr


def test_bad_input_gives_a_message_not_a_traceback(digits_run, tmp_path):
    cwd, _ = digits_run
    model = cwd / "glassnet-out" / "model.glassnet"
    assert "model file not found" in bad("info", tmp_path / "nope.glassnet")
    assert "not a glassnet model file" in bad("info", __file__)
    (tmp_path / "gaps.csv").write_text("a,b,y\n1,,0\n2,3,1\n")
    assert "missing value in column 'b'" in bad("train", "--dataset", "csv", "--data", tmp_path / "gaps.csv",
                                                "--target", "y")
    (tmp_path / "text.csv").write_text("a,b,y\n1,2,0\n2,three,1\n")
    assert "column 'b' must be numeric; received 'three'" in bad(
        "train", "--dataset", "csv", "--data", tmp_path / "text.csv", "--target", "y")
    assert "target column 'label' is not in" in bad("train", "--dataset", "csv", "--data",
                                                    tmp_path / "text.csv", "--target", "label")
    (tmp_path / "notes.txt").write_text("not a picture")
    assert "is not a picture glassnet can read" in bad("predict", model, tmp_path / "notes.txt")
    assert "not found" in bad("predict", model, tmp_path / "absent.png")
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000), 1).save(bomb, "PNG")
    (tmp_path / "bomb.png").write_bytes(bomb.getvalue())
    assert "too large" in bad("predict", model, tmp_path / "bomb.png")
    assert f"is a folder, not a picture file: give its pictures ({tmp_path}/*.jpg), or score a folder of class " \
        f"folders with glassnet evaluate {model} --data {tmp_path}" in bad("predict", model, tmp_path)
    assert "--layers: expected whole numbers of at least 1 separated by commas, such as 256,128; received " \
           "'64,-3'" in glassnet("train", "--layers", "64,-3", check=False).stderr
    (tmp_path / "wide.csv").write_text("a,b,c\n1,2,3\n")
    assert "wide.csv has 3 columns, 'a', 'b', 'c', but the model takes 64 features" in bad("predict", model,
                                                                                        tmp_path / "wide.csv")


@needs_mnist
def test_model_made_for_another_input_size(digits_run):
    cwd, _ = digits_run
    msg = bad("evaluate", cwd / "glassnet-out" / "model.glassnet", "--dataset", "mnist", "--data", MNIST_DIR)
    assert "the model expects 64 input features, but the mnist data has 784" in msg


def test_predict_refuses_a_picture_for_a_model_of_table_rows(tmp_path):
    """A 4-feature model is not a 2x2 digit reader: the picture is refused in one line."""
    import glassnet as gn

    model = gn.save(tmp_path / "iris.glassnet", gn.mlp([4, 8, 3], rng=0), metadata={"classes": ["a", "b", "c"]})
    Image.new("L", (60, 60), 255).save(tmp_path / "photo.png")
    proc = glassnet("predict", model, tmp_path / "photo.png", check=False)
    assert proc.returncode == 2 and "this model takes 4 features, not a picture" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_conv_net_on_digits_with_saliency(tmp_path):
    """--arch cnn on the 8x8 digits: a conv net in the model file, predicted and explained like any model."""
    proc = glassnet("train", "--arch", "cnn", "--augment", "--epochs", "4", "--out", tmp_path, "--quiet")
    assert "Conv2D(1 -> 32, 3x3, pad same, no bias)" in proc.stdout and "MaxPool2D" in proc.stdout
    assert "kept the weights" not in proc.stdout  # the recipe's last epoch, no validation share
    assert float(re.search(r"test accuracy ([\d.]+)%", proc.stdout).group(1)) > 80
    info = glassnet("info", tmp_path / "model.glassnet").stdout
    assert "192 values of state" in info
    from glassnet import datasets

    digit = datasets.load_digits().X[0].reshape(8, 8)
    Image.fromarray(((1 - digit) * 255).astype(np.uint8)).resize((96, 96)).save(tmp_path / "zero.png")
    out = glassnet("predict", tmp_path / "model.glassnet", tmp_path / "zero.png", "--explain",
                   tmp_path / "heat.png").stdout
    assert "saliency written to" in out and (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"


def test_augment_works_for_the_mlp_too(tmp_path):
    proc = glassnet("train", "--augment", "--epochs", "3", "--out", tmp_path, "--quiet")
    assert "Dense(64 -> 256)" in proc.stdout and "test accuracy" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (("--arch", "cnn", "--dataset", "csv", "--data", "x.csv"), "--arch cnn reads pictures"),
    (("--arch", "cnn", "--layers", "64"), "--layers describes the MLP; --arch cnn has its own layers"),
    (("--augment", "--dataset", "csv", "--data", "x.csv"), "--augment moves pictures"),
    (("--augment", "--optimizer", "lbfgs"), "--augment needs a gradient-descent optimizer"),
])
def test_conv_net_options_are_checked_before_any_work(args, message, tmp_path):
    assert message in bad("train", *args, "--out", tmp_path, cwd=tmp_path)


def test_explain_needs_a_picture_and_a_writable_path(digits_run, tmp_path):
    cwd, _ = digits_run
    model = cwd / "glassnet-out" / "model.glassnet"
    assert "--explain must end with a picture format" in bad("predict", model, "x.png", "--explain",
                                                              tmp_path / "heat.txt")
    (tmp_path / "rows.csv").write_text(",".join(["0"] * 64) + "\n")
    proc = glassnet("predict", model, tmp_path / "rows.csv", "--explain", tmp_path / "heat.png", check=False)
    # refused before any row is predicted: the rows were printed and then the run called a failure
    assert proc.returncode == 2 and "--explain draws pictures; every input is a CSV file" in proc.stderr
    assert proc.stdout == ""


def test_trace_output_is_written_whole_beside_no_temporary_file(tmp_path, capsys):
    from glassnet import cli

    assert cli.main(["trace", "--example", "xor"]) == 0
    shown = capsys.readouterr().out
    assert cli.main(["trace", "--example", "xor", "--output", str(tmp_path / "t.txt")]) == 0
    assert (tmp_path / "t.txt").read_text() + "\n" == shown  # the terminal gets print's newline after it
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]  # no temporary file left beside it
    capsys.readouterr()
    assert cli.main(["trace", "--output", str(tmp_path / "no" / "t.txt")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--output: the folder '" in err and "does not exist" in err


@needs_mnist
def test_the_command_line_keeps_mnist_as_uint8_and_reads_it_in_the_models_dtype():
    """The command line's loader gives MNIST's pixels lazily: uint8 kept, float32 made batch by batch."""
    from glassnet.cli.data import load_data, scale_inputs
    from glassnet.core.rows import LazyRows
    from glassnet.datasets import load_mnist

    train, test = load_data("mnist", str(MNIST_DIR), None, 0.2, 0)
    assert isinstance(train.X, LazyRows) and train.X.source.dtype == np.uint8 and len(test) == 10000
    same = scale_inputs(train.X, {}, np.float32)
    wide = scale_inputs(train.X, {}, np.float64)
    assert same is train.X
    # a float64 model takes the float32 pixels widened, as it always has (not 1/255 worked out in float64)
    assert type(wide) is np.ndarray and wide.dtype == np.float64
    np.testing.assert_array_equal(wide[[0, 59999]], load_mnist(MNIST_DIR)[0].X[[0, 59999]].astype(np.float64))


@needs_mnist
def test_the_whole_set_solvers_train_on_mnist_from_the_command_line(tmp_path):
    """L-BFGS takes the whole set at every step: the command line gives it MNIST's pixels in memory."""
    proc = run_glassnet("train", "--dataset", "mnist", "--data", MNIST_DIR, "--optimizer", "lbfgs", "--layers", "8",
                        "--epochs", "2", "--quiet", "--out", tmp_path / "out")
    assert "test accuracy" in proc.stdout and (tmp_path / "out" / "model.glassnet").exists()
