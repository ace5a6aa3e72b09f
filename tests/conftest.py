"""Fixtures shared by the test modules: ``bk``, each array backend of :mod:`tests.backends` in turn;
``one_alembic_heads``, nbgrader's gradebook schema revision asked of ``alembic heads`` once per session;
``two_workers``, a seed sweep split over two forked processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence

import pytest

from .backends import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def bk(request) -> Backend:
    return Backend(request.param)


@pytest.fixture(scope="session")
def nbgrader_schema_revision() -> str:
    """nbgrader's gradebook schema revision (its alembic head), asked once per session: nbgrader asks it of a
    fresh ``alembic heads`` subprocess (seconds of CPU: it loads every migration script) each time it creates
    a gradebook, and the answer is a constant of the installed nbgrader."""
    from nbgrader import api

    return api.get_alembic_version()


@pytest.fixture(scope="module")
def one_alembic_heads(nbgrader_schema_revision):
    """While a module's tests run, each gradebook nbgrader creates is stamped with the session's revision
    (:func:`nbgrader_schema_revision`, the very string ``alembic heads`` gave) instead of spawning
    ``alembic heads`` again; the gradebook is otherwise made as always."""
    from nbgrader import api

    patch = pytest.MonkeyPatch()
    patch.setattr(api, "get_alembic_version", lambda: nbgrader_schema_revision)
    yield nbgrader_schema_revision
    patch.undo()


@pytest.fixture(scope="session")
def two_workers() -> Callable[..., list]:
    """``run(sweep, seeds, *args)``: ``sweep(half, *args)`` on every other seed of ``seeds`` in each of two
    processes forked from this one (so they inherit its imports and loaded modules), as ``[first, second]``.
    For sweeps whose seeds are independent: the same seeds, the same work per seed, on both cores of the
    2-core CI machine instead of one."""

    def run(sweep: Callable[..., object], seeds: Sequence[int], *args: object) -> list:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            return pool.starmap(sweep, [(seeds[0::2], *args), (seeds[1::2], *args)])

    return run
