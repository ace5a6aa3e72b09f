"""hw4 p1 -- batch normalization (loop-based student submission).

Every feature column is handled on its own with Python loops. The cache is a
tuple whose first entry says which mode made it:
    ("train", z, mu, var, gamma, eps)   or   ("test", z, running_mean, running_var, gamma, eps)
The training backward pass goes through the computational graph step by step
(dxhat -> dvar -> dmu -> dz) instead of using the compact formula.
"""
import math

import numpy as np


def batchnorm_forward(z, gamma, beta, state, train, p=0.9, eps=1e-5):
    N, D = z.shape
    running_mean = state["running_mean"] if "running_mean" in state else np.zeros(D)
    running_var = state["running_var"] if "running_var" in state else np.ones(D)
    out = np.zeros((N, D))
    new_state = {}
    for key in state:
        new_state[key] = state[key]
    if train:
        mu = np.zeros(D)
        var = np.zeros(D)
        for j in range(D):
            total = 0.0
            for i in range(N):
                total += z[i, j]
            mu[j] = total / N
            sq = 0.0
            for i in range(N):
                sq += (z[i, j] - mu[j]) ** 2
            var[j] = sq / N
        new_mean = np.zeros(D)
        new_var = np.zeros(D)
        for j in range(D):
            new_mean[j] = p * running_mean[j] + (1 - p) * mu[j]
            new_var[j] = p * running_var[j] + (1 - p) * var[j]
        new_state["running_mean"] = new_mean
        new_state["running_var"] = new_var
        cache = ("train", z.copy(), mu, var, gamma.copy(), eps)
    else:
        mu = np.array(running_mean, dtype=np.float64)
        var = np.array(running_var, dtype=np.float64)
        cache = ("test", z.copy(), mu, var, gamma.copy(), eps)
    for j in range(D):
        s = math.sqrt(var[j] + eps)
        for i in range(N):
            out[i, j] = gamma[j] * (z[i, j] - mu[j]) / s + beta[j]
    return out, cache, new_state


def batchnorm_backward(dout, cache):
    mode, z, mu, var, gamma, eps = cache
    N, D = z.shape
    dz = np.zeros((N, D))
    dgamma = np.zeros(D)
    dbeta = np.zeros(D)
    for j in range(D):
        s = math.sqrt(var[j] + eps)
        xhat = [(z[i, j] - mu[j]) / s for i in range(N)]
        for i in range(N):
            dbeta[j] += dout[i, j]
            dgamma[j] += dout[i, j] * xhat[i]
        dxhat = [dout[i, j] * gamma[j] for i in range(N)]
        if mode == "test":
            for i in range(N):
                dz[i, j] = dxhat[i] / s
            continue
        # xhat_i = (z_i - mu) * (var + eps)^(-1/2)
        dvar = 0.0
        for i in range(N):
            dvar += dxhat[i] * (z[i, j] - mu[j]) * -0.5 * (var[j] + eps) ** -1.5
        dmu = 0.0
        for i in range(N):
            dmu += -dxhat[i] / s
        for i in range(N):
            dmu += dvar * -2.0 * (z[i, j] - mu[j]) / N
        for i in range(N):
            dz[i, j] = dxhat[i] / s + dvar * 2.0 * (z[i, j] - mu[j]) / N + dmu / N
    return dz, dgamma, dbeta
