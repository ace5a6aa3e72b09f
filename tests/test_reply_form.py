"""Every reply is checked for the child's form before any judge reads it (``grading.run_case``): a reply that
does not have it, such as one forged by student code that copied the request's id, costs its case with a
clear message and never crashes the grader."""

from __future__ import annotations

import copy

import pytest

from autograder.assignments import get
from autograder.grading import ReferenceExpectations, run_case
from autograder.judges import MALFORMED
from autograder.sandbox import wire
from autograder.sandbox.executor import lookup, run_steps
from solutions.hw1 import p1_bp_relu

PREFIX = MALFORMED.split("(")[0]


class ReplyingSandbox:
    """Stands in for the sandbox: answers every request with the reply it was given."""

    def __init__(self, reply):
        self.reply = reply

    def run(self, request: dict, seconds: float):
        return copy.deepcopy(self.reply)


@pytest.fixture(scope="module")
def relu():
    assignment = get("hw1")
    check = next(c for c in assignment.checks if c.id == "p1.relu.values")
    case = ReferenceExpectations(assignment, 3).cases(check)[0]
    program = {"inputs": case.inputs, "steps": case.steps}
    env, reports = run_steps(program, lambda n: getattr(p1_bp_relu, n), watch=False)
    returns = [wire.array_to_npy(lookup(env, r["ref"])) for r in case.returns]
    return check, case, {"steps": reports, "returns": returns}


def test_the_reference_reply_passes(relu):
    check, case, good = relu
    assert run_case(ReplyingSandbox(good), check, case, 5.0).passed


@pytest.mark.parametrize(
    "broken",
    [
        lambda r: [r],
        lambda r: {**r, "steps": "all ok"},
        lambda r: {**r, "returns": 5},
        lambda r: {**r, "returns": r["returns"] * 2},
        lambda r: {**r, "returns": [{"$tuple": r["returns"]}]},
        lambda r: {**r, "steps": [{**r["steps"][0], "status": "passed"}]},
        lambda r: {**r, "steps": [{**r["steps"][0], "status": "error"}]},
        lambda r: {"timeout": "forever"},
        lambda r: {"crash": "segfault"},
    ],
    ids=[
        "list",
        "steps-text",
        "returns-int",
        "two-values",
        "tuple-for-array",
        "bad-status",
        "error-without-report",
        "bad-timeout",
        "bad-crash",
    ],
)
def test_a_reply_without_the_childs_form_costs_the_case(relu, broken):
    check, case, good = relu
    outcome = run_case(ReplyingSandbox(broken(copy.deepcopy(good))), check, case, 5.0)
    assert not outcome.passed
    assert outcome.message.startswith(PREFIX), outcome.message
