"""Trusted callables an assignment may send to student code (e.g. ``f_prime`` of hw1's ``conv_error_term``,
or the gradient of a given surface), declared in the assignment's checks module as plain functions.

They must run inside the sandboxed child, which never imports the grader: so they travel as *source text*.
:func:`callables_source` turns the declared functions into the text of a small module (``import numpy as
np`` and each function's own source; a function may use only NumPy and its own arguments). Each request that
uses one carries that text (``request["callables"]``); the child executes it once
(:func:`autograder.sandbox.executor.load_callables`) and an argument ``{"$callable": name}`` or a call of
``fn = "$name"`` gets the function. The grader runs the reference with the same text, executed the same way,
so both sides call exactly the same code. Public data stores the text, so a student's own ``autograder
check`` has it without any assignment declaration.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterable

HEADER = "import numpy as np\n"


def callables_source(functions: Iterable[Callable]) -> str:
    """The module text of the given top-level functions (their own source, in order), or "" for none."""
    parts = [textwrap.dedent(inspect.getsource(fn)).strip() for fn in functions]
    return HEADER + "\n\n" + "\n\n\n".join(parts) + "\n" if parts else ""


def uses_callables(value: object) -> bool:
    """Whether a program's steps or inputs (JSON-like) name a trusted callable."""
    if isinstance(value, dict):
        if "$callable" in value or str(value.get("fn", "")).startswith("$"):
            return True
        return any(uses_callables(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(uses_callables(v) for v in value)
    return False
