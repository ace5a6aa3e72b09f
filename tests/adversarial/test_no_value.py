"""No value, no points (issue #9): submissions that compute nothing score 0, whatever form their nothing takes.

Each submission is built at test time from ``correct_loops``: every public function of every file is wrapped so
that it returns something in place of its real result (zeros, NaN, infinities or a constant of the right shape,
or its first argument), or every function is a stub and the evaluator's code in the child is replaced. Where a
correct answer happens to coincide with such a return on a case, exactly those points are named below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.batch import grade_path

from .harness import BASE

#: What a wrapped function returns in place of its result ``v`` (a float array ``a``, a SymPy answer ``s``).
MODES = {
    "zeros": ("_np.zeros_like(a)", "sympy.Integer(0)"),
    "all_nan": ("_np.full_like(a, _np.nan)", "sympy.nan"),
    "all_inf": ("_np.full_like(a, _np.inf)", "sympy.oo"),
    "mixed_inf": ("_np.where(_np.indices(a.shape).sum(axis=0) % 2 == 0, _np.inf, -_np.inf) + 0 * a", "sympy.zoo"),
    "constants": ("_np.full_like(a, 0.5)", "sympy.Rational(1, 2)"),
}

WRAPPER = """

# ATTACK (no_value): every public function returns {what} in place of its result
import inspect as _inspect

import numpy as _np
import sympy


def _fake(v):
    if isinstance(v, (_np.ndarray, float, _np.floating)) and _np.asarray(v).dtype.kind == "f":
        a = _np.asarray(v, dtype=float)
        return {array}
    if isinstance(v, sympy.Basic):
        return {symbolic}
    if isinstance(v, tuple):
        return tuple(_fake(x) for x in v)
    if isinstance(v, list):
        return [_fake(x) for x in v]
    if isinstance(v, dict):
        return {{k: _fake(x) for k, x in v.items()}}
    return v


def _wrap(fn):
    def fake(*args, **kwargs):
        {body}

    return fake


for _name, _fn in list(globals().items()):
    if _inspect.isfunction(_fn) and _fn.__module__ == __name__ and not _name.startswith("_"):
        globals()[_name] = _wrap(_fn)
"""

FORGE = """

# ATTACK (forge_evaluator): every function is a stub; the child's evaluator is replaced by one that reports
# every call as fine, nothing mutated, and sends zeros of the forms asked for
import sys as _sys

import numpy as _np


def _zeros(schema):
    kind = schema["kind"]
    if kind in ("array", "scalar"):
        return None  # an array of zeros, filled in below
    if kind == "tuple":
        return {"$tuple": [_zeros(s) for s in schema["items"]]}
    if kind == "dict":
        return {"$dict": {k: _zeros(s) for k, s in schema["items"].items()}}
    if kind == "bool":
        return True
    return {"$srepr": "Integer(0)"}


def _forged(request, submission):
    from _agchild import wire

    def fill(v):
        if v is None:
            return wire.encode_array(_np.zeros(()))
        if isinstance(v, dict) and "$tuple" in v:
            return {"$tuple": [fill(x) for x in v["$tuple"]]}
        if isinstance(v, dict) and "$dict" in v:
            return {"$dict": {k: fill(x) for k, x in v["$dict"].items()}}
        return v

    ok = {"status": "ok", "mutated": [], "warnings": []}
    steps = [{"name": s["name"], "fn": s["fn"], **ok} for s in request["steps"]]
    return {"steps": steps, "returns": [fill(_zeros(r["schema"])) for r in request["returns"]]}


for _mod in list(_sys.modules.values()):
    if getattr(_mod, "__name__", "").endswith("child") and hasattr(_mod, "handle"):
        _mod.handle = _forged
    if hasattr(_mod, "run_steps") and hasattr(_mod, "_mutated"):
        _mod.run_steps = lambda program, get_function, *a, **k: (dict(program["inputs"]), [])
"""


def _stub_text(text: str) -> str:
    """The file with every function body replaced by ``raise NotImplementedError`` (what the stubs do)."""
    import ast

    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = [ast.Raise(exc=ast.Name(id="NotImplementedError", ctx=ast.Load()))]
    return ast.unparse(tree)


def build(folder: Path, mode: str) -> Path:
    for f in sorted(BASE.glob("*.py")):
        text = f.read_text()
        if mode == "forge_evaluator":
            text = _stub_text(text) + (FORGE if f.name == "p1_bp_relu.py" else "")
        elif mode == "return_input":
            body = "return args[0] if args else None"
            text += WRAPPER.format(what="its first argument", array="a", symbolic="v", body=body)
        else:
            array, symbolic = MODES[mode]
            body = "return _fake(fn(*args, **kwargs))"
            text += WRAPPER.format(what=mode, array=array, symbolic=symbolic, body=body)
        (folder / f.name).write_text(text)
    return folder


#: submission -> the checks that still earn points, because the correct answer coincides with what it returns
#: (with one class, C = 1, log-softmax is 0, and so are its Jacobian and ∂ log_softmax_1/∂x_1: one case of each)
ONE_CLASS_IS_ZERO = {
    "p2.log_softmax.values": 0.4,
    "p2.log_softmax_jacobian.values": 0.5,
    "p2.log_softmax_grad_expr.equivalent": 0.25,
}
COINCIDENCES: dict[str, dict[str, float]] = {
    "zeros": ONE_CLASS_IS_ZERO,
    "all_nan": {},
    "all_inf": {},
    "mixed_inf": {},
    "constants": {},
    "return_input": {},
    "forge_evaluator": {"p2.log_softmax_grad_expr.equivalent": 0.25},  # it answers Integer(0): right for C = 1
}


@pytest.mark.parametrize("mode", sorted(COINCIDENCES))
def test_a_submission_that_computes_nothing_scores_0(mode, tmp_path, assignment, expectations):
    result = grade_path(build(tmp_path, mode), assignment, expectations)
    earned = {c.id: c.points for c in result.checks if c.points > 0}
    assert earned == COINCIDENCES[mode], earned
    assert result.score == sum(COINCIDENCES[mode].values())
