"""hw3 p1 -- the text's loss, gradient, Hessian and critical points (hand-derived submission).

Everything is derived by hand on paper and typed in: the loss expanded,
the gradient factored as -2 w_j (1 - w1 w2), the Hessian entry by entry,
and the critical set written down (origin, and the hyperbola w2 = 1/w1).
"""
import sympy as sp


def loss_expr(w1, w2):
    # (1 - w1 w2)^2 multiplied out
    return 1 - 2 * w1 * w2 + w1**2 * w2**2


def gradient_expr(w1, w2):
    r = 1 - w1 * w2                     # the residual y - yhat
    grad = []
    for other in (w2, w1):              # dL/dw1 has a factor w2, dL/dw2 a factor w1
        grad.append(-2 * other * r)
    return grad


def hessian_expr(w1, w2):
    H = sp.zeros(2, 2)
    H[0, 0] = 2 * w2**2
    H[1, 1] = 2 * w1**2
    for i, j in ((0, 1), (1, 0)):
        H[i, j] = 4 * w1 * w2 - 2       # d/dw2 of -2 w2 (1 - w1 w2), product rule
    return H


def critical_points():
    w1, w2 = sp.symbols("w1 w2")
    # -2 w2 (1 - w1 w2) = 0 and -2 w1 (1 - w1 w2) = 0:
    # either w1 w2 = 1 (both vanish), or w1 = w2 = 0
    return [{w2: 1 / w1}, {w1: sp.Integer(0), w2: sp.Integer(0)}]
