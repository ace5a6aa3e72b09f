"""How a check judges a case. Every verdict is made here, in the grader, from plain decoded values.

Judges:
- :class:`Compare`: the student's outputs against the reference's on the same inputs: exact shapes, floating
  dtypes (float64 for float64 inputs), finite values, close values; SymPy answers by equivalence
  (``symbolic="equivalent"``) or asymptotic equivalence (``symbolic="asymptotic"``).
- :class:`GradCheck`: a backward pass against central finite differences of the student's own forward, along
  random directions (cost independent of the parameter count) and at a few sampled coordinates.
- :class:`NoMutation`: the functions leave their inputs untouched.

Each kind implements :class:`autograder.judge.Judge` (``expand``, ``program``, ``judge``, ``to_data``) and is
registered by name (:func:`autograder.judge.kind`), so public data stores and reads any of them alike.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from . import symbolic
from .judge import Outcome, kind
from .judge import to_data as judge_to_data
from .programs import Call, Inputs, Program, ref
from .sandbox import probes
from .sandbox.executor import lookup, make_symbol

__all__ = ["Compare", "GradCheck", "IsExpression", "NoMutation", "Outcome", "schema_of"]

EPS = float(np.finfo(np.float64).eps)


class _Data:
    """``to_data`` of a registered judge kind: its kind and its fields (:func:`autograder.judge.to_data`)."""

    def to_data(self) -> dict:
        return judge_to_data(self)


def _functions(inputs: Inputs) -> dict:
    """The assignment's symbolic aliases the grader put beside a symbolic case's inputs (parent-only)."""
    return inputs.get(symbolic.FUNCTIONS_INPUT) or {}


def schema_of(value: Any) -> dict:
    """The form of a reference value, which the child conforms the student's value to."""
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool"}
    if isinstance(value, sp.Basic):
        return {"kind": "sympy"}
    if isinstance(value, dict):
        return {"kind": "dict", "items": {str(k): schema_of(v) for k, v in value.items()}}
    if isinstance(value, (tuple, list)):
        return {"kind": "tuple", "items": [schema_of(v) for v in value]}
    if isinstance(value, (int, float, np.number)) or getattr(value, "shape", None) == ():
        return {"kind": "scalar"}
    return {"kind": "array"}


# -- reading a reply -------------------------------------------------------------------------------------


def _where(error: dict) -> str:
    return f" ({error['where'][-1]})" if error.get("where") else ""


MALFORMED = "the evaluator's reply was malformed ({}); nothing the submission's code writes to the grader counts"
_STATUSES = frozenset({"ok", "error", "not_implemented", "skipped", "missing"})


def _strings(value: Any) -> bool:
    return isinstance(value, list) and (not value or all(isinstance(v, str) for v in value))


def _strings_or_absent(report: dict, key: str) -> bool:
    """Whether ``report[key]`` is a list of strings, or absent (the child leaves out an empty one)."""
    return key not in report or _strings(report[key])


def _step_form(step: Any) -> str | None:
    """Why one step report does not have the child's form, or None."""
    if not (isinstance(step, dict) and isinstance(step.get("name"), str) and isinstance(step.get("fn"), str)):
        return "a bad step report"
    status = step.get("status")
    if not (
        isinstance(status, str)
        and status in _STATUSES
        and _strings_or_absent(step, "mutated")
        and _strings_or_absent(step, "warnings")
    ):
        return "a bad step report"
    if status in ("error", "missing"):
        error = step.get("error")
        if not (
            isinstance(error, dict)
            and isinstance(error.get("type"), str)
            and isinstance(error.get("message"), str)
            and _strings_or_absent(error, "where")
        ):
            return "a bad error report"
    return None


def malformed_reply(reply: Any) -> str | None:
    """Why a reply does not have the form the child sends (e.g. a frame the student's code forged), or None.

    Judges read only replies that pass this and :func:`malformed_returns` (:func:`autograder.grading.run_case`
    checks both), so a forged reply costs the case, never crashes the grader."""
    if not isinstance(reply, dict):
        return MALFORMED.format("not an object")
    if "timeout" in reply:
        ok = isinstance(reply["timeout"], (int, float)) and not isinstance(reply["timeout"], bool)
        return None if ok else MALFORMED.format("a bad timeout")
    if "died" in reply:
        return None if isinstance(reply["died"], str) else MALFORMED.format("a bad death notice")
    if "crash" in reply:
        crash = reply["crash"]
        ok = isinstance(crash, dict) and isinstance(crash.get("type"), str) and isinstance(crash.get("message"), str)
        return None if ok else MALFORMED.format("a bad crash report")
    if not isinstance(reply.get("steps"), list) or not isinstance(reply.get("returns"), list):
        return MALFORMED.format("no steps or returns")
    for step in reply["steps"]:
        why = _step_form(step)
        if why:
            return MALFORMED.format(why)
    return None


def _returns_form(got: Any, want: Any) -> str | None:
    """Why one returned value does not have the structure of the expected one, or None (see
    :func:`malformed_returns`)."""
    if type(want) is np.ndarray and type(got) is np.ndarray:  # the usual case, decided at once
        return None
    if isinstance(got, dict) and set(got) == {"$error"}:
        return None if isinstance(got["$error"], str) else "a bad error"
    if isinstance(want, dict) and "$srepr" in want:
        return None if isinstance(got, dict) and isinstance(got.get("$srepr"), str) else "not a SymPy answer"
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return "a dict with other keys"
        return next((r for k in want if (r := _returns_form(got[k], want[k]))), None)
    if isinstance(want, tuple):
        if not isinstance(got, tuple) or len(got) != len(want):
            return "a tuple of another length"
        return next((r for a, b in zip(got, want, strict=True) if (r := _returns_form(a, b))), None)
    if isinstance(want, bool):
        return None if isinstance(got, bool) else "not a bool"
    return None if isinstance(got, np.ndarray) else "not an array"


def malformed_returns(got: list, expected: list) -> str | None:
    """Why the returned values do not have the structure of the expected ones (containers, keys, lengths,
    bools, SymPy answers), or None; arrays and numbers are checked by the judges themselves."""
    if len(got) != len(expected):
        return MALFORMED.format("the wrong number of values")
    reason = next((r for g, w in zip(got, expected, strict=True) if (r := _returns_form(g, w))), None)
    return MALFORMED.format(reason) if reason else None


def step_failure(reply: dict) -> str | None:
    """The first reason the student's calls did not all run, in words; None when they all ran. The reply
    has the child's form (:func:`malformed_reply`, checked by the grader before any judge reads it)."""
    if "timeout" in reply:
        return f"did not finish within {reply['timeout']:g} s (an infinite loop, or far too slow)"
    if "died" in reply:
        return reply["died"]
    if "crash" in reply:
        return f"the evaluator failed: {reply['crash'].get('type')}: {reply['crash'].get('message')}"
    for step in reply["steps"]:
        status, fn = step["status"], step["fn"]
        if status == "not_implemented":
            return f"{fn} is not implemented yet (it raises NotImplementedError)"
        if status == "missing":
            return step["error"]["message"]
        if status == "error":
            e = step["error"]
            return f"{fn} raised {e['type']}: {e['message']}{_where(e)}"
    return None


def _returned_error(value: Any) -> str | None:
    if isinstance(value, dict) and "$error" in value:
        return str(value["$error"])
    return None


# -- comparing values ------------------------------------------------------------------------------------


def _float32_inputs(inputs: Inputs) -> bool:
    """Whether an input array (or one inside a dict input, tagged values aside) is float32."""
    return any(_has_float32(v) for v in inputs.values())


def _has_float32(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype == np.float32
    if isinstance(value, dict) and not any(str(k).startswith("$") for k in value):
        return any(_has_float32(v) for v in value.values())
    return False


def _fmt_index(label: str, idx: tuple) -> str:
    return f"{label}[{', '.join(str(int(i)) for i in idx)}]" if idx else label


def agree(got: Any, want: Any, bound: Any) -> Any:
    """Where ``got`` is within ``bound`` of ``want``, failing closed: a NaN, an infinity or a non-number on
    either side never agrees (every numeric verdict goes through here). Three Python floats are compared as
    floats (the same IEEE arithmetic, without NumPy's per-call cost), with the same kind of result."""
    if type(got) is float and type(want) is float and type(bound) is float:
        return np.True_ if math.isfinite(got) and math.isfinite(want) and abs(got - want) <= bound else np.False_
    got, want, bound = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), np.asarray(bound)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.isfinite(got) & np.isfinite(want) & (np.abs(got - want) <= bound)


def wrong_entries(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Where ``got`` is not close enough to ``want`` (same shapes), by :func:`check_array`'s rule: ``atol``
    scaled by the largest finite expected magnitude, plus ``rtol`` relative; an expected infinity must be met."""
    got64, want64 = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = float(np.max(np.abs(want64[np.isfinite(want64)]), initial=1.0))
    bound = atol * max(1.0, scale) + rtol * np.abs(want64)
    same_infinity = np.isinf(want64) & (got64 == want64)
    return ~(agree(got64, want64, bound) | same_infinity)


def _all_close(got64: np.ndarray, want64: np.ndarray, rtol: float, atol: float) -> bool:
    """Whether every entry agrees (:func:`wrong_entries` finds none), decided in one pass of the same arithmetic
    where the expected values and the bound are all finite: then an entry within the bound is finite, no
    infinity needs meeting and the scale is the largest expected magnitude. False where that does not hold
    (nothing decided: :func:`check_array` then says what is wrong, or that nothing is)."""
    magnitude = np.abs(want64)
    largest = float(magnitude.max(initial=0.0))  # NaN or infinity when an expected value is
    scaled = atol * max(1.0, largest)
    if not math.isfinite(scaled + abs(rtol) * largest):  # the largest bound, and so every one, finite
        return False
    with np.errstate(over="ignore"):
        return bool((np.abs(got64 - want64) <= scaled + rtol * magnitude).all())


def error_map(label: str, got: Any, want: Any, rtol: float, atol: float) -> dict | None:
    """The plot data of an error map (:class:`~autograder.judge.Outcome`) for an array ``check_array`` found
    wrong in its values: floating, of the expected shape, with at least two axes; None for anything else."""
    want = np.asarray(want)
    if not isinstance(got, np.ndarray) or got.dtype.kind != "f" or got.shape != want.shape or got.ndim < 2:
        return None
    wrong = wrong_entries(got, want, rtol, atol)
    title = f"{label}: {int(wrong.sum())} of {wrong.size} entries wrong"
    return {"kind": "error_map", "label": label, "got": got, "want": want, "wrong": wrong, "title": title}


def check_array(
    label: str,
    got: Any,
    want: np.ndarray,
    lenient_dtype: bool,
    rtol: float = 0.0,
    atol: float = 0.0,
    values: bool = True,
) -> str | None:
    """Why ``got`` is not ``want`` (dtype, shape, then finiteness and values unless ``values`` is False), or
    None when it is close enough. With ``values`` False the entries must still be finite."""
    if not isinstance(got, np.ndarray):
        return f"{label} is {type(got).__name__}, expected an array"
    if got.dtype.kind == "c":
        return f"{label} has complex values (dtype {got.dtype}); return real floating-point values"
    if got.dtype.kind in "iub":
        return f"{label} has dtype {got.dtype}; return floating-point values (e.g. .astype(float))"
    if got.dtype != np.float64 and not (lenient_dtype and got.dtype == np.float32):
        return f"{label} has dtype {got.dtype}; float64 inputs need float64 results"
    if got.shape != want.shape:
        what = "a scalar" if want.shape == () else f"shape {want.shape}"
        return f"{label} has shape {got.shape}, expected {what}"
    got64, want64 = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if values and _all_close(got64, want64, rtol, atol):
        return None
    finite = np.isfinite(got64)
    if not finite.all():
        bad_finite = ~finite & np.isfinite(want64)
        if bad_finite.any():
            idx = tuple(np.argwhere(bad_finite)[0])
            shown = f", expected {want64[idx]:.8g} (a finite number)" if values else " (a finite number is needed)"
            return f"{_fmt_index(label, idx)} is {got64[idx]}{shown}"
    if not values:
        return None
    bad = wrong_entries(got64, want64, rtol, atol)
    if not bad.any():
        return None
    with np.errstate(invalid="ignore"):
        err = np.where(bad, np.nan_to_num(np.abs(got64 - want64), nan=np.inf), -1.0)
    idx = tuple(np.unravel_index(int(np.argmax(err)), got.shape)) if got.shape else ()
    count = f"at {int(bad.sum())} of {bad.size} entries; largest error " if got.size > 1 else ""
    return (
        f"{label} differs from the expected value {count}at {_fmt_index(label, idx)}: "
        f"expected {want64[idx]:.8g}, got {got64[idx]:.8g}"
    )


def _symbols(inputs: Inputs) -> list[sp.Symbol]:
    out = []
    for v in inputs.values():
        if isinstance(v, dict) and "$symbol" in v:
            out.append(make_symbol(v))
        elif isinstance(v, dict) and "$symbols" in v:
            out.extend(make_symbol(s) for s in v["$symbols"])
    return out


@kind
@dataclass(frozen=True)
class Compare(_Data):
    """The student's outputs match the reference's on the same inputs.

    rtol/atol: float64 tolerances (``atol`` is scaled by the largest expected magnitude); float32 inputs get
    ``rtol32``. ``no_warnings``: a NumPy warning (overflow, invalid value) during the call fails the case.
    ``symbolic``: how SymPy answers are judged, ``"equivalent"`` or ``"asymptotic"`` (limits in ``order``).
    """

    program_: Program
    rtol: float = 1e-7
    atol: float = 1e-10
    rtol32: float = 1e-4
    no_warnings: bool = False
    symbolic: str = "equivalent"
    order: tuple[str, ...] = ()

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return symbolic.with_seed(inputs, rng)  # judge:seed, the sample points' seed, for a SymPy answer

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self.program_.steps(inputs), [(label, ref(r)) for label, r in self.program_.returns]

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        if self.no_warnings:
            for step in reply["steps"]:
                if step["warnings"]:
                    return Outcome(False, f"{step['fn']} caused a NumPy warning: {step['warnings'][0]}")
        lenient = _float32_inputs(inputs)
        plots: list[dict] = []
        for (label, _), got, want in zip(self.program_.returns, reply["returns"], expected, strict=False):
            why = self._compare(label, got, want, inputs, lenient, plots)
            if why:
                return Outcome(False, why, plots[0] if plots else None)
        return Outcome(True)

    def _compare(
        self, label: str, got: Any, want: Any, inputs: Inputs, lenient: bool, plots: list[dict] | None = None
    ) -> str | None:
        """Why ``got`` is not ``want``, or None; an array wrong in its values adds its error map to ``plots``."""
        plots = [] if plots is None else plots
        err = _returned_error(got)
        if err:
            return f"{label}: {err}"
        if isinstance(want, dict) and "$srepr" in want:
            return self._compare_symbolic(label, got, want, inputs)
        if isinstance(want, dict):
            for k, w in want.items():
                why = self._compare(f"{label}[{k!r}]", got[k], w, inputs, lenient, plots)
                if why:
                    return why
            return None
        if isinstance(want, tuple):
            names = [n.strip() for n in label.strip("()").split(",")] if label.startswith("(") else []
            for i, (g, w) in enumerate(zip(got, want, strict=False)):
                name = names[i] if len(names) == len(want) else f"{label}[{i}]"
                why = self._compare(name, g, w, inputs, lenient, plots)
                if why:
                    return why
            return None
        if isinstance(want, bool):
            return None if got is want else f"{label} is {got}, expected {want}"
        rtol = self.rtol32 if lenient else self.rtol
        atol = self.atol if not lenient else rtol
        why = check_array(label, got, np.asarray(want), lenient, rtol, atol)
        if why and " differs from the expected value" in why:
            plot = error_map(label, got, want, rtol, atol)
            plots.extend([plot] if plot else [])
        return why

    def _compare_symbolic(self, label: str, got: Any, want: dict, inputs: Inputs) -> str | None:
        """Judged in a worker process (:mod:`autograder.symbolic_worker`), never here: SymPy work on the
        student's text cannot be interrupted in this process. Sample points come from ``judge:seed``; in a public
        run, ``want`` holds no answer but its values at public points (``$at``, :mod:`autograder.public_data`)."""
        from . import symbolic_worker

        syms = {s.name: sp.srepr(s) for s in _symbols(inputs)}
        if symbolic.PUBLIC_KEY in want:
            task, names = ("asymptotic", self.order) if self.symbolic == "asymptotic" else ("equivalent", syms)
            verdict = symbolic_worker.public(
                got["$srepr"], want[symbolic.PUBLIC_KEY], [syms[n] for n in names], task, functions=_functions(inputs)
            )
        elif self.symbolic == "asymptotic":
            order = [syms[name] for name in self.order]
            verdict = symbolic_worker.asymptotic(got["$srepr"], want["$srepr"], order, functions=_functions(inputs))
        else:
            seed = inputs.get(symbolic.SEED_INPUT)
            verdict = symbolic_worker.equivalent(
                got["$srepr"], want["$srepr"], list(syms.values()), seed, functions=_functions(inputs)
            )
        return None if verdict.ok else f"{label}: {verdict.message}"


# -- finite differences ----------------------------------------------------------------------------------


def _variables(inputs: Inputs, wrt: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Paths of the arrays to differentiate: an input name, or (name, key) for each entry of a dict input."""
    paths = []
    for name in wrt:
        value = inputs[name]
        if isinstance(value, dict):
            paths.extend((name, k) for k in value)
        else:
            paths.append((name,))
    return paths


def _get(inputs: Inputs, path: tuple) -> np.ndarray:
    return lookup(inputs, list(path))


class _DirectionCache:
    """The random directions of the gradient checks' probes (:func:`autograder.sandbox.probes.unit_direction`, a
    function of a seed and shapes only), kept while they take at most ``max_bytes``, least recently used first
    out: a class's submissions share their cases' seeds, so each direction is drawn once, not per submission."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.held = max_bytes, 0
        self.kept: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, seed: int, shapes: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, ...]:
        key = (seed, shapes)
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        vectors = probes.unit_direction(seed, shapes)  # read-only arrays: safe to hand out again
        size = sum(v.nbytes for v in vectors)
        with self.lock:
            if size <= self.max_bytes and key not in self.kept:
                self.kept[key], self.held = vectors, self.held + size
                while self.held > self.max_bytes:
                    _, dropped = self.kept.popitem(last=False)
                    self.held -= sum(v.nbytes for v in dropped)
        return vectors


_DIRECTIONS = _DirectionCache(64 * 1024 * 1024)


@kind
@dataclass(frozen=True)
class GradCheck(_Data):
    """A backward pass agrees with central differences of the student's own forward (float64), and that
    forward is the reference's at every point the differences use.

    With f(θ) = Σ dout ⊙ forward(θ), the directional derivative D = (f(θ + h v) − f(θ − h v)) / 2h is taken for
    ``directions`` random unit directions and ``coords`` sampled coordinates of each array. A case passes only
    when, failing closed (NaN, inf and non-numbers never pass):

    1. the forward's outputs at θ and at every θ ± h v match the reference's (``Compare``'s tolerances);
    2. the gradients have the inputs' shapes and are finite;
    3. D of the student's forward agrees with D of the reference's forward within the rounding bound ρ;
    4. the analytic Σ ⟨grad, v⟩ agrees with the student's D within ``tol`` · |D_ref| + ρ + τ.

    The probes travel as a specification (:mod:`autograder.sandbox.probes`: a direction seed or a coordinate
    each, drawn from the case's own stream), with θ sent once: the child moves θ to θ ± h v right before each
    forward call, and the grader expands the same probes with the same function for the reference's run and
    for ⟨grad, v⟩, so a request grows with the inputs' size, not with the number of probes.

    The error model (float64, ε = 2.2e-16): evaluating f at θ ± h v rounds each output F_k by about
    ``rounding`` · ε · |F_k| (the constant covers the sums inside F_k), so D carries a rounding error of at
    most ρ = ``rounding`` · ε · Σ_k |dout_k| (|F_k(θ + h v)| + |F_k(θ − h v)|) / 2h, with the F_k the reference's;
    the truncation error of central differences is τ = h² · Σ |dout| · ``smoothness`` (|d³F/dt³| ≤ ``smoothness``
    along a unit direction: 0 for linear and piecewise-linear forwards away from their kinks, which the case
    generators keep at a distance far larger than h; below 1 for log-softmax). ``tol`` covers the rest (the
    student's own rounding in the backward).

    forward / forward_args / forward_kwargs   how the forward is called (``out_index``: its output's position)
    backward / backward_args                  how the backward is called; "$dout" and "$cache" are the upstream
                                              gradient (the input named ``dout``) and the forward's cache
                                              (position ``cache_index`` of its result)
    wrt                                       the inputs the backward returns gradients for, in its order
                                              (a dict input means a dict of gradients with the same keys)
    """

    forward: str
    backward: str
    forward_args: tuple[str, ...]
    wrt: tuple[str, ...]
    forward_kwargs: tuple[str, ...] = ()
    backward_args: tuple[str, ...] = ("$dout", "$cache")
    out_index: int | None = 0
    cache_index: int = 1
    directions: int = 3
    coords: int = 2
    h: float = 1e-6
    tol: float = 1e-6
    rounding: float = 64.0
    smoothness: float = 1.0
    forward_rtol: float = 1e-7
    forward_atol: float = 1e-10
    dout: str = "dout"

    def _out_ref(self, step: str) -> str:
        return step if self.out_index is None else f"{step}[{self.out_index}]"

    @staticmethod
    def _probes(inputs: Inputs) -> list[str]:
        """The probes' tags (``"000"``, ``"001"``, ...), one per probe of the case's specification."""
        return [f"{k:03d}" for k in range(len(inputs[probes.SPEC]["probes"]))]

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        """The inputs with the probes' specification (:mod:`autograder.sandbox.probes`): a direction seed per
        random direction and ``coords`` sampled flat indices per array, all drawn from the case's own ``rng``
        (as secret as the inputs); the child expands them into θ ± h·v right before each forward call."""
        paths = _variables(inputs, self.wrt)
        specs: list[dict] = [{"seed": int(s)} for s in rng.integers(0, 2**63 - 1, size=self.directions)]
        for p in paths:
            size = int(np.prod(np.shape(_get(inputs, p))))
            flat = rng.choice(size, size=min(self.coords, size), replace=False)
            specs += [{"path": list(p), "index": int(i)} for i in flat]
        return {**inputs, probes.SPEC: {"h": self.h, "paths": [list(p) for p in paths], "probes": specs}}

    def _forward_step(self, name: str, inputs: Inputs, probe: int | None = None, sign: int = 1) -> dict:
        """The forward call at θ (``probe`` None) or at θ + sign·h·v of a probe: each ``wrt`` argument a
        ``$probe`` the child expands (:mod:`autograder.sandbox.probes`)."""
        kwargs = tuple(k for k in self.forward_kwargs if k in inputs)
        step = Call(name, self.forward, self.forward_args, kwargs).step(inputs)
        if probe is not None:
            step["args"] = [
                {"$probe": {"of": a, "probe": probe, "sign": sign}} if a in self.wrt else arg
                for a, arg in zip(self.forward_args, step["args"], strict=True)
            ]
        return step

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        steps = [self._forward_step("fwd", inputs)]
        bargs = tuple({"$dout": self.dout, "$cache": f"fwd[{self.cache_index}]"}.get(a, a) for a in self.backward_args)
        steps.append(Call("grads", self.backward, bargs).step(inputs))
        returns = [("out", self._out_ref("fwd")), ("grads", "grads")]
        for k, i in enumerate(self._probes(inputs)):
            for sign, tag in ((1, "+"), (-1, "-")):
                steps.append(self._forward_step(f"f{tag}{i}", inputs, k, sign))
                returns.append((f"out{tag}{i}", self._out_ref(f"f{tag}{i}")))
        return steps, [(label, ref(r)) for label, r in returns]

    def _grad(self, grads: Any, path: tuple) -> Any:
        if len(self.wrt) == 1 and len(path) == 1:
            return grads
        i = self.wrt.index(path[0])
        g = grads if len(self.wrt) == 1 else grads[i]
        return g[path[1]] if len(path) == 2 else g

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        labels = ["out", "grads"] + [f"out{tag}{i}" for i in self._probes(inputs) for tag in "+-"]
        values = dict(zip(labels, reply["returns"], strict=True))
        wants = dict(zip(labels, expected, strict=True))
        for label, v in values.items():
            err = _returned_error(v)
            if err:
                return Outcome(False, f"{self.backward if label == 'grads' else self.forward}: {err}")
        outputs = [label for label in labels if label != "grads"]
        for label in [] if self._forward_right(outputs, values, wants) else outputs:  # 1. the forward is right
            where = "" if label == "out" else " at a point θ ± h·v next to the case's inputs"
            why = check_array(
                f"the output{where}",
                values[label],
                np.asarray(wants[label]),
                False,
                self.forward_rtol,
                self.forward_atol,
            )
            if why:
                plot = error_map(
                    f"{self.forward} output", values[label], wants[label], self.forward_rtol, self.forward_atol
                )
                message = f"{self.forward}: {why} (the gradient is checked against a correct forward only)"
                return Outcome(False, message, plot if " differs from the expected value" in why else None)
        dout = np.asarray(inputs[self.dout], dtype=np.float64)
        paths = _variables(inputs, self.wrt)
        names = {p: p[0] if len(p) == 1 else f"{p[0]}[{p[1]!r}]" for p in paths}
        grads = {}
        for p in paths:  # 2. gradients of the right form, finite
            g = self._grad(values["grads"], p)
            why = check_array(
                f"the gradient for {names[p]}", g, np.asarray(_get(inputs, p), dtype=np.float64), False, values=False
            )
            if why:
                return Outcome(False, f"{self.backward}: {why}")
            grads[p] = g
        truncation = self.h**2 * float(np.sum(np.abs(dout))) * self.smoothness
        for k, i in enumerate(self._probes(inputs)):
            plus, minus = values[f"out+{i}"], values[f"out-{i}"]
            ref_plus, ref_minus = (np.asarray(wants[f"out{t}{i}"], dtype=np.float64) for t in "+-")
            numeric = float((dout * (plus - minus)).sum()) / (2 * self.h)
            reference = float((dout * (ref_plus - ref_minus)).sum()) / (2 * self.h)
            size = float(np.abs(dout * ref_plus).sum() + np.abs(dout * ref_minus).sum())
            rounding = self.rounding * EPS * size / (2 * self.h)
            d = probes.direction(inputs[probes.SPEC], k, inputs, _DIRECTIONS)  # the v the child moved θ along
            analytic = float(sum((grads[p] * v).sum() for p, v in d.items()))
            if not agree(numeric, reference, rounding + truncation):  # 3. the forward is consistent near θ
                return Outcome(
                    False,
                    (
                        f"{self._direction(d, names)}: finite differences of your {self.forward} give "
                        f"{numeric:.8g}, those of the reference's give {reference:.8g}: your {self.forward} does not "
                        "change with its inputs as it should (e.g. a cached or rounded output)"
                    ),
                )
            if not agree(analytic, numeric, self.tol * abs(reference) + rounding + truncation):  # 4.
                rel = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-300)
                return Outcome(
                    False,
                    (
                        f"{self._direction(d, names)}: finite differences of your {self.forward} give "
                        f"{numeric:.8g}, your {self.backward} gives {analytic:.8g} (relative error {rel:.1e} > "
                        f"{self.tol:g})"
                    ),
                )
        return Outcome(True)

    def _forward_right(self, labels: list[str], values: dict, wants: dict) -> bool:
        """Whether every forward output has its reference's form and values (``check_array``'s rule, for all
        outputs at once; when not, ``check_array`` on each says where)."""
        got, want = [values[k] for k in labels], [np.asarray(wants[k], dtype=np.float64) for k in labels]
        pairs = zip(got, want, strict=True)
        if not all(type(g) is np.ndarray and g.dtype == np.float64 and g.shape == w.shape for g, w in pairs):
            return False
        got, want = np.stack(got), np.stack(want)
        flat = np.abs(want).reshape(len(labels), -1)
        scale = np.max(np.where(np.isfinite(flat), flat, 0.0), axis=1, initial=1.0)
        bound = self.forward_atol * scale.reshape((-1,) + (1,) * (want.ndim - 1)) + self.forward_rtol * np.abs(want)
        return bool(np.all(agree(got, want, bound)))

    @staticmethod
    def _direction(d: dict, names: dict) -> str:
        """How a probe reads in a message: one coordinate's partial derivative, or a random direction."""
        if len(d) == 1:
            ((p, v),) = d.items()
            if np.count_nonzero(v) == 1:
                idx = np.unravel_index(int(np.flatnonzero(v)[0]), v.shape)
                return f"∂f/∂{_fmt_index(names[p], idx)}"
        return "the derivative along a random direction"


# -- properties ------------------------------------------------------------------------------------------


@kind
@dataclass(frozen=True)
class NoMutation(_Data):
    """Each call leaves its array arguments untouched (contents, shape and dtype), checked right after the
    call and again after the whole program (and after any thread the calls started has ended).

    A property counts only where the values are right: every call's result is also compared with the
    reference's (``Compare``'s tolerances), so a function that computes nothing never earns this point.
    """

    program_: Program

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def _values(self) -> Compare:
        """The same calls, with the values the program returns (every result the course fixes: outputs, not
        caches) compared with the reference's."""
        if not self.program_.returns:
            raise ValueError("a NoMutation program must return the values it is judged on")
        return Compare(self.program_)

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self._values().program(inputs)

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        values = self._values().judge(inputs, reply, expected)
        if not values.passed:
            return Outcome(False, f"{values.message} (no mutation counts only where the values are right)", values.plot)
        for step in reply["steps"]:
            if step["mutated"]:
                return Outcome(
                    False,
                    f"{step['fn']} modified its input {', '.join(step['mutated'])} in place; "
                    "work on a copy (e.g. x.copy() or x = x + ...) instead",
                )
        return Outcome(True)


def _withheld(expected: list) -> bool:
    """Whether the expected SymPy answers were withheld with nothing in their place (public data never ships
    them; it ships their values at public points, ``$at``, which are judged; data written without those is
    judged by its form only; grading always has the answers)."""
    return any(isinstance(e, dict) and e.get("$srepr") == "" and symbolic.PUBLIC_KEY not in e for e in _flat(expected))


def _flat(value: Any):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    elif isinstance(value, dict) and "$srepr" not in value:
        for v in value.values():
            yield from _flat(v)
    else:
        yield value


@kind
@dataclass(frozen=True)
class IsExpression(_Data):
    """Each returned value is a SymPy expression in the symbols given to the function, and nothing else.

    A property counts only where the values are right: the answers are also judged against the reference's
    (``symbolic`` and ``order`` as in :class:`Compare`), so an expression that means nothing earns nothing.
    """

    program_: Program
    symbolic: str = "equivalent"
    order: tuple[str, ...] = ()

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self.program_.steps(inputs), [(label, ref(r)) for label, r in self.program_.returns]

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        from . import symbolic_worker

        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        values = Compare(self.program_, symbolic=self.symbolic, order=self.order)
        values = values.judge(inputs, reply, expected) if not _withheld(expected) else Outcome(True)
        if not values.passed:
            return Outcome(False, f"{values.message} (this property counts only where the answers are right)")
        names = {s.name for s in _symbols(inputs)}
        for (label, _), got in zip(self.program_.returns, reply["returns"], strict=False):
            err = _returned_error(got)
            if err:
                return Outcome(False, f"{label}: {err}")
            read = symbolic_worker.symbol_names(got["$srepr"], functions=_functions(inputs))  # in a worker, never here
            if not read.ok:
                return Outcome(False, f"{label}: {read.message}")
            stray = sorted(set(read.names) - names)
            if stray:
                return Outcome(False, f"{label} uses {', '.join(stray)}; use only {', '.join(sorted(names))}")
        return Outcome(True)
