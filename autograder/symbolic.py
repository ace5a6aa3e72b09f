"""Symbolic answers: parse a student's ``srepr`` text safely, then judge it by meaning, never by form.

The child sends SymPy answers as ``srepr`` text. It is parsed here with :mod:`ast` and rebuilt from an
allow-list of SymPy constructors; nothing is ever passed to ``eval`` or ``sympify`` of a string. Number
literals and integer powers are bounded. Even so, SymPy can compute for ever on a small expression
(``sin(exp(10**6*x**2))``), and pure-Python work cannot be interrupted from another thread: the grader never
calls these functions itself, it asks a separate worker process (:mod:`autograder.symbolic_worker`), which
it kills when an answer takes too long.

Equivalence (:func:`equivalent`): a bounded exact attempt (``cancel`` of the difference), then agreement at
``4 × 8`` points drawn from the grading seed, evaluated to 40 digits.

Public values (:func:`public_values`): what public data ships in place of a reference's answer, never its text:
its values at the sample points of the public seed (:func:`values_at_points`; a public run judges an answer by
agreement there, :func:`agrees_at`, the same rule at other points), or, where a judge needs the whole answer (a
count's asymptotics, the gradient a critical set must zero), a polynomial's exact values on a grid of integers
that determines it (:func:`grid_values`), which the worker interpolates back (:func:`from_grid`) to judge by the
hidden check's own rule.
"""

from __future__ import annotations

import ast
import fractions
import functools
import hashlib
import itertools
import math
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

MAX_SREPR_CHARS = 100_000
MAX_NODES = 5_000
MAX_DEPTH = 200
MAX_INT_DIGITS = 30
MAX_POWER = 1_000
MAX_NUMBER_BITS = 4_096
MAX_COUNT_DEGREE = 16
MAX_FLOAT_EXPONENT = 1_000  # |decimal exponent| of a Float literal: sin(Float('1e100000000')) would never end
LIMIT_SECONDS = 2.0  # all the work of one asymptotic judgement (limits included)
EXACT_SECONDS = 0.5  # the exact attempt of an equivalence

#: Sample points of :func:`equivalent`: magnitude bands (log-uniform inside each), ``POINTS_PER_SCALE`` points
#: in each, half of them negative. 32 points rule out any fit of degree < 32 through points the student cannot
#: know (they come from the grading seed); the bands reach |x| = 30, so an answer that is right only on
#: [-5, 5] (Piecewise, Heaviside, Abs, Max, ...) fails on the 8 points beyond ±10; the first band tests near 0.
SCALES = ((1e-3, 0.3), (0.3, 3.0), (3.0, 10.0), (10.0, 30.0))
POINTS_PER_SCALE = 8
POINT_FORMAT = ".5g"  # coordinates are these decimals exactly, so the counterexample shown is the point used
POINT_DIGITS = 60  # precision of a coordinate (digits): cancellation of e^±60 terms still leaves 30 digits
DIGITS = 40  # precision of the evaluation (digits)
RTOL = 1e-20  # |answer − expected| ≤ RTOL·|expected| + ATOL at every point: a 1e-11 offset fails
ATOL = 1e-30  # for expected values 0 (e.g. δ_ii − softmax_i with C = 1): far above 40-digit rounding
SEED_INPUT = "judge:seed"  # the grading seed of the sample points (parent-only)
FUNCTIONS_INPUT = "judge:functions"  # the assignment's symbolic aliases, name -> srepr in x (parent-only)

#: SymPy functions of numbers an answer may use, by the name ``srepr`` writes: their arguments must be
#: expressions (numbers), not conditions or tuples.
EXPR_ONLY = (
    *("Add", "Mul", "Pow", "exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh"),
    *("Abs", "sign", "Max", "Min", "KroneckerDelta", "Heaviside"),
)
#: Every SymPy constructor an answer may use: those, piecewise definitions and their conditions.
CONSTRUCTORS = {
    name: getattr(sp, name)
    for name in (
        *EXPR_ONLY,
        *("Piecewise", "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "StrictLessThan", "StrictGreaterThan"),
        *("LessThan", "GreaterThan", "Equality", "Unequality", "And", "Or", "Not", "Tuple"),
    )
}
CONSTRUCTORS["ExprCondPair"] = sp.functions.elementary.piecewise.ExprCondPair
ATOMS = {
    "pi": sp.pi,
    "E": sp.E,
    "true": sp.true,
    "false": sp.false,
    "oo": sp.oo,
    "zoo": sp.zoo,
    "nan": sp.nan,
    "Half": sp.S.Half,
    "One": sp.S.One,
    "Zero": sp.S.Zero,
    "NegativeOne": sp.S.NegativeOne,
    "Exp1": sp.E,
    "Pi": sp.pi,
    "BooleanTrue": sp.true,
    "BooleanFalse": sp.false,
}
ASSUMPTIONS = {
    "positive",
    "negative",
    "nonnegative",
    "nonpositive",
    "integer",
    "real",
    "finite",
    "nonzero",
    "commutative",
}

#: The variable of a function definition (an assignment's symbolic aliases, :func:`definitions`).
ARGUMENT = sp.Symbol("x")


class AnswerError(ValueError):
    """A symbolic answer the grader cannot read; the message is meant for the student."""


def _number(node: ast.AST, depth: int = 0) -> int | float | str | bool | None:
    if depth > MAX_DEPTH:
        raise AnswerError("the answer is nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        if (
            isinstance(node.value, int)
            and not isinstance(node.value, bool)
            and len(str(abs(node.value))) > MAX_INT_DIGITS
        ):
            raise AnswerError("a number in the answer is too large")
        if isinstance(node.value, str) and len(node.value) > 200:
            raise AnswerError("a name or number in the answer is too long")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _number(node.operand, depth + 1)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    raise AnswerError(f"unexpected {type(node).__name__} in the answer")


_DECIMAL = re.compile(r"[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,20}))?")


def _float_text(value: str | int | float) -> str:
    """The text of a Float literal if it is a plain decimal whose magnitude is within 10**±MAX_FLOAT_EXPONENT
    (``srepr`` writes ``'1.5e-30'`` or every digit of ``'1000...0.0'``); raises AnswerError otherwise."""
    text = str(value)
    m = _DECIMAL.fullmatch(text)
    if not m or not (m.group(1) or m.group(2)):
        raise AnswerError("a malformed Float(...) in the answer")
    whole, frac, exponent = m.group(1).lstrip("0"), m.group(2) or "", int(m.group(3) or 0)
    digits = whole + frac
    if digits.strip("0"):
        # the decimal exponent of the leading digit
        lead = len(whole) - 1 if whole else -(len(frac) - len(frac.lstrip("0")) + 1)
        if abs(lead + exponent) > MAX_FLOAT_EXPONENT:
            raise AnswerError("a number in the answer is too large (or too small) for the grader")
    return text


def _check_size(expr) -> None:
    """SymPy folds (b**p)**q and b**p*b**q into one power, and evaluates powers of numbers: bound the results."""
    for e in (expr, *expr.args) if isinstance(expr, sp.Basic) else ():
        if e.is_Pow and e.exp.is_Rational and abs(e.exp.p) // e.exp.q > MAX_POWER:
            raise AnswerError("an exponent in the answer is too large")
        if e.is_Rational and abs(e.p).bit_length() + e.q.bit_length() > MAX_NUMBER_BITS:
            raise AnswerError("a number in the answer is too large")


class _Builder:
    def __init__(self, functions: Mapping[str, sp.Basic] | None = None):
        self.nodes = 0
        self.functions = functions or {}

    def build(self, node: ast.AST, depth: int = 0):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise AnswerError("the answer is too large")
        if depth > MAX_DEPTH:  # checked here, not left to RecursionError, whose depth depends on the caller
            raise AnswerError("the answer is nested too deeply")
        if isinstance(node, ast.Name):
            if node.id in ATOMS:
                return ATOMS[node.id]
            raise AnswerError(f"the answer uses {node.id!r}, which the grader does not accept")
        if not isinstance(node, ast.Call):
            return _number(node)
        args = [self.build(a, depth + 1) for a in node.args]
        kwargs = {k.arg: _number(k.value) for k in node.keywords}
        func = node.func
        if isinstance(func, ast.Call):  # Function('sigma')(x): an undefined function applied
            if not (isinstance(func.func, ast.Name) and func.func.id == "Function" and len(func.args) == 1):
                raise AnswerError("the answer applies something that is not a function")
            name = _number(func.args[0])
            if not isinstance(name, str) or name not in self.functions:
                raise AnswerError(f"the answer uses an unknown function {name}(); write it out in SymPy")
            if len(args) != 1 or not isinstance(args[0], sp.Basic):
                raise AnswerError(f"{name}() takes one argument")
            return self.functions[name].xreplace({ARGUMENT: args[0]})
        if not isinstance(func, ast.Name):
            raise AnswerError("unexpected call in the answer")
        name = func.id
        if name == "Symbol" or name == "Dummy":
            if len(args) != 1 or not isinstance(args[0], str) or set(kwargs) - ASSUMPTIONS:
                raise AnswerError("a malformed Symbol in the answer")
            return sp.Symbol(args[0], **{k: bool(v) for k, v in kwargs.items()})
        if name in ("Integer", "Rational"):
            if len(args) != (1 if name == "Integer" else 2) or kwargs or any(type(a) is not int for a in args):
                raise AnswerError(f"a malformed {name}(...) in the answer")
            return sp.Integer(args[0]) if name == "Integer" else sp.Rational(*args)
        if name == "Float":
            precision = kwargs.get("precision", 53)
            if (
                len(args) != 1
                or not isinstance(args[0], (str, int, float))
                or set(kwargs) - {"precision"}
                or type(precision) is not int
            ):
                raise AnswerError("a malformed Float(...) in the answer")
            text = _float_text(args[0])
            try:
                return sp.Float(text, precision=max(1, min(precision, 200)))
            except (TypeError, ValueError):
                raise AnswerError("a malformed Float(...) in the answer") from None
        if name in CONSTRUCTORS:
            if any(not isinstance(a, sp.Basic) for a in args) or kwargs:
                raise AnswerError(f"a malformed {name}(...) in the answer")
            if name in EXPR_ONLY and any(not isinstance(a, sp.Expr) for a in args):
                raise AnswerError(f"{name}(...) in the answer applied to something that is not a number")
            if name == "Pow" and len(args) == 2 and args[1].is_Rational:  # 2**(10**29/3) is 2**(3·10**28)·2**(1/3)
                base, whole = args[0], abs(args[1].p) // args[1].q
                if whole > MAX_POWER:
                    raise AnswerError("an exponent in the answer is too large")
                if base.is_Rational and (abs(base.p).bit_length() + base.q.bit_length()) * whole > MAX_NUMBER_BITS:
                    raise AnswerError("a number in the answer is too large")
            try:
                result = CONSTRUCTORS[name](*args)
            except MemoryError:
                raise
            except Exception as exc:  # SymPy raises TypeError, ValueError, AttributeError, ... on odd arguments
                raise AnswerError(f"a malformed {name}(...) in the answer: {type(exc).__name__}") from None
            _check_size(result)
            return result
        raise AnswerError(f"the answer uses {name}(), which the grader does not accept")


def parse_srepr(text: str, functions: Mapping[str, sp.Basic] | None = None) -> sp.Basic:
    """Rebuild a SymPy expression from ``srepr`` text through the allow-list; raises AnswerError.

    ``functions``: the undefined functions an answer may apply (an assignment's aliases, e.g. ``sigma``),
    each by its definition in :data:`ARGUMENT` (``x``); any other undefined function is refused."""
    if not isinstance(text, str) or len(text) > MAX_SREPR_CHARS:
        raise AnswerError("the answer is not SymPy text of a sensible size")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        raise AnswerError("the answer could not be read") from None
    try:
        value = _Builder(functions).build(tree.body)
    except (AnswerError, MemoryError):  # out of memory is the worker's to report (and to be replaced)
        raise
    except RecursionError:
        raise AnswerError("the answer is nested too deeply") from None
    except Exception as exc:
        raise AnswerError(f"the answer could not be rebuilt ({type(exc).__name__})") from None
    if not isinstance(value, sp.Basic):
        raise AnswerError("the answer is not a SymPy expression")
    return value


def rename_to(expr: sp.Basic, symbols: list[sp.Symbol]) -> sp.Basic:
    """Identify the answer's symbols with ours by name (assumptions may differ); others stay and are reported."""
    by_name = {s.name: s for s in symbols}
    return expr.xreplace({s: by_name[s.name] for s in expr.free_symbols if s.name in by_name})


@dataclass
class Verdict:
    """A judgement: ``ok``, the message for the student, and (for :func:`symbol_names`) the names found."""

    ok: bool
    message: str
    names: tuple[str, ...] = ()


class _OutOfTime(BaseException):  # not an Exception: no ``except Exception`` in SymPy may swallow it
    pass


def _time_limited(seconds: float, fn, *args):
    """fn(*args), interrupted (``_OutOfTime``) after ``seconds`` where a timer can be used (a process's main
    thread). Nests: a deadline already set outside that comes first still fires, through its own handler."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return fn(*args)
    old_handler = signal.getsignal(signal.SIGALRM)
    old_delay, old_interval = signal.getitimer(signal.ITIMER_REAL)
    outer_first = 0 < old_delay <= seconds
    start = time.monotonic()

    def on_alarm(signum, frame):
        if outer_first and callable(old_handler):
            old_handler(signum, frame)
        raise _OutOfTime()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, old_delay if outer_first else seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 1e-6), old_interval)


def _stray(answer: sp.Basic, symbols: list[sp.Symbol]) -> Verdict | None:
    stray = sorted(s.name for s in answer.free_symbols if s not in set(symbols))
    if not stray:
        return None
    names = ", ".join(s.name for s in symbols)
    return Verdict(False, f"the answer uses symbol(s) {', '.join(stray)}; it may use only {names}")


def derived_seed(*texts: str) -> int:
    """A seed for the sample points taken from the texts of a question (the expected answer, the symbols):
    used only where no grading seed is given (public data), so no constant of the source fixes the points."""
    return int.from_bytes(hashlib.sha256("\x00".join(texts).encode("utf-8", "replace")).digest()[:8], "big")


def with_seed(inputs: dict, rng) -> dict:
    """``inputs`` plus ``judge:seed`` (the sample points' seed, drawn from the case's own stream ``rng``, a
    NumPy Generator) when they hold SymPy symbols, i.e. when a SymPy answer is expected; a worker
    (:mod:`autograder.symbolic_worker`) then starts importing SymPy in the background. The input is
    parent-only (:func:`autograder.checks.parent_only`): the child never sees it."""
    if not any(isinstance(v, dict) and ("$symbol" in v or "$symbols" in v) for v in inputs.values()):
        return inputs
    from .symbolic_worker import WORKERS

    WORKERS.warm()
    return {**inputs, SEED_INPUT: int(rng.integers(2**62))}


def definitions(functions: Mapping[str, str]) -> dict[str, str]:
    """An assignment's symbolic aliases (name -> SymPy text in ``x``, the instructors' own) as ``srepr`` text,
    the form the symbolic worker receives with each request (read once per set of aliases: every case of a
    symbolic check asks for them)."""
    return dict(_definitions(tuple(functions.items())))


@functools.lru_cache(maxsize=16)
def _definitions(functions: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, sp.srepr(sp.sympify(text, locals={"x": ARGUMENT}))) for name, text in functions)


def with_functions(inputs: dict, functions: Mapping[str, str]) -> dict:
    """``inputs`` plus ``judge:functions`` (the assignment's symbolic aliases, :func:`definitions`) when they
    hold SymPy symbols and the assignment has aliases; parent-only, like ``judge:seed``."""
    if not functions or not any(isinstance(v, dict) and ("$symbol" in v or "$symbols" in v) for v in inputs.values()):
        return inputs
    return {**inputs, FUNCTIONS_INPUT: definitions(functions)}


def sample_points(symbols: list[sp.Symbol], seed: int) -> list[dict[sp.Symbol, sp.Float]]:
    """``len(SCALES) · POINTS_PER_SCALE`` points: each coordinate independently, ``POINTS_PER_SCALE`` per band
    of magnitudes (log-uniform), half of them negative, in shuffled order; each coordinate is a short decimal
    (``POINT_FORMAT``) held to ``POINT_DIGITS`` digits."""
    rows = _point_texts(symbols, seed)
    return [{s: sp.Float(c, POINT_DIGITS) for s, c in zip(symbols, row, strict=True)} for row in rows]


def _point_texts(symbols: list[sp.Symbol], seed: int) -> list[list[str]]:
    """The coordinates of :func:`sample_points` as their decimal texts, one row per point."""
    rng = random.Random(seed)
    columns = []
    for _ in symbols:
        column = []
        for lo, hi in SCALES:
            for k in range(POINTS_PER_SCALE):
                magnitude = math.exp(rng.uniform(math.log(lo), math.log(hi)))
                column.append(format(magnitude if k % 2 else -magnitude, POINT_FORMAT))
        rng.shuffle(column)
        columns.append(column)
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[]] * (len(SCALES) * POINTS_PER_SCALE)


def _value(expr: sp.Basic, point: dict) -> mpmath.mpc | None:
    """``expr`` at ``point`` to ``DIGITS`` digits (an mpmath number at 256 bits), or None where it is undefined
    (not a finite number: a division by zero, an infinity, a Piecewise with no branch, ...)."""
    try:
        v = expr.xreplace(point).evalf(DIGITS)  # substituting first is several times faster than subs=
        re_, im_ = v.as_real_imag()
        if not (re_.is_Number and im_.is_Number and re_.is_finite and im_.is_finite):
            return None
        with mpmath.workprec(256):
            return mpmath.mpc(sp.Float(re_, DIGITS)._mpf_, sp.Float(im_, DIGITS)._mpf_)
    except MemoryError:
        raise
    except Exception:  # SymPy raises TypeError, ValueError, ZeroDivisionError, RecursionError, ... on odd values
        return None


def _agree(got: mpmath.mpc, want: mpmath.mpc) -> bool:
    with mpmath.workprec(256):
        return bool(abs(got - want) <= RTOL * abs(want) + ATOL)


def _shown(value: mpmath.mpc, other: mpmath.mpc | None = None) -> str:
    """A value with enough digits to see how it differs from ``other`` (10 at least, 30 at most)."""
    digits = 10
    with mpmath.workprec(256):
        if other is not None and value != other:
            gap = abs(value - other) / max(abs(value), abs(other))
            digits = int(min(30, max(10, 3 - math.floor(float(mpmath.log10(gap))) if gap else 10)))
        real = value.imag == 0
        return mpmath.nstr(value.real if real else value, digits)


def _fmt(point: dict) -> str:
    return ", ".join(f"{s} = {format(float(v), POINT_FORMAT)}" for s, v in point.items())


def _proved_equal(answer: sp.Expr, expected: sp.Expr) -> bool:
    """Whether ``cancel`` reduces the difference to 0 within ``EXACT_SECONDS`` (False when unsure)."""
    try:
        return bool(_time_limited(EXACT_SECONDS, lambda: sp.cancel(answer - expected) == 0))
    except MemoryError:
        raise
    except (_OutOfTime, Exception):
        return False


def _answer_in(answer: sp.Basic, symbols: list[sp.Symbol]) -> sp.Expr | Verdict:
    """The answer as an expression in ``symbols`` (renamed to them), or the failed verdict saying why it is not
    one (not an expression; other symbols in it)."""
    if not isinstance(answer, sp.Expr):
        return Verdict(False, f"the answer is a {type(answer).__name__}, not an expression")
    answer = rename_to(answer, symbols)
    return _stray(answer, symbols) or answer


def equivalent(answer: sp.Basic, expected: sp.Basic, symbols: list[sp.Symbol], seed: int | None = None) -> Verdict:
    """Equivalent as functions of ``symbols``: proved exactly (``cancel`` of the difference, bounded), else
    agreement at the :func:`sample_points` of ``seed`` (the grading seed; without one, a seed derived from the
    question). At each point where the expected value is defined, the answer must be defined and within
    ``RTOL·|expected| + ATOL`` of it, at ``DIGITS``-digit evaluation; the message names the first point where
    it is not. Run this in the worker (:mod:`autograder.symbolic_worker`): nothing here bounds its time.
    """
    answer = _answer_in(answer, symbols)
    if isinstance(answer, Verdict):
        return answer
    if _proved_equal(answer, expected):
        return Verdict(True, "equivalent")
    if seed is None:
        seed = derived_seed(sp.srepr(expected), *(sp.srepr(s) for s in symbols))
    return _first_difference(answer, _expected_values(expected, tuple(symbols), int(seed)), "")


@functools.lru_cache(maxsize=256)
def _expected_values(expected: sp.Expr, symbols: tuple[sp.Symbol, ...], seed: int) -> tuple:
    """The reference's values at the :func:`sample_points` of ``seed`` (None where it is undefined), computed
    once per worker for a question (every student of a class is judged at the same points)."""
    return tuple((p, _value(expected, p)) for p in sample_points(list(symbols), seed))


def _first_difference(answer: sp.Expr, expected: Iterable[tuple[dict, mpmath.mpc | None]], where: str) -> Verdict:
    """Agreement at every (point, expected value) where the expected value is defined (not None), to ``RTOL``
    at ``DIGITS`` digits; the message names the first point (``where`` before it) where the answer is not."""
    for point, want in expected:
        if want is None:
            continue
        got = _value(answer, point)
        if got is None or not _agree(got, want):
            shown = "undefined" if got is None else _shown(got, want)
            return Verdict(False, f"differs at {where}{_fmt(point)}: expected {_shown(want, got)}, got {shown}")
    return Verdict(True, "equivalent")


def _leading(expr: sp.Basic, order: list[sp.Symbol]) -> tuple[list[int], sp.Basic] | None:
    """Degrees and leading coefficient of a polynomial, taken in ``order``; None if it is no polynomial."""
    degrees = []
    for s in order:
        try:
            poly = sp.Poly(sp.expand(expr), s)
        except sp.PolynomialError:
            return None
        if poly.is_zero:
            return None
        degrees.append(poly.degree())
        expr = poly.LC()
    return (degrees, expr) if not expr.free_symbols else None


def asymptotic_ratio(answer: sp.Basic, exact: sp.Basic, order: list[sp.Symbol]) -> sp.Basic:
    """lim answer/exact, taking the limits in ``order`` (n → ∞ first, then L → ∞).

    Polynomials (every count is one) are compared by degrees and leading coefficients, which is exact and
    fast; anything else goes through SymPy's ``limit``.
    """
    a, e = _leading(answer, order), _leading(exact, order)
    if a is not None and e is not None:
        for da, de in zip(a[0], e[0], strict=False):
            if da != de:
                return sp.oo if da > de else sp.S.Zero
        return sp.nsimplify(a[1] / e[1])
    ratio = sp.cancel(answer / exact)
    for s in order:
        ratio = sp.limit(ratio, s, sp.oo)
    return ratio


def _degree_bound(expr: sp.Basic, symbols: set) -> int:
    """An upper bound of the degree in ``symbols`` (functions count one more than their argument): cheap, no expand."""
    if not expr.free_symbols & symbols:
        return 0
    if expr.is_Symbol:
        return 1
    if expr.is_Add:
        return max(_degree_bound(a, symbols) for a in expr.args)
    if expr.is_Mul:
        return sum(_degree_bound(a, symbols) for a in expr.args)
    if expr.is_Pow and expr.exp.is_Integer:
        return abs(int(expr.exp)) * _degree_bound(expr.base, symbols)
    return 1 + max((_degree_bound(a, symbols) for a in expr.args), default=0)


def asymptotically_equivalent(
    answer: sp.Basic, exact: sp.Basic, symbols: list[sp.Symbol], about: Callable[[sp.Basic], str] | None = None
) -> Verdict:
    """Right when answer/exact → 1 as n → ∞ and then L → ∞; the message shows the exact count, or, with
    ``about`` (a public run, which never shows the count), ``about(answer)`` in its place.

    All of the work (the degree bound, the ratio, the limits, the words of the message) runs under one
    ``LIMIT_SECONDS`` timer; the worker's own time limit bounds it too."""
    answer = rename_to(answer, symbols)
    stray = _stray(answer, symbols)
    if stray:
        return stray
    cheap = PUBLIC_COUNT if about else _exact_text(exact)
    try:
        return _time_limited(LIMIT_SECONDS, _asymptotic_verdict, answer, exact, symbols, about)
    except MemoryError:
        raise
    except _OutOfTime:
        return Verdict(False, f"the grader could not take the limit of your answer in time; {cheap}")
    except Exception:  # SymPy's limit can fail on odd input
        return Verdict(False, f"the grader could not take the limit of your answer; {cheap}")


#: What a public run's message says of the count in place of the count itself.
PUBLIC_COUNT = "the public check knows the count only by its values at public points"


def _exact_text(exact: sp.Basic) -> str:
    return f"the exact count under the stub's convention is {sp.expand(exact)}"


def _asymptotic_verdict(
    answer: sp.Basic, exact: sp.Basic, symbols: list[sp.Symbol], about: Callable[[sp.Basic], str] | None
) -> Verdict:
    def exact_text() -> str:
        return about(answer) if about else _exact_text(exact)

    degree = _degree_bound(answer, set(symbols))
    if degree > max(MAX_COUNT_DEGREE, 2 * _degree_bound(exact, set(symbols))):
        return Verdict(False, f"your answer grows far faster than the count (degree up to {degree}); {exact_text()}")
    ratio = asymptotic_ratio(answer, exact, symbols)
    if ratio == 1:
        return Verdict(True, f"{answer} ~ the count" if about else f"{answer} ~ {sp.expand(exact)} ({exact_text()})")
    return Verdict(
        False, f"your answer {answer} is not asymptotically equal to the count: answer/count → {ratio}; {exact_text()}"
    )


# -- a critical set (hw3's critical_points): solutions judged by meaning -------------------------------------

#: The curve points (t, 1/t) :func:`critical_set` tests: |t| log-uniform in each band, half of them negative.
CURVE_SCALES = ((0.05, 0.5), (0.5, 2.0), (2.0, 20.0))
CURVE_POINTS_PER_SCALE = 4


def curve_points(symbols: list[sp.Symbol], seed: int) -> list[dict[sp.Symbol, sp.Float]]:
    """Points (t, 1/t) of the curve w1·w2 = 1, ``t`` a short decimal drawn from ``seed`` (1/t to
    ``POINT_DIGITS`` digits), ``CURVE_POINTS_PER_SCALE`` per band of :data:`CURVE_SCALES`, half negative."""
    rng = random.Random(seed ^ 0x5EED)
    w1, w2 = symbols
    out = []
    for lo, hi in CURVE_SCALES:
        for k in range(CURVE_POINTS_PER_SCALE):
            t = math.exp(rng.uniform(math.log(lo), math.log(hi))) * (1 if k % 2 else -1)
            tf = sp.Float(format(t, POINT_FORMAT), POINT_DIGITS)
            out.append({w1: tf, w2: sp.Float(1, POINT_DIGITS) / tf})
    return out


def _holds(solution: dict, point: dict) -> bool:
    """Whether the solution family holds the point: each given coordinate, evaluated at the point, is the
    point's own coordinate (to ``RTOL`` at ``DIGITS`` digits)."""
    for s, value in solution.items():
        got, want = _value(value, point), _value(point[s], point)
        if got is None or want is None or not _agree(got, want):
            return False
    return True


def critical_set(
    solutions: list[dict[str, sp.Basic]],
    gradient: list[sp.Expr],
    symbols: list[sp.Symbol],
    seed: int,
    cover: bool,
) -> Verdict:
    """A critical set given as solution families (dicts symbol name -> expression, as ``sp.solve(...,
    dict=True)`` gives them), judged by meaning: every solution, substituted (simultaneously) into
    ``gradient``, is 0 (:func:`equivalent` to 0, at the sample points of ``seed``); with ``cover``, the
    solutions also hold the origin and every point (t, 1/t) of :func:`curve_points`. Keys match ``symbols`` by
    name. Run this in the worker (:mod:`autograder.symbolic_worker`)."""
    by_name = {s.name: s for s in symbols}
    names = ", ".join(by_name)
    if not solutions:
        return Verdict(False, "critical_points() returned no solution")
    families = []
    for i, solution in enumerate(solutions, 1):
        family = {}
        for name, value in solution.items():
            if name not in by_name:
                return Verdict(False, f"solution {i} has the key {name[:40]!r}; the keys are the Symbols {names}")
            if not isinstance(value, sp.Expr):
                return Verdict(False, f"solution {i}: the value of {name} is a {type(value).__name__}")
            value = rename_to(value, symbols)
            stray = _stray(value, symbols)
            if stray:
                return Verdict(False, f"solution {i}: {stray.message}")
            family[by_name[name]] = value
        if not family:
            return Verdict(False, f"solution {i} is empty (it would make every point critical)")
        shown = "{" + ", ".join(f"{s}: {v}" for s, v in family.items())[:120] + "}"
        for s, g in zip(symbols, gradient, strict=True):
            zero = equivalent(g.xreplace(family), sp.S.Zero, symbols, seed)
            if not zero.ok:
                return Verdict(False, f"solution {i} {shown} does not zero ∂L/∂{s}: it {zero.message}")
        families.append(family)
    if cover:
        origin = {s: sp.Float(0, POINT_DIGITS) for s in symbols}
        for point in [origin, *curve_points(symbols, seed)]:
            if not any(_holds(f, point) for f in families):
                where = "the origin" if point is origin else f"the point ({_fmt(point)}) of the curve w1·w2 = 1"
                return Verdict(False, f"no solution holds {where}, which is critical: the set is incomplete")
    return Verdict(True, "the critical set")


# -- public values: a reference's answer as numbers, never as its text -------------------------------------

#: The key of a public SymPy answer in public data, beside an empty ``$srepr``: ``{"$srepr": "", "$at": values}``.
PUBLIC_KEY = "$at"
#: The integers of a polynomial's public grid are drawn from this range, degree + 1 of them per symbol.
GRID_RANGE = (2, 40)
MAX_GRID_SIZE = MAX_COUNT_DEGREE + 1  # integers per symbol the worker interpolates through
MAX_PUBLIC_POINTS = 4_096  # points of one public answer (public data is a file a student can edit)
MAX_VALUE_CHARS = 200


class PublicDataError(ValueError):
    """Public values that are not in the form release writes (a damaged or edited ``public_checks.json``)."""


def _value_text(value: mpmath.mpc | None) -> str | list[str] | None:
    """A value as decimal text to ``DIGITS`` significant digits (rounding 1e-40, far below ``RTOL``): the real
    part's text, ``[re, im]`` where it is complex, None where it is undefined."""
    if value is None:
        return None
    if value.imag == 0:
        return mpmath.nstr(value.real, DIGITS)
    return [mpmath.nstr(value.real, DIGITS), mpmath.nstr(value.imag, DIGITS)]


def _text_value(text: object) -> mpmath.mpc | None:
    """:func:`_value_text` read back; raises PublicDataError on anything else."""
    if text is None:
        return None
    parts = text if isinstance(text, list) and len(text) == 2 else [text, "0"]
    if not all(isinstance(t, str) and len(t) <= MAX_VALUE_CHARS and _DECIMAL.fullmatch(t) for t in parts):
        raise PublicDataError("a value is not a decimal")
    with mpmath.workprec(256):
        return mpmath.mpc(mpmath.mpf(parts[0]), mpmath.mpf(parts[1]))


def values_at_points(expected: sp.Expr, symbols: list[sp.Symbol], seed: int) -> dict:
    """What a public check ships for an answer judged by equivalence: ``{"symbols": [name, ...], "points":
    [[coordinate text per symbol], ...], "values": [value text, ...]}``, ``expected`` at the
    :func:`sample_points` of ``seed`` (the public seed's), each value as :func:`_value_text` writes it."""
    rows = _point_texts(symbols, seed)
    points = sample_points(symbols, seed)
    return {
        "symbols": [s.name for s in symbols],
        "points": rows,
        "values": [_value_text(_value(expected, p)) for p in points],
    }


def _names(at: Mapping, symbols: list[sp.Symbol]) -> list[sp.Symbol]:
    by_name = {s.name: s for s in symbols}
    names = at.get("symbols") if isinstance(at, Mapping) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and n in by_name for n in names):
        raise PublicDataError("its symbols are not the case's")
    return [by_name[n] for n in names]


def _shipped_points(at: Mapping, symbols: list[sp.Symbol]) -> list[tuple[dict, mpmath.mpc | None]]:
    """The (point, expected value) pairs of :func:`values_at_points`; raises PublicDataError."""
    syms = _names(at, symbols)
    rows, values = at.get("points"), at.get("values")
    if not (isinstance(rows, list) and isinstance(values, list) and len(rows) == len(values) <= MAX_PUBLIC_POINTS):
        raise PublicDataError("its points and values do not match")
    out = []
    for row, value in zip(rows, values, strict=True):
        if not (isinstance(row, list) and len(row) == len(syms)):
            raise PublicDataError("a point has the wrong number of coordinates")
        if not all(isinstance(c, str) and len(c) <= 40 and _DECIMAL.fullmatch(c) for c in row):
            raise PublicDataError("a coordinate is not a decimal")
        out.append(({s: sp.Float(c, POINT_DIGITS) for s, c in zip(syms, row, strict=True)}, _text_value(value)))
    return out


def agrees_at(answer: sp.Basic, symbols: list[sp.Symbol], at: Mapping) -> Verdict:
    """A public run's equivalence: ``answer`` takes the values :func:`values_at_points` shipped, by the rule of
    :func:`equivalent` at its sample points (``RTOL`` at ``DIGITS`` digits, points where the reference is
    undefined skipped); the message names the first public point where it does not. In the worker."""
    answer = _answer_in(answer, symbols)
    if isinstance(answer, Verdict):
        return answer
    return _first_difference(answer, _shipped_points(at, symbols), "the public point ")


def grid_values(expected: sp.Expr, symbols: list[sp.Symbol], seed: int) -> dict:
    """What a public check ships for an answer its judge needs whole (a count judged asymptotically, the gradient
    a critical set must zero): ``{"symbols": [name, ...], "grid": [[integer, ...] per symbol], "values": [exact
    value text, ...]}``, the polynomial ``expected`` at every point of a grid of degree + 1 distinct integers per
    symbol (drawn from ``seed``), row-major. They determine it: :func:`from_grid` gives it back. Raises
    ValueError where ``expected`` is no polynomial in ``symbols`` with rational coefficients."""
    try:
        poly = sp.Poly(sp.expand(expected), *symbols)
    except sp.PolynomialError:
        raise ValueError(f"{expected} is not a polynomial in {symbols}: a public check cannot ship it") from None
    if not all(c.is_Rational for c in poly.coeffs()) or max(poly.degree_list(), default=0) >= MAX_GRID_SIZE:
        raise ValueError(f"{expected} is not a polynomial of degree < {MAX_GRID_SIZE} with rational coefficients")
    rng = random.Random(seed ^ 0x6121D)
    grid = [sorted(rng.sample(range(*GRID_RANGE), d + 1)) for d in poly.degree_list()]
    values = [poly.eval(tuple(point)) if point else poly.as_expr() for point in itertools.product(*grid)]
    at = {"symbols": [s.name for s in symbols], "grid": grid, "values": [str(sp.Rational(v)) for v in values]}
    if sp.expand(from_grid(at, symbols) - expected) != 0:  # pragma: no cover (interpolation is exact)
        raise ValueError(f"the grid of {expected} does not give it back")
    return at


def _shipped_grid(at: Mapping, symbols: list[sp.Symbol]) -> tuple[list[sp.Symbol], list[list[int]], list[sp.Rational]]:
    """The symbols, grid and values of :func:`grid_values`; raises PublicDataError."""
    syms, grid, texts = _names(at, symbols), at.get("grid"), at.get("values")
    if not (isinstance(grid, list) and len(grid) == len(syms)):
        raise PublicDataError("its grid does not match its symbols")
    for g in grid:
        if not (isinstance(g, list) and 0 < len(g) <= MAX_GRID_SIZE and len(set(g)) == len(g)):
            raise PublicDataError("a grid is not a list of distinct integers")
        if not all(type(v) is int and abs(v) < 10**6 for v in g):
            raise PublicDataError("a grid is not a list of small integers")
    if not (isinstance(texts, list) and len(texts) == math.prod(len(g) for g in grid) <= MAX_PUBLIC_POINTS):
        raise PublicDataError("its values do not fill its grid")
    values = []
    for t in texts:
        try:
            f = fractions.Fraction(t) if isinstance(t, str) and len(t) <= MAX_VALUE_CHARS else None
        except ValueError:
            f = None
        if f is None:
            raise PublicDataError("a value is not an exact rational")
        values.append(sp.Rational(f.numerator, f.denominator))
    return syms, grid, values


def from_grid(at: Mapping, symbols: list[sp.Symbol]) -> sp.Expr:
    """The polynomial :func:`grid_values` shipped, by Lagrange interpolation on its grid (exact: the unique
    polynomial of degree < the grid's size in each symbol through its values). In the worker."""
    syms, grid, values = _shipped_grid(at, symbols)
    bases = [
        [sp.Mul(*[(s - xj) / sp.Integer(xi - xj) for j, xj in enumerate(g) if j != i]) for i, xi in enumerate(g)]
        for s, g in zip(syms, grid, strict=True)
    ]
    terms = (v * sp.Mul(*b) for v, b in zip(values, itertools.product(*bases), strict=True))
    return sp.expand(sp.Add(*terms))


def grid_difference(answer: sp.Basic, at: Mapping, symbols: list[sp.Symbol]) -> str:
    """A public run's words on a count in place of the count: the first point of the shipped grid where
    ``answer`` takes another value (``at the public point n = 7, L = 3 the count is 147, your answer 294``)."""
    syms, grid, values = _shipped_grid(at, symbols)
    answer = rename_to(answer, symbols)
    for point, want in zip(itertools.product(*grid), values, strict=True):
        where = {s: sp.Integer(v) for s, v in zip(syms, point, strict=True)}
        got, exact = _value(answer, where), _value(want, {})
        if got is None or exact is None or not _agree(got, exact):
            whole = got is not None and got.imag == 0 and mpmath.isint(got.real) and abs(got.real) < 10**30
            shown = "undefined" if got is None else str(int(got.real)) if whole else _shown(got)
            named = ", ".join(f"{s} = {v}" for s, v in where.items())
            return f"at the public point {named} the count is {want}, your answer {shown}"
    return PUBLIC_COUNT
