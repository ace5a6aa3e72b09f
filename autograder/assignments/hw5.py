"""hw5 (激活函数、损失函数与分类: activations, losses and classification): every check, declared as data.

Points: p1 30, p2 45, p3 25. A check's points are split evenly over its cases. Public checks run on inputs drawn
from the public seed (expected values shipped by release); in grading every check runs on inputs drawn from
the grading seed, against the reference: the stability cases, the exact zeros, the ties and the zero targets
too (no fixed input is graded, except the text's own point of fig. 3.36, which ``saturation_demo`` takes none).

Tolerances (Compare's: ``atol`` is scaled by max(1, the largest expected magnitude)); every one is in its
check's title when it is not the default rtol 1e-7, atol 1e-10:

- rtol 1e-7 everywhere (float64; summation order and a hand-written loop differ by far less);
- atol 0 where the reference and any correct code agree to the last bits (tanh, LeakyReLU and its gradient,
  the losses' piecewise and sign gradients), so no tiny error of a value near 0 passes;
- atol 1e-15 where two correct formulas differ by rounding near 0: tanh' as sech² against 1 − tanh² (up to
  2e-16 absolute, relative 1e-3 for |x| ≈ 17), ELU as α(eˣ − 1) against α·expm1(x) (about 1e-16 absolute near
  0), ELU' as α eˣ, the softmax loss and its gradient (softmax − onehot is 1e-16 − 1e-16 near a confident
  class);
- atol 1e-12 for KL and cross entropy (sums of terms of both signs: a loss near 0 is still judged to 1e-12);
- rtol 1e-6 for BCE near 0 and 1 (ŷ from 1e-10 to 1 − 1e-9: ln(1 − ŷ) written as math.log(1 − ŷ) loses up
  to 1e-6 of the term's relative accuracy where log1p does not) and for ``saturation_demo`` (the MSE
  gradient's norm, 1.17e-8, is a difference of products of numbers ≈ 1: correct chain-rule loops are off by
  about 1e-8 relative).
"""

from __future__ import annotations

import numpy as np

from ..checks import ALL, Assignment, Case, Check, Inputs, Problem
from ..claim_judges import Claim
from ..curve_judges import CompareCurves
from ..judges import Compare, NoMutation
from ..programs import Call, Program, call

P1, P2, P3 = "p1_activations", "p2_losses", "p3_softmax"

# -- p1: tanh, LeakyReLU, ELU and their derivatives ----------------------------------------------------------


def activation(shape: tuple[int, ...], scale: float, alpha: float | None = None, zeros: bool = False) -> Case:
    """x ~ scale·N(0, 1) of ``shape`` (α given only when not None: else the function's default). ``zeros``: a
    fifth of the entries (at least two) set to exact zeros, 0.0 and −0.0 both."""
    label = f"x of shape {shape}, scale {scale:g}" + (f", α = {alpha:g}" if alpha is not None else "")
    label += ", with exact zeros (0.0 and −0.0)" if zeros else ""

    def make(rng: np.random.Generator) -> Inputs:
        x = np.asarray(scale * rng.normal(size=shape), dtype=np.float64)
        if zeros:
            at = rng.choice(x.size, size=max(2, x.size // 5), replace=False)
            x.flat[at] = 0.0
            x.flat[at[0]] = -0.0
        return {"x": x} if alpha is None else {"x": x, "alpha": alpha}

    return Case(label, make)


def negative_side(alpha: float | None) -> Case:
    """x ∈ (−30, −0.1) only, where ELU' is α eˣ."""

    def make(rng: np.random.Generator) -> Inputs:
        x = -np.exp(rng.uniform(np.log(0.1), np.log(30.0), (4, 5)))
        return {"x": x} if alpha is None else {"x": x, "alpha": alpha}

    return Case("x from −30 to −0.1 only" + (f", α = {alpha:g}" if alpha is not None else ""), make)


def extreme(alpha: float | None = None) -> Case:
    """x of shape (12,) drawn from the seed where naive formulas overflow or underflow: two each of ±[1e3, 1e4],
    and one each within 0.4 of −800, −356, −100, 0, 100 and 356 (5-6 as written overflows below −355)."""

    def make(rng: np.random.Generator) -> Inputs:
        big = rng.uniform(1e3, 1e4, 4) * np.array([1.0, 1.0, -1.0, -1.0])
        near = np.array([-800.0, -356.0, -100.0, 0.0, 100.0, 356.0]) + rng.uniform(-0.4, 0.4, 6)
        x = rng.permutation(np.concatenate([big, near]))
        return {"x": x} if alpha is None else {"x": x, "alpha": alpha}

    return Case("x from −1e4 to 1e4 (near ±1e4, −800, ±356, ±100, 0)" + (f", α = {alpha:g}" if alpha else ""), make)


def act_cases(alphas: tuple[float | None, ...]) -> tuple[Case, ...]:
    """The four shapes of the spec at scales 0.5, 3, 30 and 3, with the α of each in turn."""
    specs = (((), 0.5), ((7,), 3.0), ((3, 4), 30.0), ((2, 3, 5), 3.0))
    return tuple(activation(s, k, a) for (s, k), a in zip(specs, alphas, strict=True))


LEAKY_ALPHAS = (None, 0.2, 0.3, None)
ELU_ALPHAS = (None, 1.5, 0.5, None)


def act_check(
    fn: str,
    aspect: str,
    title: str,
    points: float,
    public: bool,
    cases: tuple[Case, ...],
    atol: float,
    stable: bool = False,
    hint: str = "",
) -> Check:
    """A check of one activation (or derivative) by its values, with the figure of fn(x), yours over the
    reference's; ``alpha`` is passed where the case has one. ``stable``: a NumPy warning fails the case."""
    judge = CompareCurves(call(fn, "x", kwargs=("alpha",)), rtol=1e-7, atol=atol, no_warnings=stable)
    return Check(
        problem="p1",
        function=fn,
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=judge,
        cases=cases,
        hint=hint,
    )


ACTIVATIONS = ("tanh", "tanh_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad")
STABLE_HINT = "No NumPy warning and no NaN for |x| up to 1e4: exponentiate only numbers ≤ 0."

P1_CHECKS = (
    act_check(
        "tanh",
        "values",
        "tanh matches np.tanh (rtol 1e-7, atol 0)",
        3,
        True,
        act_cases((None,) * 4) + (activation((9,), 3.0, zeros=True),),
        0.0,
    ),
    act_check(
        "tanh",
        "stable",
        "tanh is ±1 with no warning for |x| from 355 to 1e4 (rtol 1e-7, atol 0)",
        2,
        True,
        (extreme(),),
        0.0,
        stable=True,
        hint="5-6 as written overflows for x < −355 (e^{−2x} = inf): use np.tanh.",
    ),
    act_check(
        "tanh_grad",
        "values",
        "tanh_grad matches 1 − tanh²(x) (rtol 1e-7, atol 1e-15)",
        3,
        True,
        act_cases((None,) * 4) + (activation((9,), 3.0, zeros=True),),
        1e-15,
        hint="The argument is x, not tanh(x).",
    ),
    act_check(
        "tanh_grad",
        "stable",
        "tanh_grad is finite and warning-free for |x| up to 1e4 (rtol 1e-7, atol 1e-15)",
        1,
        True,
        (extreme(),),
        1e-15,
        stable=True,
        hint=STABLE_HINT,
    ),
    act_check(
        "leaky_relu",
        "values",
        "leaky_relu matches x or αx, α a parameter (rtol 1e-7, atol 0)",
        3,
        True,
        act_cases(LEAKY_ALPHAS) + (activation((9,), 3.0, 0.2, zeros=True),),
        0.0,
        hint="α is the alpha argument (default 0.01); x = 0 takes the x branch.",
    ),
    act_check(
        "leaky_relu_grad",
        "values",
        "leaky_relu_grad is 1 for x > 0 and α for x < 0 (rtol 1e-7, atol 0)",
        3,
        True,
        act_cases(LEAKY_ALPHAS),
        0.0,
    ),
    act_check(
        "leaky_relu_grad",
        "at_zero",
        "leaky_relu_grad(0) = 1, the derivative from the right (rtol 1e-7, atol 0)",
        2,
        False,
        (activation((4, 5), 3.0, zeros=True), activation((9,), 3.0, 0.2, zeros=True)),
        0.0,
        hint="The derivative at 0 is taken from the right: 1, not α (compare x >= 0, like the function).",
    ),
    act_check(
        "elu",
        "values",
        "elu matches x or α(eˣ − 1) (rtol 1e-7, atol 1e-15)",
        3,
        True,
        act_cases(ELU_ALPHAS) + (activation((9,), 3.0, 1.5, zeros=True),),
        1e-15,
    ),
    act_check(
        "elu",
        "stable",
        "elu is −α for very negative x, with no warning for |x| up to 1e4 (rtol 1e-7, atol 1e-15)",
        2,
        False,
        (extreme(), extreme(0.5)),
        1e-15,
        stable=True,
        hint="np.where evaluates both branches: exp(1e4) overflows even where it is not used.",
    ),
    act_check(
        "elu_grad",
        "values",
        "elu_grad is 1 for x > 0 and α eˣ for x < 0 (rtol 1e-7, atol 1e-15)",
        3,
        True,
        act_cases(ELU_ALPHAS) + (negative_side(1.5),),
        1e-15,
        hint="For x < 0 the derivative of α(eˣ − 1) is α eˣ, not the constant α.",
    ),
    act_check(
        "elu_grad",
        "at_zero",
        "elu_grad(0) = 1, the derivative from the right (rtol 1e-7, atol 1e-15)",
        2,
        False,
        (activation((4, 5), 3.0, zeros=True), activation((9,), 3.0, 0.5, zeros=True)),
        1e-15,
        hint="The derivative at 0 is taken from the right: 1, not α.",
    ),
    act_check(
        "elu_grad",
        "stable",
        "elu_grad is 0 for very negative x, with no warning for |x| up to 1e4 (rtol 1e-7, atol 1e-15)",
        2,
        False,
        (extreme(), extreme(1.5)),
        1e-15,
        stable=True,
        hint=STABLE_HINT,
    ),
    Check(
        problem="p1",
        function=ALL,
        aspect="no_mutation",
        title="no p1 function modifies its input",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                tuple(Call(fn, fn, ("x",), () if fn.startswith("tanh") else ("alpha",)) for fn in ACTIVATIONS),
                tuple((fn, fn) for fn in ACTIVATIONS),
            )
        ),
        cases=(activation((3, 4), 3.0, 0.2),),
    ),
)

# -- p2: the losses and their gradients ----------------------------------------------------------------------


def _with(inputs: Inputs, delta: float | None) -> Inputs:
    return inputs if delta is None else {**inputs, "delta": delta}


def _delta(delta: float | None) -> str:
    return f", δ = {delta:g}" if delta is not None else ""


def pairs(shape: tuple[int, ...], delta: float | None = None) -> Case:
    """yhat and y ~ N(0, 2²) of ``shape`` (residuals of scale 2.8: both sides of |r| = 1 on every draw)."""
    return Case(
        f"yhat, y of shape {shape}{_delta(delta)}",
        lambda rng: _with({"yhat": 2.0 * rng.normal(size=shape), "y": 2.0 * rng.normal(size=shape)}, delta),
    )


def band(shape: tuple[int, ...], lo: float, hi: float, delta: float | None = None) -> Case:
    """Residuals r = yhat − y with |r| in (lo, hi) only, random signs; y ~ N(0, 2²)."""

    def make(rng: np.random.Generator) -> Inputs:
        y = 2.0 * rng.normal(size=shape)
        r = rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape)
        return _with({"yhat": y + r, "y": y}, delta)

    return Case(f"yhat, y of shape {shape}, every |yhat − y| in ({lo:g}, {hi:g}){_delta(delta)}", make)


def large(shape: tuple[int, ...], delta: float | None = None) -> Case:
    """Residuals |r| ≈ 2e4 (from 1.5e4 to 2.5e4): r² ≈ 4e8, no overflow, no warning."""

    def make(rng: np.random.Generator) -> Inputs:
        y = 2.0 * rng.normal(size=shape)
        r = rng.choice([-1.0, 1.0], shape) * rng.uniform(1.5e4, 2.5e4, shape)
        return _with({"yhat": y + r, "y": y}, delta)

    return Case(f"yhat, y of shape {shape}, |yhat − y| ≈ 2e4{_delta(delta)}", make)


def ties(shape: tuple[int, ...]) -> Case:
    """yhat, y ~ N(0, 2²) with a third of the entries (at least one) tied: yhat_i = y_i exactly."""

    def make(rng: np.random.Generator) -> Inputs:
        yhat, y = 2.0 * rng.normal(size=shape), 2.0 * rng.normal(size=shape)
        at = rng.choice(yhat.size, size=max(1, yhat.size // 3), replace=False)
        yhat.flat[at] = y.flat[at]
        return {"yhat": yhat, "y": y}

    return Case(f"yhat, y of shape {shape}, some entries tied (yhat = y)", make)


def distributions(shape: tuple[int, ...], zero_target: bool = False) -> Case:
    """yhat: a Dirichlet(1, …, 1) distribution per row (the last axis); y: another with about 30% exact zeros
    (at least one, never a whole row), renormalized. ``zero_target``: yhat is 0 too where y is 0 (renormalized),
    so 0·log 0 and −0/0 must give 0 with no warning."""

    def make(rng: np.random.Generator) -> Inputs:
        c, rows = shape[-1], shape[:-1]
        yhat = rng.dirichlet(np.ones(c), size=rows)
        y = rng.dirichlet(np.ones(c), size=rows)
        zero = rng.random(shape) < 0.3
        if not zero.any():
            zero.flat[int(rng.integers(zero.size))] = True
        keep = np.argmax(y, axis=-1)[..., None] == np.arange(c)  # each row keeps its largest entry
        zero &= ~keep
        if not zero.any():
            zero.flat[int(np.flatnonzero(~keep)[0])] = True
        y = np.where(zero, 0.0, y)
        y /= y.sum(axis=-1, keepdims=True)
        if zero_target:
            yhat = np.where(zero, 0.0, yhat)
            yhat /= yhat.sum(axis=-1, keepdims=True)
        return {"yhat": yhat, "y": y}

    label = f"distributions of shape {shape}, y with exact zeros"
    return Case(label + (", yhat = 0 where y = 0" if zero_target else ""), make)


def bce(shape: tuple[int, ...]) -> Case:
    """ŷ ~ U(0.01, 0.99), y ∈ {0, 1}."""

    def make(rng: np.random.Generator) -> Inputs:
        return {"yhat": rng.uniform(0.01, 0.99, shape), "y": rng.integers(0, 2, shape).astype(np.float64)}

    return Case(f"yhat in (0.01, 0.99), y in {{0, 1}}, shape {shape}", make)


def bce_extreme(rng: np.random.Generator) -> Inputs:
    """Eight ŷ within 1e-10…1e-9 of 0 or of 1, two for each of (ŷ near 0, near 1) × (y = 0, 1), shuffled."""
    tiny = 10.0 ** rng.uniform(-10.0, -9.0, 8)
    yhat = np.concatenate([tiny[:4], 1.0 - tiny[4:]])
    y = np.array([0.0, 0.0, 1.0, 1.0] * 2)
    order = rng.permutation(8)
    return {"yhat": yhat[order], "y": y[order]}


REGRESSION = (pairs((6,)), pairs((4, 5)), pairs((2, 3, 4)), large((5,)))
SMOOTH = (pairs((6,)), pairs((4, 5)), band((2, 3, 4), 0.5, 1.0), band((6,), 2.6, 5.0), large((5,)))
HUBER = (
    pairs((6,)),
    pairs((4, 5), 0.3),
    band((2, 3, 4), 0.5, 1.0, 0.7),
    pairs((2, 3, 4), 2.5),
    band((6,), 2.6, 5.0, 2.5),
    large((5,), 0.7),
)
PROBS = (distributions((6,)), distributions((4, 5)), distributions((2, 3, 4)))
ZERO_TARGET = (distributions((4, 5), zero_target=True), distributions((2, 3, 4), zero_target=True))
BCE_CASES = (bce((6,)), bce((4, 5)), bce((2, 3, 4)))
BCE_EXTREME = (Case("yhat within 1e-9 of 0 or 1 (unclipped), y in {0, 1}", bce_extreme),)


def loss_check(
    fn: str,
    title: str,
    points: float,
    public: bool,
    cases: tuple[Case, ...],
    aspect: str = "values",
    rtol: float = 1e-7,
    atol: float = 0.0,
    hint: str = "",
) -> Check:
    """A check of one loss or gradient by its values on (yhat, y) (and δ where the case has one); a NumPy
    warning fails the case (every input here is inside the function's domain)."""
    return Check(
        problem="p2",
        function=fn,
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=Compare(call(fn, "yhat", "y", kwargs=("delta",)), rtol=rtol, atol=atol, no_warnings=True),
        cases=cases,
        hint=hint,
    )


SUM_HINT = "L1, Smooth L1, Huber, KL, cross entropy and BCE are sums over every element; MSE is the mean."

P2_CHECKS = (
    loss_check(
        "mse",
        "mse is the mean of (y − yhat)², with no ½ (rtol 1e-7, atol 0)",
        3,
        True,
        REGRESSION,
        hint="MSE is (1/n) Σ (y − yhat)², n the element count, with no ½.",
    ),
    loss_check(
        "mse_grad",
        "mse_grad is 2(yhat − y)/n (rtol 1e-7, atol 0)",
        3,
        True,
        REGRESSION,
        hint="n is the element count; there is no ½ to cancel the 2.",
    ),
    loss_check("l1", "l1 is the sum of |y − yhat| (rtol 1e-7, atol 0)", 3, True, REGRESSION, hint=SUM_HINT),
    loss_check(
        "l1_grad",
        "l1_grad is sign(yhat − y), 0 at a tie (rtol 1e-7, atol 0)",
        3,
        True,
        REGRESSION + (ties((4, 5)),),
        hint="L1 is a sum, so its gradient is sign(r) with no 1/n; at a tie it is 0.",
    ),
    loss_check(
        "smooth_l1",
        "smooth_l1 is Σ ½r² (|r| < 1) or |r| − ½ (rtol 1e-7, atol 0)",
        3,
        True,
        SMOOTH,
        hint="The branches switch at |r| = 1 (Smooth L1 is Huber with δ = 1).",
    ),
    loss_check(
        "smooth_l1_grad",
        "smooth_l1_grad is r (|r| < 1) or sign(r) (rtol 1e-7, atol 0)",
        3,
        True,
        SMOOTH,
        hint="The branches switch at |r| = 1.",
    ),
    loss_check(
        "huber",
        "huber is Σ ½r² (|r| ≤ δ) or δ|r| − ½δ², for δ ≠ 1 too (rtol 1e-7, atol 0)",
        3,
        True,
        HUBER,
        hint="The linear branch is δ|r| − ½δ²: it meets ½r² at |r| = δ.",
    ),
    loss_check(
        "huber_grad",
        "huber_grad is r (|r| ≤ δ) or δ·sign(r) (rtol 1e-7, atol 0)",
        3,
        True,
        HUBER,
    ),
    loss_check(
        "kl_div",
        "kl_div is Σ y log(y/yhat), KL(y‖yhat) (rtol 1e-7, atol 1e-12)",
        3,
        True,
        PROBS,
        atol=1e-12,
        hint="A term with y = 0 is 0 (0·log 0 = 0): sum over y > 0 only.",
    ),
    loss_check(
        "kl_div",
        "kl_div is finite and warning-free where yhat = y = 0 (rtol 1e-7, atol 1e-12)",
        2,
        False,
        ZERO_TARGET,
        aspect="zero_target",
        atol=1e-12,
        hint="A term with y = 0 is 0 whatever yhat is, even yhat = 0.",
    ),
    loss_check(
        "kl_div_grad",
        "kl_div_grad is −y/yhat, 0 where y = 0 (rtol 1e-7, atol 0)",
        3,
        True,
        PROBS + ZERO_TARGET[:1],
        hint="An entry with y = 0 is exactly 0, also where yhat = 0.",
    ),
    loss_check(
        "cross_entropy",
        "cross_entropy is −Σ y log yhat, 0·log 0 = 0 (rtol 1e-7, atol 1e-12)",
        3,
        True,
        PROBS + ZERO_TARGET[:1],
        atol=1e-12,
        hint=SUM_HINT,
    ),
    loss_check(
        "cross_entropy_grad",
        "cross_entropy_grad is −y/yhat, 0 where y = 0 (rtol 1e-7, atol 0)",
        3,
        True,
        PROBS + ZERO_TARGET[:1],
    ),
    loss_check(
        "binary_cross_entropy",
        "binary_cross_entropy is −Σ (y ln ŷ + (1 − y) ln(1 − ŷ)) (rtol 1e-7, atol 0)",
        2,
        True,
        BCE_CASES,
        hint=SUM_HINT,
    ),
    loss_check(
        "binary_cross_entropy",
        "binary_cross_entropy is not clipped: ŷ within 1e-9 of 0 or 1 (rtol 1e-6, atol 0)",
        1,
        False,
        BCE_EXTREME,
        aspect="unclipped",
        rtol=1e-6,
        hint="Do not clip ŷ to [ε, 1 − ε]: the loss is the formula's on all of (0, 1).",
    ),
    loss_check(
        "binary_cross_entropy_grad",
        "binary_cross_entropy_grad is (ŷ − y)/(ŷ(1 − ŷ)) (rtol 1e-7, atol 0)",
        2,
        True,
        BCE_CASES,
    ),
    loss_check(
        "binary_cross_entropy_grad",
        "binary_cross_entropy_grad is not clipped: ŷ within 1e-9 of 0 or 1 (rtol 1e-6, atol 0)",
        1,
        False,
        BCE_EXTREME,
        aspect="unclipped",
        rtol=1e-6,
        hint="Do not clip ŷ: the gradient is the formula's on all of (0, 1).",
    ),
)


def all_losses(rng: np.random.Generator) -> Inputs:
    """One input set for every p2 function: regression pairs (with δ), distributions, BCE probabilities."""
    reg, prob, b = pairs((4, 5), 0.7).make(rng), distributions((4, 5)).make(rng), bce((6,)).make(rng)
    return {**reg, "p": prob["y"], "phat": prob["yhat"], "b": b["y"], "bhat": b["yhat"]}


_REG = ("mse", "mse_grad", "l1", "l1_grad", "smooth_l1", "smooth_l1_grad", "huber", "huber_grad")
_PROB = ("kl_div", "kl_div_grad", "cross_entropy", "cross_entropy_grad")
_BCE = ("binary_cross_entropy", "binary_cross_entropy_grad")

P2_CHECKS += (
    Check(
        problem="p2",
        function=ALL,
        aspect="no_mutation",
        title="no p2 function modifies its inputs",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                tuple(Call(fn, fn, ("yhat", "y"), ("delta",) if fn.startswith("huber") else ()) for fn in _REG)
                + tuple(Call(fn, fn, ("phat", "p")) for fn in _PROB)
                + tuple(Call(fn, fn, ("bhat", "b")) for fn in _BCE),
                tuple((fn, fn) for fn in _REG + _PROB + _BCE),
            )
        ),
        cases=(Case("yhat, y (4, 5) with δ = 0.7; distributions (4, 5); BCE (6,)", all_losses),),
    ),
)

# -- p3: the softmax loss, its gradient and fig. 3.36 ----------------------------------------------------------


def logits(n: int, c: int, scale: float, labels: str = "int") -> Case:
    """Logits scale·N(0, 1) of shape (N, C) with int64 class indices (``labels="int"``) or one-hot float rows
    (``"onehot"``)."""

    def make(rng: np.random.Generator) -> Inputs:
        idx = rng.integers(0, c, n)
        lab = idx if labels == "int" else (idx[:, None] == np.arange(c)).astype(np.float64)
        return {"logits": scale * rng.normal(size=(n, c)), "labels": lab}

    what = "int64 labels" if labels == "int" else "one-hot float labels"
    return Case(f"logits ({n}, {c}), scale {scale:g}, {what}", make)


def one_sample(c: int, label: str) -> Case:
    """1-D logits (C,) ~ 3·N(0, 1), one sample, its label an int (``"int"``), a 0-d int64 array (``"0d"``) or a
    one-hot float row of shape (C,) (``"onehot"``)."""

    def make(rng: np.random.Generator) -> Inputs:
        k = int(rng.integers(0, c))
        lab = {"int": k, "0d": np.asarray(k, dtype=np.int64), "onehot": (np.arange(c) == k).astype(np.float64)}
        return {"logits": 3.0 * rng.normal(size=c), "labels": lab[label]}

    what = {"int": "an int", "0d": "a 0-d int64 array", "onehot": "a one-hot row (C,)"}[label]
    return Case(f"1-D logits ({c},), label {what}", make)


def large_logits(rng: np.random.Generator) -> Inputs:
    """Logits (4, 3) with magnitudes a ~ U(1e3, 1e4) drawn per row: rows [a, 0, −a], [−a]×3, [a]×3 and
    [a, a − 1, −a], each shuffled, the rows in random order; int64 labels."""
    a = rng.uniform(1e3, 1e4, 4)
    rows = [
        np.array([a[0], 0.0, -a[0]]),
        np.full(3, -a[1]),
        np.full(3, a[2]),
        np.array([a[3], a[3] - 1.0, -a[3]]),
    ]
    z = np.stack([rng.permutation(r) for r in rows])[rng.permutation(4)]
    return {"logits": z, "labels": rng.integers(0, 3, 4)}


def large_one_sample(rng: np.random.Generator) -> Inputs:
    """1-D logits [a, 0, −a] shuffled, a ~ U(1e3, 1e4), label an int."""
    a = rng.uniform(1e3, 1e4)
    return {"logits": rng.permutation(np.array([a, 0.0, -a])), "labels": int(rng.integers(0, 3))}


SOFTMAX = (logits(1, 3, 1.0), logits(5, 4, 5.0), logits(16, 10, 50.0), logits(5, 4, 1.0))
LABELS = (logits(5, 4, 3.0, "onehot"), one_sample(4, "int"), one_sample(5, "0d"), one_sample(3, "onehot"))
LARGE = (
    Case("logits (4, 3) of magnitude 1e3 to 1e4", large_logits),
    Case("1-D logits [a, 0, −a], a from 1e3 to 1e4", large_one_sample),
)


def softmax_check(fn: str, aspect: str, title: str, points: float, public: bool, cases: tuple[Case, ...], hint: str):
    """A check of the softmax loss or its gradient on (logits, labels), atol 1e-15, no NumPy warning."""
    return Check(
        problem="p3",
        function=fn,
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=Compare(call(fn, "logits", "labels"), rtol=1e-7, atol=1e-15, no_warnings=True),
        cases=cases,
        hint=hint,
    )


SHIFT_HINT = "Subtract each row's maximum before exponentiating: log Σ exp(z − max) + max."
SATURATION = call("saturation_demo", returns=(("(g_mse, g_ce)", "r"),))

P3_CHECKS = (
    softmax_check(
        "softmax_cross_entropy",
        "values",
        "softmax_cross_entropy is the batch mean of −log softmax (rtol 1e-7, atol 1e-15)",
        5,
        True,
        SOFTMAX,
        "5-17 has 1/n: the loss is the mean over the N samples.",
    ),
    softmax_check(
        "softmax_cross_entropy",
        "labels",
        "softmax_cross_entropy takes one-hot rows and 1-D logits with one label (rtol 1e-7, atol 1e-15)",
        2,
        False,
        LABELS,
        "Labels are (N,) indices or one-hot rows; (C,) logits are one sample with one int label.",
    ),
    softmax_check(
        "softmax_cross_entropy",
        "stable",
        "softmax_cross_entropy is finite and warning-free for logits up to 1e4 (rtol 1e-7, atol 1e-15)",
        3,
        False,
        LARGE,
        SHIFT_HINT,
    ),
    softmax_check(
        "softmax_cross_entropy_grad",
        "values",
        "softmax_cross_entropy_grad is (softmax − onehot)/N (rtol 1e-7, atol 1e-15)",
        5,
        True,
        SOFTMAX,
        "Divide by N, the number of samples: the loss is a mean.",
    ),
    softmax_check(
        "softmax_cross_entropy_grad",
        "labels",
        "softmax_cross_entropy_grad with one-hot rows and 1-D logits, shape (C,) (rtol 1e-7, atol 1e-15)",
        2,
        False,
        LABELS,
        "1-D logits are one sample (N = 1); the gradient has the logits' shape.",
    ),
    softmax_check(
        "softmax_cross_entropy_grad",
        "stable",
        "softmax_cross_entropy_grad is finite and warning-free for logits up to 1e4 (rtol 1e-7, atol 1e-15)",
        2,
        False,
        LARGE,
        SHIFT_HINT,
    ),
    Check(
        problem="p3",
        function="saturation_demo",
        aspect="values",
        title="saturation_demo returns (‖∇MSE‖, ‖∇CE‖) ≈ (1.17e-8, 1.414) at fig. 3.36's point (rtol 1e-6, atol 0)",
        points=3,
        public=True,
        judge=Compare(SATURATION, rtol=1e-6, atol=0.0, no_warnings=True),
        cases=(Case("logits (−10, 10, −1000), target [1, 0, 0]", lambda rng: {}),),
        hint="MSE here is 3.29's sum over the classes; both gradients are with respect to the logits.",
    ),
    Check(
        problem="p3",
        function="saturation_demo",
        aspect="claim",
        title="fig. 3.36 on your saturation_demo: the MSE gradient is below 1e-6 × the CE one (values rtol 1e-6)",
        points=2,
        public=False,
        judge=Claim(
            SATURATION,
            statement="at a confidently wrong point MSE after softmax is flat (fig. 3.36(b)), cross entropy is not",
            small=0,
            large=1,
            factor=1e-6,
            rtol=1e-6,
            atol=0.0,
        ),
        cases=(Case("logits (−10, 10, −1000), target [1, 0, 0]", lambda rng: {}),),
    ),
    Check(
        problem="p3",
        function=ALL,
        aspect="no_mutation",
        title="no p3 function modifies its inputs",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                (
                    Call("a", "softmax_cross_entropy", ("logits", "labels")),
                    Call("b", "softmax_cross_entropy_grad", ("logits", "labels")),
                ),
                (("softmax_cross_entropy", "a"), ("softmax_cross_entropy_grad", "b")),
            )
        ),
        cases=(logits(5, 4, 3.0), logits(3, 4, 3.0, "onehot")),
    ),
)

ASSIGNMENT = Assignment(
    name="hw5",
    problems=(
        Problem("p1", P1, "the activations tanh, LeakyReLU and ELU and their derivatives", 30),
        Problem("p2", P2, "the losses of the text and their gradients", 45),
        Problem("p3", P3, "the softmax loss, its gradient and the saturation of fig. 3.36", 25),
    ),
    checks=P1_CHECKS + P2_CHECKS + P3_CHECKS,
)
ASSIGNMENT.validate()
