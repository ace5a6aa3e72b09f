"""Tests of the hw3 reference solutions (critical points and the Hessian, `001` §3.1) against independent naive
implementations written here.

- p1 (SymPy): the loss, gradient and Hessian against the text's hand-derived formulas (eq. 3.6–3.8), exactly at
  random rational points, and against finite differences of the loss; the critical set judged by meaning.
- p2 and p3 (numeric): on every array backend at hand, as in ``test_reference_hw1.py`` (``numpy``,
  ``array_api_strict`` on its CPU device and on its second device ``device1``, ``torch`` CPU tensors when torch is
  installed, ``cupy`` when CuPy is usable; skipped with the reason otherwise). The eigenvalues and eigenvectors of
  the naive versions come from a cyclic Jacobi eigen-solver written with loops below, not from a library.
- Every convention COURSE.md pins for hw3 (items 15–22) has its own assertion, and the text's own numbers are
  checked: H(0, 0) = [[0, −2], [−2, 0]], eigenvalues ±2, a saddle, escape along [1, 1]/√2, and the minima on
  w1 w2 = 1, where H has eigenvalues 0 and 2(w1² + w2²), are degenerate.
"""

import doctest
import math
import zlib

import numpy as np
import pytest
import sympy as sp

from solutions.hw3 import p1_symbolic as p1
from solutions.hw3 import p2_classify as p2
from solutions.hw3 import p3_numeric_hessian as p3
from source_lib.backend import to_host

# --------------------------------------------------------------------------------------------------
# backends (as in test_reference_hw1.py)


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def call_on(bk, fn, H, **kwargs):
    """fn(H on the backend), with H checked unchanged afterwards; the result back on the host."""
    before = np.array(H, copy=True)
    Hb = bk.to(H)
    result = fn(Hb, **kwargs)
    np.testing.assert_array_equal(to_host(Hb), before, err_msg="H was modified in place")
    return bk.host(result, f"{fn.__name__}(...)")


# --------------------------------------------------------------------------------------------------
# naive implementations, independent of the reference


def naive_L(w1, w2):
    """The text's eq. 3.6 with x = y = 1."""
    return (1 - w1 * w2) ** 2


def naive_grad(w1, w2):
    """The text's eq. 3.7, as printed."""
    return [2 * (1 - w1 * w2) * (-w2), 2 * (1 - w1 * w2) * (-w1)]


def naive_hess(w1, w2):
    """The text's eq. 3.8, as printed."""
    return [[2 * (-w2) * (-w2), -2 + 4 * w1 * w2], [-2 + 4 * w1 * w2, 2 * (-w1) * (-w1)]]


def jacobi_eigh(H, sweeps=100):
    """Eigenvalues and eigenvectors (columns of V) of the symmetric part of H by cyclic Jacobi rotations, in loops."""
    n = len(H)
    A = [[0.5 * (float(H[i][j]) + float(H[j][i])) for j in range(n)] for i in range(n)]
    V = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    scale = sum(A[i][j] ** 2 for i in range(n) for j in range(n))
    for _ in range(sweeps):
        off = sum(A[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= 1e-34 * scale or off == 0.0:
            break
        for p in range(n):
            for q in range(p + 1, n):
                if A[p][q] == 0.0:
                    continue
                theta = (A[q][q] - A[p][p]) / (2.0 * A[p][q])
                t = 1.0 if theta == 0 else math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # A <- A J
                    akp, akq = A[k][p], A[k][q]
                    A[k][p], A[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):  # A <- J^T A
                    apk, aqk = A[p][k], A[q][k]
                    A[p][k], A[q][k] = c * apk - s * aqk, s * apk + c * aqk
                for k in range(n):  # V <- V J
                    vkp, vkq = V[k][p], V[k][q]
                    V[k][p], V[k][q] = c * vkp - s * vkq, s * vkp + c * vkq
    return [A[i][i] for i in range(n)], V


def naive_classify(H, tol=1e-9):
    lam, _ = jacobi_eigh(H)
    n_pos = n_neg = n_zero = 0
    for x in lam:
        if x > tol:
            n_pos += 1
        elif x < -tol:
            n_neg += 1
        else:
            n_zero += 1
    if n_pos > 0 and n_neg > 0:
        return "saddle"
    if n_zero > 0:
        return "degenerate"
    return "local_min" if n_pos > 0 else "local_max"


def naive_lambda_min(H):
    lam, V = jacobi_eigh(H)
    k = min(range(len(lam)), key=lambda i: lam[i])
    return lam[k], [V[i][k] for i in range(len(lam))]


def naive_numeric_hessian(f, theta, h=1e-4):
    """The central stencils of COURSE.md item 22, on lists of Python floats."""
    theta = [float(t) for t in theta]
    d = len(theta)

    def at(*steps):
        t = list(theta)
        for i, s in steps:
            t[i] = t[i] + s
        return float(f(np.array(t)))

    H = [[0.0] * d for _ in range(d)]
    for i in range(d):
        H[i][i] = (at((i, h)) - 2.0 * at() + at((i, -h))) / (h * h)
    for i in range(d):
        for j in range(d):
            if i != j:
                H[i][j] = (at((i, h), (j, h)) - at((i, h), (j, -h)) - at((i, -h), (j, h)) + at((i, -h), (j, -h))) / (
                    4.0 * h * h
                )
    return np.array(H)


def random_symmetric(rng, eigenvalues):
    """Q diag(λ) Qᵀ with a random orthogonal Q."""
    n = len(eigenvalues)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    H = Q @ np.diag(eigenvalues) @ Q.T
    return (H + H.T) / 2


def random_spectrum(rng, kind, n):
    """Eigenvalues of the given kind, nonzero ones in ±[0.1, 5], "zero" ones exactly 0."""
    mag = rng.uniform(0.1, 5.0, size=n)
    if kind == "local_min":
        return mag
    if kind == "local_max":
        return -mag
    signs = rng.choice([-1.0, 1.0], size=n)
    if kind == "saddle":  # both signs, maybe a zero too
        signs[0], signs[1] = 1.0, -1.0
        if n > 2 and rng.random() < 0.5:
            signs[2] = 0.0
    else:  # degenerate: one sign only, at least one zero
        signs[:] = rng.choice([-1.0, 1.0])
        signs[: rng.integers(1, n + 1)] = 0.0
    return rng.permutation(mag * signs)


# ==================================================================================================
# p1 — symbolic

W1, W2 = sp.symbols("w1 w2")
SYMBOL_PAIRS = [
    sp.symbols("w1 w2"),
    sp.symbols("a b"),
    sp.symbols("u v", real=True),
    sp.symbols("p q", positive=True),
]


def _nonzero_denominators(rng, count):
    pts = []
    while len(pts) < count:
        a, b, c, d = (int(v) for v in rng.integers(-9, 10, 4))
        if c and d:
            pts.append((sp.Rational(a, c), sp.Rational(b, d)))
    return pts


@pytest.mark.parametrize("w", SYMBOL_PAIRS, ids=lambda w: " ".join(map(str, w)))
def test_loss_expr_is_the_texts_loss(w):
    w1, w2 = w
    L = p1.loss_expr(w1, w2)
    assert isinstance(L, sp.Expr)
    assert L.free_symbols == {w1, w2}  # built in the given Symbols (item 15)
    assert sp.expand(L - naive_L(w1, w2)) == 0
    for a, b in _nonzero_denominators(rng_for("loss", str(w)), 40):
        assert L.subs({w1: a, w2: b}) == naive_L(a, b)


def test_loss_has_no_half():
    # item 16: L = (1 − w1 w2)², so L(0, 0) = 1 and L(1, 3) = 4 (with a ½: 1/2 and 2)
    assert p1.loss_expr(W1, W2).subs({W1: 0, W2: 0}) == 1
    assert p1.loss_expr(W1, W2).subs({W1: 1, W2: 3}) == 4


@pytest.mark.parametrize("w", SYMBOL_PAIRS, ids=lambda w: " ".join(map(str, w)))
def test_gradient_expr_matches_the_text(w):
    w1, w2 = w
    g = p1.gradient_expr(w1, w2)
    assert type(g) is list and len(g) == 2  # item 17: a Python list [∂L/∂w1, ∂L/∂w2]
    for gi, ni in zip(g, naive_grad(w1, w2), strict=True):
        assert sp.expand(gi - ni) == 0
    for a, b in _nonzero_denominators(rng_for("grad", str(w)), 40):
        assert [gi.subs({w1: a, w2: b}) for gi in g] == naive_grad(a, b)


def test_gradient_matches_finite_differences_of_the_loss():
    L = sp.lambdify((W1, W2), p1.loss_expr(W1, W2))
    g = sp.lambdify((W1, W2), p1.gradient_expr(W1, W2))
    h = 1e-6
    for a, b in rng_for("grad fd").uniform(-2, 2, (30, 2)):
        fd = [(L(a + h, b) - L(a - h, b)) / (2 * h), (L(a, b + h) - L(a, b - h)) / (2 * h)]
        np.testing.assert_allclose(g(a, b), fd, rtol=1e-6, atol=1e-6)


def test_gradient_order_and_factor_2():
    # item 17: w1's component first; the chain rule's factor 2 kept: at (2, 3), 2·(1 − 6)·(−3) = 30, 2·(1 − 6)·(−2) = 20
    assert [gi.subs({W1: 2, W2: 3}) for gi in p1.gradient_expr(W1, W2)] == [30, 20]


@pytest.mark.parametrize("w", SYMBOL_PAIRS, ids=lambda w: " ".join(map(str, w)))
def test_hessian_expr_matches_the_text(w):
    w1, w2 = w
    H = p1.hessian_expr(w1, w2)
    assert isinstance(H, sp.MatrixBase) and H.shape == (2, 2)  # item 18
    naive = naive_hess(w1, w2)
    for i in range(2):
        for j in range(2):
            assert sp.expand(H[i, j] - naive[i][j]) == 0
    assert sp.expand(H[0, 1] - H[1, 0]) == 0
    for a, b in _nonzero_denominators(rng_for("hess", str(w)), 40):
        assert H.subs({w1: a, w2: b}) == sp.Matrix(naive_hess(a, b))


def test_hessian_mixed_entry_uses_the_product_rule():
    # eq. 3.8: H_12 = −2 + 4 w1 w2 (not 2 w1 w2, not −2)
    assert sp.expand(p1.hessian_expr(W1, W2)[0, 1] - (-2 + 4 * W1 * W2)) == 0


def test_hessian_matches_second_differences_of_the_loss():
    L = sp.lambdify((W1, W2), p1.loss_expr(W1, W2))
    H = sp.lambdify((W1, W2), p1.hessian_expr(W1, W2))
    h = 1e-4
    for a, b in rng_for("hess fd").uniform(-2, 2, (30, 2)):
        fd = [
            [(L(a + h, b) - 2 * L(a, b) + L(a - h, b)) / h**2, 0.0],
            [0.0, (L(a, b + h) - 2 * L(a, b) + L(a, b - h)) / h**2],
        ]
        fd[0][1] = fd[1][0] = (L(a + h, b + h) - L(a + h, b - h) - L(a - h, b + h) + L(a - h, b - h)) / (4 * h**2)
        np.testing.assert_allclose(np.array(H(a, b), dtype=float), fd, rtol=1e-5, atol=1e-5)


def test_the_texts_hessian_at_the_origin():
    H0 = p1.hessian_expr(W1, W2).subs({W1: 0, W2: 0})
    assert H0 == sp.Matrix([[0, -2], [-2, 0]])  # eq. 3.9
    assert H0.eigenvals() == {2: 1, -2: 1}


def _covers(solutions, point):
    """Whether some solution family holds the point {w1: a, w2: b}."""
    for s in solutions:
        if all(sp.simplify(expr.subs(point) - point[k]) == 0 for k, expr in s.items()):
            return True
    return False


def test_critical_points_zero_the_gradient_and_cover_the_critical_set():
    sols = p1.critical_points()
    assert type(sols) is list and sols and all(isinstance(s, dict) for s in sols)
    for s in sols:  # item 15: the keys are the plain symbols w1, w2 (matched by name)
        assert set(s) <= {W1, W2}
        assert {str(k) for k in s} <= {"w1", "w2"}
    for s in sols:  # every solution zeroes the gradient (substituted, it simplifies to 0 identically)
        assert all(sp.simplify(gi.subs(s)) == 0 for gi in naive_grad(W1, W2)), s
    # item 19: the origin and every point of w1 w2 = 1
    assert {W1: 0, W2: 0} in sols
    assert _covers(sols, {W1: 0, W2: 0})
    for t in [sp.Rational(1, 3), sp.Rational(-5, 2), 2, -1, sp.Rational(7, 9)]:
        assert _covers(sols, {W1: t, W2: 1 / t}), t
    # and nothing else: a point off the critical set is held by no solution
    assert not _covers(sols, {W1: 1, W2: 2})
    assert not _covers(sols, {W1: 0, W2: 1})


def test_critical_points_is_what_sympy_solve_gives():
    # item 19's form: [{w1: 0, w2: 0}, {w1: 1/w2}] in any order
    sols = p1.critical_points()
    assert len(sols) == 2
    assert {W1: 0, W2: 0} in sols
    assert {W1: 1 / W2} in sols or {W2: 1 / W1} in sols


def test_the_texts_minima_have_a_zero_eigenvalue():
    # on w1 w2 = 1 (the text's "另外两排点"): L = 0 and H has eigenvalues 0 and 2(w1² + w2²)
    t = sp.Symbol("t", nonzero=True)
    on_curve = {W1: t, W2: 1 / t}
    assert sp.simplify(p1.loss_expr(W1, W2).subs(on_curve)) == 0
    H = p1.hessian_expr(W1, W2).subs(on_curve)
    assert sp.simplify(H.det()) == 0
    assert sp.simplify(H.trace() - 2 * (t**2 + 1 / t**2)) == 0


# ==================================================================================================
# p2 — classify_critical_point, escape_direction


KINDS = ["local_min", "local_max", "saddle", "degenerate"]


def test_jacobi_helper_is_right():
    # the naive solver itself, once, against the constructed spectrum
    rng = rng_for("jacobi")
    for n in range(1, 7):
        lam = rng.normal(size=n)
        H = random_symmetric(rng, lam)
        got, V = jacobi_eigh(H.tolist())
        np.testing.assert_allclose(sorted(got), sorted(lam), atol=1e-12)
        np.testing.assert_allclose(np.array(H) @ np.array(V), np.array(V) * np.array(got), atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_classify_matches_naive_on_random_matrices(bk, kind):
    rng = rng_for("classify", kind)
    for trial in range(25):
        n = int(rng.integers(1 if kind in ("local_min", "local_max") else 2, 7))
        H = random_symmetric(rng, random_spectrum(rng, kind, n))
        got = call_on(bk, p2.classify_critical_point, H)
        assert got == kind == naive_classify(H.tolist()), (trial, n, np.linalg.eigvalsh(H))


def test_classify_accepts_lists_and_sympy_matrices():
    # item 20: a NumPy array, a nested list or a SymPy Matrix
    assert p2.classify_critical_point([[0.0, -2.0], [-2.0, 0.0]]) == "saddle"
    assert p2.classify_critical_point([[3, 1], [1, 2]]) == "local_min"
    assert p2.classify_critical_point(sp.Matrix([[0, -2], [-2, 0]])) == "saddle"
    assert p2.classify_critical_point(sp.Matrix([[-3, 1], [1, sp.Rational(-1, 2)]])) == "local_max"
    assert p2.classify_critical_point(sp.Matrix([[2, 2], [2, 2]])) == "degenerate"


def test_classify_symmetrizes_first(bk):
    # item 20: (H + Hᵀ)/2 = [[1, 1], [1, 1]], eigenvalues 0 and 2 (degenerate); eigvalsh of the lower triangle alone
    # would see [[1, 5], [5, 1]] and of the upper one [[1, −3], [−3, 1]], both saddles
    H = np.array([[1.0, -3.0], [5.0, 1.0]])
    assert call_on(bk, p2.classify_critical_point, H) == "degenerate" == naive_classify(H.tolist())
    assert call_on(bk, p2.escape_direction, H) is None


def test_classify_tolerance_is_1e_9_absolute(bk):
    # item 20: |λ| ≤ 1e-9 is zero; 3e-9 is already positive (np.isclose's atol 1e-8 would call it zero)
    cases = [
        ([1e-10, 1.0], "degenerate"),
        ([-5e-10, 1.0], "degenerate"),
        ([3e-9, 1.0], "local_min"),
        ([1e-8, 2.0], "local_min"),
        ([-3e-9, -1.0], "local_max"),
        ([-3e-9, 1.0], "saddle"),
    ]
    rng = rng_for("tol")
    for lam, kind in cases:
        assert call_on(bk, p2.classify_critical_point, np.diag(lam)) == kind, lam
        assert call_on(bk, p2.classify_critical_point, random_symmetric(rng, lam)) == kind, lam


def test_classify_tol_argument(bk):
    H = np.diag([1e-4, 1.0])
    assert call_on(bk, p2.classify_critical_point, H) == "local_min"
    assert call_on(bk, p2.classify_critical_point, H, tol=1e-3) == "degenerate"


def test_classify_saddle_wins_over_a_zero_eigenvalue(bk):
    # item 20: some λ > tol and some λ < −tol is a saddle even when another λ is 0
    rng = rng_for("saddle zero")
    for lam in ([-1.0, 0.0, 1.0], [0.0, 0.0, -2.0, 3.0], [-0.5, 4.0, 0.0]):
        H = random_symmetric(rng, lam)
        assert call_on(bk, p2.classify_critical_point, H) == "saddle" == naive_classify(H.tolist())


def test_classify_semidefinite_is_degenerate_not_an_extremum(bk):
    # item 20: a zero eigenvalue is not a positive (or negative) one
    assert call_on(bk, p2.classify_critical_point, np.diag([0.0, 2.0])) == "degenerate"
    assert call_on(bk, p2.classify_critical_point, np.diag([0.0, -2.0])) == "degenerate"
    assert call_on(bk, p2.classify_critical_point, np.zeros((3, 3))) == "degenerate"


def test_classify_one_by_one(bk):
    for value, kind in [(3.0, "local_min"), (-3.0, "local_max"), (0.0, "degenerate")]:
        assert call_on(bk, p2.classify_critical_point, np.array([[value]])) == kind


def test_classify_refuses_non_square():
    for bad in (np.ones((2, 3)), np.ones(3), np.ones((2, 2, 2))):
        with pytest.raises(ValueError):
            p2.classify_critical_point(bad)
        with pytest.raises(ValueError):
            p2.escape_direction(bad)


def test_the_texts_saddle_at_the_origin(bk):
    H0 = np.array([[0.0, -2.0], [-2.0, 0.0]])  # eq. 3.9
    np.testing.assert_allclose(np.linalg.eigvalsh(H0), [-2.0, 2.0], atol=1e-15)
    assert call_on(bk, p2.classify_critical_point, H0) == "saddle"
    u = call_on(bk, p2.escape_direction, H0)
    np.testing.assert_allclose(u, np.array([1.0, 1.0]) / math.sqrt(2.0), rtol=0, atol=1e-15)
    # eq. 3.10–3.11: moving along u lowers the loss; the gradient at the origin is 0, so the quadratic term decides
    for t in (1e-3, 0.1, 0.5):
        assert p3.text_loss(t * u) < p3.text_loss(np.zeros(2))
    assert u @ H0 @ u == pytest.approx(-2.0, abs=1e-14)


def test_the_texts_minima_are_degenerate(bk):
    # eq. 3.8 on w1 w2 = 1: eigenvalues 0 and 2(w1² + w2²); the second-order test cannot decide there
    for t in rng_for("minima").uniform(0.2, 5.0, 20) * rng_for("minima sign").choice([-1.0, 1.0], 20):
        H = np.array(naive_hess(t, 1.0 / t))
        lam, _ = jacobi_eigh(H.tolist())
        np.testing.assert_allclose(sorted(lam), [0.0, 2.0 * (t * t + 1.0 / (t * t))], atol=1e-12, rtol=1e-12)
        assert call_on(bk, p2.classify_critical_point, H) == "degenerate"
        assert call_on(bk, p2.escape_direction, H) is None


@pytest.mark.parametrize("kind", KINDS)
def test_escape_direction_matches_naive_on_random_matrices(bk, kind):
    rng = rng_for("escape", kind)
    for trial in range(25):
        n = int(rng.integers(1 if kind in ("local_min", "local_max") else 2, 7))
        H = random_symmetric(rng, random_spectrum(rng, kind, n))
        lam_min, v = naive_lambda_min(H.tolist())
        u = call_on(bk, p2.escape_direction, H)
        if lam_min >= -1e-9:
            assert u is None, (trial, lam_min)
            continue
        assert isinstance(u, np.ndarray) and u.dtype == np.float64 and u.shape == (n,)
        assert abs(np.linalg.norm(u) - 1.0) < 1e-12  # item 21: unit length
        np.testing.assert_allclose(H @ u, lam_min * u, atol=1e-10)  # an eigenvector of λ_min
        # the spectra here have a simple λ_min, so u = ±v; the sign: the first component with |c| > 1e-12 is > 0
        first = next(c for c in u if abs(c) > 1e-12)
        assert first > 0
        sign = 1.0 if next(c for c in v if abs(c) > 1e-12) > 0 else -1.0
        np.testing.assert_allclose(u, sign * np.array(v), atol=1e-9)


def test_escape_direction_is_for_the_most_negative_eigenvalue(bk):
    # item 21: λ_min, not the largest eigenvalue, nor the first negative one found
    H = np.diag([-0.5, 3.0, -4.0, 1.0])
    np.testing.assert_array_equal(np.abs(call_on(bk, p2.escape_direction, H)), [0.0, 0.0, 1.0, 0.0])


def test_escape_direction_none_when_nothing_is_negative(bk):
    # item 21: None when λ_min ≥ −1e-9 (definite, semidefinite, or a negative eigenvalue within the tolerance)
    for lam in ([1.0, 2.0], [0.0, 2.0], [-5e-10, 1.0], [0.0, 0.0]):
        assert call_on(bk, p2.escape_direction, np.diag(lam)) is None, lam
    assert call_on(bk, p2.escape_direction, np.diag([-3e-9, 1.0])) is not None


def test_escape_direction_also_for_maxima_and_degenerate_points(bk):
    # a local maximum and a degenerate point with a negative eigenvalue both have a descent direction
    np.testing.assert_allclose(call_on(bk, p2.escape_direction, np.diag([-1.0, -2.0])), [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(call_on(bk, p2.escape_direction, np.diag([0.0, -1.0])), [0.0, 1.0], atol=1e-15)


def test_escape_direction_sign_skips_zero_components(bk):
    # item 21: the first component with |c| > 1e-12 is positive; here the first component is 0
    H = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -2.0], [0.0, -2.0, 0.0]])
    u = call_on(bk, p2.escape_direction, H)
    np.testing.assert_allclose(u, [0.0, 1.0 / math.sqrt(2.0), 1.0 / math.sqrt(2.0)], atol=1e-15)
    # and the sign is fixed whatever sign the eigen-solver returns: λ_min's eigenvector v = [cos a, sin a] in every
    # quadrant comes back as v if cos a > 0, else −v
    for a in (0.3, 2.0, 3.5, 5.0):
        c, s = math.cos(a), math.sin(a)
        R = np.array([[c, -s], [s, c]])
        u = call_on(bk, p2.escape_direction, R @ np.diag([-1.0, 2.0]) @ R.T)
        np.testing.assert_allclose(u, np.sign(c) * np.array([c, s]), atol=1e-12)


def test_escape_direction_repeated_lambda_min(bk):
    # item 21 (grader): with λ_min repeated any unit vector of its eigenspace is right; the reference gives one
    rng = rng_for("repeated")
    for _ in range(10):
        Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        H = Q @ np.diag([-2.0, -2.0, 1.0, 3.0]) @ Q.T
        H = (H + H.T) / 2
        u = call_on(bk, p2.escape_direction, H)
        assert abs(np.linalg.norm(u) - 1.0) < 1e-12
        np.testing.assert_allclose(H @ u, -2.0 * u, atol=1e-10)


def test_escape_direction_from_lists_and_sympy():
    expected = np.array([1.0, 1.0]) / math.sqrt(2.0)
    for H in ([[0, -2], [-2, 0]], sp.Matrix([[0, -2], [-2, 0]]), np.array([[0, -2], [-2, 0]])):
        u = p2.escape_direction(H)
        assert isinstance(u, np.ndarray) and u.dtype == np.float64
        np.testing.assert_allclose(u, expected, atol=1e-15)


def test_p2_float32_input_gives_float64(bk):
    H = np.array([[0.0, -2.0], [-2.0, 0.0]], dtype=np.float32)
    u = call_on(bk, p2.escape_direction, H)
    assert u.dtype == np.float64
    assert call_on(bk, p2.classify_critical_point, H) == "saddle"


# ==================================================================================================
# p3 — numeric_hessian

# test functions f(θ) written for any array library (operators only, plus math on floats), with their exact Hessians
# (computed here by hand, independent of any stencil)


def _quadratic(A, b):
    def f(t):
        return float(0.5 * sum(A[i, j] * float(t[i]) * float(t[j]) for i in range(len(b)) for j in range(len(b))))

    return f, lambda t: (A + A.T) / 2


def _sin_cos(t):
    x = [float(v) for v in t]
    return math.sin(x[0]) * math.cos(x[-1]) + sum(0.3 * v**3 for v in x)


def _sin_cos_hess(t):
    x = [float(v) for v in t]
    d = len(x)
    H = np.zeros((d, d))
    s0, c0 = math.sin(x[0]), math.cos(x[0])
    sl, cl = math.sin(x[-1]), math.cos(x[-1])
    for i in range(d):
        H[i, i] += 1.8 * x[i]
    if d == 1:
        H[0, 0] += -4.0 * s0 * c0  # sin x cos x = ½ sin 2x: second derivative −2 sin 2x
        return H
    H[0, 0] += -s0 * cl
    H[d - 1, d - 1] += -s0 * cl
    H[0, d - 1] += -c0 * sl
    H[d - 1, 0] += -c0 * sl
    return H


def _exp_sum(t):
    x = [float(v) for v in t]
    return math.exp(0.5 * sum((i + 1) * 0.3 * v for i, v in enumerate(x)))


def _exp_sum_hess(t):
    x = [float(v) for v in t]
    a = np.array([(i + 1) * 0.15 for i in range(len(x))])
    return math.exp(float(a @ np.array(x))) * np.outer(a, a)


def _text_loss_hess(t):
    return np.array(naive_hess(float(t[0]), float(t[1])))


def smooth_functions(rng, d):
    A = rng.normal(size=(d, d))
    return [
        ("quadratic", *_quadratic(A, np.zeros(d))),
        ("sin cos cubic", _sin_cos, _sin_cos_hess),
        ("exp", _exp_sum, _exp_sum_hess),
    ] + ([("text loss", p3.text_loss, _text_loss_hess)] if d == 2 else [])


def hessian_on(bk, f, theta, **kwargs):
    before = np.array(theta, copy=True)
    tb = bk.to(theta)
    H = p3.numeric_hessian(f, tb, **kwargs)
    np.testing.assert_array_equal(to_host(tb), before, err_msg="theta was modified in place")
    return bk.host(H, "numeric_hessian(...)")


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_numeric_hessian_matches_naive_stencil_and_the_exact_hessian(bk, d):
    rng = rng_for("nh", d)
    for name, f, exact in smooth_functions(rng, d):
        for _ in range(4):
            theta = rng.uniform(-2.0, 2.0, size=d)
            H = hessian_on(bk, f, theta)
            assert H.shape == (d, d) and H.dtype == np.float64
            np.testing.assert_array_equal(H, H.T, err_msg="not exactly symmetric")  # item 22
            np.testing.assert_allclose(H, naive_numeric_hessian(f, theta), rtol=1e-12, atol=1e-9, err_msg=name)
            E = exact(theta)
            # item 22 (grader): within O(h²) plus rounding of the analytic Hessian
            np.testing.assert_allclose(H, E, rtol=0, atol=1e-5 * max(1.0, float(np.abs(E).max())), err_msg=name)


def test_numeric_hessian_of_the_texts_loss_at_the_origin(bk):
    H = hessian_on(bk, p3.text_loss, np.zeros(2))
    np.testing.assert_allclose(H, [[0.0, -2.0], [-2.0, 0.0]], atol=1e-7)  # eq. 3.9
    assert p2.classify_critical_point(H) == "saddle"
    np.testing.assert_allclose(p2.escape_direction(H), np.array([1.0, 1.0]) / math.sqrt(2.0), atol=1e-7)


def test_numeric_hessian_stencils_are_central(bk):
    # item 22: with f = θ⁴ at 0 the central diagonal stencil gives exactly 2h² (a forward one 14h²)
    for h in (0.1, 0.05):
        H = hessian_on(bk, lambda t: float(t[0]) ** 4, np.zeros(1), h=h)
        assert H[0, 0] == pytest.approx(2 * h**2, rel=1e-9)
    # the error is O(h²): halving h quarters it (for exp, f'''' ≠ 0; a one-sided stencil would only halve it)
    theta = np.array([0.4, -0.3])
    E = _exp_sum_hess(theta)
    err = [np.abs(hessian_on(bk, _exp_sum, theta, h=h) - E).max() for h in (2e-2, 1e-2)]
    assert 3.5 < err[0] / err[1] < 4.5, err


def test_numeric_hessian_off_diagonal_divides_by_4h2(bk):
    # item 22: f = θ1 θ2 + θ1² has H = [[2, 1], [1, 0]] exactly (up to rounding), for any h
    for h in (1e-4, 0.5):
        H = hessian_on(bk, lambda t: float(t[0]) * float(t[1]) + float(t[0]) ** 2, np.array([0.3, -1.2]), h=h)
        np.testing.assert_allclose(H, [[2.0, 1.0], [1.0, 0.0]], atol=1e-7)


def test_numeric_hessian_counts_2d2_plus_1_evaluations():
    # the module docstring's cost: 2d + 1 evaluations for the diagonal, 4 per pair i < j
    for d in (1, 2, 4):
        calls = []
        p3.numeric_hessian(lambda t, calls=calls: calls.append(1) or 0.0, np.zeros(d))
        assert len(calls) == 2 * d * d + 1


def test_numeric_hessian_never_hands_theta_itself_to_f():
    theta = np.array([0.5, -0.25, 2.0])
    before = theta.copy()

    def f(t):
        value = float(np.sum(t**2))
        t[...] = 99.0  # a function that scribbles on its argument
        return value

    H = p3.numeric_hessian(f, theta)
    np.testing.assert_array_equal(theta, before)
    np.testing.assert_allclose(H, 2.0 * np.eye(3), atol=1e-6)


def test_numeric_hessian_integer_and_float32_theta_give_float64(bk):
    for theta in (np.array([1, 2]), np.array([1.0, 2.0], dtype=np.float32)):
        H = hessian_on(bk, lambda t: float(t[0]) ** 2 * float(t[1]), theta)
        assert H.dtype == np.float64
        np.testing.assert_allclose(H, [[4.0, 2.0], [2.0, 0.0]], atol=1e-6)


def test_numeric_hessian_refuses_bad_arguments():
    with pytest.raises(ValueError):
        p3.numeric_hessian(p3.text_loss, np.zeros((2, 2)))
    for h in (0.0, -1e-4, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            p3.numeric_hessian(p3.text_loss, np.zeros(2), h=h)


# ==================================================================================================
# docstrings: every worked example runs and prints what it says; every part is there

MODULES = [p1, p2, p3]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstrings_have_the_required_parts(module):
    doc = module.__doc__
    assert "Original text" in doc and "English statement" in doc and "What real student code gets wrong" in doc
    assert "points)" in doc.splitlines()[0]
    public = [
        v
        for k, v in vars(module).items()
        if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
    ]
    assert public
    for fn in public:
        assert fn.__doc__ and "Example" in fn.__doc__ and ">>>" in fn.__doc__, fn.__name__
        if fn is not p3.text_loss:  # the given helper is not graded
            assert "Convention:" in fn.__doc__, fn.__name__


def test_points_add_up_to_100():
    import re

    import solutions.hw3 as hw3

    per_module = [int(re.search(r"\((\d+) points\)", m.__doc__.splitlines()[0]).group(1)) for m in MODULES]
    assert sum(per_module) == 100
    assert f"p1 {per_module[0]}, p2 {per_module[1]}, p3 {per_module[2]}" in " ".join(hw3.__doc__.split())
