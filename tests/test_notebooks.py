"""hw1's notebooks in nbgrader's source format (no nbgrader needed here; the round trip is test_nbgrader.py)."""

from __future__ import annotations

import ast
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

import autograder.notebook_grading as ng
from autograder import notebooks
from autograder.assignments import get, names
from autograder.notebook_grading import PUBLIC_ONLY, score, summary
from autograder.reference import ReferenceNotFound
from autograder.release import BEGIN, END, solution_files
from tests.test_public_symbolic import answer_leaks

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
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


def test_score_in_a_students_folder_runs_the_public_checks_with_their_feedback(source, tmp_path, monkeypatch, capsys):
    """What the autograded cell does in a student's kernel (no course around the notebook, no
    $AUTOGRADER_SOLUTIONS): a float from the public checks only, said so, with `autograder check`'s feedback;
    the public data is the copy installed with the package, since none lies beside the notebook."""
    monkeypatch.delenv("AUTOGRADER_SOLUTIONS", raising=False)
    module = "p1_bp_relu"
    buggy = (SAMPLES / "relu_grad_at_zero" / f"{module}.py").read_text()
    public = sum(c.points for c in ASSIGNMENT.checks if c.problem == "p1" and c.public)
    relu = sum(c.points for c in ASSIGNMENT.checks if c.id == "p1.relu_grad.values")
    stub = notebooks.stub_notebook(source[module])
    for name, nb in (("solved", source[module]), ("buggy", notebooks.fill_from_module(stub, buggy, module))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{module}.ipynb").write_text(json.dumps(nb))
        monkeypatch.chdir(folder)
        got = score("hw1", "p1")
        out = capsys.readouterr()
        assert type(got) is float and got == (public if name == "solved" else public - relu), out.out
        cell = ASSIGNMENT.problem("p1").points  # the cell's own points are stated, not only the public ones
        head = f"p1: public checks {got:g} / {public:g} points ({PUBLIC_ONLY}; they carry the other "
        assert out.out.startswith(head + f"{cell - public:g} of this cell's {cell:g} points)") and out.err == ""
        assert "(hidden)" not in out.out
        if name == "buggy":  # the same lines `autograder check` prints: inputs, expected and got, the hint
            assert "relu_grad[0, 0]: expected 0, got 1" in out.out
            assert "hint: relu'(0) is 0 by the course's convention." in out.out


def test_score_on_the_instructors_side_runs_every_check(source, tmp_path, monkeypatch, capsys):
    """$AUTOGRADER_SOLUTIONS set (an instructor's kernel): all checks, hidden ones included, no judge message."""
    monkeypatch.setenv("AUTOGRADER_SEED", "77")
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(REPO / "solutions"))
    folder = tmp_path / "graded"
    folder.mkdir()
    (folder / "p3_flops.ipynb").write_text(json.dumps(notebooks.stub_notebook(source["p3_flops"])))
    monkeypatch.chdir(folder)
    got = score("hw1", "p3")
    out = capsys.readouterr()
    assert type(got) is float and got == 0.0
    assert out.out.startswith("p3: 0 / 15 points (") and "hidden checks, run in a sandbox" in out.out
    assert "(hidden)" in out.out and "expected" not in out.out.lower() and PUBLIC_ONLY not in out.out


def test_hidden_checks_refuse_without_the_reference_and_say_where_they_looked(source, tmp_path, monkeypatch):
    """An nbgrader course holding the notebook's source (as under `nbgrader autograde`) but no reference:
    the cell refuses in one line naming the places looked at, instead of grading on public checks only."""
    course = tmp_path / "course"
    (course / "source" / "hw1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "source" / "hw1" / "p3_flops.ipynb").write_text(json.dumps(source["p3_flops"]))
    folder = course / "autograded" / "alice" / "hw1"
    folder.mkdir(parents=True)
    (folder / "p3_flops.ipynb").write_text(json.dumps(source["p3_flops"]))
    planted = folder / "solutions" / "hw1"  # a student's own "reference" in the graded folder is never used
    shutil.copytree(REPO / "solutions" / "hw1", planted, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.delenv("AUTOGRADER_SOLUTIONS", raising=False)
    monkeypatch.setattr("autograder.reference.PACKAGE_ROOT", tmp_path / "site-packages")  # an installed package
    monkeypatch.setenv("AUTOGRADER_ROOT", str(tmp_path / "no-gradescope"))
    monkeypatch.chdir(folder)
    with pytest.raises(ReferenceNotFound) as refused:
        ng.grade_notebook("hw1", "p3", folder / "p3_flops.ipynb")
    message = str(refused.value)
    assert "\n" not in message and "$AUTOGRADER_SOLUTIONS (not set)" in message
    assert "./solutions" not in message and str(tmp_path / "site-packages") in message


def test_the_cell_says_what_to_install_when_the_grader_is_missing(source, monkeypatch, capsys):
    """A kernel without the package: the autograded cell prints the one install line, then fails (0 points)."""
    cell = next(c for c in source["p2_derivatives"]["cells"] if meta(c).get("grade"))
    monkeypatch.setitem(sys.modules, "autograder", None)  # `import autograder` raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "autograder.notebook_grading")
    with pytest.raises(ModuleNotFoundError):
        exec(compile(notebooks._text(cell), "cell", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.strip() == notebooks.missing_grader_message(notebooks.DEFAULT_INSTALL)
    assert f"`{notebooks.DEFAULT_INSTALL}`" in notebooks._text(source["p2_derivatives"]["cells"][0])


def test_install_line_comes_from_the_release_environment(monkeypatch):
    monkeypatch.setenv(notebooks.INSTALL_ENV, "pip install https://course.example.edu/nnopt.whl")
    prob = ASSIGNMENT.problem("p3")
    nb = notebooks.problem_notebook(ASSIGNMENT, prob, solution_files(ASSIGNMENT)["p3_flops.py"].read_text())
    texts = [notebooks._text(c) for c in nb["cells"]]
    assert "`pip install https://course.example.edu/nnopt.whl`" in texts[0]
    assert notebooks.missing_grader_message("pip install https://course.example.edu/nnopt.whl") in texts[-1]


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


def test_public_checks_use_the_data_beside_the_notebook(source, tmp_path, monkeypatch):
    """A student's machine: no hidden checks; the public data beside the released notebook comes first."""
    from autograder import public_data
    from autograder.release import PUBLIC_SEED

    monkeypatch.delenv("AUTOGRADER_SOLUTIONS", raising=False)
    public_data.write(ASSIGNMENT, PUBLIC_SEED, tmp_path)
    path = tmp_path / "p2_derivatives.ipynb"
    path.write_text(json.dumps(source["p2_derivatives"]))
    assert ng.public_data_folder("hw1", tmp_path) == tmp_path
    points, text = ng.grade_notebook("hw1", "p2", path)
    public = sum(c.points for c in ASSIGNMENT.checks if c.problem == "p2" and c.public)
    assert points == public and "(hidden)" not in text and PUBLIC_ONLY in text
    path.write_text(json.dumps(notebooks.stub_notebook(source["p2_derivatives"])))
    assert ng.grade_notebook("hw1", "p2", path)[0] == 0
    (tmp_path / "public_checks.json").unlink()
    assert ng.public_data_folder("hw1", tmp_path) == REPO / "assignments" / "hw1"  # the installed copy


def solution_lines(assignment) -> set[str]:
    """The substantial lines between the solution markers of an assignment's reference."""
    lines, inside = set(), False
    for path in solution_files(assignment).values():
        for line in path.read_text().splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and len(line.strip()) > 25 and not line.strip().startswith("#"):
                lines.add(line.strip())
    return lines


@pytest.mark.parametrize("name", names())
def test_every_assignment_s_released_notebooks_hold_no_solution_line_and_no_hidden_check(name, tmp_path):
    assignment = get(name)
    notebooks.write_course_source(assignment, tmp_path)
    assert answer_leaks(assignment, tmp_path / "source" / name) == []  # the public data beside the notebooks
    secret = solution_lines(assignment)
    assert secret, "the solutions should have substantial solution lines"
    hidden = [c.id for c in assignment.checks if not c.public]
    points = 0.0
    for p in assignment.problems:
        nb = notebooks.stub_notebook(notebooks.read(tmp_path / "source" / name / f"{p.module}.ipynb"))
        text = "\n".join(notebooks._text(c) for c in nb["cells"])
        assert not [line for line in secret if line in text], p.module
        assert not [h for h in hidden if h in text], p.module
        assert f"score({name!r}, {p.key!r})" in text
        points += sum(meta(c).get("points", 0) for c in nb["cells"] if meta(c).get("grade"))
    assert points == sum(p.points for p in assignment.problems)


# -- the first hour (issue #13): worked examples that run in a partly done notebook, Markdown that renders ----


def _examples_output(module_path: Path, tmp_path: Path) -> str:
    """What p2's worked-example cell (made from the solution's docstrings, as release makes it) prints when the
    notebook's functions are those of ``module_path``."""
    import contextlib
    import io
    import runpy

    from autograder.notebooks import examples

    namespace = runpy.run_path(str(module_path))
    cell = examples((REPO / "solutions" / "hw1" / "p2_derivatives.py").read_text())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(cell, "<worked example>", "exec"), namespace)
    return out.getvalue()


def test_worked_examples_run_in_a_notebook_with_nothing_written_yet(tmp_path):
    stub = REPO / "assignments" / "hw1" / "p2_derivatives.py"
    text = _examples_output(stub, tmp_path)
    for name in ("sigmoid", "sigmoid_grad", "log_softmax"):
        assert f"{name}: not implemented yet" in text


def test_worked_examples_show_every_example_once_the_code_is_in(tmp_path):
    text = _examples_output(REPO / "examples" / "submissions" / "hw1" / "correct_loops" / "p2_derivatives.py", tmp_path)
    assert "not implemented yet" not in text
    assert "array([0.5       , 0.88079708, 0.        ])" in text  # sigmoid's example, not only the last one
    assert "array([0.25      , 0.10499359, 0.10499359])" in text


def test_problem_text_is_markdown_that_renders_as_written():
    from autograder.notebooks import problem_notebook

    assignment = get("hw1")
    problem = assignment.problem("p2")
    source = (REPO / "solutions" / "hw1" / f"{problem.module}.py").read_text()
    intro = "".join(problem_notebook(assignment, problem, source)["cells"][0]["source"])
    assert r"softmax(x)\_i" in intro  # not italics
    assert r"> (2) 计算 $\sigma(x) = \frac{1}{1+\exp(-x)}$" in intro  # LaTeX as math in a quote, not code
    assert not [line for line in intro.splitlines() if line.startswith("    ") and "$" in line]
