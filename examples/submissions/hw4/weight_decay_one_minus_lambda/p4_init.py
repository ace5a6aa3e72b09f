"""hw4 p4 -- initialization (vectorized student submission).

The given network code of the stub is kept as it is.
"""

from typing import Any

import numpy as np

#: hw1 p1's input x = (0.2, 0.3) (one sample) and target y = 1.
SLIDE_X = (0.2, 0.3)
SLIDE_Y = 1.0
#: The all-equal initialization: every weight and bias of the slide network.
SLIDE_INIT = 0.5
#: SGD's learning rate and number of steps in `symmetric_init_demo`.
SLIDE_LR = 1.0
SLIDE_STEPS = 5


def sigmoid(z: np.ndarray) -> np.ndarray:
    """
    The logistic sigmoid σ(z) = 1 / (1 + exp(−z)), elementwise (given, not graded).

    Inputs:
    - z: float array of any shape (moderate values: this helper is not guarded against overflow)

    Returns:
    - array of z's shape

    Example:
    >>> sigmoid(np.array([0.0, 1.0]))
    array([0.5       , 0.73105858])
    """
    return 1.0 / (1.0 + np.exp(-z))


def slide_network() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """
    The slides' 2-2-1 network with the all-equal initialization, and hw1 p1's sample (given, not graded).

    Returns a tuple (params, x, y) of fresh float64 arrays:
    - params: "W1" (2, 2), "b1" (2,), "W2" (1, 2), "b2" (1,), every entry SLIDE_INIT = 0.5; row j of W1 holds the
      incoming weights of hidden unit j, column j of W2 its outgoing weight (W^l has shape (n_l, n_{l−1}))
    - x: shape (1, 2), the sample (0.2, 0.3)
    - y: shape (1, 1), the target 1.0

    Example:
    >>> params, x, y = slide_network()
    >>> params["W1"], x
    (array([[0.5, 0.5],
           [0.5, 0.5]]), array([[0.2, 0.3]]))
    """
    params = {
        "W1": np.full((2, 2), SLIDE_INIT),
        "b1": np.full((2,), SLIDE_INIT),
        "W2": np.full((1, 2), SLIDE_INIT),
        "b2": np.full((1,), SLIDE_INIT),
    }
    return params, np.array([SLIDE_X], dtype=np.float64), np.array([[SLIDE_Y]], dtype=np.float64)


def mlp_forward(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """
    The forward pass of a fully connected sigmoid network, hw1 p1's layout (given, not graded):

        for l = 1..L:  z^l = a^{l−1} @ W^l.T + b^l,   a^l = σ(z^l),   a^0 = x,   ŷ = a^L

    Inputs:
    - params: dict "W1", "b1", …, "WL", "bL"; W^l of shape (n_l, n_{l−1}), b^l of shape (n_l,)
    - x: input batch, shape (N, n_0)

    Returns a tuple of:
    - yhat: shape (N, n_L)
    - cache: dict with "params", "a" (the list [a^0, …, a^L]) and "L"

    Example:
    >>> params, x, y = slide_network()
    >>> yhat, cache = mlp_forward(params, x)
    >>> cache["a"][1], yhat                      # both hidden units: σ(0.5·0.2 + 0.5·0.3 + 0.5) = σ(0.75)
    (array([[0.6791787, 0.6791787]]), array([[0.7648001]]))
    """
    L = sum(1 for k in params if k.startswith("W"))
    a = [x]
    for l in range(1, L + 1):
        z = a[-1] @ params[f"W{l}"].T + params[f"b{l}"]
        a.append(sigmoid(z))
    return a[-1], {"params": params, "a": a, "L": L}


def mlp_backward(dyhat: np.ndarray, cache: dict[str, Any]) -> dict[str, np.ndarray]:
    """
    Backpropagation through `mlp_forward` (given, not graded), with σ'(z) = a(1 − a):

        δ^L = dyhat ⊙ a^L(1 − a^L),   δ^l = (δ^{l+1} @ W^{l+1}) ⊙ a^l(1 − a^l),
        ∂L/∂W^l = (δ^l).T @ a^{l−1},   ∂L/∂b^l = Σ over samples of δ^l

    Inputs:
    - dyhat: ∂L/∂ŷ, shape (N, n_L)
    - cache: the cache of `mlp_forward`

    Returns:
    - grads: dict with the keys and shapes of params

    Example:
    >>> params, x, y = slide_network()
    >>> yhat, cache = mlp_forward(params, x)
    >>> grads = mlp_backward(yhat - y, cache)
    >>> grads["W2"]                              # equal outgoing gradients: the symmetry survives the step
    array([[-0.02873467, -0.02873467]])
    """
    params, a, L = cache["params"], cache["a"], cache["L"]
    grads = {}
    delta = dyhat * a[L] * (1.0 - a[L])
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta.T @ a[l - 1]
        grads[f"b{l}"] = np.sum(delta, axis=0)
        if l > 1:
            delta = (delta @ params[f"W{l}"]) * a[l - 1] * (1.0 - a[l - 1])
    return grads


def mlp_sgd_step(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, lr: float) -> dict[str, np.ndarray]:
    """
    One SGD step on the loss ½ Σ (y − ŷ)² of the network of `mlp_forward` (given, not graded):

        W ← W − η ∂L/∂W,   b ← b − η ∂L/∂b,   with ∂L/∂ŷ = ŷ − y

    Inputs:
    - params: dict "W1", "b1", … (not modified)
    - x: inputs, shape (N, n_0); y: targets, shape (N, n_L)
    - lr: learning rate η

    Returns:
    - the new params, a new dict of new arrays

    Example:
    >>> params, x, y = slide_network()
    >>> mlp_sgd_step(params, x, y, lr=1.0)["b2"]
    array([0.54230797])
    """
    yhat, cache = mlp_forward(params, x)
    grads = mlp_backward(yhat - y, cache)
    return {k: params[k] - lr * grads[k] for k in params}


def init_gaussian(fan_in, fan_out, sigma, rng):
    return sigma * rng.standard_normal((fan_in, fan_out))


def init_uniform(fan_in, fan_out, r, rng):
    return 2 * r * rng.random((fan_in, fan_out)) - r


def _unit_gap(params, x):
    """Largest difference between hidden units 0 and 1: incoming weights, bias, outgoing weight, activation."""
    _, cache = mlp_forward(params, x)
    a1 = cache["a"][1]
    gaps = [
        np.abs(params["W1"][0] - params["W1"][1]).max(),
        abs(params["b1"][0] - params["b1"][1]),
        np.abs(params["W2"][:, 0] - params["W2"][:, 1]).max(),
        np.abs(a1[:, 0] - a1[:, 1]).max(),
    ]
    return float(max(gaps))


def symmetric_init_demo():
    params, x, y = slide_network()
    gaps = np.zeros(SLIDE_STEPS)
    for t in range(SLIDE_STEPS):
        params = mlp_sgd_step(params, x, y, SLIDE_LR)
        gaps[t] = _unit_gap(params, x)
    return gaps
