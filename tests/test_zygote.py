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


def collector(x):
    import gc

    return _out({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())})


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


def test_a_fork_inherits_the_zygotes_imports_frozen_out_of_its_collector(tmp_path):
    """What the zygote imported and warmed up is never walked by a child's garbage collector (nor written to,
    page by page, as the collector would): gc.freeze() before the zygote serves."""
    with _sandbox(tmp_path, "a") as a:
        got = call(a, "collector", [0.0])
    assert got["frozen"] > 10_000, got  # NumPy and the child's package, imported by the zygote
    assert got["tracked"] < got["frozen"] / 2, got  # what the child itself made since


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


# -- the warm-up, the early start, a zygote shared with forked workers -------------------------------------


def test_the_warm_up_leaves_no_global_state_changed():
    import warnings

    from autograder.sandbox import zygote

    filters, errors, legacy = list(warnings.filters), np.geterr(), np.random.get_state()
    zygote.warm_up(("sympy",))
    assert warnings.filters == filters and np.geterr() == errors
    after = np.random.get_state()
    assert after[0] == legacy[0] and np.array_equal(after[1], legacy[1]) and after[2:] == legacy[2:]


SYMPY_PROBE = """
import sys

import numpy as np


def loaded(x):
    return np.array([float("sympy" in sys.modules)])
"""


def _loaded(sb: Sandbox) -> bool:
    request = {
        "module": "probe",
        "inputs": {"x": wire.encode(np.zeros(1))},
        "steps": [{"name": "r", "fn": "loaded", "args": [{"$ref": ["x"]}], "kwargs": {}}],
        "returns": [{"label": "r", "ref": ["r"], "schema": {"kind": "array"}}],
    }
    reply = sb.run(request, 5.0)
    assert reply["steps"][0]["status"] == "ok", reply
    return bool(wire.decode(reply["returns"][0])[0])


def test_a_zygote_started_early_is_told_its_preload_by_the_first_sandbox(tmp_path):
    forkserver.close_all()
    forkserver.start()  # before the preload is known
    (early,) = forkserver._early.values()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "probe.py").write_text(SYMPY_PROBE)
    files = {"probe.py": tmp_path / "a" / "probe.py"}
    with Sandbox(files, preload=("sympy",)) as with_sympy, Sandbox(files) as without:
        assert _loaded(with_sympy) and not _loaded(without)  # each preload its own zygote
        assert _zygote_of(with_sympy) is early and _zygote_of(without) is not early
    assert not forkserver._early


def _in_a_fork(work) -> object:
    """``work()`` in a forked process (as a --jobs pool worker is), its value sent back as JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.write(write, json.dumps(work()).encode())
        except BaseException:
            import traceback

            traceback.print_exc()  # shown with the test's failure
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else None


def test_forked_workers_share_the_zygote_one_request_at_a_time(tmp_path):
    import threading

    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        zygote = _zygote_of(a)

        def worker():  # several forks and the parent ask the one zygote at the same time
            with _sandbox(tmp_path, f"w{os.getpid()}") as w:
                seen = [call(w, "visit", [0.0])["calls"] for _ in range(3)]
                return {"zygote": _zygote_of(w).proc.pid, "calls": seen, "ppid": os.getppid()}

        got: list = []
        threads = [threading.Thread(target=lambda: got.append(_in_a_fork(worker))) for _ in range(3)]
        for t in threads:
            t.start()
        parent_calls = [call(a, "visit", [0.0])["calls"] for _ in range(5)]
        for t in threads:
            t.join(60)
        assert parent_calls == [2, 3, 4, 5, 6]
        assert [g["calls"] for g in got] == [[1, 2, 3]] * 3
        assert {g["zygote"] for g in got} == {zygote.proc.pid}  # none started its own
        assert zygote.alive()


def test_a_forked_worker_replaces_a_dead_inherited_zygote_and_only_lets_go_of_a_live_one(tmp_path):
    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        zygote = _zygote_of(a)
        pid = zygote.proc.pid

        def letting_go():  # a worker that gives up on the inherited zygote does not stop it
            _zygote_of(a).close()
            with _sandbox(tmp_path, "w1") as w:
                return {"calls": call(w, "visit", [0.0])["calls"], "zygote": _zygote_of(w).proc.pid}

        def finding_it_dead():
            os.kill(pid, signal.SIGKILL)
            with _sandbox(tmp_path, "w2") as w:
                return {"calls": call(w, "visit", [0.0])["calls"], "zygote": _zygote_of(w).proc.pid}

        got = _in_a_fork(letting_go)
        assert got["calls"] == 1 and got["zygote"] != pid
        assert zygote.alive() and call(a, "visit", [0.0])["calls"] == 2  # the parent's still serves
        got = _in_a_fork(finding_it_dead)
        assert got["calls"] == 1 and got["zygote"] != pid
    with _sandbox(tmp_path, "b") as b:  # and the parent replaces it too
        assert call(b, "visit", [0.0])["calls"] == 1 and _zygote_of(b) is not zygote


def test_a_reply_left_by_an_asker_that_gave_up_is_not_taken_for_the_next_one(tmp_path):
    with _sandbox(tmp_path, "a") as a:
        call(a, "visit", [0.0])
        zygote = _zygote_of(a)
        with zygote.lock, zygote.turn:  # a request whose asker never read its reply
            zygote.sock.send(json.dumps({"poll": 1, "id": "gave-up"}).encode())
        a.kill()
        assert call(a, "visit", [0.0])["calls"] == 1  # the spawn's reply is the pid, not the stale {"code": ...}
        assert isinstance(a.proc, forkserver.ForkedChild)
