r"""HW1 p3 — counting the multiplications and additions of forward and backward passes.

Original problem (作业习题 (3), course slides 第3章 3.2 神经网络优化):

    (3) 假设有一个前馈神经网络，包含L层（不包括输入层），每一层的输入和输出维度都是n，即每层有n个输入
    和n个神经元。激活函数为Sigmoid，损失函数为均方误差。在前向传播中，每一层主要进行哪些运算？大约需要
    多少次乘法和加法操作？整个网络的前向传播，总共大约需要多少次乘法操作？（请用n和L表示）；在反向传播中，
    每一层需要计算误差项并更新权重，主要涉及哪些计算？每层大约需要多少次乘法操作？整个网络的反向传播，
    总共大约需要多少次乘法操作？

English statement: a feed-forward network has L layers (the input layer not counted), each with n
inputs and n neurons, sigmoid activations and the MSE loss. In the forward pass, which operations
does each layer do, and about how many multiplications and additions? About how many multiplications
does the whole forward pass need (in n and L)? In the backward pass each layer computes its error
term and updates its weights: which computations are involved, about how many multiplications per
layer, and about how many for the whole network?

The network and the backprop formulas (course textbook, ch.1, sigmoid + MSE):
    z^l = W^l a^{l-1} + b^l,  a^l = σ(z^l),  W^l is n×n, b^l and a^l have n entries, l = 1..L;
    loss ½‖a^L − y‖²;
    δ^L = (a^L − y) ⊙ a^L(1 − a^L);
    δ^l = (W^{l+1})^T δ^{l+1} ⊙ a^l(1 − a^l)   for 1 ≤ l ≤ L − 1;
    ∂L/∂W^l = δ^l (a^{l-1})^T,  ∂L/∂b^l = δ^l;
    update W^l −= η ∂L/∂W^l,  b^l −= η ∂L/∂b^l.

Counting convention (the reference answers are the EXACT counts under it):
- Counted are scalar multiplications (a division would count as one multiplication too) and scalar
  additions (a subtraction counts as an addition). Multiplying by a constant, e.g. by 1/2 or by η,
  counts as a multiplication.
- A sigmoid evaluation σ(z) is counted apart and NOT as multiplications or additions.
- A sum of m terms costs m − 1 additions (it starts from its first term, not from 0); a dot product
  of two m-vectors is m multiplications and the m − 1 additions of that sum.
- Forward pass = the L layers z^l = W^l a^{l-1} + b^l, a^l = σ(z^l) (the bias is added after the
  dot product). The loss value itself is not part of the forward count (backprop does not need it).
- Backward pass = the error terms δ^l and the weight gradients ∂L/∂W^l = δ^l (a^{l-1})^T of all
  L layers, by the formulas above: σ'(z^l) is computed as a^l(1 − a^l) from the stored activation
  (1 − a costs one addition, a·(1 − a) one multiplication per entry), ⊙ is one multiplication per
  entry, (W^{l+1})^T δ^{l+1} is a matrix–vector product (its transpose costs nothing). The bias
  gradient is δ^l itself (no operations). The first layer's error term δ^1 is not propagated further
  to the input (no (W^1)^T δ^1).
- The update W −= η ∂W, b −= η ∂b is NOT part of the backward pass; it is counted on its own
  (η·g is one multiplication per entry, for a general η).

Answers are SymPy expressions in the symbols n and L passed in. The homework asks "about how many"
(大约): an answer is accepted when it is asymptotically equivalent to the exact count (ratio → 1 as
n → ∞ and then L → ∞), so e.g. both n² and n² + n answer a count of n² + n; the feedback shows the
exact count under the convention above.
"""

import numpy as np  # noqa: F401  (the student stubs are written in NumPy)
import sympy as sp  # noqa: F401  (build your answers from the symbols passed in)


def forward_layer_ops(n):
    """
    Counts the operations of one layer's forward computation z = W a + b (W is n×n).

    Under the counting convention of this module (the sigmoid a = σ(z) is not counted as
    multiplications or additions).

    Inputs:
    - n: SymPy Symbol, the layer width

    Returns:
    - dict {"mul": expression, "add": expression}, SymPy expressions in n

    Example (n = 1: z = w·a + b is one multiplication and one addition):
    >>> n = sp.Symbol("n", positive=True, integer=True)
    >>> ops = forward_layer_ops(n)
    >>> sorted(ops), ops["mul"].subs(n, 1), ops["add"].subs(n, 1)
    (['add', 'mul'], 1, 1)
    """
    ### BEGIN SOLUTION
    return {"mul": n**2, "add": sp.expand(n * (n - 1) + n)}  # n dot products + n bias adds
    ### END SOLUTION


def forward_total_mul(n, L):
    """
    Counts the multiplications of the whole forward pass (L layers z^l = W^l a^{l-1} + b^l,
    a^l = σ(z^l), each W^l n×n), under the counting convention of this module.

    Inputs:
    - n, L: SymPy Symbols (layer width, number of layers)

    Returns:
    - SymPy expression in n and L

    Example (n = 1, L = 1: z = w·a + b has one multiplication):
    >>> n, L = sp.symbols("n L", positive=True, integer=True)
    >>> forward_total_mul(n, L).subs({n: 1, L: 1})
    1
    """
    ### BEGIN SOLUTION
    return L * n**2
    ### END SOLUTION


def backward_layer_mul(n):
    """
    Counts the multiplications of ONE HIDDEN layer l (1 ≤ l ≤ L − 1) in the backward pass: its error
    term δ^l = (W^{l+1})^T δ^{l+1} ⊙ a^l(1 − a^l) and its weight gradient δ^l (a^{l-1})^T, under the
    counting convention of this module (the update W −= η ∂W is not included).

    Inputs:
    - n: SymPy Symbol, the layer width

    Returns:
    - SymPy expression in n

    Example (n = 1: w·δ^{l+1}, a(1 − a), the ⊙ of the two, and δ^l·a^{l-1}: 4 multiplications):
    >>> n = sp.Symbol("n", positive=True, integer=True)
    >>> backward_layer_mul(n).subs(n, 1)
    4
    """
    ### BEGIN SOLUTION
    error_term = n**2 + 2 * n  # (W^{l+1})^T δ^{l+1}: n², a(1 − a): n, ⊙: n
    weight_gradient = n**2  # outer product δ^l (a^{l-1})^T
    return error_term + weight_gradient
    ### END SOLUTION


def backward_total_mul(n, L):
    """
    Counts the multiplications of the whole backward pass: the error terms δ^L, ..., δ^1 and the
    weight gradients of all L layers (the update W −= η ∂W is not part of it), under the counting
    convention of this module.

    Inputs:
    - n, L: SymPy Symbols (layer width, number of layers)

    Returns:
    - SymPy expression in n and L

    Example (n = 1, L = 1: δ = (a − y)·a(1 − a) takes 2 multiplications, ∂L/∂w = δ·a^0 one more):
    >>> n, L = sp.symbols("n L", positive=True, integer=True)
    >>> backward_total_mul(n, L).subs({n: 1, L: 1})
    3
    """
    ### BEGIN SOLUTION
    output_layer = 2 * n + n**2  # δ^L = (a − y) ⊙ a(1 − a): 2n; weight gradient: n²
    return sp.expand((L - 1) * backward_layer_mul(n) + output_layer)
    ### END SOLUTION


def update_total_mul(n, L):
    """
    Counts the multiplications of one SGD update W^l −= η ∂L/∂W^l, b^l −= η ∂L/∂b^l of all L
    layers, for a general learning rate η (η·g is one multiplication per entry).

    Inputs:
    - n, L: SymPy Symbols (layer width, number of layers)

    Returns:
    - SymPy expression in n and L

    Example (n = 1, L = 1: η·∂w and η·∂b):
    >>> n, L = sp.symbols("n L", positive=True, integer=True)
    >>> update_total_mul(n, L).subs({n: 1, L: 1})
    2
    """
    ### BEGIN SOLUTION
    return L * (n**2 + n)
    ### END SOLUTION
