"""hw2 p1 -- optimizer steps (loop submission).

Plain NumPy with explicit loops over the entries of theta (np.ndindex), one
scalar update per entry, written from the formulas of the text:
- momentum keeps the previous movement under "velocity";
- AdaGrad keeps the WHOLE gradient history (a list of arrays) and recomputes
  the root mean square of eq. 3.22 from it at every step;
- RMSProp keeps sigma^2 ("square_avg"), set to g_0^2 on the first call;
- Adam uses PyTorch's key names ("step", "exp_avg", "exp_avg_sq").
"""
import math

import numpy as np


def sgd_step(theta, g, state, lr):
    theta = np.asarray(theta, dtype=np.float64)
    new = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        new[i] = theta[i] - lr * g[i]
    return new, dict(state)


def momentum_step(theta, g, state, lr, lam=0.9):
    theta = np.asarray(theta, dtype=np.float64)
    old = state.get("velocity", np.zeros_like(theta))
    velocity = np.empty_like(theta)
    new = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        velocity[i] = lam * old[i] - lr * g[i]
        new[i] = theta[i] + velocity[i]
    return new, {"velocity": velocity}


def adagrad_step(theta, g, state, lr, eps=1e-8):
    theta = np.asarray(theta, dtype=np.float64)
    history = list(state.get("history", [])) + [np.array(g, dtype=np.float64)]
    new = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        total = 0.0
        for past in history:
            total += past[i] ** 2
        sigma = math.sqrt(total / len(history))
        new[i] = theta[i] - lr / (sigma + eps) * g[i]
    return new, {"history": history}


def rmsprop_step(theta, g, state, lr, alpha=0.9, eps=1e-8):
    theta = np.asarray(theta, dtype=np.float64)
    first = "square_avg" not in state
    square_avg = np.empty_like(theta)
    new = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        if first:
            square_avg[i] = g[i] ** 2
        else:
            square_avg[i] = alpha * state["square_avg"][i] + (1 - alpha) * g[i] ** 2
        new[i] = theta[i] - lr * g[i] / (math.sqrt(square_avg[i]) + eps)
    return new, {"square_avg": square_avg}


def adam_step(theta, g, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = np.asarray(theta, dtype=np.float64)
    step = state.get("step", 0) + 1
    old_m = state.get("exp_avg", np.zeros_like(theta))
    old_v = state.get("exp_avg_sq", np.zeros_like(theta))
    exp_avg = np.empty_like(theta)
    exp_avg_sq = np.empty_like(theta)
    new = np.empty_like(theta)
    for i in np.ndindex(theta.shape):
        exp_avg[i] = beta1 * old_m[i] + (1 - beta1) * g[i]
        exp_avg_sq[i] = beta2 * old_v[i] + (1 - beta2) * g[i] * g[i]
        m_hat = exp_avg[i] / (1 - beta1**step)
        v_hat = exp_avg_sq[i] / (1 - beta2**step)
        new[i] = theta[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return new, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
