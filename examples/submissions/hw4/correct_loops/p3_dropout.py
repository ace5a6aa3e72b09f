"""hw4 p3 -- dropout (loop-based student submission).

The cache is a tuple (form, train, keep, p_keep) where form is "plain" or
"inverted" and keep is the boolean mask (None at test time).
"""
import numpy as np


def _mask(shape, p_keep, rng):
    u = rng.random(shape)
    return u < p_keep


def dropout_forward(x, p_keep, train, rng):
    out = np.zeros(x.shape)
    xf, of = np.asarray(x).reshape(-1), out.reshape(-1)
    if train:
        keep = _mask(x.shape, p_keep, rng)
        kf = keep.reshape(-1)
        for k in range(xf.size):
            if kf[k]:
                of[k] = xf[k]
        return out, ("plain", True, keep, p_keep)
    for k in range(xf.size):
        of[k] = xf[k] * p_keep
    return out, ("plain", False, None, p_keep)


def inverted_dropout_forward(x, p_keep, train, rng):
    out = np.zeros(x.shape)
    xf, of = np.asarray(x).reshape(-1), out.reshape(-1)
    if train:
        keep = _mask(x.shape, p_keep, rng)
        kf = keep.reshape(-1)
        for k in range(xf.size):
            if kf[k]:
                of[k] = xf[k] / p_keep
        return out, ("inverted", True, keep, p_keep)
    for k in range(xf.size):
        of[k] = xf[k]
    return out, ("inverted", False, None, p_keep)


def dropout_backward(dout, cache):
    form, train, keep, p_keep = cache
    dx = np.zeros(dout.shape)
    df, xf = np.asarray(dout).reshape(-1), dx.reshape(-1)
    for k in range(df.size):
        if train:
            if keep.reshape(-1)[k]:
                xf[k] = df[k] / p_keep if form == "inverted" else df[k]
        else:
            xf[k] = df[k] if form == "inverted" else df[k] * p_keep
    return dx
