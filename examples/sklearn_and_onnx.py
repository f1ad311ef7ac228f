"""scikit-learn's MLP, switched to glassnet, then deployed through ONNX.

1. The same pipeline with MLPClassifier and with GlassnetClassifier, same random_state: the same
   starting weights, the same held-out samples, the same scores.
2. What glassnet adds on top: the validation loss beside the training loss, drawn as learning curves.
3. The fitted pipeline (scaler and network) as one ONNX graph with skl2onnx, run by ONNX Runtime.

    python examples/sklearn_and_onnx.py [--quick] [--out DIR]

Needs the onnx extra (pip install -e '.[onnx]' in the glassnet folder) for step 3.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from glassnet.sklearn import GlassnetClassifier  # noqa: E402


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)  # float32 in, a float32 network out, as scikit-learn does
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    settings = dict(hidden_layer_sizes=(64,), early_stopping=True, max_iter=60 if quick else 200, random_state=0)

    # 1. the switch: change the class, keep everything else
    scores = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for cls in (MLPClassifier, GlassnetClassifier):
            pipe = make_pipeline(StandardScaler(), cls(**settings)).fit(X_train, y_train)
            scores[cls.__name__] = pipe.score(X_test, y_test)
            print(f"{cls.__name__:>18}: test accuracy {scores[cls.__name__]:.2%} after "
                  f"{pipe[-1].n_iter_} epochs")
    est = pipe[-1]  # the GlassnetClassifier

    # 2. the curves scikit-learn does not keep
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, est.n_iter_ + 1)
    ax.plot(epochs, est.loss_curve_, label="training loss (with the L2 term)")
    ax.plot(epochs, est.validation_loss_curve_, label="validation loss (held-out 10 %)")
    best = int(np.argmax(est.validation_scores_)) + 1
    ax.axvline(best, color="grey", linestyle=":", label=f"best validation accuracy (epoch {best}): kept")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_yscale("log")
    ax.set_title("GlassnetClassifier on digits, early stopping")
    ax.legend()
    fig.tight_layout()
    curves = out / "sklearn_learning_curves.png"
    fig.savefig(curves, dpi=100)
    plt.close(fig)
    print(f"learning curves written to {curves}")

    # 3. one ONNX graph for the whole pipeline
    result = {"scores": scores, "best_epoch": best, "onnx_agrees": None}
    try:
        import onnxruntime as ort
        import skl2onnx

        from glassnet.sklearn.onnx import register
    except ImportError:
        print("ONNX step skipped: install the onnx extra, pip install -e '.[onnx]' in the glassnet folder")
        return result
    register()
    proto = skl2onnx.to_onnx(pipe, X_train[:1], options={GlassnetClassifier: {"zipmap": False}})
    (out / "digits_pipeline.onnx").write_bytes(proto.SerializeToString())
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, {session.get_inputs()[0].name: X_test})
    result["onnx_agrees"] = bool(np.array_equal(labels, pipe.predict(X_test)))
    result["onnx_max_probability_diff"] = float(np.abs(probabilities - pipe.predict_proba(X_test)).max())
    print(f"ONNX Runtime on the test set: labels {'identical' if result['onnx_agrees'] else 'DIFFERENT'}, "
          f"probabilities within {result['onnx_max_probability_diff']:.1e}")
    return result


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
