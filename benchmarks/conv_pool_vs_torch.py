"""The reference conv2d and pooling (forward + backward) against torch.nn.functional on the CPU and a naive loop.

    python benchmarks/conv_pool_vs_torch.py [--quick] [--threads N] [--out benchmarks/results/conv_pool_vs_torch.txt]

Measured in this run, on this machine, for float64 and float32 at a small and a large shape:
- ref      the hw1 reference solutions (solutions/hw1/p4_conv_backprop.py, p5_pool_backprop.py) on NumPy
           arrays: forward, then backward (dx, dw, db for conv; dx for pooling);
- torch    torch.nn.functional.conv2d / max_pool2d / avg_pool2d on CPU tensors, forward then autograd's
           backward for the same gradients (the baseline the ratios are against; torch uses as many threads
           as NumPy's BLAS);
- naive    loops: ``loop/pos`` over output positions (i, j), vectorized over samples and channels, at both
           shapes; ``loop/scalar`` pure-Python loops over every scalar, at the small shape only.
Each value is checked against torch before it is timed. Times are the best of 7 rounds (medians in
brackets). The target of issue 5: ref conv forward + backward in float64 at the large shape within 1.5x of
torch.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time

import numpy as np
from _machine import header, ms, run_teed

from autograder.reference import reference_module  # the checkout's solutions/, never an installed package

p4 = reference_module("solutions.hw1", "p4_conv_backprop")
p5 = reference_module("solutions.hw1", "p5_pool_backprop")

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the comparison needs torch; the naive baselines do not
    torch = None

# (N, C, H, W, F, K, stride, pad)
CONV_SHAPES = {"small": (2, 3, 16, 16, 8, 3, 1, 1), "large": (16, 32, 32, 32, 64, 3, 1, 1)}
# (N, C, H, W, k, stride)
POOL_SHAPES = {"small": (2, 3, 16, 16, 2, 2), "large": (16, 64, 64, 64, 2, 2)}
TARGET = 1.5


# -- naive implementations -----------------------------------------------------------------------------------


def conv_loop_positions(x, w, b, dout, stride, pad):
    """Forward and backward by a loop over output positions (i, j); each step is vectorized over N, F, C."""
    N, C, H, W = x.shape
    Fn, _, K, _ = w.shape
    xpad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    xpad[:, :, pad : pad + H, pad : pad + W] = x
    Ho, Wo = dout.shape[2:]
    out = np.empty((N, Fn, Ho, Wo), dtype=x.dtype)
    w2 = w.reshape(Fn, -1)
    for i, j in itertools.product(range(Ho), range(Wo)):
        win = xpad[:, :, stride * i : stride * i + K, stride * j : stride * j + K].reshape(N, -1)
        out[:, :, i, j] = win @ w2.T + b
    dxpad, dw = np.zeros_like(xpad), np.zeros_like(w2)
    for i, j in itertools.product(range(Ho), range(Wo)):
        win = xpad[:, :, stride * i : stride * i + K, stride * j : stride * j + K].reshape(N, -1)
        g = dout[:, :, i, j]
        dw += g.T @ win
        dxpad[:, :, stride * i : stride * i + K, stride * j : stride * j + K] += (g @ w2).reshape(N, C, K, K)
    return out, dxpad[:, :, pad : pad + H, pad : pad + W], dw.reshape(w.shape), dout.sum(axis=(0, 2, 3))


def conv_loop_scalars(x, w, b, dout, stride, pad):
    """Forward and backward with a Python loop over every multiply-add (the small shape only)."""
    N, C, H, W = x.shape
    Fn, _, K, _ = w.shape
    xpad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    xpad[:, :, pad : pad + H, pad : pad + W] = x
    xl, wl, dl = xpad.tolist(), w.tolist(), dout.tolist()
    Ho, Wo = dout.shape[2:]
    out = [[[[0.0] * Wo for _ in range(Ho)] for _ in range(Fn)] for _ in range(N)]
    dx = np.zeros_like(xpad).tolist()
    dw = np.zeros_like(w).tolist()
    for n, f, i, j in itertools.product(range(N), range(Fn), range(Ho), range(Wo)):
        total, g = float(b[f]), dl[n][f][i][j]
        for c, u, v in itertools.product(range(C), range(K), range(K)):
            total += wl[f][c][u][v] * xl[n][c][stride * i + u][stride * j + v]
            dw[f][c][u][v] += g * xl[n][c][stride * i + u][stride * j + v]
            dx[n][c][stride * i + u][stride * j + v] += g * wl[f][c][u][v]
        out[n][f][i][j] = total
    dx = np.array(dx, dtype=x.dtype)[:, :, pad : pad + H, pad : pad + W]
    return np.array(out, dtype=x.dtype), dx, np.array(dw, dtype=x.dtype), dout.sum(axis=(0, 2, 3))


def pool_loop_positions(x, dout, k, stride, kind):
    """Max (first maximum wins ties) or average pooling, forward and backward, by a loop over windows."""
    N, C, H, W = x.shape
    Ho, Wo = dout.shape[2:]
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    dx = np.zeros_like(x)
    for i, j in itertools.product(range(Ho), range(Wo)):
        win = x[:, :, stride * i : stride * i + k, stride * j : stride * j + k].reshape(N, C, k * k)
        g = dout[:, :, i, j]
        if kind == "max":
            arg = np.argmax(win, axis=-1)
            out[:, :, i, j] = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
            contrib = np.zeros_like(win)
            np.put_along_axis(contrib, arg[..., None], g[..., None], axis=-1)
        else:
            out[:, :, i, j] = win.mean(axis=-1)
            contrib = np.repeat(g[..., None] / (k * k), k * k, axis=-1)
        dx[:, :, stride * i : stride * i + k, stride * j : stride * j + k] += contrib.reshape(N, C, k, k)
    return out, dx


# -- the contenders ------------------------------------------------------------------------------------------


def ref_conv(x, w, b, dout, stride, pad):
    out, cache = p4.conv2d_forward(x, w, b, stride=stride, pad=pad)
    return (out, *p4.conv2d_backward(dout, cache))


def torch_conv(x, w, b, dout, stride, pad):
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def ref_pool(x, dout, k, stride, kind):
    fwd, bwd = (p5.maxpool_forward, p5.maxpool_backward) if kind == "max" else (p5.avgpool_forward, p5.avgpool_backward)
    out, cache = fwd(x, k=k, stride=stride)
    return out, bwd(dout, cache)


def torch_pool(x, dout, k, stride, kind):
    xt = torch.from_numpy(x).requires_grad_()
    out = (F.max_pool2d if kind == "max" else F.avg_pool2d)(xt, k, stride)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy()


def _check(got, expected, dtype, what):
    tol = 1e-9 if dtype == np.float64 else 2e-3
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=tol, atol=tol * max(1.0, float(np.abs(e).max())), err_msg=what)


def run(quick: bool, threads: int | None) -> None:
    repeat = 3 if quick else 7
    if threads:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads)
        except ImportError:
            print(f"threadpoolctl is not installed: set OPENBLAS_NUM_THREADS={threads} yourself for --threads")
    if torch is not None:
        try:
            from threadpoolctl import threadpool_info

            blas = max((i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"), default=None)
        except ImportError:
            blas = threads
        if blas:
            torch.set_num_threads(blas)  # the same number of threads on both sides
    print(header("reference conv2d / pooling vs torch.nn.functional (CPU) and naive loops"))
    print(
        f"timing      best of {repeat} interleaved rounds [median] (the loops: 2 rounds at the large shape);"
        " forward + backward; ratio = time / torch's time\n"
    )
    if torch is None:
        print("torch is not installed: only the naive baselines are measured (pip install torch==2.13.0)\n")
    results = {}
    rng = np.random.default_rng(0)
    for dtype, size in itertools.product((np.float64, np.float32), ("small", "large")):
        N, C, H, W, Fn, K, stride, pad = CONV_SHAPES[size]
        x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((N, C, H, W), (Fn, C, K, K), (Fn,)))
        Ho, Wo = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K) // stride + 1
        dout = rng.standard_normal((N, Fn, Ho, Wo)).astype(dtype)
        label = f"conv {np.dtype(dtype).name} {size} x{(N, C, H, W)} w{(Fn, C, K, K)} s{stride} p{pad}"
        contenders = {"ref": ref_conv}
        if torch is not None:
            contenders["torch"] = torch_conv
        contenders["loop/pos"] = conv_loop_positions
        if size == "small":
            contenders["loop/scalar"] = conv_loop_scalars
        results[label] = _measure(contenders, (x, w, b, dout, stride, pad), dtype, repeat, label)
    for kind, dtype, size in itertools.product(("max", "avg"), (np.float64, np.float32), ("small", "large")):
        N, C, H, W, k, stride = POOL_SHAPES[size]
        x = rng.standard_normal((N, C, H, W)).astype(dtype)
        dout = rng.standard_normal((N, C, (H - k) // stride + 1, (W - k) // stride + 1)).astype(dtype)
        label = f"{kind}pool {np.dtype(dtype).name} {size} x{(N, C, H, W)} k{k} s{stride}"
        contenders = {"ref": ref_pool}
        if torch is not None:
            contenders["torch"] = torch_pool
        contenders["loop/pos"] = pool_loop_positions
        results[label] = _measure(contenders, (x, dout, k, stride, kind), dtype, repeat, label)
    key = f"conv float64 large x{CONV_SHAPES['large'][:4]}"
    big = next((v for k, v in results.items() if k.startswith(key)), None)
    if big and "torch" in big:
        ratio = big["ref"][0] / big["torch"][0]
        verdict = "MET" if ratio <= TARGET else "NOT MET"
        print(
            f"\ntarget: ref conv forward+backward, float64, large shape, within {TARGET}x of torch CPU: "
            f"{ratio:.2f}x -> {verdict}"
        )


def _measure(contenders, args, dtype, repeat, label):
    """Check every contender against the first, then time them in interleaved rounds (a change of load on the
    machine hits all alike): per contender, the best and the median round."""
    print(label)
    expected = contenders["ref"](*args)
    for name, fn in contenders.items():
        if name != "ref":
            _check(fn(*args), expected, dtype, f"{label}: {name}")
    rounds = {name: [] for name in contenders}
    numbers = {}
    for name, fn in contenders.items():
        start = time.perf_counter()
        fn(*args)
        numbers[name] = max(1, int(0.05 / max(time.perf_counter() - start, 1e-7)))
    for r in range(repeat):
        for name, fn in contenders.items():
            slow = name == "loop/scalar" or (name == "loop/pos" and "large" in label)
            if slow and r >= 2:
                continue
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn(*args)
            rounds[name].append((time.perf_counter() - start) / numbers[name])
    times = {name: (min(t), statistics.median(t)) for name, t in rounds.items()}
    base = times.get("torch")
    for name, (best, med) in times.items():
        ratio = f"{best / base[0]:8.2f}x torch" if base else ""
        vs_ref = f"{best / times['ref'][0]:8.1f}x ref" if name.startswith("loop") else ""
        print(f"  {name:12s}{ms(best)} [{ms(med).strip()}] {ratio}{vs_ref}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test)")
    parser.add_argument("--threads", type=int, help="limit NumPy's BLAS and torch to this many threads")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args(argv)
    return run_teed(lambda: run(args.quick, args.threads), args.out)


if __name__ == "__main__":
    sys.exit(main())
