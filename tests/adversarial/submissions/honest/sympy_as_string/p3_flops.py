"""hw1 p3 -- operation counts (loop-based submission).

My counting: one layer z = W a + b is n dot products of length n
(n multiplications, n - 1 additions each) plus n bias additions.
I keep the answers "about how many", i.e. only the leading terms matter.
"""
import sympy as sp


def forward_layer_ops(n):
    ops = {}
    for kind in ("mul", "add"):
        if kind == "mul":
            ops[kind] = n**2 + n          # about n^2
        else:
            ops[kind] = n * (n - 1) + n   # dot products + bias
    return ops


def forward_total_mul(n, L):
    return L * (n**2 + n)


def backward_layer_mul(n):
    # W^T delta: n^2, derivative a(1-a) and the Hadamard product: ~2n, weight grad: n^2
    return n**2 + n**2 + n


def backward_total_mul(n, L):
    return 2 * L * n**2


def update_total_mul(n, L):
    return L * n**2
