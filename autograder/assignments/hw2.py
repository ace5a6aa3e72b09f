"""hw2 (优化器与学习率调度: optimizers and learning-rate schedules): every check of the assignment, declared as data.

Points: p1 50 (the five optimizer steps, their state contract and their behaviour on the text's error surface),
p2 20 (schedules), p3 30 (``run_optimizer``). A check's points are split evenly over its cases.

- Optimizer values (:class:`~autograder.trajectory_judges.StepChain`): 1–10 chained updates from ``state = {}``,
  each student's own state passed back, every θ_t compared with the reference's within
  rtol_t = 1e-10·(1 + t/3) relative plus 1e-12·max|θ_ref| absolute (correct forms differ by ≤ 1e-13 relative
  over 10 updates). Shapes (), (d,) and (2, 3); gradients with per-entry scales from 1e-3 to 1e2 and exact zeros.
- Behaviour on the surface (COURSE.md hw2 item 14: the grader's own loop with the student's step, so a
  ``run_optimizer`` bug costs no optimizer points): 300 updates on L = ½(θ₁² + 200 θ₂²), the same rule, which
  reaches 1e-8 at t = 300 (measured between correct forms: ≤ 2e-12 relative, RMSProp at t ≈ 100–200). The
  text's claims are judged by the parent's own predicates on the student's trajectory and count only where it
  also matches the reference's.
- Schedules: rtol 1e-12 (atol 0), t from 0 to 200, integer hyper-parameters 1 to 30, edges pinned by COURSE.md
  items 4–7.
- ``run_optimizer``: Compare at rtol 1e-10, atol 1e-12, with trusted step functions and a random
  positive-definite quadratic (trusted callables), constant and scheduled learning rates.

No per-student variant (``VARIANTS``): the only numbers a student sees are the error surface's (THETA0, the
curvatures, the learning rates of the claims), given constants on which the text's claims are measured (the
blow-up hangs on rounding near the minimum, so other numbers would need their own measurement); every public
check's inputs still differ per student through the variant's public seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..callables import callables_source
from ..checks import Assignment, Case, Check, Inputs, Problem
from ..judges import Compare, NoMutation
from ..programs import Call, Program
from ..trajectory_judges import FLAG, StepChain, StepContract

P1, P2, P3 = "p1_optimizers", "p2_schedules", "p3_training"

# -- the text's error surface (copied from solutions/hw2/p3_training.py; the engine never imports solutions) ---

SURFACE = {"a": 1.0, "b": 200.0}
THETA0 = (-3.0, 0.3)
STEPS = 300
GD_LR = 1e-2
ADAGRAD_LR = 0.1
DECAY_K = 0.005
NEAR = 1e-4
BLOWUP_RATIO = 1e3
CLAIM_ARGS = {"a": SURFACE["a"], "b": SURFACE["b"], "near": NEAR, "ratio": BLOWUP_RATIO}
PLOT_SURFACE = {"kind": "quadratic", "a": SURFACE["a"], "b": SURFACE["b"], "center": [0.0, 0.0]}

# -- trusted callables, sent to the child as source (autograder.callables) ------------------------------------


def surface_grad(theta):
    """∇L of the text's surface L = ½(θ₁² + 200 θ₂²) (SURFACE), at the student's own θ_t."""
    return np.array([1.0 * theta[0], 200.0 * theta[1]], dtype=np.float64)


def empty_state():
    """A fresh ``{}`` the grader keeps a handle on, to see whether the step fills it."""
    return {}


def left_empty(state):
    """Whether the ``{}`` passed to a first update is still empty afterwards."""
    return bool(isinstance(state, dict) and len(state) == 0)


def new_dict(passed, returned):
    """Whether a step returned a dict other than the one it was given."""
    return bool(isinstance(returned, dict) and returned is not passed)


def quadratic_grad_fn(A, b):
    """grad_fn of the quadratic L(θ) = ½ θᵀAθ − bᵀθ (θ flattened), which insists on the contract of COURSE.md
    item 13: one argument, a float64 array of θ0's shape."""
    shape = np.shape(b)

    def grad_fn(theta):
        if getattr(theta, "dtype", None) != np.float64 or np.shape(theta) != shape:
            raise TypeError("grad_fn must get θ_t as a float64 array of θ0's shape")
        return (A @ theta.reshape(-1) - b.reshape(-1)).reshape(shape)

    return grad_fn


def inverse_time_schedule(lr0, k):
    """The schedule t -> lr0/(1 + k t) (a callable lr for run_optimizer)."""

    def schedule(t):
        return lr0 / (1.0 + k * t)

    return schedule


def given_sgd(theta, g, state, lr):
    """A correct SGD step for run_optimizer's checks."""
    return theta - lr * g, {"t": state.get("t", 0) + 1}


def given_momentum(theta, g, state, lr, lam=0.9):
    """A correct momentum step (eq. 3.13) for run_optimizer's checks: the state must be threaded through."""
    m = lam * state.get("m", np.zeros_like(theta)) - lr * g
    return theta + m, {"m": m}


def given_adam(theta, g, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """A correct Adam step with a default lr, for the check that hyper-parameters pass through unchanged."""
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(theta)) + (1 - beta1) * g
    v = beta2 * state.get("v", np.zeros_like(theta)) + (1 - beta2) * g * g
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), {"m": m, "v": v, "t": t}


CALLABLES = (
    surface_grad,
    empty_state,
    left_empty,
    new_dict,
    quadratic_grad_fn,
    inverse_time_schedule,
    given_sgd,
    given_momentum,
    given_adam,
)

# -- p1: case generators ----------------------------------------------------------------------------------------

Make = Callable[[np.random.Generator], Inputs]


def gradients(
    rng: np.random.Generator, steps: int, shape: tuple[int, ...], lo: float = -3.0, hi: float = 2.0, zeros: bool = True
) -> list[np.ndarray]:
    """g_0 … g_{steps−1}: per-entry scales 10^U(lo, hi) (fixed over the steps), normal draws, and (``zeros``)
    about one entry in six exactly 0."""
    scale = 10.0 ** rng.uniform(lo, hi, shape)
    out = []
    for _ in range(steps):
        g = np.asarray(scale * rng.normal(size=shape), dtype=np.float64)
        if zeros:
            g = np.where(rng.random(shape) < 1 / 6, 0.0, g)
        out.append(np.asarray(g, dtype=np.float64))
    return out


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(10.0 ** rng.uniform(np.log10(lo), np.log10(hi)))


EPS_CHOICES = (1e-8, 1e-4, 1e-2, 0.1)


def hyper_of(fn: str, rng: np.random.Generator) -> Inputs:
    """The optimizer's hyper-parameters, drawn: lr 1e-3–1, λ 0–0.99, α 0.5–0.99, β1 0.5–0.99, β2 0.9–0.9999, eps
    from {1e-8, 1e-4, 1e-2, 0.1} (Adam's general cases keep the default 1e-8: see :func:`adam_case`)."""
    h: Inputs = {"lr": log_uniform(rng, 1e-3, 1.0)}
    if fn == "momentum_step":
        h["lam"] = float(rng.uniform(0.0, 0.99))
    if fn in ("adagrad_step", "rmsprop_step"):
        h["eps"] = float(rng.choice(EPS_CHOICES))
    if fn == "rmsprop_step":
        h["alpha"] = float(rng.uniform(0.5, 0.99))
    if fn == "adam_step":
        h.update(beta1=float(rng.uniform(0.5, 0.99)), beta2=float(rng.uniform(0.9, 0.9999)))
    return h


def chain_case(fn: str, steps: int, shape: tuple[int, ...], **draw) -> Case:
    """``steps`` chained updates of ``fn`` from θ ~ N(0, 1) of ``shape`` and ``state = {}``."""
    what = "one update (t = 0)" if steps == 1 else f"{steps} chained updates"
    label = f"{what}, θ of shape {shape}"

    def make(rng: np.random.Generator) -> Inputs:
        return {
            "theta": rng.normal(size=shape),
            "g": gradients(rng, steps, shape, **draw),
            "state": {},
            **hyper_of(fn, rng),
        }

    return Case(label, make)


def default_regime(rng: np.random.Generator, steps: int, shape: tuple[int, ...]) -> list[np.ndarray]:
    """Gradients of magnitude 10^U(1, 2) with random signs: where Adam's default eps = 1e-8 is negligible against
    sqrt(v̂) (placed inside or outside the root, θ moves by less than 1e-11 differently at lr ≤ 1e-2)."""
    sign = rng.choice([-1.0, 1.0], (steps,) + shape)
    mag = 10.0 ** rng.uniform(1.0, 2.0, shape) * rng.uniform(0.5, 1.5, (steps,) + shape)
    return [np.asarray(sign[t] * mag[t], dtype=np.float64) for t in range(steps)]


def adam_case(steps: int, shape: tuple[int, ...], eps: str) -> Case:
    """Adam's cases, θ entries ±[0.5, 2]. ``eps``: "default" (eps = 1e-8 is not passed; :func:`default_regime`
    gradients, lr 1e-3–1e-2: the values of Adam's update itself, where eps does not matter), "large" (eps from
    {1e-4, 1e-2, 0.1}, gradients with scales 1e-3–1e2: where eps inside or outside the root differ) or "tiny"
    (the default eps, gradients of scale 1e-7–1e-4)."""
    label = {"default": "", "large": ", eps ≥ 1e-4", "tiny": ", default eps, gradients ≤ 1e-4"}[eps]
    what = "one update (t = 0)" if steps == 1 else f"{steps} chained updates"

    def make(rng: np.random.Generator) -> Inputs:
        h = hyper_of("adam_step", rng)
        theta = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
        if eps == "default":
            h["lr"] = log_uniform(rng, 1e-3, 1e-2)
            g = default_regime(rng, steps, shape)
        elif eps == "large":
            h["eps"] = float(rng.choice(EPS_CHOICES[1:]))
            g = gradients(rng, steps, shape, zeros=False)
        else:
            g = gradients(rng, steps, shape, lo=-7.0, hi=-4.0, zeros=False)
        return {"theta": np.asarray(theta, dtype=np.float64), "g": g, "state": {}, **h}

    return Case(f"{what}, θ of shape {shape}{label}", make)


def zero_gradient_case(fn: str, shape: tuple[int, ...]) -> Case:
    """A whole gradient of exact zeros at the first update (σ_0 = 0, v̂ = 0: the step is 0, not NaN), then more."""

    def make(rng: np.random.Generator) -> Inputs:
        h = hyper_of(fn, rng)
        if fn == "adam_step":  # Adam's default eps, where it does not matter (eps itself: adam_step.eps)
            h["lr"] = log_uniform(rng, 1e-3, 1e-2)
            g = default_regime(rng, 3, shape)
        else:
            g = gradients(rng, 3, shape, zeros=False)
        g[0] = np.zeros(shape)
        return {"theta": rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape), "g": g, "state": {}, **h}

    return Case(f"a zero gradient at t = 0, then 2 updates, θ of shape {shape}", make)


def changing_lr_case(steps: int, shape: tuple[int, ...]) -> Case:
    """Momentum with a different η at every call (as a schedule gives): the text's m ← λm − ηg, θ ← θ + m."""

    def make(rng: np.random.Generator) -> Inputs:
        h = hyper_of("momentum_step", rng)
        del h["lr"]
        h["lam"] = float(rng.uniform(0.5, 0.99))
        lrs = [log_uniform(rng, 1e-3, 1.0) for _ in range(steps)]
        return {"theta": rng.normal(size=shape), "g": gradients(rng, steps, shape), "state": {}, "lr": lrs, **h}

    return Case(f"{steps} updates, η different at every call, θ of shape {shape}", make)


def surface_case(hyper: Inputs, decay: bool = False, drawn: bool = True) -> Case:
    """STEPS updates on the surface from THETA0 (``drawn`` False: the text's own start, for a claim) or from a start
    drawn from the seed near it (θ₁ ∈ −[2, 4], θ₂ ∈ ±[0.1, 0.5])."""
    shown = ", ".join(f"{k} {v:g}" for k, v in hyper.items())
    label = f"{STEPS} updates on the surface from " + ("a drawn start" if drawn else f"θ0 = {THETA0}") + f", {shown}"
    if decay:
        label = f"{STEPS} updates on the surface from θ0 = {THETA0}, η_t = {ADAGRAD_LR:g}/(1 + {DECAY_K:g} t)"

    def make(rng: np.random.Generator) -> Inputs:
        theta = np.array(THETA0, dtype=np.float64)
        if drawn:
            theta = np.array([-rng.uniform(2.0, 4.0), rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.5)])
        inputs: Inputs = {"theta": theta, "state": {}, "steps": STEPS, **hyper}
        if decay:
            inputs["lr"] = [ADAGRAD_LR / (1.0 + DECAY_K * t) for t in range(STEPS)]
        return inputs

    return Case(label, make)


def values_cases(fn: str) -> tuple[Case, ...]:
    if fn == "adam_step":
        return (
            adam_case(1, (), "default"),
            adam_case(4, (5,), "default"),
            adam_case(10, (2, 3), "default"),
            adam_case(1, (2, 3), "default"),
        )
    return (
        chain_case(fn, 1, ()),
        chain_case(fn, 4, (5,)),
        chain_case(fn, 10, (2, 3)),
        chain_case(fn, 1, (2, 3)),
    )


OPTIMIZERS = {
    "sgd_step": ("lr",),
    "momentum_step": ("lr", "lam"),
    "adagrad_step": ("lr", "eps"),
    "rmsprop_step": ("lr", "alpha", "eps"),
    "adam_step": ("lr", "beta1", "beta2", "eps"),
}
TITLES = {
    "sgd_step": "θ − η g",
    "momentum_step": "m ← λm − ηg, θ ← θ + m (eq. 3.13)",
    "adagrad_step": "the root MEAN square of all gradients (eq. 3.22), eps outside the root",
    "rmsprop_step": "σ_0 = |g_0|, then σ_t = sqrt(α σ² + (1 − α) g²) (eq. 3.23–3.25)",
    "adam_step": "bias-corrected moments, t incremented before use, eps outside the root",
}
HINTS = {
    "sgd_step": "",
    "momentum_step": "m starts at 0; the first step is plain SGD; θ ← θ + m (the text's sign).",
    "adagrad_step": "σ_t = sqrt((1/(t+1)) Σ_{j≤t} g_j²): the mean, not the sum; σ_0 = |g_0|.",
    "rmsprop_step": "On the first call σ_0 = |g_0| (not sqrt((1 − α) g_0²)); α weighs the OLD σ².",
    "adam_step": "t ← t + 1 first, so the first step has t = 1 and m̂ = g, v̂ = g².",
}
TOLERANCE = "rtol 1e-10·(1 + t/3), atol 1e-12·max|θ|"
SURFACE_TOLERANCE = f"{TOLERANCE} (1e-8 at t = 300)"


def chain(fn: str, per_step: tuple[str, ...] = ()) -> StepChain:
    """The student's ``fn`` chained over the case's gradients (the list input ``g``)."""
    hyper = tuple(h for h in OPTIMIZERS[fn] if h not in per_step)
    return StepChain(fn, gradients="g", hyper=hyper, per_step=per_step)


def on_surface(fn: str, claim: str = "", per_step: tuple[str, ...] = ()) -> StepChain:
    """The student's ``fn`` in the grader's loop on the surface (the gradient at the student's own θ_t)."""
    hyper = tuple(h for h in OPTIMIZERS[fn] if h not in per_step)
    return StepChain(
        fn,
        grad="surface_grad",
        hyper=hyper,
        per_step=per_step,
        claim=claim,
        claim_args=CLAIM_ARGS if claim else {},
        surface=PLOT_SURFACE,
    )


def contract(fn: str) -> StepContract:
    """Three chained updates from a ``{}`` the grader keeps: values right, nothing modified, new dicts."""
    hyper = OPTIMIZERS[fn]
    calls = (
        Call("st0", "$empty_state"),
        Call("s1", fn, ("theta", "g[0]", "st0"), hyper),
        Call("f0", "$left_empty", ("st0",)),
        Call("s2", fn, ("s1[0]", "g[1]", "s1[1]"), hyper),
        Call("f1", "$new_dict", ("s1[1]", "s2[1]")),
        Call("s3", fn, ("s2[0]", "g[2]", "s2[1]"), hyper),
        Call("f2", "$new_dict", ("s2[1]", "s3[1]")),
        Call("f3", "$new_dict", ("st0", "s1[1]")),
    )
    returns = (
        ("θ_1", "s1[0]"),
        ("θ_2", "s2[0]"),
        ("θ_3", "s3[0]"),
        (f"{FLAG}the {{}} passed to the first update is left empty", "f0"),
        (f"{FLAG}the first update returns a new dict (not the {{}} it was given)", "f3"),
        (f"{FLAG}the second update returns a new dict (not the state it was given)", "f1"),
        (f"{FLAG}the third update returns a new dict (not the state it was given)", "f2"),
    )
    return StepContract(Program(calls, returns))


def reuse(fn: str) -> Compare:
    """One update, then the same (θ_1, g_1, state_1) twice: both calls must give the reference's θ_2."""
    hyper = OPTIMIZERS[fn]
    calls = (
        Call("s1", fn, ("theta", "g[0]", "state"), hyper),
        Call("a", fn, ("s1[0]", "g[1]", "s1[1]"), hyper),
        Call("b", fn, ("s1[0]", "g[1]", "s1[1]"), hyper),
    )
    returns = (("θ_2 (first call with state_1)", "a[0]"), ("θ_2 (a second call with the same state_1)", "b[0]"))
    return Compare(Program(calls, returns), rtol=1e-10, atol=1e-12)


def property_cases(fn: str) -> tuple[Case, ...]:
    if fn == "adam_step":
        return (adam_case(3, (4,), "default"),)
    return (chain_case(fn, 3, (4,)),)


def values_check(fn: str, points: float) -> Check:
    return Check(
        problem="p1",
        function=fn,
        aspect="values",
        title=f"{fn}: {TITLES[fn]}; every θ_t of 1–10 chained updates matches ({TOLERANCE})",
        points=points,
        public=True,
        judge=chain(fn),
        cases=values_cases(fn),
        hint=HINTS[fn],
    )


def contract_check(fn: str) -> Check:
    return Check(
        problem="p1",
        function=fn,
        aspect="no_mutation",
        title=f"{fn} modifies neither θ, g, the state nor any array in it, and returns a new dict",
        points=1,
        public=True,
        judge=contract(fn),
        cases=property_cases(fn),
        hint="Build new arrays (m = β m + ..., never m *= β or state['m'] = ...) and return a new dict.",
    )


def reuse_check(fn: str) -> Check:
    return Check(
        problem="p1",
        function=fn,
        aspect="reuse",
        title=f"{fn} given the same state twice gives the same update twice",
        points=1,
        public=False,
        judge=reuse(fn),
        cases=property_cases(fn),
        hint="The state passed in must stay as it was: the caller may pass it again.",
    )


def surface_check(fn: str, hyper: Inputs) -> Check:
    shown = ", ".join(f"{k} {v:g}" for k, v in hyper.items())
    return Check(
        problem="p1",
        function=fn,
        aspect="surface",
        title=f"{fn} on the text's error surface ({shown}, {STEPS} updates): every θ_t matches ({SURFACE_TOLERANCE})",
        points=2,
        public=False,
        judge=on_surface(fn),
        cases=(surface_case(hyper),),
        hint=HINTS[fn],
    )


def zero_check(fn: str) -> Check:
    return Check(
        problem="p1",
        function=fn,
        aspect="zero_gradient",
        title=f"{fn} with a zero gradient makes a zero step (no 0/0), then goes on",
        points=1,
        public=False,
        judge=chain(fn),
        cases=(zero_gradient_case(fn, (3,)), zero_gradient_case(fn, (2, 2))),
        hint="Add eps outside the root: η·0/(0 + eps) = 0.",
    )


def claim_check(fn: str, aspect: str, claim: str, title: str, case: Case, per_step: tuple[str, ...] = ()) -> Check:
    return Check(
        problem="p1",
        function=fn,
        aspect=aspect,
        title=f"{title} (your {fn} in the grader's loop, {STEPS} updates from θ0 = {THETA0}; {SURFACE_TOLERANCE})",
        points=2,
        public=True,
        judge=on_surface(fn, claim, per_step),
        cases=(case,),
        hint=HINTS[fn],
    )


P1_CHECKS = (
    values_check("sgd_step", 4),
    contract_check("sgd_step"),
    claim_check(
        "sgd_step",
        "oscillates",
        "oscillates",
        f"plain GD at η = {GD_LR:g} oscillates between the valley's walls (fig. 3.22(a))",
        surface_case({"lr": GD_LR}, drawn=False),
    ),
    values_check("momentum_step", 4),
    Check(
        problem="p1",
        function="momentum_step",
        aspect="changing_lr",
        title=f"momentum_step with η changing between calls (η inside m, eq. 3.13; {TOLERANCE})",
        points=3,
        public=False,
        judge=chain("momentum_step", per_step=("lr",)),
        cases=(changing_lr_case(5, (4,)), changing_lr_case(8, (2, 3))),
        hint="m ← λm − η_t g: the library form v ← λv + g, θ ← θ − η_t v differs once η changes.",
    ),
    surface_check("momentum_step", {"lr": 1e-3, "lam": 0.9}),
    contract_check("momentum_step"),
    reuse_check("momentum_step"),
    values_check("adagrad_step", 3),
    zero_check("adagrad_step"),
    claim_check(
        "adagrad_step",
        "gets_near",
        "gets_near",
        f"AdaGrad at η = {ADAGRAD_LR:g} gets within {NEAR:g} of the minimum (fig. 3.27)",
        surface_case({"lr": ADAGRAD_LR}, drawn=False),
    ),
    claim_check(
        "adagrad_step",
        "blows_up",
        "blows_up",
        f"AdaGrad at η = {ADAGRAD_LR:g} then 'explodes': the distance climbs ≥ {BLOWUP_RATIO:g}× its best (fig. 3.27)",
        surface_case({"lr": ADAGRAD_LR}, drawn=False),
    ),
    claim_check(
        "adagrad_step",
        "decay",
        "decay_fixes",
        f"AdaGrad with η_t = {ADAGRAD_LR:g}/(1 + {DECAY_K:g} t) does not explode and ends within {NEAR:g} (fig. 3.29)",
        surface_case({}, decay=True, drawn=False),
        per_step=("lr",),
    ),
    contract_check("adagrad_step"),
    reuse_check("adagrad_step"),
    values_check("rmsprop_step", 4),
    Check(
        problem="p1",
        function="rmsprop_step",
        aspect="first_step",
        title=f"rmsprop_step's first update uses σ_0 = |g_0| ({TOLERANCE})",
        points=1,
        public=False,
        judge=chain("rmsprop_step"),
        cases=(chain_case("rmsprop_step", 1, (6,)), chain_case("rmsprop_step", 1, (2, 3))),
        hint=HINTS["rmsprop_step"],
    ),
    zero_check("rmsprop_step"),
    surface_check("rmsprop_step", {"lr": 1e-2, "alpha": 0.9}),
    contract_check("rmsprop_step"),
    reuse_check("rmsprop_step"),
    values_check("adam_step", 3),
    Check(
        problem="p1",
        function="adam_step",
        aspect="eps",
        title=f"adam_step where eps matters: eps ≥ 1e-4, or gradients ≤ 1e-4 with the default eps ({TOLERANCE})",
        points=2,
        public=False,
        judge=chain("adam_step"),
        cases=(adam_case(3, (5,), "large"), adam_case(1, (2, 3), "large"), adam_case(4, (4,), "tiny")),
        hint="θ − η m̂/(sqrt(v̂) + eps): eps outside the root, after the bias correction.",
    ),
    zero_check("adam_step"),
    surface_check("adam_step", {"lr": 0.1}),
    contract_check("adam_step"),
    reuse_check("adam_step"),
)

# -- p2: schedules -----------------------------------------------------------------------------------------------

#: Each schedule case evaluates the schedule at this many t (a list input ``t``).
N_T = 12
SCHEDULE_RTOL = 1e-12


def schedule_program(fn: str, params: tuple[str, ...]) -> Program:
    calls = tuple(Call(f"r{i}", fn, (f"t[{i}]",) + params) for i in range(N_T))
    return Program(calls, tuple((f"{fn}(t[{i}])", f"r{i}") for i in range(N_T)))


def schedule_case(label: str, draw: Callable[[np.random.Generator], tuple[Inputs, list[int]]]) -> Case:
    """``draw(rng)`` gives the hyper-parameters and some t; the rest of the N_T t are drawn from 0–200."""

    def make(rng: np.random.Generator) -> Inputs:
        params, ts = draw(rng)
        ts = [int(t) for t in ts if t >= 0][:N_T]
        ts += [int(t) for t in rng.integers(0, 201, N_T - len(ts))]
        return {"t": [int(t) for t in rng.permutation(ts)], **params}

    return Case(label, make)


def step_params(rng: np.random.Generator, every: int | None = None) -> Inputs:
    every = int(rng.integers(1, 31)) if every is None else every
    return {"lr0": log_uniform(rng, 1e-3, 1.0), "drop": float(rng.uniform(0.1, 0.9)), "every": every}


def step_random(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
    p = step_params(rng, int(rng.integers(2, 31)))
    k = int(rng.integers(1, max(2, 200 // p["every"])))
    return p, [0, k * p["every"] - 1]


def step_boundaries(every: int | None) -> Callable[[np.random.Generator], tuple[Inputs, list[int]]]:
    def draw(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
        p = step_params(rng, every)
        e = p["every"]
        ks = range(1, min(6, 200 // e) + 1)
        return p, [0] + [t for k in ks for t in (k * e - 1, k * e)]

    return draw


def linear_params(rng: np.random.Generator, T: int | None = None) -> Inputs:
    lr0 = log_uniform(rng, 1e-3, 1.0)
    T = int(rng.integers(1, 31)) if T is None else T
    return {"lr0": lr0, "lr_end": float(lr0 * rng.uniform(0.01, 0.9)), "T": T}


def linear_random(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
    p = linear_params(rng)
    return p, [0, int(rng.integers(0, p["T"])), int(rng.integers(0, p["T"])), p["T"] + int(rng.integers(0, 50))]


def linear_edges(T: int | None) -> Callable[[np.random.Generator], tuple[Inputs, list[int]]]:
    def draw(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
        p = linear_params(rng, T)
        return p, [0, 1, p["T"] - 1, p["T"], p["T"] + 1, 200]

    return draw


def inverse_params(rng: np.random.Generator, k: float | None = None) -> Inputs:
    return {"lr0": log_uniform(rng, 1e-3, 1.0), "k": float(rng.uniform(0.0, 1.0)) if k is None else k}


def warmup_params(rng: np.random.Generator, W: int | None = None) -> Inputs:
    return {"lr0": log_uniform(rng, 1e-3, 1.0), "warmup_steps": int(rng.integers(1, 31)) if W is None else W}


def warmup_random(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
    p = warmup_params(rng, int(rng.integers(2, 31)))
    W = p["warmup_steps"]
    return p, [int(t) for t in rng.integers(0, W, 4)] + [W + int(rng.integers(0, 100))]


def warmup_edges(W: int | None) -> Callable[[np.random.Generator], tuple[Inputs, list[int]]]:
    def draw(rng: np.random.Generator) -> tuple[Inputs, list[int]]:
        p = warmup_params(rng, W)
        W_ = p["warmup_steps"]
        return p, [0, 1, W_ - 1, W_, W_ + 1, 200]

    return draw


def schedule_check(
    fn: str, aspect: str, title: str, points: float, public: bool, params: tuple[str, ...], cases: tuple[Case, ...]
) -> Check:
    return Check(
        problem="p2",
        function=fn,
        aspect=aspect,
        title=f"{title} (rtol {SCHEDULE_RTOL:g})",
        points=points,
        public=public,
        judge=Compare(schedule_program(fn, params), rtol=SCHEDULE_RTOL, atol=0.0),
        cases=cases,
        hint={
            "lr_step_decay": "η0·drop^⌊t/every⌋: the first drop comes at t = every, not every − 1.",
            "lr_linear_decay": "η0 + (lr_end − η0)·t/T for t < T, then lr_end (T ≤ 0: lr_end for every t).",
            "lr_inverse_time_decay": "η0/(1 + k t).",
            "lr_warmup": "η0·t/W for t < W (0 at t = 0), then η0 (W ≤ 0: η0 for every t).",
        }[fn],
    )


STEP = ("lr0", "drop", "every")
LINEAR = ("lr0", "lr_end", "T")
INVERSE = ("lr0", "k")
WARMUP = ("lr0", "warmup_steps")

P2_CHECKS = (
    schedule_check(
        "lr_step_decay",
        "values",
        "lr_step_decay is η0·drop^⌊t/every⌋ for t from 0 to 200",
        3,
        True,
        STEP,
        (schedule_case("random t, every 2–30", step_random), schedule_case("random t, every 2–30", step_random)),
    ),
    schedule_check(
        "lr_step_decay",
        "boundaries",
        "lr_step_decay at t = k·every − 1 and t = k·every (and every = 1)",
        2,
        False,
        STEP,
        (schedule_case("t around each drop", step_boundaries(None)), schedule_case("every = 1", step_boundaries(1))),
    ),
    schedule_check(
        "lr_linear_decay",
        "values",
        "lr_linear_decay goes from η0 at t = 0 to lr_end at t = T, then stays",
        3,
        True,
        LINEAR,
        (schedule_case("random t, T 1–30", linear_random), schedule_case("random t, T 1–30", linear_random)),
    ),
    schedule_check(
        "lr_linear_decay",
        "edges",
        "lr_linear_decay at T − 1, T and after, and for T ≤ 0 (lr_end for every t)",
        2,
        False,
        LINEAR,
        (
            schedule_case("t around T", linear_edges(None)),
            schedule_case("T = 0", linear_edges(0)),
            schedule_case("T = −2", linear_edges(-2)),
        ),
    ),
    schedule_check(
        "lr_inverse_time_decay",
        "values",
        "lr_inverse_time_decay is η0/(1 + k t)",
        2,
        True,
        INVERSE,
        (schedule_case("random t and k", lambda rng: (inverse_params(rng), [0])),),
    ),
    schedule_check(
        "lr_inverse_time_decay",
        "edges",
        "lr_inverse_time_decay with k = 0 (η0 throughout) and integer k",
        2,
        False,
        INVERSE,
        (
            schedule_case("k = 0", lambda rng: (inverse_params(rng, 0.0), [0, 200])),
            schedule_case("k = 2 (an int)", lambda rng: (inverse_params(rng, 2), [0, 1])),
        ),
    ),
    schedule_check(
        "lr_warmup",
        "values",
        "lr_warmup is η0·t/W for t < W, then η0",
        3,
        True,
        WARMUP,
        (schedule_case("random t, W 2–30", warmup_random), schedule_case("random t, W 2–30", warmup_random)),
    ),
    schedule_check(
        "lr_warmup",
        "edges",
        "lr_warmup at t = 0 (0), W − 1 and W (exactly η0), and for W ≤ 0 (η0 for every t)",
        3,
        False,
        WARMUP,
        (
            schedule_case("t around W", warmup_edges(None)),
            schedule_case("W = 0", warmup_edges(0)),
            schedule_case("W = −1", warmup_edges(-1)),
        ),
    ),
)

# -- p3: run_optimizer -------------------------------------------------------------------------------------------


def quadratic(rng: np.random.Generator, shape: tuple[int, ...], integer: bool = False) -> Inputs:
    """A random positive-definite quadratic on θ of ``shape`` (eigenvalues 0.5–5) and a start θ0 (``integer``:
    an int array, which run_optimizer must turn into float64)."""
    d = int(np.prod(shape, dtype=int))
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    A = (q * rng.uniform(0.5, 5.0, d)) @ q.T
    theta0 = rng.integers(-5, 6, shape) if integer else rng.normal(size=shape) * 2
    return {"A": 0.5 * (A + A.T), "b": np.asarray(rng.normal(size=shape)), "theta0": np.asarray(theta0)}


def run_case(
    label: str,
    shape: tuple[int, ...],
    step: str,
    steps: int | None = None,
    integer: bool = False,
    hyper: Callable[[np.random.Generator], Inputs] = lambda rng: {"lr": float(rng.uniform(0.01, 0.2))},
) -> Case:
    def make(rng: np.random.Generator) -> Inputs:
        n = int(rng.integers(1, 31)) if steps is None else steps
        return {**quadratic(rng, shape, integer), "step_fn": {"$callable": step}, "steps": n, **hyper(rng)}

    return Case(label, make)


def run_program(hyper: tuple[str, ...], schedule: bool = False) -> Program:
    """``run_optimizer(step_fn, grad_fn, theta0, steps, **hyper)`` with grad_fn the case's quadratic (a trusted
    closure made in the child) and, with ``schedule``, lr the trusted schedule lr0/(1 + k t)."""
    calls = [Call("gf", "$quadratic_grad_fn", ("A", "b"))]
    literals = {}
    if schedule:
        calls.append(Call("lr", "$inverse_time_schedule", ("lr0", "k")))
        literals = {"lr": {"$ref": ["lr"]}}
    calls.append(Call("r", "run_optimizer", ("step_fn", "gf", "theta0", "steps"), hyper, literals))
    return Program(tuple(calls), (("trajectory", "r"),))


RUN_RTOL, RUN_ATOL = 1e-10, 1e-12


def run_check(aspect: str, title: str, points: float, public: bool, program: Program, cases: tuple, hint: str) -> Check:
    return Check(
        problem="p3",
        function="run_optimizer",
        aspect=aspect,
        title=f"{title} (rtol {RUN_RTOL:g})",
        points=points,
        public=public,
        judge=Compare(program, rtol=RUN_RTOL, atol=RUN_ATOL),
        cases=cases,
        hint=hint,
    )


def momentum_hyper(rng: np.random.Generator) -> Inputs:
    return {"lr": float(rng.uniform(0.01, 0.1)), "lam": float(rng.uniform(0.5, 0.95))}


def schedule_hyper(rng: np.random.Generator) -> Inputs:
    return {"lr0": float(rng.uniform(0.05, 0.2)), "k": float(rng.uniform(0.01, 0.5))}


def adam_hyper(rng: np.random.Generator) -> Inputs:
    return {"beta1": float(rng.uniform(0.5, 0.95)), "eps": 1e-8}


P3_CHECKS = (
    run_check(
        "values",
        "run_optimizer returns θ_0 … θ_steps, float64 of shape (steps + 1,) + θ0.shape, with a constant lr",
        8,
        True,
        run_program(("lr",)),
        (
            run_case("θ0 of shape (2,), SGD", (2,), "given_sgd"),
            run_case("θ0 of shape (2, 2), SGD", (2, 2), "given_sgd"),
            run_case("θ0 of shape () (a 0-d array), SGD", (), "given_sgd"),
        ),
        "row 0 is θ0; grad_fn gets θ_t (float64) only; step_fn(θ_t, g_t, state, **hyper).",
    ),
    run_check(
        "state",
        "run_optimizer passes the step's own state back and extra hyper-parameters through (momentum, lam)",
        6,
        False,
        run_program(("lr", "lam")),
        (
            run_case("θ0 of shape (2,), momentum", (2,), "given_momentum", hyper=momentum_hyper),
            run_case("θ0 of shape (2, 2), momentum", (2, 2), "given_momentum", hyper=momentum_hyper),
        ),
        "state starts as {} and is the one step_fn returned from then on; pass **hyper unchanged.",
    ),
    run_check(
        "schedule",
        "run_optimizer with a callable lr: update t gets lr = lr(t), t = 0 first",
        6,
        True,
        run_program((), schedule=True),
        (
            run_case("θ0 of shape (2,), SGD, lr = lr0/(1 + k t)", (2,), "given_sgd", hyper=schedule_hyper),
            run_case(
                "θ0 of shape (2, 2), momentum, lr = lr0/(1 + k t)", (2, 2), "given_momentum", hyper=schedule_hyper
            ),
        ),
        "A callable lr is a schedule: call it with t and pass lr=lr(t) to step_fn (never the callable itself).",
    ),
    run_check(
        "edges",
        "run_optimizer with steps = 0 (one row) and an integer θ0 (float64 trajectory, float64 θ_t for grad_fn)",
        5,
        False,
        run_program(("lr",)),
        (
            run_case("steps = 0, θ0 of shape (2,)", (2,), "given_sgd", steps=0),
            run_case("steps = 0, integer θ0 of shape (2, 2)", (2, 2), "given_sgd", steps=0, integer=True),
            run_case("integer θ0 of shape (2,)", (2,), "given_sgd", integer=True),
        ),
        "np.array(theta0, dtype=np.float64) first; the trajectory has steps + 1 rows.",
    ),
    run_check(
        "hyper",
        "run_optimizer passes no lr when none is given (the step's default) and other hyper-parameters unchanged",
        3,
        False,
        run_program(("beta1", "eps")),
        (run_case("θ0 of shape (2,), Adam with its default lr", (2,), "given_adam", hyper=adam_hyper),),
        "Pass **hyper through as it is; only a callable lr is replaced by lr(t).",
    ),
    Check(
        problem="p3",
        function="run_optimizer",
        aspect="no_mutation",
        title="run_optimizer does not modify θ0",
        points=2,
        public=True,
        judge=NoMutation(run_program(("lr",))),
        cases=(run_case("θ0 of shape (2, 2), SGD", (2, 2), "given_sgd"),),
        hint="Copy θ0 before the loop (np.array(theta0, dtype=np.float64)).",
    ),
)

ASSIGNMENT = Assignment(
    name="hw2",
    problems=(
        Problem("p1", P1, "one update of SGD, momentum, AdaGrad, RMSProp and Adam", 50),
        Problem("p2", P2, "learning-rate schedules", 20),
        Problem("p3", P3, "run_optimizer on the text's error surface", 30),
    ),
    checks=P1_CHECKS + P2_CHECKS + P3_CHECKS,
    callables=callables_source(CALLABLES),
)
ASSIGNMENT.validate()
