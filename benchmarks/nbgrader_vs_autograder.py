"""Grading an nbgrader course: ``autograder grade --nbgrader-course`` against ``nbgrader autograde``.

    python benchmarks/nbgrader_vs_autograder.py [--students 6] [--jobs 2] [--out FILE]

In one temporary course (hw1's notebooks from ``autograder release --nbgrader-course``, ``nbgrader
generate_assignment``), ``--students`` submissions made from the shipped samples (the correct ones, the
stubs and buggy ones, each ``.py`` file turned into its notebook's solution cells) are graded, in this run,
on this machine, with the same seed, by:

- ``nbgrader autograde hw1``: a kernel per notebook runs every cell; each autograded cell hands the saved
  notebook's solution cells to the package's grader in a fresh process (see autograder/notebook_grading.py);
- ``autograder grade --nbgrader-course DIR --jobs 1`` and ``--jobs J``: no kernel; the modules are rebuilt
  from the notebooks and graded in parallel by the sandboxed batch grader, the scores written through
  nbgrader's gradebook API (the canary included).

Both are timed as the commands an instructor types (process start-up included), and the gradebook's scores
after each are compared: they must agree notebook by notebook.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SEED = 424242
ORDER = [
    "correct_vectorized",
    "stubs_only",
    "bias_grad_not_summed",
    "correct_loops",
    "maxpool_tie_last",
    "log_softmax_no_shift",
    "conv_backward_no_crop",
    "p3_wrong_backward",
    "sigmoid_grad2_sign",
    "avgpool_divides_by_k",
    "mutates_input",
    "sgd_in_place",
    "conv_error_term_no_rotation",
    "maxpool_overlap_assign",
    "relu_grad_at_zero",
    "conv_forward_no_stride",
]


def header() -> str:
    try:
        from _machine import header as machine_header

        return machine_header(
            "nbgrader autograde vs autograder grade --nbgrader-course", ("numpy", "sympy", "nbgrader")
        )
    except Exception:
        import nbgrader
        import numpy

        return (
            f"# nbgrader autograde vs autograder grade --nbgrader-course\n"
            f"machine     {platform.platform()}; {os.cpu_count()} logical CPUs; load {os.getloadavg()}\n"
            f"python      {sys.version.split()[0]}; numpy {numpy.__version__}; nbgrader {nbgrader.__version__}"
        )


def make_course(root: Path, students: int) -> list[str]:
    from autograder import notebooks
    from autograder.assignments import get

    assignment = get("hw1")
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "bench"\n')
    (root / "autograder.json").write_text(json.dumps({"seed": SEED}) + "\n")
    notebooks.write_course_source(assignment, root)
    run(["nbgrader", "generate_assignment", "hw1", "--force"], root)
    names = []
    for i in range(students):
        sample = ORDER[i % len(ORDER)]
        name = f"s{i:02d}_{sample}"
        folder = root / "submitted" / name / "hw1"
        folder.mkdir(parents=True)
        for p in assignment.problems:
            nb = notebooks.read(root / "release" / "hw1" / f"{p.module}.ipynb")
            text = (SAMPLES / sample / f"{p.module}.py").read_text()
            filled = notebooks.fill_from_module(nb, text, p.module)
            (folder / f"{p.module}.ipynb").write_text(json.dumps(filled, indent=1, ensure_ascii=False))
        names.append(name)
    return names


def run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def scores(root: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bench") as gb:
        for sub in gb.assignment_submissions("hw1"):
            for nb in sub.notebooks:
                out[(sub.student.id, nb.name)] = round(nb.score, 4)
    return out


def reset(root: Path) -> None:
    """Forget the previous grading: submissions in the gradebook, autograded/ and the canary markers."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bench") as gb:
        for sub in list(gb.assignment_submissions("hw1")):
            gb.remove_submission("hw1", sub.student.id)
    shutil.rmtree(root / "autograded", ignore_errors=True)
    shutil.rmtree(root / ".autograder", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--out", help="also write the report here")
    args = parser.parse_args()
    env_autograder = [sys.executable, "-m", "autograder"]
    lines = [header(), ""]
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        root = Path(tmp)
        names = make_course(root, args.students)
        n = len(names)
        lines.append(
            f"{n} submissions x 5 notebooks (samples: {', '.join(sorted({m[4:] for m in names}))}), seed {SEED}"
        )
        timings, loads = {}, {}
        results = {}
        for label, cmd in (
            (
                f"autograder grade --nbgrader-course --jobs {args.jobs}",
                [*env_autograder, "grade", "--nbgrader-course", ".", "--jobs", str(args.jobs)],
            ),
            (
                "autograder grade --nbgrader-course --jobs 1",
                [*env_autograder, "grade", "--nbgrader-course", ".", "--jobs", "1"],
            ),
            ("nbgrader autograde hw1", ["nbgrader", "autograde", "hw1", "--force"]),
        ):
            reset(root)
            timings[label] = run(cmd, root)
            loads[label] = os.getloadavg()[0]
            results[label] = scores(root)
            print(f"{label}: {timings[label]:.1f} s", file=sys.stderr)
    base = timings["nbgrader autograde hw1"]
    lines.append("")
    lines.append(f"{'command':<48} {'wall':>9} {'per submission':>15} {'vs nbgrader autograde':>22} {'load after':>11}")
    for label, seconds in timings.items():
        ratio = "1 (baseline)" if label.startswith("nbgrader") else f"{base / seconds:.1f}x faster"
        lines.append(f"{label:<48} {seconds:8.1f}s {seconds / n:14.2f}s {ratio:>22} {loads[label]:11.2f}")
    reference = results["nbgrader autograde hw1"]
    agree = all(r == reference for r in results.values())
    lines.append("")
    lines.append(
        f"gradebook scores agree notebook by notebook ({len(reference)} notebooks): {'yes' if agree else 'NO'}"
    )
    if not agree:
        for label, r in results.items():
            diff = {k: (v, reference.get(k)) for k, v in r.items() if reference.get(k) != v}
            lines.append(f"  {label}: {diff}")
    lines.append(
        "nbgrader autograde starts a kernel per notebook and, through the autograded cells, a grading process "
        "per problem; --nbgrader-course runs no kernel and grades each student's five modules in one sandbox."
    )
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report)


if __name__ == "__main__":
    main()
