"""What GlassnetClassifier and GlassnetRegressor add to scikit-learn's MLP, one test per feature.

scikit-learn's own MLP tests run against them in test_sklearn_mlp_port.py; the
estimator checks in test_sklearn.py.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

import glassnet as gn
from glassnet import functional as F
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor
from helpers import mechanics_only


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


# -- the new regression losses: each gradient against central differences ----------------
def central_differences(f, z, h=1e-6):
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        g[i] = (f(zp) - f(zm)) / (2 * h)
    return g


@pytest.mark.parametrize("name", ["poisson", "absolute_error", "huber"])
def test_each_new_loss_has_the_gradient_of_its_value(name):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, 3))
    t = rng.poisson(2.0, size=(7, 3)).astype(float) if name == "poisson" else rng.normal(size=(7, 3)) * 2
    w = rng.uniform(0.5, 2, size=7)
    fn = {"poisson": F.poisson_deviance, "absolute_error": F.absolute_error,
          "huber": lambda a, b, w=None: F.huber(a, b, 0.7, w)}[name]
    for weight in (None, w):
        cost, grad = fn(z.copy(), t, weight)
        numeric = central_differences(lambda v, w=weight: fn(v, t, w)[0], z)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
        assert cost == pytest.approx(fn(z.copy(), t, weight)[0])


def test_each_new_loss_has_its_value_worked_by_hand():
    z, t = np.array([[0.0, np.log(3.0)]]), np.array([[2.0, 0.0]])
    # exp(z) - t z + t log t - t: (1 - 0 + 2 log 2 - 2) + (3 - 0 + 0 - 0)
    assert F.poisson_deviance(z, t)[0] == pytest.approx(2 + 2 * np.log(2))
    assert F.absolute_error(np.array([[1.0, -2.0]]), np.array([[0.5, 1.0]]))[0] == pytest.approx(3.5)
    # |r| = 0.5 is inside delta = 1: 0.125; |r| = 3 is beyond: 1 * (3 - 0.5)
    assert F.huber(np.array([[1.0, -2.0]]), np.array([[0.5, 1.0]]), 1.0)[0] == pytest.approx(2.625)


def test_the_new_losses_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z = rng.normal(size=(9, 2))
    t = rng.normal(size=(9, 2))
    counts = rng.poisson(1.5, size=(9, 2)).astype(float)
    n, k = z.shape
    pairs = [(F.poisson_deviance(z.copy(), counts), torch.nn.PoissonNLLLoss(log_input=True, reduction="sum"),
              counts, lambda c: np.sum(np.where(c > 0, c * np.log(np.where(c > 0, c, 1)), 0) - c)),
             (F.absolute_error(z.copy(), t), torch.nn.L1Loss(reduction="sum"), t, lambda c: 0.0),
             (F.huber(z.copy(), t, 0.6), torch.nn.HuberLoss(reduction="sum", delta=0.6), t, lambda c: 0.0)]
    for (cost, grad), torch_loss, target, constant in pairs:
        zt = torch.tensor(z, requires_grad=True)
        value = torch_loss(zt, torch.tensor(target)) / n  # glassnet: mean over samples, sum over outputs
        value.backward()
        assert cost == pytest.approx(value.item() + constant(target) / n, rel=1e-12)
        np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_regressor_losses_fit_what_each_is_for():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    clean = X[:, 0] * 2 - X[:, 1]
    y = clean + rng.normal(scale=0.1, size=400)
    y[:20] += 40.0  # outliers
    kw = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500, random_state=0)
    errors = {}
    for loss in ("squared_error", "absolute_error", "huber"):
        est = quiet(GlassnetRegressor(loss=loss, **kw).fit, X, y)
        errors[loss] = np.median(np.abs(est.predict(X[20:]) - clean[20:]))
        assert est.out_activation_ == "identity" and len(est.loss_curve_) == est.n_iter_
    assert errors["absolute_error"] < errors["squared_error"] / 3
    assert errors["huber"] < errors["squared_error"] / 3
    counts = rng.poisson(np.exp(1 + X[:, 0]))
    pois = quiet(GlassnetRegressor(loss="poisson", **kw).fit, X, counts)
    assert pois.out_activation_ == "exp" and (pois.predict(X) > 0).all()
    with pytest.raises(ValueError, match="y must be non-negative for the Poisson deviance"):
        GlassnetRegressor(loss="poisson").fit(X, -counts)


# -- sparse input --------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array])
def test_sparse_input_trains_as_dense_input_does_without_densifying(digits, solver, container, monkeypatch):
    X, y = digits
    kw = dict(hidden_layer_sizes=(20,), solver=solver, max_iter=15, random_state=0)
    dense = quiet(GlassnetClassifier(**kw).fit, X, y)
    Xs = container(X)
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array):
        monkeypatch.setattr(cls, "toarray", lambda *a, **k: pytest.fail("densified"), raising=False)
        monkeypatch.setattr(cls, "todense", lambda *a, **k: pytest.fail("densified"), raising=False)
    sparse = quiet(GlassnetClassifier(**kw).fit, Xs, y)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-7, atol=1e-12)


def test_a_sparse_matrix_is_refused_by_a_model_that_does_not_start_with_dense():
    model = gn.Sequential([gn.nn.Flatten(), gn.nn.Dense(4, 2)])
    with pytest.raises(gn.OptionError, match="X is a sparse matrix, which only .* first layer is Dense.*Flatten"):
        model.predict(sp.csr_matrix(np.ones((2, 4))))
    mlp = gn.mlp([4, 3, 2], rng=0)
    with pytest.raises(gn.OptionError, match=r"X has 5 features per sample, but the model's first layer expects 4"):
        mlp.predict(sp.csr_matrix(np.ones((2, 5))))


# -- solver limits, records and curves -------------------------------------------------------
@pytest.mark.parametrize("solver", ["lbfgs", "bfgs"])
def test_max_fun_bounds_the_cost_evaluations_of_both_quasi_newton_solvers(digits, solver):
    X, y = digits
    est = GlassnetClassifier(hidden_layer_sizes=(10,), solver=solver, max_iter=500, max_fun=12, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert 1 <= est.n_iter_ <= 12


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "lbfgs", "bfgs"])
def test_validation_curves_and_best_score_for_every_solver(digits, solver):
    X, y = digits
    hidden = (8,) if solver == "bfgs" else (16,)  # BFGS keeps a dense inverse Hessian: fewer weights, faster test
    est = quiet(GlassnetClassifier(hidden_layer_sizes=hidden, solver=solver, max_iter=40, early_stopping=True,
                                   learning_rate_init=0.1 if solver == "sgd" else 0.01, random_state=0).fit, X, y)
    n = est.n_iter_
    assert len(est.loss_curve_) == len(est.validation_loss_curve_) == len(est.validation_scores_) == n
    assert est.best_validation_score_ == max(est.validation_scores_) > 0.8
    assert est.best_loss_ is None and all(np.isfinite(est.validation_loss_curve_))
    # the kept weights are the best epoch's: they score the held-out set at the best score
    assert min(est.validation_loss_curve_) < est.validation_loss_curve_[0]
    plain = quiet(GlassnetClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=5, random_state=0).fit, X, y)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None
    assert plain.best_validation_score_ is None and plain.best_loss_ == min(plain.loss_curve_)


def test_early_stopping_keeps_the_weights_of_the_best_validation_score():
    X, y = make_regression(n_samples=120, n_features=30, noise=30.0, random_state=0)
    est = quiet(GlassnetRegressor(hidden_layer_sizes=(200,), solver="lbfgs", early_stopping=True,
                                  validation_fraction=0.3, n_iter_no_change=30, max_iter=400, random_state=0).fit,
                X, y / 100)
    best = int(np.argmax(est.validation_scores_))
    assert best < est.n_iter_ - 1  # it overfitted after the best epoch ...
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state

    rs = check_random_state(0)  # ... and the kept weights are the best's: the split, drawn again
    for fan_in, fan_out in [(30, 200), (200, 1)]:
        rs.uniform(size=fan_in * fan_out + fan_out)
    _, X_val, _, y_val = train_test_split(X, y / 100, random_state=rs, test_size=0.3)
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_, rel=1e-12)


# -- starting weights ------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_default_start_is_scikit_learns_and_one_epoch_matches_it(digits, activation):
    X, y = digits
    kw = dict(hidden_layer_sizes=(12, 7), activation=activation, solver="sgd", momentum=0.0, batch_size=600,
              shuffle=False, max_iter=1, learning_rate_init=0.1, random_state=3)
    ours = quiet(GlassnetClassifier(**kw).fit, X, y)
    theirs = quiet(MLPClassifier(**kw).fit, X, y)
    assert ours.loss_curve_[0] == pytest.approx(theirs.loss_curve_[0], rel=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    reg_kw = {**kw, "hidden_layer_sizes": (9,), "batch_size": 100}
    Xr, yr = make_regression(n_samples=100, n_features=5, random_state=0)
    ours, theirs = quiet(GlassnetRegressor(**reg_kw).fit, Xr, yr / 100), quiet(MLPRegressor(**reg_kw).fit, Xr, yr / 100)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-10, atol=1e-13)


def test_glassnet_initializers_stay_available(digits):
    X, y = digits
    est = quiet(GlassnetClassifier(hidden_layer_sizes=(64,), init="he_normal", max_iter=1, random_state=0).fit,
                X, y)
    fresh = GlassnetClassifier(hidden_layer_sizes=(64,), init="he_normal", learning_rate_init=1e-300,
                               max_iter=1, random_state=0)
    quiet(fresh.fit, X, y)
    assert not np.allclose(est.coefs_[0], fresh.coefs_[0])  # trained vs (almost) untouched
    assert np.std(fresh.coefs_[0]) == pytest.approx(np.sqrt(2 / 64), rel=0.1)  # He: var 2 / fan_in
    assert np.all(np.abs(fresh.intercepts_[0]) < 1e-200)  # zero, moved by one step of 1e-300
    with pytest.raises(ValueError, match="init"):
        GlassnetClassifier(init="nonsense").fit(X, y)


def test_weights_written_in_before_the_first_fit_are_its_start():
    X, y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1])
    est = GlassnetClassifier(hidden_layer_sizes=3, solver="sgd", learning_rate_init=1e-300, max_iter=1)
    est.coefs_ = [np.full((2, 3), 0.5), np.full((3, 1), -1.0)]
    est.intercepts_ = [np.zeros(3), np.array([0.25])]
    quiet(est.fit, X, y)
    assert np.all(est.coefs_[0] == 0.5) and est.intercepts_[1][0] == 0.25
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(2, 3\); received \(3, 3\)"):
        est.coefs_ = [np.zeros((3, 3)), np.zeros((3, 1))]


# -- scikit-learn's callback protocol -----------------------------------------------------------
callback = pytest.importorskip("sklearn.callback", reason="scikit-learn 1.9's callback protocol")


@pytest.mark.parametrize("Estimator", [GlassnetClassifier, GlassnetRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_progress_bar_and_scoring_monitor_report_every_epoch(digits, Estimator, solver):
    pytest.importorskip("rich")
    X, y = digits
    ends = []

    class CountingBar(callback.ProgressBar):
        def on_fit_task_end(self, estimator, context):
            ends.append(context.task_name)
            return super().on_fit_task_end(estimator, context)

    monitor = callback.ScoringMonitor(scoring="accuracy" if Estimator is GlassnetClassifier else "r2")
    est = Estimator(hidden_layer_sizes=(16,), solver=solver, max_iter=12, random_state=0)
    est.set_callbacks(CountingBar(), monitor)
    quiet(est.fit, X, y)
    assert ends.count("epoch") == est.n_iter_ > 5 and ends[-1] == "fit"
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(rows) == est.n_iter_
    scores = [r["accuracy" if Estimator is GlassnetClassifier else "r2"] for r in rows]
    assert scores[-1] == pytest.approx(est.score(X, y), rel=1e-12)  # each epoch's own network was scored
    assert scores[-1] > scores[0]


def test_a_user_callback_sees_each_epoch_and_can_stop_the_fit(digits):
    X, y = digits
    seen = []

    class StopAtFour:
        def setup(self, estimator, context):
            seen.append("setup")

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, X=None):
            if context.task_name == "epoch":
                seen.append(fitted_estimator.score(X, y))
                return len(seen) == 5

        def teardown(self, estimator, context):
            seen.append("teardown")

    est = GlassnetClassifier(hidden_layer_sizes=(16,), max_iter=50, random_state=0).set_callbacks(StopAtFour())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a callback's stop is not a failure to converge
        est.fit(X, y)
    assert est.n_iter_ == 4 and seen[0] == "setup" and seen[-1] == "teardown" and len(seen) == 6


def test_ctrl_c_ends_the_fit_with_the_weights_of_the_last_complete_epoch(digits):
    """As scikit-learn: KeyboardInterrupt during fit warns and returns a usable estimator."""
    X, y = digits

    class CtrlCAtThree:
        def setup(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            if context.task_name == "epoch" and estimator.n_iter_ == 3:
                raise KeyboardInterrupt

        def teardown(self, estimator, context):
            pass

    kw = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    est = GlassnetClassifier(max_iter=50, **kw).set_callbacks(CtrlCAtThree())
    with pytest.warns(UserWarning, match="Training interrupted by user.*epoch 3"):
        est.fit(X, y)
    three = quiet(GlassnetClassifier(max_iter=3, **kw).fit, X, y)
    assert est.n_iter_ == 3 and est.loss_curve_ == three.loss_curve_
    for a, b in zip(est.coefs_, three.coefs_):
        np.testing.assert_array_equal(a, b)


@mechanics_only  # one step, compared with the estimator's
def test_adamw_regularizes_once_by_its_own_weight_decay(digits):
    """alpha is AdamW's decoupled weight decay, and no L2 term joins the cost besides."""
    X, y = digits
    kw = dict(hidden_layer_sizes=(8,), solver="adamw", alpha=0.5, batch_size=600, shuffle=False, max_iter=1,
              random_state=0)
    est = quiet(GlassnetClassifier(learning_rate_init=0.01, **kw).fit, X, y)
    start = quiet(GlassnetClassifier(learning_rate_init=1e-300, **kw).fit, X, y).model_  # the same start
    gn.fit(start, X, y, loss="cross_entropy", optimizer=gn.AdamW(0.01, weight_decay=0.5), epochs=1, batch_size=None,
           shuffle=False)
    np.testing.assert_allclose(est.model_.params, start.params, rtol=1e-12, atol=1e-15)


def test_multi_output_regression_takes_scikit_learns_steps():
    """scikit-learn steps along the gradient of the squared error summed over outputs, glassnet's cost."""
    X, y = make_regression(n_samples=200, n_targets=3, random_state=11)
    kw = dict(hidden_layer_sizes=(20,), solver="sgd", max_iter=5, random_state=1, alpha=0.1)
    ours, theirs = quiet(GlassnetRegressor(**kw).fit, X, y / 100), quiet(MLPRegressor(**kw).fit, X, y / 100)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # its loss_curve_ reports the mean over the outputs of the data term: glassnet's reports the cost it minimizes
    assert ours.loss_curve_[0] > 2.5 * theirs.loss_curve_[0]


@pytest.mark.parametrize("case", ["short last batch", "sample weights", "invscaling momentum",
                                  "invscaling nesterov", "lbfgs weights"])
def test_each_batch_takes_scikit_learns_step_from_the_same_weights(case):
    """scikit-learn divides each batch's cost, alpha's term included, by the batch's weight (its rows without
    weights); glassnet divided alpha by the nominal batch size, and the weights by their mean over the whole
    set: a last batch of 2 rows of 4 differed by 0.047, weighted batches by 0.034. Its momentum holds steps,
    where glassnet's held gradients times the rate: under invscaling they differed by 0.32."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(10, 3)), r.normal(size=10)
    W0, b0 = [r.normal(size=(3, 4)), r.normal(size=(4, 1))], [r.normal(size=4), r.normal(size=1)]
    weight = np.array([1, 1, 1, 1, 1, 3, 3, 3, 3, 3.0]) if "weights" in case else None
    kw = dict(hidden_layer_sizes=(4,), activation="tanh", solver="sgd", learning_rate_init=0.1, shuffle=False,
              random_state=0, batch_size=5, momentum=0.0, alpha=1.0)
    kw.update({"short last batch": dict(batch_size=4),
               "sample weights": {},
               "invscaling momentum": dict(learning_rate="invscaling", momentum=0.9, nesterovs_momentum=False),
               "invscaling nesterov": dict(learning_rate="invscaling", momentum=0.9, nesterovs_momentum=True),
               "lbfgs weights": dict(solver="lbfgs", max_iter=5)}[case])
    ends = []
    for Estimator in (GlassnetRegressor, MLPRegressor):
        est = Estimator(**kw)
        quiet(est.partial_fit if kw["solver"] == "sgd" else est.set_params(max_iter=1).fit, X, y)
        est.coefs_, est.intercepts_ = [w.copy() for w in W0], [b.copy() for b in b0]
        if kw["solver"] == "sgd":
            for _ in range(3):
                quiet(est.partial_fit, X, y, sample_weight=weight)
        else:
            quiet(est.set_params(max_iter=5, warm_start=True).fit, X, y, sample_weight=weight)
        ends.append(np.concatenate([c.ravel() for c in est.coefs_ + est.intercepts_]))
    np.testing.assert_allclose(ends[0], ends[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("batch_size", "alpha"), [(1, 0.5), (4, 3.0)])
def test_small_batches_with_a_strong_penalty_train_without_a_false_alarm(batch_size, alpha):
    """The divergence guard's level took the penalty over its 512-row sample, each batch's cost over its own
    rows: batches of 1 with alpha=0.5 carried 512 times the level's share and stopped at their first batch."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    kw = dict(hidden_layer_sizes=(100,), alpha=alpha, batch_size=batch_size, max_iter=1, random_state=0)
    ours, theirs = quiet(GlassnetClassifier(**kw).fit, X, y), quiet(MLPClassifier(**kw).fit, X, y)
    assert ours.n_iter_ == 1 and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-5)  # scikit-learn's epoch
    assert ours.score(X, y) == theirs.score(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_shuffled_epochs_and_adam_take_scikit_learns_steps(solver):
    """One draw from the random state, for the model's own generator, shifted every epoch's order from
    scikit-learn's (loss curves 4e-4 apart after 10 epochs); and Adam added eps to the corrected root where
    scikit-learn adds it to sqrt(v) (1e-5 apart in the first epoch)."""
    X, y = load_digits(return_X_y=True)
    kw = dict(hidden_layer_sizes=(32,), max_iter=6, solver=solver, random_state=0)
    ours, theirs = quiet(GlassnetClassifier(**kw).fit, X / 16, y), quiet(MLPClassifier(**kw).fit, X / 16, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert (ours.predict(X / 16) == theirs.predict(X / 16)).all()
    # the model's own generator, seeded without a draw: the same seed gives the same one, a shared random state
    # moved on by a fit a new one (its key alone was the same)
    shared, kw = np.random.RandomState(5), dict(hidden_layer_sizes=(4,), max_iter=1)
    draws = [quiet(GlassnetClassifier(random_state=rs, **kw).fit, X[:50], y[:50]).model_.rng.random()
             for rs in (0, 0, shared, shared)]
    assert draws[0] == draws[1] and draws[2] != draws[3]


@pytest.mark.parametrize("how", ["fit", "partial_fit", "early_stopping", "regressor"])
def test_a_shared_random_state_is_drawn_from_as_scikit_learn_draws_from_it(how):
    """A batch as large as the set needs no order, so glassnet drew none, where scikit-learn shuffles it all
    the same: a RandomState shared with other code was left where scikit-learn's fit does not leave it."""
    r = np.random.default_rng(0)
    X = r.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    kw = dict(hidden_layer_sizes=(5,), max_iter=7, solver="sgd", n_iter_no_change=100,
              early_stopping=how == "early_stopping")
    ours_cls, theirs_cls = ((GlassnetRegressor, MLPRegressor) if how == "regressor" else
                            (GlassnetClassifier, MLPClassifier))
    for batch_size in (20, 1000):
        left = []
        for cls in (ours_cls, theirs_cls):
            rs = np.random.RandomState(5)
            est = cls(batch_size=batch_size, random_state=rs, **kw)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)  # clipped to the set, as asked
                if how == "partial_fit":  # a classifier's: X, y, sample_weight, classes
                    quiet(est.partial_fit, X, y, None, [0, 1])
                    quiet(est.partial_fit, X, y, None, [0, 1])
                else:
                    quiet(est.fit, X, y)
            left.append(rs.randint(2**31))
        assert left[0] == left[1], (batch_size, left)


def test_a_warm_start_may_turn_early_stopping_on_and_off(digits):
    X, y = digits
    est = quiet(GlassnetClassifier(hidden_layer_sizes=(16,), max_iter=5, warm_start=True, random_state=0).fit, X, y)
    quiet(est.set_params(early_stopping=True).fit, X, y)
    assert len(est.validation_scores_) == est.n_iter_ == 5 and len(est.loss_curve_) == 10
    quiet(est.set_params(early_stopping=False).fit, X, y)
    assert len(est.loss_curve_) == 15 and est.best_loss_ == min(est.loss_curve_[10:])


def test_a_warm_start_continues_the_schedule_and_the_momentum(digits):
    """Two warm-started fits of one epoch each are one fit of two epochs (scikit-learn restarts both)."""
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate="invscaling", learning_rate_init=0.5,
              power_t=0.5, shuffle=False, batch_size=100, random_state=0)
    warm = GlassnetClassifier(max_iter=1, warm_start=True, **kw)
    quiet(warm.fit, X, y)
    quiet(warm.fit, X, y)
    once = quiet(GlassnetClassifier(max_iter=2, **kw).fit, X, y)
    assert warm.loss_curve_ == once.loss_curve_ and warm.t_ == once.t_ == 2 * len(X)
    np.testing.assert_array_equal(warm.model_.params, once.model_.params)
    assert warm.learning_rate_ == pytest.approx(0.5 / (2 * len(X) + 1) ** 0.5)


def test_a_dataframe_with_early_stopping_fits_without_feature_name_warnings():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y = pd.Series((X["a"] > 0).astype(int), name="label")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est = quiet(GlassnetClassifier(early_stopping=True, max_iter=30, random_state=0).fit, X, y)
    assert len(est.validation_scores_) == est.n_iter_ and list(est.feature_names_in_) == ["a", "b"]


def test_epoch_orders_are_scikit_learns_shuffles():
    """ScikitLearnOrder draws what sklearn.utils.shuffle draws from the same RandomState, epoch after epoch."""
    from sklearn.utils import shuffle

    from glassnet.sklearn._epochs import ScikitLearnOrder

    ours = ScikitLearnOrder(np.random.RandomState(7), np.random.PCG64(0))
    theirs, order = np.random.RandomState(7), np.arange(37)
    for _ in range(20):
        order = shuffle(order, random_state=theirs)
        np.testing.assert_array_equal(ours.permutation(37), order)
