"""Tests of the hw2 reference solutions (optimizers, schedules, the training loop) against naive implementations.

Every optimizer is run for several chained updates on random inputs and compared, entry by entry, with formulas
written here in plain Python floats over the whole gradient history (momentum as the weighted sum of eq. 3.13,
AdaGrad as the root mean square of eq. 3.22 recomputed from all past gradients, Adam from the closed forms of its
moving averages), so no test shares the reference's recursions. Each pinned convention of COURSE.md (hw2 items
3–14) has its own test, and the text's behaviour claims are checked on the package's error surface. The backends:
NumPy, ``array_api_strict`` (its CPU device and its second device ``device1``, where arrays of two devices cannot
be combined), PyTorch CPU tensors when torch is installed, and CuPy when it is usable (skipped otherwise).
"""

import doctest
import importlib.util
import math
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from solutions.hw2 import p1_optimizers as p1
from solutions.hw2 import p2_schedules as p2
from solutions.hw2 import p3_training as p3
from source_lib.backend import to_host

# --------------------------------------------------------------------------------------------------
# backends


def snapshot(obj):
    """A deep NumPy copy of obj (dicts, lists, tuples, arrays of any backend; other values as they are)."""
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(snapshot(v) for v in obj)
    if hasattr(obj, "shape") and hasattr(obj, "dtype"):
        return np.array(to_host(obj), copy=True)
    return obj


def assert_same(a, b, what):
    """a and b (snapshots) are equal: same dict keys, same values bit for bit."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{what}: the keys changed"
        for k in a:
            assert_same(a[k], b[k], f"{what}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{what}: the length changed"
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same(u, v, f"{what}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=f"{what} was modified in place")
    else:
        assert a == b, f"{what} changed from {b!r} to {a!r}"


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# ==================================================================================================
# p1 — optimizers, against naive formulas over the whole gradient history


def naive_trajectory(name, theta0, grads, lrs, hyper):
    """θ_0 … θ_n of the optimizer `name`, entry by entry in Python floats, each θ_{t+1} from the full history."""
    n = len(grads)
    flat0 = [float(v) for v in theta0.ravel()]
    out = np.zeros((n + 1, len(flat0)))
    for i, th in enumerate(flat0):
        g = [float(gt.ravel()[i]) for gt in grads]
        out[0, i] = th
        sigmas = []  # RMSProp's σ_0, σ_1, …
        for t in range(n):
            eta = lrs[t]
            if name == "sgd":
                th = th - eta * g[t]
            elif name == "momentum":
                lam = hyper["lam"]
                m = -sum(lam ** (t - j) * lrs[j] * g[j] for j in range(t + 1))  # eq. 3.13 with η_j per update
                th = th + m
            elif name == "adagrad":
                sigma = math.sqrt(sum(g[j] ** 2 for j in range(t + 1)) / (t + 1))  # eq. 3.22
                th = th - eta * g[t] / (sigma + hyper["eps"])
            elif name == "rmsprop":
                a = hyper["alpha"]
                sigmas.append(abs(g[0]) if t == 0 else math.sqrt(a * sigmas[-1] ** 2 + (1 - a) * g[t] ** 2))
                th = th - eta * g[t] / (sigmas[-1] + hyper["eps"])
            elif name == "adam":
                b1, b2, k = hyper["beta1"], hyper["beta2"], t + 1  # k updates made, this one included
                m = (1 - b1) * sum(b1 ** (k - 1 - j) * g[j] for j in range(k))
                v = (1 - b2) * sum(b2 ** (k - 1 - j) * g[j] ** 2 for j in range(k))
                m_hat, v_hat = m / (1 - b1**k), v / (1 - b2**k)
                th = th - eta * m_hat / (math.sqrt(v_hat) + hyper["eps"])
            else:
                raise ValueError(name)
            out[t + 1, i] = th
    return out.reshape((n + 1, *theta0.shape))


STEPS_OF = {
    "sgd": p1.sgd_step,
    "momentum": p1.momentum_step,
    "adagrad": p1.adagrad_step,
    "rmsprop": p1.rmsprop_step,
    "adam": p1.adam_step,
}


def draw_hyper(name, rng):
    """Hyper-parameters (besides lr) drawn over the ranges the checks use; eps up to 0.1, where its place shows."""
    eps = float(rng.choice([1e-8, 1e-4, 1e-2, 0.1]))
    return {
        "sgd": {},
        "momentum": {"lam": float(rng.uniform(0.0, 0.99))},
        "adagrad": {"eps": eps},
        "rmsprop": {"alpha": float(rng.uniform(0.5, 0.99)), "eps": eps},
        "adam": {"beta1": float(rng.uniform(0.5, 0.99)), "beta2": float(rng.uniform(0.9, 0.9999)), "eps": eps},
    }[name]


SHAPES = [(), (1,), (5,), (2, 3), (3, 1, 2)]


def draw_problem(name, seed):
    """θ_0, n gradients (scales 1e-3…1e2 per entry, about 10% exact zeros), per-update rates and hyper-parameters."""
    rng = rng_for("p1", name, seed)
    shape = SHAPES[seed % len(SHAPES)]
    n = int(rng.integers(1, 9))
    theta0 = rng.normal(size=shape)
    scale = 10.0 ** rng.uniform(-3, 2, size=shape)
    grads = [np.where(rng.random(shape) < 0.1, 0.0, rng.normal(size=shape) * scale) for _ in range(n)]
    if seed % 2:  # a schedule: a different η at every update
        lrs = [float(v) for v in 10.0 ** rng.uniform(-3, 0, size=n)]
    else:
        lrs = [float(10.0 ** rng.uniform(-3, 0))] * n
    return theta0, grads, lrs, draw_hyper(name, rng)


def chain(bk, step, theta0, grads, lrs, hyper):
    """θ_0 … θ_n by chaining `step` from state {}, checking purity at every call; returns NumPy rows."""
    theta, state = bk.to(theta0), {}
    rows = [theta0]
    for t, g in enumerate(grads):
        bg = bk.to(g)
        before = snapshot((theta, bg, state))
        new_theta, new_state = step(theta, bg, state, lr=lrs[t], **hyper)
        assert_same(snapshot((theta, bg, state)), before, f"update {t}: an input")
        assert isinstance(new_state, dict) and new_state is not state, f"update {t}: state must be a new dict"
        bk.assert_on_device((new_theta, new_state), f"update {t}")
        assert tuple(new_theta.shape) == theta0.shape
        rows.append(snapshot(new_theta))
        theta, state = new_theta, new_state
    return np.stack(rows)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", list(STEPS_OF))
def test_optimizer_matches_naive_history_formula(bk, name, seed):
    theta0, grads, lrs, hyper = draw_problem(name, seed)
    got = chain(bk, STEPS_OF[name], theta0, grads, lrs, hyper)
    expected = naive_trajectory(name, theta0, grads, lrs, hyper)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", list(STEPS_OF))
def test_optimizer_defaults(bk, name):
    """The signatures' defaults are COURSE.md's: lam 0.9, eps 1e-8, alpha 0.9, Adam lr 1e-3, β 0.9 / 0.999."""
    rng = rng_for("defaults", name)
    theta0, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(5)]
    defaults = {"sgd": {}, "momentum": {"lam": 0.9}, "adagrad": {"eps": 1e-8}, "rmsprop": {"alpha": 0.9, "eps": 1e-8}}
    defaults["adam"] = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    if name == "adam":
        theta, state, rows = bk.to(theta0), {}, [theta0]
        for g in grads:
            theta, state = p1.adam_step(theta, bk.to(g), state)  # lr too from the default
            rows.append(bk.host(theta))
        got, lrs = np.stack(rows), [1e-3] * len(grads)
    else:
        lrs = [0.05] * len(grads)
        got = chain(bk, STEPS_OF[name], theta0, grads, lrs, {})
    np.testing.assert_allclose(got, naive_trajectory(name, theta0, grads, lrs, defaults[name]), rtol=1e-11, atol=1e-13)


def test_first_steps(bk):
    """Item 8–11: momentum's first step is SGD's; AdaGrad's and RMSProp's first step is η g/(|g| + eps) ≈ ±η;
    Adam's first step (t = 1, m̂ = g, v̂ = g²) is η g/(|g| + eps) too."""
    theta0 = np.array([0.5, -1.0, 2.0, 0.0])
    g = np.array([3.0, -1e-3, 250.0, 0.0])
    eta = 0.1
    sgd, _ = p1.sgd_step(bk.to(theta0), bk.to(g), {}, lr=eta)
    mom, _ = p1.momentum_step(bk.to(theta0), bk.to(g), {}, lr=eta, lam=0.9)
    np.testing.assert_array_equal(bk.host(mom), bk.host(sgd))
    np.testing.assert_allclose(bk.host(sgd), theta0 - eta * g, rtol=1e-15)
    sign_step = theta0 - eta * np.array([1.0, -1.0, 1.0, 0.0])
    for step, kw in [(p1.adagrad_step, {}), (p1.rmsprop_step, {"alpha": 0.9}), (p1.adam_step, {})]:
        # with eps = 0 the first step is exactly η·sign(g) (entries with g ≠ 0 only: 0/0 is nobody's convention)
        new, _ = step(bk.to(theta0[:3]), bk.to(g[:3]), {}, lr=eta, eps=0.0, **kw)
        np.testing.assert_allclose(bk.host(new), sign_step[:3], rtol=1e-14, err_msg=step.__name__)
        # with the default eps: η g/(|g| + 1e-8) ≈ ±η, and the entry whose gradient is 0 does not move
        new = bk.host(step(bk.to(theta0), bk.to(g), {}, lr=eta, **kw)[0])
        np.testing.assert_allclose(new, theta0 - eta * g / (np.abs(g) + 1e-8), rtol=1e-14, err_msg=step.__name__)
        assert new[3] == 0.0, step.__name__
    # RMSProp's σ_0 = |g_0|, not sqrt((1 − α) g_0²) (PyTorch): that would give steps of η/sqrt(1 − α) ≈ 3.16 η
    new, _ = p1.rmsprop_step(bk.to(theta0), bk.to(g), {}, lr=eta, alpha=0.9)
    assert np.max(np.abs(bk.host(new) - theta0)) < 1.0001 * eta


def test_adagrad_uses_the_mean_and_zero_gradient_gives_zero_step(bk):
    """Item 9: σ_t = sqrt(mean of g_0² … g_t²): a constant gradient c gives steps of η c/(|c| + eps) at every t
    (the sum would give η/sqrt(t + 1)); a zero gradient gives a zero step, also after nonzero ones."""
    theta, state = bk.to(np.array([1.0, 2.0])), {}
    g = bk.to(np.array([0.5, -4.0]))
    for t in range(6):
        new, state = p1.adagrad_step(theta, g, state, lr=0.2, eps=0.0)
        np.testing.assert_allclose(bk.host(new) - bk.host(theta), [-0.2, 0.2], rtol=1e-14, err_msg=f"t = {t}")
        theta = new
    new, state = p1.adagrad_step(theta, bk.to(np.zeros(2)), state, lr=0.2)
    np.testing.assert_array_equal(bk.host(new), bk.host(theta))
    # all gradients zero so far: σ = 0 and the step is 0/(0 + eps) = 0
    new, state = p1.adagrad_step(bk.to(np.array([1.0])), bk.to(np.array([0.0])), {}, lr=0.3)
    new, state = p1.adagrad_step(new, bk.to(np.array([0.0])), state, lr=0.3)
    assert bk.host(new).tolist() == [1.0]


def test_rmsprop_alpha_weighs_the_old_sigma(bk):
    """Item 10: σ_1 = sqrt(α σ_0² + (1 − α) g_1²) with σ_0 = |g_0|; α → 1 keeps the old σ."""
    theta, state = p1.rmsprop_step(bk.to(np.array([0.0])), bk.to(np.array([2.0])), {}, lr=1.0, alpha=0.75, eps=0.0)
    new, _ = p1.rmsprop_step(theta, bk.to(np.array([4.0])), state, lr=1.0, alpha=0.75, eps=0.0)
    sigma1 = math.sqrt(0.75 * 4.0 + 0.25 * 16.0)
    np.testing.assert_allclose(bk.host(new), [-1.0 - 4.0 / sigma1], rtol=1e-15)


def test_adam_increments_t_before_use_and_adds_eps_outside(bk):
    """Item 11 with hand-computed numbers: t = 1 on the first call, t = 2 on the second; eps after the bias
    correction and outside the root."""
    b1, b2, eps, eta = 0.8, 0.9, 0.5, 0.1
    g0, g1 = 2.0, -1.0
    theta, state = p1.adam_step(bk.to(np.array([1.0])), bk.to(np.array([g0])), {}, lr=eta, beta1=b1, beta2=b2, eps=eps)
    # t = 1: m̂ = g0, v̂ = g0², step η g0/(|g0| + eps) = 0.1·2/2.5
    np.testing.assert_allclose(bk.host(theta), [1.0 - 0.08], rtol=1e-15)
    theta, state = p1.adam_step(theta, bk.to(np.array([g1])), state, lr=eta, beta1=b1, beta2=b2, eps=eps)
    m = b1 * (1 - b1) * g0 + (1 - b1) * g1
    v = b2 * (1 - b2) * g0**2 + (1 - b2) * g1**2
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    np.testing.assert_allclose(bk.host(theta), [0.92 - eta * m_hat / (math.sqrt(v_hat) + eps)], rtol=1e-14)


def test_momentum_is_the_text_form_under_a_changing_rate(bk):
    """Item 8: m ← λm − η_t g, θ ← θ + m. The library form v ← λv + g, θ ← θ − η_t v differs once η changes."""
    theta, state = bk.to(np.array([0.0])), {}
    for eta, g in [(1.0, 1.0), (0.5, 1.0)]:
        theta, state = p1.momentum_step(theta, bk.to(np.array([g])), state, lr=eta, lam=0.5)
    # m_1 = −1, m_2 = 0.5·(−1) − 0.5·1 = −1: θ_2 = −2 (the library form would give −1 − 0.5·1.5 = −1.75)
    np.testing.assert_allclose(bk.host(theta), [-2.0], rtol=1e-15)


def test_state_is_new_and_inputs_untouched_even_when_reused(bk):
    """Items 2, 12: calling a step twice with the same state gives the same result (the state was not advanced
    in place); the state returned shares no array that a later call modifies."""
    rng = rng_for("reuse")
    theta, g1, g2 = (bk.to(rng.normal(size=3)) for _ in range(3))
    for name, step in STEPS_OF.items():
        _, s1 = step(theta, g1, {}, lr=0.1)
        frozen = snapshot(s1)
        a, s2a = step(theta, g2, s1, lr=0.1)
        b, s2b = step(theta, g2, s1, lr=0.1)
        np.testing.assert_array_equal(bk.host(a), bk.host(b), err_msg=name)
        assert_same(snapshot(s1), frozen, f"{name}: state")
        assert s2a is not s1 and s2b is not s1 and s2a is not s2b, name
        step(a, g1, s2a, lr=0.1)
        assert_same(snapshot(s1), frozen, f"{name}: an older state")


def test_optimizers_keep_float32(bk):
    rng = rng_for("f32")
    theta0, grads = rng.normal(size=6), [rng.normal(size=6) for _ in range(4)]
    for name, step in STEPS_OF.items():
        t32, t64, s32, s64 = bk.to(theta0.astype(np.float32)), bk.to(theta0), {}, {}
        for g in grads:
            t32, s32 = step(t32, bk.to(g.astype(np.float32)), s32, lr=0.05)
            t64, s64 = step(t64, bk.to(g), s64, lr=0.05)
        got = bk.host(t32)
        assert got.dtype == np.float32, name
        np.testing.assert_allclose(got, bk.host(t64), rtol=1e-5, atol=1e-5, err_msg=name)


# ==================================================================================================
# p2 — schedules


def naive_step_decay(t, lr0, drop, every):
    lr = lr0
    for s in range(1, t + 1):  # a drop happens at every update s that is a multiple of `every`
        if s % every == 0:
            lr *= drop
    return lr


def naive_linear_decay(t, lr0, lr_end, T):
    if T <= 0:
        return lr_end
    frac = min(t, T) / T
    return (1 - frac) * lr0 + frac * lr_end


def naive_warmup(t, lr0, W):
    return lr0 if W <= 0 else lr0 * min(t, W) / W


@pytest.mark.parametrize("seed", range(20))
def test_schedules_match_naive(seed):
    rng = rng_for("p2", seed)
    lr0 = float(10.0 ** rng.uniform(-4, 0))
    every, T, W = (int(rng.integers(1, 30)) for _ in range(3))
    drop, k = float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.0, 2.0))
    lr_end = float(lr0 * rng.uniform(0.0, 0.5))
    for t in [*range(0, 8), *rng.integers(0, 200, size=20).tolist()]:
        t = int(t)
        values = {
            "step": (p2.lr_step_decay(t, lr0, drop, every), naive_step_decay(t, lr0, drop, every)),
            "linear": (p2.lr_linear_decay(t, lr0, lr_end, T), naive_linear_decay(t, lr0, lr_end, T)),
            "inverse": (p2.lr_inverse_time_decay(t, lr0, k), lr0 * (1 / (1 + k * t))),
            "warmup": (p2.lr_warmup(t, lr0, W), naive_warmup(t, lr0, W)),
        }
        for which, (got, expected) in values.items():
            assert isinstance(got, float), f"{which} returned {type(got)}"
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-300), f"{which} at t = {t}"
        assert p2.lr_linear_decay(t, lr0, lr_end, T) >= lr_end


def test_every_decay_starts_at_lr0():
    """Item 3: t = 0 is the first update and every decay gives η_0 there."""
    assert p2.lr_step_decay(0, 0.3, 0.1, 1) == 0.3
    assert p2.lr_linear_decay(0, 0.3, 0.01, 7) == 0.3
    assert p2.lr_inverse_time_decay(0, 0.3, 5.0) == 0.3


def test_step_decay_first_drop_at_every():
    """Item 4: η_0·drop^⌊t/every⌋: unchanged up to t = every − 1, dropped at t = every (StepLR)."""
    assert [p2.lr_step_decay(t, 1.0, 0.5, 4) for t in range(10)] == [1.0] * 4 + [0.5] * 4 + [0.25] * 2
    assert p2.lr_step_decay(1, 1.0, 0.5, 1) == 0.5
    with pytest.raises(ValueError):
        p2.lr_step_decay(3, 1.0, 0.5, 0)


def test_linear_decay_floor_and_T_not_positive():
    """Item 5: lr_end from t = T on, never below it; T ≤ 0 gives lr_end."""
    assert [p2.lr_linear_decay(t, 1.0, 0.2, 4) for t in (0, 2, 3, 4, 5, 1000)] == pytest.approx(
        [1.0, 0.6, 0.4, 0.2, 0.2, 0.2], rel=1e-15
    )
    assert p2.lr_linear_decay(3, 1.0, 0.2, 4) > 0.2
    for T in (0, -3):
        assert [p2.lr_linear_decay(t, 1.0, 0.2, T) for t in (0, 1, 50)] == [0.2, 0.2, 0.2]


def test_warmup_endpoints():
    """Item 7: 0 at t = 0, η_0·t/W before W, exactly η_0 at t = W and after; W ≤ 0 gives η_0; not (t + 1)/W."""
    lr0, W = 0.3, 6
    assert p2.lr_warmup(0, lr0, W) == 0.0
    assert p2.lr_warmup(1, lr0, W) == pytest.approx(0.05, rel=1e-15)
    assert p2.lr_warmup(W - 1, lr0, W) == pytest.approx(0.25, rel=1e-15)
    assert p2.lr_warmup(W, lr0, W) == lr0 and p2.lr_warmup(W + 10, lr0, W) == lr0
    for W in (0, -1):
        assert p2.lr_warmup(0, lr0, W) == lr0 and p2.lr_warmup(5, lr0, W) == lr0
    assert p2.lr_warmup(1, 1.0, 1) == 1.0 and p2.lr_warmup(0, 1.0, 1) == 0.0


def test_schedules_accept_numpy_integers():
    t = np.int64(5)
    for value in (
        p2.lr_step_decay(t, 0.1, 0.5, 2),
        p2.lr_linear_decay(t, 0.1, 0.0, 10),
        p2.lr_inverse_time_decay(t, 0.1, 1.0),
        p2.lr_warmup(t, 0.1, 10),
    ):
        assert isinstance(value, float)


# ==================================================================================================
# p3 — run_optimizer and the error surface


def naive_run(step, grad, theta0, steps, hyper):
    rows = [np.array(theta0, dtype=np.float64)]
    state = {}
    for t in range(steps):
        kw = dict(hyper)
        if callable(kw.get("lr")):
            kw["lr"] = kw["lr"](t)
        theta, state = step(rows[-1].copy(), grad(rows[-1].copy()), state, **kw)
        rows.append(np.array(theta, dtype=np.float64))
    return np.stack(rows)


def random_quadratic(rng, shape):
    """grad(θ) = H (θ − c) on the flattened θ, with H symmetric positive definite; the gradient is a NumPy
    function (the backend wrapper below moves it)."""
    d = int(np.prod(shape))
    A = rng.normal(size=(d, d))
    H, c = A @ A.T / d + 0.1 * np.eye(d), rng.normal(size=d)
    return lambda theta: (H @ (np.asarray(theta).reshape(-1) - c)).reshape(np.shape(theta))


def on_backend(bk, numpy_fn):
    """A grad_fn for backend arrays from a NumPy one: the argument is checked (a float64 array of this backend on
    its device), brought to the host, and the result moved back."""
    seen = []

    def fn(theta):
        bk.assert_on_device(theta, "grad_fn's argument")
        host = to_host(theta)
        assert host.dtype == np.float64
        seen.append(host.copy())
        return bk.to(np.asarray(numpy_fn(host), dtype=np.float64))

    fn.seen = seen
    return fn


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", list(STEPS_OF))
def test_run_optimizer_matches_naive_loop(bk, name, seed):
    rng = rng_for("p3", name, seed)
    shape = [(2,), (3,), (2, 2), ()][seed % 4]
    theta0 = rng.normal(size=shape)
    steps = int(rng.integers(0, 25))
    hyper = {"lr": float(rng.uniform(0.01, 0.2)), **draw_hyper(name, rng)}
    if seed % 3 == 1:
        lr0 = hyper["lr"]
        hyper["lr"] = lambda t: lr0 / (1 + 0.3 * t)
    grad = random_quadratic(rng, shape)
    step = STEPS_OF[name]
    bgrad = on_backend(bk, grad)
    btheta0 = bk.to(theta0)
    got = p3.run_optimizer(step, bgrad, btheta0, steps, **hyper)
    got = bk.host(got)
    assert got.dtype == np.float64 and got.shape == (steps + 1, *shape)
    np.testing.assert_array_equal(got[0], theta0)
    np.testing.assert_array_equal(to_host(btheta0), theta0)  # θ_0 not modified
    expected = naive_run(step, grad, theta0, steps, hyper)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert len(bgrad.seen) == steps  # one gradient per update, at θ_0 … θ_{steps−1}
    for t, seen in enumerate(bgrad.seen):
        np.testing.assert_array_equal(seen, got[t])


def test_run_optimizer_passes_hyper_unchanged_and_calls_the_schedule_with_t(bk):
    """Item 13: grad_fn gets θ_t alone; step_fn gets (θ_t, g_t, state, **hyper) with lr = lr(t) for a callable
    lr, t = 0 … steps − 1 in order, other hyper-parameters as given, and the state it returned last."""
    calls, schedule_ts = [], []

    def schedule(t):
        schedule_ts.append(t)
        return 0.5 / (t + 1)

    def step(theta, g, state, **kw):
        calls.append((snapshot(theta), snapshot(g), dict(state), kw))
        return theta - kw["lr"] * g, {"n": state.get("n", 0) + 1}

    grad = on_backend(bk, lambda th: 2.0 * th)
    traj = bk.host(p3.run_optimizer(step, grad, bk.to(np.array([1.0, -1.0])), 4, lr=schedule, beta=0.3, name="x"))
    assert schedule_ts == [0, 1, 2, 3]
    assert [c[3] for c in calls] == [{"lr": 0.5 / (t + 1), "beta": 0.3, "name": "x"} for t in range(4)]
    assert [c[2] for c in calls] == [{}, {"n": 1}, {"n": 2}, {"n": 3}]
    for t, (theta, g, _, _) in enumerate(calls):
        np.testing.assert_array_equal(theta, traj[t])
        np.testing.assert_array_equal(g, 2.0 * traj[t])
    # a constant lr (and any other hyper-parameter) is passed as it is, a float
    kws = []
    p3.run_optimizer(lambda th, g, s, **kw: (kws.append(kw) or th, s), grad, bk.to(np.zeros(2)), 2, lr=0.25)
    assert kws == [{"lr": 0.25}, {"lr": 0.25}]


def test_run_optimizer_zero_steps_int_input_and_shapes(bk):
    """Item 13: steps = 0 gives the single row θ_0; the result is float64 of shape (steps+1,) + θ_0.shape."""
    grad = on_backend(bk, lambda th: th)
    one = bk.host(p3.run_optimizer(p1.sgd_step, grad, bk.to(np.array([1.0, 2.0, 3.0])), 0, lr=0.1))
    assert one.shape == (1, 3) and one.dtype == np.float64 and one.tolist() == [[1.0, 2.0, 3.0]]
    assert grad.seen == []
    traj = bk.host(p3.run_optimizer(p1.sgd_step, grad, bk.to(np.array([[2, 4], [6, 8]])), 2, lr=0.5))  # an int θ_0
    assert traj.shape == (3, 2, 2) and traj.dtype == np.float64
    np.testing.assert_array_equal(traj[2], [[0.5, 1.0], [1.5, 2.0]])
    scalar = bk.host(p3.run_optimizer(p1.momentum_step, grad, bk.to(np.array(1.0)), 3, lr=0.5, lam=0.0))
    assert scalar.shape == (4,) and scalar.tolist() == [1.0, 0.5, 0.25, 0.125]
    with pytest.raises(ValueError):
        p3.run_optimizer(p1.sgd_step, grad, bk.to(np.zeros(2)), -1, lr=0.1)


def test_run_optimizer_records_theta_even_if_the_step_writes_into_it():
    """The reference loop records θ_t before handing out copies, so a student step that writes into its theta
    argument cannot rewrite the recorded trajectory (the checks run the reference loop with students' steps)."""

    def bad_step(theta, g, state, lr):
        theta -= lr * g  # in place, then returned
        return theta, state

    traj = p3.run_optimizer(bad_step, lambda th: np.ones_like(th), np.zeros(2), 3, lr=1.0)
    assert traj[:, 0].tolist() == [0.0, -1.0, -2.0, -3.0]


def test_surface_helpers(bk):
    """The given error surface: L = ½(a θ1² + b θ2²), its gradient (checked by central differences) and the
    constants of the experiments (η b = 2 for GD, so its steep coordinate flips sign without shrinking)."""
    a, b = p3.SURFACE["a"], p3.SURFACE["b"]
    assert b / a >= 100 and p3.GD_LR * b == pytest.approx(2.0)
    rng = rng_for("surface")
    pts = rng.normal(size=(5, 2))
    loss = bk.host(p3.quadratic_loss(bk.to(pts)))
    np.testing.assert_allclose(loss, [0.5 * (a * x * x + b * y * y) for x, y in pts], rtol=1e-15)
    grad = bk.host(p3.quadratic_grad(bk.to(pts)))
    h = 1e-6
    for i, pt in enumerate(pts):
        fd = [(p3.quadratic_loss(pt + h * e) - p3.quadratic_loss(pt - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(grad[i], fd, rtol=1e-6)
    assert float(p3.quadratic_loss(np.array(p3.MINIMUM))) == 0.0
    np.testing.assert_array_equal(p3.quadratic_grad(np.array(p3.MINIMUM)), [0.0, 0.0])
    assert bk.host(p3.distance_to_minimum(bk.to(np.array([[3.0, 4.0]])))).tolist() == [5.0]


def test_behaviour_claims_of_the_text(bk):
    """001 fig. 3.22(a), 3.27, 3.29 with the reference steps, each run through run_optimizer on the backend:
    GD at η = 1e-2 oscillates and never gets near; AdaGrad gets within NEAR of θ* and then explodes; with the 1/t
    decay it never moves away from θ* and ends within NEAR."""
    grad = on_backend(bk, p3.quadratic_grad)

    def run(step, _grad, theta0, steps, **hyper):
        return bk.host(p3.run_optimizer(step, grad, bk.to(theta0), steps, **hyper))

    runs = p3.surface_experiments(p1.sgd_step, p1.adagrad_step, run=run)
    assert {k: v.shape for k, v in runs.items()} == {k: (p3.STEPS + 1, 2) for k in ("gd", "adagrad", "adagrad_decay")}
    gd, ada, decay = runs["gd"], runs["adagrad"], runs["adagrad_decay"]
    assert p3.oscillates(gd) and not p3.gets_near(gd)
    assert p3.gets_near(ada) and p3.blows_up(ada)
    d = p3.distance_to_minimum(ada)
    near = int(np.argmax(d <= p3.NEAR))
    assert np.max(d[near:]) > 1e3 * p3.NEAR, "the explosion comes after AdaGrad got near the minimum"
    assert not p3.blows_up(decay) and p3.max_rise(decay) <= 1.0 + 1e-9
    assert p3.distance_to_minimum(decay)[-1] <= p3.NEAR
    # the schedule of the experiment is p2's 1/t decay
    assert p2.lr_inverse_time_decay(7, p3.ADAGRAD_LR, p3.DECAY_K) == pytest.approx(p3.ADAGRAD_LR / (1 + 7 * p3.DECAY_K))
    # the same runs with the module's own default loop agree
    default = p3.surface_experiments(p1.sgd_step, p1.adagrad_step)
    for k in runs:
        np.testing.assert_allclose(runs[k], default[k], rtol=1e-12, atol=1e-300)


def test_behaviour_claims_can_fail():
    """The claims tell the right optimizer from wrong ones: library (sum) AdaGrad never explodes here, GD at a
    smaller rate stops oscillating, an RMSProp-like step that forgets old gradients fast does not stay near."""

    def adagrad_sum(theta, g, state, lr, eps=1e-8):
        s = state.get("s", 0.0) + g * g
        return theta - lr * g / (np.sqrt(s) + eps), {"s": s}

    theta0 = np.array(p3.THETA0)
    lib = p3.run_optimizer(adagrad_sum, p3.quadratic_grad, theta0, p3.STEPS, lr=p3.ADAGRAD_LR)
    assert not p3.blows_up(lib) and not p3.gets_near(lib)
    slow = p3.run_optimizer(p1.sgd_step, p3.quadratic_grad, theta0, p3.STEPS, lr=p3.GD_LR / 2)
    assert not p3.oscillates(slow)
    rms = p3.run_optimizer(p1.rmsprop_step, p3.quadratic_grad, theta0, p3.STEPS, lr=p3.ADAGRAD_LR, alpha=0.5)
    assert not p3.gets_near(rms[-50:])
    assert not p3.gets_near(np.array([[1.0, 1e-3]])) and p3.max_rise(np.array([[2.0, 0.0], [1.0, 0.0]])) == 1.0


# ==================================================================================================
# docstrings and stubs


MODULES = [p1, p2, p3]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstrings_have_the_required_parts(module):
    doc = module.__doc__
    assert "Original text" in doc and "English statement" in doc and "points)" in doc
    assert "What real student code gets wrong here" in doc
    assert any("\u4e00" <= ch <= "\u9fff" for ch in doc), "the original Chinese text is quoted"
    public = [
        v
        for k, v in vars(module).items()
        if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    assert public
    for fn in public:
        assert fn.__doc__ and "Example" in fn.__doc__ and ">>>" in fn.__doc__, fn.__name__
        assert "return" in fn.__annotations__, f"{fn.__name__} has no return type hint"


def test_points_add_up_to_100():
    points = [int(re.search(r"\((\d+) points\)", m.__doc__.splitlines()[0]).group(1)) for m in MODULES]
    assert points == [50, 20, 30] and sum(points) == 100


def test_stubs_import_and_keep_the_given_helpers(tmp_path, monkeypatch):
    """The released stubs (every marked body → raise NotImplementedError) import with NumPy alone, the graded
    functions raise NotImplementedError and p3's given surface helpers still work."""
    from autograder.release import make_stub  # here, so that the engine's imports concern this test only

    for module in MODULES:
        path = Path(module.__file__)
        (tmp_path / path.name).write_text(make_stub(path.read_text(encoding="utf-8"), path.name), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    stubs = {}
    for module in MODULES:
        name = Path(module.__file__).stem
        spec = importlib.util.spec_from_file_location(f"hw2_stub_{name}", tmp_path / f"{name}.py")
        stubs[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stubs[name])
    for fn, args in [
        (stubs["p1_optimizers"].adam_step, (np.zeros(1), np.ones(1), {})),
        (stubs["p2_schedules"].lr_warmup, (0, 0.1, 5)),
        (stubs["p3_training"].run_optimizer, (p1.sgd_step, p3.quadratic_grad, np.zeros(2), 1)),
    ]:
        with pytest.raises(NotImplementedError):
            fn(*args)
    s3 = stubs["p3_training"]
    np.testing.assert_array_equal(s3.quadratic_grad(np.array(s3.THETA0)), [-3.0, 60.0])
    runs = s3.surface_experiments(p1.sgd_step, p1.adagrad_step, run=p3.run_optimizer)
    assert s3.oscillates(runs["gd"]) and s3.blows_up(runs["adagrad"])
