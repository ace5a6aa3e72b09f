"""How an assignment declares its checks, as data: which function, on which inputs, judged how, for how many
points, public or hidden; its problems; and what its checks need in the child and the grader.

A :class:`Check` holds one or more :class:`Case` s (input generators) and a judge (see :mod:`autograder.judge`
for the interface, :mod:`autograder.judges` for the kinds). The judge turns a case's inputs into a program
(:mod:`autograder.programs`): the calls the student's module makes (the child runs it) and the values it
returns. The reference module runs the same program in the grader to give the expected values; for public
checks, release stores those values as data so a student can run the check with no solution present.

An assignment's checks module (``autograder/assignments/hwN.py``) builds one :class:`Assignment` named
``ASSIGNMENT``; :mod:`autograder.assignments` finds it by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .programs import Inputs

if TYPE_CHECKING:
    from .judge import Judge
    from .variants import VariantSpec

__all__ = ["ALL", "Assignment", "Case", "Check", "Inputs", "Problem", "parent_only"]

#: Inputs whose names start with one of these are the parent's own (the secret seed of a judge's sample points,
#: the assignment's symbolic functions): judges read them, the child is never sent them. (A gradient check's
#: probes are sent: the child expands them, :mod:`autograder.sandbox.probes`.)
PARENT_ONLY = ("judge:",)

#: The ``function`` of a check that judges a property of a whole problem (e.g. no function mutates its inputs).
ALL = "*"


def parent_only(name: str) -> bool:
    """Whether an input stays in the grader (never sent to the student's code)."""
    return name.startswith(PARENT_ONLY)


@dataclass(frozen=True)
class Case:
    """One input set of a check. ``make(rng)`` draws the inputs; ``label`` says what the case is about."""

    label: str
    make: Callable[[np.random.Generator], Inputs]


def check_id(problem: str, function: str, aspect: str) -> str:
    """``problem.function.aspect``; the function is left out for a whole problem's property (:data:`ALL`), the
    aspect where the function has one check only."""
    return ".".join(part for part in (problem, "" if function == ALL else function, aspect) if part)


@dataclass(frozen=True)
class Check:
    """One graded check of one function (declared with keyword arguments).

    problem   the problem's key (``p1``); the student module is the problem's (``module`` is filled in by the
              :class:`Assignment`)
    function  the function judged, or :data:`ALL` for a property of the whole problem
    aspect    what about it is judged (``values``, ``gradcheck``, ...); with problem and function it makes the
              stable ``id`` (``p1.relu.values``) that gradebooks and tests use
    title     what is judged, as the student reads it
    public    whether students see and run it (``autograder check``); hidden checks run only in grading
    judge     how a case is judged (:class:`autograder.judge.Judge`)
    cases     input generators; the check's points are split evenly over its cases (partial credit)
    """

    problem: str
    function: str
    title: str
    points: float
    public: bool
    judge: Judge
    cases: tuple[Case, ...]
    aspect: str = ""
    hint: str = ""
    module: str = ""
    id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", check_id(self.problem, self.function, self.aspect))


@dataclass(frozen=True)
class Problem:
    """One problem: its key, its student module, its title, its points, and the modules the child imports
    before any student code runs (``preload``, e.g. ``("sympy",)`` where answers are SymPy expressions)."""

    key: str
    module: str
    title: str
    points: float
    preload: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """An assignment: its problems (one student module each) and every check, public and hidden, and what is
    its own beyond them:

    solutions_package  where its reference lives (default ``solutions.NAME``; found by :mod:`.reference`; ""
                       for an assignment read from public data, which has none)
    callables          the source text of its trusted callables (:func:`autograder.callables.callables_source`)
    functions          symbolic aliases: function name -> its definition in ``x`` (SymPy text), e.g.
                       ``{"sigma": "1/(1 + exp(-x))"}``: a student's answer may apply them; the symbolic worker
                       receives them with each request
    variants           what a per-student variant changes (:class:`autograder.variants.VariantSpec`), or None
    """

    name: str
    problems: tuple[Problem, ...]
    checks: tuple[Check, ...]
    solutions_package: str | None = None
    callables: str = ""
    functions: Mapping[str, str] = field(default_factory=dict)
    variants: VariantSpec | None = None

    def __post_init__(self) -> None:
        if self.solutions_package is None:
            object.__setattr__(self, "solutions_package", f"solutions.{self.name}")
        modules = {p.key: p.module for p in self.problems}
        checks = tuple(
            c if c.module or c.problem not in modules else dataclasses.replace(c, module=modules[c.problem])
            for c in self.checks
        )
        object.__setattr__(self, "checks", checks)

    def problem(self, key: str) -> Problem:
        """The problem with this key."""
        return next(p for p in self.problems if p.key == key)

    def preload(self, checks: list[Check] | tuple[Check, ...]) -> tuple[str, ...]:
        """The modules the child imports before student code runs, for these checks (their problems')."""
        keys = {c.problem for c in checks}
        return tuple(dict.fromkeys(m for p in self.problems if p.key in keys for m in p.preload))

    def validate(self) -> None:
        """Points of each problem's checks add up to the problem's points; ids are unique; every check's
        problem is one of the assignment's."""
        ids = [c.id for c in self.checks]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.name}: duplicate check ids")
        keys = {p.key for p in self.problems}
        stray = [c.id for c in self.checks if c.problem not in keys]
        if stray:
            raise ValueError(f"{self.name}: checks of no problem: {', '.join(stray)}")
        for p in self.problems:
            total = sum(c.points for c in self.checks if c.problem == p.key)
            if abs(total - p.points) > 1e-9:
                raise ValueError(f"{self.name} {p.key}: checks carry {total} points, the problem {p.points}")
