"""hw2 p2 -- learning-rate schedules (vectorized submission): closed forms."""
import numpy as np


def lr_step_decay(t, lr0, drop, every):
    return float(lr0 * drop ** np.floor(t / every))


def lr_linear_decay(t, lr0, lr_end, T):
    if T <= 0:
        return float(lr_end)
    frac = min(t / T, 1.0)
    return float(lr0 + (lr_end - lr0) * frac)


def lr_inverse_time_decay(t, lr0, k):
    return float(lr0 / (1 + k * t))


def lr_warmup(t, lr0, warmup_steps):
    if warmup_steps <= 0:
        return float(lr0)
    return float(lr0 * min(t / warmup_steps, 1.0))
