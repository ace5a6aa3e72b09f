"""``autograder grade --nbgrader-course DIR``: grade an nbgrader course's ``submitted/`` tree with the sandbox
and record the scores in nbgrader's own gradebook, in place of ``nbgrader autograde``.

No notebook is executed and no kernel is started: each student's module is rebuilt from the solution cells
of their saved notebooks (every other cell from ``source/``, so editing a locked cell changes nothing), the
class is graded in parallel by :func:`autograder.batch.grade_many` (the canary first, every submission in
the sandbox, on the course's seed, the one the notebooks' own test cells use under ``nbgrader autograde``),
and each problem's points become the ``auto_score`` of its notebook's autograded cell through
``nbgrader.api.Gradebook``, so ``nbgrader export``, the formgrader and ``nbgrader generate_feedback`` see
them. The notebooks are also written to ``autograded/`` with the test cells' outputs filled in as
``nbgrader autograde`` would have left them (the same summary, with no hidden input or expected value),
and each student's full result (every message) to ``.autograder/results/ASSIGNMENT/STUDENT.json`` for the
instructor.

Nothing a student hands in stops the class: a notebook that is a symbolic link (or sits in a linked folder),
is not a regular file, is larger than 20 MB, is not UTF-8 JSON, is nested too deeply or has cells of the
wrong shape (:mod:`autograder.untrusted`) scores 0 for its problem with a note saying why, and every other
student is graded and recorded.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path

from . import notebooks
from .assignments import get
from .batch import grade_many, result_json, summarize, write_atomic
from .checks import Assignment
from .grading import SubmissionResult
from .notebook_grading import resolve_seed, summary
from .release import solution_files
from .untrusted import Refused, read_notebook, read_small_text


class CourseError(RuntimeError):
    """The course directory is not ready (no nbgrader, no gradebook entry for the assignment, …)."""


def course_id(course: Path) -> str:
    """``CourseDirectory.course_id`` from the course's ``nbgrader_config.py``, else nbgrader's default."""
    try:
        text = (course / "nbgrader_config.py").read_text()
    except OSError:
        return "default_course"
    m = re.search(r"""CourseDirectory\.course_id\s*=\s*['"]([^'"]+)['"]""", text)
    return m.group(1) if m else "default_course"


def source_notebooks(assignment: Assignment, course: Path) -> dict[str, dict]:
    """The course's source notebooks by module (generated from the solutions where one is missing)."""
    files = solution_files(assignment)
    out = {}
    for p in assignment.problems:
        path = course / "source" / assignment.name / f"{p.module}.ipynb"
        if path.is_file():
            out[p.module] = notebooks.read(path)
        else:
            out[p.module] = notebooks.problem_notebook(assignment, p, files[f"{p.module}.py"].read_text("utf-8"))
    return out


def students(course: Path, assignment: str) -> list[str]:
    """Every ``submitted/STUDENT`` with an ``ASSIGNMENT`` folder, and every one that is (or holds) a symbolic
    link there: those are listed too, so that their refusal is recorded instead of their being left out."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(
        d.name
        for d in root.iterdir()
        if not d.name.startswith(".") and (d.is_symlink() or (d / assignment).is_symlink() or (d / assignment).is_dir())
    )


def _linked_folder(course: Path, student: str, assignment: str) -> str | None:
    """A note when the student's folder, or its assignment folder, is a symbolic link (nothing in it is read)."""
    for folder in (course / "submitted" / student, course / "submitted" / student / assignment):
        if folder.is_symlink():
            return f"{folder.relative_to(course)} is a symbolic link: refused, nothing in it is graded"
    return None


def _read_notebook(path: Path) -> tuple[dict | None, str | None]:
    """The notebook at ``path`` (None and no note when there is none), or None and a note saying why not."""
    if not os.path.lexists(path):
        return None, None
    try:
        return read_notebook(path), None
    except Refused as exc:
        return None, f"{path.name} was not graded: {exc}; its problem scores 0"


def _module_text(nb: dict, source: dict, module: str) -> tuple[str | None, list[str]]:
    """The student's module from a checked notebook, or None and a note (a grader bug must not stop the class)."""
    try:
        return notebooks.module_source(nb, source, module)
    except Exception as exc:
        return None, [f"{module}.ipynb could not be turned into a module ({type(exc).__name__}); its problem scores 0"]


def grade_course(
    course: Path,
    assignment_name: str,
    seed: int | None = None,
    jobs: int = 1,
    only: list[str] | None = None,
    run_canary: bool = True,
    progress: Callable[[int, int, SubmissionResult], None] | None = None,
    require: list[str] | tuple[str, ...] = (),
) -> list[SubmissionResult]:
    """Grade every ``submitted/STUDENT/ASSIGNMENT`` (or the students in ``only``) and record the scores;
    ``require``: isolation layers without which nothing is graded (:func:`autograder.batch.grade_many`)."""
    try:
        from nbgrader.api import Gradebook, MissingEntry
    except ImportError as exc:
        raise CourseError("nbgrader is not installed (pip install nbgrader)") from exc
    course = Path(course).resolve()
    assignment = get(assignment_name)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db_url, course_id(course)) as gb:
        try:
            gb.find_assignment(assignment_name)
        except MissingEntry as exc:
            raise CourseError(
                f"{assignment_name} is not in {course / 'gradebook.db'}: run `nbgrader generate_assignment "
                f"{assignment_name}` in {course} first"
            ) from exc
    seed = resolve_seed(course, seed)
    sources = source_notebooks(assignment, course)
    names = [s for s in students(course, assignment_name) if only is None or s in only]
    submitted: dict[str, dict[str, dict | None]] = {}
    notes: dict[str, list[str]] = {}
    results: dict[str, SubmissionResult] = {}
    with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as work:
        paths = []
        for student in names:
            folder = Path(work) / student
            folder.mkdir()
            submitted[student], notes[student] = {}, []
            linked = _linked_folder(course, student, assignment_name)
            if linked:
                notes[student].append(linked)
            for p in [] if linked else assignment.problems:
                nb, problem = _read_notebook(course / "submitted" / student / assignment_name / f"{p.module}.ipynb")
                if problem:
                    notes[student].append(problem)
                if nb is None:
                    continue
                text, cell_notes = _module_text(nb, sources[p.module], p.module)
                notes[student] += cell_notes
                if text is None:
                    continue
                submitted[student][p.module] = nb
                (folder / f"{p.module}.py").write_text(text, encoding="utf-8")
            if any(folder.iterdir()):
                paths.append(folder)
            else:
                results[student] = _nothing(student, assignment, seed, "no notebook of the assignment was graded")
        if paths:
            graded = grade_many(paths, assignment_name, seed=seed, jobs=jobs, run_canary=run_canary, require=require)
            for result in graded:
                results[result.submission] = result
                if progress:
                    progress(len(results), len(names), result)
    for student, result in results.items():
        result.notes = notes.get(student, []) + result.notes
        write_atomic(
            course / ".autograder" / "results" / assignment_name / f"{student}.json",
            result_json(result),
        )
    record(course, assignment, results, db_url)
    for student, result in results.items():
        try:
            write_autograded(course, assignment, student, result, sources, submitted.get(student, {}))
        except Exception as exc:  # the scores are recorded; only this student's feedback copy is missing
            print(
                f"warning: autograded/{student}/{assignment_name} not written ({type(exc).__name__}: {exc})",
                file=sys.stderr,
            )
    return [results[s] for s in sorted(results)]


def _nothing(student: str, assignment: Assignment, seed: int, why: str) -> SubmissionResult:
    result = summarize(student, assignment, [], seed, [why], "", 0.0)
    result.max_score = sum(p.points for p in assignment.problems)
    return result


def problem_points(result: SubmissionResult, problem: str) -> float:
    return float(sum(c.points for c in result.checks if c.problem == problem))


def record(course: Path, assignment: Assignment, results: dict[str, SubmissionResult], db_url: str) -> None:
    """Each problem's points as the ``auto_score`` of its notebook's autograded cell, through nbgrader's API."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    with Gradebook(db_url, course_id(course)) as gb:
        for student, result in results.items():
            gb.update_or_create_student(student)
            kwargs = {}
            text = _timestamp(course, student, assignment.name)
            try:
                if text and text.strip():
                    kwargs["timestamp"] = parse_utc(text.strip())
            except Exception:  # whatever the student wrote there: no timestamp
                pass
            gb.update_or_create_submission(assignment.name, student, **kwargs)
            for p in assignment.problems:
                grade = gb.find_grade(notebooks.test_cell_id(p), p.module, assignment.name, student)
                grade.auto_score = problem_points(result, p.key)
                grade.needs_manual_grade = False
            gb.db.commit()


def _timestamp(course: Path, student: str, assignment: str) -> str | None:
    """The submission's ``timestamp.txt`` (written by nbgrader, but in the student's folder: read with care)."""
    if _linked_folder(course, student, assignment):
        return None
    return read_small_text(course / "submitted" / student / assignment / "timestamp.txt")


def write_autograded(
    course: Path,
    assignment: Assignment,
    student: str,
    result: SubmissionResult,
    sources: dict[str, dict],
    submitted: dict[str, dict | None],
) -> None:
    """``autograded/STUDENT/ASSIGNMENT/*.ipynb`` as ``nbgrader autograde`` leaves them, without running them:
    the student's notebook, outputs cleared, locked cells restored from ``source/``, and each autograded
    cell's output set to the summary and the points (for ``nbgrader generate_feedback``)."""
    folder = course / "autograded" / student / assignment.name
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _timestamp(course, student, assignment.name)
    if stamp is not None:
        write_atomic(folder / "timestamp.txt", stamp)
    for p in assignment.problems:
        nb = submitted.get(p.module)
        if nb is None:
            continue
        nb = deepcopy(nb)
        locked = {}
        for cell in sources[p.module]["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade_id") and (meta.get("locked") or meta.get("grade")) and not meta.get("solution"):
                locked[meta["grade_id"]] = cell
        test_id = notebooks.test_cell_id(p)
        points = problem_points(result, p.key)
        present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb["cells"]}
        if test_id not in present and test_id in locked:  # a deleted autograded cell comes back
            nb["cells"].append(deepcopy(locked[test_id]))
        for i, cell in enumerate(nb["cells"]):
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in locked:
                nb["cells"][i] = cell = deepcopy(locked[gid])
            if gid == test_id:
                cell["outputs"] = [
                    {"name": "stdout", "output_type": "stream", "text": summary(result, p.key, True) + "\n"},
                    {
                        "data": {"text/plain": f"{points:g}"},
                        "execution_count": None,
                        "metadata": {},
                        "output_type": "execute_result",
                    },
                ]
        write_atomic(folder / f"{p.module}.ipynb", json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _quiet_gradebook_warnings() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn about its own session handling (``SAWarning``) several
    times a run; they say nothing about the grading, so they are not shown."""
    import warnings

    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:
        return
    warnings.filterwarnings("ignore", category=SAWarning)


def cli_grade(args) -> int:
    """``autograder grade --nbgrader-course DIR [STUDENT ...]``."""
    from . import report
    from .assignments import names
    from .batch import progress_bar
    from .cli import one_of
    from .grading import InternalError
    from .sandbox.isolation import SandboxUnavailable

    _quiet_gradebook_warnings()
    course = Path(args.nbgrader_course)
    if not args.assignment:  # the one assignment of the course's source/ that the grader knows
        sources = [p.name for p in (course / "source").glob("*") if p.is_dir() and p.name in names()]
        args.assignment = one_of(sources, f"in {course / 'source'}")
    try:
        results = grade_course(
            course,
            args.assignment,
            seed=args.seed,
            jobs=args.jobs,
            only=args.submissions or None,
            run_canary=not args.no_canary,
            progress=progress_bar,
            require=getattr(args, "require", None) or (),
        )
    except (InternalError, CourseError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([r.to_json() for r in results], indent=1, ensure_ascii=False))
    else:
        print(report.class_table(results, [p.key for p in get(args.assignment).problems]))
    print(f"\nscores of {len(results)} submissions recorded in {course / 'gradebook.db'}", file=sys.stderr)
    return 0
