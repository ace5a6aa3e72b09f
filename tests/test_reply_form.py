"""Every reply is checked for the child's form before any judge reads it (``grading.run_case``): a reply that
does not have it, such as one forged by student code that copied the request's id, costs its case with a
clear message and never crashes the grader."""

from __future__ import annotations

import copy
import json
import struct

import pytest

from autograder.assignments import get
from autograder.grading import ReferenceExpectations, run_case
from autograder.judges import MALFORMED
from autograder.sandbox import wire
from autograder.sandbox.executor import lookup, run_steps
from solutions.hw1 import p1_bp_relu

PREFIX = MALFORMED.split("(")[0]


class ReplyingSandbox:
    """Stands in for the sandbox: answers every request with the reply it was given, sent through a frame
    (framed, written as bytes and parsed back, as the sandbox reads the child's replies)."""

    def __init__(self, reply):
        self.reply = reply

    def send(self, request: wire.Message, seconds: float) -> None:
        assert isinstance(request, wire.Message)

    def receive(self):
        return wire.parse_frame(bytearray(wire.frame_bytes(copy.deepcopy(self.reply))[8:]))


@pytest.fixture(scope="module")
def relu():
    assignment = get("hw1")
    check = next(c for c in assignment.checks if c.id == "p1.relu.values")
    case = ReferenceExpectations(assignment, 3).cases(check)[0]
    program = {"inputs": case.inputs, "steps": case.steps}
    env, reports = run_steps(program, lambda n: getattr(p1_bp_relu, n), watch=False)
    returns = [wire.encode_array(lookup(env, r["ref"])) for r in case.returns]
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


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("not a reference", "bad array reference"),
        (["|O", [2], 0], "values of dtype object are not numbers"),
        (["<f8", [10**6, 10**6], 0], "is larger than the grader accepts"),
        (["<f8", [2, 2], 1 << 20], "bytes of data at offset"),
        (["<f8", [2], 8], "bad array offset"),
        (["<f8", [-2], 0], "bad array shape"),
    ],
    ids=["text", "object", "huge", "past-the-end", "misaligned", "negative"],
)
def test_a_reply_whose_array_reference_is_bad_costs_the_case(relu, spec, words):
    """A forged reference into the frame's binary section (the reply still has the child's form): the case
    fails with the wire's reason, as a reply whose values cannot be read."""
    check, case, good = relu
    text = json.dumps({"steps": good["steps"], "returns": [{"$nd": spec}]}).encode()
    reply = wire.parse_frame(bytearray(struct.pack(">Q", len(text)) + text + bytes(64)))

    class Forged(ReplyingSandbox):
        def receive(self):
            return reply

    outcome = run_case(Forged(None), check, case, 5.0)
    assert not outcome.passed
    assert outcome.message.startswith("the returned values could not be read") and words in outcome.message
