r"""HW5 p1 — the activations tanh, LeakyReLU and ELU and their derivatives (30 points).

Original text (教材 第5章 深度学习基础, `004` §5.2.2 激活函数, eq. 5-6, 5-8, 5-9):

    2.Tanh函数
    Tanh函数也称为双曲正切函数,取值范围为[-1,1]。Tanh函数的定义如式(5-6)所示。
    $$f(x) = \frac{1 - e^{-2x}}{1 + e^{-2x}} \tag{5-6}$$
    Tanh函数与Sigmoid函数相比,输出均值为0,这就使其收敛速度要比Sigmoid快,从而可以减少迭代次数。
    缺点就是同样具有软饱和性,会造成梯度消失。

    4.LeakyReLU函数
    渗漏整流线性单元(LeakyReLU),为了解决DeadReLU现象。用一个类似0.01的小值来初始化神经元,
    从而使ReLU在负数区域更偏向于激活而不是死掉。
    $$f(x) = \begin{cases} x, & x \ge 0 \\ \alpha x, & x < 0 \end{cases} \tag{5-8}$$

    5.ELU指数线性单元
    ……左侧软饱和,右侧无饱和。右侧线性部分使ELU能缓解梯度消失,而左侧软饱和能让ELU对输入变化或
    噪声更稳健。
    $$f(x) = \begin{cases} x, & x \ge 0 \\ \alpha (e^x - 1), & x < 0 \end{cases} \tag{5-9}$$

English statement: implement the activations tanh (eq. 5-6), LeakyReLU (eq. 5-8) and ELU (eq. 5-9), elementwise
on float arrays of any shape, and the derivative of each, f'(x), elementwise at the same points.

Notes:
- x = 0 takes the x branch of 5-8 and 5-9 (the text writes x ≥ 0), and the derivatives at 0 are taken from the
  right: leaky_relu_grad(0) = elu_grad(0) = 1, not α.
- Numerical stability is part of the problem: 5-6 as written overflows for x < −355 (e^{−2x} > 1.8e308 gives
  inf/inf = NaN), so use np.tanh; ELU may only exponentiate non-positive numbers. No function may give a warning
  (overflow, invalid, even underflow) or a NaN for |x| up to 1e4.
- The derivatives are functions of x (the input), not of f(x): tanh'(x) = 1 − tanh²(x),
  LeakyReLU'(x) = 1 or α, ELU'(x) = 1 or α eˣ (which is f(x) + α for x < 0).
- No function may modify its input.
- What real student code gets wrong here: the derivative at exactly 0 (1, from the right), ELU's derivative α eˣ
  (not α) for x < 0, and the overflow of 5-6 as written for x < −355.
"""

import math  # noqa: F401  (the solutions use it; so may yours)

import numpy as np


def tanh(x: np.ndarray) -> np.ndarray:
    """
    Computes the hyperbolic tangent elementwise (`004` eq. 5-6):

        f(x) = (1 − e^{−2x}) / (1 + e^{−2x}) = tanh(x),   values in [−1, 1]

    Watch out: 5-6 as written overflows for x < −355 (inf/inf = NaN, with a warning); use np.tanh, which gives no
    warning for |x| up to 1e4.

    Inputs:
    - x: float array of any shape

    Returns:
    - array of the shape of x; tanh(0) = 0, tanh(±1e4) = ±1

    Example:
    >>> tanh(np.array([0.0, 0.5, -2.0, -1e4]))
    array([ 0.        ,  0.46211716, -0.96402758, -1.        ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """
    Computes the derivative of tanh elementwise, at the input x:

        f'(x) = 1 − tanh²(x) = 4 e^{−2x} / (1 + e^{−2x})²,   values in (0, 1], f'(0) = 1

    Watch out: the argument is x, not tanh(x), and 1 − tanh² must not overflow (no cosh of 1e4).

    Inputs:
    - x: float array of any shape (the point where the derivative is taken)

    Returns:
    - array of the shape of x; it underflows to 0 for large |x|, with no warning

    Example:
    >>> tanh_grad(np.array([0.0, 0.5, -2.0, 1e4]))
    array([1.        , 0.78644773, 0.07065082, 0.        ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """
    Computes LeakyReLU elementwise (`004` eq. 5-8):

        f(x) = x     for x ≥ 0
        f(x) = α x   for x < 0

    Watch out: 0 belongs to the x branch (x ≥ 0), and α is a parameter (default 0.01), not a constant.

    Inputs:
    - x: float array of any shape
    - alpha: the slope α of the negative side (a float, usually small and positive)

    Returns:
    - array of the shape of x

    Example:
    >>> leaky_relu(np.array([-2.0, 0.0, 3.0]))
    array([-0.02,  0.  ,  3.  ])
    >>> leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)
    array([-1.,  3.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def leaky_relu_grad(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """
    Computes the derivative of LeakyReLU elementwise, at the input x:

        f'(x) = 1   for x ≥ 0   (the derivative at 0 taken from the right)
        f'(x) = α   for x < 0

    Watch out: leaky_relu_grad(0) = 1, not α: the comparison is x ≥ 0, like the function's branch.

    Inputs:
    - x: float array of any shape
    - alpha: the slope α of the negative side

    Returns:
    - float array of the shape (and float dtype) of x, holding 1 and α

    Example:
    >>> leaky_relu_grad(np.array([-2.0, 0.0, 3.0]))
    array([0.01, 1.  , 1.  ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """
    Computes ELU elementwise (`004` eq. 5-9):

        f(x) = x             for x ≥ 0
        f(x) = α (eˣ − 1)    for x < 0      (saturates to −α as x → −∞)

    Watch out: exponentiate only the non-positive side: np.where evaluates both branches, so exp(x) of a large
    positive x overflows (a warning, although the value is not used).

    Inputs:
    - x: float array of any shape
    - alpha: α (a float, default 1.0)

    Returns:
    - array of the shape of x, values in (−α, ∞) for α > 0; no warning for |x| up to 1e4

    Example:
    >>> elu(np.array([-1e4, -1.0, 0.0, 2.0]))
    array([-1.        , -0.63212056,  0.        ,  2.        ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def elu_grad(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """
    Computes the derivative of ELU elementwise, at the input x:

        f'(x) = 1       for x ≥ 0   (the derivative at 0 taken from the right)
        f'(x) = α eˣ    for x < 0   (= f(x) + α)

    Watch out: the negative side is α eˣ, not the constant α (that is LeakyReLU's), and f'(0) = 1.

    Inputs:
    - x: float array of any shape
    - alpha: α (a float, default 1.0)

    Returns:
    - array of the shape of x; it underflows to 0 for very negative x, with no warning

    Example:
    >>> elu_grad(np.array([-1e4, -1.0, 0.0, 2.0]), alpha=2.0)
    array([0.        , 0.73575888, 1.        , 1.        ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
