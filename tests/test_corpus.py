"""The sample submissions' exact per-check outcomes: every check passes every correct implementation and fails
the realistic bug it is there for, and only there.

The outcomes are those of a fixed grading seed; the correct submissions are also graded with other seeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignments import get
from autograder.batch import canary, grade_path
from autograder.grading import ReferenceExpectations

SAMPLES = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "hw1"
SEED = 7

# check id -> points earned, for every check that does not give full points; all others give full points.
# A problem's no_mutation point counts only where its functions' values are right (issue #9), so a bug in a
# function that check calls also costs that point (the *.no_mutation rows below).
EXPECTED_LOSSES = {
    "backward_masks_dyhat": {"p1.no_mutation": 0.0},
    "avgpool_divides_by_k": {
        "p5.avgpool_backward.basic": 0.0,
        "p5.avgpool_backward.overlap": 0.0,
        "p5.avgpool_backward.gradcheck": 0.0,
        "p5.no_mutation": 0.0,
    },
    "bias_grad_not_summed": {
        "p1.backward.values": 0.6667,
        "p1.backward.gradcheck": 1.0,
        "p1.bp_step.values": 0.0,
        "p1.no_mutation": 0.0,
    },
    "conv_backward_no_crop": {
        "p4.conv2d_backward.stride_pad": 0.8571,
        "p4.conv2d_backward.gradcheck": 1.5,
        "p4.no_mutation": 0.0,
    },
    "conv_error_term_no_rotation": {"p4.conv_error_term.values": 0.0, "p4.conv_error_term.edge": 1.0},
    "conv_forward_no_stride": {
        "p4.conv2d_forward.stride_pad": 1.0,
        "p4.conv2d_forward.edge": 0.4,
        "p4.conv2d_backward.stride_pad": 1.2857,
        "p4.conv2d_backward.gradcheck": 1.5,
        "p4.no_mutation": 0.0,
    },
    "log_softmax_no_shift": {"p2.log_softmax.stable": 0.0},
    "maxpool_overlap_assign": {
        "p5.maxpool_backward.overlap": 0.75,
        "p5.maxpool_backward.gradcheck": 0.6667,
        "p5.no_mutation": 0.0,
    },
    "maxpool_tie_last": {"p5.maxpool_backward.ties": 0.0},
    "mutates_input": {"p1.no_mutation": 0.0},
    "p3_wrong_backward": {  # every p3 answer an expression counts only where the answers are right
        "p3.backward_layer_mul": 0.0,
        "p3.backward_total_mul": 0.0,
        "p3.all.expressions": 0.0,
    },
    "relu_grad_at_zero": {"p1.relu_grad.values": 0.0},
    "sgd_in_place": {"p1.no_mutation": 0.0},
    "sigmoid_grad2_sign": {"p2.sigmoid_grad2.values": 0.0, "p2.sigmoid_grad2_expr.equivalent": 0.0},
}

#: A word the message of the bug's main check must contain: it says what is wrong, not just "wrong".
MESSAGE_WORDS = {
    "backward_masks_dyhat": ("p1.no_mutation", "backward modified its input dyhat"),
    "avgpool_divides_by_k": ("p5.avgpool_backward.basic", "dx differs from the expected value"),
    "bias_grad_not_summed": ("p1.backward.values", "grads['b"),
    "conv_backward_no_crop": ("p4.conv2d_backward.stride_pad", "dx has shape"),
    "conv_error_term_no_rotation": ("p4.conv_error_term.values", "conv_error_term differs"),
    "conv_forward_no_stride": ("p4.conv2d_forward.stride_pad", "out has shape"),
    "log_softmax_no_shift": ("p2.log_softmax.stable", "overflow"),
    "maxpool_overlap_assign": ("p5.maxpool_backward.overlap", "stride 1"),
    "maxpool_tie_last": ("p5.maxpool_backward.ties", "many tied maxima"),
    "mutates_input": ("p1.no_mutation", "relu modified its input"),
    "p3_wrong_backward": ("p3.backward_total_mul", "answer/count → 1/2"),
    "relu_grad_at_zero": ("p1.relu_grad.values", "expected 0, got 1"),
    "sgd_in_place": ("p1.no_mutation", "sgd_update modified its input params['W1']"),
    "sigmoid_grad2_sign": ("p2.sigmoid_grad2_expr.equivalent", "differs at x ="),
}


@pytest.fixture(scope="module")
def assignment():
    return get("hw1")


@pytest.fixture(scope="module")
def expectations(assignment):
    return ReferenceExpectations(assignment, SEED)


@pytest.fixture(scope="module")
def graded(assignment, expectations):
    return {d.name: grade_path(d, assignment, expectations) for d in sorted(SAMPLES.iterdir()) if d.is_dir()}


def test_the_corpus_is_complete(graded):
    assert set(EXPECTED_LOSSES) | {"correct_loops", "correct_vectorized", "stubs_only"} == set(graded)
    assert len(EXPECTED_LOSSES) >= 6


def test_canary_reference_scores_full_marks(assignment, expectations):
    result = canary(assignment, expectations)
    assert result.score == result.max_score == 100


@pytest.mark.parametrize("name", ["correct_loops", "correct_vectorized"])
def test_correct_submissions_score_100(graded, name):
    result = graded[name]
    assert [(c.id, c.message) for c in result.checks if not c.passed] == []
    assert result.score == 100


@pytest.mark.parametrize("seed", [1, 20261123])
def test_correct_submissions_score_100_on_other_seeds(assignment, seed):
    expectations = ReferenceExpectations(assignment, seed)
    for name in ("correct_loops", "correct_vectorized"):
        result = grade_path(SAMPLES / name, assignment, expectations)
        assert [(c.id, c.message) for c in result.checks if not c.passed] == [], name


@pytest.mark.parametrize("name", sorted(EXPECTED_LOSSES))
def test_bug_loses_points_exactly_where_expected(graded, name):
    result = graded[name]
    lost = {c.id: round(c.points, 4) for c in result.checks if not c.passed}
    assert lost == EXPECTED_LOSSES[name]
    assert result.score == pytest.approx(100 - sum(c.max_points - c.points for c in result.checks if not c.passed))


@pytest.mark.parametrize("name", sorted(MESSAGE_WORDS))
def test_bug_message_says_what_is_wrong(graded, name):
    check_id, words = MESSAGE_WORDS[name]
    check = next(c for c in graded[name].checks if c.id == check_id)
    assert words in check.message


def test_stubs_score_zero_with_not_implemented_messages(graded, assignment):
    result = graded["stubs_only"]
    assert result.score == 0
    assert len(result.checks) == len(assignment.checks)
    for check in result.checks:
        assert check.points == 0
        assert "not implemented" in check.message, (check.id, check.message)
