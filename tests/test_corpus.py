"""The sample submissions' exact per-check outcomes, for every assignment the registry knows: every check
passes every correct implementation and fails the realistic bug it is there for, and only there; the
reference scores full marks (the canary).

Each assignment's table is ``examples/submissions/NAME/outcomes.json`` (beside its samples): the grading seed,
the samples that score full marks and zero, and for every other sample the points of each check that does
not give full points and a phrase its main check's message must contain. An assignment without a table
fails here.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.assignments import get, names
from autograder.batch import canary, grade_path
from autograder.grading import ReferenceExpectations

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "submissions"
ASSIGNMENTS = names()


def outcomes(name: str) -> dict:
    """The assignment's table of sample outcomes (empty when it has none: the completeness test fails)."""
    path = EXAMPLES / name / "outcomes.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


TABLES = {name: outcomes(name) for name in ASSIGNMENTS}
FULL = [(a, s) for a in ASSIGNMENTS for s in TABLES[a].get("full_marks", [])]
ZERO = [(a, s) for a in ASSIGNMENTS for s in TABLES[a].get("zero", [])]
LOSSES = [(a, s) for a in ASSIGNMENTS for s in sorted(TABLES[a].get("losses", {}))]
MESSAGES = [(a, s) for a in ASSIGNMENTS for s in sorted(TABLES[a].get("messages", {}))]


@pytest.fixture(scope="module")
def expectations():
    return {a: ReferenceExpectations(get(a), TABLES[a].get("seed", 7)) for a in ASSIGNMENTS}


@pytest.fixture(scope="module")
def graded(expectations):
    """Every sample of every assignment, graded once with its table's seed; two samples at a time, in two
    threads (as the canary's thread grades beside a batch's first submissions): a grading mostly waits on its
    sandbox child, so two keep both cores of the CI machine busy."""
    samples = {
        a: sorted(d for d in (EXAMPLES / a).iterdir() if d.is_dir()) if (EXAMPLES / a).is_dir() else []
        for a in ASSIGNMENTS
    }
    jobs = [(a, d) for a in ASSIGNMENTS for d in samples[a]]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda job: grade_path(job[1], get(job[0]), expectations[job[0]]), jobs))
    out: dict[str, dict] = {a: {} for a in ASSIGNMENTS}
    for (a, d), result in zip(jobs, results, strict=True):
        out[a][d.name] = result
    return out


def test_the_registry_finds_the_assignments():
    assert "hw1" in ASSIGNMENTS
    with pytest.raises(KeyError, match=r"^unknown assignment 'hw0'; known: hw1") as info:
        get("hw0")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_corpus_is_complete(graded, name):
    table = TABLES[name]
    assert table, f"examples/submissions/{name}/outcomes.json is missing: every assignment needs its samples' table"
    listed = set(table["losses"]) | set(table["full_marks"]) | set(table["zero"])
    assert listed == set(graded[name])
    assert len(table["full_marks"]) >= 1 and len(table["zero"]) >= 1 and len(table["losses"]) >= 3
    assert set(table["messages"]) <= set(table["losses"])
    ids = {c.id for c in get(name).checks}
    for sample, lost in table["losses"].items():
        assert lost and set(lost) <= ids, sample


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_canary_reference_scores_full_marks(name, expectations):
    assignment = get(name)
    total = sum(p.points for p in assignment.problems)
    result = canary(assignment, expectations[name])
    assert result.score == result.max_score == total


@pytest.mark.parametrize(("name", "sample"), FULL)
def test_correct_submissions_score_full_marks(graded, name, sample):
    result = graded[name][sample]
    assert [(c.id, c.message) for c in result.checks if not c.passed] == []
    assert result.score == sum(p.points for p in get(name).problems)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reference_and_correct_submissions_score_full_marks_on_other_seeds(name):
    assignment = get(name)
    assert TABLES[name].get("other_seeds"), f"{name}'s outcomes.json names no other seeds"
    for seed in TABLES[name]["other_seeds"]:
        expectations = ReferenceExpectations(assignment, seed)
        result = canary(assignment, expectations)
        assert result.score == result.max_score == sum(p.points for p in assignment.problems), seed
        for sample in TABLES[name]["full_marks"]:
            result = grade_path(EXAMPLES / name / sample, assignment, expectations)
            assert [(c.id, c.message) for c in result.checks if not c.passed] == [], (sample, seed)


@pytest.mark.parametrize(("name", "sample"), LOSSES)
def test_bug_loses_points_exactly_where_expected(graded, name, sample):
    result = graded[name][sample]
    lost = {c.id: round(c.points, 4) for c in result.checks if not c.passed}
    assert lost == TABLES[name]["losses"][sample]
    total = sum(p.points for p in get(name).problems)
    assert result.score == pytest.approx(total - sum(c.max_points - c.points for c in result.checks if not c.passed))


@pytest.mark.parametrize(("name", "sample"), MESSAGES)
def test_bug_message_says_what_is_wrong(graded, name, sample):
    check_id, words = TABLES[name]["messages"][sample]
    check = next(c for c in graded[name][sample].checks if c.id == check_id)
    assert words in check.message


@pytest.mark.parametrize(("name", "sample"), ZERO)
def test_stubs_score_zero_with_not_implemented_messages(graded, name, sample):
    result = graded[name][sample]
    assert result.score == 0
    assert len(result.checks) == len(get(name).checks)
    for check in result.checks:
        assert check.points == 0
        assert "not implemented" in check.message, (check.id, check.message)
