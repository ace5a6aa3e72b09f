"""Programs: the calls a check makes of a student's module, and the values they send back, as data.

A :class:`Program` is a list of :class:`Call` s (``name = fn(*args, **kwargs)``, arguments naming inputs or
earlier results) and the values to return, each with the label the feedback uses. The child runs it on the
student's module, the grader on the reference's (:mod:`autograder.sandbox.executor` runs both). The builders
below make the usual shapes: one call (:func:`call`), a forward then its backward (:func:`forward_then`), and
a state threaded through many calls (:func:`steps_over`).

Threading state: rather than a loop step the executor would have to interpret, :func:`steps_over` unrolls T
steps into T calls that refer to each other's results (``s3 = step(s2[0], g2, s2[1], lr=lr)``). The wire stays
small: an input is sent once (a call refers to it, or to one row of it, by name: ``g[2]``); only the calls'
descriptions grow with T (about 150 bytes each). A call whose ``fn`` starts with ``$`` calls one of the
assignment's trusted callables (:mod:`autograder.callables`) inside the child, e.g. the gradient of a given
surface at the student's own iterate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Inputs = dict[str, Any]

_REF = re.compile(r"^([A-Za-z_][\w@+\-]*)((?:\[[^\]]+\])*)$")

#: The prefix of a call's ``fn`` that names one of the assignment's trusted callables, not a student function.
CALLABLE = "$"


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
    ``literals`` are extra keyword arguments given as values (e.g. a ``{"$callable": ...}``). An ``fn`` of
    ``"$name"`` calls the assignment's trusted callable ``name`` instead of the student's function.
    """

    name: str
    fn: str
    args: tuple[str, ...] = ()
    kwargs: tuple[str, ...] = ()
    literals: Mapping[str, Any] = field(default_factory=dict)

    def step(self, inputs: Inputs) -> dict:
        """The call as the executor reads it (JSON)."""
        kwargs = {k: {"$ref": [k]} for k in self.kwargs if k in inputs}
        kwargs.update(self.literals)
        return {"name": self.name, "fn": self.fn, "args": [{"$ref": ref(a)} for a in self.args], "kwargs": kwargs}


@dataclass(frozen=True)
class Program:
    """Calls to make and the values to send back, each with the label the feedback uses."""

    calls: tuple[Call, ...]
    returns: tuple[tuple[str, str], ...]  # (label, reference)

    def steps(self, inputs: Inputs) -> list[dict]:
        """Every call as the executor reads it."""
        return [c.step(inputs) for c in self.calls]

    def to_data(self) -> dict:
        """The program as JSON (public data)."""
        calls = [
            {"name": c.name, "fn": c.fn, "args": list(c.args), "kwargs": list(c.kwargs), "literals": dict(c.literals)}
            for c in self.calls
        ]
        return {"calls": calls, "returns": [list(r) for r in self.returns]}

    @classmethod
    def from_data(cls, d: dict) -> Program:
        """The program :meth:`to_data` wrote."""
        calls = tuple(Call(c["name"], c["fn"], tuple(c["args"]), tuple(c["kwargs"]), c["literals"]) for c in d["calls"])
        return cls(calls, tuple(tuple(r) for r in d["returns"]))


def call(
    fn: str, *args: str, kwargs: tuple[str, ...] = (), returns: tuple[tuple[str, str], ...] | None = None, **literals
) -> Program:
    """A one-call program ``fn(*args, **kwargs)`` returning its whole result (labelled by the function)."""
    return Program((Call("r", fn, args, kwargs, literals),), returns or ((fn, "r"),))


def forward_then(
    forward: str,
    fargs: tuple[str, ...],
    backward: str,
    bargs: tuple[str, ...],
    label: str,
    fkwargs: tuple[str, ...] = (),
) -> Program:
    """``fwd = forward(...)``, then ``backward(..., fwd[1])`` with the student's own cache; returns the backward."""
    return Program((Call("fwd", forward, fargs, fkwargs), Call("bwd", backward, bargs)), ((label, "bwd"),))


def steps_over(
    fn: str,
    times: int,
    theta: str = "theta",
    state: str | None = "state",
    grad: str | None = None,
    gradients: str | None = None,
    hyper: tuple[str, ...] = (),
    every: bool = True,
    label: str = "theta",
) -> Program:
    """``times`` calls ``s{t+1} = fn(theta_t, g_t, state_t, **hyper)`` with the student's own state threaded
    through: ``fn`` returns ``(new_theta, new_state)``; the state is opaque (passed back, never returned to the
    grader, never compared). Step 0 starts from the inputs ``theta`` and ``state`` (``state=None``: ``fn`` takes
    no state and returns the new theta only).

    The gradient g_t is either row t of the input ``gradients`` (fixed gradients, sent once) or, with
    ``grad``, the trusted callable ``grad`` (:mod:`autograder.callables`) evaluated in the child at the student's
    own θ_t (``g{t} = $grad(theta_t)``). Returns θ_1 … θ_T (``every``) or θ_T only, labelled ``label[t]``."""
    if (grad is None) == (gradients is None):
        raise ValueError("steps_over needs exactly one of grad (a callable) and gradients (an input)")
    calls: list[Call] = []

    def theta_at(t: int) -> str:
        if t == 0:
            return theta
        return f"s{t}[0]" if state is not None else f"s{t}"

    for t in range(times):
        if grad is not None:
            calls.append(Call(f"g{t}", f"{CALLABLE}{grad}", (theta_at(t),)))
            g = f"g{t}"
        else:
            g = f"{gradients}[{t}]"
        args = (theta_at(t), g) + (((state if t == 0 else f"s{t}[1]"),) if state is not None else ())
        calls.append(Call(f"s{t + 1}", fn, args, hyper))
    shown = range(1, times + 1) if every else (times,)
    return Program(tuple(calls), tuple((f"{label}[{t}]", theta_at(t)) for t in shown))
