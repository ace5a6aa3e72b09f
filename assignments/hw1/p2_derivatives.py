r"""HW1 p2 — σ', σ'' and the gradient of log-softmax, numerically and symbolically.

Original problem (作业习题 (2), course slides 第3章 3.2 神经网络优化):

    (2) 计算 $\sigma(x) = \frac{1}{1+\exp(-x)}$ 的一阶和二阶导数、
    $\log \text{softmax}(\mathbf{x})_{[i]} = \log \frac{\exp(x_i)}{\sum_{j=1}^C \exp(x_j)}$ 的梯度

English statement: compute the first and the second derivative of σ(x) = 1/(1 + exp(−x)), and the
gradient of log softmax(x)_i = log( exp(x_i) / Σ_{j=1..C} exp(x_j) ).

Notes:
- The numeric functions work elementwise (sigmoid family) or over the LAST axis (log-softmax
  family) of float arrays of any shape, and must not modify their inputs.
- Numerical stability is part of the problem: `sigmoid` must give no overflow warning and no NaN
  for |x| up to 1e4 (1 + exp(−x) overflows for x = −1e4 if computed naively), and `log_softmax`
  must be finite for logits up to 1e4 in magnitude (exp(1e4) overflows). Results that underflow
  to 0 (e.g. σ(−1e4)) are fine.
- The symbolic functions take SymPy symbols and return SymPy expressions; they are graded by
  equivalence, so any correct form earns the points.
- softmax(x)_j = exp(x_j) / Σ_k exp(x_k); δ_ij is the Kronecker delta (1 if i = j, else 0).
"""

import numpy as np  # noqa: F401  (the student stubs are written in NumPy)
import sympy as sp  # noqa: F401  (used in the solutions and in the docstring examples)


def sigmoid(x):
    """
    Computes the logistic sigmoid elementwise: σ(x) = 1 / (1 + exp(−x)).

    Must not produce overflow warnings or NaN for |x| up to 1e4 (σ(1e4) = 1, σ(−1e4) = 0).

    Inputs:
    - x: float array of any shape

    Returns:
    - array of the same shape, values in [0, 1]

    Example:
    >>> sigmoid(np.array([0.0, 2.0, -1e4]))
    array([0.5       , 0.88079708, 0.        ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def sigmoid_grad(x):
    """
    Computes the first derivative of the sigmoid elementwise: σ'(x) = σ(x)(1 − σ(x)).

    Inputs:
    - x: float array of any shape (the point where the derivative is taken, not σ(x))

    Returns:
    - array of the same shape, values in [0, 1/4]; no overflow warnings or NaN for |x| up to 1e4

    Example:
    >>> sigmoid_grad(np.array([0.0, 2.0, -2.0]))
    array([0.25      , 0.10499359, 0.10499359])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def sigmoid_grad2(x):
    """
    Computes the second derivative of the sigmoid elementwise:
    σ''(x) = σ(x)(1 − σ(x))(1 − 2σ(x)).

    Inputs:
    - x: float array of any shape

    Returns:
    - array of the same shape; σ'' is odd (σ''(−x) = −σ''(x)) and σ''(0) = 0

    Example:
    >>> sigmoid_grad2(np.array([0.0, 1.0, -1.0]))
    array([ 0.        , -0.09085775,  0.09085775])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def log_softmax(x):
    """
    Computes log-softmax over the last axis:
    log_softmax(x)_i = x_i − log Σ_{j=1..C} exp(x_j).

    Must be finite (no overflow) for logits up to 1e4 in magnitude.

    Inputs:
    - x: float array of shape (..., C)

    Returns:
    - array of shape (..., C); exp of it sums to 1 over the last axis

    Example:
    >>> log_softmax(np.array([[0.0, 0.0], [1e4, 0.0]]))
    array([[-6.93147181e-01, -6.93147181e-01],
           [ 0.00000000e+00, -1.00000000e+04]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def log_softmax_jacobian(x):
    """
    Computes the Jacobian of log-softmax over the last axis:
    J[..., i, j] = ∂ log_softmax(x)_i / ∂x_j = δ_ij − softmax(x)_j.

    Inputs:
    - x: float array of shape (..., C)

    Returns:
    - J: array of shape (..., C, C) (row i = output component, column j = input component)

    Example:
    >>> log_softmax_jacobian(np.array([0.0, np.log(3.0)]))
    array([[ 0.75, -0.75],
           [-0.25,  0.25]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def log_softmax_backward(dout, x):
    """
    Computes the vector–Jacobian product of log-softmax over the last axis (its backward pass):
    dx_j = Σ_i dout_i ∂ log_softmax(x)_i / ∂x_j = dout_j − softmax(x)_j Σ_i dout_i.

    Inputs:
    - dout: upstream gradient ∂loss/∂log_softmax(x), shape (..., C)
    - x: the input of log_softmax, shape (..., C)

    Returns:
    - dx: ∂loss/∂x, shape (..., C)

    Example:
    >>> log_softmax_backward(np.array([1.0, 0.0]), np.array([0.0, np.log(3.0)]))
    array([ 0.75, -0.75])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def sigmoid_grad_expr(x):
    """
    Returns a SymPy expression for σ'(x), the derivative of σ(x) = 1/(1 + exp(−x)).

    Any equivalent form is accepted (with exp, expanded, factored, ...).

    Inputs:
    - x: a SymPy Symbol

    Returns:
    - a SymPy expression in x

    Example:
    >>> x = sp.Symbol("x")
    >>> sp.nsimplify(sigmoid_grad_expr(x).subs(x, 0))
    1/4
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def sigmoid_grad2_expr(x):
    """
    Returns a SymPy expression for σ''(x), the second derivative of σ(x) = 1/(1 + exp(−x)).

    Inputs:
    - x: a SymPy Symbol

    Returns:
    - a SymPy expression in x

    Example:
    >>> x = sp.Symbol("x")
    >>> sp.simplify(sigmoid_grad2_expr(x).subs(x, 0))
    0
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def log_softmax_grad_expr(xs, i, j):
    """
    Returns a SymPy expression for ∂ log_softmax(xs)_i / ∂x_j, where
    log_softmax(xs)_i = log( exp(x_i) / Σ_k exp(x_k) ).

    Inputs:
    - xs: list of SymPy symbols [x_1, ..., x_C]
    - i, j: 0-based indices into xs (output component i, input component j)

    Returns:
    - a SymPy expression in the symbols of xs

    Example:
    >>> xs = sp.symbols("x1:3")
    >>> sp.simplify(log_softmax_grad_expr(xs, 0, 1).subs({xs[0]: 0, xs[1]: 0}))
    -1/2
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
