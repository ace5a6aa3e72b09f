"""The Gradescope autograder zip: its layout, and its run_autograder run for real in a fake /autograder tree
(AUTOGRADER_ROOT), writing a results.json that follows Gradescope's schema and leaks no hidden input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.assignments import get
from autograder.gradescope import VISIBILITIES, build_zip
from autograder.variants import variant

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
SOLUTIONS = REPO / "solutions" / "hw1"
SECRET = "gradescope-test-secret-0123456789"

LEAK = '''

def maxpool_backward(dout, cache):
    """Sends its inputs out through an exception message: the hidden checks' feedback must not show them."""
    raise ValueError("LEAK " + repr(dout.tolist())[:200])
'''


@pytest.fixture(scope="module")
def plain_zip(tmp_path_factory) -> Path:
    out, notes = build_zip("hw1", tmp_path_factory.mktemp("zip") / "autograder.zip", wheels=False)
    assert notes == []
    return out


@pytest.fixture(scope="module")
def roster_zip(tmp_path_factory) -> Path:
    table = {s: variant("hw1", s, SECRET.encode()).numbers for s in ("stu-ann", "stu-bo")}
    out, _ = build_zip("hw1", tmp_path_factory.mktemp("zip") / "autograder.zip", wheels=False, variants=table)
    return out


def fake_tree(tmp_path: Path, zip_path: Path, submission: Path, metadata: dict | None = None) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), submission/, submission_metadata.json."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # extractall drops the modes; Gradescope keeps them
        os.chmod(root / "source" / name, 0o755)
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def run_autograder(root: Path) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env |= {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    run = subprocess.run(
        [str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env, timeout=300, cwd="/"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text()), run.stdout


def assert_schema(doc: dict) -> None:
    """Gradescope's results.json: a score, an execution time, and tests with their own scores."""
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["execution_time"], (int, float))
    assert doc["visibility"] in VISIBILITIES and doc["stdout_visibility"] in VISIBILITIES
    assert isinstance(doc["output"], str) and doc["tests"]
    for test in doc["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"] and test["visibility"] in VISIBILITIES
    assert abs(sum(t["score"] for t in doc["tests"]) - doc["score"]) < 1e-6
    assert sum(t["max_score"] for t in doc["tests"]) == 100


def test_the_zip_holds_setup_run_autograder_and_the_package(plain_zip):
    with zipfile.ZipFile(plain_zip) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        config = json.loads(z.read("gradescope.json"))
        wheel = next(n for n in names if n.startswith("wheels/nnopt_autograder-"))
        assert z.read("setup.sh").startswith(b"#!/usr/bin/env bash")
        assert b"--no-index" in z.read("setup.sh"), "setup.sh installs offline first, from the zip's wheels"
        with z.open(wheel) as f, zipfile.ZipFile(f) as w:
            inside = set(w.namelist())
    assert {"setup.sh", "run_autograder", "gradescope.json"} <= names and "variants.json" not in names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert config["assignment"] == "hw1" and config["hidden_visibility"] == "after_published"
    for module in ("autograder/gradescope.py", "autograder/assignments/hw1.py", "solutions/hw1/p1_bp_relu.py"):
        assert module in inside, f"the wheel lacks {module}"


def test_run_autograder_grades_the_submission_into_results_json(tmp_path, plain_zip):
    root = fake_tree(tmp_path, plain_zip, SAMPLES / "maxpool_tie_last")
    doc, stdout = run_autograder(root)
    assert_schema(doc)
    assert doc["score"] == 98
    hidden = {c.id for c in get("hw1").checks if not c.public}
    lost = [t for t in doc["tests"] if t["score"] < t["max_score"]]
    assert [t["name"].split(":")[0] for t in lost] == ["p5.maxpool_backward.ties"]
    for test in doc["tests"]:
        public = test["name"].split(":")[0] not in hidden
        assert test["visibility"] == ("visible" if public else "after_published")
    out = lost[0]["output"]
    assert "many tied maxima" in out and "hint:" in out, "the failed cases are named"
    assert "expected" not in out and "got" not in out, "no expected value of a hidden input"
    assert "expected" in stdout, "the full message goes to the staff-only stdout"


def test_hidden_feedback_cannot_carry_inputs_out_and_variants_follow_the_submitter(tmp_path, roster_zip):
    submission = tmp_path / "sub"
    shutil.copytree(SOLUTIONS, submission, ignore=shutil.ignore_patterns("__pycache__"))
    with open(submission / "p5_pool_backprop.py", "a", encoding="utf-8") as f:
        f.write(LEAK)
    metadata = {"users": [{"email": "bo@u.edu", "id": 1234, "name": "Bo", "sid": "stu-bo"}]}
    doc, stdout = run_autograder(fake_tree(tmp_path, roster_zip, submission, metadata))
    assert_schema(doc)
    assert doc["score"] == 90, [t["name"] for t in doc["tests"] if t["score"] < t["max_score"]]
    for test in doc["tests"]:
        if test["visibility"] != "visible":
            assert "LEAK" not in test["output"], test
    assert any("LEAK" in t["output"] for t in doc["tests"] if t["visibility"] == "visible")
    assert "the variant of student stu-bo" in stdout

    stranger = tmp_path / "stranger"
    stranger.mkdir()
    metadata = {"users": [{"email": "eve@u.edu", "id": 9, "name": "Eve", "sid": "x999"}]}
    doc, stdout = run_autograder(fake_tree(stranger, roster_zip, SOLUTIONS, metadata))
    assert doc["score"] == 100 and "not on the roster" in doc["output"] and "default" in stdout


def test_cli_builds_the_zip(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope", "hw1", "--out", str(tmp_path / "ag.zip"), "--no-wheels"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout and zipfile.is_zipfile(tmp_path / "ag.zip")


@pytest.mark.skipif(
    not os.environ.get("AUTOGRADER_TEST_SETUP_SH"),
    reason="downloads the dependencies' wheels from PyPI and installs them (about a minute): "
    "set AUTOGRADER_TEST_SETUP_SH=1",
)
def test_setup_sh_installs_offline_from_the_zip_and_run_autograder_uses_it(tmp_path):
    """The whole Gradescope life cycle with the zip's own wheels: setup.sh makes ROOT/venv with --no-index,
    and run_autograder grades with the package installed there (not this checkout)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    zip_path, notes = build_zip("hw1", tmp_path / "autograder.zip", pythons=(version,))
    assert notes == []
    root = fake_tree(tmp_path, zip_path, SAMPLES / "maxpool_tie_last")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")} | {"AUTOGRADER_ROOT": str(root)}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "from the zip (offline)" in setup.stdout
    run = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert str(root / "venv") in run.stdout.splitlines()[0]
    doc = json.loads((root / "results" / "results.json").read_text())
    assert_schema(doc)
    assert doc["score"] == 98
