"""Public checks as data: what release writes beside the stubs so students can run them with no solution.

``public_checks.json`` holds the assignment's problems (with what the child preloads), the source text of its
trusted callables, and its public checks (the judge as its kind and parameters, :func:`autograder.judge.to_data`;
every case's inputs, calls, return schemas and expected values); arrays live in
``public_checks.npz`` under the keys the JSON names (``{"$npz": key}``). Nothing is pickled, and only public
checks are ever written.

A reference's SymPy answer never ships, in any form its text can be read from: in its place public data holds
``{"$srepr": "", "$at": values}``, the answer's values at public points (:func:`public_answers`), which the
judges compare the student's answer with in the symbolic worker, by the hidden check's own rule.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from . import symbolic
from .checks import Assignment, Case, Check, Problem
from .grading import PreparedCase, ReferenceExpectations
from .judge import from_data
from .judges import _symbols  # (importing judges registers the judge kinds that public data names)
from .sandbox import wire

FORMAT = 2  # 2: SymPy answers ship as their values at public points ($at)


class _Arrays:
    """Moves every array of an encoded value (a :class:`wire.Array`) into an npz store and back."""

    def __init__(self, store: dict[str, np.ndarray] | None = None):
        self.store = store if store is not None else {}

    def take(self, value: Any) -> Any:
        if isinstance(value, wire.Array):
            key = f"a{len(self.store):05d}"
            self.store[key] = wire.decode_array(value)
            return {"$npz": key}
        if isinstance(value, dict):
            return {k: self.take(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.take(v) for v in value]
        return value

    def give(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$npz" in value:
                return wire.encode_array(self.store[value["$npz"]])
            return {k: self.give(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.give(v) for v in value]
        return value


#: What public data holds in place of a reference's SymPy answer's text (beside its values, ``$at``).
WITHHELD = ""


#: How a reference's SymPy answer ships: its values at sample points, a polynomial's values on a grid that
#: determines it (where the judge needs the answer whole: a count's asymptotics, the gradient a critical set
#: must zero), or nothing but the placeholder (an answer the judge never reads).
FORMS = ("points", "grid", "withheld")


def answer_forms(judge: Any, count: int) -> list[str]:
    """How each of a judge's ``count`` returned values ships its SymPy answers (:data:`FORMS`): as the judge's
    class says (``public_answers``, by position), else on a grid for an asymptotic judge, else at points."""
    forms = getattr(judge, "public_answers", None)
    if forms:
        return list(forms)[:count] + ["withheld"] * (count - len(forms))
    return ["grid" if getattr(judge, "symbolic", "") == "asymptotic" else "points"] * count


def public_answers(value: Any, form: str, inputs: dict, seed: int) -> Any:
    """An encoded expected value with every SymPy answer (``{"$srepr": text}``) replaced by ``{"$srepr": "",
    "$at": values}``: its values in the case's symbols at the sample points of the case's ``judge:seed`` (else
    of ``seed``, :func:`autograder.symbolic.values_at_points`), or on a grid (``form`` "grid",
    :func:`autograder.symbolic.grid_values`); by ``{"$srepr": ""}`` alone for "withheld". Never its text."""
    if isinstance(value, dict):
        if "$srepr" in value:
            if form == "withheld":
                return {"$srepr": WITHHELD}
            aliases = {k: symbolic.parse_srepr(v) for k, v in (inputs.get(symbolic.FUNCTIONS_INPUT) or {}).items()}
            answer, symbols = symbolic.parse_srepr(value["$srepr"], aliases), _symbols(inputs)
            values = symbolic.grid_values if form == "grid" else symbolic.values_at_points
            return {
                "$srepr": WITHHELD,
                symbolic.PUBLIC_KEY: values(answer, symbols, int(inputs.get(symbolic.SEED_INPUT, seed))),
            }
        return {k: public_answers(v, form, inputs, seed) for k, v in value.items()}
    if isinstance(value, list):
        return [public_answers(v, form, inputs, seed) for v in value]
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
        for i, case in enumerate(reference.cases(check)):
            point_seed = symbolic.derived_seed(str(seed), check.id, str(i))  # where the judge draws no seed itself
            forms = answer_forms(check.judge, len(case.expected))
            expected = [
                public_answers(wire.encode(e), form, case.inputs, point_seed)
                for e, form in zip(case.expected, forms, strict=True)
            ]
            cases.append(
                {
                    "label": case.label,
                    "inputs": arrays.take({k: wire.encode(v) for k, v in case.inputs.items()}),
                    "steps": case.steps,
                    "returns": case.returns,
                    "expected": arrays.take(expected),
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
            expected = [_decode_expected(e) for e in self.arrays.give(k["expected"])]
            out.append(PreparedCase(k["label"], inputs, k["steps"], k["returns"], expected))
        return out


def _decode_expected(value: Any) -> Any:
    """:func:`wire.decode` of an expected value whose SymPy answers are public ones (``{"$srepr": "", "$at":
    values}``, which the wire does not know): each is taken out, the rest decoded, and each put back where it
    was (both walks visit the answers in the same order: lists in order, dicts in their keys' order)."""
    shipped: list[dict] = []

    def lift(v: Any) -> Any:
        if isinstance(v, dict):
            if symbolic.PUBLIC_KEY in v:
                shipped.append(v[symbolic.PUBLIC_KEY])
                return {"$srepr": WITHHELD}
            return {k: lift(x) for k, x in v.items()}
        return [lift(x) for x in v] if isinstance(v, list) else v

    values = iter(shipped)

    def attach(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"$srepr"} and v["$srepr"] == WITHHELD:
            at = next(values, None)
            return v if at is None else {**v, symbolic.PUBLIC_KEY: at}
        if isinstance(v, dict) and not any(str(k).startswith("$") for k in v):
            return {k: attach(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(attach(x) for x in v)
        return v

    return attach(wire.decode(lift(value)))


def _no_generator(rng: np.random.Generator) -> dict:
    raise RuntimeError("public checks carry their inputs as data")
