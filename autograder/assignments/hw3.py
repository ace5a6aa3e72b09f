"""hw3 (临界点与海森矩阵: critical points and the Hessian, `001` §3.1): every check of the assignment, as data.

Points: p1 40, p2 35, p3 25. A check's points are split evenly over its cases. Grading draws every input from the
grading seed (public checks: from the public seed; their expected values ship with the bundle, SymPy answers
as their values at public points, never as text). The text's own numbers (H(0, 0) = [[0, −2], [−2, 0]],
eigenvalues ±2, a saddle, escape along ±[1, 1]/√2) are checked as claims on the student's own functions, each
only where the values are right.

- p1: SymPy answers judged by meaning in the symbolic worker: the loss, the gradient (a list, in order: a
  swapped call gradient_expr(b, a) tests it) and the Hessian (a 2×2 sp.Matrix, entry by entry) by equivalence at
  secret points, on Symbols of other names and assumptions; the critical set by whether every solution zeroes
  the reference's gradient and the solutions hold the origin and secret points (t, 1/t) of w1·w2 = 1
  (COURSE.md item 19).
- p2: the word of classify_critical_point equals the reference's (tolerance 1e-9 on the eigenvalues: the cases
  put eigenvalues at 1e-10 and −5e-10, which count as 0, and at ±3e-9 and 1e-8, which do not); the escape
  direction by its defining property (:class:`~autograder.hessian_judges.EigenDirection`).
- p3: numeric_hessian against the analytic Hessian of trusted test functions (COURSE.md item 22), tolerance
  1e-5·max(1, max|H|), rtol 0 (:class:`~autograder.hessian_judges.AgainstAnalytic` says why).
"""

from __future__ import annotations

import numpy as np

from .. import hessian_judges  # noqa: F401  (registers the judge kinds below)
from ..callables import callables_source
from ..checks import Assignment, Case, Check, Inputs, Problem
from ..hessian_judges import AgainstAnalytic, CriticalSet, EigenDirection, Label
from ..judges import Compare, IsExpression
from ..programs import Call, Program

P1, P2, P3 = "p1_symbolic", "p2_classify", "p3_numeric_hessian"
KINDS = ("local_min", "local_max", "saddle", "degenerate")

# -- trusted callables, sent to the child as source (autograder.callables) --------------------------------------


def matrix_entries(H, w1):
    """(whether H is a 2×2 SymPy Matrix, its entries H_11, H_12, H_21, H_22 or four zeros)."""
    ok = bool(getattr(H, "is_Matrix", False)) and tuple(getattr(H, "shape", ())) == (2, 2)
    zero = w1 - w1
    return ok, tuple(H[i, j] for i in range(2) for j in range(2)) if ok else (zero,) * 4


def origin_claims(H, w1, w2):
    """(H(0, 0)'s entries, its eigenvalues in increasing order) of a 2×2 SymPy Matrix H in w1, w2; zeros else."""
    zero = w1 - w1
    try:
        H0 = H.subs({w1: 0, w2: 0})
        lam = sorted(H0.eigenvals(multiple=True), key=lambda v: complex(v).real)
        entries = tuple(H0[i, j] for i in range(2) for j in range(2))
        if len(lam) != 2 or len(entries) != 4:
            raise ValueError("not 2×2")
        return entries, tuple(lam)
    except Exception:
        return (zero,) * 4, (zero, zero)


def solution_table(sols, w1):
    """critical_points()'s answer in a fixed form: (a list of at most 8 dicts?, 8 rows), each row (present,
    w1 given, its value, w2 given, its value, a key that is not the Symbol w1 or w2); absent values are 0."""
    zero = w1 - w1
    ok = isinstance(sols, (list, tuple)) and len(sols) <= 8 and all(type(s) is dict for s in sols)
    rows = []
    for i in range(8):
        sol = sols[i] if ok and i < len(sols) else {}
        named = {k.name: v for k, v in sol.items() if getattr(k, "is_Symbol", False) is True}
        other = len(named) != len(sol) or bool(set(named) - {"w1", "w2"})
        rows.append(
            (ok and i < len(sols), "w1" in named, named.get("w1", zero), "w2" in named, named.get("w2", zero), other)
        )
    return ok, tuple(rows)


def hessian_as(H, form):
    """The case's H in the form the case tests: a NumPy array, a nested list, or a SymPy Matrix of rationals
    (``H`` then holds [numerator, denominator] pairs; SymPy is preloaded in the child for this problem)."""
    if form == "sympy":
        import sympy

        return sympy.Matrix([[sympy.Rational(int(p), int(q)) for p, q in row] for row in H])
    return H


def as_float(M):
    """H as a float64 array (the grader's own copy, for judging the escape direction)."""
    return np.array(M.tolist() if hasattr(M, "tolist") else M, dtype=np.float64)


def kind_code(word):
    """The index of a classification word in (local_min, local_max, saddle, degenerate), −1 for anything else."""
    words = ("local_min", "local_max", "saddle", "degenerate")
    return np.float64(words.index(word) if type(word) in (str, np.str_) and str(word) in words else -1)


def escape_form(u):
    """(u is None, u is a NumPy array, u or an empty array)."""
    return u is None, isinstance(u, np.ndarray), np.zeros(0) if u is None else u


def is_ndarray(x):
    """Whether x is a NumPy array (numeric_hessian's form check)."""
    return isinstance(x, np.ndarray)


def test_function(family, p):
    """f(θ) of a test family with parameters p: the text's L, a quadratic, Σθ³ + sin θ₀ cos θ_{d−1},
    exp(aᵀθ), sin(3θ₀)·θ₁."""
    if family == "text":
        return lambda t: (1.0 - t[0] * t[1]) ** 2
    if family == "quadratic":
        A, b, c = p["A"], p["b"], p["c"]
        return lambda t: 0.5 * (t @ A @ t) + b @ t + c
    if family == "cubic":
        return lambda t: np.sum(t**3) + np.sin(t[0]) * np.cos(t[-1])
    if family == "exp":
        a = p["a"]
        return lambda t: np.exp(a @ t)
    return lambda t: np.sin(3.0 * t[0]) * t[1]


def test_hessian(family, p, theta):
    """The analytic Hessian of :func:`test_function` at θ."""
    t = np.asarray(theta, dtype=np.float64)
    d = t.shape[0]
    if family == "text":
        w1, w2 = t[0], t[1]
        return np.array([[2 * w2**2, -2 + 4 * w1 * w2], [-2 + 4 * w1 * w2, 2 * w1**2]])
    if family == "quadratic":
        return (p["A"] + p["A"].T) / 2
    if family == "cubic":
        H = np.diag(6.0 * t)
        s0, c0, sl, cl = np.sin(t[0]), np.cos(t[0]), np.sin(t[-1]), np.cos(t[-1])
        if d == 1:
            H[0, 0] += -4.0 * s0 * c0
        else:
            H[0, 0] += -s0 * cl
            H[-1, -1] += -s0 * cl
            H[0, -1] += -c0 * sl
            H[-1, 0] += -c0 * sl
        return H
    if family == "exp":
        a = p["a"]
        return np.exp(a @ t) * np.outer(a, a)
    H = np.zeros((d, d))
    H[0, 0] = -9.0 * np.sin(3.0 * t[0]) * t[1]
    H[0, 1] = H[1, 0] = 3.0 * np.cos(3.0 * t[0])
    return H


CALLABLES = (
    matrix_entries,
    origin_claims,
    solution_table,
    hessian_as,
    as_float,
    kind_code,
    escape_form,
    is_ndarray,
    test_function,
    test_hessian,
)

# -- p1: the loss, its gradient, its Hessian and its critical set, symbolically ---------------------------------


def symbol(name: str, **assumptions: bool) -> dict:
    return {"$symbol": name, "assumptions": assumptions} if assumptions else {"$symbol": name}


def pair(a: str, b: str, **assumptions: bool) -> Case:
    what = ", ".join(k for k in assumptions) or "no assumptions"
    label = f"Symbols {a}, {b} ({what})"
    return Case(label, lambda rng: {"w1": symbol(a, **assumptions), "w2": symbol(b, **assumptions)})


SYMBOL_CASES = (pair("w1", "w2"), pair("a", "b", real=True), pair("p", "q", positive=True))
SWAPPED = Case("swapped: called as f(b, a) with Symbols a, b", lambda rng: {"w1": symbol("b"), "w2": symbol("a")})


def hessian_program(claims: bool) -> Program:
    calls = [Call("H", "hessian_expr", ("w1", "w2")), Call("E", "$matrix_entries", ("H", "w1"))]
    returns = [
        ("isinstance(hessian_expr(w1, w2), sp.MatrixBase) with shape (2, 2)", "E[0]"),
        ("(H_11, H_12, H_21, H_22)", "E[1]"),
    ]
    if claims:
        calls.append(Call("Z", "$origin_claims", ("H", "w1", "w2")))
        returns += [("(H(0 0)_11, H(0 0)_12, H(0 0)_21, H(0 0)_22)", "Z[0]"), ("(λ_1 of H(0 0), λ_2)", "Z[1]")]
    return Program(tuple(calls), tuple(returns))


def critical_program() -> Program:
    calls = (
        Call("r", "critical_points"),
        Call("t", "$solution_table", ("r", "w1")),
        Call("g", "gradient_expr", ("w1", "w2")),  # the reference's gradient is used; the student's never
    )
    return Program(calls, (("critical_points", "t"), ("the reference's gradient", "g")))


TEXT_SYMBOLS = (
    Case("the text's Symbols w1, w2 (no assumptions)", lambda rng: {"w1": symbol("w1"), "w2": symbol("w2")}),
)

P1_CHECKS = (
    Check(
        problem="p1",
        function="loss_expr",
        aspect="expression",
        title="loss_expr returns a SymPy expression in the two Symbols it is given (counts where it is right)",
        points=1,
        public=True,
        judge=IsExpression(Program((Call("r", "loss_expr", ("w1", "w2")),), (("loss_expr", "r"),))),
        cases=SYMBOL_CASES[:1],
    ),
    Check(
        problem="p1",
        function="loss_expr",
        aspect="equivalent",
        title="loss_expr is (1 − w1·w2)² (any form, any Symbols)",
        points=6,
        public=False,
        judge=Compare(Program((Call("r", "loss_expr", ("w1", "w2")),), (("loss_expr", "r"),))),
        cases=SYMBOL_CASES,
        hint="The text's eq. 3.6 with x = y = 1: no ½ in front.",
    ),
    Check(
        problem="p1",
        function="gradient_expr",
        aspect="values",
        title="gradient_expr is [∂L/∂w1, ∂L/∂w2]: its values at sample points (any form)",
        points=2,
        public=True,
        judge=Compare(Program((Call("r", "gradient_expr", ("w1", "w2")),), (("(∂L/∂w1, ∂L/∂w2)", "r"),))),
        cases=TEXT_SYMBOLS,
        hint="Eq. 3.7: the chain rule keeps the factor 2 of the square.",
    ),
    Check(
        problem="p1",
        function="gradient_expr",
        aspect="equivalent",
        title="gradient_expr is [∂L/∂w1, ∂L/∂w2] in that order (any form)",
        points=7,
        public=False,
        judge=Compare(Program((Call("r", "gradient_expr", ("w1", "w2")),), (("(∂L/∂w1, ∂L/∂w2)", "r"),))),
        cases=SYMBOL_CASES + (SWAPPED,),
        hint="Eq. 3.7: the chain rule keeps the factor 2 of the square; the first entry is ∂L/∂(first argument).",
    ),
    Check(
        problem="p1",
        function="hessian_expr",
        aspect="values",
        title="hessian_expr is the 2×2 sp.Matrix of second derivatives: its entries' values at sample points",
        points=2,
        public=True,
        judge=Compare(hessian_program(False)),
        cases=TEXT_SYMBOLS,
        hint="Eq. 3.8: H_12 = ∂/∂w2 [2(1 − w1 w2)(−w2)] needs the product rule: −2 + 4 w1 w2.",
    ),
    Check(
        problem="p1",
        function="hessian_expr",
        aspect="equivalent",
        title="hessian_expr is the 2×2 sp.Matrix of second derivatives, entry by entry (any form)",
        points=7,
        public=False,
        judge=Compare(hessian_program(False)),
        cases=SYMBOL_CASES + (SWAPPED,),
        hint="Eq. 3.8: H_12 = ∂/∂w2 [2(1 − w1 w2)(−w2)] needs the product rule: −2 + 4 w1 w2.",
    ),
    Check(
        problem="p1",
        function="hessian_expr",
        aspect="text",
        title="your hessian_expr gives the text's H(0, 0) = [[0, −2], [−2, 0]] with eigenvalues −2 and 2",
        points=4,
        public=False,
        judge=Compare(hessian_program(True)),
        cases=TEXT_SYMBOLS,
    ),
    Check(
        problem="p1",
        function="critical_points",
        aspect="valid",
        title="every solution of critical_points zeroes the gradient",
        points=5,
        public=False,
        judge=CriticalSet(critical_program(), cover=False),
        cases=TEXT_SYMBOLS,
        hint="Substitute each dict into [∂L/∂w1, ∂L/∂w2]: both must simplify to 0.",
    ),
    Check(
        problem="p1",
        function="critical_points",
        aspect="values",
        title="critical_points: every solution zeroes the gradient, and they hold the origin and points of w1·w2 = 1",
        points=2,
        public=True,
        judge=CriticalSet(critical_program(), cover=True),
        cases=TEXT_SYMBOLS,
        hint="The origin is not the only critical point: on w1·w2 = 1 the factor 1 − w1·w2 vanishes.",
    ),
    Check(
        problem="p1",
        function="critical_points",
        aspect="covers",
        title="critical_points holds the origin and every point of the curve w1·w2 = 1",
        points=4,
        public=False,
        judge=CriticalSet(critical_program(), cover=True),
        cases=TEXT_SYMBOLS,
        hint="The origin is not the only critical point: on w1·w2 = 1 the factor 1 − w1·w2 vanishes.",
    ),
)

# -- p2: classify a critical point, escape a saddle ---------------------------------------------------------------


def rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal n×n matrix (Haar: QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def spectral(rng: np.random.Generator, lam: list[float]) -> np.ndarray:
    """Q·diag(λ)·Qᵀ for a random rotation Q, symmetrized exactly."""
    Q = rotation(rng, len(lam))
    H = Q @ np.diag(lam) @ Q.T
    return (H + H.T) / 2


def magnitudes(rng: np.random.Generator, k: int) -> list[float]:
    return list(rng.uniform(0.1, 5.0, k))


def spectrum(rng: np.random.Generator, kind: str) -> list[float]:
    """Eigenvalues of one kind of critical point: nonzero |λ| in [0.1, 5], zeros exactly 0."""
    n = int(rng.integers(1, 7)) if kind in ("min", "max") else int(rng.integers(2, 7))
    if kind == "min":
        return magnitudes(rng, n)
    if kind == "max":
        return [-v for v in magnitudes(rng, n)]
    if kind == "saddle":
        pos = int(rng.integers(1, n))
        return magnitudes(rng, pos) + [-v for v in magnitudes(rng, n - pos)]
    if kind == "saddle0":
        n = max(n, 3)
        pos = int(rng.integers(1, n - 1))
        return magnitudes(rng, pos) + [-v for v in magnitudes(rng, n - 1 - pos)] + [0.0]
    if kind in ("psd", "nsd"):
        zeros = int(rng.integers(1, n))
        sign = 1 if kind == "psd" else -1
        return [sign * v for v in magnitudes(rng, n - zeros)] + [0.0] * zeros
    return [0.0] * n  # "zero"


def matrix_case(label: str, kind: str) -> Case:
    return Case(label, lambda rng: {"H": spectral(rng, spectrum(rng, kind)), "form": "array"})


def fixed(label: str, H: list, form: str = "array") -> Case:
    """A matrix the text gives (public checks only, or a claim of the text)."""
    return Case(label, lambda rng: {"H": np.array(H, dtype=np.float64) if form == "array" else H, "form": form})


def text_minimum(rng: np.random.Generator) -> Inputs:
    """H(t, 1/t) = [[2/t², 2], [2, 2t²]] at a point of the curve w1·w2 = 1 (eigenvalues 0 and 2(t² + 1/t²))."""
    t = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0))
    return {"H": np.array([[2 / t**2, 2.0], [2.0, 2 * t**2]]), "form": "array"}


H00 = [[0.0, -2.0], [-2.0, 0.0]]
TEXT_CASES = (
    fixed("the text's H(0, 0) (a NumPy array)", H00),
    fixed("the text's H(0, 0) (a nested list)", H00, "list"),
    fixed("the text's H(0, 0) (a SymPy Matrix of Integers)", [[[0, 1], [-2, 1]], [[-2, 1], [0, 1]]], "sympy"),
)
TEXT_MINIMUM = (Case("H(t, 1/t) on the curve w1·w2 = 1", text_minimum),)


def edge_case(label: str, edge: float, others: str) -> Case:
    """A rotated H with one eigenvalue at a tolerance edge and the others in [0.5, 2] of sign ``others``
    ("+", "−" or "±"), so ‖H‖ ≤ 2."""

    def make(rng: np.random.Generator) -> Inputs:
        n = int(rng.integers(2, 5))
        rest = list(rng.uniform(0.5, 2.0, n - 1))
        if others == "-":
            rest = [-v for v in rest]
        elif others == "±":
            rest[0] = -rest[0]
            rest[-1] = abs(rest[-1]) if n > 2 else rest[-1]
        return {"H": spectral(rng, [edge, *rest]), "form": "array"}

    return Case(label, make)


def nested_list(rng: np.random.Generator) -> Inputs:
    return {"H": spectral(rng, spectrum(rng, "saddle")).tolist(), "form": "list"}


def sympy_matrix(kind: str, denominators: bool):
    """A symmetric SymPy Matrix of Integers (or Rationals p/q): a random integer matrix, redrawn until it is of
    ``kind`` (by its eigenvalues, far from 0)."""

    def make(rng: np.random.Generator) -> Inputs:
        for _ in range(10_000):
            n = int(rng.integers(2, 4))
            P = np.triu(rng.integers(-4, 5, (n, n)))
            P = P + np.triu(P, 1).T
            Q = np.triu(rng.integers(1, 4, (n, n)) if denominators else np.ones((n, n), dtype=int))
            Q = Q + np.triu(Q, 1).T
            lam = np.linalg.eigvalsh(P / Q)
            ok = {"min": lam[0] > 0.05, "max": lam[-1] < -0.05, "saddle": lam[0] < -0.05 < 0.05 < lam[-1]}[kind]
            if ok and np.all(np.abs(lam) > 0.05):
                rows = [[[int(P[i, j]), int(Q[i, j])] for j in range(n)] for i in range(n)]
                return {"H": rows, "form": "sympy"}
        raise RuntimeError("could not draw an integer matrix of that kind")

    return make


def one_by_one(sign: int):
    def make(rng: np.random.Generator) -> Inputs:
        return {"H": [[[sign * int(rng.integers(1, 10)), 1]]], "form": "sympy"}

    return make


def lower_upper(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """H mirrored from its lower and from its upper triangle (what eigvalsh/eigh read without symmetrizing)."""
    return np.tril(H) + np.tril(H, -1).T, np.triu(H) + np.triu(H, 1).T


def classify(H: np.ndarray, tol: float = 1e-9) -> str:
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle"
    if np.any(np.abs(lam) <= tol):
        return "degenerate"
    return "local_min" if np.all(lam > tol) else "local_max"


def nonsymmetric(kind: str):
    """A non-symmetric H = S + K (S symmetric of ``kind``, K antisymmetric), redrawn until reading one triangle
    only gives another word ("degenerate", "saddle") or the same word ("min"), both triangles alike."""

    def make(rng: np.random.Generator) -> Inputs:
        for _ in range(10_000):
            n = int(rng.integers(2, 4))
            lam = {"degenerate": [0.0, *rng.uniform(0.5, 2.0, n - 1)], "min": list(rng.uniform(1.0, 3.0, n))}.get(kind)
            if lam is None:  # "saddle"
                lam = [-float(rng.uniform(0.5, 2.0)), *rng.uniform(0.5, 2.0, n - 1)]
            S = spectral(rng, lam)
            K = np.triu(rng.uniform(-3.0, 3.0, (n, n)), 1)
            H = S + K - K.T
            want = classify(H)
            words = {classify(M) for M in lower_upper(H)}
            if kind == "saddle" or (kind == "min" and words == {want}) or (kind == "degenerate" and want not in words):
                return {"H": H, "form": "array"}
        raise RuntimeError("could not draw a non-symmetric H")

    return make


CLASSIFY = Program(
    (
        Call("M", "$hessian_as", ("H", "form")),
        Call("r", "classify_critical_point", ("M",)),
        Call("c", "$kind_code", ("r",)),
    ),
    (("classify_critical_point", "c"),),
)


def classify_check(aspect: str, title: str, points: float, public: bool, cases: tuple, hint: str = "") -> Check:
    return Check(
        problem="p2",
        function="classify_critical_point",
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=Label(CLASSIFY, words=KINDS),
        cases=cases,
        hint=hint,
    )


P2_CLASSIFY = (
    classify_check(
        "text",
        "the text's H(0, 0) is a saddle (array, list, SymPy Matrix); H on w1·w2 = 1 is degenerate",
        3,
        True,
        TEXT_CASES + TEXT_MINIMUM,
        hint="Eigenvalues of both signs make a saddle; a zero eigenvalue (and no two of opposite signs) is degenerate.",
    ),
    classify_check(
        "random",
        "minima, maxima and saddles of random Hessians Q·diag(λ)·Qᵀ, n from 1 to 6",
        5,
        False,
        (
            matrix_case("a local minimum", "min"),
            matrix_case("a local maximum", "max"),
            matrix_case("a saddle", "saddle"),
            matrix_case("a saddle", "saddle"),
            matrix_case("a local minimum", "min"),
        ),
        hint="All λ > tol: local_min; all λ < −tol: local_max; some of each sign: saddle.",
    ),
    classify_check(
        "degenerate",
        "zero eigenvalues: saddles with one, semidefinite H of either sign, the zero matrix",
        4,
        False,
        (
            matrix_case("a saddle with a zero eigenvalue", "saddle0"),
            matrix_case("positive semidefinite, singular", "psd"),
            matrix_case("negative semidefinite, singular", "nsd"),
            matrix_case("the zero matrix", "zero"),
        ),
        hint="A zero eigenvalue is not positive: a singular positive semidefinite H is degenerate, not local_min.",
    ),
    classify_check(
        "tolerance",
        "eigenvalues at the tolerance's edges: |λ| ≤ 1e-9 is 0, 3e-9 is not",
        3,
        False,
        (
            edge_case("λ = 1e-10 (zero) and positive ones", 1e-10, "+"),
            edge_case("λ = −5e-10 (zero) and negative ones", -5e-10, "-"),
            edge_case("λ = 3e-9 (positive) and positive ones", 3e-9, "+"),
            edge_case("λ = −3e-9 (negative) and positive ones", -3e-9, "+"),
            edge_case("λ = 1e-8 (positive) and negative ones", 1e-8, "-"),
        ),
        hint="Decide zero with the absolute tolerance: λ > tol positive, λ < −tol negative, |λ| ≤ tol zero.",
    ),
    classify_check(
        "forms",
        "H as a nested list, a SymPy Matrix of Integers or Rationals, and 1×1 matrices",
        2,
        False,
        (
            Case("a nested list", nested_list),
            Case("a SymPy Matrix of Integers", sympy_matrix("saddle", False)),
            Case("a SymPy Matrix of Rationals", sympy_matrix("min", True)),
            Case("a 1×1 SymPy Matrix [[k]], k > 0", one_by_one(1)),
            Case("a 1×1 SymPy Matrix [[−k]], k > 0", one_by_one(-1)),
            Case("the 1×1 SymPy Matrix [[0]]", lambda rng: {"H": [[[0, 1]]], "form": "sympy"}),
        ),
        hint="Convert H with np.asarray(H, dtype=float) first.",
    ),
    classify_check(
        "nonsymmetric",
        "a non-symmetric H is classified by its symmetric part (H + Hᵀ)/2",
        2,
        False,
        (
            Case("non-symmetric, its symmetric part singular PSD", nonsymmetric("degenerate")),
            Case("non-symmetric, its symmetric part positive definite", nonsymmetric("min")),
        ),
        hint="Only (H + Hᵀ)/2 enters vᵀHv; eigvalsh reads one triangle only, so symmetrize first.",
    ),
)

ESCAPE = Program(
    (
        Call("M", "$hessian_as", ("H", "form")),
        Call("u", "escape_direction", ("M",)),
        Call("f", "$escape_form", ("u",)),
        Call("A", "$as_float", ("M",)),
    ),
    (("escape_direction", "f"), ("H", "A")),
)


def repeated_min(rng: np.random.Generator) -> Inputs:
    return {"H": spectral(rng, [-2.0, -2.0, 1.0]), "form": "array"}


def diagonal(rng: np.random.Generator) -> Inputs:
    """diag(λ) of 4 entries, two of them negative (the escape direction is a coordinate axis)."""
    lam = np.concatenate([-rng.uniform(0.5, 5.0, 2), rng.uniform(0.5, 5.0, 2)])
    return {"H": np.diag(rng.permutation(lam)), "form": "array"}


def diagonal_zero(rng: np.random.Generator) -> Inputs:
    """diag(0, −k) (a degenerate saddle of the text's kind: one zero, one negative)."""
    return {"H": np.diag(rng.permutation([0.0, -float(rng.uniform(0.5, 3.0))])), "form": "array"}


def nonsymmetric_saddle(rng: np.random.Generator) -> Inputs:
    """A non-symmetric H whose symmetric part has a negative eigenvalue, redrawn until the eigenvector that either
    triangle alone gives is not one of the symmetric part's λ_min."""
    for _ in range(10_000):
        inputs = nonsymmetric("saddle")(rng)
        H = inputs["H"]
        S, lam_min = (H + H.T) / 2, float(np.linalg.eigvalsh((H + H.T) / 2)[0])
        far = True
        for M in lower_upper(H):
            lam, U = np.linalg.eigh(M)
            far = far and (lam[0] >= -1e-9 or float(np.linalg.norm(S @ U[:, 0] - lam_min * U[:, 0])) > 1e-3)
        if far:
            return inputs
    raise RuntimeError("could not draw a non-symmetric saddle")


def escape_check(
    aspect: str, title: str, points: float, public: bool, cases: tuple, hint: str = "", claim: bool = False
) -> Check:
    judge = EigenDirection(ESCAPE, claim=(2**-0.5, 2**-0.5), plot_surface=True) if claim else EigenDirection(ESCAPE)
    return Check(
        problem="p2",
        function="escape_direction",
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=judge,
        cases=cases,
        hint=hint,
    )


P2_ESCAPE = (
    escape_check(
        "text",
        "the text's saddle H(0, 0): escape along ±[1, 1]/√2 (within 1e-12)",
        2,
        True,
        TEXT_CASES,
        hint="The text's u = [1, 1]ᵀ, made unit: divide by its norm.",
        claim=True,
    ),
    escape_check("none", "no negative eigenvalue (H on w1·w2 = 1): None", 1, True, TEXT_MINIMUM),
    escape_check(
        "random",
        "a unit eigenvector of the most negative eigenvalue of random Hessians (or None), n from 1 to 6",
        5,
        False,
        (
            matrix_case("a saddle", "saddle"),
            matrix_case("a saddle", "saddle"),
            matrix_case("a local maximum", "max"),
            matrix_case("a local minimum (None)", "min"),
            Case("a repeated λ_min (diag(−2, −2, 1) rotated)", repeated_min),
            Case("a diagonal H with two negative entries", diagonal),
        ),
        hint="np.linalg.eigh sorts the eigenvalues in increasing order: the first column belongs to λ_min.",
    ),
    escape_check(
        "degenerate",
        "zero eigenvalues: None for semidefinite H ≥ 0 and the zero matrix, a vector where some λ < 0",
        3,
        False,
        (
            matrix_case("a saddle with a zero eigenvalue", "saddle0"),
            Case("diag(0, −k) in random order", diagonal_zero),
            matrix_case("negative semidefinite, singular", "nsd"),
            matrix_case("positive semidefinite, singular (None)", "psd"),
            matrix_case("the zero matrix (None)", "zero"),
        ),
    ),
    escape_check(
        "tolerance",
        "λ_min at the tolerance's edge: −5e-10 gives None, −3e-9 a vector",
        2,
        False,
        (
            edge_case("λ_min = −5e-10 (None)", -5e-10, "+"),
            edge_case("λ_min = −3e-9 (a vector)", -3e-9, "+"),
        ),
        hint="None exactly when λ_min ≥ −tol.",
    ),
    escape_check(
        "forms",
        "H as a nested list, a SymPy Matrix of Integers or Rationals, and 1×1 matrices",
        1,
        False,
        (
            Case("a nested list", nested_list),
            Case("a SymPy Matrix of Integers", sympy_matrix("saddle", False)),
            Case("a SymPy Matrix of Rationals (None)", sympy_matrix("min", True)),
            Case("a 1×1 SymPy Matrix [[−k]]", one_by_one(-1)),
            Case("a 1×1 SymPy Matrix [[k]] (None)", one_by_one(1)),
        ),
    ),
    escape_check(
        "nonsymmetric",
        "a non-symmetric H: an eigenvector of its symmetric part (H + Hᵀ)/2",
        2,
        False,
        (Case("non-symmetric, its symmetric part indefinite", nonsymmetric_saddle),),
        hint="Symmetrize first: eigh reads one triangle only.",
    ),
)

# -- p3: the Hessian by central differences -----------------------------------------------------------------------

H_STEP = 1e-4
ATOL = 1e-5


def stencils(f, t: np.ndarray, h: float) -> dict[str, np.ndarray]:
    """The central (the reference's), the 2h-diagonal central and the one-sided Hessians of f at t (the case
    generators keep inputs where the first two are right and, for large third derivatives, the last is not)."""
    d = t.shape[0]
    E = h * np.eye(d)
    central, wide, forward = np.zeros((d, d)), np.zeros((d, d)), np.zeros((d, d))
    f0 = float(f(t))
    for i in range(d):
        central[i, i] = (float(f(t + E[i])) - 2 * f0 + float(f(t - E[i]))) / h**2
        wide[i, i] = (float(f(t + 2 * E[i])) - 2 * f0 + float(f(t - 2 * E[i]))) / (2 * h) ** 2
        forward[i, i] = (float(f(t + 2 * E[i])) - 2 * float(f(t + E[i])) + f0) / h**2
        for j in range(i + 1, d):
            pp, pm = float(f(t + E[i] + E[j])), float(f(t + E[i] - E[j]))
            mp, mm = float(f(t - E[i] + E[j])), float(f(t - E[i] - E[j]))
            central[i, j] = central[j, i] = wide[i, j] = wide[j, i] = (pp - pm - mp + mm) / (4 * h**2)
            forward[i, j] = forward[j, i] = (pp - float(f(t + E[i])) - float(f(t + E[j])) + f0) / h**2
    return {"central": central, "wide": wide, "forward": forward}


def function_case(label: str, family: str, d: int, third: bool, h: float | None = None) -> Case:
    """θ in [−2, 2]^d (the text's L at random points: same signs, |w| ≥ 0.5) and the family's parameters, redrawn
    until |f| ≤ 100·max(1, max|H|), the central stencils are within a tenth of the tolerance and, where
    ``third`` (large third derivatives), a one-sided stencil is off by more than twice the tolerance."""

    def make(rng: np.random.Generator) -> Inputs:
        for _ in range(10_000):
            if family == "text":
                theta = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0, 2)
            else:
                theta = rng.uniform(-2.0, 2.0, d)
            p: dict = {}
            if family == "quadratic":
                B = rng.normal(size=(d, d))
                p = {"A": (B + B.T) / 2, "b": rng.normal(size=d), "c": np.array(float(rng.normal()))}
            elif family == "exp":
                p = {"a": rng.choice([-1.0, 1.0], d) * rng.uniform(1.0, 2.0, d)}
            f, H = test_function(family, p), test_hessian(family, p, theta)
            bound = ATOL * max(1.0, float(np.max(np.abs(H))))
            if abs(float(f(theta))) > 100 * max(1.0, float(np.max(np.abs(H)))):
                continue
            s = stencils(f, theta, h or H_STEP)
            errors = {k: float(np.max(np.abs(v - H))) for k, v in s.items()}
            if errors["central"] > 0.1 * bound or errors["wide"] > 0.1 * bound:
                continue
            if third and errors["forward"] <= 2 * bound:
                continue
            inputs = {"family": family, "p": p, "theta": theta}
            return inputs if h is None else {**inputs, "h": h}
        raise RuntimeError(f"could not draw a {family} case")

    return Case(label, make)


def numeric_program(fn_form: bool = False) -> Program:
    calls = [
        Call("f", "$test_function", ("family", "p")),
        Call("H", "numeric_hessian", ("f", "theta"), ("h",)),
        Call("A", "$test_hessian", ("family", "p", "theta")),
    ]
    returns = [("numeric_hessian", "H"), ("the analytic Hessian", "A")]
    if fn_form:
        calls.append(Call("T", "$is_ndarray", ("H",)))
        returns.append(("numeric_hessian returns an ndarray", "T"))
    return Program(tuple(calls), tuple(returns))


TEXT_ORIGIN = Case(
    "the text's L = (1 − w1 w2)² at the origin", lambda rng: {"family": "text", "p": {}, "theta": np.zeros(2)}
)
QUADRATICS = tuple(function_case(f"a random quadratic, d = {d}", "quadratic", d, False) for d in (1, 2, 3, 5))
THIRD = (
    function_case("Σθ³ + sin θ₀ cos θ_{d−1}, d = 1", "cubic", 1, True),
    function_case("Σθ³ + sin θ₀ cos θ_{d−1}, d = 2", "cubic", 2, True),
    function_case("Σθ³ + sin θ₀ cos θ_{d−1}, d = 3", "cubic", 3, True),
    function_case("Σθ³ + sin θ₀ cos θ_{d−1}, d = 5", "cubic", 5, True),
    function_case("exp(aᵀθ), |a_i| in [1, 2], d = 2", "exp", 2, True),
    function_case("exp(aᵀθ), |a_i| in [1, 2], d = 3", "exp", 3, True),
    function_case("sin(3θ₀)·θ₁, d = 2", "sin3", 2, True),
    function_case("the text's L at a random point", "text", 2, True),
)
TOLERANCE_NOTE = " (tolerance 1e-5·max(1, max|H|) against the analytic Hessian)"


def p3_check(
    aspect: str, title: str, points: float, public: bool, cases: tuple, hint: str = "", prop: str = "values"
) -> Check:
    program = numeric_program(fn_form=prop == "form")
    return Check(
        problem="p3",
        function="numeric_hessian",
        aspect=aspect,
        title=title,
        points=points,
        public=public,
        judge=AgainstAnalytic(program, atol=ATOL, aspect=prop),
        cases=cases,
        hint=hint,
    )


P3_CHECKS = (
    p3_check(
        "text",
        "numeric_hessian of the text's L at the origin is [[0, −2], [−2, 0]]" + TOLERANCE_NOTE,
        4,
        True,
        (TEXT_ORIGIN,),
        hint="H_ij = (f(++) − f(+−) − f(−+) + f(−−))/(4h²) off the diagonal.",
    ),
    p3_check(
        "quadratic",
        "numeric_hessian of random quadratics, d from 1 to 5, and with h = 1e-3" + TOLERANCE_NOTE,
        6,
        True,
        QUADRATICS + (function_case("a random quadratic, d = 3, h = 1e-3", "quadratic", 3, False, h=1e-3),),
        hint="Divide the off-diagonal stencil by 4h² and write it to both H_ij and H_ji.",
    ),
    p3_check(
        "third",
        "numeric_hessian where third derivatives are large (the stencils must be central)" + TOLERANCE_NOTE,
        8,
        False,
        THIRD,
        hint="A one-sided difference has error O(h)·|f'''|: use central differences for both stencils.",
    ),
    p3_check(
        "symmetric",
        "numeric_hessian is exactly symmetric (counts where the values are right)",
        3,
        False,
        (QUADRATICS[1], QUADRATICS[2]),
        hint="Compute each off-diagonal value once and write it to H_ij and H_ji.",
        prop="symmetric",
    ),
    p3_check(
        "form",
        "numeric_hessian returns a float64 ndarray of shape (d, d) (counts where the values are right)",
        2,
        True,
        (QUADRATICS[0], QUADRATICS[1]),
        prop="form",
    ),
    p3_check(
        "no_mutation",
        "numeric_hessian leaves θ unchanged (counts where the values are right)",
        2,
        True,
        (QUADRATICS[3],),
        hint="Perturb a copy: theta + h·e_i makes a new array, theta[i] += h does not.",
        prop="no_mutation",
    ),
)

ASSIGNMENT = Assignment(
    name="hw3",
    problems=(
        Problem("p1", P1, "the text's loss, gradient, Hessian and critical set (SymPy)", 40, preload=("sympy",)),
        Problem("p2", P2, "classify a critical point, escape a saddle", 35, preload=("sympy",)),
        Problem("p3", P3, "the Hessian by central differences", 25),
    ),
    checks=P1_CHECKS + P2_CLASSIFY + P2_ESCAPE + P3_CHECKS,
    callables=callables_source(CALLABLES),
)
ASSIGNMENT.validate()
