"""hw1 p3 -- exact operation counts (vectorized submission).

Convention: scalar multiplications and additions (a subtraction is an
addition); sigmoid evaluations are not counted; sigma'(z) = a(1 - a) costs one
multiplication per element; eta * g is one multiplication per element; the
first layer's error term is not propagated to the input.
"""


def forward_layer_ops(n):
    # W a: n*n mul, n*(n-1) add; + b: n add
    return {"mul": n**2, "add": n**2}


def forward_total_mul(n, L):
    return L * n**2


def backward_layer_mul(n):
    # (W^{l+1})^T delta: n^2; a(1-a): n; Hadamard: n; delta a^T: n^2
    return 2 * n**2 + 2 * n


def backward_total_mul(n, L):
    # L error terms (2n each, plus n^2 propagation for all but the first layer),
    # L weight gradients (n^2 each)
    return (2 * L - 1) * n**2 + 2 * L * n


def update_total_mul(n, L):
    return L * (n**2 + n)
