r"""HW4 p2 — L2 regularization and weight decay (20 points).

Original text (课件 第3章 3.2 神经网络优化, `003` 正则化 (Regularization)):

    新优化目标：不仅最小化损失，而且要让权重尽可能小
    $$\mathcal{L}'(\boldsymbol{\theta}) = \mathcal{L}(\boldsymbol{\theta})
      + \frac{1}{2}\lambda\|\boldsymbol{\theta}\|_2^2$$
    $\boldsymbol{\theta} = \{w_1, w_2, \dots\}$ ……  L2 正则: $\|\boldsymbol{\theta}\|_2^2 = (w_1)^2 + (w_2)^2 + \dots$
    …… 一般不考虑bias
    梯度: $\nabla \mathcal{L}' = \nabla \mathcal{L} + \lambda \boldsymbol{\theta}$
    梯度下降更新:
    $$\boldsymbol{\theta}^t \leftarrow \boldsymbol{\theta}^{t-1} - \eta \nabla \mathcal{L}'
      = \boldsymbol{\theta}^{t-1} - \eta \nabla \mathcal{L} - \eta \lambda \boldsymbol{\theta}^{t-1}
      = (1 - \eta \lambda) \boldsymbol{\theta}^{t-1} - \eta \nabla \mathcal{L}$$
    越来越小，但由于 $-\eta \nabla \mathcal{L}$ 项，使得参数不会变为0 …… L2正则也称权重衰减 (weight decay)

English statement: compute the L2 penalty ½ λ ‖θ‖² of a network's weights (not its biases) and the gradient of
the penalized loss L' = L + ½ λ ‖θ‖², and write one weight-decay update (1 − ηλ) θ − η ∇L, which is one step of
gradient descent on L'.

Notes:
- `params` and `grads` are dicts like hw1 p1's ("W1", "b1", "W2", "b2", …). The weights θ are the entries whose
  key starts with "W" (or "w"); every other entry (the biases) is not penalized (003: 一般不考虑bias).
- The penalty is a float (a Python float or a NumPy float64 scalar).
- Nothing is modified in place: `l2_grad` returns a NEW dict of new arrays.
- What real student code gets wrong here: the biases are not penalized (only keys starting with "W" or "w"),
  and weight decay multiplies by (1 − ηλ), not by (1 − λ).
"""

from typing import Any

import numpy as np


def l2_penalty(params: dict[str, Any], lam: float) -> float:
    """
    Computes the L2 penalty of the weights (`003` 正则化):

        R(θ) = ½ λ ‖θ‖₂² = ½ λ Σ_{k weight} Σ_entries W_k²

    where the weights are the entries of `params` whose key starts with "W" (or "w"). Convention: biases ("b1",
    …) are not penalized.

    Inputs:
    - params: dict of float arrays ("W1" (n1, n0), "b1" (n1,), …), not modified
    - lam: regularization strength λ ≥ 0

    Returns:
    - the penalty, a float (0.0 when there is no weight)

    Example:
    >>> params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([3.0]), "W2": np.array([[2.0]])}
    >>> l2_penalty(params, 0.1)                  # ½·0.1·(1 + 4 + 4); b1 does not count
    0.45
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def l2_grad(params: dict[str, Any], grads: dict[str, Any], lam: float) -> dict[str, Any]:
    """
    Computes the gradient of the L2-penalized loss L' = L + ½ λ ‖θ‖² (`003`: ∇L' = ∇L + λ θ):

        ∂L'/∂W_k = ∂L/∂W_k + λ W_k      for the weights (keys starting with "W" or "w")
        ∂L'/∂b_k = ∂L/∂b_k              for every other key (the biases are not penalized)

    Conventions: only the weights get + λ W; a bias's gradient comes back unchanged (as a new array).

    Inputs:
    - params: dict of parameter arrays (not modified)
    - grads: dict of the gradients ∂L/∂param of the unpenalized loss, same keys and shapes (not modified)
    - lam: regularization strength λ ≥ 0

    Returns:
    - a NEW dict with the keys of `grads` and new arrays of the same shapes

    Example:
    >>> params = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([3.0])}
    >>> grads = {"W1": np.array([[0.5, 0.5]]), "b1": np.array([1.0])}
    >>> new = l2_grad(params, grads, 0.1)
    >>> new["W1"], new["b1"]
    (array([[0.6, 0.3]]), array([1.]))
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def weight_decay_step(w: np.ndarray, g: np.ndarray, lr: float, lam: float) -> np.ndarray:
    """
    One weight-decay update of one weight array (`003`: L2 正则也称权重衰减):

        θ^t = (1 − η λ) θ^{t−1} − η ∇L(θ^{t−1})

    It equals one gradient-descent step on the L2-penalized loss, θ − η (∇L + λ θ). Convention: the decay factor
    is (1 − ηλ), with the learning rate in it, not (1 − λ).

    Inputs:
    - w: weights θ^{t−1}, float array of any shape (not modified)
    - g: gradient ∇L of the unpenalized loss at w, same shape
    - lr: learning rate η
    - lam: regularization strength λ

    Returns:
    - the new weights θ^t, a new array of w's shape

    Example:
    >>> weight_decay_step(np.array([1.0, -2.0]), np.array([0.5, 0.0]), lr=0.1, lam=0.5)
    array([ 0.9, -1.9])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
