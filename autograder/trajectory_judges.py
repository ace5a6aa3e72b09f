"""Judges of optimizer steps run over many updates (hw2): trajectories compared with the reference's under a
tolerance that grows with the step count, the texts' qualitative claims on an error surface judged on the
student's own trajectory, and the state contract of a pure ``step(theta, g, state, **hyper)``.

- :class:`StepChain`: the grader's own loop (issue #11 item 4, COURSE.md hw2 item 14) unrolled into calls of the
  student's step, ``s{t+1} = fn(θ_t, g_t, s_t[1], **hyper)`` from ``state = {}``, the student's own state passed
  back at every update (opaque, never compared). g_t is row t of a list input (fixed gradients) or a trusted
  callable evaluated in the child at the student's own θ_t (the gradient of a surface). Every θ_t is compared
  with the reference's within ``rtol_t·|θ_t^ref| + atol·max_s |θ_s^ref|``, with ``rtol_t = rtol0·(1 + t/τ)``:
  rounding differences between correct forms of an update compound along a trajectory (measured on hw2's
  surface: up to 2e-12 relative at t ≈ 100–200 for RMSProp, 0 to 1e-13 elsewhere), so a tolerance fixed at
  the first step's would fail correct code late, and one fixed at the last step's would be loose early. With
  ``claim``, the trajectory (θ_0 and the student's θ_1 … θ_T) must also satisfy one of the text's claims, judged
  here by the parent's own predicates (:data:`CLAIMS`, mirroring the given ones of the reference's
  ``p3_training.py``); a claim counts only where the trajectory also matches the reference's.
- :class:`StepContract`: the values are right, no call modifies its arguments (θ, g, the state and every array
  in it, checked by the child's mutation detector), and the flags the assignment's trusted callables compute in
  the child hold (a new dict is returned; the ``{}`` passed in is left empty). A property counts only where the
  values are right.

Every comparison fails closed through :func:`autograder.judges.agree` and :func:`autograder.judges.check_array`.
The assignment modules that use these kinds import this module; public data names them, and
:func:`autograder.judge.from_data` finds them by their module (``*_judges``) in a student bundle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .judge import Outcome, kind
from .judge import to_data as judge_to_data
from .judges import _returned_error, agree, check_array, step_failure
from .programs import CALLABLE, Call, Inputs, Program, ref

__all__ = ["CLAIMS", "StepChain", "StepContract", "unroll"]


def unroll(
    fn: str,
    times: int,
    theta: str = "theta",
    state: str = "state",
    gradients: str = "",
    grad: str = "",
    hyper: tuple[str, ...] = (),
    per_step: tuple[str, ...] = (),
) -> list[Call]:
    """``times`` chained calls ``s{t+1} = fn(θ_t, g_t, state_t, **hyper, **{h: h[t] for h in per_step})``.

    θ_0 and state_0 are the inputs ``theta`` and ``state``, then ``s{t}[0]`` and ``s{t}[1]``. g_t is row t of the
    list input ``gradients``, or ``g{t} = $grad(θ_t)`` (a trusted callable run in the child at the student's own
    θ_t). ``per_step`` names list inputs whose row t is passed as that keyword at update t (a learning rate that
    changes between calls, a schedule's η_t)."""
    if bool(gradients) == bool(grad):
        raise ValueError("unroll needs exactly one of gradients (an input) and grad (a trusted callable)")
    calls: list[Call] = []
    for t in range(times):
        theta_t = theta if t == 0 else f"s{t}[0]"
        if grad:
            calls.append(Call(f"g{t}", f"{CALLABLE}{grad}", (theta_t,)))
            g = f"g{t}"
        else:
            g = f"{gradients}[{t}]"
        literals = {h: {"$ref": [h, t]} for h in per_step}
        calls.append(Call(f"s{t + 1}", fn, (theta_t, g, state if t == 0 else f"s{t}[1]"), hyper, literals))
    return calls


# -- the text's claims on the error surface, the parent's own predicates --------------------------------------


def _distance(trajectory: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(trajectory * trajectory, axis=-1))  # the minimum θ* is the origin


def _loss(theta: np.ndarray, args: Mapping[str, float]) -> float:
    return float(0.5 * (args["a"] * theta[..., 0] ** 2 + args["b"] * theta[..., 1] ** 2))


def _max_rise(trajectory: np.ndarray) -> float:
    """max_t d_t / min_{s ≤ t} d_s (1.0 when the distance never grows), as the reference's ``max_rise``."""
    d = _distance(trajectory)
    best = np.minimum.accumulate(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(best > 0, d / np.where(best > 0, best, 1.0), np.where(d > 0, np.inf, 1.0))
    return float(max(1.0, np.max(rise)))


def oscillates(trajectory: np.ndarray, args: Mapping[str, float]) -> str | None:
    """Plain GD at η = 1e-2 (fig. 3.22(a)): θ₂ changes sign at every step, its size at the end is at least half
    its size at the start, and the loss at the end is at least half the loss at the start; why not, or None."""
    dev = trajectory[:, 1]
    flips = dev[:-1] * dev[1:] < 0
    if not np.all(flips):
        t = int(np.argmin(flips))
        return f"θ₂ does not change sign between θ_{t} and θ_{t + 1} ({dev[t]:.6g}, {dev[t + 1]:.6g})"
    if abs(dev[-1]) < 0.5 * abs(dev[0]):
        return f"|θ₂| shrinks from {abs(dev[0]):.6g} to {abs(dev[-1]):.6g}: it does not keep bouncing between the walls"
    start, end = _loss(trajectory[0], args), _loss(trajectory[-1], args)
    if end < 0.5 * start:
        return f"the loss falls from {start:.6g} to {end:.6g} (below half): it does not stay high"
    return None


def gets_near(trajectory: np.ndarray, args: Mapping[str, float]) -> str | None:
    """AdaGrad (fig. 3.27): some θ_t is within ``near`` of θ*; why not, or None."""
    d = _distance(trajectory)
    if float(np.min(d)) <= args["near"]:
        return None
    closest, t = float(np.min(d)), int(np.argmin(d))
    return f"it never gets within {args['near']:g} of the minimum (closest {closest:.3g}, at t = {t})"


def blows_up(trajectory: np.ndarray, args: Mapping[str, float]) -> str | None:
    """AdaGrad at a constant rate (fig. 3.27): the distance to θ* climbs to at least ``ratio`` times the best
    distance reached before; why not, or None."""
    rise = _max_rise(trajectory)
    if rise >= args["ratio"]:
        return None
    return f"the distance to the minimum never climbs back to {args['ratio']:g}× its best so far (at most {rise:.3g}×)"


def decay_fixes(trajectory: np.ndarray, args: Mapping[str, float]) -> str | None:
    """AdaGrad with the 1/t decay (fig. 3.29): no blow-up (the rise stays below ``ratio``) and the last θ is within
    ``near`` of θ*; why not, or None."""
    rise = _max_rise(trajectory)
    if rise >= args["ratio"]:
        return f"the distance to the minimum still climbs to {rise:.3g}× its best so far (the decay should prevent it)"
    end = float(_distance(trajectory[-1]))
    if end > args["near"]:
        return f"it ends {end:.3g} from the minimum, not within {args['near']:g}"
    return None


#: The claims a :class:`StepChain` can judge, by name: trajectory (T + 1, 2), the claim's numbers -> why not, or None.
CLAIMS: dict[str, Callable[[np.ndarray, Mapping[str, float]], str | None]] = {
    "oscillates": oscillates,
    "gets_near": gets_near,
    "blows_up": blows_up,
    "decay_fixes": decay_fixes,
}


class _Data:
    def to_data(self) -> dict:
        return judge_to_data(self)


def _form(label: str, got: Any, want: Any) -> str | None:
    """Why a returned θ_t cannot be compared (an error, not a float64 array of the reference's shape, not finite)."""
    err = _returned_error(got)
    if err:
        return f"{label}: {err}"
    return check_array(label, got, np.asarray(want), False, values=False)


@kind
@dataclass(frozen=True)
class StepChain(_Data):
    """T updates of the student's step ``fn`` in the grader's loop, every θ_t compared with the reference's.

    fn         the step, ``fn(theta, g, state, **hyper) -> (new_theta, new_state)``
    gradients  the list input holding g_0 … g_{T−1} (T is its length), or "" with ``grad``
    grad       a trusted callable ``grad(θ) -> ∇L(θ)`` evaluated at the student's θ_t; T is the input ``steps``
    hyper      keyword inputs passed to every update; ``per_step``: list inputs whose row t is passed at update t
    rtol0, tau, atol   θ_t must be within rtol0·(1 + t/τ)·|θ_t^ref| + atol·max_s |θ_s^ref| (max over the
               reference's whole trajectory, θ_0 included) of the reference's θ_t
    claim      "" or one of :data:`CLAIMS`, judged on θ_0 (the input ``theta``) and the student's θ_1 … θ_T, with the
               numbers ``claim_args``
    surface    the error surface of the paths (``{"kind": "quadratic", "a": ..., "b": ..., "center": [...]}``,
               :class:`~autograder.judge.Outcome`): a failed case of a 2-D θ carries both paths on its contours
    """

    fn: str
    gradients: str = ""
    grad: str = ""
    hyper: tuple[str, ...] = ()
    per_step: tuple[str, ...] = ()
    rtol0: float = 1e-10
    tau: float = 3.0
    atol: float = 1e-12
    claim: str = ""
    claim_args: dict = field(default_factory=dict)
    surface: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.claim and self.claim not in CLAIMS:
            raise ValueError(f"unknown claim {self.claim!r}; known: {', '.join(CLAIMS)}")

    def tolerance(self) -> str:
        """The rule, as the feedback states it."""
        return f"rtol_t = {self.rtol0:g}·(1 + t/{self.tau:g}), atol = {self.atol:g}·max|θ_ref|"

    def _times(self, inputs: Inputs) -> int:
        return len(inputs[self.gradients]) if self.gradients else int(inputs["steps"])

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        times = self._times(inputs)
        calls = unroll(
            self.fn,
            times,
            gradients=self.gradients,
            grad=self.grad,
            hyper=self.hyper,
            per_step=self.per_step,
        )
        steps = Program(tuple(calls), ()).steps(inputs)
        return steps, [(f"θ_{t}", ref(f"s{t}[0]")) for t in range(1, times + 1)]

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        labels = [label for label, _ in self.program(inputs)[1]]
        for label, got, want in zip(labels, reply["returns"], expected, strict=True):
            why = _form(f"{self.fn}'s {label}", got, want)
            if why:
                return Outcome(False, why)
        theta0 = np.asarray(inputs["theta"], dtype=np.float64)
        mine = np.stack([theta0] + [np.asarray(g, dtype=np.float64) for g in reply["returns"]])
        theirs = np.stack([theta0] + [np.asarray(w, dtype=np.float64) for w in expected])
        plot = self._plot(mine, theirs)
        if self.claim:
            why = CLAIMS[self.claim](mine, self.claim_args)
            if why:
                return Outcome(False, f"the text's claim fails on your {self.fn}'s trajectory: {why}", plot)
        flat = np.abs(theirs).reshape(len(theirs), -1)
        scale = float(np.max(flat[np.isfinite(flat)], initial=0.0))
        steps = np.arange(len(theirs), dtype=np.float64).reshape((-1,) + (1,) * theta0.ndim)
        bound = self.rtol0 * (1.0 + steps / self.tau) * np.abs(theirs) + self.atol * scale
        ok = agree(mine, theirs, bound)
        if bool(np.all(ok)):
            return Outcome(True)
        t = int(np.argmin(ok.reshape(len(ok), -1).all(axis=1)))
        bad = ~ok[t]
        with np.errstate(invalid="ignore"):
            err = np.where(bad, np.nan_to_num(np.abs(mine[t] - theirs[t]), nan=np.inf), -1.0)
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), theirs[t].shape)) if theta0.ndim else ()
        where = f"θ_{t}[{', '.join(map(str, idx))}]" if idx else f"θ_{t}"
        rel = abs(mine[t][idx] - theirs[t][idx]) / max(abs(theirs[t][idx]), 1e-300)
        message = (
            f"{self.fn}'s trajectory first differs from the reference's at update t = {t} of {len(theirs) - 1}: "
            f"{where} expected {theirs[t][idx]:.12g}, got {mine[t][idx]:.12g} (relative error {rel:.1e}; "
            f"tolerance {self.tolerance()}, {self.rtol0 * (1 + t / self.tau):.2g} at t = {t})"
        )
        if self.claim:
            message += "; the claim counts only where the trajectory also matches the reference's"
        return Outcome(False, message, plot)

    def _plot(self, mine: np.ndarray, theirs: np.ndarray) -> dict | None:
        """Both paths on the surface's contours (for a failed case of a 2-D θ), else None."""
        if mine.ndim != 2 or mine.shape[1] != 2:
            return None
        title = f"{self.fn}: your trajectory and the reference's ({len(mine) - 1} updates)"
        surface = dict(self.surface) if self.surface else None
        return {"kind": "trajectory", "title": title, "paths": {"yours": mine, "reference": theirs}, "surface": surface}


#: Labels of a :class:`StepContract` program's returns that are flags (bools a trusted callable computed).
FLAG = "flag:"


@kind
@dataclass(frozen=True)
class StepContract(_Data):
    """A pure step's contract: its values are right (θ returns within ``rtol``·|θ_ref| + ``atol``·max(1, max|θ_ref|),
    :func:`check_array`'s rule), none of the student's calls modifies an argument (θ, g, the state or any array in
    it), and every flag is True (returns labelled ``flag:what must hold``, computed in the child by trusted
    callables, e.g. that a new dict came back). A property counts only where the values are right."""

    program_: Program
    rtol: float = 1e-10
    atol: float = 1e-12

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self.program_.steps(inputs), [(label, ref(r)) for label, r in self.program_.returns]

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        returns = list(zip([label for label, _ in self.program_.returns], reply["returns"], expected, strict=True))
        for label, got, want in returns:
            if label.startswith(FLAG):
                continue
            why = _form(label, got, want) or check_array(label, got, np.asarray(want), False, self.rtol, self.atol)
            if why:
                return Outcome(False, f"{why} (the state contract counts only where the values are right)")
        for step in reply["steps"]:
            if step["mutated"] and not step["fn"].startswith(CALLABLE):
                return Outcome(
                    False,
                    f"{step['fn']} modified its argument {', '.join(step['mutated'])} in place; build new arrays "
                    "(m = beta * m + ..., not m *= beta) and return a new dict",
                )
        for label, got, want in returns:
            if label.startswith(FLAG) and not (got is True and want is True):
                return Outcome(False, f"{label[len(FLAG) :]} does not hold")
        return Outcome(True)
