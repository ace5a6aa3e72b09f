"""Fixed costs of a grading run (issue #14, items 2a and 3), before and after, measured in one run.

    python benchmarks/fixed_costs.py [--revert C1,C2,...] [--baseline REV] [--repeat 3] [--class-size 50]
                                     [--out benchmarks/results/fixed_costs.txt]

Two trees are graded with, each a clean copy (``git archive``) of a commit: "after" is HEAD, "before" is HEAD
with the ``--revert`` commits' changes to ``autograder/`` undone (``git apply -R`` of each: the commits that
made the change, so that nothing else differs), or the commit ``--baseline``. Every figure is measured for
both trees in the same run, the trees alternating within each of ``--repeat`` rounds, and printed as the
median and the spread (min-max) over the rounds:

- the sandbox child's own CPU time (``resource.getrusage`` read by the child itself at the end of each of its
  sandboxes) while a warm grader grades hw1's p2 (SymPy answers) and the whole of hw1, per submission;
- a class of ``--class-size`` submissions (``examples/submissions/hw1/*`` copied over and over into a temporary
  folder) graded with ``autograder grade DIR --jobs N --out OUT`` at ``--jobs 1`` and ``--jobs 2``: wall time and
  the CPU time of the whole process tree (the grader, its workers, zygotes and sandbox children);
- the fixed cost: a class of 1 against a class of 0 (the same folder graded again: everything is finished, so
  only the start-up, the references and the canary run), and the intercept of wall time against class size
  (classes of 10 and ``--class-size``) at ``--jobs 1`` and ``--jobs 2``;
- a cold ``autograder grade ONE`` as a ratio of ``python -c "import numpy, sympy"`` measured in the same round.
"""

from __future__ import annotations

import argparse
import json
import os
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

PROBE = """
import os
import resource


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open("_cpu_seconds.txt", "w") as f:
        f.write(repr(usage.ru_utime + usage.ru_stime))
"""


# -- the trees ----------------------------------------------------------------------------------------------


def tree_at(rev: str, revert: list[str]) -> Path:
    """A clean copy of ``rev`` with ``revert``'s changes to the package (``autograder/``) undone, newest first."""
    dest = Path(tempfile.mkdtemp(prefix="fixed-costs-tree-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for commit in reversed(revert):
        patch = subprocess.run(
            ["git", "-C", str(REPO), "show", "--format=", "--binary", commit, "--", "autograder"],
            check=True,
            capture_output=True,
        ).stdout
        if patch.strip():
            subprocess.run(["git", "apply", "-R", "-"], cwd=dest, input=patch, check=True)
    return dest


def in_tree(tree: Path, args: list[str], **kw) -> tuple[float, float]:
    """Run ``python ARGS`` with ``tree`` first on the path; (wall seconds, CPU seconds of its whole tree)."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=tree, env=env, check=True, **kw)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def grade(tree: Path, target: Path, *extra: str) -> tuple[float, float]:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return in_tree(tree, ["-m", "autograder", "grade", str(target), *extra], **quiet)


def make_class(root: Path, size: int) -> Path:
    """``size`` submissions: the hw1 samples, copied over and over."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
    klass = root / f"class{size}"
    klass.mkdir()
    for i in range(size):
        shutil.copytree(samples[i % len(samples)], klass / f"s{i:03d}_{samples[i % len(samples)].name}")
    return klass


# -- the child's own CPU time (run inside a tree: --child-cpu) -----------------------------------------------


def child_cpu(problems: list[str] | None, runs: int) -> list[float]:
    """The sandbox children's own CPU seconds per grading of ONE (on ``problems``), after one warm-up grading."""
    from autograder import assignments, grading
    from autograder.grading import ReferenceExpectations, grade_files
    from autograder.submission import load

    folder = Path(tempfile.mkdtemp(prefix="fixed-costs-probe-"))
    (folder / "_cpu_probe.py").write_text(PROBE)
    spent: list[float] = []
    base = grading.Sandbox

    class Probed(base):
        def __init__(self, files, *args, **kw):
            super().__init__({**files, "_cpu_probe.py": folder / "_cpu_probe.py"}, *args, **kw)

        def close(self) -> None:
            if self.proc is not None:
                step = {"name": "r", "fn": "cpu", "args": [], "kwargs": {}}
                self.run({"module": "_cpu_probe", "inputs": {}, "steps": [step], "returns": []}, 5.0)
                try:
                    spent.append(float((self.folder / "_cpu_seconds.txt").read_text()))
                except (OSError, ValueError):
                    pass
            super().close()

    grading.Sandbox = Probed
    hw1 = assignments.get("hw1")
    expectations = ReferenceExpectations(hw1, 7)
    files = load(ONE).files
    per_grading = []
    for i in range(runs + 1):
        spent.clear()
        grade_files(files, hw1, expectations, problems=problems, seed=7)
        if i:
            per_grading.append(sum(spent))
    return per_grading


# -- the run --------------------------------------------------------------------------------------------------


def measure(trees: dict[str, Path], repeat: int, size: int) -> dict[str, dict[str, list[float]]]:
    got: dict[str, dict[str, list[float]]] = {name: {} for name in [*trees, "import numpy, sympy"]}

    def note(tree: str, what: str, value: float) -> None:
        got[tree].setdefault(what, []).append(value)

    work = Path(tempfile.mkdtemp(prefix="fixed-costs-"))
    classes = {n: make_class(work, n) for n in (1, 10, size)}
    for r in range(repeat):
        note("import numpy, sympy", "wall", in_tree(REPO, ["-c", "import numpy, sympy"])[0])
        for name, tree in trees.items():
            for problems, label in ((["p2"], "child cpu p2"), (None, "child cpu hw1")):
                args = [str(Path(__file__).resolve()), "--child-cpu", json.dumps(problems)]
                out = subprocess.run(
                    [sys.executable, *args],
                    cwd=tree,
                    env=dict(os.environ, PYTHONPATH=str(tree)),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                note(name, label, statistics.median(json.loads(out.strip().splitlines()[-1])))
            wall, cpu = grade(tree, ONE)
            note(name, "cold grade ONE", wall)
            note(name, "cold grade ONE cpu", cpu)
            for jobs in (1, 2):
                for n in (10, size):
                    target = work / f"out-{name}-{r}-{jobs}-{n}"
                    wall, cpu = grade(tree, classes[n], "--jobs", str(jobs), "--out", str(target))
                    note(name, f"class of {n}, --jobs {jobs}", wall)
                    note(name, f"class of {n}, --jobs {jobs} cpu", cpu)
            target = work / f"out-{name}-{r}-one"
            for n in (1, 0):  # the second time, all finished
                wall, cpu = grade(tree, classes[1], "--out", str(target))
                note(name, f"class of {n}", wall)
                note(name, f"class of {n} cpu", cpu)
            print(f"  round {r + 1}/{repeat}: {name} done", file=sys.stderr, flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return got


def report(got: dict[str, dict[str, list[float]]], trees: dict[str, Path], size: int, described: str) -> None:
    base = got["import numpy, sympy"]["wall"]
    print(header("Fixed costs of a grading run (issue #14, items 2a and 3)", ("numpy", "sympy")))
    print(described)
    print(f"median [min–max] over {len(base)} rounds; `python -c 'import numpy, sympy'`: {spread(base)}\n")
    for name in trees:
        g = got[name]
        print(f"[{name}]")
        print(f"  child CPU, hw1 p2 per submission   {spread(g['child cpu p2'], 1e3, 'ms')}")
        print(f"  child CPU, all of hw1 per sub.      {spread(g['child cpu hw1'], 1e3, 'ms')}")
        ratio = [c / b for c, b in zip(g["cold grade ONE"], base, strict=True)]
        print(f"  cold `autograder grade ONE`         {spread(g['cold grade ONE'])} = {spread(ratio, 1.0, 'x')} import")
        print(f"    CPU of the tree                   {spread(g['cold grade ONE cpu'])}")
        for jobs in (1, 2):
            walls, small = g[f"class of {size}, --jobs {jobs}"], g[f"class of 10, --jobs {jobs}"]
            cpu = g[f"class of {size}, --jobs {jobs} cpu"]
            fixed = [(10 * w - size * s) / (10 - size) for w, s in zip(walls, small, strict=True)]
            print(f"  class of {size}, --jobs {jobs}            {spread(walls)}; CPU of the tree {spread(cpu)}")
            print(f"    fixed cost (intercept, 10 -> {size})  {spread(fixed)}")
        print(f"  class of 1 (--out)                  {spread(g['class of 1'])}; CPU {spread(g['class of 1 cpu'])}")
        print(f"  class of 0 (all finished)           {spread(g['class of 0'])}; CPU {spread(g['class of 0 cpu'])}")
        print()
    if len(trees) == 2:
        before, after = (got[n] for n in trees)
        print("after / before (ratio of medians):")
        for what in before:
            m = statistics.median(after[what]) / statistics.median(before[what])
            print(f"  {what:38s} {m:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--revert", default="", help="commits of HEAD undone for the 'before' tree (comma-separated)")
    parser.add_argument("--baseline", help="the 'before' tree is this commit instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--out", help="also write the output here (the committed result)")
    parser.add_argument("--child-cpu", help=argparse.SUPPRESS)  # inside a tree: the child's CPU, as JSON
    args = parser.parse_args()
    if args.child_cpu is not None:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(child_cpu(json.loads(args.child_cpu), 4)))
        return 0
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    revert = [c for c in args.revert.split(",") if c]
    trees = {"after": tree_at("HEAD", [])}
    if args.baseline:
        trees = {"before": tree_at(args.baseline, []), **trees}
        described = f"before: {args.baseline}; after: HEAD {head.stdout.strip()}"
    elif revert:
        trees = {"before": tree_at("HEAD", revert), **trees}
        described = f"before: HEAD {head.stdout.strip()} without {', '.join(revert)}; after: HEAD {head.stdout.strip()}"
    else:
        described = f"HEAD {head.stdout.strip()} only"
    try:
        got = measure(trees, args.repeat, args.class_size)
        return run_teed(lambda: report(got, trees, args.class_size, described), args.out)
    finally:
        for tree in trees.values():
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
