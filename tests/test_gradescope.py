"""The Gradescope autograder zip: its layout, and its run_autograder run for real in a fake /autograder tree
(AUTOGRADER_ROOT), writing a results.json that follows Gradescope's schema and leaks no hidden input; with
setup.sh run first and the container's layers off (no namespaces), a submission that walks the tree as the
sandbox's uid reads nothing of the grader's."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.assignments import get
from autograder.gradescope import GRADER_NAMES, VISIBILITIES, build_zip
from autograder.grading import CheckResult, SubmissionResult
from autograder.report import gradescope_json
from autograder.sandbox.isolation import UID_BASE
from autograder.variants import variant

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw1"
SOLUTIONS = REPO / "solutions" / "hw1"
SECRET = "gradescope-test-secret-0123456789"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
# Gradescope runs the autograder as root, so the zip requires the dedicated-uid layer; a non-root test run
# cannot have it, and builds its zips with --require none to test the rest
REQUIRE = ("uid",) if ROOT_USER else ()
CONTAINER = "net,fs,pid,ipc,disk"  # what Gradescope's containers (no CAP_SYS_ADMIN) do not allow
WALKER = Path(__file__).parent / "fixtures" / "gradescope_walk" / "p4_conv_backprop.py"
PUBLIC_PACKAGES = ("numpy", "numpy.libs", "sympy", "mpmath", "array_api_compat")

LEAK = '''

def maxpool_backward(dout, cache):
    """Sends its inputs out through an exception message: the hidden checks' feedback must not show them."""
    raise ValueError("LEAK " + repr(dout.tolist())[:200])
'''


@pytest.fixture(scope="module")
def plain_zip(tmp_path_factory) -> Path:
    out, notes = build_zip("hw1", tmp_path_factory.mktemp("zip") / "autograder.zip", wheels=False, require=REQUIRE)
    assert notes == []
    return out


@pytest.fixture(scope="module")
def roster_zip(tmp_path_factory) -> Path:
    table = {s: variant("hw1", s, SECRET.encode()).numbers for s in ("stu-ann", "stu-bo")}
    out, _ = build_zip(
        "hw1", tmp_path_factory.mktemp("zip") / "autograder.zip", wheels=False, variants=table, require=REQUIRE
    )
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


def run_autograder(root: Path, python: str = sys.executable, **extra: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env |= {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": python, **extra}
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


def test_the_zip_holds_setup_run_autograder_the_package_and_the_reference_beside_it(plain_zip):
    with zipfile.ZipFile(plain_zip) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        config = json.loads(z.read("gradescope.json"))
        wheel = next(n for n in names if n.startswith("wheels/nnopt_autograder-"))
        setup = z.read("setup.sh").decode()
        requirements = z.read("requirements.txt").decode().split()
        with z.open(wheel) as f, zipfile.ZipFile(f) as w:
            inside = set(w.namelist())
    assert setup.startswith("#!/usr/bin/env bash")
    assert "--no-index" in setup, "setup.sh installs offline first, from the zip's wheels"
    assert {"setup.sh", "run_autograder", "gradescope.json"} <= names and "variants.json" not in names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert config["assignment"] == "hw1" and config["hidden_visibility"] == "after_published"
    assert config["require"] == list(REQUIRE)
    assert any(r.startswith("numpy") for r in requirements) and not any("nnopt" in r for r in requirements)
    for module in ("autograder/gradescope.py", "autograder/assignments/hw1.py"):
        assert module in inside, f"the wheel lacks {module}"
    assert not [n for n in inside if n.startswith("solutions/")], "the wheel (installed where?) holds no reference"
    assert "solutions/hw1/p4_conv_backprop.py" in names, "the reference travels as source, for setup.sh to lock"


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
    public = sum(c.points for c in get("hw1").checks if c.public)
    shown = f"{public:g}" if public == int(public) else f"{public:.2f}"  # the tables' rule (report._score)
    assert doc["output"].startswith(f"hw1: public checks: {shown} / {shown}; hidden checks are graded")
    assert "98" not in doc["output"], "the visible summary does not give the hidden checks' total away"
    assert re.search(r"^isolation: in force: limits" + (r" .*\buid\b" if ROOT_USER else ""), stdout, re.M), stdout


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


def test_out_may_be_a_folder_as_for_release_and_grade(tmp_path):
    """One meaning of ``--out`` across commands (issue #13): a folder gets ``ASSIGNMENT-autograder.zip``."""
    from autograder.gradescope import zip_path

    assert zip_path(str(tmp_path), "hw2") == tmp_path / "hw2-autograder.zip"
    assert zip_path(str(tmp_path / "new") + "/", "hw1") == tmp_path / "new" / "hw1-autograder.zip"
    assert zip_path(str(tmp_path / "ag.zip"), "hw1") == tmp_path / "ag.zip"


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
    assert str(root / "private" / "lib") in run.stdout.splitlines()[0], "the package is the root-only copy"
    doc = json.loads((root / "results" / "results.json").read_text())
    assert_schema(doc)
    assert doc["score"] == 98


# -- what students see at once ------------------------------------------------------------------------------


def _check(id: str, public: bool, points: float, max_points: float, message: str = "") -> CheckResult:
    return CheckResult(id, id[:2], "f", f"title of {id}", public, points, max_points, message, "a hint")


def test_visible_output_shows_public_points_only_while_hidden_checks_are_not_shown():
    checks = [
        _check("p1.a", True, 20, 20),
        _check("p1.b", True, 16, 36, "PUBLIC-MSG expected 1, got 2"),
        _check("p1.h", False, 0, 44, "HIDDEN-MSG expected 3.14159, got 0"),
    ]
    result = SubmissionResult("s", "hw1", 7, 36, 100, {"p1": {"score": 36, "max_score": 100}}, checks)
    for visibility in ("after_published", "after_due_date", "hidden"):
        doc = gradescope_json(result, visibility)
        assert doc["output"].startswith("hw1: public checks: 36 / 56; hidden checks are graded and "), doc["output"]
        assert "100" not in doc["output"] and "44" not in doc["output"]
        visible = [t for t in doc["tests"] if t["visibility"] == "visible"]
        assert [t["name"].split(":")[0] for t in visible] == ["p1.a", "p1.b"]
        assert sum(t["max_score"] for t in visible) == 56
        assert not any("HIDDEN-MSG" in t["output"] or "3.14159" in t["output"] for t in visible)
        assert "PUBLIC-MSG" in visible[1]["output"]
        hidden = next(t for t in doc["tests"] if t["name"].startswith("p1.h"))
        assert hidden["visibility"] == visibility and "3.14159" not in hidden["output"]
    assert "when the instructor publishes" in gradescope_json(result)["output"]
    assert gradescope_json(result, "visible")["output"] == "hw1: 36 / 100", "all shown: the whole score"


# -- never weaker in silence --------------------------------------------------------------------------------


def test_run_autograder_refuses_to_grade_without_a_required_layer(tmp_path):
    out, _ = build_zip("hw1", tmp_path / "autograder.zip", wheels=False, require=("uid", "seccomp"))
    root = fake_tree(tmp_path, out, SOLUTIONS)
    doc, stdout = run_autograder(root, AUTOGRADER_SANDBOX_DISABLE="seccomp")
    assert doc["score"] == 0 and doc["tests"] == [], "nothing graded"
    assert "did not grade" in doc["output"] and "seccomp" in doc["output"], doc["output"]
    assert "not graded: refusing to grade: required isolation layer" in stdout, stdout
    assert "off: " in stdout and "seccomp" in stdout.split("off: ", 1)[1]


# -- Gradescope without namespaces: a walk as the sandbox's uid reads nothing of the grader's ----------------


def _stdlib_readable_by_others(python: str) -> bool:
    query = "import sysconfig; print(sysconfig.get_paths()['stdlib'])"
    run = subprocess.run([python, "-I", "-c", query], capture_output=True, text=True)
    if run.returncode != 0:
        return False
    path = Path(run.stdout.strip()).resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents]) and bool(
        os.stat(path).st_mode & stat.S_IROTH
    )


def gradescope_python() -> str | None:
    """An interpreter as on Gradescope's image: one whose standard library another uid can read (this one,
    else the system's of the same version, so that this interpreter's NumPy fits it)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, f"/usr/bin/python{version}"):
        if not (Path(python).exists() and _stdlib_readable_by_others(python)):
            continue
        same = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        if same.stdout.strip() == str(sys.version_info[:2]):
            return python
    return None


def make_venv(python: str, venv: Path) -> Path:
    """``venv`` as setup.sh leaves it: the dependencies only (this interpreter's, linked in), world-readable."""
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    site = next((venv / "lib").glob("python3*")) / "site-packages"
    for name in ("numpy", "sympy", "mpmath", "array_api_compat"):
        location = Path(list(importlib.util.find_spec(name).submodule_search_locations)[0]).resolve()
        for folder in (location, location.parent / f"{name}.libs"):
            if folder.is_dir():
                try:
                    shutil.copytree(folder, site / folder.name, copy_function=os.link)
                except (OSError, shutil.Error):  # another filesystem: copy
                    shutil.rmtree(site / folder.name, ignore_errors=True)
                    shutil.copytree(folder, site / folder.name)
    return venv / "bin" / "python"


@pytest.fixture
def world_readable_tmp():
    """A folder every uid can reach (pytest's own tmp_path is 0700), removed afterwards."""
    top = Path(tempfile.mkdtemp(prefix="autograder-gs-test-"))
    os.chmod(top, 0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(not ROOT_USER, reason="Gradescope runs the autograder as root (the dedicated uid needs root)")
def test_without_namespaces_a_submission_walking_the_tree_reads_nothing_of_the_grader(world_readable_tmp, plain_zip):
    python = gradescope_python()
    if python is None:
        pytest.skip("no interpreter whose standard library another uid can read (the sandbox uid must run it)")
    top = world_readable_tmp
    root = top / "autograder"
    root.mkdir(mode=0o755)
    py = make_venv(python, root / "venv")
    with zipfile.ZipFile(plain_zip) as z:
        z.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / name, 0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env |= {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(py)}
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=env, cwd="/"
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "private/lib/autograder" in setup.stdout, setup.stdout
    assert not (root / "source" / "wheels").exists(), "setup.sh removes the wheels after the install"
    assert (root / "private" / "solutions" / "hw1" / "p4_conv_backprop.py").is_file()
    for name in GRADER_NAMES:
        assert not list((root / "venv").rglob(name)), f"the venv holds {name}"

    # what a student must not read: every path under the tree but the venv's public packages
    paths = []
    for folder, dirs, files in os.walk(root):
        if Path(folder).parent.name == "site-packages" and Path(folder).name in PUBLIC_PACKAGES:
            dirs[:] = []
            continue
        paths += [os.path.join(folder, n) for n in dirs + files]
    paths += [str(root / "results"), str(root / "submission" / WALKER.name), str(root / "submission_metadata.json")]
    for secret in (
        "private/solutions/hw1/p4_conv_backprop.py",
        "private/lib/autograder/gradescope.py",
        "private/gradescope.json",
        "source/setup.sh",
        "source/requirements.txt",
    ):
        assert str(root / secret) in paths, secret
    control = top / "control.txt"  # world-readable, outside the tree: the walk must see it
    control.write_text("public")
    os.chmod(control, 0o644)
    targets = {"root": str(root), "paths": paths, "control": str(control)}
    text = WALKER.read_text(encoding="utf-8")
    blank = 'TARGETS = {"root": "", "paths": [], "control": ""}  # filled in by the test'
    assert blank in text
    (root / "submission").mkdir()
    (root / "submission" / WALKER.name).write_text(text.replace(blank, "TARGETS = " + json.dumps(targets)))
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"sid": "s1", "email": "s1@u.edu"}]}))

    doc, stdout = run_autograder(root, str(py), AUTOGRADER_SANDBOX_DISABLE=CONTAINER)
    assert "isolation: in force: limits uid nnp seccomp; off: disk net fs pid ipc" in stdout, stdout
    walks = {json.dumps(json.loads(m)) for m in re.findall(r"WALK (\{.*?\}) END", stdout)}
    assert len(walks) == 1, stdout  # every p4 check ran the same walk
    walk = json.loads(walks.pop())
    assert walk["uid"] >= UID_BASE, "the submission ran as a dedicated uid, not as root"
    assert walk["control"] and walk["numpy"], f"the walk can read what is readable: {walk}"
    assert walk["tried"] == len(paths)
    assert walk["n"] == 0 and walk["listed"] == 0 and walk["site"] == [], f"readable by the submission: {walk}"
    assert doc["score"] == 0 and stat.S_IMODE(os.stat(root).st_mode) == 0o711


def test_a_zip_outside_the_checkout_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    """After a plain ``pip install .`` there are no sources to build the zip's wheel from: one line says so."""
    from autograder import gradescope
    from autograder.cli import main

    monkeypatch.setattr(gradescope, "REPO", tmp_path)  # as installed: no pyproject.toml beside the package
    assert main(["gradescope", "hw1", "--no-wheels", "--out", str(tmp_path / "a.zip")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "instructors' checkout" in err and "Traceback" not in err
    assert not (tmp_path / "a.zip").exists()
