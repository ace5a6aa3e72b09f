"""Gradescope: build an autograder zip, and the entry point its ``run_autograder`` calls.

The zip (``autograder gradescope hw1 --out autograder.zip``) holds, at its root:

- ``setup.sh``: run once by Gradescope, as root, when it builds the image. It makes a virtual environment in
  ``/autograder/venv`` holding the dependencies only (NumPy, SymPy, ...: from ``wheels/`` without the
  network, else from PyPI), unpacks this package's wheel into ``/autograder/private/lib`` and moves the
  reference (``solutions/``) and the settings there, deletes the wheels and makes everything but the venv
  root-only (``/autograder`` itself 0711, so a student can reach the venv but list nothing). Gradescope's
  containers allow no namespaces, so the sandbox child has no filesystem view there and can open every file
  the permissions let its uid open: after setup.sh, nothing of the grader's.
- ``run_autograder``: run for every submission, as root; locks what Gradescope added (the submission, its
  metadata, the results folder) the same way, then grades ``/autograder/submission`` with the sandbox (the
  reference canary first) and writes ``/autograder/results/results.json`` in Gradescope's schema.
- ``gradescope.json``: the settings (assignment, visibility of the hidden checks, the isolation layers
  grading requires: ``uid`` by default, so student code never runs as root or as the grader's uid; where
  a required layer is not in force, results.json says the submission was not graded, with the reason);
  with ``--roster``, ``variants.json``: each student's numbers (never the course secret), found by the
  ``sid`` or ``email`` of ``/autograder/submission_metadata.json``; ``requirements.txt``.

``AUTOGRADER_ROOT`` replaces ``/autograder`` everywhere (a test runs ``setup.sh`` and ``run_autograder`` in a
fake tree) and ``AUTOGRADER_PYTHON`` the interpreter (setup.sh then makes no venv and installs no
dependency). Hidden checks are shown ``after_published`` (or as chosen) and their output names only the
failed cases' descriptions and the hint: no input, no expected value and no text from the student's run,
since a student's exception message could carry the hidden inputs out; while they are not shown, the
top-level output gives the public checks' points only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_PYTHONS = ("3.10",)
DEFAULT_REQUIRE = ("uid",)
PLATFORM = "manylinux2014_x86_64"
PACKAGES = ("autograder", "source_lib", "assignments")  # the wheel's; the reference travels beside it
GRADER_NAMES = ("solutions", "autograder", "source_lib", "assignments")  # what the venv must not hold
REPO = Path(__file__).resolve().parent.parent

# Every entry of $ROOT but the venv becomes root-only, and $ROOT itself 0711 (reachable, not listable).
LOCK_ROOT = r"""
chmod 0711 "$ROOT"
for entry in "$ROOT"/* "$ROOT"/.[!.]*; do
  if [ -L "$entry" ] || [ ! -e "$entry" ] || [ "$entry" = "$VENV" ]; then continue; fi
  chmod -R go-rwx "$entry"
done
"""

SETUP_SH = (
    r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. Afterwards a student's code
# (a dedicated uid, with no filesystem view in Gradescope's containers) can read nothing of the grader: the
# package, the reference and the settings are in $PRIVATE (root only), the wheels are deleted, every other
# file of $ROOT is root-only, and the venv, which the sandbox child imports NumPy and SymPy from, holds the
# dependencies only.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
PRIVATE="$ROOT/private"
WHEEL="$(ls "$SOURCE"/wheels/__DIST__-*.whl 2>/dev/null | head -n 1 || true)"
umask 022
if [ -n "${AUTOGRADER_PYTHON:-}" ]; then
  PY="$AUTOGRADER_PYTHON"
  echo "using $PY (AUTOGRADER_PYTHON): it must have the dependencies already"
else
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    (apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip) || true
  fi
  python3 -m venv "$VENV"
  PY="$VENV/bin/python"
  REQS=(-r "$SOURCE/requirements.txt")
  if "$PY" -m pip install -q --no-cache-dir --no-index --find-links "$SOURCE/wheels" "${REQS[@]}"; then
    echo "installed the dependencies from the zip (offline)"
  else
    echo "offline install failed (no wheels for this Python?); installing the dependencies from PyPI" >&2
    "$PY" -m pip install -q --no-cache-dir "${REQS[@]}"
  fi
  "$PY" -m pip uninstall -y -q __DIST__ >/dev/null 2>&1 || true  # an older setup's copy, if any
fi
# the grader's own files: root only, outside anything the sandbox's uid can read
mkdir -p "$PRIVATE"
chmod 0700 "$PRIVATE"
if [ -n "$WHEEL" ]; then
  rm -rf "$PRIVATE/lib"
  "$PY" -m zipfile -e "$WHEEL" "$PRIVATE/lib"
fi
if [ -d "$SOURCE/solutions" ]; then
  rm -rf "$PRIVATE/solutions"
  mv "$SOURCE/solutions" "$PRIVATE/solutions"
fi
for name in gradescope.json variants.json; do
  if [ -f "$SOURCE/$name" ]; then mv "$SOURCE/$name" "$PRIVATE/$name"; fi
done
rm -rf "$SOURCE/wheels"
chmod -R go-rwx "$PRIVATE" "$SOURCE"
"""
    + LOCK_ROOT
    + r"""
# the venv is world-readable: it must hold no reference and no grader
if ! "$PY" -I -c "
import importlib.util, sys
found = [n for n in sys.argv[1:] if importlib.util.find_spec(n) is not None]
sys.exit('the venv holds ' + ', '.join(found) + ', which a student could read' if found else 0)
" __GRADER_NAMES__; then
  exit 1
fi
export PYTHONPATH="$PRIVATE/lib:$PRIVATE" AUTOGRADER_SOLUTIONS="$PRIVATE/solutions"
cd "$ROOT"
"$PY" -c "import autograder, numpy, sympy; print('autograder ready:', autograder.__file__)"
"""
)

RUN_AUTOGRADER = (
    r"""#!/usr/bin/env bash
# Gradescope runs this, as root, for every submission: grade $ROOT/submission, write $ROOT/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
PRIVATE="$ROOT/private"
PY="${AUTOGRADER_PYTHON:-$VENV/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
mkdir -p "$ROOT/results"
"""
    + LOCK_ROOT
    + r"""
CONFIG="$PRIVATE/gradescope.json"
if [ -f "$CONFIG" ]; then
  export PYTHONPATH="$PRIVATE/lib:$PRIVATE" AUTOGRADER_SOLUTIONS="$PRIVATE/solutions"
else  # setup.sh has not run here (a test's fake tree): the zip's files, and the package PY finds
  CONFIG="$ROOT/source/gradescope.json"
  if [ -d "$ROOT/source/solutions" ]; then export AUTOGRADER_SOLUTIONS="$ROOT/source/solutions"; fi
fi
cd "$ROOT" || exit 1
exec "$PY" -m autograder.gradescope run --root "$ROOT" --config "$CONFIG"
"""
)


class BuildError(RuntimeError):
    """The zip could not be built (explained in one line)."""


# -- building the zip ---------------------------------------------------------------------------------------


CHECKOUT_NEEDED = (
    "build the zip from the instructors' checkout of the package (`pip install -e .` there): the zip holds a "
    "wheel built from its sources and the reference solutions, and there is no pyproject.toml in {}"
)


def _distribution() -> tuple[str, str]:
    if not (REPO / "pyproject.toml").is_file():
        raise BuildError(CHECKOUT_NEEDED.format(REPO))
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not (name and version):
        raise BuildError("pyproject.toml names no project name and version")
    return name.group(1), version.group(1)


def build_wheel(dest: Path) -> Path:
    """A wheel of this distribution, built from a clean copy of its sources (nothing written into the clone)."""
    if not (REPO / "pyproject.toml").is_file():
        raise BuildError(CHECKOUT_NEEDED.format(REPO))
    with tempfile.TemporaryDirectory(prefix="autograder-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(REPO / name, src / name)
        for package in PACKAGES:
            shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        base = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), str(src)]
        run = subprocess.run([*base[:5], "--no-build-isolation", *base[5:]], capture_output=True, text=True)
        if run.returncode != 0:  # no setuptools here: let pip fetch the build backend
            run = subprocess.run(base, capture_output=True, text=True)
        if run.returncode != 0:
            raise BuildError(f"building the wheel failed:\n{run.stderr[-2000:]}")
    dist = _distribution()[0].replace("-", "_")
    wheels = sorted(dest.glob(f"{dist}-*.whl"))
    if not wheels:
        raise BuildError("pip built no wheel")
    return wheels[-1]


def requirements_of(wheel: Path) -> list[str]:
    """The wheel's runtime requirements (``Requires-Dist`` without an extra)."""
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return [
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]


def download_dependencies(requirements: list[str], dest: Path, pythons: tuple[str, ...]) -> list[str]:
    """Wheels of the requirements (and theirs) for each Python version; returns notes on what failed."""
    notes = []
    for version in pythons:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--dest", str(dest)]
        cmd += ["--python-version", version, "--platform", PLATFORM, "--implementation", "cp", *requirements]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["?"])[-1]
            notes.append(f"no dependency wheels for Python {version} ({last}); setup.sh will use PyPI there")
    return notes


def reference_source(solutions_package: str) -> tuple[Path, Path]:
    """The reference's source folder for the zip: (the solutions folder, the assignment's folder in it)."""
    try:
        from .reference import solutions_dir
    except ImportError:  # before the locator: the checkout's own solutions/
        top = REPO / "solutions"
    else:
        try:
            top = solutions_dir(solutions_package)
        except Exception as exc:  # ReferenceNotFound: say where it looked
            raise BuildError(str(exc)) from None
    sub = top.joinpath(*solutions_package.split(".")[1:])
    if not sub.is_dir():
        raise BuildError(f"no reference solutions for {solutions_package} in {top}")
    return top, sub


def _stage_reference(solutions_package: str, stage: Path) -> None:
    """``stage/solutions/``: the assignment's reference modules (``.py`` only), which setup.sh moves into the
    root-only folder run_autograder points ``AUTOGRADER_SOLUTIONS`` at."""
    top, sub = reference_source(solutions_package)
    dest = stage / "solutions"
    shutil.copytree(sub, dest / sub.relative_to(top), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    init = top / "__init__.py"
    (dest / "__init__.py").write_text(init.read_text(encoding="utf-8") if init.is_file() else "", encoding="utf-8")


def build_zip(
    assignment_name: str,
    out: Path,
    wheels: bool = True,
    pythons: tuple[str, ...] = DEFAULT_PYTHONS,
    hidden_visibility: str = "after_published",
    variants: dict[str, dict] | None = None,
    require: tuple[str, ...] | list[str] | str = DEFAULT_REQUIRE,
) -> tuple[Path, list[str]]:
    """Write Gradescope's autograder zip to ``out``; returns it and notes (e.g. wheels that could not be had).

    ``require``: the isolation layers run_autograder refuses to grade without (default ``uid``)."""
    from . import assignments
    from .sandbox.isolation import parse_layers

    assignment = assignments.get(assignment_name)  # an unknown assignment fails here, not on Gradescope
    if hidden_visibility not in VISIBILITIES:
        raise BuildError(f"hidden visibility must be one of {', '.join(VISIBILITIES)}")
    try:
        required = parse_layers(require)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    dist, version = _distribution()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as tmp:
        stage = Path(tmp)
        (stage / "wheels").mkdir()
        wheel = build_wheel(stage / "wheels")
        requirements = requirements_of(wheel)
        if wheels:
            notes += download_dependencies(requirements, stage / "wheels", pythons)
        (stage / "requirements.txt").write_text("".join(f"{r}\n" for r in requirements))
        _stage_reference(assignment.solutions_package, stage)
        config = {
            "assignment": assignment_name,
            "hidden_visibility": hidden_visibility,
            "package": f"{dist} {version}",
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "variants": bool(variants),
            "require": required,
        }
        (stage / "gradescope.json").write_text(json.dumps(config, indent=1) + "\n")
        if variants:
            (stage / "variants.json").write_text(json.dumps(variants, indent=1, ensure_ascii=False) + "\n")
        setup = SETUP_SH.replace("__GRADER_NAMES__", " ".join(GRADER_NAMES))
        (stage / "setup.sh").write_text(setup.replace("__DIST__", dist.replace("-", "_")))
        (stage / "run_autograder").write_text(RUN_AUTOGRADER)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(stage.rglob("*")):
                if not path.is_file():
                    continue
                name = path.relative_to(stage).as_posix()
                info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
                info.external_attr = (0o100755 if name in ("setup.sh", "run_autograder") else 0o100644) << 16
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
        os.replace(partial, out)
    return out, notes


# -- running on Gradescope ----------------------------------------------------------------------------------


def results_document(result: Any, hidden_visibility: str = "after_published", note: str = "") -> dict:
    """Gradescope's results.json for one graded submission (:func:`autograder.report.gradescope_json`, with
    the hidden checks' visibility chosen and the result's notes added to its output)."""
    from .report import gradescope_json, inert

    doc = gradescope_json(result, hidden_visibility)
    extra = [inert(n) for n in result.notes] + ([note] if note else [])
    if extra:
        doc["output"] += "\n" + "\n".join(extra)
    return doc


def _student_numbers(root: Path, config: dict, folder: Path) -> tuple[dict | None, str, str]:
    """The submitter's variant numbers from ``folder/variants.json`` (by sid, then email, then Gradescope
    user id)."""
    if not config.get("variants"):
        return None, "", ""
    table = json.loads((folder / "variants.json").read_text(encoding="utf-8"))
    lowered = {k.lower(): k for k in table}
    try:
        users = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8")).get("users") or []
    except (OSError, ValueError, AttributeError):
        users = []
    for user in users:
        for field in ("sid", "email", "id"):
            key = str(user.get(field) or "").strip().lower()
            if key and key in lowered:
                return table[lowered[key]], lowered[key], ""
    who = ", ".join(str(u.get("email") or u.get("sid") or "?") for u in users) or "unknown"
    return (
        None,
        "",
        (
            f"note: the submitter ({who}) is not on the roster this autograder was built with; graded on the "
            "assignment's default numbers. Tell your instructor if you were given numbers of your own."
        ),
    )


NOT_GRADED = (
    "The autograder could not grade this submission (an error of the autograder, not of your code); your course "
    "staff will regrade it."
)
REFUSED = (
    "The autograder did not grade this submission: this machine cannot keep student code away from the "
    "grader as the course requires ({reason}). Nothing of your code was run; your course staff will regrade it."
)


def _not_graded(output: str) -> dict:
    return {"score": 0, "output": output, "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def run(root: Path, config: dict, folder: Path | None = None) -> dict:
    """Grade ``root/submission``, write ``root/results/results.json``; returns the document. Whatever happens,
    a results.json is written (Gradescope shows nothing useful without one); details go to stdout, which
    only the course staff see. ``folder`` holds the settings' files (``variants.json``; default
    ``root/source``).

    The isolation layers of ``config["require"]`` (zips without the key: ``uid``) and ``$AUTOGRADER_REQUIRE``
    must be in force, else nothing is graded and results.json says why: student code never runs as root or
    as the grader's uid unless the zip was built with ``--require none``."""
    from . import assignments
    from .batch import canary, grade_path, new_seed, write_atomic
    from .grading import InternalError, ReferenceExpectations
    from .report import isolation_text
    from .sandbox import isolation
    from .variants import VariantExpectations, specialize

    start = time.monotonic()
    visibility = config.get("hidden_visibility", "after_published")
    log: list[str] = []
    try:
        required = isolation.require(config.get("require", list(DEFAULT_REQUIRE)))
        log.append(f"required isolation layers: {', '.join(required)}")
        assignment = assignments.get(config["assignment"])
        numbers, student, note = _student_numbers(root, config, folder or root / "source")
        shared = ReferenceExpectations(assignment, new_seed())
        canary(assignment, shared)
        mine = specialize(assignment, numbers)
        expectations = VariantExpectations(shared, mine) if numbers else shared
        result = grade_path(root / "submission", mine, expectations)
        doc = results_document(result, visibility, note)
        log.append(f"graded {result.submission}: {result.score:g} / {result.max_score:g} (seed {result.seed})")
        log.append(f"isolation: {isolation_text(result.isolation)}")
        if "uid" not in required and not result.isolation.get("uid"):
            log.append("WARNING: student code ran with the grader's uid (this zip was built without --require uid)")
        log.append(f"numbers: the variant of student {student}" if student else "numbers: the assignment's default")
        log += [f"  {c.id}: {c.points:g}/{c.max_points:g} {c.message}" for c in result.checks if not c.passed]
    except (isolation.SandboxUnavailable, ValueError) as exc:  # a required layer missing: refuse, loudly
        log += [f"not graded: {exc}", f"isolation: {isolation_text(isolation.in_force_summary())}"]
        doc = _not_graded(REFUSED.format(reason=str(exc).removeprefix("refusing to grade: ")))
    except Exception as exc:  # the canary failed (InternalError) or a grader bug: no grade, say so
        kind = "the reference failed its own checks" if isinstance(exc, InternalError) else "a grader error"
        log += [f"internal error ({kind}): {exc}", traceback.format_exc()]
        doc = _not_graded(NOT_GRADED)
    doc["execution_time"] = round(time.monotonic() - start, 3)
    write_atomic(root / "results" / "results.json", json.dumps(doc, indent=1, ensure_ascii=False))
    try:
        print("\n".join(log), flush=True)
    except OSError:
        pass
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json (run_autograder)")
    p.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    p.add_argument("--config", help="gradescope.json (default ROOT/source/gradescope.json)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    path = Path(args.config or root / "source" / "gradescope.json")
    config = json.loads(path.read_text(encoding="utf-8"))
    import autograder

    print(f"{config.get('package', 'autograder')} from {Path(autograder.__file__).parent}")
    run(root, config, path.parent)
    return 0


def zip_path(out: str, assignment: str) -> Path:
    """Where ``--out`` puts the zip: a folder (an existing one, or a path ending in ``/``), as ``--out`` is for
    ``release`` and ``grade``, gets ``ASSIGNMENT-autograder.zip`` inside; any other path is the zip itself."""
    path = Path(out)
    if path.is_dir() or out.endswith(("/", "\\")):
        return path / f"{assignment}-autograder.zip"
    return path


def cli_build(args: argparse.Namespace) -> int:
    """``autograder gradescope ASSIGNMENT --out autograder.zip [--roster R] [--no-wheels] [--python V]``."""
    variants = None
    try:
        if args.roster:
            from .variants import load_secret, read_roster, variants_table

            variants = variants_table(args.assignment, read_roster(Path(args.roster)), load_secret(args.secret_file))
        pythons = tuple(args.python_version or DEFAULT_PYTHONS)
        out, notes = build_zip(
            args.assignment,
            zip_path(args.out, args.assignment),
            not args.no_wheels,
            pythons,
            args.hidden_visibility,
            variants,
            getattr(args, "require", None) or DEFAULT_REQUIRE,
        )
    except (BuildError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    size = out.stat().st_size / 1e6
    with zipfile.ZipFile(out) as z:
        n_wheels = sum(n.endswith(".whl") for n in z.namelist())
    print(f"wrote {out} ({size:.1f} MB, {n_wheels} wheels{', variants of ' + str(len(variants)) if variants else ''})")
    print("upload it as the assignment's autograder (Gradescope: Configure Autograder > Zip file upload)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
