"""hw1 p2 -- sigma', sigma'' and log-softmax (vectorized submission).

Exponentials are only ever taken of non-positive numbers, and numbers below
-708 are mapped straight to 0, so nothing overflows or even underflows.
"""
import numpy as np
import sympy as sp

_EXP_FLOOR = -708.0


def _exp_nonpos(t):
    """exp(t) for t <= 0 without underflow: exp(t) where t > -708, else 0."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    np.exp(t, out=out, where=t > _EXP_FLOOR)
    return out


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = _exp_nonpos(-np.abs(x))          # e^{-|x|} in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def sigmoid_grad2(x):
    s = sigmoid(x)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(_exp_nonpos(shifted).sum(axis=-1, keepdims=True))


def _softmax(x):
    return _exp_nonpos(log_softmax(x))


def log_softmax_jacobian(x):
    p = _softmax(x)
    C = p.shape[-1]
    return np.eye(C) - p[..., None, :]


def log_softmax_backward(dout, x):
    dout = np.asarray(dout, dtype=np.float64)
    return dout - _softmax(x) * dout.sum(axis=-1, keepdims=True)


def sigmoid_grad_expr(x):
    # sigma(x) = (1 + tanh(x/2)) / 2  =>  sigma'(x) = sech^2(x/2) / 4
    return 1 / (4 * sp.cosh(x / 2) ** 2)


def sigmoid_grad2_expr(x):
    # d/dx [ sech^2(x/2) / 4 ] = -sinh(x/2) / (4 cosh^3(x/2))
    return -sp.sinh(x / 2) / (4 * sp.cosh(x / 2) ** 3)


def log_softmax_grad_expr(xs, i, j):
    return sp.KroneckerDelta(i, j) - 1 / sp.Add(*[sp.exp(xk - xs[j]) for xk in xs])
