"""hw5's checks (autograder/assignments/hw5.py) and its judge kinds (CompareCurves, Claim).

- The canary on many seeds: the reference and both correct samples pass every check of hw5 on
  ``SEEDS`` grading seeds, judged in-process (:mod:`tests.inprocess`) exactly as the parent judges the child.
- Each hidden case really holds what its label says on every seed (zeros, ties, bands, overflow ranges), so
  the bug it is there for is caught whatever the seed.
- The judges fail closed: a made-up answer with the right ratio earns no claim point, NaN never passes, a
  figure is attached where the values allow one and never changes a verdict.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from autograder.assignments import get
from autograder.claim_judges import Claim
from autograder.curve_judges import CompareCurves, curves_plot
from autograder.grading import PreparedCase, ReferenceExpectations
from autograder.judge import from_data
from autograder.plot_data import capped

from .inprocess import arrays_by_reference, judge_case, load_module

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw5"
SEEDS = range(3_000_017, 3_000_017 + 200)
ASSIGNMENT = get("hw5")


def _reference_reply(case: PreparedCase) -> dict:
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": list(case.expected)}


def _modules(sample: str) -> dict:
    return {
        p.module: load_module(SAMPLES / sample / f"{p.module}.py", f"hw5_{sample}_{p.module}")
        for p in ASSIGNMENT.problems
    }


def _case(check_id: str, seed: int = 7) -> tuple:
    check = next(c for c in ASSIGNMENT.checks if c.id == check_id)
    return check, ReferenceExpectations(ASSIGNMENT, seed).cases(check)


def test_points_and_problems():
    assert [(p.key, p.points) for p in ASSIGNMENT.problems] == [("p1", 30), ("p2", 45), ("p3", 25)]
    assert sum(c.points for c in ASSIGNMENT.checks) == 100
    assert any(c.public for c in ASSIGNMENT.checks) and any(not c.public for c in ASSIGNMENT.checks)


def _failures(seeds: range) -> list[str]:
    """Every case the reference or a correct sample fails on ``seeds``, judged in-process."""
    modules = {s: _modules(s) for s in ("correct_loops", "correct_vectorized")}
    failures = []
    with arrays_by_reference():
        for seed in seeds:
            expectations = ReferenceExpectations(ASSIGNMENT, seed)
            for check in ASSIGNMENT.checks:
                for case in expectations.cases(check):
                    outcome = check.judge.judge(case.inputs, _reference_reply(case), case.expected)
                    if not outcome.passed:
                        failures.append(f"seed {seed} reference {check.id} [{case.label}]: {outcome.message}")
                    for sample, mods in modules.items():
                        outcome = judge_case(check, case, mods[check.module])
                        if not outcome.passed:
                            failures.append(f"seed {seed} {sample} {check.id} [{case.label}]: {outcome.message}")
    return failures


def test_reference_and_correct_samples_pass_every_check_on_many_seeds(two_workers):
    start = time.monotonic()
    failures = [f for half in two_workers(_failures, SEEDS) for f in half]
    assert not failures, f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:10])
    assert time.monotonic() - start < 120


@pytest.mark.parametrize(
    ("sample", "check_id"),
    [
        ("tanh_naive_overflow", "p1.tanh.stable"),
        ("leaky_relu_grad_at_zero_alpha", "p1.leaky_relu_grad.at_zero"),
        ("elu_grad_alpha", "p1.elu_grad.stable"),
        ("kl_no_zero_convention", "p2.kl_div.zero_target"),
        ("bce_clipped", "p2.binary_cross_entropy.unclipped"),
        ("bce_clipped", "p2.binary_cross_entropy_grad.unclipped"),
        ("softmax_ce_no_shift", "p3.softmax_cross_entropy.stable"),
        ("huber_linear_branch_off", "p2.huber.values"),
        ("mse_with_half", "p2.mse.values"),
        ("l1_mean", "p2.l1_grad.values"),
    ],
)
def test_each_bug_fails_every_case_of_its_check_on_many_seeds(sample, check_id):
    """The hidden edge cases are drawn from the seed, never fixed: on every seed they still catch the bug."""
    modules = _modules(sample)
    check = next(c for c in ASSIGNMENT.checks if c.id == check_id)
    with arrays_by_reference():
        for seed in range(40):
            for case in ReferenceExpectations(ASSIGNMENT, seed).cases(check):
                assert not judge_case(check, case, modules[check.module]).passed, (seed, case.label)


def test_stability_inputs_cover_the_overflow_ranges_on_every_seed():
    for seed in range(50):
        for check_id in ("p1.tanh.stable", "p1.elu.stable", "p1.elu_grad.stable", "p1.tanh_grad.stable"):
            for case in _case(check_id, seed)[1]:
                x = case.inputs["x"]
                assert np.sum(x > 1e3) >= 2 and np.sum(x < -1e3) >= 2 and np.all(np.abs(x) <= 1e4)
                assert np.any((x < -355.5) & (x > -356.5)) and np.any(np.abs(x) < 0.5)
        for case in _case("p3.softmax_cross_entropy.stable", seed)[1]:
            z = case.inputs["logits"]
            assert np.max(np.abs(z)) > 1e3 and np.max(np.abs(z)) <= 1e4


def test_edge_cases_hold_what_their_labels_say_on_every_seed():
    for seed in range(50):
        for case in _case("p1.leaky_relu_grad.at_zero", seed)[1]:
            x = case.inputs["x"]
            assert np.any(x == 0) and np.any(np.signbit(x) & (x == 0)) and np.any(x != 0)
        for case in _case("p2.kl_div.zero_target", seed)[1]:
            y, yhat = case.inputs["y"], case.inputs["yhat"]
            assert np.any(y == 0) and np.all(yhat[y == 0] == 0) and np.all(y.sum(-1) > 0)
            assert np.allclose(y.sum(-1), 1) and np.allclose(yhat.sum(-1), 1)
        for case in _case("p2.kl_div.values", seed)[1]:
            assert np.any(case.inputs["y"] == 0) and np.all(case.inputs["yhat"] > 0)
        tie = [c for c in _case("p2.l1_grad.values", seed)[1] if "tied" in c.label]
        assert tie and np.any(tie[0].inputs["yhat"] == tie[0].inputs["y"])
        (bce,) = _case("p2.binary_cross_entropy.unclipped", seed)[1]
        yhat = bce.inputs["yhat"]
        assert np.sum(yhat < 1e-8) == 4 and np.sum(yhat > 1 - 1e-8) == 4 and np.all((yhat > 0) & (yhat < 1))
        for case in _case("p2.huber.values", seed)[1]:
            r = np.abs(case.inputs["yhat"] - case.inputs["y"])
            assert np.any(r > case.inputs.get("delta", 1.0)), case.label


def test_public_checks_draw_the_same_generators():
    """Every hidden edge (zeros, zero targets, unclipped BCE, large logits) is hidden; the stability of tanh is
    public (students see its inputs), yet graded on the grading seed's own draw."""
    hidden = {c.id for c in ASSIGNMENT.checks if not c.public}
    assert {"p1.leaky_relu_grad.at_zero", "p2.kl_div.zero_target", "p3.saturation_demo.claim"} <= hidden
    (a,), (b,) = _case("p1.tanh.stable", 1)[1], _case("p1.tanh.stable", 2)[1]
    assert not np.array_equal(a.inputs["x"], b.inputs["x"])


# -- the judge kinds ------------------------------------------------------------------------------------------


def _claim_case():
    check, (case,) = _case("p3.saturation_demo.claim")
    return check, case


def _reply(values: tuple, warnings: list | None = None) -> dict:
    step = {"name": "r", "fn": "saturation_demo", "status": "ok", "mutated": [], "warnings": warnings or []}
    return {"steps": [step], "returns": [tuple(np.asarray(v, dtype=np.float64) for v in values)]}


def test_claim_passes_the_reference_values_only():
    check, case = _claim_case()
    g_mse, g_ce = (float(v) for v in case.expected[0])
    assert 1.1e-8 < g_mse < 1.25e-8 and abs(g_ce - np.sqrt(2)) < 1e-3
    assert check.judge.judge(case.inputs, _reply((g_mse, g_ce)), case.expected).passed
    assert check.judge.judge(case.inputs, _reply((g_mse * (1 + 5e-7), g_ce)), case.expected).passed  # rtol 1e-6
    for wrong in ((0.0, g_ce), (1e-12, 1.0), (g_mse * (1 + 3e-6), g_ce), (np.nan, g_ce), (g_mse, np.inf)):
        outcome = check.judge.judge(case.inputs, _reply(wrong), case.expected)
        assert not outcome.passed and "counts only where the values are right" in outcome.message, wrong
    assert not check.judge.judge(case.inputs, _reply((g_mse, g_ce), ["RuntimeWarning: overflow"]), case.expected).passed


def test_claim_fails_where_the_claim_does_not_hold_even_with_right_values():
    check, case = _claim_case()
    values = tuple(float(v) for v in case.expected[0])
    judge = Claim(check.judge.program_, statement="a test", small=1, large=0, factor=1e-6)  # the reverse claim
    outcome = judge.judge(case.inputs, _reply(values), case.expected)
    assert not outcome.passed and "the claim does not hold" in outcome.message


def test_judge_kinds_round_trip_through_public_data():
    for check in ASSIGNMENT.checks:
        if isinstance(check.judge, (Claim, CompareCurves)):
            assert from_data(check.judge.to_data()) == check.judge, check.id


def test_activation_checks_carry_the_figure_of_the_function_over_the_reference():
    modules = _modules("elu_grad_alpha")
    check, cases = _case("p1.elu_grad.values")
    case = next(c for c in cases if c.inputs["x"].size > 1)
    outcome = judge_case(check, case, modules[check.module])
    assert not outcome.passed
    plot = capped(outcome.plot)
    assert plot["kind"] == "curves" and set(plot["series"]) == {"yours", "reference"}
    x = np.sort(case.inputs["x"].reshape(-1))
    assert np.array_equal(plot["x"], x)
    assert np.allclose(plot["series"]["reference"], np.where(x >= 0, 1.0, case.inputs.get("alpha", 1.0) * np.exp(x)))
    assert not np.allclose(plot["series"]["yours"], plot["series"]["reference"])
    right = judge_case(check, case, _modules("correct_vectorized")[check.module])
    assert right.passed and right.plot is not None
    assert curves_plot(case.inputs["x"], np.zeros(3), np.zeros(3), "f") is None  # wrong shape: no figure
    assert curves_plot(np.array(0.5), np.array(0.5), np.array(0.5), "f") is None  # one point: no curve
