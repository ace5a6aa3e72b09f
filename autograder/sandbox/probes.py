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
(:mod:`autograder.sandbox.executor`): a fresh copy of the input ``name`` moved by sign·h·v along probe k,
``θ + (sign·h)·v`` for every path of v under ``name`` (the other entries of a dict input are copied as they are).
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
    return tuple(int(n) for n in np.shape(value))


@functools.lru_cache(maxsize=2)  # a probe's + and − points, and every input of one call, share its direction
def _unit(seed: int, shapes: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, ...]:
    """The random unit direction of ``seed`` over arrays of ``shapes`` (read-only arrays)."""
    rng = _default_rng(seed)
    d = [rng.standard_normal(shape) for shape in shapes]
    norm = np.sqrt(sum(float(np.sum(v * v)) for v in d)) or 1.0
    out = tuple(v / norm for v in d)
    for v in out:
        v.flags.writeable = False
    return out


def direction(spec: dict, k: int, inputs: dict) -> dict[tuple, np.ndarray]:
    """Probe ``k``'s unit direction v, ``{path (a tuple): array of that input's shape}``: every path for a
    random direction, the one path of a coordinate (a one-hot array)."""
    probe = spec["probes"][k]
    if "seed" in probe:
        paths = [tuple(p) for p in spec["paths"]]
        vectors = _unit(int(probe["seed"]), tuple(_shape(inputs, p) for p in paths))
        return dict(zip(paths, vectors, strict=True))
    path = tuple(probe["path"])
    e = np.zeros(_shape(inputs, path))
    e.flat[int(probe["index"])] = 1.0
    return {path: e}


def perturbed(inputs: dict, name: str, spec: dict, k: int, sign: int, copy: Callable[[Any], Any] = _deepcopy) -> Any:
    """A fresh copy of the input ``name`` moved by ``sign``·h·v along probe ``k`` (θ + (sign·h)·v on each of
    v's paths under ``name``); ``copy`` copies what is not moved (the caller's deep copy)."""
    moved = {p: v for p, v in direction(spec, k, inputs).items() if p[0] == name}
    step = sign * float(spec["h"])
    value = inputs[name]
    if (name,) in moved:  # a plain array: the sum is a fresh array already
        return value + step * moved[(name,)]
    out = copy(value)
    for path, v in moved.items():
        out[path[1]] = out[path[1]] + step * v
    return out
