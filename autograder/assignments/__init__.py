"""The assignments the grader knows: every module (or package) of this package, each declaring one
assignment as data in ``ASSIGNMENT`` (see :mod:`autograder.checks`). Adding ``hwN.py`` here is all it takes
for the engine to know ``hwN``; a student bundle ships this package without any declaration."""

from __future__ import annotations

import importlib
import pkgutil

from ..checks import Assignment

#: What a command that needs an assignment's checks says where none are installed (a student bundle).
NONE_HERE = (
    "this installation holds no assignment's checks (a student bundle?): `autograder check` runs the public "
    "checks here; grading, release, variants and Gradescope zips need the instructors' installation"
)


class UnknownAssignment(KeyError):
    """An assignment name the registry does not know; its message is one line listing the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def names() -> list[str]:
    """The known assignments' names, sorted (the modules of this package)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Assignment:
    """The full declaration (public and hidden checks) of an assignment; instructors' side only. An unknown
    name raises :class:`UnknownAssignment` (a KeyError) with a one-line message listing the known ones."""
    known = names()
    if not known:
        raise UnknownAssignment(NONE_HERE)
    if name not in known:
        raise UnknownAssignment(f"unknown assignment {name!r}; known: {', '.join(known)}")
    assignment = importlib.import_module(f"{__name__}.{name}").ASSIGNMENT
    if not isinstance(assignment, Assignment) or assignment.name != name:
        raise UnknownAssignment(f"{__name__}.{name} does not declare ASSIGNMENT = Assignment(name={name!r}, ...)")
    return assignment
