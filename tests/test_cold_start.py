"""What a cold ``autograder grade`` does to start fast, and that none of it changes what is graded or leaves
anything behind: the zygote's preload guessed from the declarations' source text (``assignments.source_hints``,
``cli._guessed_preload``) and settled by ``forkserver.start``; symbolic workers forked from a template of the
grader (``symbolic_worker``); the command's own end of its process (``cli.end``)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import assignments, cli
from autograder.assignments import get, names, source_hints
from autograder.sandbox import forkserver
from autograder.sandbox.runner import Sandbox
from autograder.sandbox.runtime import runtime_dir

from .test_zygote import _loaded  # a child's answer: whether its process has the probe's module loaded

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions"
EXTRA = "colorsys"  # a preload of the tests' own: a standard module that neither NumPy nor the child imports


def _parent(pid: int) -> int:
    """The parent's pid of a live process, read from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def _ends(pidfd: int, seconds: float) -> bool:
    """Whether the process of ``pidfd`` ends within ``seconds``."""
    return bool(select.select([pidfd], [], [], seconds)[0])


# -- the preload guessed from the declarations' source --------------------------------------------------------


@pytest.mark.parametrize("name", names())
def test_the_source_hints_name_every_module_and_guess_the_settled_preload(name):
    assignment = get(name)
    settled = assignment.preload(assignment.checks)
    hints = source_hints(name)
    assert hints is not None
    quoted, preload = hints
    assert {p.module for p in assignment.problems} <= quoted
    assert preload == settled
    sample = str(SAMPLES / name / "correct_loops")
    assert cli._guessed_preload(None, [sample]) == settled  # the assignment found by its files' names alone
    assert cli._guessed_preload(name, [sample]) == settled


def test_the_guess_imports_neither_numpy_nor_sympy():
    """The zygote starts on the guess before the grader's heavy imports: making it must not import them."""
    code = (
        "import sys; from autograder import cli; "
        f"cli._guessed_preload(None, [{str(SAMPLES / 'hw1' / 'correct_loops')!r}]); "
        "print(sorted({'numpy', 'sympy'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


DECLARATION = """
from autograder.checks import Assignment, Check, Problem

MORE = {more}
ASSIGNMENT = Assignment(
    name="zz_cold",
    problems=(Problem("p1", "p1_cold", "a problem", 1, preload={preload}),),
    checks=(Check(problem="p1", function="f", title="a check", points=1, public=True, judge=None, cases=()),),
)
"""

PROBE = """
import sys

import numpy as np


def loaded(x):
    return np.array([float({extra!r} in sys.modules)])
"""


@pytest.fixture(autouse=True)
def _zygotes(monkeypatch):
    """Zygotes on (whatever the environment says), and none of this process's before or after a test."""
    monkeypatch.delenv("AUTOGRADER_ZYGOTE", raising=False)
    forkserver.close_all()
    forkserver._guessed.clear()
    yield
    forkserver.close_all()
    forkserver._guessed.clear()


@pytest.fixture
def probe(tmp_path) -> dict[str, Path]:
    """A submission's files whose ``loaded`` says whether its child has :data:`EXTRA` imported."""
    (tmp_path / "probe.py").write_text(PROBE.format(extra=EXTRA))
    return {"probe.py": tmp_path / "probe.py"}


def _running() -> list[forkserver.Zygote]:
    return [*forkserver._zygotes.values(), *forkserver._early.values()]


@pytest.fixture
def declaration(tmp_path, monkeypatch):
    """``declare(more, preload)``: an assignment ``zz_cold`` whose problem's preload the source states as
    ``preload={preload}`` beside ``MORE = {more}``, known to the registry for the test."""
    folder = tmp_path / "declarations"
    folder.mkdir()
    monkeypatch.setattr(assignments, "__path__", [*assignments.__path__, str(folder)])

    def declare(more: str, preload: str) -> str:
        (folder / "zz_cold.py").write_text(DECLARATION.format(more=more, preload=preload))
        return "zz_cold"

    yield declare
    sys.modules.pop(f"{assignments.__name__}.zz_cold", None)
    if hasattr(assignments, "zz_cold"):  # set by its import
        delattr(assignments, "zz_cold")


@pytest.mark.parametrize(
    "more, preload",
    [
        ("()", f"({EXTRA!r}, *MORE)"),  # a tuple, but not a literal one
        (f"({EXTRA!r},)", "MORE"),  # a name: no preload=(...) in the source
    ],
)
def test_a_preload_not_stated_literally_is_settled_by_the_declaration(declaration, probe, more, preload):
    name = declaration(more, preload)
    guess = cli._guessed_preload(name, [])
    assert guess != (EXTRA,)  # the source does not say it, so the guess cannot know it
    forkserver.start(guess, guess=True)  # as cmd_grade does: the guess first, ...
    started = {id(z): z.proc for z in _running()}
    declared = get(name)
    settled = declared.preload(declared.checks)
    assert settled == (EXTRA,)
    forkserver.start(settled)  # ... then the declaration's own preload
    with Sandbox(probe, preload=settled) as sb:
        assert _loaded(sb)
        serving = sb.proc.zygote
    assert _running() == [serving]  # no zygote of another preload is left running
    for ident, proc in started.items():  # the one started on the guess now serves, or was stopped
        assert ident == id(serving) or proc.poll() is not None


# -- forkserver.start on a guess, then on the settled preload -------------------------------------------------


def test_a_zygote_started_on_a_wrong_guess_is_stopped_and_the_settled_one_serves(probe):
    forkserver.start((EXTRA,), guess=True)
    (wrong,) = _running()
    proc = wrong.proc
    assert wrong.alive()
    forkserver.start(())
    assert proc.poll() is not None and not wrong.alive()  # its process has ended
    key = (str(runtime_dir()), ())
    assert list(forkserver._zygotes) == [key]
    with Sandbox(probe) as sb:
        assert not _loaded(sb)
        assert sb.proc.zygote is forkserver._zygotes[key]
        assert _parent(sb.proc.pid) == forkserver._zygotes[key].proc.pid


def test_a_right_guess_is_kept(probe):
    forkserver.start((EXTRA,), guess=True)
    (guessed,) = _running()
    pid = guessed.proc.pid
    forkserver.start((EXTRA,))
    assert _running() == [guessed] and guessed.alive() and guessed.proc.pid == pid  # not restarted
    with Sandbox(probe, preload=(EXTRA,)) as sb:
        assert _loaded(sb)
        assert sb.proc.zygote is guessed and _parent(sb.proc.pid) == pid


# -- symbolic workers forked from a template -------------------------------------------------------------------

GRADER = """
import json, os, socket, subprocess, sys, tempfile, threading

mode = sys.argv[1]
held = [tempfile.TemporaryFile(), *socket.socketpair()]  # the grader's own descriptors, none a worker's
if mode == "threaded":  # another thread runs: no template can be forked
    threading.Thread(target=threading.Event().wait, daemon=True).start()
import sympy

from autograder import symbolic
from autograder import symbolic_worker as sw

x, s = sympy.Symbol("x"), sympy.srepr
questions = [(2 * x, x + x), (x**2, 2 * x)]  # an answer and its expected value: one right, one wrong
workers = sw.Workers()
verdicts = [sw.equivalent(s(a), s(e), [s(x)], seed=1, workers=workers) for a, e in questions]
direct = [symbolic.equivalent(a, e, [x], seed=1) for a, e in questions]  # the same, judged here instead
worker = workers._idle[0] if workers._idle else None  # the one that judged both (None: it failed)
template = sw._templates.get(os.getpid())
info = {
    "pid": os.getpid(),
    "worker": worker and worker.pid,
    "template": template and template.pid,
    "pipes": [os.fstat(f.fileno()).st_ino for f in (worker.proc.stdin, worker.proc.stdout)] if worker else [],
    "held": [os.fstat(f.fileno()).st_ino for f in held],
    "memory": sw.MEMORY_BYTES,
    "verdicts": [[v.ok, v.message, list(v.names)] for v in verdicts],
    "direct": [[v.ok, v.message, list(v.names)] for v in direct],
}
if mode == "held" and worker:  # a process of its own keeps the worker's requests open: it ends only by its PDEATHSIG
    info["holder"] = subprocess.Popen(["sleep", "60"], pass_fds=[worker.proc.stdin.fileno()]).pid
print(json.dumps(info), flush=True)
sys.stdin.read()  # until the test is done with it
"""


class _Grader:
    """A grader-like process (:data:`GRADER`) that judged two answers in one symbolic worker and keeps it, with
    pidfds of the processes it reports (opened from here while they run)."""

    def __init__(self, mode: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", GRADER, mode], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if select.select([self.proc.stdout], [], [], 60)[0] else ""
        assert line, "the grader reported nothing (its error is in the captured stderr)"
        self.info = json.loads(line)
        self.pidfds = {
            what: os.pidfd_open(self.info[what]) for what in ("worker", "template", "holder") if self.info.get(what)
        }

    def close(self) -> None:
        """End it (its stdin closed, as a grader that is done), and anything it left (the holder, a worker that
        outlived it)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pidfd in self.pidfds.values():
            if not _ends(pidfd, 0):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.close(pidfd)


@pytest.fixture
def grader():
    started: list[_Grader] = []

    def start(mode: str) -> _Grader:
        started.append(_Grader(mode))
        return started[-1]

    yield start
    for g in started:
        g.close()


@pytest.fixture(scope="module")
def forked():
    g = _Grader("plain")
    yield g
    g.close()


def _verdicts_are_right(info: dict) -> None:
    """The worker's verdicts (ok, message, names) are those of the judge run in the grader itself."""
    assert [v[0] for v in info["verdicts"]] == [True, False]
    assert info["verdicts"] == info["direct"]


def test_a_forked_worker_is_a_fork_of_the_template_and_judges(forked):
    info = forked.info
    _verdicts_are_right(info)
    assert info["template"] and _parent(info["template"]) == info["pid"]
    assert info["worker"] and _parent(info["worker"]) == info["template"]


def test_a_forked_worker_holds_only_its_pipes_and_dev_null(forked):
    worker = forked.info["worker"]
    assert worker
    links = {fd: os.readlink(f"/proc/{worker}/fd/{fd}") for fd in os.listdir(f"/proc/{worker}/fd")}
    pipes = {f"pipe:[{inode}]" for inode in forked.info["pipes"]}
    assert set(links.values()) - {"/dev/null"} == pipes, links  # both protocol pipes, nothing of the grader's
    assert not any(link.endswith(f"[{inode}]") for inode in forked.info["held"] for link in links.values())


def test_a_forked_worker_has_the_workers_address_space_limit(forked):
    with open(f"/proc/{forked.info['worker']}/limits") as f:
        (line,) = [line for line in f if line.startswith("Max address space")]
    soft, hard = line.split()[3:5]
    assert int(soft) == int(hard) == forked.info["memory"]


def test_a_forked_worker_ends_with_its_grader(grader):
    g = grader("held")
    assert g.info["template"] and _parent(g.info["worker"]) == g.info["template"]
    g.proc.kill()  # SIGKILL: no exit handler of the grader's runs
    g.proc.wait()
    assert _ends(g.pidfds["template"], 10)
    assert _ends(g.pidfds["worker"], 10)  # though its requests' pipe is still open (the holder)
    assert not _ends(g.pidfds["holder"], 0)


def test_without_a_template_workers_start_fresh_and_judge(grader):
    info = grader("threaded").info
    _verdicts_are_right(info)
    assert info["template"] is None
    assert info["worker"] and _parent(info["worker"]) == info["pid"]
    with open(f"/proc/{info['worker']}/cmdline", "rb") as f:
        assert b"from autograder.symbolic_worker import serve" in f.read()  # a fresh interpreter's boot


# -- the autograder command's end of its process ---------------------------------------------------------------

WATCHER = """
import ctypes, json, os, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36  # what the grader leaves behind becomes this watcher's, and stays visible here
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def table():
    procs = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        procs[int(name)] = (state, int(ppid))
    return procs


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [c.decode() for c in f.read().split(b"\\0")[:-1]]
    except OSError:
        return None


argv = sys.argv[2:]
with open(sys.argv[1], "wb") as out:
    grader = subprocess.Popen(argv, stdout=out)
started = {}  # the grader's children (zygote, template, fresh workers) and the template's (forked workers)
while grader.poll() is None:
    for pid, (state, ppid) in table().items():
        if pid not in started and (ppid == grader.pid or started.get(ppid, {}).get("template")):
            cmd = cmdline(pid)
            if cmd:
                started[pid] = {"cmd": cmd, "template": ppid == grader.pid and cmd == argv}
    time.sleep(0.01)
# what outlived its parent is this watcher's now (a pid of another process since is not)
left = {pid: state for pid, (state, ppid) in table().items() if pid in started and ppid == os.getpid()}
print(json.dumps({"code": grader.returncode, "started": started, "left": left}))
for pid, state in left.items():  # none, unless the test fails: ended here, then collected
    if state != "Z":
        os.kill(pid, 9)
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
"""


def test_grade_one_exits_with_its_json_and_leaves_nothing_behind(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "out.json"
    command = [sys.executable, "-m", "autograder", "grade", str(SAMPLES / "hw1" / "correct_loops"), "--format", "json"]
    run = subprocess.run(
        [sys.executable, "-c", WATCHER, str(out), *command],
        cwd=REPO,
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "TMPDIR": str(temp)},  # buffered
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    watched = json.loads(run.stdout)
    assert watched["code"] == 0, run.stderr
    text = out.read_text()
    assert text.endswith("}\n")  # all that was printed, its last line's end too: stdout flushed before os._exit
    result = json.loads(text)
    assert [c["id"] for c in result["checks"]] == [c.id for c in get("hw1").checks]
    assert result["score"] == result["max_score"] == 100
    started = watched["started"].values()
    zygotes = [p for p in started if "_agchild.zygote" in p["cmd"][-1]]
    assert zygotes and all(str(temp) in p["cmd"][-1] for p in zygotes)  # its runtime folder was made in TMPDIR
    assert any(p["template"] or "symbolic_worker" in p["cmd"][-1] for p in started)  # hw1 judges SymPy answers
    assert watched["left"] == {}, watched  # each ended and collected by the grader (or its template)
    assert not list(temp.glob("autograder-runtime-*"))
