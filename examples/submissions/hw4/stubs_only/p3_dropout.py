r"""HW4 p3 — dropout in training and at test time, in the text's form and the inverted form (25 points).

Original text (课件 第3章 3.2 神经网络优化, `003` Dropout):

    在训练时，取得一个batch后，以概率 p 设置一些神经元为0 …… 每次取新batch时，都需要重新随机对神经元置为0

        p = 0.5 # probability of keeping a unit active. higher = less dropout
        H1 = np.maximum(0, np.dot(W1, X) + b1)
        U1 = np.random.rand(*H1.shape) < p # first dropout mask
        H1 *= U1 # drop!

    测试时，没有dropout，即所有的神经员都处于激活状态；缩放激活函数的输出，使得每个神经元测试时输出等于训练时的
    期望输出 —— 权重比例推断规则 …… 该概率为保留概率

        def predict(X):
            # ensembled forward pass
            H1 = np.maximum(0, np.dot(W1, X) + b1) * p # NOTE: scale the activations

English statement: write dropout's forward pass as the slides do (in training, keep each unit with probability
p_keep and zero the others; at test time keep every unit and scale it by p_keep, so that the test-time output
equals the expected training output), the inverted form (divide by p_keep in training, nothing at test time), and
the backward pass of both.

Notes:
- p_keep is the probability of KEEPING a unit (the slides' "保留概率"), 0 < p_keep ≤ 1.
- The mask is drawn from the given `rng` (a `np.random.Generator`, or a `np.random.RandomState`) by exactly one
  call u = rng.random(x.shape) in training, and a unit is kept where u < p_keep (strict), as the slides'
  `np.random.rand(*H1.shape) < p`. Test mode draws nothing.
- x is a float array of any shape; dropout works elementwise. Nothing is modified in place.
- What real student code gets wrong here: a unit is kept where u < p_keep (not u > p_keep, which keeps it with
  probability 1 − p_keep), and only one of the two modes is scaled (the text's form scales at test time, the
  inverted form in training).
"""

from typing import Any

import numpy as np


def dropout_forward(x: np.ndarray, p_keep: float, train: bool, rng: Any) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass of dropout in the slides' form (`003` train_step / predict):

        training:  u = rng.random(x.shape),  mask = (u < p_keep),  out = x ⊙ mask
        test:      out = x · p_keep                                   (权重比例推断规则, no draw)

    So E[out_train] = p_keep · x = out_test. Conventions: a unit is kept where u < p_keep (strict); the scaling is
    at test time only.

    Inputs:
    - x: float array of any shape (not modified)
    - p_keep: probability of keeping a unit, 0 < p_keep ≤ 1
    - train: True in training, False at test time
    - rng: a np.random.Generator (or RandomState); training makes exactly one call rng.random(x.shape)

    Returns a tuple of:
    - out: array of x's shape
    - cache: whatever `dropout_backward` needs (your choice of contents)

    Example:
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> out, cache = dropout_forward(x, 0.5, True, np.random.default_rng(0))
    >>> np.random.default_rng(0).random(4)                # the draw: keep where u < 0.5
    array([0.63696169, 0.26978671, 0.04097352, 0.01652764])
    >>> out
    array([0., 2., 3., 4.])
    >>> dropout_forward(x, 0.5, False, np.random.default_rng(0))[0]
    array([0.5, 1. , 1.5, 2. ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def inverted_dropout_forward(x: np.ndarray, p_keep: float, train: bool, rng: Any) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass of inverted dropout (the scaling moved to training time):

        training:  u = rng.random(x.shape),  mask = (u < p_keep),  out = x ⊙ mask / p_keep
        test:      out = x                                            (a copy, no draw)

    So E[out_train] = x = out_test. Conventions: the same single draw and strict u < p_keep as `dropout_forward`;
    nothing is scaled at test time.

    Inputs:
    - x: float array of any shape (not modified)
    - p_keep: probability of keeping a unit, 0 < p_keep ≤ 1
    - train: True in training, False at test time
    - rng: a np.random.Generator (or RandomState); training makes exactly one call rng.random(x.shape)

    Returns a tuple of:
    - out: array of x's shape (a new array also at test time)
    - cache: whatever `dropout_backward` needs (your choice of contents)

    Example:
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> inverted_dropout_forward(x, 0.5, True, np.random.default_rng(0))[0]
    array([0., 4., 6., 8.])
    >>> inverted_dropout_forward(x, 0.5, False, np.random.default_rng(0))[0]
    array([1., 2., 3., 4.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def dropout_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
    """
    Computes the backward pass of `dropout_forward` or of `inverted_dropout_forward` (either mode). The layer is
    linear, out = m ⊙ x, so dx = m ⊙ dout with the multiplier m of the forward pass:

        dropout_forward:           training dx = dout ⊙ mask,             test dx = dout · p_keep
        inverted_dropout_forward:  training dx = dout ⊙ mask / p_keep,    test dx = dout

    Conventions: one function serves both forms and both modes, so the cache must say which one made it.

    Inputs:
    - dout: upstream gradient ∂L/∂out, x's shape
    - cache: the cache returned by `dropout_forward` or `inverted_dropout_forward`

    Returns:
    - dx: ∂L/∂x, x's shape (a new array)

    Example:
    >>> out, cache = dropout_forward(np.array([1.0, 2.0, 3.0, 4.0]), 0.5, True, np.random.default_rng(0))
    >>> dropout_backward(np.array([10.0, 10.0, 10.0, 10.0]), cache)        # the units dropped get nothing
    array([ 0., 10., 10., 10.])
    >>> out, cache = inverted_dropout_forward(np.ones(2), 0.25, False, np.random.default_rng(0))
    >>> dropout_backward(np.array([1.0, 2.0]), cache)
    array([1., 2.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
