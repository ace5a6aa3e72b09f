"""Backend selection (source_lib.backend), moving results to the host, and the grader's reference on a device.

No GPU is needed: CuPy's probe is exercised with stand-in modules (no driver, no device, NVRTC missing, a
working one), and a device other than the CPU is played by array_api_strict's second device, ``device1``,
on which arrays of two devices cannot be combined. The real CuPy path runs in test_reference_hw1.py when
CuPy is usable.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import array_api_strict as xps
import numpy as np
import pytest
import sympy as sp

from autograder.assignments import get
from autograder.batch import canary
from autograder.grading import ReferenceExpectations
from source_lib import backend as B

REPO = Path(__file__).resolve().parent.parent
DEVICE1 = xps.Device("device1")


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    """No CuPy probe result, warning or fork flag leaks between tests; no AUTOGRADER_DEVICE from outside."""
    monkeypatch.delenv(B.ENV_VAR, raising=False)
    monkeypatch.setattr(B, "_state", {"cuda_used": False, "forked": False, "warned": False})
    probe = B.cupy_status  # the cached probe (a test may replace B.cupy_status with a stand-in)
    probe.cache_clear()
    yield
    probe.cache_clear()


def strict_device1_backend() -> B.Backend:
    """A stand-in for a GPU backend: array_api_strict arrays on the fake device ``device1``."""
    return B.Backend("array_api_strict", xps, DEVICE1, lambda a: xps.asarray(np.array(a, copy=True), device=DEVICE1))


# -- choosing ------------------------------------------------------------------------------------------------


def test_numpy_is_the_default_and_cpu_its_alias(monkeypatch):
    assert B.select_backend().name == "numpy"
    for choice in ("numpy", "cpu", "CPU"):
        assert B.select_backend(choice).name == "numpy"
    monkeypatch.setenv(B.ENV_VAR, "cpu")
    assert B.select_backend().name == "numpy"
    b = B.select_backend()
    assert b.is_numpy and b.device == "cpu" and b.wrap_module(np) is np


def test_which_choices_may_use_a_gpu(monkeypatch):
    monkeypatch.delenv(B.ENV_VAR, raising=False)
    assert not B.may_use_gpu()
    assert [B.may_use_gpu(c) for c in ("cpu", "numpy", "cuda", "cupy", "gpu", "auto")] == [False] * 2 + [True] * 4
    monkeypatch.setenv(B.ENV_VAR, "GPU")
    assert B.may_use_gpu()


def test_unknown_choice_is_an_error(monkeypatch):
    with pytest.raises(ValueError, match="unknown device or backend 'tpu'"):
        B.select_backend("tpu")
    monkeypatch.setenv(B.ENV_VAR, "metal")
    with pytest.raises(ValueError, match="AUTOGRADER_DEVICE|metal"):
        B.select_backend()


def test_cuda_without_a_usable_cupy_says_why_in_one_line_then_uses_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr(B, "cupy_status", lambda: (False, "no CUDA device found"))
    monkeypatch.setenv(B.ENV_VAR, "cuda")
    b = B.select_backend()
    assert b.name == "numpy" and "no CUDA device found" in b.note
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("autograder: CUDA not used: no CUDA device found")
    assert "CPU" in err
    B.select_backend("cupy")  # said once per process
    assert capsys.readouterr().err == ""


def test_auto_falls_back_quietly(monkeypatch, capsys):
    monkeypatch.setattr(B, "cupy_status", lambda: (False, "CuPy is not installed"))
    assert B.select_backend("auto").name == "numpy"
    assert capsys.readouterr().err == ""


def test_a_child_forked_after_cuda_was_initialized_uses_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr(B, "cupy_status", lambda: (True, "CuPy on a GPU"))
    B._state["cuda_used"] = True
    B._after_fork_in_child()
    b = B.select_backend("cuda")
    assert b.name == "numpy" and "forked" in b.note
    assert "forked" in capsys.readouterr().err


def test_set_default_device_reaches_select_backend(monkeypatch):
    B.set_default_device("cpu")
    assert B.select_backend().name == "numpy"
    with pytest.raises(ValueError):
        B.set_default_device("quantum")
    B.set_default_device(None)  # no change


def test_a_backend_object_is_returned_as_it_is():
    b = strict_device1_backend()
    assert B.select_backend(b) is b


# -- is CuPy usable? (stand-in modules) ---------------------------------------------------------------------


def _fake_cupy(monkeypatch, *, count=1, count_error=None, kernel_error=None):
    cupy = types.ModuleType("cupy")
    cupy.__version__ = "0.0-fake"
    cupy.float64 = np.float64

    def get_device_count():
        if count_error:
            raise count_error
        return count

    runtime = types.SimpleNamespace(
        getDeviceCount=get_device_count, getDeviceProperties=lambda i: {"name": b"Fake GPU"}
    )
    cupy.cuda = types.SimpleNamespace(runtime=runtime, Device=lambda *a: types.SimpleNamespace(id=0))

    def elementwise_kernel(in_params, out_params, body, name):
        if kernel_error:
            raise kernel_error
        return lambda x: 2 * x + 1

    cupy.ElementwiseKernel = elementwise_kernel
    cupy.arange, cupy.ones, cupy.asnumpy = np.arange, np.ones, np.asarray
    monkeypatch.setitem(sys.modules, "cupy", cupy)


def test_cupy_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    usable, why = B.cupy_status()
    assert not usable and why.startswith("CuPy is not installed") and "[cuda]" in why


def test_cupy_without_a_driver(monkeypatch):
    _fake_cupy(monkeypatch, count_error=RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is too old"))
    usable, why = B.cupy_status()
    assert not usable and why == "no usable CUDA driver (RuntimeError: cudaErrorInsufficientDriver: CUDA driver " + (
        "version is too old)"
    )


def test_cupy_without_a_device(monkeypatch):
    _fake_cupy(monkeypatch, count=0)
    assert B.cupy_status() == (False, "no CUDA device found")


def test_cupy_without_nvrtc(monkeypatch):
    _fake_cupy(monkeypatch, kernel_error=OSError("libnvrtc.so.12: cannot open shared object file\nmore text"))
    usable, why = B.cupy_status()
    assert not usable and "NVRTC" in why and "libnvrtc.so.12" in why and "\n" not in why


def test_cupy_that_works(monkeypatch):
    _fake_cupy(monkeypatch)
    assert B.cupy_status() == (True, "CuPy 0.0-fake on Fake GPU")
    assert B._state["cuda_used"]


# -- back to the host ----------------------------------------------------------------------------------------


def test_to_host_converts_every_backend_inside_containers():
    a = np.arange(6.0).reshape(2, 3)
    value = {
        "np": a,
        "strict": xps.asarray(a),
        "device1": (xps.asarray(a, device=DEVICE1), [xps.asarray(a[0], device=DEVICE1)]),
        "zero_d": xps.sum(xps.asarray(a, device=DEVICE1)),
        "plain": (1, 2.5, True, None, "s"),
        "sympy": sp.Symbol("x") + 1,
    }
    host = B.to_host(value)
    assert host["np"] is a
    np.testing.assert_array_equal(host["strict"], a)
    assert type(host["device1"]) is tuple and type(host["device1"][1]) is list
    np.testing.assert_array_equal(host["device1"][0], a)
    np.testing.assert_array_equal(host["device1"][1][0], a[0])
    assert isinstance(host["zero_d"], np.ndarray) and host["zero_d"].shape == () and host["zero_d"] == 15.0
    assert host["plain"] == (1, 2.5, True, None, "s")
    assert host["sympy"] == sp.Symbol("x") + 1
    assert all(type(v) is np.ndarray for v in (host["strict"], host["device1"][0]))


def test_to_host_torch():
    torch = pytest.importorskip("torch")
    t = torch.arange(4.0, dtype=torch.float32, requires_grad=True) * 2
    host = B.to_host({"t": t, "size": torch.Size([2, 3])})
    assert host["t"].dtype == np.float32 and host["t"].tolist() == [0.0, 2.0, 4.0, 6.0]
    assert tuple(host["size"]) == (2, 3)


def test_wrap_moves_arguments_to_the_device_and_results_back():
    seen = {}

    def fn(x, params, f_prime, k=2):
        seen["devices"] = (x.device, params["W"].device)
        return {"out": f_prime(x) * k, "pair": (x, 1.5)}

    def f_prime(z):  # a helper written for NumPy, like the grader's callables
        assert type(z) is np.ndarray
        return np.ones_like(z)

    wrapped = strict_device1_backend().wrap(fn)
    result = wrapped(np.arange(3.0), {"W": np.eye(2)}, f_prime, k=3)
    assert seen["devices"] == (DEVICE1, DEVICE1)
    assert type(result["out"]) is np.ndarray and result["out"].tolist() == [3.0, 3.0, 3.0]
    assert type(result["pair"][0]) is np.ndarray and result["pair"][1] == 1.5
    # sympy symbols are passed through, not wrapped as callables
    assert strict_device1_backend().wrap(lambda n: n**2)(sp.Symbol("n")) == sp.Symbol("n") ** 2


# -- the grader's reference on a device ----------------------------------------------------------------------


def test_reference_expectations_on_a_device_equal_those_on_numpy():
    """Every hw1 check's expected values, computed by the reference on device1 (array_api_strict), equal
    NumPy's exactly; the functions really saw device1 arrays (the library refuses to mix devices)."""
    assignment = get("hw1")
    on_numpy = ReferenceExpectations(assignment, 11)
    on_device = ReferenceExpectations(assignment, 11, device=strict_device1_backend())
    assert on_numpy.backend.name == "numpy" and on_device.backend.device == DEVICE1
    for check in assignment.checks:
        for a, b in zip(on_numpy.cases(check), on_device.cases(check), strict=True):
            assert a.returns == b.returns, check.id
            assert _same(a.expected, b.expected), check.id


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def test_the_canary_passes_with_the_reference_on_a_device():
    """The sandboxed NumPy reference earns full marks against expected values computed on device1."""
    assignment = get("hw1")
    result = canary(assignment, ReferenceExpectations(assignment, 5, device=strict_device1_backend()))
    assert result.score == result.max_score


def test_grade_with_device_cuda_and_no_gpu_falls_back_to_the_cpu(tmp_path):
    """``autograder grade --device cuda`` on a machine without a usable GPU: one line, then the same grade."""
    sub = REPO / "examples" / "submissions" / "hw1" / "maxpool_tie_last"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(sub), "--seed", "7", "--device", "cuda", "--no-canary"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    if B.cupy_status()[0]:
        pytest.skip("a GPU is usable here: the fallback cannot be shown")
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("autograder: CUDA not used")]
    assert len(lines) == 1 and "the reference runs on the CPU with NumPy" in lines[0]
    assert ": 98 / 100" in run.stdout
