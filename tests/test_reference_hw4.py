"""Tests of the hw4 reference solutions against independent naive implementations and the course texts' claims.

Every numeric reference function is run on every array backend at hand (as in ``test_reference_hw1.py``):
``numpy``; ``array_api_strict`` on its CPU device and on its second device ``device1`` (nothing outside the
standard, and every new array on the inputs' device); ``torch`` CPU tensors when torch is installed; ``cupy``
when CuPy is usable (skipped with the reason otherwise). The initializations and the symmetric-initialization
demo take no array input and return NumPy arrays, so they run on NumPy only.

Every pinned convention of COURSE.md (items 23–30) is its own assertion, and so is every claim of the texts:
weight decay is SGD on the L2-penalized loss, an all-equal initialization keeps the hidden units identical,
dropout's expected training output is the test-time output; plus finite-difference checks of the backward passes.
Random inputs come from seeds fixed per test, so every run is the same.
"""

from __future__ import annotations

import doctest
import math
import re
import zlib

import numpy as np
import pytest

import solutions.hw4 as hw4
from solutions.hw4 import p1_batchnorm as p1
from solutions.hw4 import p2_regularization as p2
from solutions.hw4 import p3_dropout as p3
from solutions.hw4 import p4_init as p4
from source_lib.backend import to_host

MODULES = [p1, p2, p3, p4]

# --------------------------------------------------------------------------------------------------
# backends


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), "a dict passed in was modified in place"
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        for u, v in zip(a, b, strict=True):
            _assert_same(u, v)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg="an input was modified in place")


def call(bk, fn, *args, **kwargs):
    """fn on backend copies of the NumPy args (NumPy Generators pass through as they are); asserts that no
    argument was modified and that every array of the result is on the inputs' device; returns the result as
    NumPy."""
    bargs = [bk.to(a) for a in args]
    result = fn(*bargs, **kwargs)
    bk.assert_on_device(result, f"{fn.__name__}(...)")
    for a, orig in zip(bargs, args, strict=True):
        _assert_same(to_host(a), orig)
    return to_host(result)


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
# p1 — batch normalization: naive column-by-column loops with math


def naive_bn_stats(z):
    """Per column: the mean and the biased variance (1/N), by explicit loops."""
    N, D = z.shape
    mu = [sum(z[i, j] for i in range(N)) / N for j in range(D)]
    var = [sum((z[i, j] - mu[j]) ** 2 for i in range(N)) / N for j in range(D)]
    return np.array(mu), np.array(var)


def naive_bn_apply(z, gamma, beta, mu, var, eps):
    N, D = z.shape
    out = np.zeros((N, D))
    for i in range(N):
        for j in range(D):
            out[i, j] = gamma[j] * (z[i, j] - mu[j]) / math.sqrt(var[j] + eps) + beta[j]
    return out


def naive_bn_forward(z, gamma, beta, state, train, p, eps):
    D = z.shape[1]
    mu_bar = state.get("running_mean", np.zeros(D))
    var_bar = state.get("running_var", np.ones(D))
    if not train:
        return naive_bn_apply(z, gamma, beta, mu_bar, var_bar, eps), dict(state)
    mu, var = naive_bn_stats(z)
    new = {
        "running_mean": np.array([p * mu_bar[j] + (1 - p) * mu[j] for j in range(D)]),
        "running_var": np.array([p * var_bar[j] + (1 - p) * var[j] for j in range(D)]),
    }
    return naive_bn_apply(z, gamma, beta, mu, var, eps), new


def naive_bn_backward_train(dout, z, gamma, eps):
    """The chain rule entry by entry, from the Jacobian of one column:
    ∂ẑ_k/∂z_i = γ/s · (δ_ki − 1/N − z̃_k z̃_i / N), s = sqrt(σ² + eps), z̃ = (z − μ)/s."""
    N, D = z.shape
    mu, var = naive_bn_stats(z)
    dz, dgamma, dbeta = np.zeros((N, D)), np.zeros(D), np.zeros(D)
    for j in range(D):
        s = math.sqrt(var[j] + eps)
        zt = [(z[i, j] - mu[j]) / s for i in range(N)]
        for i in range(N):
            dz[i, j] = sum(
                dout[k, j] * gamma[j] / s * ((1.0 if k == i else 0.0) - 1.0 / N - zt[k] * zt[i] / N) for k in range(N)
            )
        dgamma[j] = sum(dout[k, j] * zt[k] for k in range(N))
        dbeta[j] = sum(dout[k, j] for k in range(N))
    return dz, dgamma, dbeta


def random_state(rng, D):
    return {"running_mean": rng.normal(size=D), "running_var": rng.uniform(0.2, 3.0, size=D)}


# (N, D, p, eps, scale, shift)
BN_CASES = [
    (4, 3, 0.9, 1e-5, 1.0, 0.0),
    (1, 2, 0.9, 1e-5, 1.0, 0.0),  # a batch of one: σ² = 0, ẑ = β
    (2, 5, 0.5, 1e-3, 3.0, -2.0),
    (7, 1, 0.99, 1e-5, 0.1, 5.0),
    (16, 4, 0.0, 1e-5, 10.0, 100.0),  # p = 0: the running averages are the batch's statistics
    (5, 3, 1.0, 0.5, 1.0, 0.0),  # p = 1: the running averages never move; a large eps
    (32, 8, 0.8, 1e-8, 1e-3, 1.0),  # a tiny spread: σ² close to eps
]


def _bn_data(case):
    N, D, p, eps, scale, shift = case
    rng = rng_for("bn", case)
    z = shift + scale * rng.normal(size=(N, D))
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    return rng, z, gamma, beta, p, eps


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("case", BN_CASES)
def test_batchnorm_train_matches_naive(bk, case, with_state):
    rng, z, gamma, beta, p, eps = _bn_data(case)
    state = random_state(rng, z.shape[1]) if with_state else {}
    out, _, new_state = call(bk, p1.batchnorm_forward, z, gamma, beta, state, True, p=p, eps=eps)
    expected, expected_state = naive_bn_forward(z, gamma, beta, state, True, p, eps)
    assert out.shape == z.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    assert {"running_mean", "running_var"} <= set(new_state)
    for key in ("running_mean", "running_var"):
        assert new_state[key].shape == (z.shape[1],)
        np.testing.assert_allclose(new_state[key], expected_state[key], rtol=1e-12, atol=1e-14)


def test_batchnorm_first_call_starts_at_mean_0_var_1(bk):
    # item 23: state = {} means μ̄ = 0 and σ̄² = 1, so one training call gives (1 − p) μ and p + (1 − p) σ²
    rng = rng_for("bnfirst")
    z = 3.0 + 2.0 * rng.normal(size=(10, 4))
    p = 0.9
    _, _, state = call(bk, p1.batchnorm_forward, z, np.ones(4), np.zeros(4), {}, True, p=p)
    mu, var = z.mean(axis=0), z.var(axis=0)
    np.testing.assert_allclose(state["running_mean"], (1 - p) * mu, rtol=1e-12)
    np.testing.assert_allclose(state["running_var"], p + (1 - p) * var, rtol=1e-12)
    assert not np.allclose(state["running_var"], (1 - p) * var)  # a running variance started at 0 is wrong


def test_batchnorm_p_weighs_the_old_average(bk):
    # item 24 / 001 eq. 3.36: μ̄ ← p μ̄ + (1 − p) μ, p on the OLD average (PyTorch's 1 − momentum)
    z = np.array([[0.0, 10.0], [2.0, 14.0]])  # μ = (1, 12), σ² = (1, 4)
    state = {"running_mean": np.array([5.0, 5.0]), "running_var": np.array([2.0, 2.0])}
    _, _, new = call(bk, p1.batchnorm_forward, z, np.ones(2), np.zeros(2), state, True, p=0.75)
    np.testing.assert_allclose(new["running_mean"], [0.75 * 5 + 0.25 * 1, 0.75 * 5 + 0.25 * 12])
    np.testing.assert_allclose(new["running_var"], [0.75 * 2 + 0.25 * 1, 0.75 * 2 + 0.25 * 4])


def test_batchnorm_biased_variance_normalizes_and_is_averaged(bk):
    # item 24: the batch is normalized by the biased σ² (1/N), and the running variance averages that same σ²
    rng = rng_for("bnbiased")
    z = rng.normal(size=(5, 3))
    out, _, state = call(bk, p1.batchnorm_forward, z, np.ones(3), np.zeros(3), {}, True, p=0.0, eps=0.0)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-12)  # unit biased std in every column
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(state["running_var"], z.var(axis=0, ddof=0), rtol=1e-12)
    assert not np.allclose(state["running_var"], z.var(axis=0, ddof=1))


def test_batchnorm_test_mode_uses_running_averages_and_keeps_the_state(bk):
    # item 24: ẑ = γ (z − μ̄)/sqrt(σ̄² + eps) + β, and the state comes back unchanged (a new dict)
    rng = rng_for("bntest")
    z, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    state = random_state(rng, 3)
    state["extra"] = np.arange(3.0)  # unknown keys travel through
    bstate = bk.to(state)
    out, cache, new_state = p1.batchnorm_forward(bk.to(z), bk.to(gamma), bk.to(beta), bstate, False)
    bk.assert_on_device((out, new_state))
    assert new_state is not bstate
    _assert_same(to_host(bstate), state)
    assert set(new_state) == set(state)
    for k in state:
        np.testing.assert_array_equal(to_host(new_state[k]), state[k])
    expected = naive_bn_apply(z, gamma, beta, state["running_mean"], state["running_var"], 1e-5)
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-12, atol=1e-12)
    # the batch's own statistics play no part: a test batch of one gives the same row
    one, _, _ = p1.batchnorm_forward(bk.to(z[2:3]), bk.to(gamma), bk.to(beta), bk.to(state), False)
    np.testing.assert_allclose(to_host(one)[0], expected[2], rtol=1e-12, atol=1e-12)


def test_batchnorm_test_mode_on_empty_state(bk):
    # item 23 at test time: state = {} means μ̄ = 0, σ̄² = 1; the state stays {}
    z = np.array([[1.0, -2.0], [3.0, 4.0]])
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, -0.5])
    out, _, new_state = call(bk, p1.batchnorm_forward, z, gamma, beta, {}, False, eps=1e-5)
    np.testing.assert_allclose(out, gamma * z / math.sqrt(1 + 1e-5) + beta, rtol=1e-13)
    assert new_state == {}


def test_batchnorm_running_averages_over_a_sequence_of_batches(bk):
    rng = rng_for("bnseq")
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    state, naive_state = {}, {}
    bstate = {}
    for t in range(6):
        z = float(t) + rng.normal(size=(8, 3))
        _, _, bstate = p1.batchnorm_forward(bk.to(z), bk.to(gamma), bk.to(beta), bstate, True, p=0.7)
        _, naive_state = naive_bn_forward(z, gamma, beta, naive_state, True, 0.7, 1e-5)
    state = to_host(bk.host(bstate))
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(state[key], naive_state[key], rtol=1e-12)
    z = rng.normal(size=(4, 3))
    out, _, _ = call(bk, p1.batchnorm_forward, z, gamma, beta, state, False)
    np.testing.assert_allclose(out, naive_bn_forward(z, gamma, beta, naive_state, False, 0.7, 1e-5)[0], rtol=1e-12)


def test_batchnorm_constant_column_gives_beta(bk):
    # σ² = 0 in a column: eps keeps the root positive, ẑ = β there, no NaN
    z = np.array([[2.0, 1.0], [2.0, 3.0], [2.0, 5.0]])
    out, _, state = call(bk, p1.batchnorm_forward, z, np.array([3.0, 1.0]), np.array([0.25, 0.0]), {}, True)
    np.testing.assert_array_equal(out[:, 0], [0.25, 0.25, 0.25])
    assert np.all(np.isfinite(out))
    assert state["running_var"][0] == pytest.approx(0.9)


@pytest.mark.parametrize("case", BN_CASES)
def test_batchnorm_backward_train_matches_naive(bk, case):
    rng, z, gamma, beta, p, eps = _bn_data(case)
    _, cache, _ = p1.batchnorm_forward(bk.to(z), bk.to(gamma), bk.to(beta), {}, True, p=p, eps=eps)
    dout = rng.normal(size=z.shape)
    bdout = bk.to(dout)
    dz, dgamma, dbeta = bk.host(p1.batchnorm_backward(bdout, cache))
    _assert_same(to_host(bdout), dout)
    edz, edgamma, edbeta = naive_bn_backward_train(dout, z, gamma, eps)
    assert dz.shape == z.shape and dgamma.shape == gamma.shape and dbeta.shape == beta.shape
    scale = np.abs(gamma) * np.sum(np.abs(dout), axis=0) / np.sqrt(z.var(axis=0) + eps)  # size of a dz column
    np.testing.assert_allclose(dz, edz, rtol=1e-9, atol=1e-11 * float(np.max(scale)))
    np.testing.assert_allclose(dgamma, edgamma, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dbeta, edbeta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [BN_CASES[0], BN_CASES[2], BN_CASES[3], BN_CASES[5]])
def test_batchnorm_backward_train_finite_differences(case):
    _, z, gamma, beta, p, eps = _bn_data(case)
    dout = rng_for("bnfd", case).normal(size=z.shape)
    _, cache, _ = p1.batchnorm_forward(z, gamma, beta, {}, True, p=p, eps=eps)
    dz, dgamma, dbeta = p1.batchnorm_backward(dout, cache)

    def loss(z_, g_, b_):
        return float(np.sum(dout * p1.batchnorm_forward(z_, g_, b_, {}, True, p=p, eps=eps)[0]))

    np.testing.assert_allclose(dz, central_diff(lambda v: loss(v, gamma, beta), z), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dgamma, central_diff(lambda v: loss(z, v, beta), gamma), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dbeta, central_diff(lambda v: loss(z, gamma, v), beta), rtol=1e-6, atol=1e-7)


def test_batchnorm_backward_test_mode_cache(bk):
    # item 25: with a test-mode cache the statistics are constants, dz = dout · γ / sqrt(σ̄² + eps)
    rng = rng_for("bnbwtest")
    z, gamma, beta = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    state = random_state(rng, 3)
    eps = 1e-3
    _, cache, _ = p1.batchnorm_forward(bk.to(z), bk.to(gamma), bk.to(beta), bk.to(state), False, eps=eps)
    dout = rng.normal(size=z.shape)
    dz, dgamma, dbeta = bk.host(p1.batchnorm_backward(bk.to(dout), cache))
    s = np.sqrt(state["running_var"] + eps)
    np.testing.assert_allclose(dz, dout * gamma / s, rtol=1e-13)
    np.testing.assert_allclose(dgamma, np.sum(dout * (z - state["running_mean"]) / s, axis=0), rtol=1e-12)
    np.testing.assert_allclose(dbeta, dout.sum(axis=0), rtol=1e-13)
    # and it is not the training formula applied to the running statistics
    _, train_cache, _ = p1.batchnorm_forward(z, gamma, beta, state, True, eps=eps)
    assert not np.allclose(dz, p1.batchnorm_backward(dout, train_cache)[0])
    # finite differences of the test-time output (NumPy only)
    if bk.name == "numpy":

        def loss(z_):
            return float(np.sum(dout * p1.batchnorm_forward(z_, gamma, beta, state, False, eps=eps)[0]))

        np.testing.assert_allclose(dz, central_diff(loss, z), rtol=1e-6, atol=1e-8)


def test_batchnorm_backward_gradient_sums():
    # in training a shift of the whole batch changes no ẑ, and neither does a scaling (eps = 0): Σ_i dz^i = 0 and
    # Σ_i dz^i ⊙ (z^i − μ) = 0 in every column
    rng = rng_for("bnsums")
    z = rng.normal(size=(9, 4))
    _, cache, _ = p1.batchnorm_forward(z, rng.normal(size=4), rng.normal(size=4), {}, True, eps=0.0)
    dz = p1.batchnorm_backward(rng.normal(size=z.shape), cache)[0]
    np.testing.assert_allclose(dz.sum(axis=0), 0.0, atol=1e-13)
    np.testing.assert_allclose((dz * (z - z.mean(axis=0))).sum(axis=0), 0.0, atol=1e-13)


def test_batchnorm_float32(bk):
    rng = rng_for("bn32")
    z, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    out32, cache, state = p1.batchnorm_forward(
        bk.to(z.astype(np.float32)), bk.to(gamma.astype(np.float32)), bk.to(beta.astype(np.float32)), {}, True
    )
    out32, state = bk.host(out32), bk.host(state)
    assert out32.dtype == np.float32 and state["running_var"].dtype == np.float32
    np.testing.assert_allclose(out32, naive_bn_forward(z, gamma, beta, {}, True, 0.9, 1e-5)[0], rtol=1e-4, atol=1e-5)
    dz = bk.host(p1.batchnorm_backward(bk.to(np.ones((6, 3), dtype=np.float32)), cache)[0])
    assert dz.dtype == np.float32


# ==================================================================================================
# p2 — L2 regularization and weight decay


def naive_l2_penalty(params, lam):
    total = 0.0
    for k, v in params.items():
        if k.startswith(("W", "w")):
            for value in np.asarray(v).ravel():
                total += float(value) ** 2
    return 0.5 * lam * total


def random_params(rng, sizes, extra=()):
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(size=sizes[l])
    for k in extra:
        params[k] = rng.normal(size=(2, 3))
    return params


L2_CASES = [([2, 2, 1], 0.1, ()), ([3, 5, 4, 2], 1e-3, ()), ([4, 1], 2.5, ("w_out", "gamma")), ([1, 1], 0.0, ())]


@pytest.mark.parametrize("sizes, lam, extra", L2_CASES)
def test_l2_penalty_matches_naive(bk, sizes, lam, extra):
    params = random_params(rng_for("l2", tuple(sizes), lam), sizes, extra)
    penalty = call(bk, p2.l2_penalty, params, lam)
    assert isinstance(penalty, (float, np.floating)) and not isinstance(penalty, np.ndarray)
    assert float(penalty) == pytest.approx(naive_l2_penalty(params, lam), rel=1e-13, abs=1e-300)


def test_l2_penalty_skips_biases(bk):
    # item 26 / 003 一般不考虑bias: only the keys starting with W or w count
    params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([3.0]), "w2": np.array([2.0]), "beta": np.array([9.0])}
    assert call(bk, p2.l2_penalty, params, 0.5) == pytest.approx(0.25 * (1 + 4 + 4))
    bigger_bias = dict(params, b1=np.array([300.0]))
    assert call(bk, p2.l2_penalty, bigger_bias, 0.5) == call(bk, p2.l2_penalty, params, 0.5)
    assert call(bk, p2.l2_penalty, {"b1": np.array([1.0])}, 0.5) == 0.0


@pytest.mark.parametrize("sizes, lam, extra", L2_CASES)
def test_l2_grad_matches_naive_and_finite_differences(bk, sizes, lam, extra):
    rng = rng_for("l2g", tuple(sizes), lam)
    params = random_params(rng, sizes, extra)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    bgrads = bk.to(grads)
    out = p2.l2_grad(bk.to(params), bgrads, lam)
    bk.assert_on_device(out)
    assert out is not bgrads
    out = to_host(out)
    assert set(out) == set(grads)
    for k in grads:
        expected = grads[k] + lam * params[k] if k[0] in "Ww" else grads[k]
        assert out[k].shape == grads[k].shape
        np.testing.assert_allclose(out[k], expected, rtol=1e-14, atol=1e-15)
    # ∇(½λ‖θ‖²) by finite differences: l2_grad with zero loss gradients
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    g = p2.l2_grad(params, zero, lam)
    for k in params:

        def penalty_of(value, k=k):
            return naive_l2_penalty(dict(params, **{k: value}), lam)

        np.testing.assert_allclose(g[k], central_diff(penalty_of, params[k]), rtol=1e-7, atol=1e-9)


def test_l2_grad_returns_new_arrays():
    params = {"W1": np.ones((2, 2)), "b1": np.ones(2)}
    grads = {"W1": np.zeros((2, 2)), "b1": np.full(2, 7.0)}
    out = p2.l2_grad(params, grads, 0.1)
    out["b1"][0] = -1.0  # writing into the result leaves the caller's gradients alone
    assert grads["b1"][0] == 7.0


def naive_weight_decay(w, g, lr, lam):
    out = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        out[idx] = (1 - lr * lam) * w[idx] - lr * g[idx]
    return out


@pytest.mark.parametrize(
    "shape, lr, lam", [((3,), 0.1, 0.01), ((2, 4), 0.5, 0.3), ((), 1e-3, 10.0), ((5, 1, 2), 2.0, 0.0)]
)
def test_weight_decay_step_matches_naive(bk, shape, lr, lam):
    rng = rng_for("wd", shape, lr, lam)
    w, g = rng.normal(size=shape), rng.normal(size=shape)
    out = call(bk, p2.weight_decay_step, w, g, lr, lam)
    assert out.shape == w.shape
    np.testing.assert_allclose(out, naive_weight_decay(w, g, lr, lam), rtol=1e-14, atol=1e-15)


def test_weight_decay_uses_one_minus_lr_lambda(bk):
    # item 27: (1 − ηλ) w − η g; the factor (1 − λ) is wrong whenever η ≠ 1
    w, g = np.array([2.0, -4.0]), np.zeros(2)
    np.testing.assert_allclose(call(bk, p2.weight_decay_step, w, g, 0.1, 0.5), 0.95 * w)
    assert not np.allclose(call(bk, p2.weight_decay_step, w, g, 0.1, 0.5), 0.5 * w)


def test_weight_decay_is_sgd_on_the_penalized_loss():
    # the text's derivation: θ − η ∇(L + ½λ‖θ‖²) = (1 − ηλ) θ − η ∇L, checked on a least-squares loss
    # L(W) = ½ ‖X Wᵀ + b − Y‖² over 20 steps, the gradient of L' taken by finite differences (003 正则化)
    rng = rng_for("wdclaim")
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=2)}
    lr, lam = 0.05, 0.3

    def loss(p):
        return 0.5 * float(np.sum((X @ p["W1"].T + p["b1"] - Y) ** 2))

    def grad_loss(p):
        r = X @ p["W1"].T + p["b1"] - Y
        return {"W1": r.T @ X, "b1": r.sum(axis=0)}

    def penalized_grad(p):
        """∇(L + ½λ‖θ‖²) at p by central differences, one parameter at a time."""

        def total(k, v):
            q = dict(p, **{k: v})
            return loss(q) + p2.l2_penalty(q, lam)

        return {k: central_diff(lambda v, k=k: total(k, v), p[k]) for k in p}

    decayed, penalized = dict(params), dict(params)
    for _ in range(20):
        g = grad_loss(decayed)
        decayed = {"W1": p2.weight_decay_step(decayed["W1"], g["W1"], lr, lam), "b1": decayed["b1"] - lr * g["b1"]}
        fd = penalized_grad(penalized)
        penalized = {k: penalized[k] - lr * fd[k] for k in penalized}
    for k in params:
        np.testing.assert_allclose(decayed[k], penalized[k], rtol=1e-6, atol=1e-8)
    exact = p2.weight_decay_step(params["W1"], grad_loss(params)["W1"], lr, lam)
    sgd = params["W1"] - lr * p2.l2_grad(params, grad_loss(params), lam)["W1"]
    np.testing.assert_allclose(exact, sgd, rtol=1e-14, atol=1e-15)


# ==================================================================================================
# p3 — dropout


class FixedDraws:
    """A stand-in rng whose random(size) returns given numbers, and that counts its calls."""

    def __init__(self, u):
        self.u, self.calls = np.asarray(u, dtype=np.float64), []

    def random(self, size=None):
        self.calls.append(size)
        assert tuple(size) == self.u.shape, f"random({size!r}) asked for, expected the shape {self.u.shape}"
        return self.u.copy()


def naive_dropout(x, p_keep, u, inverted):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = u[idx] < p_keep
        out[idx] = (x[idx] / p_keep if inverted else x[idx]) if keep else 0.0
    return out


FORWARDS = {"dropout": (p3.dropout_forward, False), "inverted": (p3.inverted_dropout_forward, True)}
DROP_CASES = [((4, 5), 0.5), ((3,), 0.8), ((2, 3, 4), 0.2), ((), 0.7), ((10, 10), 1.0), ((6, 7), 0.05)]


@pytest.mark.parametrize("form", FORWARDS)
@pytest.mark.parametrize("shape, p_keep", DROP_CASES)
def test_dropout_train_matches_the_rng_draw_bit_for_bit(bk, form, shape, p_keep):
    # item 28: one call u = rng.random(x.shape), keep where u < p_keep; the next draw continues right after it
    fwd, inverted = FORWARDS[form]
    x = rng_for("drop", shape, p_keep).normal(size=shape)
    seed = zlib.crc32(repr(("dropseed", shape, p_keep)).encode())
    rng, twin = np.random.default_rng(seed), np.random.default_rng(seed)
    out, cache = fwd(bk.to(x), p_keep, True, rng)
    bk.assert_on_device((out, cache))
    u = twin.random(shape)
    out, expected = bk.host(out), naive_dropout(x, p_keep, u, inverted)
    np.testing.assert_array_equal(out != 0, u < p_keep)  # the kept units exactly
    if inverted:  # x/p and x·(1/p) are both right and may differ in the last bit
        np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)
    else:
        np.testing.assert_array_equal(out, expected)
    assert rng.random() == twin.random(), "the rng was not used by exactly one call random(x.shape)"


@pytest.mark.parametrize("form", FORWARDS)
def test_dropout_keeps_strictly_below_p_keep(bk, form):
    fwd, inverted = FORWARDS[form]
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    rng = FixedDraws([0.0, 0.2999999, 0.3, 0.3000001, 0.99])
    out = call(bk, fwd, x, 0.3, True, rng)[0]
    kept = [1.0, 2.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(out, np.array(kept) / (0.3 if inverted else 1.0), rtol=1e-15)
    assert rng.calls == [(5,)]


@pytest.mark.parametrize("form", FORWARDS)
def test_dropout_test_mode_draws_nothing(bk, form):
    # item 28: test mode makes no call; dropout_forward gives x·p_keep, the inverted form a copy of x
    fwd, inverted = FORWARDS[form]
    x = rng_for("droptest").normal(size=(3, 4))
    rng = np.random.default_rng(7)
    before = rng.bit_generator.state
    bx = bk.to(x)
    out, _ = fwd(bx, 0.6, False, rng)
    bk.assert_on_device(out)
    assert rng.bit_generator.state == before
    np.testing.assert_allclose(to_host(out), x if inverted else 0.6 * x, rtol=1e-15)
    if inverted and bk.name == "numpy":
        assert out is not bx and not np.shares_memory(out, bx)


def test_dropout_accepts_a_random_state(bk):
    x = rng_for("droprs").normal(size=(5, 4))
    out = call(bk, p3.dropout_forward, x, 0.4, True, np.random.RandomState(3))[0]
    np.testing.assert_array_equal(out, naive_dropout(x, 0.4, np.random.RandomState(3).random((5, 4)), False))


@pytest.mark.parametrize("p_keep", [0.2, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("form", FORWARDS)
def test_dropout_mask_rate_within_a_binomial_bound(form, p_keep):
    # the number k of kept units among n is Binomial(n, p_keep): |k − n p| ≤ 5 sqrt(n p (1 − p)) fails for a
    # correct implementation with probability below 6e-7 (and never with this seed); keeping u > p_keep has
    # rate 1 − p_keep, 0.6 n away for p_keep = 0.2 (about 670 bounds)
    fwd, _ = FORWARDS[form]
    n = 100_000
    out, _ = fwd(np.ones(n), p_keep, True, np.random.default_rng(20261123))
    k = int(np.count_nonzero(out))
    assert abs(k - n * p_keep) <= 5 * math.sqrt(n * p_keep * (1 - p_keep)), (k, n * p_keep)


@pytest.mark.parametrize("p_keep", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("form", FORWARDS)
def test_dropout_expected_training_output_is_the_test_output(form, p_keep):
    # 003 权重比例推断规则: E[out_train] = out_test. Over K draws each entry's mean m_i has standard deviation
    # sd_i = |x_i| sqrt(p(1 − p)/K) (text's form) or |x_i| sqrt((1 − p)/(p K)) (inverted); |m_i − out_test_i| ≤ 5 sd_i
    # for all 30 entries fails for a correct implementation with probability below 2e-5 (never with this seed).
    fwd, inverted = FORWARDS[form]
    x = rng_for("dropmean", p_keep).normal(size=30) * 3.0
    K = 4000
    rng = np.random.default_rng(11)
    mean = np.mean([fwd(x, p_keep, True, rng)[0] for _ in range(K)], axis=0)
    expected, _ = fwd(x, p_keep, False, rng)
    sd = np.abs(x) * math.sqrt((1 - p_keep) / (p_keep * K) if inverted else p_keep * (1 - p_keep) / K)
    assert np.all(np.abs(mean - expected) <= 5 * sd + 1e-12), np.max(np.abs(mean - expected) / sd)
    # and the bound is tight enough to see a wrong scale: twice the spread of a correct mean is far from 5 sd
    wrong = expected * (1.0 / p_keep if not inverted else p_keep)
    assert np.max(np.abs(mean - wrong) / sd) > 5


@pytest.mark.parametrize("form", FORWARDS)
@pytest.mark.parametrize("train", [True, False])
def test_dropout_backward(bk, form, train):
    # item 28: dx = m ⊙ dout with out = m ⊙ x: the mask (÷ p_keep inverted) in training, p_keep or 1 at test
    fwd, inverted = FORWARDS[form]
    p_keep = 0.35
    rng = rng_for("dropbw", form, train)
    x, dout = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    out, cache = fwd(bk.to(x), p_keep, train, np.random.default_rng(5))
    bdout = bk.to(dout)
    dx = bk.host(p3.dropout_backward(bdout, cache))
    _assert_same(to_host(bdout), dout)
    u = np.random.default_rng(5).random(x.shape)
    if train:
        m = (u < p_keep) / (p_keep if inverted else 1.0)
    else:
        m = np.ones_like(x) * (1.0 if inverted else p_keep)
    np.testing.assert_allclose(dx, m * dout, rtol=1e-15)
    # finite differences: re-seeding the rng gives the same mask, so the layer is a fixed linear map of x
    if bk.name == "numpy":

        def loss(x_):
            return float(np.sum(dout * fwd(x_, p_keep, train, np.random.default_rng(5))[0]))

        np.testing.assert_allclose(dx, central_diff(loss, x), rtol=1e-7, atol=1e-9)


def test_dropout_keep_everything():
    x = rng_for("drop1").normal(size=(3, 3))
    for fwd, _ in FORWARDS.values():
        out, cache = fwd(x, 1.0, True, np.random.default_rng(0))
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(p3.dropout_backward(np.ones_like(x), cache), np.ones_like(x))


# ==================================================================================================
# p4 — initialization


INIT_CASES = [(3, 5, 0.01), (5, 3, 1.0), (4, 4, 0.5), (1, 7, 2.0), (6, 1, 0.1), (1, 1, 3.0), (20, 30, 0.05)]


def naive_init_gaussian(fan_in, fan_out, sigma, rng):
    """One standard normal at a time, in C order (row by row)."""
    W = np.zeros((fan_in, fan_out))
    for i in range(fan_in):
        for j in range(fan_out):
            W[i, j] = sigma * rng.standard_normal()
    return W


def naive_init_uniform(fan_in, fan_out, r, rng):
    W = np.zeros((fan_in, fan_out))
    for i in range(fan_in):
        for j in range(fan_out):
            W[i, j] = 2 * r * rng.random() - r
    return W


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState], ids=["Generator", "RandomState"])
@pytest.mark.parametrize("fan_in, fan_out, sigma", INIT_CASES)
def test_init_gaussian_draws_in_order(fan_in, fan_out, sigma, make_rng):
    # item 29: σ · rng.standard_normal((fan_in, fan_out)), one draw in C order; rng.normal(0, σ, size) is the same
    seed = zlib.crc32(repr(("g", fan_in, fan_out)).encode())
    rng = make_rng(seed)
    W = p4.init_gaussian(fan_in, fan_out, sigma, rng)
    assert isinstance(W, np.ndarray) and W.dtype == np.float64 and W.shape == (fan_in, fan_out)
    np.testing.assert_array_equal(W, naive_init_gaussian(fan_in, fan_out, sigma, make_rng(seed)))
    np.testing.assert_array_equal(W, sigma * make_rng(seed).standard_normal((fan_in, fan_out)))
    np.testing.assert_array_equal(W, make_rng(seed).normal(0.0, sigma, (fan_in, fan_out)))
    twin = make_rng(seed)
    twin.standard_normal((fan_in, fan_out))
    assert rng.random() == twin.random(), "the rng was not used by exactly one draw of the whole array"
    if fan_in > 1 and fan_out > 1:  # a (fan_out, fan_in) draw transposed is another matrix
        assert not np.array_equal(W, sigma * make_rng(seed).standard_normal((fan_out, fan_in)).T)


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState], ids=["Generator", "RandomState"])
@pytest.mark.parametrize("fan_in, fan_out, r", INIT_CASES)
def test_init_uniform_draws_in_order(fan_in, fan_out, r, make_rng):
    # item 29: 2r · rng.random((fan_in, fan_out)) − r; rng.uniform(−r, r, size) is the same bit for bit
    seed = zlib.crc32(repr(("u", fan_in, fan_out)).encode())
    rng = make_rng(seed)
    W = p4.init_uniform(fan_in, fan_out, r, rng)
    assert isinstance(W, np.ndarray) and W.dtype == np.float64 and W.shape == (fan_in, fan_out)
    np.testing.assert_array_equal(W, naive_init_uniform(fan_in, fan_out, r, make_rng(seed)))
    np.testing.assert_array_equal(W, make_rng(seed).uniform(-r, r, (fan_in, fan_out)))
    assert np.all(W >= -r) and np.all(W < r)
    twin = make_rng(seed)
    twin.random((fan_in, fan_out))
    assert rng.random() == twin.random(), "the rng was not used by exactly one draw of the whole array"


def test_init_statistics():
    # σ is the standard deviation and r the half-width: sample moments of 40000 entries within 5 standard errors
    n = 200 * 200
    W = p4.init_gaussian(200, 200, 0.3, np.random.default_rng(1))
    assert abs(W.mean()) <= 5 * 0.3 / math.sqrt(n)
    assert abs(W.std() - 0.3) <= 5 * 0.3 / math.sqrt(2 * n)
    U = p4.init_uniform(200, 200, 0.5, np.random.default_rng(2))
    assert abs(U.mean()) <= 5 * 0.5 / math.sqrt(3 * n)
    assert abs(U.var() - 0.25 / 3) <= 5 * math.sqrt(0.5**4 / 45 * 4 / n)  # Var of u² for u ~ U(−r, r) is 4r⁴/45


# ==================================================================================================
# p4 — the symmetric initialization (003 对称权重问题), against a naive scalar 2-2-1 network


def naive_sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def naive_slide_train(w_hidden, b_hidden, w_out, b_out, x, y, lr, steps):
    """The slides' network with scalars: a_j = σ(Σ_i w_hidden[j][i] x_i + b_hidden[j]), ŷ = σ(Σ_j w_out[j] a_j + b_out),
    L = ½(y − ŷ)², SGD. Returns the per-step largest difference of the two hidden units and the final weights."""
    w_hidden = [list(row) for row in w_hidden]
    b_hidden, w_out = list(b_hidden), list(w_out)
    diffs = []
    for _ in range(steps):
        a = [naive_sigmoid(sum(w_hidden[j][i] * x[i] for i in range(2)) + b_hidden[j]) for j in range(2)]
        yhat = naive_sigmoid(sum(w_out[j] * a[j] for j in range(2)) + b_out)
        delta_out = (yhat - y) * yhat * (1 - yhat)
        delta_hidden = [delta_out * w_out[j] * a[j] * (1 - a[j]) for j in range(2)]
        for j in range(2):
            w_out[j] -= lr * delta_out * a[j]
            b_hidden[j] -= lr * delta_hidden[j]
            for i in range(2):
                w_hidden[j][i] -= lr * delta_hidden[j] * x[i]
        b_out -= lr * delta_out
        a = [naive_sigmoid(sum(w_hidden[j][i] * x[i] for i in range(2)) + b_hidden[j]) for j in range(2)]
        diffs.append(
            max(
                max(abs(w_hidden[0][i] - w_hidden[1][i]) for i in range(2)),
                abs(b_hidden[0] - b_hidden[1]),
                abs(w_out[0] - w_out[1]),
                abs(a[0] - a[1]),
            )
        )
    return diffs, (w_hidden, b_hidden, w_out, b_out)


def test_symmetric_init_demo_is_all_zero():
    # item 30: a float64 array of shape (5,), every entry exactly 0
    d = p4.symmetric_init_demo()
    assert isinstance(d, np.ndarray) and d.dtype == np.float64 and d.shape == (5,)
    np.testing.assert_array_equal(d, np.zeros(5))


def test_symmetric_init_claim_on_a_naive_network():
    # the text's claim, checked without the package's MLP: equal weights stay equal at every step
    x, y = (0.2, 0.3), 1.0
    diffs, _ = naive_slide_train([[0.5, 0.5], [0.5, 0.5]], [0.5, 0.5], [0.5, 0.5], 0.5, x, y, 1.0, 5)
    assert diffs == [0.0] * 5
    # and the measure sees a broken symmetry: one different weight makes the units differ at every step
    broken, _ = naive_slide_train([[0.6, 0.5], [0.5, 0.5]], [0.5, 0.5], [0.5, 0.5], 0.5, x, y, 1.0, 5)
    assert all(v > 1e-3 for v in broken)


def test_slide_network_and_mlp_match_the_naive_network():
    # the given helpers are the slides' network: same start, same five SGD steps, same weights
    params, x, y = p4.slide_network()
    assert params.keys() == {"W1", "b1", "W2", "b2"}
    assert all(np.all(v == 0.5) and v.dtype == np.float64 for v in params.values())
    np.testing.assert_array_equal(x, [[0.2, 0.3]])
    np.testing.assert_array_equal(y, [[1.0]])
    start = {k: v.copy() for k, v in params.items()}
    for _ in range(p4.SLIDE_STEPS):
        params = p4.mlp_sgd_step(params, x, y, p4.SLIDE_LR)
    _, (w_hidden, b_hidden, w_out, b_out) = naive_slide_train(
        [[0.5, 0.5], [0.5, 0.5]], [0.5, 0.5], [0.5, 0.5], 0.5, (0.2, 0.3), 1.0, 1.0, 5
    )
    np.testing.assert_allclose(params["W1"], w_hidden, rtol=1e-14)
    np.testing.assert_allclose(params["b1"], b_hidden, rtol=1e-14)
    np.testing.assert_allclose(params["W2"], [w_out], rtol=1e-14)
    np.testing.assert_allclose(params["b2"], [b_out], rtol=1e-14)
    assert not np.allclose(params["W2"], start["W2"])  # training moved the weights: the zeros are not idleness
    loss_before = 0.5 * float(np.sum((p4.mlp_forward(start, x)[0] - y) ** 2))
    loss_after = 0.5 * float(np.sum((p4.mlp_forward(params, x)[0] - y) ** 2))
    assert loss_after < loss_before


def test_mlp_backward_finite_differences():
    rng = rng_for("mlpfd")
    params = {
        "W1": rng.normal(size=(3, 2)),
        "b1": rng.normal(size=3),
        "W2": rng.normal(size=(2, 3)),
        "b2": rng.normal(size=2),
    }
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    yhat, cache = p4.mlp_forward(params, x)
    grads = p4.mlp_backward(yhat - y, cache)
    for k in params:

        def loss(v, k=k):
            return 0.5 * float(np.sum((p4.mlp_forward(dict(params, **{k: v}), x)[0] - y) ** 2))

        np.testing.assert_allclose(grads[k], central_diff(loss, params[k]), rtol=1e-6, atol=1e-9)


# ==================================================================================================
# docstrings: every worked example runs; points, conventions and the required parts


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


GRADED = {
    p1: ["batchnorm_forward", "batchnorm_backward"],
    p2: ["l2_penalty", "l2_grad", "weight_decay_step"],
    p3: ["dropout_forward", "inverted_dropout_forward", "dropout_backward"],
    p4: ["init_gaussian", "init_uniform", "symmetric_init_demo"],
}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstrings_have_the_required_parts(module):
    doc = module.__doc__
    assert "Original text" in doc and "English statement" in doc and "What real student code gets wrong here" in doc
    assert re.search(r"[\u4e00-\u9fff]", doc), "the module docstring quotes the Chinese text"
    public = [
        v
        for k, v in vars(module).items()
        if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    for fn in public:
        assert fn.__doc__ and "Example" in fn.__doc__ and ">>>" in fn.__doc__, fn.__name__
    for name in GRADED[module]:
        fn = getattr(module, name)
        assert "Convention" in fn.__doc__, f"{name}'s docstring names no convention"
        source = __import__("inspect").getsource(fn)
        assert source.count("### BEGIN SOLUTION") == 1 and source.count("### END SOLUTION") == 1, name


def test_points_add_up_to_100():
    points = {}
    for module in MODULES:
        found = re.search(r"\((\d+) points\)", module.__doc__.splitlines()[0])
        assert found, module.__name__
        points[module.__name__.rsplit(".", 1)[-1][:2]] = int(found.group(1))
    assert sum(points.values()) == 100
    for key, value in points.items():
        assert f"{key} {value}" in hw4.__doc__
