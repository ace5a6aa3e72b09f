"""hw3 p3 -- numeric Hessian (loop-based submission).

The Hessian is the central-difference Jacobian of the central-difference
gradient. Off the diagonal this is exactly the 4-point stencil; on the
diagonal it is the 3-point stencil with step 2h (still O(h^2)). The two
halves are averaged at the end, which makes the result exactly symmetric.
"""
import numpy as np


def text_loss(theta):
    w1, w2 = theta[0], theta[1]
    return float((1.0 - w1 * w2) ** 2)


def _gradient(f, theta, h):
    d = len(theta)
    g = np.zeros(d)
    for i in range(d):
        up = theta.copy()
        up[i] += h
        down = theta.copy()
        down[i] -= h
        g[i] = (float(f(up)) - float(f(down))) / (2 * h)
    return g


def numeric_hessian(f, theta, h=1e-4):
    theta = np.array(theta, dtype=np.float64)
    d = len(theta)
    H = np.zeros((d, d))
    for j in range(d):
        up = theta.copy()
        up[j] += h
        down = theta.copy()
        down[j] -= h
        column = (_gradient(f, up, h) - _gradient(f, down, h)) / (2 * h)
        for i in range(d):
            H[i, j] = column[i]
    return 0.5 * (H + H.T)
