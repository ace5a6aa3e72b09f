"""The one judge interface, and the registry of judge kinds by name through which public data stores judges.

A judge (:mod:`autograder.judges` holds the kinds) turns one case's inputs into a program for the child and
judges the reply against the expected values, in the grader:

- ``expand(inputs, rng)``: the inputs with whatever else the judge needs (finite-difference probes, the
  sample points' seed), drawn from the case's own stream; names the child must not see are parent-only
  (:func:`autograder.checks.parent_only`);
- ``program(inputs)``: the steps the child runs and the values it returns, ``(steps, [(label, path)])``;
- ``judge(inputs, reply, expected)``: the :class:`Outcome`, from a reply whose form the grader has checked;
- ``to_data()``: the judge as JSON, ``{"type": kind, "params": {...}}``; :func:`from_data` reads it back.

A kind registers itself with :func:`kind` (its class name is its name in the data); its parameters are its
dataclass fields: JSON values, tuples (stored as lists) and :class:`~autograder.programs.Program` s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from .programs import Inputs, Program


@dataclass
class Outcome:
    """A case's verdict and, when it failed, why (in words for the student), and optionally a picture of it.

    ``plot``: data for one figure on the feedback page (None: no figure), a dict with a ``kind`` and that
    kind's fields, NumPy arrays or lists of numbers; ``title`` (str) is optional in every kind. The kinds
    (:mod:`autograder.plot_data` checks and caps them, :mod:`autograder.plots` draws them):

    - ``{"kind": "error_map", "label": "dx", "got": arr, "want": arr}``: which entries of an array are wrong,
      a heat map of |got − want| per image (the last two axes; one image per index of the leading axes,
      e.g. per (n, c) channel), got and want of the same shape; optional ``"wrong"``, a bool array of that
      shape marking the entries outside the tolerance;
    - ``{"kind": "trajectory", "paths": {"yours": (T, 2), "reference": (T, 2)}, "surface": {...}}``:
      optimizer paths over the contour plot of the error surface; ``surface`` is
      ``{"kind": "quadratic", "a": a, "b": b, "center": [c1, c2]}`` (L = ½ (a (θ₁ − c1)² + b (θ₂ − c2)²)) or
      ``{"kind": "grid", "x": (nx,), "y": (ny,), "z": (ny, nx)}`` (L sampled on a grid); optional;
    - ``{"kind": "curves", "x": (T,), "series": {"yours": (T,), "reference": (T,)}}``: curves over one x axis
      (e.g. an activation and its gradient); optional ``"xlabel"``, ``"ylabel"``;
    - ``{"kind": "histogram", "series": {"yours": (n,), "reference": (m,)}}``: distributions of values (e.g.
      batch norm's outputs); optional ``"bins"`` (int, at most 100);
    - ``{"kind": "surface", "x": (nx,), "y": (ny,), "z": (ny, nx)}``: a function of two variables as filled
      contours; optional ``"points": {"name": (2,)}`` marked on it (e.g. a critical point).

    Sizes are capped when the grader keeps the data (:func:`autograder.plot_data.capped`): at most 16 images
    of 64×64 per error map, 1000 points per path or curve, 10000 values per histogram series, a 64×64 grid;
    larger arrays are subsampled (error maps: block maxima, so no wrong entry is lost). Plot data never goes
    into the result JSON; it lives in memory until the feedback page is written. A hidden check's plot is
    shown on the staff page only (:mod:`autograder.feedback`).
    """

    passed: bool
    message: str = ""
    plot: dict | None = None


@runtime_checkable
class Judge(Protocol):
    """How a check judges a case (see the module's docstring)."""

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs: ...

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]: ...

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome: ...

    def to_data(self) -> dict: ...


#: Judge kinds by name, as public data names them.
KINDS: dict[str, type] = {}

J = TypeVar("J", bound=type)


def kind(cls: J) -> J:
    """Register a judge kind (a frozen dataclass implementing :class:`Judge`) under its class name."""
    if cls.__name__ in KINDS and KINDS[cls.__name__] is not cls:
        raise ValueError(f"two judge kinds named {cls.__name__}")
    KINDS[cls.__name__] = cls
    return cls


def to_data(judge: Any) -> dict:
    """A registered judge as JSON: its kind and its fields."""
    if KINDS.get(type(judge).__name__) is not type(judge):
        raise TypeError(f"{type(judge).__name__} is not a registered judge kind")
    params = {}
    for f in dataclasses.fields(judge):
        value = getattr(judge, f.name)
        params[f.name] = value.to_data() if isinstance(value, Program) else value
    return {"type": type(judge).__name__, "params": params}


def _load_kind_modules() -> dict[str, type]:
    """Import the package's modules of judge kinds (``autograder/*_judges.py``: kinds an assignment adds beside
    :mod:`autograder.judges`), so public data read in a student bundle, which ships no assignment declaration
    to import them, finds every kind it names."""
    import importlib
    import pkgutil
    from pathlib import Path

    package = __name__.rpartition(".")[0]
    for m in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if m.name.endswith("_judges"):
            importlib.import_module(f"{package}.{m.name}")
    return KINDS


def from_data(d: dict) -> Judge:
    """The judge :func:`to_data` wrote (fields it does not name keep their defaults)."""
    cls = KINDS.get(d.get("type", "")) or _load_kind_modules().get(d.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown judge kind {d.get('type')!r}; known: {', '.join(sorted(KINDS))}")
    params = {}
    for f in dataclasses.fields(cls):
        if f.name not in d["params"]:
            continue
        value = d["params"][f.name]
        if isinstance(value, dict) and set(value) == {"calls", "returns"}:
            value = Program.from_data(value)
        elif isinstance(value, list):
            value = tuple(value)
        params[f.name] = value
    return cls(**params)
