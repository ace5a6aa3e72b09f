"""Grading speed against the floor (issue #14, item 5), every figure against baselines measured in this run.

    python benchmarks/grading_speed.py [--repeat 5] [--class-size 50] [--nbgrader] [--out FILE]

Printed, each as the median and the spread (min–max) over ``--repeat`` runs:

- baselines: a bare interpreter start, ``python -c "import numpy"``, ``python -c "import numpy, sympy"``;
- the floor: the checks' own arithmetic for one hw1 submission in-process (references' values given, the
  student's functions called and judged in this process, no sandbox: :mod:`tests.inprocess`), and the minimal
  sandbox (a child forked, confined, sent as many empty requests as hw1 has cases, closed);
- one warm hw1 submission (``correct_vectorized``, the references and the zygote ready): wall time, the
  requests sent to its sandboxes (round trips: one per sandbox where nothing stops a batch), the grader's CPU
  time and the sandbox children's own CPU time (``getrusage`` read by each child,
  :meth:`~autograder.sandbox.runner.Sandbox.child_cpu`), and their sum against the floor;
- components of a submission: the wire's work (this format against the old ``.npy`` + base64 + JSON kept in
  ``wire_speed.py``), the feedback pages with their figures;
- a class of ``--class-size`` (the hw1 samples copied over and over) with ``--out`` at ``--jobs 1`` and ``2``;
- a cold ``autograder grade ONE`` as a ratio of ``python -c "import numpy, sympy"``;
- request bytes of the conv gradient check as the conv size grows (``request_bytes.py``'s table, quick sizes);
- with ``--nbgrader`` (and nbgrader installed), ``nbgrader autograde`` on the same notebooks
  (``nbgrader_vs_autograder.py``); Otter-Grader where installed is reported as such.

Then the issue's targets, each met or not with the measured numbers.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import REPO, header, run_teed, spread

SAMPLES = REPO / "examples" / "submissions" / "hw1"
ONE = SAMPLES / "correct_vectorized"
SEED = 20261123


def walls(cmd: list[str], repeat: int, **kw) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        out.append(time.perf_counter() - t)
    return out


def process_tree_cpu() -> float:
    """CPU seconds of this process's waited-for children so far (the commands ``walls`` ran)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- the floor -----------------------------------------------------------------------------------------------


def in_process_checks(repeat: int) -> list[float]:
    """One hw1 submission's checks judged in this process: the student's functions called directly."""
    sys.path.insert(0, str(REPO))
    from autograder.assignments import get
    from autograder.grading import ReferenceExpectations
    from autograder.sandbox.executor import load_callables
    from tests.inprocess import arrays_by_reference, judge_case, load_module

    assignment = get("hw1")
    expectations = ReferenceExpectations(assignment, SEED)
    modules = {p.module: load_module(ONE / f"{p.module}.py", f"floor_{p.module}") for p in assignment.problems}
    callables = load_callables(assignment.callables)
    cases = [(c, case) for c in assignment.checks for case in expectations.cases(c)]

    def once() -> None:
        with arrays_by_reference():
            for check, case in cases:
                judge_case(check, case, modules[check.module], callables)

    once()
    times = []
    for _ in range(repeat):
        t = time.process_time()
        once()
        times.append(time.process_time() - t)
    return times


def minimal_sandbox(repeat: int, requests: int) -> list[float]:
    """A child forked, confined, sent ``requests`` empty programs, closed: wall seconds."""
    from autograder.assignments import get
    from autograder.sandbox.runner import Sandbox
    from autograder.submission import load

    hw1 = get("hw1")
    files = load(ONE).files
    empty = {"module": "p1_bp_relu", "inputs": {}, "steps": [], "returns": []}
    times = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        with Sandbox(files, preload=hw1.preload(hw1.checks)) as box:
            for _ in range(requests):
                box.run(empty, 5.0)
        if i:  # the first starts the zygote
            times.append(time.perf_counter() - t)
    return times


def hw1_checks() -> list:
    from autograder.assignments import get

    return list(get("hw1").checks)


# -- one warm submission -----------------------------------------------------------------------------------


def warm_submission(repeat: int) -> dict[str, list[float]]:
    """Wall, grader CPU and the children's own CPU of grading ``correct_vectorized`` with a warm grader."""
    from autograder.assignments import get
    from autograder.grading import ReferenceExpectations, grade_files
    from autograder.sandbox.runner import Sandbox
    from autograder.submission import load

    hw1 = get("hw1")
    expectations = ReferenceExpectations(hw1, SEED)
    files = load(ONE).files
    children: list[float] = []
    requests: list[int] = []
    close, transmit = Sandbox.close, Sandbox._transmit

    def close_and_count(self: Sandbox) -> None:
        cpu = self.child_cpu()
        children.append(cpu if cpu is not None else float("nan"))
        close(self)

    def transmit_and_count(self: Sandbox, *args, **kwargs) -> None:
        requests.append(1)
        transmit(self, *args, **kwargs)

    Sandbox.close, Sandbox._transmit = close_and_count, transmit_and_count
    try:
        assert grade_files(files, hw1, expectations).score == 100
        got: dict[str, list[float]] = {"wall": [], "parent": [], "child": [], "cases": [], "requests": []}
        for _ in range(repeat):
            children.clear()
            requests.clear()
            w, c = time.perf_counter(), time.process_time()
            grade_files(files, hw1, expectations)
            got["wall"].append(time.perf_counter() - w)
            got["parent"].append(time.process_time() - c)
            got["child"].append(sum(children))
            got["requests"].append(len(requests) - len(children))  # less each child's one rusage request
        got["cases"] = [sum(len(expectations.cases(c)) for c in hw1.checks)]
        return got
    finally:
        Sandbox.close, Sandbox._transmit = close, transmit


def wire_work(repeat: int) -> tuple[list[float], list[float]]:
    import wire_speed

    cases = wire_speed.cases_and_replies()
    prepared = wire_speed.baseline_prepare(cases)
    new = wire_speed.timed(lambda: wire_speed.new_wire_submission(cases), repeat)
    old = wire_speed.timed(lambda: wire_speed.baseline_submission(prepared), repeat)
    return new, old


def feedback_pages(repeat: int) -> list[float]:
    """The pages and figures of the hw1 samples, per submission (matplotlib, Agg)."""
    from autograder.assignments import get
    from autograder.batch import grade_path
    from autograder.feedback import write_feedback
    from autograder.grading import ReferenceExpectations

    hw1 = get("hw1")
    expectations = ReferenceExpectations(hw1, SEED)
    results = [grade_path(d, hw1, expectations) for d in sorted(SAMPLES.iterdir()) if d.is_dir()]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        write_feedback(Path(tmp), results[0], "warm")
        for _ in range(repeat):
            t = time.perf_counter()
            for r in results:
                write_feedback(Path(tmp), r, r.submission)
            times.append((time.perf_counter() - t) / len(results))
    return times


def class_folder(root: Path, size: int) -> Path:
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
    folder = root / "class"
    for i in range(size):
        shutil.copytree(samples[i % len(samples)], folder / f"student{i:03d}")
    return folder


# -- the run -----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    r = args.repeat
    print(header("grading_speed: grading against the floor (issue #14)", ("numpy", "sympy")))
    # an installed package has its bytecode; a checkout run where PYTHONDONTWRITEBYTECODE is set would compile
    # the grader's modules at every cold start (that is the interpreter's cost, not the grader's)
    for folder in ("autograder", "source_lib", "solutions"):
        compileall.compile_dir(REPO / folder, quiet=1)
    print("bytecode    the grader's modules compiled beforehand, as in an installed package")
    py = sys.executable
    base = {
        "python -I -S -c pass": walls([py, "-I", "-S", "-c", "pass"], r),
        "python -c 'import numpy'": walls([py, "-c", "import numpy"], r),
        "python -c 'import numpy, sympy'": walls([py, "-c", "import numpy, sympy"], r),
    }
    print("\nbaselines (wall, median [min–max]):")
    for k, v in base.items():
        print(f"  {k:<34} {spread(v)}")
    numpy_sympy = statistics.median(base["python -c 'import numpy, sympy'"])

    warm = warm_submission(r)
    cases = warm["cases"][0]
    arithmetic = in_process_checks(r)
    box = minimal_sandbox(r, cases)
    floor = statistics.median(arithmetic) + statistics.median(box)
    cpu = [p + c for p, c in zip(warm["parent"], warm["child"], strict=True)]
    print(f"\none warm hw1 submission ({ONE.name}, {cases} cases, {len(hw1_checks())} checks):")
    print(f"  requests to the sandbox (round trips) {statistics.median(warm['requests']):.0f}")
    print(f"  wall                               {spread(warm['wall'], 1e3, 'ms', 1)}")
    print(f"  CPU, grader                        {spread(warm['parent'], 1e3, 'ms', 1)}")
    print(f"  CPU, sandbox children (their own)  {spread(warm['child'], 1e3, 'ms', 1)}")
    print(f"  CPU, both                          {spread(cpu, 1e3, 'ms', 1)}")
    print("the floor:")
    print(f"  the checks' arithmetic in-process  {spread(arithmetic, 1e3, 'ms', 1)}")
    print(f"  minimal sandbox ({cases} empty requests) {spread(box, 1e3, 'ms', 1)}")
    print(f"  warm CPU / floor                   {statistics.median(cpu) / floor:.2f}x (floor {floor * 1e3:.1f} ms)")

    new, old = wire_work(r)
    pages = feedback_pages(max(1, r // 2))
    print("\ncomponents, per hw1 submission:")
    print(f"  wire, this format                  {spread(new, 1e3, 'ms', 1)}")
    ratio = statistics.median(new) / statistics.median(old)
    print(f"  wire, npy+base64+JSON (baseline)   {spread(old, 1e3, 'ms', 1)}  ratio {ratio:.2f}")
    print(f"  feedback pages and figures         {spread(pages, 1e3, 'ms', 1)}  (the hw1 samples' average)")

    cli = [py, "-m", "autograder"]
    classes: dict[int, list[float]] = {}
    cpus: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = class_folder(Path(tmp), args.class_size)
        for jobs in (1, 2):
            classes[jobs], cpus[jobs] = [], []
            for i in range(max(1, r // 2)):
                out = Path(tmp) / f"out{jobs}-{i}"
                before = process_tree_cpu()
                classes[jobs] += walls(
                    [*cli, "grade", str(folder), "--out", str(out), "--jobs", str(jobs)], 1, cwd=REPO
                )
                cpus[jobs].append(process_tree_cpu() - before)
    print(f"\na class of {args.class_size} (hw1 samples, --out: results, CSV, pages, figures):")
    for jobs in (1, 2):
        print(f"  --jobs {jobs}   wall {spread(classes[jobs])}   CPU of the process tree {spread(cpus[jobs])}")
    cold = walls([*cli, "grade", str(SAMPLES / "correct_loops"), "--format", "json"], r, cwd=REPO)
    print(
        f"\n`autograder grade ONE` (cold)        {spread(cold)} = {statistics.median(cold) / numpy_sympy:.2f}x "
        "python -c 'import numpy, sympy'"
    )

    print("\nrequest bytes of the conv gradient check as the conv size grows (request_bytes.py --quick):")
    done = subprocess.run(
        [py, str(REPO / "benchmarks" / "request_bytes.py"), "--quick", "--rounds", "3"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    table = [line for line in done.stdout.splitlines() if line.startswith("  ") or line.startswith("θ grows")]
    print("\n".join(table) if done.returncode == 0 else f"  request_bytes.py failed: {done.stderr[-300:]}")

    print("\nother graders:")
    if args.nbgrader and importlib.util.find_spec("nbgrader"):
        done = subprocess.run(
            [py, str(REPO / "benchmarks" / "nbgrader_vs_autograder.py"), "--students", "1"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        print("\n".join("  " + line for line in done.stdout.splitlines()[-6:]))
    else:
        print(
            "  nbgrader autograde: run with --nbgrader (benchmarks/results/nbgrader_vs_autograder.txt has its "
            "latest run)"
        )
    print("  Otter-Grader: " + ("installed, not timed here" if importlib.util.find_spec("otter") else "not installed"))

    met = {True: "met", False: "NOT met"}
    warm_cpu = statistics.median(cpu)
    jobs2 = statistics.median(classes[2])
    ratio = statistics.median(cold) / numpy_sympy
    print("\ntargets (issue #14):")
    print(
        f"  warm per-submission CPU <= 120 ms and <= 1.3x the floor: {warm_cpu * 1e3:.0f} ms, "
        f"{warm_cpu / floor:.2f}x: {met[warm_cpu <= 0.120 and warm_cpu <= 1.3 * floor]}"
    )
    print(f"  a class of {args.class_size} at --jobs 2 <= 6 s:                {jobs2:.1f} s: {met[jobs2 <= 6]}")
    print(f"  cold grade ONE <= 1.5x import numpy, sympy:            {ratio:.2f}x: {met[ratio <= 1.5]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--nbgrader", action="store_true", help="also time nbgrader autograde (minutes)")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args()
    return run_teed(lambda: run(args), args.out)


if __name__ == "__main__":
    sys.exit(main())
