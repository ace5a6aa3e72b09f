"""Grading from a notebook's autograded cell, outside the notebook's kernel.

The test cell of a problem notebook (see :mod:`autograder.notebooks`) calls :func:`score`. It judges nothing
in the kernel: it starts a fresh ``python -I`` process (this module's ``main``) that rebuilds the student's
module from the *saved* notebook's solution cells and grades it with the sandboxed grader. The kernel gets
back a score and a summary, prints the summary and returns the score as a plain ``float`` (nbgrader's
partial credit for the cell). So monkeypatching NumPy in the notebook changes nothing the grader sees,
warnings on stderr cost nothing (the student's code runs in the sandbox, whose output never reaches the
cell), and the summary holds per check only its id, title, points, and (public checks only) the labels of
the failed cases and the hint: no hidden input, expected value or assert line reaches nbgrader's feedback.

Where the full declaration and the reference solutions are importable (the instructor's machine, e.g.
under ``nbgrader autograde``), every check of the problem runs, public and hidden, on inputs from the
course's grading seed: ``AUTOGRADER_SEED``, else the ``seed`` of ``autograder.json`` in the nbgrader course
directory (found above the notebook's folder; created with a fresh secret seed on first use), the same seed
``autograder grade --nbgrader-course`` uses. The reference for the problem runs first through the same
sandbox (the canary; once per course, seed and problem). Elsewhere (a student's machine) only the public
checks run, against the public data beside the notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

SEED_FILE = "autograder.json"
TIMEOUT = 600


class GradingFailed(RuntimeError):
    """The grader could not grade the cell (the cell gets 0; the instructor should look)."""


def score(assignment: str, problem: str, notebook: str | os.PathLike | None = None) -> float:
    """The points of ``problem`` for the saved notebook (default ``./<module>.ipynb``): graded in a fresh
    process, the summary printed on stdout, the points returned as a ``float``."""
    root = str(Path(__file__).resolve().parent.parent)
    args = ["--assignment", assignment, "--problem", problem]
    if notebook is not None:
        args += ["--notebook", str(Path(notebook).resolve())]
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "AUTOGRADER_SEED", "SYSTEMROOT") if k in os.environ}
    code = f"import sys; sys.path.insert(0, {root!r}); from autograder.notebook_grading import main; main()"
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", code, "--cwd", os.getcwd(), *args],
                cwd=tempfile.gettempdir(),
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            reply = json.loads(done.stdout.strip().splitlines()[-1])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            reply = {"error": "the grader did not answer"}
    if reply.get("error"):
        raise GradingFailed(f"{problem} could not be graded: {reply['error']} (the instructor will look into it)")
    print(reply["summary"])
    return float(reply["score"])


# -- the grading process -------------------------------------------------------------------------------


def find_course(folder: Path) -> Path | None:
    """The nbgrader course directory above ``folder`` (which is a student's, so it is not looked at)."""
    for parent in folder.resolve().parents:
        if (parent / "nbgrader_config.py").is_file() or (parent / SEED_FILE).is_file():
            return parent
    return None


def course_seed(course: Path, seed: int | None = None) -> int:
    """The course's grading seed: ``seed`` when given (then stored), else ``autograder.json``'s, else a
    fresh secret one, stored (created exclusively, so concurrent graders agree)."""
    from .batch import settle_seed_file

    return settle_seed_file(course / SEED_FILE, {}, seed)


def resolve_seed(course: Path | None, seed: int | None = None) -> int:
    """``seed``, else ``AUTOGRADER_SEED``, stored as the course's; else the course's; else a fresh one."""
    env_seed = os.environ.get("AUTOGRADER_SEED", "").strip()
    if seed is None and env_seed:
        seed = int(env_seed)
    if course is not None:
        return course_seed(course, seed)
    from .batch import new_seed

    return new_seed() if seed is None else seed


def full_declaration(name: str):
    """The assignment with hidden checks and its reference, or None where they are not installed."""
    try:
        import importlib

        from .assignments import get

        assignment = get(name)
        importlib.import_module(assignment.solutions_package)
        return assignment
    except Exception:
        return None


def summary(result, problem: str, graded: bool) -> str:
    """The feedback of one problem: per check its status, points, id, title; for public checks the labels
    of the failed cases and the hint. No judge message (they hold inputs, expected and returned values)."""
    checks = [c for c in result.checks if c.problem == problem]
    got = sum(c.points for c in checks)
    total = sum(c.max_points for c in checks)
    hidden = sum(not c.public for c in checks)
    how = f"{len(checks) - hidden} public and {hidden} hidden checks" if graded else f"{len(checks)} public checks"
    lines = [f"{problem}: {got:g} / {total:g} points ({how}, run in a sandbox)"]
    for c in checks:
        status = "ok  " if c.passed else "FAIL"
        lines.append(f"  {status} {c.points:g}/{c.max_points:g}  {c.id}{'' if c.public else ' (hidden)'}: {c.title}")
        if not c.passed and c.public:
            failed = [k.label for k in c.cases if not k.passed]
            lines.append(f"       failed on: {'; '.join(failed)}")
        if not c.passed and c.hint:
            lines.append(f"       hint: {c.hint}")
    for note in result.notes:
        if note.startswith(("missing file", "cell ")):
            lines.append(f"  note: {note}")
    if not graded:
        lines.append("  (public checks only: grading adds hidden checks and fresh inputs)")
    return "\n".join(lines)


def canary_once(course: Path | None, assignment, expectations, problem: str) -> None:
    """The reference of ``problem`` through the sandbox, once per course, seed and problem."""
    from .batch import canary

    marker = None
    if course is not None:
        marker = course / ".autograder" / f"canary-{assignment.name}-{problem}-{expectations.seed}"
        if marker.is_file():
            return
    canary(assignment, expectations, problems=[problem])  # raises InternalError unless full marks
    if marker is not None:
        try:
            marker.parent.mkdir(exist_ok=True)
            marker.write_text("ok\n")
        except OSError:  # a read-only course: the canary runs again next time
            pass


def grade_notebook(name: str, problem: str, notebook: Path, seed: int | None = None) -> tuple[float, str]:
    """Grade one problem of a saved notebook: (points, summary)."""
    from . import notebooks
    from .grading import ReferenceExpectations, grade_files
    from .public_data import PublicExpectations

    assignment = full_declaration(name)
    graded = assignment is not None
    folder = notebook.parent
    student_nb = notebooks.read(notebook) if notebook.is_file() else None
    if assignment is not None:
        course = find_course(folder)
        source_path = course / "source" / name / notebook.name if course else None
        if source_path is not None and source_path.is_file():
            source_nb = notebooks.read(source_path)
        else:
            prob = assignment.problem(problem)
            from .release import solution_files

            src = solution_files(assignment)[f"{prob.module}.py"].read_text(encoding="utf-8")
            source_nb = notebooks.problem_notebook(assignment, prob, src)
        seed = resolve_seed(course, seed)
        expectations = ReferenceExpectations(assignment, seed)
        canary_once(course, assignment, expectations, problem)
    else:
        expectations = PublicExpectations(folder)
        assignment = expectations.assignment()
        source_nb = student_nb  # no source notebook on a student's machine: the notebook's own cells
        if source_nb is None:
            raise FileNotFoundError(f"no notebook {notebook.name}")
    module = assignment.problem(problem).module
    text, notes = notebooks.module_source(student_nb, source_nb, module)
    with tempfile.TemporaryDirectory(prefix="autograder-nb-") as work:
        path = Path(work) / f"{module}.py"
        path.write_text(text, encoding="utf-8")
        result = grade_files({path.name: path}, assignment, expectations, problems=[problem], seed=seed)
    result.notes = notes + result.notes
    if student_nb is None:
        result.notes.append(f"missing file {notebook.name}: its problem scores 0")
    return result.score, summary(result, problem, graded)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.notebook_grading")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--problem", required=True)
    parser.add_argument("--notebook", help="the saved notebook (default: ./<module>.ipynb in --cwd)")
    parser.add_argument("--cwd", default=".")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = Path(args.notebook) if args.notebook else None
            if notebook is None:
                assignment = full_declaration(args.assignment)
                if assignment is None:
                    from .public_data import PublicExpectations

                    assignment = PublicExpectations(Path(args.cwd)).assignment()
                notebook = Path(args.cwd) / f"{assignment.problem(args.problem).module}.ipynb"
            points, text = grade_notebook(args.assignment, args.problem, notebook, args.seed)
        reply = {"score": points, "summary": text}
    except Exception as exc:  # the cell must show a short message, never a traceback with grading data
        reply = {"error": type(exc).__name__}
    out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
