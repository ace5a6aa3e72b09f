"""The reference locator: where grading finds solutions/ (never installed with the package), in which order,
what it refuses, and that it imports the folder by path under a private name."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import autograder.reference as ref
from autograder.assignments import get
from autograder.grading import InternalError, ReferenceExpectations
from autograder.release import solution_files

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "solutions.hw1"


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """No reference anywhere: no $AUTOGRADER_SOLUTIONS, an empty working directory, the package as if
    installed (no checkout beside it), no Gradescope tree."""
    monkeypatch.delenv(ref.ENV, raising=False)
    monkeypatch.setenv("AUTOGRADER_ROOT", str(tmp_path / "gradescope"))
    monkeypatch.setattr(ref, "PACKAGE_ROOT", tmp_path / "site-packages")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def copy_solutions(dest: Path, marker: str = "") -> Path:
    """A copy of the reference at ``dest`` (a solutions folder), ``marker`` appended to p1's docstring line."""
    shutil.copytree(REPO / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    if marker:
        p1 = dest / "hw1" / "p1_bp_relu.py"
        p1.write_text(p1.read_text(encoding="utf-8") + f"\nMARKER = {marker!r}\n", encoding="utf-8")
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def test_nothing_found_refuses_in_one_line_naming_every_place(nowhere):
    with pytest.raises(ref.ReferenceNotFound) as refused:
        ref.solutions_dir(PACKAGE)
    message = str(refused.value)
    assert "\n" not in message and isinstance(refused.value, InternalError)
    for place in (
        "$AUTOGRADER_SOLUTIONS (not set)",
        f"./solutions ({nowhere / 'work' / 'solutions' / 'hw1'}: none)",
        f"{nowhere / 'site-packages'}: not a checkout",
        f"the Gradescope source ({nowhere / 'gradescope' / 'source' / 'solutions' / 'hw1'}: none)",
    ):
        assert place in message
    with pytest.raises(ref.ReferenceNotFound):  # grading refuses to start
        ReferenceExpectations(get("hw1"), 1)


def test_the_environment_wins_and_is_the_only_place_looked_at_when_set(nowhere, monkeypatch):
    env_copy = copy_solutions(nowhere / "instructor" / "solutions", "from the environment")
    copy_solutions(nowhere / "work" / "solutions", "from the working directory")
    monkeypatch.setenv(ref.ENV, str(env_copy))
    assert ref.solutions_dir(PACKAGE) == env_copy.resolve()
    assert ref.reference_module(PACKAGE, "p1_bp_relu").MARKER == "from the environment"
    monkeypatch.setenv(ref.ENV, str(env_copy.parent))  # the course's tree holding solutions/ is accepted too
    assert ref.solutions_dir(PACKAGE) == env_copy.resolve()
    monkeypatch.setenv(ref.ENV, str(nowhere / "missing"))  # set wrong: no fallback to ./solutions
    with pytest.raises(ref.ReferenceNotFound, match=r"in \$AUTOGRADER_SOLUTIONS .*missing holds no hw1/"):
        ref.solutions_dir(PACKAGE)


def test_the_working_directory_counts_only_when_no_one_else_can_change_it(nowhere):
    local = copy_solutions(nowhere / "work" / "solutions", "from the working directory")
    assert ref.solutions_dir(PACKAGE) == local.resolve()
    assert ref.reference_module(PACKAGE, "p1_bp_relu").MARKER == "from the working directory"
    with pytest.raises(ref.ReferenceNotFound) as refused:
        ref.solutions_dir(PACKAGE, search_cwd=False)  # the notebook grader never looks there
    assert "./solutions" not in str(refused.value)
    (local / "hw1").chmod(0o777)  # anyone could plant a reference: not used, and the message says why
    try:
        with pytest.raises(ref.ReferenceNotFound, match="skipped, writable by others"):
            ref.solutions_dir(PACKAGE)
    finally:
        (local / "hw1").chmod(0o755)


def test_a_checkout_beside_the_package_and_the_gradescope_source(nowhere, monkeypatch):
    checkout = nowhere / "checkout"
    copy_solutions(checkout / "solutions", "from the checkout")
    monkeypatch.setattr(ref, "PACKAGE_ROOT", checkout)
    with pytest.raises(ref.ReferenceNotFound):  # a folder named solutions is not enough: a checkout has pyproject
        ref.solutions_dir(PACKAGE)
    (checkout / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert ref.solutions_dir(PACKAGE) == (checkout / "solutions").resolve()
    monkeypatch.setattr(ref, "PACKAGE_ROOT", nowhere / "site-packages")
    gradescope = copy_solutions(nowhere / "gradescope" / "source" / "solutions", "from the zip")
    assert ref.solutions_dir(PACKAGE) == gradescope.resolve()


def test_imported_by_path_under_a_private_name(nowhere, monkeypatch):
    folder = copy_solutions(nowhere / "elsewhere" / "solutions", "private")
    monkeypatch.setenv(ref.ENV, str(folder))
    module = ref.reference_module(PACKAGE, "p5_pool_backprop")
    assert module.__name__.startswith("_autograder_reference_") and module.__name__.endswith(".hw1.p5_pool_backprop")
    assert Path(module.__file__) == folder.resolve() / "hw1" / "p5_pool_backprop.py"
    assert ref.reference_module(PACKAGE, "p5_pool_backprop") is module  # imported once per folder
    files = solution_files(get("hw1"))  # release and the notebooks read the same folder
    assert files["p1_bp_relu.py"] == folder.resolve() / "hw1" / "p1_bp_relu.py"


def test_pinned_holds_the_folder_for_the_block_only(nowhere, monkeypatch):
    monkeypatch.setenv(ref.ENV, "/before")
    with ref.pinned(nowhere / "pinned") as folder:
        assert os.environ[ref.ENV] == str(folder)
    assert os.environ[ref.ENV] == "/before"
    monkeypatch.delenv(ref.ENV)
    with ref.pinned(nowhere / "pinned"):
        pass
    assert ref.ENV not in os.environ


def test_the_cli_takes_solutions_from_the_flag_and_refuses_in_one_line(nowhere, monkeypatch, capsys):
    from autograder.cli import main

    monkeypatch.setenv(ref.ENV, "restored by monkeypatch")  # main() sets it for the run's processes
    copy = copy_solutions(nowhere / "instructor" / "solutions")
    assert main(["release", "hw1", "--solutions", str(copy), "--nbgrader-course", str(nowhere / "course")]) == 0
    assert os.environ[ref.ENV] == str(copy.resolve())
    source = (nowhere / "course" / "source" / "hw1" / "p1_bp_relu.ipynb").read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" in source  # the instructors' source notebooks, made from the flag's folder
    capsys.readouterr()
    assert main(["grade", "--assignment", "hw1", "--solutions", str(nowhere / "missing"), str(REPO / "examples")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing holds no hw1/" in err
