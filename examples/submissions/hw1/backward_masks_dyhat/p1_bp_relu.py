# BUG: backward masks the upstream gradient in place (dyhat[z <= 0] = 0): values right, but the caller's dyhat
# is modified wherever an output pre-activation is not positive (code of this kind is found in public repositories)
"""hw1 p1 -- one BP update of a ReLU network (vectorized submission).

Batch layout: x is (N, d), Z = A @ W.T + b. The cache is a list with one
tuple (z, a_prev, W) per layer, first layer first.
"""
import numpy as np


def relu(z):
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_grad(z):
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def forward(params, x):
    a = np.asarray(x, dtype=np.float64)
    L = sum(1 for key in params if key.startswith("W"))
    cache = []
    for l in range(1, L + 1):
        W = np.asarray(params[f"W{l}"], dtype=np.float64)
        b = np.asarray(params[f"b{l}"], dtype=np.float64)
        z = a @ W.T + b
        cache.append((z, a, W))
        a = relu(z)
    return a, cache


def squared_loss(yhat, y):
    yhat = np.asarray(yhat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(yhat.shape)
    r = yhat - y
    return float(0.5 * np.sum(r * r)), r


def backward(dyhat, cache):
    grads = {}
    dyhat[cache[-1][0] <= 0] = 0  # mask the upstream gradient where the output unit is inactive
    delta = dyhat
    for l in range(len(cache), 0, -1):
        z, a_prev, W = cache[l - 1]
        grads[f"W{l}"] = delta.T @ a_prev
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            delta = (delta @ W) * relu_grad(cache[l - 2][0])
    return grads


def sgd_update(params, grads, lr):
    return {k: np.asarray(v, dtype=np.float64) - lr * np.asarray(grads[k], dtype=np.float64)
            for k, v in params.items()}


def bp_step(params, x, y, lr=1.0):
    yhat0, cache = forward(params, x)
    loss0, dyhat = squared_loss(yhat0, y)
    new_params = sgd_update(params, backward(dyhat, cache), lr)
    yhat1, _ = forward(new_params, x)
    loss1, _ = squared_loss(yhat1, y)
    return {"params": new_params, "yhat_before": yhat0, "yhat_after": yhat1,
            "loss_before": loss0, "loss_after": loss1, "loss_decreased": bool(loss1 < loss0)}
