import numpy as np
import pytest

from glassnet import init


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("plain", 0.01),
        ("xavier_normal", np.sqrt(2 / (400 + 300))),
        ("xavier_uniform", np.sqrt(6 / 700) / np.sqrt(3)),
        ("glorot_uniform", np.sqrt(6 / 700) / np.sqrt(3)),
        ("he_normal", np.sqrt(2 / 400)),
        ("he_uniform", np.sqrt(6 / 400) / np.sqrt(3)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("lecun_uniform", np.sqrt(3 / 400) / np.sqrt(3)),
    ],
)
def test_initializer_scale_shape_and_dtype(name, std):
    w = init.get_initializer(name)((400, 300), np.random.default_rng(0), np.float32)
    assert w.shape == (400, 300) and w.dtype == np.float32
    assert abs(w.mean()) < 0.05 * std + 1e-4
    assert w.std() == pytest.approx(std, rel=0.02)


def test_same_seed_same_weights():
    a = init.he_normal((5, 4), np.random.default_rng(7))
    b = init.he_normal((5, 4), np.random.default_rng(7))
    c = init.he_normal((5, 4), np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_defaults_per_activation():
    assert init.default_init("relu") == "he_normal"
    assert init.default_init("leaky_relu") == "he_normal"
    assert init.default_init("tanh") == "xavier_uniform"
    assert init.default_init("sigmoid") == "xavier_uniform"


def test_unknown_initializer_is_named():
    with pytest.raises(ValueError, match=r"init must be one of .*received 'kaiming'"):
        init.get_initializer("kaiming")
