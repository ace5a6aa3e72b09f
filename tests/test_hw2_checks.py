"""hw2's checks, judged in-process (:mod:`tests.inprocess`) on many grading seeds: the reference and both correct
samples pass every check on every seed (the canary's condition), the bugs that only some cases can show are caught
there and only there on every seed, and the judge kinds of :mod:`autograder.trajectory_judges` keep the verdict
rules (fail closed, the growing tolerance, claims only where the trajectory matches, plots on failure)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from autograder.assignments import get
from autograder.grading import PreparedCase, ReferenceExpectations
from autograder.judge import from_data, to_data
from autograder.sandbox.executor import load_callables
from autograder.trajectory_judges import CLAIMS, StepChain
from solutions.hw2 import p3_training as ref_p3

from .inprocess import arrays_by_reference, judge_case, load_module

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions" / "hw2"
SEEDS = int(os.environ.get("AUTOGRADER_HW2_SEEDS", "50"))
SURFACE_SEEDS = int(os.environ.get("AUTOGRADER_HW2_SURFACE_SEEDS", "3"))
BUG_SEEDS = 5
FIRST_SEED = 2_000_003
ASSIGNMENT = get("hw2")
CALLABLES = load_callables(ASSIGNMENT.callables)


def _modules(sample: str) -> dict:
    folder = SAMPLES / sample if sample != "reference" else REPO / "solutions" / "hw2"
    return {p.module: load_module(folder / f"{p.module}.py", f"hw2_{sample}_{p.module}") for p in ASSIGNMENT.problems}


def _long(check) -> bool:
    """The 300-update checks on the surface (run on fewer seeds; the claims' inputs are the same on every seed)."""
    return isinstance(check.judge, StepChain) and bool(check.judge.grad)


def _failures(samples: tuple[str, ...], seeds: range, checks: list) -> dict[tuple[str, str], list[str]]:
    """(sample, check id) -> the failing cases' messages, over the seeds."""
    modules = {s: _modules(s) for s in samples}
    out: dict[tuple[str, str], list[str]] = {}
    with arrays_by_reference():
        for seed in seeds:
            expectations = ReferenceExpectations(ASSIGNMENT, seed)
            for check in checks:
                for case in expectations.cases(check):
                    for s in samples:
                        outcome = judge_case(check, case, modules[s][check.module], CALLABLES)
                        if not outcome.passed:
                            out.setdefault((s, check.id), []).append(f"seed {seed}, {case.label}: {outcome.message}")
    return out


CORRECT = ("reference", "correct_loops", "correct_vectorized")


def _correct_failures(seeds: range) -> dict[tuple[str, str], list[str]]:
    """:func:`_failures` of the correct samples on every check but the long surface ones, on ``seeds``."""
    return _failures(CORRECT, seeds, [c for c in ASSIGNMENT.checks if not _long(c)])


def test_reference_and_correct_samples_pass_every_check_on_many_seeds(two_workers):
    assert two_workers(_correct_failures, range(FIRST_SEED, FIRST_SEED + SEEDS)) == [{}, {}]


def test_reference_and_correct_samples_pass_the_surface_checks_on_many_seeds():
    drawn = [c for c in ASSIGNMENT.checks if _long(c) and not c.judge.claim]
    claims = [c for c in ASSIGNMENT.checks if _long(c) and c.judge.claim]  # the text's own start: one seed does
    assert len(drawn) == 3 and len(claims) == 4
    failures = _failures(CORRECT, range(FIRST_SEED, FIRST_SEED + SURFACE_SEEDS), drawn)
    failures.update(_failures(CORRECT, range(FIRST_SEED, FIRST_SEED + 1), claims))
    assert failures == {}


@pytest.mark.parametrize(
    ("sample", "lost"),
    [
        # eps inside the root: only where eps matters (large eps, tiny gradients: also the surface's, near θ*)
        ("adam_eps_inside_sqrt", {"p1.adam_step.eps", "p1.adam_step.surface"}),
        # the library form of momentum agrees while η is constant
        ("momentum_library_form", {"p1.momentum_step.changing_lr"}),
        # right values, a mutated and returned state
        ("optimizer_mutates_state", {"p1.adam_step.no_mutation", "p1.adam_step.reuse"}),
        ("run_optimizer_no_schedule", {"p3.run_optimizer.schedule"}),
        ("step_decay_off_by_one", {"p2.lr_step_decay.values", "p2.lr_step_decay.boundaries"}),
        ("warmup_t_plus_one", {"p2.lr_warmup.values", "p2.lr_warmup.edges"}),
    ],
)
def test_bugs_seen_by_some_cases_only_lose_those_checks_on_every_seed(sample, lost):
    checks = [c for c in ASSIGNMENT.checks if not _long(c) or c.id in lost]
    failures = _failures((sample,), range(FIRST_SEED, FIRST_SEED + BUG_SEEDS), checks)
    assert {cid for _, cid in failures} == lost
    per_seed = {cid: {m.split(",")[0] for m in msgs} for (_, cid), msgs in failures.items()}
    assert all(len(seeds) == BUG_SEEDS for seeds in per_seed.values()), per_seed  # caught on every seed


# -- the parent's predicates mirror the given ones -------------------------------------------------------


def _random_trajectory(rng: np.random.Generator) -> np.ndarray:
    kind = rng.integers(4)
    T = int(rng.integers(2, 40))
    if kind == 0:  # oscillating
        signs = (-1.0) ** np.arange(T + 1)
        return np.stack([np.linspace(-3, -2, T + 1), signs * rng.uniform(0.05, 0.4, T + 1)], axis=1)
    if kind == 1:  # converging, maybe with a blow-up
        d = np.geomspace(3, 10.0 ** rng.uniform(-8, -2), T + 1)
        if rng.random() < 0.5:
            d[int(rng.integers(1, T + 1))] *= 10.0 ** rng.uniform(0, 6)
        return d[:, None] * np.array([[-0.9, 0.1]])
    return rng.normal(size=(T + 1, 2)) * 10.0 ** rng.uniform(-6, 1)


def test_the_claims_agree_with_the_reference_given_predicates():
    rng = np.random.default_rng(5)
    args = {"a": ref_p3.SURFACE["a"], "b": ref_p3.SURFACE["b"], "near": ref_p3.NEAR, "ratio": ref_p3.BLOWUP_RATIO}
    given = {
        "oscillates": ref_p3.oscillates,
        "gets_near": ref_p3.gets_near,
        "blows_up": ref_p3.blows_up,
        "decay_fixes": lambda tr: not ref_p3.blows_up(tr) and ref_p3.gets_near(tr[-1:]),
    }
    seen = {name: set() for name in CLAIMS}
    for _ in range(2000):
        tr = _random_trajectory(rng)
        for name, claim in CLAIMS.items():
            verdict = claim(tr, args) is None
            assert verdict == given[name](tr), (name, tr)
            seen[name].add(verdict)
    assert all(v == {True, False} for v in seen.values()), seen


def test_the_checks_module_copies_the_reference_surface_constants():
    from autograder.assignments import hw2

    for name in ("SURFACE", "THETA0", "STEPS", "GD_LR", "ADAGRAD_LR", "DECAY_K", "NEAR", "BLOWUP_RATIO"):
        assert getattr(hw2, name) == getattr(ref_p3, name), name


# -- StepChain's verdicts --------------------------------------------------------------------------------


def _surface_case(check_id: str) -> tuple:
    check = next(c for c in ASSIGNMENT.checks if c.id == check_id)
    return check, ReferenceExpectations(ASSIGNMENT, 11).cases(check)[0]


def _reply(case: PreparedCase, returns: list) -> dict:
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": returns}


def test_the_tolerance_grows_with_the_step_and_fails_closed():
    check, case = _surface_case("p1.rmsprop_step.surface")
    judge, want = check.judge, [np.asarray(w) for w in case.expected]
    scale = max(float(np.max(np.abs(w))) for w in want + [case.inputs["theta"]])
    t = 250
    rtol = judge.rtol0 * (1 + t / judge.tau)
    for factor, passes in ((0.9, True), (1.1, False)):
        got = [w.copy() for w in want]
        got[t - 1][0] += factor * (rtol * abs(want[t - 1][0]) + judge.atol * scale)
        outcome = judge.judge(case.inputs, _reply(case, got), case.expected)
        assert outcome.passed is passes, outcome.message
    assert "t = 250" in outcome.message and "rtol_t = 1e-10·(1 + t/3)" in outcome.message
    assert outcome.plot["kind"] == "trajectory" and outcome.plot["surface"]["b"] == 200.0
    for bad in (np.nan, np.inf):
        got = [w.copy() for w in want]
        got[5][1] = bad
        assert not judge.judge(case.inputs, _reply(case, got), case.expected).passed
    got = [w.copy() for w in want]
    got[3] = got[3].astype(np.float32)
    assert "float32" in judge.judge(case.inputs, _reply(case, got), case.expected).message


def test_a_claim_counts_only_where_the_trajectory_matches():
    check, case = _surface_case("p1.adagrad_step.gets_near")
    want = [np.asarray(w) for w in case.expected]
    assert check.judge.judge(case.inputs, _reply(case, want), case.expected).passed
    # a trajectory that also gets near the minimum, but not the reference's
    got = [w * (1 + 1e-6) for w in want]
    outcome = check.judge.judge(case.inputs, _reply(case, got), case.expected)
    assert not outcome.passed and "the claim counts only where the trajectory also matches" in outcome.message
    # one that never gets near: the claim's own message
    got = [np.array([-3.0, 0.3]) for _ in want]
    outcome = check.judge.judge(case.inputs, _reply(case, got), case.expected)
    assert not outcome.passed and "never gets within 0.0001" in outcome.message


def test_the_judge_kinds_round_trip_through_public_data():
    for check in ASSIGNMENT.checks:
        assert from_data(to_data(check.judge)) == check.judge, check.id
