r"""HW2 p1 — one update of SGD, momentum, AdaGrad, RMSProp and Adam (50 points).

Original text (教程 第3章 深度学习基础, `001` §3.2.2 动量法, §3.3 自适应学习率; 教材 第1章 `000` §1.6):

    动量法: 初始的参数值为 $\theta_0$，前一步的参数的更新量为 $m_0 = 0$ …… 接下来更新的方向为
    $m_2 = \lambda m_1 - \eta g_1$ ……
    $$m_0 = 0,\quad m_1 = -\eta g_0,\quad m_2 = -\lambda\eta g_0 - \eta g_1,\quad \ldots \tag{3.13}$$

    AdaGrad: $$\theta_{t+1}^i \leftarrow \theta_t^i - \frac{\eta}{\sigma_t^i} g_t^i,\quad
    \sigma_0^i = \sqrt{(g_0^i)^2} = |g_0^i|,\quad
    \sigma_t^i = \sqrt{\frac{1}{t+1}\sum_{j=0}^{t} (g_j^i)^2} \tag{3.18–3.22}$$
    （$\sigma_t^i$ 是过去所有计算出来的梯度的平方的平均再开根号，即均方根）

    RMSProp: RMSprop 第一步跟 Adagrad 的方法是相同的，即 $\sigma_0^i = |g_0^i|$ ……
    $$\theta_{t+1}^i \leftarrow \theta_t^i - \frac{\eta}{\sigma_t^i} g_t^i,\quad
    \sigma_t^i = \sqrt{\alpha (\sigma_{t-1}^i)^2 + (1-\alpha)(g_t^i)^2} \tag{3.23–3.25}$$
    其中 $0 < \alpha < 1$，其是一个可以调整的超参数。

    Adam: Adam 可以看作 RMSprop 加上动量，其使用动量作为参数更新方向，并且能够自适应调整学习率。
    （`000`: Adam 首先会计算梯度的滑动平均和二阶动量 …… 在默认设置下，β1 和 β2 的值分别是 0.9 和 0.999）

English statement: implement one update step of each optimizer of the text: plain gradient descent, momentum
(eq. 3.13), AdaGrad with the root MEAN square of the past gradients (eq. 3.18–3.22), RMSProp (eq. 3.23–3.25)
and Adam (Kingma & Ba, with bias correction).

Notes:
- Every optimizer is a pure function ``step(theta, g, state, **hyper) -> (new_theta, new_state)``. ``theta`` and
  ``g`` are float arrays of the same shape (any shape, a scalar 0-d array included); every operation is
  elementwise (the superscript i of the text is the index of one entry). ``state`` is a dict that only your own
  function reads: the first call gets ``state = {}``, and each later call gets the ``new_state`` the previous
  call returned. Its keys are your choice (the grader never looks inside it).
- Nothing is modified in place: neither ``theta``, ``g``, ``state`` nor any array inside ``state``. Return a NEW
  dict (also from ``sgd_step``) holding new arrays.
- t counts the updates already made, so the first call is the update t = 0 (the text's θ_1 = θ_0 − … g_0).
- The eps of AdaGrad, RMSProp and Adam is added to σ (or to sqrt(v̂)) OUTSIDE the square root.
- What real student code gets wrong here: RMSProp starts at σ₀ = |g₀| (a cache started at 0 makes the first step
  about 3× too long); momentum is m ← λm − ηg, θ ← θ + m (the form v ← μv + g, θ ← θ − ηv agrees only while η is
  constant); Adam adds eps after the bias correction, outside the root, and increments t before use; AdaGrad here
  is the text's mean, not the library's sum.
"""

from typing import Any

import numpy as np


def sgd_step(theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float) -> tuple[np.ndarray, dict[str, Any]]:
    """
    One update of plain gradient descent (`001` §3.2.2, 一般的梯度下降):

        θ_{t+1} = θ_t − η g_t

    Inputs:
    - theta: parameters θ_t, float array of any shape
    - g: gradient g_t = ∂L/∂θ at θ_t, same shape as theta
    - state: dict (plain SGD keeps nothing in it; the first call gets {})
    - lr: learning rate η (a float)

    Returns a tuple of:
    - new_theta: θ_{t+1}, a new array of theta's shape
    - new_state: a NEW dict (never the one passed in)

    Example:
    >>> theta, state = sgd_step(np.array([1.0, -2.0]), np.array([0.5, 4.0]), {}, lr=0.1)
    >>> theta
    array([ 0.95, -2.4 ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def momentum_step(
    theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, lam: float = 0.9
) -> tuple[np.ndarray, dict[str, Any]]:
    """
    One update of gradient descent with momentum (`001` eq. 3.13):

        m_{t+1} = λ m_t − η g_t     (m_0 = 0)
        θ_{t+1} = θ_t + m_{t+1}

    The movement m is a weighted sum of all past negative gradients: m_1 = −η g_0, m_2 = −λη g_0 − η g_1, …
    The first step is plain SGD. Convention: this is the text's form (η inside m). The library form
    v ← μ v + g, θ ← θ − η v gives the same steps only while η is constant.

    Inputs:
    - theta: parameters θ_t, float array of any shape
    - g: gradient g_t at θ_t, same shape as theta
    - state: {} on the first call (m_0 = 0), else the new_state of the previous call
    - lr: learning rate η
    - lam: weight λ of the previous movement (default 0.9)

    Returns a tuple of:
    - new_theta: θ_{t+1}
    - new_state: a new dict holding m_{t+1}

    Example:
    >>> theta, state = momentum_step(np.array([1.0]), np.array([2.0]), {}, lr=0.1, lam=0.5)
    >>> theta                                   # m_1 = −0.1·2 = −0.2
    array([0.8])
    >>> theta, state = momentum_step(theta, np.array([1.0]), state, lr=0.1, lam=0.5)
    >>> theta                                   # m_2 = 0.5·(−0.2) − 0.1·1 = −0.2
    array([0.6])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def adagrad_step(
    theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, eps: float = 1e-8
) -> tuple[np.ndarray, dict[str, Any]]:
    """
    One update of AdaGrad in the text's form (`001` eq. 3.18–3.22), the root MEAN square of all gradients so far:

        σ_t = sqrt( (1/(t+1)) Σ_{j=0..t} g_j² )      (elementwise; the current gradient g_t included)
        θ_{t+1} = θ_t − η g_t / (σ_t + eps)

    t counts the updates already made (the first call is t = 0), so σ_0 = |g_0| and the first step is ≈ ±η in
    every entry whose gradient is not 0, whatever the gradient's size. Conventions: the MEAN, not the sum of
    library AdaGrad (torch.optim.Adagrad, Duchi et al.); eps outside the root; a zero gradient gives a zero step.

    Inputs:
    - theta: parameters θ_t, float array of any shape
    - g: gradient g_t at θ_t, same shape as theta
    - state: {} on the first call, else the new_state of the previous call
    - lr: learning rate η
    - eps: small positive number added to σ_t (default 1e-8)

    Returns a tuple of:
    - new_theta: θ_{t+1}
    - new_state: a new dict (whatever the next call needs: e.g. Σ g_j² and the number of updates)

    Example:
    >>> theta, state = adagrad_step(np.array([0.0, 0.0]), np.array([3.0, -0.01]), {}, lr=0.1, eps=0.0)
    >>> theta                                   # σ_0 = |g_0|: both entries move by η
    array([-0.1,  0.1])
    >>> theta, state = adagrad_step(theta, np.array([1.0, 0.0]), state, lr=0.1, eps=0.0)
    >>> theta                                   # σ_1 = sqrt((9 + 1)/2) for the first entry
    array([-0.14472136,  0.1       ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def rmsprop_step(
    theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, alpha: float = 0.9, eps: float = 1e-8
) -> tuple[np.ndarray, dict[str, Any]]:
    """
    One update of RMSProp in the text's form (`001` eq. 3.23–3.25):

        σ_0 = |g_0|                                            (the first step is AdaGrad's)
        σ_t = sqrt( α σ_{t−1}² + (1 − α) g_t² )                for t ≥ 1
        θ_{t+1} = θ_t − η g_t / (σ_t + eps)

    α weighs the OLD σ (0 < α < 1). Convention: the first call sets σ_0 = |g_0|, not sqrt((1 − α) g_0²) as
    PyTorch's RMSprop (whose cache starts at 0 and makes the first step 1/sqrt(1 − α) ≈ 3.16 times longer for
    α = 0.9). eps is added outside the root.

    Inputs:
    - theta: parameters θ_t, float array of any shape
    - g: gradient g_t at θ_t, same shape as theta
    - state: {} on the first call, else the new_state of the previous call
    - lr: learning rate η
    - alpha: weight α of the previous σ² (default 0.9)
    - eps: small positive number added to σ_t (default 1e-8)

    Returns a tuple of:
    - new_theta: θ_{t+1}
    - new_state: a new dict holding σ_t

    Example:
    >>> theta, state = rmsprop_step(np.array([1.0]), np.array([4.0]), {}, lr=0.1, alpha=0.9, eps=0.0)
    >>> theta                                   # σ_0 = |g_0| = 4: a step of η
    array([0.9])
    >>> theta, state = rmsprop_step(theta, np.array([1.0]), state, lr=0.1, alpha=0.9, eps=0.0)
    >>> theta                                   # σ_1 = sqrt(0.9·16 + 0.1·1) = sqrt(14.5)
    array([0.87373871])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def adam_step(
    theta: np.ndarray,
    g: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, dict[str, Any]]:
    """
    One update of Adam (Kingma & Ba, Alg. 1; `000` Alg. 1.2), "RMSProp plus momentum" (`001` §3.3.3):

        t ← t + 1                                  (t is incremented BEFORE use: the first update has t = 1)
        m_t = β1 m_{t−1} + (1 − β1) g              (m_0 = 0, the moving average of g)
        v_t = β2 v_{t−1} + (1 − β2) g²             (v_0 = 0, the moving average of g²)
        m̂_t = m_t / (1 − β1^t),   v̂_t = v_t / (1 − β2^t)      (bias correction)
        θ ← θ − η m̂_t / (sqrt(v̂_t) + eps)

    Conventions: eps is added after the bias correction and outside the root. With this t the first step is
    ≈ η·sign(g) in every entry (m̂_1 = g, v̂_1 = g²).

    Inputs:
    - theta: parameters, float array of any shape
    - g: gradient at theta, same shape as theta
    - state: {} on the first call, else the new_state of the previous call
    - lr: learning rate η (default 1e-3)
    - beta1, beta2: decay rates of the two moving averages (defaults 0.9 and 0.999)
    - eps: small positive number added to sqrt(v̂) (default 1e-8)

    Returns a tuple of:
    - new_theta: the updated parameters
    - new_state: a new dict holding m_t, v_t and t

    Example:
    >>> theta, state = adam_step(np.array([1.0, 1.0]), np.array([0.5, -2.0]), {}, lr=0.1, eps=0.0)
    >>> theta                                   # t = 1: m̂ = g, v̂ = g², a step of η·sign(g)
    array([0.9, 1.1])
    >>> theta, state = adam_step(theta, np.array([0.5, 2.0]), state, lr=0.1, eps=0.0)
    >>> theta                                   # t = 2: the second entry's m̂ = 0.02/0.19, v̂ = 4
    array([0.8       , 1.09473684])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
