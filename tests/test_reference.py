"""The reference solution is right: every layer's backward pass agrees with
central differences of its own forward pass on hypothesis-generated shapes,
and the functions match independent formulas."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref

settings.register_profile("bpkit", max_examples=25, deadline=None)
settings.load_profile("bpkit")

dims = st.integers(min_value=1, max_value=5)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def numeric_grad(f, x, h=1e-6):
    """An independent central difference (not reference.numerical_gradient)."""
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        g[i] = (up - down) / (2 * h)
    return grad


def assert_gradient(analytic, numeric):
    """Central differences with h = 1e-6 carry rounding error ~ eps * |L| / h
    (about 1e-9 here) and truncation error ~ h**2 (1e-12): an absolute 1e-8
    plus a relative 1e-5 separates them from any real mistake (>= 1e-2)."""
    assert np.shape(analytic) == np.shape(numeric)
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-8), np.max(np.abs(analytic - numeric))


@given(n=dims, m=dims, seed=seeds)
def test_relu_backward_is_the_gradient_of_forward(n, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, m))
    x[np.abs(x) < 0.05] = 0.5  # away from the kink
    dout = rng.normal(size=(n, m))
    layer = ref.Relu()
    layer.forward(x)
    dx = layer.backward(dout)
    assert_gradient(dx, numeric_grad(lambda: np.sum(ref.Relu().forward(x) * dout), x))


@given(n=dims, m=dims, seed=seeds)
def test_sigmoid_backward_is_the_gradient_of_forward(n, m, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=(n, m)) * 3, rng.normal(size=(n, m))
    layer = ref.Sigmoid()
    layer.forward(x)
    dx = layer.backward(dout)
    assert_gradient(dx, numeric_grad(lambda: np.sum(ref.Sigmoid().forward(x) * dout), x))


@given(n=dims, d=dims, m=dims, seed=seeds, image=st.booleans())
def test_affine_backward_is_the_gradient_of_forward(n, d, m, seed, image):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d, 2) if image else (n, d))
    W = rng.normal(size=(x[0].size, m))
    b = rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    layer = ref.Affine(W, b)
    out = layer.forward(x)
    assert out.shape == (n, m)
    dx = layer.backward(dout)
    loss = lambda: np.sum(ref.Affine(W, b).forward(x) * dout)  # noqa: E731
    assert dx.shape == x.shape and layer.dW.shape == W.shape and layer.db.shape == b.shape
    assert_gradient(dx, numeric_grad(loss, x))
    assert_gradient(layer.dW, numeric_grad(loss, W))
    assert_gradient(layer.db, numeric_grad(loss, b))


@given(n=dims, c=st.integers(2, 6), seed=seeds, labels=st.booleans())
def test_softmax_with_loss_backward_is_the_gradient_of_forward(n, c, seed, labels):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c)) * 2
    y = rng.integers(0, c, size=n)
    t = y if labels else np.eye(c)[y]
    layer = ref.SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward()

    def exact_loss():  # mean -log softmax without the 1e-7, whose gradient (y - t) / N is exact
        shifted = x - x.max(axis=1, keepdims=True)
        log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.mean(log_y[np.arange(n), y])

    # float64 rounding in the difference is ~ eps * |L| / h = 1e-10 absolute
    assert np.allclose(dx, numeric_grad(exact_loss, x), rtol=1e-5, atol=1e-8)


@given(shape=st.lists(dims, min_size=0, max_size=3), seed=seeds)
def test_mul_and_add_layers_match_the_product_and_sum_rules(shape, seed):
    rng = np.random.default_rng(seed)
    x, y, dout = (rng.normal(size=shape) for _ in range(3))
    mul, add = ref.MulLayer(), ref.AddLayer()
    assert np.allclose(mul.forward(x, y), x * y)
    dx, dy = mul.backward(dout)
    assert np.allclose(dx, numeric_grad(lambda: np.sum(ref.MulLayer().forward(x, y) * dout), x))
    assert np.allclose(dy, numeric_grad(lambda: np.sum(ref.MulLayer().forward(x, y) * dout), y))
    assert np.allclose(add.forward(x, y), x + y)
    assert all(np.array_equal(g, dout) for g in add.backward(dout))


@given(shape=st.lists(dims, min_size=1, max_size=3), seed=seeds)
def test_numerical_gradient_matches_an_exact_gradient_and_restores_x(shape, seed):
    rng = np.random.default_rng(seed)
    x, c = rng.normal(size=shape), rng.normal(size=shape)
    before = x.copy()
    grad = ref.numerical_gradient(lambda z: np.sum(c * z ** 3), x)
    assert np.allclose(grad, 3 * c * before ** 2, rtol=1e-6, atol=1e-7)
    assert np.array_equal(x, before)


def test_numerical_gradient_sees_in_place_changes_through_a_closure():
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = ref.numerical_gradient(lambda _w: np.sum(W ** 2), W)
    assert np.allclose(grad, 2 * W)


@given(n=dims, c=st.integers(2, 6), seed=seeds)
def test_softmax_rows_sum_to_one_and_survive_large_scores(n, c, seed):
    x = np.random.default_rng(seed).uniform(-1000, 1000, size=(n, c))
    y = ref.softmax(x)
    assert np.all(np.isfinite(y)) and np.allclose(y.sum(axis=-1), 1.0)
    assert np.allclose(ref.softmax(x[0]), y[0])


def test_cross_entropy_gives_the_learner_notebook_values_for_both_target_forms():
    y = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    assert np.isclose(ref.cross_entropy_error(y[0], np.array([0, 0, 1])), 0.3566748010815999)
    assert np.isclose(ref.cross_entropy_error(y[0], np.array(2)), 0.3566748010815999)
    assert np.isclose(ref.cross_entropy_error(y, np.array([[0, 0, 1], [1, 0, 0]])), 0.2899091136979087)
    assert np.isclose(ref.cross_entropy_error(y, np.array([2, 0])), 0.2899091136979087)


def test_cross_entropy_does_not_modify_its_inputs_and_is_finite_at_zero():
    y = np.array([[0.0, 0.3, 0.7]])
    t = np.array([[1, 0, 0]])
    loss = ref.cross_entropy_error(y, t)
    assert np.isclose(loss, -np.log(1e-7))
    assert np.array_equal(y, [[0.0, 0.3, 0.7]]) and np.array_equal(t, [[1, 0, 0]])


def test_sigmoid_does_not_warn_for_large_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = ref.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert np.allclose(y, [0.0, 0.5, 1.0])


def test_relu_does_not_modify_its_input_or_upstream_gradient():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    dout = np.ones_like(x)
    layer = ref.Relu()
    layer.forward(x)
    layer.backward(dout)
    assert np.array_equal(x, [[1, -2], [-3, 4]]) and np.array_equal(dout, np.ones((2, 2)))


@pytest.mark.parametrize("apple, num, tax, price, grads", [(100, 2, 1.1, 220, (2.2, 110, 200))])
def test_the_apple_example_of_the_book(apple, num, tax, price, grads):
    m1, m2 = ref.MulLayer(), ref.MulLayer()
    total = m2.forward(m1.forward(apple, num), tax)
    d_apple_price, d_tax = m2.backward(1)
    d_apple, d_num = m1.backward(d_apple_price)
    assert np.isclose(total, price) and np.allclose((d_apple, d_num, d_tax), grads)
