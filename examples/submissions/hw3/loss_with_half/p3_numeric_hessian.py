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
    fm = np.array([float(f(theta - E[i])) for i in range(d)])
    H = np.diag((fp - 2 * f0 + fm) / h**2)
    for i, j in itertools.combinations(range(d), 2):
        H[i, j] = (
            f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j]) + f(theta - E[i] - E[j])
        ) / (4 * h * h)
    H = H + np.triu(H, 1).T
    return H
