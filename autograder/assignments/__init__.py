"""The assignments the grader knows, each declared in its own module as data (see :mod:`autograder.checks`)."""

from __future__ import annotations

import importlib

from ..checks import Assignment

MODULES = {"hw1": "autograder.assignments.hw1"}


def get(name: str) -> Assignment:
    """The full declaration (public and hidden checks) of an assignment; instructors' side only."""
    if name not in MODULES:
        raise KeyError(f"unknown assignment {name!r}; known: {', '.join(sorted(MODULES))}")
    return importlib.import_module(MODULES[name]).ASSIGNMENT
