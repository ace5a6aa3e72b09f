"""Release, for every assignment the registry knows: stubs from the solutions, committed stubs and public data in
sync with what release generates, a student bundle with no solution line, no declaration and no hidden check."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.assignments import get, names
from autograder.public_data import PublicExpectations
from autograder.release import (
    BEGIN,
    END,
    MarkerError,
    make_stub,
    solution_files,
    write_assignment,
    write_bundle,
)
from tests.test_public_symbolic import answer_leaks

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=names())
def assignment(request):
    return get(request.param)


@pytest.fixture(scope="module")
def committed(assignment):
    return REPO / "assignments" / assignment.name


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, assignment):
    folder = tmp_path_factory.mktemp("release") / assignment.name
    write_assignment(assignment, folder)
    return folder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, assignment):
    return write_bundle(assignment, tmp_path_factory.mktemp("bundle") / "student")


def test_make_stub_replaces_function_bodies_and_drops_module_regions():
    source = (
        "import numpy as np\n\n"
        f"{BEGIN}\nfrom secret import helper\n{END}\n\n\n"
        'def f(x):\n    """Doc."""\n'
        f"    {BEGIN}\n    return helper(x)\n    {END}\n"
    )
    stub = make_stub(source)
    assert "helper" not in stub and "secret" not in stub
    assert f'    """Doc."""\n    {BEGIN}\n    raise NotImplementedError\n    {END}\n' in stub
    assert stub.count(BEGIN) == 1


@pytest.mark.parametrize("bad", [f"{BEGIN}\nx = 1\n", f"x = 1\n{END}\n", f"{BEGIN}\n{BEGIN}\n{END}\n"])
def test_make_stub_rejects_unpaired_markers(bad):
    with pytest.raises(MarkerError):
        make_stub(bad)


def test_committed_stubs_match_what_release_generates(fresh, assignment, committed):
    again = f"run `autograder release {assignment.name} --in-place`"
    for name in solution_files(assignment):
        assert (committed / name).read_text() == (fresh / name).read_text(), (
            f"assignments/{assignment.name}/{name} drifted from its solution: {again}"
        )
        stubs = REPO / "examples" / "submissions" / assignment.name / "stubs_only"
        assert (stubs / name).read_text() == (fresh / name).read_text(), f"{stubs}/{name} drifted: {again}"
    for name in ("__init__.py", "README.md"):  # the released folder is a package, with the students' README
        assert (committed / name).read_text() == (fresh / name).read_text(), f"{name} drifted: {again}"
    released = {p.name for p in committed.iterdir() if p.name != "__pycache__"}
    assert released == {p.name for p in fresh.iterdir()}, f"assignments/{assignment.name} holds other files"


def test_committed_public_data_matches_what_release_generates(fresh, assignment, committed):
    old, new = PublicExpectations(committed), PublicExpectations(fresh)
    assert [c["id"] for c in old.data["checks"]] == [c["id"] for c in new.data["checks"]]
    # arrays live in the npz (compared below with a tolerance); the JSON holds everything else exactly
    assert old.data == new.data, f"public_checks.json drifted: run `autograder release {assignment.name} --in-place`"
    assert sorted(old.arrays.store) == sorted(new.arrays.store)
    for key, value in old.arrays.store.items():
        np.testing.assert_allclose(value, new.arrays.store[key], rtol=1e-12, atol=1e-14)


def test_stubs_keep_docstrings_and_signatures_and_raise(fresh, assignment):
    import importlib.util

    for name, source in solution_files(assignment).items():
        stub = (fresh / name).read_text()
        assert "NotImplementedError" in stub
        assert "array_api_compat" not in stub, "the student stubs are plain NumPy"
        solution = source.read_text()
        assert re.findall(r"^def (\w+)\(", stub, re.M) == [
            f for f in re.findall(r"^def (\w+)\(", solution, re.M) if not f.startswith("_")
        ]
        doc = ast.get_docstring(ast.parse(solution)) or ""
        assert re.search(r"[\u4e00-\u9fff]", doc), f"{name}'s docstring holds no original Chinese problem text"
        assert ast.get_docstring(ast.parse(stub)) == doc, f"{name} lost the original Chinese problem text"
        spec = importlib.util.spec_from_file_location(f"stub_{name[:-3]}", fresh / name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # stubs import cleanly


def test_public_data_holds_public_checks_only(fresh, assignment):
    data = json.loads((fresh / "public_checks.json").read_text())
    public = {c.id for c in assignment.checks if c.public}
    hidden = {c.id for c in assignment.checks if not c.public}
    assert {c["id"] for c in data["checks"]} == public
    text = (fresh / "public_checks.json").read_text()
    assert not any(h in text for h in hidden)
    assert "pickle" not in text
    answers = re.findall(r'"\$srepr": "([^"]*)"', text)
    assert set(answers) <= {""}, "public data must never hold a reference's SymPy answer"
    assert answer_leaks(assignment, fresh) == [], "only values (numbers) at public points stand for an answer"
    if any("sympy" in p.preload for p in assignment.problems):  # its answers are SymPy expressions: withheld
        assert answers
    with np.load(fresh / "public_checks.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_bundle_has_no_solution_code_and_no_hidden_check(bundle, assignment):
    files = [p for p in bundle.rglob("*") if p.is_file()]
    names = {p.relative_to(bundle).as_posix() for p in files}
    assert not any(n.startswith("solutions/") for n in names)
    declarations = [n for n in names if n.startswith("autograder/assignments/") and not n.endswith("/__init__.py")]
    assert declarations == [], "the bundle must hold no assignment's declaration (its hidden checks)"
    solution_lines = set()
    for path in solution_files(assignment).values():
        inside = False
        for line in path.read_text().splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and len(line.strip()) > 25 and not line.strip().startswith("#"):
                solution_lines.add(line.strip())
    assert solution_lines, "the solutions should have substantial solution lines"
    hidden = [c.id for c in assignment.checks if not c.public]
    for path in files:
        if path.suffix not in (".py", ".json", ".md", ".toml"):
            continue
        text = path.read_text()
        leaked = [line for line in solution_lines if line in text]
        assert not leaked, f"{path.relative_to(bundle)} holds solution code: {leaked[:2]}"
        assert not [h for h in hidden if h in text], f"{path.relative_to(bundle)} names hidden checks"


def test_bundle_check_command_runs_without_the_repository(bundle, assignment, tmp_path):
    """The bundle's own engine runs the public checks on the stubs: every check fails, exit status 1; the
    assignment is found by name, by its folder, or as the one released assignment there."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(bundle), "HOME": str(tmp_path)}
    last = assignment.problems[-1].key
    first_public = next(c for c in assignment.checks if c.problem == last and c.public)
    for how in ([assignment.name], [str(bundle / assignment.name)], []):
        run = subprocess.run(
            [sys.executable, "-m", "autograder", "check", *how, "--problem", last],
            cwd=bundle,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert run.returncode == 1, run.stderr
        assert "is not implemented yet" in run.stdout and first_public.id in run.stdout
        assert f"{last}:     0 /" in run.stdout


@pytest.mark.parametrize("command", [["grade", "."], ["release", "{name}", "--out", "x"], ["gradescope", "{name}"]])
def test_instructor_commands_in_a_bundle_say_what_is_missing(bundle, assignment, tmp_path, command):
    """A student bundle has no checks' declarations nor reference: the instructors' commands say so in one
    line (and point to ``autograder check``) instead of a traceback."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(bundle), "HOME": str(tmp_path)}
    args = [a.format(name=assignment.name) for a in command]
    run = subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=bundle, capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert "no assignment's checks" in run.stderr and "autograder check" in run.stderr
