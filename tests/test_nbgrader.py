"""A real nbgrader round trip on hw1's notebooks (slow-ish: about 17 notebook executions by nbgrader).

In a temporary course directory: the source notebooks generated from the solutions, ``nbgrader
generate_assignment``, then ``nbgrader autograde`` on submissions made from the solutions (full points),
from the released stubs (0), from a buggy sample (the same per-check points as ``autograder grade`` with the
course's seed) and from a student who monkeypatches NumPy and writes to stderr (it changes nothing), then
``nbgrader generate_feedback``: the gradebook's scores and the feedback HTML (no hidden input, expected
value, assert line or traceback). Then ``autograder grade --nbgrader-course`` on the same course records the
same scores through nbgrader's gradebook API, without running a kernel, and the feedback still works.
"""

from __future__ import annotations

import html
import json
import multiprocessing
import re
import shutil
from pathlib import Path

import pytest

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[test]')")

from autograder import notebooks  # noqa: E402
from autograder.assignments import get  # noqa: E402
from autograder.batch import grade_many  # noqa: E402
from autograder.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
SEED = 20261124
BUGGY = "bias_grad_not_summed"  # fails a public check (gradcheck) and hidden ones (values, bp_step) of p1
BUGGY_MODULE = "p1_bp_relu"
TAMPERED = {"alice": "p2_derivatives", "bob": "p3_flops"}
ASSIGNMENT = get("hw1")
POINTS = {p.module: p.points for p in ASSIGNMENT.problems}
TAMPER = (
    "import sys, warnings\n"
    "import numpy\n"
    "numpy.allclose = lambda *a, **k: True\n"
    "numpy.testing.assert_allclose = lambda *a, **k: None\n"
    "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)\n"
    "print('a warning on stderr', file=sys.stderr)\n"
    "warnings.warn('and a real warning')\n"
)


def _kernel_available() -> bool:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        return "python3" in KernelSpecManager().find_kernel_specs()
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _kernel_available(), reason="no python3 Jupyter kernel (pip install ipykernel)")


def _api(course: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "nnopt"
    config.Execute.timeout = 300
    return NbGraderAPI(config=config)


def _autograde(root: str, student: str) -> dict:
    """``nbgrader autograde`` of one student's hand-in to the course at ``root``: the API's reply."""
    return _api(Path(root)).autograde("hw1", student)


def _check(reply: dict) -> None:
    assert reply["success"], reply.get("error") or reply.get("log")


def _with_tamper(nb: dict, module: str) -> dict:
    """The student's helpers cell also monkeypatches NumPy and writes to stderr."""
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{module}-helpers":
            cell["source"] = TAMPER + notebooks._text(cell)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory, one_alembic_heads):
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(REPO))  # the kernels import this checkout's package
    mp.delenv("AUTOGRADER_SEED", raising=False)
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "nnopt"\nc.Execute.timeout = 300\n'
    )
    (root / "autograder.json").write_text(json.dumps({"seed": SEED}) + "\n")
    notebooks.write_course_source(ASSIGNMENT, root)
    api = _api(root)
    _check(api.generate_assignment("hw1"))
    release = root / "release" / "hw1"

    def submit(student: str, make) -> None:
        folder = root / "submitted" / student / "hw1"
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-23 12:00:00.000000 UTC\n")
        for p in ASSIGNMENT.problems:
            nb = make(p.module)
            if nb is not None:
                (folder / f"{p.module}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False))

    # alice: the solutions, bob: the stubs; each has one notebook that monkeypatches NumPy and writes to stderr
    def solved(m: str) -> dict:
        nb = notebooks.read(root / "source" / "hw1" / f"{m}.ipynb")
        return _with_tamper(nb, m) if m == TAMPERED["alice"] else nb

    def stub(m: str) -> dict:
        nb = notebooks.read(release / f"{m}.ipynb")
        return _with_tamper(nb, m) if m == TAMPERED["bob"] else nb

    def buggy(m: str) -> dict | None:  # carol hands in only the buggy problem, made from the sample's .py file
        if m != BUGGY_MODULE:
            return None
        return notebooks.fill_from_module(
            notebooks.read(release / f"{m}.ipynb"), (SAMPLES / BUGGY / f"{m}.py").read_text(), m
        )

    submit("alice", solved)
    submit("bob", stub)
    submit("carol", buggy)
    # two students at a time, each autograded by nbgrader in a process of its own (its converters are not
    # thread-safe): every notebook runs in a kernel of its own anyway, and the gradebook is an SQLite file
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for reply in pool.starmap(_autograde, [(str(root), student) for student in ("alice", "bob", "carol")]):
            _check(reply)
    yield root, api
    mp.undo()


def gradebook_scores(root: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "nnopt") as gb:
        for sub in gb.assignment_submissions("hw1"):
            out[sub.student.id] = {nb.name: nb.score for nb in sub.notebooks}
    return out


def check_lines(root: Path, student: str, module: str) -> dict[str, float]:
    """The per-check points the autograded cell printed: {check id: points}."""
    nb = notebooks.read(root / "autograded" / student / "hw1" / f"{module}.ipynb")
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == f"{module}-tests")
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")
    assert all(o.get("name") != "stderr" for o in cell["outputs"] if o["output_type"] == "stream")
    return {
        m[3]: float(m[2]) for m in re.finditer(r"^\s+(ok|FAIL)\s+([\d.]+)/[\d.]+\s+(\S+?)(?: \(hidden\))?:", text, re.M)
    }


@pytest.fixture(scope="module")
def reference_grading(tmp_path_factory):
    """``autograder grade`` of carol's hand-in (the buggy sample's one file) with the course's seed."""
    folder = tmp_path_factory.mktemp("carol") / "carol"
    folder.mkdir()
    shutil.copy(SAMPLES / BUGGY / f"{BUGGY_MODULE}.py", folder)
    results = list(grade_many([folder], "hw1", seed=SEED, run_canary=False))
    assert len(results) == 1
    return results[0]


def feedback_text(root: Path, student: str) -> str:
    pages = sorted((root / "feedback" / student / "hw1").glob("*.html"))
    assert pages
    return "\n".join(html.unescape(p.read_text(encoding="utf-8")) for p in pages)


def assert_clean_feedback(text: str, graded) -> None:
    body = re.sub(r"<style.*?</style>", "", text, flags=re.S)
    assert "Traceback (most recent call last)" not in body
    assert not re.search(r"\bassert\b", body, re.I)
    for check in graded.checks:
        for case in check.cases:  # every judge message holds inputs, expected or returned values
            if case.message:
                assert case.message not in body, check.id
        if check.message:
            assert check.message not in body, check.id
    assert str(SEED) not in body


def test_autograde_scores(course):
    root, _ = course
    scores = gradebook_scores(root)
    assert scores["alice"] == POINTS
    assert scores["bob"] == {m: 0.0 for m in POINTS}


def test_buggy_sample_same_points_as_autograder_grade(course, reference_grading):
    root, _ = course
    scores = gradebook_scores(root)["carol"]
    for p in ASSIGNMENT.problems:  # the problems carol did not hand in score 0 both ways
        assert scores[p.module] == pytest.approx(reference_grading.problems[p.key]["score"], abs=1e-4), p.key
    assert 0 < scores[BUGGY_MODULE] < POINTS[BUGGY_MODULE]
    assert check_lines(root, "carol", BUGGY_MODULE) == pytest.approx(per_check(reference_grading), abs=1e-4)


def per_check(result) -> dict[str, float]:
    """{check id: points} of the buggy problem's checks."""
    key = next(p.key for p in ASSIGNMENT.problems if p.module == BUGGY_MODULE)
    return {c.id: c.points for c in result.checks if c.problem == key}


def test_monkeypatching_numpy_and_stderr_change_nothing(course):
    root, _ = course
    scores = gradebook_scores(root)
    assert scores["alice"][TAMPERED["alice"]] == POINTS[TAMPERED["alice"]]  # warnings on stderr cost nothing
    assert scores["bob"][TAMPERED["bob"]] == 0  # a patched NumPy does not make a stub pass
    for student, module in TAMPERED.items():  # the autograded cell's output has no stderr (that would give 0)
        check_lines(root, student, module)


def test_feedback_has_no_hidden_data(course, reference_grading):
    root, api = course
    for student in ("alice", "bob", "carol"):
        _check(api.generate_feedback("hw1", student))
    assert len(list((root / "feedback" / "alice" / "hw1").glob("*.html"))) == len(ASSIGNMENT.problems)
    text = feedback_text(root, "carol")
    # p1: 25 less backward.values 1.3333, backward.gradcheck 3, bp_step 2 and no_mutation 1 (values wrong there)
    assert "p1.backward.values (hidden)" in text and "15.6667" in text
    assert_clean_feedback(text, reference_grading)


def test_grade_nbgrader_course_records_the_same_scores(course, reference_grading, capsys):
    root, api = course
    before = gradebook_scores(root)
    shutil.rmtree(root / "autograded")
    shutil.rmtree(root / "feedback", ignore_errors=True)
    assert main(["grade", "--nbgrader-course", str(root), "--jobs", "2"]) == 0
    assert "carol" in capsys.readouterr().out
    after = gradebook_scores(root)
    assert after.keys() == before.keys()
    for student in before:
        assert after[student] == pytest.approx(before[student]), student
    assert check_lines(root, "carol", BUGGY_MODULE) == pytest.approx(per_check(reference_grading), abs=1e-4)
    _check(api.generate_feedback("hw1", "carol"))
    assert_clean_feedback(feedback_text(root, "carol"), reference_grading)
    detail = json.loads((root / ".autograder" / "results" / "hw1" / "carol.json").read_text())
    assert detail["seed"] == SEED and detail["score"] == pytest.approx(reference_grading.score)


def test_a_released_notebook_runs_top_to_bottom_with_nothing_written_yet(course, tmp_path, monkeypatch):
    """Run All on a student's untouched notebook (issue #13): no cell raises (the worked examples say "not
    implemented yet"), and the score cell at the end runs the public checks and prints their feedback."""
    import nbformat
    from nbclient import NotebookClient

    root, _ = course
    monkeypatch.delenv("AUTOGRADER_SOLUTIONS", raising=False)
    for name in ("p2_derivatives.ipynb", "public_checks.json", "public_checks.npz"):
        if (root / "release" / "hw1" / name).exists():
            shutil.copyfile(root / "release" / "hw1" / name, tmp_path / name)
    nb = nbformat.read(tmp_path / "p2_derivatives.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "\n".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
    )
    assert "sigmoid: not implemented yet" in printed
    assert "public checks only" in printed and "FAIL" in printed and "0.0" in printed
