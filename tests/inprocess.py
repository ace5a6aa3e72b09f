"""Judging without the sandbox, for tests that run many seeds: the student's module is called here, the
reply takes the same wire round trip it takes from the child (a frame's bytes), and the check's own judge
gives the verdict."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.checks import Check, parent_only
from autograder.grading import PreparedCase
from autograder.judges import NoMutation, Outcome
from autograder.sandbox import executor, wire
from autograder.sandbox.child import encode_returns
from autograder.sandbox.executor import run_steps

_by_reference = False  # set by arrays_by_reference: values skip the frame


@contextlib.contextmanager
def arrays_by_reference() -> Iterator[None]:
    """Values cross the (in-process) wire in memory instead of through a frame's bytes (arrays as themselves,
    after the wire's checks), and inputs are copied per call without :func:`copy.deepcopy`: the same structure,
    tags, dtypes and fresh copies, a fraction of the cost, for tests that judge thousands of seeds of honest
    code."""
    global _by_reference
    deepcopy, before = executor._deepcopy, _by_reference
    executor._deepcopy, _by_reference = _copy_arrays, True
    try:
        yield
    finally:
        executor._deepcopy, _by_reference = deepcopy, before


def crossed(encoded: Any, max_nodes: int | None = wire.MAX_REPLY_NODES) -> Any:
    """An encoded value as the other side of the wire reads it: framed, written as bytes and parsed back
    (arrays then decode to views of those bytes), or in memory under :func:`arrays_by_reference`."""
    if _by_reference:
        return encoded
    return wire.parse_frame(bytearray(wire.frame_bytes(encoded)[8:]), max_nodes)


def _copy_arrays(value: Any) -> Any:
    """What the executor's deep copy of an input does, for the plain data (arrays, numbers, containers) that
    honest code gets, at a fraction of :func:`copy.deepcopy`'s cost."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy_arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_arrays(v) for v in value)
    return value


def load_module(path: Path, name: str) -> ModuleType:
    """Import a submission's file under a private name (two submissions' p4 files can be loaded side by side)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reply_of(case: PreparedCase, module: Any, watch: bool = True, callables: dict | None = None) -> dict:
    """What the child would send for ``case`` with ``module`` as the student's code, decoded as the parent decodes
    it (``watch``: whether mutations are recorded, as the child does; ``callables``: the assignment's trusted
    callables, :func:`autograder.sandbox.executor.load_callables`)."""
    sent = crossed({k: wire.encode(v) for k, v in case.inputs.items() if not parent_only(k)}, max_nodes=None)
    inputs = {k: wire.decode(v) for k, v in sent.items()}
    program = {"inputs": inputs, "steps": case.steps}
    env, reports = run_steps(program, lambda name: getattr(module, name), watch=watch, callables=callables)
    return {"steps": reports, "returns": [wire.decode(r) for r in crossed(encode_returns(env, reports, case.returns))]}


def judge_case(check: Check, case: PreparedCase, module: Any, callables: dict | None = None) -> Outcome:
    """The verdict on one case; mutations are recorded only for the judge that reads them."""
    watch = isinstance(check.judge, NoMutation)
    return check.judge.judge(case.inputs, reply_of(case, module, watch, callables), case.expected)
