"""HW1 p1 — one backpropagation (BP) update of a small ReLU network.

Original problem (作业习题 (1), course slides 第3章 3.2 神经网络优化):

    (1) 在如下神经网络，假设激活函数为ReLU，用平方损失 $\\frac{1}{2}(y - \\hat{y})^2$ 计算误差，
    请用BP算法更新一次所有参数（学习率为1），给出更新后的参数值，并计算给定输入值 $x=(0.2,0.3)$
    时初始时和更新后的输出值，检查参数更新是否降低了平方损失值

English statement: in the given network, with ReLU activations and the squared loss ½(y − ŷ)²,
update every parameter once by backpropagation (learning rate 1); give the updated parameters,
compute the network's output for the input x = (0.2, 0.3) before and after the update, and check
whether the update lowered the squared loss.

Notes:
- The figure of the original problem is not in the source text, so the package fixes the network
  (see `homework_network()`): 2 inputs, 2 hidden ReLU units, 1 ReLU output unit, x = (0.2, 0.3),
  target y = 1, W1 = [[0.1, 0.2], [0.3, 0.4]], b1 = [0.1, 0.1], W2 = [[0.5, 0.6]], b2 = [0.1].
- Layers l = 1..L: z^l = W^l a^{l-1} + b^l, a^l = relu(z^l) on EVERY layer, the output layer
  included; a^0 = x and ŷ = a^L. W^l has shape (n_l, n_{l-1}), b^l has shape (n_l,).
- A batch has one sample per row: x has shape (N, d) and a layer computes Z = A @ W.T + b.
  A single sample is a batch of one, shape (1, d).
- `params` is a dict with keys "W1", "b1", ..., "WL", "bL"; L is the number of "W" keys.
- Loss = ½ Σ (y − ŷ)², summed over samples and outputs (no mean).
- relu'(0) = 0 (the derivative is taken as 1 only where z > 0).
- No function may modify its inputs in place.
- Backprop notation (as in the course text): δ^l = ∂Loss/∂z^l,
  δ^L = (ŷ − y) ⊙ relu'(z^L), δ^l = (δ^{l+1} W^{l+1}) ⊙ relu'(z^l) in the row-per-sample layout,
  ∂Loss/∂W^l = (δ^l)^T a^{l-1}, ∂Loss/∂b^l = Σ over samples of δ^l.
"""

import numpy as np

### BEGIN SOLUTION
from array_api_compat import array_namespace


def _num_layers(params):
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError('params must contain "W1", "b1", ...')
    for l in range(1, L + 1):
        if f"b{l}" not in params:
            raise ValueError(f'params has "W{l}" but no "b{l}"')
    return L


### END SOLUTION


def homework_network():
    """
    Returns the homework's network, input and target (the package's canonical numbers).

    Returns a tuple (params, x, y):
    - params: dict with "W1" (2, 2), "b1" (2,), "W2" (1, 2), "b2" (1,), NumPy float64 arrays
    - x: input batch of shape (1, 2), the single sample (0.2, 0.3)
    - y: target of shape (1, 1), the value 1.0

    A fresh copy is returned on every call, so it is safe to modify the result.

    Example:
    >>> params, x, y = homework_network()
    >>> params["W1"]
    array([[0.1, 0.2],
           [0.3, 0.4]])
    >>> x.shape, y.shape
    ((1, 2), (1, 1))
    """
    params = {
        "W1": np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float64),
        "b1": np.array([0.1, 0.1], dtype=np.float64),
        "W2": np.array([[0.5, 0.6]], dtype=np.float64),
        "b2": np.array([0.1], dtype=np.float64),
    }
    x = np.array([[0.2, 0.3]], dtype=np.float64)
    y = np.array([[1.0]], dtype=np.float64)
    return params, x, y


def relu(z):
    """
    Computes the rectified linear unit elementwise: relu(z) = max(z, 0).

    Inputs:
    - z: array of any shape

    Returns:
    - array of the same shape as z

    Example:
    >>> relu(np.array([-1.0, 0.0, 2.5]))
    array([0. , 0. , 2.5])
    """
    ### BEGIN SOLUTION
    xp = array_namespace(z)
    return xp.where(z > 0, z, xp.zeros_like(z))
    ### END SOLUTION


def relu_grad(z):
    """
    Computes the derivative of relu elementwise: relu'(z) = 1 where z > 0, else 0.

    Convention: relu'(0) = 0.

    Inputs:
    - z: array of any shape (the pre-activation)

    Returns:
    - array of the same shape as z, with entries 0.0 or 1.0

    Example:
    >>> relu_grad(np.array([-1.0, 0.0, 2.5]))
    array([0., 0., 1.])
    """
    ### BEGIN SOLUTION
    xp = array_namespace(z)
    return xp.where(z > 0, xp.ones_like(z), xp.zeros_like(z))
    ### END SOLUTION


def forward(params, x):
    """
    Computes the forward pass of the fully connected ReLU network.

    For l = 1..L: Z^l = A^{l-1} @ W^l.T + b^l, A^l = relu(Z^l), with A^0 = x and yhat = A^L
    (relu on every layer, the output layer included).

    Inputs:
    - params: dict with "W1", "b1", ..., "WL", "bL"; W^l of shape (n_l, n_{l-1}), b^l of shape (n_l,)
    - x: input batch of shape (N, d), one sample per row (d = n_0)

    Returns a tuple of:
    - yhat: network output of shape (N, n_L)
    - cache: whatever `backward` needs (your choice of contents)

    Example:
    >>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.5])}
    >>> yhat, cache = forward(params, np.array([[2.0, 1.0], [0.0, 3.0]]))
    >>> yhat
    array([[1.5],
           [0. ]])
    """
    ### BEGIN SOLUTION
    L = _num_layers(params)
    xp = array_namespace(x, *(params[k] for k in params))
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, d), got {tuple(x.shape)}")
    a = x
    activations = [a]
    pre_activations = []
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        z = xp.matmul(a, W.T) + b
        a = relu(z)
        pre_activations.append(z)
        activations.append(a)
    cache = {"params": params, "a": activations, "z": pre_activations, "L": L}
    return a, cache
    ### END SOLUTION


def squared_loss(yhat, y):
    """
    Computes the squared loss and its gradient with respect to the prediction.

    loss = ½ Σ_{samples, outputs} (y − yhat)²   (a sum, not a mean)
    dyhat = ∂loss/∂yhat = yhat − y

    Inputs:
    - yhat: predictions of shape (N, n_L)
    - y: targets of the same shape

    Returns a tuple of:
    - loss: Python float
    - dyhat: array of the shape of yhat

    Example:
    >>> loss, dyhat = squared_loss(np.array([[0.5], [2.0]]), np.array([[1.0], [1.0]]))
    >>> loss
    0.625
    >>> dyhat
    array([[-0.5],
           [ 1. ]])
    """
    ### BEGIN SOLUTION
    xp = array_namespace(yhat, y)
    diff = yhat - y
    loss = 0.5 * float(xp.sum(diff * diff))
    return loss, diff
    ### END SOLUTION


def backward(dyhat, cache):
    """
    Computes the gradients of the loss with respect to every parameter by backpropagation.

    With the error terms δ^l = ∂loss/∂Z^l (shape (N, n_l)):
    δ^L = dyhat ⊙ relu'(Z^L),  δ^l = (δ^{l+1} @ W^{l+1}) ⊙ relu'(Z^l),
    ∂loss/∂W^l = (δ^l).T @ A^{l-1},  ∂loss/∂b^l = Σ over samples of δ^l.
    Convention: relu'(0) = 0.

    Inputs:
    - dyhat: ∂loss/∂yhat of shape (N, n_L)
    - cache: the cache returned by `forward`

    Returns:
    - grads: dict with the same keys and shapes as params ("W1", "b1", ..., "WL", "bL")

    Example:
    >>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.5])}
    >>> yhat, cache = forward(params, np.array([[2.0, 1.0]]))
    >>> grads = backward(np.array([[2.0]]), cache)
    >>> grads["W1"], grads["b1"]
    (array([[4., 2.]]), array([2.]))
    """
    ### BEGIN SOLUTION
    params, A, Z, L = cache["params"], cache["a"], cache["z"], cache["L"]
    xp = array_namespace(dyhat, *A)
    grads = {}
    delta = dyhat * relu_grad(Z[L - 1])
    for l in range(L, 0, -1):
        a_prev = A[l - 1]
        grads[f"W{l}"] = xp.matmul(delta.T, a_prev)
        grads[f"b{l}"] = xp.sum(delta, axis=0)
        if l > 1:
            delta = xp.matmul(delta, params[f"W{l}"]) * relu_grad(Z[l - 2])
    return {k: grads[k] for k in params if k in grads}
    ### END SOLUTION


def sgd_update(params, grads, lr):
    """
    Performs one gradient-descent step on every parameter: p_new = p − lr · g.

    Returns a NEW dict; neither `params` nor `grads` (nor any of their arrays) is modified.

    Inputs:
    - params: dict of parameter arrays
    - grads: dict with the same keys and shapes
    - lr: learning rate (float)

    Returns:
    - new_params: dict with the same keys and shapes as params

    Example:
    >>> new = sgd_update({"b1": np.array([1.0, 2.0])}, {"b1": np.array([0.5, -1.0])}, 0.1)
    >>> new["b1"]
    array([0.95, 2.1 ])
    """
    ### BEGIN SOLUTION
    return {k: params[k] - lr * grads[k] for k in params}
    ### END SOLUTION


def bp_step(params, x, y, lr=1.0):
    """
    Performs one full BP update and reports its effect on the output and the squared loss.

    forward -> squared_loss -> backward -> sgd_update, then a second forward pass with the updated
    parameters on the same x.

    Inputs:
    - params: dict "W1", "b1", ..., "WL", "bL" (not modified)
    - x: input batch of shape (N, d)
    - y: targets of shape (N, n_L)
    - lr: learning rate (the homework uses 1.0)

    Returns a dict with keys:
    - "params": the updated parameters (a new dict)
    - "yhat_before", "yhat_after": outputs (N, n_L) before and after the update
    - "loss_before", "loss_after": the squared losses (Python floats)
    - "loss_decreased": Python bool, loss_after < loss_before

    Example (a 1-1-1 network, not the homework's; run yours on `homework_network()`):
    >>> params = {"W1": np.array([[0.5]]), "b1": np.array([0.0]),
    ...           "W2": np.array([[1.0]]), "b2": np.array([0.0])}
    >>> out = bp_step(params, np.array([[1.0]]), np.array([[2.0]]), lr=0.5)
    >>> out["yhat_before"], out["yhat_after"]
    (array([[0.5]]), array([[3.5]]))
    >>> out["loss_before"], out["loss_after"], out["loss_decreased"]
    (1.125, 1.125, False)
    >>> out["params"]["W1"], out["params"]["b2"]
    (array([[1.25]]), array([0.75]))

    The output jumps from 0.5 past the target 2 to 3.5: the step overshoots by exactly as much as it
    fell short, so the loss does not fall at all. A smaller learning rate would lower it.
    """
    ### BEGIN SOLUTION
    yhat_before, cache = forward(params, x)
    loss_before, dyhat = squared_loss(yhat_before, y)
    grads = backward(dyhat, cache)
    new_params = sgd_update(params, grads, lr)
    yhat_after, _ = forward(new_params, x)
    loss_after, _ = squared_loss(yhat_after, y)
    return {
        "params": new_params,
        "yhat_before": yhat_before,
        "yhat_after": yhat_after,
        "loss_before": loss_before,
        "loss_after": loss_after,
        "loss_decreased": bool(loss_after < loss_before),
    }
    ### END SOLUTION
