"""Grading throughput of hw1: wall time per submission, sandbox included, against baselines of the same run.

    python benchmarks/grading_speed.py [--class-size 50] [--repeat 5] [--out benchmarks/results/grading_speed.txt]

Measured, each in this run on this machine:
- baselines: starting a bare ``python -I -S``; starting Python and importing NumPy; and importing NumPy and
  SymPy (what any sandboxed child that can hold a SymPy answer pays at least once);
- the sandbox alone: start a child for a submission and run one tiny request, forked by the zygote and
  started from scratch;
- one submission graded in-process (a warm grader: references computed, canary done), the figure the
  issue's targets are about (under 2 s, then under 1 s), as a median over ``--repeat`` gradings;
- the command a student or an instructor types, ``autograder grade ONE`` (cold: imports, references and the
  canary included);
- a class of ``--class-size`` submissions (the shipped samples, cycled) with ``--jobs 1`` and ``--jobs 2``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
sys.path.insert(0, str(REPO))


def wall(cmd: list[str], repeat: int = 1, **kw) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def machine() -> str:
    import numpy
    import sympy

    threads = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}\n"
        f"python {platform.python_version()}, numpy {numpy.__version__}, sympy {sympy.__version__}; "
        f"grader threads {threads}; sandbox children run with one BLAS thread"
    )


def baselines(repeat: int) -> dict[str, float]:
    py = sys.executable
    return {
        "python -I -S -c pass": wall([py, "-I", "-S", "-c", "pass"], repeat),
        "python -c 'import numpy'": wall([py, "-c", "import numpy"], repeat),
        "python -c 'import numpy, sympy'": wall([py, "-c", "import numpy, sympy"], repeat),
    }


def sandbox_start(repeat: int) -> float:
    from autograder.sandbox.runner import Sandbox
    from autograder.submission import load

    sub = load(SAMPLES / "correct_loops")
    from autograder import assignments

    hw1 = assignments.get("hw1")
    preload = hw1.preload(hw1.checks)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        with Sandbox(sub.files, preload=preload) as box:
            box.run({"module": "p1_bp_relu", "inputs": {}, "steps": [], "returns": []}, 5.0)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def warm_grading(repeat: int) -> tuple[float, float]:
    """Median seconds to grade one submission with a warm grader, and the one-off set-up it needed."""
    from autograder import assignments
    from autograder.batch import canary, grade_path
    from autograder.grading import ReferenceExpectations

    hw1 = assignments.get("hw1")
    t = time.perf_counter()
    expectations = ReferenceExpectations(hw1, seed=20261123)
    canary(hw1, expectations)
    setup = time.perf_counter() - t
    times = []
    for i in range(repeat):
        name = ("correct_loops", "correct_vectorized")[i % 2]
        t = time.perf_counter()
        result = grade_path(SAMPLES / name, hw1, expectations)
        times.append(time.perf_counter() - t)
        assert result.score == result.max_score, f"{name} lost points: {result.score}"
    return statistics.median(times), setup


def class_folder(root: Path, size: int) -> Path:
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
    folder = root / "class"
    for i in range(size):
        shutil.copytree(samples[i % len(samples)], folder / f"student{i:03d}")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args()

    lines = [machine(), ""]

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    print(lines[0] + "\n")
    base = baselines(args.repeat)
    say("baselines (median wall time of a process start):")
    for k, v in base.items():
        say(f"  {k:<36} {v:7.3f} s")
    numpy_sympy = base["python -c 'import numpy, sympy'"]

    box = sandbox_start(args.repeat)
    say(f"\nsandbox start + one request          {box:7.3f} s  = {box / numpy_sympy:.2f} x importing numpy+sympy")
    say("  (a child forked by the warm zygote, confined: namespaces, view, uid, seccomp)")
    os.environ["AUTOGRADER_ZYGOTE"] = "0"
    fresh = sandbox_start(args.repeat)
    del os.environ["AUTOGRADER_ZYGOTE"]
    say(f"  the same, child started from scratch {fresh:6.3f} s  (what each zygote costs once per grader process)")

    per, setup = warm_grading(args.repeat)
    say(f"one submission, warm grader          {per:7.3f} s  = {per / numpy_sympy:.2f} x importing numpy+sympy")
    say(f"  (one-off: references + canary      {setup:7.3f} s)")
    verdict = {True: "met", False: "NOT met"}
    say(f"  target < 2 s (issue 2): {verdict[per < 2]}; < 1 s (issue 5): {verdict[per < 1]}")

    cli = [sys.executable, "-m", "autograder"]
    one = wall([*cli, "grade", str(SAMPLES / "correct_loops"), "--format", "json"], 1, cwd=REPO)
    say(f"\n`autograder grade ONE` (cold)        {one:7.3f} s  = {one / numpy_sympy:.2f} x importing numpy+sympy")

    with tempfile.TemporaryDirectory() as tmp:
        folder = class_folder(Path(tmp), args.class_size)
        for jobs in (1, 2):
            out = Path(tmp) / f"out{jobs}"
            t = wall([*cli, "grade", str(folder), "--out", str(out), "--jobs", str(jobs)], 1, cwd=REPO)
            say(
                f"class of {args.class_size}, --jobs {jobs}:              {t:7.3f} s in all, "
                f"{t / args.class_size:.3f} s per submission"
                + ("  (target < 30 s: " + ("met)" if t < 30 else "NOT met)") if jobs == 2 else "")
            )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
