"""Judge kinds of critical points and Hessians (hw3), beside :mod:`autograder.judges`:

- :class:`CriticalSet`: a critical set given as SymPy solution families, judged by meaning in the symbolic worker
  (every family zeroes the reference's gradient; together they hold the origin and the curve w1·w2 = 1);
- :class:`Label`: a function that answers with one of a few words, compared with the reference's word;
- :class:`EigenDirection`: an escape direction, None exactly where the reference gives None, else a unit
  eigenvector of the most negative eigenvalue (any sign, any vector of a repeated eigenvalue's eigenspace);
- :class:`AgainstAnalytic`: a numeric Hessian against the analytic one (a trusted callable gives it), and the
  properties that count only where its values are right (exact symmetry, float64 array, θ not modified).

Every verdict fails closed through :func:`autograder.judges.agree` / :func:`~autograder.judges.check_array`.
:func:`autograder.judge.from_data` finds these kinds by their module's name (``*_judges``) in a student bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from . import symbolic
from .judge import Outcome, kind
from .judge import to_data as judge_to_data
from .judges import _returned_error, _symbols, agree, check_array, step_failure
from .programs import Inputs, Program, ref

__all__ = ["AgainstAnalytic", "CriticalSet", "EigenDirection", "Label"]


class _Kind:
    """``to_data`` and ``program`` of a registered kind with a ``program_`` field."""

    program_: Program

    def to_data(self) -> dict:
        return judge_to_data(self)

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        return self.program_.steps(inputs), [(label, ref(r)) for label, r in self.program_.returns]


def _step_failure(reply: dict, names: tuple[str, ...]) -> str | None:
    """:func:`step_failure` over the steps named ``names`` only (other steps' results are not judged)."""
    return step_failure({**reply, "steps": [s for s in reply["steps"] if s["name"] in names]})


# -- the critical set ------------------------------------------------------------------------------------


@kind
@dataclass(frozen=True)
class CriticalSet(_Kind):
    """A critical set as SymPy solution families (``sp.solve(g, [w1, w2], dict=True)``'s form), by meaning.

    The program returns the student's answer put in a fixed form by a trusted callable (``(is a list of at
    most 8 dicts, rows)``, each row ``(present, w1 given, its value, w2 given, its value, other keys)``) and the
    reference's gradient (the student's own gradient is never used). In the symbolic worker, never here:
    every solution, substituted into the reference's gradient, must be 0 (equivalence to 0 at points drawn from
    the grading seed); with ``cover``, the solutions must also hold the origin and points (t, 1/t) for secret t.
    Keys are matched by name, so {w1: 1/w2} and {w2: 1/w1} both pass. In a public run the reference's gradient
    is there only as its values on a grid (``$at``, :func:`autograder.symbolic.grid_values`), which the worker
    interpolates back: the same judgement on the public seed's points.
    """

    #: How public data ships the reference's SymPy answers in each returned value: its own solutions never
    #: (the judge never reads them), its gradient on a grid that determines it.
    public_answers: ClassVar[tuple[str, ...]] = ("withheld", "grid")

    program_: Program
    cover: bool = True
    answer_step: str = "r"

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return symbolic.with_seed(inputs, rng)

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        from . import symbolic_worker

        failure = _step_failure(reply, tuple(c.name for c in self.program_.calls if c.name != "g"))
        if failure:
            return Outcome(False, failure)
        got, gradient = reply["returns"][0], expected[1]
        err = _returned_error(got)
        if err:
            return Outcome(False, f"critical_points: {err}")
        ok, rows = got
        if ok is not True:
            return Outcome(False, "critical_points() must return a list of at most 8 dicts {Symbol: expression}")
        solutions = []
        for i, (present, has1, v1, has2, v2, other) in enumerate(rows, 1):
            if present is not True:
                continue
            if other is True:
                return Outcome(False, f"solution {i} has a key that is not the Symbol w1 or w2")
            sol = {}
            for name, has, value in (("w1", has1, v1), ("w2", has2, v2)):
                if has is True:
                    err = _returned_error(value)
                    if err:
                        return Outcome(False, f"solution {i}, {name}: {err}")
                    sol[name] = value["$srepr"]
            solutions.append(sol)
        syms = [sp.srepr(s) for s in _symbols(inputs)]
        texts = [g.get(symbolic.PUBLIC_KEY) or g["$srepr"] for g in gradient]
        seed = int(inputs.get(symbolic.SEED_INPUT, 0))
        verdict = symbolic_worker.critical_set(solutions, texts, syms, seed, self.cover)
        if not verdict.ok:
            return Outcome(False, f"critical_points: {verdict.message}")
        return Outcome(True)


# -- a word from a few ---------------------------------------------------------------------------------------


@kind
@dataclass(frozen=True)
class Label(_Kind):
    """The student's word is the reference's (exact string equality). A trusted callable turns the returned
    value into its index in ``words`` (-1 for anything else: another string, another type), so the reply is a
    number; the verdict compares indices exactly (through :func:`agree` with bound 0)."""

    program_: Program
    words: tuple[str, ...] = ()

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def _word(self, code: Any) -> str:
        try:
            k = int(np.asarray(code, dtype=np.float64))
        except (TypeError, ValueError):
            return "something unreadable"
        return repr(self.words[k]) if 0 <= k < len(self.words) else "none of " + ", ".join(map(repr, self.words))

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        (label, _), got, want = self.program(inputs)[1][0], reply["returns"][0], expected[0]
        err = _returned_error(got)
        if err:
            return Outcome(False, f"{label}: {err}")
        why = check_array(label, got, np.asarray(want), False)
        if why or not bool(agree(got, want, 0.0)):
            return Outcome(False, f"{label} returned {self._word(got)}, expected {self._word(want)}")
        return Outcome(True)


# -- the escape direction ------------------------------------------------------------------------------------


def _eigen(H: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(H + Hᵀ)/2, its eigenvalues (ascending) and its norm max |λ|."""
    S = (H + H.T) / 2
    lam = np.linalg.eigvalsh(S)
    return S, lam, float(np.max(np.abs(lam), initial=0.0))


@kind
@dataclass(frozen=True)
class EigenDirection(_Kind):
    """An escape direction (`001` eq. 3.10–3.11): None exactly where the reference gives None; else a float64
    array u of shape (n,) with | ‖u‖ − 1 | ≤ ``norm_tol`` and ‖S u − λ_min u‖ ≤ ``residual_tol`` · max(1, ‖S‖),
    S = (H + Hᵀ)/2 and λ_min its smallest eigenvalue (both signs of u, and any unit vector of a repeated
    λ_min's eigenspace, pass). With ``claim`` (the text's vector), u must also be ±claim within ``claim_atol``.

    The program returns the student's u in a fixed form from a trusted callable, ``(u is None, u is an ndarray,
    u)``, and H as float64 (computed by the same callable from the case's input, in the grader for the expected
    values: the judge uses the grader's H). Tolerances: eigh's backward error is about n·ε·‖S‖ ≈ 1e-15·‖S‖ and
    a normalized vector's length is 1 within a few ε, so 1e-9 and 1e-10 accept every correct method (eigh,
    power iteration to convergence) while the eigenvector of another eigenvalue has residual |λ − λ_min|
    (≥ 3e-9 on every case, ≫ 1e-9·max(1, ‖S‖) where the cases keep ‖S‖ small).
    """

    program_: Program
    norm_tol: float = 1e-10
    residual_tol: float = 1e-9
    claim: tuple[float, ...] = ()
    claim_atol: float = 1e-12
    plot_surface: bool = False

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        got, want, H = reply["returns"][0], expected[0], np.asarray(expected[1], dtype=np.float64)
        err = _returned_error(got)
        if err:
            return Outcome(False, f"escape_direction: {err}")
        is_none, is_array, u = got
        S, lam, norm = _eigen(H)
        lam_min = float(lam[0])
        if want[0] is True:
            if is_none is True:
                return Outcome(True)
            return Outcome(
                False,
                f"escape_direction returned a vector, expected None: the smallest eigenvalue of (H + Hᵀ)/2 is "
                f"{lam_min:.4g} ≥ −1e-9, so no direction lowers the quadratic term",
            )
        if is_none is True:
            return Outcome(
                False, f"escape_direction returned None, expected a unit eigenvector of λ_min = {lam_min:.6g} < −1e-9"
            )
        if is_array is not True:
            return Outcome(False, "escape_direction returned something that is not a NumPy array (float64, (n,))")
        why = check_array("u", u, np.zeros(H.shape[0]), False, values=False)
        if why:
            return Outcome(False, f"escape_direction: {why}")
        length = float(np.linalg.norm(u))
        if not bool(agree(length, 1.0, self.norm_tol)):
            return Outcome(False, f"escape_direction: ‖u‖ = {length:.12g}, expected 1 (within {self.norm_tol:g})")
        residual = float(np.linalg.norm(S @ u - lam_min * u))
        bound = self.residual_tol * max(1.0, norm)
        if not bool(agree(residual, 0.0, bound)):
            return Outcome(
                False,
                f"escape_direction: u is not an eigenvector of the most negative eigenvalue λ_min = {lam_min:.6g} of "
                f"(H + Hᵀ)/2: ‖(H + Hᵀ)/2·u − λ_min·u‖ = {residual:.3g} > {bound:.3g} (uᵀHu = {float(u @ S @ u):.6g})",
            )
        if self.claim:
            c = np.asarray(self.claim, dtype=np.float64)
            off = min(float(np.max(np.abs(u - c))), float(np.max(np.abs(u + c))))
            plot = self._plot(u) if self.plot_surface else None
            if not bool(agree(off, 0.0, self.claim_atol)):
                return Outcome(
                    False,
                    f"escape_direction: u = {np.array2string(u, precision=12)}, expected ±{np.round(c, 12)} within "
                    f"{self.claim_atol:g} (the text's u = [1, 1]ᵀ made unit)",
                    plot,
                )
            return Outcome(True, "", plot)
        return Outcome(True)

    @staticmethod
    def _plot(u: np.ndarray) -> dict | None:
        """The text's loss surface L = (1 − w1 w2)² near the saddle, with the saddle, points of the critical
        curve w1·w2 = 1 and the tip of the student's escape direction (the saddle + u)."""
        if u.shape != (2,):
            return None
        x = np.linspace(-2.0, 2.0, 41)
        W1, W2 = np.meshgrid(x, x)
        points = {"saddle (0, 0)": [0.0, 0.0], "your (0, 0) + u": [float(u[0]), float(u[1])]}
        for t in (0.5, 1.0, 2.0, -0.5, -1.0, -2.0):
            points[f"w1·w2 = 1 at ({t:g}, {1 / t:g})"] = [t, 1 / t]
        return {
            "kind": "surface",
            "x": x,
            "y": x,
            "z": (1.0 - W1 * W2) ** 2,
            "points": points,
            "title": "L = (1 − w1·w2)²: the saddle, the critical curve w1·w2 = 1 and your escape direction",
        }


# -- a numeric Hessian ---------------------------------------------------------------------------------------


@kind
@dataclass(frozen=True)
class AgainstAnalytic(_Kind):
    """A numeric Hessian (the program's first value) against the analytic Hessian A (its second value, from a
    trusted callable; the grader's own value is used), entry by entry within ``atol`` · max(1, max |A|), rtol 0.

    Why this tolerance (COURSE.md item 22): central differences with step h have error h²/12·|f''''| plus
    rounding ≈ ε·|f|/h²; the cases keep |f| ≤ 100·max(1, max |A|) and |f''''| moderate, so at h = 1e-4 both
    are below 1e-6·max(1, max |A|). Other correct stencils (step 2h on the diagonal, central differences of
    central-difference gradients) are within that too, while a one-sided stencil's O(h) error (h·|f'''|) is
    above it wherever third derivatives are large. Not the reference at rtol 1e-7: a correct 2h stencil is
    ~1e-6 away from it.

    ``aspect``: "values" (any floating dtype, the shape (d, d)); the properties, which count only where the
    values are right: "symmetric" (H == Hᵀ exactly), "form" (a float64 ndarray: the program's third value,
    from a trusted callable, says whether it was an ndarray), "no_mutation" (θ unchanged by the call).
    """

    program_: Program
    atol: float = 1e-5
    aspect: str = "values"

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        return inputs

    def judge(self, inputs: Inputs, reply: dict, expected: list) -> Outcome:
        failure = step_failure(reply)
        if failure:
            return Outcome(False, failure)
        got, A = reply["returns"][0], np.asarray(expected[1], dtype=np.float64)
        err = _returned_error(got)
        if err:
            return Outcome(False, f"numeric_hessian: {err}")
        values = got.astype(np.float64) if isinstance(got, np.ndarray) and got.dtype.kind == "f" else got
        why = check_array("numeric_hessian", values, A, False, rtol=0.0, atol=self.atol)
        if why:
            note = "" if self.aspect == "values" else " (this property counts only where the values are right)"
            return Outcome(False, f"{why} (the analytic Hessian, tolerance {self.atol:g}·max(1, max|H|)){note}")
        if self.aspect == "symmetric" and not np.array_equal(got, got.T):
            i, j = np.unravel_index(int(np.argmax(np.abs(got - got.T))), got.shape)
            return Outcome(
                False,
                f"numeric_hessian is not exactly symmetric: H[{i}, {j}] − H[{j}, {i}] = {got[i, j] - got[j, i]:.3g}; "
                "compute each off-diagonal value once and write it to both entries",
            )
        if self.aspect == "form":
            is_array = reply["returns"][2] if len(reply["returns"]) > 2 else None
            if is_array is not True or got.dtype != np.float64:
                return Outcome(False, f"numeric_hessian must return a float64 NumPy array (got dtype {got.dtype})")
        if self.aspect == "no_mutation":
            for step in reply["steps"]:
                if step["mutated"]:
                    return Outcome(
                        False, f"{step['fn']} modified its input {', '.join(step['mutated'])} in place; work on a copy"
                    )
        return Outcome(True)
