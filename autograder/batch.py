"""Grade one submission or a whole class: the canary (the reference graded through the sandbox) beside the
first submissions, whose results wait until it has passed; then every submission, results written as they
finish (atomically, one JSON file each), so an interrupted batch resumes where it stopped."""

from __future__ import annotations

import fcntl
import glob
import json
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import assignments
from .checks import Assignment
from .grading import InternalError, ReferenceExpectations, SubmissionResult, grade_files, summarize
from .sandbox import forkserver
from .sandbox.isolation import SandboxUnavailable
from .sandbox.isolation import require as require_layers
from .submission import discover, load, missing_modules

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


def new_seed() -> int:
    """A secret per-grading seed for the hidden inputs; recorded with every result so a regrade reproduces them."""
    return secrets.randbits(31)


def grade_path(path: Path, assignment: Assignment, expectations: ReferenceExpectations) -> SubmissionResult:
    """Grade one folder or zip; any failure becomes a result with a message and 0 for what it broke."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autograder-in-") as work:
        try:
            sub = load(path, Path(work))
        except OSError as exc:
            return _failed(path.name, assignment, expectations.seed, f"could not read the submission: {exc}", start)
        missing = missing_modules(sub, assignment)
        if len(missing) == len(assignment.problems):
            names = ", ".join(f"{p.module}.py" for p in assignment.problems)
            return _failed(
                sub.name,
                assignment,
                expectations.seed,
                f"no assignment file found in {path.name} (expected {names})",
                start,
                sub.notes,
            )
        try:
            result = grade_files(sub.files, assignment, expectations, name=sub.name, seed=expectations.seed)
        except (InternalError, SandboxUnavailable):  # no grade at all: the grader is wrong, or too weak here
            raise
        except Exception as exc:  # a grader bug must not lose the batch
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return _failed(sub.name, assignment, expectations.seed, f"internal grader error: {detail}", start)
        result.notes = sub.notes + [f"missing file {m}: its problem scores 0" for m in missing] + result.notes
        return result


def _failed(
    name: str, assignment: Assignment, seed: int, error: str, start: float, notes: list[str] | None = None
) -> SubmissionResult:
    result = summarize(name, assignment, [], seed, notes or [], "", time.monotonic() - start)
    result.max_score = sum(p.points for p in assignment.problems)
    result.error = error
    return result


def solutions_folder(assignment: Assignment) -> Path:
    from .reference import reference_folder  # found by path: never installed with the package

    return reference_folder(assignment.solutions_package)


def canary(
    assignment: Assignment, expectations: ReferenceExpectations, problems: list[str] | None = None
) -> SubmissionResult:
    """Grade the reference itself through the same sandbox (on ``problems``, default all); anything short of
    full marks is a grader bug."""
    files = load(solutions_folder(assignment)).files
    result = grade_files(files, assignment, expectations, problems=problems, seed=expectations.seed)
    if result.error or result.score < result.max_score - 1e-9:
        lost = [f"{c.id}: {c.message}" for c in result.checks if not c.passed]
        raise InternalError(
            "the reference solutions do not score full marks through the sandbox (seed "
            f"{expectations.seed}); refusing to grade.\n  " + "\n  ".join(lost or [str(result.error)])
        )
    return result


class CanaryGate:
    """Whether the canary has passed, seen by the grader's threads and its pool workers (``context``: the
    module or multiprocessing context whose ``Event`` they share): the results of submissions graded beside
    the canary wait here, unwritten, until it has passed, and are dropped if it failed."""

    def __init__(self, context: Any = threading):
        self._settled, self._passed = context.Event(), context.Event()

    def open(self) -> None:
        self._passed.set()
        self._settled.set()

    def shut(self) -> None:
        self._settled.set()

    def failed(self) -> bool:
        """True once the canary has failed (never blocks)."""
        return self._settled.is_set() and not self._passed.is_set()

    def wait(self) -> bool:
        """Wait for the canary's verdict: True if it passed."""
        self._settled.wait()
        return self._passed.is_set()


class CanaryRun:
    """:func:`canary` in a thread of its own, beside the first submissions; :meth:`settle` waits for it and
    raises what stopped it (:class:`InternalError`: the reference lost points; refusing to grade)."""

    def __init__(self, assignment: Assignment, expectations: ReferenceExpectations, gate: CanaryGate):
        self.gate, self.error = gate, None
        self.thread = threading.Thread(target=self._run, args=(assignment, expectations), name="canary", daemon=True)

    def start(self) -> CanaryRun:
        self.thread.start()
        return self

    def _run(self, assignment: Assignment, expectations: ReferenceExpectations) -> None:
        try:
            canary(assignment, expectations)
        except BaseException as exc:
            self.error = exc
            self.gate.shut()
        else:
            self.gate.open()

    def settle(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: readers never see half a file.

    The temporary file is ``.NAME.<random>.tmp`` (never mistaken for a result), created with the usual
    permissions (0666 less the umask) and synced before the rename, so a grader killed at any instant
    leaves either the old file or the new one, whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        # errors="replace": a lone surrogate (a student's exception message can hold one) must not make
        # the result unwritable; it becomes "?" (result_json keeps it exactly, as a JSON escape)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def result_json(result: SubmissionResult) -> str:
    """A result as JSON text that is valid UTF-8: readable non-ASCII text (Chinese messages stay as they
    are), unless some string holds a lone surrogate, which only an ASCII escape can carry."""
    text = json.dumps(result.to_json(), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(result.to_json())
    return text


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` unless it exists, atomically: False when another writer was first.

    The text is written whole into a temporary file that is then hard-linked to ``path`` (``link`` fails
    when the name exists), so no reader ever sees a partial file and exactly one of several racing
    writers wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links: O_EXCL still lets only one writer win
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _safe_name(name: str) -> str:
    """A file name for a submission; names that had to be changed get a hash suffix so two never collide."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).lstrip(".") or "submission"
    if safe != name:
        safe += "-" + format(zlib.crc32(name.encode("utf-8", "surrogateescape")), "08x")
    return safe


def result_path(out: Path, name: str) -> Path:
    return out / "submissions" / f"{_safe_name(name)}.json"


def write_missing_feedback(out: Path, results: list[SubmissionResult]) -> None:
    """Write the feedback pages of results graded before pages were written (without their figures, which
    the result JSON does not keep)."""
    from .feedback import write_feedback  # (only with --out: grading one submission draws no page)

    for result in results:
        stem = _safe_name(result.submission)
        if not (out / FEEDBACK / f"{stem}.html").exists():
            write_feedback(out / FEEDBACK, result, stem)


def claim_path(out: Path, name: str) -> Path:
    return out / ".claims" / f"{_safe_name(name)}.lock"


def submission_name(path: Path) -> str:
    """The name a submission is graded and stored under (as :func:`autograder.submission.load` names it)."""
    if path.suffix == ".zip":
        return path.stem
    if path.suffix == ".py" and path.is_file():
        return path.parent.name
    return path.name


def _unique_names(paths: list[Path]) -> list[str]:
    """One distinct name per submission: ``alice/`` and ``alice.zip`` both hand in "alice", and would
    share (and overwrite) one result file; the later one is renamed "alice.zip" (then "alice.zip-2", ...)."""
    names: list[str] = []
    taken: set[str] = set()
    for path in paths:
        name = submission_name(path)
        if _safe_name(name) in taken:
            name, base, i = path.name, path.name, 2
            while _safe_name(name) in taken:
                name, i = f"{base}-{i}", i + 1
        taken.add(_safe_name(name))
        names.append(name)
    return names


def load_done(
    out: Path | None, name: str, assignment: str, seed: int, newer_than: float | None = None
) -> SubmissionResult | None:
    """A finished result of an earlier run with the same assignment and seed, if there is one.

    A result of an internal grader error is not finished (the rerun retries it). With ``newer_than`` (a
    ``time.time()``), only a result written since then counts: ``--force`` regrades what existed before
    its run, not what a concurrent grader has just written.
    """
    if out is None:
        return None
    path = result_path(out, name)
    try:
        if newer_than is not None and path.stat().st_mtime < newer_than:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("submission") != name:
            return None
        if data.get("assignment") != assignment or data.get("seed") != seed:
            return None
        if str(data.get("error") or "").startswith("internal grader error"):
            return None
        return SubmissionResult.from_json(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


class Claim:
    """An exclusive claim on one submission of an output folder, so two graders never grade it at once.

    It is a ``flock`` on ``OUT/.claims/NAME.lock``, held by the process that grades the submission until
    its result is written. The kernel drops it when that process dies, SIGKILL included: a killed grader
    never leaves a stale claim behind. (The lock files themselves stay; removing one could let two
    graders hold "the same" claim on two different files.)
    """

    def __init__(self, out: Path, name: str):
        self.path = claim_path(out, name)
        self.fd: int | None = None

    def acquire(self, block: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)  # closing the only descriptor of the open file drops the lock


GRADED, DONE, CLAIMED, DROPPED = "graded", "done", "claimed", "dropped"
#: The folder of ``--out`` the feedback pages go to (:mod:`autograder.feedback`).
FEEDBACK = "feedback"


def grade_claimed(
    path: Path,
    name: str,
    assignment: Assignment,
    expectations: ReferenceExpectations,
    out: Path | None,
    newer_than: float | None,
    block: bool,
    variant: tuple[str, dict] | None = None,
    gate: CanaryGate | None = None,
) -> tuple[str, SubmissionResult | None]:
    """Grade one submission and write its result, under its claim when there is an output folder.

    Returns (GRADED, result), (DONE, result) when it turned out to be finished already (by an earlier run,
    or by another grader while this one waited), or (CLAIMED, None) when another grader holds it and
    ``block`` is false. ``newer_than`` is None to keep finished results, else the start of a ``--force`` run.
    ``variant`` is (student, numbers) when the submission is graded on that student's own numbers.
    With a ``gate`` (the canary still running), the result is written only once the canary has passed; if
    it failed, nothing is written and (DROPPED, None) is returned.
    """

    def grade() -> SubmissionResult:
        checks, expected = assignment, expectations
        if variant is not None:
            from .variants import VariantExpectations, specialize

            checks = specialize(assignment, variant[1])
            expected = VariantExpectations(expectations, checks)
        result = grade_path(path, checks, expected)
        result.submission = name
        if variant is not None:
            result.notes.insert(0, f"graded with the variant of student {variant[0]}")
        return result

    if out is None:
        return GRADED, grade()
    claim = Claim(out, name)
    if not claim.acquire(block):
        return CLAIMED, None
    try:
        prior = load_done(out, name, assignment.name, expectations.seed, newer_than)
        if prior is not None:
            return DONE, prior
        if gate is not None and gate.failed():
            return DROPPED, None
        result = grade()
        if gate is not None and not gate.wait():
            return DROPPED, None
        store_result(out, name, result)
        return GRADED, result
    finally:
        claim.release()


def store_result(out: Path, name: str, result: SubmissionResult, draw: bool = True) -> None:
    """Write a submission's feedback pages, then its result, atomically, by the process holding its claim.

    The pages first: a result on disk means its pages are too (their figures exist only in memory); with
    ``draw`` false they are written already (drawn by a Dask worker). Temporary files a killed grader left
    beside the result are removed."""
    target = result_path(out, name)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    if draw:
        from .feedback import write_feedback

        write_feedback(out / FEEDBACK, result, _safe_name(name))
    write_atomic(target, result_json(result))


def settle_seed(out: Path | None, assignment_name: str, seed: int | None) -> int:
    """The grading's seed: ``--seed``, else the one recorded in ``OUT/grading.json`` by an earlier or a
    concurrent run, else a fresh one, recorded so that every grader of ``out`` uses the same."""
    if out is None:
        return new_seed() if seed is None else seed
    return settle_seed_file(out / "grading.json", {"assignment": assignment_name}, seed)


def settle_seed_file(path: Path, fields: dict, seed: int | None) -> int:
    """The seed recorded in the JSON file ``path`` (with ``fields`` beside it): ``seed`` when given (then
    recorded), else the recorded one, else a fresh one created exclusively, so concurrent graders agree."""

    def text(s: int) -> str:
        return json.dumps({**fields, "seed": s}) + "\n"

    def recorded() -> int | None:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))["seed"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return value if type(value) is int else None

    if seed is not None:  # an explicit seed wins and is recorded for the runs that follow
        write_atomic(path, text(seed))
        return seed
    found = recorded()
    if found is not None:
        return found
    fresh = new_seed()
    if create_exclusive(path, text(fresh)):
        return fresh
    for _ in range(50):  # another grader created it first: use its seed (written whole, or nearly so)
        found = recorded()
        if found is not None:
            return found
        time.sleep(0.02)
    write_atomic(path, text(fresh))  # an unreadable grading.json: replace it
    return fresh


_worker: dict = {}


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when ``parent`` dies (Linux ``PR_SET_PDEATHSIG``).

    A pool worker otherwise outlives a grader killed on its own (``kill -9 PID``, the OOM killer), blocked
    forever on a task queue that nobody writes to; its sandbox child then gets no EOF either."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: nothing to do
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _init_worker(
    name: str, seed: int, parent: int | None = None, require: tuple[str, ...] = (), gate: CanaryGate | None = None
) -> None:
    """A pool worker's set-up. A forked one finds the grader's assignment and references (every check's
    expected values computed) in :data:`_worker` and its zygote in :mod:`forkserver`, inherited; a spawned
    one builds its own."""
    if parent is not None:
        die_with_parent(parent)
    require_layers(require, check=False)  # a spawned worker too insists on what the grader does
    if _worker.get("key") != (name, seed):
        assignment = assignments.get(name)
        _worker.update(key=(name, seed), assignment=assignment, expectations=ReferenceExpectations(assignment, seed))
    _worker["gate"] = gate


def _grade_in_worker(
    path: str, name: str, out: str | None, newer_than: float | None, block: bool, variant: tuple | None
) -> tuple[str, SubmissionResult | None]:
    return grade_claimed(
        Path(path),
        name,
        _worker["assignment"],
        _worker["expectations"],
        None if out is None else Path(out),
        newer_than,
        block,
        variant,
        _worker["gate"] if out is not None else None,
    )


def grade_many(
    paths: list[Path],
    assignment_name: str,
    seed: int | None = None,
    jobs: int = 1,
    out: Path | None = None,
    force: bool = False,
    run_canary: bool = True,
    progress: Callable[[int, int, SubmissionResult], None] | None = None,
    log: Callable[[str], None] | None = None,
    variants: Callable[[str], tuple[str, dict] | None] | None = None,
    require: list[str] | tuple[str, ...] = (),
    scheduler: str | None = None,
) -> Iterator[SubmissionResult]:
    """Grade every submission under ``paths``; yields results in the order they finish.

    The seed is taken from ``--seed``, else from an earlier (or concurrent) run into the same ``out`` (so a
    resumed batch draws the same hidden inputs), else drawn fresh. With ``out``, each result is written
    atomically as it finishes, by the process that graded it, under a claim (a lock) on the submission:
    finished submissions are skipped unless ``force``; one another grader is grading is waited for and
    its result used, not graded twice. ``force`` regrades whatever was finished before this run started.
    ``log`` receives one-line notes (how many were already graded, waits on another grader).
    ``variants`` maps a submission's name to (student, numbers) of a per-student variant (a roster); a
    submission it maps to None is not graded and its result says so. ``require`` names isolation layers
    (besides ``$AUTOGRADER_REQUIRE``) without which nothing is graded: :class:`SandboxUnavailable` is raised
    before the canary, or as soon as one of them fails in a sandbox child. ``scheduler`` (a Dask scheduler's
    address, or ``local:N``) grades on a Dask cluster instead of ``jobs`` local workers
    (:mod:`autograder.distributed`): the workers grade, this process claims and writes the results.

    With ``run_canary``, the canary runs in a thread beside the first submissions (on Dask: beside the
    cluster's start); nothing is written or yielded before it has passed, and if it fails its
    :class:`InternalError` is raised with nothing written. Every check's expected values are computed once,
    here, before ``--jobs`` workers are forked: they inherit them, and this process's zygote.
    """
    required = tuple(require_layers(require))
    started = time.time()
    assignment = assignments.get(assignment_name)
    forkserver.start(assignment.preload(assignment.checks))  # its imports overlap the references' (main thread)
    seed = settle_seed(out, assignment_name, seed)
    expectations = ReferenceExpectations(assignment, seed)
    todo = discover(paths, assignment)
    names = _unique_names(todo)
    total, done = len(todo), 0
    pending: list[tuple[Path, str]] = []
    priors: list[SubmissionResult] = []
    refused: list[SubmissionResult] = []
    variant_of: dict[str, tuple[str, dict] | None] = {}
    for path, name in zip(todo, names, strict=True):
        if variants is not None:
            variant_of[name] = variants(name)
            if variant_of[name] is None:
                message = f"{name} matches no student of the roster (or more than one): not graded"
                refused.append(_failed(name, assignment, seed, message, time.monotonic()))
                if log:
                    log(message)
                continue
        prior = None if force else load_done(out, name, assignment_name, seed)
        if prior is not None:
            priors.append(prior)
        else:
            pending.append((path, name))
    if log and out is not None:
        log(
            f"{len(priors)} of {total} already graded in {out} (seed {seed}); grading {len(pending)}"
            if priors
            else f"grading {total} into {out} (seed {seed})" + (", regrading every one" if force else "")
        )
    newer_than = started if force else None
    if run_canary or pending:  # every check's expected values, once: the canary, this process and forked workers
        for check in assignment.checks:  # share them (and no two threads compute one)
            expectations.cases(check)
    use_pool = scheduler is None and jobs > 1 and len(pending) > 1
    context = _pool_context() if use_pool else None
    gate = CanaryGate(context or threading) if run_canary else None
    checking = None if gate is None else CanaryRun(assignment, expectations, gate)

    def settled() -> None:
        """Wait for the canary; raises its error (nothing is written or yielded before it passed)."""
        if checking is not None:
            checking.settle()

    def finish(result: SubmissionResult) -> SubmissionResult:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, result)
        return result

    def released(results: Iterator[SubmissionResult]) -> Iterator[SubmissionResult]:
        """The results found finished, then the graded ones, each once the canary has passed: the first
        submissions are graded beside it, their results held back until then."""
        first = next(results, None)
        settled()
        for prior in refused + priors:
            yield finish(prior)
        if first is not None:
            yield finish(first)
            for result in results:
                yield finish(result)

    def waiting(items: list[tuple[Path, str]]) -> None:
        if log and items:
            names = ", ".join(n for _, n in items)
            log(f"{len(items)} being graded by another grader of {out}; waiting for them: {names}")

    held = gate if out is not None else None  # results to write wait for the canary; others are held back here

    def in_process(rounds: list[tuple[Path, str]], block: bool) -> Iterator[tuple[Path, str, str, SubmissionResult]]:
        for path, name in rounds:
            status, result = grade_claimed(
                path, name, assignment, expectations, out, newer_than, block, variant_of.get(name), held
            )
            yield path, name, status, result

    def in_pool(pool: ProcessPoolExecutor):
        from concurrent.futures import as_completed

        def graded(rounds: list[tuple[Path, str]], block: bool) -> Iterator[tuple[Path, str, str, SubmissionResult]]:
            where = None if out is None else str(out)
            futures = {
                pool.submit(_grade_in_worker, str(p), n, where, newer_than, block, variant_of.get(n)): (p, n)
                for p, n in rounds
            }
            for fut in as_completed(futures):
                path, name = futures[fut]
                try:
                    status, result = fut.result()
                except SandboxUnavailable:
                    raise
                except Exception as exc:
                    status = GRADED
                    result = _failed(name, assignment, seed, f"internal grader error: {exc}", time.monotonic())
                    settled()
                    _record_failure(out, name, result)
                yield path, name, status, result

        return graded

    def rounds_of(graded) -> Iterator[SubmissionResult]:
        """Grade the pending submissions; those another grader holds are waited for in later rounds."""
        rounds, block = pending, False
        while rounds:
            claimed = []
            for path, name, status, result in graded(rounds, block):
                if status == CLAIMED:
                    claimed.append((path, name))
                elif status == DROPPED:  # the canary failed while it was graded
                    settled()
                    raise InternalError("the canary failed")
                else:
                    yield result
            waiting(claimed)
            rounds, block = claimed, True

    if not use_pool:
        if checking is not None:
            checking.start()
        if scheduler is not None and pending:  # Dask is imported only here
            from .distributed import cluster_grader

            with cluster_grader(scheduler, assignment, expectations, out, newer_than, variant_of, required) as graded:
                settled()  # this process writes what the cluster grades: the cluster starts beside the canary
                yield from released(rounds_of(graded))
            return
        yield from released(rounds_of(in_process))
        return
    from concurrent.futures import ProcessPoolExecutor  # (only with --jobs: one submission needs no pool)

    if context.get_start_method() == "fork":  # inherited by the workers: nothing computed again
        _worker.update(key=(assignment_name, seed), assignment=assignment, expectations=expectations)
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_init_worker,
            initargs=(assignment_name, seed, os.getpid(), required, gate),
        ) as pool:
            pool.submit(int)  # forks every worker now (fork context), before the canary's thread exists
            if checking is not None:
                checking.start()
            try:
                yield from released(rounds_of(in_pool(pool)))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        _worker.clear()


def _pool_context():
    """Workers are forked, except when the reference may run on a GPU: CUDA, once initialized here (by the
    canary), cannot be used in a forked child, so such workers are started afresh ("spawn")."""
    import multiprocessing

    from source_lib.backend import may_use_gpu

    return multiprocessing.get_context("spawn" if may_use_gpu() else "fork")


def _record_failure(out: Path | None, name: str, result: SubmissionResult) -> None:
    """Write the result of a worker that failed, unless another grader holds the submission."""
    if out is None:
        return
    claim = Claim(out, name)
    if claim.acquire(block=False):
        try:
            write_atomic(result_path(out, name), result_json(result))
        finally:
            claim.release()


def stderr_log(message: str) -> None:
    """A note on stderr, on a line of its own (over a progress bar, if one is drawn)."""
    sys.stderr.write("\r" + message.ljust(72) + "\n")
    sys.stderr.flush()


_bar: list = []  # the batch's tqdm bar while one is drawn


def progress_bar(done: int, total: int, result: SubmissionResult) -> None:
    """The batch's progress on stderr, drawn with tqdm, and only when stderr is a terminal (a log or a pipe
    gets no carriage-return noise)."""
    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return
    if not _bar:
        from tqdm import tqdm

        _bar.append(tqdm(total=total, file=stream, unit="submission", dynamic_ncols=True))
    bar = _bar[0]
    bar.set_postfix_str(str(result.submission)[:30], refresh=False)
    bar.update(done - bar.n)
    if done >= total:
        bar.close()
        _bar.clear()
