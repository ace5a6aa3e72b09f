"""hw3's checks (autograder/assignments/hw3.py, autograder/hessian_judges.py): the reference and both correct
samples pass every check on many seeds (judged in-process, as the sandbox would), and every judge fails what it
is there to fail: wrong words, non-unit or wrong eigenvectors, None where a vector is due, one-sided stencils,
asymmetry, mutation, NaN, and incomplete or invalid critical sets (judged in the symbolic worker)."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from autograder import symbolic_worker
from autograder.assignments import get
from autograder.grading import PreparedCase, ReferenceExpectations
from autograder.hessian_judges import AgainstAnalytic, CriticalSet
from autograder.sandbox.executor import load_callables
from tests.inprocess import arrays_by_reference, load_module, reply_of

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw3"
ASSIGNMENT = get("hw3")
CALLABLES = load_callables(ASSIGNMENT.callables)
CORRECT = ("correct_loops", "correct_vectorized")


def _modules(sample: str) -> dict[str, types.ModuleType]:
    return {
        p.module: load_module(SAMPLES / sample / f"{p.module}.py", f"hw3_{sample}_{p.module}")
        for p in ASSIGNMENT.problems
    }


def _verdict(check, case: PreparedCase, module) -> tuple[bool, str]:
    outcome = check.judge.judge(case.inputs, reply_of(case, module, True, CALLABLES), case.expected)
    return outcome.passed, outcome.message


def _reference_reply(case: PreparedCase) -> dict:
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": list(case.expected)}


def _failures(checks, seeds) -> list[str]:
    modules = {s: _modules(s) for s in CORRECT}
    failures = []
    with arrays_by_reference():
        for seed in seeds:
            expectations = ReferenceExpectations(ASSIGNMENT, seed)
            for check in checks:
                for case in expectations.cases(check):
                    outcome = check.judge.judge(case.inputs, _reference_reply(case), case.expected)
                    if not outcome.passed:
                        failures.append(f"seed {seed} reference {check.id} [{case.label}]: {outcome.message}")
                    for sample in CORRECT:
                        ok, message = _verdict(check, case, modules[sample][check.module])
                        if not ok:
                            failures.append(f"seed {seed} {sample} {check.id} [{case.label}]: {message}")
    return failures


def _numeric_failures(seeds: range) -> list[str]:
    """:func:`_failures` of the numeric problems' checks (p2, p3) on ``seeds``."""
    return _failures([c for c in ASSIGNMENT.checks if c.problem in ("p2", "p3")], seeds)


def test_numeric_checks_pass_the_reference_and_correct_samples_on_100_seeds(two_workers):
    assert [f for half in two_workers(_numeric_failures, range(500, 600)) for f in half] == []


def test_symbolic_checks_pass_the_reference_and_correct_samples_on_several_seeds():
    checks = [c for c in ASSIGNMENT.checks if c.problem == "p1"]
    assert _failures(checks, range(900, 904)) == []


def _case(check_id: str, seed: int = 3, index: int = 0) -> tuple:
    check = next(c for c in ASSIGNMENT.checks if c.id == check_id)
    return check, ReferenceExpectations(ASSIGNMENT, seed).cases(check)[index]


def _module(**functions) -> types.SimpleNamespace:
    return types.SimpleNamespace(**functions)


# -- p2: words and escape directions -----------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["Saddle", "local_min", None, 2, "saddle "])
def test_label_fails_any_other_word(answer):
    check, case = _case("p2.classify_critical_point.text")  # the text's H(0, 0): a saddle
    ok, message = _verdict(check, case, _module(classify_critical_point=lambda H, tol=1e-9: answer))
    assert not ok and "expected 'saddle'" in message
    assert _verdict(check, case, _module(classify_critical_point=lambda H, tol=1e-9: "saddle"))[0]


def _u(H) -> np.ndarray:
    S = (np.asarray(H, dtype=float) + np.asarray(H, dtype=float).T) / 2
    return np.linalg.eigh(S)[1][:, 0]


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda H: 2 * _u(H), "‖u‖"),
        (lambda H: np.full(len(_u(H)), np.nan), "finite"),
        (lambda H: np.linalg.eigh((np.asarray(H) + np.asarray(H).T) / 2)[1][:, -1], "not an eigenvector"),
        (lambda H: None, "returned None"),
        (lambda H: list(_u(H)), "not a NumPy array"),
        (lambda H: _u(H).astype(np.float32), "float64"),
    ],
)
def test_escape_direction_fails_what_is_not_a_unit_eigenvector_of_lambda_min(wrong, words):
    check, case = _case("p2.escape_direction.random")  # a random saddle
    ok, message = _verdict(check, case, _module(escape_direction=lambda H, tol=1e-9: wrong(H)))
    assert not ok and words in message, message
    assert _verdict(check, case, _module(escape_direction=lambda H, tol=1e-9: -_u(H)))[0]  # either sign


def test_escape_direction_none_exactly_where_the_reference_gives_none():
    check, case = _case("p2.escape_direction.none")
    ok, message = _verdict(check, case, _module(escape_direction=lambda H, tol=1e-9: _u(H)))
    assert not ok and "expected None" in message
    assert _verdict(check, case, _module(escape_direction=lambda H, tol=1e-9: None))[0]


def test_escape_direction_claim_of_the_text_within_1e_12():
    check, case = _case("p2.escape_direction.text")
    off = np.array([1.0, 1.0 + 1e-10]) / np.linalg.norm([1.0, 1.0 + 1e-10])  # unit, an eigenvector within 1e-9
    ok, message = _verdict(check, case, _module(escape_direction=lambda H, tol=1e-9: off))
    assert not ok and "(the text's u = [1, 1]ᵀ made unit)" in message
    outcome = check.judge.judge(case.inputs, _reference_reply(case), case.expected)
    assert outcome.passed and outcome.plot["kind"] == "surface" and "saddle (0, 0)" in outcome.plot["points"]


# -- p3: the numeric Hessian -----------------------------------------------------------------------------------


def _central(f, theta, h=1e-4):
    d = len(theta)
    E = h * np.eye(d)
    H = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            H[i, j] = (f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j])) / (4 * h * h)
            H[i, j] += f(theta - E[i] - E[j]) / (4 * h * h)
    return H


def _forward(f, theta, h=1e-4):
    d = len(theta)
    E = h * np.eye(d)
    return np.array(
        [
            [(f(theta + E[i] + E[j]) - f(theta + E[i]) - f(theta + E[j]) + f(theta)) / h**2 for j in range(d)]
            for i in range(d)
        ]
    )


def test_against_analytic_fails_one_sided_stencils_where_third_derivatives_are_large():
    check = next(c for c in ASSIGNMENT.checks if c.id == "p3.numeric_hessian.third")
    assert isinstance(check.judge, AgainstAnalytic) and check.judge.atol == 1e-5
    cases = ReferenceExpectations(ASSIGNMENT, 11).cases(check)
    for case in cases:
        assert _verdict(check, case, _module(numeric_hessian=lambda f, t, h=1e-4: _central(f, t, h)))[0]
        ok, message = _verdict(check, case, _module(numeric_hessian=lambda f, t, h=1e-4: _forward(f, t, h)))
        assert not ok and "the analytic Hessian, tolerance 1e-05" in message, case.label


def test_against_analytic_properties_fail_closed():
    check, case = _case("p3.numeric_hessian.symmetric")
    skew = np.triu(np.ones((len(case.inputs["theta"]),) * 2), 1) * 1e-9
    ok, message = _verdict(check, case, _module(numeric_hessian=lambda f, t, h=1e-4: _central(f, t, h) + skew))
    assert not ok and "not exactly symmetric" in message
    ok, message = _verdict(check, case, _module(numeric_hessian=lambda f, t, h=1e-4: _central(f, t, h) * np.nan))
    assert not ok and "(this property counts only where the values are right)" in message

    def mutating(f, t, h=1e-4):
        H = _central(f, t, h)
        t += 1.0
        return H

    check, case = _case("p3.numeric_hessian.no_mutation")
    ok, message = _verdict(check, case, _module(numeric_hessian=mutating))
    assert not ok and "modified its input theta" in message
    check, case = _case("p3.numeric_hessian.form")
    ok, message = _verdict(check, case, _module(numeric_hessian=lambda f, t, h=1e-4: _central(f, t, h).tolist()))
    assert not ok and "float64 NumPy array" in message


# -- p1: the critical set, in the symbolic worker -------------------------------------------------------------------

W1, W2 = sp.symbols("w1 w2")


def _critical(solutions, cover: bool = True) -> symbolic_worker.Verdict:
    gradient = [sp.srepr(2 * (1 - W1 * W2) * (-W2)), sp.srepr(2 * (1 - W1 * W2) * (-W1))]
    texts = [{str(k): sp.srepr(sp.sympify(v)) for k, v in s.items()} for s in solutions]
    return symbolic_worker.critical_set(texts, gradient, [sp.srepr(W1), sp.srepr(W2)], 12345, cover)


@pytest.mark.parametrize(
    ("solutions", "cover", "ok", "words"),
    [
        ([{W1: 0, W2: 0}, {W1: 1 / W2}], True, True, ""),
        ([{W2: 1 / W1}, {W1: 0, W2: 0}], True, True, ""),
        ([{W1: 0, W2: 0}], False, True, ""),
        ([{W1: 0, W2: 0}], True, False, "of the curve w1·w2 = 1"),
        ([{W1: 1 / W2}], True, False, "the origin"),
        ([{W1: 0, W2: 0}, {W1: 1, W2: 1}, {W1: -1, W2: -1}], True, False, "the curve"),
        ([{W1: 0, W2: 0}, {W1: 2 / W2}], False, False, "does not zero"),
        ([{W1: 0, W2: 0}, {W1: 1 / W2 + sp.Float("1e-15")}], False, False, "does not zero"),
        ([{W1: W1}], False, False, "does not zero"),
        ([], False, False, "no solution"),
        ([{}], False, False, "empty"),
        ([{sp.Symbol("x"): 0}], False, False, "the key 'x'"),
    ],
)
def test_critical_set_by_meaning(solutions, cover, ok, words):
    verdict = _critical(solutions, cover)
    assert verdict.ok is ok and words in verdict.message, verdict.message


def test_critical_set_judge_reads_the_students_answer_and_the_references_gradient():
    check, case = _case("p1.critical_points.covers")
    assert isinstance(check.judge, CriticalSet) and check.judge.cover
    origin_only = _module(critical_points=lambda: [{W1: 0, W2: 0}], gradient_expr=lambda a, b: [a, b])
    ok, message = _verdict(check, case, origin_only)
    assert not ok and "the set is incomplete" in message
    other_key = _module(critical_points=lambda: [{W2: 1 / W1}, {W1: 0, W2: 0}], gradient_expr=lambda a, b: [a, b])
    assert _verdict(check, case, other_key)[0]  # its own (wrong) gradient is never used
    strings = _module(critical_points=lambda: [{"w1": 0, "w2": 0}, {"w1": 1 / W2}], gradient_expr=None)
    ok, message = _verdict(check, case, strings)
    assert not ok and "not the Symbol w1 or w2" in message
