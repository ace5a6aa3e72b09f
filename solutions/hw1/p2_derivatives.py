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

### BEGIN SOLUTION
from array_api_compat import array_namespace, device


def _as_float(x, xp):
    if xp.isdtype(x.dtype, "real floating"):
        return x
    return xp.astype(x, xp.float64)


def _cutoff(xp, dtype):
    # exp(-c) is still a normal number: exponentials are never evaluated below it, so no
    # underflow flag is raised even under np.errstate(all="raise")
    import math

    return float(math.floor(-math.log(float(xp.finfo(dtype).smallest_normal))))


def _exp_flush(t, xp):
    """exp(t) for t <= 0, with results below the smallest normal number flushed to exactly 0."""
    c = _cutoff(xp, t.dtype)
    e = xp.exp(xp.clip(t, min=-c))
    return xp.where(t < -c, xp.zeros_like(e), e)


def _softmax(x, xp):
    return _exp_flush(log_softmax(x), xp)


### END SOLUTION


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
    xp = array_namespace(x)
    x = _as_float(x, xp)
    # e = exp(-|x|) <= 1 never overflows; σ(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0
    e = _exp_flush(-xp.abs(x), xp)
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
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
    xp = array_namespace(x)
    x = _as_float(x, xp)
    # σ'(x) = e / (1 + e)^2 with e = exp(-|x|): symmetric in x and accurate in both tails
    e = _exp_flush(-xp.abs(x), xp)
    return e / ((1.0 + e) * (1.0 + e))
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
    xp = array_namespace(x)
    x = _as_float(x, xp)
    # with e = exp(-|x|): σ' = e/(1+e)^2 and 1 − 2σ(x) = −sign(x)(1 − e)/(1 + e)
    e = _exp_flush(-xp.abs(x), xp)
    mag = e * (1.0 - e) / ((1.0 + e) * (1.0 + e) * (1.0 + e))
    return xp.where(x > 0, -mag, mag)
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
    xp = array_namespace(x)
    x = _as_float(x, xp)
    shifted = x - xp.max(x, axis=-1, keepdims=True)
    lse = xp.log(xp.sum(_exp_flush(shifted, xp), axis=-1, keepdims=True))
    return shifted - lse
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
    xp = array_namespace(x)
    x = _as_float(x, xp)
    s = _softmax(x, xp)
    C = x.shape[-1]
    eye = xp.eye(C, dtype=s.dtype, device=device(s))
    return eye - xp.expand_dims(s, axis=-2)  # (C, C) − (..., 1, C): row i is δ_i· − softmax(x)
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
    xp = array_namespace(dout, x)
    x = _as_float(x, xp)
    s = _softmax(x, xp)
    return dout - s * xp.sum(dout, axis=-1, keepdims=True)
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
    s = 1 / (1 + sp.exp(-x))
    return s * (1 - s)
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
    s = 1 / (1 + sp.exp(-x))
    return s * (1 - s) * (1 - 2 * s)
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
    xs = list(xs)
    denom = sp.Add(*[sp.exp(t) for t in xs])
    delta = 1 if i == j else 0
    return delta - sp.exp(xs[j]) / denom
    ### END SOLUTION
