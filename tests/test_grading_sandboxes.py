"""How grading uses its sandboxes (``grading.grade_files``), with a fake sandbox that records every request:
public checks in one child and hidden ones in a fresh one afterwards, no request to a module's code after
its reply broke the protocol, every text the student controls capped in the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import grading
from autograder.assignments import get
from autograder.grading import ReferenceExpectations, grade_files
from autograder.sandbox import wire
from autograder.sandbox.child import stops_batch
from autograder.student_text import MAX_TEXT_CHARS

SEED = 5
BASE = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "hw1" / "correct_loops"
CRASH = {"crash": {"type": "FakeError", "message": "the fake evaluator answers every request with this"}}


@pytest.fixture(scope="module")
def assignment():
    return get("hw1")


@pytest.fixture(scope="module")
def expectations(assignment):
    return ReferenceExpectations(assignment, SEED)


class FakeSandbox:
    """Stands in for :class:`autograder.sandbox.runner.Sandbox` in ``grade_files``: answers each request with
    ``answer(request)`` (a reply, or ``("refuse", why)`` for a reply that broke the protocol) and logs what
    happens to every instance."""

    log: list[tuple] = []
    answer = staticmethod(lambda request: CRASH)
    output_text = ""
    notes_list: list[str] = []

    def __init__(self, files, preload=()):
        self.index = sum(1 for e in self.log if e[0] == "open")
        self.refused = None
        self.asked: list = []
        self.notes = list(self.notes_list)
        self.markers: list[str] = []
        self.log.append(("open", self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.log.append(("close", self.index))

    def start(self):
        pass

    def carry_markers(self, modules):
        self.log.append(("carry", self.index, tuple(modules)))

    def import_markers(self):
        return ["p4_conv_backprop"] if self.index == 0 else []

    def output(self, limit: int = 2000):
        return self.output_text

    def send_cases(self, messages, seconds):
        """Reads the batch as the child would (the frame's bytes parsed back, each case's arrays from its own part
        of the binary section) and logs it; one request at a time."""
        assert messages and all(isinstance(m, wire.Message) for m in messages) and not self.asked
        frame = bytearray(b"".join(wire.batch(messages, id=0, seconds=seconds))[8:])
        cases = wire.cases_of(wire.parse_frame(frame, max_nodes=None, trusted=True))
        self.log.append(("batch", self.index, len(cases)))
        self.refused = None
        self.asked = [(id(m), c) for m, c in zip(messages, cases, strict=True)]

    @property
    def awaiting(self):
        return len(self.asked)

    def abandon(self):
        self.log.append(("abandon", self.index, len(self.asked)))
        self.asked = []

    def receive(self):
        """The next case's reply; one that stops a batch in the child (:func:`child.stops_batch`) is its last."""
        message, request = self.asked.pop(0)
        self.log.append(("run", self.index, request["module"], message, request["reply_bytes"]))
        self.refused = None
        reply = type(self).answer(request)
        if isinstance(reply, tuple):
            self.refused, reply = reply[1], {"died": reply[1]}
        if stops_batch(reply):
            self.asked = []
        return reply


@pytest.fixture
def fake(monkeypatch):
    class Fake(FakeSandbox):
        log = []

    monkeypatch.setattr(grading, "Sandbox", Fake)
    return Fake


def _files() -> dict[str, Path]:
    return {p.name: p for p in sorted(BASE.glob("*.py"))}


def _runs(fake, index=None):
    return [e for e in fake.log if e[0] == "run" and (index is None or e[1] == index)]


def test_public_checks_run_first_in_one_child_and_hidden_ones_in_a_fresh_one(fake, assignment, expectations):
    result = grade_files(_files(), assignment, expectations)
    public = {id(k.request) for c in assignment.checks if c.public for k in expectations.cases(c)}
    hidden = {id(k.request) for c in assignment.checks if not c.public for k in expectations.cases(c)}
    assert public and hidden and not public & hidden
    assert {e[3] for e in _runs(fake, 0)} == public  # the first child never sees a hidden input
    assert {e[3] for e in _runs(fake, 1)} == hidden
    events = [e[:2] for e in fake.log if e[0] in ("open", "close")]
    assert events == [("open", 0), ("close", 0), ("open", 1), ("close", 1)]  # one after the other, never both
    assert ("carry", 1, ("p4_conv_backprop",)) in fake.log  # what never finished importing stays so
    assert [c.id for c in result.checks] == [c.id for c in assignment.checks]  # the declared order


def test_public_only_grading_opens_one_sandbox(fake):
    from autograder.public_data import PublicExpectations

    public = PublicExpectations(Path(__file__).resolve().parent.parent / "assignments" / "hw1")
    result = grade_files(_files(), public.assignment(), public, public_only=True)
    assert [e[:2] for e in fake.log if e[0] == "open"] == [("open", 0)]
    assert result.checks and all(c.public for c in result.checks)


def test_after_a_refused_reply_the_module_gets_no_further_request(fake, assignment, expectations):
    """The first p2 request gets a forged, over-size reply: no other p2 request is sent, in this child or the
    hidden checks' one, and every later p2 case says why; the other modules are still graded."""
    why = "the evaluator's channel carried a reply of 100663296 bytes, over the cap (written by your code)"
    refused = []

    def answer(request):
        if request["module"] == "p2_derivatives" and not refused:
            refused.append(request)
            return ("refuse", why)
        return CRASH

    fake.answer = staticmethod(answer)
    result = grade_files(_files(), assignment, expectations)
    assert [e[2] for e in _runs(fake)].count("p2_derivatives") == 1
    assert {e[2] for e in _runs(fake, 1)} >= {"p1_bp_relu", "p4_conv_backprop", "p5_pool_backprop"}
    p2 = [k for c in result.checks if c.problem == "p2" for k in c.cases]
    assert why in p2[0].message
    for case in p2[1:]:
        assert "not run: the evaluator was stopped earlier (p2_derivatives.py: " in case.message, case.message
        assert why in case.message
    others = [k for c in result.checks if c.problem != "p2" for k in c.cases]
    assert all("FakeError" in k.message for k in others)


def test_a_malformed_reply_stops_the_module_too(fake, assignment, expectations):
    fake.answer = staticmethod(lambda r: {"steps": "all ok"} if r["module"] == "p5_pool_backprop" else CRASH)
    result = grade_files(_files(), assignment, expectations)
    assert [e[2] for e in _runs(fake)].count("p5_pool_backprop") == 1
    p5 = [k for c in result.checks if c.problem == "p5" for k in c.cases]
    assert "malformed" in p5[0].message and all("stopped earlier" in k.message for k in p5[1:])


def test_a_timeout_stops_only_its_function_and_not_the_module(fake, assignment, expectations):
    fake.answer = staticmethod(lambda r: {"timeout": 5.0} if any(s["fn"] == "sigmoid" for s in r["steps"]) else CRASH)
    result = grade_files(_files(), assignment, expectations)
    sigmoid_runs = [e for e in _runs(fake) if e[2] == "p2_derivatives"]
    assert len(sigmoid_runs) > 1  # other p2 functions are still called
    messages = [k.message for c in result.checks if c.id == "p2.sigmoid.values" for k in c.cases]
    assert "did not finish" in messages[0] and all("sigmoid did not finish earlier" in m for m in messages[1:])


def test_every_request_names_a_reply_cap_from_its_expected_values(fake, assignment, expectations):
    grade_files(_files(), assignment, expectations)
    caps = [e[4] for e in _runs(fake)]
    assert all(wire.REPLY_BASE_BYTES < cap < 2 * wire.REPLY_BASE_BYTES for cap in caps), max(caps)


def test_student_text_in_a_result_is_capped(fake, assignment, expectations):
    """A 10 MB exception text, 10 MB of printed output and a thousand long notes make a small result."""
    huge = "x" * 10_000_000
    fake.answer = staticmethod(lambda r: {"crash": {"type": "E" * 100_000, "message": huge}})
    fake.output_text = huge
    fake.notes_list = ["n" * 100_000] * 1000
    result = grade_files(_files(), assignment, expectations)
    for check in result.checks:
        assert len(check.message) < MAX_TEXT_CHARS + 500
        assert all(len(k.message) < MAX_TEXT_CHARS + 500 for k in check.cases)
    assert len(result.output) < MAX_TEXT_CHARS + 100
    assert len(result.notes) <= 51 and all(len(n) < 600 for n in result.notes)
    assert len(json.dumps(result.to_json())) < 1_000_000


def test_one_request_carries_the_cases_until_a_reply_that_can_stop_later_ones(
    fake, assignment, expectations, monkeypatch
):
    """Every case that may run goes in one request (the child answers them one by one, so one is judged while
    the next is computed); a reply that can change which later cases run (here a timeout) ends its batch and is
    judged before the next request, which leaves out the function it stopped."""
    by_inputs = {id(k.inputs): k for c in assignment.checks for k in expectations.cases(c)}
    for judge_type in {type(c.judge) for c in assignment.checks}:
        judge = judge_type.judge
        monkeypatch.setattr(
            judge_type,
            "judge",
            lambda self, inputs, reply, expected, judge=judge: (
                fake.log.append(("judge", id(by_inputs[id(inputs)].request))) or judge(self, inputs, reply, expected)
            ),
        )

    def answer(request):
        if any(s["fn"] == "sigmoid" for s in request["steps"]):
            return {"timeout": 5.0}
        steps = [
            {"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in request["steps"]
        ]
        return {"steps": steps, "returns": [{"$error": "not computed"} for _ in request["returns"]]}

    fake.answer = staticmethod(answer)
    result = grade_files(_files(), assignment, expectations)
    every = [k for c in assignment.checks for k in expectations.cases(c)]
    timeouts = {id(k.request) for k in every if any(s["fn"] == "sigmoid" for s in k.steps)}
    runs = _runs(fake)
    assert [e[3] in timeouts for e in runs].count(True) == 1  # the function that timed out is not called again
    assert len(runs) == len(every) - len(timeouts) + 1
    skipped = [k.message for c in result.checks for k in c.cases if "sigmoid did not finish earlier" in k.message]
    assert len(skipped) == len(timeouts) - 1
    for box in (0, 1):
        events = [e for e in fake.log if e[0] in ("batch", "run", "judge") and (e[0] == "judge" or e[1] == box)]
        events = [e for e in events if e[0] != "judge" or any(r[3] == e[1] and r[1] == box for r in runs)]
        batches = [n for n, e in enumerate(events) if e[0] == "batch"]
        stops = [n for n, e in enumerate(events) if e[0] == "run" and e[3] in timeouts]
        assert len(batches) == 1 + len([n for n in stops if n < batches[-1]])
        for first, second in zip(batches, batches[1:], strict=False):
            ran = [e for e in events[first:second] if e[0] == "run"]
            assert ran[-1][3] in timeouts and len(ran) < events[first][2]  # ended by the timeout, cut short
            assert ("judge", ran[-1][3]) in events[first:second]  # judged before the next request
        last = [e for e in events[batches[-1] :] if e[0] == "run"]
        assert len(last) == events[batches[-1]][2]  # the last batch ran through
    assert len([e for e in fake.log if e[0] == "batch"]) <= 3  # 2 sandboxes, one timeout: not one per case


def test_a_case_whose_reply_is_due_after_the_time_is_up_is_not_run_and_its_batch_is_abandoned(
    fake, assignment, expectations
):
    """The submission's time runs out in the middle of a batch: the child computing the rest is killed (its
    replies never read) and every later case says why."""
    import time

    def answer(request):
        time.sleep(0.02)
        steps = [
            {"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in request["steps"]
        ]
        return {"steps": steps, "returns": [{"$error": "not computed"} for _ in request["returns"]]}

    fake.answer = staticmethod(answer)
    result = grade_files(_files(), assignment, expectations, budget_seconds=0.3)
    abandoned = [n for n, e in enumerate(fake.log) if e[0] == "abandon"]
    assert len(abandoned) == 1 and fake.log[abandoned[0]][2] > 0  # replies were still to come
    assert not [e for e in fake.log[abandoned[0] :] if e[0] in ("run", "batch")]  # nothing sent or read after
    messages = [k.message for c in result.checks for k in c.cases]
    late = [m for m in messages if "not run: the submission used up its 0.3 s" in m]
    assert late and len(late) == len(messages) - len(_runs(fake))
