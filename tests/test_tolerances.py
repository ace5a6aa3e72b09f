"""The judges' tolerances against correct code (issue #9, point 7): the reference, a vectorised and a loop
implementation of hw1 pass every numeric check of hw1 on thousands of grading seeds, judged in-process
(:mod:`tests.inprocess`) exactly as the parent judges the child's replies.

The finite-difference checks, whose tolerances follow from the error model of :class:`autograder.judges.GradCheck`
and where the reference was once seen failing (about 1 seed in 500), run on ``GRADCHECK_SEEDS`` seeds; every
other numeric check (values, properties) on ``VALUE_SEEDS``. Symbolic answers are judged by their own tests
(``tests/test_symbolic.py``). The seeds are split over two worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from autograder.assignments import get
from autograder.grading import PreparedCase, ReferenceExpectations
from autograder.judges import GradCheck, NoMutation
from autograder.sandbox.executor import load_callables

from .inprocess import arrays_by_reference, judge_case, load_module

REPO = Path(__file__).resolve().parent.parent
GRADCHECK_SEEDS = int(os.environ.get("AUTOGRADER_GRADCHECK_SEEDS", "5000"))
VALUE_SEEDS = int(os.environ.get("AUTOGRADER_VALUE_SEEDS", "300"))
IMPLEMENTATIONS = ("correct_loops", "correct_vectorized")
FIRST_SEED = 1_000_003  # away from the seeds other tests use


def _symbolic(check) -> bool:
    return check.problem == "p3" or check.function.endswith("_expr")


def _reference_reply(case: PreparedCase) -> dict:
    """The reply the reference itself gives: its own values, every call fine."""
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": list(case.expected)}


def _failures(kind: str, seeds: range) -> list[str]:
    assignment = get("hw1")
    modules = {}
    for impl in IMPLEMENTATIONS:
        for p in assignment.problems:
            path = REPO / "examples" / "submissions" / "hw1" / impl / f"{p.module}.py"
            modules[(impl, p.module)] = load_module(path, f"tolerance_{impl}_{p.module}")
    gradchecks = kind == "gradcheck"
    checks = [c for c in assignment.checks if not _symbolic(c) and isinstance(c.judge, GradCheck) == gradchecks]
    callables = load_callables(assignment.callables)
    failures = []
    with arrays_by_reference():
        expectations = ReferenceExpectations(assignment, seeds[0])
        for seed in seeds:
            expectations.seed, expectations.cache = seed, {}  # one set of reference modules for every seed
            for check in checks:
                for case in expectations.cases(check):
                    outcome = check.judge.judge(case.inputs, _reference_reply(case), case.expected)
                    if not outcome.passed:
                        failures.append(f"seed {seed} reference {check.id} [{case.label}]: {outcome.message}")
                    for impl in IMPLEMENTATIONS:
                        outcome = judge_case(check, case, modules[(impl, check.module)], callables)
                        if not outcome.passed:
                            failures.append(f"seed {seed} {impl} {check.id} [{case.label}]: {outcome.message}")
    return failures


def _run_split(kind: str, count: int) -> list[str]:
    seeds = range(FIRST_SEED, FIRST_SEED + count)
    halves = [(kind, seeds[0::2]), (kind, seeds[1::2])]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(_failures, halves)
    return [f for part in parts for f in part]


def test_the_kinds_cover_every_numeric_check():
    assignment = get("hw1")
    numeric = [c for c in assignment.checks if not _symbolic(c)]
    assert {type(c.judge) for c in numeric} >= {GradCheck, NoMutation}
    assert len(numeric) >= 30


@pytest.mark.parametrize("kind,count", [("gradcheck", GRADCHECK_SEEDS), ("values", VALUE_SEEDS)])
def test_correct_code_passes_on_every_seed(kind, count):
    failures = _run_split(kind, count)
    assert not failures, f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:10])
