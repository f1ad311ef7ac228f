"""The ``glassnet`` command: train, evaluate, predict, check and describe models.

A thin layer over the public API: each subcommand parses its arguments,
calls glassnet, and prints. Errors in what the user gave (a missing file, a
bad CSV, a picture that is not one) are glassnet's errors or the system's
(:class:`~glassnet.errors.GlassnetError`, ``OSError``): they end with a
one-line message and exit status 2. Anything else is a bug in glassnet and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from . import datasets
from ._version import __version__
from .compare import compare_solvers, digits_problem, xor_problem
from .errors import DataError, GlassnetError
from .gradcheck import gradcheck
from .io.images import model_image_shape, prepare_digit
from .metrics import confusion_matrix, format_confusion
from .models import Sequential, load, mlp, save
from .nn import Dense
from .plots import learning_curves, loss_curves
from .tracing import trace_example
from .training import EarlyStopping
from .web import check_web_dependencies, default_model, image_shape_of, serve

DEFAULTS: dict[str, dict[str, Any]] = {  # a sensible network and schedule per dataset
    "digits": {"layers": "256,128", "epochs": 100, "batch_size": 32, "l2": 1e-4},
    "mnist": {"layers": "256,128", "epochs": 20, "batch_size": 128, "l2": 0.0},
    "csv": {"layers": "64", "epochs": 200, "batch_size": 32, "l2": 0.0},
}
DEFAULT_LR = {"sgd": 0.1, "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001}


class UserError(GlassnetError):
    """A problem with what the user asked for, reported without a traceback."""


# --- data -----------------------------------------------------------------------


def load_data(dataset: str, data: str | None, target: str | None, test_fraction: float, seed: int):
    """(train, test) Datasets for a dataset name, as the training command splits them."""
    if dataset == "digits":
        return datasets.train_test_split(datasets.load_digits(), test_fraction, rng=seed)
    if dataset == "mnist":
        return datasets.load_mnist(data)
    if dataset == "csv":
        if not data or not target:
            raise UserError("--dataset csv needs --data FILE.csv and --target COLUMN")
        return datasets.train_test_split(datasets.load_csv(data, target), test_fraction, rng=seed)
    raise UserError(f"unknown dataset {dataset!r}")


def standardize(train: datasets.Dataset) -> tuple[list[float], list[float]]:
    mean = train.X.mean(axis=0)
    scale = train.X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean.tolist(), scale.tolist()


def apply_scaling(X: np.ndarray, meta: dict) -> np.ndarray:
    if "input_mean" not in meta:
        return X
    return ((X - np.asarray(meta["input_mean"])) / np.asarray(meta["input_scale"])).astype(np.float32)


# --- train ----------------------------------------------------------------------


def cmd_train(args) -> int:
    d = DEFAULTS[args.dataset]
    layers = [int(s) for s in (args.layers or d["layers"]).split(",") if s.strip()]
    epochs = args.epochs or d["epochs"]
    batch = d["batch_size"] if args.batch_size is None else (args.batch_size or None)  # 0: full batch
    train, test = load_data(args.dataset, args.data, args.target, args.test_fraction, args.seed)
    classify = train.task == "classification"
    meta = {"dataset": args.dataset, "data": str(Path(args.data).resolve()) if args.data else None,
            "target": args.target, "task": train.task, "classes": train.classes,
            "feature_names": train.feature_names, "image_shape": train.image_shape,
            "test_fraction": args.test_fraction, "seed": args.seed}
    if args.dataset == "csv":
        meta["input_mean"], meta["input_scale"] = standardize(train)
    X, Xt = apply_scaling(train.X, meta), apply_scaling(test.X, meta)
    n_out = len(train.classes) if classify else 1
    model = mlp([X.shape[1], *layers, n_out], activation=args.activation, dropout=args.dropout,
                   rng=args.seed)
    loss = "cross_entropy" if classify else "mse"
    print(f"dataset {train.name}: {len(train)} training and {len(test)} test samples, "
          f"{X.shape[1]} features" + (f", {n_out} classes" if classify else ""))
    print(model.summary())
    options = {}
    if args.optimizer not in ("bfgs", "lbfgs"):
        options["lr"] = args.lr or DEFAULT_LR[args.optimizer]
        if args.momentum:
            options["momentum"] = args.momentum
    callbacks = [EarlyStopping(patience=args.patience)] if args.patience else []
    history = model.fit(X, train.y, loss=loss, optimizer=args.optimizer, epochs=epochs, batch_size=batch,
                        l2=d["l2"] if args.l2 is None else args.l2,
                        validation_split=args.validation_fraction, callbacks=callbacks,
                        verbose=False if args.quiet else None, **options)
    if history.message:
        print(history.message)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model_path = Path(args.model) if args.model else out / "model.glassnet"
    test_accuracy = report(model, X, train.y, Xt, test.y, loss, classify, train.classes)
    if test_accuracy is not None:
        meta["test_accuracy"] = test_accuracy
    save(model_path, model, metadata=meta)
    print(f"model written to {model_path}")
    try:
        plot = learning_curves(history, Path(args.plot) if args.plot else out / "learning_curves.png",
                               title=f"{train.name}: {'-'.join(map(str, model_sizes(model)))}")
        print(f"learning curves written to {plot}")
    except ImportError as exc:  # matplotlib is optional
        print(f"no plot: {exc}")
    return 0


def model_sizes(model) -> list[int]:
    return [model.in_features] + [layer.out_features for layer in model.layers if isinstance(layer, Dense)]


def report(model, X, y, Xt, yt, loss, classify, classes) -> float | None:
    """Print the scores on the training and test sets; return the test accuracy of a classifier."""
    if classify:
        train_acc = np.mean(model.predict_classes(X) == y)
        pred = model.predict_classes(Xt)
        test_acc = float(np.mean(pred == yt))
        print(f"training accuracy {train_acc:.2%}   test accuracy {test_acc:.2%}")
        print("confusion matrix on the test set:")
        print(format_confusion(confusion_matrix(yt, pred, len(classes)), classes))
        return test_acc
    else:
        print(f"training cost {model.evaluate(X, y, loss)['loss']:.4g}   "
              f"test cost {model.evaluate(Xt, yt, loss)['loss']:.4g}  (1/2 mean squared error)")
    return None


# --- evaluate, predict, info ----------------------------------------------------


def model_data(meta: dict, dataset: str | None = None, data: str | None = None, target: str | None = None):
    """(train, test) split as `glassnet train` split them for this model; arguments override its metadata."""
    dataset = dataset or meta.get("dataset")
    if dataset is None:
        raise UserError("the model file does not say which dataset it was trained on: give --dataset")
    return load_data(dataset, data or meta.get("data"), target or meta.get("target"),
                     meta.get("test_fraction", 0.2), meta.get("seed", 0))


def cmd_evaluate(args) -> int:
    ck = load(args.model)
    model = ck.model
    assert isinstance(model, Sequential)  # glassnet.load builds the facade's models
    meta = ck.metadata
    dataset = args.dataset or meta.get("dataset")
    _, test = model_data(meta, args.dataset, args.data, args.target)
    Xt = apply_scaling(test.X, meta)
    check_width(model, Xt.shape[1], f"the {dataset} data")
    classify = test.task == "classification"
    if classify:
        pred = model.predict_classes(Xt)
        print(f"{dataset} test set: {len(test)} samples, accuracy {np.mean(pred == test.y):.2%}")
        print(format_confusion(confusion_matrix(test.y, pred, len(test.classes)), test.classes))
    else:
        print(f"{dataset} test set: cost {model.evaluate(Xt, test.y, 'mse')['loss']:.4g}")
    return 0


def check_width(model, n_features: int, what: str) -> None:
    if model.in_features != n_features:
        raise UserError(f"the model expects {model.in_features} input features, but {what} has "
                        f"{n_features}: was the model made for another input size?")


def cmd_predict(args) -> int:
    ck = load(args.model)
    meta = ck.metadata
    classes = meta.get("classes") or [str(i) for i in range(ck.model.out_features or 0)]
    for item in args.inputs:
        if item.lower().endswith(".csv"):
            predict_csv(ck.model, meta, item, classes)
        else:
            predict_image(ck.model, meta, item, classes)
    return 0


def predict_csv(model, meta, path, classes) -> None:
    target = meta.get("target")
    if not Path(path).is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    with open(path, newline="") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise UserError(f"{path} is empty")
    names = [h.strip() for h in header]
    if target and target in names:
        data = datasets.load_csv(path, target)
        X = data.X
    else:
        try:
            X = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float32)
        except ValueError as exc:
            raise DataError(f"{path} is not a CSV of numbers: {exc}") from None
    X = apply_scaling(X, meta)
    check_width(model, X.shape[1], path)
    if meta.get("task", "classification") == "classification":
        proba = model.predict_proba(X)
        for i, p in enumerate(proba):
            print(f"{path} row {i + 1}: {classes[int(p.argmax())]}  (p={p.max():.3f})")
    else:
        for i, v in enumerate(model.predict(X)[:, 0]):
            print(f"{path} row {i + 1}: {v:.6g}")


def predict_image(model, meta, path, classes) -> None:
    shape = model_image_shape(model.in_features, meta)
    image = prepare_digit(path, shape, name=path)
    check_width(model, image.size, f"a {shape[0]}x{shape[1]} image")
    proba = model.predict_proba(image.reshape(1, -1))[0]
    best = int(proba.argmax())
    print(f"{path}: {classes[best]}  (p={proba[best]:.3f})")
    print("  " + "  ".join(f"{c}:{p:.3f}" for c, p in zip(classes, proba)))


def cmd_info(args) -> int:
    ck = load(args.model)
    size = os.path.getsize(args.model)
    print(f"{args.model}: {size:,} bytes")
    print(ck.model.summary())
    meta = {k: v for k, v in ck.metadata.items() if k not in ("input_mean", "input_scale")}
    for k, v in meta.items():
        if v not in (None, [], ""):
            print(f"  {k}: {v}")
    if ck.optimizer is not None:
        print(f"  optimizer: {ck.optimizer!r}, {ck.optimizer.t} steps")
    return 0


# --- gradcheck, trace, compare-solvers --------------------------------------------


def cmd_gradcheck(args) -> int:
    if args.model:
        ck = load(args.model)
        model, meta = ck.model, ck.metadata
        train, _ = model_data(meta, meta.get("dataset", "digits"))
        X = apply_scaling(train.X, meta)
        loss = "cross_entropy" if meta.get("task", "classification") == "classification" else "mse"
    else:
        train = datasets.load_digits()
        X = train.X
        model = mlp([64, 16, 10], activation=args.activation, rng=args.seed)
        loss = "cross_entropy"
        print(f"a {model.in_features}-16-10 {args.activation} network on {args.samples} digits")
    check_width(model, X.shape[1], "the data")
    rows = np.random.default_rng(args.seed).choice(len(X), size=min(args.samples, len(X)), replace=False)
    report_ = gradcheck(model, loss, X[rows], train.y[rows], l2=args.l2, max_entries=args.max_entries,
                           rng=args.seed)
    print(report_.to_markdown() if args.markdown else report_)
    return 0 if report_.passed else 1


def cmd_trace(args) -> int:
    text = trace_example(args.example, markdown=args.markdown, lr=args.lr, l2=args.l2)
    if args.output:
        Path(args.output).write_text(text)
        print(f"trace written to {args.output}")
    else:
        print(text)
    return 0


def cmd_compare(args) -> int:
    problem = xor_problem() if args.problem == "xor" else digits_problem(args.seed)
    result = compare_solvers(*problem, seed=args.seed, epochs=args.epochs)
    print(result.table())
    if args.plot:
        print(f"loss curves written to {loss_curves(result.curves(), args.plot)}")
    return 0


def cmd_serve(args) -> int:
    check_web_dependencies()  # before a default model is trained for a minute
    checkpoint = load(args.model) if args.model else default_model(args.data)
    image_shape_of(checkpoint)  # a model that does not take pictures is refused before serving
    serve(checkpoint, host=args.host, port=args.port, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
          allowed_hosts=args.allowed_host)
    return 0


# --- the parser -------------------------------------------------------------------


def layer_sizes(text: str) -> str:
    """``--layers``: comma-separated positive widths, checked when parsed."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas; received {text!r}")
    return ",".join(parts)


def port_number(text: str) -> int:
    """``--port``: 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535; received {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535; received {value}")
    return value


def positive_number(text: str) -> float:
    """A number greater than zero (``--max-upload-mb``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number greater than 0; received {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number greater than 0; received {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0; received {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassnet", description="Train, check and use glassnet networks.")
    p.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train an MLP (default: the 8x8 digits, no download)")
    t.add_argument("--dataset", choices=list(DEFAULTS), default="digits")
    t.add_argument("--data", help="MNIST folder, or the CSV file for --dataset csv")
    t.add_argument("--target", help="the CSV column to predict")
    t.add_argument("--layers", type=layer_sizes, help="hidden layer widths, comma separated (digits: 256,128)")
    t.add_argument("--activation", default="relu", choices=["relu", "leaky_relu", "tanh", "sigmoid"])
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--optimizer", default="adam",
                   choices=["sgd", "rmsprop", "adam", "adamw", "bfgs", "lbfgs"])
    t.add_argument("--lr", type=float, help="learning rate (adam: 0.001, sgd: 0.1)")
    t.add_argument("--momentum", type=float, default=0.0, help="for sgd")
    t.add_argument("--epochs", type=positive_int, help="epochs (iterations for bfgs/lbfgs)")
    t.add_argument("--batch-size", type=positive_int, help="rows per step; 0 for the whole set")
    t.add_argument("--l2", type=float, help="L2 regularization strength (digits: 1e-4, else 0)")
    t.add_argument("--patience", type=positive_int, help="stop when validation cost stalls this long")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--test-fraction", type=float, default=0.2, help="held-out share (digits, csv)")
    t.add_argument("--validation-fraction", type=float, default=0.1)
    t.add_argument("--out", default="glassnet-out", help="folder for the model and plot")
    t.add_argument("--model", help="model file path (default OUT/model.glassnet)")
    t.add_argument("--plot", help="learning-curve PNG path (default OUT/learning_curves.png)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="score a model on its dataset's test set")
    e.add_argument("model")
    e.add_argument("--dataset", choices=list(DEFAULTS))
    e.add_argument("--data")
    e.add_argument("--target")
    e.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser("predict", help="predict CSV rows or classify pictures of digits")
    pr.add_argument("model")
    pr.add_argument("inputs", nargs="+", help="CSV files or image files (PNG, JPEG, ...)")
    pr.set_defaults(func=cmd_predict)

    g = sub.add_parser("gradcheck", help="backpropagation against central differences, per parameter")
    g.add_argument("model", nargs="?", help="a model file (default: a small digits network)")
    g.add_argument("--samples", type=positive_int, default=8)
    g.add_argument("--max-entries", type=positive_int, default=30, help="entries checked per parameter")
    g.add_argument("--activation", default="tanh")
    g.add_argument("--l2", type=float, default=0.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--markdown", action="store_true")
    g.set_defaults(func=cmd_gradcheck)

    tr = sub.add_parser("trace", help="every value of one training iteration, beside its formula")
    tr.add_argument("--example", default="or", choices=["or", "xor", "341"])
    tr.add_argument("--lr", type=float, default=1.0)
    tr.add_argument("--l2", type=float, default=0.0)
    tr.add_argument("--markdown", action="store_true")
    tr.add_argument("--output", help="write to this file instead of the terminal")
    tr.set_defaults(func=cmd_trace)

    c = sub.add_parser("compare-solvers",
                       help="GD, mini-batch, SGD, momentum, Adam, BFGS, L-BFGS side by side")
    c.add_argument("--problem", default="xor", choices=["xor", "digits"])
    c.add_argument("--epochs", type=positive_int, default=2000)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--plot", help="PNG of the overlaid loss curves")
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("serve", help="a web page to upload or draw a digit and see the prediction")
    s.add_argument("model", nargs="?", help="a digit model file (default: a cached one, trained at first start)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=port_number, default=8000)
    s.add_argument("--data", help="MNIST folder for training the default model")
    s.add_argument("--max-upload-mb", type=positive_number, default=4.0, help="larger uploads are refused (413)")
    s.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a host name the page may be reached by besides this machine's loopback names "
                        "(repeat for several; '*' for any: only behind a proxy that checks names)")
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("info", help="a model file's architecture, size and metadata")
    i.add_argument("model")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (GlassnetError, OSError) as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
