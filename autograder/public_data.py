"""Public checks as data: what release writes beside the stubs so students can run them with no solution.

``public_checks.json`` holds the assignment's problems (with what the child preloads), the source text of its
trusted callables, and its public checks (the judge as its kind and parameters, :func:`autograder.judge.to_data`;
every case's inputs, calls, return schemas and expected values); arrays live in
``public_checks.npz`` under the keys the JSON names (``{"$npz": key}``). Nothing is pickled, and only public
checks are ever written.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from . import judges  # noqa: F401  (registers the judge kinds that public data names)
from .checks import Assignment, Case, Check, Problem
from .grading import PreparedCase, ReferenceExpectations
from .judge import from_data
from .sandbox import wire

FORMAT = 1


class _Arrays:
    """Moves every ``{"$npy": ...}`` of an encoded value into an npz store and back."""

    def __init__(self, store: dict[str, np.ndarray] | None = None):
        self.store = store if store is not None else {}

    def take(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$npy" in value:
                key = f"a{len(self.store):05d}"
                self.store[key] = wire.npy_to_array(value["$npy"])
                return {"$npz": key}
            return {k: self.take(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.take(v) for v in value]
        return value

    def give(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$npz" in value:
                return wire.array_to_npy(self.store[value["$npz"]])
            return {k: self.give(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.give(v) for v in value]
        return value


#: What public data holds in place of a reference's SymPy answer: the answers never ship (a public check of
#: a symbolic answer judges its form only; its value is judged in grading).
WITHHELD = ""


def withhold_answers(value: Any) -> Any:
    """An encoded expected value with every SymPy answer (``{"$srepr": text}``) replaced by :data:`WITHHELD`."""
    if isinstance(value, dict):
        if "$srepr" in value:
            return {"$srepr": WITHHELD}
        return {k: withhold_answers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [withhold_answers(v) for v in value]
    return value


def write(assignment: Assignment, seed: int, folder: Path) -> list[str]:
    """Compute the public checks' expected values from the reference (inputs from ``seed``) and store them."""
    reference = ReferenceExpectations(assignment, seed)
    arrays = _Arrays()
    checks = []
    for check in assignment.checks:
        if not check.public:
            continue
        cases = []
        for case in reference.cases(check):
            cases.append(
                {
                    "label": case.label,
                    "inputs": arrays.take({k: wire.encode(v) for k, v in case.inputs.items()}),
                    "steps": case.steps,
                    "returns": case.returns,
                    "expected": arrays.take([withhold_answers(wire.encode(e)) for e in case.expected]),
                }
            )
        checks.append(
            {
                "id": check.id,
                "problem": check.problem,
                "module": check.module,
                "function": check.function,
                "aspect": check.aspect,
                "title": check.title,
                "points": check.points,
                "hint": check.hint,
                "judge": check.judge.to_data(),
                "cases": cases,
            }
        )
    data = {
        "format": FORMAT,
        "assignment": assignment.name,
        "seed": seed,
        "problems": [dataclasses.asdict(p) for p in assignment.problems],
        "callables": assignment.callables,
        "checks": checks,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "public_checks.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    with open(folder / "public_checks.npz", "wb") as f:
        np.savez_compressed(f, **arrays.store)
    return [c["id"] for c in checks]


class PublicExpectations:
    """Expected values of the public checks, read from the data release wrote."""

    def __init__(self, folder: Path):
        self.data = json.loads((folder / "public_checks.json").read_text())
        if self.data.get("format") != FORMAT:
            raise ValueError("public_checks.json was written by another version of the grader; re-run release")
        with np.load(folder / "public_checks.npz", allow_pickle=False) as npz:
            self.arrays = _Arrays({k: npz[k] for k in npz.files})
        self.by_id = {c["id"]: c for c in self.data["checks"]}

    def assignment(self) -> Assignment:
        """The public checks as an Assignment (problems' points are those of their public checks)."""
        checks = []
        for c in self.data["checks"]:
            check = Check(
                problem=c["problem"],
                function=c["function"],
                title=c["title"],
                points=c["points"],
                public=True,
                judge=from_data(c["judge"]),
                cases=tuple(Case(k["label"], _no_generator) for k in c["cases"]),
                aspect=c["aspect"],
                hint=c["hint"],
                module=c["module"],
            )
            if check.id != c["id"]:
                raise ValueError(f"public_checks.json: check {c['id']} does not match its parts; re-run release")
            checks.append(check)
        problems = tuple(
            Problem(
                p["key"],
                p["module"],
                p["title"],
                sum(c.points for c in checks if c.problem == p["key"]),
                tuple(p.get("preload", ())),
            )
            for p in self.data["problems"]
        )
        return Assignment(
            self.data["assignment"],
            problems,
            tuple(checks),
            solutions_package="",
            callables=self.data.get("callables", ""),
        )

    def cases(self, check: Check) -> list[PreparedCase]:
        out = []
        for k in self.by_id[check.id]["cases"]:
            inputs = {name: wire.decode(v) for name, v in self.arrays.give(k["inputs"]).items()}
            expected = [wire.decode(e) for e in self.arrays.give(k["expected"])]
            out.append(PreparedCase(k["label"], inputs, k["steps"], k["returns"], expected))
        return out


def _no_generator(rng: np.random.Generator) -> dict:
    raise RuntimeError("public checks carry their inputs as data")
