# BUG: training normalizes by (and averages) the unbiased variance z.var(axis=0, ddof=1) instead of the biased one
"""hw4 p1 -- batch normalization (vectorized student submission).

The cache is a dict: {"mode", "xhat", "gamma", "inv_std"}; the training
backward pass uses the compact formula
    dz = gamma * inv_std / N * (N * dout - sum(dout) - xhat * sum(dout * xhat))
"""
import numpy as np


def batchnorm_forward(z, gamma, beta, state, train, p=0.9, eps=1e-5):
    D = z.shape[1]
    new_state = dict(state)
    if train:
        mu = z.mean(axis=0)
        var = z.var(axis=0, ddof=1)
        new_state["running_mean"] = p * state.get("running_mean", np.zeros(D)) + (1 - p) * mu
        new_state["running_var"] = p * state.get("running_var", np.ones(D)) + (1 - p) * var
    else:
        mu = state.get("running_mean", np.zeros(D))
        var = state.get("running_var", np.ones(D))
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (z - mu) * inv_std
    out = gamma * xhat + beta
    cache = {"mode": "train" if train else "test", "xhat": xhat, "gamma": gamma, "inv_std": inv_std}
    return out, cache, new_state


def batchnorm_backward(dout, cache):
    xhat, gamma, inv_std = cache["xhat"], cache["gamma"], cache["inv_std"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    if cache["mode"] == "test":
        dz = dout * gamma * inv_std
    else:
        dz = gamma * inv_std / N * (N * dout - dbeta - xhat * dgamma)
    return dz, dgamma, dbeta
