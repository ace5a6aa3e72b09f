"""Symbolic answers: the srepr allow-list parser, equivalence by value, and asymptotic equivalence of counts."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import sympy as sp

from autograder import symbolic
from autograder.symbolic import AnswerError, asymptotically_equivalent, equivalent, parse_srepr

x = sp.Symbol("x")
n, L = sp.symbols("n L", positive=True, integer=True)
SIGMA = 1 / (1 + sp.exp(-x))
SIGMA_PRIME = sp.exp(-x) / (1 + sp.exp(-x)) ** 2


def reparse(expr):
    """What the parent rebuilds from the child's ``srepr`` text."""
    return parse_srepr(sp.srepr(expr))


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
    finished, verdict = within(1.5, asymptotically_equivalent, answer, n**2, NL)
    assert finished, "still judging after 1.5 s"
    assert isinstance(verdict.ok, bool)
