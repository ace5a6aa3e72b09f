"""Fixtures shared by the test modules: ``bk``, each array backend of :mod:`tests.backends` in turn."""

from __future__ import annotations

import pytest

from .backends import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def bk(request) -> Backend:
    return Backend(request.param)
