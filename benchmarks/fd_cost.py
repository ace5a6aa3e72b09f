"""The cost of the finite-difference gradient checks as the parameter count grows.

    python benchmarks/fd_cost.py [--quick] [--out benchmarks/results/fd_cost.txt]

The grader's GradCheck (autograder/judges.py) compares a backward pass with central differences of the
student's own forward along ``directions`` random unit directions plus ``coords`` sampled coordinates of
every array: 1 + 2 * (directions + coords * arrays) forward evaluations, whatever the number P of parameters.
Checking every coordinate instead costs 2 * P forward evaluations.

For hw1's convolution (gradients for x, w, b) and MLP (gradients for every W^l, b^l) at growing sizes, this
prints, measured in this run on the reference solutions:
- P, and the forward evaluations of the directional check (counted in the check's program) against 2 * P;
- baseline: one forward + backward of the reference (the work any check has to do once);
- the directional check: building its inputs, running its program, judging the values (run in-process, no
  sandbox), in seconds and as a multiple of the baseline; flat in P means the ratio stays put;
- checking every coordinate: measured while it takes under a few seconds, then estimated as 2 * P times one
  forward evaluation (marked "est").
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# one BLAS thread, as in the sandboxed child that runs a student's forward passes (set before NumPy loads)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from _machine import header, ms, run_teed, timeit  # noqa: E402

from autograder.judges import GradCheck, schema_of  # noqa: E402
from autograder.reference import reference_module  # noqa: E402  (the checkout's solutions/, never installed)
from autograder.sandbox import wire  # noqa: E402
from autograder.sandbox.child import conform  # noqa: E402
from autograder.sandbox.executor import lookup, run_steps  # noqa: E402

p1 = reference_module("solutions.hw1", "p1_bp_relu")
p4 = reference_module("solutions.hw1", "p4_conv_backprop")

CONV_GRAD = GradCheck("conv2d_forward", "conv2d_backward", ("x", "w", "b"), ("x", "w", "b"), ("stride", "pad"))
MLP_GRAD = GradCheck("forward", "backward", ("params", "x"), ("params",), dout="dyhat")
FULL_LIMIT_SECONDS = 3.0


def conv_case(rng, C, S, F):
    """(inputs, P, forward(), forward_backward()) for a conv layer: x (2, C, S, S), w (F, C, 3, 3), pad 1."""
    x, w, b = rng.standard_normal((2, C, S, S)), rng.standard_normal((F, C, 3, 3)), rng.standard_normal(F)
    dout = rng.standard_normal((2, F, S, S))
    inputs = {"x": x, "w": w, "b": b, "stride": 1, "pad": 1, "dout": dout}

    def forward():
        return p4.conv2d_forward(x, w, b, 1, 1)[0]

    def forward_backward():
        return p4.conv2d_backward(dout, p4.conv2d_forward(x, w, b, 1, 1)[1])

    def full_fd():
        """Every coordinate of x, w, b: 2 P forward evaluations."""
        grads = []
        for arr in (x, w, b):
            g = np.empty_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + 1e-6
                plus = float(np.sum(dout * forward()))
                arr[idx] = old - 1e-6
                minus = float(np.sum(dout * forward()))
                arr[idx] = old
                g[idx] = (plus - minus) / 2e-6
            grads.append(g)
        return grads

    return CONV_GRAD, p4, inputs, x.size + w.size + b.size, forward, forward_backward, full_fd


def mlp_case(rng, n, L=3, N=4):
    """An MLP with L layers of width n on a batch of N (inputs kept away from ReLU kinks is not needed here)."""
    params = {}
    for l in range(1, L + 1):
        params[f"W{l}"] = rng.standard_normal((n, n)) / np.sqrt(n)
        params[f"b{l}"] = rng.standard_normal(n)
    x, dyhat = rng.standard_normal((N, n)), rng.standard_normal((N, n))
    inputs = {"params": params, "x": x, "dyhat": dyhat}

    def forward():
        return p1.forward(params, x)[0]

    def forward_backward():
        return p1.backward(dyhat, p1.forward(params, x)[1])

    def full_fd():
        grads = {}
        for key, arr in params.items():
            g = np.empty_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + 1e-6
                plus = float(np.sum(dyhat * forward()))
                arr[idx] = old - 1e-6
                minus = float(np.sum(dyhat * forward()))
                arr[idx] = old
                g[idx] = (plus - minus) / 2e-6
            grads[key] = g
        return grads

    return MLP_GRAD, p1, inputs, sum(v.size for v in params.values()), forward, forward_backward, full_fd


def directional_check(judge: GradCheck, module, inputs: dict, seed: int = 0):
    """Expand, run the program on the reference (as the sandbox would run a student's), judge. Returns
    (outcome, forward evaluations, backward evaluations)."""
    rng = np.random.default_rng(seed)
    expanded = judge.expand(inputs, rng)
    steps, returns = judge.program(expanded)
    env, reports = run_steps({"inputs": expanded, "steps": steps}, lambda name: getattr(module, name), watch=False)
    values = [lookup(env, path) for _, path in returns]
    decoded = [wire.decode(conform(v, schema_of(v))) for v in values]
    outcome = judge.judge(expanded, {"steps": reports, "returns": decoded}, decoded)
    n_forward = sum(s["fn"] == judge.forward for s in steps)
    n_backward = sum(s["fn"] == judge.backward for s in steps)
    return outcome, n_forward, n_backward


def run(quick: bool) -> None:
    print(header("finite-difference checking cost vs parameter count", ("numpy", "sympy")))
    print(
        f"GradCheck: {CONV_GRAD.directions} random directions + {CONV_GRAD.coords} sampled coordinates per array, "
        f"h = {CONV_GRAD.h:g}, tol = {CONV_GRAD.tol:g}"
    )
    print(
        "times: best of 5 interleaved rounds; '/fwd' = the time over one forward evaluation of the same size (the"
        " baseline);\nthe directional check's time includes building its perturbed inputs, encoding and judging\n"
    )
    rng = np.random.default_rng(0)
    conv_sizes = [(1, 4, 2), (2, 8, 4), (4, 16, 8), (8, 16, 16), (16, 32, 32), (32, 32, 64)]
    mlp_sizes = [4, 16, 64, 256, 512]
    if quick:
        conv_sizes, mlp_sizes = conv_sizes[:4], mlp_sizes[:3]
    conv = "conv2d x(2, C, S, S) w(F, C, 3, 3)"
    cases = [(conv, f"C={C} S={S} F={F}", conv_case(rng, C, S, F)) for C, S, F in conv_sizes]
    cases += [("MLP 3 layers of width n, batch 4", f"n={n}", mlp_case(rng, n)) for n in mlp_sizes]
    title = None
    rows = []
    for group, label, (judge, module, inputs, P, forward, fb, full_fd) in cases:
        if group != title:
            title = group
            print(f"{group}")
            print(
                f"  {'size':14s}{'P':>8s} {'fwd evals':>10s} {'2P':>8s}  {'forward':>12s} {'fwd+bwd':>12s}"
                f" {'directional':>12s} {'/fwd':>6s}  {'every coordinate':>16s}     {'/fwd':>7s}"
            )
        outcome, n_fwd, n_bwd = directional_check(judge, module, inputs)
        assert outcome.passed, f"{label}: the reference failed its own gradient check: {outcome.message}"
        # interleaved rounds, so that a change of load on the machine hits all three alike
        best = {"fwd": float("inf"), "fb": float("inf"), "dir": float("inf")}
        for _ in range(5):
            for key, fn in (
                ("fwd", forward),
                ("fb", fb),
                ("dir", lambda c=(judge, module, inputs): directional_check(*c)),
            ):
                best[key] = min(best[key], timeit(fn, repeat=1, min_seconds=0.05)[0])
        t_fwd, t_fb, t_dir = best["fwd"], best["fb"], best["dir"]
        estimate = 2 * P * t_fwd
        if estimate < FULL_LIMIT_SECONDS and not quick:
            start = time.perf_counter()
            full_fd()
            t_full, mark = time.perf_counter() - start, "   "
        else:
            t_full, mark = estimate, "est"
        rows.append((group, P, n_fwd, t_dir, t_fwd, t_full))
        print(
            f"  {label:14s}{P:8d} {n_fwd:10d} {2 * P:8d}  {ms(t_fwd)} {ms(t_fb)} {ms(t_dir)} {t_dir / t_fwd:6.0f}"
            f"  {ms(t_full)} {mark} {t_full / t_fwd:7.0f}"
        )
    print()
    for group in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == group]
        evals = sorted({r[2] for r in mine})
        first, last = mine[0], mine[-1]
        print(
            f"{group.split(' ')[0]}: P grows {last[1] / first[1]:.0f}x ({first[1]} -> {last[1]}); forward evaluations"
            f" of the directional check: {evals} ({'flat' if len(evals) == 1 else 'NOT flat'}); its time grows"
            f" {last[3] / first[3]:.1f}x while one forward grows {last[4] / first[4]:.1f}x; checking every"
            f" coordinate grows {last[5] / first[5]:.0f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, no exhaustive checks (a smoke test)")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args(argv)
    return run_teed(lambda: run(args.quick), args.out)


if __name__ == "__main__":
    sys.exit(main())
