"""The zygote that forks sandbox children (``autograder.sandbox.zygote``): each submission gets a fresh, confined
copy of a clean process; the zygote outlives nothing it should not and cannot be touched by its children."""

from __future__ import annotations

import json
import os
import signal
import textwrap

import numpy as np
import pytest

from autograder.sandbox import forkserver, isolation, wire
from autograder.sandbox.runner import Sandbox

PROBE = """
import json
import os
import signal

import numpy as np

STATE = {"calls": 0}


def _out(value):
    return np.frombuffer(json.dumps(value).encode(), np.uint8).copy()


def visit(x):
    STATE["calls"] += 1
    np.seterr(all="ignore")  # process-wide state a later submission must not inherit
    return _out({"calls": STATE["calls"], "pid": os.getpid(), "uid": os.getuid(), "cwd": os.getcwd()})


def hit(pid):
    try:
        os.kill(int(pid[0]), signal.SIGKILL)
        return _out("killed")
    except OSError as exc:
        return _out(type(exc).__name__)
"""


def _sandbox(tmp_path, name: str) -> Sandbox:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "probe.py").write_text(textwrap.dedent(PROBE))
    return Sandbox({"probe.py": folder / "probe.py"})


def call(sb: Sandbox, fn: str, x) -> object:
    request = {
        "module": "probe",
        "inputs": {"x": wire.encode(np.asarray(x))},
        "steps": [{"name": "r", "fn": fn, "args": [{"$ref": ["x"]}], "kwargs": {}}],
        "returns": [{"label": "r", "ref": ["r"], "schema": {"kind": "array"}}],
    }
    reply = sb.run(request, 5.0)
    assert "returns" in reply and reply["steps"][0]["status"] == "ok", reply
    return json.loads(wire.decode(reply["returns"][0]).tobytes().decode())


@pytest.fixture(autouse=True)
def _zygote_on(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_ZYGOTE", raising=False)


def _zygote_of(sb: Sandbox) -> forkserver.Zygote:
    return forkserver.zygote_for(sb._zygote_key(), sb._launch_zygote)


def test_each_submission_gets_a_fresh_child_of_the_same_zygote(tmp_path):
    with _sandbox(tmp_path, "a") as a, _sandbox(tmp_path, "b") as b:
        first = call(a, "visit", [0.0])
        again = call(a, "visit", [0.0])
        other = call(b, "visit", [0.0])
        assert isinstance(a.proc, forkserver.ForkedChild) and isinstance(b.proc, forkserver.ForkedChild)
        assert _zygote_of(a) is _zygote_of(b)
    assert (first["calls"], again["calls"]) == (1, 2)  # one child serves one submission's requests
    assert other["calls"] == 1  # the next submission starts from the zygote's clean state, not a's
    assert other["cwd"] != first["cwd"] or isolation.in_force()["fs"]["on"]


def test_a_child_killed_by_a_timeout_is_forked_again(tmp_path):
    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        pid = a.proc.pid
        a.kill()
        assert call(a, "visit", [0.0])["calls"] == 1
        assert a.proc.pid != pid


def test_a_dead_zygote_is_replaced(tmp_path):
    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        zygote = _zygote_of(a)
        os.kill(zygote.proc.pid, signal.SIGKILL)
        zygote.proc.wait()
    with _sandbox(tmp_path, "b") as b:
        assert call(b, "visit", [0.0])["calls"] == 1
        assert _zygote_of(b) is not zygote


def test_a_child_cannot_signal_its_zygote(tmp_path):
    if not isolation.in_force()["uid"]["on"]:
        pytest.skip("children run as the grader's uid here (no dedicated uid), so they could signal the zygote")
    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        zygote = _zygote_of(a)
        assert call(a, "hit", [float(zygote.proc.pid)]) in ("PermissionError", "ProcessLookupError")
        assert zygote.alive()
        info = call(a, "visit", [0.0])
        assert info["uid"] != os.getuid()
