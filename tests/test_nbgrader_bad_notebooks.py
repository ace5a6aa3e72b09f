"""One bad notebook never stops a class: ``autograder grade --nbgrader-course`` on a class where every student
but one hands in a broken, hostile or linked p4 notebook (the shapes that used to crash the command with a
traceback, a link to the source notebook that used to be followed and graded 20/20, a FIFO that would block
a reader, a 50 MB file). The correct student gets full points in nbgrader's gradebook; each other student
gets 0 for p4 with a note saying why, and their other notebooks are still graded; the command exits 0.

No kernel runs (the command starts none), so this needs nbgrader but not Jupyter's kernels.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[test]')")

from autograder import notebooks  # noqa: E402
from autograder.assignments import get  # noqa: E402
from autograder.cli import main  # noqa: E402

ASSIGNMENT = get("hw1")
POINTS = {p.module: p.points for p in ASSIGNMENT.problems}
BROKEN = "p4_conv_backprop"
SEED = 20261125


def _source_with_int_source(course: Path) -> str:
    nb = notebooks.read(course / "source" / "hw1" / f"{BROKEN}.ipynb")
    cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    cell["source"] = [1, 2]
    return json.dumps(nb)


#: student: (how their p4 notebook is made, the note it must get)
BAD = {
    "cells_int": (lambda course, path: path.write_text('{"cells": [1]}'), "cell 1 is not a cell"),
    "top_list": (lambda course, path: path.write_text("[]"), "not a notebook"),
    "nested": (lambda course, path: path.write_text("[" * 100_000 + "]" * 100_000), "nested more than"),
    "int_source": (lambda course, path: path.write_text(_source_with_int_source(course)), "source is not text"),
    "not_utf8": (lambda course, path: path.write_bytes(b'{"cells": [], "x": "\xff\xfe"}'), "not UTF-8"),
    "linked": (
        lambda course, path: path.symlink_to(os.path.relpath(course / "source" / "hw1" / path.name, path.parent)),
        "symbolic link",
    ),
    "fifo": (lambda course, path: os.mkfifo(path), "not a regular file"),
    "huge": (lambda course, path: _sparse(path, 50 * 1024**2), "larger than"),
}


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.write(b'{"cells": [], "pad": "')
        f.seek(size - 2)
        f.write(b'"}')


def _api(course: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "nnopt"
    return NbGraderAPI(config=config)


def gradebook_scores(course: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "nnopt") as gb:
        return {sub.student.id: {nb.name: nb.score for nb in sub.notebooks} for sub in gb.assignment_submissions("hw1")}


@pytest.fixture(scope="module")
def course(tmp_path_factory, one_alembic_heads) -> Path:
    root = tmp_path_factory.mktemp("badcourse")
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "nnopt"\n')
    (root / "autograder.json").write_text(json.dumps({"seed": SEED}) + "\n")
    notebooks.write_course_source(ASSIGNMENT, root)
    reply = _api(root).generate_assignment("hw1")
    assert reply["success"], reply.get("error") or reply.get("log")
    source = root / "source" / "hw1"

    def hand_in(student: str) -> Path:
        folder = root / "submitted" / student / "hw1"
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC\n")
        return folder

    good = hand_in("good")
    for p in ASSIGNMENT.problems:
        (good / f"{p.module}.ipynb").write_bytes((source / f"{p.module}.ipynb").read_bytes())
    for student, (make, _) in BAD.items():
        folder = hand_in(student)
        make(root, folder / f"{BROKEN}.ipynb")
    # the linked student's p1 is correct: it is still graded beside the refused p4
    (root / "submitted" / "linked" / "hw1" / "p1_bp_relu.ipynb").write_bytes((source / "p1_bp_relu.ipynb").read_bytes())
    # a whole assignment folder that is a link to another student's (as unzip can recreate it)
    (root / "submitted" / "linked_folder").mkdir()
    (root / "submitted" / "linked_folder" / "hw1").symlink_to("../good/hw1", target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def graded(course):
    code = main(["grade", "--nbgrader-course", str(course), "--jobs", "2"])
    return code, gradebook_scores(course)


def detail(course: Path, student: str) -> dict:
    return json.loads((course / ".autograder" / "results" / "hw1" / f"{student}.json").read_text())


def test_the_command_exits_0_and_the_correct_student_gets_full_points(graded):
    code, scores = graded
    assert code == 0
    assert scores["good"] == POINTS


@pytest.mark.parametrize("student", sorted(BAD))
def test_a_broken_notebook_scores_0_with_a_note(course, graded, student):
    _, scores = graded
    assert scores[student][BROKEN] == 0
    notes = " | ".join(detail(course, student)["notes"])
    assert f"{BROKEN}.ipynb was not graded" in notes and BAD[student][1] in notes, notes


def test_a_refused_notebook_leaves_the_students_other_notebooks_graded(graded):
    _, scores = graded
    assert scores["linked"]["p1_bp_relu"] == POINTS["p1_bp_relu"], "the link to the reference earns nothing"
    assert scores["linked"][BROKEN] == 0


def test_a_linked_assignment_folder_is_refused_not_followed(course, graded):
    _, scores = graded
    assert scores["linked_folder"] == {m: 0.0 for m in POINTS}
    assert any("symbolic link" in n for n in detail(course, "linked_folder")["notes"])
    assert not (course / "autograded" / "linked_folder" / "hw1" / f"{BROKEN}.ipynb").exists()


def test_the_gradebooks_sqlalchemy_warnings_are_not_shown_and_other_warnings_are():
    """nbgrader's gradebook makes SQLAlchemy warn about its own sessions (issue #13: three per run)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    from autograder.nbgrader_course import _quiet_gradebook_warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _quiet_gradebook_warnings()
        warnings.warn("Object of type <SubmittedNotebook> not in session", SAWarning, stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert [w.category for w in caught] == [UserWarning]
