"""Finite-difference probes as specifications: the points θ ± h·v a gradient check evaluates a forward at.

A gradient check (:class:`autograder.judges.GradCheck`) sends its inputs θ once, with a small specification of
its probes; the child expands each probe into the perturbed inputs right before the forward call that uses
them, and the grader expands the same probes with the same functions (for the reference's run and for the
judge's ⟨grad, v⟩), so both sides get the same numbers, bit for bit. Copied into the child's runtime: imports
only the standard library and NumPy.

The specification is the input named :data:`SPEC` (plain data)::

    {"h": float,                                   the step
     "paths": [[name] | [name, key], ...],         the arrays differentiated (an input, or one entry of a dict input)
     "probes": [{"seed": int}                      a random unit direction over all paths jointly, drawn from
                                                   numpy.random.default_rng(seed): standard normals, path by
                                                   path in order, divided by their joint Euclidean norm
                | {"path": [name, ...], "index": int}, ...]}   one coordinate: entry ``index`` (flat, C order)
                                                   of one array

A program refers to a perturbed input with the argument ``{"$probe": {"of": name, "probe": k, "sign": ±1}}``
(:mod:`autograder.sandbox.executor`): a fresh copy of the input ``name`` moved by sign·h·v along probe k
(:func:`perturbed`; the other entries of a dict input are copied as they are).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

#: The name of the input that holds a gradient check's probes (sent to the child with the inputs).
SPEC = "fd:probes"

# Bound at import, before any student code runs in the child (a submission that replaces them changes its own
# points only, and the grader, which judges the forward's values at the points it expands itself, fails it)
_deepcopy = copy.deepcopy
_default_rng = np.random.default_rng


def _shape(inputs: dict, path: list | tuple) -> tuple[int, ...]:
    value = inputs[path[0]]
    for key in path[1:]:
        value = value[key]
    return value.shape if type(value) is np.ndarray else tuple(int(n) for n in np.shape(value))


def unit_direction(seed: int, shapes: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, ...]:
    """The random unit direction of ``seed`` over arrays of ``shapes`` (read-only arrays), computed afresh."""
    rng = _default_rng(seed)
    d = [rng.standard_normal(shape) for shape in shapes]
    norm = np.sqrt(sum(float(np.sum(v * v)) for v in d)) or 1.0
    out = tuple(v / norm for v in d)
    for v in out:
        v.flags.writeable = False
    return out


#: :func:`unit_direction` kept for a case's few directions, shared by its + and − points and every input of a call
_unit = functools.lru_cache(maxsize=8)(unit_direction)

Unit = Callable[[int, tuple[tuple[int, ...], ...]], tuple[np.ndarray, ...]]


def direction(spec: dict, k: int, inputs: dict, unit: Unit = _unit) -> dict[tuple, np.ndarray]:
    """Probe ``k``'s unit direction v, ``{path (a tuple): array of that input's shape}``: every path for a
    random direction, the one path of a coordinate (a one-hot array). ``unit``: :func:`unit_direction` or a
    cache of it (the grader keeps its own, for a whole class's cases)."""
    probe = spec["probes"][k]
    if "seed" in probe:
        paths = [tuple(p) for p in spec["paths"]]
        vectors = unit(int(probe["seed"]), tuple(_shape(inputs, p) for p in paths))
        return dict(zip(paths, vectors, strict=True))
    path = tuple(probe["path"])
    e = np.zeros(_shape(inputs, path))
    e.flat[int(probe["index"])] = 1.0
    return {path: e}


def perturbed(inputs: dict, name: str, spec: dict, k: int, sign: int, copy: Callable[[Any], Any] = _deepcopy) -> Any:
    """A fresh copy of the input ``name`` at probe ``k``'s point, ``sign``·h away: θ + (sign·h)·v along a random
    direction (each of v's paths under ``name``), or a float64 copy of θ whose entry ``index`` is increased by
    sign·h for a coordinate (the same point as θ + (sign·h)·e, without a one-hot array); ``copy`` copies what
    is not moved (the caller's deep copy)."""
    probe = spec["probes"][k]
    step = sign * float(spec["h"])
    value = inputs[name]
    moves: dict[tuple, Callable[[np.ndarray], np.ndarray]] = {}
    if "seed" in probe:
        for path, v in direction(spec, k, inputs).items():
            if path[0] == name:
                moves[path] = lambda a, v=v: a + step * v
    elif probe["path"][0] == name:
        moves[tuple(probe["path"])] = lambda a: _nudged(a, int(probe["index"]), step)
    if (name,) in moves:  # a plain array: the moved one is a fresh array already
        return moves[(name,)](value)
    out = copy(value)
    for path, move in moves.items():
        out[path[1]] = move(out[path[1]])
    return out


def _nudged(a: np.ndarray, index: int, step: float) -> np.ndarray:
    out = np.array(a, dtype=np.result_type(a, np.float64))  # a copy, float64 as θ + step·e would be
    out.flat[index] = out.flat[index] + step
    return out
