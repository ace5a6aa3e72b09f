r"""HW1 p5 — backpropagation through pooling layers.

Original problem (作业习题 (5), course slides 第3章 3.2 神经网络优化):

    (5) 如果有池化层，这一层的误差如何反向传播？

English statement: if the network has a pooling layer, how does the error propagate back through it?

Notes:
- Pooling works on each sample and channel separately over k×k windows; the window (i, j) covers
  rows stride·i .. stride·i + k − 1 and columns stride·j .. stride·j + k − 1. There is no padding,
  stride defaults to k (non-overlapping windows); stride < k gives overlapping windows and
  stride > k leaves some inputs out. H' = (H − k) // stride + 1, W' = (W − k) // stride + 1.
- Max pooling has no parameters; its backward pass routes each window's upstream gradient to the
  input that was the window's maximum (the derivative of max is 1 for the arg max, 0 elsewhere).
  Tie rule: when several inputs of a window are equal to its maximum, the gradient goes to the FIRST
  one in row-major order within the window (what `numpy.argmax` of the flattened window picks).
- Average pooling spreads each window's upstream gradient evenly, dout/(k·k), over its k·k inputs.
- In both cases an input covered by several (overlapping) windows receives the SUM of their
  contributions; inputs covered by no window get 0.
- No function may modify its inputs in place.
"""

import numpy as np  # noqa: F401  (the student stubs are written in NumPy)

### BEGIN SOLUTION
from array_api_compat import array_namespace, device


def _pool_geometry(x, k, stride):
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    k = int(k)
    stride = k if stride is None else stride
    if isinstance(stride, bool) or int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    stride = int(stride)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {tuple(x.shape)}")
    H, W = x.shape[-2], x.shape[-1]
    if H < k or W < k:
        raise ValueError(f"the {k}x{k} window does not fit into a {H}x{W} input")
    return k, stride, (H - k) // stride + 1, (W - k) // stride + 1


def _window_slices(k, stride, Ho, Wo):
    """(p, q, rows, columns) for every offset (p, q) within the window, row-major in (p, q).

    x[..., rows, columns] has shape (..., Ho, Wo) and holds x[..., stride·i + p, stride·j + q]: the entry at
    offset (p, q) of every window (i, j) at once. One offset's positions are distinct, so a slice update
    through them is exact; positions shared by overlapping windows are reached by several offsets and add up.
    """
    for p in range(k):
        for q in range(k):
            yield p, q, slice(p, p + stride * (Ho - 1) + 1, stride), slice(q, q + stride * (Wo - 1) + 1, stride)


### END SOLUTION


def maxpool_forward(x, k=2, stride=None):
    """
    Computes the forward pass of k×k max pooling.

    out[n, c, i, j] = max over 0 ≤ p, q < k of x[n, c, stride·i + p, stride·j + q]

    Inputs:
    - x: input of shape (N, C, H, W)
    - k: window size (positive int)
    - stride: window step (positive int); None means stride = k. Windows may overlap (stride < k).

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), H' = (H − k) // stride + 1, W' = (W − k) // stride + 1
    - cache: whatever `maxpool_backward` needs (your choice of contents)

    Example:
    >>> x = np.array([[[[1.0, 2.0, 0.0, 0.0],
    ...                 [3.0, 4.0, 0.0, 5.0],
    ...                 [0.0, 0.0, 1.0, 1.0],
    ...                 [0.0, 0.0, 1.0, 1.0]]]])
    >>> out, cache = maxpool_forward(x, k=2)
    >>> out
    array([[[[4., 5.],
             [0., 1.]]]])
    """
    ### BEGIN SOLUTION
    xp = array_namespace(x)
    k, stride, Ho, Wo = _pool_geometry(x, k, stride)
    # running maximum over the window offsets (p, q), visited in row-major order; arg[n, c, i, j] = p·k + q of
    # the window's maximum. A later offset takes over only when STRICTLY greater, so a tie keeps the first
    # maximum in row-major order (the entry numpy.argmax of the flattened window picks).
    offsets = list(_window_slices(k, stride, Ho, Wo))
    _, _, rows, cols = offsets[0]
    out = xp.asarray(x[..., rows, cols], copy=True)  # (N, C, H', W'), offset (0, 0) of every window
    arg = xp.zeros(out.shape, dtype=xp.int64, device=device(x))
    for p, q, rows, cols in offsets[1:]:
        win = x[..., rows, cols]
        arg = xp.where(win > out, xp.asarray(p * k + q, dtype=xp.int64, device=device(x)), arg)
        out = xp.maximum(out, win)
    cache = {"arg": arg, "x_shape": tuple(x.shape), "k": k, "stride": stride}
    return out, cache
    ### END SOLUTION


def maxpool_backward(dout, cache):
    """
    Computes the backward pass of `maxpool_forward`.

    Each window's upstream gradient dout[n, c, i, j] goes entirely to the position of the window's
    maximum; if several positions tie for the maximum, it goes to the FIRST of them in row-major order
    within the window (what numpy.argmax on the flattened window returns). Overlapping windows add up.

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W')
    - cache: the cache returned by `maxpool_forward`

    Returns:
    - dx: gradient of shape (N, C, H, W)

    Example (the bottom-right window is a tie of four 1's: its gradient goes to the top-left one):
    >>> x = np.array([[[[1.0, 2.0, 0.0, 0.0],
    ...                 [3.0, 4.0, 0.0, 5.0],
    ...                 [0.0, 0.0, 1.0, 1.0],
    ...                 [0.0, 0.0, 1.0, 1.0]]]])
    >>> out, cache = maxpool_forward(x, k=2)
    >>> maxpool_backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    array([[[[ 0.,  0.,  0.,  0.],
             [ 0., 10.,  0., 20.],
             [30.,  0., 40.,  0.],
             [ 0.,  0.,  0.,  0.]]]])
    """
    ### BEGIN SOLUTION
    arg, k, stride = cache["arg"], cache["k"], cache["stride"]
    xp = array_namespace(dout, arg)
    Ho, Wo = dout.shape[-2], dout.shape[-1]
    dx = xp.zeros(cache["x_shape"], dtype=dout.dtype, device=device(dout))
    zeros = xp.zeros_like(dout)
    for p, q, rows, cols in _window_slices(k, stride, Ho, Wo):
        # dout of the windows whose (first) maximum sits at offset (p, q) goes to that entry
        dx[..., rows, cols] += xp.where(arg == p * k + q, dout, zeros)
    return dx
    ### END SOLUTION


def avgpool_forward(x, k=2, stride=None):
    """
    Computes the forward pass of k×k average pooling.

    out[n, c, i, j] = (1 / k²) Σ_{0 ≤ p, q < k} x[n, c, stride·i + p, stride·j + q]

    Inputs:
    - x: input of shape (N, C, H, W)
    - k: window size (positive int)
    - stride: window step (positive int); None means stride = k. Windows may overlap (stride < k).

    Returns a tuple of:
    - out: output of shape (N, C, H', W'), H' = (H − k) // stride + 1, W' = (W − k) // stride + 1
    - cache: whatever `avgpool_backward` needs (your choice of contents)

    Example:
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> out, cache = avgpool_forward(x, k=2, stride=1)
    >>> out
    array([[[[2., 3.],
             [5., 6.]]]])
    """
    ### BEGIN SOLUTION
    k, stride, Ho, Wo = _pool_geometry(x, k, stride)
    # Σ over the k·k offsets (p, q) of the slice x[..., stride·i + p, stride·j + q], divided by k²
    slices = [x[..., rows, cols] for _, _, rows, cols in _window_slices(k, stride, Ho, Wo)]
    total = slices[0]
    for win in slices[1:]:
        total = total + win
    out = total / (k * k)
    cache = {"x_shape": tuple(x.shape), "k": k, "stride": stride}
    return out, cache
    ### END SOLUTION


def avgpool_backward(dout, cache):
    """
    Computes the backward pass of `avgpool_forward`.

    Each window spreads dout[n, c, i, j] / (k·k) over each of its k·k inputs; an input covered by
    several (overlapping) windows gets the sum, an input covered by none gets 0.

    Inputs:
    - dout: upstream gradient of shape (N, C, H', W')
    - cache: the cache returned by `avgpool_forward`

    Returns:
    - dx: gradient of shape (N, C, H, W)

    Example (overlapping 2×2 windows with stride 1: the centre input is in all four windows):
    >>> out, cache = avgpool_forward(np.zeros((1, 1, 3, 3)), k=2, stride=1)
    >>> avgpool_backward(np.ones((1, 1, 2, 2)), cache)
    array([[[[0.25, 0.5 , 0.25],
             [0.5 , 1.  , 0.5 ],
             [0.25, 0.5 , 0.25]]]])
    """
    ### BEGIN SOLUTION
    k, stride = cache["k"], cache["stride"]
    xp = array_namespace(dout)
    Ho, Wo = dout.shape[-2], dout.shape[-1]
    dx = xp.zeros(cache["x_shape"], dtype=dout.dtype, device=device(dout))
    share = dout / (k * k)
    for _, _, rows, cols in _window_slices(k, stride, Ho, Wo):
        dx[..., rows, cols] += share
    return dx
    ### END SOLUTION
