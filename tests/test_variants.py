"""Per-student variants: a roster release gives each student their own numbers (p1's homework network, the
public checks' inputs), reproducibly from the course secret, which never leaves the instructor's side; grading
with the roster grades each submission on its student's variant."""

from __future__ import annotations

import importlib.util
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.assignments import get
from autograder.assignments.hw1 import HOMEWORK, homework_inputs, homework_network
from autograder.batch import grade_many
from autograder.cli import main
from autograder.grading import ReferenceExpectations, grade_files
from autograder.public_data import PublicExpectations
from autograder.submission import load
from autograder.variants import (
    Roster,
    VariantError,
    VariantExpectations,
    load_secret,
    read_roster,
    release_roster,
    roster_lookup,
    specialize,
    variant,
)

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions" / "hw1"
SECRET = b"test-course-secret-0123456789abcdef"
STUDENTS = ("stu-ann", "stu-bo", "stu-chen")


def autograder(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_SECRET")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=full
    )


def preactivations(numbers: dict) -> np.ndarray:
    x, W1, b1 = np.array(numbers["x"]), np.array(numbers["W1"]), np.array(numbers["b1"])
    z1 = x @ W1.T + b1
    z2 = np.maximum(z1, 0) @ np.array(numbers["W2"]).T + np.array(numbers["b2"])
    return np.concatenate([z1.ravel(), z2.ravel()])


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- drawing --------------------------------------------------------------------------------------------------


def test_variants_are_reproducible_distinct_and_keep_p1_away_from_the_kinks():
    seen = set()
    for i in range(300):
        v = variant("hw1", f"student{i:03d}", SECRET)
        assert v == variant("hw1", f"student{i:03d}", SECRET), "the same secret and id give the same variant"
        p1 = v.numbers["p1"]
        assert {k: np.shape(a) for k, a in p1.items()} == {k: np.shape(a) for k, a in HOMEWORK.items()}
        z = preactivations(p1)
        assert np.all(np.abs(z) > 0.05 + 1e-9), f"a pre-activation within 0.05 of 0: {z}"
        assert z[-1] > 0 and np.any(z[:2] > 0), "the output unit and a hidden unit are active"
        for values in p1.values():  # tenths, as easy by hand as the homework's own numbers
            flat = np.ravel(values)
            assert np.allclose(flat * 10, np.round(flat * 10))
        seen.add(json.dumps(p1, sort_keys=True))
        assert 0 <= v.public_seed < 2**31
    assert len(seen) >= 295, "students get different numbers"
    other = variant("hw1", "student000", b"another-course-secret-abcdefghij")
    assert other.numbers != variant("hw1", "student000", SECRET).numbers, "the numbers depend on the secret"


def test_default_numbers_and_checks_are_the_homework_s_own():
    assignment = get("hw1")
    assert specialize(assignment, None) is assignment
    canonical = homework_network(np.random.default_rng(0))
    assert canonical["params"]["W1"].tolist() == [[0.1, 0.2], [0.3, 0.4]] and canonical["lr"] == 1.0
    assert canonical["x"].tolist() == [[0.2, 0.3]] and canonical["y"].tolist() == [[1.0]]
    v = variant("hw1", "s001", SECRET)
    mine = specialize(assignment, v.numbers)
    changed = [c.id for c, d in zip(assignment.checks, mine.checks, strict=True) if c is not d]
    assert changed == ["p1.bp_step.homework"]
    case = next(c for c in mine.checks if c.id == "p1.bp_step.homework").cases[0]
    inputs = case.make(np.random.default_rng(0))
    assert inputs["params"]["W2"].tolist() == v.numbers["p1"]["W2"] and inputs["lr"] == 1.0


# -- the secret and the roster ----------------------------------------------------------------------------------


def test_the_secret_comes_from_the_environment_or_the_course_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    monkeypatch.delenv("AUTOGRADER_SECRET_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(VariantError, match="no course secret"):
        load_secret()
    created = load_secret(create=True)
    path = tmp_path / ".autograder-secret"
    assert path.read_text().strip().encode() == created and len(created) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret() == created
    monkeypatch.setenv("AUTOGRADER_SECRET", "from-the-environment-1234")
    assert load_secret() == b"from-the-environment-1234"
    monkeypatch.setenv("AUTOGRADER_SECRET", "short")
    with pytest.raises(VariantError, match="shorter"):
        load_secret()


def test_release_says_when_it_creates_the_secret_file_it_was_given(tmp_path, monkeypatch, capsys):
    """An explicit --secret-file wins over AUTOGRADER_SECRET: a new file is created, and release says so."""
    monkeypatch.setenv("AUTOGRADER_SECRET", "from-the-environment-1234")
    monkeypatch.setattr("autograder.variants.release_roster", lambda *args: {"s001": tmp_path})
    (tmp_path / "roster.csv").write_text("student_id\ns001\n")
    secret_file = tmp_path / "course.secret"
    args = ["release", "hw1", "--roster", str(tmp_path / "roster.csv"), "--out", str(tmp_path / "b")]
    assert main([*args, "--secret-file", str(secret_file)]) == 0
    assert secret_file.is_file() and "created the course secret" in capsys.readouterr().err
    assert main([*args, "--secret-file", str(secret_file)]) == 0
    assert "created the course secret" not in capsys.readouterr().err


def test_roster_columns_and_submission_names(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("First Name,Last Name,SID,Email\nAnn,Li,s001,ann@u.edu\nBo,Wang,s0011,bo@u.edu\n,,,\n")
    roster = read_roster(path)
    assert roster.students == ("s001", "s0011") and roster.names["s001"] == "Ann Li"
    assert roster.match("s001") == "s001" and roster.match("S001") == "s001"
    assert roster.match("s001_hw1") == "s001" and roster.match("s0011-late") == "s0011"
    assert roster.match("s00") is None and roster.match("s001x") is None and roster.match("zed") is None
    path.write_text("id\na\nb\na\n")
    with pytest.raises(VariantError, match="twice"):
        read_roster(path)
    path.write_text("who,score\na,1\n")
    with pytest.raises(VariantError, match="student id column"):
        read_roster(path)


# -- release and grading: the done-when -------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory: a 3-student roster, released with `autograder release --roster` (which creates the
    course secret), and each student's submission made from the reference solutions."""
    root = tmp_path_factory.mktemp("course")
    (root / "roster.csv").write_text("student_id,name\n" + "".join(f"{s},Student {s}\n" for s in STUDENTS))
    run = autograder("release", "hw1", "--roster", "roster.csv", "--out", "bundles", cwd=root)
    assert run.returncode == 0, run.stderr
    assert "created the course secret" in run.stderr
    for s in STUDENTS:
        shutil.copytree(SOLUTIONS, root / "submissions" / f"{s}_hw1", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_release_roster_gives_each_student_their_own_numbers(course):
    secret = (course / ".autograder-secret").read_text().strip()
    assert sorted(p.name for p in (course / "bundles").iterdir()) == list(STUDENTS)
    networks, seeds, inputs = {}, {}, {}
    for s in STUDENTS:
        bundle = course / "bundles" / s
        v = variant("hw1", s, secret.encode())
        stub = load_module(bundle / "hw1" / "p1_bp_relu.py", f"stub_{s}")
        params, x, y = stub.homework_network()
        expected = homework_inputs(v.numbers["p1"])
        for k in ("W1", "b1", "W2", "b2"):
            np.testing.assert_array_equal(params[k], expected["params"][k])
        np.testing.assert_array_equal(x, expected["x"])
        np.testing.assert_array_equal(y, expected["y"])
        networks[s] = json.dumps(v.numbers["p1"], sort_keys=True)
        text = (bundle / "hw1" / "p1_bp_relu.py").read_text()
        assert "[[0.1, 0.2], [0.3, 0.4]]" not in text, "the homework's default numbers are gone from the stub"
        assert f"x = ({x[0, 0]}, {x[0, 1]})" in text, "the docstring shows the student's numbers"
        data = PublicExpectations(bundle / "hw1")
        seeds[s] = data.data["seed"]
        assert seeds[s] == v.public_seed
        inputs[s] = data.arrays.store[sorted(data.arrays.store)[0]]
        assert f"student `{s}`" in (bundle / "README.md").read_text()
        for path in bundle.rglob("*"):  # one student's data only, and never the secret
            if path.is_file():
                raw = path.read_bytes()
                assert secret.encode() not in raw
                if path.suffix in (".py", ".json", ".md", ".toml"):
                    assert not any(o.encode() in raw for o in STUDENTS if o != s), f"{path} names another student"
    assert len(set(networks.values())) == 3 and len(set(seeds.values())) == 3
    assert not np.array_equal(inputs["stu-ann"], inputs["stu-bo"]), "the public checks' inputs differ per student"


def test_each_bundle_s_public_checks_give_the_reference_full_marks(course):
    reference = load(SOLUTIONS).files
    for s in STUDENTS:
        data = PublicExpectations(course / "bundles" / s / "hw1")
        result = grade_files(reference, data.assignment(), data, name=s)
        assert result.score == result.max_score, [c.message for c in result.checks if not c.passed]


def test_grading_with_the_roster_gives_the_reference_full_marks_on_every_variant(course):
    run = autograder(
        "grade", "submissions", "--roster", "roster.csv", "--out", "results", "--seed", "7", "--jobs", "2", cwd=course
    )
    assert run.returncode == 0, run.stderr
    for s in STUDENTS:
        result = json.loads((course / "results" / "submissions" / f"{s}_hw1.json").read_text())
        assert result["score"] == 100, result
        assert f"graded with the variant of student {s}" in result["notes"]
    shown = autograder("variant", "hw1", "--student", "stu-bo", "--json", cwd=course)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (
        data["p1"]
        == variant("hw1", "stu-bo", (course / ".autograder-secret").read_text().strip().encode()).numbers["p1"]
    )
    assert data["p1_answer"]["loss_before"] > 0
    missing = autograder("variant", "hw1", "--student", "stu-bo", cwd=course / "bundles")
    assert missing.returncode == 2 and "no course secret" in missing.stderr


def test_grading_uses_the_student_s_numbers_and_refuses_unknown_submissions(tmp_path):
    assignment = get("hw1")
    shared = ReferenceExpectations(assignment, 7)
    cases = {}
    for s in ("s001", "s002"):
        mine = specialize(assignment, variant("hw1", s, SECRET).numbers)
        expectations = VariantExpectations(shared, mine)
        check = next(c for c in mine.checks if c.id == "p1.bp_step.homework")
        cases[s] = expectations.cases(check)[0].inputs["params"]["W1"].tolist()
        other = next(c for c in mine.checks if c.id == "p1.relu.values")
        assert expectations.cases(other) is shared.cases(other), "every other check is shared by the class"
    assert cases["s001"] == variant("hw1", "s001", SECRET).numbers["p1"]["W1"] != cases["s002"]
    shutil.copytree(SOLUTIONS, tmp_path / "zed", ignore=shutil.ignore_patterns("__pycache__"))
    results = list(
        grade_many(
            [tmp_path],
            "hw1",
            seed=7,
            run_canary=False,
            variants=roster_lookup("hw1", Roster(("s001",), {"s001": ""}), SECRET),
        )
    )
    assert len(results) == 1 and "matches no student of the roster" in results[0].error


def test_release_roster_refuses_ids_that_collide_as_folders(tmp_path):
    with pytest.raises(VariantError, match="same folder"):
        release_roster("hw1", Roster(("a/b", "a_b"), {}), tmp_path, SECRET)
