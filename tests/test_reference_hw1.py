"""Tests of the hw1 reference solutions against independent naive implementations.

Every numeric reference function is run on every array backend at hand and compared with explicit-loop
implementations written here, plus finite-difference checks of every backward pass. The backends:
- ``numpy``;
- ``array_api_strict`` on its CPU device, the standard and nothing more (no NumPy-only function, method or
  indexing gets through), and on its second, fake device ``device1``: arrays of two devices cannot be
  combined there, so a function that makes an array on the default device instead of its input's fails;
- ``torch``: PyTorch CPU tensors, when torch is installed (skipped otherwise);
- ``cupy``: CuPy arrays on a GPU, when CuPy is usable (``source_lib.backend.cupy_status``; skipped with the
  reason otherwise).
Every array a function returns (caches included) must be on the device of its inputs.
"""

import doctest
import itertools
import math
import warnings
import zlib

import numpy as np
import pytest
import sympy as sp
from array_api_compat import array_namespace

from solutions.hw1 import p1_bp_relu as p1
from solutions.hw1 import p2_derivatives as p2
from solutions.hw1 import p3_flops as p3
from solutions.hw1 import p4_conv_backprop as p4
from solutions.hw1 import p5_pool_backprop as p5

from .backends import to_np  # the bk fixture: tests/conftest.py

# --------------------------------------------------------------------------------------------------
# backends


def call(bk, fn, *args, **kwargs):
    """Calls fn on backend copies of the NumPy args; asserts no argument was modified and that every array of
    the result is on the inputs' device; returns the result as NumPy (a tuple is returned as it is)."""
    before = [to_np(bk.to(a)) for a in args]
    bargs = [bk.to(a) for a in args]
    result = fn(*bargs, **kwargs)
    bk.assert_on_device(result, f"{fn.__name__}(...)")
    for a, b, orig in zip(bargs, before, args, strict=True):
        _assert_same(to_np(a), b)
        _assert_same(to_np(a), orig)
    return to_np(result) if not isinstance(result, tuple) else result


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        for u, v in zip(a, b, strict=True):
            _assert_same(u, v)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg="an input was modified in place")


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


# ==================================================================================================
# p1 — BP with ReLU


def naive_forward(params, x):
    L = len(params) // 2
    a = [list(row) for row in x]
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        new = []
        for row in a:
            out = []
            for i in range(W.shape[0]):
                z = b[i]
                for j in range(W.shape[1]):
                    z += W[i, j] * row[j]
                out.append(z if z > 0 else 0.0)
            new.append(out)
        a = new
    return np.array(a)


def random_params(rng, sizes, margin=0.05, x=None):
    """Random params whose pre-activations on x are all at least `margin` away from 0."""
    for _ in range(1000):
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1]))
            params[f"b{l}"] = rng.normal(size=sizes[l])
        if x is None:
            return params
        a, ok = x, True
        for l in range(1, len(sizes)):
            z = a @ params[f"W{l}"].T + params[f"b{l}"]
            ok &= bool(np.all(np.abs(z) > margin))
            a = np.maximum(z, 0)
        if ok:
            return params
    raise RuntimeError("no params found")


def test_relu_and_grad(bk):
    z = np.array([[-2.0, -1e-12, 0.0, 1e-12, 3.5], [0.0, 1.0, -1.0, 7.0, -0.0]])
    np.testing.assert_array_equal(call(bk, p1.relu, z), [[max(v, 0.0) for v in r] for r in z])
    np.testing.assert_array_equal(call(bk, p1.relu_grad, z), [[1.0 if v > 0 else 0.0 for v in r] for r in z])
    assert call(bk, p1.relu_grad, np.zeros(3)).tolist() == [0.0, 0.0, 0.0]  # relu'(0) = 0


@pytest.mark.parametrize("sizes, N", [([2, 2, 1], 1), ([3, 4, 5, 2], 3), ([1, 1], 2), ([4, 3], 5)])
def test_forward_matches_naive(bk, sizes, N):
    rng = rng_for("p1fwd", tuple(sizes), N)
    x = rng.normal(size=(N, sizes[0]))
    params = random_params(rng, sizes)
    yhat, _ = call(bk, p1.forward, params, x)
    assert to_np(yhat).shape == (N, sizes[-1])
    np.testing.assert_allclose(to_np(yhat), naive_forward(params, x), rtol=1e-12, atol=1e-12)


def test_squared_loss(bk):
    yhat = np.array([[0.5, 1.0], [2.0, -1.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.0]])
    loss, dyhat = call(bk, p1.squared_loss, yhat, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(0.5 * (0.25 + 0 + 4 + 1))
    np.testing.assert_allclose(to_np(dyhat), yhat - y)


@pytest.mark.parametrize("sizes, N", [([2, 2, 1], 1), ([3, 4, 5, 2], 3), ([2, 3], 4)])
def test_backward_matches_finite_differences(bk, sizes, N):
    rng = rng_for("p1bwd", tuple(sizes), N)
    x = rng.normal(size=(N, sizes[0]))
    y = rng.normal(size=(N, sizes[-1]))
    params = random_params(rng, sizes, x=x)
    yhat, cache = p1.forward(bk.to(params), bk.to(x))
    loss, dyhat = p1.squared_loss(yhat, bk.to(y))
    grads = bk.host(p1.backward(dyhat, cache))
    assert grads.keys() == params.keys()

    def loss_of(key):
        def f(value):
            p = dict(params)
            p[key] = value
            return 0.5 * np.sum((naive_forward(p, x) - y) ** 2)

        return f

    for key in params:
        assert grads[key].shape == params[key].shape
        np.testing.assert_allclose(grads[key], central_diff(loss_of(key), params[key]), rtol=1e-6, atol=1e-8)


def test_backward_relu_grad_zero_at_zero(bk):
    # a unit with pre-activation exactly 0 passes no gradient (relu'(0) = 0)
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.0])}
    x = np.array([[2.0, 2.0]])
    yhat, cache = p1.forward(bk.to(params), bk.to(x))
    grads = bk.host(p1.backward(bk.to(np.array([[5.0]])), cache))
    np.testing.assert_array_equal(grads["W1"], [[0.0, 0.0]])
    np.testing.assert_array_equal(grads["b1"], [0.0])


def test_sgd_update_returns_new_dict(bk):
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5])}
    grads = {"W1": np.array([[0.1, -0.2]]), "b1": np.array([1.0])}
    bparams = bk.to(params)
    new = p1.sgd_update(bparams, bk.to(grads), 0.5)
    assert new is not bparams
    bk.assert_on_device(new)
    np.testing.assert_allclose(to_np(new["W1"]), [[0.95, 2.1]])
    np.testing.assert_allclose(to_np(new["b1"]), [0.0])
    _assert_same(to_np(bparams), params)
    call(bk, p1.sgd_update, params, grads, 0.5)  # checks that nothing was modified


def test_bp_step_homework_network(bk):
    params, x, y = p1.homework_network()
    out = call(bk, p1.bp_step, params, x, y, lr=1.0)
    assert {"params", "yhat_before", "yhat_after", "loss_before", "loss_after", "loss_decreased"} <= set(out)
    assert isinstance(out["loss_decreased"], bool) and out["loss_decreased"] is True
    assert isinstance(out["loss_before"], float) and isinstance(out["loss_after"], float)
    assert out["loss_before"] == pytest.approx(0.206082, abs=1e-9)
    assert out["loss_after"] == pytest.approx(0.200868011335456, abs=1e-12)
    np.testing.assert_allclose(to_np(out["yhat_before"]), [[0.358]])
    np.testing.assert_allclose(to_np(out["yhat_after"]), [[1.63382649256]], rtol=1e-12)
    new = to_np(out["params"])
    # hand computation: δ2 = ŷ − y = −0.642, δ1 = δ2 · W2 (both hidden units active)
    np.testing.assert_allclose(new["W2"], [[0.5 + 0.642 * 0.18, 0.6 + 0.642 * 0.28]])
    np.testing.assert_allclose(new["b2"], [0.1 + 0.642])
    np.testing.assert_allclose(
        new["W1"], [[0.1 + 0.321 * 0.2, 0.2 + 0.321 * 0.3], [0.3 + 0.3852 * 0.2, 0.4 + 0.3852 * 0.3]]
    )
    np.testing.assert_allclose(new["b1"], [0.1 + 0.321, 0.1 + 0.3852])
    # the returned outputs are those of forward() before/after
    np.testing.assert_allclose(naive_forward(new, x), to_np(out["yhat_after"]))


def test_homework_network_is_fresh_float64():
    params, x, y = p1.homework_network()
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in [*params.values(), x, y])
    assert x.shape == (1, 2) and y.shape == (1, 1)
    params["W1"][0, 0] = 99.0
    assert p1.homework_network()[0]["W1"][0, 0] == 0.1


def test_bp_step_random_network_lr(bk):
    rng = rng_for("bpstep")
    x = rng.normal(size=(4, 3))
    y = np.abs(rng.normal(size=(4, 2)))
    params = random_params(rng, [3, 5, 2], x=x)
    out = call(bk, p1.bp_step, params, x, y, lr=1e-3)
    # a tiny step lowers the loss
    assert out["loss_decreased"] is True and out["loss_after"] < out["loss_before"]
    assert out["loss_before"] == pytest.approx(0.5 * np.sum((naive_forward(params, x) - y) ** 2))


def test_p1_float32(bk):
    params, x, y = p1.homework_network()
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    out = call(bk, p1.bp_step, p32, x.astype(np.float32), y.astype(np.float32))
    assert out["loss_before"] == pytest.approx(0.206082, rel=1e-5)
    assert out["loss_after"] == pytest.approx(0.2008680113, rel=1e-4)
    for k, v in to_np(out["params"]).items():
        assert v.shape == params[k].shape and np.issubdtype(v.dtype, np.floating)


# ==================================================================================================
# p2 — derivatives


def naive_sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def naive_log_softmax(row):
    m = max(row)
    return [v - m - math.log(sum(math.exp(u - m) for u in row)) for v in row]


_xs = sp.Symbol("x")
_sig = 1 / (1 + sp.exp(-_xs))


def exact(expr, value, digits=30):
    return float(sp.N(expr.subs(_xs, sp.Float(value, digits)), digits))


@pytest.fixture
def strict_floats():
    """NumPy floating-point warnings and errors (overflow, invalid, division, underflow) raise."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


SIG_POINTS = np.array([[-30.0, -5.0, -1.0, -1e-3, 0.0], [1e-3, 0.5, 2.0, 10.0, 40.0]])


def test_sigmoid_family_values(bk):
    s = call(bk, p2.sigmoid, SIG_POINTS)
    g = call(bk, p2.sigmoid_grad, SIG_POINTS)
    g2 = call(bk, p2.sigmoid_grad2, SIG_POINTS)
    assert s.shape == g.shape == g2.shape == SIG_POINTS.shape
    d1, d2 = sp.diff(_sig, _xs), sp.diff(_sig, _xs, 2)
    for idx in np.ndindex(SIG_POINTS.shape):
        v = float(SIG_POINTS[idx])
        assert s[idx] == pytest.approx(naive_sigmoid(v), rel=1e-13)
        assert g[idx] == pytest.approx(exact(d1, v), rel=1e-12, abs=1e-300)
        assert g2[idx] == pytest.approx(exact(d2, v), rel=1e-9, abs=1e-14)


def test_sigmoid_grads_vs_finite_differences(bk):
    x = np.linspace(-6, 6, 25)
    h = 1e-5
    g = call(bk, p2.sigmoid_grad, x)
    g2 = call(bk, p2.sigmoid_grad2, x)
    s = np.array([naive_sigmoid(v) for v in x])
    sp_, sm = np.array([naive_sigmoid(v + h) for v in x]), np.array([naive_sigmoid(v - h) for v in x])
    np.testing.assert_allclose(g, (sp_ - sm) / (2 * h), atol=1e-9)
    np.testing.assert_allclose(g2, (sp_ - 2 * s + sm) / h**2, atol=1e-5)
    np.testing.assert_allclose(g, s * (1 - s), atol=1e-15)
    np.testing.assert_allclose(g2, s * (1 - s) * (1 - 2 * s), atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_extreme_no_warnings(bk, strict_floats, dtype):
    x = np.array([-1e4, -1e3, -800, -745, -710, -100, 0, 100, 710, 745, 800, 1e3, 1e4], dtype=dtype)
    s = call(bk, p2.sigmoid, x)
    g = call(bk, p2.sigmoid_grad, x)
    g2 = call(bk, p2.sigmoid_grad2, x)
    for arr in (s, g, g2):
        assert np.all(np.isfinite(arr))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[6] == 0.5
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.diff(s) >= 0)
    assert g[0] == 0.0 and g[-1] == 0.0 and g[6] == 0.25
    assert abs(g2[0]) == 0.0 and abs(g2[-1]) == 0.0


def test_sigmoid_tails_accurate(bk):
    x = np.array([-700.0, -300.0, -37.0, 37.0, 300.0, 700.0])
    s = call(bk, p2.sigmoid, x)
    g = call(bk, p2.sigmoid_grad, x)
    g2 = call(bk, p2.sigmoid_grad2, x)
    d1, d2 = sp.diff(_sig, _xs), sp.diff(_sig, _xs, 2)
    for i, v in enumerate(x):
        assert s[i] == pytest.approx(exact(_sig, v), rel=1e-12)
        assert g[i] == pytest.approx(exact(d1, v), rel=1e-12)
        assert g2[i] == pytest.approx(exact(d2, v), rel=1e-12)


def test_log_softmax_matches_naive(bk):
    rng = rng_for("lsm")
    for shape in [(5,), (3, 4), (2, 3, 6), (1, 1)]:
        x = rng.normal(scale=3, size=shape)
        out = call(bk, p2.log_softmax, x)
        assert out.shape == shape
        expected = np.array([naive_log_softmax(list(r)) for r in x.reshape(-1, shape[-1])]).reshape(shape)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_log_softmax_large_logits(bk, strict_floats):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [1e4, 1e4 - 1.0, -1e4]])
    out = call(bk, p2.log_softmax, x)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0], [0.0, -1e4, -2e4], atol=1e-9)
    np.testing.assert_allclose(out[1], [-math.log(3)] * 3, rtol=1e-14)
    np.testing.assert_allclose(out[2], [-math.log(3)] * 3, rtol=1e-14)
    np.testing.assert_allclose(out[3], naive_log_softmax([0.0, -1.0, -2e4]), rtol=1e-12)
    J = call(bk, p2.log_softmax_jacobian, x)
    dx = call(bk, p2.log_softmax_backward, np.ones_like(x), x)
    assert np.all(np.isfinite(J)) and np.all(np.isfinite(dx))
    np.testing.assert_allclose(J[0], np.eye(3) - np.array([1.0, 0.0, 0.0]), atol=1e-15)


def test_log_softmax_jacobian(bk):
    rng = rng_for("jac")
    for shape in [(4,), (2, 3), (2, 2, 5)]:
        x = rng.normal(size=shape)
        J = call(bk, p2.log_softmax_jacobian, x)
        C = shape[-1]
        assert J.shape == (*shape, C)
        for idx in np.ndindex(shape[:-1]):
            row = x[idx]
            soft = np.exp(row) / np.exp(row).sum()
            loop = np.array([[(1.0 if i == j else 0.0) - soft[j] for j in range(C)] for i in range(C)])
            np.testing.assert_allclose(J[idx], loop, atol=1e-14)
            for i in range(C):
                fd = central_diff(lambda v, i=i: naive_log_softmax(list(v))[i], row)
                np.testing.assert_allclose(J[idx][i], fd, atol=1e-8)


def test_log_softmax_backward(bk):
    rng = rng_for("lsmb")
    for shape in [(4,), (3, 5), (2, 2, 3)]:
        x, dout = rng.normal(size=shape), rng.normal(size=shape)
        dx = call(bk, p2.log_softmax_backward, dout, x)
        assert dx.shape == shape
        J = p2.log_softmax_jacobian(x)
        np.testing.assert_allclose(dx, np.einsum("...i,...ij->...j", dout, J), atol=1e-13)
        flat_x, flat_d = x.reshape(-1, shape[-1]), dout.reshape(-1, shape[-1])
        for r in range(flat_x.shape[0]):
            fd = central_diff(lambda v, d=flat_d[r]: float(np.dot(d, naive_log_softmax(list(v)))), flat_x[r])
            np.testing.assert_allclose(dx.reshape(-1, shape[-1])[r], fd, atol=1e-8)


def test_p2_float32(bk):
    rng = rng_for("p2f32")
    x = rng.normal(size=(3, 4))
    d = rng.normal(size=(3, 4))
    for fn, args in [
        (p2.sigmoid, (x,)),
        (p2.sigmoid_grad, (x,)),
        (p2.sigmoid_grad2, (x,)),
        (p2.log_softmax, (x,)),
        (p2.log_softmax_jacobian, (x,)),
        (p2.log_softmax_backward, (d, x)),
    ]:
        r64 = call(bk, fn, *args)
        r32 = call(bk, fn, *(a.astype(np.float32) for a in args))
        assert r32.shape == r64.shape
        np.testing.assert_allclose(r32, r64, rtol=1e-4, atol=1e-5)


def test_sigmoid_symbolic():
    x = sp.Symbol("x")
    sig = 1 / (1 + sp.exp(-x))
    assert sp.simplify(p2.sigmoid_grad_expr(x) - sp.diff(sig, x)) == 0
    assert sp.simplify(p2.sigmoid_grad2_expr(x) - sp.diff(sig, x, 2)) == 0
    assert p2.sigmoid_grad_expr(x).free_symbols == {x}
    # numerically as well, in both tails
    for v in [-20, -1.5, 0, 0.3, 4, 25]:
        assert float(p2.sigmoid_grad_expr(x).subs(x, v)) == pytest.approx(float(sp.diff(sig, x).subs(x, v)))
        assert float(p2.sigmoid_grad2_expr(x).subs(x, v)) == pytest.approx(float(sp.diff(sig, x, 2).subs(x, v)))


@pytest.mark.parametrize("C", [1, 2, 3])
def test_log_softmax_grad_expr(C):
    xs = list(sp.symbols(f"x1:{C + 1}"))
    denom = sum(sp.exp(t) for t in xs)
    for i, j in itertools.product(range(C), repeat=2):
        expected = sp.diff(sp.log(sp.exp(xs[i]) / denom), xs[j])
        got = p2.log_softmax_grad_expr(xs, i, j)
        assert got.free_symbols <= set(xs)
        assert sp.simplify(got - expected) == 0
        # and it agrees with the numeric Jacobian
        vals = np.linspace(-1, 2, C)
        J = p2.log_softmax_jacobian(vals)
        assert float(got.subs(dict(zip(xs, vals, strict=True)))) == pytest.approx(J[i, j], abs=1e-12)


# ==================================================================================================
# p3 — counts (the measurement proof is in test_opcount.py)


def test_p3_returns_sympy_in_n_and_L():
    n, L = sp.symbols("n L", positive=True, integer=True)
    ops = p3.forward_layer_ops(n)
    assert set(ops) == {"mul", "add"}
    for expr in [ops["mul"], ops["add"], p3.backward_layer_mul(n)]:
        assert isinstance(expr, sp.Expr) and expr.free_symbols <= {n}
    for expr in [p3.forward_total_mul(n, L), p3.backward_total_mul(n, L), p3.update_total_mul(n, L)]:
        assert isinstance(expr, sp.Expr) and expr.free_symbols == {n, L}
    # leading terms ("about how many")
    ratio = sp.limit(p3.backward_total_mul(n, L) / (2 * L * n**2), n, sp.oo)
    assert sp.limit(ratio, L, sp.oo) == 1
    assert sp.limit(p3.forward_total_mul(n, L) / (L * n**2), n, sp.oo) == 1


# ==================================================================================================
# p4 — convolution


def naive_pad(x, pad):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for n, c, i, j in itertools.product(range(N), range(C), range(H), range(W)):
        out[n, c, i + pad, j + pad] = x[n, c, i, j]
    return out


def naive_conv_forward(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xpad = naive_pad(x, pad)
    Ho, Wo = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n, f, i, j in itertools.product(range(N), range(F), range(Ho), range(Wo)):
        total = b[f]
        for c, u, v in itertools.product(range(C), range(KH), range(KW)):
            total += w[f, c, u, v] * xpad[n, c, stride * i + u, stride * j + v]
        out[n, f, i, j] = total
    return out


def naive_conv_backward(dout, x, w, stride, pad):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xpad = naive_pad(x, pad)
    dxpad, dw, db = np.zeros_like(xpad), np.zeros_like(w), np.zeros(F)
    Ho, Wo = dout.shape[2:]
    for n, f, i, j in itertools.product(range(N), range(F), range(Ho), range(Wo)):
        g = dout[n, f, i, j]
        db[f] += g
        for c, u, v in itertools.product(range(C), range(KH), range(KW)):
            dw[f, c, u, v] += g * xpad[n, c, stride * i + u, stride * j + v]
            dxpad[n, c, stride * i + u, stride * j + v] += g * w[f, c, u, v]
    return dxpad[:, :, pad : pad + H, pad : pad + W], dw, db


# (N, C, H, W, F, KH, KW, stride, pad)
CONV_CASES = [
    (2, 3, 5, 5, 2, 3, 3, 1, 0),
    (1, 1, 7, 6, 1, 3, 2, 2, 1),  # rectangular kernel, stride 2, padding
    (2, 2, 6, 7, 3, 2, 3, 3, 2),  # the stride does not divide the size
    (1, 1, 4, 4, 1, 1, 1, 1, 0),  # K = 1
    (3, 1, 5, 4, 2, 4, 2, 2, 1),
    (1, 2, 3, 3, 1, 3, 3, 1, 1),
    (2, 1, 4, 5, 1, 4, 5, 1, 0),  # kernel as large as the input: 1x1 output
]


def _conv_data(case):
    N, C, H, W, F, KH, KW, stride, pad = case
    rng = rng_for("conv", case)
    return rng.normal(size=(N, C, H, W)), rng.normal(size=(F, C, KH, KW)), rng.normal(size=F), stride, pad


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_matches_naive(bk, case):
    x, w, b, stride, pad = _conv_data(case)
    out, _ = call(bk, p4.conv2d_forward, x, w, b, stride=stride, pad=pad)
    expected = naive_conv_forward(x, w, b, stride, pad)
    assert to_np(out).shape == expected.shape
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_matches_naive(bk, case):
    x, w, b, stride, pad = _conv_data(case)
    out, cache = p4.conv2d_forward(bk.to(x), bk.to(w), bk.to(b), stride=stride, pad=pad)
    bk.assert_on_device(cache)
    dout = rng_for("dout", case).normal(size=bk.host(out).shape)
    bdout = bk.to(dout)
    dx, dw, db = bk.host(p4.conv2d_backward(bdout, cache))
    _assert_same(to_np(bdout), dout)
    edx, edw, edb = naive_conv_backward(dout, x, w, stride, pad)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    np.testing.assert_allclose(dx, edx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, edw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, edb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES[:3])
def test_conv_backward_finite_differences(case):
    x, w, b, stride, pad = _conv_data(case)
    out, cache = p4.conv2d_forward(x, w, b, stride=stride, pad=pad)
    dout = rng_for("fd", case).normal(size=out.shape)
    dx, dw, db = p4.conv2d_backward(dout, cache)

    def loss(x_, w_, b_):
        return float(np.sum(dout * p4.conv2d_forward(x_, w_, b_, stride=stride, pad=pad)[0]))

    np.testing.assert_allclose(dx, central_diff(lambda v: loss(v, w, b), x), atol=1e-7)
    np.testing.assert_allclose(dw, central_diff(lambda v: loss(x, v, b), w), atol=1e-7)
    np.testing.assert_allclose(db, central_diff(lambda v: loss(x, w, v), b), atol=1e-7)


def test_conv_is_cross_correlation():
    # no kernel flip: the kernel [[1, 0], [0, 0]] picks the top-left pixel of every window
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.zeros((1, 1, 2, 2))
    w[0, 0, 0, 0] = 1.0
    out, _ = p4.conv2d_forward(x, w, np.zeros(1))
    np.testing.assert_array_equal(out[0, 0], x[0, 0, :3, :3])


def test_conv_float32(bk):
    x, w, b, stride, pad = _conv_data(CONV_CASES[2])
    out64, _ = call(bk, p4.conv2d_forward, x, w, b, stride=stride, pad=pad)
    out32, cache = p4.conv2d_forward(
        bk.to(x.astype(np.float32)),
        bk.to(w.astype(np.float32)),
        bk.to(b.astype(np.float32)),
        stride=stride,
        pad=pad,
    )
    assert bk.host(out32).dtype == np.float32
    np.testing.assert_allclose(bk.host(out32), to_np(out64), rtol=1e-4, atol=1e-4)
    dout = np.ones(bk.host(out32).shape, dtype=np.float32)
    grads32 = bk.host(p4.conv2d_backward(bk.to(dout), cache))
    grads64 = naive_conv_backward(dout.astype(np.float64), x, w, stride, pad)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)


def naive_conv_error_term(delta_next, w, z, f_prime):
    H, W = z.shape
    K1, K2 = w.shape
    Ho, Wo = delta_next.shape
    out = np.zeros((H, W))
    for i, j in itertools.product(range(H), range(W)):
        total = 0.0
        for u, v in itertools.product(range(K1), range(K2)):
            if 0 <= i - u < Ho and 0 <= j - v < Wo:
                total += w[u, v] * delta_next[i - u, j - v]
        out[i, j] = f_prime(z[i, j]) * total
    return out


def naive_valid_conv(a, w):
    H, W = a.shape
    K1, K2 = w.shape
    out = np.zeros((H - K1 + 1, W - K2 + 1))
    for i, j in itertools.product(range(out.shape[0]), range(out.shape[1])):
        out[i, j] = sum(w[u, v] * a[i + u, j + v] for u in range(K1) for v in range(K2))
    return out


def tanh_prime(z):
    xp = array_namespace(z)
    t = xp.tanh(z)
    return 1.0 - t * t


# (H, W, K)
ERR_CASES = [(5, 5, 3), (4, 6, 2), (3, 3, 1), (4, 4, 4), (6, 3, 3)]


@pytest.mark.parametrize("H, W, K", ERR_CASES)
def test_conv_error_term(bk, H, W, K):
    rng = rng_for("err", H, W, K)
    z = rng.normal(size=(H, W))
    w = rng.normal(size=(K, K))
    delta_next = rng.normal(size=(H - K + 1, W - K + 1))
    delta = call(bk, p4.conv_error_term, delta_next, w, z, tanh_prime)
    assert delta.shape == (H, W)
    expected = naive_conv_error_term(delta_next, w, z, lambda v: 1.0 - math.tanh(v) ** 2)
    np.testing.assert_allclose(delta, expected, rtol=1e-12, atol=1e-12)

    # finite differences of L = Σ delta_next ⊙ conv(tanh(z), w)
    def loss(z_):
        return float(np.sum(delta_next * naive_valid_conv(np.tanh(z_), w)))

    np.testing.assert_allclose(delta, central_diff(loss, z), atol=1e-7)

    # and it is f'(z) ⊙ dx of the general layer's backward pass
    _, cache = p4.conv2d_forward(np.tanh(z)[None, None], w[None, None], np.zeros(1))
    dx = p4.conv2d_backward(delta_next[None, None], cache)[0][0, 0]
    np.testing.assert_allclose(delta, (1 - np.tanh(z) ** 2) * dx, atol=1e-12)


def test_conv_error_term_float32(bk):
    rng = rng_for("err32")
    z, w, dn = rng.normal(size=(5, 4)), rng.normal(size=(2, 2)), rng.normal(size=(4, 3))
    d64 = call(bk, p4.conv_error_term, dn, w, z, tanh_prime)
    d32 = call(bk, p4.conv_error_term, dn.astype(np.float32), w.astype(np.float32), z.astype(np.float32), tanh_prime)
    np.testing.assert_allclose(d32, d64, rtol=1e-4, atol=1e-5)


# ==================================================================================================
# p5 — pooling


def naive_maxpool(x, k, stride):
    """Forward and backward (for dout = the returned gradient routing) with the first-max tie rule."""
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    where = {}
    for n, c, i, j in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        best, pos = None, None
        for p, q in itertools.product(range(k), range(k)):  # row-major within the window
            v = x[n, c, stride * i + p, stride * j + q]
            if best is None or v > best:  # strict: the first maximum wins ties
                best, pos = v, (stride * i + p, stride * j + q)
        out[n, c, i, j] = best
        where[n, c, i, j] = pos
    return out, where


def naive_maxpool_backward(dout, x, k, stride):
    _, where = naive_maxpool(x, k, stride)
    dx = np.zeros_like(x)
    for (n, c, i, j), (h, w_) in where.items():
        dx[n, c, h, w_] += dout[n, c, i, j]
    return dx


def naive_avgpool(x, k, stride):
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for n, c, i, j in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        out[n, c, i, j] = sum(x[n, c, stride * i + p, stride * j + q] for p in range(k) for q in range(k)) / (k * k)
    return out


def naive_avgpool_backward(dout, x_shape, k, stride):
    dx = np.zeros(x_shape)
    N, C, Ho, Wo = dout.shape
    for n, c, i, j in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        for p, q in itertools.product(range(k), range(k)):
            dx[n, c, stride * i + p, stride * j + q] += dout[n, c, i, j] / (k * k)
    return dx


# (N, C, H, W, k, stride)  stride None = k
POOL_CASES = [
    (2, 3, 4, 4, 2, None),
    (1, 2, 5, 7, 2, None),  # sizes the stride does not divide
    (2, 1, 6, 5, 3, 1),  # overlapping
    (1, 1, 5, 5, 2, 1),
    (1, 2, 7, 6, 2, 3),  # stride > k: some inputs in no window
    (3, 1, 7, 7, 3, 2),
    (1, 1, 3, 3, 3, None),
    (1, 1, 4, 3, 1, None),
]


def _pool_data(case, ties):
    N, C, H, W, k, stride = case
    rng = rng_for("pool", case, ties)
    x = rng.integers(0, 3, size=(N, C, H, W)).astype(np.float64) if ties else rng.normal(size=(N, C, H, W))
    return x, k, stride


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_matches_naive(bk, case, ties):
    x, k, stride = _pool_data(case, ties)
    s = k if stride is None else stride
    out, cache = call(bk, p5.maxpool_forward, x, k=k, stride=stride)
    expected, _ = naive_maxpool(x, k, s)
    np.testing.assert_array_equal(to_np(out), expected)
    dout = rng_for("pdout", case).normal(size=expected.shape)
    bdout = bk.to(dout)
    dx = bk.host(p5.maxpool_backward(bdout, cache))
    _assert_same(to_np(bdout), dout)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, naive_maxpool_backward(dout, x, k, s), rtol=1e-14, atol=1e-14)


def test_maxpool_tie_goes_to_first_max(bk):
    x = np.array(
        [
            [
                [
                    [1.0, 1.0, 0.0, 2.0, 5.0, 5.0],
                    [1.0, 1.0, 2.0, 0.0, 5.0, 5.0],
                    [0.0, 3.0, 7.0, 7.0, 0.0, 0.0],
                    [3.0, 0.0, 7.0, 7.0, 0.0, 0.0],
                ]
            ]
        ]
    )
    out, cache = p5.maxpool_forward(bk.to(x), k=2)
    dx = bk.host(p5.maxpool_backward(bk.to(np.ones((1, 1, 2, 3))), cache))
    expected = np.zeros_like(x)
    for h, w_ in [(0, 0), (0, 3), (0, 4), (2, 1), (2, 2), (2, 4)]:
        expected[0, 0, h, w_] = 1.0
    np.testing.assert_array_equal(dx, expected)
    # a constant input: every window's gradient goes to its top-left corner; overlaps add up
    _, cache = p5.maxpool_forward(bk.to(np.zeros((1, 1, 3, 3))), k=2, stride=1)
    dx = bk.host(p5.maxpool_backward(bk.to(np.ones((1, 1, 2, 2))), cache))
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    # the argmax rule on a flattened window is the tie rule
    win = np.array([[0.0, 4.0], [4.0, 1.0]])
    _, cache = p5.maxpool_forward(bk.to(win[None, None]), k=2)
    dx = bk.host(p5.maxpool_backward(bk.to(np.ones((1, 1, 1, 1))), cache))
    assert np.argmax(dx[0, 0].ravel()) == np.argmax(win.ravel()) == 1


@pytest.mark.parametrize("case", POOL_CASES)
def test_avgpool_matches_naive(bk, case):
    x, k, stride = _pool_data(case, False)
    s = k if stride is None else stride
    out, cache = call(bk, p5.avgpool_forward, x, k=k, stride=stride)
    expected = naive_avgpool(x, k, s)
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-13, atol=1e-14)
    dout = rng_for("adout", case).normal(size=expected.shape)
    bdout = bk.to(dout)
    dx = bk.host(p5.avgpool_backward(bdout, cache))
    _assert_same(to_np(bdout), dout)
    np.testing.assert_allclose(dx, naive_avgpool_backward(dout, x.shape, k, s), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("case", [POOL_CASES[0], POOL_CASES[2], POOL_CASES[4]])
def test_pool_backward_finite_differences(case):
    x, k, stride = _pool_data(case, False)  # continuous values: no ties, max is differentiable
    out, mcache = p5.maxpool_forward(x, k=k, stride=stride)
    _, acache = p5.avgpool_forward(x, k=k, stride=stride)
    dout = rng_for("fdpool", case).normal(size=out.shape)
    fd_max = central_diff(lambda v: float(np.sum(dout * p5.maxpool_forward(v, k=k, stride=stride)[0])), x)
    fd_avg = central_diff(lambda v: float(np.sum(dout * p5.avgpool_forward(v, k=k, stride=stride)[0])), x)
    np.testing.assert_allclose(p5.maxpool_backward(dout, mcache), fd_max, atol=1e-7)
    np.testing.assert_allclose(p5.avgpool_backward(dout, acache), fd_avg, atol=1e-7)


def test_pool_float32(bk):
    x, k, stride = _pool_data(POOL_CASES[2], False)
    x32 = x.astype(np.float32)
    for fwd, bwd in [(p5.maxpool_forward, p5.maxpool_backward), (p5.avgpool_forward, p5.avgpool_backward)]:
        out32, cache = call(bk, fwd, x32, k=k, stride=stride)
        out64, _ = fwd(x, k=k, stride=stride)
        assert to_np(out32).dtype == np.float32
        np.testing.assert_allclose(to_np(out32), out64, rtol=1e-5, atol=1e-6)
        dout = np.ones(out64.shape, dtype=np.float32)
        dx = bk.host(bwd(bk.to(dout), cache))
        assert dx.shape == x.shape and dx.dtype == np.float32
        np.testing.assert_allclose(dx, bwd(dout.astype(np.float64), fwd(x, k=k, stride=stride)[1]), atol=1e-6)


# ==================================================================================================
# docstrings: every worked example runs and prints what it says


@pytest.mark.parametrize("module", [p1, p2, p3, p4, p5], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", [p1, p2, p3, p4, p5], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstrings_have_the_required_parts(module):
    assert "作业习题" in module.__doc__ and "English statement" in module.__doc__
    public = [
        v
        for k, v in vars(module).items()
        if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    assert public
    for fn in public:
        assert fn.__doc__ and "Example" in fn.__doc__ and ">>>" in fn.__doc__, fn.__name__
