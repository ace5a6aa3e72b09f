"""The assignments the grader knows: every module (or package) of this package, each declaring one
assignment as data in ``ASSIGNMENT`` (see :mod:`autograder.checks`). Adding ``hwN.py`` here is all it takes
for the engine to know ``hwN``; a student bundle ships this package without any declaration."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from ..checks import Assignment  # (here: names() and source_hints() need no NumPy)

    assignment = importlib.import_module(f"{__name__}.{name}").ASSIGNMENT
    if not isinstance(assignment, Assignment) or assignment.name != name:
        raise UnknownAssignment(f"{__name__}.{name} does not declare ASSIGNMENT = Assignment(name={name!r}, ...)")
    return assignment


#: A quoted identifier, and a ``preload=(...)`` of a problem, in a declaration's source text.
_QUOTED_WORD = re.compile(r"""["'](\w+)["']""")
_PRELOAD = re.compile(r"\bpreload=(\([^()]*\))")


def source_hints(name: str) -> tuple[set[str], tuple[str, ...]] | None:
    """What an assignment's declaration says, read from its source text without running it (importing one
    imports the judges, hence SymPy: half a second): the identifiers it quotes (its problems' module names among
    them) and the modules its problems preload (``preload=(...)``, in order); None where there is no such
    source. A guess, for starting work early (the zygote's imports, :func:`autograder.cli.cmd_grade`): what is
    graded always comes from :func:`get`."""
    try:
        spec = importlib.util.find_spec(f"{__name__}.{name}")
        text = spec.loader.get_source(spec.name) if spec is not None and spec.loader is not None else None
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    if not text:
        return None
    preload: dict[str, None] = {}
    for found in _PRELOAD.findall(text):
        try:
            names = ast.literal_eval(found)
        except (ValueError, SyntaxError):
            return None
        if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
            return None
        preload.update(dict.fromkeys(names))
    return set(_QUOTED_WORD.findall(text)), tuple(preload)
