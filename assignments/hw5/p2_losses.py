r"""HW5 p2 — the losses of the text and their gradients (45 points).

Original text (教材 第5章 深度学习基础, `004` §5.2.3 损失函数, eq. 5-10 to 5-16; 讲义 第1章 `002` §1.2.1):

    1.均方误差损失函数(MeanSquareError,MSE)
    $$L(Y|f(x)) = \frac{1}{n}\sum_{i=1}^{n} (Y_i - f(x_i))^2 \tag{5-10}$$
    2.L1损失函数
    $$L(Y|f(x)) = \sum_{i=1}^{n} |Y_i - f(x_i)| \tag{5-11}$$
    L1损失又称为曼哈顿距离,表示残差的绝对值之和。……但它在残差为0处却不可导。
    4.SmoothL1损失函数
    $$L(Y|f(x)) = \begin{cases} \frac{1}{2}(Y - f(x))^2, & |Y - f(x)| < 1 \\
                                |Y - f(x)| - \frac{1}{2}, & |Y - f(x)| \ge 1 \end{cases} \tag{5-13}$$
    5.Huber损失函数
    $$L(Y|f(x)) = \begin{cases} \frac{1}{2}(Y - f(x))^2, & |Y - f(x)| \le \delta \\
                                \delta|Y - f(x)| - \frac{1}{2}\delta^2, & |Y - f(x)| > \delta \end{cases} \tag{5-14}$$
    6.KL散度函数(相对熵)
    $$L(Y|f(x)) = \sum_{i=1}^{n} Y_i \times \log\left(\frac{Y_i}{f(x_i)}\right) \tag{5-15}$$
    式中,Y 代表真实值,f(x)代表预测值。
    7.交叉熵
    $$L(Y|f(x)) = -\sum_{i=1}^{n} Y_i \log f(x_i) \tag{5-16}$$

    (`002`) 对于两类分类问题可以假设类后验概率分布为伯努利分布 …… 交叉熵 (cross entropy) 损失函数
    $$J(\theta) = \sum_{i=1}^N -\left(y_i \ln \hat{y}_i + (1 - y_i) \ln(1 - \hat{y}_i)\right)$$

English statement: implement the losses MSE (5-10), L1 (5-11), Smooth L1 (5-13), Huber (5-14), KL divergence
(5-15), cross entropy (5-16) and binary cross entropy (`002`), each as a function loss(yhat, y) of the prediction
yhat = f(x) and the target y = Y, and the gradient of each with respect to the prediction, ∂L/∂yhat.

Notes:
- Every loss and gradient takes (yhat, y), the prediction FIRST (as hw1's `squared_loss(yhat, y)`). yhat and y are
  float arrays of the same shape (any shape); the sums and the mean run over ALL their elements, the batch
  included. Each loss returns a float; each `*_grad` returns ∂L/∂yhat, an array of yhat's shape.
- Mean or sum, exactly as the text writes them: MSE is the MEAN (1/n) with no ½; L1, Smooth L1, Huber, KL, cross
  entropy and binary cross entropy are SUMS (5-13 and 5-14 write no 1/n, and they smooth L1, which is a sum).
- With r = yhat − y (the sign of the residual does not change any loss; it fixes the sign of every gradient):
  Smooth L1 is ½r² for |r| < 1 and |r| − ½ for |r| ≥ 1 (no β); Huber is ½r² for |r| ≤ δ and δ|r| − ½δ² beyond.
  Smooth L1 is Huber with δ = 1.
- KL and cross entropy treat y as the true distribution (KL(y‖yhat)); a term with y = 0 is 0 whatever yhat is
  (0·log 0 = 0, even for yhat = 0), and so is its gradient entry. Logs are natural logs. Nothing is clipped: a
  yhat of 0 where y > 0 gives inf, as the formula does.
- No function may modify its inputs.
- What real student code gets wrong here: L1, Smooth L1, Huber, KL, cross entropy and BCE are sums, never clipped,
  and MSE is a mean with no ½.
"""

import math  # noqa: F401  (the solutions use it; so may yours)

import numpy as np


def mse(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the mean squared error (`004` eq. 5-10), over all n elements:

        L = (1/n) Σ_i (y_i − yhat_i)²

    Watch out: it is the MEAN with no ½ (hw1's squared loss ½ Σ is a different function).

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - loss: a float

    Example:
    >>> mse(np.array([[0.5, 2.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 1.0]]))
    0.5625
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def mse_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `mse` with respect to the prediction:

        ∂L/∂yhat_i = 2 (yhat_i − y_i) / n,   n the number of elements of yhat

    Watch out: n is the element count of the whole array (not the batch size), and there is no ½ to cancel the 2.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - dyhat: array of yhat's shape

    Example:
    >>> mse_grad(np.array([[0.5, 2.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 1.0]]))
    array([[-0.25,  0.5 ],
           [ 0.  , -0.5 ]])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def l1(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the L1 loss (`004` eq. 5-11), the sum of the absolute residuals:

        L = Σ_i |y_i − yhat_i|

    Watch out: it is the SUM (the text's Manhattan distance), not the mean of torch's L1Loss.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - loss: a float

    Example:
    >>> l1(np.array([0.5, 2.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    1.5
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def l1_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `l1` with respect to the prediction:

        ∂L/∂yhat_i = sign(yhat_i − y_i)   (0 at a tie yhat_i = y_i, where |·| has no derivative)

    Watch out: at a tie the gradient is 0 (np.sign's value), not ±1.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - dyhat: array of yhat's shape, entries in {−1, 0, 1}

    Example:
    >>> l1_grad(np.array([0.5, 2.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    array([-1.,  1.,  0.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def smooth_l1(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the Smooth L1 loss (`004` eq. 5-13), summed over all elements; with r = yhat − y:

        L = Σ_i ℓ(r_i),   ℓ(r) = ½ r²      for |r| < 1
                          ℓ(r) = |r| − ½   for |r| ≥ 1

    Watch out: the threshold is exactly 1 (no β parameter), and the result is a SUM, not torch's mean.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - loss: a float

    Example:
    >>> smooth_l1(np.array([0.5, 3.0, 1.0]), np.array([1.0, 1.0, 1.0]))    # ½·0.25 + (2 − ½) + 0
    1.625
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def smooth_l1_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `smooth_l1` with respect to the prediction; with r = yhat − y:

        ∂L/∂yhat_i = r_i          for |r_i| < 1
        ∂L/∂yhat_i = sign(r_i)    for |r_i| ≥ 1

    Watch out: the branches switch at |r| = 1 (where both give ±1), not at 0.5.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape

    Returns:
    - dyhat: array of yhat's shape, entries in [−1, 1]

    Example:
    >>> smooth_l1_grad(np.array([0.5, 3.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    array([-0.5,  1. ,  0. ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def huber(yhat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> float:
    """
    Computes the Huber loss (`004` eq. 5-14), summed over all elements; with r = yhat − y:

        L = Σ_i ℓ(r_i),   ℓ(r) = ½ r²             for |r| ≤ δ
                          ℓ(r) = δ |r| − ½ δ²     for |r| > δ

    The two branches meet with the same value and slope at |r| = δ. Watch out: the linear branch is
    δ|r| − ½δ² (the −½δ² makes the loss continuous), and the result is a SUM.

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape
    - delta: the threshold δ > 0 (a float, default 1.0)

    Returns:
    - loss: a float

    Example:
    >>> huber(np.array([0.5, 4.0, 1.0]), np.array([1.0, 1.0, 1.0]), delta=2.0)   # ½·0.25 + (2·3 − 2) + 0
    4.125
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def huber_grad(yhat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """
    Computes the gradient of `huber` with respect to the prediction; with r = yhat − y:

        ∂L/∂yhat_i = r_i              for |r_i| ≤ δ
        ∂L/∂yhat_i = δ · sign(r_i)    for |r_i| > δ

    Watch out: beyond δ the gradient is δ·sign(r) (its size is δ, not 1).

    Inputs:
    - yhat: predictions, float array of any shape
    - y: targets, same shape
    - delta: the threshold δ > 0

    Returns:
    - dyhat: array of yhat's shape, entries in [−δ, δ]

    Example:
    >>> huber_grad(np.array([0.5, 4.0, 1.0]), np.array([1.0, 1.0, 1.0]), delta=2.0)
    array([-0.5,  2. ,  0. ])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def kl_div(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the KL divergence of the prediction from the target (`004` eq. 5-15), KL(y ‖ yhat):

        L = Σ_i y_i · log(y_i / yhat_i),   a term with y_i = 0 being 0 (0 · log 0 = 0)

    y is the true distribution (式中,Y 代表真实值), yhat the predicted one; natural log. Watch out: a term with
    y_i = 0 is 0 whatever yhat_i is (no NaN from 0·log 0), and nothing is clipped.

    Inputs:
    - yhat: predicted probabilities, float array of any shape (entries > 0 where y > 0)
    - y: target probabilities, same shape (entries ≥ 0)

    Returns:
    - loss: a float (≥ 0 when y and yhat both sum to 1)

    Example:
    >>> kl_div(np.array([0.25, 0.25, 0.5]), np.array([0.5, 0.5, 0.0]))    # log 2 (the y = 0 term is 0)
    0.6931471805599453
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def kl_div_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `kl_div` with respect to the prediction:

        ∂L/∂yhat_i = −y_i / yhat_i,   and 0 where y_i = 0 (even where yhat_i = 0)

    Watch out: an entry with y_i = 0 is exactly 0, also at yhat_i = 0 (where −0/0 would be NaN).

    Inputs:
    - yhat: predicted probabilities, float array of any shape
    - y: target probabilities, same shape

    Returns:
    - dyhat: array of yhat's shape

    Example:
    >>> kl_div_grad(np.array([0.25, 0.25, 0.0]), np.array([0.5, 0.5, 0.0]))
    array([-2., -2.,  0.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def cross_entropy(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the cross entropy of the prediction against the target (`004` eq. 5-16):

        L = −Σ_i y_i · log yhat_i,   a term with y_i = 0 being 0 (0 · log 0 = 0)

    natural log, summed over all elements (the batch included). Watch out: a SUM over every element, a term with
    y_i = 0 is 0 whatever yhat_i is, and nothing is clipped.

    Inputs:
    - yhat: predicted probabilities, float array of any shape (entries > 0 where y > 0)
    - y: target probabilities or one-hot rows, same shape

    Returns:
    - loss: a float

    Example:
    >>> cross_entropy(np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25]]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    1.3862943611198906
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def cross_entropy_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `cross_entropy` with respect to the prediction:

        ∂L/∂yhat_i = −y_i / yhat_i,   and 0 where y_i = 0 (even where yhat_i = 0)

    Watch out: an entry with y_i = 0 is exactly 0, also at yhat_i = 0; this is the gradient with respect to the
    probabilities yhat, not to logits (that is p3's softmax − onehot).

    Inputs:
    - yhat: predicted probabilities, float array of any shape
    - y: target probabilities, same shape

    Returns:
    - dyhat: array of yhat's shape

    Example:
    >>> cross_entropy_grad(np.array([0.5, 0.5, 0.0]), np.array([1.0, 0.0, 0.0]))
    array([-2.,  0.,  0.])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def binary_cross_entropy(yhat: np.ndarray, y: np.ndarray) -> float:
    """
    Computes the binary cross entropy (`002` §1.2.1), summed over all elements:

        J = Σ_i −( y_i ln yhat_i + (1 − y_i) ln(1 − yhat_i) )

    yhat_i ∈ (0, 1) is the predicted probability of class 1 and y_i ∈ {0, 1} (soft targets in [0, 1] work too).
    Watch out: it is the SUM of the text's J (not a mean), and yhat is NOT clipped to [eps, 1 − eps].

    Inputs:
    - yhat: predicted probabilities, float array of any shape, entries in (0, 1)
    - y: targets, same shape, entries in [0, 1]

    Returns:
    - loss: a float

    Example:
    >>> binary_cross_entropy(np.array([0.5, 0.8, 0.2]), np.array([1.0, 1.0, 0.0]))   # ln 2 + 2 ln 1.25
    1.1394342831883648
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def binary_cross_entropy_grad(yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """
    Computes the gradient of `binary_cross_entropy` with respect to the prediction:

        ∂J/∂yhat_i = −y_i / yhat_i + (1 − y_i) / (1 − yhat_i) = (yhat_i − y_i) / (yhat_i (1 − yhat_i))

    Watch out: this is with respect to the probability yhat (not to a logit, where it would be yhat − y), unclipped.

    Inputs:
    - yhat: predicted probabilities, float array of any shape, entries in (0, 1)
    - y: targets, same shape, entries in [0, 1]

    Returns:
    - dyhat: array of yhat's shape

    Example:
    >>> binary_cross_entropy_grad(np.array([0.5, 0.8, 0.2]), np.array([1.0, 1.0, 0.0]))
    array([-2.  , -1.25,  1.25])
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
