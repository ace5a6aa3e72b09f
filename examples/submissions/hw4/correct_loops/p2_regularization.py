"""hw4 p2 -- L2 regularization and weight decay (loop-based student submission).

Weights are the entries whose name starts with W or w; everything else is a
bias and is left alone.
"""
import numpy as np


def _is_weight(name):
    return name[0] == "W" or name[0] == "w"


def l2_penalty(params, lam):
    total = 0.0
    for name in params:
        if not _is_weight(name):
            continue
        for v in np.asarray(params[name]).ravel():
            total += float(v) * float(v)
    return 0.5 * lam * total


def l2_grad(params, grads, lam):
    out = {}
    for name in grads:
        g = np.array(grads[name], dtype=np.float64)
        if _is_weight(name):
            w = np.asarray(params[name]).reshape(-1)
            flat = g.reshape(-1)
            for k in range(flat.size):
                flat[k] += lam * w[k]
        out[name] = g
    return out


def weight_decay_step(w, g, lr, lam):
    w = np.asarray(w, dtype=np.float64)
    out = np.zeros(w.shape)
    wf, gf, of = w.reshape(-1), np.asarray(g).reshape(-1), out.reshape(-1)
    for k in range(wf.size):
        of[k] = (1 - lr * lam) * wf[k] - lr * gf[k]
    return out
