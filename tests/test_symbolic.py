"""Symbolic answers: the srepr allow-list parser, equivalence by value, and asymptotic equivalence of counts."""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import time

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import symbolic, symbolic_worker
from autograder.assignments.hw1 import SIGMOID
from autograder.checks import parent_only
from autograder.symbolic import AnswerError, asymptotically_equivalent, equivalent, parse_srepr

x = sp.Symbol("x")
n, L = sp.symbols("n L", positive=True, integer=True)
SIGMA = 1 / (1 + sp.exp(-x))
SIGMA_PRIME = sp.exp(-x) / (1 + sp.exp(-x)) ** 2


#: hw1's symbolic aliases (σ as sigma, sigmoid, σ, logistic) as the worker receives them with each request.
FUNCTIONS = symbolic.definitions(SIGMOID)


def reparse(expr):
    """What the worker rebuilds from the child's ``srepr`` text, with hw1's aliases."""
    return parse_srepr(sp.srepr(expr), {k: parse_srepr(v) for k, v in FUNCTIONS.items()})


class Overtime(BaseException):  # not an Exception: no ``except Exception`` in the code under test may eat it
    pass


def within(seconds: float, fn, *args):
    """``(finished, result)`` of ``fn(*args)``, interrupted after ``seconds`` (pure-Python SymPy work).

    The interrupt is swallowed here, so a test fails on a plain assertion instead of hanging (and pytest never
    has to format a traceback taken in the middle of SymPy).
    """

    def on_alarm(signum, frame):
        raise Overtime()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return True, fn(*args)
    except Overtime:
        return False, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- parse_srepr: round trips ----------------------------------------------------------------------------

i_, j_ = sp.symbols("i j", integer=True)
y_pos = sp.Symbol("y", positive=True)
k_nonneg_int = sp.Symbol("k", nonnegative=True, integer=True)

ROUND_TRIP = {
    "poly": 3 * x**3 - 2 * x + sp.Rational(1, 2),
    "poly2": (n + 1) ** 2 * L - 4 * n * L**2 + 7,
    "exp_log": sp.exp(-x) * sp.log(1 + x**2) - sp.log(2) / x,
    "sqrt_trig": sp.sqrt(1 + sp.tanh(x) ** 2) + sp.sin(x) * sp.cos(2 * x) + sp.cosh(x / 2) ** -2,
    "piecewise": sp.Piecewise((x, x > 0), (sp.Rational(1, 100) * x, True)),
    "piecewise_relu_grad": sp.Piecewise((1, sp.Gt(x, 0)), (0, sp.Le(x, 0))),
    "kronecker": sp.KroneckerDelta(i_, j_) - sp.exp(x) / (sp.exp(x) + 2),
    "rational_float": sp.Rational(-3, 7) * x + sp.Float("0.25") + sp.Float("1e-30") * x**2,
    "float_high_precision": sp.Float("0.1", 30) * x,
    "assumptions": y_pos**2 + sp.sqrt(y_pos) + k_nonneg_int,
    "max_abs_heaviside": sp.Max(x, 0) + sp.Abs(x - 1) + sp.Heaviside(x) + sp.sign(x),
    "constants": sp.pi * x + sp.E - sp.oo * 0 + sp.S.Half,
    "big_ok_numbers": sp.Integer(10**29) * x**1000,
}


@pytest.mark.parametrize("expr", list(ROUND_TRIP.values()), ids=list(ROUND_TRIP))
def test_srepr_round_trip(expr):
    got = reparse(expr)
    assert got == expr
    assert sp.srepr(got) == sp.srepr(expr)


def test_symbol_assumptions_survive():
    got = reparse(y_pos + k_nonneg_int)
    by_name = {s.name: s for s in got.free_symbols}
    assert by_name["y"].is_positive is True
    assert by_name["k"].is_integer is True and by_name["k"].is_nonnegative is True
    assert sp.Symbol("y") not in got.free_symbols  # the plain symbol is another symbol


@pytest.mark.parametrize("name", ["sigma", "sigmoid", "σ", "logistic"])
def test_sigma_function_becomes_the_logistic(name):
    f = sp.Function(name)
    got = reparse(f(x) * (1 - f(x)))
    assert got == SIGMA * (1 - SIGMA)
    assert not got.atoms(sp.core.function.AppliedUndef)


def test_sigma_is_unknown_without_the_assignment_s_aliases():
    with pytest.raises(AnswerError, match="unknown function sigma"):
        parse_srepr(sp.srepr(sp.Function("sigma")(x)))
    text = sp.srepr(sp.Function("sigma")(x) * (1 - sp.Function("sigma")(x)))
    assert not symbolic_worker.equivalent(text, sp.srepr(SIGMA_PRIME), [sp.srepr(x)], 1).ok
    assert symbolic_worker.equivalent(text, sp.srepr(SIGMA_PRIME), [sp.srepr(x)], 1, functions=FUNCTIONS).ok


def test_moderately_nested_answer_is_read():
    text = "Add(" * 100 + "Symbol('x')" + ", Integer(1))" * 100
    assert parse_srepr(text) == x + 100


# -- parse_srepr: rejections -----------------------------------------------------------------------------


@pytest.fixture
def no_side_effects(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    monkeypatch.setattr(symbolic.sp, "sympify", lambda *a, **k: calls.append(a))
    yield calls
    assert calls == [], "the parser ran something"


HOSTILE = {
    "import": "__import__('os').system('echo hi')",
    "attribute": "Symbol('x').__class__",
    "dunder_chain": "Symbol('x').__class__.__mro__[1].__subclasses__()",
    "lambda": "lambda: Symbol('x')",
    "lambda_call": "(lambda: __import__('os'))()",
    "eval": "eval('1')",
    "name": "os",
    "unknown_ctor": "Integral(Symbol('x'), Symbol('x'))",
    "sympify": "sympify('x')",
    "subscript": "Tuple(Integer(1))[0]",
    "binop": "Symbol('x') + Symbol('y')",
    "comprehension": "[Symbol('x') for _ in range(3)]",
    "walrus": "(a := Integer(1))",
    "fstring": "f'{Integer(1)}'",
    "starred": "Add(*[Integer(1)])",
    "kwargs_splat": "Symbol('x', **{'positive': True})",
    "bad_assumption": "Symbol('x', evaluate=False)",
    "unknown_function": "Function('f')(Symbol('x'))",
    "function_not_applied": "Function('sigma')",
    "statement": "import os",
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_text_is_an_answer_error(text, no_side_effects):
    with pytest.raises(AnswerError):
        parse_srepr(text)


def test_unknown_function_is_named():
    with pytest.raises(AnswerError, match=r"unknown function f\(\)"):
        parse_srepr("Function('f')(Symbol('x'))")


def test_name_outside_the_allow_list_is_named():
    with pytest.raises(AnswerError, match="Integral"):
        parse_srepr("Integral(Symbol('x'), Symbol('x'))")
    with pytest.raises(AnswerError, match="'os'"):
        parse_srepr("os")


def test_exponent_bound():
    assert parse_srepr("Pow(Symbol('x'), Integer(1000))") == x**1000
    assert parse_srepr("Pow(Symbol('x'), Integer(-1000))") == x**-1000
    for e in ("1001", "-1001", "1000000000"):
        with pytest.raises(AnswerError, match="exponent"):
            parse_srepr(f"Pow(Integer(10), Integer({e}))")


def test_integer_digit_bound():
    assert parse_srepr("Integer(" + "9" * 30 + ")") == 10**30 - 1
    with pytest.raises(AnswerError, match="too large"):
        parse_srepr("Integer(" + "1" * 31 + ")")
    with pytest.raises(AnswerError, match="too large"):
        parse_srepr("Integer(-" + "1" * 31 + ")")
    with pytest.raises(AnswerError, match="too large"):
        parse_srepr("Rational(1, " + "7" * 40 + ")")


def test_text_size_bound():
    text = "Symbol('" + "a" * 200_000 + "')"
    t0 = time.monotonic()
    with pytest.raises(AnswerError, match="sensible size"):
        parse_srepr(text)
    assert time.monotonic() - t0 < 0.5
    with pytest.raises(AnswerError, match="too long"):
        parse_srepr("Symbol('" + "a" * 201 + "')")
    with pytest.raises(AnswerError):
        parse_srepr(None)  # type: ignore[arg-type]


def test_node_count_bound():
    text = "Add(" + ", ".join(f"Symbol('x{k}')" for k in range(symbolic.MAX_NODES + 10)) + ")"
    assert len(text) < symbolic.MAX_SREPR_CHARS
    with pytest.raises(AnswerError, match="too large"):
        parse_srepr(text)


def test_deep_nesting_is_an_answer_error():
    with pytest.raises(AnswerError):
        parse_srepr("Add(" * 5000 + "Integer(1)" + ", Integer(1))" * 5000)  # too deep for the parser
    # parses, but rebuilding it recurses too deeply: the RecursionError must become an AnswerError
    with pytest.raises(AnswerError, match="nested too deeply"):
        parse_srepr("Integer(" + "-" * 2000 + "1)")


def test_non_expression_results_are_rejected():
    for text in ("'abc'", "1.5", "None", "Integer"):
        with pytest.raises(AnswerError):
            parse_srepr(text)


def test_malformed_constructor_calls_are_answer_errors():
    for text in (
        "Pow(Symbol('x'))",
        "exp(Integer(1), Integer(2))",
        "KroneckerDelta(Integer(1))",
        "Mul(Integer(2), 'a')",
        "Function('sigma')(Integer(1), Integer(2))",
        "Symbol(Integer(1))",
    ):
        with pytest.raises(AnswerError):
            parse_srepr(text)


MALFORMED_NUMBERS = {
    "int_of_text": "Integer('x')",
    "int_no_args": "Integer()",
    "int_of_symbol": "Integer(Symbol('x'))",
    "int_of_none": "Integer(None)",
    "rational_one_arg": "Rational(1)",
    "rational_text": "Rational(1, 'a')",
    "float_text": "Float('abc')",
    "float_no_args": "Float()",
    "float_bad_precision": "Float('1', precision='a')",
    "pow_raw_int_exponent": "Pow(Symbol('x'), 2)",
    "pow_str_exponent": "Pow(Symbol('x'), 'a')",
    "sin_of_tuple": "sin(Tuple())",
}


@pytest.mark.parametrize("text", list(MALFORMED_NUMBERS.values()), ids=list(MALFORMED_NUMBERS))
def test_malformed_numbers_are_answer_errors(text):
    with pytest.raises(AnswerError):
        parse_srepr(text)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "text", ["Add(true, Integer(1))", "Add(Symbol('x'), And(Symbol('a'), Symbol('b')))"], ids=["add-true", "add-and"]
)
def test_arithmetic_on_booleans_is_an_answer_error(text):
    with pytest.raises(AnswerError):
        expr = parse_srepr(text)
        str(expr)  # what the judge does with an answer when it words its message


def test_integer_digit_bound_holds_for_text_arguments():
    with pytest.raises(AnswerError):
        parse_srepr("Integer('" + "9" * 150 + "')")


def test_nested_powers_of_numbers_are_bounded():
    with pytest.raises(AnswerError):
        parse_srepr("Pow(Pow(Integer(10), Integer(1000)), Integer(1000))")  # = 10**1000000, computed


@pytest.mark.parametrize(
    "text",
    [
        "Pow(Pow(Add(Symbol('n'), Integer(1)), Integer(1000)), Integer(1000))",
        "Mul(" + ", ".join(["Pow(Add(Symbol('n'), Integer(1)), Integer(1000))"] * 20) + ")",
    ],
    ids=["nested", "product"],
)
def test_folded_powers_are_bounded(text):
    with pytest.raises(AnswerError):
        parse_srepr(text)


# -- equivalent ------------------------------------------------------------------------------------------

s = SIGMA
sig = sp.Function("sigma")(x)

SIGMA_PRIME_FORMS = {
    "s(1-s)": s * (1 - s),
    "exp-form": sp.exp(-x) / (1 + sp.exp(-x)) ** 2,
    "cosh": 1 / (4 * sp.cosh(x / 2) ** 2),
    "Function-sigma": sig * (1 - sig),
    "Function-sigma-minus-square": sig - sig**2,
    "exp(x)-form": sp.exp(x) / (1 + sp.exp(x)) ** 2,
}


@pytest.mark.parametrize("answer", list(SIGMA_PRIME_FORMS.values()), ids=list(SIGMA_PRIME_FORMS))
def test_sigma_prime_forms_are_equivalent(answer):
    verdict = equivalent(reparse(answer), SIGMA_PRIME, [x])
    assert verdict.ok, verdict.message
    assert verdict.message == "equivalent"


def test_symbol_with_other_assumptions_is_matched_by_name():
    xr = sp.Symbol("x", real=True)
    answer = (1 / (1 + sp.exp(-xr))) * (1 - 1 / (1 + sp.exp(-xr)))
    assert equivalent(reparse(answer), SIGMA_PRIME, [x]).ok


NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


@pytest.mark.parametrize(
    "answer", [-s * (1 - s), s * (1 + s), s * (1 - s) + sp.Rational(1, 10**6)], ids=["sign", "plus", "tiny-offset"]
)
def test_wrong_answer_fails_with_a_counterexample(answer):
    verdict = equivalent(reparse(answer), SIGMA_PRIME, [x])
    assert not verdict.ok
    assert "differs at x =" in verdict.message
    assert re.search(rf"differs at x = {NUMBER}: expected {NUMBER}, got {NUMBER}", verdict.message), verdict.message


def test_sign_error_shows_the_values():
    verdict = equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x])
    m = re.search(rf"differs at x = ({NUMBER}): expected ({NUMBER}), got ({NUMBER})", verdict.message)
    assert m, verdict.message
    at, want, got = float(m.group(1)), float(m.group(2)), float(m.group(3))
    assert want == pytest.approx(float(SIGMA_PRIME.subs(x, at)), rel=1e-3)
    assert got == pytest.approx(-want)


def test_stray_symbol_is_named():
    y = sp.Symbol("y")
    verdict = equivalent(reparse(s * (1 - s) + 0 * y + y - y + y**2 - y**2 + sp.Symbol("z")), SIGMA_PRIME, [x])
    assert not verdict.ok
    assert verdict.message == "the answer uses symbol(s) z; it may use only x"


def test_undefined_answer_fails():
    verdict = equivalent(reparse(sp.Piecewise((SIGMA_PRIME, x > 10))), SIGMA_PRIME, [x])
    assert not verdict.ok
    assert re.search(rf"differs at x = {NUMBER}: expected {NUMBER}, got undefined", verdict.message), verdict.message


def _log_softmax_grad(xs, i, j):
    return sp.KroneckerDelta(sp.Integer(i), sp.Integer(j)) - sp.exp(xs[j]) / sp.Add(*[sp.exp(t) for t in xs])


def _reference_log_softmax_grad(xs, i, j):  # the solution's form
    denom = sp.Add(*[sp.exp(t) for t in xs])
    return (1 if i == j else 0) - sp.exp(xs[j]) / denom


@pytest.mark.parametrize("C, i, j", [(3, 0, 0), (3, 0, 2), (4, 3, 1), (1, 0, 0), (4, 2, 2)])
def test_log_softmax_grad_with_kronecker_delta(C, i, j):
    xs = list(sp.symbols(f"x1:{C + 1}"))
    answer = reparse(_log_softmax_grad(xs, i, j))
    verdict = equivalent(answer, _reference_log_softmax_grad(xs, i, j), xs)
    assert verdict.ok, verdict.message
    # also in the softmax form: δ_ij - softmax_j
    softmax_j = sp.exp(xs[j] - xs[0]) / sp.Add(*[sp.exp(t - xs[0]) for t in xs])
    assert equivalent(reparse(sp.KroneckerDelta(i, j) - softmax_j), _reference_log_softmax_grad(xs, i, j), xs).ok


@pytest.mark.parametrize("C, i, j, ok", [(3, 0, 0, False), (3, 0, 2, True), (4, 1, 1, False)])
def test_log_softmax_grad_without_the_delta_is_wrong_exactly_when_i_equals_j(C, i, j, ok):
    xs = list(sp.symbols(f"x1:{C + 1}"))
    answer = reparse(-sp.exp(xs[j]) / sp.Add(*[sp.exp(t) for t in xs]))
    verdict = equivalent(answer, _reference_log_softmax_grad(xs, i, j), xs)
    assert verdict.ok is ok, verdict.message
    if not ok:
        assert "differs at x1 =" in verdict.message


def test_equivalent_is_deterministic_for_a_seed():
    a = equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x], seed=3).message
    assert a == equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x], seed=3).message
    assert a != equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x], seed=4).message


# -- asymptotically_equivalent ---------------------------------------------------------------------------

NL = [n, L]
EXACT = (2 * L - 1) * n**2 + 2 * L * n


def test_lower_order_terms_do_not_matter():
    verdict = asymptotically_equivalent(reparse(n**2 + n), n**2, NL)
    assert verdict.ok, verdict.message
    assert "the exact count under the stub's convention is n**2" in verdict.message


def test_leading_terms_in_n_then_l():
    verdict = asymptotically_equivalent(reparse(2 * L * n**2), EXACT, NL)
    assert verdict.ok, verdict.message
    assert "2*L*n**2 + 2*L*n - n**2" in verdict.message


def test_half_the_count_fails_with_the_ratio_and_the_exact_count():
    verdict = asymptotically_equivalent(reparse(L * n**2), EXACT, NL)
    assert not verdict.ok
    assert "→ 1/2" in verdict.message
    assert "the exact count under the stub's convention is 2*L*n**2 + 2*L*n - n**2" in verdict.message


def test_wrong_degree_fails():
    verdict = asymptotically_equivalent(reparse(n**3), n**2, NL)
    assert not verdict.ok and "→ oo" in verdict.message
    verdict = asymptotically_equivalent(reparse(n), n**2, NL)
    assert not verdict.ok and "→ 0" in verdict.message


def test_non_polynomial_answer_goes_through_the_limit():
    verdict = asymptotically_equivalent(reparse(n**2 + n * sp.log(n)), n**2, NL)
    assert verdict.ok, verdict.message
    verdict = asymptotically_equivalent(reparse(n**2 * sp.log(n)), n**2, NL)
    assert not verdict.ok and "→ oo" in verdict.message


def test_n_goes_to_infinity_first():
    # n*L**2 vs n*L**2 + n**2: with n → ∞ first the ratio → 0 (it would → 1 with L first)
    verdict = asymptotically_equivalent(reparse(n * L**2), n * L**2 + n**2, NL)
    assert not verdict.ok and "→ 0" in verdict.message
    assert asymptotically_equivalent(reparse(n * L**2), n * L**2 + n**2, [L, n]).ok
    # n**2 vs n**2 + L*n: with n first → 1 (with L first → 0)
    assert asymptotically_equivalent(reparse(n**2), n**2 + L * n, NL).ok
    assert not asymptotically_equivalent(reparse(n**2), n**2 + L * n, [L, n]).ok
    # L*n**2 + n**3 vs n**3: n decides
    assert asymptotically_equivalent(reparse(L * n**2 + n**3), n**3, NL).ok


def test_stray_symbol_in_count_is_named():
    verdict = asymptotically_equivalent(reparse(n**2 + sp.Symbol("m")), n**2, NL)
    assert not verdict.ok
    assert verdict.message == "the answer uses symbol(s) m; it may use only n, L"


def test_plain_symbols_are_identified_with_the_count_symbols():
    plain_n, plain_l = sp.symbols("n L")
    assert asymptotically_equivalent(reparse(2 * plain_l * plain_n**2), EXACT, NL).ok


def test_high_power_count_answer_is_judged_quickly():
    answer = reparse((n + L + 1) ** 300)
    finished, verdict = within(1.5, asymptotically_equivalent, answer, EXACT, NL)
    assert finished, "still judging after 1.5 s"
    assert not verdict.ok


def test_limit_fallback_is_time_bounded():
    answer = reparse(n**2 * (1 + sp.exp(-n)) ** 1000)
    finished, verdict = within(symbolic.LIMIT_SECONDS + 1.0, asymptotically_equivalent, answer, n**2, NL)
    assert finished, "still judging after the limit"
    assert isinstance(verdict.ok, bool)


def test_time_limit_nests_inside_an_outer_deadline():
    """The judge's own timers keep an outer deadline (the worker's, a test's) alive and firing on time."""

    def spin():
        while True:
            pass

    t0 = time.monotonic()
    finished, _ = within(0.3, symbolic._time_limited, 5.0, spin)
    assert not finished and time.monotonic() - t0 < 1.0  # the outer 0.3 s fired inside the inner 5 s timer
    finished, _ = within(2.0, lambda: [symbolic._time_limited(0.05, lambda: 1) for _ in range(3)] and spin())
    assert not finished  # after inner timers came and went, the outer deadline still fired


# -- equivalence that cannot be interpolated ---------------------------------------------------------------

SEEDS = [0, 1, 7, 2**40 + 3, 2**62 - 1]
SIGMA_PRIME2 = sp.diff(SIGMA, x, 2)
CORRECT = {
    "s'-s(1-s)": (s * (1 - s), SIGMA_PRIME),
    "s'-exp": (sp.exp(-x) / (1 + sp.exp(-x)) ** 2, SIGMA_PRIME),
    "s'-exp(x)": (sp.exp(x) / (1 + sp.exp(x)) ** 2, SIGMA_PRIME),
    "s'-sigma": (sig * (1 - sig), SIGMA_PRIME),
    "s'-expanded": (sp.expand(s * (1 - s)), SIGMA_PRIME),
    "s'-factored": (sp.factor(s * (1 - s)), SIGMA_PRIME),
    "s'-tanh": ((1 - sp.tanh(x / 2) ** 2) / 4, SIGMA_PRIME),
    "s'-cosh": (1 / (4 * sp.cosh(x / 2) ** 2), SIGMA_PRIME),
    "s''-s(1-s)(1-2s)": (s * (1 - s) * (1 - 2 * s), SIGMA_PRIME2),
    "s''-sigma": (sig * (1 - sig) * (1 - 2 * sig), SIGMA_PRIME2),
    "s''-expanded": (sp.expand(s * (1 - s) * (1 - 2 * s)), SIGMA_PRIME2),
    "s''-exp": (sp.exp(-x) * (sp.exp(-x) - 1) / (1 + sp.exp(-x)) ** 3, SIGMA_PRIME2),
    "s''-tanh": (-sp.tanh(x / 2) * (1 - sp.tanh(x / 2) ** 2) / 4, SIGMA_PRIME2),
}


@pytest.fixture
def numeric_only(monkeypatch):
    """Equivalence decided by the sample points alone (no exact proof), as for forms ``cancel`` cannot reduce."""
    monkeypatch.setattr(symbolic, "_proved_equal", lambda a, b: False)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CORRECT))
def test_every_correct_form_passes_at_the_sample_points(name, seed, numeric_only):
    answer, expected = CORRECT[name]
    verdict = equivalent(reparse(answer), expected, [x], seed=seed)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("C, i, j", [(3, 0, 0), (3, 0, 2), (4, 3, 1), (1, 0, 0)])
def test_log_softmax_forms_pass_at_the_sample_points(C, i, j, seed, numeric_only):
    xs = list(sp.symbols(f"x1:{C + 1}"))
    expected = _reference_log_softmax_grad(xs, i, j)
    shifted = sp.KroneckerDelta(i, j) - sp.exp(xs[j] - xs[0]) / sp.Add(*[sp.exp(t - xs[0]) for t in xs])
    for answer in (_log_softmax_grad(xs, i, j), shifted):
        verdict = equivalent(reparse(answer), expected, xs, seed=seed)
        assert verdict.ok, verdict.message


def test_sample_points_spread_over_the_scales():
    points = [float(p[x]) for p in symbolic.sample_points([x], 5)]
    assert len(points) == len(symbolic.SCALES) * symbolic.POINTS_PER_SCALE >= 24
    for lo, hi in symbolic.SCALES:
        band = [v for v in points if lo <= abs(v) <= hi]
        assert len(band) == symbolic.POINTS_PER_SCALE
        assert sum(v > 0 for v in band) == sum(v < 0 for v in band)
    assert sum(v > 5 for v in points) >= 4 and sum(v < -5 for v in points) >= 4  # beyond Heaviside(x - 5)
    assert sum(abs(v) < 0.1 for v in points) >= 2  # near 0
    assert max(abs(v) for v in points) <= 30
    assert points != [float(p[x]) for p in symbolic.sample_points([x], 6)]
    for p in symbolic.sample_points([x], 5):  # each coordinate is its short decimal, held to 60 digits
        assert p[x] == sp.Float(format(float(p[x]), symbolic.POINT_FORMAT), symbolic.POINT_DIGITS)


def test_no_seed_means_a_seed_from_the_question_not_a_constant():
    a = equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x]).message
    b = equivalent(-SIGMA_PRIME2, SIGMA_PRIME2, [x]).message
    seed_a = symbolic.derived_seed(sp.srepr(SIGMA_PRIME), sp.srepr(x))
    assert a == equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x], seed=seed_a).message
    assert symbolic.derived_seed(sp.srepr(SIGMA_PRIME2), sp.srepr(x)) != seed_a
    assert re.search(r"x = (\S+):", a).group(1) != re.search(r"x = (\S+):", b).group(1)


_OLD_RNG = random.Random(0)
OLD_POINTS = [_OLD_RNG.uniform(-2.5, 2.5) for _ in range(6)]  # what the engine used to sample, always


def _sigma_prime(v: float) -> float:
    return float(SIGMA_PRIME.subs(x, v))


def _interpolant(points: list[float]) -> sp.Expr:
    """The polynomial through σ' at ``points``, solved to 50 digits."""
    with mpmath.workdps(50):
        a = mpmath.matrix([[mpmath.mpf(p) ** k for k in range(len(points))] for p in points])
        b = mpmath.matrix([mpmath.mpf(_sigma_prime(p)) for p in points])
        c = mpmath.lu_solve(a, b)
        return sp.Add(*[sp.Float(c[k], 50) * x**k for k in range(len(points))])


@pytest.mark.parametrize("seed", SEEDS)
def test_a_polynomial_through_the_old_points_fails(seed):
    poly = _interpolant(OLD_POINTS)  # degree 5
    for p in OLD_POINTS:  # it is σ' wherever the old engine looked
        assert abs(float(poly.subs(x, p)) - _sigma_prime(p)) <= 1e-10 * _sigma_prime(p)
    verdict = equivalent(reparse(poly), SIGMA_PRIME, [x], seed=seed)
    assert not verdict.ok
    assert re.search(rf"differs at x = {NUMBER}: expected {NUMBER}, got {NUMBER}", verdict.message), verdict.message


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_degree_11_interpolant_through_another_seeds_points_fails(seed):
    other = [float(p[x]) for p in symbolic.sample_points([x], 12345)]
    near = [p for p in other if 0.2 < abs(p) < 8][:12]  # 12 of its points, not the largest (a polynomial's best case)
    poly = _interpolant(near)
    assert all(abs(float(poly.subs(x, p)) - _sigma_prime(p)) < 1e-12 for p in near)
    assert not equivalent(reparse(poly), SIGMA_PRIME, [x], seed=seed).ok
    assert not equivalent(reparse(_interpolant(OLD_POINTS + near[:6])), SIGMA_PRIME, [x], seed=seed).ok


WRONG_BUT_CLOSE = {
    "piecewise-|x|<3": sp.Piecewise((SIGMA_PRIME, sp.Abs(x) < 3), (0, True)),
    "heaviside(x-5)": SIGMA_PRIME + 1000 * sp.Heaviside(x - 5),
    "heaviside(-x-5)": SIGMA_PRIME + sp.Heaviside(-x - 5),
    "abs-max": s * (1 - s) + sp.Max(0, sp.Abs(x) - 6),
    "sign": SIGMA_PRIME * (1 + sp.sign(x - 8)) / 2 + SIGMA_PRIME * (1 - sp.sign(x - 8)) / 2 * (1 + sp.sign(-x - 8)),
    "min": sp.Min(SIGMA_PRIME, sp.Rational(1, 10**4)),
    "offset-3e-11": SIGMA_PRIME + sp.Float("3e-11"),
    "offset-1e-15-relative": SIGMA_PRIME * (1 + sp.Float("1e-15")),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(WRONG_BUT_CLOSE))
def test_answers_right_only_near_zero_or_nearly_right_fail(name, seed):
    verdict = equivalent(reparse(WRONG_BUT_CLOSE[name]), SIGMA_PRIME, [x], seed=seed)
    assert not verdict.ok
    assert re.search(rf"differs at x = {NUMBER}: expected {NUMBER}, got {NUMBER}", verdict.message), verdict.message


@pytest.mark.parametrize("C, i, j", [(3, 0, 0), (3, 0, 2), (4, 3, 1), (1, 0, 0)])
def test_log_softmax_offset_of_3e_11_fails(C, i, j):
    xs = list(sp.symbols(f"x1:{C + 1}"))
    expected = _reference_log_softmax_grad(xs, i, j)
    verdict = equivalent(reparse(expected + sp.Float("3e-11")), expected, xs, seed=3)
    assert not verdict.ok and "differs at x1 =" in verdict.message


def test_the_counterexample_shows_the_digits_that_differ():
    verdict = equivalent(reparse(SIGMA_PRIME + sp.Float("3e-11")), SIGMA_PRIME, [x], seed=4)
    m = re.search(rf"x = ({NUMBER}): expected ({NUMBER}), got ({NUMBER})", verdict.message)
    assert m, verdict.message
    at, want, got = (mpmath.mpf(g) for g in m.groups())
    assert want != got and abs(got - want - mpmath.mpf("3e-11")) < 1e-13
    with mpmath.workdps(30):
        assert abs(want - 1 / (4 * mpmath.cosh(at / 2) ** 2)) < 1e-9 * want  # the point shown is the point used


# -- the worker process ------------------------------------------------------------------------------------

SX = sp.srepr(x)
REF = sp.srepr(s * (1 - s))


def judge(answer: sp.Basic | str, workers=None, seed: int = 1) -> symbolic.Verdict:
    text = answer if isinstance(answer, str) else sp.srepr(answer)
    return symbolic_worker.equivalent(text, REF, [SX], seed, workers=workers, functions=FUNCTIONS)


def test_the_worker_judges_correct_and_wrong_answers_quickly():
    assert judge(sp.exp(-x) / (1 + sp.exp(-x)) ** 2).ok  # warms the worker up
    times = []
    for form in (sig * (1 - sig), (1 - sp.tanh(x / 2) ** 2) / 4, sp.expand(s * (1 - s))):
        t0 = time.monotonic()
        verdict = judge(form)
        times.append(time.monotonic() - t0)
        assert verdict.ok, verdict.message
    assert statistics.median(times) < 0.25, times  # tens of milliseconds on an idle machine
    wrong = judge(SIGMA_PRIME + 1000 * sp.Heaviside(x - 5))
    assert not wrong.ok and "differs at x =" in wrong.message


def test_the_grader_never_parses_an_answer_itself(monkeypatch):
    def refuse(text):
        raise AssertionError("the grader parsed a student's answer itself")

    monkeypatch.setattr(symbolic, "parse_srepr", refuse)
    assert judge(s * (1 - s)).ok
    assert symbolic_worker.symbol_names(sp.srepr(x + n)).names == ("n", "x")


def test_evaluation_hang_is_cut_off_and_the_worker_replaced():
    workers = symbolic_worker.Workers(seconds=1.5)
    try:
        assert judge(s * (1 - s), workers).ok
        (before,) = workers.pids()
        for answer in (sp.sin(sp.exp(10**6 * x**2 + 10**6)), sp.sin(sp.exp(10**6 * x**2))):
            t0 = time.monotonic()
            verdict = judge(answer, workers)
            assert time.monotonic() - t0 < 10
            assert not verdict.ok
        t0 = time.monotonic()
        verdict = judge(sp.sin(sp.exp(10**6 * x**2 + 10**6)), workers)
        assert time.monotonic() - t0 < 1.5 + 3
        assert verdict.message == "the grader could not evaluate your answer within 1.5 s"
        assert judge(s * (1 - s), workers).ok  # a fresh worker
        assert before not in workers.pids()
    finally:
        workers.close()


@pytest.mark.parametrize(
    "text",
    [
        "sin(Float('1e100000000', precision=53))",  # a literal that takes hours to rebuild: refused as it is read
        "sin(Float('" + "9" * 150 + "e900', precision=53))",  # 10**1050, written with many digits
        "sin(exp(exp(Float('22.4'))))",  # within the literals' bounds, but rebuilding it never ends
    ],
    ids=["huge-exponent", "long-digits", "nested-exp"],
)
def test_parsing_hang_finishes_with_0_and_a_message(text):
    workers = symbolic_worker.Workers(seconds=2.0)
    try:
        t0 = time.monotonic()
        verdict = judge(text, workers)
        assert time.monotonic() - t0 < 10
        assert not verdict.ok
        assert "too large" in verdict.message or "within 2 s" in verdict.message, verdict.message
    finally:
        workers.close()


def test_float_literals_are_bounded():
    assert parse_srepr("Float('1.5e-30', precision=53)") == sp.Float("1.5e-30")
    assert parse_srepr(sp.srepr(sp.Float("1e-300"))) == sp.Float("1e-300")
    assert float(parse_srepr(sp.srepr(sp.Float(10**100)))) == 1e100  # srepr writes every digit
    for text in ("1e100000000", "1e-1001", "0." + "0" * 150 + "1e-900", "1e" + "9" * 21, "inf", "0x10", "1_0"):
        with pytest.raises(AnswerError):
            parse_srepr(f"Float('{text}', precision=53)")


def test_rational_exponents_are_bounded_before_they_are_computed():
    t0 = time.monotonic()
    for text in ("Pow(Integer(2), Rational(100000000000000000000000000001, 3))", "Pow(Symbol('x'), Rational(3005, 3))"):
        with pytest.raises(AnswerError, match="too large"):
            parse_srepr(text)
    assert time.monotonic() - t0 < 1.0
    assert parse_srepr("Pow(Integer(2), Rational(7, 3))") == sp.Integer(2) ** sp.Rational(7, 3)


def _address_space_limit(pid: int) -> int:
    for line in open(f"/proc/{pid}/limits").read().splitlines():
        if line.startswith("Max address space"):
            return int(line.split()[3])
    raise AssertionError("no address-space line")


def _vm_size(pid: int) -> int:
    for line in open(f"/proc/{pid}/status").read().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize line")


def test_a_memory_hungry_answer_is_refused_by_the_memory_limit():
    big = "Add(" + ", ".join(f"Mul(Float('{k}.5', precision=53), Pow(Symbol('x'), Integer({k})))" for k in range(900))
    big += ")"  # reading it takes some megabytes (then it is refused as too large)
    probe = symbolic_worker.Workers()
    try:
        assert judge(s * (1 - s), probe).ok
        (pid,) = probe.pids()
        assert _address_space_limit(pid) == symbolic_worker.MEMORY_BYTES
        footprint = _vm_size(pid)
        assert judge(big, probe).message == "the answer is too large"  # with room to spare
    finally:
        probe.close()
    tight = symbolic_worker.Workers(memory_bytes=footprint + 4 * 2**20)
    try:
        assert judge(s * (1 - s), tight).ok  # a small answer fits
        verdict = judge(big, tight)
        assert not verdict.ok
        assert verdict.message == symbolic_worker.memory_message(footprint + 4 * 2**20)
        assert judge(s * (1 - s), tight).ok  # the worker that ran out is replaced
    finally:
        tight.close()


def test_a_killed_worker_is_replaced():
    workers = symbolic_worker.Workers()
    try:
        assert judge(s * (1 - s), workers).ok
        (pid,) = workers.pids()
        os.kill(pid, signal.SIGKILL)
        assert judge(s - s**2, workers).ok  # at once: the request finds it dead, or dying
        (fresh,) = workers.pids()
        assert fresh != pid
        os.kill(fresh, signal.SIGKILL)
        time.sleep(0.2)
        assert judge(s * (2 - 2 * s) / 2, workers).ok  # another text: not a remembered verdict
        assert fresh not in workers.pids()
    finally:
        workers.close()


def test_a_verdict_is_remembered_for_the_same_request_and_a_failure_is_not():
    """A class's many copies of one answer are judged once; a timeout is judged again (it may not recur)."""
    workers = symbolic_worker.Workers(seconds=1.0)
    try:
        assert judge(s * (1 - s), workers).ok and not judge(s * (1 + s), workers).ok
        (pid,) = workers.pids()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert judge(s * (1 - s), workers).ok and not judge(s * (1 + s), workers).ok  # no worker asked
        assert workers.pids() == [pid]  # the dead one is still the idle one: nothing was sent to it
        calls = []
        real = workers._ask
        workers._ask = lambda request: calls.append(request) or {"ok": False, "message": "slow", "failed": True}
        assert not judge(s * (1 - 2 * s), workers).ok and not judge(s * (1 - 2 * s), workers).ok
        assert len(calls) == 2, "a failure of the worker is asked again"
        workers._ask = real
    finally:
        workers.close()


def test_a_worker_that_cannot_start_fails_closed():
    workers = symbolic_worker.Workers(memory_bytes=16 * 2**20)  # too little to import SymPy
    try:
        verdict = judge(s * (1 - s), workers)
        assert not verdict.ok and verdict.message == symbolic_worker.NOT_STARTED
    finally:
        workers.close()


def test_asymptotic_judge_goes_through_the_worker_within_its_limit():
    order = [sp.srepr(n), sp.srepr(L)]
    assert symbolic_worker.asymptotic(sp.srepr(2 * L * n**2), sp.srepr(EXACT), order).ok
    t0 = time.monotonic()
    verdict = symbolic_worker.asymptotic(sp.srepr(n**2 * (1 + sp.exp(-n)) ** 1000), sp.srepr(n**2), order)
    assert time.monotonic() - t0 < symbolic.LIMIT_SECONDS + 2
    assert isinstance(verdict.ok, bool)
    verdict = symbolic_worker.asymptotic("sin(Float('1e100000000', precision=53))", sp.srepr(n**2), order)
    assert not verdict.ok and "too large" in verdict.message


SREPR_TOKENS = st.sampled_from(
    [
        *("Add(", "Mul(", "Pow(", "exp(", "sin(", "Piecewise(", "Heaviside(", "Function('sigma')(", "Float("),
        *("Integer(", "Symbol('x')", "Symbol('y')", "Integer(2)", "Rational(1, 3)", "Float('1e999')", "oo"),
        *(", ", ")", ")", "(", "-", "1", "True", "__import__", ".x", "[0]", "lambda: 1", "'", "\\x00", "\udc80"),
        "'1e100000000'",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(SREPR_TOKENS, max_size=30).map("".join)))
def test_garbage_text_always_fails_cleanly(text):
    verdict = judge(text)
    assert isinstance(verdict, symbolic.Verdict) and not verdict.ok
    assert isinstance(verdict.message, str) and verdict.message
    names = symbolic_worker.symbol_names(text)
    assert isinstance(names.ok, bool) and all(isinstance(v, str) for v in names.names)


# -- the judges: seed and worker ---------------------------------------------------------------------------


def _p2_check(check_id: str):
    from autograder.assignments import get

    return next(c for c in get("hw1").checks if c.id == check_id)


def _judged(check, answer_text: str, seed: int) -> tuple[bool, str, dict]:
    rng = np.random.default_rng(seed)
    inputs = check.judge.expand(check.cases[0].make(rng), rng)
    steps, returns = check.judge.program(inputs)
    reply = {
        "steps": [
            {"name": st_["name"], "fn": st_["fn"], "status": "ok", "mutated": [], "warnings": []} for st_ in steps
        ],
        "returns": [{"$srepr": answer_text}],
    }
    outcome = check.judge.judge(inputs, reply, [{"$srepr": REF}])
    return outcome.passed, outcome.message, inputs


def test_compare_draws_a_parent_only_seed_for_sympy_answers():
    check = _p2_check("p2.sigmoid_grad_expr.equivalent")
    ok, _, inputs = _judged(check, sp.srepr(SIGMA_PRIME), 1)
    assert ok
    assert parent_only(symbolic.SEED_INPUT) and isinstance(inputs[symbolic.SEED_INPUT], int)
    assert inputs[symbolic.SEED_INPUT] != _judged(check, REF, 2)[2][symbolic.SEED_INPUT]
    numeric = _p2_check("p2.sigmoid.values")
    rng = np.random.default_rng(0)
    assert symbolic.SEED_INPUT not in numeric.judge.expand(numeric.cases[0].make(rng), rng)


def test_the_grading_seed_picks_the_counterexample():
    check = _p2_check("p2.sigmoid_grad_expr.equivalent")
    wrong = sp.srepr(-SIGMA_PRIME)
    (ok1, m1, in1), (ok2, m2, _) = _judged(check, wrong, 1), _judged(check, wrong, 2)
    assert not ok1 and not ok2 and m1 != m2
    assert m1 == "sigmoid_grad_expr: " + equivalent(-SIGMA_PRIME, SIGMA_PRIME, [x], seed=in1["judge:seed"]).message


def test_is_expression_reads_answers_in_the_worker():
    check = _p2_check("p3.all.expressions")
    rng = np.random.default_rng(0)
    inputs = check.judge.expand(check.cases[0].make(rng), rng)
    steps, returns = check.judge.program(inputs)
    reply = {
        "steps": [{"name": a["name"], "fn": a["fn"], "status": "ok", "mutated": [], "warnings": []} for a in steps]
    }
    good = [{"$srepr": sp.srepr(n**2 + L)} for _ in returns]
    assert check.judge.judge(inputs, {**reply, "returns": good}, []).passed
    bad = good[:-1] + [{"$srepr": "sin(Float('1e100000000', precision=53))"}]
    outcome = check.judge.judge(inputs, {**reply, "returns": bad}, [])
    assert not outcome.passed and "too large" in outcome.message
    stray = good[:-1] + [{"$srepr": sp.srepr(n + sp.Symbol("m"))}]
    assert "uses m" in check.judge.judge(inputs, {**reply, "returns": stray}, []).message
