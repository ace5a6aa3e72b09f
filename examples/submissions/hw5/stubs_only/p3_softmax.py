r"""HW5 p3 — the softmax loss, its gradient, and why classification uses cross entropy (25 points).

Original text (教材 第5章 `004` §5.2.3 eq. 5-17; 教程 第3章 深度学习基础 `001` §3.6.3 分类损失, fig. 3.35–3.36):

    8.Softmax损失函数
    $$L(Y|f(x)) = -\frac{1}{n}\sum_{i=1}^{n} \log \frac{e^{f_{Y_i}}}{\sum_{j=1}^{c} e^{f_j}} \tag{5-17}$$

    (`001`) 计算 $y'$ 跟 $y$ 之间的距离不只一种做法,可以是如式 (3.29) 所示的均方误差 ……
    $$e = \sum_i (y_i - y_i')^2 \tag{3.29}$$
    但如式 (3.30) 所示的交叉熵更常用 ……
    $$e = -\sum_i y_i \ln y_i' \tag{3.30}$$
    如图 3.35 所示,有一个三类的分类,网络先输出 $y_1$、$y_2$ 和 $y_3$,在通过 softmax 以后,产生 $y_1'$、$y_2'$
    和 $y_3'$。假设正确答案是 $[1,0,0]^T$ …… 假设 $y_1$ 的变化是从-10 到 10,$y_2$ 的变化也是从-10 到 10,
    $y_3$ 就固定设成-1000。…… 如果选择交叉熵,如图 3.36(a) 所示,左上角圆圈所在的点有斜率的,所以可以通过
    梯度,一路往右下的地方"走";如果选均方误差,如图 3.36(b) 所示,左上角圆圈就卡住了,均方误差在这种损失
    很大的地方,它是非常平坦的,其梯度是非常小趋近于 0 的。

English statement: implement the softmax loss of eq. 5-17 (the mean over a batch of −log softmax of the true
class's logit) and its gradient with respect to the logits; then reproduce the claim of fig. 3.36: at the
confidently wrong point (y1, y2, y3) = (−10, 10, −1000) with target [1, 0, 0], the gradient of the squared error
after softmax (3.29) with respect to the logits is almost 0, while the one of cross entropy (3.30) is not.

Notes:
- Logits are float arrays of shape (N, C) (one row per sample) or (C,) (one sample, a batch of one). The labels
  are integer class indices of shape (N,) (f_{Y_i} in 5-17), or one-hot rows of the logits' shape. For (C,) logits
  the label is one int (or a one-hot row of shape (C,)).
- The loss is the MEAN over the batch (5-17 has 1/n); its gradient (softmax − onehot)/N has the logits' shape.
- Numerical stability is part of the problem: the loss and its gradient must be finite, with no warning, for
  logits up to 1e4 in magnitude (shift by the row maximum before exponentiating).
- No function may modify its inputs.
- What real student code gets wrong here: the softmax cross-entropy gradient is divided by N (the loss is a
  mean), and exp of logits like 1e3 overflows without the max shift.
"""

import math  # noqa: F401  (the solutions use it; so may yours)

import numpy as np

#: The point of fig. 3.36 where the network is confidently wrong: logits (y1, y2, y3), y3 fixed at −1000.
SATURATION_LOGITS = (-10.0, 10.0, -1000.0)
#: The true class of fig. 3.35, one-hot: class 1.
SATURATION_TARGET = (1.0, 0.0, 0.0)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray | int) -> float:
    """
    Computes the softmax loss (`004` eq. 5-17), the mean over the batch of the cross entropy of softmax:

        L = −(1/N) Σ_{i=1..N} log( exp(f_{i, Y_i}) / Σ_{j=1..C} exp(f_{i, j}) )

    where f_i is row i of the logits and Y_i its true class (with one-hot rows: −(1/N) Σ_i Σ_j Y_ij log softmax_ij).
    Compute log softmax as (f − max f) − log Σ_j exp(f_j − max f), which is finite for any logits.
    Watch out: it is the MEAN over the N samples (not the sum), and exp(1e3) overflows without the max shift.

    Inputs:
    - logits: float array of shape (N, C), or (C,) for a single sample (a batch of one)
    - labels: integer class indices in 0..C−1 of shape (N,) (one int for (C,) logits), or one-hot rows of the
      logits' shape

    Returns:
    - loss: a float; no warning and a finite value for |logits| up to 1e4

    Example:
    >>> softmax_cross_entropy(np.array([[0.0, 0.0], [0.0, np.log(3.0)]]), np.array([0, 1]))  # (ln 2 + ln 4/3)/2
    0.4904146265058631
    >>> softmax_cross_entropy(np.array([1e4, 0.0, -1e4]), 1)
    10000.0
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def softmax_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray | int) -> np.ndarray:
    """
    Computes the gradient of `softmax_cross_entropy` with respect to the logits:

        ∂L/∂f_{i, j} = (softmax(f_i)_j − onehot(Y_i)_j) / N

    Watch out: divide by N, the number of samples (the loss is a mean); 1-D logits are one sample (N = 1).

    Inputs:
    - logits: float array of shape (N, C), or (C,) for a single sample
    - labels: integer class indices of shape (N,) (one int for (C,) logits), or one-hot rows of the logits' shape

    Returns:
    - dlogits: array of the logits' shape; each row sums to 0; no warning for |logits| up to 1e4

    Example:
    >>> softmax_cross_entropy_grad(np.array([[0.0, 0.0], [0.0, np.log(3.0)]]), np.array([0, 1]))
    array([[-0.25 ,  0.25 ],
           [ 0.125, -0.125]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def saturation_demo() -> tuple[float, float]:
    """
    Reproduces `001` fig. 3.36: at the confidently wrong point f = (y1, y2, y3) = (−10, 10, −1000)
    (`SATURATION_LOGITS`) with target y = [1, 0, 0] (`SATURATION_TARGET`), with y' = softmax(f),
    the gradients with respect to the three logits of

        MSE after softmax (3.29, a SUM):   e = Σ_i (y_i − y'_i)²,
            ∂e/∂f_j = Σ_i 2 (y'_i − y_i) y'_i (δ_ij − y'_j) = 2 y'_j Σ_k y'_k (r_j − r_k),   r = y' − y
        cross entropy (3.30):              e = −Σ_i y_i ln y'_i,   ∂e/∂f_j = y'_j − y_j

    y'_1 = e^{−20}/(1 + e^{−20}) ≈ 2.06e-9, so the MSE gradient is ≈ 4√2 y'_1 ≈ 1.17e-8 (the flat plateau of
    fig. 3.36(b)), while the CE gradient is ≈ (−1, 1, 0), of norm ≈ √2 ≈ 1.414 (fig. 3.36(a)).
    Watch out: MSE here is 3.29's sum over the 3 classes (not p2's mean), both gradients are with respect to the
    logits (through the softmax), and y3 = −1000 must not overflow or warn.

    Returns a tuple of two floats:
    - the Euclidean norm ‖∂e_MSE/∂f‖ (≈ 1.17e-8)
    - the Euclidean norm ‖∂e_CE/∂f‖ (≈ 1.414)

    Example:
    >>> g_mse, g_ce = saturation_demo()
    >>> f"{g_mse:.3g} {g_ce:.4g}", g_mse < 1e-6 * g_ce
    ('1.17e-08 1.414', True)
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
