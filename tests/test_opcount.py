"""The hw1 p3 reference counts equal the operations measured by running the computation."""

import itertools

import numpy as np
import pytest
import sympy as sp

from solutions.hw1 import p3_flops as ref
from source_lib import opcount

n_sym, L_sym = sp.symbols("n L", positive=True, integer=True)
NS = [1, 2, 3, 5, 8]
LS = [1, 2, 3, 4]


def _at(expr, n, L=None):
    subs = {n_sym: n} if L is None else {n_sym: n, L_sym: L}
    value = sp.sympify(expr).subs(subs)
    assert value.is_Integer, value
    return int(value)


@pytest.mark.parametrize("n", NS)
def test_forward_layer_ops_equal_measured(n):
    measured = opcount.count_forward_layer(n)
    ops = ref.forward_layer_ops(n_sym)
    assert set(ops) == {"mul", "add"}
    assert _at(ops["mul"], n) == measured["mul"]
    assert _at(ops["add"], n) == measured["add"]


@pytest.mark.parametrize("n, L", list(itertools.product(NS, LS)))
def test_forward_total_equals_measured(n, L):
    measured = opcount.count_forward(n, L)
    assert _at(ref.forward_total_mul(n_sym, L_sym), n, L) == measured["mul"]
    # the whole forward pass is L identical layers
    assert measured["add"] == L * _at(ref.forward_layer_ops(n_sym)["add"], n)


@pytest.mark.parametrize("n", NS)
def test_backward_hidden_layer_equals_measured(n):
    assert _at(ref.backward_layer_mul(n_sym), n) == opcount.count_backward_hidden_layer(n)["mul"]


@pytest.mark.parametrize("n, L", list(itertools.product(NS, LS)))
def test_backward_total_equals_measured(n, L):
    measured = opcount.count_backward(n, L)
    assert _at(ref.backward_total_mul(n_sym, L_sym), n, L) == measured["mul"]
    # output layer + (L - 1) hidden layers, each measured on its own
    out_layer = opcount.count_backward_output_layer(n)["mul"]
    assert measured["mul"] == out_layer + (L - 1) * opcount.count_backward_hidden_layer(n)["mul"]


@pytest.mark.parametrize("n, L", list(itertools.product(NS, LS)))
def test_update_total_equals_measured(n, L):
    assert _at(ref.update_total_mul(n_sym, L_sym), n, L) == opcount.count_update(n, L)["mul"]


def test_closed_forms():
    # the exact counts stated in the p3 docstring
    n, L = n_sym, L_sym
    assert sp.expand(ref.forward_layer_ops(n)["mul"] - n**2) == 0
    assert sp.expand(ref.forward_layer_ops(n)["add"] - n**2) == 0
    assert sp.expand(ref.forward_total_mul(n, L) - L * n**2) == 0
    assert sp.expand(ref.backward_layer_mul(n) - (2 * n**2 + 2 * n)) == 0
    assert sp.expand(ref.backward_total_mul(n, L) - ((2 * L - 1) * n**2 + 2 * L * n)) == 0
    assert sp.expand(ref.update_total_mul(n, L) - L * (n**2 + n)) == 0


def test_counted_float_counts_each_operation():
    c = opcount.Counter()
    a, b = opcount.CountedFloat(3.0, c), opcount.CountedFloat(2.0, c)
    r = (a + b) * (a - b) / b + 1.0 - (2.0 * a) + (1.0 - b) + (4.0 / a)
    assert r.value == pytest.approx((3 + 2) * (3 - 2) / 2 + 1 - 6 + (1 - 2) + 4 / 3)
    assert (c.add, c.mul) == (7, 4)
    _ = -a
    assert c.neg == 1 and (c.add, c.mul) == (7, 4)


# --- the counted computation is the real computation -------------------------------------------------


def _numpy_network(n, L, seed=0):
    Ws, bs, x, y = opcount.make_network(n, L, seed)
    return [np.array(W) for W in Ws], [np.array(b) for b in bs], np.array(x), np.array(y)


def _np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("n, L", [(1, 1), (3, 2), (4, 3)])
def test_counted_forward_matches_numpy(n, L):
    Ws, bs, x, _ = opcount.make_network(n, L)
    acts = opcount.forward(Ws, bs, x, opcount.Counter())
    Wn, bn, a, _ = _numpy_network(n, L)
    for l in range(L):
        a = _np_sigmoid(Wn[l] @ a + bn[l])
        np.testing.assert_allclose([v.value for v in acts[l + 1]], a, rtol=1e-12)


@pytest.mark.parametrize("n, L", [(1, 1), (3, 2), (4, 3)])
def test_counted_backward_and_update_match_numpy(n, L):
    Ws, bs, x, y = opcount.make_network(n, L)
    counter = opcount.Counter()
    acts = opcount.forward(Ws, bs, x, counter)
    dWs, dbs = opcount.backward(Ws, acts, y, counter)
    new_Ws, new_bs = opcount.sgd_update(Ws, bs, dWs, dbs, 0.1, counter)

    Wn, bn, xn, yn = _numpy_network(n, L)
    A = [xn]
    for l in range(L):
        A.append(_np_sigmoid(Wn[l] @ A[-1] + bn[l]))
    delta = (A[L] - yn) * A[L] * (1 - A[L])
    for l in range(L, 0, -1):
        np.testing.assert_allclose([[v.value for v in row] for row in dWs[l - 1]], np.outer(delta, A[l - 1]))
        np.testing.assert_allclose([v.value for v in dbs[l - 1]], delta)
        np.testing.assert_allclose(
            [[v.value for v in row] for row in new_Ws[l - 1]], Wn[l - 1] - 0.1 * np.outer(delta, A[l - 1])
        )
        np.testing.assert_allclose([v.value for v in new_bs[l - 1]], bn[l - 1] - 0.1 * delta)
        if l > 1:
            delta = (Wn[l - 1].T @ delta) * A[l - 1] * (1 - A[l - 1])

    # and the gradient is the gradient of ½‖a^L − y‖² (central differences on one weight)
    def loss(W00):
        Wp = [W.copy() for W in Wn]
        Wp[0][0, 0] = W00
        a = xn
        for l in range(L):
            a = _np_sigmoid(Wp[l] @ a + bn[l])
        return 0.5 * np.sum((a - yn) ** 2)

    h = 1e-6
    fd = (loss(Wn[0][0, 0] + h) - loss(Wn[0][0, 0] - h)) / (2 * h)
    assert dWs[0][0][0].value == pytest.approx(fd, rel=1e-5, abs=1e-10)


def test_sigmoids_counted_apart():
    Ws, bs, x, _ = opcount.make_network(3, 2)
    counter = opcount.Counter()
    opcount.forward(Ws, bs, x, counter)
    assert counter.sigmoid == 3 * 2
