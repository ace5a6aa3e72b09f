"""hw1 p1 -- one BP update of a ReLU network (loop-based student submission).

Everything is done one sample at a time with explicit Python loops; the
backward pass is the delta recursion
    delta^L = (yhat - y) * relu'(z^L)
    delta^l = (W^{l+1})^T delta^{l+1} * relu'(z^l)
    dW^l    = sum over samples of delta^l (a^{l-1})^T,  db^l = sum of delta^l
"""
import numpy as np


def _num_layers(params):
    L = 0
    while ("W%d" % (L + 1)) in params:
        L += 1
    return L


def relu(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.zeros(z.shape, dtype=np.float64)
    flat_in = z.reshape(-1)
    flat_out = out.reshape(-1)
    for k in range(flat_in.size):
        v = flat_in[k]
        if v > 0:
            flat_out[k] = v
    return out


def relu_grad(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.zeros(z.shape, dtype=np.float64)
    flat_in = z.reshape(-1)
    flat_out = out.reshape(-1)
    for k in range(flat_in.size):
        if flat_in[k] > 0:
            flat_out[k] = 1.0
    return out


def forward(params, x):
    x = np.asarray(x, dtype=np.float64)
    L = _num_layers(params)
    Ws = [np.asarray(params["W%d" % l], dtype=np.float64) for l in range(1, L + 1)]
    bs = [np.asarray(params["b%d" % l], dtype=np.float64) for l in range(1, L + 1)]
    N = x.shape[0]
    activations = [x.copy()]          # a^0 .. a^L, each (N, n_l)
    preacts = []                      # z^1 .. z^L
    for l in range(L):
        W, b = Ws[l], bs[l]
        a_prev = activations[-1]
        z = np.zeros((N, W.shape[0]))
        for s in range(N):
            z[s] = W @ a_prev[s] + b
        preacts.append(z)
        activations.append(relu(z))
    cache = {"Ws": Ws, "activations": activations, "preacts": preacts}
    return activations[-1].copy(), cache


def squared_loss(yhat, y):
    yhat = np.asarray(yhat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(yhat.shape)
    loss = 0.0
    dyhat = np.zeros(yhat.shape)
    for idx in np.ndindex(*yhat.shape):
        diff = yhat[idx] - y[idx]
        loss += 0.5 * diff * diff
        dyhat[idx] = diff
    return float(loss), dyhat


def backward(dyhat, cache):
    dyhat = np.asarray(dyhat, dtype=np.float64)
    Ws = cache["Ws"]
    acts = cache["activations"]
    zs = cache["preacts"]
    L = len(Ws)
    grads = {}
    for l in range(1, L + 1):
        grads["W%d" % l] = np.zeros(Ws[l - 1].shape)
        grads["b%d" % l] = np.zeros(Ws[l - 1].shape[0])
    N = dyhat.shape[0]
    for s in range(N):
        delta = dyhat[s] * relu_grad(zs[L - 1][s])
        for l in range(L, 0, -1):
            grads["W%d" % l] += np.outer(delta, acts[l - 1][s])
            grads["b%d" % l] += delta
            if l > 1:
                delta = (Ws[l - 1].T @ delta) * relu_grad(zs[l - 2][s])
    return grads


def sgd_update(params, grads, lr):
    new_params = {}
    for key in params:
        p = np.asarray(params[key], dtype=np.float64)
        g = np.asarray(grads[key], dtype=np.float64)
        new_params[key] = p - lr * g
    return new_params


def bp_step(params, x, y, lr=1.0):
    yhat_before, cache = forward(params, x)
    loss_before, dyhat = squared_loss(yhat_before, y)
    grads = backward(dyhat, cache)
    new_params = sgd_update(params, grads, lr)
    yhat_after, _ = forward(new_params, x)
    loss_after, _ = squared_loss(yhat_after, y)
    return {
        "params": new_params,
        "yhat_before": yhat_before,
        "yhat_after": yhat_after,
        "loss_before": loss_before,
        "loss_after": loss_after,
        "loss_decreased": bool(loss_after < loss_before),
    }
