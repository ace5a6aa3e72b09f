r"""HW3 p2 — what kind of critical point, and which way to escape a saddle (35 points).

Original text (教程 第3章 深度学习基础, `001` §3.1.2 判断临界值种类的方法, eq. 3.4, 3.9–3.11):

    在临界点，梯度 $\pmb{g}$ 为零 …… 所以在临界点的附近，损失函数可被近似为
    $$L(\pmb\theta) \approx L(\pmb\theta') + \frac{1}{2}(\pmb\theta - \pmb\theta')^{\mathrm T} \pmb H
      (\pmb\theta - \pmb\theta'); \tag{3.4}$$
    …… 只要看 $H$ 的特征值。若 $H$ 的所有特征值都是正的，$H$ 为正定矩阵，则 $\pmb v^{\mathrm T} \pmb H \pmb v > 0$，
    临界点是局部极小值。若 $H$ 的所有特征值都是负的，$H$ 为负定矩阵，则 $\pmb v^{\mathrm T} \pmb H \pmb v < 0$，
    临界点是局部极大值。若 $H$ 的特征值有正有负，临界点是鞍点。
    …… 对于原点，只要把 $w_{1}=0$, $w_{2}=0$ 代进去，有海森矩阵
    $$H = \begin{bmatrix} 0 & -2 \\ -2 & 0 \end{bmatrix}. \tag{3.9}$$
    …… 这个矩阵有两个特征值：2 和 $-2$，特征值有正有负，因此原点是鞍点。
    设 $\lambda$ 为 $H$ 的一个特征值，$\pmb u$ 为其对应的特征向量 ……
    $$\pmb u^{\mathrm T} \pmb H \pmb u = \pmb u^{\mathrm T}(\lambda \pmb u) = \lambda \|\pmb u\|^{2}. \tag{3.10}$$
    若 $\lambda < 0$，则 $\lambda\|\pmb u\|^{2} < 0$ …… 此时，$L(\pmb\theta) < L(\pmb\theta')$，且
    $$\pmb\theta = \pmb\theta' + \pmb u. \tag{3.11}$$
    …… 特征值 −2 对应的特征向量有无穷多个。不妨取 $\pmb u = [1, 1]^{\mathrm T}$ …… 只要往 $[1,1]^{\mathrm T}$
    的方向更新，损失就会变得更小，就可以逃离鞍点。

English statement: at a critical point θ' (g = 0) the loss is L(θ) ≈ L(θ') + ½ vᵀHv with v = θ − θ'. Classify the
critical point from the eigenvalues of the Hessian H (all positive: local minimum; all negative: local maximum;
both signs: saddle), and at a saddle give the direction u to move in: an eigenvector of a negative eigenvalue λ, so
that L(θ' + u) ≈ L(θ') + ½ λ ‖u‖² < L(θ').

Notes:
- H is a symmetric n×n matrix of numbers (n ≥ 1): a NumPy array, a nested list or a SymPy Matrix of numbers. It is
  symmetrized first, H ← (H + Hᵀ)/2 (only the symmetric part enters vᵀHv), and its eigenvalues are those of a
  symmetric matrix (`numpy.linalg.eigvalsh` / `eigh`).
- Zero is decided with the absolute tolerance tol = 1e-9: λ > tol is positive, λ < −tol negative, |λ| ≤ tol zero.
- The text gives rules only for definite and indefinite H. Where an eigenvalue is zero and no two have opposite
  signs, the second-order test cannot decide (the third- and higher-order terms do): that point is
  "degenerate". So the text's minima on the curve w1 w2 = 1, where H has eigenvalues 0 and 2(w1² + w2²), are
  "degenerate" here (they ARE minima, L = 0 there, but H alone cannot show it).
- What real student code gets wrong here: a zero eigenvalue is not a positive one, and the escape direction is a
  UNIT eigenvector of the MOST NEGATIVE eigenvalue (the text's u = [1, 1] has length √2).
"""

import numpy as np
import sympy as sp  # noqa: F401  (H may be a SymPy Matrix; used in the docstring examples)


def classify_critical_point(H: "np.ndarray | list[list[float]] | sp.Matrix", tol: float = 1e-9) -> str:
    """
    Classifies a critical point from the eigenvalues λ_1, …, λ_n of its Hessian H (`001` §3.1.2), after
    symmetrizing H ← (H + Hᵀ)/2, with the absolute tolerance tol:

        "saddle"     if some λ > tol and some λ < −tol (有正有负; even when another λ is 0)
        "degenerate" else, if some |λ| ≤ tol            (the second-order test cannot decide)
        "local_min"  else, if every λ > tol             (正定: vᵀHv > 0 for all v ≠ 0)
        "local_max"  else (every λ < −tol)             (负定: vᵀHv < 0 for all v ≠ 0)

    Convention: a zero eigenvalue is not positive, so H = diag(0, 2) is "degenerate", not "local_min" (the
    text's minima on w1 w2 = 1 are "degenerate"); a saddle needs eigenvalues of both signs.

    Inputs:
    - H: the n×n Hessian (n ≥ 1) as a NumPy array, a nested list or a SymPy Matrix of numbers; symmetric up to
      rounding (only its symmetric part is used)
    - tol: absolute tolerance below which |λ| counts as 0 (default 1e-9)

    Returns:
    - one of the strings "local_min", "local_max", "saddle", "degenerate"

    Example:
    >>> classify_critical_point(np.array([[0.0, -2.0], [-2.0, 0.0]]))      # the text's H(0, 0): λ = ±2
    'saddle'
    >>> classify_critical_point([[2.0, 2.0], [2.0, 2.0]])                  # H on w1 w2 = 1 at (1, 1): λ = 0, 4
    'degenerate'
    >>> classify_critical_point(sp.Matrix([[3, 1], [1, 2]]))
    'local_min'
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def escape_direction(H: "np.ndarray | list[list[float]] | sp.Matrix", tol: float = 1e-9) -> np.ndarray | None:
    """
    Returns the direction to escape a critical point along (`001` eq. 3.10–3.11): a unit eigenvector u of the
    most negative eigenvalue λ_min of the symmetrized H ← (H + Hᵀ)/2, so that

        L(θ' + t u) ≈ L(θ') + ½ t² uᵀHu = L(θ') + ½ λ_min t² < L(θ')     (H u = λ_min u, ‖u‖ = 1)

    and None when no eigenvalue is negative (λ_min ≥ −tol): then no direction lowers the quadratic term.
    The sign is fixed: the first component with |u_i| > 1e-12 is positive. For the text's H(0, 0) this gives
    u = [1, 1]/√2, the text's u = [1, 1]ᵀ made unit.
    Convention: u is normalized to length 1 (the text's [1, 1] is not) and belongs to the MOST negative
    eigenvalue, not to the largest one; any u with H u = λ_min u, ‖u‖ = 1 is accepted when λ_min is repeated.

    Inputs:
    - H: the n×n Hessian (n ≥ 1) as a NumPy array, a nested list or a SymPy Matrix of numbers
    - tol: absolute tolerance (default 1e-9): λ < −tol counts as negative

    Returns:
    - u: float64 array of shape (n,) with ‖u‖ = 1 and H u = λ_min u, or None when λ_min ≥ −tol

    Example:
    >>> escape_direction(np.array([[0.0, -2.0], [-2.0, 0.0]]))            # the text's saddle: λ_min = −2
    array([0.70710678, 0.70710678])
    >>> escape_direction(np.diag([1.0, -3.0, -0.5]))
    array([0., 1., 0.])
    >>> print(escape_direction([[2.0, 2.0], [2.0, 2.0]]))                 # λ = 0, 4: nothing to escape along
    None
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
