"""Gradescope: build an autograder zip, and the entry point its ``run_autograder`` calls.

The zip (``autograder gradescope hw1 --out autograder.zip``) holds, at its root:

- ``setup.sh``: run once by Gradescope when it builds the image; makes a virtual environment in
  ``/autograder/venv`` and installs this package from ``wheels/`` without the network (a wheel of this
  distribution, built at zip time, and wheels of its dependencies for the chosen Python versions); when
  that fails it installs the dependencies from PyPI instead.
- ``run_autograder``: run for every submission; grades ``/autograder/submission`` with the sandbox (the
  reference canary first) and writes ``/autograder/results/results.json`` in Gradescope's schema.
- ``gradescope.json``: the settings (assignment, visibility of the hidden checks); with ``--roster``,
  ``variants.json``: each student's numbers (never the course secret), found by the ``sid`` or ``email``
  of ``/autograder/submission_metadata.json``.

``AUTOGRADER_ROOT`` replaces ``/autograder`` everywhere (a test runs ``run_autograder`` in a fake tree) and
``AUTOGRADER_PYTHON`` the interpreter. Hidden checks are shown ``after_published`` (or as chosen) and their
output names only the failed cases' descriptions and the hint: no input, no expected value and no text
from the student's run, since a student's exception message could carry the hidden inputs out.
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
PLATFORM = "manylinux2014_x86_64"
PACKAGES = ("autograder", "solutions", "source_lib", "assignments")
REPO = Path(__file__).resolve().parent.parent

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  (apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip) || true
fi
python3 -m venv "$VENV"
WHEEL="$(ls "$SOURCE"/wheels/__DIST__-*.whl | head -n 1)"
if "$VENV/bin/python" -m pip install -q --no-index --find-links "$SOURCE/wheels" "$WHEEL"; then
  echo "installed $(basename "$WHEEL") and its dependencies from the zip (offline)"
else
  echo "offline install failed (no wheels for this Python?); installing the dependencies from PyPI" >&2
  "$VENV/bin/python" -m pip install -q --find-links "$SOURCE/wheels" "$WHEEL"
fi
chmod 600 "$SOURCE/variants.json" 2>/dev/null || true  # the students' numbers: for the grader only
"$VENV/bin/python" -c "import autograder, numpy, sympy; print('autograder ready:', autograder.__file__)"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission, write $ROOT/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
cd "$ROOT" || exit 1
exec "$PY" -m autograder.gradescope run --root "$ROOT" --config "$ROOT/source/gradescope.json"
"""


class BuildError(RuntimeError):
    """The zip could not be built (explained in one line)."""


# -- building the zip ---------------------------------------------------------------------------------------


def _distribution() -> tuple[str, str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not (name and version):
        raise BuildError("pyproject.toml names no project name and version")
    return name.group(1), version.group(1)


def build_wheel(dest: Path) -> Path:
    """A wheel of this distribution, built from a clean copy of its sources (nothing written into the clone)."""
    if not (REPO / "pyproject.toml").is_file() or not (REPO / "solutions").is_dir():
        raise BuildError(f"build the zip from a clone of the repository (no pyproject.toml/solutions in {REPO})")
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


def build_zip(
    assignment_name: str,
    out: Path,
    wheels: bool = True,
    pythons: tuple[str, ...] = DEFAULT_PYTHONS,
    hidden_visibility: str = "after_published",
    variants: dict[str, dict] | None = None,
) -> tuple[Path, list[str]]:
    """Write Gradescope's autograder zip to ``out``; returns it and notes (e.g. wheels that could not be had)."""
    from . import assignments

    assignments.get(assignment_name)  # an unknown assignment fails here, not on Gradescope
    if hidden_visibility not in VISIBILITIES:
        raise BuildError(f"hidden visibility must be one of {', '.join(VISIBILITIES)}")
    dist, version = _distribution()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as tmp:
        stage = Path(tmp)
        (stage / "wheels").mkdir()
        wheel = build_wheel(stage / "wheels")
        if wheels:
            notes += download_dependencies(requirements_of(wheel), stage / "wheels", pythons)
        config = {
            "assignment": assignment_name,
            "hidden_visibility": hidden_visibility,
            "package": f"{dist} {version}",
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "variants": bool(variants),
        }
        (stage / "gradescope.json").write_text(json.dumps(config, indent=1) + "\n")
        if variants:
            (stage / "variants.json").write_text(json.dumps(variants, indent=1, ensure_ascii=False) + "\n")
        (stage / "setup.sh").write_text(SETUP_SH.replace("__DIST__", dist.replace("-", "_")))
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


def _student_numbers(root: Path, config: dict) -> tuple[dict | None, str, str]:
    """The submitter's variant numbers from ``variants.json`` (by sid, then email, then Gradescope user id)."""
    if not config.get("variants"):
        return None, "", ""
    table = json.loads((root / "source" / "variants.json").read_text(encoding="utf-8"))
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


def run(root: Path, config: dict) -> dict:
    """Grade ``root/submission``, write ``root/results/results.json``; returns the document. Whatever happens,
    a results.json is written (Gradescope shows nothing useful without one); details go to stdout, which
    only the course staff see."""
    from . import assignments
    from .batch import canary, grade_path, new_seed, write_atomic
    from .grading import InternalError, ReferenceExpectations
    from .variants import VariantExpectations, specialize

    start = time.monotonic()
    visibility = config.get("hidden_visibility", "after_published")
    log: list[str] = []
    try:
        assignment = assignments.get(config["assignment"])
        numbers, student, note = _student_numbers(root, config)
        shared = ReferenceExpectations(assignment, new_seed())
        canary(assignment, shared)
        mine = specialize(assignment, numbers)
        expectations = VariantExpectations(shared, mine) if numbers else shared
        result = grade_path(root / "submission", mine, expectations)
        doc = results_document(result, visibility, note)
        log.append(f"graded {result.submission}: {result.score:g} / {result.max_score:g} (seed {result.seed})")
        log.append(f"numbers: the variant of student {student}" if student else "numbers: the assignment's default")
        log += [f"  {c.id}: {c.points:g}/{c.max_points:g} {c.message}" for c in result.checks if not c.passed]
    except Exception as exc:  # the canary failed (InternalError) or a grader bug: no grade, say so
        kind = "the reference failed its own checks" if isinstance(exc, InternalError) else "a grader error"
        log += [f"internal error ({kind}): {exc}", traceback.format_exc()]
        doc = {
            "score": 0,
            "output": "The autograder could not grade this submission (an error of the autograder, not of your "
            "code); your course staff will regrade it.",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [],
        }
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
    config = json.loads(Path(args.config or root / "source" / "gradescope.json").read_text(encoding="utf-8"))
    import autograder

    print(f"{config.get('package', 'autograder')} from {Path(autograder.__file__).parent}")
    run(root, config)
    return 0


def cli_build(args: argparse.Namespace) -> int:
    """``autograder gradescope ASSIGNMENT --out autograder.zip [--roster R] [--no-wheels] [--python V]``."""
    variants = None
    try:
        if args.roster:
            from .variants import load_secret, read_roster, variants_table

            variants = variants_table(args.assignment, read_roster(Path(args.roster)), load_secret(args.secret_file))
        pythons = tuple(args.python_version or DEFAULT_PYTHONS)
        out, notes = build_zip(
            args.assignment, Path(args.out), not args.no_wheels, pythons, args.hidden_visibility, variants
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
