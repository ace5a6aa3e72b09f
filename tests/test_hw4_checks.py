"""hw4's checks (autograder/assignments/hw4.py) and the judge kinds of :mod:`autograder.statistical_judges`.

- The canary on many seeds: the reference (its own values as the reply) and the vectorized sample pass every
  check on ``SEEDS`` grading seeds, the loop sample (slow on dropout's 100000 units) on half of them, judged
  in-process (:mod:`tests.inprocess`) as the parent judges the child.
- Each judge kind fails where it must: a function that ignores the rng, one that draws at test time, outputs
  that compute nothing (zeros, x itself, NaN), a wrong keep rate, wrong moments, a broken claim; and its
  messages say why. Every kind round-trips through public data.
"""

from __future__ import annotations

import multiprocessing
import os
import types
from pathlib import Path

import numpy as np
import pytest

from autograder.assignments import get
from autograder.checks import Check
from autograder.grading import PreparedCase, ReferenceExpectations
from autograder.judge import from_data
from autograder.sandbox.executor import load_callables
from autograder.statistical_judges import CompareHistogram, IdentityClaim, fresh_draws

from .inprocess import arrays_by_reference, judge_case, load_module

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw4"
SEEDS = int(os.environ.get("AUTOGRADER_HW4_SEEDS", "60"))
FIRST_SEED = 4_000_037
IMPLEMENTATIONS = ("correct_loops", "correct_vectorized")
ASSIGNMENT = get("hw4")
CALLABLES = load_callables(ASSIGNMENT.callables)


def check(check_id: str) -> Check:
    return next(c for c in ASSIGNMENT.checks if c.id == check_id)


def _reference_reply(case: PreparedCase) -> dict:
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": list(case.expected)}


def _failures(seeds: range) -> list[str]:
    modules = {
        (impl, p.module): load_module(SAMPLES / impl / f"{p.module}.py", f"hw4_canary_{impl}_{p.module}")
        for impl in IMPLEMENTATIONS
        for p in ASSIGNMENT.problems
    }
    failures = []
    with arrays_by_reference():
        for seed in seeds:
            expectations = ReferenceExpectations(ASSIGNMENT, seed)
            for c in ASSIGNMENT.checks:
                for case in expectations.cases(c):
                    outcome = c.judge.judge(case.inputs, _reference_reply(case), case.expected)
                    if not outcome.passed:
                        failures.append(f"seed {seed} reference {c.id} [{case.label}]: {outcome.message}")
                    for impl in IMPLEMENTATIONS if (seed - FIRST_SEED) % 4 < 2 else IMPLEMENTATIONS[1:]:
                        outcome = judge_case(c, case, modules[(impl, c.module)], CALLABLES)
                        if not outcome.passed:
                            failures.append(f"seed {seed} {impl} {c.id} [{case.label}]: {outcome.message}")
    return failures


def test_reference_and_correct_samples_pass_every_check_on_many_seeds():
    seeds = range(FIRST_SEED, FIRST_SEED + SEEDS)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.map(_failures, [seeds[0::2], seeds[1::2]])
    failures = [f for part in parts for f in part]
    assert failures == [], "\n".join(failures[:20])


# -- the judges fail where they must -------------------------------------------------------------------------


def _module(**functions) -> types.SimpleNamespace:
    return types.SimpleNamespace(**functions)


def _judge(check_id: str, module, seed: int = 11) -> list:
    """The outcomes of every case of a check on a module of functions (in-process)."""
    c = check(check_id)
    with arrays_by_reference():
        return [judge_case(c, case, module, CALLABLES) for case in ReferenceExpectations(ASSIGNMENT, seed).cases(c)]


def _own_rng(x, p_keep, train, rng):
    """Dropout that draws from np.random instead of the rng it is given."""
    mask = np.random.default_rng(123).random(np.shape(x)) < p_keep
    return (x * mask, mask) if train else (x * p_keep, None)


def _test_draws(x, p_keep, train, rng):
    """Test mode right in value, but it draws from the rng."""
    rng.random(np.shape(x))
    return x * p_keep, None


def test_exact_draw_says_when_the_rng_is_ignored():
    outcomes = _judge("p3.dropout_forward.draw", _module(dropout_forward=_own_rng))
    assert not any(o.passed for o in outcomes)
    assert all("the rng it is given is untouched" in o.message for o in outcomes)


def test_exact_draw_says_when_test_mode_draws():
    outcomes = _judge("p3.dropout_forward.test", _module(dropout_forward=_test_draws))
    assert not any(o.passed for o in outcomes)
    assert all("must draw nothing" in o.message for o in outcomes)


def test_exact_draw_refuses_an_extra_draw():
    def twice(x, p_keep, train, rng):
        u = rng.random(np.shape(x))
        rng.random()
        return x * (u < p_keep), None

    outcomes = _judge("p3.dropout_forward.draw", _module(dropout_forward=twice))
    assert all(not o.passed and "draw exactly that, once" in o.message for o in outcomes)


def test_exact_draw_accepts_the_same_numbers_drawn_otherwise():
    def uniform(fan_in, fan_out, r, rng):
        return rng.uniform(-r, r, (fan_in, fan_out))

    assert all(o.passed for o in _judge("p4.init_uniform.draw", _module(init_uniform=uniform)))


@pytest.mark.parametrize(
    "output",
    [lambda x, p: np.zeros_like(x), lambda x, p: np.array(x), lambda x, p: np.full_like(x, np.nan)],
    ids=["zeros", "x itself", "nan"],
)
def test_statistical_checks_give_nothing_for_values_that_compute_nothing(output):
    def forward(x, p_keep, train, rng):
        if train:
            rng.random(np.shape(x))
        return output(x, p_keep), None

    module = _module(dropout_forward=forward, inverted_dropout_forward=forward)
    for check_id in (
        "p3.dropout_forward.rate",
        "p3.dropout_forward.expectation",
        "p3.inverted_dropout_forward.expectation",
    ):
        assert not any(o.passed for o in _judge(check_id, module)), check_id


def test_keep_rate_fails_a_wrong_rate_of_the_right_form():
    def rate_half(x, p_keep, train, rng):
        return x * (rng.random(np.shape(x)) < 0.5 * p_keep), None

    (outcome,) = _judge("p3.dropout_forward.rate", _module(dropout_forward=rate_half))
    assert not outcome.passed and "binomial standard deviations" in outcome.message


def test_keep_rate_passes_another_way_of_drawing_at_the_right_rate():
    def binomial(x, p_keep, train, rng):
        return x * rng.binomial(1, p_keep, np.shape(x)), None

    (outcome,) = _judge("p3.dropout_forward.rate", _module(dropout_forward=binomial))
    assert outcome.passed, outcome.message


@pytest.mark.parametrize(
    ("fn", "check_id", "init", "words"),
    [
        ("init_gaussian", "p4.init_gaussian.moments", lambda a, b, s, rng: 2 * s * rng.standard_normal((a, b)), "σ²"),
        ("init_gaussian", "p4.init_gaussian.moments", lambda a, b, s, rng: s + s * rng.standard_normal((a, b)), "mean"),
        ("init_uniform", "p4.init_uniform.moments", lambda a, b, r, rng: 2 * r * rng.random((a, b)) - r / 2, "outside"),
        ("init_uniform", "p4.init_uniform.moments", lambda a, b, r, rng: r * rng.random((a, b)) - r / 2, "r²/3"),
        ("init_uniform", "p4.init_uniform.moments", lambda a, b, r, rng: np.zeros((a, b)), "r²/3"),
    ],
)
def test_moments_fail_wrong_distributions(fn, check_id, init, words):
    outcomes = _judge(check_id, _module(**{fn: init}))
    assert all(not o.passed and words in o.message for o in outcomes), [o.message for o in outcomes]


def test_moments_pass_a_transposed_draw():
    def transposed(fan_in, fan_out, sigma, rng):
        return (sigma * rng.standard_normal((fan_out, fan_in))).T

    assert all(o.passed for o in _judge("p4.init_gaussian.moments", _module(init_gaussian=transposed)))


def test_identity_claim_fails_where_the_values_are_right_but_the_identity_is_not():
    c = check("p2.weight_decay_step.sgd_on_l2")
    case = ReferenceExpectations(ASSIGNMENT, 3).cases(c)[0]
    step, grad = case.expected
    forged = [step, grad + 1.0]  # a reply (and a reference) whose values agree, the identity broken
    reply = _reference_reply(case) | {"returns": forged}
    outcome = c.judge.judge(case.inputs, reply, forged)
    assert not outcome.passed and "one SGD step on the L2-penalized loss" in outcome.message
    assert c.judge.judge(case.inputs, _reference_reply(case), case.expected).passed


def test_identity_claim_fails_closed_on_nan():
    c = check("p2.weight_decay_step.sgd_on_l2")
    case = ReferenceExpectations(ASSIGNMENT, 3).cases(c)[0]
    nan = [np.full_like(v, np.nan) for v in case.expected]
    assert not c.judge.judge(case.inputs, _reference_reply(case) | {"returns": nan}, nan).passed


def test_a_failed_batch_norm_case_carries_the_histograms():
    def forward(z, gamma, beta, state, train, p=0.9, eps=1e-5):
        out = gamma * (z - z.mean(0)) / np.sqrt(z.var(0, ddof=1) + eps) + beta
        return out, None, {"running_mean": z.mean(0), "running_var": z.var(0)}

    outcomes = _judge("p1.batchnorm_forward.train", _module(batchnorm_forward=forward))
    assert not outcomes[0].passed
    plot = outcomes[0].plot
    assert plot["kind"] == "histogram" and set(plot["series"]) == {"yours: out", "reference: out"}
    assert isinstance(check("p1.batchnorm_forward.sequence").judge, CompareHistogram)


def test_fresh_draws_are_what_the_child_builds():
    for kind in ("Generator", "RandomState"):
        rng = CALLABLES["make_rng"](5, kind)
        assert np.array_equal(CALLABLES["next_draws"](rng), fresh_draws(5, kind))


def test_every_kind_round_trips_through_public_data():
    for c in ASSIGNMENT.checks:
        assert from_data(c.judge.to_data()) == c.judge, c.id
    assert {type(c.judge).__name__ for c in ASSIGNMENT.checks} >= {
        "ExactDraw",
        "KeepRate",
        "DropoutExpectation",
        "Moments",
        IdentityClaim.__name__,
        "CompareHistogram",
    }
