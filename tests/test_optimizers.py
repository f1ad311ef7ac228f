"""Optimizers and schedules: formulas by hand, and torch.optim as an oracle where installed."""

import functools
import math
import pickle
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim import (
    Cosine,
    ExponentialDecay,
    InverseScaling,
    ReduceOnPlateau,
    StepDecay,
    get_optimizer,
)


def small_model():
    return gn.mlp([4, 3, 2], rng=5)  # float32, 15 weights then 5 biases


def test_plain_sgd_step_by_hand():
    model = small_model()
    opt = gn.SGD(lr=0.5).bind(model)
    before = model.params.copy()
    model.grads[:] = np.arange(model.n_params, dtype=np.float32)
    opt.step()
    np.testing.assert_allclose(model.params, before - 0.5 * np.arange(model.n_params), rtol=1e-6)


def test_momentum_by_hand():
    model = small_model()
    opt = gn.SGD(lr=0.1, momentum=0.9).bind(model)
    p0 = model.params.copy()
    g = np.ones(model.n_params, np.float32)
    model.grads[:] = g
    opt.step()
    opt.step()  # v1 = g, v2 = 0.9 g + g
    np.testing.assert_allclose(model.params, p0 - 0.1 * (1 + 1.9) * g, rtol=1e-6)


def _torch_pair(name, **kw):
    return {
        "sgd": (lambda: gn.SGD(lr=0.1), lambda p, t: t.optim.SGD(p, lr=0.1)),
        "momentum": (lambda: gn.SGD(lr=0.1, momentum=0.9),
                     lambda p, t: t.optim.SGD(p, lr=0.1, momentum=0.9)),
        "nesterov": (lambda: gn.SGD(lr=0.1, momentum=0.9, nesterov=True),
                     lambda p, t: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
        "rmsprop": (lambda: gn.RMSProp(lr=0.01, rho=0.9, eps=1e-8),
                    lambda p, t: t.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
        "adam": (lambda: gn.Adam(lr=0.01, beta1=0.8, beta2=0.99),
                 lambda p, t: t.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-8)),
        "adamw": (lambda: gn.AdamW(lr=0.01, weight_decay=0.1),
                  lambda p, t: t.optim.AdamW([{"params": p[:1], "weight_decay": 0.1},
                                              {"params": p[1:], "weight_decay": 0.0}], lr=0.01)),
    }[name]


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_first_steps_agree_with_torch_optim(name):
    torch = pytest.importorskip("torch")
    make_gn, make_torch = _torch_pair(name)
    model = small_model()
    r = np.random.default_rng(3)
    model.params[:] = r.normal(size=model.n_params).astype(np.float32)
    opt = make_gn().bind(model)
    # torch sees the same vector as two tensors: the decayed weights, then the biases
    nd = model.n_decayed
    weights = torch.tensor(model.params[:nd].copy(), requires_grad=True)
    biases = torch.tensor(model.params[nd:].copy(), requires_grad=True)
    topt = make_torch([weights, biases], torch)
    for _ in range(6):
        g = r.normal(size=model.n_params).astype(np.float32)
        model.grads[:] = g
        opt.step()
        weights.grad = torch.tensor(g[:nd].copy())
        biases.grad = torch.tensor(g[nd:].copy())
        topt.step()
        ref = np.concatenate([weights.detach().numpy(), biases.detach().numpy()])
        np.testing.assert_allclose(model.params, ref, rtol=2e-5, atol=2e-6)


def test_adamw_decays_weights_not_biases():
    model = small_model()
    opt = gn.AdamW(lr=0.1, weight_decay=0.5).bind(model)
    p0 = model.params.copy()
    model.grads[:] = 0  # no gradient: only the decay acts on weights (Adam's step is 0/eps = 0)
    opt.step()
    nd = model.n_decayed
    np.testing.assert_allclose(model.params[:nd], p0[:nd] * (1 - 0.1 * 0.5), rtol=1e-6)
    np.testing.assert_array_equal(model.params[nd:], p0[nd:])


def test_schedules_follow_their_formulas():
    assert [StepDecay(2, 0.5).rate(1.0, e) for e in range(5)] == [1, 1, 0.5, 0.5, 0.25]
    assert ExponentialDecay(0.9).rate(2.0, 3) == pytest.approx(2 * 0.9**3)
    assert InverseScaling(0.5).rate(1.0, 3) == pytest.approx(0.5)
    c = Cosine(period=10, min_lr=0.1)
    assert c.rate(1.0, 0) == 1.0 and c.rate(1.0, 10) == pytest.approx(0.1)
    assert c.rate(1.0, 5) == pytest.approx(0.55) and c.rate(1.0, 50) == pytest.approx(0.1)


def test_a_schedule_named_spans_the_run_and_one_made_keeps_its_period():
    """schedule="onecycle" with epochs=30 cycled over 10 epochs (its class's default) and trained 20 more at a
    rate of exactly 0; "cosine" spanned 100."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    for name in ("cosine", "onecycle"):
        h = gn.mlp([3, 4, 2], rng=0).fit(X, y, loss="cross_entropy", optimizer="adam", schedule=name, lr=0.01,
                                          epochs=30, verbose=False)
        assert min(h["lr"][:-1]) > 0 and h["lr"][-1] < 1e-4  # down to 0 at the run's end, not before
        if name == "cosine":
            np.testing.assert_allclose(h["lr"], [Cosine(period=30).rate(0.01, epoch) for epoch in range(30)])
        optimizer = gn.Adam(0.01, schedule=name)  # named in an optimizer made by hand: the same
        model = gn.mlp([3, 4, 2], rng=0)
        model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=30, verbose=False)
        model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=5, verbose=False)
        assert optimizer.schedule.period == 30  # the run it was named for; a fit that continues keeps it
    made = gn.Adam(0.01, schedule=Cosine(period=10))  # a period of the user's own is kept
    gn.mlp([3, 4, 2], rng=0).fit(X, y, loss="cross_entropy", optimizer=made, epochs=30, verbose=False)
    assert made.schedule.period == 10


def test_schedules_agree_with_torch_lr_schedulers():
    torch = pytest.importorskip("torch")
    p = [torch.zeros(1, requires_grad=True)]
    cases = [
        (StepDecay(3, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (ExponentialDecay(0.8), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.8)),
        (Cosine(7, 0.01), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 7, 0.01)),
    ]
    for ours, make in cases:
        opt = torch.optim.SGD(p, lr=0.3)
        sched = make(opt)
        for epoch in range(7):
            assert ours.rate(0.3, epoch) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
            opt.step()
            sched.step()


def test_reduce_on_plateau():
    s = ReduceOnPlateau(factor=0.5, patience=2)
    rates = []
    for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8]:
        rates.append(s.rate(1.0, 0))
        s.observe(metric)
    assert rates == [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]
    assert s.rate(1.0, 0) == 0.25
    assert not math.isinf(s.state()["best"])


@pytest.mark.parametrize("metrics", [[-1, -0.99995, -0.99995, -0.99995], [-1, -1.00005, -1.00006, -1.00007]])
def test_reduce_on_plateau_counts_a_gain_by_its_size_below_zero_too(metrics):
    """Below zero, any fall counted as improvement, however small (the threshold was left out); PyTorch's
    best * (1 - threshold) counts a value a little above a negative best as one."""
    s = ReduceOnPlateau(factor=0.5, patience=1, threshold=1e-4)
    for metric in metrics:
        s.observe(metric)
    assert s.rate(1.0, 0) == 0.5 and s.best == metrics[0]


def test_optimizer_lookup_and_errors():
    assert isinstance(get_optimizer("adam", lr=0.1), gn.Adam)
    with pytest.raises(ValueError, match=r"optimizer must be an Optimizer or one of .* received 'adagrad'"):
        get_optimizer("adagrad")
    with pytest.raises(ValueError, match=r"unknown option 'betas' for optimizer='sgd'; its options are lr, momentum"):
        get_optimizer("sgd", betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        gn.SGD(nesterov=True)
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\); received -1"):
        gn.Adam(lr=-1)
    with pytest.raises(ValueError, match=r"schedule must be a Schedule or one of .* received 'linear'"):
        gn.SGD(schedule="linear")
    with pytest.raises(RuntimeError, match="not bound to a model"):
        gn.SGD().step()


@pytest.mark.parametrize("make", [lambda: gn.SGD(lr=0.1, momentum=0.9), lambda: gn.RMSProp(lr=0.01),
                                  lambda: gn.Adam(lr=0.01), lambda: gn.AdamW(lr=0.01)])
def test_state_never_decays_into_denormals(make):
    """Coordinates with zero gradient (blank pixels, dead units) decay geometrically; denormals
    would slow every later step, so the optimizer clears them while they are still negligible."""
    model = small_model()
    opt = make().bind(model)
    g = np.random.default_rng(0).normal(size=model.n_params).astype(np.float32)
    model.grads[:] = g
    opt.step()
    model.grads[: model.n_params // 2] = 0  # half the coordinates never see a gradient again
    before = model.params.copy()
    for _ in range(3000):
        opt.step()
    tiny = np.finfo(np.float32).tiny
    for slot in opt.slots:
        state = opt.state[slot]
        assert not np.any((state != 0) & (np.abs(state) < tiny)), slot
    assert np.isfinite(model.params).all() and not np.array_equal(model.params, before)


@pytest.mark.parametrize("make", [lambda: gn.Adam(1e-3, eps=1e-20), lambda: gn.RMSProp(1e-3, rho=0.99, eps=1e-20)])
def test_tiny_gradients_keep_their_state_when_eps_is_tinier(make):
    """The state below 2**-100 was zeroed every 64 steps whatever the gradient: with eps 1e-20 and gradients of
    1e-17, the zeroed second moment set the step, and Adam moved a weight 0.76 in 300 steps where its rule
    (reference_update, in float64) moves it 0.30."""
    model = gn.mlp([2, 1], rng=0)  # float32
    model.params[:] = 1.0
    opt, paper, ref, state = make().bind(model), make(), np.ones(3), {}
    g = np.full(3, 1e-17, np.float32)
    for t in range(1, 301):
        model.grads[:] = g
        opt.step()
        paper.t = t
        paper.reference_update(ref, g.astype(np.float64), 1e-3, state)
    np.testing.assert_allclose(model.params, ref, rtol=1e-4)  # float32 against float64, over 300 steps


# -- the fast rules against their readable twins ------------------------------------


@pytest.mark.parametrize("make", [
    lambda: gn.SGD(lr=0.05),
    lambda: gn.SGD(lr=0.05, momentum=0.9),
    lambda: gn.SGD(lr=0.05, momentum=0.9, nesterov=True),
    lambda: gn.SGD(lr=0.05, momentum=0.9, velocity="steps"),
    lambda: gn.SGD(lr=0.05, momentum=0.9, nesterov=True, velocity="steps"),
    lambda: gn.RMSProp(lr=0.01, rho=0.9),
    lambda: gn.Adam(lr=0.01),
    lambda: gn.Adam(lr=0.01, beta1=0.5, beta2=0.9, eps=1e-3),
    lambda: gn.AdamW(lr=0.01, weight_decay=0.1),
    lambda: gn.Adam(lr=0.01, eps=1e-3, eps_hat=True),
    lambda: gn.AdamW(lr=0.01, eps=1e-3, weight_decay=0.1, eps_hat=True),
], ids=["sgd", "momentum", "nesterov", "steps", "steps-nesterov", "rmsprop", "adam", "adam-betas", "adamw",
        "adam-eps-hat", "adamw-eps-hat"])
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-11), (np.float32, 2e-4)], ids=["f64", "f32"])
def test_fast_update_follows_the_papers_rule_over_many_steps(make, dtype, rtol):
    """``update`` (fused, BLAS) against ``reference_update`` (the rule as written) over 300 steps.

    The gradients shrink and change sign over time and some coordinates never
    see one, so momentum, the bias corrections and the denormal flush all matter.
    """
    model = gn.mlp([6, 9, 4], rng=0, dtype=dtype)
    fast, slow = make(), make()
    fast.bind(model)
    slow.n_decayed = model.n_decayed
    p = model.params.astype(np.float64).copy()
    state = {}
    r = np.random.default_rng(1)
    for t in range(1, 301):
        g = r.normal(size=model.n_params) * (1 + 10 * np.exp(-t / 30))
        g[:7] = 0.0
        model.grads[...] = g
        fast.lr = fast.lr0 * (1 + 0.5 * math.sin(t / 7))  # a rate that changes, as schedules make it: the two
        fast.step()  # forms of momentum's velocity step alike only at a constant rate
        slow.t = t
        slow.reference_update(p, g.astype(dtype).astype(np.float64), fast.lr, state)
    np.testing.assert_allclose(model.params, p, rtol=rtol, atol=rtol * 1e-2)


def test_adamw_is_adam_plus_decoupled_decay_and_adam_has_no_decay_branch():
    assert "weight_decay" not in gn.Adam().config() and not hasattr(gn.Adam(), "weight_decay")
    assert gn.AdamW.update is not gn.Adam.update


def test_a_bad_option_value_is_reported_as_a_bad_value():
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(gn.errors.OptionTypeError, match="lr must be a real number; received 'fast'"):
        gn.mlp([2, 1], rng=0).fit(X, y, optimizer="sgd", lr="fast")
    with pytest.raises(gn.OptionError, match=r"momentum must be in \[0.0, 1.0\]; received 1.5"):
        gn.mlp([2, 1], rng=0).fit(X, y, optimizer="sgd", momentum=1.5)


@pytest.mark.parametrize("optimizer", [gn.SGD(0.1), gn.SGD(0.1, momentum=0.9, nesterov=True), gn.RMSProp(0.01),
                                       gn.Adam(0.01), gn.AdamW(0.01, weight_decay=0.1),
                                       gn.SGD(0.1, momentum=0.9, nesterov=True, velocity="steps"),
                                       gn.Adam(0.01, eps_hat=True)])
def test_a_preview_is_the_next_step_and_changes_nothing(optimizer):
    r = np.random.default_rng(7)
    model = gn.mlp([3, 5, 2], rng=0, dtype="float64")
    opt = optimizer.bind(model)
    for _ in range(4):  # some state first
        model.grads[...] = r.normal(size=model.n_params)
        opt.step()
    model.grads[...] = r.normal(size=model.n_params)
    params, t = model.params.copy(), opt.t
    state = {k: v.copy() for k, v in opt.state.items()}
    step = opt.preview()
    np.testing.assert_array_equal(model.params, params)
    assert opt.t == t and all(np.array_equal(opt.state[k], state[k]) for k in state)
    opt.step()
    np.testing.assert_allclose(model.params - params, step, rtol=1e-12, atol=1e-15)
    assert opt.bind(gn.mlp([3, 5, 2], rng=0, dtype="float64")).t == 0  # still bound to its model: another starts again


def test_a_named_schedule_continued_past_the_period_its_first_fit_set_is_said():
    """Trained in pieces (fit(initial_epoch=e, epochs=e + 1) with one optimizer), a schedule named "cosine"
    took the first piece's single epoch as its period, then trained every later piece at a rate of 0 in
    silence. The warning points at the caller's line, through model.fit and glassnet.fit alike."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    for name in ("cosine", "onecycle"):
        optimizer, model = gn.Adam(0.01, schedule=name), gn.mlp([3, 4, 2], rng=0)
        h = model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, verbose=False)
        assert h["lr"][0] > 0
        for e, fit in ((1, model.fit), (2, functools.partial(gn.fit, model))):
            with pytest.warns(UserWarning, match=rf"'{name}' spans the 1 epoch of the fit it was named for, "
                                                 rf"and this fit trains to epoch {e + 1}, past its end") as seen:
                h = fit(X, y, loss="cross_entropy", optimizer=optimizer, initial_epoch=e, epochs=e + 1,
                        verbose=False)
            assert h["lr"] == [0.0] and [w.filename for w in seen] == [__file__]
            assert f"{type(optimizer.schedule).__name__}(period=...)" in str(seen[0].message)
    with warnings.catch_warnings():  # within the period, or a period of the user's own: nothing to say
        warnings.simplefilter("error")
        optimizer, model = gn.Adam(0.01, schedule="cosine"), gn.mlp([3, 4, 2], rng=0)
        model.fit(X, y, loss="cross_entropy", optimizer=optimizer, epochs=4, verbose=False)
        model.fit(X, y, loss="cross_entropy", optimizer=optimizer, initial_epoch=2, epochs=4, verbose=False)
        made = gn.Adam(0.01, schedule=Cosine(period=1))
        for e in range(3):
            model.fit(X, y, loss="cross_entropy", optimizer=made, initial_epoch=e, epochs=e + 1, verbose=False)


def test_a_resumed_run_past_the_period_its_first_fit_set_is_warned_too(tmp_path):
    """The schedule's note that a fit set its period was not in the checkpoint: resume(epochs=5) after a run of
    2 trained three epochs at a rate of 0 without a word."""
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 3)), np.arange(40) % 2
    model = gn.mlp([3, 4, 2], rng=0)
    model.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.01, schedule="cosine"), epochs=2, verbose=False,
              callbacks=[gn.ModelCheckpoint(tmp_path / "ck.glassnet", every=1)])
    with pytest.warns(UserWarning, match="'cosine' spans the 2 epochs of the fit it was named for, and this fit "
                                         "trains to epoch 5") as seen:
        _, history = gn.resume(tmp_path / "ck.glassnet", X, y, epochs=5, verbose=False)
    assert [w.filename for w in seen] == [__file__] and history["lr"][-1] == 0.0


def test_an_optimizer_bound_to_another_model_starts_again():
    """One Adam object reused over a loop of models gave each the last one's moments, step count and plateau
    reductions: two models from the same weights ended 0.027 apart, and the second's rate fell from its first
    epoch. The same model trained on keeps them, and so does a copy or a restored state."""
    r = np.random.default_rng(0)
    X = r.normal(size=(60, 3))
    y = X @ [1.0, 2.0, 3.0]
    opt = gn.Adam(lr=0.01)
    ends = []
    for _ in range(2):
        model = gn.mlp([3, 8, 1], rng=1, dtype="float64")
        model.fit(X, y, optimizer=opt, epochs=3, verbose=False)
        ends.append(model.params.copy())
    np.testing.assert_array_equal(ends[0], ends[1])
    assert opt.t == 6  # 3 epochs of 2 batches, counted for this model only
    model.fit(X, y, optimizer=opt, epochs=1, verbose=False)  # the same model trained on: its state goes on
    assert opt.t == 8
    kept = pickle.loads(pickle.dumps(opt))
    assert kept.t == 8 and kept.bind(gn.mlp([3, 8, 1], rng=1, dtype="float64")).t == 8  # a copy keeps its state
    plateau = ReduceOnPlateau(patience=0)
    plateau.observe(1.0)
    plateau.observe(2.0)
    sgd = gn.SGD(lr=0.1, schedule=plateau).bind(small_model())
    assert sgd.schedule.rate(0.1, 0) == pytest.approx(0.01)
    sgd.bind(small_model())
    assert sgd.schedule.rate(0.1, 0) == 0.1 and plateau.best == math.inf


def test_a_run_rolled_back_leaves_its_optimizer_bound_to_its_model():
    """Rolling back (Ctrl-C, or a divergence) restored the optimizer's state as a checkpoint's, which the next bind
    keeps: an Adam interrupted on one model gave another model its 16 steps and moments."""
    r = np.random.default_rng(0)
    X = r.normal(size=(60, 3))
    y = X @ [1.0, 2.0, 3.0]

    class Stop(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch == 3:
                raise KeyboardInterrupt
    opt = gn.Adam(lr=0.01)
    history = gn.mlp([3, 8, 1], rng=1, dtype="float64").fit(X, y, optimizer=opt, epochs=10, verbose=False,
                                                             callbacks=[Stop()], on_interrupt="stop")
    assert history.interrupted and opt.t > 0
    assert opt.bind(gn.mlp([3, 8, 1], rng=1, dtype="float64")).t == 0


def test_a_plateaus_min_lr_above_the_rate_never_raises_it():
    """max(lr0 * scale, min_lr) started SGD(lr=0.01) at min_lr=0.5, fifty times the rate given."""
    s = ReduceOnPlateau(min_lr=0.5)
    assert s.rate(0.01, 0) == 0.01
    s.scale = 1e-6
    assert s.rate(0.01, 0) == 0.01 and s.rate(1.0, 0) == 0.5


def test_a_fit_of_no_epochs_leaves_a_named_schedule_for_the_run_that_trains():
    """A fit with epochs=0 fixed a named cosine's period at 1 epoch, so the next fit of 4 trained at rate 0."""
    X, y = np.random.default_rng(0).normal(size=(20, 4)), np.zeros((20, 2))
    model = small_model()
    opt = gn.SGD(lr=0.1, schedule="cosine")
    model.fit(X, y, optimizer=opt, epochs=0, verbose=False)
    history = model.fit(X, y, optimizer=opt, epochs=4, verbose=False)
    np.testing.assert_allclose(history["lr"], [0.1 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)])


@pytest.mark.parametrize("tol", ["a", -1.0, float("nan")])
def test_fit_checks_tol(tol):
    X, y = np.random.default_rng(0).normal(size=(20, 4)), np.zeros((20, 2))
    with pytest.raises(gn.OptionError, match="tol must be"):
        small_model().fit(X, y, optimizer="lbfgs", tol=tol)
