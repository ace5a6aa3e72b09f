"""Property-based tests of every judge kind (issue #9): whatever a reply holds in place of a correct value
(random arrays of any shape and dtype, non-finite entries, values of another type), the verdict fails, and
never raises; the reference's own values, and the same values rounded differently, always pass.

Replies are judged as the parent judges them (:func:`autograder.judges.malformed_returns`, then the check's
judge), on cases drawn from a grading seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.assignments import get
from autograder.grading import ReferenceExpectations
from autograder.judges import Compare, GradCheck, NoMutation, malformed_returns

SEED = 424242
#: checks whose judges cover every kind and every value form: arrays, tuples, dicts, bools and floats
CHECKS = (
    "p1.forward.values",  # Compare, an array
    "p1.sgd_update.values",  # Compare, a dict of arrays
    "p1.bp_step.values",  # Compare, a dict of arrays, floats and a bool
    "p4.conv2d_backward.basic",  # Compare, a tuple
    "p4.conv2d_backward.gradcheck",  # GradCheck, three arrays
    "p1.backward.gradcheck",  # GradCheck, a dict
    "p2.log_softmax_backward.gradcheck",  # GradCheck, one array, a smooth forward
    "p5.no_mutation",  # NoMutation
    "p1.no_mutation",  # NoMutation, every p1 function
)


@pytest.fixture(scope="module")
def cases():
    assignment = get("hw1")
    expectations = ReferenceExpectations(assignment, SEED)
    by_id = {c.id: c for c in assignment.checks}
    return {cid: (by_id[cid], expectations.cases(by_id[cid])[0]) for cid in CHECKS}


def test_the_checks_cover_every_numeric_judge_kind(cases):
    assert {type(check.judge) for check, _ in cases.values()} == {Compare, GradCheck, NoMutation}


def _leaves(value, path=()):
    """Paths of the float arrays inside an expected value (decoded values: numbers are 0-d arrays)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        yield path
    elif isinstance(value, dict) and not any(str(k).startswith("$") for k in value):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        return tuple(_replace(v, rest, new) if i == head else v for i, v in enumerate(value))
    return {k: _replace(v, rest, new) if k == head else v for k, v in value.items()}


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _verdict(check, case, returns) -> bool:
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    if malformed_returns(returns, case.expected):
        return False
    return check.judge.judge(case.inputs, {"steps": steps, "returns": returns}, case.expected).passed


def _targets(cases):
    """(check id, return index, path) of every float value the cases' replies hold."""
    return [(cid, i, p) for cid, (_, case) in cases.items() for i, e in enumerate(case.expected) for p in _leaves(e)]


GARBAGE_ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.float16]),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6),
    elements=None,
)
OTHER_VALUES = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.just({"$error": "not computed"}),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(data=st.data())
def test_garbage_in_place_of_a_value_always_fails(cases, data):
    cid, index, path = data.draw(st.sampled_from(_targets(cases)))
    check, case = cases[cid]
    want = np.asarray(_get(case.expected[index], path))
    garbage = data.draw(st.one_of(GARBAGE_ARRAYS, OTHER_VALUES))
    if isinstance(garbage, np.ndarray) and garbage.shape == want.shape and garbage.dtype.kind in "fc":
        with np.errstate(all="ignore"):
            assume(not np.allclose(garbage.astype(np.complex128), want, rtol=1e-3, atol=1e-3))
    returns = list(case.expected)
    returns[index] = _replace(returns[index], path, garbage)
    assert not _verdict(check, case, returns), (cid, path, garbage)


@FAST
@given(data=st.data())
def test_a_non_finite_entry_always_fails(cases, data):
    cid, index, path = data.draw(st.sampled_from(_targets(cases)))
    check, case = cases[cid]
    want = np.array(_get(case.expected[index], path), dtype=np.float64)
    assume(want.size > 0)
    where = data.draw(st.integers(0, want.size - 1))
    bad = want.copy()
    bad.flat[where] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    returns = list(case.expected)
    returns[index] = _replace(returns[index], path, bad)
    assert not _verdict(check, case, returns), (cid, path, where)


@FAST
@given(data=st.data())
def test_the_reference_values_rounded_differently_always_pass(cases, data):
    cid = data.draw(st.sampled_from(sorted(cases)))
    check, case = cases[cid]
    returns = list(case.expected)
    for index, e in enumerate(case.expected):
        for path in _leaves(e):
            want = np.asarray(_get(returns[index], path))
            ulps = data.draw(hnp.arrays(np.float64, want.shape, elements=st.floats(-4, 4)))
            rounded = want + ulps * np.spacing(np.abs(want).astype(np.float64)).astype(want.dtype)
            returns[index] = _replace(returns[index], path, np.asarray(rounded, dtype=want.dtype))
    assert _verdict(check, case, returns), cid
