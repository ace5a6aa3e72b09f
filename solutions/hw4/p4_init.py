r"""HW4 p4 — parameter initialization: Gaussian and uniform draws, and the symmetric-weights problem (20 points).

Original text (课件 第3章 3.2 神经网络优化, `003` 参数初始化):

    参数不能全部初始化为0！为什么？
    - 对称权重问题：前馈神经网络中同一层权重初始化为相同值。
    - 前向传播中得到的每一层中的不同神经元激活值相同。
    - 反向传播中得到的同一层的各个权重参数的梯度值相同。
    - 使得隐层神经元没有区分性，神经网络无法有效学习数据中的特征。
    $$a_1 = f(w_{11}x_1 + w_{21}x_2 + b_1),\quad a_2 = f(w_{12}x_1 + w_{22}x_2 + b_2),\quad
      a_3 = \text{sigmoid}(w_{13}a_1 + w_{23}a_2 + b_3)$$
    第一次更新: $a_1 = a_2 \Rightarrow \frac{\partial L}{\partial w_{13}} = \frac{\partial L}{\partial w_{23}}$ ……
    随后更新：由于对称性，保持 $a_1 = a_2 \Rightarrow$ 神经元输出没有区分性

    随机初始化：基于固定方差的初始化
    Gaussian分布初始化 - 参数从一个固定均值（比如0）和固定方差（比如0.01）的Gaussian分布进行随机初始化。
    $$W = \sigma * \text{np.random.randn}(\text{fan\_in}, \text{fan\_out})$$
    均匀分布初始化 - 参数可以在区间 $[-r, r]$ 内采用均匀分布进行初始化
    $$W = 2 * r * \text{np.random.rand}(\text{fan\_in}, \text{fan\_out}) - r$$

English statement: write the slides' two random initializations of a (fan_in, fan_out) weight matrix, drawn from a
given random generator, and show with the slides' small network that an initialization with every weight equal
keeps the two hidden units identical however long it is trained.

Notes:
- W has shape (fan_in, fan_out), as the slides' randn(fan_in, fan_out); σ is the standard deviation (the slides
  say 方差 0.01 but multiply randn by σ).
- Each initialization makes ONE draw of the whole array, in C order, from the given `rng` (a
  `np.random.Generator`, or a `np.random.RandomState`): σ·rng.standard_normal((fan_in, fan_out)) and
  2r·rng.random((fan_in, fan_out)) − r. `rng.normal(0, σ, size)` and `rng.uniform(−r, r, size)` give the same
  numbers bit for bit, so they are fine too.
- `symmetric_init_demo` uses the network given below (`slide_network`, `mlp_forward`, `mlp_backward`,
  `mlp_sgd_step`): the slides' 2 inputs, 2 sigmoid hidden units and 1 sigmoid output, every weight and bias 0.5,
  trained on hw1 p1's x = (0.2, 0.3), y = 1 with the loss ½(y − ŷ)² by SGD with learning rate 1. These are given,
  not graded.
- What real student code gets wrong here: the weights are drawn in the shape (fan_in, fan_out), not PyTorch's
  (fan_out, fan_in) transposed afterwards, so the same rng gives the same matrix entry for entry.
"""

from typing import Any

import numpy as np

#: hw1 p1's input x = (0.2, 0.3) (one sample) and target y = 1.
SLIDE_X = (0.2, 0.3)
SLIDE_Y = 1.0
#: The all-equal initialization: every weight and bias of the slide network.
SLIDE_INIT = 0.5
#: SGD's learning rate and number of steps in `symmetric_init_demo`.
SLIDE_LR = 1.0
SLIDE_STEPS = 5


def sigmoid(z: np.ndarray) -> np.ndarray:
    """
    The logistic sigmoid σ(z) = 1 / (1 + exp(−z)), elementwise (given, not graded).

    Inputs:
    - z: float array of any shape (moderate values: this helper is not guarded against overflow)

    Returns:
    - array of z's shape

    Example:
    >>> sigmoid(np.array([0.0, 1.0]))
    array([0.5       , 0.73105858])
    """
    return 1.0 / (1.0 + np.exp(-z))


def slide_network() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """
    The slides' 2-2-1 network with the all-equal initialization, and hw1 p1's sample (given, not graded).

    Returns a tuple (params, x, y) of fresh float64 arrays:
    - params: "W1" (2, 2), "b1" (2,), "W2" (1, 2), "b2" (1,), every entry SLIDE_INIT = 0.5; row j of W1 holds the
      incoming weights of hidden unit j, column j of W2 its outgoing weight (W^l has shape (n_l, n_{l−1}))
    - x: shape (1, 2), the sample (0.2, 0.3)
    - y: shape (1, 1), the target 1.0

    Example:
    >>> params, x, y = slide_network()
    >>> params["W1"], x
    (array([[0.5, 0.5],
           [0.5, 0.5]]), array([[0.2, 0.3]]))
    """
    params = {
        "W1": np.full((2, 2), SLIDE_INIT),
        "b1": np.full((2,), SLIDE_INIT),
        "W2": np.full((1, 2), SLIDE_INIT),
        "b2": np.full((1,), SLIDE_INIT),
    }
    return params, np.array([SLIDE_X], dtype=np.float64), np.array([[SLIDE_Y]], dtype=np.float64)


def mlp_forward(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """
    The forward pass of a fully connected sigmoid network, hw1 p1's layout (given, not graded):

        for l = 1..L:  z^l = a^{l−1} @ W^l.T + b^l,   a^l = σ(z^l),   a^0 = x,   ŷ = a^L

    Inputs:
    - params: dict "W1", "b1", …, "WL", "bL"; W^l of shape (n_l, n_{l−1}), b^l of shape (n_l,)
    - x: input batch, shape (N, n_0)

    Returns a tuple of:
    - yhat: shape (N, n_L)
    - cache: dict with "params", "a" (the list [a^0, …, a^L]) and "L"

    Example:
    >>> params, x, y = slide_network()
    >>> yhat, cache = mlp_forward(params, x)
    >>> cache["a"][1], yhat                      # both hidden units: σ(0.5·0.2 + 0.5·0.3 + 0.5) = σ(0.75)
    (array([[0.6791787, 0.6791787]]), array([[0.7648001]]))
    """
    L = sum(1 for k in params if k.startswith("W"))
    a = [x]
    for l in range(1, L + 1):
        z = a[-1] @ params[f"W{l}"].T + params[f"b{l}"]
        a.append(sigmoid(z))
    return a[-1], {"params": params, "a": a, "L": L}


def mlp_backward(dyhat: np.ndarray, cache: dict[str, Any]) -> dict[str, np.ndarray]:
    """
    Backpropagation through `mlp_forward` (given, not graded), with σ'(z) = a(1 − a):

        δ^L = dyhat ⊙ a^L(1 − a^L),   δ^l = (δ^{l+1} @ W^{l+1}) ⊙ a^l(1 − a^l),
        ∂L/∂W^l = (δ^l).T @ a^{l−1},   ∂L/∂b^l = Σ over samples of δ^l

    Inputs:
    - dyhat: ∂L/∂ŷ, shape (N, n_L)
    - cache: the cache of `mlp_forward`

    Returns:
    - grads: dict with the keys and shapes of params

    Example:
    >>> params, x, y = slide_network()
    >>> yhat, cache = mlp_forward(params, x)
    >>> grads = mlp_backward(yhat - y, cache)
    >>> grads["W2"]                              # equal outgoing gradients: the symmetry survives the step
    array([[-0.02873467, -0.02873467]])
    """
    params, a, L = cache["params"], cache["a"], cache["L"]
    grads = {}
    delta = dyhat * a[L] * (1.0 - a[L])
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta.T @ a[l - 1]
        grads[f"b{l}"] = np.sum(delta, axis=0)
        if l > 1:
            delta = (delta @ params[f"W{l}"]) * a[l - 1] * (1.0 - a[l - 1])
    return grads


def mlp_sgd_step(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, lr: float) -> dict[str, np.ndarray]:
    """
    One SGD step on the loss ½ Σ (y − ŷ)² of the network of `mlp_forward` (given, not graded):

        W ← W − η ∂L/∂W,   b ← b − η ∂L/∂b,   with ∂L/∂ŷ = ŷ − y

    Inputs:
    - params: dict "W1", "b1", … (not modified)
    - x: inputs, shape (N, n_0); y: targets, shape (N, n_L)
    - lr: learning rate η

    Returns:
    - the new params, a new dict of new arrays

    Example:
    >>> params, x, y = slide_network()
    >>> mlp_sgd_step(params, x, y, lr=1.0)["b2"]
    array([0.54230797])
    """
    yhat, cache = mlp_forward(params, x)
    grads = mlp_backward(yhat - y, cache)
    return {name: params[name] - lr * grads[name] for name in params}


def init_gaussian(fan_in: int, fan_out: int, sigma: float, rng: Any) -> np.ndarray:
    """
    Gaussian initialization of a weight matrix (`003`): W = σ · randn(fan_in, fan_out), drawn as

        W = σ · rng.standard_normal((fan_in, fan_out))       (one draw, C order)

    Conventions: the shape is (fan_in, fan_out), drawn in that shape (not drawn as (fan_out, fan_in) and
    transposed); σ is the standard deviation. rng.normal(0, σ, (fan_in, fan_out)) gives the same numbers.

    Inputs:
    - fan_in, fan_out: positive ints, the number of inputs and of outputs of the layer
    - sigma: the standard deviation σ ≥ 0
    - rng: a np.random.Generator (or RandomState)

    Returns:
    - W: float64 array of shape (fan_in, fan_out)

    Example:
    >>> init_gaussian(2, 3, 0.01, np.random.default_rng(0))
    array([[ 0.0012573 , -0.00132105,  0.00640423],
           [ 0.001049  , -0.00535669,  0.00361595]])
    """
    ### BEGIN SOLUTION
    return float(sigma) * rng.standard_normal((int(fan_in), int(fan_out)))
    ### END SOLUTION


def init_uniform(fan_in: int, fan_out: int, r: float, rng: Any) -> np.ndarray:
    """
    Uniform initialization of a weight matrix on [−r, r) (`003`): W = 2r · rand(fan_in, fan_out) − r, drawn as

        W = 2r · rng.random((fan_in, fan_out)) − r           (one draw, C order)

    Conventions: the shape is (fan_in, fan_out), drawn in that shape. rng.uniform(−r, r, (fan_in, fan_out)) gives
    the same numbers.

    Inputs:
    - fan_in, fan_out: positive ints
    - r: half the width of the interval, r ≥ 0
    - rng: a np.random.Generator (or RandomState)

    Returns:
    - W: float64 array of shape (fan_in, fan_out), entries in [−r, r)

    Example:
    >>> init_uniform(2, 3, 1.0, np.random.default_rng(0))
    array([[ 0.27392337, -0.46042657, -0.91805295],
           [-0.96694473,  0.62654048,  0.82551115]])
    """
    ### BEGIN SOLUTION
    r = float(r)
    return 2.0 * r * rng.random((int(fan_in), int(fan_out))) - r
    ### END SOLUTION


def symmetric_init_demo() -> np.ndarray:
    """
    Shows the slides' symmetric-weights problem (`003` 对称权重问题) on `slide_network()`: with every weight and
    bias equal to 0.5, train SLIDE_STEPS = 5 SGD steps (learning rate 1, `mlp_sgd_step` on x = (0.2, 0.3), y = 1)
    and after each step measure how different the two hidden units are:

        d_t = max( max_j |W1[0, j] − W1[1, j]|,  |b1[0] − b1[1]|,  |W2[0, 0] − W2[0, 1]|,  |a1[0] − a1[1]| )

    where row j of W1 holds hidden unit j's incoming weights, column j of W2 its outgoing weight, and a1 the hidden
    activations on x after the step. The units receive the same gradients at every step, so every d_t is exactly 0:
    "随后更新：由于对称性，保持 a1 = a2". Convention: d_t is measured after each step, on the updated parameters,
    and is exactly 0 (no tolerance), so the two units must be updated by the same operations.

    Returns:
    - d: float64 array of shape (5,), d[t] after step t + 1 (all exactly 0.0)

    Example:
    >>> symmetric_init_demo()
    array([0., 0., 0., 0., 0.])
    """
    ### BEGIN SOLUTION
    params, x, y = slide_network()  # every weight and bias 0.5
    d = []
    for _ in range(SLIDE_STEPS):
        params = mlp_sgd_step(params, x, y, SLIDE_LR)
        W1, b1, W2 = params["W1"], params["b1"], params["W2"]
        _, cache = mlp_forward(params, x)
        a1 = cache["a"][1]
        d.append(
            max(
                float(np.max(np.abs(W1[0, :] - W1[1, :]))),
                float(abs(b1[0] - b1[1])),
                float(np.max(np.abs(W2[:, 0] - W2[:, 1]))),
                float(np.max(np.abs(a1[:, 0] - a1[:, 1]))),
            )
        )
    return np.array(d, dtype=np.float64)
    ### END SOLUTION
