r"""HW3 p3 — the Hessian by central differences (25 points).

Original text (教程 第3章 深度学习基础, `001` §3.1.2, eq. 3.3, and the remark after eq. 3.11):

    第三项跟海森矩阵（Hessian matrix）$H$ 有关。$H$ 里面放的是 $L$ 的二次微分，它第 $i$ 行，第 $j$ 列的值
    $H_{ij}$ 就是把 $\pmb\theta$ 的第 $i$ 个元素对 $L(\pmb\theta')$ 作微分，再把 $\pmb\theta$ 的第 $j$ 个元素对
    $\frac{\partial L(\pmb\theta')}{\partial \theta_i}$ 作微分后的结果，即
    $$H_{ij} = \frac{\partial^{2}}{\partial\theta_i \partial\theta_j} L(\pmb\theta'). \tag{3.3}$$
    …… 但实际上，我们几乎不会真的把海森矩阵算出来，因为海森矩阵需要算二次微分，计算这个矩阵的运算量非常大，
    还要把它的特征值跟特征向量找出来，所以几乎没有人用这个方法来逃离鞍点。

English statement: approximate the Hessian H_ij = ∂²L/∂θ_i∂θ_j of a scalar function f at a point θ from values of
f alone, by central finite differences with step h. (The text's remark is why: a d-parameter Hessian costs
O(d²) evaluations of the loss, here 2d² + 1.)

Notes:
- f takes a float64 array of shape (d,) and returns a scalar (a Python float or a 0-d array); θ has shape (d,).
  `f` is called on NEW arrays only: θ itself is never modified and never passed to f to be modified.
- The stencils have error O(h²) (h²/12 times a fourth derivative) plus rounding of about eps·|f|/h²; at the
  default h = 1e-4 both are about 1e-8 for moderate f. A one-sided (forward) difference has error O(h), about
  1e-4: far too large.
- The result is EXACTLY symmetric: each off-diagonal value is computed once and written to H_ij and H_ji.
- `text_loss` (given) is the text's L = (1 − w1 w2)² as a function of θ = [w1, w2]; its Hessian at the origin is
  [[0, −2], [−2, 0]] (eq. 3.9), which numeric_hessian reproduces up to rounding.
- What real student code gets wrong here: both stencils must be central (a forward difference is O(h)), and the
  off-diagonal one divides by 4h².
"""

from collections.abc import Callable

import numpy as np


def text_loss(theta: np.ndarray) -> float:
    """
    The text's loss (`001` eq. 3.6) as a function of θ = [w1, w2] (given, not graded):

        L(θ) = (1 − θ_1 θ_2)²

    Inputs:
    - theta: float array of shape (2,)

    Returns:
    - the loss, a float

    Example:
    >>> text_loss(np.array([2.0, 3.0]))
    25.0
    """
    w1, w2 = theta[0], theta[1]
    return float((1.0 - w1 * w2) ** 2)


def numeric_hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """
    Computes the Hessian of the scalar function f at θ by central differences, with e_i the i-th unit vector:

        H_ii = ( f(θ + h e_i) − 2 f(θ) + f(θ − h e_i) ) / h²
        H_ij = ( f(θ + h e_i + h e_j) − f(θ + h e_i − h e_j) − f(θ − h e_i + h e_j) + f(θ − h e_i − h e_j) ) / (4h²)
               for i ≠ j, computed once for i < j and written to both H_ij and H_ji

    Both have error O(h²) for smooth f. Convention: both stencils are central (a one-sided difference has
    error O(h)), and the off-diagonal one divides by 4h² and is written to both entries, so H is exactly
    symmetric.

    Inputs:
    - f: a function of a float64 array of shape (d,) returning a scalar
    - theta: the point θ, float array of shape (d,), d ≥ 1 (not modified)
    - h: the step, a positive float (default 1e-4)

    Returns:
    - H: float64 array of shape (d, d), H == H.T exactly

    Example:
    >>> np.round(numeric_hessian(text_loss, np.array([0.0, 0.0])), 6)        # the text's H(0, 0), eq. 3.9
    array([[ 0., -2.],
           [-2.,  0.]])
    >>> np.round(numeric_hessian(lambda t: t[0] ** 2 * t[1], np.array([1.0, 2.0])), 6)   # [[2 θ_2, 2 θ_1], [2 θ_1, 0]]
    array([[4., 2.],
           [2., 0.]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
