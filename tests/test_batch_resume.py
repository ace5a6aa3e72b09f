"""A batch that loses nothing: results written atomically as they finish, a grader killed with SIGKILL
resumes where it stopped (same seed, nothing regraded, ``--force`` regrades), two graders share one output
folder without grading anything twice, and a killed grader leaves no sandbox child behind.

The subprocess tests grade real sample submissions (about 1.5 s each) with ``--jobs 1``; the others drive
:func:`autograder.batch.grade_many` in-process with a fake, instant grader.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from autograder import batch
from autograder.assignments import get
from autograder.grading import SubmissionResult

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
CLASS = ["correct_vectorized", "relu_grad_at_zero", "maxpool_tie_last", "stubs_only", "sgd_in_place"]
TEMP_NAME = re.compile(r"^\.(.+\.json)\.[0-9a-f]+\.tmp$")

# Grades like ``python -m autograder`` and appends the name of every submission it really grades (not the
# canary, not one found finished) to $GRADED_LOG: the signal that nothing was graded twice.
COUNTING_GRADER = """
import os, sys
from pathlib import Path
from autograder import batch, cli

real = batch.grade_path

def counting(path, assignment, expectations):
    result = real(path, assignment, expectations)
    if Path(path).parent == Path(os.environ["CLASS_DIR"]):
        with open(os.environ["GRADED_LOG"], "a") as f:
            f.write(Path(path).name + "\\n")
    return result

batch.grade_path = counting
sys.exit(cli.main(sys.argv[1:]))
"""


# -- helpers ---------------------------------------------------------------------------------------------


def make_class(root: Path, names: list[str]) -> Path:
    klass = root / "class"
    klass.mkdir()
    for name in names:
        shutil.copytree(SAMPLES / name, klass / name)
    return klass


def grader_env(klass: Path, log: Path | None = None) -> dict:
    path = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = dict(os.environ, CLASS_DIR=str(klass), PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
    if log is not None:
        env["GRADED_LOG"] = str(log)
    return env


def start_grader(args: list[str], env: dict, log_to: Path, counting: Path | None = None) -> subprocess.Popen:
    cmd = [sys.executable, str(counting)] if counting else [sys.executable, "-m", "autograder"]
    with open(log_to, "wb") as out:
        return subprocess.Popen(
            [*cmd, "grade", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole below
        )


def run_grader(args: list[str], env: dict, counting: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(counting), "grade", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )


def wait_until(condition, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the grader exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def results(out: Path) -> dict[str, Path]:
    folder = out / "submissions"
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".")}


def check_folder(out: Path, seed: int) -> tuple[dict[str, dict], list[str]]:
    """Every result parses, names its own submission and has the batch's seed; anything else in
    submissions/ is a temporary file (``.NAME.json.HEX.tmp``) that no reader takes for a result."""
    parsed, temps = {}, []
    for p in (out / "submissions").iterdir():
        if p.name.startswith("."):
            assert TEMP_NAME.match(p.name), f"unexpected file {p.name}"
            temps.append(p.name)
            continue
        assert p.suffix == ".json", f"unexpected file {p.name}"
        data = json.loads(p.read_text(encoding="utf-8"))  # never half a file
        assert data["submission"] == p.stem and data["seed"] == seed and data["assignment"] == "hw1"
        assert 0 <= data["score"] <= data["max_score"] == 100
        parsed[p.stem] = data
    return parsed, temps


def identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns  # a rewrite (write_atomic) always gives a new inode


def recorded_seed(out: Path) -> int:
    return json.loads((out / "grading.json").read_text())["seed"]


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every process below ``root`` (children, their children, ...), with its start time."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = st
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, start) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found


def alive(procs: dict[int, str]) -> list[int]:
    """Those of ``procs`` still running (the same process: same start time; zombies count as ended)."""
    return [pid for pid, start in procs.items() if (st := _stat(pid)) and st[2] == start and st[1] != "Z"]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def freeze_and_kill(proc: subprocess.Popen) -> dict[int, str]:
    """SIGKILL the grader's process group, as a crash or ``kill -9`` would; returns what it had started
    outside its group (sandbox children in their own sessions), seen while it was stopped (SIGSTOP) and so
    could start no more."""
    try:
        os.killpg(proc.pid, signal.SIGSTOP)
        escaped = descendants(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return {pid: start for pid, start in escaped.items() if _stat(pid) is not None}


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def graded_names(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


# -- the real thing: SIGKILL mid-batch, resume, force --------------------------------------------------


def test_sigkill_mid_batch_loses_nothing_and_the_rerun_finishes_the_rest(tmp_path):
    klass = make_class(tmp_path, CLASS)
    out = tmp_path / "out"
    counting = tmp_path / "counting_grader.py"
    counting.write_text(COUNTING_GRADER)
    args = [str(klass), "--out", str(out), "--jobs", "1"]

    # 1. grade, and SIGKILL the grader's whole process group once two results are on disk
    proc = start_grader(args, grader_env(klass), tmp_path / "run1.log")
    try:
        wait_until(lambda: len(results(out)) >= 2, 180, "two results", proc)
    finally:
        escaped = freeze_and_kill(proc)
    seed = recorded_seed(out)
    done, temps = check_folder(out, seed)
    assert 2 <= len(done) < len(CLASS), "the kill must land mid-batch"
    before = {name: identity(p) for name, p in results(out).items()}

    # 2. the killed grader's sandbox children end on their own (EOF or a broken pipe on the protocol)
    try:
        wait_until(lambda: not alive(escaped), 15, "the killed grader's sandbox children to end")
    finally:
        kill_pids(alive(escaped))

    # 3. rerun: finishes the rest with the same seed, touches none of the finished results
    log = tmp_path / "rerun.graded"
    rerun = run_grader(args, grader_env(klass, log), counting)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done)} of {len(CLASS)} already graded in {out} (seed {seed}); grading {len(CLASS) - len(done)}" in (
        rerun.stderr
    )
    assert sorted(graded_names(log)) == sorted(set(CLASS) - set(done)), "graded again what was done, or missed one"
    assert recorded_seed(out) == seed
    final, temps = check_folder(out, seed)
    assert sorted(final) == sorted(CLASS) and temps == []
    assert {name: identity(results(out)[name]) for name in before} == before
    for name in CLASS:  # the class table lists every submission, the resumed ones included
        assert re.search(rf"^{name}\s", rerun.stdout, re.M), name
    assert final["correct_vectorized"]["score"] == 100 and final["stubs_only"]["score"] == 0
    assert len((out / "grades.csv").read_text().splitlines()) == len(CLASS) + 1

    # 4. --force regrades every one, still with the recorded seed
    log = tmp_path / "force.graded"
    again = {name: identity(p) for name, p in results(out).items()}
    forced = run_grader([*args, "--force", "--no-canary"], grader_env(klass, log), counting)
    assert forced.returncode == 0, forced.stderr
    assert sorted(graded_names(log)) == sorted(CLASS)
    forced_results, _ = check_folder(out, seed)
    assert all(identity(results(out)[name]) != again[name] for name in CLASS)
    assert {n: r["score"] for n, r in forced_results.items()} == {n: r["score"] for n, r in final.items()}


def test_two_graders_on_one_output_folder_grade_each_submission_once(tmp_path):
    klass = make_class(tmp_path, CLASS)
    out = tmp_path / "out"
    counting = tmp_path / "counting_grader.py"
    counting.write_text(COUNTING_GRADER)
    args = [str(klass), "--out", str(out), "--jobs", "1", "--format", "json"]
    logs = [tmp_path / "a.graded", tmp_path / "b.graded"]
    procs = [
        subprocess.Popen(
            [sys.executable, str(counting), "grade", *args],
            cwd=REPO,
            env=grader_env(klass, log),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for log in logs
    ]
    try:
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    seed = recorded_seed(out)
    graded = graded_names(logs[0]) + graded_names(logs[1])
    assert sorted(graded) == sorted(CLASS), f"each submission graded exactly once, got {graded}"
    final, temps = check_folder(out, seed)
    assert sorted(final) == sorted(CLASS) and temps == []
    for stdout, _ in outputs:  # each grader reports the whole class (it waited for the other's results)
        reported = {r["submission"]: r for r in json.loads(stdout)}
        assert sorted(reported) == sorted(CLASS)
        assert {r["seed"] for r in reported.values()} == {seed}
        assert {n: r["score"] for n, r in reported.items()} == {n: r["score"] for n, r in final.items()}
    assert len((out / "grades.csv").read_text().splitlines()) == len(CLASS) + 1


HOSTILE_SLEEPER = """
import time


def relu(z):
    open("entered", "w").close()
    while True:  # sleeps forever: no CPU time, and the timeout's exception is swallowed
        try:
            time.sleep(1000)
        except BaseException:
            pass
"""


def test_sandbox_child_in_a_sleeping_loop_dies_with_a_sigkilled_grader(tmp_path):
    sleeper = tmp_path / "sleeper"
    sleeper.mkdir()
    (sleeper / "p1_bp_relu.py").write_text(HOSTILE_SLEEPER)
    proc = start_grader(
        [str(sleeper), "--out", str(tmp_path / "out"), "--no-canary"], grader_env(sleeper), tmp_path / "log"
    )

    def sleeping() -> bool:  # the child's working directory, seen through /proc (whatever its namespaces)
        return any(Path(f"/proc/{pid}/cwd/entered").exists() for pid in descendants(proc.pid))

    escaped: dict[int, str] = {}
    try:
        try:
            wait_until(sleeping, 60, "the sleeper to run", proc)
        finally:
            escaped = freeze_and_kill(proc)
        assert alive(escaped), "the sandbox child should be alive right after the kill"
        deadline = time.monotonic() + 4
        while alive(escaped) and time.monotonic() < deadline:
            time.sleep(0.05)
        lingering = [f"{pid}: {cmdline(pid)[:100]}" for pid in alive(escaped)]
    finally:
        kill_pids(alive(escaped))
    assert not lingering, f"sandbox processes outlived their grader: {lingering}"


# -- in-process: claims, the seed, resume rules (a fake grader, no sandbox) -----------------------------


@pytest.fixture
def fake_grading(monkeypatch):
    """grade_path replaced by an instant fake; returns the list of the submissions it graded."""
    calls: list[str] = []
    lock = threading.Lock()

    def fake(path, assignment, expectations):
        with lock:
            calls.append(Path(path).name)
        result = batch._failed(batch.submission_name(Path(path)), assignment, expectations.seed, "", time.monotonic())
        result.error, result.score = None, float(len(Path(path).name))
        return result

    monkeypatch.setattr(batch, "grade_path", fake)
    return calls


def fake_class(root: Path, names: list[str]) -> Path:
    klass = root / "class"
    for name in names:
        (klass / name).mkdir(parents=True)
        (klass / name / "p1_bp_relu.py").write_text("")
    return klass


def grade(klass: Path, out: Path, **kw) -> dict[str, SubmissionResult]:
    return {r.submission: r for r in batch.grade_many([klass], "hw1", out=out, run_canary=False, **kw)}


def test_resume_skips_finished_results_retries_internal_errors_and_force_regrades(tmp_path, fake_grading):
    klass = fake_class(tmp_path, ["ann", "bo", "cy"])
    out = tmp_path / "out"
    first = grade(klass, out)
    assert sorted(first) == ["ann", "bo", "cy"] and sorted(fake_grading) == ["ann", "bo", "cy"]
    seed = recorded_seed(out)
    # a result of an internal grader error is not "done"; one of another seed or submission is not either
    bo = json.loads(batch.result_path(out, "bo").read_text())
    batch.write_atomic(batch.result_path(out, "bo"), json.dumps({**bo, "error": "internal grader error: boom"}))
    cy = json.loads(batch.result_path(out, "cy").read_text())
    batch.write_atomic(batch.result_path(out, "cy"), json.dumps({**cy, "submission": "someone else"}))
    fake_grading.clear()
    notes: list[str] = []
    again = grade(klass, out, log=notes.append)
    assert sorted(fake_grading) == ["bo", "cy"] and sorted(again) == ["ann", "bo", "cy"]
    assert notes == [f"1 of 3 already graded in {out} (seed {seed}); grading 2"]
    fake_grading.clear()
    grade(klass, out, force=True)
    assert sorted(fake_grading) == ["ann", "bo", "cy"] and recorded_seed(out) == seed
    fake_grading.clear()
    grade(klass, out, seed=seed + 1)  # an explicit new seed: nothing finished under it yet
    assert sorted(fake_grading) == ["ann", "bo", "cy"] and recorded_seed(out) == seed + 1


def test_a_leftover_temporary_file_is_no_result_and_is_swept(tmp_path, fake_grading):
    klass = fake_class(tmp_path, ["ann", "bo"])
    out = tmp_path / "out"
    subs = out / "submissions"
    subs.mkdir(parents=True)
    stale = subs / ".ann.json.0123456789ab.tmp"
    stale.write_text('{"submission": "ann", "sc')  # a write cut short by a kill
    grade(klass, out)
    assert sorted(fake_grading) == ["ann", "bo"]
    assert sorted(p.name for p in subs.iterdir()) == ["ann.json", "bo.json"]


def test_names_that_would_share_a_result_file_get_their_own(tmp_path, fake_grading):
    klass = fake_class(tmp_path, ["alice", "a b", "a_b"])
    with zipfile.ZipFile(klass / "alice.zip", "w") as z:
        z.writestr("p1_bp_relu.py", "")
    out = tmp_path / "out"
    got = grade(klass, out)
    assert sorted(got) == ["a b", "a_b", "alice", "alice.zip"]
    assert len(results(out)) == 4
    fake_grading.clear()
    assert sorted(grade(klass, out)) == sorted(got) and fake_grading == []  # and each one resumes as itself


def test_a_result_written_at_most_whole_and_with_the_umask_permissions(tmp_path):
    target = tmp_path / "x" / "r.json"
    batch.write_atomic(target, "{}")
    old = os.umask(0o022)
    os.umask(old)
    assert target.read_text() == "{}" and (target.stat().st_mode & 0o777) == (0o666 & ~old)
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_racing_graders_agree_on_one_seed(tmp_path):
    out = tmp_path / "out"
    seeds: list[int] = []
    barrier = threading.Barrier(8)

    def settle():
        barrier.wait()
        seeds.append(batch.settle_seed(out, "hw1", None))

    threads = [threading.Thread(target=settle) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seeds)) == 1 and seeds[0] == recorded_seed(out)
    assert [p.name for p in out.iterdir()] == ["grading.json"]
    assert batch.settle_seed(out, "hw1", None) == seeds[0]


def test_a_claim_excludes_others_and_dies_with_its_process(tmp_path):
    out = tmp_path / "out"
    mine = batch.Claim(out, "ann")
    assert mine.acquire(block=False)
    assert not batch.Claim(out, "ann").acquire(block=False)  # another open file: excluded, even in-process
    theirs = batch.Claim(out, "bo")
    assert theirs.acquire(block=False)
    theirs.release()
    mine.release()
    pid = os.fork()
    if pid == 0:  # a grader that takes the claim and is killed holding it
        try:
            batch.Claim(out, "ann").acquire(block=True)
            os.kill(os.getpid(), signal.SIGSTOP)
        finally:
            os._exit(1)
    try:
        os.waitpid(pid, os.WUNTRACED)  # stopped: it holds the claim
        assert not batch.Claim(out, "ann").acquire(block=False)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert batch.Claim(out, "ann").acquire(block=False)


def test_a_submission_claimed_by_another_grader_is_waited_for_not_regraded(tmp_path, fake_grading):
    klass = fake_class(tmp_path, ["ann", "bo"])
    out = tmp_path / "out"
    seed = batch.settle_seed(out, "hw1", None)
    other = batch.Claim(out, "ann")  # "another grader" is grading ann
    assert other.acquire(block=False)
    notes: list[str] = []
    got: dict = {}
    worker = threading.Thread(target=lambda: got.update(grade(klass, out, log=notes.append)))
    worker.start()
    wait_until(lambda: any("waiting" in n for n in notes), 10, "the grader to wait for ann")
    assert fake_grading == ["bo"] and worker.is_alive()
    theirs = batch._failed("ann", get("hw1"), seed, "", time.monotonic())
    theirs.error, theirs.score = None, 42.0
    batch.write_atomic(batch.result_path(out, "ann"), json.dumps(theirs.to_json()))
    other.release()
    worker.join(10)
    assert not worker.is_alive()
    assert fake_grading == ["bo"] and got["ann"].score == 42.0
    assert notes[-1] == f"1 being graded by another grader of {out}; waiting for them: ann"


def test_a_claim_released_by_a_dead_grader_is_graded_by_the_waiter(tmp_path, fake_grading):
    klass = fake_class(tmp_path, ["ann", "bo"])
    out = tmp_path / "out"
    other = batch.Claim(out, "ann")
    assert other.acquire(block=False)
    threading.Timer(0.3, other.release).start()  # the other grader dies without a result
    got = grade(klass, out)
    assert sorted(fake_grading) == ["ann", "bo"] and sorted(got) == ["ann", "bo"]


def test_pool_workers_end_when_only_the_grader_itself_is_killed(tmp_path):
    """``kill -9 PID`` (or the OOM killer) ends the grader's main process only; its pool workers must not
    live on, blocked forever on a queue nobody writes to, each holding a sandbox child."""
    klass = make_class(tmp_path, CLASS)
    out = tmp_path / "out"
    proc = start_grader([str(klass), "--out", str(out), "--jobs", "2"], grader_env(klass), tmp_path / "log")
    tree: dict[int, str] = {}
    try:
        wait_until(lambda: len(results(out)) >= 1, 180, "a result", proc)
        os.killpg(proc.pid, signal.SIGSTOP)
        tree = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only
        proc.wait()
        os.killpg(proc.pid, signal.SIGCONT)  # the rest of its group (the workers) runs on
        wait_until(lambda: not alive(tree), 20, "the grader's workers and sandbox children to end")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_pids(alive(tree))
    assert tree, "the grader had started workers"


# -- the canary beside the first submissions; forked workers inherit the references ------------------------


@pytest.fixture
def marked_grading(monkeypatch, tmp_path):
    """grade_path replaced by an instant fake that leaves a marker file per submission it graded (seen
    across the processes of a --jobs pool); returns the markers' folder."""
    marks = tmp_path / "graded-marks"
    marks.mkdir()

    def fake(path, assignment, expectations):
        (marks / Path(path).name).touch()
        result = batch._failed(batch.submission_name(Path(path)), assignment, expectations.seed, "", time.monotonic())
        result.error, result.score = None, 1.0
        return result

    monkeypatch.setattr(batch, "grade_path", fake)
    return marks


def slow_canary(marks: Path, seen: dict, passes: bool):
    """A canary that decides only once a submission has been graded beside it, noting what was written then."""

    def canary(assignment, expectations, problems=None):
        wait_until(lambda: any(marks.iterdir()), 30, "a submission graded beside the canary")
        time.sleep(0.2)  # the graded submission has had time to write its result, were it not held back
        seen["written"] = sorted(results(seen["out"]))
        if not passes:
            raise batch.InternalError("the reference solutions do not score full marks (a test's canary)")

    return canary


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_canary_writes_and_yields_nothing_though_submissions_were_graded_beside_it(
    tmp_path, monkeypatch, marked_grading, jobs
):
    klass = fake_class(tmp_path, ["ann", "bo", "cy"])
    out = tmp_path / "out"
    seen: dict = {"out": out}
    monkeypatch.setattr(batch, "canary", slow_canary(marked_grading, seen, passes=False))
    yielded = []
    with pytest.raises(batch.InternalError, match="a test's canary"):
        for result in batch.grade_many([klass], "hw1", out=out, jobs=jobs):
            yielded.append(result)
    assert any(marked_grading.iterdir()), "a submission was graded beside the canary"
    assert yielded == [] and seen["written"] == [] and results(out) == {}


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_graded_beside_the_canary_are_written_once_it_passed(tmp_path, monkeypatch, marked_grading, jobs):
    klass = fake_class(tmp_path, ["ann", "bo", "cy"])
    out = tmp_path / "out"
    seen: dict = {"out": out}
    monkeypatch.setattr(batch, "canary", slow_canary(marked_grading, seen, passes=True))
    got = {r.submission: r for r in batch.grade_many([klass], "hw1", out=out, jobs=jobs)}
    assert seen["written"] == [], "a result was written before the canary passed"
    assert sorted(got) == ["ann", "bo", "cy"] and sorted(results(out)) == ["ann", "bo", "cy"]


def test_forked_workers_use_the_graders_references_and_expected_values(tmp_path, monkeypatch):
    class Marked(batch.ReferenceExpectations):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.built_by = os.getpid()

    def fake(path, assignment, expectations):  # which process built the references, and how many checks' values
        result = batch._failed(batch.submission_name(Path(path)), assignment, expectations.seed, "", time.monotonic())
        result.error, result.score, result.notes = None, float(expectations.built_by), [str(len(expectations.cache))]
        return result

    monkeypatch.setattr(batch, "ReferenceExpectations", Marked)
    monkeypatch.setattr(batch, "grade_path", fake)
    klass = fake_class(tmp_path, ["ann", "bo", "cy", "di"])
    got = list(batch.grade_many([klass], "hw1", jobs=2, run_canary=False))
    assert len(got) == 4 and {r.score for r in got} == {float(os.getpid())}  # built here, inherited
    assert {r.notes[0] for r in got} == {str(len(get("hw1").checks))}  # with every check's values computed
