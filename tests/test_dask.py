"""Grading a class on Dask (:mod:`autograder.distributed`, ``grade --scheduler``): on a two-worker
LocalCluster the sample class gets exactly the per-check points of ``--jobs 2`` with the same seed; a worker
killed in the middle of a class loses nothing; a second run into the same ``--out`` grades nothing again; a
submission another grader holds is waited for, not graded twice; without Dask, ``--scheduler`` says in one
line how to install it, before the canary.

One LocalCluster (2 worker processes, 1 thread each) serves the module, so its workers build the reference
once for the whole module.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster, get_client

from autograder import batch, cli, distributed
from autograder.batch import Claim, grade_many, result_json, result_path, write_atomic
from autograder.feedback import write_feedback
from autograder.grading import InternalError, SubmissionResult
from autograder.sandbox import isolation
from autograder.sandbox.isolation import DISABLE_ENV, LAYERS, SandboxUnavailable, in_force

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
SEED = 7
LOOPBACK = "127.0.0.1:0"  # the clusters' HTTP servers: on a free port of this machine only
NAMES = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())
FIGURED = ["relu_grad_at_zero", "maxpool_tie_last"]  # samples whose pages have figures


def points(result: SubmissionResult) -> list[tuple[str, float]]:
    return [(c.id, c.points) for c in result.checks]


def comparable(result: SubmissionResult) -> dict:
    """A result's JSON without what differs from run to run (the time it took)."""
    return {k: v for k, v in result.to_json().items() if k != "seconds"}


def pages_of(folder: Path, stem: str) -> set[str]:
    """The feedback files of one submission under ``folder``: its pages and its figures' folders."""
    files = (f.relative_to(folder).as_posix() for f in folder.rglob("*") if f.is_file())
    return {f for f in files if f.split("/")[0].split(".")[0] == stem}


def identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns  # a rewrite (write_atomic) always gives a new inode


@pytest.fixture(scope="module")
def cluster():
    """(the scheduler's address, a client of it) of a two-worker LocalCluster: processes, one thread each."""
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=LOOPBACK) as local,
        Client(local) as client,
    ):
        yield local.scheduler_address, client


@pytest.fixture(scope="module")
def by_jobs() -> dict[str, SubmissionResult]:
    """The sample class graded with --jobs 2 and the same seed: what Dask must reproduce."""
    results = list(grade_many([SAMPLES], "hw1", seed=SEED, jobs=2, run_canary=False))
    return {r.submission: r for r in results}


def test_a_class_on_a_two_worker_cluster_scores_as_with_jobs_and_resumes(cluster, by_jobs, tmp_path, monkeypatch):
    address, _ = cluster
    out = tmp_path / "out"
    results = list(grade_many([SAMPLES], "hw1", seed=SEED, out=out, scheduler=address))
    assert sorted(r.submission for r in results) == NAMES == sorted(by_jobs)  # each exactly once
    for r in results:
        assert points(r) == points(by_jobs[r.submission]), r.submission
        assert comparable(r) == comparable(by_jobs[r.submission])  # messages, notes, output: all the same
        assert set(r.isolation) == set(LAYERS) and r.isolation["limits"]  # the worker's layers, recorded
        on_disk = SubmissionResult.from_json(json.loads(result_path(out, r.submission).read_text(encoding="utf-8")))
        assert points(on_disk) == points(r) and on_disk.seed == SEED
        assert (out / batch.FEEDBACK / f"{r.submission}.html").is_file()
    stamps = {n: identity(result_path(out, n)) for n in NAMES}
    # the pages the workers drew (figures included) are those this process draws from the --jobs results
    for name in FIGURED:
        took = next(r.seconds for r in results if r.submission == name)  # the staff page shows it
        write_feedback(tmp_path / "here", dataclasses.replace(by_jobs[name], seconds=took), name)
        drawn = pages_of(out / batch.FEEDBACK, name)
        assert drawn == pages_of(tmp_path / "here", name) and any(f.endswith(".png") for f in drawn), name
        for f in drawn:
            if not f.endswith(".png"):
                assert (out / batch.FEEDBACK / f).read_text() == (tmp_path / "here" / f).read_text(), f

    # resume: a second run into the same --out finds everything finished and sends nothing to the cluster
    def no_cluster(*args, **kwargs):
        raise AssertionError("a finished class must not reach the cluster")

    monkeypatch.setattr(distributed, "connected", no_cluster)
    notes: list[str] = []
    again = list(grade_many([SAMPLES], "hw1", out=out, scheduler=address, run_canary=False, log=notes.append))
    assert sorted(r.submission for r in again) == NAMES
    assert [points(r) for r in sorted(again, key=lambda r: r.submission)] == [points(by_jobs[n]) for n in NAMES]
    assert any(f"{len(NAMES)} of {len(NAMES)} already graded" in n for n in notes), notes
    assert {n: identity(result_path(out, n)) for n in NAMES} == stamps


def test_a_submission_another_grader_holds_is_waited_for_not_graded_twice(cluster, by_jobs, tmp_path):
    address, _ = cluster
    held, graded = NAMES[0], NAMES[1]
    out = tmp_path / "out"
    claim = Claim(out, held)
    assert claim.acquire(block=False)
    theirs = by_jobs[held]

    def log(message: str) -> None:  # the other grader finishes once this one says it waits for it
        if "being graded by another grader" in message and claim.fd is not None:
            write_atomic(result_path(out, held), result_json(theirs))
            claim.release()

    paths = [SAMPLES / held, SAMPLES / graded]
    stamps: dict[str, tuple[int, int]] = {}
    results = {
        r.submission: r
        for r in grade_many(paths, "hw1", seed=SEED, out=out, scheduler=address, run_canary=False, log=log)
    }
    stamps[held] = identity(result_path(out, held))
    assert sorted(results) == sorted([held, graded])
    assert claim.fd is None  # it waited (and said so)
    assert points(results[held]) == points(theirs) and results[held].seconds == theirs.seconds  # theirs, as it was
    assert points(results[graded]) == points(by_jobs[graded])


def test_a_worker_killed_in_the_middle_loses_nothing(by_jobs, tmp_path):
    """On ``--scheduler local:2`` (its own LocalCluster, over TLS): after the first result, the worker
    process grading a submission is killed; every submission still gets exactly one result, as with --jobs."""
    names = NAMES[:6]
    killed: list[tuple[int, list]] = []

    def kill_a_busy_worker(done: int, total: int, result: SubmissionResult) -> None:
        if killed:
            return
        assert done < total, "nothing left to kill a worker in the middle of"
        client = get_client()  # the grading's own client of its LocalCluster
        busy = {}
        for _ in range(600):  # a worker takes its next submission as soon as the scheduler hands it one
            busy = {w: keys for w, keys in client.processing().items() if keys}
            if busy:
                break
            time.sleep(0.05)
        assert busy, "no worker took a submission"
        worker = sorted(busy)[0]
        pid = client.run(os.getpid, workers=[worker])[worker]
        killed.append((pid, busy[worker]))
        os.kill(pid, signal.SIGKILL)

    out = tmp_path / "out"
    paths = [SAMPLES / n for n in names]
    results = list(grade_many(paths, "hw1", seed=SEED, out=out, scheduler="local:2", progress=kill_a_busy_worker))
    assert killed  # a worker died with a submission in hand
    assert sorted(r.submission for r in results) == names  # every submission, exactly once
    assert sorted(p.stem for p in (out / "submissions").glob("*.json")) == names
    for r in results:
        assert points(r) == points(by_jobs[r.submission]), r.submission
        assert not r.error


def test_a_worker_without_a_required_layer_stops_the_grading(tmp_path, monkeypatch):
    """A layer in force here (so ``--require`` passes in this process) but turned off on the only worker:
    nothing is graded and nothing written; the refusal is the worker's own."""
    layer = next((k for k in LAYERS if k != "limits" and in_force()[k]["on"]), None)
    if layer is None:
        pytest.skip("no isolation layer but limits is in force on this machine")
    monkeypatch.setattr(isolation, "_required", set())  # what require() adds here ends with the test
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=LOOPBACK, env={DISABLE_ENV: layer}) as weak:
        out = tmp_path / "out"
        with pytest.raises(SandboxUnavailable, match=f"{layer}: turned off by {DISABLE_ENV}"):
            grading = grade_many(
                [SAMPLES / NAMES[0]],
                "hw1",
                seed=SEED,
                out=out,
                scheduler=weak.scheduler_address,
                require=[layer],
                run_canary=False,
            )
            list(grading)
    assert not list((out / "submissions").glob("*.json"))


def test_a_worker_with_another_grader_or_reference_refuses():
    """The worker's fingerprint (engine sources and reference modules) must be the client's."""
    packed = distributed.pack(SAMPLES / NAMES[0])
    with pytest.raises(InternalError, match="other code or another reference"):
        distributed.grade_on_worker("hw1", SEED, (), None, "0" * 16, NAMES[0], packed, None, False)
    assert distributed.fingerprint("hw1") != "0" * 16


def test_without_dask_the_scheduler_option_says_so_in_one_line_before_the_canary(tmp_path, monkeypatch, capsys):
    real = builtins.__import__

    def without_dask(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.partition(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}")
        return real(name, globals, locals, fromlist, level)

    def canary(*args, **kwargs):
        raise AssertionError("the canary ran before --scheduler was checked")

    monkeypatch.setattr(builtins, "__import__", without_dask)
    monkeypatch.setattr(batch, "canary", canary)
    rc = cli.main(["grade", "hw1", str(SAMPLES), "--scheduler", "local:2", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "pip install 'nnopt-autograder[dask]'" in err[0], err
    assert not (tmp_path / "out").exists()
    with pytest.raises(distributed.DaskUnavailable, match="dask extra"):  # grade_many's way to the cluster
        with distributed.connected("local:2"):
            pass


@pytest.mark.parametrize("scheduler", ["local:0", "local:two", "local:"])
def test_a_malformed_local_cluster_is_refused_in_one_line(scheduler, capsys):
    assert cli.main(["grade", "hw1", str(SAMPLES), "--scheduler", scheduler]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "local:N" in err[0], err
