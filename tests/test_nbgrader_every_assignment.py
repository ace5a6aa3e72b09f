"""The nbgrader round trip of every assignment in the registry (issue #11): the course's source notebooks
generated from the solutions, ``nbgrader generate_assignment``, hand-ins made from the released notebooks
(one filled from the assignment's ``correct_loops`` sample, one left as released), then ``autograder grade
--nbgrader-course``: the gradebook holds full points for the correct student and 0 for the stubs, per
notebook. (hw1's deeper round trip, through ``nbgrader autograde`` in kernels, is ``tests/test_nbgrader.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[test]')")

from autograder import notebooks  # noqa: E402
from autograder.assignments import get, names  # noqa: E402
from autograder.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _course(root: Path, name: str) -> None:
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "nnopt"\n')
    notebooks.write_course_source(get(name), root)
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "nnopt"
    reply = NbGraderAPI(config=config).generate_assignment(name)
    assert reply["success"], reply.get("error") or reply.get("log")


def _submit(root: Path, name: str, student: str, sample: str | None) -> None:
    folder = root / "submitted" / student / name
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")
    for p in get(name).problems:
        nb = notebooks.read(root / "release" / name / f"{p.module}.ipynb")
        if sample:
            code = (REPO / "examples" / "submissions" / name / sample / f"{p.module}.py").read_text()
            nb = notebooks.fill_from_module(nb, code, p.module)
        (folder / f"{p.module}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False))


def _scores(root: Path, name: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "nnopt") as gb:
        return {s.student.id: {nb.name: nb.score for nb in s.notebooks} for s in gb.assignment_submissions(name)}


@pytest.mark.parametrize("name", names())
def test_the_nbgrader_round_trip_grades_every_assignment(name, tmp_path, monkeypatch, one_alembic_heads):
    monkeypatch.delenv("AUTOGRADER_SEED", raising=False)
    _course(tmp_path, name)
    _submit(tmp_path, name, "ada", "correct_loops")
    _submit(tmp_path, name, "bea", None)
    assert main(["grade", "--nbgrader-course", str(tmp_path), "--assignment", name]) == 0
    scores = _scores(tmp_path, name)
    points = {p.module: p.points for p in get(name).problems}
    assert scores["ada"] == pytest.approx(points)
    assert scores["bea"] == {m: 0 for m in points}
