"""Shared machinery of the adversarial corpora: grade a submission once, watch what it left behind, compare
the outcome with a row of expectations.

Every attack that leaves something on the machine for the test to observe names it with the ``agadv``
prefix: processes rename themselves ``agadv_*`` (``prctl(PR_SET_NAME)``), files are ``/tmp/agadv_*``. After
each grading the harness records what is still there and then removes it (killing such processes by pid),
so a failed defence never outlives its test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch import grade_path
from autograder.checks import Assignment
from autograder.grading import ReferenceExpectations, SubmissionResult
from autograder.report import gradescope_json, submission_table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ATTACKS = HERE / "submissions"
HONEST = ATTACKS / "honest"
BASE = REPO / "examples" / "submissions" / "hw1" / "correct_loops"
SEED = 11
OMIT = "OMIT"  # in an overlay folder: names of correct_loops' files the submission leaves out
MARK = "agadv"
TMP = Path("/tmp")
LISTENER_PORTS = range(47300, 47400)  # the socket attack tries these (or the one in /tmp/agadv_listener_port)
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


_OVERLAYS = tempfile.TemporaryDirectory(prefix="autograder-corpus-")


def materialize(overlay: Path) -> Path:
    """The whole submission an overlay folder stands for: ``correct_loops`` with the overlay's files laid
    over it, less the files its ``OMIT`` lists. An overlay file that starts with its ``# ATTACK (...)`` or
    ``# MISTAKE (...)`` line is appended to ``correct_loops``' file of that name (a later ``def`` replaces the
    correct one); any other file replaces or adds a file. The corpus keeps only what differs, so each case
    shows its attack or mistake and nothing else."""
    import shutil

    dest = Path(_OVERLAYS.name) / overlay.parent.name / overlay.name
    if dest.is_dir():
        return dest
    omit = set((overlay / OMIT).read_text().split()) if (overlay / OMIT).is_file() else set()
    dest.mkdir(parents=True)
    for f in sorted(BASE.glob("*.py")):
        if f.name not in omit:
            shutil.copyfile(f, dest / f.name)
    for f in sorted(overlay.iterdir()):
        if not f.is_file() or f.name == OMIT:
            continue
        text = f.read_bytes()
        if text.startswith((b"# ATTACK (", b"# MISTAKE (")) and (BASE / f.name).is_file():
            text = (BASE / f.name).read_bytes().rstrip(b"\n") + b"\n\n\n" + text
        (dest / f.name).write_bytes(text)
    return dest


@dataclass(frozen=True)
class Expect:
    """The expected outcome of grading one submission.

    lost       check id (or a problem key, for all of its checks) -> points earned; every other check full
    words      (where, text): ``text`` must appear in the message of check ``where`` (its first failing case),
               or in the result's ``error``, ``notes`` or ``output`` when ``where`` is one of those words
    contained  the submission attacks the evaluator's channel itself: the ``lost`` checks score as given, other
               checks of the same problems may lose points too (a broken evaluator), every other problem is full
    error      the whole submission is refused (no checks run): ``words`` must then name why
    seconds    the grading's wall-time bound
    xfail      why the defence is expected to fail for now (a limitation, or an engine change it needs)
    needs      isolation layers of which any one defends (``autograder.sandbox.isolation``): the row is an
               expected failure on machines where none of them is in force
    """

    lost: dict[str, float] = field(default_factory=dict)
    words: tuple[tuple[str, str], ...] = ()
    contained: bool = False
    error: bool = False
    seconds: float = 60.0
    xfail: str | None = None
    needs: tuple[str, ...] = ()


def layers_in_force() -> set[str]:
    """The sandbox's isolation layers in force on this machine (none if the grader cannot say)."""
    try:
        from autograder.sandbox import isolation

        return {name for name, layer in isolation.in_force().items() if layer.get("on")}
    except Exception:  # an older engine, or detection failing: count every layer as missing
        return set()


def marks(needs: tuple[str, ...] = (), reason: str | None = None) -> list:
    """xfail marks for a row: its own reason, and, when none of the isolation layers it ``needs`` (any one of
    them defends) is in force here, the missing layer. Both are strict=False: a defence that holds passes."""
    import pytest

    out = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
    if needs and not set(needs) & layers_in_force():
        out.append(pytest.mark.xfail(strict=False, reason=f"needs OS layer: {' or '.join(needs)} (not in force here)"))
    return out


@dataclass
class Graded:
    result: SubmissionResult | None
    seconds: float
    observed: dict


# -- what attacks leave behind ---------------------------------------------------------------------------


def marked_processes() -> dict[int, str]:
    """Live processes whose name starts with the attacks' prefix (zombies excluded)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if name.startswith(MARK) and state != "Z":
            found[int(entry.name)] = name
    return found


def marked_files() -> dict[str, str]:
    out = {}
    for path in TMP.glob(f"{MARK}_*"):
        try:
            out[path.name] = path.read_text(errors="replace")[:200]
        except OSError:
            out[path.name] = ""
    return out


def clean_up() -> None:
    """Kill the attacks' leftover processes (by pid) and remove their files."""
    for pid in marked_processes():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for path in TMP.glob(f"{MARK}_*"):
        if path.name != f"{MARK}_listener_port":
            with contextlib.suppress(OSError):
                path.unlink()


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        for port in LISTENER_PORTS:
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self.stop = threading.Event()
        (TMP / f"{MARK}_listener_port").write_text(str(self.port))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()
        with contextlib.suppress(OSError):
            (TMP / f"{MARK}_listener_port").unlink()


def observe(cwd: Path) -> dict:
    """What is left one second after grading: marked processes and files, files in the grader's folder."""
    time.sleep(1.0)
    beat = TMP / f"{MARK}_daemon_heartbeat"
    fresh = beat.exists() and beat.stat().st_mtime > time.time() - 0.5
    observed = {
        "processes": sorted(set(marked_processes().values())),
        "files": marked_files(),
        "heartbeat_fresh": fresh,
        "cwd_files": sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*")),
    }
    clean_up()
    return observed


# -- grading -----------------------------------------------------------------------------------------------

_SUBPROCESS = """
import json, sys
from pathlib import Path
from autograder.assignments import get
from autograder.batch import grade_path
from autograder.grading import ReferenceExpectations
a = get("hw1")
print(json.dumps(grade_path(Path(sys.argv[1]), a, ReferenceExpectations(a, int(sys.argv[2]))).to_json()))
"""


@contextlib.contextmanager
def _chdir(path: str):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def grade(
    path: Path,
    assignment: Assignment,
    expectations: ReferenceExpectations,
    in_subprocess: bool = False,
    listen: bool = False,
    watch: bool = True,
) -> Graded:
    """Grade one submission, then observe what it left behind.

    ``in_subprocess``: grade in a separate grader process (for attacks on the grader process itself); a
    grader that dies gives ``result`` None and ``observed["grader_exit"]``. ``listen``: a TCP listener on
    127.0.0.1 runs during the grading and ``observed["connections"]`` counts what reached it. ``watch``:
    grade in a fresh working folder and observe (and clean up) what is left one second later; without it
    (for submissions that leave nothing to observe) gradings may run side by side in threads."""
    if not watch:
        start = time.monotonic()
        result = grade_path(path, assignment, expectations)
        return Graded(result, time.monotonic() - start, {"grader_exit": 0})
    clean_up()
    listener = Listener() if listen else None
    with tempfile.TemporaryDirectory(prefix=f"{MARK}-cwd-") as work, _chdir(work):
        start = time.monotonic()
        exit_code = 0
        if in_subprocess:
            run = subprocess.run(
                [sys.executable, "-c", _SUBPROCESS, str(path), str(expectations.seed)],
                capture_output=True,
                text=True,
                timeout=240,
                cwd=work,
            )
            exit_code = run.returncode
            result = SubmissionResult.from_json(json.loads(run.stdout)) if run.returncode == 0 else None
        else:
            result = grade_path(path, assignment, expectations)
        seconds = time.monotonic() - start
        if listener is not None:
            listener.close()
        observed = observe(Path(work))
        observed["grader_exit"] = exit_code
        observed["connections"] = listener.accepted if listener is not None else 0
    return Graded(result, seconds, observed)


class Corpus:
    """Each submission graded once. Those that leave nothing to observe are graded two at a time in threads,
    all of them as soon as the first is asked for; the others one by one, when asked for, with observation."""

    def __init__(self, assignment: Assignment, expectations: ReferenceExpectations, jobs: int = 2):
        self.assignment, self.expectations, self.jobs = assignment, expectations, jobs
        self.done: dict[str, Graded] = {}
        self.futures: dict = {}
        self.pool: ThreadPoolExecutor | None = None

    def prefetch(self, paths: dict[str, Path]) -> None:
        """Start grading these (unwatched) in the background."""
        if self.pool is None:
            self.pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="agadv-grade")
        for name, path in paths.items():
            if name not in self.futures and name not in self.done:
                self.futures[name] = self.pool.submit(grade, path, self.assignment, self.expectations, watch=False)

    def get(self, name: str, path: Path, **kwargs) -> Graded:
        if name in self.futures:
            self.done[name] = self.futures.pop(name).result()
        if name not in self.done:
            self.done[name] = grade(path, self.assignment, self.expectations, **kwargs)
        return self.done[name]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        clean_up()


# -- judging an outcome -------------------------------------------------------------------------------------


def expected_points(assignment: Assignment, expect: Expect) -> dict[str, float]:
    """Every check id -> the points it must earn (the ``lost`` keys may name whole problems)."""
    points = {}
    for check in assignment.checks:
        if check.id in expect.lost:
            points[check.id] = expect.lost[check.id]
        elif check.problem in expect.lost:
            points[check.id] = expect.lost[check.problem]
        else:
            points[check.id] = float(check.points)
    unknown = set(expect.lost) - set(points) - {p.key for p in assignment.problems}
    assert not unknown, f"the table names checks that do not exist: {sorted(unknown)}"
    return points


def assert_outcome(graded: Graded, assignment: Assignment, expect: Expect) -> None:
    assert graded.observed["grader_exit"] == 0, f"the grader died (exit status {graded.observed['grader_exit']})"
    result = graded.result
    assert result is not None
    assert graded.seconds < expect.seconds, f"grading took {graded.seconds:.1f} s"
    assert "internal grader error" not in (result.error or ""), result.error
    if expect.error:
        assert result.error and result.score == 0, (result.error, result.score)
    else:
        assert result.error is None, result.error
        got = {c.id: round(c.points, 4) for c in result.checks}
        want = expected_points(assignment, expect)
        if expect.contained:
            for cid in expect.lost:
                assert got[cid] == want[cid], (cid, got[cid], want[cid], _message(result, cid))
            attacked = {c.problem for c in assignment.checks if c.id in expect.lost or c.problem in expect.lost}
            outside = [c.id for c in assignment.checks if c.problem not in attacked]
            wrong = {cid: got[cid] for cid in outside if got[cid] != want[cid]}
            assert not wrong, {cid: (g, _message(result, cid)) for cid, g in wrong.items()}
        else:
            wrong = {cid: (got.get(cid), want[cid]) for cid in want if got.get(cid) != want[cid]}
            assert not wrong, {cid: (g, w, _message(result, cid)) for cid, (g, w) in wrong.items()}
        assert abs(result.score - sum(got.values())) < 1e-6
    for where, text in expect.words:
        haystack = _message(result, where)
        assert text in haystack, (where, text, haystack)
    assert_inert(result)


def _message(result: SubmissionResult, where: str) -> str:
    if where == "error":
        return result.error or ""
    if where == "notes":
        return "\n".join(result.notes)
    if where == "output":
        return result.output
    return next((c.message for c in result.checks if c.id == where), f"<no check {where}>")


def assert_inert(result: SubmissionResult) -> None:
    """What people read (the terminal table, Gradescope's results.json) holds no raw control characters, and
    Gradescope is told to show messages as text (so HTML in them is shown, never rendered)."""
    table = submission_table(result, verbose=True)
    assert not _RAW_CONTROL.search(table.replace("\n", "")), repr(table)
    doc = gradescope_json(result)
    texts = [doc["output"]] + [t["output"] for t in doc["tests"]] + [t["name"] for t in doc["tests"]]
    for text in texts:
        assert not _RAW_CONTROL.search(text.replace("\n", "")), repr(text)
    assert doc.get("output_format") == doc.get("test_output_format") == "text"
    assert all(t.get("output_format") == "text" for t in doc["tests"])
