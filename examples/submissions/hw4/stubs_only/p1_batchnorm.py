r"""HW4 p1 — batch normalization, in training and at test time (35 points).

Original text (教程 第3章 深度学习基础, `001` §3.7.1 考虑深度学习, §3.7.2 测试时的批量归一化):

    如何对 $z$ 做特征归一化？$z$ 可以看成另外一种特征。首先计算下 $z^{1},z^{2},z^{3}$ 的平均值，即
    $$\boldsymbol{\mu}=\frac{1}{3}\sum_{i=1}^{3}z^{i}$$
    接下来计算标准差
    $$\boldsymbol{\sigma}=\sqrt{\frac{1}{3}\sum_{i=1}^{3}\left(z^{i}-\boldsymbol{\mu}\right)^{2}}$$
    最后，根据计算出的 $\boldsymbol{\mu}$ 和 $\sigma$ 进行归一化：$\tilde{z}^{i}=\frac{z^{i}-\mu}{\sigma}$ ……
    在做批量归一化的时候，往往还会做如下操作：$\hat{\boldsymbol z}^{i}=\gamma\odot\tilde{\boldsymbol z}^{i}+\beta$ ……

    在训练的时候，如果有在做批量归一化，每一个批量计算出来的 $\mu,\sigma$，都会拿出来算移动平均（moving
    average）。假设现在有各个批量计算出来的 $\mu^{1},\mu^{2},\mu^{3},\cdots,\mu^{t}$，则可以计算移动平均
    $$\bar{\boldsymbol{\mu}}\leftarrow p\bar{\boldsymbol{\mu}}+(1-p)\boldsymbol{\mu}^{t}$$
    …… 最后在测试的时候，就不用算批量里面的 $\mu$ 跟 $\sigma$ 了 …… 就可以就直接拿 $\bar{\mu}$ 跟 $\bar{\sigma}$
    来取代原来的 $\mu$ 跟 $\sigma$。

English statement: write the forward pass of batch normalization, which in training normalizes each feature of a
batch by the batch's mean μ and standard deviation σ, scales and shifts it (ẑ = γ ⊙ z̃ + β) and updates the
moving averages μ̄, σ̄² that test time uses instead of the batch's statistics; then its backward pass, for both
modes.

Notes:
- A batch has one sample per row: z has shape (N, D); μ, σ², γ, β and the running averages have shape (D,).
- σ² is the BIASED variance (1/N, as the text's σ), and eps goes inside the root: sqrt(σ² + eps).
- The moving average is the text's: p weighs the OLD average, μ̄ ← p μ̄ + (1 − p) μ (default p = 0.9). PyTorch's
  `momentum` weighs the NEW batch, so the text's p is PyTorch's 1 − momentum (the text's "p 设 0.1" is PyTorch's
  momentum = 0.1, i.e. p = 0.9 here). The running variance averages the same biased σ² that normalized the batch
  (PyTorch averages the unbiased one).
- `state` holds "running_mean" and "running_var"; the first call gets state = {}, which means μ̄ = 0, σ̄² = 1
  (PyTorch's start): after one training call running_mean = (1 − p) μ and running_var = p + (1 − p) σ².
- Nothing is modified in place, `state` included: every call returns a NEW state dict.
- What real student code gets wrong here: `state = {}` means running_var = 1 (not 0), and the backward pass must
  also accept a test-mode cache (where μ̄, σ̄² are constants).
"""

from typing import Any

import numpy as np


def batchnorm_forward(
    z: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    state: dict[str, Any],
    train: bool,
    p: float = 0.9,
    eps: float = 1e-5,
) -> tuple[np.ndarray, Any, dict[str, Any]]:
    """
    Computes the forward pass of batch normalization (`001` §3.7, eq. 3.32–3.36).

    Training (train=True), over the batch axis 0:
        μ = (1/N) Σ_i z^i,   σ² = (1/N) Σ_i (z^i − μ)²          (the biased variance)
        z̃^i = (z^i − μ) / sqrt(σ² + eps),   ẑ^i = γ ⊙ z̃^i + β
        μ̄ ← p μ̄ + (1 − p) μ,   σ̄² ← p σ̄² + (1 − p) σ²        (p weighs the OLD average)
    Test (train=False): the running averages replace the batch's statistics, and the state is not updated:
        ẑ^i = γ ⊙ (z^i − μ̄) / sqrt(σ̄² + eps) + β

    Conventions: state = {} means μ̄ = 0, σ̄² = 1, so the first training call gives running_var = p + (1 − p) σ²,
    not σ² (and test mode on state = {} gives γ ⊙ z / sqrt(1 + eps) + β). The text's p is PyTorch's
    1 − momentum.

    Inputs:
    - z: pre-activations, shape (N, D), one sample per row
    - gamma: scale γ, shape (D,)
    - beta: shift β, shape (D,)
    - state: dict with "running_mean" and "running_var" of shape (D,), or {} on the first call (not modified)
    - train: True for a training batch, False at test time
    - p: weight of the old running average (default 0.9)
    - eps: added to the variance inside the root (default 1e-5)

    Returns a tuple of:
    - out: ẑ, shape (N, D)
    - cache: whatever `batchnorm_backward` needs (your choice of contents)
    - new_state: a NEW dict; in training with the updated "running_mean" and "running_var" (shape (D,)), at test
      time with the same contents as `state`

    Example:
    >>> z = np.array([[1.0, 2.0], [3.0, 6.0]])
    >>> out, cache, state = batchnorm_forward(z, np.ones(2), np.zeros(2), {}, train=True, eps=0.0)
    >>> out                                      # μ = (2, 4), σ² = (1, 4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> state["running_mean"], state["running_var"]          # (1 − p) μ and p·1 + (1 − p) σ²
    (array([0.2, 0.4]), array([1. , 1.3]))
    >>> out, cache, same = batchnorm_forward(z, np.ones(2), np.zeros(2), state, train=False, eps=0.0)
    >>> out                                      # (z − μ̄)/sqrt(σ̄²)
    array([[0.8       , 1.40329283],
           [2.8       , 4.91152491]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Computes the backward pass of `batchnorm_forward`, for a training or a test-mode cache.

    With z̃ = (z − μ)/s, s = sqrt(σ² + eps) and dz̃ = dout ⊙ γ (row by row):
        dβ = Σ_i dout^i,   dγ = Σ_i dout^i ⊙ z̃^i                  (summed over the batch, shape (D,))
    Training cache (μ and σ² depend on every z^i of the batch):
        dz^i = (1/(N s)) ⊙ ( N dz̃^i − Σ_j dz̃^j − z̃^i ⊙ Σ_j dz̃^j ⊙ z̃^j )
    Test-mode cache (μ̄ and σ̄² are constants, s = sqrt(σ̄² + eps)):
        dz^i = dout^i ⊙ γ / s

    Conventions: a test-mode cache is valid input and gets the derivative of the test-time output, not the
    training formula.

    Inputs:
    - dout: upstream gradient ∂L/∂ẑ, shape (N, D)
    - cache: the cache returned by `batchnorm_forward` (either mode)

    Returns a tuple of:
    - dz: ∂L/∂z, shape (N, D)
    - dgamma: ∂L/∂γ, shape (D,)
    - dbeta: ∂L/∂β, shape (D,)

    Example:
    >>> z = np.array([[1.0, 2.0], [1.0, 0.0], [-1.0, 0.0], [-1.0, 2.0]])      # μ = (0, 1), σ² = (1, 1)
    >>> out, cache, state = batchnorm_forward(z, np.array([2.0, 1.0]), np.zeros(2), {}, train=True, eps=0.0)
    >>> dz, dgamma, dbeta = batchnorm_backward(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), cache)
    >>> dz                                       # each column of dz sums to 0: a shift of the batch changes no ẑ
    array([[ 1. , -0.5],
           [-1. ,  0. ],
           [ 0. ,  0. ],
           [ 0. ,  0.5]])
    >>> dgamma, dbeta
    (array([1., 1.]), array([1., 1.]))
    >>> out, cache, _ = batchnorm_forward(z, np.array([2.0, 1.0]), np.zeros(2), {}, train=False, eps=0.0)
    >>> batchnorm_backward(np.ones((4, 2)), cache)[0]          # test mode on state {}: dout ⊙ γ / sqrt(σ̄²), σ̄² = 1
    array([[2., 1.],
           [2., 1.],
           [2., 1.],
           [2., 1.]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
