"""Find a student's files: a folder (the files may sit one or two folders down), a zip, or a class folder.

Zips are never extracted as they are: only ``.py`` members are read, by their base name, size-capped, with
symlinks and absolute or ``..`` paths ignored, into a fresh folder. Symbolic links are refused everywhere
(``unzip`` of an LMS download recreates them): a linked ``.py`` file or folder inside a submission is
skipped with a note, and a submission that is itself a link (a class folder's entry, or the path given) is
not graded, with a note, instead of being followed or left out.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .checks import Assignment

MAX_DEPTH = 3
MAX_MEMBER_BYTES = 1_000_000
MAX_MEMBERS = 200
SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


@dataclass
class Submission:
    """One student's hand-in: a name (the folder or zip name) and the Python files found in it."""

    name: str
    source: Path
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _python_files(root: Path, notes: list[str] | None = None) -> dict[str, Path]:
    """Every ``.py`` file under ``root`` (to MAX_DEPTH), by base name, the shallowest one winning; symbolic
    links are never followed (a note in ``notes`` says which ``.py`` links were left out)."""
    found: dict[str, tuple[int, Path]] = {}
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            if entry.is_symlink():
                if notes is not None and entry.suffix == ".py":
                    notes.append(f"{entry.name}: skipped (a symbolic link; hand in the file itself)")
                elif notes is not None and entry.is_dir():
                    notes.append(f"{entry.name}/: skipped (a symbolic link to a folder; hand in the files themselves)")
                continue
            if entry.is_dir() and depth < MAX_DEPTH:
                stack.append((entry, depth + 1))
            elif entry.suffix == ".py" and entry.is_file():
                if entry.name not in found or found[entry.name][0] > depth:
                    found[entry.name] = (depth, entry)
    return {name: path for name, (_, path) in found.items()}


def extract_zip(path: Path, dest: Path) -> list[str]:
    """Copy the zip's ``.py`` members into ``dest`` by base name; returns notes on what was left out."""
    notes: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path.name} is not a readable zip file ({exc})"]
    chosen: dict[str, zipfile.ZipInfo] = {}
    with archive:
        members = archive.infolist()
        if len(members) > 10 * MAX_MEMBERS:
            return [f"{path.name} has {len(members)} entries; the grader reads at most {10 * MAX_MEMBERS}"]
        for info in members:
            name = info.filename.replace("\\", "/")
            base = name.rsplit("/", 1)[-1]
            parts = name.split("/")
            if info.is_dir() or not base.endswith(".py") or any(p in SKIP_DIRS or p.startswith(".") for p in parts):
                continue
            if name.startswith("/") or ".." in parts or stat.S_ISLNK(info.external_attr >> 16):
                notes.append(f"{name}: skipped (unsafe path or link)")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                notes.append(f"{name}: skipped (larger than {MAX_MEMBER_BYTES} bytes)")
                continue
            if base not in chosen or chosen[base].filename.count("/") > name.count("/"):
                chosen[base] = info
        for base, info in list(chosen.items())[:MAX_MEMBERS]:
            try:
                data = archive.open(info).read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                notes.append(f"{info.filename}: could not be read ({exc})")
                continue
            (dest / base).write_bytes(data[:MAX_MEMBER_BYTES])
    return notes


def load(path: Path, workdir: Path | None = None) -> Submission:
    """One submission from a folder or a zip (extracted into ``workdir`` or a temporary folder)."""
    path = Path(path)
    name = path.stem if path.suffix == ".zip" else path.name
    if path.is_symlink():
        return Submission(name, path, {}, [f"{path.name} is a symbolic link: refused (hand in the files themselves)"])
    if path.is_file() and path.suffix == ".zip":
        dest = Path(tempfile.mkdtemp(prefix="autograder-zip-", dir=workdir))
        notes = extract_zip(path, dest)
        return Submission(name, path, _python_files(dest), notes)
    if path.is_file() and path.suffix == ".py":
        return Submission(path.parent.name, path, {path.name: path})
    notes: list[str] = []
    return Submission(name, path, _python_files(path, notes), notes)


def is_single(path: Path, assignment: Assignment) -> bool:
    """One submission: a file, a folder holding a problem file, or a folder whose problem files all sit under
    one subfolder (a hand-in nested in folders). A folder with several subfolders holding problem files (at
    any depth up to three levels: ``bob/a/b/*.py`` is bob's), or with zips, is a class."""
    path = Path(path)
    if path.is_file():
        return True
    modules = {f"{p.module}.py" for p in assignment.problems}
    if any(f.name in modules for f in path.glob("*.py")):
        return True
    if any(path.glob("*.zip")):
        return False
    nested = (f for pattern in ("*/*.py", "*/*/*.py", "*/*/*/*.py") for f in path.glob(pattern))
    holders = {f.relative_to(path).parts[0] for f in nested if f.name in modules}
    return len(holders) == 1


def discover(paths: list[Path], assignment: Assignment) -> list[Path]:
    """Expand the command line: single submissions stay, a class folder gives one entry per student."""
    out: list[Path] = []
    for path in map(Path, paths):
        if is_single(path, assignment):
            out.append(path)
            continue
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name in SKIP_DIRS:
                continue
            if child.is_dir() or child.suffix == ".zip":  # a link to either too: load() refuses it, with a note
                out.append(child)
    return out


def missing_modules(sub: Submission, assignment: Assignment) -> list[str]:
    return [f"{p.module}.py" for p in assignment.problems if f"{p.module}.py" not in sub.files]
