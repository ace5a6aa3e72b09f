"""Symbolic answers: parse a student's ``srepr`` text safely, then judge it by meaning, never by form.

The child sends SymPy answers as ``srepr`` text. It is parsed here with :mod:`ast` and rebuilt from an
allow-list of SymPy constructors; nothing is ever passed to ``eval`` or ``sympify`` of a string. Number
literals and integer powers are bounded, so an answer cannot make the grader compute for ever.
"""

from __future__ import annotations

import ast
import math
import random
from dataclasses import dataclass

import sympy as sp

MAX_SREPR_CHARS = 100_000
MAX_NODES = 5_000
MAX_DEPTH = 200
MAX_INT_DIGITS = 30
MAX_POWER = 1_000
MAX_NUMBER_BITS = 4_096
MAX_COUNT_DEGREE = 16
LIMIT_SECONDS = 2.0

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

#: Undefined functions an answer may use for the logistic sigmoid σ (the spec allows a function named sigma).
SIGMOID_NAMES = ("sigma", "sigmoid", "σ", "logistic")


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


def _check_size(expr) -> None:
    """SymPy folds (b**p)**q and b**p*b**q into one power, and evaluates powers of numbers: bound the results."""
    for e in (expr, *expr.args) if isinstance(expr, sp.Basic) else ():
        if e.is_Pow and e.exp.is_Integer and abs(int(e.exp)) > MAX_POWER:
            raise AnswerError("an exponent in the answer is too large")
        if e.is_Rational and abs(e.p).bit_length() + e.q.bit_length() > MAX_NUMBER_BITS:
            raise AnswerError("a number in the answer is too large")


class _Builder:
    def __init__(self):
        self.nodes = 0

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
            if name not in SIGMOID_NAMES:
                raise AnswerError(f"the answer uses an unknown function {name}(); write it out in SymPy")
            if len(args) != 1:
                raise AnswerError(f"{name}() takes one argument")
            return 1 / (1 + sp.exp(-args[0]))
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
            try:
                return sp.Float(str(args[0]), precision=max(1, min(precision, 200)))
            except (TypeError, ValueError):
                raise AnswerError("a malformed Float(...) in the answer") from None
        if name in CONSTRUCTORS:
            if any(not isinstance(a, sp.Basic) for a in args) or kwargs:
                raise AnswerError(f"a malformed {name}(...) in the answer")
            if name in EXPR_ONLY and any(not isinstance(a, sp.Expr) for a in args):
                raise AnswerError(f"{name}(...) in the answer applied to something that is not a number")
            if name == "Pow" and len(args) == 2 and args[1].is_Integer:
                base, e = args
                if abs(int(e)) > MAX_POWER:
                    raise AnswerError("an exponent in the answer is too large")
                if (
                    base.is_Rational
                    and (abs(base.p).bit_length() + base.q.bit_length()) * abs(int(e)) > MAX_NUMBER_BITS
                ):
                    raise AnswerError("a number in the answer is too large")
            try:
                result = CONSTRUCTORS[name](*args)
            except Exception as exc:  # SymPy raises TypeError, ValueError, AttributeError, ... on odd arguments
                raise AnswerError(f"a malformed {name}(...) in the answer: {type(exc).__name__}") from None
            _check_size(result)
            return result
        raise AnswerError(f"the answer uses {name}(), which the grader does not accept")


def parse_srepr(text: str) -> sp.Basic:
    """Rebuild a SymPy expression from ``srepr`` text through the allow-list; raises AnswerError."""
    if not isinstance(text, str) or len(text) > MAX_SREPR_CHARS:
        raise AnswerError("the answer is not SymPy text of a sensible size")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise AnswerError("the answer could not be read") from None
    try:
        value = _Builder().build(tree.body)
    except AnswerError:
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
    ok: bool
    message: str


def _value(expr: sp.Basic, point: dict) -> complex | None:
    try:
        v = complex(expr.xreplace(point).evalf(20))  # substituting first is several times faster than subs=
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return None
    return v if math.isfinite(v.real) and math.isfinite(v.imag) else None


def _fmt(point: dict) -> str:
    return ", ".join(f"{s} = {float(v):.4g}" for s, v in point.items())


def equivalent(
    answer: sp.Basic, expected: sp.Basic, symbols: list[sp.Symbol], seed: int = 0, samples: int = 6
) -> Verdict:
    """Equivalent as functions of ``symbols``: exact simplification, else agreement at random points.

    A counterexample point is given when they differ; a difference that SymPy cannot prove zero but that
    vanishes at every sampled point (to 1e-10 relative) is accepted, as in polynomial identity testing.
    """
    answer = rename_to(answer, symbols)
    stray = sorted(s.name for s in answer.free_symbols if s not in set(symbols))
    if stray:
        names = ", ".join(s.name for s in symbols)
        return Verdict(False, f"the answer uses symbol(s) {', '.join(stray)}; it may use only {names}")
    rng = random.Random(seed)
    for _ in range(samples):
        point = {s: sp.Float(rng.uniform(-2.5, 2.5), 20) for s in symbols}
        want, got = _value(expected, point), _value(answer, point)
        if want is None:
            continue
        if got is None or abs(got - want) > 1e-10 * max(1.0, abs(want)):
            shown = "undefined" if got is None else f"{got.real:.10g}"
            return Verdict(False, f"differs at {_fmt(point)}: expected {want.real:.10g}, got {shown}")
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


class _OutOfTime(BaseException):
    pass


def _time_limited(seconds, fn, *args):
    """fn(*args), interrupted after ``seconds`` where a timer can be used (the main thread of a process)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return fn(*args)

    def on_alarm(signum, frame):
        raise _OutOfTime()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def asymptotically_equivalent(answer: sp.Basic, exact: sp.Basic, symbols: list[sp.Symbol]) -> Verdict:
    """Right when answer/exact → 1 as n → ∞ and then L → ∞; the message shows the exact count."""
    answer = rename_to(answer, symbols)
    stray = sorted(s.name for s in answer.free_symbols if s not in set(symbols))
    if stray:
        names = ", ".join(s.name for s in symbols)
        return Verdict(False, f"the answer uses symbol(s) {', '.join(stray)}; it may use only {names}")
    exact_text = f"the exact count under the stub's convention is {sp.expand(exact)}"
    degree = _degree_bound(answer, set(symbols))
    if degree > max(MAX_COUNT_DEGREE, 2 * _degree_bound(exact, set(symbols))):
        return Verdict(False, f"your answer grows far faster than the count (degree up to {degree}); {exact_text}")
    try:
        ratio = _time_limited(LIMIT_SECONDS, asymptotic_ratio, answer, exact, symbols)
    except Exception:  # SymPy's limit can fail on odd input
        return Verdict(False, f"the grader could not take the limit of your answer {answer}; {exact_text}")
    except _OutOfTime:
        return Verdict(False, f"the grader could not take the limit of your answer {answer} in time; {exact_text}")
    if ratio == 1:
        return Verdict(True, f"{answer} ~ {sp.expand(exact)} ({exact_text})")
    return Verdict(
        False, f"your answer {answer} is not asymptotically equal to the count: answer/count → {ratio}; {exact_text}"
    )
