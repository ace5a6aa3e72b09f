"""Which array library the reference solutions run on, and moving values between it and the host.

The reference solutions are written once against the Python array API standard: every function takes
its namespace from its inputs (``array_api_compat.array_namespace``), so the same code runs on NumPy
arrays on the CPU or on CuPy arrays on a GPU. This module picks the library for the grader and moves
values to it and back:

- :func:`select_backend` resolves a choice: ``"numpy"``/``"cpu"`` (the default), ``"cupy"``/``"cuda"`` or
  ``"auto"`` (CuPy when usable, else NumPy); with no choice it reads ``AUTOGRADER_DEVICE`` (cpu | cuda |
  auto). A request for CUDA when CuPy is not usable prints one line saying why and runs on the CPU.
- :func:`cupy_status` says whether CuPy is usable: it is importable, a CUDA device exists, and a tiny
  kernel (compiled through NVRTC) and a tiny matrix product (cuBLAS) run and give the right numbers.
- :func:`to_host` turns arrays of any backend (NumPy, CuPy, PyTorch, array_api_strict), also inside
  dicts, lists and tuples, into NumPy arrays; every verdict is made on host values.
- :meth:`Backend.wrap_module` makes a module's functions run on the backend: array arguments go to the
  device, callables passed in (e.g. an ``f_prime``) get host arrays, and results come back to the host.
  For NumPy it returns the module itself (no overhead).
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ENV_VAR",
    "CHOICES",
    "Backend",
    "numpy_backend",
    "cupy_status",
    "may_use_gpu",
    "select_backend",
    "set_default_device",
    "to_host",
]

#: The environment variable the grader reads when no device is given on the command line.
ENV_VAR = "AUTOGRADER_DEVICE"
#: Accepted choices; "cpu" is "numpy" and "cuda" is "cupy".
_ALIASES = {"numpy": "numpy", "cpu": "numpy", "cupy": "cupy", "cuda": "cupy", "gpu": "cupy", "auto": "auto"}
CHOICES = tuple(_ALIASES)


_PLAIN_CALLABLES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, functools.partial)


@dataclass(frozen=True)
class Backend:
    """An array library and the device the grader's reference computations run on.

    name       "numpy", "cupy" (or another name, e.g. in tests)
    xp         its array-API namespace (``array_api_compat.numpy``, ``array_api_compat.cupy``, ...)
    device     the device new arrays are put on (``"cpu"`` for NumPy, a ``cupy.cuda.Device`` for CuPy)
    from_host  NumPy array -> backend array on ``device`` (a copy)
    note       how the choice was made (e.g. why CUDA was not used), for logs
    """

    name: str
    xp: Any
    device: Any
    from_host: Callable[[np.ndarray], Any] = field(repr=False)
    note: str = ""

    @property
    def is_numpy(self) -> bool:
        return self.name == "numpy"

    def to_device(self, obj: Any) -> Any:
        """NumPy arrays (also inside dicts, lists and tuples) -> this backend's arrays; anything else as is."""
        if isinstance(obj, np.ndarray):
            return self.from_host(obj)
        if isinstance(obj, dict):
            return {k: self.to_device(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.to_device(v) for v in obj)
        return obj

    def wrap(self, fn: Callable) -> Callable:
        """``fn`` run on this backend: array arguments moved to the device, results moved to the host.

        Callable arguments (e.g. ``f_prime``) are called with host arrays and their results moved to the
        device, so helpers written for NumPy keep working.
        """
        if self.is_numpy:
            return fn

        def arg(value: Any) -> Any:
            if isinstance(value, _PLAIN_CALLABLES):
                return lambda *a, **k: self.to_device(value(*to_host(a), **to_host(k)))
            return self.to_device(value)

        @functools.wraps(fn)
        def on_device(*args: Any, **kwargs: Any) -> Any:
            result = fn(*(arg(a) for a in args), **{k: arg(v) for k, v in kwargs.items()})
            return to_host(result)

        return on_device

    def wrap_module(self, module: types.ModuleType) -> Any:
        """The module itself for NumPy; otherwise a view of it whose functions run on this backend."""
        return module if self.is_numpy else _ModuleOnBackend(module, self)


class _ModuleOnBackend:
    """Attribute access of a module, with its public functions wrapped by :meth:`Backend.wrap`."""

    def __init__(self, module: types.ModuleType, backend: Backend):
        self._module, self._backend = module, backend
        self.__name__ = getattr(module, "__name__", "module")

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if isinstance(value, types.FunctionType) and not name.startswith("_"):
            return self._backend.wrap(value)
        return value

    def __repr__(self) -> str:
        return f"<{self.__name__} on {self._backend.name}>"


def numpy_backend(note: str = "") -> Backend:
    return Backend("numpy", _numpy_namespace(), "cpu", lambda a: np.array(a, copy=True), note)


def _numpy_namespace() -> types.ModuleType:
    """``array_api_compat.numpy``, imported without the NumPy submodules nothing here uses.

    It copies every name ``numpy.__all__`` and ``dir(numpy)`` list, and NumPy lists its lazily loaded submodules
    there (``f2py``, ``testing``, ``ma``, ``polynomial``, ...), so the copy imports them all: 0.1 to 0.2 s of every
    grader's start, ``f2py`` most of it. While the copy is made, those not loaded yet are left out of both lists;
    the namespace then loads them on first use (a module ``__getattr__``), as ``numpy`` itself does. Where the
    namespace was imported already, or NumPy does not name its lazy submodules, it is imported as it is."""
    lazy = set(getattr(np, "__numpy_submodules__", ()))
    if "array_api_compat.numpy" in sys.modules or not lazy or not isinstance(getattr(np, "__all__", None), list):
        import array_api_compat.numpy as xp

        return xp
    import numpy.typing  # noqa: F401  (array_api_compat.numpy imports it before copying: it is not left out)

    lazy = {name for name in lazy if f"numpy.{name}" not in sys.modules}
    listed, listing = np.__all__, np.__dict__.get("__dir__")
    np.__all__ = [name for name in listed if name not in lazy]
    if listing is not None:
        np.__dir__ = lambda: [name for name in listing() if name not in lazy]
    try:
        import array_api_compat.numpy as xp
    finally:
        np.__all__ = listed
        if listing is not None:
            np.__dir__ = listing
    if not hasattr(xp, "__getattr__"):
        xp.__getattr__ = functools.partial(_numpy_submodule, lazy)
    return xp


def _numpy_submodule(lazy: set[str], name: str) -> types.ModuleType:
    """A NumPy submodule left out of ``array_api_compat.numpy`` (:func:`_numpy_namespace`), loaded when first used."""
    if name in lazy:
        return getattr(np, name)
    raise AttributeError(f"module 'array_api_compat.numpy' has no attribute {name!r}")


def _cupy_backend(note: str = "") -> Backend:
    import array_api_compat.cupy as xp
    import cupy

    dev = cupy.cuda.Device()
    return Backend("cupy", xp, dev, cupy.asarray, note)


# -- is CuPy usable? ----------------------------------------------------------------------------------------

_state = {"cuda_used": False, "forked": False, "warned": False}


def _after_fork_in_child() -> None:
    # CUDA cannot be used in a child forked after the parent initialized it: such a child runs on the CPU
    if _state["cuda_used"]:
        _state["forked"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


@functools.lru_cache(maxsize=1)
def cupy_status() -> tuple[bool, str]:
    """(usable, reason): CuPy imports, a CUDA device exists, and a tiny kernel and matmul run correctly."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken install raising anything at import
        return False, f"CuPy is not installed ({_first_line(exc)}); pip install 'nnopt-autograder[cuda]'"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"no usable CUDA driver ({_first_line(exc)})"
    if count < 1:
        return False, "no CUDA device found"
    try:
        kernel = cupy.ElementwiseKernel("float64 x", "float64 y", "y = 2 * x + 1", "autograder_probe")
        y = cupy.asnumpy(kernel(cupy.arange(4, dtype=cupy.float64)))
        m = cupy.asnumpy(cupy.ones((2, 3)) @ cupy.ones((3, 2)))
        if not (np.array_equal(y, [1.0, 3.0, 5.0, 7.0]) and np.array_equal(m, np.full((2, 2), 3.0))):
            return False, "a test kernel on the GPU gave wrong numbers"
    except Exception as exc:
        return False, f"a test kernel failed to compile or run, NVRTC or CUDA libraries missing? ({_first_line(exc)})"
    _state["cuda_used"] = True
    try:
        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        name = "a CUDA device"
    return True, f"CuPy {cupy.__version__} on {name}"


# -- choosing ------------------------------------------------------------------------------------------------


def set_default_device(choice: str | None) -> None:
    """Make ``choice`` (cpu | cuda | auto | numpy | cupy) the default of :func:`select_backend`, for this
    process and the processes it starts (it is stored in ``AUTOGRADER_DEVICE``). None changes nothing."""
    if choice:
        _normalize(choice)
        os.environ[ENV_VAR] = choice


def _normalize(choice: str) -> str:
    key = choice.strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown device or backend {choice!r}: expected one of {', '.join(CHOICES)}")
    return _ALIASES[key]


def may_use_gpu(choice: str | None = None) -> bool:
    """Whether ``choice`` (None: ``AUTOGRADER_DEVICE``) may put the reference on a GPU (cupy, cuda, gpu, auto)."""
    try:
        return _normalize(choice or os.environ.get(ENV_VAR) or "numpy") != "numpy"
    except ValueError:
        return False


def select_backend(choice: str | Backend | None = None, *, quiet: bool = False) -> Backend:
    """The backend for ``choice``: numpy/cpu (default), cupy/cuda or auto; None reads ``AUTOGRADER_DEVICE``.

    CUDA asked for but not usable: one line on stderr saying why (unless ``quiet``), then NumPy on the CPU.
    "auto" falls back silently. A :class:`Backend` is returned as is.
    """
    if isinstance(choice, Backend):
        return choice
    raw = choice if choice is not None else (os.environ.get(ENV_VAR) or "numpy")
    wanted = _normalize(raw)
    if wanted == "numpy":
        return numpy_backend()
    if _state["forked"]:
        usable, why = False, "this process was forked after CUDA was initialized in its parent"
    else:
        usable, why = cupy_status()
    if usable:
        return _cupy_backend(why)
    note = f"CUDA not used: {why}; the reference runs on the CPU with NumPy"
    if wanted == "cupy" and not quiet and not _state["warned"]:
        _state["warned"] = True
        print(f"autograder: {note}", file=sys.stderr)
    return numpy_backend(note)


# -- back to the host ----------------------------------------------------------------------------------------


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _array_to_numpy(x: Any) -> np.ndarray:
    module = type(x).__module__.split(".", 1)[0]
    if module == "cupy":
        return x.get()
    if module == "torch":
        return x.detach().cpu().numpy()
    if module == "array_api_strict":
        import array_api_strict

        x = x.to_device(array_api_strict.Device("CPU_DEVICE"))
    try:
        return np.asarray(x)
    except (TypeError, RuntimeError, ValueError):
        return np.from_dlpack(x)


def to_host(obj: Any) -> Any:
    """Arrays of any backend (also inside dicts, lists and tuples) -> NumPy arrays; other values as is.

    0-d arrays become 0-d NumPy arrays (not Python scalars), so shapes and dtypes are kept exactly.
    """
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, dict):
        return {k: to_host(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_host(v) for v in obj)
    if isinstance(obj, (bool, int, float, complex, str, bytes, np.generic)) or obj is None:
        return obj
    if _is_array(obj) and type(obj).__module__.split(".", 1)[0] != "sympy":
        return _array_to_numpy(obj)
    return obj
