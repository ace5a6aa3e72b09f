"""hw4 (批量归一化、正则化、dropout 与初始化): every check of the assignment, declared as data.

Points: p1 35 (batch norm), p2 20 (L2 and weight decay), p3 25 (dropout), p4 20 (initialization). A check's
points are split evenly over its cases. Random functions get a generator built inside the child from a seed
drawn from the grading seed (trusted callable ``make_rng``); their draws are compared with the reference's on
the same seed exactly, and the generator's next numbers after the call tell whether the function made exactly
the draws the text prescribes (:mod:`autograder.statistical_judges`). Statistical checks (dropout's keep rate and
expectation, the initializations' moments) use bounds of 5 standard deviations, stated in their judges.

Tolerances (float64): batch-norm outputs rtol 1e-7 with atol 1e-10 (scaled by the largest expected magnitude,
which bounds |γ| + |β| times the normalized values); running averages rtol 1e-7, atol 1e-12 (they are sums of
two products of inputs, exact to a few ulps); batch-norm gradients rtol 1e-7, atol 1e-9 (the training dz is a
difference of column sums that cancel: its rounding is about N·ε times the column's scale, far below 1e-9 of the
largest entry); finite differences as :class:`~autograder.judges.GradCheck` states them (h = 1e-6); the L2
penalty and gradient rtol 1e-10; weight decay rtol and atol 1e-12 ((1 − ηλ)w − ηg and w − η(g + λw) differ by a
few ulps of |w|); dropout's kept values exact (text form) or rtol 1e-15 (inverted: x·(1/p) and x/p differ in the
last bit); dropout_backward rtol 1e-12; initializations exact (``rng.normal(0, σ)`` and ``rng.uniform(−r, r)``
give the reference's numbers bit for bit).
"""

from __future__ import annotations

import numpy as np

from ..callables import callables_source
from ..checks import ALL, Assignment, Case, Check, Inputs, Problem
from ..judges import Compare, GradCheck, NoMutation
from ..programs import Call, Program, call
from ..statistical_judges import CompareHistogram, DropoutExpectation, ExactDraw, IdentityClaim, KeepRate, Moments

P1, P2, P3, P4 = "p1_batchnorm", "p2_regularization", "p3_dropout", "p4_init"


# -- trusted callables, sent to the child as source (autograder.callables) -----------------------------------


def make_rng(seed, rng_kind):
    return np.random.default_rng(seed) if rng_kind == "Generator" else np.random.RandomState(seed)


def next_draws(rng):
    return np.asarray(rng.random(3), dtype=np.float64)


def same_object(a, b):
    return a is b


def passed_on(value):
    return value


def seed_of(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def rng_inputs(rng: np.random.Generator, kind: str = "Generator") -> Inputs:
    """The seed and kind of the generator the child builds (drawn from the case's stream)."""
    return {"seed": seed_of(rng), "rng_kind": kind}


# -- p1: batch normalization --------------------------------------------------------------------------------


def bn_inputs(
    rng: np.random.Generator,
    n: tuple[int, int] = (3, 32),
    d: tuple[int, int] = (1, 8),
    state: bool = True,
    train: bool = True,
    p: float | None = None,
    near: float = 100.0,
) -> Inputs:
    """One batch-norm call's inputs: z (N, D), γ, β normal, a state (running_mean normal, running_var U[0.3, 3])
    or {}, and p from {0.9, 0.75, 0.99} (never 0.5, where the two ways of reading p agree)."""
    N, D = int(rng.integers(n[0], n[1] + 1)), int(rng.integers(d[0], d[1] + 1))
    spread = rng.uniform(0.1, 5.0, D)
    z = spread * rng.uniform(-near, near, D) + spread * rng.normal(size=(N, D))
    out: Inputs = {"z": z, "gamma": rng.normal(size=D), "beta": rng.normal(size=D)}
    out["state"] = {"running_mean": rng.normal(size=D), "running_var": rng.uniform(0.3, 3.0, D)} if state else {}
    out["train"] = train
    out["p"] = float(rng.choice([0.9, 0.75, 0.99])) if p is None else p
    out["dout"] = rng.normal(size=(N, D))
    return out


def bn_case(label: str, **kw) -> Case:
    return Case(label, lambda rng: bn_inputs(rng, **kw))


def bn_sequence(rng: np.random.Generator) -> Inputs:
    """Five training batches (state threaded from {}) then a test batch, all of one width D."""
    D = int(rng.integers(1, 9))
    spread, offset = rng.uniform(0.1, 5.0, D), rng.uniform(-5.0, 5.0, D)
    out: Inputs = {f"z{t}": offset + spread * rng.normal(size=(int(rng.integers(3, 17)), D)) for t in range(6)}
    out.update(gamma=rng.normal(size=D), beta=rng.normal(size=D), state={}, p=float(rng.choice([0.9, 0.75, 0.99])))
    out.update(train=True, test=False)
    return out


def bn_batch_of_one(rng: np.random.Generator) -> Inputs:
    """N = 1 on a first call: σ² = 0, so out = β exactly; running_var = p + 0."""
    return bn_inputs(rng, n=(1, 1), state=False)


def bn_constant_column(rng: np.random.Generator) -> Inputs:
    """A batch with one column constant (σ² of that column 0 up to rounding: out = β there)."""
    out = bn_inputs(rng, n=(3, 16), d=(2, 6))
    j = int(rng.integers(out["z"].shape[1]))
    out["z"][:, j] = rng.uniform(-50, 50)
    return out


BN_FWD = "batchnorm_forward"
BN_ARGS = ("z", "gamma", "beta", "state", "train")


def bn_call(name: str = "fwd", z: str = "z", state: str = "state", train: str = "train") -> Call:
    return Call(name, BN_FWD, (z, "gamma", "beta", state, train), ("p",))


BN_OUT = Program((bn_call(),), (("out", "fwd[0]"),))
BN_OUT_STATE = Program(
    (bn_call(),),
    (
        ("out", "fwd[0]"),
        ("new_state['running_mean']", "fwd[2]['running_mean']"),
        ("new_state['running_var']", "fwd[2]['running_var']"),
    ),
)
BN_STATE = Program(
    (bn_call(),),
    (("new_state['running_mean']", "fwd[2]['running_mean']"), ("new_state['running_var']", "fwd[2]['running_var']")),
)
BN_TEST = Program(
    (Call("st", "$passed_on", ("state",)), bn_call(state="st"), Call("same", "$same_object", ("st", "fwd[2]"))),
    (("out", "fwd[0]"), ("new_state", "fwd[2]"), ("new_state is the state passed in", "same")),
)


def bn_sequence_program() -> Program:
    calls = []
    for t in range(5):
        calls.append(
            Call(f"s{t + 1}", BN_FWD, (f"z{t}", "gamma", "beta", "state" if t == 0 else f"s{t}[2]", "train"), ("p",))
        )
    calls.append(Call("s6", BN_FWD, ("z5", "gamma", "beta", "s5[2]", "test"), ("p",)))
    returns = tuple((f"out of training batch {t + 1}", f"s{t + 1}[0]") for t in range(5))
    returns += (("new_state['running_mean'] after 5 batches", "s5[2]['running_mean']"),)
    returns += (("new_state['running_var'] after 5 batches", "s5[2]['running_var']"), ("test-time out", "s6[0]"))
    return Program(tuple(calls), returns)


BN_BWD = Program((bn_call(), Call("bwd", "batchnorm_backward", ("dout", "fwd[1]"))), (("(dz, dgamma, dbeta)", "bwd"),))


def histogram(program: Program, shown: tuple[str, ...], **kw) -> CompareHistogram:
    return CompareHistogram(program, shown=shown, plot_title="batch norm outputs: yours and the reference's", **kw)


BN_TRAIN_CASES = (
    bn_case("z (N, D) with N 3–32, D 1–8, a given state"),
    bn_case("a given state, p = 0.75", p=0.75),
    bn_case("small batch, N 3–5", n=(3, 5)),
)

P1_CHECKS = (
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="train",
        title="batchnorm_forward in training: out and the running averages (given a state)",
        points=5,
        public=True,
        judge=histogram(BN_OUT_STATE, ("out",), atol=1e-10),
        cases=BN_TRAIN_CASES,
        hint="σ² is the biased variance (1/N); μ̄ ← p μ̄ + (1 − p) μ: p weighs the OLD average.",
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="running_average",
        title="batchnorm_forward's running averages μ̄ ← p μ̄ + (1 − p) μ, σ̄² ← p σ̄² + (1 − p) σ² (p = 0.75, 0.99)",
        points=3,
        public=False,
        judge=Compare(BN_STATE, atol=1e-12),
        cases=(bn_case("p = 0.75", p=0.75), bn_case("p = 0.99", p=0.99)),
        hint="The text's p is PyTorch's 1 − momentum.",
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="first_call",
        title="batchnorm_forward's first call (state = {}): running_mean = (1 − p)μ, running_var = p + (1 − p)σ²",
        points=4,
        public=True,
        judge=histogram(BN_OUT_STATE, ("out",), atol=1e-12),
        cases=(bn_case("state = {}", state=False), bn_case("state = {}, small batch", state=False, n=(3, 5))),
        hint="state = {} means μ̄ = 0 and σ̄² = 1 (PyTorch's start).",
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="sequence",
        title="batchnorm_forward over 5 training batches (state threaded from {}) then a test batch",
        points=5,
        public=False,
        judge=histogram(bn_sequence_program(), ("out of training batch 5", "test-time out"), atol=1e-10),
        cases=(Case("5 training batches, then test", bn_sequence), Case("5 more, then test", bn_sequence)),
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="test",
        title="batchnorm_forward at test time: the running averages, and a new state dict with the same contents",
        points=4,
        public=True,
        judge=histogram(BN_TEST, ("out",), atol=1e-10),
        cases=(bn_case("test mode, a given state", train=False), bn_case("test mode, N 1–4", train=False, n=(1, 4))),
        hint="At test time ẑ = γ(z − μ̄)/sqrt(σ̄² + eps) + β, and new_state = dict(state).",
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="test_empty_state",
        title="batchnorm_forward at test time on state = {}: γ z/sqrt(1 + eps) + β",
        points=2,
        public=False,
        judge=Compare(BN_OUT, atol=1e-10),
        cases=(bn_case("test mode, state = {}", train=False, state=False),),
    ),
    Check(
        problem="p1",
        function=BN_FWD,
        aspect="edge",
        title="batchnorm_forward on a batch of one (first call) and on a constant column: out = β there",
        points=2,
        public=False,
        judge=Compare(BN_OUT_STATE, atol=1e-10),
        cases=(Case("N = 1, state = {}", bn_batch_of_one), Case("a constant column", bn_constant_column)),
        hint="With N = 1 the biased variance is 0 (not NaN): use 1/N.",
    ),
    Check(
        problem="p1",
        function="batchnorm_backward",
        aspect="train",
        title="batchnorm_backward on your training cache matches the reference",
        points=3,
        public=False,
        judge=Compare(BN_BWD, atol=1e-9),
        cases=BN_TRAIN_CASES[:1] + (bn_case("N 3–5", n=(3, 5)),),
    ),
    Check(
        problem="p1",
        function="batchnorm_backward",
        aspect="gradcheck",
        title="batchnorm_backward agrees with finite differences of your batchnorm_forward (training)",
        points=3,
        public=True,
        judge=GradCheck(BN_FWD, "batchnorm_backward", BN_ARGS, ("z", "gamma", "beta"), ("p",)),
        cases=(
            bn_case("N 3–12, D 1–5, a given state", n=(3, 12), d=(1, 5), near=3.0),
            bn_case("N 3–12, state = {}", n=(3, 12), d=(1, 5), near=3.0, state=False),
        ),
    ),
    Check(
        problem="p1",
        function="batchnorm_backward",
        aspect="test_cache",
        title="batchnorm_backward on a test-mode cache: dz = dout·γ/sqrt(σ̄² + eps)",
        points=3,
        public=False,
        judge=Compare(BN_BWD, atol=1e-9),
        cases=(
            bn_case("test mode, a given state", train=False),
            bn_case("test mode, state = {}", train=False, state=False),
        ),
        hint="At test time μ̄ and σ̄² are constants: the layer is affine in z.",
    ),
    Check(
        problem="p1",
        function=ALL,
        aspect="no_mutation",
        title="no p1 function modifies its inputs (z, γ, β, state, dout)",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                (bn_call(), Call("bwd", "batchnorm_backward", ("dout", "fwd[1]")), bn_call("tst", train="test")),
                (
                    ("out", "fwd[0]"),
                    ("new_state", "fwd[2]"),
                    ("(dz, dgamma, dbeta)", "bwd"),
                    ("test-time out", "tst[0]"),
                ),
            )
        ),
        cases=(Case("training then test", lambda rng: {**bn_inputs(rng), "test": False}),),
    ),
)

# -- p2: L2 regularization and weight decay -------------------------------------------------------------------


def l2_params(rng: np.random.Generator, extra: bool, lam: float | None = None) -> Inputs:
    """A network's parameters (W1, b1, W2, b2, biases non-zero; with ``extra`` also w_out, a weight, and gamma,
    not one), gradients of the same shapes, and λ U[0, 2] (or ``lam``)."""
    n0, n1, n2 = (int(v) for v in rng.integers(1, 6, 3))
    params = {
        "W1": rng.normal(size=(n1, n0)),
        "b1": rng.uniform(0.5, 2.0, n1) * rng.choice([-1.0, 1.0], n1),
        "W2": rng.normal(size=(n2, n1)),
        "b2": rng.uniform(0.5, 2.0, n2) * rng.choice([-1.0, 1.0], n2),
    }
    if extra:
        params["w_out"] = rng.normal(size=(n2,))
        params["gamma"] = rng.normal(size=(n1,))
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return {"params": params, "grads": grads, "lam": float(rng.uniform(0, 2)) if lam is None else lam}


def biases_only(rng: np.random.Generator) -> Inputs:
    inputs = l2_params(rng, extra=False)
    inputs["params"] = {k: v for k, v in inputs["params"].items() if k.startswith("b")}
    inputs["grads"] = {k: v for k, v in inputs["grads"].items() if k.startswith("b")}
    return inputs


L2_CASES = (
    Case("W1, b1, W2, b2", lambda rng: l2_params(rng, extra=False)),
    Case("W1, b1, W2, b2, w_out and gamma", lambda rng: l2_params(rng, extra=True)),
    Case("λ = 0", lambda rng: l2_params(rng, extra=True, lam=0.0)),
)


def decay_case(rng: np.random.Generator) -> Inputs:
    shape = tuple(int(v) for v in rng.integers(1, 6, int(rng.integers(1, 3))))
    w, g = rng.normal(size=shape), rng.normal(size=shape)
    lam = float(1.0 - rng.uniform(0.0, 1.0))  # (0, 1]
    return {"w": w, "g": g, "lr": float(rng.uniform(1e-3, 0.5)), "lam": lam, "params": {"W": w}, "grads": {"W": g}}


P2_CHECKS = (
    Check(
        problem="p2",
        function="l2_penalty",
        aspect="values",
        title="l2_penalty is ½λ Σ w² over the weights (keys starting with W or w), a float",
        points=4,
        public=True,
        judge=Compare(call("l2_penalty", "params", "lam"), rtol=1e-10, atol=0.0),
        cases=L2_CASES,
        hint="Biases are not penalized (003: 一般不考虑bias).",
    ),
    Check(
        problem="p2",
        function="l2_penalty",
        aspect="biases_only",
        title="l2_penalty of biases only is 0.0",
        points=2,
        public=False,
        judge=Compare(call("l2_penalty", "params", "lam"), rtol=1e-10, atol=0.0),
        cases=(Case("b1, b2 only", biases_only),),
    ),
    Check(
        problem="p2",
        function="l2_grad",
        aspect="values",
        title="l2_grad: a new dict, grads[k] + λ·params[k] for the weights, grads[k] for the rest",
        points=4,
        public=True,
        judge=Compare(call("l2_grad", "params", "grads", "lam"), rtol=1e-10, atol=0.0),
        cases=L2_CASES,
    ),
    Check(
        problem="p2",
        function="l2_grad",
        aspect="biases_only",
        title="l2_grad of biases only returns the gradients unchanged",
        points=2,
        public=False,
        judge=Compare(call("l2_grad", "params", "grads", "lam"), rtol=1e-10, atol=0.0),
        cases=(Case("b1, b2 only", biases_only),),
    ),
    Check(
        problem="p2",
        function="weight_decay_step",
        aspect="values",
        title="weight_decay_step is (1 − lr·λ)·w − lr·g",
        points=3,
        public=True,
        judge=Compare(call("weight_decay_step", "w", "g", "lr", "lam"), rtol=1e-12, atol=1e-12),
        cases=(Case("lr U[1e-3, 0.5], λ in (0, 1]", decay_case), Case("another shape", decay_case)),
        hint="The decay factor is (1 − ηλ), with the learning rate in it.",
    ),
    Check(
        problem="p2",
        function="weight_decay_step",
        aspect="sgd_on_l2",
        title="weight_decay_step equals an SGD step on the L2-penalized loss: w − lr·l2_grad(...)['W'] (your own)",
        points=3,
        public=False,
        judge=IdentityClaim(
            Program(
                (
                    Call("a", "weight_decay_step", ("w", "g", "lr", "lam")),
                    Call("b", "l2_grad", ("params", "grads", "lam")),
                ),
                (("weight_decay_step", "a"), ("l2_grad(...)['W']", "b['W']")),
            ),
            claim="weight_decay_is_sgd_on_l2",
        ),
        cases=(Case("lr U[1e-3, 0.5], λ in (0, 1]", decay_case), Case("another shape", decay_case)),
    ),
    Check(
        problem="p2",
        function=ALL,
        aspect="no_mutation",
        title="no p2 function modifies its inputs",
        points=2,
        public=True,
        judge=NoMutation(
            Program(
                (
                    Call("a", "l2_penalty", ("params", "lam")),
                    Call("b", "l2_grad", ("params", "grads", "lam")),
                    Call("c", "weight_decay_step", ("w", "g", "lr", "lam")),
                ),
                (("l2_penalty", "a"), ("l2_grad", "b"), ("weight_decay_step", "c")),
            )
        ),
        cases=(
            Case(
                "a network and one weight array",
                lambda rng: {
                    **l2_params(rng, True),
                    **{k: v for k, v in decay_case(rng).items() if k in ("w", "g", "lr")},
                },
            ),
        ),
    ),
)

# -- p3: dropout ------------------------------------------------------------------------------------------------

DROPOUT, INVERTED = "dropout_forward", "inverted_dropout_forward"
DROPOUT_SHAPES = ((5, 7), (3,), (2, 3, 4), ())
DRAW = "u = rng.random(x.shape), once"


def dropout_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], p_keep: float | None = None, kind: str = "Generator"
) -> Inputs:
    x = rng.normal(size=shape)
    p = float(rng.choice([0.3, 0.8, 0.05])) if p_keep is None else p_keep
    return {"x": x, "p_keep": p, "dout": rng.normal(size=shape), "train": True, "test": False, **rng_inputs(rng, kind)}


def dropout_cases(**kw) -> tuple[Case, ...]:
    cases = tuple(
        Case(f"x of shape {s}, p_keep in {{0.3, 0.8, 0.05}}", lambda rng, s=s: dropout_inputs(rng, s, **kw))
        for s in DROPOUT_SHAPES
    )
    return cases + (Case("x (4, 6), a RandomState", lambda rng: dropout_inputs(rng, (4, 6), kind="RandomState", **kw)),)


def strict_case(rng: np.random.Generator) -> Inputs:
    """p_keep set to one of the draws the function will make: u == p_keep at that unit, which must be dropped."""
    inputs = dropout_inputs(rng, (6, 5))
    u = np.random.default_rng(inputs["seed"]).random((6, 5))
    inputs["p_keep"] = float(u.flat[int(rng.integers(30))])
    return inputs


def draw_program(fn: str, train: str = "train") -> Program:
    return Program(
        (
            Call("rng", "$make_rng", ("seed", "rng_kind")),
            Call("fwd", fn, ("x", "p_keep", train, "rng")),
            Call("next", "$next_draws", ("rng",)),
        ),
        (("out", "fwd[0]"), ("next", "next")),
    )


def backward_program(fn: str, train: str) -> Program:
    return Program(
        (
            Call("rng", "$make_rng", ("seed", "rng_kind")),
            Call("fwd", fn, ("x", "p_keep", train, "rng")),
            Call("bwd", "dropout_backward", ("dout", "fwd[1]")),
        ),
        (("dx", "bwd"),),
    )


def rate_case(rng: np.random.Generator) -> Inputs:
    return {"x": np.ones(100_000), "p_keep": 0.2, "train": True, **rng_inputs(rng)}


def expectation_case(rng: np.random.Generator) -> Inputs:
    x = rng.normal(size=30)
    p = float(rng.choice([0.3, 0.8]))
    return {"x": x, "x_rows": np.tile(x, (4000, 1)), "p_keep": p, "train": True, "test": False, **rng_inputs(rng)}


def expectation_program(fn: str) -> Program:
    return Program(
        (
            Call("rng", "$make_rng", ("seed", "rng_kind")),
            Call("tr", fn, ("x_rows", "p_keep", "train", "rng")),
            Call("te", fn, ("x", "p_keep", "test", "rng")),
        ),
        (("training out", "tr[0]"), ("test-time out", "te[0]")),
    )


def draw_check(fn: str, form: str, inverted: bool, points: float) -> Check:
    return Check(
        problem="p3",
        function=fn,
        aspect="draw",
        title=f"{fn} in training: the mask of {DRAW}, kept where u < p_keep, exactly ({form})",
        points=points,
        public=True,
        judge=ExactDraw(draw_program(fn), draws=DRAW, rtol=1e-15 if inverted else 0.0, pattern=True),
        cases=dropout_cases(),
        hint="Draw u = rng.random(x.shape) from the rng given, once; keep where u < p_keep"
        + ("; divide the kept units by p_keep." if inverted else "; no scaling in training."),
    )


P3_CHECKS = (
    draw_check(DROPOUT, "x ⊙ mask", False, 4),
    draw_check(INVERTED, "x ⊙ mask / p_keep", True, 4),
    Check(
        problem="p3",
        function=DROPOUT,
        aspect="edge",
        title="dropout_forward keeps u < p_keep strictly (u = p_keep is dropped), and p_keep = 1 keeps x",
        points=2,
        public=False,
        judge=ExactDraw(draw_program(DROPOUT), draws=DRAW, pattern=True),
        cases=(
            Case("p_keep equal to one of the draws", strict_case),
            Case("p_keep = 1", lambda rng: dropout_inputs(rng, (4, 5), p_keep=1.0)),
        ),
        hint="Keep where u < p_keep, strictly, as the slides' np.random.rand(*H1.shape) < p.",
    ),
    Check(
        problem="p3",
        function=DROPOUT,
        aspect="test",
        title="dropout_forward at test time: x·p_keep, no draw",
        points=1,
        public=True,
        judge=ExactDraw(draw_program(DROPOUT, "test"), draws="nothing at test time", rtol=1e-15),
        cases=dropout_cases()[:2],
        hint="Test mode scales by p_keep (权重比例推断规则) and draws nothing.",
    ),
    Check(
        problem="p3",
        function=INVERTED,
        aspect="test",
        title="inverted_dropout_forward at test time: x (a copy), no draw",
        points=1,
        public=True,
        judge=ExactDraw(draw_program(INVERTED, "test"), draws="nothing at test time"),
        cases=dropout_cases()[:2],
    ),
    Check(
        problem="p3",
        function=DROPOUT,
        aspect="rate",
        title="dropout_forward keeps units at the rate p_keep (100000 units, p_keep = 0.2, within 5 binomial s.d.)",
        points=2,
        public=False,
        judge=KeepRate(
            Program(
                (Call("rng", "$make_rng", ("seed", "rng_kind")), Call("fwd", DROPOUT, ("x", "p_keep", "train", "rng"))),
                (("out", "fwd[0]"),),
            )
        ),
        cases=(Case("x = ones(100000), p_keep = 0.2", rate_case),),
    ),
    Check(
        problem="p3",
        function=DROPOUT,
        aspect="expectation",
        title="dropout_forward: the mean training output over 4000 rows equals the test-time output (5 s.d.)",
        points=2,
        public=False,
        judge=DropoutExpectation(expectation_program(DROPOUT)),
        cases=(Case("x (30,) tiled to (4000, 30)", expectation_case),),
    ),
    Check(
        problem="p3",
        function=INVERTED,
        aspect="expectation",
        title="inverted_dropout_forward: the mean training output over 4000 rows equals x (5 s.d.)",
        points=2,
        public=False,
        judge=DropoutExpectation(expectation_program(INVERTED), inverted=True),
        cases=(Case("x (30,) tiled to (4000, 30)", expectation_case),),
    ),
    Check(
        problem="p3",
        function="dropout_backward",
        aspect="train_text",
        title="dropout_backward on your dropout_forward's training cache: dout ⊙ mask",
        points=2,
        public=True,
        judge=Compare(backward_program(DROPOUT, "train"), rtol=1e-12, atol=0.0),
        cases=dropout_cases()[:3],
    ),
    Check(
        problem="p3",
        function="dropout_backward",
        aspect="train_inverted",
        title="dropout_backward on your inverted_dropout_forward's training cache: dout ⊙ mask / p_keep",
        points=2,
        public=False,
        judge=Compare(backward_program(INVERTED, "train"), rtol=1e-12, atol=0.0),
        cases=dropout_cases()[:3],
    ),
    Check(
        problem="p3",
        function="dropout_backward",
        aspect="test",
        title="dropout_backward on test-mode caches: dout·p_keep (text form), dout (inverted)",
        points=2,
        public=False,
        judge=Compare(
            Program(
                (
                    Call("rng", "$make_rng", ("seed", "rng_kind")),
                    Call("f1", DROPOUT, ("x", "p_keep", "test", "rng")),
                    Call("b1", "dropout_backward", ("dout", "f1[1]")),
                    Call("f2", INVERTED, ("x", "p_keep", "test", "rng")),
                    Call("b2", "dropout_backward", ("dout", "f2[1]")),
                ),
                (("dx (dropout_forward, test)", "b1"), ("dx (inverted_dropout_forward, test)", "b2")),
            ),
            rtol=1e-12,
            atol=0.0,
        ),
        cases=dropout_cases()[:2],
        hint="With a test-mode cache dx is the derivative of the test-time output.",
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
                    Call("rng", "$make_rng", ("seed", "rng_kind")),
                    Call("f1", DROPOUT, ("x", "p_keep", "train", "rng")),
                    Call("b1", "dropout_backward", ("dout", "f1[1]")),
                    Call("f2", INVERTED, ("x", "p_keep", "train", "rng")),
                    Call("b2", "dropout_backward", ("dout", "f2[1]")),
                ),
                (("dropout out", "f1[0]"), ("dropout dx", "b1"), ("inverted out", "f2[0]"), ("inverted dx", "b2")),
            )
        ),
        cases=dropout_cases()[:1],
    ),
)

# -- p4: initialization ---------------------------------------------------------------------------------------

FANS = ((3, 5), (5, 3), (4, 4), (20, 30))


def init_inputs(rng: np.random.Generator, fans: tuple[int, int], kind: str = "Generator") -> Inputs:
    return {
        "fan_in": fans[0],
        "fan_out": fans[1],
        "sigma": float(rng.uniform(0.01, 2.0)),
        "r": float(rng.uniform(0.01, 2.0)),
        **rng_inputs(rng, kind),
    }


INIT_CASES = tuple(Case(f"fan_in {a}, fan_out {b}", lambda rng, f=(a, b): init_inputs(rng, f)) for a, b in FANS) + (
    Case("fan_in 6, fan_out 4, a RandomState", lambda rng: init_inputs(rng, (6, 4), "RandomState")),
)
MOMENT_CASES = (
    Case("fan_in 200, fan_out 300", lambda rng: init_inputs(rng, (200, 300))),
    Case("fan_in 300, fan_out 200, a RandomState", lambda rng: init_inputs(rng, (300, 200), "RandomState")),
)


def init_program(fn: str, scale: str) -> Program:
    return Program(
        (
            Call("rng", "$make_rng", ("seed", "rng_kind")),
            Call("W", fn, ("fan_in", "fan_out", scale, "rng")),
            Call("next", "$next_draws", ("rng",)),
        ),
        (("W", "W"), ("next", "next")),
    )


P4_CHECKS = (
    Check(
        problem="p4",
        function="init_gaussian",
        aspect="draw",
        title="init_gaussian is σ·rng.standard_normal((fan_in, fan_out)), one draw, exactly",
        points=5,
        public=True,
        judge=ExactDraw(init_program("init_gaussian", "sigma"), draws="one rng.standard_normal((fan_in, fan_out))"),
        cases=INIT_CASES,
        hint="Draw in the shape (fan_in, fan_out) itself (not (fan_out, fan_in) transposed).",
    ),
    Check(
        problem="p4",
        function="init_uniform",
        aspect="draw",
        title="init_uniform is 2r·rng.random((fan_in, fan_out)) − r, one draw, exactly",
        points=5,
        public=True,
        judge=ExactDraw(init_program("init_uniform", "r"), draws="one rng.random((fan_in, fan_out))"),
        cases=INIT_CASES,
        hint="Draw in the shape (fan_in, fan_out) itself (not (fan_out, fan_in) transposed).",
    ),
    Check(
        problem="p4",
        function="init_gaussian",
        aspect="moments",
        title="init_gaussian's entries have mean 0 and variance σ² (60000 entries, within 5 s.d.)",
        points=3,
        public=False,
        judge=Moments(
            Program(
                (
                    Call("rng", "$make_rng", ("seed", "rng_kind")),
                    Call("W", "init_gaussian", ("fan_in", "fan_out", "sigma", "rng")),
                ),
                (("W", "W"),),
            ),
            dist="normal",
            scale="sigma",
        ),
        cases=MOMENT_CASES,
    ),
    Check(
        problem="p4",
        function="init_uniform",
        aspect="moments",
        title="init_uniform's entries lie in [−r, r) with mean 0 and mean square r²/3 (within 5 s.d.)",
        points=3,
        public=False,
        judge=Moments(
            Program(
                (
                    Call("rng", "$make_rng", ("seed", "rng_kind")),
                    Call("W", "init_uniform", ("fan_in", "fan_out", "r", "rng")),
                ),
                (("W", "W"),),
            ),
            dist="uniform",
            scale="r",
        ),
        cases=MOMENT_CASES,
    ),
    Check(
        problem="p4",
        function="symmetric_init_demo",
        aspect="values",
        title="symmetric_init_demo returns d_1 … d_5 of the slide network, float64 of shape (5,), exactly",
        points=2,
        public=True,
        judge=Compare(call("symmetric_init_demo"), rtol=0.0, atol=0.0),
        cases=(Case("the slide network", lambda rng: {}),),
        hint="Update both hidden units by the same operations: their difference is then exactly 0.",
    ),
    Check(
        problem="p4",
        function="symmetric_init_demo",
        aspect="claim",
        title="symmetric_init_demo: 1-D float64 of shape (5,), every entry exactly 0 (the units stay identical)",
        points=2,
        public=False,
        judge=Compare(call("symmetric_init_demo"), rtol=0.0, atol=0.0),
        cases=(Case("the slide network", lambda rng: {}),),
        hint="Update both hidden units by the same operations: their difference is then exactly 0.",
    ),
)

ASSIGNMENT = Assignment(
    name="hw4",
    problems=(
        Problem("p1", P1, "batch normalization, in training and at test time", 35),
        Problem("p2", P2, "L2 regularization and weight decay", 20),
        Problem("p3", P3, "dropout, the text's form and the inverted form", 25),
        Problem("p4", P4, "initialization and the symmetric-weights problem", 20),
    ),
    checks=P1_CHECKS + P2_CHECKS + P3_CHECKS + P4_CHECKS,
    callables=callables_source((make_rng, next_draws, same_object, passed_on)),
)
ASSIGNMENT.validate()
