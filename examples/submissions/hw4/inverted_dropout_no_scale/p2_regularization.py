"""hw4 p2 -- L2 regularization and weight decay (vectorized student submission)."""
import numpy as np


def _weights(params):
    return [k for k in params if k.startswith(("W", "w"))]


def l2_penalty(params, lam):
    return 0.5 * lam * sum(float(np.vdot(params[k], params[k])) for k in _weights(params))


def l2_grad(params, grads, lam):
    weights = set(_weights(params))
    return {k: grads[k] + lam * params[k] if k in weights else grads[k].copy() for k in grads}


def weight_decay_step(w, g, lr, lam):
    return (1 - lr * lam) * w - lr * g
