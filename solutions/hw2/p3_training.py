r"""HW2 p3 — running an optimizer on the text's ill-conditioned convex error surface (30 points).

Original text (教程 第3章 深度学习基础, `001` §3.3 自适应学习率 and §3.4 学习率调度, fig. 3.21–3.22, 3.27–3.29):

    我们有两个参数 $w$ 和 $b$ …… 得到了图 3.21 所示的误差表面，该误差表面的最低点在叉号处。事实上，该误差
    表面是凸的形状。凸的误差表面的等高线是椭圆形的，椭圆的长轴非常长，短轴相比之下比较短，其在横轴的方向
    梯度非常小，坡度的变化非常小，非常平坦；其在纵轴的方向梯度变化非常大，误差表面的坡度非常陡峭。

    学习率 $\eta = 10^{-2}$ 的结果如图 3.22(a) 所示。参数在峡谷的两端，参数在山壁的两端不断地“震荡”，损失降
    不下去，但是梯度仍然是很大的。

    使用 AdaGrad 方法优化的结果如图 3.27 所示 …… 走到非常接近终点的位置 …… 快走到终点的时候突然“爆炸”
    了 …… 在 BC 段，纵轴的方向梯度很小，因此纵轴方向累积了很小的 $\sigma_t^i$，累积到一定程度以后，步伐就
    变很大，但有办法修正回来。

    通过学习率调度（learning rate scheduling）可以解决这个问题 …… 如果加上学习率下降，可以很平顺地走到终点，
    如图 3.29 所示。

English statement: write `run_optimizer`, the training loop that applies one of p1's optimizers for a number of
steps and returns the whole trajectory, with an optional learning-rate schedule (eq. 3.26). On the text's
ill-conditioned convex surface (given below) it reproduces the text's three observations: plain gradient descent
at η = 10⁻² oscillates between the valley's walls, AdaGrad gets very near the minimum and then "explodes", and a
decaying learning rate removes the explosion.

The error surface (the text gives no numbers; these are the package's):

    L(θ) = ½ (a θ₁² + b θ₂²),   a = 1 (the flat axis, 横轴),  b = 200 (the steep axis, 纵轴),
    minimum θ* = (0, 0),  start θ₀ = (−3, 0.3),  STEPS = 300 updates.

- Gradient descent at η = 10⁻²: θ₂ ← (1 − η b) θ₂ = −θ₂, so the steep coordinate flips sign at every step and never
  shrinks; the loss stays above 2/3 of its start (fig. 3.22(a)).
- AdaGrad (p1's mean form) at η = 0.1: about ±η per step in each coordinate at first, so θ₂ reaches the valley floor
  in 3 steps (AB) and θ₁ walks along the valley (BC); it comes within 1e-4 of θ*, then σ₂ (the mean of tiny recent
  gradients) has become so small that θ₂ explodes by a factor of about 10⁵ near t = 175 and comes back (fig. 3.27).
- AdaGrad with the 1/t decay η_t = 0.1/(1 + 0.005 t) (p2's `lr_inverse_time_decay`): the distance to θ* never
  grows, and ends below 1e-4 (fig. 3.29).

Notes:
- The minimum is at the origin on purpose: a float near 0 keeps full relative precision, so AdaGrad's tiny θ₂ stays
  a tiny nonzero number that the explosion can grow from. With a minimum at, say, (1, −0.5), θ₂ rounds to the
  minimum exactly, its gradient becomes exactly 0, and no explosion happens: a rounding artefact.
- What real student code gets wrong here: a callable `lr` is a schedule and must be called as lr(t) for update t
  (t = 0 first), and the returned trajectory has steps + 1 rows with row 0 = θ₀.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

#: Curvatures of L(θ) = ½ (a θ₁² + b θ₂²): a on the flat axis θ₁, b on the steep axis θ₂ (condition number 200).
SURFACE = {"a": 1.0, "b": 200.0}
#: The minimum θ* of the surface (the text's 叉号).
MINIMUM = (0.0, 0.0)
#: The start θ₀ of every experiment (the text's 黑点): far along the flat axis, a little up the steep wall.
THETA0 = (-3.0, 0.3)
#: Number of updates of every experiment (the trajectory has STEPS + 1 rows).
STEPS = 300
#: Learning rate of plain gradient descent (fig. 3.22(a)): η b = 2, so the steep coordinate flips sign forever.
GD_LR = 1e-2
#: Learning rate of AdaGrad, constant (fig. 3.27) and as η_0 of the decay (fig. 3.29).
ADAGRAD_LR = 0.1
#: k of the 1/t decay η_t = ADAGRAD_LR / (1 + k t) that removes AdaGrad's explosion.
DECAY_K = 0.005
#: "Near the minimum": a distance to θ* of at most this (θ₀ is about 3.01 away).
NEAR = 1e-4
#: "Explodes": the distance to θ* rises to at least this many times the smallest distance reached before.
BLOWUP_RATIO = 1e3


def namespace_of(x: Any) -> Any:
    """
    The array namespace of ``x`` (given, not graded): the array API standard's ``x.__array_namespace__()`` when the
    array has one (NumPy ≥ 2, CuPy, array_api_strict), else NumPy, so the given helpers run on NumPy and on other
    array libraries.

    Example:
    >>> namespace_of(np.zeros(2)) is np
    True
    """
    return x.__array_namespace__() if hasattr(x, "__array_namespace__") else np


def quadratic_loss(theta: np.ndarray) -> np.ndarray:
    """
    The error surface L(θ) = ½ (a θ₁² + b θ₂²) with a = SURFACE["a"], b = SURFACE["b"] (given, not graded).

    Inputs:
    - theta: float array of shape (..., 2), one point per row (the last axis holds θ₁, θ₂)

    Returns:
    - the loss, shape (...) (a 0-d array for one point)

    Example:
    >>> float(quadratic_loss(np.array(THETA0)))     # ½ (9 + 200·0.09)
    13.5
    """
    a, b = SURFACE["a"], SURFACE["b"]
    return 0.5 * (a * theta[..., 0] ** 2 + b * theta[..., 1] ** 2)


def quadratic_grad(theta: np.ndarray) -> np.ndarray:
    """
    The gradient of the error surface: ∇L(θ) = (a θ₁, b θ₂) (given, not graded).

    Inputs:
    - theta: float array of shape (..., 2)

    Returns:
    - the gradient, a new array of theta's shape

    Example:
    >>> quadratic_grad(np.array(THETA0))
    array([-3., 60.])
    """
    xp = namespace_of(theta)
    a, b = SURFACE["a"], SURFACE["b"]
    return xp.stack([a * theta[..., 0], b * theta[..., 1]], axis=-1)


def distance_to_minimum(trajectory: np.ndarray) -> np.ndarray:
    """
    The Euclidean distance ‖θ_t − θ*‖ of every row of a trajectory to the minimum (given, not graded).

    Inputs:
    - trajectory: float array of shape (steps + 1, 2)

    Returns:
    - distances, shape (steps + 1,)

    Example:
    >>> distance_to_minimum(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([5., 0.])
    """
    xp = namespace_of(trajectory)
    return xp.sqrt((trajectory[..., 0] - MINIMUM[0]) ** 2 + (trajectory[..., 1] - MINIMUM[1]) ** 2)


def oscillates(trajectory: np.ndarray) -> bool:
    """
    The text's claim for plain GD at η = 10⁻² (fig. 3.22(a)), as a test (given, not graded): the steep
    coordinate θ₂ − θ₂* changes sign at every step, its size at the end is at least half its size at the start,
    and the loss at the end is at least half the loss at the start ("损失降不下去").

    Inputs:
    - trajectory: NumPy float array of shape (steps + 1, 2), steps ≥ 1

    Example:
    >>> oscillates(np.array([[-3.0, 0.3], [-2.9, -0.3], [-2.8, 0.3]]))
    True
    >>> oscillates(np.array([[-3.0, 0.3], [-2.9, 0.2], [-2.8, 0.1]]))
    False
    """
    trajectory = np.asarray(trajectory, dtype=np.float64)
    dev = trajectory[:, 1] - MINIMUM[1]
    flips = bool(np.all(dev[:-1] * dev[1:] < 0))
    keeps_size = abs(dev[-1]) >= 0.5 * abs(dev[0])
    loss_stays = float(quadratic_loss(trajectory[-1])) >= 0.5 * float(quadratic_loss(trajectory[0]))
    return flips and keeps_size and loss_stays


def max_rise(trajectory: np.ndarray) -> float:
    """
    How far the distance to θ* ever climbs back above its best so far: max_t d_t / min_{s ≤ t} d_s, where
    d = distance_to_minimum(trajectory) (given, not graded). 1.0 for a trajectory whose distance never grows.

    Inputs:
    - trajectory: NumPy float array of shape (steps + 1, 2)

    Example:
    >>> max_rise(np.array([[4.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.5, 0.0]]))
    2.0
    """
    d = distance_to_minimum(np.asarray(trajectory, dtype=np.float64))
    best = np.minimum.accumulate(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(best > 0, d / np.where(best > 0, best, 1.0), np.where(d > 0, np.inf, 1.0))
    return float(max(1.0, np.max(rise)))


def gets_near(trajectory: np.ndarray) -> bool:
    """
    The text's claim for AdaGrad (fig. 3.27, "走到非常接近终点的位置"): some θ_t is within NEAR of θ* (given).

    Inputs:
    - trajectory: NumPy float array of shape (steps + 1, 2)

    Example:
    >>> gets_near(np.array([[-3.0, 0.3], [1e-5, 0.0]]))
    True
    """
    return bool(np.min(distance_to_minimum(np.asarray(trajectory, dtype=np.float64))) <= NEAR)


def blows_up(trajectory: np.ndarray) -> bool:
    """
    The text's claim for AdaGrad with a constant rate (fig. 3.27, "突然爆炸"): the distance to θ* climbs to at
    least BLOWUP_RATIO times the best distance reached before (given, not graded).

    Inputs:
    - trajectory: NumPy float array of shape (steps + 1, 2)

    Example:
    >>> blows_up(np.array([[-3.0, 0.3], [1e-5, 0.0], [0.0, 0.1]]))
    True
    """
    return max_rise(trajectory) >= BLOWUP_RATIO


def run_optimizer(
    step_fn: Callable[..., tuple[Any, dict[str, Any]]],
    grad_fn: Callable[[np.ndarray], np.ndarray],
    theta0: np.ndarray,
    steps: int,
    **hyper: Any,
) -> np.ndarray:
    """
    Runs `steps` updates of an optimizer from θ_0 and returns the whole trajectory:

        state = {}
        for t = 0, 1, …, steps − 1:
            g_t = grad_fn(θ_t)
            θ_{t+1}, state = step_fn(θ_t, g_t, state, **hyper)          (with lr = lr(t) if lr is callable)

    Conventions:
    - grad_fn gets exactly one argument, θ_t as a float64 array of θ_0's shape.
    - hyper is passed to step_fn unchanged, except that a callable `lr` is a schedule (eq. 3.26): update t gets
      lr = lr(t), t = 0 first (e.g. lr=lambda t: lr_warmup(t, 0.1, 10)). No t is passed to step_fn.
    - The state starts as {} and is the one step_fn returned from then on.

    Inputs:
    - step_fn: an optimizer step of p1, step(theta, g, state, **hyper) -> (new_theta, new_state)
    - grad_fn: the gradient of the loss, θ -> ∇L(θ) (same shape as θ)
    - theta0: the start θ_0, float array of any shape (e.g. (d,))
    - steps: the number of updates, an int ≥ 0
    - **hyper: the optimizer's hyper-parameters (lr, lam, eps, …); lr may be a schedule t -> η_t

    Returns:
    - trajectory: float64 array of shape (steps + 1,) + θ_0.shape, row t = θ_t; row 0 is θ_0, and steps = 0 gives
      the single row θ_0

    Example:
    >>> def sgd(theta, g, state, lr):
    ...     return theta - lr * g, {}
    >>> run_optimizer(sgd, lambda theta: 2 * theta, np.array([1.0, -2.0]), 3, lr=0.25)   # θ ← θ/2
    array([[ 1.   , -2.   ],
           [ 0.5  , -1.   ],
           [ 0.25 , -0.5  ],
           [ 0.125, -0.25 ]])
    >>> run_optimizer(sgd, lambda theta: theta, np.array([1.0]), 2, lr=lambda t: 0.5 * t)  # η_0 = 0, η_1 = 0.5
    array([[1. ],
           [1. ],
           [0.5]])
    """
    ### BEGIN SOLUTION
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not hasattr(theta0, "shape"):
        theta0 = np.asarray(theta0, dtype=np.float64)
    xp = namespace_of(theta0)
    schedule = hyper["lr"] if callable(hyper.get("lr")) else None
    theta = xp.asarray(theta0, dtype=xp.float64, copy=True)
    trajectory, state = [theta], {}
    for t in range(int(steps)):
        # step_fn and grad_fn get copies: one that writes into its argument cannot change the recorded θ_t
        g = grad_fn(xp.asarray(theta, copy=True))
        kwargs = hyper if schedule is None else {**hyper, "lr": schedule(t)}  # η_t of eq. 3.26
        new_theta, state = step_fn(xp.asarray(theta, copy=True), g, state, **kwargs)
        theta = xp.asarray(new_theta, dtype=xp.float64, copy=True)
        if theta.shape != trajectory[0].shape:
            raise ValueError(f"step_fn returned shape {tuple(theta.shape)} at t = {t}, not {tuple(theta0.shape)}")
        trajectory.append(theta)
    return xp.stack(trajectory, axis=0)
    ### END SOLUTION


def surface_experiments(
    sgd_step: Callable[..., tuple[Any, dict[str, Any]]],
    adagrad_step: Callable[..., tuple[Any, dict[str, Any]]],
    run: Callable[..., np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """
    The text's three experiments on the error surface, with the given optimizer steps (given, not graded; call it
    with your p1 functions to see the claims):

    - "gd":            sgd_step at η = GD_LR                             (fig. 3.22(a): oscillates)
    - "adagrad":       adagrad_step at η = ADAGRAD_LR                    (fig. 3.27: gets near, then blows up)
    - "adagrad_decay": adagrad_step at η_t = ADAGRAD_LR/(1 + DECAY_K t)  (fig. 3.29: no blow-up, ends near)

    each from THETA0 for STEPS updates.

    Inputs:
    - sgd_step, adagrad_step: optimizer steps with p1's signatures
    - run: the training loop (default: this module's run_optimizer)

    Returns:
    - dict name -> trajectory of shape (STEPS + 1, 2)

    Example (with your own p1 functions):
    >>> from p1_optimizers import adagrad_step, sgd_step               # doctest: +SKIP
    >>> runs = surface_experiments(sgd_step, adagrad_step)              # doctest: +SKIP
    >>> oscillates(runs["gd"]), gets_near(runs["adagrad"]), blows_up(runs["adagrad"])  # doctest: +SKIP
    (True, True, True)
    >>> blows_up(runs["adagrad_decay"]), gets_near(runs["adagrad_decay"][-1:])        # doctest: +SKIP
    (False, True)
    """
    run = run_optimizer if run is None else run
    theta0 = np.array(THETA0)
    return {
        "gd": run(sgd_step, quadratic_grad, theta0, STEPS, lr=GD_LR),
        "adagrad": run(adagrad_step, quadratic_grad, theta0, STEPS, lr=ADAGRAD_LR),
        "adagrad_decay": run(adagrad_step, quadratic_grad, theta0, STEPS, lr=lambda t: ADAGRAD_LR / (1 + DECAY_K * t)),
    }
