"""The sandbox's isolation layers, exercised for real where this machine has them, skipped with the reason
where it does not (``autograder doctor`` prints the same detection)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import isolation, wire
from autograder.sandbox.runner import Sandbox

PROBE = """
import json
import os
import socket
import sys
import time

import numpy as np


def as_bytes(info):
    return np.frombuffer(json.dumps(info).encode(), dtype=np.uint8).copy()


def text(a):
    return bytes(np.asarray(a, dtype=np.uint8)).decode()


def who():
    import resource

    names = ("CPU", "AS", "FSIZE", "CORE", "NPROC")
    limits = {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))[0] for n in names}
    return as_bytes({"uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups(), "limits": limits})


def connect(port):
    try:
        s = socket.socket()
        s.settimeout(1.0)
        s.connect(("127.0.0.1", int(port)))
        s.sendall(b"leak")
        return as_bytes({"connected": True})
    except OSError as exc:
        return as_bytes({"connected": False, "error": type(exc).__name__ + ": " + str(exc)})


def read(paths):
    out = {}
    for p in json.loads(text(paths)):
        try:
            with open(p, "rb") as f:
                out[p] = f.read(20).decode("latin-1")
        except OSError as exc:
            out[p] = type(exc).__name__
    return as_bytes(out)


def fill():
    block = b"x" * (1 << 20)
    written = 0
    try:
        for i in range(1000):
            with open(f"fill-{i}.bin", "wb") as f:
                for _ in range(8):
                    f.write(block)
                    f.flush()
                    written += len(block)
    except OSError as exc:
        return as_bytes({"written": written, "error": type(exc).__name__ + ": " + str(exc)})
    return as_bytes({"written": written})


def threads():
    import threading

    box = []
    t = threading.Thread(target=lambda: box.append(sum(range(10))))
    t.start()
    t.join()
    return as_bytes({"ran": box == [45]})


def daemon(token):
    # double fork + setsid: the daemon leaves the child's process group and session
    try:
        pid = os.fork()
    except OSError as exc:
        return as_bytes({"forked": False, "error": type(exc).__name__})
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", text(token)])
        os._exit(0)
    os.wait()
    time.sleep(0.2)
    return as_bytes({"forked": True})


def bomb():
    born = 0
    for _ in range(300):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:  # every child bombs on, and never returns to the protocol loop
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
        born += 1
    return as_bytes({"born": born})
"""

LAYERS = isolation.in_force()


def _need(*keys: str) -> None:
    for key in keys:
        if not isolation.in_force()[key]["on"]:
            pytest.skip(f"isolation layer {key!r} not in force here: {isolation.in_force()[key]['why']}")


@pytest.fixture
def sandbox(tmp_path):
    src = tmp_path / "probe.py"
    src.write_text(textwrap.dedent(PROBE))
    sb = Sandbox({"probe.py": src})
    yield sb
    sb.close()


def call(sb: Sandbox, fn: str, seconds: float = 5.0, **inputs) -> dict:
    req = {
        "module": "probe",
        "inputs": {k: wire.encode(v) for k, v in inputs.items()},
        "steps": [{"name": "r", "fn": fn, "args": [{"$ref": [k]} for k in inputs], "kwargs": {}}],
        "returns": [{"label": "r", "ref": ["r"], "schema": {"kind": "array"}}],
    }
    reply = sb.run(req, seconds)
    assert "returns" in reply and reply["steps"][0]["status"] == "ok", reply
    return json.loads(wire.decode(reply["returns"][0]).tobytes().decode())


def as_array(value) -> np.ndarray:
    return np.frombuffer(json.dumps(value).encode() if not isinstance(value, str) else value.encode(), np.uint8).copy()


def processes_with(needle: bytes) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if needle in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def processes_of(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found.append(int(name))
            except OSError:
                pass
    return found


def wait_until(condition, seconds: float = 3.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# -- always ------------------------------------------------------------------------------------------------


def test_resource_limits_are_in_force(sandbox):
    info = call(sandbox, "who")
    limits = info["limits"]
    assert limits["CPU"] == sandbox.limits["cpu"] and limits["FSIZE"] == sandbox.limits["fsize"]
    assert limits["AS"] == sandbox.limits["as"] and limits["CORE"] == 0
    assert limits["NPROC"] == isolation.NPROC


def test_doctor_lists_every_layer(capsys):
    from autograder.cli import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in (
        "resource limits",
        "disk space",
        "user",
        "network",
        "filesystem view",
        "process cleanup",
        "IPC/UTS",
        "privileges",
        "seccomp",
    ):
        line = next((x for x in out.splitlines() if x.strip().startswith(name + ":")), None)
        assert line is not None, out
        assert ("NOT in force" in line) != (" in force" in line.replace("NOT in force", "")), line
    assert "resource limits:   in force" in out
    assert "Probe (a real sandbox child):" in out and "connect to a listener on 127.0.0.1" in out


def test_no_limits_means_no_child(monkeypatch, tmp_path):
    monkeypatch.setitem(isolation.detect(), "limits", {"on": False, "why": "a platform without setrlimit"})
    with pytest.raises(isolation.SandboxUnavailable, match="refusing to run student code"):
        Sandbox({})


# -- per layer ---------------------------------------------------------------------------------------------


def test_child_runs_as_a_dedicated_non_root_uid(sandbox):
    if os.geteuid() != 0:
        pytest.skip("the grader is not root: the child runs as the grader's own uid")
    _need("uid")
    info = call(sandbox, "who")
    assert info["uid"] == info["euid"] == sandbox.uid >= isolation.UID_BASE
    assert info["groups"] == []


def test_child_cannot_connect_to_a_listener_on_loopback(sandbox):
    if not (LAYERS["net"]["on"] or LAYERS["seccomp"]["on"]):
        pytest.skip(f"no network layer here: {LAYERS['net']['why']}")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    try:
        info = call(sandbox, "connect", port=np.array(listener.getsockname()[1]))
        assert info["connected"] is False, info
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_child_cannot_read_the_grader_or_the_solutions(sandbox):
    _need("fs")
    here = Path(__file__).resolve()
    targets = [str(here), str(here.parent.parent / "solutions" / "hw1" / "p1_bp_relu.py"), "/etc/passwd"]
    assert all(Path(t).is_file() for t in targets[:1])
    info = call(sandbox, "read", paths=as_array(targets))
    assert all(v in ("FileNotFoundError", "PermissionError") for v in info.values()), info


def without_seccomp(monkeypatch) -> None:
    """Launch children without the seccomp filter (which refuses fork), to test the layers behind it."""
    real_launch = isolation.launch

    def launch(*args, **kwargs):
        prefix, spec = real_launch(*args, **kwargs)
        spec["seccomp"] = False
        return prefix, spec

    monkeypatch.setattr(isolation, "launch", launch)


def test_seccomp_refuses_new_processes_but_not_threads(sandbox):
    _need("seccomp")
    assert call(sandbox, "daemon", token=as_array("1")) == {"forked": False, "error": "PermissionError"}
    assert call(sandbox, "bomb")["born"] == 0
    assert call(sandbox, "threads")["ran"] is True


def test_setsid_daemon_does_not_survive_the_run(sandbox, monkeypatch):
    if not (LAYERS["pid"]["on"] or LAYERS["uid"]["on"]):
        pytest.skip("neither a PID namespace nor a dedicated uid here: a setsid daemon is not defended")
    without_seccomp(monkeypatch)
    token = f"{1000 + os.getpid() % 1000}.{time.time_ns() % 10**9:09d}"
    assert call(sandbox, "daemon", token=as_array(token))["forked"] is True
    needle = b"sleep\0" + token.encode()
    assert wait_until(lambda: processes_with(needle)), "the daemon did not start: the test proves nothing"
    sandbox.kill()  # what the grader does after a run (close, or a timeout)
    assert wait_until(lambda: not processes_with(needle)), "the setsid daemon survived the run"


def test_fork_bomb_is_contained_by_the_process_limit(sandbox, monkeypatch):
    if os.geteuid() == 0 and not LAYERS["uid"]["on"]:
        pytest.skip("root ignores RLIMIT_NPROC and there is no dedicated uid here")
    without_seccomp(monkeypatch)
    info = call(sandbox, "bomb", seconds=10.0)
    assert info["born"] < isolation.NPROC, info
    uid = sandbox.uid
    sandbox.kill()
    if uid is not None:
        assert wait_until(lambda: not processes_of(uid)), "processes of the sandbox uid survived"
    # the sandbox is usable again after the bomb
    assert call(sandbox, "who")["limits"]["NPROC"] == isolation.NPROC


def test_seccomp_refuses_sockets(sandbox):
    _need("seccomp")
    info = call(sandbox, "connect", port=np.array(9))
    assert info["connected"] is False and "PermissionError" in info["error"], info


def test_a_layer_that_fails_in_the_child_is_dropped_and_reported(sandbox, monkeypatch, capsys):
    _need("seccomp", "uid")
    real_launch = isolation.launch

    def broken_launch(*args, **kwargs):  # seccomp without no-new-privs, as a non-root uid: the kernel refuses
        prefix, spec = real_launch(*args, **kwargs)
        spec["nnp"] = False
        return prefix, spec

    monkeypatch.setattr(isolation, "launch", broken_launch)
    monkeypatch.setattr(isolation, "_runtime_off", {})
    assert call(sandbox, "who")["uid"] == sandbox.uid  # started again without the failed layer
    assert "isolation layer 'seccomp' is NOT in force" in capsys.readouterr().err
    assert isolation.in_force()["seccomp"]["on"] is False
    lines = isolation.describe()
    assert any(name == "seccomp" and not on and "failed in the child" in text for name, on, text in lines)


def test_uid_sweep_kills_only_that_uid():
    if os.geteuid() != 0:
        pytest.skip("sweeping a uid needs root")
    with pytest.raises(ValueError):
        isolation.kill_uid(0)
    claim = isolation.claim_uid()
    assert claim is not None
    r, w = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - a stand-in for a leftover daemon
            try:
                os.setsid()
                os.setresgid(claim[0], claim[0], claim[0])
                os.setresuid(claim[0], claim[0], claim[0])
                os.write(w, b"x")
                time.sleep(10)
            finally:
                os._exit(0)
        assert os.read(r, 1) == b"x"
        isolation.kill_uid(claim[0])
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    finally:
        os.close(r)
        os.close(w)
        isolation.release_uid(claim)


def test_a_view_the_child_cannot_start_in_is_dropped_and_reported(sandbox, monkeypatch, capsys):
    _need("fs")
    real_launch = isolation.launch

    def launch_without_numpy(*args, **kwargs):  # a view that lacks a library the child needs
        prefix, spec = real_launch(*args, **kwargs)
        if spec["view"]:
            spec["view"]["entries"] = [e for e in spec["view"]["entries"] if not e[1].endswith("/numpy")]
        return prefix, spec

    monkeypatch.setattr(isolation, "launch", launch_without_numpy)
    monkeypatch.setattr(isolation, "_runtime_off", {})
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", "0")  # a zygote's fork has NumPy already: start the child afresh
    info = call(sandbox, "who")
    assert info["limits"]["NPROC"] == isolation.NPROC  # limits stay in force
    assert "isolation layer 'fs' is NOT in force" in capsys.readouterr().err
    assert isolation.in_force()["fs"]["on"] is False


def test_disk_fill_is_bounded(sandbox):
    _need("disk")
    info = call(sandbox, "fill", seconds=10.0)
    assert info["written"] <= isolation.DISK_BYTES and "No space left" in info.get("error", ""), info
    sandbox.kill()
    assert call(sandbox, "who")["limits"]["NPROC"] == isolation.NPROC  # the sandbox still works
    root = sandbox.root
    sandbox.close()
    assert not root.exists()
    with open("/proc/self/mountinfo") as f:
        assert str(root) not in f.read()


def test_a_cpu_limit_kill_is_reported_as_a_kill(tmp_path):
    """The child's namespaces sit between the grader and the killed process: its status must come through."""
    src = tmp_path / "probe.py"
    src.write_text(textwrap.dedent(PROBE) + "\n\ndef spin():\n    while True:\n        pass\n")
    with Sandbox({"probe.py": src}, limits={"cpu": 1}) as sb:
        reply = sb.run(
            {
                "module": "probe",
                "inputs": {},
                "steps": [{"name": "r", "fn": "spin", "args": [], "kwargs": {}}],
                "returns": [{"label": "r", "ref": ["r"], "schema": {"kind": "any"}}],
            },
            8.0,
        )
    assert "died" in reply and ("CPU-time limit" in reply["died"] or "a kill" in reply["died"]), reply


# -- never weaker in silence: required layers, the record, the doctor's table --------------------------------

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "hw1" / "stubs_only"


def autograder_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], capture_output=True, text=True, env=clean | env, timeout=300
    )


def test_require_refuses_to_grade_without_the_layer_in_one_line(tmp_path):
    out = tmp_path / "out"
    for args, env in (
        (["--require", "net"], {isolation.DISABLE_ENV: "net,fs"}),
        (["--require", "uid,fs"], {isolation.DISABLE_ENV: "net,fs"}),
        ([], {isolation.DISABLE_ENV: "net,fs", isolation.REQUIRE_ENV: "fs"}),
    ):
        run = autograder_cli("grade", str(SAMPLE), "--out", str(out), *args, **env)
        assert run.returncode == 2, run.stdout + run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: refusing to grade: required isolation layer"), lines
        assert "turned off by AUTOGRADER_SANDBOX_DISABLE" in lines[0] and run.stdout == ""
        assert not (out / "submissions").exists(), "nothing graded"
    run = autograder_cli("grade", str(SAMPLE), "--require", "nett")
    assert run.returncode == 2 and "unknown isolation layer nett" in run.stderr


def test_every_result_records_its_layers_in_json_and_csv(tmp_path):
    out = tmp_path / "out"
    run = autograder_cli(
        "grade",
        str(SAMPLE),
        "--no-canary",
        "--format",
        "json",
        "--out",
        str(out),
        "--require",
        "limits",
        **{isolation.DISABLE_ENV: "net,ipc"},
    )
    assert run.returncode == 0, run.stderr
    layers = json.loads(run.stdout)["isolation"]
    assert list(layers) == list(isolation.LAYERS) and layers["limits"] is True
    assert layers["net"] is False and layers["ipc"] is False
    import csv

    (row,) = csv.DictReader((out / "grades.csv").open())
    assert row["isolation"].startswith("in force: limits") and "off: " in row["isolation"]
    assert "net" in row["isolation"].split("off: ")[1]


def test_results_written_before_the_record_still_load():
    from autograder.grading import SubmissionResult
    from autograder.report import isolation_text

    old = {"submission": "a", "assignment": "hw1", "seed": 1, "score": 0, "max_score": 100, "problems": {},
           "checks": [], "notes": [], "output": "", "seconds": 0.1, "error": None}  # fmt: skip
    result = SubmissionResult.from_json(old)
    assert result.isolation == {} and isolation_text(result.isolation) == "not recorded"
    assert SubmissionResult.from_json(result.to_json()) == result


def test_a_required_layer_that_fails_in_a_child_stops_grading(sandbox, monkeypatch):
    _need("seccomp", "uid")
    real_launch = isolation.launch

    def broken_launch(*args, **kwargs):  # as in the test above: seccomp fails in the child
        prefix, spec = real_launch(*args, **kwargs)
        spec["nnp"] = False
        return prefix, spec

    monkeypatch.setattr(isolation, "launch", broken_launch)
    monkeypatch.setattr(isolation, "_runtime_off", {})
    monkeypatch.setattr(isolation, "_required", {"seccomp"})
    with pytest.raises(isolation.SandboxUnavailable, match="required isolation layer 'seccomp' failed"):
        call(sandbox, "who")


def test_doctor_says_what_each_missing_layer_lets_through():
    run = autograder_cli("doctor", "--no-probe", **{isolation.DISABLE_ENV: "net,fs,pid,ipc,disk"})
    assert run.returncode == 0, run.stderr
    table = run.stdout.split("What each layer stops, on this machine:\n", 1)[1].splitlines()
    assert table[0].split() == ["layer", "in", "force?", "what", "a", "submission", "could", "do", "without", "it"]
    rows = {line[2:20].strip().rstrip(" *"): line for line in table[1:] if line.startswith("  ") and line[2] != "("}
    assert set(rows) >= {"filesystem view", "network", "process cleanup", "IPC/UTS", "disk space", "seccomp"}
    for name in ("filesystem view", "process cleanup", "IPC/UTS", "disk space"):
        assert rows[name][21:].startswith("NO") and rows[name].endswith("<- possible here"), rows[name]
    assert "numpy.__file__" in rows["filesystem view"]
    assert rows["resource limits"][21:].startswith("yes")
    refused = autograder_cli("doctor", "--no-probe", "--require", "fs", **{isolation.DISABLE_ENV: "fs"})
    assert refused.returncode == 2 and "REQUIRED: grading refuses to start" in refused.stdout
