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

### BEGIN SOLUTION
# Written against the Python array API standard: the namespace comes from the inputs and new arrays are
# made on the inputs' device, so the same code runs on NumPy, CuPy, PyTorch or array_api_strict arrays.
#
# Layout ("im2col", channels first): the columns of a batch are one matrix cols of shape (C·KH·KW, N·H'·W'),
#   cols[(c, u, v), (n, i, j)] = xpad[n, c, stride·i + u, stride·j + v],
# so the forward pass is ONE matrix product out = W_mat @ cols with W_mat = w reshaped to (F, C·KH·KW), and
# the backward pass is two more: dW_mat = dout_mat @ cols.T and dcols = W_mat.T @ dout_mat, where
# dout_mat = dout arranged as (F, N·H'·W'). dcols is scattered back by a loop over the KH·KW kernel offsets
# (the positions one offset reads are distinct, so a slice update is exact; overlaps of offsets add up).
from array_api_compat import array_namespace, device


def _check_int(name, value, minimum):
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _offset_slices(KH, KW, Ho, Wo, stride):
    """(u, v, rows, columns) for every kernel offset, row-major in (u, v): rows = u, u + s, ..., u + s·(Ho − 1)."""
    for u in range(KH):
        for v in range(KW):
            yield u, v, slice(u, u + stride * (Ho - 1) + 1, stride), slice(v, v + stride * (Wo - 1) + 1, stride)


def _im2col(x_cn, KH, KW, Ho, Wo, stride, xp):
    """x_cn (C, N, Hp, Wp), the padded input with channels first -> cols (C·KH·KW, N·Ho·Wo)."""
    C, N = x_cn.shape[0], x_cn.shape[1]
    windows = [x_cn[:, :, rows, cols] for _, _, rows, cols in _offset_slices(KH, KW, Ho, Wo, stride)]
    return xp.reshape(xp.stack(windows, axis=1), (C * KH * KW, N * Ho * Wo))


def _col2im(dcols, C, N, Hp, Wp, KH, KW, Ho, Wo, stride, xp):
    """Adjoint of `_im2col`: dcols (C·KH·KW, N·Ho·Wo) -> (C, N, Hp, Wp), overlapping windows add up."""
    dcols = xp.reshape(dcols, (C, KH * KW, N, Ho, Wo))
    dx_cn = xp.zeros((C, N, Hp, Wp), dtype=dcols.dtype, device=device(dcols))
    for u, v, rows, cols in _offset_slices(KH, KW, Ho, Wo, stride):
        dx_cn[:, :, rows, cols] += dcols[:, u * KW + v, ...]
    return dx_cn


### END SOLUTION


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
    xp = array_namespace(x, w, b)
    stride = _check_int("stride", stride, 1)
    pad = _check_int("pad", pad, 0)
    if x.ndim != 4 or w.ndim != 4 or b.ndim != 1:
        raise ValueError("expected x (N, C, H, W), w (F, C, KH, KW), b (F,)")
    N, C, H, W = x.shape
    F, Cw, KH, KW = w.shape
    if Cw != C or b.shape[0] != F:
        raise ValueError(f"shape mismatch: x {tuple(x.shape)}, w {tuple(w.shape)}, b {tuple(b.shape)}")
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if Hp < KH or Wp < KW:
        raise ValueError("the kernel is larger than the padded input")
    Ho, Wo = (Hp - KH) // stride + 1, (Wp - KW) // stride + 1
    x_cn = xp.permute_dims(x, (1, 0, 2, 3))  # (C, N, H, W)
    if pad > 0:
        xpad = xp.zeros((C, N, Hp, Wp), dtype=x.dtype, device=device(x))
        xpad[:, :, pad : pad + H, pad : pad + W] = x_cn
        x_cn = xpad
    cols = _im2col(x_cn, KH, KW, Ho, Wo, stride, xp)  # (C·KH·KW, N·Ho·Wo)
    out = xp.matmul(xp.reshape(w, (F, C * KH * KW)), cols)  # (F, N·Ho·Wo)
    out = xp.permute_dims(xp.reshape(out, (F, N, Ho, Wo)), (1, 0, 2, 3)) + xp.reshape(b, (1, F, 1, 1))
    cache = {"cols": cols, "w": w, "x_shape": (N, C, H, W), "stride": stride, "pad": pad}
    return out, cache
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
    cols, w = cache["cols"], cache["w"]
    N, C, H, W = cache["x_shape"]
    stride, pad = cache["stride"], cache["pad"]
    xp = array_namespace(dout, cols, w)
    F, _, KH, KW = w.shape
    Ho, Wo = dout.shape[-2], dout.shape[-1]
    db = xp.sum(dout, axis=(0, 2, 3))
    dout_mat = xp.reshape(xp.permute_dims(dout, (1, 0, 2, 3)), (F, N * Ho * Wo))
    w_mat = xp.reshape(w, (F, C * KH * KW))
    dw = xp.reshape(xp.matmul(dout_mat, cols.T), (F, C, KH, KW))  # Σ over n, i, j in one product
    dcols = xp.matmul(w_mat.T, dout_mat)  # (C·KH·KW, N·Ho·Wo)
    dx_cn = _col2im(dcols, C, N, H + 2 * pad, W + 2 * pad, KH, KW, Ho, Wo, stride, xp)
    dx = xp.permute_dims(dx_cn[:, :, pad : pad + H, pad : pad + W], (1, 0, 2, 3))
    return dx, dw, db
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
    xp = array_namespace(delta_next, w_next, z)
    KH, KW = w_next.shape[-2], w_next.shape[-1]
    H, W = z.shape[-2], z.shape[-1]
    Ho, Wo = delta_next.shape[-2], delta_next.shape[-1]
    if Ho != H - KH + 1 or Wo != W - KW + 1:
        raise ValueError(
            f"delta_next must have shape (H - K + 1, W - K + 1) = ({H - KH + 1}, {W - KW + 1}), "
            f"got {tuple(delta_next.shape)}"
        )
    # ∂L/∂a_ij = Σ_u Σ_v w[u, v] δ_next[i − u, j − v]: add the copy of δ_next shifted by (u, v), times w[u, v]
    dtype = xp.result_type(w_next, delta_next)
    da = xp.zeros((*delta_next.shape[:-2], H, W), dtype=dtype, device=device(delta_next))
    for u in range(KH):
        for v in range(KW):
            da[..., u : u + Ho, v : v + Wo] += w_next[u, v] * delta_next
    return f_prime(z) * da
    ### END SOLUTION
