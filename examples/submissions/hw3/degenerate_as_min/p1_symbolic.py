"""hw3 p1 -- the text's loss, gradient, Hessian and critical points (SymPy-driven submission).

The loss is written as in the text, L = (y - w1 w2 x)^2 with x = y = 1; the
gradient is the Jacobian of [L], the Hessian comes from sp.hessian, and the
critical points from sp.solve on the gradient.
"""
import sympy as sp


def loss_expr(w1, w2):
    x, y = 1, 1
    return (y - w1 * w2 * x) ** 2


def gradient_expr(w1, w2):
    L = loss_expr(w1, w2)
    return list(sp.Matrix([L]).jacobian([w1, w2]))


def hessian_expr(w1, w2):
    return sp.hessian(loss_expr(w1, w2), (w1, w2))


def critical_points():
    w1, w2 = sp.symbols("w1 w2")
    return sp.solve(gradient_expr(w1, w2), [w1, w2], dict=True)
