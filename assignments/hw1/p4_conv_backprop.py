r"""HW1 p4 — backpropagation through a convolution.

Original problem (作业习题 (4), course slides 第3章 3.2 神经网络优化):

    (4) 如果用如下卷积替换前馈网络中的线性变换，试计算误差项
    $\frac{\partial L}{\partial z_{ij}^{(l)}}$ 的递推式

    $$z_{ij}^{(l)} = \sum_{u=0}^{K-1} \sum_{v=0}^{K-1} w_{uv} a_{i+u, j+v}^{(l-1)}$$

    $$a_{ij}^{(l)} = f(z_{ij}^{(l)})$$

English statement: if the linear map of a feed-forward network is replaced by the convolution
z_ij^(l) = Σ_{u=0..K−1} Σ_{v=0..K−1} w_uv a^(l−1)_{i+u, j+v}, a_ij^(l) = f(z_ij^(l)), derive the
recursion for the error term δ_ij^(l) = ∂L/∂z_ij^(l).

Notes:
- "Convolution" means cross-correlation WITHOUT flipping the kernel, exactly as in the formula
  above and as in every deep-learning framework (PyTorch's conv2d, for instance).
- The recursion (as stated in the assignment's contract): z^(l+1)_{pq} = Σ_{u,v} w_uv a^(l)_{p+u, q+v}
  depends on a^(l)_ij through the terms with p = i − u, q = j − v, so
      δ^(l)_ij = f'(z^(l)_ij) Σ_u Σ_v w_uv δ^(l+1)_{i−u, j−v}   (terms outside δ^(l+1) are 0),
  i.e. f'(z^(l)) ⊙ the "full" convolution of δ^(l+1) with the kernel rotated by 180°.
  `conv_error_term` computes exactly this; `conv2d_forward`/`conv2d_backward` are the general
  multi-channel layer with stride and zero padding.
- No function may modify its inputs in place.
"""

import numpy as np  # noqa: F401  (the student stubs are written in NumPy)


def conv2d_forward(x, w, b, stride=1, pad=0):
    """
    Computes the forward pass of a 2-D convolutional layer (cross-correlation, no kernel flip).

    out[n, f, i, j] = b[f] + Σ_c Σ_u Σ_v w[f, c, u, v] · xpad[n, c, stride·i + u, stride·j + v]

    where xpad is x with `pad` zeros added on each side of both spatial axes.

    Inputs:
    - x: input of shape (N, C, H, W)
    - w: kernels of shape (F, C, KH, KW) (KH and KW may differ)
    - b: biases of shape (F,)
    - stride: positive int, the step of the window in both spatial directions
    - pad: non-negative int, zeros added on each side

    Returns a tuple of:
    - out: output of shape (N, F, H', W') with H' = (H + 2·pad − KH) // stride + 1 and
      W' = (W + 2·pad − KW) // stride + 1 (rows/columns the stride does not reach are unused)
    - cache: whatever `conv2d_backward` needs (your choice of contents)

    Example:
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    >>> out, cache = conv2d_forward(x, w, np.array([0.5]))
    >>> out
    array([[[[-3.5, -3.5],
             [-3.5, -3.5]]]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def conv2d_backward(dout, cache):
    """
    Computes the backward pass of `conv2d_forward`.

    dx[n, c, h, k] = Σ over the (f, i, j, u, v) with stride·i + u − pad = h and stride·j + v − pad = k
                     of dout[n, f, i, j] · w[f, c, u, v]
    dw[f, c, u, v] = Σ_n Σ_i Σ_j dout[n, f, i, j] · xpad[n, c, stride·i + u, stride·j + v]
    db[f]          = Σ_n Σ_i Σ_j dout[n, f, i, j]

    Inputs:
    - dout: upstream gradient ∂L/∂out of shape (N, F, H', W')
    - cache: the cache returned by `conv2d_forward`

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W) (zero where the input was never read)
    - dw: gradient of shape (F, C, KH, KW)
    - db: gradient of shape (F,)

    Example:
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    >>> out, cache = conv2d_forward(x, w, np.array([0.5]))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), cache)
    >>> dx[0, 0]
    array([[ 1.,  1.,  0.],
           [ 1.,  0., -1.],
           [ 0., -1., -1.]])
    >>> dw[0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def conv_error_term(delta_next, w_next, z, f_prime):
    """
    Computes the homework's error-term recursion through one convolution layer (one channel,
    stride 1, no padding).

    With z^(l+1)_pq = Σ_u Σ_v w_next[u, v] · f(z)_{p+u, q+v} and δ^(l+1) = delta_next = ∂L/∂z^(l+1):

    δ_ij = ∂L/∂z_ij = f'(z_ij) · Σ_{u=0..K−1} Σ_{v=0..K−1} w_next[u, v] · delta_next[i − u, j − v]

    where terms with (i − u, j − v) outside delta_next are 0; i.e. f'(z) ⊙ the full convolution of
    delta_next with the kernel rotated by 180°.

    Inputs:
    - delta_next: next layer's error term, shape (H − K + 1, W − K + 1)
    - w_next: next layer's kernel, shape (K, K)
    - z: this layer's pre-activation, shape (H, W)
    - f_prime: callable, the derivative f' of this layer's activation, applied elementwise to z

    Returns:
    - delta: this layer's error term ∂L/∂z, shape (H, W)

    Example:
    >>> delta_next = np.array([[1.0, 2.0]])          # H = 2, W = 3, K = 2
    >>> w_next = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> z = np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0]])
    >>> conv_error_term(delta_next, w_next, z, lambda z: np.ones_like(z))
    array([[ 1.,  4.,  4.],
           [ 3., 10.,  8.]])
    >>> conv_error_term(delta_next, w_next, z, lambda z: (z > 0).astype(float))  # relu'
    array([[0., 4., 4.],
           [0., 0., 8.]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
