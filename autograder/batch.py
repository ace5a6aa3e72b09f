"""Grade one submission or a whole class: the canary first, then every submission, results written as they
finish (atomically, one JSON file each), so an interrupted batch resumes where it stopped."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import assignments
from .checks import Assignment
from .grading import InternalError, ReferenceExpectations, SubmissionResult, grade_files, summarize
from .submission import discover, load, missing_modules


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
        except InternalError:
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
    import importlib

    return Path(importlib.import_module(assignment.solutions_package).__file__).parent


def canary(assignment: Assignment, expectations: ReferenceExpectations) -> SubmissionResult:
    """Grade the reference itself through the same sandbox; anything short of full marks is a grader bug."""
    result = grade_path(solutions_folder(assignment), assignment, expectations)
    if result.error or result.score < result.max_score - 1e-9:
        lost = [f"{c.id}: {c.message}" for c in result.checks if not c.passed]
        raise InternalError(
            "the reference solutions do not score full marks through the sandbox (seed "
            f"{expectations.seed}); refusing to grade.\n  " + "\n  ".join(lost or [str(result.error)])
        )
    return result


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def result_path(out: Path, name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).lstrip(".") or "submission"
    return out / "submissions" / f"{safe}.json"


def load_done(out: Path | None, name: str, assignment: str, seed: int) -> SubmissionResult | None:
    """A finished result of an earlier run with the same assignment and seed, if there is one."""
    if out is None:
        return None
    path = result_path(out, name)
    try:
        data = json.loads(path.read_text())
        if data.get("assignment") == assignment and data.get("seed") == seed and not data.get("internal"):
            return SubmissionResult.from_json(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return None


_worker: dict = {}


def _init_worker(name: str, seed: int) -> None:
    assignment = assignments.get(name)
    _worker["assignment"] = assignment
    _worker["expectations"] = ReferenceExpectations(assignment, seed)


def _grade_in_worker(path: str) -> SubmissionResult:
    return grade_path(Path(path), _worker["assignment"], _worker["expectations"])


def grade_many(
    paths: list[Path],
    assignment_name: str,
    seed: int | None = None,
    jobs: int = 1,
    out: Path | None = None,
    force: bool = False,
    run_canary: bool = True,
    progress: Callable[[int, int, SubmissionResult], None] | None = None,
) -> Iterator[SubmissionResult]:
    """Grade every submission under ``paths``; yields results in the order they finish.

    The seed is taken from ``--seed``, else from an earlier run into the same ``out`` (so a resumed batch
    draws the same hidden inputs), else drawn fresh. With ``out``, finished submissions are skipped unless
    ``force``.
    """
    assignment = assignments.get(assignment_name)
    if seed is None and out is not None:
        try:
            seed = json.loads((out / "grading.json").read_text())["seed"]
        except (OSError, ValueError, KeyError):
            seed = None
    seed = new_seed() if seed is None else seed
    if out is not None:
        write_atomic(out / "grading.json", json.dumps({"assignment": assignment_name, "seed": seed}) + "\n")
    expectations = ReferenceExpectations(assignment, seed)
    if run_canary:
        canary(assignment, expectations)
    todo = discover(paths, assignment)
    total, done = len(todo), 0
    pending = []
    for path in todo:
        prior = (
            None if force else load_done(out, path.stem if path.suffix == ".zip" else path.name, assignment_name, seed)
        )
        if prior is not None:
            done += 1
            if progress:
                progress(done, total, prior)
            yield prior
        else:
            pending.append(path)

    def finish(result: SubmissionResult) -> SubmissionResult:
        nonlocal done
        if out is not None:
            write_atomic(result_path(out, result.submission), json.dumps(result.to_json(), ensure_ascii=False))
        done += 1
        if progress:
            progress(done, total, result)
        return result

    if jobs <= 1 or len(pending) <= 1:
        for path in pending:
            yield finish(grade_path(path, assignment, expectations))
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(assignment_name, seed)) as pool:
        futures = {pool.submit(_grade_in_worker, str(p)): p for p in pending}
        for fut in as_completed(futures):
            try:
                result = fut.result()
            except Exception as exc:
                path = futures[fut]
                result = _failed(path.name, assignment, seed, f"internal grader error: {exc}", time.monotonic())
            yield finish(result)


def progress_bar(done: int, total: int, result: SubmissionResult) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    filled = int(width * done / max(1, total))
    name = result.submission[:30]
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<30}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
