"""Tests of the hw5 reference solutions (activations, losses, softmax loss) against independent naive versions.

Every reference function is run on the array backends at hand and compared with element-by-element loops written
here with ``math``, on many random inputs; every ``*_grad`` is checked by central differences; every convention
that COURSE.md pins for hw5 (items 31–39) has its own assertion; and the claim of `001` fig. 3.36 is checked with
an mpmath computation at 50 digits. The backends:
- ``numpy``;
- ``array_api_strict`` on its CPU device (the standard and nothing more), and on its second device ``device1``
  (arrays of two devices cannot be combined there, so an array made on the default device instead of the
  input's fails);
- ``cupy``: CuPy arrays on a GPU, when CuPy is usable (``source_lib.backend.cupy_status``; skipped otherwise).
"""

import contextlib
import doctest
import math
import re
import warnings
import zlib

import mpmath
import numpy as np
import pytest

from solutions.hw5 import p1_activations as p1
from solutions.hw5 import p2_losses as p2
from solutions.hw5 import p3_softmax as p3
from source_lib.backend import to_host

# --------------------------------------------------------------------------------------------------
# backends


def call(bk, fn, *args, **kwargs):
    """fn on backend copies of the NumPy args: asserts no argument was modified and every array of the result is
    on the inputs' device; returns the result on the host (a float stays a float)."""
    bargs = [bk.to(a) for a in args]
    result = fn(*bargs, **kwargs)
    bk.assert_on_device(result, f"{fn.__name__}(...)")
    for a, orig in zip(bargs, args, strict=True):
        if isinstance(orig, np.ndarray):
            np.testing.assert_array_equal(to_host(a), orig, err_msg=f"{fn.__name__} modified an input in place")
    return to_host(result)


def call_loss(bk, fn, *args, **kwargs):
    """A loss on the backend: its result must be a float (a Python float or a NumPy float64 scalar)."""
    value = call(bk, fn, *args, **kwargs)
    assert isinstance(value, float), f"{fn.__name__} returned {type(value).__name__}, not a float"
    return value


@contextlib.contextmanager
def strict_fp():
    """NumPy floating-point warnings and errors (overflow, invalid, division, underflow) raise."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture
def strict_floats():
    with strict_fp():
        yield


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def central_diff(f, x, h=1e-6):
    """Gradient of the scalar function f at the float64 array x, by central differences."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp_, xm = x.copy(), x.copy()
        xp_[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp_) - f(xm)) / (2 * h)
    return g


def elementwise(fn, x):
    """fn (a function of one Python float) applied to every element of x, in a loop."""
    out = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        out[idx] = fn(float(x[idx]))
    return out


SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 5)]

# ==================================================================================================
# p1 — activations: naive versions with math


def naive_tanh(v):
    """5-6, (1 − e^{−2x})/(1 + e^{−2x}), taken for |x| and given the sign of x (so e^{−2|x|} ≤ 1)."""
    t = math.exp(-2.0 * abs(v))
    return math.copysign((1.0 - t) / (1.0 + t), v)


def naive_tanh_grad(v):
    t = math.exp(-2.0 * abs(v))  # sech²(x) = 4 e^{−2|x|} / (1 + e^{−2|x|})²
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


def naive_leaky(v, a):
    return v if v >= 0 else a * v


def naive_leaky_grad(v, a):
    return 1.0 if v >= 0 else a


def naive_elu(v, a):
    return v if v >= 0 else a * math.expm1(v)


def naive_elu_grad(v, a):
    return 1.0 if v >= 0 else a * math.exp(v)


ACTIVATIONS = [
    # (name, function, gradient, naive f, naive f', kwargs)
    ("tanh", p1.tanh, p1.tanh_grad, naive_tanh, naive_tanh_grad, {}),
    ("leaky_relu", p1.leaky_relu, p1.leaky_relu_grad, naive_leaky, naive_leaky_grad, {"alpha": 0.01}),
    ("leaky_relu_a0.3", p1.leaky_relu, p1.leaky_relu_grad, naive_leaky, naive_leaky_grad, {"alpha": 0.3}),
    ("elu", p1.elu, p1.elu_grad, naive_elu, naive_elu_grad, {"alpha": 1.0}),
    ("elu_a1.7", p1.elu, p1.elu_grad, naive_elu, naive_elu_grad, {"alpha": 1.7}),
]


def _naive_call(naive, kwargs):
    return (lambda v: naive(v, kwargs["alpha"])) if kwargs else naive


@pytest.mark.parametrize("case", ACTIVATIONS, ids=lambda c: c[0])
def test_activations_match_naive(bk, case):
    _, f, grad, naive_f, naive_g, kwargs = case
    rng = rng_for("act", case[0])
    for shape in SHAPES:
        for scale in (0.5, 3.0, 30.0):
            x = rng.normal(scale=scale, size=shape)
            out, g = call(bk, f, x, **kwargs), call(bk, grad, x, **kwargs)
            assert out.shape == g.shape == x.shape and out.dtype == g.dtype == np.float64
            np.testing.assert_allclose(out, elementwise(_naive_call(naive_f, kwargs), x), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(g, elementwise(_naive_call(naive_g, kwargs), x), rtol=1e-9, atol=1e-15)


def test_tanh_matches_math_tanh(bk):
    x = rng_for("tanh-math").normal(scale=2.0, size=200)
    np.testing.assert_allclose(call(bk, p1.tanh, x), elementwise(math.tanh, x), rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", ACTIVATIONS, ids=lambda c: c[0])
def test_activation_grads_vs_finite_differences(bk, case):
    _, f, grad, _, _, kwargs = case
    x = rng_for("act-fd", case[0]).normal(scale=2.0, size=40)
    x = x[np.abs(x) > 1e-3]  # away from the kink of LeakyReLU and ELU at 0
    h = 1e-6
    fd = (call(bk, f, x + h, **kwargs) - call(bk, f, x - h, **kwargs)) / (2 * h)
    np.testing.assert_allclose(call(bk, grad, x, **kwargs), fd, rtol=1e-7, atol=1e-9)


def test_activations_at_zero_take_the_x_branch(bk):
    x = np.array([-0.0, 0.0])
    for alpha in (0.01, 0.3, 2.0):
        np.testing.assert_array_equal(call(bk, p1.leaky_relu, x, alpha=alpha), [0.0, 0.0])
        np.testing.assert_array_equal(call(bk, p1.elu, x, alpha=alpha), [0.0, 0.0])
    np.testing.assert_array_equal(call(bk, p1.tanh, x), [0.0, 0.0])
    assert call(bk, p1.tanh_grad, np.array([0.0]))[0] == 1.0


def test_leaky_relu_grad_at_zero_is_one_from_the_right(bk):
    for alpha in (0.01, 0.3):
        g = call(bk, p1.leaky_relu_grad, np.array([-1e-300, 0.0, 1e-300]), alpha=alpha)
        np.testing.assert_array_equal(g, [alpha, 1.0, 1.0])  # 1 at 0, not α


def test_elu_grad_at_zero_is_one_from_the_right(bk):
    for alpha in (1.0, 0.5, 2.0):
        g = call(bk, p1.elu_grad, np.array([0.0, 1e-300]), alpha=alpha)
        np.testing.assert_array_equal(g, [1.0, 1.0])  # 1 at 0, not α


def test_elu_grad_negative_side_is_alpha_exp(bk):
    x = np.array([-0.1, -1.0, -2.5, -7.0, -30.0])
    for alpha in (1.0, 0.5, 2.0):
        g = call(bk, p1.elu_grad, x, alpha=alpha)
        np.testing.assert_allclose(g, alpha * np.exp(x), rtol=1e-14)
        assert np.all(np.abs(g - alpha) > 0.09 * alpha), "elu_grad(x < 0) is α eˣ, not the constant α"
        # and it equals f(x) + α on that side
        np.testing.assert_allclose(g, call(bk, p1.elu, x, alpha=alpha) + alpha, rtol=1e-12, atol=1e-15)


def test_activation_params_are_used(bk):
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(call(bk, p1.leaky_relu, x), [-0.02, 3.0])  # default α = 0.01
    np.testing.assert_array_equal(call(bk, p1.leaky_relu, x, alpha=0.5), [-1.0, 3.0])
    np.testing.assert_allclose(call(bk, p1.elu, x), [math.expm1(-2.0), 3.0], rtol=1e-15)  # default α = 1
    np.testing.assert_allclose(call(bk, p1.elu, x, alpha=3.0), [3 * math.expm1(-2.0), 3.0], rtol=1e-15)


EXTREME = np.array([-1e4, -1e3, -800.0, -746.0, -710.0, -356.0, -355.0, -100.0, -1e-8, 0.0, 1e-8, 100.0, 355.0, 1e4])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_stable_no_warnings(bk, dtype):
    x = EXTREME.astype(dtype)
    for _, f, grad, naive_f, naive_g, kwargs in ACTIVATIONS:
        with strict_fp():  # no warning, not even underflow, inside the reference
            out, g = call(bk, f, x, **kwargs), call(bk, grad, x, **kwargs)
        assert out.dtype == g.dtype == dtype, f.__name__
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(g)), f.__name__
        np.testing.assert_allclose(out, elementwise(_naive_call(naive_f, kwargs), x.astype(np.float64)), rtol=1e-6)
        np.testing.assert_allclose(g, elementwise(_naive_call(naive_g, kwargs), x.astype(np.float64)), atol=1e-7)
    t = call(bk, p1.tanh, x)
    assert t[0] == -1.0 and t[-1] == 1.0 and t[5] == -1.0  # x = −356: 5-6 as written gives NaN there
    assert call(bk, p1.elu, x)[0] == -1.0 and call(bk, p1.elu_grad, x)[0] == 0.0


def test_tanh_textbook_formula_overflows_below_minus_355():
    """Why the stub says to use np.tanh: 5-6 as written is NaN, with an overflow warning, for x < −355."""
    x = np.array([-356.0, -1e4])
    with np.errstate(over="ignore", invalid="ignore"):
        textbook = (1 - np.exp(-2 * x)) / (1 + np.exp(-2 * x))
    assert np.all(np.isnan(textbook))
    np.testing.assert_array_equal(p1.tanh(x), [-1.0, -1.0])


def test_activations_integer_input_becomes_float(bk):
    x = np.array([-2, 0, 3])
    np.testing.assert_allclose(call(bk, p1.leaky_relu, x), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(call(bk, p1.tanh_grad, x), [naive_tanh_grad(v) for v in (-2, 0, 3)], rtol=1e-12)


# ==================================================================================================
# p2 — losses: naive versions over the flat list of elements, with math


def _flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def naive_mse(yhat, y):
    pairs = list(zip(_flat(yhat), _flat(y), strict=True))
    return sum((t - p) ** 2 for p, t in pairs) / len(pairs)


def naive_l1(yhat, y):
    return sum(abs(t - p) for p, t in zip(_flat(yhat), _flat(y), strict=True))


def _huber_term(r, d):
    return 0.5 * r * r if abs(r) <= d else d * abs(r) - 0.5 * d * d


def naive_smooth_l1(yhat, y):
    total = 0.0
    for p, t in zip(_flat(yhat), _flat(y), strict=True):
        r = abs(p - t)
        total += 0.5 * r * r if r < 1 else r - 0.5
    return total


def naive_huber(yhat, y, delta=1.0):
    return sum(_huber_term(p - t, delta) for p, t in zip(_flat(yhat), _flat(y), strict=True))


def naive_kl(yhat, y):
    return sum(t * math.log(t / p) if t != 0 else 0.0 for p, t in zip(_flat(yhat), _flat(y), strict=True))


def naive_ce(yhat, y):
    return -sum(t * math.log(p) if t != 0 else 0.0 for p, t in zip(_flat(yhat), _flat(y), strict=True))


def naive_bce(yhat, y):
    return -sum(t * math.log(p) + (1 - t) * math.log(1 - p) for p, t in zip(_flat(yhat), _flat(y), strict=True))


def _grad_loop(fn, yhat, y):
    out = np.empty(yhat.shape)
    for idx in np.ndindex(yhat.shape):
        out[idx] = fn(float(yhat[idx]), float(y[idx]))
    return out


def naive_mse_grad(yhat, y):
    return _grad_loop(lambda p, t: 2 * (p - t), yhat, y) / max(yhat.size, 1)


def naive_l1_grad(yhat, y):
    return _grad_loop(lambda p, t: 1.0 if p > t else (-1.0 if p < t else 0.0), yhat, y)


def naive_smooth_l1_grad(yhat, y):
    return _grad_loop(lambda p, t: (p - t) if abs(p - t) < 1 else math.copysign(1.0, p - t), yhat, y)


def naive_huber_grad(yhat, y, delta=1.0):
    return _grad_loop(lambda p, t: (p - t) if abs(p - t) <= delta else math.copysign(delta, p - t), yhat, y)


def naive_kl_grad(yhat, y):
    return _grad_loop(lambda p, t: -t / p if t != 0 else 0.0, yhat, y)


def naive_bce_grad(yhat, y):
    return _grad_loop(lambda p, t: -t / p + (1 - t) / (1 - p), yhat, y)


def regression_pair(rng, shape, scale=2.0):
    return rng.normal(scale=scale, size=shape), rng.normal(scale=scale, size=shape)


def distribution_pair(rng, shape, zeros=0.3):
    """(yhat, y): positive yhat, and y ≥ 0 with about `zeros` of its entries exactly 0 (both sum to 1 per row)."""
    yhat = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) if shape else np.array(1.0)
    y = rng.random(shape) * (rng.random(shape) > zeros)
    if y.ndim and y.sum() > 0:
        y = y / np.maximum(y.sum(axis=-1, keepdims=True), 1e-300)
    return yhat, y


def binary_pair(rng, shape):
    return rng.uniform(0.01, 0.99, size=shape), (rng.random(shape) < 0.5).astype(np.float64)


LOSSES = [
    # (name, loss, grad, naive loss, naive grad, data, kwargs)
    ("mse", p2.mse, p2.mse_grad, naive_mse, naive_mse_grad, regression_pair, {}),
    ("l1", p2.l1, p2.l1_grad, naive_l1, naive_l1_grad, regression_pair, {}),
    ("smooth_l1", p2.smooth_l1, p2.smooth_l1_grad, naive_smooth_l1, naive_smooth_l1_grad, regression_pair, {}),
    ("huber", p2.huber, p2.huber_grad, naive_huber, naive_huber_grad, regression_pair, {}),
    ("huber_d0.6", p2.huber, p2.huber_grad, naive_huber, naive_huber_grad, regression_pair, {"delta": 0.6}),
    ("huber_d2.5", p2.huber, p2.huber_grad, naive_huber, naive_huber_grad, regression_pair, {"delta": 2.5}),
    ("kl_div", p2.kl_div, p2.kl_div_grad, naive_kl, naive_kl_grad, distribution_pair, {}),
    ("cross_entropy", p2.cross_entropy, p2.cross_entropy_grad, naive_ce, naive_kl_grad, distribution_pair, {}),
    ("bce", p2.binary_cross_entropy, p2.binary_cross_entropy_grad, naive_bce, naive_bce_grad, binary_pair, {}),
]
LOSS_IDS = [c[0] for c in LOSSES]


@pytest.mark.parametrize("case", LOSSES, ids=LOSS_IDS)
def test_losses_match_naive(bk, case):
    name, loss, grad, naive_loss, naive_grad, data, kwargs = case
    rng = rng_for("loss", name)
    for shape in [(1,), (6,), (3, 4), (2, 3, 5), (16, 10)]:
        for _ in range(4):
            yhat, y = data(rng, shape)
            value = call_loss(bk, loss, yhat, y, **kwargs)
            assert value == pytest.approx(naive_loss(yhat, y, **kwargs), rel=1e-12, abs=1e-14)
            g = call(bk, grad, yhat, y, **kwargs)
            assert g.shape == yhat.shape and g.dtype == np.float64
            np.testing.assert_allclose(g, naive_grad(yhat, y, **kwargs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", LOSSES, ids=LOSS_IDS)
def test_loss_grads_vs_finite_differences(bk, case):
    name, loss, grad, _, _, data, kwargs = case
    rng = rng_for("loss-fd", name)
    for shape in [(5,), (2, 3)]:
        yhat, y = data(rng, shape)
        if data is regression_pair:  # keep every residual 1e-3 away from the kinks at 0, ±1 and ±δ
            kinks = np.array([0.0, 1.0, kwargs.get("delta", 1.0)])
            r = yhat - y
            near = np.min(np.abs(np.abs(r)[..., None] - kinks), axis=-1) < 1e-3
            yhat = np.where(near, yhat + 0.01, yhat)
        fd = central_diff(lambda v, y=y: loss(v, y, **kwargs), yhat)
        np.testing.assert_allclose(call(bk, grad, yhat, y, **kwargs), fd, rtol=1e-6, atol=1e-8)


def test_loss_argument_order_is_prediction_first(bk):
    p, q = np.array([0.9, 0.05, 0.05]), np.array([0.2, 0.3, 0.5])
    # kl_div(yhat, y) = KL(y ‖ yhat) = Σ y log(y/yhat): asymmetric, so the order shows
    expected = sum(t * math.log(t / s) for s, t in zip(q, p, strict=True))
    assert call_loss(bk, p2.kl_div, q, p) == pytest.approx(expected, rel=1e-14)
    assert abs(call_loss(bk, p2.kl_div, p, q) - expected) > 0.1
    # every gradient is with respect to the FIRST argument: mse_grad(yhat, y) = 2 (yhat − y)/n
    np.testing.assert_allclose(call(bk, p2.mse_grad, q, p), 2 * (q - p) / 3, rtol=1e-15)
    np.testing.assert_allclose(call(bk, p2.cross_entropy_grad, q, p), -p / q, rtol=1e-15)


def test_mse_is_the_mean_with_no_half(bk):
    yhat, y = np.full((2, 5), 3.0), np.ones((2, 5))
    assert call_loss(bk, p2.mse, yhat, y) == 4.0  # (1/n) Σ 2², not ½ of it and not the sum 40
    np.testing.assert_array_equal(call(bk, p2.mse_grad, yhat, y), np.full((2, 5), 0.4))  # 2·2/10, n = 10 elements


def test_l1_smooth_l1_huber_kl_ce_bce_are_sums(bk):
    n = 12
    yhat, y = np.full((3, 4), 0.25), np.zeros((3, 4))
    assert call_loss(bk, p2.l1, yhat, y) == pytest.approx(n * 0.25, rel=1e-15)
    assert call_loss(bk, p2.smooth_l1, yhat, y) == pytest.approx(n * 0.5 * 0.0625, rel=1e-15)
    assert call_loss(bk, p2.huber, yhat, y, delta=0.1) == pytest.approx(n * (0.1 * 0.25 - 0.005), rel=1e-14)
    half = np.full((3, 4), 0.5)
    assert call_loss(bk, p2.cross_entropy, half, half) == pytest.approx(n * 0.5 * math.log(2), rel=1e-15)
    assert call_loss(bk, p2.kl_div, half / 2, half) == pytest.approx(n * 0.5 * math.log(2), rel=1e-15)
    assert call_loss(bk, p2.binary_cross_entropy, half, np.ones((3, 4))) == pytest.approx(n * math.log(2), rel=1e-15)


def test_l1_grad_is_zero_at_a_tie(bk):
    yhat, y = np.array([1.0, 2.0, -3.0, 0.0]), np.array([1.0, 1.0, -3.0, 0.5])
    np.testing.assert_array_equal(call(bk, p2.l1_grad, yhat, y), [0.0, 1.0, 0.0, -1.0])


def test_smooth_l1_threshold_is_one_residuals_between_half_and_one(bk):
    r = np.array([0.55, -0.7, 0.8, -0.95, 0.999])  # (0.5, 1): the quadratic branch of 5-13
    y = np.array([0.3, -1.0, 2.0, 0.0, 5.0])
    yhat = y + r
    assert call_loss(bk, p2.smooth_l1, yhat, y) == pytest.approx(float(np.sum(0.5 * (yhat - y) ** 2)), rel=1e-12)
    np.testing.assert_allclose(call(bk, p2.smooth_l1_grad, yhat, y), yhat - y, rtol=1e-12)
    # |r| ≥ 1: the linear branch |r| − ½, gradient sign(r)
    r2 = np.array([1.0, -1.5, 4.0])
    assert call_loss(bk, p2.smooth_l1, r2, np.zeros(3)) == pytest.approx(0.5 + 1.0 + 3.5, rel=1e-15)
    np.testing.assert_array_equal(call(bk, p2.smooth_l1_grad, r2, np.zeros(3)), [1.0, -1.0, 1.0])


@pytest.mark.parametrize("delta", [0.3, 0.6, 2.5])
def test_huber_branches_with_delta_not_one(bk, delta):
    r = np.array([0.55, -0.7, 0.8, -0.95, 0.1, -2.0, 3.0])  # residuals in (0.5, 1) plus one inside and two beyond
    y = np.linspace(-1.0, 1.0, r.size)
    yhat = y + r
    a = np.abs(yhat - y)
    quad = a <= delta
    expected_terms = np.where(quad, 0.5 * a**2, delta * a - 0.5 * delta**2)  # δ|r| − ½δ² beyond δ
    assert call_loss(bk, p2.huber, yhat, y, delta=delta) == pytest.approx(float(expected_terms.sum()), rel=1e-12)
    g = call(bk, p2.huber_grad, yhat, y, delta=delta)
    np.testing.assert_allclose(g, np.where(quad, yhat - y, delta * np.sign(yhat - y)), rtol=1e-12)
    assert quad.any() and (~quad).any()  # both branches are exercised


def test_huber_with_delta_one_is_smooth_l1(bk):
    yhat, y = regression_pair(rng_for("huber=sl1"), (4, 6))
    assert call_loss(bk, p2.huber, yhat, y) == pytest.approx(call_loss(bk, p2.smooth_l1, yhat, y), rel=1e-14)
    np.testing.assert_allclose(call(bk, p2.huber_grad, yhat, y), call(bk, p2.smooth_l1_grad, yhat, y), rtol=0)


def test_huber_is_continuous_at_delta(bk):
    for delta in (0.3, 2.5):
        for eps in (1e-9, -1e-9):
            r = np.array([delta + eps])
            assert call_loss(bk, p2.huber, r, np.zeros(1), delta=delta) == pytest.approx(0.5 * delta**2, rel=1e-7)


def test_kl_and_ce_zero_log_zero(bk):
    y = np.array([0.5, 0.0, 0.5, 0.0])
    for yhat in (np.array([0.25, 0.5, 0.25, 0.0]), np.array([0.25, 0.0, 0.25, 0.5]), np.array([0.5, 1e-300, 0.5, 0])):
        with strict_fp():  # no log 0, no 0/0, no warning
            kl = call_loss(bk, p2.kl_div, yhat, y)
            ce = call_loss(bk, p2.cross_entropy, yhat, y)
            grads = [call(bk, fn, yhat, y) for fn in (p2.kl_div_grad, p2.cross_entropy_grad)]
        pos = y > 0
        assert kl == pytest.approx(float(np.sum(y[pos] * np.log(y[pos] / yhat[pos]))), rel=1e-14, abs=1e-300)
        assert ce == pytest.approx(-float(np.sum(y[pos] * np.log(yhat[pos]))), rel=1e-14)
        for fn, g in zip((p2.kl_div_grad, p2.cross_entropy_grad), grads, strict=True):
            assert np.all(np.isfinite(g))
            assert np.all(g[~pos] == 0.0), f"{fn.__name__} must be 0 where y = 0, even at yhat = 0"
            np.testing.assert_allclose(g[pos], -y[pos] / yhat[pos], rtol=1e-15)


def test_kl_and_ce_identical_distributions(bk):
    p = np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]])
    assert call_loss(bk, p2.kl_div, p, p) == 0.0
    entropy = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8))
    assert call_loss(bk, p2.cross_entropy, p, p) == pytest.approx(entropy, rel=1e-14)  # a one-hot row adds 0


def test_kl_and_ce_not_clipped(bk):
    yhat, y = np.array([1e-200, 1.0]), np.array([1.0, 0.0])
    assert call_loss(bk, p2.cross_entropy, yhat, y) == pytest.approx(200 * math.log(10), rel=1e-14)
    assert call_loss(bk, p2.kl_div, yhat, y) == pytest.approx(200 * math.log(10), rel=1e-14)
    assert call(bk, p2.cross_entropy_grad, yhat, y)[0] == pytest.approx(-1e200, rel=1e-14)


def test_bce_not_clipped(bk):
    yhat, y = np.array([1e-12, 1 - 1e-9, 0.3]), np.array([1.0, 0.0, 1.0])
    expected = -(math.log(1e-12) + math.log1p(-(1 - 1e-9)) + math.log(0.3))
    assert call_loss(bk, p2.binary_cross_entropy, yhat, y) == pytest.approx(expected, rel=1e-6)
    assert expected > 27.6 + 20.7  # clipping to [1e-7, 1 − 1e-7] would give about 16.1 + 16.1
    g = call(bk, p2.binary_cross_entropy_grad, yhat, y)
    np.testing.assert_allclose(g, naive_bce_grad(yhat, y), rtol=1e-6)
    assert g[0] == pytest.approx(-1e12, rel=1e-9)


def test_bce_grad_closed_form(bk):
    yhat, y = binary_pair(rng_for("bce-closed"), (20,))
    np.testing.assert_allclose(call(bk, p2.binary_cross_entropy_grad, yhat, y), (yhat - y) / (yhat * (1 - yhat)))


def test_losses_scalar_and_integer_inputs(bk):
    assert call_loss(bk, p2.mse, np.array(3.0), np.array(1.0)) == 4.0  # a 0-d array: n = 1
    assert call_loss(bk, p2.l1, np.array([1, 4]), np.array([2, 2])) == 3.0  # integer arrays become float
    assert call_loss(bk, p2.cross_entropy, np.array([0.5, 0.5]), np.array([1, 0])) == pytest.approx(math.log(2))


def test_losses_reject_shape_mismatch():
    for fn in (p2.mse, p2.l1_grad, p2.huber, p2.kl_div_grad):
        with pytest.raises(ValueError, match="same shape"):
            fn(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="delta"):
        p2.huber(np.zeros(2), np.ones(2), delta=0.0)


def test_losses_no_warnings_large_values(bk, strict_floats):
    yhat, y = np.array([1e4, -1e4, 3.0]), np.array([-1e4, 1e4, 3.0])
    assert call_loss(bk, p2.mse, yhat, y) == pytest.approx(2 * 4e8 / 3)
    assert call_loss(bk, p2.huber, yhat, y, delta=2.0) == pytest.approx(2 * (2 * 2e4 - 2))
    assert call_loss(bk, p2.smooth_l1, yhat, y) == pytest.approx(2 * (2e4 - 0.5))


# ==================================================================================================
# p3 — softmax loss


def naive_softmax_ce(logits, labels):
    """−(1/N) Σ_i log softmax(f_i)[Y_i] by loops; labels as a list of class indices."""
    rows = np.asarray(logits, dtype=np.float64).reshape(-1, np.shape(logits)[-1])
    total = 0.0
    for row, k in zip(rows, labels, strict=True):
        m = max(float(v) for v in row)
        lse = m + math.log(sum(math.exp(float(v) - m) for v in row))
        total += lse - float(row[k])
    return total / len(rows)


def naive_softmax_ce_grad(logits, labels):
    rows = np.asarray(logits, dtype=np.float64).reshape(-1, np.shape(logits)[-1])
    N, C = rows.shape
    out = np.empty((N, C))
    for i, (row, k) in enumerate(zip(rows, labels, strict=True)):
        m = max(float(v) for v in row)
        z = sum(math.exp(float(v) - m) for v in row)
        for j in range(C):
            out[i, j] = (math.exp(float(row[j]) - m) / z - (1.0 if j == k else 0.0)) / N
    return out.reshape(np.shape(logits))


def test_softmax_ce_matches_naive(bk):
    rng = rng_for("sce")
    for N, C in [(1, 2), (4, 3), (16, 10), (7, 5)]:
        for scale in (0.5, 3.0, 50.0):
            logits = rng.normal(scale=scale, size=(N, C))
            labels = rng.integers(0, C, size=N)
            loss = call_loss(bk, p3.softmax_cross_entropy, logits, labels)
            assert loss == pytest.approx(naive_softmax_ce(logits, labels), rel=1e-12, abs=1e-15)
            g = call(bk, p3.softmax_cross_entropy_grad, logits, labels)
            assert g.shape == (N, C) and g.dtype == np.float64
            np.testing.assert_allclose(g, naive_softmax_ce_grad(logits, labels), rtol=1e-11, atol=1e-15)  # s − 1, s ≈ 1
            np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_ce_grad_vs_finite_differences(bk):
    rng = rng_for("sce-fd")
    for N, C in [(1, 3), (4, 3), (3, 6)]:
        logits, labels = rng.normal(scale=2.0, size=(N, C)), rng.integers(0, C, size=N)
        fd = central_diff(lambda z, labels=labels: naive_softmax_ce(z, labels), logits)
        np.testing.assert_allclose(call(bk, p3.softmax_cross_entropy_grad, logits, labels), fd, rtol=1e-6, atol=1e-9)


def test_softmax_ce_is_mean_and_grad_divided_by_n(bk):
    row, label = np.array([0.3, -1.2, 2.0]), 1
    single = call_loss(bk, p3.softmax_cross_entropy, row[None, :], np.array([label]))
    for N in (2, 5):
        logits, labels = np.tile(row, (N, 1)), np.full(N, label)
        assert call_loss(bk, p3.softmax_cross_entropy, logits, labels) == pytest.approx(single, rel=1e-14)
        g = call(bk, p3.softmax_cross_entropy_grad, logits, labels)
        np.testing.assert_allclose(g * N, np.tile(naive_softmax_ce_grad(row[None, :], [label]), (N, 1)), rtol=1e-13)


def test_softmax_ce_one_hot_labels_equal_integer_labels(bk):
    rng = rng_for("sce-onehot")
    logits, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    onehot = np.eye(4)[labels]
    for lab in (onehot, onehot.astype(np.int64)):
        assert call_loss(bk, p3.softmax_cross_entropy, logits, lab) == pytest.approx(
            call_loss(bk, p3.softmax_cross_entropy, logits, labels), rel=1e-15
        )
        np.testing.assert_allclose(
            call(bk, p3.softmax_cross_entropy_grad, logits, lab),
            call(bk, p3.softmax_cross_entropy_grad, logits, labels),
            rtol=1e-15,
        )
    for lab in (labels.astype(np.int32), labels.astype(np.float64)):  # other integer dtypes, whole floats
        assert call_loss(bk, p3.softmax_cross_entropy, logits, lab) == pytest.approx(naive_softmax_ce(logits, labels))


def test_softmax_ce_one_dim_logits_are_a_batch_of_one(bk):
    row = np.array([0.5, -1.0, 2.0, 0.0])
    expected = naive_softmax_ce(row[None, :], [2])
    for label in (2, np.array(2), np.array([2]), np.eye(4)[2]):
        assert call_loss(bk, p3.softmax_cross_entropy, row, label) == pytest.approx(expected, rel=1e-14)
        g = call(bk, p3.softmax_cross_entropy_grad, row, label)
        assert g.shape == (4,)
        np.testing.assert_allclose(g, naive_softmax_ce_grad(row[None, :], [2])[0], rtol=1e-13)


def test_softmax_ce_rejects_bad_labels():
    with pytest.raises(ValueError):
        p3.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError):
        p3.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError):
        p3.softmax_cross_entropy_grad(np.zeros((2, 3)), np.array([0.5, 1.0]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_ce_stable_no_warnings(bk, dtype):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [1e4, 1e4 - 1.0, -1e4]], dtype=dtype)
    labels = np.array([2, 0, 1, 1])
    with strict_fp():
        loss = call_loss(bk, p3.softmax_cross_entropy, logits, labels)
        g = call(bk, p3.softmax_cross_entropy_grad, logits, labels)
        one = call_loss(bk, p3.softmax_cross_entropy, np.array([1e4, 0.0, -1e4], dtype=dtype), 0)
    assert math.isfinite(loss) and np.all(np.isfinite(g)) and g.dtype == dtype
    expected = (2e4 + math.log(3) + math.log(3) + (1.0 + math.log1p(math.exp(-1.0)))) / 4
    assert loss == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(g, naive_softmax_ce_grad(logits.astype(np.float64), labels), atol=1e-7)
    assert one == 0.0


def _mp_saturation():
    """(‖∇MSE‖, ‖∇CE‖) at fig. 3.36's point, at 50 digits: ∇MSE by central differences of e = Σ(y − softmax(f))²."""
    with mpmath.workdps(60):
        f0, target = [mpmath.mpf(v) for v in (-10, 10, -1000)], [1, 0, 0]

        def softmax(f):
            z = sum(mpmath.exp(v) for v in f)
            return [mpmath.exp(v) / z for v in f]

        def mse(f):
            return sum((t - s) ** 2 for t, s in zip(target, softmax(f), strict=True))

        h = mpmath.mpf("1e-25")
        g_mse = []
        for j in range(3):
            up, down = list(f0), list(f0)
            up[j] += h
            down[j] -= h
            g_mse.append((mse(up) - mse(down)) / (2 * h))
        g_ce = [s - t for s, t in zip(softmax(f0), target, strict=True)]
        return float(mpmath.sqrt(sum(v * v for v in g_mse))), float(mpmath.sqrt(sum(v * v for v in g_ce)))


def test_saturation_demo_text_claim():
    with strict_fp():  # y3 = −1000: exp(−1010) must not warn
        result = p3.saturation_demo()
    assert isinstance(result, tuple) and len(result) == 2
    g_mse, g_ce = result
    assert isinstance(g_mse, float) and isinstance(g_ce, float)
    assert f"{g_mse:.3g}" == "1.17e-08" and f"{g_ce:.4g}" == "1.414"  # the text's plateau vs the CE slope
    assert g_mse < 1e-7 * g_ce
    mp_mse, mp_ce = _mp_saturation()
    assert g_mse == pytest.approx(mp_mse, rel=1e-12)
    assert g_ce == pytest.approx(mp_ce, rel=1e-14)
    assert p3.SATURATION_LOGITS == (-10.0, 10.0, -1000.0) and p3.SATURATION_TARGET == (1.0, 0.0, 0.0)


# ==================================================================================================
# the modules themselves


MODULES = [p1, p2, p3]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_doctests(module):
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstrings_have_the_required_parts(module):
    doc = module.__doc__
    assert "Original text" in doc and "English statement" in doc and "What real student code gets wrong" in doc
    assert re.search(r"[\u4e00-\u9fff]", doc), "the module docstring quotes the Chinese source text"
    public = [
        v
        for k, v in vars(module).items()
        if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    assert public
    for fn in public:
        assert fn.__doc__ and "Example" in fn.__doc__ and ">>>" in fn.__doc__, fn.__name__
        assert "Watch out:" in fn.__doc__, f"{fn.__name__} names the convention students get wrong"
        assert "Returns" in fn.__doc__, fn.__name__


def test_points_add_up_to_100():
    import solutions.hw5 as hw5

    points = [int(re.search(r"\((\d+) points\)", m.__doc__).group(1)) for m in MODULES]
    assert sum(points) == 100
    assert re.findall(r"p\d (\d+)", hw5.__doc__) == [str(p) for p in points]


def test_required_names_exist():
    names = {
        p1: "tanh tanh_grad leaky_relu leaky_relu_grad elu elu_grad",
        p2: "mse mse_grad l1 l1_grad smooth_l1 smooth_l1_grad huber huber_grad kl_div kl_div_grad cross_entropy "
        "cross_entropy_grad binary_cross_entropy binary_cross_entropy_grad",
        p3: "softmax_cross_entropy softmax_cross_entropy_grad saturation_demo",
    }
    for module, listed in names.items():
        for name in listed.split():
            assert callable(getattr(module, name, None)), f"{module.__name__}.{name}"
    assert p2.huber.__defaults__ == (1.0,) and p1.leaky_relu.__defaults__ == (0.01,) and p1.elu.__defaults__ == (1.0,)
