"""The private folder a sandbox child (or a zygote) imports from, and the environment it starts with.

Kept apart from :mod:`autograder.sandbox.runner` and free of NumPy, so that ``autograder grade`` can start the
zygote (:mod:`autograder.sandbox.forkserver`) before the grader's own heavy imports.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import py_compile
import shutil
import tempfile
import threading
from pathlib import Path

CHILD_PACKAGE_FILES = ("__init__.py", "wire.py", "probes.py", "executor.py", "child.py", "isolation.py", "zygote.py")
RUNTIME_PACKAGES = ("numpy", "sympy", "mpmath", "array_api_compat")

_runtime: Path | None = None
_compiled = False
_runtime_lock = threading.Lock()


def runtime_dir() -> Path:
    """A private folder the child imports from: its own package and the numeric libraries, nothing else
    (made once per grader process; threads that grade side by side share it)."""
    with _runtime_lock:
        if _runtime is not None and _runtime.is_dir():
            return _runtime
        return _make_runtime()


def compiled_runtime_dir() -> Path:
    """:func:`runtime_dir` with the child package's bytecode written (once): a child started from scratch
    (``-B``: it reads bytecode but never writes it) would otherwise compile these files at every start, tens
    of milliseconds. A zygote, started once, compiles what it imports itself, so the folder it needs is made
    without this."""
    global _compiled
    root = runtime_dir()
    with _runtime_lock:
        if not _compiled:
            for name in CHILD_PACKAGE_FILES:
                source = str(root / "_agchild" / name)
                py_compile.compile(
                    source,
                    cfile=importlib.util.cache_from_source(source),
                    doraise=False,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            _compiled = True
    return root


def _make_runtime() -> Path:
    global _runtime, _compiled
    root = Path(tempfile.mkdtemp(prefix="autograder-runtime-"))
    atexit.register(shutil.rmtree, root, True)
    pkg = root / "_agchild"
    pkg.mkdir()
    here = Path(__file__).parent
    for name in CHILD_PACKAGE_FILES:
        shutil.copyfile(here / name, pkg / name)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        location = Path(list(spec.submodule_search_locations)[0]).resolve()
        (root / name).symlink_to(location, target_is_directory=True)
        libs = location.parent / f"{name}.libs"  # manylinux wheels keep their shared libraries beside
        if libs.is_dir() and not (root / libs.name).exists():
            (root / libs.name).symlink_to(libs, target_is_directory=True)
    (root / "_view").mkdir()  # where each child mounts its own filesystem view
    os.chmod(root, 0o755)
    _runtime, _compiled = root, False
    return root


def child_environment(home: str) -> dict[str, str]:
    """The whole environment of a child (or a zygote): no variable of the grader's reaches it."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": home,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
