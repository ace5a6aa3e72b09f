"""hw1's notebooks in nbgrader's source format (no nbgrader needed here; the round trip is test_nbgrader.py)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.assignments import get
from autograder.notebook_grading import score, summary
from autograder.release import BEGIN, END, solution_files

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = get("hw1")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    notebooks.write_course_source(ASSIGNMENT, course)
    return {p.module: notebooks.read(course / "source" / "hw1" / f"{p.module}.ipynb") for p in ASSIGNMENT.problems}


def meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def defined(text: str) -> set[str]:
    return {n.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)}


def test_cells_follow_nbgrader_schema_3(source):
    total = 0.0
    for p in ASSIGNMENT.problems:
        nb = source[p.module]
        assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
        ids = [meta(c)["grade_id"] for c in nb["cells"] if meta(c)]
        assert len(ids) == len(set(ids))
        for cell in nb["cells"]:
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell["id"])
            m = meta(cell)
            text = notebooks._text(cell)
            if BEGIN in text or END in text:  # markers only in solution cells, balanced
                assert m.get("solution") and text.count(BEGIN) == text.count(END) == 1
            if m:
                assert m["schema_version"] == 3 and set(m) >= {"grade", "solution", "locked", "grade_id", "task"}
        tests = [c for c in nb["cells"] if meta(c).get("grade")]
        assert len(tests) == 1 and tests[0]["cell_type"] == "code" and meta(tests[0])["locked"]
        assert meta(tests[0])["points"] == p.points
        assert f"score({ASSIGNMENT.name!r}, {p.key!r})" in notebooks._text(tests[0])
        assert "assert" not in notebooks._text(tests[0])
        total += meta(tests[0])["points"]
        intro = notebooks._text(nb["cells"][0])
        assert (
            p.title in intro
            and ast.get_docstring(ast.parse(solution_files(ASSIGNMENT)[f"{p.module}.py"].read_text()))[:40] in intro
        )
    assert total == sum(p.points for p in ASSIGNMENT.problems) == 100


def test_nbformat_accepts_the_notebooks(source):
    nbformat = pytest.importorskip("nbformat")
    for nb in source.values():
        nbformat.validate(nbformat.from_dict(nb))


def test_modules_rebuilt_from_notebooks(source):
    for p in ASSIGNMENT.problems:
        reference = solution_files(ASSIGNMENT)[f"{p.module}.py"].read_text()
        text, notes = notebooks.module_source(source[p.module], source[p.module], p.module)
        assert not notes and defined(text) == defined(reference)
        stub_text, _ = notebooks.module_source(notebooks.stub_notebook(source[p.module]), source[p.module], p.module)
        namespace: dict = {}
        exec(compile(stub_text, p.module, "exec"), namespace)  # the released cells run cleanly
        assert defined(stub_text) >= {f for f in defined(reference) if not f.startswith("_")}
        assert "NotImplementedError" in stub_text and BEGIN not in stub_text


def test_locked_cells_come_from_the_source_and_magics_are_ignored(source):
    module = "p1_bp_relu"
    nb = json.loads(json.dumps(source[module]))
    for cell in nb["cells"]:
        if meta(cell).get("grade_id") == f"{module}-homework_network":  # a locked cell the student edited
            cell["source"] = "def homework_network():\n    return 'tampered'\n"
        if meta(cell).get("grade_id") == f"{module}-relu":
            cell["source"] = "%timeit 1\n!ls\n" + notebooks._text(cell)
    text, notes = notebooks.module_source(nb, source[module], module)
    assert "tampered" not in text and "# %timeit 1" in text and "# !ls" in text
    assert notes == [f"cell {module}-relu: IPython magics and shell lines are ignored"]
    nb["cells"] = [c for c in nb["cells"] if meta(c).get("grade_id") != f"{module}-relu"]
    _, notes = notebooks.module_source(nb, source[module], module)
    assert notes == [f"cell {module}-relu is missing from the notebook"]


def test_fill_from_module_round_trip(source):
    sample = REPO / "examples" / "submissions" / "hw1" / "correct_loops"
    for p in ASSIGNMENT.problems:
        text = (sample / f"{p.module}.py").read_text()
        nb = notebooks.fill_from_module(notebooks.stub_notebook(source[p.module]), text, p.module)
        rebuilt, _ = notebooks.module_source(nb, source[p.module], p.module)
        compile(rebuilt, p.module, "exec")
        assert defined(text) <= defined(rebuilt)


def test_score_grades_the_saved_notebook_in_another_process(source, tmp_path, monkeypatch, capsys):
    """What the autograded cell does, here in the test process: a float, a summary, nothing judged here."""
    monkeypatch.setenv("AUTOGRADER_SEED", "77")
    for name, nb in (("solved", source["p3_flops"]), ("stub", notebooks.stub_notebook(source["p3_flops"]))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "p3_flops.ipynb").write_text(json.dumps(nb))
        monkeypatch.chdir(folder)
        got = score("hw1", "p3")
        out = capsys.readouterr()
        assert type(got) is float and got == (15.0 if name == "solved" else 0.0)
        assert out.out.startswith(f"p3: {got:g} / 15 points") and out.err == ""
        assert "expected" not in out.out.lower()


def test_summary_hides_messages_and_hidden_cases():
    from autograder.grading import CaseResult, CheckResult, SubmissionResult

    checks = [
        CheckResult("p9.f.pub", "p9", "f", "f works", True, 0.5, 1, "[case a] expected 1.25, got 3", "a hint",
                    [CaseResult("case a", False, "[case a] expected 1.25, got 3"), CaseResult("case b", True)]),
        CheckResult("p9.f.hid", "p9", "f", "f on edge cases", False, 0, 2, "[secret] expected 7, got 8", "",
                    [CaseResult("secret shape (9, 9)", False, "[secret] expected 7, got 8")]),
    ]  # fmt: skip
    result = SubmissionResult("x", "hw1", 1, 0.5, 3, {}, checks)
    text = summary(result, "p9", graded=True)
    assert "p9: 0.5 / 3 points (1 public and 1 hidden checks" in text
    assert "failed on: case a" in text and "a hint" in text and "p9.f.hid (hidden): f on edge cases" in text
    assert "expected" not in text and "secret" not in text


def test_public_checks_only_where_the_declarations_are_missing(source, tmp_path, monkeypatch):
    """A student's machine: no hidden checks, no solutions; the public data beside the released notebook."""
    import autograder.notebook_grading as ng
    from autograder import public_data
    from autograder.release import PUBLIC_SEED

    monkeypatch.setattr(ng, "full_declaration", lambda name: None)
    public_data.write(ASSIGNMENT, PUBLIC_SEED, tmp_path)
    path = tmp_path / "p2_derivatives.ipynb"
    path.write_text(json.dumps(source["p2_derivatives"]))
    points, text = ng.grade_notebook("hw1", "p2", path)
    public = sum(c.points for c in ASSIGNMENT.checks if c.problem == "p2" and c.public)
    assert points == public and "(hidden)" not in text and "public checks only" in text
    path.write_text(json.dumps(notebooks.stub_notebook(source["p2_derivatives"])))
    assert ng.grade_notebook("hw1", "p2", path)[0] == 0
