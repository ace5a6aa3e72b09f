"""Attacks on what flows from the child to the grader and on to the student (the rows of these attacks, with
their points, are in ``test_redteam.ATTACKS``): public checks never see hidden inputs, and a flood on the
protocol costs the grader neither memory nor a large result."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys

import numpy as np

from .harness import ATTACKS, REPO, SEED, materialize

RECORDER = "hidden_input_recorder"


def _fingerprint(a) -> str:
    """The attack's own fingerprint of an array (``submissions/hidden_input_recorder``)."""
    return hashlib.sha256(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes()).hexdigest()[:12]


def _backward_inputs(assignment, expectations, public: bool) -> set[str]:
    """Fingerprints of the ``dyhat`` every (public or hidden) check passes to the student's backward."""
    out = set()
    for check in assignment.checks:
        if check.public != public:
            continue
        for case in expectations.cases(check):
            calls = [s for s in case.steps if s["fn"] == "backward"]
            if calls and calls[0]["args"][0] == {"$ref": ["dyhat"]}:
                out.add(_fingerprint(case.inputs["dyhat"]))
    return out


def test_a_public_check_never_sees_a_hidden_input(corpus, assignment, expectations):
    """The attack records every dyhat its backward is given (a module global, files in its folder) and puts
    them into the exception of sgd_update, a public check that runs after the hidden p1.backward.values in
    the assignment's order. In one child for all checks it would show hidden inputs; here it saw the public
    gradient check's inputs only."""
    result = corpus.get(RECORDER, materialize(ATTACKS / RECORDER)).result
    message = next(c.message for c in result.checks if c.id == "p1.sgd_update.values")
    found = re.search(r"RECORDED\[([0-9a-f,]*)\]", message)
    assert found, message
    seen = set(found.group(1).split(",")) - {""}
    hidden = _backward_inputs(assignment, expectations, public=False)
    public = _backward_inputs(assignment, expectations, public=True)
    assert hidden and not hidden & public
    assert seen, message  # the recorder works: it saw the public gradient check's inputs
    assert not seen & hidden, (seen & hidden, message)
    assert seen <= public
    for check in result.checks:
        if check.public:
            assert not any(h in check.message for h in hidden), check.message


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from autograder.assignments import get
from autograder.batch import grade_path
from autograder.grading import ReferenceExpectations
from tests.adversarial.harness import ATTACKS, BASE, materialize

assignment = get("hw1")
expectations = ReferenceExpectations(assignment, int(sys.argv[1]))
grade_path(BASE, assignment, expectations)  # the references, the zygote, the encoded inputs: all warm
out = {}
for name in sys.argv[2:]:
    path = materialize(ATTACKS / name)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    result = grade_path(path, assignment, expectations)
    out[name] = {
        "seconds": time.monotonic() - start,
        "extra_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
        "json_bytes": len(json.dumps(result.to_json())),
        "score": result.score,
    }
print(json.dumps(out))
"""


def test_floods_on_the_protocol_cost_the_grader_little_memory_and_make_small_results():
    """Graded in a process of its own, so its peak memory is the grader's alone: a 96 MiB reply frame and a
    dict of 20,000 keys of 500 characters each (old grader: 4.8 GB of memory; a 145 MB result)."""
    names = ["reply_flood_frame", "reply_many_keys"]
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(SEED), *names],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=None,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        m = measured[name]
        assert m["extra_mb"] < 300, (name, m)
        assert m["json_bytes"] < 1_000_000, (name, m)
        assert m["seconds"] < 30, (name, m)
        assert 80 <= m["score"] < 100, (name, m)  # 0 on what it breaks (the rows say which), the rest full
