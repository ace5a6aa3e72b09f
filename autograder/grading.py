"""Grade one submission: draw each check's cases, get the expected values, run the student's code in the
sandbox, judge every case in this process.

Where expected values come from is the only thing that differs between grading and a student's own run:
:class:`ReferenceExpectations` runs the reference solutions here (grading; inputs from a secret seed that is
recorded), :class:`PublicExpectations` reads what release stored (``autograder check``; public checks only).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import plot_data, symbolic
from .callables import uses_callables
from .checks import Assignment, Check, parent_only
from .judge import Outcome
from .judges import malformed_reply, malformed_returns, schema_of
from .sandbox import wire
from .sandbox.child import conform
from .sandbox.executor import load_callables, lookup, run_steps
from .sandbox.isolation import in_force_summary
from .sandbox.runner import Sandbox
from .student_text import cap_notes, cap_text

REQUEST_SECONDS = 5.0
SUBMISSION_SECONDS = 120.0
#: The most request bytes (inputs) one batch of cases carries; more go in the next request.
BATCH_BYTES = 64 * 1024 * 1024


@dataclass
class CaseResult:
    """One case's verdict; ``plot``: its figure's kept data (:func:`autograder.plot_data.capped`), in memory
    only (never in the result JSON, :meth:`SubmissionResult.to_json`), for the feedback pages."""

    label: str
    passed: bool
    message: str = ""
    plot: dict | None = field(default=None, repr=False, compare=False)


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
    # the sandbox's isolation layers in force when it was graded, {layer: bool}; empty in results written
    # before it was recorded (from_json reads those as they are)
    isolation: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The result as JSON values, without the cases' plot data (kept small: figures go to the pages)."""
        return asdict(self, dict_factory=lambda items: {k: v for k, v in items if k != "plot"})

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
    # the request as sent to the child (module, inputs, steps, returns, reply cap, trusted callables' text),
    # encoded once for a whole class (:func:`case_request`); each submission's frame adds only its id and time
    request: wire.Message | None = field(default=None, repr=False, compare=False)
    request_callables: str | None = field(default=None, repr=False, compare=False)  # the text it was made with


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
        from .reference import reference_module  # found by path: never installed with the package

        self.modules = {
            p.module: self.backend.wrap_module(reference_module(assignment.solutions_package, p.module))
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
        callables = load_callables(self.assignment.callables)
        for i, case in enumerate(check.cases):
            rng = case_rng(self.seed, check, i)
            inputs = check.judge.expand(case.make(rng), rng)
            inputs = symbolic.with_functions(inputs, self.assignment.functions)  # judge:functions, for SymPy answers
            out.append(prepare(check, case.label, inputs, self.modules[check.module], callables))
        return out


def reference_outputs(
    check: Check, inputs: dict, module: Any, callables: dict | None = None
) -> tuple[list[dict], list[dict], list]:
    """Run the check's program on the reference (with the assignment's trusted ``callables``,
    :func:`~autograder.sandbox.executor.load_callables`); returns steps, returns (with schemas), encoded values."""
    steps, returns = check.judge.program(inputs)
    program = {"inputs": inputs, "steps": steps}
    env, reports = run_steps(program, lambda name: getattr(module, name), watch=False, callables=callables)
    bad = [r for r in reports if r["status"] != "ok"]
    if bad:
        raise InternalError(f"the reference failed on {check.id}: {bad[0]}")
    values = [lookup(env, path) for _, path in returns]
    schemas = [schema_of(v) for v in values]
    encoded = [conform(v, s) for v, s in zip(values, schemas, strict=False)]
    return (
        steps,
        [{"label": label, "ref": path, "schema": s} for (label, path), s in zip(returns, schemas, strict=False)],
        encoded,
    )


def prepare(check: Check, label: str, inputs: dict, module: Any, callables: dict | None = None) -> PreparedCase:
    """One case with the reference's expected values on ``inputs``."""
    steps, returns, encoded = reference_outputs(check, inputs, module, callables)
    return PreparedCase(label, inputs, steps, returns, [wire.decode(e) for e in encoded])


class InternalError(RuntimeError):
    """The grader itself is wrong (e.g. the reference fails its own checks); no grade must be given."""


def describe_inputs(inputs: dict) -> str:
    """A short description of a case's inputs for the feedback: shapes and small settings, no values."""
    parts = []
    for k, v in inputs.items():
        if parent_only(k):
            continue
        if isinstance(v, np.ndarray):
            parts.append(f"{k} {v.shape}" + ("" if v.dtype == np.float64 else f" {v.dtype}"))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return ", ".join(parts)


def case_request(check: Check, case: PreparedCase, callables: str = "") -> wire.Message:
    """The case's request, encoded once (kept on the case, so every submission of a class sends the same bytes):
    the module, the inputs the child may see (never a parent-only one), the steps, the returns with their
    schemas, the reply cap (4 MiB plus 4 times what the expected values take: :func:`wire.reply_cap`) and,
    where the program uses them, the trusted callables' source text (the child runs them, never imports the
    grader)."""
    if case.request is None or case.request_callables != callables:
        inputs = {k: wire.encode(v) for k, v in case.inputs.items() if not parent_only(k)}
        request = {
            "module": check.module,
            "inputs": inputs,
            "steps": case.steps,
            "returns": case.returns,
            "reply_bytes": wire.reply_cap(wire.payload_bytes(case.expected)),
        }
        if callables and (uses_callables(case.steps) or uses_callables(inputs)):
            request["callables"] = callables
        case.request, case.request_callables = wire.message(request), callables
    return case.request


def run_case(sandbox: Sandbox, check: Check, case: PreparedCase, seconds: float, callables: str = "") -> Outcome:
    """Run one case in the sandbox and judge the reply here (its form first, for every judge); ``callables``:
    the assignment's trusted callables' source text (:mod:`autograder.callables`)."""
    sandbox.send(case_request(check, case, callables), seconds)
    form, _ = _reply_form(sandbox, sandbox.receive(), case)
    return form if isinstance(form, Outcome) else check.judge.judge(case.inputs, form, case.expected)


def _reply_form(sandbox: Sandbox, reply: dict, case: PreparedCase) -> tuple[Outcome | dict, str | None]:
    """The reply with its returns decoded, or the case's failed outcome where it does not have the child's form;
    and why the module's code must get no more requests (a reply that broke the protocol: over its size cap,
    malformed, forged, not in the child's form; the child never sends one), or None."""
    refused = getattr(sandbox, "refused", None)  # set by the sandbox when the frame itself broke the protocol
    if refused:
        return Outcome(False, refused), refused
    bad = malformed_reply(reply)  # the form of every reply is checked here, once, for every judge
    if bad:
        return Outcome(False, bad), bad
    if "returns" in reply:
        try:
            reply = dict(reply, returns=[wire.decode(r) for r in reply["returns"]])
        except wire.WireError as exc:
            return Outcome(False, f"the returned values could not be read: {exc}"), None
        bad = malformed_returns(reply["returns"], case.expected)
        if bad:
            return Outcome(False, bad), bad
    return reply, None


@dataclass
class _Progress:
    """What one submission's grading has learnt so far, across its sandboxes: functions that timed out (not
    called again) and modules whose code broke the protocol (no more requests at all)."""

    start: float
    budget_seconds: float
    timed_out: set[tuple[str, str]] = field(default_factory=set)
    stopped: dict[str, str] = field(default_factory=dict)

    def not_run(self, check: Check, fns: set[tuple[str, str]]) -> str | None:
        if check.module in self.stopped:
            return f"not run: the evaluator was stopped earlier ({check.module}.py: {self.stopped[check.module]})"
        if time.monotonic() - self.start > self.budget_seconds:
            return f"not run: the submission used up its {self.budget_seconds:g} s"
        if fns & self.timed_out:
            return f"not run: {sorted(fns & self.timed_out)[0][1]} did not finish earlier"
        return None


def _grade_checks(
    sandbox: Sandbox,
    checks: list[tuple[Check, list[PreparedCase]]],
    progress: _Progress,
    seconds: float,
    callables: str = "",
) -> list[CheckResult]:
    """These checks' cases, run in ``sandbox`` and judged here, one request for all the cases that may run
    (:meth:`Sandbox.send_cases`, at most :data:`BATCH_BYTES` of requests each): the child sends each case's
    reply as soon as it has run it, so the grader judges one case while the child computes the next.

    The semantics are those of one case at a time. A reply that can change which of the later cases may run
    (a timeout, a death, a crash, a refusal, a missing function: :func:`~autograder.sandbox.child.stops_batch`)
    ends its batch, in the child as here; once it is judged (a case that timed out stops its functions, a
    reply that broke the protocol stops its module), the cases after it that may still run go in a new
    request, to a child started again where it died. A case that may no longer run when its reply is due (the
    submission's time is up) gets its reason, and the child computing it is killed."""
    jobs = [(check, case) for check, cases in checks for case in cases]
    outcomes: list[Outcome | None] = [None] * len(jobs)
    start = 0
    while start < len(jobs):
        batch = _runnable(jobs, outcomes, start, progress, callables)
        if not batch:
            break
        sandbox.send_cases([message for _, message in batch], seconds)
        start = batch[-1][0] + 1
        for n, (j, _) in enumerate(batch):
            check, case = jobs[j]
            skipped = progress.not_run(check, _functions_of(check, case)) if n else None
            if skipped:  # sent, but it may no longer run: as if it never had
                sandbox.abandon()
                start = j
                break
            form, refused = _reply_form(sandbox, sandbox.receive(), case)
            if refused:
                progress.stopped[check.module] = cap_text(refused, 300)
            outcome = form if isinstance(form, Outcome) else check.judge.judge(case.inputs, form, case.expected)
            if outcome.message.startswith("did not finish"):
                progress.timed_out |= _functions_of(check, case)
            outcomes[j] = outcome
            if not sandbox.awaiting and n + 1 < len(batch):  # the batch ended here: the rest go again
                start = j + 1
                break
    results, done = [], 0
    for check, cases in checks:
        results.append(_check_result(check, cases, outcomes[done : done + len(cases)]))
        done += len(cases)
    return results


def _runnable(
    jobs: list[tuple[Check, PreparedCase]],
    outcomes: list[Outcome | None],
    start: int,
    progress: _Progress,
    callables: str,
) -> list[tuple[int, wire.Message]]:
    """The next batch, as (index, request): the undecided cases from ``start`` on that may run now, in order,
    up to :data:`BATCH_BYTES` of requests; each that may not gets its reason (what stops a case never stops
    less later: a function that timed out, a module stopped, the time used up)."""
    batch, size = [], 0
    for j in range(start, len(jobs)):
        if outcomes[j] is not None:
            continue
        check, case = jobs[j]
        skipped = progress.not_run(check, _functions_of(check, case))
        if skipped:
            outcomes[j] = Outcome(False, skipped)
            continue
        request = case_request(check, case, callables)
        size += len(request.json) + len(request.binary)
        if batch and size > BATCH_BYTES:
            break
        batch.append((j, request))
    return batch


def _check_result(check: Check, cases: list[PreparedCase], outcomes: list[Outcome]) -> CheckResult:
    """One check's result from its cases' outcomes; every message capped (:func:`cap_text`)."""
    case_results = []
    for case, outcome in zip(cases, outcomes, strict=True):
        message = cap_text(outcome.message)
        if not outcome.passed:
            shown = "" if "(" in case.label else describe_inputs(case.inputs)
            message = f"[{case.label}{'; ' + shown if shown else ''}] {message}"
        case_results.append(CaseResult(case.label, outcome.passed, message, _kept_plot(outcome)))
    passed = sum(c.passed for c in case_results)
    points = round(check.points * passed / max(1, len(case_results)), 4)
    first = next((c.message for c in case_results if not c.passed), "")
    return CheckResult(
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


def _kept_plot(outcome: Outcome) -> dict | None:
    """The outcome's figure data, capped; a failed case's only (a malformed one is dropped: the figure is an
    illustration, never part of the verdict)."""
    if outcome.passed or outcome.plot is None:
        return None
    try:
        return plot_data.capped(outcome.plot)
    except (ValueError, TypeError, KeyError):
        return None


def _functions_of(check: Check, case: PreparedCase) -> set[tuple[str, str]]:
    return {(check.module, s["fn"]) for s in case.steps}


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
    """Grade the student's files (``{"p1_bp_relu.py": path, ...}``) on every selected check.

    The public checks run first, in a sandbox child that is never sent a hidden input; the hidden ones then
    run in a fresh sandbox (a new child and a fresh copy of the files, so nothing the first child kept in
    memory or wrote to its folder reaches the second; only its import markers carry over). So no public
    check's message, which the student sees at once, can hold what a hidden check's inputs were. The
    results keep the assignment's order of the checks."""
    start = time.monotonic()
    selected = [
        c
        for c in assignment.checks
        if not (problems and c.problem not in problems) and not (public_only and not c.public)
    ]
    progress = _Progress(start, budget_seconds)
    results: list[CheckResult | None] = [None] * len(selected)
    groups = [[i for i, c in enumerate(selected) if c.public], [i for i, c in enumerate(selected) if not c.public]]
    notes: list[str] | None = None
    outputs: list[str] = []
    markers: list[str] = []
    for group in (g for g in groups if g):
        with Sandbox(files, preload=assignment.preload(selected)) as sandbox:
            sandbox.carry_markers(markers)
            sandbox.start()  # the child starts up while the expected values are computed
            prepared = [(selected[i], expectations.cases(selected[i])) for i in group]
            graded = _grade_checks(sandbox, prepared, progress, request_seconds, assignment.callables)
            for i, result in zip(group, graded, strict=True):
                results[i] = result
            markers = sandbox.import_markers()
            outputs.append(sandbox.output())
            notes = list(sandbox.notes) if notes is None else notes
    checks = [r for r in results if r is not None]
    output = cap_text("\n".join(o for o in outputs if o))
    return summarize(name, assignment, checks, seed, cap_notes(notes or []), output, time.monotonic() - start)


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
        isolation=in_force_summary(),
    )
