"""The command line as students and instructors use it: check, grade (one, many, zip, resume), formats."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.assignments import get
from autograder.batch import canary
from autograder.grading import InternalError, ReferenceExpectations

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
SOLUTIONS = REPO / "solutions" / "hw1"


def autograder(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_help_explains_every_command():
    run = autograder("--help")
    assert run.returncode == 0
    for command in ("check", "grade", "release", "demo"):
        assert command in run.stdout
    grade = autograder("grade", "--help").stdout
    for option in ("--out", "--jobs", "--format", "--seed", "--force"):
        assert option in grade


def test_check_passes_a_correct_folder_and_fails_the_stubs(tmp_path):
    work = tmp_path / "hw1"
    shutil.copytree(SAMPLES / "correct_loops", work)
    for data in ("public_checks.json", "public_checks.npz"):
        shutil.copyfile(REPO / "assignments" / "hw1" / data, work / data)
    ok = autograder("check", str(work), "--problem", "p4", "--problem", "p5")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS" in ok.stdout and "FAIL" not in ok.stdout
    assert "p1" not in ok.stdout.split("on")[-1].split("\n", 2)[-1]  # only the asked problems
    stubs = autograder("check", "hw1", "--problem", "p2")  # the repository holds several assignments: name one
    assert stubs.returncode == 1
    assert "sigmoid is not implemented yet" in stubs.stdout


def test_check_names_unknown_problems():
    run = autograder("check", "hw1", "--problem", "p9")
    assert run.returncode == 2 and "unknown problem p9" in run.stderr


def _zip_nested(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for f in folder.glob("*.py"):
            z.write(f, f"my_hw1/nested/{f.name}")
        z.writestr("my_hw1/notes.txt", "extra file, ignored")
    return dest


def test_grade_one_zip_writes_json_csv_and_gradescope(tmp_path):
    sub = _zip_nested(SAMPLES / "maxpool_tie_last", tmp_path / "alice.zip")
    out = tmp_path / "out"
    run = autograder("grade", str(sub), "--assignment", "hw1", "--out", str(out), "--seed", "7")
    assert run.returncode == 0, run.stderr
    assert "hw1 — alice: 98 / 100" in run.stdout
    assert "p5.maxpool_backward.ties" in run.stdout
    result = json.loads((out / "submissions" / "alice.json").read_text())
    assert result["seed"] == 7 and result["score"] == 98
    assert all({"id", "points", "max_points", "message", "function"} <= set(c) for c in result["checks"])
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert rows[0]["submission"] == "alice" and float(rows[0]["p5"]) == 18
    gs = json.loads((out / "gradescope" / "alice.json").read_text())
    assert gs["score"] == 98 and isinstance(gs["execution_time"], float)
    assert {t["visibility"] for t in gs["tests"]} == {"visible", "after_published"}
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in gs["tests"])


def test_grade_a_class_in_parallel_and_resume(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copytree(SAMPLES / "correct_vectorized", klass / "bob")
    shutil.copytree(SAMPLES / "relu_grad_at_zero", klass / "carol")
    (klass / "dave").mkdir()  # an empty hand-in
    out = tmp_path / "out"
    run = autograder("grade", str(klass), "--jobs", "2", "--out", str(out), "--format", "json")
    assert run.returncode == 0, run.stderr
    results = {r["submission"]: r for r in json.loads(run.stdout)}
    assert results["bob"]["score"] == 100 and results["carol"]["score"] == 98
    assert results["dave"]["score"] == 0 and "no assignment file found" in results["dave"]["error"]
    seed = json.loads((out / "grading.json").read_text())["seed"]
    assert {r["seed"] for r in results.values()} == {seed}
    before = (out / "submissions" / "bob.json").stat().st_mtime_ns
    again = autograder("grade", str(klass), "--out", str(out))  # resumes: nothing left to grade
    assert again.returncode == 0 and "bob" in again.stdout
    assert (out / "submissions" / "bob.json").stat().st_mtime_ns == before
    forced = autograder("grade", str(klass / "bob"), "--out", str(out), "--force")
    assert forced.returncode == 0
    assert (out / "submissions" / "bob.json").stat().st_mtime_ns != before


def test_demo_prints_the_class_table():
    run = autograder("demo", "hw1", "--seed", "7", "--jobs", "2")
    assert run.returncode == 0, run.stderr
    lines = {line.split()[0]: line.split() for line in run.stdout.splitlines() if line.strip()}
    assert lines["correct_loops"][-1] == "100" and lines["stubs_only"][-1] == "0"
    assert lines["maxpool_tie_last"][-1] == "98"


def test_canary_refuses_to_grade_with_a_broken_reference(tmp_path, monkeypatch):
    package = tmp_path / "broken_reference"
    shutil.copytree(SOLUTIONS, package)
    p4 = package / "p4_conv_backprop.py"
    text = p4.read_text()
    assert "    return dx, dw, db\n" in text
    p4.write_text(text.replace("    return dx, dw, db\n", "    return 2 * dx, dw, db\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    good = get("hw1")
    broken = dataclasses.replace(good, solutions_package="broken_reference")
    with pytest.raises(InternalError, match="p4.conv2d_backward.gradcheck"):
        canary(broken, ReferenceExpectations(broken, 3))


def test_the_assignment_is_inferred_when_there_is_one_and_asked_for_otherwise(tmp_path, capsys):
    from autograder.cli import UsageError, graded_assignment, main, one_of

    (tmp_path / "p1_bp_relu.py").write_text("")
    assert graded_assignment(None, [str(tmp_path)]) == "hw1"  # the only one known, or the one its files are of
    assert graded_assignment("hw1", []) == "hw1"
    with pytest.raises(UsageError, match=r"^several assignments here: give one \(hw1, hw2\)$"):
        one_of(["hw2", "hw1"], "here")
    with pytest.raises(UsageError, match=r"^no assignments here: give one"):
        one_of([], "here")
    assert main(["grade", "--assignment", "hw0", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: unknown assignment 'hw0'; known: hw1")


# -- user errors get one clear line and a non-zero exit, never a traceback (issue #13) ---------------------


def _one_line_error(run: subprocess.CompletedProcess, words: str) -> None:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert words in run.stderr, run.stderr


def test_grading_a_path_that_does_not_exist_says_so(tmp_path):
    _one_line_error(autograder("grade", "does_not_exist", cwd=tmp_path), "no such file or folder: does_not_exist")


def test_grading_a_folder_with_no_submission_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    _one_line_error(autograder("grade", "empty", cwd=tmp_path), "empty holds no submission")


def test_checking_a_folder_that_does_not_exist_says_so(tmp_path):
    _one_line_error(autograder("check", "/nonexistent/path", cwd=tmp_path), "no such folder: /nonexistent/path")


def test_checking_a_folder_with_no_assignment_files_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    _one_line_error(autograder("check", "empty", cwd=tmp_path), "no assignment's files in empty")


def test_checking_one_assignments_files_as_another_says_so(tmp_path):
    run = autograder("check", "--assignment", "hw2", str(SAMPLES / "correct_loops"), cwd=tmp_path)
    _one_line_error(run, "holds hw1's files, not hw2's")


def test_version():
    run = autograder("--version")
    assert run.returncode == 0 and run.stdout.startswith("autograder ") and run.stdout.split()[1][0].isdigit()


def test_every_option_of_every_command_has_help():
    from autograder.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in commands.items()
        for action in parser._actions
        if not action.help and action.dest != "help"
    ]
    assert not missing


def test_a_class_folder_names_each_submission_by_its_top_level_folder(tmp_path):
    (tmp_path / "class" / "bob" / "a" / "b").mkdir(parents=True)
    (tmp_path / "class" / "amy").mkdir()
    for f in (SAMPLES / "correct_loops").glob("*.py"):
        shutil.copyfile(f, tmp_path / "class" / "bob" / "a" / "b" / f.name)
        shutil.copyfile(SAMPLES / "stubs_only" / f.name, tmp_path / "class" / "amy" / f.name)
    run = autograder("grade", "class", "--assignment", "hw1", "--format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    scores = {r["submission"]: r["score"] for r in json.loads(run.stdout)}
    assert scores == {"amy": 0, "bob": 100}
    gradescope = autograder("grade", "class", "--assignment", "hw1", "--format", "gradescope", cwd=tmp_path)
    docs = json.loads(gradescope.stdout)  # a class's results.json documents, each under its submission's name
    assert set(docs) == {"amy", "bob"} and docs["bob"]["score"] == 100


def test_the_class_mean_counts_graded_rows_only():
    from autograder.grading import SubmissionResult
    from autograder.report import class_table

    def result(name: str, score: float, error: str | None = None) -> SubmissionResult:
        checks = [] if error else [None]
        return SubmissionResult(name, "hw1", 1, score, 100, {}, checks, error=error)

    table = class_table([result("a", 80), result("b", 60), result("c", 0, "could not read the submission")], ["p1"])
    assert table.splitlines()[-1] == "3 submissions, mean 70.00 / 100 (1 not graded, left out of the mean)"


def test_progress_is_drawn_only_on_a_terminal(monkeypatch):
    import io

    from autograder.batch import progress_bar
    from autograder.grading import SubmissionResult

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    result = SubmissionResult("alice", "hw1", 1, 100, 100, {}, [])
    for stream, drawn in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        progress_bar(1, 2, result)
        progress_bar(2, 2, result)
        assert ("2/2" in stream.getvalue()) == drawn, stream.getvalue()


@pytest.mark.parametrize("name", ["hw1", "hw2", "hw3", "hw4", "hw5"])
def test_every_function_a_student_writes_has_a_public_check(name):
    """Symbolic and counting answers included (issue #13, item 5): ``check`` lists no function as unchecked."""
    from autograder.cli import _without_public_check
    from autograder.public_data import PublicExpectations

    expectations = PublicExpectations(REPO / "assignments" / name)
    assert _without_public_check(expectations.assignment(), expectations, REPO / "assignments" / name, None) == []


def test_check_names_the_functions_no_public_check_covers():
    """On the released hw1 ``check`` lists none; an assignment whose public data lacks a function's public
    checks (here hw1 without sigmoid_grad_expr's) makes it list that function, under its problem."""
    from autograder.cli import _without_public_check
    from autograder.public_data import PublicExpectations

    run = autograder("check", "hw1", "--problem", "p2")
    assert "No public check here" not in run.stdout and "p2.sigmoid_grad_expr.values" in run.stdout
    expectations = PublicExpectations(REPO / "assignments" / "hw1")
    full = expectations.assignment()
    fewer = dataclasses.replace(full, checks=tuple(c for c in full.checks if c.function != "sigmoid_grad_expr"))
    stubs = REPO / "assignments" / "hw1"
    assert _without_public_check(fewer, expectations, stubs, None) == ["p2: sigmoid_grad_expr"]
    assert _without_public_check(fewer, expectations, stubs, ["p3"]) == []  # a problems filter leaves p2 out


def test_the_assignment_comes_first_for_grade_too_and_the_flag_stays_an_alias(tmp_path, monkeypatch):
    """One convention (issue #13): ``grade hw1 PATH`` as ``release hw1``; ``--assignment`` is kept; both given and
    different is one line; a folder named like an assignment stays a submission."""
    from autograder.cli import UsageError, leading_assignment

    words = ["hw1", "subs/"]
    assert leading_assignment(None, words) == "hw1" and words == ["subs/"]
    words = ["subs/"]
    assert leading_assignment("hw2", words) == "hw2" and words == ["subs/"]
    with pytest.raises(UsageError, match=r"^two assignments given: hw1 and --assignment hw2$"):
        leading_assignment("hw2", ["hw1", "subs/"])
    (tmp_path / "hw1").mkdir()
    monkeypatch.chdir(tmp_path)
    words = ["hw1"]
    assert leading_assignment(None, words) is None and words == ["hw1"]
    run = autograder("grade", "hw1", str(SAMPLES / "correct_loops"), "--format", "json", "--seed", "3")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["score"] == 100
    _one_line_error(autograder("grade", "hw2", "hw1", cwd=tmp_path), "holds no submission")


def test_an_internal_error_says_so_in_one_line_and_where_the_traceback_is(monkeypatch, capsys):
    """No traceback reaches a user (issue #13, point 1) except in the log an internal error names."""
    import autograder.cli as cli

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.delenv("AUTOGRADER_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_demo", broken)
    assert cli.main(["demo", "hw1"]) == 3
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("internal grader error (a bug in the autograder") and "ZeroDivisionError: a bug" in line
    log = Path(line.rsplit(" ", 1)[-1])
    try:
        text = log.read_text()
        assert "Traceback" in text and "raise ZeroDivisionError" in text and oct(log.stat().st_mode)[-3:] == "600"
    finally:
        log.unlink()
    monkeypatch.setenv("AUTOGRADER_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["demo", "hw1"])
