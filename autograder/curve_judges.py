"""Judge kinds that draw a function of one variable: the student's values over the reference's, as curves.

- :class:`CompareCurves`: :class:`~autograder.judges.Compare` (the same verdict, the same tolerances) whose
  outcome also carries a ``curves`` figure (:mod:`autograder.plot_data`): the function's values at the case's
  inputs ``x``, sorted by x, the student's over the reference's. hw5 judges its activations and their
  gradients with it.

The figure never changes the verdict: it is drawn only from values the verdict was made on, and it is left
out when the student's value has not the form of the expected one (not an array of x's shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .judge import Outcome, kind
from .judges import Compare
from .programs import Inputs

__all__ = ["CompareCurves", "curves_plot"]


def curves_plot(x: Any, got: Any, want: Any, name: str) -> dict | None:
    """The ``curves`` figure of ``name`` at the points ``x`` (any shape, flattened and sorted), the student's
    values ``got`` over the reference's ``want``; None when ``got`` is not a numeric array of x's shape."""
    x = np.asarray(x, dtype=np.float64) if isinstance(x, np.ndarray) else None
    if x is None or x.size < 2 or not isinstance(got, np.ndarray) or got.dtype.kind not in "fiu":
        return None
    want = np.asarray(want, dtype=np.float64)
    if got.shape != x.shape or want.shape != x.shape:
        return None
    order = np.argsort(x.reshape(-1), kind="stable")
    return {
        "kind": "curves",
        "title": f"{name}(x): yours and the reference's",
        "x": x.reshape(-1)[order],
        "series": {"yours": got.astype(np.float64).reshape(-1)[order], "reference": want.reshape(-1)[order]},
        "xlabel": "x",
        "ylabel": name,
    }


@kind
@dataclass(frozen=True)
class CompareCurves(Compare):
    """:class:`~autograder.judges.Compare`, with a figure of the first returned value as a function of the
    input named ``x`` (see :func:`curves_plot`). The verdict is exactly Compare's."""

    x: str = "x"

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        outcome = super().judge(inputs, reply, expected)
        returns = reply.get("returns") or []
        if returns and expected and self.x in inputs:
            label = self.program_.returns[0][0]
            outcome.plot = curves_plot(inputs[self.x], returns[0], expected[0], label)
        return outcome
