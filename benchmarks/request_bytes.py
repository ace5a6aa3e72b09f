"""Request bytes and reference time of a gradient check as the conv size grows: probes sent as perturbed
copies (the baseline) against probes sent as specifications (the grader's GradCheck).

    python benchmarks/request_bytes.py [--quick] [--rounds N] [--out benchmarks/results/request_bytes.txt]

hw1's convolution gradient check (gradients for x, w, b; 3 random directions + 2 coordinates per array = 9
probes, 19 forward calls) on x (2, C, S, S), w (F, C, 3, 3), pad 1. Both ways are measured in this run, on
the same inputs, by the same code (:func:`autograder.grading.prepare` for the reference, the request as
:func:`autograder.grading.case_request` encodes it):

- ``copies`` (the baseline, :class:`PerturbedCopies`: GradCheck's expansion before issue #14): every probe
  adds two perturbed copies of every input it differentiates (``x@+003``, ``x@-003``, ...) to the inputs
  sent to the child, so a request grows with probes × size;
- ``spec`` (:class:`autograder.judges.GradCheck`): θ once, plus a direction seed or a coordinate per probe;
  the child expands θ ± h·v itself (:mod:`autograder.sandbox.probes`).

Printed per size: the bytes of θ alone (the inputs' frame), the encoded request's length both ways and their
ratio; the reference's time per case (drawing the probes, running the program on the reference solution,
encoding its values) both ways, median and spread (min–max) over ``--rounds`` interleaved rounds, and their
ratio. Both ways run the forward at every θ ± h·v on the reference: those values are judged.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from types import SimpleNamespace

# one BLAS thread, as in the sandboxed child that runs a student's forward passes (set before NumPy loads)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from _machine import header, run_teed  # noqa: E402

from autograder.grading import PreparedCase, case_request, prepare  # noqa: E402
from autograder.judges import GradCheck, _get, _variables  # noqa: E402
from autograder.programs import Call, Inputs, ref  # noqa: E402
from autograder.reference import reference_module  # noqa: E402  (the checkout's solutions/, never installed)
from autograder.sandbox import wire  # noqa: E402

p4 = reference_module("solutions.hw1", "p4_conv_backprop")
#: hw1's CONV_GRAD (autograder/assignments/hw1.py)
ARGS = ("conv2d_forward", "conv2d_backward", ("x", "w", "b"), ("x", "w", "b"), ("stride", "pad"))


class PerturbedCopies(GradCheck):
    """The baseline: GradCheck's expansion as it was before probes became specifications (perturbed copies of
    the inputs, ``name@±NNN``, sent to the child; the directions kept parent-only as ``probe:NNN``)."""

    def expand(self, inputs: Inputs, rng: np.random.Generator) -> Inputs:
        inputs = dict(inputs)
        paths = _variables(inputs, self.wrt)
        found: list[dict] = []
        for _ in range(self.directions):
            d = {p: rng.standard_normal(np.shape(_get(inputs, p))) for p in paths}
            norm = np.sqrt(sum(float(np.sum(v * v)) for v in d.values())) or 1.0
            found.append({p: v / norm for p, v in d.items()})
        for p in paths:
            shape = np.shape(_get(inputs, p))
            size = int(np.prod(shape))
            for flat in rng.choice(size, size=min(self.coords, size), replace=False):
                e = np.zeros(shape)
                e.flat[int(flat)] = 1.0
                found.append({p: e})
        for i, d in enumerate(found):
            inputs[f"probe:{i:03d}"] = {"paths": [list(p) for p in d], "vectors": [d[p] for p in d]}
            for sign, tag in ((1, "+"), (-1, "-")):
                for name, value in self._perturbed(inputs, d, sign * self.h).items():
                    inputs[f"{name}@{tag}{i:03d}"] = value
        return inputs

    def _perturbed(self, inputs: Inputs, direction: dict, h: float) -> dict:
        out = {name: copy.deepcopy(inputs[name]) for name in self.wrt}
        for path, v in direction.items():
            if len(path) == 1:
                out[path[0]] = out[path[0]] + h * v
            else:
                out[path[0]][path[1]] = out[path[0]][path[1]] + h * v
        return out

    def program(self, inputs: Inputs) -> tuple[list[dict], list[tuple[str, list]]]:
        def forward(name: str, suffix: str) -> Call:
            args = tuple(f"{a}{suffix}" if a in self.wrt else a for a in self.forward_args)
            return Call(name, self.forward, args, tuple(k for k in self.forward_kwargs if k in inputs))

        calls = [forward("fwd", "")]
        bargs = tuple({"$dout": self.dout, "$cache": f"fwd[{self.cache_index}]"}.get(a, a) for a in self.backward_args)
        calls.append(Call("grads", self.backward, bargs))
        returns = [("out", self._out_ref("fwd")), ("grads", "grads")]
        tags = sorted(k[len("probe:") :] for k in inputs if k.startswith("probe:"))
        for i in tags:
            for tag in "+-":
                calls.append(forward(f"f{tag}{i}", f"@{tag}{i}"))
                returns.append((f"out{tag}{i}", self._out_ref(f"f{tag}{i}")))
        return [c.step(inputs) for c in calls], [(label, ref(r)) for label, r in returns]


WAYS = {"copies": PerturbedCopies(*ARGS), "spec": GradCheck(*ARGS)}
CHECK = SimpleNamespace(id="p4.conv2d_backward.gradcheck", module="p4_conv_backprop")


def conv_inputs(seed: int, C: int, S: int, F: int) -> Inputs:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((2, C, S, S)),
        "w": rng.standard_normal((F, C, 3, 3)),
        "b": rng.standard_normal(F),
        "stride": 1,
        "pad": 1,
        "dout": rng.standard_normal((2, F, S, S)),
    }


def reference_case(judge: GradCheck, inputs: Inputs, seed: int) -> PreparedCase:
    """What grading does for one case before any student code runs: draw the probes from the case's stream,
    run the check's program on the reference, encode its values."""
    check = SimpleNamespace(id=CHECK.id, module=CHECK.module, judge=judge)
    return prepare(check, "bench", judge.expand(inputs, np.random.default_rng(seed)), p4)


def request_bytes(case: PreparedCase) -> int:
    """The length of the encoded request frame that sends ``case`` to the child (as grading encodes it)."""
    return sum(len(part) for part in case_request(CHECK, case).frame())


def size(n: int) -> str:
    return f"{n / 1e6:8.2f} MB" if n >= 1e5 else f"{n / 1e3:8.1f} kB"


def spread(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:8.2f} ms [{min(times) * 1e3:7.2f}–{max(times) * 1e3:7.2f}]"


def run(quick: bool, rounds: int) -> None:
    print(header("gradient check: request bytes and reference time, probes as copies vs as specifications", ("numpy",)))
    spec = WAYS["spec"]
    print(
        f"conv2d x(2, C, S, S) w(F, C, 3, 3) pad 1; {spec.directions} random directions + {spec.coords} coordinates "
        f"per array; reference time: median [min–max] over {rounds} interleaved rounds\n"
    )
    sizes = [(1, 4, 2), (2, 8, 4), (4, 16, 8), (8, 16, 16), (16, 32, 32), (32, 32, 64), (32, 64, 64)]
    if quick:
        sizes = sizes[:4]
    print(
        f"  {'size':16s}{'θ':>12s} {'copies':>11s} {'spec':>11s} {'ratio':>6s}"
        f"  {'reference, copies':>31s} {'reference, spec':>31s} {'ratio':>6s}"
    )
    rows = []
    for C, S, F in sizes:
        inputs = conv_inputs(0, C, S, F)
        theta = len(wire.frame_bytes({k: wire.encode(v) for k, v in inputs.items()}))
        cases = {way: reference_case(judge, inputs, 1) for way, judge in WAYS.items()}
        assert spec.judge(cases["spec"].inputs, _honest_reply(cases["spec"]), cases["spec"].expected).passed
        sent = {way: request_bytes(case) for way, case in cases.items()}
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        for r in range(rounds):  # interleaved, so that a change of load on the machine hits both alike
            for way, judge in WAYS.items():
                start = time.perf_counter()
                reference_case(judge, inputs, r)
                times[way].append(time.perf_counter() - start)
        med = {way: statistics.median(t) for way, t in times.items()}
        rows.append((C, S, F, theta, sent, med))
        print(
            f"  C={C:<2d} S={S:<2d} F={F:<3d}{size(theta)} {size(sent['copies'])} {size(sent['spec'])}"
            f" {sent['copies'] / sent['spec']:6.1f}  {spread(times['copies'])} {spread(times['spec'])}"
            f" {med['copies'] / med['spec']:6.2f}"
        )
    first, last = rows[0], rows[-1]
    print(
        f"\nθ grows {last[3] / first[3]:.0f}x; request bytes grow {last[4]['copies'] / first[4]['copies']:.0f}x as"
        f" copies, {last[4]['spec'] / first[4]['spec']:.0f}x as specifications; a request as specifications is"
        f" {min(r[4]['spec'] / r[3] for r in rows):.2f}–{max(r[4]['spec'] / r[3] for r in rows):.2f}x θ"
        f" (as copies {min(r[4]['copies'] / r[3] for r in rows):.1f}–{max(r[4]['copies'] / r[3] for r in rows):.1f}x)"
    )


def _honest_reply(case: PreparedCase) -> dict:
    """The reference's own values as a reply (a sanity check: the reference passes its own gradient check)."""
    steps = [{"name": s["name"], "fn": s["fn"], "status": "ok", "mutated": [], "warnings": []} for s in case.steps]
    return {"steps": steps, "returns": case.expected}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the four smallest sizes (a smoke test)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds per size (default 7)")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args(argv)
    return run_teed(lambda: run(args.quick, max(1, args.rounds)), args.out)


if __name__ == "__main__":
    sys.exit(main())
