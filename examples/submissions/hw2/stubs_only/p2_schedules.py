r"""HW2 p2 — learning-rate schedules: step, linear and 1/t decay, and linear warm-up (20 points).

Original text (课件 第3章 3.2 神经网络优化 `003`, 学习率衰减; 教程 第3章 `001` §3.4 学习率调度):

    学习率衰减
    - 学习率一开始要保持大些保证收敛速度
    - 在收敛到最优点附近时要小些以避免来回振荡
    梯级衰减 (step decay)　　线性衰减 (Linear Decay)　　1/t衰减 (1/t decay)

    在学习率调度中 $\eta$ 跟时间有关 …… $$\theta_{t+1}^i \leftarrow \theta_t^i - \frac{\eta_t}{\sigma_t^i} g_t^i
    \tag{3.26}$$ 学习率调度中最常见的策略是学习率衰减（learning rate decay），也称为学习率退火 ……
    除了学习率下降以外，还有另外一个经典的学习率调度的方式——预热。预热的方法是让学习率先变大后变小，
    至于变到多大、变大的速度、变小的速度是超参数。

English statement: write the learning rate η_t of update t for step decay, linear decay, 1/t (inverse-time) decay
and a linear warm-up, as functions of t and the schedule's hyper-parameters, so that eq. 3.26 can use η_t.

Notes:
- t counts the updates already made: the first update is t = 0 and every decay gives η_0 at t = 0.
- The slides give the decays as figures only; the formulas pinned here are: step decay η_0·drop^⌊t/every⌋
  (PyTorch's StepLR: the first drop comes at t = every), linear decay from η_0 at t = 0 to lr_end at t = T and
  lr_end from then on, 1/t decay η_0/(1 + k t), and warm-up on the straight line from (0, 0) to (W, η_0), then η_0.
- Every schedule returns a float (a Python float or a NumPy float64 scalar).
- What real student code gets wrong here: the warm-up is η_0·t/W, so it is 0 at t = 0 and exactly η_0 at t = W
  (the (t + 1)/W form is off by one update), and step decay's first drop is at t = every, not at t = every − 1.
"""


def lr_step_decay(t: int, lr0: float, drop: float, every: int) -> float:
    """
    Step decay (梯级衰减): the rate is multiplied by `drop` every `every` updates.

        η_t = η_0 · drop^⌊t / every⌋

    So η_t = η_0 for t = 0 … every − 1, and the first drop comes at t = every.

    Inputs:
    - t: number of updates already made (an int ≥ 0)
    - lr0: initial learning rate η_0
    - drop: factor applied at each drop (e.g. 0.5)
    - every: number of updates between two drops (an int ≥ 1)

    Returns:
    - η_t, a float

    Example:
    >>> [lr_step_decay(t, 0.1, 0.5, 3) for t in (0, 2, 3, 6)]
    [0.1, 0.1, 0.05, 0.025]
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def lr_linear_decay(t: int, lr0: float, lr_end: float, T: int) -> float:
    """
    Linear decay (线性衰减) from η_0 at t = 0 to lr_end at t = T, then constant:

        η_t = η_0 + (lr_end − η_0) · t / T      for t < T
        η_t = lr_end                             for t ≥ T   (and for every t when T ≤ 0)

    For lr_end ≤ η_0 it never goes below lr_end.

    Inputs:
    - t: number of updates already made (an int ≥ 0)
    - lr0: initial learning rate η_0
    - lr_end: the final learning rate
    - T: number of updates the decay takes

    Returns:
    - η_t, a float

    Example:
    >>> [lr_linear_decay(t, 0.1, 0.02, 4) for t in (0, 1, 4, 100)]
    [0.1, 0.08, 0.02, 0.02]
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def lr_inverse_time_decay(t: int, lr0: float, k: float) -> float:
    """
    1/t decay (1/t衰减, inverse-time decay):

        η_t = η_0 / (1 + k t)

    Inputs:
    - t: number of updates already made (an int ≥ 0)
    - lr0: initial learning rate η_0
    - k: decay rate (≥ 0; k = 0 keeps η_0)

    Returns:
    - η_t, a float

    Example:
    >>> [lr_inverse_time_decay(t, 0.1, 0.5) for t in (0, 2, 8)]
    [0.1, 0.05, 0.02]
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION


def lr_warmup(t: int, lr0: float, warmup_steps: int) -> float:
    """
    Linear warm-up (预热) to η_0 over W = warmup_steps updates, then constant:

        η_t = η_0 · t / W      for t < W
        η_t = η_0              for t ≥ W   (and for every t when W ≤ 0)

    So η_t = 0 at t = 0 and η_t is exactly η_0 at t = W: the straight line from (0, 0) to (W, η_0).
    Convention: not the (t + 1)/W form.

    Inputs:
    - t: number of updates already made (an int ≥ 0)
    - lr0: the learning rate η_0 reached at the end of the warm-up
    - warmup_steps: W, the number of warm-up updates

    Returns:
    - η_t, a float

    Example:
    >>> [lr_warmup(t, 0.1, 4) for t in (0, 1, 2, 4, 9)]
    [0.0, 0.025, 0.05, 0.1, 0.1]
    """
    ### BEGIN SOLUTION
    raise NotImplementedError
    ### END SOLUTION
