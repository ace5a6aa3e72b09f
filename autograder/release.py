"""Make the student version of an assignment from its reference solutions.

- A solution region inside a function (``### BEGIN SOLUTION`` … ``### END SOLUTION``, indented) keeps its
  markers and its body becomes ``raise NotImplementedError``; docstrings and signatures stay.
- A region at column 0 (solution-only imports and helpers) is removed with its markers.
- Public checks' expected values are computed from the reference and written beside the stubs as data.
- The bundle adds the grading engine without any assignment's declarations (so no hidden check) and
  without ``solutions/``, and a README for students.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import public_data
from .checks import Assignment
from .reference import reference_folder

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PUBLIC_SEED = 20261123


class MarkerError(ValueError):
    """Solution markers that do not pair up."""


def make_stub(source: str, filename: str = "<source>") -> str:
    """The student stub of one solution file."""
    out: list[str] = []
    region: str | None = None  # indentation of the open region
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if region is not None:
                raise MarkerError(f"{filename}:{number}: {BEGIN} inside an open region")
            region = line[: len(line) - len(line.lstrip())]
            if region:
                out += [line, f"{region}raise NotImplementedError"]
        elif stripped == END:
            if region is None:
                raise MarkerError(f"{filename}:{number}: {END} without {BEGIN}")
            if region:
                out.append(line)
            region = None
        elif region is None:
            out.append(line)
    if region is not None:
        raise MarkerError(f"{filename}: {BEGIN} never closed")
    text = "\n".join(out) + "\n"
    return re.sub(r"\n{4,}", "\n\n\n", text)


def solution_files(assignment: Assignment) -> dict[str, Path]:
    """The reference module of each problem, from the instructors' solutions folder (:mod:`.reference`)."""
    folder = reference_folder(assignment.solutions_package)
    return {f"{p.module}.py": folder / f"{p.module}.py" for p in assignment.problems}


def write_assignment(assignment: Assignment, folder: Path, seed: int = PUBLIC_SEED, variant=None) -> list[Path]:
    """Stubs, public checks' data and the student README of one assignment, into ``folder``.

    With a :class:`~autograder.variants.Variant` (and ``assignment`` specialized to it), the stubs show the
    student's numbers, the public checks' inputs come from the student's public seed and the README says whose
    copy it is.
    """
    seed = variant.public_seed if variant is not None else seed
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in solution_files(assignment).items():
        stub = make_stub(path.read_text(encoding="utf-8"), name)
        (folder / name).write_text(variant.stub(name, stub) if variant else stub, encoding="utf-8")
        written.append(folder / name)
    (folder / "__init__.py").write_text(PACKAGE_DOC, encoding="utf-8")
    ids = public_data.write(assignment, seed, folder)
    readme = student_readme(assignment, ids) + (variant.readme_note if variant else "")
    (folder / "README.md").write_text(readme, encoding="utf-8")
    extra = ["__init__.py", "public_checks.json", "public_checks.npz", "README.md"]
    return written + [folder / name for name in extra]


#: The released folder is a package (``assignments.hwN``, empty), so the installed engine finds its public data.
PACKAGE_DOC = ""


def student_readme(assignment: Assignment, public_ids: list[str]) -> str:
    problems = "\n".join(f"| {p.key} | `{p.module}.py` | {p.title} | {p.points:g} |" for p in assignment.problems)
    return f"""# {assignment.name}

Fill in every function between `### BEGIN SOLUTION` and `### END SOLUTION` (replace the
`raise NotImplementedError`); keep names and signatures. Each docstring gives the problem in the original
Chinese, an English statement, the shapes, the conventions and a worked example.

| problem | file | topic | points |
| --- | --- | --- | --- |
{problems}

Check your work with the public checks (the grader runs your code in a separate, sandboxed process):

    autograder check {assignment.name}              # all problems
    autograder check {assignment.name} --problem {assignment.problems[0].key} # one problem

Every failing check names the function, the inputs it tried, what was expected and what your code
returned, and most give a hint. The public checks ({len(public_ids)} of them) run on fixed inputs whose expected
values ship in `public_checks.json`/`.npz`. Grading runs the same checks on fresh random inputs plus hidden
checks (edge cases, symbolic and counting answers), so passing every public check is necessary, not
sufficient: test the edge cases the docstrings mention yourself.
"""


ENGINE_EXCLUDE = ("__pycache__",)


def write_bundle(assignment: Assignment, out: Path, seed: int = PUBLIC_SEED, variant=None) -> Path:
    """The whole student bundle: the assignment folder plus an installable grading engine without solutions
    and without any assignment declaration (so no hidden check)."""
    out.mkdir(parents=True, exist_ok=True)
    write_assignment(assignment, out / assignment.name, seed, variant=variant)
    engine = Path(__file__).parent
    target = out / "autograder"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(engine, target, ignore=shutil.ignore_patterns(*ENGINE_EXCLUDE))
    for declaration in (target / "assignments").glob("*.py"):
        if declaration.name != "__init__.py":
            declaration.unlink()
    (out / "pyproject.toml").write_text(STUDENT_PYPROJECT, encoding="utf-8")
    (out / "README.md").write_text(
        (out / assignment.name / "README.md").read_text(encoding="utf-8") + INSTALL_NOTE, encoding="utf-8"
    )
    return out


STUDENT_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "nnopt-autograder-student"
version = "0.1.0"
description = "The public checks of the course's assignments, run on your own machine."
requires-python = ">=3.10"
dependencies = ["numpy>=1.26", "sympy>=1.12", "array-api-compat>=1.6"]

[project.scripts]
autograder = "autograder.cli:main"

[tool.setuptools.packages.find]
include = ["autograder*"]
"""

INSTALL_NOTE = """
## Install

    pip install -e .          # in this folder: gives the `autograder` command (public checks only)
"""
