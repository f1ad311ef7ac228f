"""The scikit-learn estimators: scikit-learn's own checks, pipelines, searches, attributes."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet as gn
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor
from helpers import mechanics_only

# No check is expected to fail. Both solvers' families run: mini-batch Adam and full-batch L-BFGS
# (the one scikit-learn uses to check its own MLPs' sample weights).


@parametrize_with_checks(
    [GlassnetClassifier(max_iter=300, random_state=0), GlassnetRegressor(max_iter=300, random_state=0),
     GlassnetClassifier(solver="lbfgs", random_state=0), GlassnetRegressor(solver="lbfgs", random_state=0)],
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def test_pipeline_with_scaler_and_grid_search(digits):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Xt, y, yt = digits
    pipe = make_pipeline(StandardScaler(), GlassnetClassifier(hidden_layer_sizes=(32,), max_iter=40,
                                                              random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, {"glassnetclassifier__alpha": [1e-4, 1e-2],
                                     "glassnetclassifier__learning_rate_init": [1e-3, 1e-2]},
                              cv=3, n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.9
    assert search.score(Xt, yt) > 0.9
    assert len(search.cv_results_["params"]) == 4


def test_clone_get_params_set_params_roundtrip():
    est = GlassnetRegressor(hidden_layer_sizes=(7, 3), solver="sgd", momentum=0.5, random_state=4)
    params = est.get_params()
    twin = clone(est)
    assert twin.get_params() == params and twin is not est
    twin.set_params(alpha=0.5, hidden_layer_sizes=(2,))
    assert twin.alpha == 0.5 and twin.hidden_layer_sizes == (2,) and est.alpha == 0.0001


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop", "lbfgs", "bfgs"])
def test_fitted_attributes_for_every_solver(digits, solver):
    X, Xt, y, yt = digits
    # BFGS updates a dense inverse Hessian with matrix products, cubic in the number of weights: a
    # narrower network keeps that case to a second
    width = 10 if solver == "bfgs" else 24
    est = GlassnetClassifier(hidden_layer_sizes=(width,), solver=solver, max_iter=60, random_state=0,
                             learning_rate_init=0.05 if solver == "sgd" else 0.003)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X / 16, y)
    assert [c.shape for c in est.coefs_] == [(64, width), (width, 10)]
    assert [b.shape for b in est.intercepts_] == [(width,), (10,)]
    assert len(est.loss_curve_) == est.n_iter_ > 0
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.n_features_in_ == 64 and list(est.classes_) == list(range(10))
    assert est.score(Xt / 16, yt) > 0.85
    proba = est.predict_proba(Xt / 16)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_early_stopping_records_validation_scores(digits):
    X, _, y, _ = digits
    est = GlassnetClassifier(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=5,
                             learning_rate_init=0.01, max_iter=500, random_state=0).fit(X / 16, y)
    assert est.n_iter_ < 500 and len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None and max(est.validation_scores_) > 0.9


def test_convergence_warning_when_max_iter_ends_first(digits):
    X, _, y, _ = digits
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(3\) reached"):
        GlassnetClassifier(max_iter=3, random_state=0).fit(X / 16, y)


def test_partial_fit_continues_training(digits):
    X, Xt, y, yt = digits
    est = GlassnetClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    est.partial_fit(X[:500] / 16, y[:500], classes=np.arange(10))
    first = est.score(Xt / 16, yt)
    for _ in range(15):
        est.partial_fit(X / 16, y)
    # as scikit-learn: n_iter_ counts the last call's epochs; t_ and loss_curve_ count them all
    assert est.n_iter_ == 1 and est.t_ == 500 + 15 * len(X) and len(est.loss_curve_) == 16
    assert est.score(Xt / 16, yt) > max(first, 0.9)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        GlassnetClassifier().partial_fit(X, y)
    # the first call's labels are checked against its classes, as every later call's are
    for classes in ([0, 1], [0, 1, 2]):
        with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`. `self.classes_` has "
                                             rf"\[{' '.join(map(str, classes))}\]. 'y' has \[0 1 5\]"):
            GlassnetClassifier().partial_fit(X[:30], np.array([0, 1, 5] * 10), classes=classes)


def test_class_weight_and_sample_weight_shift_predictions():
    r = np.random.default_rng(0)
    X = r.normal(size=(400, 2))
    y = (X[:, 0] + 0.8 * r.normal(size=400) > 1.0).astype(int)  # about 16% positives, overlapping
    kw = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = GlassnetClassifier(**kw).fit(X, y)
        balanced = GlassnetClassifier(class_weight="balanced", **kw).fit(X, y)
        heavy = GlassnetClassifier(class_weight={0: 1, 1: 10}, **kw).fit(X, y)
        weighted = GlassnetClassifier(**kw).fit(X, y, sample_weight=np.where(y == 1, 10.0, 1.0))
    share = [m.predict(X).mean() for m in (plain, balanced, heavy, weighted)]
    assert share[0] < share[1] < share[2]
    assert share[3] == pytest.approx(share[2], abs=0.05)  # weights 10 either way


def test_partial_fit_weighs_classes_takes_classes_in_any_order_and_names_bad_weights():
    """partial_fit ignored class_weight, refused the classes of its first call given again in another order,
    and negative or misshapen weights were named in rescaled units or by NumPy's broadcasting error."""
    r = np.random.default_rng(0)
    X = r.normal(size=(120, 2))
    y = np.where(X[:, 0] > 0.8, "hi", np.where(X[:, 0] < -0.8, "lo", "mid"))
    order = ["mid", "lo", "hi"]

    def steps(**kw):
        model = GlassnetClassifier(hidden_layer_sizes=(4,), random_state=0, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # three steps do not learn: not what is checked
            for _ in range(3):
                model.partial_fit(X, y, classes=order)  # the same classes, given again in their own order
        return model

    plain, heavy = steps(), steps(class_weight={"hi": 50.0, "lo": 1.0, "mid": 1.0})
    assert not np.allclose(plain.coefs_[0], heavy.coefs_[0])  # the weights moved the training
    partial = steps(class_weight={"hi": 50.0})  # the classes it leaves out weigh 1: the same training
    np.testing.assert_array_equal(partial.coefs_[0], heavy.coefs_[0])
    few = GlassnetClassifier(hidden_layer_sizes=(4,), random_state=0, class_weight={"hi": 50.0, "lo": 2.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        few.partial_fit(X[y == "mid"], y[y == "mid"], classes=order)  # a part without the classes it names
        with pytest.warns(DataConversionWarning, match="column-vector y"):
            few.partial_fit(X, y[:, None])  # raveled as fit does, not refused as multi-label
    with pytest.raises(ValueError, match="class_weight='balanced' needs all the labels at once"):
        steps(class_weight="balanced")
    kw = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match=r"sample_weight must not be negative; received a minimum of -1$"):
            GlassnetClassifier(**kw).fit(X, y, sample_weight=np.where(y == "hi", -1.0, 1.0))
        with pytest.raises(ValueError, match=r"sample_weight.shape == \(5,\), expected \(120,\)"):
            GlassnetClassifier(class_weight="balanced", **kw).fit(X, y, sample_weight=np.ones(5))
        with pytest.raises(ValueError, match="class_weight weighs each sample by its one class"):
            GlassnetClassifier(class_weight={0: 1, 1: 5}, **kw).fit(X, (X > 0).astype(int))


def test_multilabel_classification_and_multioutput_regression():
    r = np.random.default_rng(1)
    X = r.normal(size=(300, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GlassnetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=300,
                                 random_state=0).fit(X, Y)
        assert clf.predict(X).shape == (300, 3) and clf.predict_proba(X).shape == (300, 3)
        assert np.mean(clf.predict(X) == Y) > 0.95
        T = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * 2])
        reg = GlassnetRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, T)
    assert reg.predict(X).shape == (300, 2) and reg.score(X, T) > 0.95


def test_the_classifier_reports_divergence_like_the_regressor():
    """A learning rate of 1e6: the cost grows until it overflows, and the fit ends as scikit-learn's does."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    with pytest.raises(gn.DivergenceError, match=r"^Solver produced non-finite parameter weights\. .* "
                                                 r"GlassnetClassifier: training diverged at epoch \d+, batch \d+: "
                                                 r"the cost became inf") as info:
        GlassnetClassifier(solver="sgd", learning_rate_init=1e6, max_iter=50, random_state=0).fit(X, y)
    assert isinstance(info.value, ValueError)  # what scikit-learn raises


@pytest.mark.parametrize("load", ["load_breast_cancer", "load_wine"])
def test_a_cost_that_rises_and_falls_again_is_no_divergence_as_in_scikit_learn(load):
    """Unscaled features and SGD: the cost spikes in the first epoch (scikit-learn's curve starts 12.1, 0.61,
    0.52, 0.54) and training goes on. glassnet's guard stopped at ten times the starting cost and raised
    "non-finite parameter weights" about weights that were finite."""
    import sklearn.datasets
    from sklearn.neural_network import MLPClassifier

    X, y = getattr(sklearn.datasets, load)(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GlassnetClassifier(solver="sgd", random_state=0).fit(X, y)
        theirs = MLPClassifier(solver="sgd", random_state=0).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ and abs(ours.score(X, y) - theirs.score(X, y)) < 0.02


def test_a_single_class_is_refused_by_name():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="needs samples of at least 2 classes in y.*received 1 class: 3"):
        GlassnetClassifier().fit(X, np.full(10, 3))


def test_a_regressor_of_one_output_predicts_one_value_per_row_even_from_a_column_target():
    """scikit-learn's MLPRegressor ravels any one-output prediction; a column y left glassnet's a column, so
    y - predict(X) broadcast to an n x n array."""
    r = np.random.default_rng(0)
    X = r.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DataConversionWarning)  # the column's warning, as scikit-learn's
        for target in (y, y[:, None]):
            model = GlassnetRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, target)
            assert model.predict(X[:3]).shape == (3,)
        assert model.score(X, y) == pytest.approx(model.score(X, y[:, None]))


def test_a_misspelt_class_in_class_weight_is_refused_as_scikit_learn_refuses_it():
    r = np.random.default_rng(1)
    X = r.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "cat", "dog")
    kw = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    with pytest.raises(ValueError, match=r"names \['Cat'\], no class of y, and leaves out \['cat'\]: misspelt"):
        GlassnetClassifier(class_weight={"Cat": 5.0, "dog": 1.0}, **kw).fit(X, y)
    with pytest.raises(ValueError, match=r"names \['Cat'\]"):
        GlassnetClassifier(class_weight={"Cat": 5.0}, **kw).partial_fit(X, y, classes=["cat", "dog"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # every class weighed, and one more (a cross-validation fold may lack a class): accepted
        GlassnetClassifier(class_weight={"cat": 5.0, "dog": 1.0, "fox": 2.0}, **kw).fit(X, y)
        GlassnetClassifier(class_weight={"cat": 5.0}, **kw).fit(X, y)  # a class left out weighs 1


@mechanics_only  # one epoch on random labels: which argument is which, not what is learned
def test_partial_fit_takes_its_arguments_in_scikit_learns_order():
    """glassnet had (X, y, classes, sample_weight): weights given third, as MLPClassifier takes them, were read
    as the classes (0/1 weights of a binary problem passed the check) and the fit ran unweighted."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(60, 3)), (r.random(60) > 0.5).astype(int)
    w = (r.random(60) > 0.3).astype(float)
    fits = {}
    for name, call in {"positional": lambda m: m.partial_fit(X, y, w, [0, 1]),
                       "keywords": lambda m: m.partial_fit(X, y, classes=[0, 1], sample_weight=w),
                       "unweighted": lambda m: m.partial_fit(X, y, classes=[0, 1])}.items():
        fits[name] = call(GlassnetClassifier(hidden_layer_sizes=(4,), random_state=0)).coefs_[0]
    np.testing.assert_array_equal(fits["positional"], fits["keywords"])
    assert not np.allclose(fits["positional"], fits["unweighted"])


def test_scikit_learns_own_ranges_for_momentum_and_validation_fraction_are_taken():
    """momentum=1.0 and validation_fraction=0.0 (without early stopping) were refused; MLPClassifier fits both."""
    from sklearn.neural_network import MLPClassifier

    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for kw in ({"validation_fraction": 0.0}, {"solver": "sgd", "momentum": 1.0}):
            MLPClassifier(max_iter=3, random_state=0, **kw).fit(X, y)
            assert GlassnetClassifier(max_iter=3, random_state=0, **kw).fit(X, y).n_iter_ == 3


def test_a_sparse_multilabel_target_is_fitted_and_predicted_sparse_as_in_scikit_learn():
    """A CSR indicator matrix stopped fit with NumPy's "setting an array element with a sequence"."""
    from scipy import sparse
    from sklearn.neural_network import MLPClassifier

    r = np.random.default_rng(0)
    X = r.normal(size=(60, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GlassnetClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(X, sparse.csr_matrix(Y))
        theirs = MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(X, sparse.csr_matrix(Y))
        dense = GlassnetClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(X, Y)
    predicted = ours.predict(X)
    assert sparse.issparse(predicted) and sparse.issparse(theirs.predict(X)) and predicted.shape == (60, 3)
    np.testing.assert_array_equal(predicted.toarray(), dense.predict(X))  # the same fit as from the dense matrix
    assert isinstance(dense.predict(X), np.ndarray) and ours.score(X, Y) == dense.score(X, Y)


def test_a_warm_start_takes_the_settings_that_set_params_changed():
    """A warm start kept its old optimizer and network whatever set_params changed: a rate set to 1e-12 still
    moved weights 0.074, a change of solver or activation did nothing."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = GlassnetClassifier(hidden_layer_sizes=(10,), solver="sgd", learning_rate_init=0.01, max_iter=5,
                                 warm_start=True, random_state=0).fit(X, y)
        optimizer, before = est._optimizer_, est.coefs_[0].copy()
        est.fit(X, y)  # nothing changed: the same optimizer goes on (the documented difference)
        assert est._optimizer_ is optimizer
        before = est.coefs_[0].copy()
        est.set_params(learning_rate_init=1e-12).fit(X, y)
        assert np.abs(est.coefs_[0] - before).max() < 1e-9
        assert isinstance(est.set_params(solver="adam").fit(X, y)._optimizer_, gn.Adam)
        weights = est.coefs_
        est.set_params(activation="tanh", max_iter=1, learning_rate_init=1e-12)
        est.fit(X, y)  # the weights kept, read through tanh
        assert [type(layer).__name__ for layer in est.model_.layers] == ["Dense", "Tanh", "Dense"]
        np.testing.assert_allclose(est.coefs_[0], weights[0], atol=1e-9)
        scores = np.tanh(X @ est.coefs_[0] + est.intercepts_[0]) @ est.coefs_[1] + est.intercepts_[1]
        np.testing.assert_allclose(est.predict_proba(X), gn.ops.functional.softmax(scores), rtol=1e-6)
        est.set_params(activation="logistic").partial_fit(X, y)  # partial_fit reads it too, as scikit-learn's
        assert [type(layer).__name__ for layer in est.model_.layers] == ["Dense", "Sigmoid", "Dense"]


@pytest.mark.parametrize("cls", ["classifier", "regressor"])
def test_predictions_read_the_activation_that_set_params_changed_as_scikit_learn_does(cls):
    """scikit-learn reads activation at each pass, predictions included; glassnet predicted through the
    network of the fit until the next fit."""
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, y = load_iris(return_X_y=True)
    ours, theirs = (GlassnetClassifier, MLPClassifier) if cls == "classifier" else (GlassnetRegressor, MLPRegressor)
    kw = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = [est.fit(X, y) for est in (ours(**kw), theirs(**kw))]
    before = fitted[0].predict(X)
    for est in fitted:
        est.set_params(activation="tanh")
    out = [est.predict_proba(X) if cls == "classifier" else est.predict(X) for est in fitted]
    assert not np.allclose(out[0], before if cls == "regressor" else fitted[0].model_.predict_proba(X))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fitted[0].score(X, y), fitted[1].score(X, y), rtol=1e-9)
    assert [type(layer).__name__ for layer in fitted[0].model_.layers] == ["Dense", "ReLU", "Dense"]  # until a fit


@mechanics_only  # five epochs on random labels: what model_ is, not what it learned
def test_the_fitted_network_is_a_sequential_that_saves_and_evaluates_itself(tmp_path):
    """The docs call model_ a glassnet.Sequential, but it was the bare engine's Stack: model_.save and
    model_.evaluate were missing."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GlassnetClassifier(max_iter=5, random_state=0).fit(X, y)
    assert isinstance(clf.model_, gn.Sequential)
    saved = gn.load(clf.model_.save(tmp_path / "clf.glassnet")).model
    np.testing.assert_array_equal(saved.predict(X), clf.model_.predict(X))
    scores = clf.model_.evaluate(X, y, loss=gn.BinaryCrossEntropy(from_logits=True))  # one logit: two classes
    assert scores["accuracy"] == clf.score(X, y)


@mechanics_only  # a few steps on noise: whether Adam goes on, not what it learns
def test_partial_fit_after_a_new_activation_goes_on_with_the_same_adam():
    """A new activation rebuilds the network around the same weights; the optimizer, bound to a new model
    object, started again (t went 5 -> 5), where the docs say partial_fit continues."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(100, 3)), r.normal(size=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = GlassnetRegressor(solver="adam", batch_size=20, random_state=0).partial_fit(X, y)
        assert reg._optimizer_.t == 5
        reg.set_params(activation="tanh").partial_fit(X, y)
    assert reg._optimizer_.t == 10 and reg.model_.layers[1].name == "tanh"


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_partial_fit_divides_the_adaptive_rate_as_scikit_learn_does(kind):
    """Calls of partial_fit without improvement count toward n_iter_no_change, and the adaptive rate falls
    by 5 each time it is passed: glassnet kept 0.01 where scikit-learn went to 0.0004."""
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, y = load_iris(return_X_y=True)
    kw = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.01,
              n_iter_no_change=2, tol=10.0, random_state=0)
    pairs = {"classifier": (MLPClassifier, GlassnetClassifier, {"classes": [0, 1, 2]}),
             "regressor": (MLPRegressor, GlassnetRegressor, {})}
    theirs, ours, extra = pairs[kind]
    theirs, ours = theirs(**kw), ours(**kw)
    for _ in range(8):
        theirs.partial_fit(X, y, **extra)
        ours.partial_fit(X, y, **extra)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.learning_rate_ == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12) == 0.0004


def test_partial_fit_after_a_quasi_newton_fit_goes_on_with_the_solver_set_since():
    """The L-BFGS fit's optimizer is a name, not an optimizer: partial_fit with "adam" set since was an
    AttributeError ('str' object has no attribute 'schedule')."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GlassnetClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    fitted = [W.copy() for W in clf.coefs_]
    cost = clf.loss_curve_[-1]
    clf.set_params(solver="adam", learning_rate_init=1e-4).partial_fit(X, y)
    assert clf._optimizer_.name == "adam" and clf.n_iter_ == 1 and len(clf.loss_curve_) == 21
    assert abs(clf.loss_curve_[-1] - cost) < 0.05  # the same weights went on, a small step at a time
    assert all(np.abs(W - V).max() < 0.01 for W, V in zip(clf.coefs_, fitted))


def test_a_model_fitted_with_more_threads_than_cores_here_still_predicts_and_fits(monkeypatch):
    """n_threads=2 pickled on a machine of two cores and predicting where one is free: predict refused
    (n_threads must be at most 1); it now predicts with the one core, the same numbers. fit refused it still,
    so a search set up on a laptop failed on Dask workers of one core; it fits with the one core too."""
    import pickle

    from glassnet.core import threads
    from glassnet.sklearn import _base

    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = GlassnetClassifier(hidden_layer_sizes=(5,), max_iter=5, n_threads=1, random_state=0).fit(X, y)
    clf.n_threads = 2  # as fitted where two were free
    want = clf.predict_proba(X) if threads.available_cores() >= 2 else None
    blob = pickle.dumps(clf)
    for module in (threads, _base):
        monkeypatch.setattr(module, "available_cores", lambda: 1, raising=False)
    again = pickle.loads(blob)
    got = again.predict_proba(X)
    if want is not None:
        np.testing.assert_array_equal(got, want)
    used = []
    real = _base.limit_threads
    monkeypatch.setattr(_base, "limit_threads", lambda n, *a: used.append(n) or real(n, *a))
    fitted, training_fit = [], _base.training.fit
    monkeypatch.setattr(_base.training, "fit", lambda *a, threads=None, **k: fitted.append(threads) or
                        training_fit(*a, threads=threads, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.fit(X, y)
    assert fitted == [1] and set(used) <= {1}
    with pytest.raises(ValueError, match="n_threads"):
        GlassnetClassifier(n_threads=0).fit(X, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_a_quasi_newton_fit_that_takes_no_iteration_reports_the_cost_where_it_stands(weighted):
    """tol=1e3 stops L-BFGS before its first iteration: scikit-learn's loss_ is the cost at the starting
    weights, where glassnet's was inf."""
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, y = load_iris(return_X_y=True)
    w = np.linspace(0.5, 2.0, len(y)) if weighted else None
    for theirs, ours, target in [(MLPClassifier, GlassnetClassifier, y), (MLPRegressor, GlassnetRegressor, X[:, 0])]:
        want = theirs(solver="lbfgs", tol=1e3, random_state=0).fit(X, target, sample_weight=w)
        got = ours(solver="lbfgs", tol=1e3, random_state=0).fit(X, target, sample_weight=w)
        assert got.n_iter_ == want.n_iter_ == 0
        assert got.loss_ == pytest.approx(want.loss_, rel=1e-12) and got.best_loss_ == got.loss_
        # a second fit, after one that iterated, does not keep that one's loss_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            again = ours(solver="lbfgs", max_iter=50, random_state=0).fit(X, target, sample_weight=w)
        again.set_params(tol=1e3).fit(X, target, sample_weight=w)
        assert again.n_iter_ == 0 and again.loss_ == pytest.approx(want.loss_, rel=1e-12)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_the_regressor_warns_of_a_column_of_targets_as_scikit_learn_does(method):
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), r.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flat = getattr(GlassnetRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0), method)(X, y)
        with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
            column = getattr(GlassnetRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0), method)(
                X, y[:, None])
    assert column.n_outputs_ == 1 and column.predict(X).shape == (40,)
    np.testing.assert_array_equal(column.predict(X), flat.predict(X))


@pytest.mark.parametrize("first", [True, False])
def test_classes_given_as_a_set_are_refused_by_what_they_are(first):
    """A set came out as "classes=[0, 1, 2] is not the same as on the first call: [0, 1, 2]" on a second
    call, and as an error about one label on a first."""
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 3
    clf = GlassnetClassifier(hidden_layer_sizes=(3,), random_state=0)
    if not first:
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"classes must be a 1-D array-like of all the labels, such as \[0, 1, 2\]; "
                                         r"received set \{0, 1, 2\}"):
        clf.partial_fit(X, y, classes={0, 1, 2})


@pytest.mark.parametrize("sizes", [True, (3, True), (np.bool_(True),)])
def test_a_flag_is_no_layer_width(sizes):
    """True trained one hidden unit (it is 1 to Python); scikit-learn's MLP refuses it too."""
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive integers"):
        GlassnetClassifier(hidden_layer_sizes=sizes).fit(np.zeros((4, 2)), [0, 1, 0, 1])


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_partial_fit_calls_warn_of_nothing_as_scikit_learns_do(kind):
    """Each call that left the model no better than chance warned so (ten calls, ten warnings, where
    MLPClassifier's give none): a stream's first epochs are no verdict."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    est = GlassnetClassifier(hidden_layer_sizes=(5,), random_state=0) if kind == "classifier" else \
        GlassnetRegressor(hidden_layer_sizes=(5,), random_state=0)
    extra = {"classes": [0, 1, 2]} if kind == "classifier" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(10):
            est.partial_fit(X, y if kind == "classifier" else X[:, 0] * 50, **extra)


def test_a_warm_start_refuses_settings_its_network_does_not_have_and_class_weights_are_checked_by_name():
    """warm_start with a new hidden_layer_sizes or dtype went on with the fitted network without a word (get_params
    said otherwise); class_weight beside one number of sample_weight was "sample_weight.shape == ()", a negative
    or all-zero class_weight blamed sample_weight; a multi-label partial_fit took classes y's columns are not."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = (X[:, 0] > 0).astype(int)
    settings = dict(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = GlassnetClassifier(**settings, warm_start=True).fit(X, y)
        for change, message in [({"hidden_layer_sizes": (7, 3)}, r"hidden_layer_sizes=\(7, 3\) differs from the "
                                                                 r"fitted network's \(5,\)"),
                                ({"dtype": "float32"}, "dtype=float32 differs from the fitted network's float64")]:
            with pytest.raises(ValueError, match=message):
                clone(warm).set_params(**settings, warm_start=True).fit(X, y).set_params(
                    **change).fit(X, y)
        weighted = GlassnetClassifier(**settings, class_weight="balanced").fit(X, y, sample_weight=2.0)
        plain = GlassnetClassifier(**settings, class_weight="balanced").fit(X, y, sample_weight=np.full(60, 2.0))
    np.testing.assert_array_equal(weighted.coefs_[0], plain.coefs_[0])
    for weights, message in [({0: -1}, r"class_weight must give each class a weight of at least 0; received "
                                       r"\{0: -1\}"), ({0: 0, 1: 0}, "class_weight weighs every sample of y 0")]:
        with pytest.raises(ValueError, match=message):
            GlassnetClassifier(**settings, class_weight=weights).fit(X, y)
    Y = np.c_[y, 1 - y, X[:, 2] > 0]
    with pytest.raises(ValueError, match=r"must be the labels of y's 3 columns, \[0, 1, 2\], for a multi-label y"):
        GlassnetClassifier(**settings).partial_fit(X, Y, classes=[0, 1])
