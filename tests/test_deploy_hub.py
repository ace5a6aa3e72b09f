"""A shared JupyterHub's install: what students can import, read and run holds no reference solution.

A wheel and an sdist are built once from a copy of this repository (``solutions/`` copied too: the build
must leave it out). The wheel is installed the way a hub installs it, non-editable with ``--no-deps`` into
a fresh virtual environment whose NumPy, SymPy, mpmath and array-api-compat are the running Python's (linked
in, so that this checkout's own development install stays out of it). Then a non-root student, created with
``useradd``, works in their own folder: ``import solutions`` fails, the locator and ``autograder grade``
refuse in one line, no installed file holds a line of a solution body, and the notebook's autograded cell
runs the public checks only, with their feedback.

Where the interpreter lives in a folder the student cannot enter (``/root/.pyenv`` here), each student
command runs in a private mount namespace that shows that interpreter's folder, and nothing else of the
folder above it, at the same path (as a hub's ``/opt/conda`` or ``/usr`` would be).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.assignments import get
from autograder.notebook_grading import PUBLIC_ONLY
from autograder.release import BEGIN, END

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions" / "hw1"
SAMPLES = REPO / "examples" / "submissions" / "hw1"
STUDENT = "nnopt-hub-student"
DEPENDENCIES = ("numpy", "sympy", "mpmath", "array-api-compat")
SOURCES = ("autograder", "assignments", "source_lib", "solutions")
ASSIGNMENT = get("hw1")

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="a hub's install is tested on Linux"),
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="creating a student user (useradd) and switching to it needs root",
    ),
]


def solution_lines() -> set[str]:
    """Distinctive lines of the reference's solution bodies (between the markers, not comments)."""
    lines = set()
    for path in sorted(SOLUTIONS.glob("p*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and len(line.strip()) > 25 and not line.strip().startswith("#"):
                lines.add(line.strip())
    assert len(lines) > 20, "the solutions should have substantial solution lines"
    return lines


def leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    lines = solution_lines()
    found = {name: [line for line in lines if line in text] for name, text in texts.items()}
    return {name: hits[:2] for name, hits in found.items() if hits}


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """{"wheel": ..., "sdist": ...} built from a copy of the repository (nothing written into the checkout)."""
    root = tmp_path_factory.mktemp("hub-build")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, src / name)
    for package in SOURCES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheel = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(src)]
    run = subprocess.run([*wheel[:5], "--no-build-isolation", *wheel[5:]], capture_output=True, text=True)
    if run.returncode != 0:  # no `wheel` package for this setuptools: let pip fetch the build backend
        run = subprocess.run(wheel, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    code = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    sdist = subprocess.run(
        [sys.executable, "-c", code, str(root / "dist")], cwd=src, capture_output=True, text=True, timeout=300
    )
    assert sdist.returncode == 0, sdist.stderr[-2000:]
    return {"wheel": next((root / "dist").glob("*.whl")), "sdist": next((root / "dist").glob("*.tar.gz"))}


def test_wheel_and_sdist_hold_the_engine_stubs_and_public_data_but_no_reference(built):
    with zipfile.ZipFile(built["wheel"]) as z:
        names = set(z.namelist())
        texts = {n: z.read(n).decode("utf-8", "replace") for n in names if n.endswith((".py", ".json", ".md"))}
        top = z.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
    assert not [n for n in names if n.startswith("solutions/")]
    assert sorted(top) == ["assignments", "autograder", "source_lib"]
    for needed in (
        "autograder/reference.py",
        "assignments/hw1/public_checks.json",
        "assignments/hw1/p5_pool_backprop.py",
    ):
        assert needed in names, f"the wheel lacks {needed}"
    assert "assignments/hw1/public_checks.npz" in names
    assert not leaks(texts), leaks(texts)
    with tarfile.open(built["sdist"]) as t:
        members = [m.name.split("/", 1)[-1] for m in t.getmembers()]
        sdist_texts = {
            m.name: t.extractfile(m).read().decode("utf-8", "replace")
            for m in t.getmembers()
            if m.isfile() and m.name.endswith(".py")
        }
    assert "autograder/reference.py" in members
    assert not [m for m in members if m.startswith("solutions/")] and not leaks(sdist_texts)


# -- the hub ------------------------------------------------------------------------------------------------


def _world_enterable(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def _namespace_prelude(needed: list[Path], scratch: Path) -> str:
    """Shell lines (run as root in a new mount namespace) that show each ``needed`` folder at its own path
    to other users, when a folder above it cannot be entered (e.g. ``/root``): a mode-0755 tmpfs over the
    topmost such folder, with only the needed folders bound back into it."""
    lines, hidden = [], {}
    for path in needed:
        closed = [p for p in [*reversed(path.parents), path] if not os.stat(p).st_mode & 0o001]
        if closed:
            hidden.setdefault(closed[0], []).append(path)
    for index, (top, paths) in enumerate(sorted(hidden.items())):
        keep = []
        for j, path in enumerate(paths):
            spare = scratch / f"bind-{index}-{j}"
            spare.mkdir(parents=True, exist_ok=True)
            lines.append(f"mount --bind {shlex.quote(str(path))} {shlex.quote(str(spare))}")
            keep.append((spare, path))
        lines.append(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(top))}")
        for spare, path in keep:
            lines += [
                f"mkdir -p {shlex.quote(str(path))}",
                f"mount --bind {shlex.quote(str(spare))} {shlex.quote(str(path))}",
            ]
    return "\n".join(lines)


class Hub:
    """The hub's environment and a student in it."""

    def __init__(self, venv: Path, home: Path, user: pwd.struct_passwd, prelude: str):
        self.venv, self.home, self.user, self.prelude = venv, home, user, prelude

    def run(self, *command: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
        """``command`` as the student (own uid and gid, no groups, a clean environment)."""
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
        }
        as_student = [
            "setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
            "env", "-i", *[f"{k}={v}" for k, v in env.items()], *command,
        ]  # fmt: skip
        script = f"set -e\n{self.prelude}\ncd {shlex.quote(str(cwd or self.home))}\nexec {shlex.join(as_student)}"
        return subprocess.run(
            ["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def student() -> pwd.struct_passwd:
    for tool in ("useradd", "userdel", "setpriv", "unshare"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    created = False
    try:
        user = pwd.getpwnam(STUDENT)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", STUDENT],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0 and "already exists" not in made.stderr:
            pytest.skip(f"useradd failed: {made.stderr.strip()}")
        created = made.returncode == 0
        user = pwd.getpwnam(STUDENT)
    yield user
    if created:
        subprocess.run(["userdel", STUDENT], capture_output=True)


@pytest.fixture(scope="module")
def hub(built, student):
    base = Path(tempfile.mkdtemp(prefix="autograder-hub-"))
    try:
        base.chmod(0o755)
        venv = base / "hub-venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        site = Path(
            subprocess.run(
                [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        needed = [Path(sys.base_prefix).resolve()]
        for name in DEPENDENCIES:  # the dependencies, linked in from this Python (the hub's own would do)
            dist = importlib.metadata.distribution(name)
            for top in sorted({str(f).split("/")[0] for f in dist.files or []} - {"..", "__pycache__"}):
                target = Path(dist.locate_file(top)).resolve()
                if target.exists() and not (site / top).exists():
                    (site / top).symlink_to(target)
                    needed.append(target.parent)
        install = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
        done = subprocess.run(
            [*install, "--no-deps", "--no-index", str(built["wheel"])], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        home = base / "home" / STUDENT
        home.mkdir(parents=True)
        os.chown(home, student.pw_uid, student.pw_gid)
        needed = sorted({p for p in needed if not _world_enterable(p)})
        prelude = _namespace_prelude(needed, base / ".mounts")
        hub = Hub(venv, home, student, prelude)
        probe = hub.run("python", "-c", "import os, numpy, sympy; print(os.getuid())")
        if probe.returncode != 0 and "unshare" in probe.stderr:
            pytest.skip(f"no private mount namespace here: {probe.stderr.strip()[:200]}")
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.split() == [str(student.pw_uid)], "the commands must run as the student"
        yield hub, site
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_student_cannot_import_or_locate_the_reference(hub):
    env, site = hub
    run = env.run("python", "-c", "import solutions")
    assert run.returncode != 0 and "No module named 'solutions'" in run.stderr
    code = "import autograder.reference as r; r.reference_module('solutions.hw1', 'p5_pool_backprop')"
    run = env.run("python", "-c", code)
    assert run.returncode != 0 and "ReferenceNotFound: no reference solutions for solutions.hw1" in run.stderr
    assert f"{site}: not a checkout" in run.stderr and "./solutions" in run.stderr
    submission = env.home / "mine"
    shutil.copytree(SAMPLES / "correct_loops", submission)
    os.chown(submission, env.user.pw_uid, env.user.pw_gid)
    graded = env.run("autograder", "grade", str(submission))  # hidden checks refuse to start, in one line
    assert graded.returncode == 2, graded.stdout + graded.stderr
    assert graded.stdout == "" and len(graded.stderr.strip().splitlines()) == 1, graded.stderr
    assert "no reference solutions for solutions.hw1" in graded.stderr and "AUTOGRADER_SOLUTIONS" in graded.stderr


def test_no_installed_file_holds_a_solution_body(hub):
    env, site = hub
    texts = {}
    for dirpath, _, names in os.walk(env.venv):  # symlinked dependency folders are not followed
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            texts[str(path.relative_to(env.venv))] = path.read_bytes().decode("utf-8", "replace")
    assert any(n.endswith("autograder/reference.py") for n in texts), "the walk must cover the installed package"
    assert not [n for n in texts if "/solutions/" in n]
    assert not leaks(texts), leaks(texts)


def test_the_score_cell_in_the_students_kernel_runs_public_checks_only(hub):
    """The released p1 notebook with a buggy relu_grad, its autograded cell run as the student (its last
    expression's value printed, as Jupyter shows it): public points, `autograder check`'s feedback."""
    env, _ = hub
    module = "p1_bp_relu"
    source = notebooks.problem_notebook(
        ASSIGNMENT, ASSIGNMENT.problem("p1"), (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    )
    released = notebooks.stub_notebook(source)
    nb = notebooks.fill_from_module(released, (SAMPLES / "relu_grad_at_zero" / f"{module}.py").read_text(), module)
    folder = env.home / "hw1"
    folder.mkdir()
    (folder / f"{module}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade"))
    (folder / "cell.py").write_text(notebooks._text(cell), encoding="utf-8")
    (folder / "kernel.py").write_text(KERNEL, encoding="utf-8")
    for path in (folder, *folder.iterdir()):
        os.chown(path, env.user.pw_uid, env.user.pw_gid)
    run = env.run("python", "kernel.py", "cell.py", cwd=folder)
    assert run.returncode == 0, run.stdout + run.stderr
    public = sum(c.points for c in ASSIGNMENT.checks if c.problem == "p1" and c.public)
    lost = sum(c.points for c in ASSIGNMENT.checks if c.id == "p1.relu_grad.values")
    assert run.stdout.startswith(f"p1: public checks {public - lost:g} / {public:g} points ({PUBLIC_ONLY}"), run.stdout
    assert run.stdout.rstrip().endswith(f"cell value: {float(public - lost)!r}")
    assert "relu_grad[0, 0]: expected 0, got 1" in run.stdout and "hint: relu'(0) is 0" in run.stdout
    assert "(hidden)" not in run.stdout and not [c.id for c in ASSIGNMENT.checks if not c.public and c.id in run.stdout]


KERNEL = """import ast, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
last = tree.body.pop()
namespace = {}
exec(compile(tree, "cell", "exec"), namespace)
print("cell value:", repr(eval(compile(ast.Expression(last.value), "cell", "eval"), namespace)))
"""


def test_a_plain_install_says_in_one_line_why_demo_and_gradescope_need_a_checkout(hub):
    """``pip install .`` (non-editable, as the hub's wheel) ships neither the samples nor the reference: ``demo``
    and ``gradescope`` each say so in one line and exit 2, no traceback (issue #13: both crashed or half-ran)."""
    env, site = hub
    for command, words in (
        (("autograder", "demo"), ("no sample submissions", "pip install -e .")),
        (("autograder", "demo", "hw2"), ("no sample submissions", "pip install -e .")),
        (("autograder", "gradescope", "hw1", "--out", str(env.home / "hw1.zip")), ("checkout", "pyproject.toml")),
    ):
        run = env.run(*command)
        assert run.returncode == 2, (command, run.stdout, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr, (command, run.stderr)
        assert all(w in lines[0] for w in words), (command, lines[0])
    assert not (env.home / "hw1.zip").exists()
