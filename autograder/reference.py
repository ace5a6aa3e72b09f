"""Where the reference solutions are: found on the instructors' side, never installed with the package.

The package's default install (a wheel, ``pip install .``), the student bundle and the nbgrader release hold
the engine, the stubs and the public data, but no reference solution. Grading with hidden checks needs the
course's own ``solutions/`` folder (the one holding ``hw1/``), looked for in this order:

1. ``AUTOGRADER_SOLUTIONS`` (the CLI's ``--solutions DIR`` sets it, so pool workers and the notebook
   grading process see the same folder); when it is set, nothing else is looked at;
2. ``./solutions`` in the current directory, when it is owned by this user (or root) and writable by no one
   else (the course's checkout, when the instructor runs ``autograder`` from it);
3. the repository checkout beside this package (a developer's ``pip install -e .``): a folder holding both
   ``pyproject.toml`` and ``solutions/``;
4. the Gradescope zip's root-only source: ``$AUTOGRADER_ROOT/source/solutions`` (default ``/autograder``).

The folder found is imported *by path*, under a private module name (``_autograder_reference_<crc>``), so
no ``solutions`` package ever needs to be importable by name. When none is found,
:class:`ReferenceNotFound` says in one line where it looked.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import stat
import sys
import threading
import types
import zlib
from collections.abc import Iterator
from pathlib import Path

from .grading import InternalError

ENV = "AUTOGRADER_SOLUTIONS"
TOP = "solutions"  # the first part of an Assignment's ``solutions_package`` ("solutions.hw1")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()


class ReferenceNotFound(InternalError):
    """No folder of reference solutions where the grader looks (the message says where, in one line). An
    :class:`~autograder.grading.InternalError`: every command that grades refuses on it, before grading."""


def _subpath(package: str) -> Path:
    """``solutions.hw1`` -> ``hw1``: the assignment's folder inside the solutions folder."""
    head, _, rest = package.partition(".")
    if head != TOP or not rest:
        raise ValueError(f"a solutions package is named {TOP}.NAME, not {package!r}")
    return Path(*rest.split("."))


def _trusted(folder: Path) -> bool:
    """A folder only this user (or root) can change: owned by them, not writable by group or others."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return info.st_uid in (0, os.geteuid()) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def candidates(search_cwd: bool = True) -> list[tuple[str, Path | str]]:
    """Where to look, in order: (how the place is named in messages, the folder, or why there is none)."""
    env = os.environ.get(ENV, "").strip()
    out: list[tuple[str, Path | str]] = [(f"${ENV}", Path(env).expanduser() if env else "not set")]
    if search_cwd:
        out.append(("./solutions", Path.cwd() / TOP))
    checkout = (PACKAGE_ROOT / "pyproject.toml").is_file()
    out.append(("a checkout beside the package", PACKAGE_ROOT / TOP if checkout else f"{PACKAGE_ROOT}: not a checkout"))
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    out.append(("the Gradescope source", root / "source" / TOP))
    return out


def solutions_dir(package: str = "solutions.hw1", search_cwd: bool = True) -> Path:
    """The solutions folder holding ``package``'s folder (``hw1/``), or :class:`ReferenceNotFound`."""
    sub = _subpath(package)
    looked = []
    for how, folder in candidates(search_cwd):
        if isinstance(folder, str):
            looked.append(f"{how} ({folder})")
            continue
        if how == f"${ENV}" and not (folder / sub).is_dir() and (folder / TOP / sub).is_dir():
            folder = folder / TOP  # the course's checkout given instead of its solutions/ folder
        if how == f"${ENV}" and not (folder / sub).is_dir():
            raise ReferenceNotFound(
                f"no reference solutions for {package} in ${ENV} ({folder} holds no {sub.as_posix()}/ folder)"
            )
        if (folder / sub).is_dir():
            if how == "./solutions" and not (_trusted(folder) and _trusted(folder / sub)):
                looked.append(f"{how} ({folder}: skipped, writable by others or owned by another user)")
                continue
            return folder.resolve()
        looked.append(f"{how} ({folder / sub}: none)")
    raise ReferenceNotFound(
        f"no reference solutions for {package} (they are not installed with the package): looked in "
        + "; ".join(looked)
        + f". Give --solutions DIR or set {ENV}=DIR: the instructors' folder holding {sub.as_posix()}/"
    )


def located(package: str) -> bool:
    """Whether ``package`` is found by path (``solutions.NAME``); any other name is a package of its own,
    imported by name (an assignment that ships its references as a separate, instructor-only install)."""
    return package.partition(".")[0] == TOP


def reference_folder(package: str, search_cwd: bool = True) -> Path:
    """The folder of one assignment's reference modules (``.../solutions/hw1``)."""
    if not located(package):
        return Path(_by_name(package).__file__).parent
    return solutions_dir(package, search_cwd) / _subpath(package)


def _by_name(dotted: str) -> types.ModuleType:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        raise ReferenceNotFound(f"no reference solutions: {dotted} is not importable ({exc})") from None


def _private_package(folder: Path) -> str:
    """Import ``folder`` (a solutions folder) as a package under a private name; returns that name."""
    name = f"_autograder_reference_{zlib.crc32(str(folder).encode()):08x}"
    with _lock:
        if name in sys.modules:
            return name
        init = folder / "__init__.py"
        if init.is_file():
            spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        else:
            module = types.ModuleType(name)
            module.__path__ = [str(folder)]
            sys.modules[name] = module
    return name


def reference_module(package: str, module: str) -> types.ModuleType:
    """One reference module (``package`` ``solutions.hw1``, ``module`` ``p1_bp_relu``), imported by path."""
    if not located(package):
        return _by_name(f"{package}.{module}")
    top = _private_package(solutions_dir(package))
    dotted = ".".join(_subpath(package).parts)
    return importlib.import_module(f"{top}.{dotted}.{module}")


@contextlib.contextmanager
def pinned(folder: Path) -> Iterator[Path]:
    """Every lookup inside the block (and every process started from it) finds ``folder``: the solutions
    folder one grading located once, so that nothing else is looked at (the current directory included)."""
    before = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
