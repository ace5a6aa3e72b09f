r"""HW3 p1 — the text's loss, its gradient, its Hessian and its critical points, symbolically (40 points).

Original text (教程 第3章 深度学习基础, `001` §3.1.2 判断临界值种类的方法, eq. 3.5–3.8):

    举个例子，我们有一个简单的神经网络，它只有两个神经元，而且这个神经元还没有激活函数和偏置。输入 $x$，
    $x$ 乘上 $w_{1}$ 以后输出，然后再乘上 $w_{2}$，接着再输出，最终得到的数据就是 $y$。
    $$y = w_{1} w_{2} x. \tag{3.5}$$
    我们还有一个简单的训练数据集，这个数据集只有一组数据 (1,1)，也就是 $x=1$ 的标签是 1. ……
    令 $x=1, y=1$，损失函数为
    $$L = \left(y - w_{1} w_{2} x\right)^{2} = \left(1 - w_{1} w_{2}\right)^{2}. \tag{3.6}$$
    可以求出损失函数的梯度 $\pmb{g} = [\frac{\partial L}{\partial w_{1}}, \frac{\partial L}{\partial w_{2}}]$
    $$\frac{\partial L}{\partial w_{1}} = 2\left(1 - w_{1} w_{2}\right)\left(-w_{2}\right);\quad
      \frac{\partial L}{\partial w_{2}} = 2\left(1 - w_{1} w_{2}\right)\left(-w_{1}\right). \tag{3.7}$$
    什么时候梯度会为零（也就是到一个临界点）呢？比如，在原点时，$w_{1}=0$, $w_{2}=0$，此时的梯度为零，
    原点就是一个临界点 …… 海森矩阵 $H$ 收集了 $L$ 的二次微分：
    $$H_{1,1} = \frac{\partial^{2} L}{\partial w_{1}^{2}} = 2(-w_{2})(-w_{2});\quad
      H_{1,2} = \frac{\partial^{2} L}{\partial w_{1} \partial w_{2}} = -2 + 4 w_{1} w_{2};\quad
      H_{2,1} = -2 + 4 w_{1} w_{2};\quad H_{2,2} = 2(-w_{1})(-w_{1}). \tag{3.8}$$
    我们用黑色的点来表示临界点，原点 (0,0) 是临界点，另外两排点是临界点。

English statement: the network y = w1 w2 x (two neurons, no activation, no bias) is trained on the single sample
(x, y) = (1, 1) with the squared error. Build its loss L = (1 − w1 w2)², the gradient g = [∂L/∂w1, ∂L/∂w2], the
Hessian H_ij = ∂²L/∂w_i∂w_j, and the set of its critical points (where g = 0), as SymPy objects.

Notes:
- Every answer is judged by meaning, never by form: expressions by equivalence (any algebraically equal form
  earns the points: expanded, factored, ...), the critical points by whether they zero the gradient and cover
  the whole critical set.
- `loss_expr`, `gradient_expr` and `hessian_expr` build expressions in the Symbols they are given (any names,
  any assumptions); `critical_points` makes its own `sp.symbols("w1 w2")` (no assumptions), matched by name.
- The critical set is the origin AND the curve w1 w2 = 1 (the text's "另外两排点", the two branches of the
  hyperbola w2 = 1/w1): on it 1 − w1 w2 = 0, so both components of g vanish.
- What real student code gets wrong here: L has no ½ (it is the text's eq. 3.6 as written), so the gradient keeps
  the chain rule's factor 2, and the critical set is more than the origin.
"""

import sympy as sp


def loss_expr(w1: sp.Symbol, w2: sp.Symbol) -> sp.Expr:
    """
    Returns the text's loss (`001` eq. 3.6) for the network y = w1 w2 x on the sample (x, y) = (1, 1):

        L(w1, w2) = (y − w1 w2 x)² = (1 − w1 w2)²

    Convention: there is no ½ in front (the text's squared error as written; a ½ halves every derivative).

    Inputs:
    - w1, w2: SymPy Symbols (any names, any assumptions)

    Returns:
    - a SymPy expression in w1 and w2 (a scalar)

    Example:
    >>> w1, w2 = sp.symbols("w1 w2")
    >>> loss_expr(w1, w2).subs({w1: 0, w2: 0})
    1
    >>> sp.expand(loss_expr(w1, w2))
    w1**2*w2**2 - 2*w1*w2 + 1
    """
    ### BEGIN SOLUTION
    x, y = 1, 1  # the text's one training sample (x, y) = (1, 1)
    y_hat = w1 * w2 * x
    return (y - y_hat) ** 2
    ### END SOLUTION


def gradient_expr(w1: sp.Symbol, w2: sp.Symbol) -> list[sp.Expr]:
    """
    Returns the gradient g = [∂L/∂w1, ∂L/∂w2] of L = (1 − w1 w2)² (`001` eq. 3.7):

        ∂L/∂w1 = 2 (1 − w1 w2)(−w2),     ∂L/∂w2 = 2 (1 − w1 w2)(−w1)

    Convention: the chain rule keeps its factor 2 (from the square); (1 − w1 w2)(−w2) is the gradient of ½L.

    Inputs:
    - w1, w2: SymPy Symbols

    Returns:
    - a Python list of two SymPy expressions [∂L/∂w1, ∂L/∂w2], in that order

    Example:
    >>> w1, w2 = sp.symbols("w1 w2")
    >>> g = gradient_expr(w1, w2)
    >>> [gi.subs({w1: 2, w2: 3}) for gi in g]        # 2·(1 − 6)·(−3), 2·(1 − 6)·(−2)
    [30, 20]
    """
    ### BEGIN SOLUTION
    L = loss_expr(w1, w2)
    return [sp.diff(L, w1), sp.diff(L, w2)]
    ### END SOLUTION


def hessian_expr(w1: sp.Symbol, w2: sp.Symbol) -> sp.Matrix:
    """
    Returns the Hessian H of L = (1 − w1 w2)² (`001` eq. 3.3 and 3.8), H_ij = ∂²L/∂w_i∂w_j:

        H = [[ 2 w2²,          −2 + 4 w1 w2 ],
             [ −2 + 4 w1 w2,   2 w1²        ]]

    At the origin H(0, 0) = [[0, −2], [−2, 0]] (eq. 3.9), with eigenvalues 2 and −2.
    Convention: the mixed entry H_12 = ∂/∂w2 [2(1 − w1 w2)(−w2)] needs the product rule (both factors depend on
    w2), which gives −2 + 4 w1 w2, not 2 w1 w2 or −2.

    Inputs:
    - w1, w2: SymPy Symbols

    Returns:
    - a 2×2 `sp.Matrix` [[H_11, H_12], [H_21, H_22]] of SymPy expressions (symmetric: H_12 = H_21)

    Example:
    >>> w1, w2 = sp.symbols("w1 w2")
    >>> H = hessian_expr(w1, w2)
    >>> H.subs({w1: 0, w2: 0})
    Matrix([
    [ 0, -2],
    [-2,  0]])
    >>> H.subs({w1: 0, w2: 0}).eigenvals()
    {-2: 1, 2: 1}
    """
    ### BEGIN SOLUTION
    g = gradient_expr(w1, w2)
    w = (w1, w2)
    return sp.Matrix(2, 2, lambda i, j: sp.diff(g[i], w[j]))  # H_ij = ∂g_i/∂w_j
    ### END SOLUTION


def critical_points() -> list[dict[sp.Symbol, sp.Expr]]:
    """
    Returns the critical set of L = (1 − w1 w2)², the solutions of g = 0 (`001` §3.1.1: 梯度为零的点统称为临界点):

        2 (1 − w1 w2)(−w2) = 0  and  2 (1 − w1 w2)(−w1) = 0   ⇔   (w1, w2) = (0, 0)  or  w1 w2 = 1

    in the form `sp.solve(gradient, [w1, w2], dict=True)` gives: a list of dicts, each one solution family,
    e.g. [{w1: 0, w2: 0}, {w1: 1/w2}] (in any order; {w2: 1/w1} is equally right).
    Convention: the origin is not the only critical point: every point of the curve w1 w2 = 1 (the text's
    "另外两排点") zeroes the gradient too.

    Inputs: none; the function makes its own symbols `w1, w2 = sp.symbols("w1 w2")` (no assumptions).

    Returns:
    - a list of dicts {Symbol: expression}; substituted into the gradient, every dict gives [0, 0], and together
      they hold the origin and every point with w1 w2 = 1

    Example:
    >>> w1, w2 = sp.symbols("w1 w2")
    >>> sols = critical_points()
    >>> {w1: 0, w2: 0} in sols
    True
    >>> [s for s in sols if len(s) == 1]
    [{w1: 1/w2}]
    """
    ### BEGIN SOLUTION
    w1, w2 = sp.Symbol("w1"), sp.Symbol("w2")  # no assumptions, as the convention says
    g = gradient_expr(w1, w2)
    return sp.solve(g, [w1, w2], dict=True)
    ### END SOLUTION
