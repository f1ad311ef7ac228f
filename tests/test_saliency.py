"""Saliency: the gradient map checked by central differences, and against occlusion on a trained conv net."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.saliency import gradient_saliency, occlusion


def test_gradient_saliency_is_the_derivative_of_the_class_score():
    """Central differences in float64 on the logit of the chosen class, before a final softmax."""
    r = np.random.default_rng(0)
    model = gn.Sequential(gn.nn.cnn((1, 6, 6), 3, channels=(2,), hidden=4, rng=0, dtype=np.float64).layers
                          + [gn.Softmax()], input_shape=(1, 6, 6))
    model.state[...] = r.uniform(0.5, 1.5, model.state.size)
    X = r.normal(size=(2, 1, 6, 6))
    heat = gradient_saliency(model, X, classes=[2, 0])
    logits = lambda x: model.forward(x, stop=len(model.layers) - 1)  # noqa: E731
    eps = 1e-6
    for s, c in ((0, 2), (1, 0)):
        numeric = np.zeros(36)
        for j in range(36):
            up, down = X.copy(), X.copy()
            up[s].reshape(-1)[j] += eps
            down[s].reshape(-1)[j] -= eps
            numeric[j] = (logits(up)[s, c] - logits(down)[s, c]) / (2 * eps)
        np.testing.assert_allclose(heat[s].reshape(-1), numeric, atol=1e-7)
    # by default, the predicted class
    predicted = model.predict_classes(X)
    np.testing.assert_array_equal(gradient_saliency(model, X), gradient_saliency(model, X, predicted))


def test_occlusion_worked_by_hand():
    """A model that only reads the top-left pixel: covering that pixel is all that matters."""
    model = gn.Sequential([gn.Flatten(), gn.Dense(16, 2, bias=False, dtype=np.float64), gn.Softmax()],
                          input_shape=(1, 4, 4))
    W = np.zeros((16, 2))
    W[0, 0] = 5.0
    model.layers[1].W = W
    image = np.zeros((1, 4, 4))
    image[0, 0, 0] = 1.0
    heat = occlusion(model, image, patch=2, stride=2)
    p = np.exp(5) / (np.exp(5) + 1)
    expected = np.zeros((4, 4))
    expected[:2, :2] = p - 0.5  # covered: both logits 0
    np.testing.assert_allclose(heat, expected)
    with pytest.raises(gn.OptionError, match="image_shape is needed"):
        occlusion(gn.mlp([16, 2]), np.zeros(16))
    np.testing.assert_allclose(occlusion(gn.Sequential(model.layers[1:]), image.reshape(16), (4, 4), 2, 2),
                               expected)


def test_occlusion_covers_the_far_edge_and_names_what_it_needs():
    """Squares 2 apart of side 3 on 8x8 pixels stopped at column 5, so the last row and column read 0, as if
    covering them changed nothing; a conv net not yet built was told it takes rows."""
    model = gn.Sequential([gn.Flatten(), gn.Dense(64, 2, bias=False, dtype=np.float64), gn.Softmax()],
                          input_shape=(1, 8, 8))
    W = np.zeros((64, 2))
    W[63, 0] = 5.0  # reads only the bottom-right pixel
    model.layers[1].W = W
    image = np.zeros((1, 8, 8))
    image[0, 7, 7] = 1.0
    heat = occlusion(model, image, patch=3, stride=2)
    assert heat[7, 7] == pytest.approx(np.exp(5) / (np.exp(5) + 1) - 0.5)
    assert np.count_nonzero(heat) == 9  # the one square against both edges
    unbuilt = gn.Sequential([gn.Conv2D(2, 3), gn.Flatten(), gn.Dense(3)], rng=0)
    with pytest.raises(gn.OptionError, match="a model not yet built"):
        occlusion(unbuilt, np.zeros((1, 8, 8)))


def test_gradient_saliency_names_classes_of_the_wrong_length():
    model = gn.mlp([4, 3], rng=0)
    X = np.zeros((3, 4))
    with pytest.raises(gn.OptionError, match=r"classes must be one class for every sample, or one for all 3; "
                                             r"received shape \(2,\)"):
        gradient_saliency(model, X, classes=[0, 1])
    assert gradient_saliency(model, X, classes=1).shape == gradient_saliency(model, X, classes=[0, 1, 2]).shape


@pytest.mark.slow
def test_on_mnist_the_gradient_and_occlusion_point_at_the_same_pixels(mnist, mnist_cnn):
    """Both maps single out the strokes: their agreement is far above what unrelated maps show."""
    _, test = mnist
    X = test.X[:20]
    grads = np.abs(gradient_saliency(mnist_cnn, X)).reshape(20, 28, 28)
    agree, shuffled = [], []
    for k in range(20):
        occ = occlusion(mnist_cnn, X[k], patch=4, stride=2)
        agree.append(np.corrcoef(grads[k].ravel(), occ.ravel())[0, 1])
        shuffled.append(np.corrcoef(grads[(k + 1) % 20].ravel(), occ.ravel())[0, 1])
    assert np.mean(agree) > 0.15 and np.mean(agree) > np.mean(shuffled) + 0.05
