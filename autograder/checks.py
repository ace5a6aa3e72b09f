"""How an assignment declares its checks, as data: which function, on which inputs, judged how, for how many
points, public or hidden.

A :class:`Check` holds one or more :class:`Case` s (input generators) and a judge (see
:mod:`autograder.judges`). The judge turns a case's inputs into a :class:`Program`: the calls the student's
module makes (the child runs it) and the values it returns. The reference module runs the same program
in the grader to give the expected values; for public checks, release stores those values as data so a
student can run the check with no solution present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Inputs = dict[str, Any]

#: Inputs whose names start with one of these are the parent's own (finite-difference probes, the secret
#: seed of a judge's sample points): judges read them, the child is never sent them.
PARENT_ONLY = ("probe:", "judge:")


def parent_only(name: str) -> bool:
    """Whether an input stays in the grader (never sent to the student's code)."""
    return name.startswith(PARENT_ONLY)

_REF = re.compile(r"^([A-Za-z_][\w@+\-]*)((?:\[[^\]]+\])*)$")


def ref(text: str) -> list:
    """``"fwd[1]"`` -> ``["fwd", 1]``; ``"params['W1']"`` -> ``["params", "W1"]``: a path into a program's values."""
    m = _REF.match(text)
    if not m:
        raise ValueError(f"bad reference {text!r}")
    path: list = [m.group(1)]
    for key in re.findall(r"\[([^\]]+)\]", m.group(2)):
        key = key.strip()
        path.append(key.strip("'\"") if key[0] in "'\"" else int(key))
    return path


@dataclass(frozen=True)
class Call:
    """One call in a program: ``name = fn(*args, **kwargs)``; args and kwargs name inputs or earlier results.

    A keyword whose input the case does not provide is left out, so the function's default is used.
    ``literals`` are extra keyword arguments given as values (e.g. a ``{"$callable": ...}``).
    """

    name: str
    fn: str
    args: tuple[str, ...] = ()
    kwargs: tuple[str, ...] = ()
    literals: Mapping[str, Any] = field(default_factory=dict)

    def step(self, inputs: Inputs) -> dict:
        kwargs = {k: {"$ref": [k]} for k in self.kwargs if k in inputs}
        kwargs.update(self.literals)
        return {"name": self.name, "fn": self.fn, "args": [{"$ref": ref(a)} for a in self.args], "kwargs": kwargs}


@dataclass(frozen=True)
class Program:
    """Calls to make and the values to send back, each with the label the feedback uses."""

    calls: tuple[Call, ...]
    returns: tuple[tuple[str, str], ...]  # (label, reference)

    def steps(self, inputs: Inputs) -> list[dict]:
        return [c.step(inputs) for c in self.calls]


@dataclass(frozen=True)
class Case:
    """One input set of a check. ``make(rng)`` draws the inputs; ``label`` says what the case is about."""

    label: str
    make: Callable[[np.random.Generator], Inputs]


@dataclass(frozen=True)
class Check:
    """One graded check of one function.

    id        stable identifier, ``problem.function.aspect`` (used in gradebooks and tests)
    title     what is judged, as the student reads it
    public    whether students see and run it (``autograder check``); hidden checks run only in grading
    cases     input generators; the check's points are split evenly over its cases (partial credit)
    """

    id: str
    problem: str
    module: str
    function: str
    title: str
    points: float
    public: bool
    judge: Any
    cases: tuple[Case, ...]
    hint: str = ""


@dataclass(frozen=True)
class Problem:
    key: str
    module: str
    title: str
    points: float


@dataclass(frozen=True)
class Assignment:
    """An assignment: its problems (one student module each) and every check, public and hidden."""

    name: str
    problems: tuple[Problem, ...]
    checks: tuple[Check, ...]
    solutions_package: str

    def problem(self, key: str) -> Problem:
        return next(p for p in self.problems if p.key == key)

    def validate(self) -> None:
        """Points of each problem's checks add up to the problem's points; ids are unique."""
        ids = [c.id for c in self.checks]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate check ids")
        for p in self.problems:
            total = sum(c.points for c in self.checks if c.problem == p.key)
            if abs(total - p.points) > 1e-9:
                raise ValueError(f"{self.name} {p.key}: checks carry {total} points, the problem {p.points}")
