# BUG: AdaGrad divides by the root of the SUM of squared gradients (library AdaGrad), not of their mean
"""hw2 p1 -- optimizer steps (vectorized submission).

Every step is pure: it builds new arrays and a new state dict and never writes
into theta, g, state or the arrays inside state.
"""
import numpy as np


def sgd_step(theta, g, state, lr):
    return theta - lr * g, {}


def momentum_step(theta, g, state, lr, lam=0.9):
    m = lam * state.get("m", 0.0) - lr * g  # m_0 = 0
    return theta + m, {"m": m}


def adagrad_step(theta, g, state, lr, eps=1e-8):
    G = state.get("G", 0.0) + g**2          # running sum of squared gradients
    n = state.get("n", 0) + 1               # number of gradients in G (t + 1)
    sigma = np.sqrt(G)                      # root of the sum
    return theta - lr * g / (sigma + eps), {"G": G, "n": n}


def rmsprop_step(theta, g, state, lr, alpha=0.9, eps=1e-8):
    if "s" in state:
        s = np.sqrt(alpha * state["s"] ** 2 + (1 - alpha) * g**2)
    else:
        s = np.abs(g)                       # sigma_0 = |g_0|
    return theta - lr * g / (s + eps), {"s": s}


def adam_step(theta, g, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = beta2 * state.get("v", 0.0) + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}
