"""Grading from a notebook's autograded cell, outside the notebook's kernel.

The test cell of a problem notebook (see :mod:`autograder.notebooks`) calls :func:`score`. It judges nothing
in the kernel: it starts a fresh ``python -I`` process (this module's ``main``) that rebuilds the student's
module from the *saved* notebook's solution cells and grades it with the sandboxed grader. The kernel gets
back a score and a summary, prints the summary and returns the score as a plain ``float`` (nbgrader's
partial credit for the cell). So monkeypatching NumPy in the notebook changes nothing the grader sees, and
warnings on stderr cost nothing (the student's code runs in the sandbox, whose output never reaches the cell).

Where it grades decides what runs:

- **On the instructors' side** (the notebook sits in an nbgrader course whose ``source/ASSIGNMENT/`` holds
  it, as under ``nbgrader autograde``, or ``AUTOGRADER_SOLUTIONS`` is set): every check of the problem,
  public and hidden, on inputs from the course's grading seed (``AUTOGRADER_SEED``, else the ``seed`` of the
  course's ``autograder.json``, created with a fresh secret seed on first use; the seed ``autograder grade
  --nbgrader-course`` uses), the reference first through the same sandbox (the canary, once per course,
  seed and problem). The reference is located once by :mod:`autograder.reference`, never in the current
  directory (a student's folder); without it the cell refuses, saying where it looked. The summary holds per
  check its id, title, points and, for public checks, the failed cases' labels and the hint: no judge
  message, so no hidden input, expected value or assert line reaches nbgrader's feedback.
- **Anywhere else** (a student's kernel, where the package is installed without any reference): the public
  checks only, against the public data beside the notebook (else the data installed with the package), with
  the feedback ``autograder check`` prints (expected and returned values, hints), and the summary says so.
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
PUBLIC_ONLY = "public checks only: the hidden checks run when your instructor grades"
PASSED_ENV = ("PATH", "HOME", "LANG", "AUTOGRADER_SEED", "AUTOGRADER_SOLUTIONS", "SYSTEMROOT")


class GradingFailed(RuntimeError):
    """The grader could not grade the cell (the cell gets 0; the instructor should look)."""


class MissingFile(FileNotFoundError):
    """No notebook or no public checks' data to grade (its message names a path only, so it may reach the cell)."""


def score(assignment: str, problem: str, notebook: str | os.PathLike | None = None) -> float:
    """The points of ``problem`` for the saved notebook (default ``./<module>.ipynb``): graded in a fresh
    process, the summary printed on stdout, the points returned as a ``float``."""
    root = str(Path(__file__).resolve().parent.parent)
    args = ["--assignment", assignment, "--problem", problem]
    if notebook is not None:
        args += ["--notebook", str(Path(notebook).resolve())]
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
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
        raise GradingFailed(f"{problem} could not be graded: {reply['error']}")
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


def declaration(name: str):
    """The assignment with its hidden checks (the package's declarations), for grading on the instructors' side."""
    from .assignments import get

    try:
        return get(name)
    except Exception as exc:  # the student bundle's engine has no declarations
        raise GradingFailed(f"no declaration of {name}'s checks in this installation of the grader") from exc


def instructor_side(folder: Path, name: str, notebook_name: str) -> tuple[bool, Path | None]:
    """(whether the hidden checks should run, the course directory): they run where the notebook is in an
    nbgrader course that holds its source (``nbgrader autograde``), or where ``AUTOGRADER_SOLUTIONS`` is set."""
    from .reference import ENV

    course = find_course(folder)
    source = course is not None and (course / "source" / name / notebook_name).is_file()
    return bool(source or os.environ.get(ENV, "").strip()), course


def public_data_folder(name: str, folder: Path) -> Path:
    """The public checks' data: beside the notebook (a release), else the copy installed with the package."""
    if (folder / "public_checks.json").is_file():
        return folder
    try:
        import assignments  # the released stubs and public data, installed as package data

        installed = Path(assignments.__file__).parent / name
    except ImportError:
        installed = None
    if installed is not None and (installed / "public_checks.json").is_file():
        return installed
    raise MissingFile(f"no public checks' data for {name} (public_checks.json beside the notebook in {folder})")


def _cell_points(assignment: str, problem: str, default: float) -> float:
    """The points of a problem's autograded cell (the problem's points), or ``default`` when unknown."""
    try:
        from .assignments import get

        return float(get(assignment).problem(problem).points)
    except Exception:  # an assignment this engine does not know: say only what was checked
        return default


def summary(result, problem: str, graded: bool) -> str:
    """The feedback of one problem. Graded (all checks): per check its status, points, id, title; for public
    checks the labels of the failed cases and the hint; no judge message (they hold inputs, expected and
    returned values). Public checks only: what ``autograder check`` prints, expected and returned values and
    hints included (the public data holds them anyway), under a line saying the hidden checks run elsewhere."""
    checks = [c for c in result.checks if c.problem == problem]
    got = sum(c.points for c in checks)
    total = sum(c.max_points for c in checks)
    if not graded:
        from .report import submission_table

        cell = _cell_points(result.assignment, problem, total)
        rest = f"; they carry the other {cell - total:g} of this cell's {cell:g} points" if cell > total else ""
        head = f"{problem}: public checks {got:g} / {total:g} points ({PUBLIC_ONLY}{rest})"
        return head + "\n\n" + submission_table(result, verbose=True)
    hidden = sum(not c.public for c in checks)
    lines = [f"{problem}: {got:g} / {total:g} points ({len(checks) - hidden} public and {hidden} hidden checks, "
             "run in a sandbox)"]  # fmt: skip
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
    """Grade one problem of a saved notebook: (points, summary); every check on the instructors' side
    (:func:`instructor_side`), the public checks only elsewhere."""
    from .reference import located, pinned, solutions_dir

    folder = notebook.parent
    graded, course = instructor_side(folder, name, notebook.name)
    if not graded:
        return _grade_public(name, problem, notebook)
    assignment = declaration(name)
    package = assignment.solutions_package
    # located once, never in the current directory: under nbgrader autograde it is the student's folder
    reference = solutions_dir(package, search_cwd=False) if located(package) else None
    with pinned(reference) if reference is not None else contextlib.nullcontext():
        return _grade_all(assignment, problem, notebook, course, seed)


def _grade_all(assignment, problem: str, notebook: Path, course: Path | None, seed: int | None) -> tuple[float, str]:
    from . import notebooks
    from .grading import ReferenceExpectations

    source_path = course / "source" / assignment.name / notebook.name if course else None
    if source_path is not None and source_path.is_file():
        source_nb = notebooks.read(source_path)
    else:
        from .release import solution_files

        prob = assignment.problem(problem)
        src = solution_files(assignment)[f"{prob.module}.py"].read_text(encoding="utf-8")
        source_nb = notebooks.problem_notebook(assignment, prob, src)
    seed = resolve_seed(course, seed)
    expectations = ReferenceExpectations(assignment, seed)
    canary_once(course, assignment, expectations, problem)
    student_nb = notebooks.read(notebook) if notebook.is_file() else None
    result = _grade_cells(assignment, problem, notebook, student_nb, source_nb, expectations, seed)
    return result.score, summary(result, problem, True)


def _grade_public(name: str, problem: str, notebook: Path) -> tuple[float, str]:
    from . import notebooks
    from .public_data import PublicExpectations

    expectations = PublicExpectations(public_data_folder(name, notebook.parent))
    if not notebook.is_file():  # no source notebook on a student's machine: the notebook's own cells
        raise MissingFile(f"no notebook {notebook.name} in {notebook.parent}")
    student_nb = notebooks.read(notebook)
    result = _grade_cells(expectations.assignment(), problem, notebook, student_nb, student_nb, expectations, None)
    return result.score, summary(result, problem, False)


def _grade_cells(assignment, problem: str, notebook: Path, student_nb, source_nb, expectations, seed):
    """The student's module rebuilt from the notebook's cells, graded on ``problem``'s checks."""
    from . import notebooks
    from .grading import grade_files

    module = assignment.problem(problem).module
    text, notes = notebooks.module_source(student_nb, source_nb, module)
    with tempfile.TemporaryDirectory(prefix="autograder-nb-") as work:
        path = Path(work) / f"{module}.py"
        path.write_text(text, encoding="utf-8")
        result = grade_files(
            {path.name: path}, assignment, expectations, name=notebook.name, problems=[problem], seed=seed
        )
    result.notes = notes + result.notes
    if student_nb is None:
        result.notes.append(f"missing file {notebook.name}: its problem scores 0")
    return result


def module_of(name: str, problem: str, folder: Path) -> str:
    """The module (notebook) name of ``problem``: from the declaration, else (an engine without declarations,
    as in the student bundle) from the public data."""
    from .public_data import PublicExpectations

    try:
        return declaration(name).problem(problem).module
    except GradingFailed:
        return PublicExpectations(public_data_folder(name, folder)).assignment().problem(problem).module


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.notebook_grading")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--problem", required=True)
    parser.add_argument("--notebook", help="the saved notebook (default: ./<module>.ipynb in --cwd)")
    parser.add_argument("--cwd", default=".")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    out = sys.stdout
    from .reference import ReferenceNotFound

    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cwd = Path(args.cwd)
            notebook = (
                Path(args.notebook) if args.notebook else cwd / f"{module_of(args.assignment, args.problem, cwd)}.ipynb"
            )
            points, text = grade_notebook(args.assignment, args.problem, notebook, args.seed)
        reply = {"score": points, "summary": text}
    except (ReferenceNotFound, MissingFile, GradingFailed) as exc:  # messages naming paths only
        reply = {"error": str(exc)}
    except Exception as exc:  # the cell must show a short message, never a traceback with grading data
        reply = {"error": f"{type(exc).__name__} (the instructor will look into it)"}
    out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
