"""The grader <-> child wire, per hw1 submission: its codec's cost and a warm submission's grading, against
baselines measured in the same run.

    python benchmarks/wire_speed.py [--repeat 10] [--baseline REV] [--out benchmarks/results/wire_speed.txt]

Measured, each in this run on this machine:
- the wire's work for one submission of hw1 (every case of every check, one seed): the requests framed by the
  parent, parsed and decoded by the child, the reference's replies conformed and framed by the child, parsed
  and decoded by the parent; with this tree's wire (dtype + shape + raw bytes beside the JSON, a request
  encoded once per class and framed again with its id) and with the named baseline "npy+base64+JSON" (a copy,
  kept here, of the format it replaced: ``.npy`` bytes in base64 inside the JSON, the JSON dumped again for
  every request, headers parsed by ``np.lib.format``);
- one warm hw1 submission (``examples/submissions/hw1/correct_vectorized``) graded by ``grade_files`` with a
  ``ReferenceExpectations`` built once: wall time and the grader process's CPU time, median and spread over
  ``--repeat`` gradings; and, with ``--baseline REV``, the same in a copy of the tree at ``REV`` (``git
  archive``, in a temporary folder; the working tree is not touched), timed in this run alternately with
  this tree's.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np  # noqa: E402
from _machine import REPO, header, run_teed, spread

SAMPLE = REPO / "examples" / "submissions" / "hw1" / "correct_vectorized"
SEED = 7


# -- the baseline: the format this wire replaced, kept as it was ------------------------------------------


class NpyBase64Json:
    """'npy+base64+JSON': frames of JSON only, arrays as ``{"$npy": base64 of .npy bytes}``."""

    @staticmethod
    def encode(value):
        if isinstance(value, (np.ndarray, np.generic)):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value, order="C"), allow_pickle=False)
            return {"$npy": base64.b64encode(buf.getvalue()).decode("ascii")}
        if isinstance(value, tuple):
            return {"$tuple": [NpyBase64Json.encode(v) for v in value]}
        if isinstance(value, list):
            return {"$list": [NpyBase64Json.encode(v) for v in value]}
        if isinstance(value, dict):
            return {"$dict": {str(k): NpyBase64Json.encode(v) for k, v in value.items()}}
        return value

    @staticmethod
    def array(text):
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        buf = io.BytesIO(raw)
        version = np.lib.format.read_magic(buf)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(buf)
        flat = np.frombuffer(raw[buf.tell() :], dtype=dtype, count=int(np.prod(shape)))
        return flat.reshape(shape, order="F" if fortran else "C").copy()

    @staticmethod
    def decode(value):
        if isinstance(value, dict):
            if "$npy" in value:
                return NpyBase64Json.array(value["$npy"])
            if "$tuple" in value:
                return tuple(NpyBase64Json.decode(v) for v in value["$tuple"])
            if "$list" in value:
                return [NpyBase64Json.decode(v) for v in value["$list"]]
            if "$dict" in value:
                return {k: NpyBase64Json.decode(v) for k, v in value["$dict"].items()}
        return value

    @staticmethod
    def frame(message) -> bytes:
        data = json.dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
        return len(data).to_bytes(8, "big") + data

    @staticmethod
    def parse(body: bytes):
        return json.loads(body.decode("utf-8"))


# -- one submission's wire work ---------------------------------------------------------------------------


def cases_and_replies():
    """Every hw1 case at ``SEED`` (requests' parts) and the reference's values for it (what a right reply holds)."""
    from autograder.assignments import get
    from autograder.checks import parent_only
    from autograder.grading import ReferenceExpectations, case_request

    assignment = get("hw1")
    expectations = ReferenceExpectations(assignment, SEED)
    out = []
    for check in assignment.checks:
        for case in expectations.cases(check):
            inputs = {k: v for k, v in case.inputs.items() if not parent_only(k)}
            out.append((check, case, inputs, case_request(check, case, assignment.callables)))
    return out


def new_wire_submission(cases) -> None:
    from autograder.sandbox import wire
    from autograder.sandbox.child import conform

    for i, (_, case, _, message) in enumerate(cases):
        body = bytearray(b"".join(message.frame(id=i, seconds=5.0))[8:])  # parent: framed with its id
        request = wire.parse_frame(body, max_nodes=None, trusted=True)  # child
        {k: wire.decode(v) for k, v in request["inputs"].items()}
        returns = [conform(v, r["schema"]) for v, r in zip(case.expected, case.returns, strict=True)]
        reply = wire.frame_bytes({"steps": [], "returns": returns, "id": i})  # child
        got = wire.parse_frame(bytearray(reply[8:]))  # parent
        [wire.decode(r) for r in got["returns"]]


def baseline_prepare(cases):
    """What the old grader kept per class: each case's inputs encoded (the rest of the request per submission)."""
    return [(check, case, {k: NpyBase64Json.encode(v) for k, v in inputs.items()}) for check, case, inputs, _ in cases]


def baseline_submission(prepared) -> None:
    codec = NpyBase64Json
    for i, (check, case, wire_inputs) in enumerate(prepared):
        body = {"module": check.module, "inputs": wire_inputs, "steps": case.steps, "returns": case.returns}
        frame = codec.frame(dict(body, id=i, seconds=5.0))  # parent: the whole JSON dumped again
        request = codec.parse(frame[8:])  # child
        {k: codec.decode(v) for k, v in request["inputs"].items()}
        returns = [codec.encode(v) for v in case.expected]
        reply = codec.frame({"steps": [], "returns": returns, "id": i})  # child
        got = codec.parse(reply[8:])  # parent
        [codec.decode(r) for r in got["returns"]]


def timed(fn, repeat: int) -> list[float]:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


# -- a warm submission's grading, in this tree or another -------------------------------------------------

GRADING = r"""
import json, sys, time
from pathlib import Path
from autograder.assignments import get
from autograder.grading import ReferenceExpectations, grade_files
assignment = get("hw1")
expectations = ReferenceExpectations(assignment, {seed})
files = {{p.name: p for p in sorted(Path({sample!r}).glob("*.py"))}}
score = grade_files(files, assignment, expectations).score  # warm: references, zygote, first imports
walls, cpus = [], []
for _ in range({repeat}):
    w, c = time.perf_counter(), time.process_time()
    grade_files(files, assignment, expectations)
    walls.append(time.perf_counter() - w)
    cpus.append(time.process_time() - c)
print(json.dumps({{"score": score, "wall": walls, "cpu": cpus}}))
"""


def grading_in(tree: Path, repeat: int) -> dict:
    code = GRADING.format(seed=SEED, sample=str(SAMPLE), repeat=repeat)
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def tree_at(rev: str, into: Path) -> Path:
    """The repository's files at ``rev`` (``git archive``), without touching the working tree or its index."""
    data = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(repeat: int, baseline: str | None) -> None:
    print(header("wire_speed: the grader <-> child wire per hw1 submission", ("numpy", "sympy")))
    cases = cases_and_replies()
    prepared = baseline_prepare(cases)
    arrays = sum(isinstance(v, np.ndarray) for _, _, inputs, _ in cases for v in inputs.values())
    print(f"\nhw1 at seed {SEED}: {len(cases)} cases ({arrays} input arrays) per submission")
    print("\n## the wire's work for one submission")
    print("   (requests framed, parsed, decoded; replies conformed, framed, parsed, decoded)")
    old = timed(lambda: baseline_submission(prepared), repeat)
    new = timed(lambda: new_wire_submission(cases), repeat)
    print(f"  npy+base64+JSON (baseline)  {spread(old, 1e3, 'ms', 2)}")
    print(f"  dtype+shape+raw bytes       {spread(new, 1e3, 'ms', 2)}")
    print(f"  ratio new/baseline          {statistics.median(new) / statistics.median(old):.3f}")

    print(f"\n## one warm submission graded in-process (grade_files, {SAMPLE.name}), {repeat} gradings each")
    trees = {"this tree": REPO}
    with tempfile.TemporaryDirectory(prefix="wire-speed-") as tmp:
        if baseline:
            trees[f"baseline {baseline}"] = tree_at(baseline, Path(tmp))
        results: dict[str, dict] = {name: {"wall": [], "cpu": []} for name in trees}
        for _ in range(2):  # alternately, so that the machine's load falls on both alike
            for name, tree in trees.items():
                got = grading_in(tree, max(1, repeat // 2))
                results[name]["wall"] += got["wall"]
                results[name]["cpu"] += got["cpu"]
                results[name]["score"] = got["score"]
    for name, got in results.items():
        print(f"  {name:28s} score {got['score']:g}")
        print(f"    wall                      {spread(got['wall'], 1e3, 'ms', 2)}")
        print(f"    grader CPU                {spread(got['cpu'], 1e3, 'ms', 2)}")
    if baseline:
        base, this = results[f"baseline {baseline}"], results["this tree"]
        for what in ("wall", "cpu"):
            ratio = statistics.median(this[what]) / statistics.median(base[what])
            print(f"  ratio this/baseline {what:5s}  {ratio:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--baseline", help="a git revision to time the warm grading of as well (e.g. HEAD~1)")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args()
    return run_teed(lambda: run(args.repeat, args.baseline), args.out)


if __name__ == "__main__":
    sys.exit(main())
