"""Grade one submission: draw each check's cases, get the expected values, run the student's code in the
sandbox, judge every case in this process.

Where expected values come from is the only thing that differs between grading and a student's own run:
:class:`ReferenceExpectations` runs the reference solutions here (grading; inputs from a secret seed that is
recorded), :class:`PublicExpectations` reads what release stored (``autograder check``; public checks only).
"""

from __future__ import annotations

import importlib
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checks import Assignment, Check, parent_only
from .judges import Outcome, malformed_reply, malformed_returns, schema_of
from .sandbox import wire
from .sandbox.child import conform
from .sandbox.executor import run_steps
from .sandbox.runner import Sandbox

REQUEST_SECONDS = 5.0
SUBMISSION_SECONDS = 120.0


@dataclass
class CaseResult:
    label: str
    passed: bool
    message: str = ""


@dataclass
class CheckResult:
    id: str
    problem: str
    function: str
    title: str
    public: bool
    points: float
    max_points: float
    message: str
    hint: str
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points - 1e-9


@dataclass
class SubmissionResult:
    submission: str
    assignment: str
    seed: int | None
    score: float
    max_score: float
    problems: dict[str, dict[str, float]]
    checks: list[CheckResult]
    notes: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        checks = [CheckResult(**{**c, "cases": [CaseResult(**k) for k in c["cases"]]}) for c in data["checks"]]
        return cls(**{**data, "checks": checks})


@dataclass
class PreparedCase:
    """One case ready to run: inputs, the returns the child must send (with schemas), the expected values."""

    label: str
    inputs: dict[str, Any]
    steps: list[dict]
    returns: list[dict]
    expected: list[Any]
    wire_inputs: dict[str, Any] | None = None  # the inputs as sent to the child, encoded once for a whole class


def case_rng(seed: int, check: Check, index: int) -> np.random.Generator:
    """Each case's own stream: the same inputs for the same seed, whatever order the checks run in."""
    return np.random.default_rng([seed, zlib.crc32(check.id.encode()), index])


class ReferenceExpectations:
    """Expected values from the reference solutions, on inputs drawn from ``seed``."""

    def __init__(self, assignment: Assignment, seed: int, device: Any = None):
        from source_lib.backend import select_backend

        self.assignment, self.seed = assignment, seed
        # device: cpu | cuda | auto (None: $AUTOGRADER_DEVICE, else cpu); the reference runs there and its
        # results come back to the host as NumPy before judging (for NumPy the modules are used as they are)
        self.backend = select_backend(device)
        self.modules = {
            p.module: self.backend.wrap_module(importlib.import_module(f"{assignment.solutions_package}.{p.module}"))
            for p in assignment.problems
        }
        self.cache: dict[str, list[PreparedCase]] = {}

    def cases(self, check: Check) -> list[PreparedCase]:
        """The check's cases with their expected values, computed once per seed (a class shares them)."""
        if check.id not in self.cache:
            self.cache[check.id] = self._prepare(check)
        return self.cache[check.id]

    def _prepare(self, check: Check) -> list[PreparedCase]:
        out = []
        for i, case in enumerate(check.cases):
            rng = case_rng(self.seed, check, i)
            inputs = check.judge.expand(case.make(rng), rng)
            out.append(prepare(check, case.label, inputs, self.modules[check.module]))
        return out


def reference_outputs(check: Check, inputs: dict, module: Any) -> tuple[list[dict], list[dict], list]:
    """Run the check's program on the reference; returns steps, returns (with schemas), encoded values."""
    steps, returns = check.judge.program(inputs)
    env, reports = run_steps({"inputs": inputs, "steps": steps}, lambda name: getattr(module, name), watch=False)
    bad = [r for r in reports if r["status"] != "ok"]
    if bad:
        raise InternalError(f"the reference failed on {check.id}: {bad[0]}")
    from .sandbox.executor import lookup

    values = [lookup(env, path) for _, path in returns]
    schemas = [schema_of(v) for v in values]
    encoded = [conform(v, s) for v, s in zip(values, schemas, strict=False)]
    return (
        steps,
        [{"label": label, "ref": path, "schema": s} for (label, path), s in zip(returns, schemas, strict=False)],
        encoded,
    )


def prepare(check: Check, label: str, inputs: dict, module: Any) -> PreparedCase:
    steps, returns, encoded = reference_outputs(check, inputs, module)
    return PreparedCase(label, inputs, steps, returns, [wire.decode(e) for e in encoded])


class InternalError(RuntimeError):
    """The grader itself is wrong (e.g. the reference fails its own checks); no grade must be given."""


def describe_inputs(inputs: dict) -> str:
    """A short description of a case's inputs for the feedback: shapes and small settings, no values."""
    parts = []
    for k, v in inputs.items():
        if parent_only(k) or "@" in k:
            continue
        if isinstance(v, np.ndarray):
            parts.append(f"{k} {v.shape}" + ("" if v.dtype == np.float64 else f" {v.dtype}"))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return ", ".join(parts)


def run_case(sandbox: Sandbox, check: Check, case: PreparedCase, seconds: float) -> Outcome:
    if case.wire_inputs is None:
        case.wire_inputs = {k: wire.encode(v) for k, v in case.inputs.items() if not parent_only(k)}
    request = {
        "module": check.module,
        "inputs": case.wire_inputs,
        "steps": case.steps,
        "returns": case.returns,
    }
    reply = sandbox.run(request, seconds)
    bad = malformed_reply(reply)  # the form of every reply is checked here, once, for every judge
    if bad:
        return Outcome(False, bad)
    if "returns" in reply:
        try:
            reply = dict(reply, returns=[wire.decode(r) for r in reply["returns"]])
        except wire.WireError as exc:
            return Outcome(False, f"the returned values could not be read: {exc}")
        bad = malformed_returns(reply["returns"], case.expected)
        if bad:
            return Outcome(False, bad)
    return check.judge.judge(case.inputs, reply, case.expected)


def preload_for(checks: list[Check]) -> tuple[str, ...]:
    """Modules the child imports before it signals ready: SymPy when a symbolic answer is checked."""
    from .judges import IsExpression

    symbolic = any(isinstance(c.judge, IsExpression) or any(r.get("symbol") for r in ()) for c in checks)
    symbolic = symbolic or any(c.problem in ("p2", "p3") for c in checks)
    return ("sympy",) if symbolic else ()


def _functions_of(case: PreparedCase) -> set[str]:
    return {s["fn"] for s in case.steps}


def grade_files(
    files: dict[str, Path],
    assignment: Assignment,
    expectations: Any,
    name: str = "submission",
    problems: list[str] | None = None,
    public_only: bool = False,
    seed: int | None = None,
    request_seconds: float = REQUEST_SECONDS,
    budget_seconds: float = SUBMISSION_SECONDS,
) -> SubmissionResult:
    """Grade the student's files (``{"p1_bp_relu.py": path, ...}``) on every selected check."""
    start = time.monotonic()
    results: list[CheckResult] = []
    timed_out: set[tuple[str, str]] = set()
    selected = [
        c
        for c in assignment.checks
        if not (problems and c.problem not in problems) and not (public_only and not c.public)
    ]
    with Sandbox(files, preload=preload_for(selected)) as sandbox:
        sandbox.start()  # the child starts up while the expected values are computed
        prepared = [(check, expectations.cases(check)) for check in selected]
        for check, cases in prepared:
            case_results = []
            for case in cases:
                fns = {(check.module, f) for f in _functions_of(case)}
                if time.monotonic() - start > budget_seconds:
                    outcome = Outcome(False, f"not run: the submission used up its {budget_seconds:g} s")
                elif fns & timed_out:
                    fn = sorted(fns & timed_out)[0][1]
                    outcome = Outcome(False, f"not run: {fn} did not finish earlier")
                else:
                    outcome = run_case(sandbox, check, case, request_seconds)
                    if outcome.message.startswith("did not finish"):
                        timed_out |= fns
                message = outcome.message
                if not outcome.passed:
                    shown = "" if "(" in case.label else describe_inputs(case.inputs)
                    message = f"[{case.label}{'; ' + shown if shown else ''}] {message}"
                case_results.append(CaseResult(case.label, outcome.passed, message))
            passed = sum(c.passed for c in case_results)
            points = round(check.points * passed / max(1, len(case_results)), 4)
            first = next((c.message for c in case_results if not c.passed), "")
            results.append(
                CheckResult(
                    check.id,
                    check.problem,
                    check.function,
                    check.title,
                    check.public,
                    points,
                    check.points,
                    first,
                    check.hint if first else "",
                    case_results,
                )
            )
        output = sandbox.output()
        notes = list(sandbox.notes)
    return summarize(name, assignment, results, seed, notes, output, time.monotonic() - start)


def summarize(
    name: str,
    assignment: Assignment,
    checks: list[CheckResult],
    seed: int | None,
    notes: list[str],
    output: str,
    seconds: float,
) -> SubmissionResult:
    problems = {}
    for p in assignment.problems:
        mine = [c for c in checks if c.problem == p.key]
        if mine:
            problems[p.key] = {
                "score": round(sum(c.points for c in mine), 4),
                "max_score": sum(c.max_points for c in mine),
            }
    return SubmissionResult(
        name,
        assignment.name,
        seed,
        round(sum(c.points for c in checks), 4),
        sum(c.max_points for c in checks),
        problems,
        checks,
        notes,
        output,
        round(seconds, 3),
    )
