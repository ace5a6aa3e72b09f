"""The array backends the reference solutions' tests run on, shared by every ``tests/test_reference_hwN.py``:
- ``numpy``;
- ``array_api_strict`` on its CPU device, the standard and nothing more (no NumPy-only function, method or
  indexing gets through), and on its second, fake device ``device1``: arrays of two devices cannot be
  combined there, so a function that makes an array on the default device instead of its input's fails;
- ``torch``: PyTorch CPU tensors, when torch is installed (skipped otherwise);
- ``cupy``: CuPy arrays on a GPU, when CuPy is usable (``source_lib.backend.cupy_status``; skipped with the
  reason otherwise).
The ``bk`` fixture (``tests/conftest.py``) gives each in turn.
"""

from __future__ import annotations

import importlib.util

import array_api_strict as xps
import numpy as np
import pytest
from array_api_compat import device as device_of

from source_lib.backend import cupy_status, to_host


class Backend:
    """One backend of the parametrized tests: moves NumPy test data onto it and checks where results are."""

    def __init__(self, name):
        self.name = name
        if name == "numpy":
            self.device, self._from_numpy = "cpu", lambda a: np.array(a, copy=True)
        elif name.startswith("array_api_strict"):
            self.device = xps.Device("device1") if name.endswith("device1") else xps.Device("CPU_DEVICE")
            self._from_numpy = lambda a: xps.asarray(np.array(a, copy=True), device=self.device)
        elif name == "torch":
            import torch

            self.device, self._from_numpy = torch.device("cpu"), lambda a: torch.from_numpy(np.array(a, copy=True))
        elif name == "cupy":
            import cupy

            self.device, self._from_numpy = cupy.cuda.Device(), cupy.asarray
        else:
            raise ValueError(name)

    def __repr__(self):
        return self.name

    def to(self, obj):
        """NumPy arrays (also inside dicts/lists/tuples) -> this backend's arrays (copies)."""
        if isinstance(obj, np.ndarray):
            return self._from_numpy(obj)
        if isinstance(obj, dict):
            return {k: self.to(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.to(v) for v in obj)
        return obj

    def assert_on_device(self, obj, where="result"):
        """Every array in obj (also inside dicts/lists/tuples) is this backend's and on its device."""
        if isinstance(obj, dict):
            for k, v in obj.items():
                self.assert_on_device(v, f"{where}[{k!r}]")
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                self.assert_on_device(v, f"{where}[{i}]")
        elif hasattr(obj, "shape") and hasattr(obj, "dtype"):
            if self.name != "numpy":
                assert not isinstance(obj, np.ndarray), f"{where} is a NumPy array, not a {self.name} array"
            assert device_of(obj) == self.device, f"{where} is on {device_of(obj)}, not on {self.device}"

    def host(self, obj, where="result"):
        """Backend results -> NumPy, after checking that they are on this backend's device (None, strings and
        other non-arrays pass through)."""
        if obj is None or isinstance(obj, str):
            return obj
        self.assert_on_device(obj, where)
        return to_host(obj)


def to_np(obj):
    """Backend arrays (also inside dicts/lists/tuples) -> NumPy arrays."""
    return to_host(obj)


def _torch_missing():
    return importlib.util.find_spec("torch") is None  # no import here: torch loads only if its tests run


def _no_second_strict_device():
    try:
        xps.Device("device1")
    except (ValueError, TypeError):  # array_api_strict before 2.1 has only the CPU device
        return True
    return False


BACKENDS = [
    "numpy",
    "array_api_strict",
    pytest.param(
        "array_api_strict:device1",
        marks=pytest.mark.skipif(_no_second_strict_device(), reason="this array_api_strict has no device1"),
    ),
    pytest.param("torch", marks=pytest.mark.skipif(_torch_missing(), reason="torch is not installed")),
    pytest.param("cupy", marks=pytest.mark.skipif(not cupy_status()[0], reason=f"CuPy not usable: {cupy_status()[1]}")),
]
