# BUG: numeric_hessian uses one-sided (forward) stencils f(θ+2h e_i), f(θ+h e_i+h e_j): error O(h), not O(h²)
"""hw3 p3 -- numeric Hessian (vectorized submission).

The diagonal from the 3-point stencil on all coordinates at once, the upper
triangle from the 4-point stencil, then mirrored to the lower triangle.
"""
import itertools

import numpy as np


def text_loss(theta):
    w1, w2 = theta[0], theta[1]
    return float((1.0 - w1 * w2) ** 2)


def numeric_hessian(f, theta, h=1e-4):
    theta = np.asarray(theta, dtype=np.float64)
    d = theta.size
    E = h * np.eye(d)
    f0 = float(f(theta.copy()))
    fp = np.array([float(f(theta + E[i])) for i in range(d)])
    f2p = np.array([float(f(theta + 2 * E[i])) for i in range(d)])
    H = np.diag((f2p - 2 * fp + f0) / h**2)
    for i, j in itertools.combinations(range(d), 2):
        H[i, j] = (f(theta + E[i] + E[j]) - fp[i] - fp[j] + f0) / (h * h)
    H = H + np.triu(H, 1).T
    return H
