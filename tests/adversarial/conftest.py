"""Fixtures of the adversarial corpora: one assignment and one set of expected values for every test here,
and a cache so that each submission is graded once however many tests look at it."""

from __future__ import annotations

import pytest

from autograder.assignments import get
from autograder.grading import ReferenceExpectations

from .harness import SEED, Corpus


@pytest.fixture(scope="session")
def assignment():
    return get("hw1")


@pytest.fixture(scope="session")
def expectations(assignment):
    return ReferenceExpectations(assignment, SEED)


@pytest.fixture(scope="session")
def corpus(assignment, expectations):
    graded = Corpus(assignment, expectations)
    yield graded
    graded.close()
