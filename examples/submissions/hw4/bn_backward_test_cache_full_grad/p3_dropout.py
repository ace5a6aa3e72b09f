"""hw4 p3 -- dropout (vectorized student submission).

Dropout is linear in x, out = m * x, so the cache is just the multiplier m
(an array in training, a number at test time) and the backward pass is
dx = m * dout for both forms.
"""
import numpy as np


def _keep(x, p_keep, rng):
    return (rng.random(x.shape) < p_keep).astype(x.dtype)


def dropout_forward(x, p_keep, train, rng):
    m = _keep(x, p_keep, rng) if train else p_keep
    return x * m, m


def inverted_dropout_forward(x, p_keep, train, rng):
    m = _keep(x, p_keep, rng) / p_keep if train else 1.0
    return x * m, m


def dropout_backward(dout, cache):
    return dout * cache
