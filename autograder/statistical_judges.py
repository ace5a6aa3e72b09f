"""Judges for random functions, and for claims of the text on a student's own functions (issue #12).

Random functions take a seeded generator built inside the child (a ``np.random.Generator`` cannot cross the
wire): a program makes it with a trusted callable (``rng = $make_rng(seed, kind)``), passes it to the student's
function and, after the call, takes the generator's next numbers with another trusted callable
(``next = $next_draws(rng)``). The reference runs the same program, so both sides' draws are compared.

- :class:`ExactDraw`: the values equal the reference's on the same seed exactly (for dropout, the kept/dropped
  pattern exactly, the values within ``rtol``), and the generator's next numbers equal the reference side's, so
  the function made exactly the draws the text prescribes; a function that leaves the rng untouched (e.g. it
  draws from ``np.random``) is told so.
- :class:`KeepRate`: dropout keeps units at the rate p_keep, within a binomial bound.
- :class:`DropoutExpectation`: the mean of training-time dropout over K rows equals the test-time output,
  within a bound on the mean of K Bernoulli draws.
- :class:`Moments`: an initialization's mean and second moment within bounds on sample moments.
- :class:`IdentityClaim`: a stated identity between the student's own functions' values (e.g. weight decay is one SGD
  step on the L2-penalized loss), judged where those values are right.
- :class:`CompareHistogram`: :class:`~autograder.judges.Compare`, with the histograms of the student's and the
  reference's outputs on a failed case (batch norm's outputs, train and test).

Every bound is ``sigmas`` (5) standard deviations: a correct function on a random seed fails a case with
probability below 6e-7 (two-sided normal tail), and the reference's draws are fixed by the seed, so the canary
tests check it on many seeds. Every statistical property counts only where the values have the exact form the
text fixes (entries 0 or x for dropout, float64 of the right shape, finite, in [−r, r) for uniform draws), and
every comparison fails closed through :func:`autograder.judges.agree` / :func:`~autograder.judges.check_array`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .judge import Outcome, kind
from .judge import to_data as judge_to_data
from .judges import Compare, agree, check_array, step_failure
from .programs import Inputs, Program, ref

__all__ = ["IdentityClaim", "CompareHistogram", "DropoutExpectation", "ExactDraw", "KeepRate", "Moments", "fresh_draws"]

#: How many numbers the trusted callable ``next_draws`` takes from the generator after the student's call.
NEXT_DRAWS = 3


class _Data:
    def to_data(self) -> dict:
        return judge_to_data(self)


def _error(value: Any) -> str | None:
    return str(value["$error"]) if isinstance(value, dict) and "$error" in value else None


def fresh_draws(seed: int, rng_kind: str, n: int = NEXT_DRAWS) -> np.ndarray:
    """The first ``n`` numbers ``random()`` gives on a generator fresh from ``seed`` (as the child makes it)."""
    rng = np.random.default_rng(seed) if rng_kind == "Generator" else np.random.RandomState(seed)
    return np.asarray(rng.random(n), dtype=np.float64)


class _Program:
    """The judge's program: its calls and labelled returns (shared by the kinds below)."""

    program_: Program

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self.program_.steps(inputs), [(label, ref(r)) for label, r in self.program_.returns]

    def _values(self, reply: dict) -> tuple[str | None, list]:
        """Why the calls did not all run or a value is missing, else None; and the returned values."""
        failure = step_failure(reply)
        if failure:
            return failure, []
        for (label, _), got in zip(self.program_.returns, reply["returns"], strict=False):
            err = _error(got)
            if err:
                return f"{label}: {err}", []
        return None, list(reply["returns"])


def _dropout_form(label: str, got: np.ndarray, x: np.ndarray, p_keep: float, inverted: bool) -> str | None:
    """Why ``got`` is not of dropout's form: every entry 0 or the kept value (x, or x/p_keep inverted, to
    rtol 1e-15: x·(1/p) and x/p differ in the last bit at most)."""
    kept_value = x / p_keep if inverted else x
    kept = got != 0
    bound = 1e-15 * np.abs(kept_value) if inverted else 0.0
    bad = kept & ~agree(got, kept_value, bound) | ~np.isfinite(got)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "x/p_keep" if inverted else "x"
        where = f"{label}[{', '.join(map(str, idx))}]" if idx else label
        return (
            f"{where} is {got[idx]:.8g}: a unit of training-time dropout is either dropped (0) or kept as {what} "
            f"= {np.asarray(kept_value)[idx]:.8g}"
        )
    return None


@kind
@dataclass(frozen=True)
class ExactDraw(_Program, _Data):
    """A random function's values equal the reference's on the same seed, and it draws what the text says.

    The program's last return is the generator's next ``NEXT_DRAWS`` numbers after the student's calls
    (``$next_draws(rng)``), which must equal the reference side's exactly: the function made exactly the draws
    the text prescribes (``draws``, in words), in that order. The other returns must equal the reference's
    within ``rtol`` (0: bit for bit), every entry finite; with ``pattern`` (dropout), which entries are zero
    (the dropped units) is compared first, exactly. The seed and the kind of generator are the inputs ``seed``
    and ``rng_kind``.
    """

    program_: Program
    draws: str = "the draws the text prescribes"
    rtol: float = 0.0
    pattern: bool = False

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure, values = self._values(reply)
        if failure:
            return Outcome(False, failure)
        *outputs, nxt = values
        *wants, want_next = expected
        untouched = fresh_draws(int(inputs["seed"]), str(inputs["rng_kind"]))
        why = check_array("the generator's next numbers", nxt, np.asarray(want_next), False)
        if why:
            if isinstance(nxt, np.ndarray) and nxt.shape == untouched.shape and np.array_equal(nxt, untouched):
                return Outcome(
                    False,
                    "the rng it is given is untouched after the call: draw from that rng "
                    f"({self.draws}), not from np.random or a generator of your own",
                )
            if np.array_equal(np.asarray(want_next), untouched):
                return Outcome(False, "it drew from the rng, but this call must draw nothing")
            return Outcome(
                False, f"the rng is not where {self.draws} leaves it: draw exactly that, once, in that order"
            )
        for (label, _), got, want in zip(self.program_.returns, outputs, wants, strict=False):
            want = np.asarray(want)
            if self.pattern:
                why = check_array(label, got, want, False, values=False)
                if why:
                    return Outcome(False, why)
                wrong = (got != 0) != (want != 0)
                if wrong.any():
                    idx = tuple(int(i) for i in np.argwhere(wrong)[0])
                    where = f"{label}[{', '.join(map(str, idx))}]" if idx else label
                    state = "kept" if got[idx] != 0 else "dropped"
                    return Outcome(
                        False,
                        f"{int(wrong.sum())} of {wrong.size} units are kept or dropped otherwise than with "
                        f"u = rng.random(x.shape), keep where u < p_keep: {where} is {state} in yours, "
                        f"{'dropped' if state == 'kept' else 'kept'} in the reference's",
                    )
            why = check_array(label, got, want, False, self.rtol, 0.0)
            if why:
                return Outcome(False, why)
        return Outcome(True)


@kind
@dataclass(frozen=True)
class KeepRate(_Program, _Data):
    """Training-time dropout keeps units at the rate p_keep: with n units (the input ``x``, all non-zero) and k
    of them kept (non-zero in the output), \\|k − n·p\\| ≤ ``sigmas`` · sqrt(n p (1 − p)), k being binomial
    (n, p). Counts only where the output has dropout's form (entries 0 or x, x/p_keep for ``inverted``)."""

    program_: Program
    inverted: bool = False
    sigmas: float = 5.0

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure, values = self._values(reply)
        if failure:
            return Outcome(False, failure)
        label = self.program_.returns[0][0]
        got, want = values[0], np.asarray(expected[0])
        x, p = np.asarray(inputs["x"], dtype=np.float64), float(inputs["p_keep"])
        why = check_array(label, got, want, False, values=False) or _dropout_form(label, got, x, p, self.inverted)
        if why:
            return Outcome(False, why)
        n, k = got.size, int(np.count_nonzero(got))
        bound = self.sigmas * np.sqrt(n * p * (1 - p))
        if not agree(k, n * p, bound):
            return Outcome(
                False,
                f"it kept {k} of {n} units (rate {k / n:.4f}); with p_keep = {p:g} the count must be within "
                f"{n * p:.0f} ± {bound:.0f} ({self.sigmas:g} binomial standard deviations): keep a unit with "
                "probability p_keep (where u < p_keep)",
            )
        return Outcome(True)


@kind
@dataclass(frozen=True)
class DropoutExpectation(_Program, _Data):
    """The expected training-time output of dropout equals the test-time output (the weight scaling rule).

    The program returns one training call on ``x_rows`` (x tiled to K rows) and one test-time call on ``x``.
    The test-time output must be the reference's (``rtol``). The mean m_i over the K rows of unit i must be
    within ``sigmas`` standard deviations of the mean of K draws of the test-time value: \\|m_i − test_i\\| ≤
    5 \\|x_i\\| sqrt(p (1 − p)/K) (text form, kept value x_i), 5 \\|x_i\\| sqrt((1 − p)/(p K)) (``inverted``, kept
    value x_i/p). Counts only where the training output has dropout's form.
    """

    program_: Program
    inverted: bool = False
    sigmas: float = 5.0
    rtol: float = 1e-12

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure, values = self._values(reply)
        if failure:
            return Outcome(False, failure)
        (train_label, _), (test_label, _) = self.program_.returns
        train, test = values
        x, rows = np.asarray(inputs["x"], dtype=np.float64), np.asarray(inputs["x_rows"], dtype=np.float64)
        p, K = float(inputs["p_keep"]), rows.shape[0]
        why = check_array(test_label, test, np.asarray(expected[1]), False, self.rtol, 0.0)
        why = why or check_array(train_label, train, np.asarray(expected[0]), False, values=False)
        if why:
            return Outcome(False, why)
        spread = np.sqrt((1 - p) / (p * K)) if self.inverted else np.sqrt(p * (1 - p) / K)
        bound = self.sigmas * np.abs(x) * spread
        mean = np.mean(train, axis=0)
        bad = ~agree(mean, test, bound)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            return Outcome(
                False,
                f"over K = {K} training calls unit {', '.join(map(str, i))} averages {mean[i]:.6g}, the test-time "
                f"output is {test[i]:.6g}: they must agree within {bound[i]:.3g} ({self.sigmas:g} standard "
                "deviations of the mean), since the test-time output is the expected training output",
            )
        why = _dropout_form(train_label, train, rows, p, self.inverted)
        return Outcome(False, why) if why else Outcome(True)


@kind
@dataclass(frozen=True)
class Moments(_Program, _Data):
    """An initialization's draws have the right mean and second moment (n entries, float64, finite).

    ``dist`` "normal": W = σ·N(0, 1) with σ the input ``scale``; \\|mean\\| ≤ 5 σ/sqrt(n) and \\|mean(W²) − σ²\\| ≤
    5 σ² sqrt(2/n). "uniform": W uniform on [−r, r), every entry in [−r, r) exactly; \\|mean\\| ≤ 5 r/sqrt(3n) and
    \\|mean(W²) − r²/3\\| ≤ 5 r² sqrt(4/(45 n)) (Var(u²) = r⁴/5 − r⁴/9). The shape and dtype are the
    reference's."""

    program_: Program
    dist: str = "normal"
    scale: str = "sigma"
    sigmas: float = 5.0

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure, values = self._values(reply)
        if failure:
            return Outcome(False, failure)
        label = self.program_.returns[0][0]
        got, s = values[0], float(inputs[self.scale])
        why = check_array(label, got, np.asarray(expected[0]), False, values=False)
        if why:
            return Outcome(False, why)
        n = got.size
        if self.dist == "uniform":
            outside = ~((got >= -s) & (got < s))
            if outside.any():
                idx = tuple(int(i) for i in np.argwhere(outside)[0])
                return Outcome(
                    False, f"{label}[{', '.join(map(str, idx))}] is {got[idx]:.8g}, outside [−r, r) = [{-s:g}, {s:g})"
                )
            mean_sd, m2, m2_sd = s / np.sqrt(3 * n), s * s / 3, s * s * np.sqrt(4 / (45 * n))
        else:
            mean_sd, m2, m2_sd = s / np.sqrt(n), s * s, s * s * np.sqrt(2 / n)
        mean, second = float(np.mean(got)), float(np.mean(got * got))
        if not agree(mean, 0.0, self.sigmas * mean_sd):
            return Outcome(
                False, f"the mean of the {n} entries is {mean:.4g}, expected 0 ± {self.sigmas * mean_sd:.3g}"
            )
        if not agree(second, m2, self.sigmas * m2_sd):
            return Outcome(
                False,
                f"the mean square of the {n} entries is {second:.6g}, expected {m2:.6g} ± {self.sigmas * m2_sd:.3g} "
                f"({'σ²' if self.dist == 'normal' else 'r²/3'})",
            )
        return Outcome(True)


def _weight_decay_is_sgd_on_l2(inputs: Inputs, values: list, rtol: float) -> str | None:
    """weight_decay_step(w, g, lr, lam) = w − lr·l2_grad({"W": w}, {"W": g}, lam)["W"] (003: weight decay is one
    gradient-descent step on the L2-penalized loss), both sides the student's."""
    step, grad = (np.asarray(v, dtype=np.float64) for v in values)
    w, lr = np.asarray(inputs["w"], dtype=np.float64), float(inputs["lr"])
    sgd = w - lr * grad
    bad = ~agree(step, sgd, rtol * np.maximum(np.abs(sgd), np.max(np.abs(sgd), initial=1.0)))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return (
            f"weight_decay_step gives {step[idx]:.12g} at {idx}, w − lr·l2_grad(...)['W'] gives {sgd[idx]:.12g}: "
            "weight decay must be one SGD step on the L2-penalized loss"
        )
    return None


#: The claims :class:`IdentityClaim` judges, by name: (inputs, the returned values, rtol) -> why not, or None.
CLAIMS: dict[str, Callable[[Inputs, list, float], str | None]] = {
    "weight_decay_is_sgd_on_l2": _weight_decay_is_sgd_on_l2,
}


@kind
@dataclass(frozen=True)
class IdentityClaim(_Program, _Data):
    """A claim of the text on the student's own functions: their values must be the reference's
    (:class:`~autograder.judges.Compare` with ``rtol``/``atol``), and then satisfy the identity ``claim``
    (:data:`CLAIMS`) within ``rtol``."""

    program_: Program
    claim: str = ""
    rtol: float = 1e-12
    atol: float = 1e-12

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        values = Compare(self.program_, rtol=self.rtol, atol=self.atol).judge(inputs, reply, expected)
        if not values.passed:
            return Outcome(False, f"{values.message} (the claim is checked where the values are right)")
        why = CLAIMS[self.claim](inputs, list(reply["returns"]), self.rtol)
        return Outcome(False, why) if why else Outcome(True)


def _flat_arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value.ravel()]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _flat_arrays(v)]
    return []


@kind
@dataclass(frozen=True)
class CompareHistogram(Compare):
    """:class:`~autograder.judges.Compare`; a failed case also carries the histograms of the student's and
    the reference's values of the returns named in ``shown`` (labels; each a series "yours: label" and
    "reference: label"), e.g. batch norm's outputs in training and at test time."""

    shown: tuple[str, ...] = ()
    plot_title: str = ""

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        outcome = super().judge(inputs, reply, expected)
        if outcome.passed or "returns" not in reply:
            return outcome
        series = {}
        for (label, _), got, want in zip(self.program_.returns, reply["returns"], expected, strict=False):
            if label not in self.shown:
                continue
            mine, theirs = _flat_arrays(got), _flat_arrays(want)
            if mine and all(np.all(np.isfinite(a)) for a in mine):
                series[f"yours: {label}"] = np.concatenate(mine).astype(np.float64)
            if theirs:
                series[f"reference: {label}"] = np.concatenate(theirs).astype(np.float64)
        if series:
            outcome.plot = {"kind": "histogram", "series": series, "title": self.plot_title}
        return outcome
