"""The assignment-generic engine: check ids derived from their parts, one judge interface with a registry of
kinds that public data round-trips, trusted callables shipped as source, and programs that thread a student's
state through many calls (:func:`autograder.programs.steps_over`)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import judges  # noqa: F401  (registers the kinds)
from autograder.assignments import get, names
from autograder.callables import callables_source, uses_callables
from autograder.checks import ALL, Assignment, Check, Problem
from autograder.judge import KINDS, Judge, from_data
from autograder.judges import Compare
from autograder.programs import call, steps_over
from autograder.sandbox.executor import load_callables, lookup, run_steps


def quadratic_grad(theta):
    return np.array([2.0, 20.0]) * theta


def test_check_ids_come_from_problem_function_and_aspect():
    judge = Compare(call("f", "x"))
    assert (
        Check(problem="p1", function="relu", aspect="values", title="", points=1, public=True, judge=judge, cases=()).id
        == "p1.relu.values"
    )
    assert Check(problem="p3", function="f", title="", points=1, public=False, judge=judge, cases=()).id == "p3.f"
    whole = Check(
        problem="p1", function=ALL, aspect="no_mutation", title="", points=1, public=True, judge=judge, cases=()
    )
    assert whole.id == "p1.no_mutation"
    a = Assignment("hwx", (Problem("p1", "p1_mod", "t", 1),), (whole,))
    assert a.checks[0].module == "p1_mod" and a.solutions_package == "solutions.hwx"


@pytest.mark.parametrize("name", names())
def test_every_judge_is_a_registered_kind_and_round_trips(name):
    for check in get(name).checks:
        assert isinstance(check.judge, Judge), check.id
        assert KINDS[type(check.judge).__name__] is type(check.judge)
        assert from_data(check.judge.to_data()) == check.judge, check.id


def test_unknown_judge_kind_is_refused_in_one_line():
    with pytest.raises(ValueError, match="unknown judge kind 'Pickle'"):
        from_data({"type": "Pickle", "params": {}})


def test_callables_travel_as_source_and_run_the_same():
    source = callables_source((quadratic_grad,))
    assert "def quadratic_grad" in source and "import numpy as np" in source
    fn = load_callables(source)["quadratic_grad"]
    np.testing.assert_array_equal(fn(np.array([1.0, 1.0])), [2.0, 20.0])
    assert uses_callables([{"fn": "$quadratic_grad"}]) and uses_callables({"f": {"$callable": "g"}})
    assert not uses_callables({"x": [1, 2], "steps": [{"fn": "step"}]})


def sgd_step(theta, g, state, lr):
    count = state.get("count", 0) + 1
    return theta - lr * g, {"count": count, "last": g}


@pytest.mark.parametrize("every", [True, False])
def test_steps_over_threads_the_state_and_evaluates_the_gradient_at_each_iterate(every):
    T = 5
    program = steps_over("step", T, grad="quadratic_grad", hyper=("lr",), every=every)
    inputs = {"theta": np.array([1.0, 1.0]), "state": {}, "lr": 0.01}
    steps = program.steps(inputs)
    assert len(steps) == 2 * T and steps[0]["fn"] == "$quadratic_grad"
    callables = load_callables(callables_source((quadratic_grad,)))
    env, reports = run_steps({"inputs": inputs, "steps": steps}, {"step": sgd_step}.__getitem__, callables=callables)
    assert all(r["status"] == "ok" for r in reports)
    want, theta = [], np.array([1.0, 1.0])
    for _ in range(T):
        theta = theta - 0.01 * quadratic_grad(theta)
        want.append(theta)
    values = [lookup(env, Compare(program).program(inputs)[1][i][1]) for i in range(len(program.returns))]
    np.testing.assert_allclose(values, want if every else want[-1:])
    assert env[f"s{T}"][1]["count"] == T  # the student's own state came back each step
    assert not any("state" in label or "[1]" in path for label, path in program.returns)  # state is never returned


def test_steps_over_with_fixed_gradients_sends_them_once():
    program = steps_over("step", 3, gradients="g", state=None, every=False)
    steps = program.steps({"theta": 0, "g": np.ones((3, 2))})
    assert [s["args"][1]["$ref"] for s in steps] == [["g", 0], ["g", 1], ["g", 2]]
    with pytest.raises(ValueError):
        steps_over("step", 3)


def test_a_missing_callable_is_a_missing_step_not_a_crash():
    steps = steps_over("step", 1, grad="nope").steps({"theta": 1.0, "state": {}})
    _, reports = run_steps({"inputs": {"theta": 1.0, "state": {}}, "steps": steps}, {"step": sgd_step}.__getitem__)
    assert reports[0]["status"] == "missing" and reports[1]["status"] == "skipped"


def test_preload_comes_from_the_problems():
    hw1 = get("hw1")
    assert hw1.preload([c for c in hw1.checks if c.problem == "p1"]) == ()
    assert hw1.preload(hw1.checks) == ("sympy",)
