"""Grade a class on a Dask distributed cluster: ``autograder grade SUBMISSIONS --scheduler ADDRESS``.

``ADDRESS`` is a running ``dask.distributed`` scheduler (``tcp://host:8786``: a department's Slurm cluster
through dask-jobqueue, Kubernetes through dask-kubernetes, or ``dask scheduler`` / ``dask worker`` by hand),
or ``local:N``, a ``LocalCluster`` of N single-threaded worker processes on this machine. Dask is the
optional extra ``dask`` (``pip install 'nnopt-autograder[dask]'``), imported only here.

Who does what:

- **the client** (the grader process, :func:`autograder.batch.grade_many`) settles the seed, runs the canary,
  skips finished results, and for each submission takes its claim (:class:`autograder.batch.Claim`), reads
  its files (:func:`pack`) and sends them as one Dask task; it writes every result atomically as it
  arrives, under that claim (:func:`autograder.batch.store_result`), so resume, claims, ``--force`` and the
  feedback pages behave exactly as with ``--jobs``. At most :data:`IN_FLIGHT` submissions are out at once
  (each holds a claim, an open file).
- **a worker** (:func:`grade_on_worker`) insists on the required isolation layers (``--require`` and the
  client's ``$AUTOGRADER_REQUIRE``; a worker where one is off raises
  :class:`~autograder.sandbox.isolation.SandboxUnavailable` and grading stops), builds the assignment's
  :class:`~autograder.grading.ReferenceExpectations` once per (assignment, seed, device) and keeps it, then
  grades the submission with the same sandbox as ``--jobs`` (:func:`autograder.batch.grade_claimed`: the
  zygote, the isolation layers, which it records in ``SubmissionResult.isolation``). The reference
  solutions are the worker's own (``AUTOGRADER_SOLUTIONS``, a checkout, see :mod:`autograder.reference`);
  they never travel, and the sandbox child never sees them.

What travels: to the worker, the assignment's name, the seed, the required layers, the grader's
:func:`fingerprint` (a worker with other code or another reference refuses: the canary ran on the client's
reference, not on the worker's), the submission's selected ``.py`` files as bytes (so the workers need no
shared filesystem) and the variant's numbers; back, the result's JSON text
(:func:`autograder.batch.result_json`) and, with an output folder, its feedback pages and their figures as the
worker drew them (:func:`autograder.feedback.write_feedback`, so the drawing is spread over the cluster),
nothing else. The files are chosen in the client by :func:`autograder.submission.load` (zip members, symbolic
links refused, nesting), and its notes travel with them; the worker writes them into a flat folder of the same
name and grades that, so a result is the same as with ``--jobs``.

A worker that dies in the middle (killed, out of memory, its machine lost) loses nothing: Dask reruns its
tasks on another worker; a task Dask gives up on (``KilledWorker``) is sent once more by the client, and only
then recorded as an internal grader error, which the next run retries. Every submission ends with exactly
one result, written by the client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import assignments
from .batch import (
    CLAIMED,
    DONE,
    FEEDBACK,
    GRADED,
    Claim,
    _failed,
    _safe_name,
    grade_claimed,
    load_done,
    result_json,
    store_result,
    write_atomic,
)
from .checks import Assignment
from .feedback import write_feedback
from .grading import InternalError, ReferenceExpectations, SubmissionResult
from .sandbox.isolation import SandboxUnavailable
from .sandbox.isolation import require as require_layers
from .sandbox.runner import MAX_SOURCE_BYTES
from .submission import load

LOCAL = "local:"
INSTALL = (
    "grading on Dask needs the dask extra: pip install 'nnopt-autograder[dask]' "
    "(or pip install 'dask[distributed]' beside the package)"
)
#: Submissions sent to the cluster and not yet back, at most (each holds its claim, an open file, meanwhile).
IN_FLIGHT = 256
#: How many times the client sends again a task that Dask gave up on, before recording an internal error.
RESUBMITS = 1
#: (assignment, seed, device) references a worker keeps, the most recently used.
KEEP = 4
#: The device variable of :func:`source_lib.backend.set_default_device` (``--device``), passed to workers.
DEVICE_ENV = "AUTOGRADER_DEVICE"


_references: dict[tuple[str, int, str | None], tuple[Assignment, ReferenceExpectations]] = {}
_fingerprints: dict[str, str] = {}
_references_lock = threading.RLock()


class DaskUnavailable(RuntimeError):
    """Dask is not installed (the ``dask`` extra); the message says, in one line, how to install it."""


def local_workers(scheduler: str) -> int | None:
    """N of ``local:N`` (a LocalCluster of N workers), None for a scheduler's address; ValueError when N is
    not a positive integer."""
    if not scheduler.startswith(LOCAL):
        return None
    text = scheduler[len(LOCAL) :]
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"--scheduler local:N takes a number of workers N >= 1, not {scheduler!r}")
    return int(text)


def check_scheduler(scheduler: str) -> None:
    """Raise :class:`DaskUnavailable` when Dask is not installed (or, for ``local:N``, the ``cryptography``
    its TLS needs), ValueError for a malformed ``local:N``, before anything is graded."""
    local = local_workers(scheduler) is not None
    try:
        import distributed  # noqa: F401

        if local:
            import cryptography  # noqa: F401
    except ImportError:
        raise DaskUnavailable(INSTALL) from None


@contextlib.contextmanager
def connected(scheduler: str) -> Iterator[Any]:
    """A ``dask.distributed.Client`` of ``scheduler``, closed at the end of the block.

    An address is connected to with Dask's own configuration (its ``distributed.comm.tls`` settings: a
    shared cluster should use TLS, since whoever reaches a scheduler runs code on its workers). ``local:N``
    starts a LocalCluster on 127.0.0.1 whose connections use TLS with a key made for this run
    (``Security.temporary``), so no other user of the machine can send its workers (the grader's user) a
    task; it is stopped at the end of the block."""
    check_scheduler(scheduler)
    from distributed import Client, LocalCluster
    from distributed.security import Security

    n = local_workers(scheduler)
    if n is None:
        with Client(scheduler) as client:
            yield client
        return
    local = dict(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
    with LocalCluster(**local, security=Security.temporary()) as cluster, Client(cluster) as client:
        yield client


def fingerprint(assignment_name: str) -> str:
    """A digest of what grades ``assignment_name`` in this process: the engine's sources (``autograder/``,
    ``source_lib/``) and the assignment's reference modules. A worker whose digest differs from the client's
    refuses (another version of the grader, another ``solutions/``): the client's canary vouches for its own
    reference only."""
    with _references_lock:
        if assignment_name not in _fingerprints:
            import source_lib

            from .batch import solutions_folder

            roots = [Path(__file__).parent, Path(source_lib.__file__).parent]
            roots.append(solutions_folder(assignments.get(assignment_name)))
            digest = hashlib.sha256()
            for root in roots:
                for file in sorted(f for f in root.rglob("*.py") if "__pycache__" not in f.parts):
                    digest.update(f"{file.relative_to(root).as_posix()}\0{file.stat().st_size}\0".encode())
                    digest.update(file.read_bytes())
            _fingerprints[assignment_name] = digest.hexdigest()[:16]
        return _fingerprints[assignment_name]


# --- the worker's side ---------------------------------------------------------------------------------------


def worker_reference(name: str, seed: int, device: str | None = None) -> tuple[Assignment, ReferenceExpectations]:
    """The assignment and its expected values for ``seed``, built once per worker process and kept (the
    :data:`KEEP` most recently used), so a class pays the reference once per worker."""
    key = (name, seed, device)
    with _references_lock:
        if key in _references:
            _references[key] = _references.pop(key)  # most recently used last
        else:
            assignment = assignments.get(name)
            _references[key] = (assignment, ReferenceExpectations(assignment, seed, device))
            while len(_references) > KEEP:
                del _references[next(iter(_references))]
        return _references[key]


def grade_on_worker(
    assignment_name: str,
    seed: int,
    required: tuple[str, ...],
    device: str | None,
    grader: str,
    name: str,
    packed: dict,
    variant: tuple[str, dict] | None,
    pages: bool,
) -> tuple[str, dict[str, bytes]]:
    """One Dask task: grade the submission :func:`pack` made, here; returns the result's JSON text and, when
    ``pages``, its feedback pages and figures, ``{path under feedback/: bytes}``. Raises SandboxUnavailable
    when a required layer is not in force on this worker, InternalError when the grader is wrong here (no
    reference, or one whose :func:`fingerprint` is not the client's ``grader``)."""
    require_layers(required)
    here = fingerprint(assignment_name)
    if here != grader:
        raise InternalError(
            f"the worker on {socket.gethostname()} grades {assignment_name} with other code or another "
            f"reference than this grader (fingerprint {here}, not {grader}): give the workers the same "
            "checkout (or package version) and solutions/"
        )
    assignment, expectations = worker_reference(assignment_name, seed, device)
    with tempfile.TemporaryDirectory(prefix="autograder-dask-") as work:
        folder = unpack(packed, Path(work))
        _, result = grade_claimed(folder, name, assignment, expectations, None, None, False, variant)
    at = 1 if variant is not None else 0  # load()'s notes go where grade_path puts them: after the variant's
    result.notes[at:at] = packed["notes"]
    drawn: dict[str, bytes] = {}
    if pages:
        with tempfile.TemporaryDirectory(prefix="autograder-pages-") as folder:
            write_feedback(Path(folder), result, _safe_name(name))
            drawn = {f.relative_to(folder).as_posix(): f.read_bytes() for f in Path(folder).rglob("*") if f.is_file()}
    return result_json(result), drawn


def unpack(packed: dict, work: Path) -> Path:
    """Write :func:`pack`'s files into a flat folder under ``work`` named as the submission was (a file over
    the size cap as a sparse file of its size, so the sandbox skips it with the same note); returns it."""
    label = packed["label"]
    folder = work / "in" / (label if label not in ("", ".", "..") else "submission")
    folder.mkdir(parents=True)
    for base, data in packed["files"].items():
        if "/" in base or base.startswith(".") or "\0" in base:
            continue  # load() never chooses such a name
        target = folder / base
        if isinstance(data, int):
            with open(target, "wb") as f:
                f.truncate(min(data, MAX_SOURCE_BYTES + 1))
        else:
            target.write_bytes(data)
    return folder


# --- the client's side ---------------------------------------------------------------------------------------


def pack(path: Path) -> dict:
    """A submission as data for a worker: ``{"label": path.name, "files": {base name: bytes, or the size
    of a file over the sandbox's cap}, "notes": load()'s notes}``, its files chosen by
    :func:`autograder.submission.load` exactly as ``--jobs`` chooses them. Raises OSError when unreadable."""
    with tempfile.TemporaryDirectory(prefix="autograder-pack-") as work:
        sub = load(path, Path(work))
        files: dict[str, bytes | int] = {}
        for base, file in sub.files.items():
            fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as f:
                data = f.read(MAX_SOURCE_BYTES + 1)
                files[base] = os.fstat(f.fileno()).st_size if len(data) > MAX_SOURCE_BYTES else data
    return {"label": path.name, "files": files, "notes": list(sub.notes)}


def write_pages(folder: Path, drawn: dict[str, bytes]) -> None:
    """Write the pages and figures a worker drew (:func:`grade_on_worker`) into ``folder`` (``OUT/feedback``):
    the pages atomically, as :func:`autograder.feedback.write_feedback` does; a path that would leave the
    folder is refused (ValueError)."""
    for rel, data in drawn.items():
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"a worker sent a page outside the feedback folder: {rel!r}")
        target = folder.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix in (".html", ".md"):
            write_atomic(target, data.decode("utf-8"))
        else:  # a figure, written in place as plots.draw writes it
            target.write_bytes(data)


@dataclass
class _Sent:
    """One submission out on the cluster: its claim (None without an output folder) and what was sent."""

    path: Path
    name: str
    claim: Claim | None
    packed: dict
    tries: int = 0


@contextlib.contextmanager
def cluster_grader(
    scheduler: str,
    assignment: Assignment,
    expectations: ReferenceExpectations,
    out: Path | None,
    newer_than: float | None,
    variant_of: dict[str, tuple[str, dict] | None],
    required: tuple[str, ...],
) -> Iterator[Callable[[list[tuple[Path, str]], bool], Iterator[tuple[Path, str, str, SubmissionResult | None]]]]:
    """For :func:`autograder.batch.grade_many`: a function grading a round of (path, name) on the cluster,
    yielding (path, name, GRADED | DONE | CLAIMED, result) as each finishes, like its ``--jobs`` pool."""
    seed = expectations.seed
    device = os.environ.get(DEVICE_ENV) or None
    grader = fingerprint(assignment.name)

    with connected(scheduler) as client:
        from distributed import as_completed

        def submit(sent: _Sent) -> Any:
            key = f"autograder-{_safe_name(sent.name)}-{secrets.token_hex(4)}"
            variant = variant_of.get(sent.name)
            args = (assignment.name, seed, required, device, grader, sent.name, sent.packed, variant, out is not None)
            return client.submit(grade_on_worker, *args, key=key, pure=False)

        def on_cluster(
            rounds: list[tuple[Path, str]], block: bool
        ) -> Iterator[tuple[Path, str, str, SubmissionResult | None]]:
            todo = iter(rounds)
            running = as_completed()
            held: dict[Any, _Sent] = {}
            try:
                while True:
                    while len(held) < IN_FLIGHT and (item := next(todo, None)) is not None:
                        path, name = item
                        claim = None if out is None else Claim(out, name)
                        if claim is not None and not claim.acquire(block):
                            yield path, name, CLAIMED, None
                            continue
                        prior = load_done(out, name, assignment.name, seed, newer_than)
                        if prior is not None:
                            claim.release()
                            yield path, name, DONE, prior
                            continue
                        start = time.monotonic()
                        try:
                            packed = pack(path)
                        except OSError as exc:
                            result = _failed(name, assignment, seed, f"could not read the submission: {exc}", start)
                            _finish(out, name, claim, result)
                            yield path, name, GRADED, result
                            continue
                        sent = _Sent(path, name, claim, packed)
                        future = submit(sent)
                        held[future] = sent
                        running.add(future)
                    if not held:
                        return
                    future = next(running)
                    sent = held.pop(future)
                    try:
                        text, drawn = future.result()
                        result = SubmissionResult.from_json(json.loads(text))
                    except (SandboxUnavailable, InternalError):
                        raise
                    except Exception as exc:  # the task was lost (KilledWorker, ...): once more, then an error
                        future.release()
                        if sent.tries < RESUBMITS:
                            sent.tries += 1
                            future = submit(sent)
                            held[future] = sent
                            running.add(future)
                            continue
                        message = f"internal grader error: {type(exc).__name__}: {exc}"
                        result, drawn = _failed(sent.name, assignment, seed, message, time.monotonic()), None
                    else:
                        future.release()  # the cluster may forget it: never computed again if its worker dies
                    _finish(out, sent.name, sent.claim, result, drawn)
                    yield sent.path, sent.name, GRADED, result
            finally:
                for future, sent in held.items():
                    future.cancel()
                    if sent.claim is not None:
                        sent.claim.release()

        rounds: list[Iterator] = []

        def graded(
            items: list[tuple[Path, str]], block: bool
        ) -> Iterator[tuple[Path, str, str, SubmissionResult | None]]:
            rounds.append(on_cluster(items, block))
            return rounds[-1]

        try:
            yield graded
        finally:  # a round left half-way (an error, an interrupt): its claims dropped while the client is up
            for round_ in rounds:
                round_.close()


def _finish(
    out: Path | None, name: str, claim: Claim | None, result: SubmissionResult, drawn: dict[str, bytes] | None = None
) -> None:
    """Write a result under its claim (held since the submission was sent), its pages first (``drawn`` by the
    worker, else drawn here), then drop the claim."""
    if claim is None:
        return
    try:
        if drawn is not None:
            write_pages(out / FEEDBACK, drawn)
        store_result(out, name, result, draw=drawn is None)
    finally:
        claim.release()
