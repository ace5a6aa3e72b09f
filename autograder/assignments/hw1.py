"""hw1 (神经网络优化: backprop by hand): every check of the assignment, declared as data.

Points: p1 25, p2 20, p3 15, p4 20, p5 20. A check's points are split evenly over its cases. Public checks are
the ones students run with ``autograder check`` (on inputs drawn from the public seed, expected values
shipped by release); in grading, every check runs on inputs drawn from the grading seed, against the
reference. Case generators keep inputs away from ReLU kinks and max-pool near-ties where finite differences
are taken, and build ties on purpose where the tie rule is tested.
"""

from __future__ import annotations

import numpy as np

from ..callables import callables_source
from ..checks import ALL, Assignment, Case, Check, Inputs, Problem
from ..judges import Compare, GradCheck, IsExpression, NoMutation
from ..programs import Call, Program, call, forward_then
from ..variants import VariantSpec

P1, P2, P3, P4, P5 = "p1_bp_relu", "p2_derivatives", "p3_flops", "p4_conv_backprop", "p5_pool_backprop"


# -- trusted callables, sent to the child as source (autograder.callables): f' of conv_error_term ------------


def relu_grad(z):
    return (np.asarray(z) > 0).astype(np.asarray(z).dtype)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid_grad(z):
    s = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))
    return s * (1.0 - s)


def identity_grad(z):
    return np.ones_like(np.asarray(z))


#: σ in a symbolic answer: a student may write it as an undefined function of one of these names.
SIGMOID = {name: "1/(1 + exp(-x))" for name in ("sigma", "sigmoid", "σ", "logistic")}

# -- p1: one BP update of a ReLU network ------------------------------------------------------------------


def network(
    rng: np.random.Generator,
    sizes: list[int],
    n: int,
    margin: float = 0.01,
    dtype: type = np.float64,
    mixed: bool = False,
) -> Inputs:
    """A ReLU network with layer sizes ``sizes``, a batch x of ``n`` rows, targets y, an upstream gradient
    dyhat and a learning rate. Every pre-activation has |z| > margin and at least a third of each layer's
    units are active, so gradients are informative and finite differences stay away from the kinks.
    ``mixed``: every layer, the output layer included, also has inactive units (z < 0), so code that writes
    into its inputs where z ≤ 0 (e.g. ``dyhat[z <= 0] = 0``) does so on every seed."""
    for _ in range(10_000):
        x = rng.uniform(-1, 1, (n, sizes[0]))
        params, a, ok = {}, x, True
        for l in range(1, len(sizes)):
            W = rng.normal(0, 1 / np.sqrt(sizes[l - 1]), (sizes[l], sizes[l - 1]))
            b = rng.uniform(0.0, 0.5, sizes[l])
            z = a @ W.T + b
            ok = ok and bool(np.all(np.abs(z) > margin)) and float(np.mean(z > 0)) >= 1 / 3
            ok = ok and (not mixed or bool(np.any(z < 0)))
            params[f"W{l}"], params[f"b{l}"], a = W, b, np.maximum(z, 0)
        if ok:
            return {
                "params": {k: v.astype(dtype) for k, v in params.items()},
                "x": x.astype(dtype),
                "y": (a + rng.uniform(-1, 1, a.shape)).astype(dtype),
                "dyhat": rng.normal(size=a.shape).astype(dtype),
                "lr": float(rng.uniform(0.05, 0.5)),
            }
    raise RuntimeError("could not draw a network away from the ReLU kinks")


#: The homework's own network (HW1.md), the numbers of the default release; a per-student variant
#: (:mod:`autograder.variants`) replaces them with the student's own, drawn by :func:`draw_homework`.
HOMEWORK = {
    "W1": [[0.1, 0.2], [0.3, 0.4]],
    "b1": [0.1, 0.1],
    "W2": [[0.5, 0.6]],
    "b2": [0.1],
    "x": [[0.2, 0.3]],
    "y": [[1.0]],
}


def homework_inputs(numbers: dict) -> Inputs:
    """The inputs of ``bp_step`` on a homework network given as numbers (learning rate 1, as the homework says)."""
    params = {k: np.array(numbers[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2")}
    x, y = np.array(numbers["x"], dtype=np.float64), np.array(numbers["y"], dtype=np.float64)
    return {"params": params, "x": x, "y": y, "lr": 1.0}


def homework_network(rng: np.random.Generator) -> Inputs:
    """The homework's own network (HW1.md): x = (0.2, 0.3), y = 1, learning rate 1."""
    return homework_inputs(HOMEWORK)


def draw_homework(rng: np.random.Generator, margin: float = 0.05) -> dict:
    """A student's own homework network: the canonical shapes (2-2-1) with numbers in tenths, as easy to
    work by hand as the homework's. Redrawn until no initial pre-activation is within ``margin`` of 0 (checked
    in exact integer arithmetic) and the output unit and at least one hidden unit are active, so that the
    BP update really changes the output."""
    for _ in range(10_000):
        w1 = rng.choice([k for k in range(-9, 10) if k], (2, 2))  # tenths
        b1 = rng.integers(-5, 6, 2)
        w2 = rng.choice([k for k in range(-9, 10) if k], (1, 2))
        b2 = rng.integers(-5, 6, 1)
        x = rng.integers(1, 10, (1, 2))
        y = rng.integers(5, 21, (1, 1))
        z1 = x @ w1.T + 10 * b1  # hundredths, exact
        z2 = np.maximum(z1, 0) @ w2.T + 100 * b2  # thousandths, exact
        if np.all(np.abs(z1) > 100 * margin) and np.all(z2 > 1000 * margin) and np.any(z1 > 0):
            tenths = {"W1": w1, "b1": b1, "W2": w2, "b2": b2, "x": x, "y": y}
            return {k: (v / 10).round(1).tolist() for k, v in tenths.items()}
    raise RuntimeError("could not draw a homework network away from the ReLU kinks")


def homework_stub(text: str, numbers: dict) -> str:
    """The p1 stub with a student's own homework numbers: ``homework_network()``'s body, its docstring and the
    module docstring. Fails when the stub no longer shows the numbers where this expects them (so a variant
    never ships the canonical numbers by accident)."""
    old, new = HOMEWORK, numbers["p1"]

    def arr(v: list) -> str:
        return repr(np.array(v, dtype=np.float64)).replace("\n", "\n    ")

    required = [
        (f'"{k}": np.array({old[k]!r}, dtype=', f'"{k}": np.array({new[k]!r}, dtype=') for k in old if k[0] in "Wb"
    ]
    required += [(f"{k} = np.array({old[k]!r}, dtype=", f"{k} = np.array({new[k]!r}, dtype=") for k in ("x", "y")]
    (x0, x1), y = old["x"][0], old["y"][0][0]
    (n0, n1), ny = new["x"][0], new["y"][0][0]
    optional = [(f"{k} = {old[k]!r}", f"{k} = {new[k]!r}") for k in old if k[0] in "Wb"]
    optional += [
        (f"({x0}, {x1})", f"({n0}, {n1})"),
        (f"({x0},{x1})", f"({n0},{n1})"),
        (f"target y = {y:g},", f"target y = {ny:g},"),
        (f"the value {y}", f"the value {ny}"),
        (arr(old["W1"]), arr(new["W1"])),
        ("(the package's canonical numbers)", "(your own numbers: a per-student variant)"),
    ]
    for a, b in required:
        if a not in text:
            raise ValueError(f"the p1 stub no longer holds {a!r}: update hw1.homework_stub")
        text = text.replace(a, b)
    for a, b in optional:
        text = text.replace(a, b)
    return text


def homework_answer(numbers: dict, reference) -> dict:
    """The reference's BP update on a student's homework network (what a by-hand solution should find), for
    ``autograder variant``; ``reference(module)`` gives a reference module."""
    inputs = homework_inputs(numbers["p1"])
    step = reference(P1).bp_step(inputs["params"], inputs["x"], inputs["y"], lr=inputs["lr"])
    answer = {
        "yhat_before": np.asarray(step["yhat_before"]).tolist(),
        "yhat_after": np.asarray(step["yhat_after"]).tolist(),
        "loss_before": float(step["loss_before"]),
        "loss_after": float(step["loss_after"]),
        "loss_decreased": bool(step["loss_decreased"]),
        "params_after": {k: np.round(np.asarray(a), 12).tolist() for k, a in step["params"].items()},
    }
    return {"p1_answer": answer}


def nets(*specs: tuple[str, list[int], int], dtype: type = np.float64, mixed: bool = False) -> tuple[Case, ...]:
    return tuple(
        Case(label, lambda rng, s=sizes, n=n: network(rng, s, n, dtype=dtype, mixed=mixed)) for label, sizes, n in specs
    )


NETS_PUBLIC = nets(("one hidden layer, N = 1", [2, 2, 1], 1), ("two hidden layers, N = 5", [3, 4, 5, 2], 5))
NETS_HIDDEN = nets(
    ("no hidden layer (L = 1), N = 3", [4, 3], 3),
    ("three hidden layers, N = 7", [5, 6, 4, 3, 2], 7),
    ("one hidden layer, N = 4", [2, 3, 1], 4),
)
NETS_F32 = nets(("float32 inputs, N = 3", [3, 4, 2], 3), dtype=np.float32)
NETS_MIXED = nets(("two hidden layers, N = 5, active and inactive units in every layer", [3, 4, 5, 2], 5), mixed=True)


def with_zeros(shape: tuple[int, ...], dtype: type = np.float64):
    def make(rng: np.random.Generator) -> Inputs:
        z = rng.normal(size=shape)
        z.flat[rng.choice(z.size, size=max(1, z.size // 5), replace=False)] = 0.0
        return {"z": z.astype(dtype)}

    return make


RELU_CASES = (
    Case("z of shape (4, 5) with exact zeros", with_zeros((4, 5))),
    Case("z of shape (7,) with exact zeros", with_zeros((7,))),
    Case("z of shape (2, 3, 4), float32", with_zeros((2, 3, 4), np.float32)),
)


def loss_case(shape: tuple[int, ...]):
    return lambda rng: {"yhat": rng.normal(size=shape), "y": rng.normal(size=shape)}


def sgd_case(rng: np.random.Generator) -> Inputs:
    net = network(rng, [3, 4, 2], 2)
    return {
        "params": net["params"],
        "grads": {k: rng.normal(size=v.shape) for k, v in net["params"].items()},
        "lr": net["lr"],
    }


P1_CHECKS = (
    Check(
        problem="p1",
        function="relu",
        aspect="values",
        title="relu matches max(z, 0), shapes kept",
        points=2,
        public=True,
        judge=Compare(call("relu", "z")),
        cases=RELU_CASES,
    ),
    Check(
        problem="p1",
        function="relu_grad",
        aspect="values",
        title="relu_grad is 1 where z > 0 and 0 elsewhere (0 at z = 0)",
        points=2,
        public=True,
        judge=Compare(call("relu_grad", "z")),
        cases=RELU_CASES,
        hint="relu'(0) is 0 by the course's convention.",
    ),
    Check(
        problem="p1",
        function="forward",
        aspect="values",
        title="forward's yhat matches the reference",
        points=4,
        public=True,
        judge=Compare(call("forward", "params", "x", returns=(("yhat", "r[0]"),))),
        cases=NETS_PUBLIC + NETS_HIDDEN + NETS_F32,
        hint="Z = A @ W.T + b, then ReLU on every layer, the output layer included.",
    ),
    Check(
        problem="p1",
        function="squared_loss",
        aspect="values",
        title="squared_loss returns ½Σ(y − ŷ)² and ŷ − y",
        points=2,
        public=True,
        judge=Compare(call("squared_loss", "yhat", "y")),
        cases=(Case("batch of 4, 3 outputs", loss_case((4, 3))), Case("one sample, one output", loss_case((1, 1)))),
    ),
    Check(
        problem="p1",
        function="backward",
        aspect="values",
        title="backward's gradients match the reference",
        points=4,
        public=False,
        judge=Compare(forward_then("forward", ("params", "x"), "backward", ("dyhat", "fwd[1]"), "grads")),
        cases=NETS_PUBLIC + NETS_HIDDEN + NETS_F32,
        hint="Sum the bias gradient over the batch; apply relu'(z) of the same layer.",
    ),
    Check(
        problem="p1",
        function="backward",
        aspect="gradcheck",
        title="backward agrees with finite differences of your forward",
        points=4,
        public=True,
        judge=GradCheck("forward", "backward", ("params", "x"), ("params",), dout="dyhat"),
        cases=NETS_PUBLIC + NETS_HIDDEN[:2],
    ),
    Check(
        problem="p1",
        function="sgd_update",
        aspect="values",
        title="sgd_update returns p − lr·g for every parameter",
        points=2,
        public=True,
        judge=Compare(call("sgd_update", "params", "grads", "lr")),
        cases=(Case("a two-layer network", sgd_case),),
    ),
    Check(
        problem="p1",
        function="bp_step",
        aspect="values",
        title="bp_step on random networks matches the reference",
        points=2,
        public=False,
        judge=Compare(call("bp_step", "params", "x", "y", kwargs=("lr",))),
        cases=NETS_HIDDEN[1:] + NETS_PUBLIC[1:],
    ),
    Check(
        problem="p1",
        function="bp_step",
        aspect="homework",
        title="bp_step on the homework's network (x = (0.2, 0.3), lr = 1)",
        points=2,
        public=False,
        judge=Compare(call("bp_step", "params", "x", "y", kwargs=("lr",))),
        cases=(Case("the homework's network", homework_network),),
    ),
    Check(
        problem="p1",
        function=ALL,
        aspect="no_mutation",
        title="no p1 function modifies its inputs",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                (
                    Call("a", "relu", ("x",)),
                    Call("b", "relu_grad", ("x",)),
                    Call("fwd", "forward", ("params", "x")),
                    Call("c", "squared_loss", ("fwd[0]", "y")),
                    Call("d", "backward", ("dyhat", "fwd[1]")),
                    Call("e", "sgd_update", ("params", "d", "lr")),
                    Call("f", "bp_step", ("params", "x", "y", "lr")),
                ),
                (
                    ("relu", "a"),
                    ("relu_grad", "b"),
                    ("yhat", "fwd[0]"),
                    ("squared_loss", "c"),
                    ("backward", "d"),
                    ("sgd_update", "e"),
                    ("bp_step", "f"),
                ),
            )
        ),
        cases=NETS_MIXED,
    ),
)

# -- p2: σ', σ'' and the gradient of log-softmax ------------------------------------------------------------


def normal(shape: tuple[int, ...], scale: float = 3.0, dtype: type = np.float64):
    return lambda rng: {"x": (scale * rng.normal(size=shape)).astype(dtype)}


def extreme_x(rng: np.random.Generator) -> Inputs:
    """x of shape (12,) for the stability checks, drawn from the seed: magnitudes log-uniform from 1e-8 to 1e4
    with random signs, at least two of each sign beyond 745 (where exp overflows or underflows), and a zero."""
    small = rng.choice([-1.0, 1.0], 7) * 10.0 ** rng.uniform(-8, 4, 7)
    large = np.concatenate([rng.uniform(745, 1e4, 2), -rng.uniform(745, 1e4, 2)])
    return {"x": rng.permutation(np.concatenate([small, large, [0.0]]))}


X_CASES = (
    Case("x of shape (10,)", normal((10,))),
    Case("x of shape (3, 4)", normal((3, 4))),
    Case("x of shape (2, 3), float32", normal((2, 3), dtype=np.float32)),
)
LOGIT_CASES = (
    Case("x of shape (4, 5)", normal((4, 5))),
    Case("x of shape (3,) (one sample)", normal((3,))),
    Case("x of shape (2, 3, 4) (batch of batches)", normal((2, 3, 4))),
    Case("C = 1", normal((3, 1))),
    Case("x of shape (2, 6), float32", normal((2, 6), dtype=np.float32)),
)


def logit_stability(rng: np.random.Generator) -> Inputs:
    """Logits of shape (4, 3) drawn from the seed, with magnitudes up to 1e4: rows shifted by ±1e3 to ±1e4 with
    small spreads (exp over- or underflows without the max shift), and a row spread over ±1e4 itself."""
    shift = rng.choice([-1.0, 1.0], (3, 1)) * rng.uniform(1e3, 1e4, (3, 1))
    rows = shift + rng.normal(0.0, 3.0, (3, 3))
    spread = rng.uniform(1e3, 1e4) * np.array([1.0, 0.0, -1.0]) + rng.normal(0.0, 1.0, 3)
    return {"x": rng.permutation(np.vstack([rows, spread[rng.permutation(3)]]))}


def backward_case(shape: tuple[int, ...]):
    return lambda rng: {"x": 3.0 * rng.normal(size=shape), "dout": rng.normal(size=shape)}


SYM_X = {"x": {"$symbol": "x"}}


def symbols_case(c: int, i: int, j: int) -> Case:
    xs = {"$symbols": [{"$symbol": f"x{k}"} for k in range(1, c + 1)]}
    return Case(f"C = {c}, i = {i}, j = {j}", lambda rng: {"xs": xs, "i": i, "j": j})


def symbolic_checks(
    fn: str,
    what: str,
    program: Program,
    points: tuple[float, float],
    public: tuple[Case, ...],
    hidden: tuple[Case, ...],
) -> tuple[Check, Check]:
    """A symbolic answer's two checks, ``points = (total, public share)``: a public one (``values``: in a self-check,
    its values at the public points whose expected values ship, never the answer) and the hidden ``equivalent``.
    Both judge by equivalence at points drawn from the grading seed when graded."""
    total, share = points
    return (
        Check(
            problem="p2",
            function=fn,
            aspect="values",
            title=f"{fn} is {what}: its values at sample points (any form)",
            points=share,
            public=True,
            judge=Compare(program),
            cases=public,
        ),
        Check(
            problem="p2",
            function=fn,
            aspect="equivalent",
            title=f"{fn} is {what} (any form)",
            points=total - share,
            public=False,
            judge=Compare(program),
            cases=hidden,
        ),
    )


P2_CHECKS = (
    Check(
        problem="p2",
        function="sigmoid",
        aspect="values",
        title="sigmoid matches 1/(1 + e^(−x))",
        points=2,
        public=True,
        judge=Compare(call("sigmoid", "x")),
        cases=X_CASES,
    ),
    Check(
        problem="p2",
        function="sigmoid",
        aspect="stable",
        title="sigmoid is finite and warning-free for |x| up to 1e4",
        points=2,
        public=True,
        judge=Compare(call("sigmoid", "x"), no_warnings=True),
        cases=(Case("x from −1e4 to 1e4", extreme_x),),
        hint="exp(−x) overflows for x < −709: use exp(−|x|) and choose the formula by the sign of x.",
    ),
    Check(
        problem="p2",
        function="sigmoid_grad",
        aspect="values",
        title="sigmoid_grad matches σ(1 − σ)",
        points=2,
        public=True,
        judge=Compare(call("sigmoid_grad", "x")),
        cases=X_CASES + (Case("x from −1e4 to 1e4", extreme_x),),
    ),
    Check(
        problem="p2",
        function="sigmoid_grad2",
        aspect="values",
        title="sigmoid_grad2 matches σ(1 − σ)(1 − 2σ)",
        points=2,
        public=True,
        judge=Compare(call("sigmoid_grad2", "x")),
        cases=X_CASES,
        hint="Differentiate σ(1 − σ) with the product rule.",
    ),
    Check(
        problem="p2",
        function="log_softmax",
        aspect="values",
        title="log_softmax over the last axis matches the reference",
        points=2,
        public=True,
        judge=Compare(call("log_softmax", "x")),
        cases=LOGIT_CASES,
    ),
    Check(
        problem="p2",
        function="log_softmax",
        aspect="stable",
        title="log_softmax is finite for logits up to 1e4",
        points=1,
        public=True,
        judge=Compare(call("log_softmax", "x"), no_warnings=True),
        cases=(Case("logits of magnitude 1e4", logit_stability),),
        hint="Subtract the maximum over the last axis before exponentiating (log-sum-exp).",
    ),
    Check(
        problem="p2",
        function="log_softmax_jacobian",
        aspect="values",
        title="log_softmax_jacobian is δ_ij − softmax(x)_j, shape (..., C, C)",
        points=2,
        public=True,
        judge=Compare(call("log_softmax_jacobian", "x")),
        cases=LOGIT_CASES[:4],
    ),
    Check(
        problem="p2",
        function="log_softmax_backward",
        aspect="values",
        title="log_softmax_backward matches dout − softmax(x)·Σ dout",
        points=1,
        public=False,
        judge=Compare(call("log_softmax_backward", "dout", "x")),
        cases=(
            Case("x of shape (4, 5)", backward_case((4, 5))),
            Case("x of shape (2, 3, 4)", backward_case((2, 3, 4))),
            Case("x of shape (6,)", backward_case((6,))),
        ),
    ),
    Check(
        problem="p2",
        function="log_softmax_backward",
        aspect="gradcheck",
        title="log_softmax_backward agrees with finite differences of your log_softmax",
        points=1,
        public=True,
        judge=GradCheck(
            "log_softmax", "log_softmax_backward", ("x",), ("x",), backward_args=("$dout", "x"), out_index=None
        ),
        cases=(Case("x of shape (3, 4)", backward_case((3, 4))), Case("x of shape (5,)", backward_case((5,)))),
    ),
    *symbolic_checks(
        "sigmoid_grad_expr",
        "σ'(x)",
        call("sigmoid_grad_expr", "x"),
        (2, 1),
        (Case("x a SymPy Symbol", lambda rng: dict(SYM_X)),),
        (Case("x a SymPy Symbol", lambda rng: dict(SYM_X)),),
    ),
    *symbolic_checks(
        "sigmoid_grad2_expr",
        "σ''(x)",
        call("sigmoid_grad2_expr", "x"),
        (2, 1),
        (Case("x a SymPy Symbol", lambda rng: dict(SYM_X)),),
        (Case("x a SymPy Symbol", lambda rng: dict(SYM_X)),),
    ),
    *symbolic_checks(
        "log_softmax_grad_expr",
        "∂ log_softmax_i/∂x_j",
        call("log_softmax_grad_expr", "xs", "i", "j"),
        (1, 0.5),
        (symbols_case(3, 0, 0), symbols_case(3, 0, 2)),
        (symbols_case(4, 3, 1), symbols_case(1, 0, 0)),
    ),
)

# -- p3: counting multiplications and additions --------------------------------------------------------------

N_SYM = {"$symbol": "n", "assumptions": {"positive": True, "integer": True}}
L_SYM = {"$symbol": "L", "assumptions": {"positive": True, "integer": True}}
N_CASE = (Case("symbol n", lambda rng: {"n": dict(N_SYM)}),)
NL_CASE = (Case("symbols n and L", lambda rng: {"n": dict(N_SYM), "L": dict(L_SYM)}),)


def count_check(
    fn: str, title: str, points: float, args: tuple[str, ...], key: str | None = None, hint: str = ""
) -> Check:
    """A hidden check of one counting answer (``key``: the entry of a dict answer, also the check's aspect)."""
    returns = ((f"{fn}(...)[{key!r}]", f"r[{key!r}]"),) if key else None
    order = ("n", "L") if "L" in args else ("n",)
    return Check(
        problem="p3",
        function=fn,
        aspect=key or "",
        title=title,
        points=points,
        public=False,
        judge=Compare(call(fn, *args, returns=returns), symbolic="asymptotic", order=order),
        cases=NL_CASE if "L" in args else N_CASE,
        hint=hint,
    )


P3_CHECKS = (
    Check(
        problem="p3",
        function=ALL,
        aspect="all.expressions",
        title="every p3 answer is a SymPy expression in n (and L)",
        points=1,
        public=True,
        judge=IsExpression(
            Program(
                (
                    Call("a", "forward_layer_ops", ("n",)),
                    Call("b", "forward_total_mul", ("n", "L")),
                    Call("c", "backward_layer_mul", ("n",)),
                    Call("d", "backward_total_mul", ("n", "L")),
                    Call("e", "update_total_mul", ("n", "L")),
                ),
                (
                    ("forward_layer_ops['mul']", "a['mul']"),
                    ("forward_layer_ops['add']", "a['add']"),
                    ("forward_total_mul", "b"),
                    ("backward_layer_mul", "c"),
                    ("backward_total_mul", "d"),
                    ("update_total_mul", "e"),
                ),
            ),
            symbolic="asymptotic",
            order=("n", "L"),
        ),
        cases=NL_CASE,
    ),
    count_check(
        "forward_layer_ops",
        "multiplications of one layer's z = W a + b",
        2,
        ("n",),
        "mul",
        hint="W a is n dot products of length n.",
    ),
    count_check(
        "forward_layer_ops",
        "additions of one layer's z = W a + b",
        2,
        ("n",),
        "add",
        hint="A dot product of length n takes n − 1 additions, then the bias adds one.",
    ),
    count_check("forward_total_mul", "multiplications of the whole forward pass", 2, ("n", "L")),
    count_check(
        "backward_layer_mul",
        "multiplications of one hidden layer's error term and weight gradient",
        3,
        ("n",),
        hint="(W^{l+1})^T δ^{l+1} and δ^l (a^{l−1})^T are both n × n products.",
    ),
    count_check(
        "backward_total_mul",
        "multiplications of the whole backward pass",
        3,
        ("n", "L"),
        hint="Every layer has a weight gradient; all but the first propagate an error term.",
    ),
    count_check("update_total_mul", "multiplications of one SGD update of all layers", 2, ("n", "L")),
)

# -- p4: backprop through a convolution -----------------------------------------------------------------------


def conv_case(
    N: int, C: int, H: int, W: int, F: int, KH: int, KW: int, stride: int, pad: int, dtype: type = np.float64
) -> Case:
    label = f"x ({N}, {C}, {H}, {W}), w ({F}, {C}, {KH}, {KW}), stride {stride}, pad {pad}"
    if dtype is np.float32:
        label += ", float32"

    def make(rng: np.random.Generator) -> Inputs:
        Ho, Wo = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
        return {
            "x": rng.normal(size=(N, C, H, W)).astype(dtype),
            "w": rng.normal(size=(F, C, KH, KW)).astype(dtype),
            "b": rng.normal(size=F).astype(dtype),
            "stride": stride,
            "pad": pad,
            "dout": rng.normal(size=(N, F, Ho, Wo)).astype(dtype),
        }

    return Case(label, make)


CONV_BASIC = (conv_case(2, 3, 6, 6, 4, 3, 3, 1, 0), conv_case(1, 1, 5, 5, 1, 3, 3, 1, 0))
CONV_STRIDE_PAD = (conv_case(2, 2, 7, 7, 3, 3, 3, 2, 1), conv_case(2, 3, 6, 8, 2, 2, 3, 1, 1))
CONV_EDGE = (
    conv_case(2, 3, 5, 5, 4, 1, 1, 1, 0),
    conv_case(1, 2, 8, 7, 2, 3, 3, 3, 0),
    conv_case(2, 1, 4, 4, 2, 3, 3, 1, 2),
    conv_case(3, 2, 9, 6, 2, 4, 2, 2, 1),
    conv_case(2, 2, 6, 6, 3, 3, 3, 2, 1, dtype=np.float32),
)
CONV_FWD = Program((Call("r", "conv2d_forward", ("x", "w", "b"), ("stride", "pad")),), (("out", "r[0]"),))
CONV_BWD = forward_then(
    "conv2d_forward", ("x", "w", "b"), "conv2d_backward", ("dout", "fwd[1]"), "(dx, dw, db)", ("stride", "pad")
)
CONV_GRAD = GradCheck("conv2d_forward", "conv2d_backward", ("x", "w", "b"), ("x", "w", "b"), ("stride", "pad"))


def error_term_case(H: int, W: int, K: int, f_prime: str) -> Case:
    def make(rng: np.random.Generator) -> Inputs:
        return {
            "delta_next": rng.normal(size=(H - K + 1, W - K + 1)),
            "w_next": rng.normal(size=(K, K)),
            "z": rng.normal(size=(H, W)),
            "f_prime": {"$callable": f_prime},
        }

    return Case(f"z ({H}, {W}), kernel {K}×{K}, f' = {f_prime}", make)


P4_CHECKS = (
    Check(
        problem="p4",
        function="conv2d_forward",
        aspect="basic",
        title="conv2d_forward matches (stride 1, no padding)",
        points=2,
        public=True,
        judge=Compare(CONV_FWD),
        cases=CONV_BASIC,
        hint="Cross-correlation: out[n, f, i, j] = Σ w[f, c, u, v] x[n, c, i + u, j + v] + b[f], no kernel flip.",
    ),
    Check(
        problem="p4",
        function="conv2d_forward",
        aspect="stride_pad",
        title="conv2d_forward with stride, zero padding, rectangular kernels",
        points=2,
        public=True,
        judge=Compare(CONV_FWD),
        cases=CONV_STRIDE_PAD,
        hint="H' = (H + 2·pad − KH) // stride + 1; window (i, j) starts at (i·stride, j·stride) of the padded x.",
    ),
    Check(
        problem="p4",
        function="conv2d_forward",
        aspect="edge",
        title="conv2d_forward on edge cases (1×1 kernel, stride not dividing the size, pad ≥ kernel − 1, float32)",
        points=1,
        public=False,
        judge=Compare(CONV_FWD),
        cases=CONV_EDGE,
    ),
    Check(
        problem="p4",
        function="conv2d_backward",
        aspect="basic",
        title="conv2d_backward matches (stride 1, no padding)",
        points=2,
        public=True,
        judge=Compare(CONV_BWD),
        cases=CONV_BASIC,
    ),
    Check(
        problem="p4",
        function="conv2d_backward",
        aspect="stride_pad",
        title="conv2d_backward with stride, padding, rectangular kernels and edge cases",
        points=3,
        public=False,
        judge=Compare(CONV_BWD),
        cases=CONV_STRIDE_PAD + CONV_EDGE,
        hint="Compute the gradient of the padded input, then crop the padding off: dx has x's shape.",
    ),
    Check(
        problem="p4",
        function="conv2d_backward",
        aspect="gradcheck",
        title="conv2d_backward agrees with finite differences of your conv2d_forward",
        points=3,
        public=True,
        judge=CONV_GRAD,
        cases=CONV_BASIC[:1] + CONV_STRIDE_PAD + CONV_EDGE[1:2],
    ),
    Check(
        problem="p4",
        function="conv_error_term",
        aspect="values",
        title="conv_error_term: f'(z) ⊙ full convolution with the kernel rotated 180°",
        points=3,
        public=True,
        judge=Compare(call("conv_error_term", "delta_next", "w_next", "z", "f_prime")),
        cases=(error_term_case(6, 6, 3, "relu_grad"), error_term_case(5, 7, 2, "tanh_grad")),
        hint="δ_ij = f'(z_ij) Σ_u Σ_v w[u, v]·δ^(l+1)[i − u, j − v]: the kernel is rotated by 180°.",
    ),
    Check(
        problem="p4",
        function="conv_error_term",
        aspect="edge",
        title="conv_error_term on edge cases (1×1 kernel, kernel as large as z, non-square z)",
        points=3,
        public=False,
        judge=Compare(call("conv_error_term", "delta_next", "w_next", "z", "f_prime")),
        cases=(
            error_term_case(4, 5, 1, "sigmoid_grad"),
            error_term_case(3, 3, 3, "identity_grad"),
            error_term_case(7, 5, 3, "tanh_grad"),
        ),
    ),
    Check(
        problem="p4",
        function=ALL,
        aspect="no_mutation",
        title="no p4 function modifies its inputs",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                (
                    Call("fwd", "conv2d_forward", ("x", "w", "b"), ("stride", "pad")),
                    Call("bwd", "conv2d_backward", ("dout", "fwd[1]")),
                ),
                (("out", "fwd[0]"), ("(dx, dw, db)", "bwd")),
            )
        ),
        cases=CONV_STRIDE_PAD[:1],
    ),
)

# -- p5: backprop through pooling -------------------------------------------------------------------------


def pool_case(N: int, C: int, H: int, W: int, k: int, stride: int | None, kind: str = "normal") -> Case:
    """kind: "normal" draws, "ties" draws from {0, 1, 2} (many ties), "distinct" keeps values ≥ 0.01 apart."""
    label = f"x ({N}, {C}, {H}, {W}), k {k}, stride {stride if stride is not None else 'default'}"
    label += {"normal": "", "ties": ", many tied maxima", "distinct": ""}[kind]

    def make(rng: np.random.Generator) -> Inputs:
        shape = (N, C, H, W)
        if kind == "ties":
            x = rng.integers(0, 3, size=shape).astype(np.float64)
        elif kind == "distinct":
            x = (rng.permutation(N * C * H * W).reshape(shape) - N * C * H * W / 2) * 0.01
        else:
            x = rng.normal(size=shape)
        s = k if stride is None else stride
        out = {"x": x, "k": k, "dout": rng.normal(size=(N, C, (H - k) // s + 1, (W - k) // s + 1))}
        if stride is not None:
            out["stride"] = stride
        return out

    return Case(label, make)


POOL_BASIC = (pool_case(2, 3, 6, 6, 2, None), pool_case(1, 1, 4, 4, 2, 2))
POOL_ODD = (pool_case(2, 2, 7, 5, 2, None), pool_case(1, 2, 9, 9, 2, 3), pool_case(2, 1, 6, 6, 3, None))
POOL_OVERLAP = (pool_case(2, 2, 7, 7, 3, 1), pool_case(1, 3, 8, 6, 3, 2), pool_case(2, 1, 5, 5, 2, 1))
POOL_TIES = (pool_case(2, 2, 6, 6, 2, None, "ties"), pool_case(1, 2, 9, 7, 3, 3, "ties"))
POOL_DISTINCT = (
    pool_case(2, 2, 6, 6, 2, None, "distinct"),
    pool_case(1, 2, 7, 7, 3, 2, "distinct"),
    pool_case(2, 1, 5, 7, 2, 1, "distinct"),
)


def pool_fwd(fn: str) -> Program:
    return Program((Call("r", fn, ("x",), ("k", "stride")),), (("out", "r[0]"),))


def pool_bwd(forward: str, backward: str) -> Program:
    return forward_then(forward, ("x",), backward, ("dout", "fwd[1]"), "dx", ("k", "stride"))


def pool_grad(forward: str, backward: str) -> GradCheck:
    return GradCheck(forward, backward, ("x",), ("x",), ("k", "stride"))


P5_CHECKS = (
    Check(
        problem="p5",
        function="maxpool_forward",
        aspect="basic",
        title="maxpool_forward: window maxima (stride = k)",
        points=2,
        public=True,
        judge=Compare(pool_fwd("maxpool_forward")),
        cases=POOL_BASIC,
    ),
    Check(
        problem="p5",
        function="maxpool_forward",
        aspect="general",
        title="maxpool_forward with overlapping windows, stride > k and sizes the stride does not divide",
        points=2,
        public=False,
        judge=Compare(pool_fwd("maxpool_forward")),
        cases=POOL_ODD + POOL_OVERLAP,
        hint="H' = (H − k) // stride + 1.",
    ),
    Check(
        problem="p5",
        function="maxpool_backward",
        aspect="basic",
        title="maxpool_backward sends each window's gradient to its maximum (stride = k)",
        points=2,
        public=True,
        judge=Compare(pool_bwd("maxpool_forward", "maxpool_backward")),
        cases=POOL_BASIC + POOL_ODD[:1],
    ),
    Check(
        problem="p5",
        function="maxpool_backward",
        aspect="ties",
        title="maxpool_backward gives a tie to the first maximum in row-major order",
        points=2,
        public=False,
        judge=Compare(pool_bwd("maxpool_forward", "maxpool_backward")),
        cases=POOL_TIES,
        hint="Exactly one entry per window gets the gradient: the first maximum, as numpy.argmax picks it.",
    ),
    Check(
        problem="p5",
        function="maxpool_backward",
        aspect="overlap",
        title="maxpool_backward adds up the gradients of overlapping windows (stride < k) and handles stride > k",
        points=3,
        public=False,
        judge=Compare(pool_bwd("maxpool_forward", "maxpool_backward")),
        cases=POOL_OVERLAP + POOL_ODD[1:2],
        hint="An input that is the maximum of two windows receives both gradients: use +=, not =.",
    ),
    Check(
        problem="p5",
        function="maxpool_backward",
        aspect="gradcheck",
        title="maxpool_backward agrees with finite differences of your maxpool_forward",
        points=2,
        public=True,
        judge=pool_grad("maxpool_forward", "maxpool_backward"),
        cases=POOL_DISTINCT,
    ),
    Check(
        problem="p5",
        function="avgpool_forward",
        aspect="values",
        title="avgpool_forward: window means",
        points=2,
        public=True,
        judge=Compare(pool_fwd("avgpool_forward")),
        cases=POOL_BASIC + POOL_ODD[2:] + POOL_OVERLAP[:1],
    ),
    Check(
        problem="p5",
        function="avgpool_backward",
        aspect="basic",
        title="avgpool_backward spreads dout/(k·k) over each window (stride = k)",
        points=1,
        public=True,
        judge=Compare(pool_bwd("avgpool_forward", "avgpool_backward")),
        cases=POOL_BASIC,
    ),
    Check(
        problem="p5",
        function="avgpool_backward",
        aspect="overlap",
        title="avgpool_backward with overlapping windows and stride > k",
        points=2,
        public=False,
        judge=Compare(pool_bwd("avgpool_forward", "avgpool_backward")),
        cases=POOL_OVERLAP + POOL_ODD[1:2],
    ),
    Check(
        problem="p5",
        function="avgpool_backward",
        aspect="gradcheck",
        title="avgpool_backward agrees with finite differences of your avgpool_forward",
        points=1,
        public=True,
        judge=pool_grad("avgpool_forward", "avgpool_backward"),
        cases=POOL_BASIC[:1] + POOL_OVERLAP[:1],
    ),
    Check(
        problem="p5",
        function=ALL,
        aspect="no_mutation",
        title="no p5 function modifies its inputs",
        points=1,
        public=True,
        judge=NoMutation(
            Program(
                (
                    Call("f1", "maxpool_forward", ("x",), ("k", "stride")),
                    Call("b1", "maxpool_backward", ("dout", "f1[1]")),
                    Call("f2", "avgpool_forward", ("x",), ("k", "stride")),
                    Call("b2", "avgpool_backward", ("dout", "f2[1]")),
                ),
                (("maxpool out", "f1[0]"), ("maxpool dx", "b1"), ("avgpool out", "f2[0]"), ("avgpool dx", "b2")),
            )
        ),
        cases=POOL_OVERLAP[:1],
    ),
)

#: What a per-student variant changes (see :mod:`autograder.variants`): the student's own homework network,
#: the check that grades ``bp_step`` on it, and the p1 stub that shows it. Every other check is the same for
#: all students; the public checks' inputs differ per student through the variant's public seed.
VARIANTS = VariantSpec(
    draw=lambda rng: {"p1": draw_homework(rng)},
    cases={
        "p1.bp_step.homework": lambda numbers: (
            Case("the homework's network", lambda rng: homework_inputs(numbers["p1"])),
        )
    },
    stubs={f"{P1}.py": homework_stub},
    answer=homework_answer,
    shows="the homework's own network in p1",
)

ASSIGNMENT = Assignment(
    name="hw1",
    problems=(
        Problem("p1", P1, "one BP update of a ReLU network", 25),
        Problem("p2", P2, "σ', σ'' and the gradient of log-softmax", 20, preload=("sympy",)),
        Problem("p3", P3, "counting multiplications and additions", 15, preload=("sympy",)),
        Problem("p4", P4, "backprop through a convolution", 20),
        Problem("p5", P5, "backprop through pooling", 20),
    ),
    checks=P1_CHECKS + P2_CHECKS + P3_CHECKS + P4_CHECKS + P5_CHECKS,
    callables=callables_source((relu_grad, tanh_grad, sigmoid_grad, identity_grad)),
    functions=SIGMOID,
    variants=VARIANTS,
)
ASSIGNMENT.validate()
