"""Fuzzing the reference conv/pool layers (solutions/hw1/p4, p5) against naive implementations.

The naive versions below are plain Python loops over every output position, written straight from the
formulas of the assignment's contract (``../shared/spec/HW1.md`` and the docstrings), sharing no code with
the reference: the padded input is read through a function that returns 0 outside ``x``, never built.
Hypothesis draws the geometry (N, C, F, H, W, rectangular KH×KW kernels, stride, pad, pool size k and
stride, including K = 1, N = 1, C = 1, strides that do not divide, stride > k) and the values: either
small integers (exact arithmetic and, for max pooling, many tied maxima) or normal floats. Backward passes
are compared with the naive backward and spot-checked with central differences of the forward pass.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solutions.hw1.p4_conv_backprop import conv2d_backward, conv2d_forward, conv_error_term
from solutions.hw1.p5_pool_backprop import avgpool_backward, avgpool_forward, maxpool_backward, maxpool_forward

FUZZ = settings(max_examples=100, deadline=None, derandomize=True)  # deterministic in CI, as test_wire.py


# -- naive implementations, from the formulas ------------------------------------------------------------


def padded(x, pad):
    """xpad[n, c, r, q]: x shifted by ``pad``, zero outside (a function, not an array)."""
    H, W = x.shape[2], x.shape[3]

    def at(n, c, r, q):
        h, k = r - pad, q - pad
        return float(x[n, c, h, k]) if 0 <= h < H and 0 <= k < W else 0.0

    return at


def naive_conv_forward(x, w, b, stride, pad):
    """out[n, f, i, j] = b[f] + Σ_c Σ_u Σ_v w[f, c, u, v] · xpad[n, c, stride·i + u, stride·j + v]."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    Ho, Wo = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    xpad = padded(x, pad)
    out = np.zeros((N, F, Ho, Wo))
    for n, f, i, j in itertools.product(range(N), range(F), range(Ho), range(Wo)):
        total = float(b[f])
        for c, u, v in itertools.product(range(C), range(KH), range(KW)):
            total += float(w[f, c, u, v]) * xpad(n, c, stride * i + u, stride * j + v)
        out[n, f, i, j] = total
    return out


def naive_conv_backward(dout, x, w, stride, pad):
    """dx[n, c, h, k] = Σ over (f, i, j, u, v) with stride·i + u − pad = h and stride·j + v − pad = k of
    dout[n, f, i, j] · w[f, c, u, v]; dw[f, c, u, v] = Σ_n Σ_i Σ_j dout[n, f, i, j] · xpad[...];
    db[f] = Σ_n Σ_i Σ_j dout[n, f, i, j]."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, Ho, Wo = dout.shape
    xpad = padded(x, pad)
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(F)
    for n, f, i, j in itertools.product(range(N), range(F), range(Ho), range(Wo)):
        g = float(dout[n, f, i, j])
        db[f] += g
        for c, u, v in itertools.product(range(C), range(KH), range(KW)):
            h, k = stride * i + u - pad, stride * j + v - pad
            if 0 <= h < H and 0 <= k < W:
                dx[n, c, h, k] += g * float(w[f, c, u, v])
            dw[f, c, u, v] += g * xpad(n, c, stride * i + u, stride * j + v)
    return dx, dw, db


def naive_error_term(delta_next, w_next, z, f_prime):
    """δ_ij = f'(z_ij) · Σ_u Σ_v w_next[u, v] · delta_next[i − u, j − v], terms outside delta_next 0."""
    H, W = z.shape
    K = w_next.shape[0]
    Ho, Wo = delta_next.shape
    fp = f_prime(z)
    delta = np.zeros((H, W))
    for i, j in itertools.product(range(H), range(W)):
        total = 0.0
        for u, v in itertools.product(range(K), range(K)):
            if 0 <= i - u < Ho and 0 <= j - v < Wo:
                total += float(w_next[u, v]) * float(delta_next[i - u, j - v])
        delta[i, j] = float(fp[i, j]) * total
    return delta


def pool_windows(x, k, stride):
    """(n, c, i, j, [(row, column) of the window's inputs in row-major order]) for every window."""
    N, C, H, W = x.shape
    s = k if stride is None else stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    for n, c, i, j in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        yield n, c, i, j, [(s * i + p, s * j + q) for p in range(k) for q in range(k)]


def pool_out_shape(x, k, stride):
    s = k if stride is None else stride
    return (x.shape[0], x.shape[1], (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1)


def naive_maxpool(x, dout, k, stride):
    """out = the window's max; dx: dout of each window to its FIRST maximum (row-major), overlaps summed."""
    out, dx = np.zeros(pool_out_shape(x, k, stride)), np.zeros(x.shape)
    for n, c, i, j, cells in pool_windows(x, k, stride):
        best = cells[0]
        for r, q in cells[1:]:
            if x[n, c, r, q] > x[n, c, best[0], best[1]]:  # strictly greater: a tie keeps the first
                best = (r, q)
        out[n, c, i, j] = x[n, c, best[0], best[1]]
        if dout is not None:
            dx[n, c, best[0], best[1]] += dout[n, c, i, j]
    return out, dx


def naive_avgpool(x, dout, k, stride):
    """out = the window's mean; dx: dout/(k·k) to each of the window's k·k inputs, overlaps summed."""
    out, dx = np.zeros(pool_out_shape(x, k, stride)), np.zeros(x.shape)
    for n, c, i, j, cells in pool_windows(x, k, stride):
        out[n, c, i, j] = sum(float(x[n, c, r, q]) for r, q in cells) / (k * k)
        if dout is not None:
            for r, q in cells:
                dx[n, c, r, q] += dout[n, c, i, j] / (k * k)
    return out, dx


# -- strategies ------------------------------------------------------------------------------------------


def values(rng: np.random.Generator, shape, integers: bool) -> np.ndarray:
    if integers:  # exact sums and products; small range: many ties
        return rng.integers(-3, 4, size=shape).astype(np.float64)
    return rng.standard_normal(shape)


@st.composite
def conv_cases(draw):
    N, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    pad = draw(st.integers(0, 2))
    KH = draw(st.integers(1, min(5, H + 2 * pad)))
    KW = draw(st.integers(1, min(5, W + 2 * pad)))
    stride = draw(st.integers(1, 4))
    return (N, C, F, H, W, KH, KW, stride, pad), draw(st.booleans()), draw(st.integers(0, 2**32 - 1))


@st.composite
def pool_cases(draw):
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    H, W = draw(st.integers(k, 9)), draw(st.integers(k, 9))
    stride = draw(st.none() | st.integers(1, 5))
    return (N, C, H, W, k, stride), draw(st.booleans()), draw(st.integers(0, 2**32 - 1))


def close(got, want, integers: bool) -> None:
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == np.float64
    if integers:
        np.testing.assert_array_equal(got, want)  # integer-valued float64: exact in any summation order
    else:
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


def central_difference(f, a: np.ndarray, index: tuple, h: float) -> float:
    plus, minus = a.copy(), a.copy()
    plus[index] += h
    minus[index] -= h
    return (f(plus) - f(minus)) / (2 * h)


# -- convolution -----------------------------------------------------------------------------------------


@FUZZ
@given(conv_cases())
@example(((1, 1, 1, 1, 1, 1, 1, 1, 0), True, 0))  # everything 1
@example(((2, 3, 2, 7, 5, 1, 1, 3, 0), False, 1))  # K = 1, a stride that divides neither side
@example(((1, 2, 3, 5, 6, 3, 2, 2, 2), True, 2))  # rectangular kernel, pad > 0, stride 2
@example(((1, 1, 1, 2, 2, 5, 5, 1, 2), False, 3))  # kernel as large as the padded input
@example(((2, 1, 1, 6, 7, 2, 3, 4, 1), True, 4))  # stride > kernel: some inputs are never read
def test_conv_forward_and_backward_match_the_naive_loops(case):
    (N, C, F, H, W, KH, KW, stride, pad), integers, seed = case
    rng = np.random.default_rng(seed)
    x, w, b = values(rng, (N, C, H, W), integers), values(rng, (F, C, KH, KW), integers), values(rng, F, integers)
    originals = [a.copy() for a in (x, w, b)]
    out, cache = conv2d_forward(x, w, b, stride=stride, pad=pad)
    want = naive_conv_forward(x, w, b, stride, pad)
    assert want.shape == (N, F, (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1)
    close(out, want, integers)

    dout = values(rng, want.shape, integers)
    dout_copy = dout.copy()
    dx, dw, db = conv2d_backward(dout, cache)
    for got, expected in zip((dx, dw, db), naive_conv_backward(dout, x, w, stride, pad), strict=True):
        close(got, expected, integers)
    for a, original in zip((x, w, b, dout), (*originals, dout_copy), strict=True):
        np.testing.assert_array_equal(a, original)  # no input modified in place


@settings(max_examples=60, deadline=None, derandomize=True)
@given(conv_cases(), st.data())
def test_conv_backward_agrees_with_central_differences(case, data):
    """f(θ) = Σ dout ⊙ forward(θ) is linear in each of x, w, b: its central differences are exact up to
    rounding, at any coordinate, whatever h."""
    (N, C, F, H, W, KH, KW, stride, pad), _, seed = case
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, KH, KW)), rng.standard_normal(F)
    out, cache = conv2d_forward(x, w, b, stride=stride, pad=pad)
    dout = rng.standard_normal(np.shape(out))
    grads = dict(zip("xwb", conv2d_backward(dout, cache), strict=True))
    params = {"x": x, "w": w, "b": b}
    for name in "xwb":
        a = params[name]
        index = tuple(data.draw(st.integers(0, d - 1), label=f"{name} index") for d in a.shape)

        def f(value, name=name):
            args = {**params, name: value}
            return float(np.sum(dout * conv2d_forward(args["x"], args["w"], args["b"], stride=stride, pad=pad)[0]))

        numeric = central_difference(f, a, index, 1e-3)
        assert abs(numeric - grads[name][index]) <= 1e-8 * (1 + abs(numeric)), (name, index)


@FUZZ
@given(
    st.integers(1, 4),
    st.integers(0, 5),
    st.integers(0, 5),
    st.sampled_from(["one", "relu", "tanh"]),
    st.integers(0, 2**32 - 1),
)
@example(1, 0, 0, "one", 0)  # K = 1 on a 1×1 layer
@example(3, 0, 4, "relu", 1)  # a single row of delta_next
def test_conv_error_term_matches_the_naive_recursion(K, extra_h, extra_w, activation, seed):
    H, W = K + extra_h, K + extra_w  # delta_next is (H − K + 1, W − K + 1)
    rng = np.random.default_rng(seed)
    f_prime = {
        "one": lambda z: np.ones_like(z),
        "relu": lambda z: (z > 0).astype(np.float64),
        "tanh": lambda z: 1 - np.tanh(z) ** 2,
    }[activation]
    delta_next, w_next, z = (
        rng.standard_normal((H - K + 1, W - K + 1)),
        rng.standard_normal((K, K)),
        rng.standard_normal((H, W)),
    )
    got = conv_error_term(delta_next, w_next, z, f_prime)
    close(got, naive_error_term(delta_next, w_next, z, f_prime), integers=False)
    # the recursion is the chain rule through z_next = conv(f(z), w_next) (stride 1, no padding)
    out, cache = conv2d_forward(z[None, None], w_next[None, None], np.zeros(1))
    dx, _, _ = conv2d_backward(delta_next[None, None], cache)
    np.testing.assert_allclose(got, f_prime(z) * dx[0, 0], rtol=1e-11, atol=1e-11)


# -- pooling ---------------------------------------------------------------------------------------------


@FUZZ
@given(pool_cases())
@example(((1, 1, 1, 1, 1, None), True, 0))  # k = 1: the identity
@example(((2, 1, 4, 4, 2, None), True, 1))  # stride defaults to k
@example(((1, 2, 5, 7, 3, 1), True, 2))  # overlapping windows, many ties
@example(((1, 1, 7, 6, 2, 3), False, 3))  # stride > k: inputs left out; stride divides neither side
@example(((3, 3, 4, 9, 4, 2), True, 4))  # a window as tall as the input
def test_maxpool_forward_and_backward_match_the_naive_loops(case):
    (N, C, H, W, k, stride), integers, seed = case
    rng = np.random.default_rng(seed)
    x = values(rng, (N, C, H, W), integers)
    x_copy = x.copy()
    out, cache = maxpool_forward(x, k=k, stride=stride)
    dout = values(rng, pool_out_shape(x, k, stride), integers=False)
    want_out, want_dx = naive_maxpool(x, dout, k, stride)
    close(out, want_out, integers=True)  # a max is one of the inputs: exact
    dx = maxpool_backward(dout, cache)
    close(dx, want_dx, integers=False)
    np.testing.assert_array_equal(x, x_copy)


@FUZZ
@given(pool_cases())
@example(((1, 1, 1, 1, 1, None), False, 0))
@example(((1, 1, 3, 3, 2, 1), True, 1))  # the docstring's overlapping example
@example(((2, 2, 8, 5, 3, 4), False, 2))  # stride > k
def test_avgpool_forward_and_backward_match_the_naive_loops(case):
    (N, C, H, W, k, stride), integers, seed = case
    rng = np.random.default_rng(seed)
    x = values(rng, (N, C, H, W), integers)
    out, cache = avgpool_forward(x, k=k, stride=stride)
    dout = values(rng, pool_out_shape(x, k, stride), integers)
    want_out, want_dx = naive_avgpool(x, dout, k, stride)
    close(out, want_out, integers=False)  # a mean divides: not exact even for integers
    close(avgpool_backward(dout, cache), want_dx, integers=False)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pool_cases(), st.sampled_from(["max", "avg"]), st.data())
def test_pool_backward_agrees_with_central_differences(case, kind, data):
    """Inputs are distinct values at least 0.5 apart, so a step of h = 1e-3 never changes a window's arg
    max: both poolings are linear around x and the central differences are exact up to rounding."""
    (N, C, H, W, k, stride), _, seed = case
    rng = np.random.default_rng(seed)
    x = (rng.permutation(N * C * H * W).reshape(N, C, H, W) - N * C * H * W / 2) * 0.5
    forward, backward = (maxpool_forward, maxpool_backward) if kind == "max" else (avgpool_forward, avgpool_backward)
    out, cache = forward(x, k=k, stride=stride)
    dout = rng.standard_normal(np.shape(out))
    dx = backward(dout, cache)
    for _ in range(3):
        index = tuple(data.draw(st.integers(0, d - 1), label="x index") for d in x.shape)
        numeric = central_difference(lambda v: float(np.sum(dout * forward(v, k=k, stride=stride)[0])), x, index, 1e-3)
        assert abs(numeric - dx[index]) <= 1e-8 * (1 + abs(numeric)), index
