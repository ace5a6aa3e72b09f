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
    raise NotImplementedError
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
    raise NotImplementedError
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
    raise NotImplementedError
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
    raise NotImplementedError
    ### END SOLUTION
