"""Judge kinds for the claims of a course text, checked on the student's own functions (issue #12).

- :class:`Claim`: the values a program returns are the reference's (within ``rtol``/``atol``, no NumPy
  warning), and on the student's own values one of them is smaller than ``factor`` times another (e.g. fig.
  3.36 of `001`: at a confidently wrong point the gradient of MSE after softmax is almost 0 while that of cross
  entropy is not). A claim counts only where the values are right, so a function that returns two made-up
  numbers with the right ratio earns nothing; and both comparisons fail closed
  (:func:`autograder.judges.agree`: NaN, infinities and non-numbers never pass).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .judge import Outcome, kind
from .judge import to_data as judge_to_data
from .judges import Compare, agree
from .programs import Inputs, Program

__all__ = ["Claim"]


def _leaves(value: Any) -> Iterator[Any]:
    """The numbers of a returned value, tuples flattened in order."""
    if isinstance(value, tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


@kind
@dataclass(frozen=True)
class Claim:
    """A claim ``|v[small]| < factor · |v[large]|`` of the text, on the student's own returned values ``v``
    (flattened in order), judged only where those values are the reference's.

    program_   what the student's code is asked (e.g. ``saturation_demo()``)
    statement  the claim in words, as the feedback states it
    rtol/atol  the tolerances of the values (Compare's: ``atol`` is scaled by the largest expected magnitude)
    """

    program_: Program
    statement: str
    small: int = 0
    large: int = 1
    factor: float = 1e-6
    rtol: float = 1e-6
    atol: float = 0.0

    def to_data(self) -> dict:
        return judge_to_data(self)

    def _values(self) -> Compare:
        return Compare(self.program_, rtol=self.rtol, atol=self.atol, no_warnings=True)

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self._values().program(inputs)

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        values = self._values().judge(inputs, reply, expected)
        if not values.passed:
            return Outcome(False, f"{values.message} (the claim counts only where the values are right)")
        got = [float(np.asarray(v, dtype=np.float64)) for r in reply["returns"] for v in _leaves(r)]
        small, large = got[self.small], got[self.large]
        bound = self.factor * abs(large)
        if not (np.isfinite(large) and bool(agree(abs(small), 0.0, bound)) and abs(small) < bound):
            return Outcome(
                False,
                f"the claim does not hold on your values: {self.statement} ({small:.6g} is not below "
                f"{self.factor:g} × {large:.6g})",
            )
        return Outcome(True)
