"""hw5 p2 -- the losses of the text and their gradients (loop-based submission).

Everything is a loop over the flattened elements. Conventions used:
r = yhat - y; MSE is the mean (no 1/2), everything else is a sum;
terms of KL and cross entropy with y == 0 are skipped (0 log 0 = 0) and
their gradient entries stay 0.
"""
import math

import numpy as np


def _pairs(yhat, y):
    yhat = np.asarray(yhat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if yhat.shape != y.shape:
        raise ValueError("yhat and y must have the same shape")
    return yhat, y, list(zip(yhat.reshape(-1).tolist(), y.reshape(-1).tolist()))


def _grad(yhat, pairs, fn):
    out = np.zeros(yhat.shape, dtype=np.float64)
    flat = out.reshape(-1)
    for k, (p, t) in enumerate(pairs):
        flat[k] = fn(p, t)
    return out


def _sign(v):
    if v > 0:
        return 1.0
    if v < 0:
        return -1.0
    return 0.0


def mse(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        total += (t - p) ** 2
    return total / len(pairs)


def mse_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    n = len(pairs)
    return _grad(yhat, pairs, lambda p, t: 2.0 * (p - t) / n)


def l1(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        total += abs(t - p)
    return total


def l1_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: _sign(p - t))


def smooth_l1(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        r = abs(p - t)
        if r < 1.0:
            total += 0.5 * r * r
        else:
            total += r - 0.5
    return total


def smooth_l1_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: (p - t) if abs(p - t) < 1.0 else _sign(p - t))


def huber(yhat, y, delta=1.0):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        r = abs(p - t)
        if r <= delta:
            total += 0.5 * r * r
        else:
            total += delta * r - 0.5 * delta * delta
    return total


def huber_grad(yhat, y, delta=1.0):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: (p - t) if abs(p - t) <= delta else delta * _sign(p - t))


def kl_div(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        if t != 0.0:
            total += t * math.log(t / p)
    return total


def kl_div_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: -t / p if t != 0.0 else 0.0)


def cross_entropy(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        if t != 0.0:
            total -= t * math.log(p)
    return total


def cross_entropy_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: -t / p if t != 0.0 else 0.0)


def binary_cross_entropy(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    total = 0.0
    for p, t in pairs:
        total -= t * math.log(p) + (1.0 - t) * math.log(1.0 - p)
    return total


def binary_cross_entropy_grad(yhat, y):
    yhat, y, pairs = _pairs(yhat, y)
    return _grad(yhat, pairs, lambda p, t: -t / p + (1.0 - t) / (1.0 - p))
