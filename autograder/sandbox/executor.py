"""Run a *program*: a few calls of one module's functions on given inputs, as a check describes them.

The same code runs the student's module inside the sandboxed child and the reference module inside the
grader, so both sides are evaluated in exactly the same way. Copied into the child's runtime: imports
only the standard library and NumPy.

A program (plain JSON after decoding):
    inputs   {name: value}
    steps    [{"name": str, "fn": str, "args": [arg], "kwargs": {str: arg}}]
    returns  [{"label": str, "ref": [name, key, ...], "schema": schema}]
An ``arg`` is ``{"$ref": [name, key...]}`` (an input, deep-copied for every call, or a step's result),
``{"$probe": {"of": name, "probe": k, "sign": 1 | -1}}`` (a fresh copy of the input ``name`` at a gradient
check's point θ ± h·v, expanded here from the probes' specification in the inputs: :mod:`.probes`),
``{"$symbol": name, "assumptions": {...}}``, ``{"$symbols": [...]}``, ``{"$callable": name}`` or plain data.
A step whose ``fn`` is ``"$name"`` calls the trusted callable ``name`` (:func:`load_callables`).
"""

from __future__ import annotations

import copy
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .probes import SPEC, perturbed

# Bound when this module is imported, before any student code runs: a submission that replaces
# copy.deepcopy or numpy.array_equal at import time cannot blind the mutation check that way.
_deepcopy = copy.deepcopy
_ndarray = np.ndarray
_threads = threading.enumerate
_monotonic = time.monotonic

#: How long, at most, the end-of-program mutation check waits for threads the student's calls started.
THREAD_WAIT_SECONDS = 1.0


class StepTimeout(BaseException):
    """Raised inside student code when the request's time is up (a BaseException, like KeyboardInterrupt)."""


#: Trusted callables' module texts, executed once each (see :mod:`autograder.callables`).
_loaded: dict[str, dict[str, Callable]] = {}


def load_callables(source: str) -> dict[str, Callable]:
    """The functions a trusted callables module text defines (an assignment's, sent with the request and
    executed here, in the child, as in the grader for the reference); ``{}`` for no text."""
    if not source:
        return {}
    if source not in _loaded:
        namespace: dict[str, Any] = {"__name__": "_agcallables"}
        exec(compile(source, "<callables>", "exec"), namespace)
        _loaded[source] = {k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")}
    return _loaded[source]


def make_symbol(spec: dict) -> Any:
    import sympy

    assumptions = {str(k): bool(v) for k, v in (spec.get("assumptions") or {}).items()}
    return sympy.Symbol(str(spec["$symbol"]), **assumptions)


def lookup(env: dict, ref: list) -> Any:
    value = env[ref[0]]
    for key in ref[1:]:
        value = value[key]
    return value


def materialize(value: Any, callables: dict | None = None) -> Any:
    """Symbols and named callables, described as data, become the objects themselves."""
    if isinstance(value, dict):
        if "$symbol" in value:
            return make_symbol(value)
        if "$symbols" in value:
            return [make_symbol(s) for s in value["$symbols"]]
        if "$callable" in value:
            return (callables or {})[value["$callable"]]
    return value


def resolve(arg: Any, env: dict, inputs: set, callables: dict | None = None) -> Any:
    """An argument's value: a ``$ref`` is looked up (inputs are deep-copied for every call), a ``$probe``
    expanded (a fresh copy of the input at θ ± h·v)."""
    if isinstance(arg, dict) and "$probe" in arg:
        probe = arg["$probe"]
        return perturbed(env, probe["of"], env[SPEC], probe["probe"], probe["sign"], _deepcopy)
    if isinstance(arg, dict) and "$ref" in arg:
        value = lookup(env, arg["$ref"])
        if arg["$ref"][0] in inputs:
            return materialize(_deepcopy(value), callables)
        return value
    return materialize(arg, callables)


def _arrays_in(value: Any, label: str):
    if isinstance(value, _ndarray):
        yield label, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _arrays_in(v, f"{label}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _arrays_in(v, f"{label}[{i}]")


def _mutated(arg_values: list, originals: list) -> list[str]:
    """Labels of the array arguments whose contents, shape or dtype changed, or that were replaced or removed."""
    after = dict(x for v in arg_values for x in _arrays_in(*v))
    changed = []
    for label, before in (x for v in originals for x in _arrays_in(*v)):
        now = after.get(label)
        same = (  # bytes, not numpy.array_equal: the comparison must not go through patchable NumPy functions
            type(now) is type(before)  # a masked array (or another subclass) returned earlier stays itself
            and isinstance(now, _ndarray)
            and now.shape == before.shape
            and now.dtype == before.dtype
            and _ndarray.tobytes(now) == _ndarray.tobytes(before)
        )
        if not same:
            changed.append(label)
    return changed


#: The detector as bound at import, before any student code runs: replacing ``executor._mutated`` in
#: ``sys.modules`` (as a submission can) does not blind the calls below.
_MUTATION_CHECK = _mutated


def _arg_label(arg: Any, position: str) -> str:
    if isinstance(arg, dict) and "$probe" in arg:
        return str(arg["$probe"]["of"])
    if isinstance(arg, dict) and "$ref" in arg:
        return "".join([str(arg["$ref"][0])] + [f"[{k!r}]" for k in arg["$ref"][1:]])
    return position


def _call_label(arg: Any, inputs: set) -> str:
    """How an argument reads in a message about the call: the input's name, else what it is."""
    if isinstance(arg, dict) and "$probe" in arg:
        return str(arg["$probe"]["of"])
    if isinstance(arg, dict) and "$ref" in arg:
        root = str(arg["$ref"][0])
        return root if root in inputs else "..."
    return "..." if isinstance(arg, dict) else repr(arg)


def describe_exception(exc: BaseException, student_files: tuple[str, ...] = ()) -> dict:
    """Type, message and the traceback lines that point into the student's own files."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not student_files or any(f.filename.endswith(s) for s in student_files)]
    where = [
        f"{f.filename.rsplit('/', 1)[-1]}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in mine[-3:]
    ]
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__
        message = "<unprintable message>"
    return {"type": type(exc).__name__, "message": message[:500], "where": where}


def run_steps(
    program: dict,
    get_function: Callable[[str], Callable],
    student_files: tuple[str, ...] = (),
    watch: bool = True,
    callables: dict[str, Callable] | None = None,
) -> tuple[dict, list[dict]]:
    """Execute the steps; returns the environment (inputs + results) and one report per step.

    ``watch``: record which array arguments each call modified (off for the trusted reference).
    ``callables``: the trusted callables (:func:`load_callables`) that ``{"$callable": name}`` arguments and
    steps whose ``fn`` is ``"$name"`` use.

    A report: {"name", "status": "ok" | "error" | "not_implemented" | "skipped" | "missing",
    "error": {...}, "mutated": [labels], "warnings": [texts]}.
    """
    env = dict(program["inputs"])
    inputs = set(env)
    reports = []
    failed: set[str] = set()
    watched: list[tuple[dict, list, list]] = []  # (report, arguments as passed, their copies from before the call)
    threads_before = set(_threads()) if watch else set()
    for step in program["steps"]:
        report: dict = {"name": step["name"], "fn": step["fn"], "status": "ok", "mutated": [], "warnings": []}
        reports.append(report)
        args, kwargs = step.get("args", []), step.get("kwargs", {})
        deps = {a["$ref"][0] for a in list(args) + list(kwargs.values()) if isinstance(a, dict) and "$ref" in a}
        if deps & failed:
            report["status"] = "skipped"
            failed.add(step["name"])
            continue
        try:
            if step["fn"].startswith("$"):  # a trusted callable of the assignment, not the student's code
                fn = (callables or {})[step["fn"][1:]]
            else:
                fn = get_function(step["fn"])
        except LookupError as exc:
            report.update(status="missing", error={"type": "missing", "message": str(exc), "where": []})
            failed.add(step["name"])
            continue
        call_args = [resolve(a, env, inputs, callables) for a in args]
        call_kwargs = {k: resolve(a, env, inputs, callables) for k, a in kwargs.items()}
        labelled = [
            (v, _arg_label(a, f"argument {i + 1}")) for i, (a, v) in enumerate(zip(args, call_args, strict=False))
        ]
        labelled += [(call_kwargs[k], _arg_label(a, k)) for k, a in kwargs.items()]
        originals = [(_deepcopy(v), label) for v, label in labelled] if watch else []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with np.errstate(over="warn", invalid="warn", divide="warn"):
                    env[step["name"]] = fn(*call_args, **call_kwargs)
            report["warnings"] = [f"{w.category.__name__}: {w.message}"[:200] for w in caught[:5]]
        except NotImplementedError:
            report["status"] = "not_implemented"
            failed.add(step["name"])
            continue
        except StepTimeout:
            raise
        except BaseException as exc:  # student code may raise anything, SystemExit and KeyboardInterrupt too
            error = describe_exception(exc, student_files)
            if isinstance(exc, TypeError) and student_files and not error["where"]:  # the call itself failed
                shown = [_call_label(a, inputs) for a in args] + [f"{k}={k}" for k in kwargs]
                error["message"] += f" (the grader calls {step['fn']}({', '.join(shown)}))"
            report.update(status="error", error=error)
            failed.add(step["name"])
            continue
        report["mutated"] = _MUTATION_CHECK(labelled, originals) if watch else []
        if watch:
            watched.append((report, labelled, originals))
    if watch:
        _recheck(watched, threads_before)
    return env, reports


def _recheck(watched: list[tuple[dict, list, list]], threads_before: set) -> None:
    """After the whole program: wait (a bounded time) for threads the calls started, then compare every
    call's arguments with their copies again, so a write that comes later (a thread, a view kept in a
    global and written by a later call) is seen. A thread still running after the wait counts as a write."""
    deadline = _monotonic() + THREAD_WAIT_SECONDS
    started = [t for t in _threads() if t not in threads_before]
    for t in started:
        try:
            t.join(max(0.0, deadline - _monotonic()))
        except StepTimeout:
            raise
        except BaseException:  # a hostile join; the thread counts as still running
            pass
    running = any(t.is_alive() for t in started)
    for report, labelled, originals in watched:
        late = [label for label in _MUTATION_CHECK(labelled, originals) if label not in report["mutated"]]
        if running:
            late.append(f"(a thread it started was still running {THREAD_WAIT_SECONDS:g} s after the calls)")
        report["mutated"] = report["mutated"] + late
