"""Per-student variants: each student's own numbers where the homework has numbers, drawn from a course
secret and the student id, reproducible, and never revealing the secret.

- **The secret** lives on the instructor's side only: ``AUTOGRADER_SECRET`` (the secret itself) in the
  environment, else the file ``AUTOGRADER_SECRET_FILE`` names, else ``.autograder-secret`` in the current
  (course) directory. ``autograder release --roster`` creates that file (mode 0600) when there is none;
  nothing else ever creates one, and no bundle or zip ever holds it.
- **A student's variant** is HMAC-SHA256(secret, ``"assignment|student"``): its first 16 bytes seed the
  student's numbers (the assignment's :class:`VariantSpec` draws them), the next
  4 the seed of the student's public-check inputs. The same secret and id always give the same variant.
- **What an assignment varies** is declared beside its checks (a :class:`VariantSpec`, the ``variants`` of
  the assignment's :class:`~autograder.checks.Assignment`): how to draw the numbers, the cases of the checks
  that use them, how the student's stubs show them, what the numbers are (for the README) and the
  reference's answer on them (for ``autograder variant``). :func:`specialize` gives the assignment as one
  student's grading sees it; every other check is shared by the class (and its expected values computed once).
- **Grading with a roster** maps each submission to a student by its name (the folder or zip name): the
  roster id itself, or the id followed by ``_``, ``-``, ``.`` or a space and anything (``s001_hw1.zip``).
  A submission that matches no student (or more than one) is not graded: its result says so.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .checks import Assignment, Case

SECRET_ENV = "AUTOGRADER_SECRET"
SECRET_FILE_ENV = "AUTOGRADER_SECRET_FILE"
SECRET_FILE = ".autograder-secret"
MIN_SECRET = 16
ID_COLUMNS = ("student_id", "student", "id", "sid", "username", "login", "email")


class VariantError(ValueError):
    """A problem with the secret, the roster or a student id, explained in one line for the instructor."""


@dataclass(frozen=True)
class VariantSpec:
    """What one assignment varies per student (declared beside its checks, as the assignment's ``variants``).

    draw       rng -> the student's numbers, JSON-able, by problem key (``{"p1": {...}}``)
    cases      check id -> (numbers -> that check's cases): the checks graded on the student's numbers
    stubs      stub file name -> (stub text, numbers) -> the stub showing the student's numbers
    answer     (numbers, reference) -> the reference's answer on them, JSON-able, by name (``autograder
               variant`` prints it); ``reference(module)`` gives one of the assignment's reference modules
    shows      what the student's own numbers are, in words, for the bundle's README
    """

    draw: Callable[[np.random.Generator], dict]
    cases: Mapping[str, Callable[[dict], tuple[Case, ...]]]
    stubs: Mapping[str, Callable[[str, dict], str]]
    answer: Callable[[dict, Callable[[str], Any]], dict] | None = None
    shows: str = "the homework's own numbers"


@dataclass(frozen=True)
class Variant:
    """One student's variant of one assignment."""

    assignment: str
    student: str
    numbers: dict
    public_seed: int

    def stub(self, filename: str, text: str) -> str:
        edit = spec_of(self.assignment).stubs.get(filename) if spec_of(self.assignment) else None
        return edit(text, self.numbers) if edit else text

    @property
    def readme_note(self) -> str:
        """The bundle README's paragraph saying whose copy it is."""
        spec = spec_of(self.assignment)
        shows = spec.shows if spec else "the homework's own numbers"
        return (
            f"\nThis copy of {self.assignment} is for student `{self.student}`: its numbers ({shows}, the public\n"
            "checks' inputs) are yours, and your grade is computed with them. Work with your own copy.\n"
        )


# -- the secret ---------------------------------------------------------------------------------------------


def secret_path(path: str | Path | None = None) -> Path:
    if path:
        return Path(path)
    return Path(os.environ.get(SECRET_FILE_ENV) or SECRET_FILE)


def _secret_from_env(path: str | Path | None) -> str | None:
    """``AUTOGRADER_SECRET``, which counts only when no secret file is named explicitly."""
    return None if path else os.environ.get(SECRET_ENV) or None


def load_secret(path: str | Path | None = None, create: bool = False) -> bytes:
    """The course secret (see the module's docstring for where it lives). With ``create``, a fresh one is
    written to the secret file when there is none; otherwise a missing secret is an error."""
    value = _secret_from_env(path)
    if value:
        if len(value.strip()) < MIN_SECRET:
            raise VariantError(f"{SECRET_ENV} is shorter than {MIN_SECRET} characters")
        return value.strip().encode()
    file = secret_path(path)
    if file.is_file():
        text = file.read_text(encoding="utf-8").strip()
        if len(text) < MIN_SECRET:
            raise VariantError(f"the course secret in {file} is shorter than {MIN_SECRET} characters")
        return text.encode()
    if not create:
        raise VariantError(
            f"no course secret: set {SECRET_ENV}, or run from the course directory that holds {SECRET_FILE} "
            f"(or give --secret-file); `autograder release --roster` creates one"
        )
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    token = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token.encode()


# -- variants -----------------------------------------------------------------------------------------------


def spec_of(assignment: str) -> VariantSpec | None:
    """The assignment's variants declaration, or None when it has no numbers to vary."""
    from . import assignments

    try:
        return assignments.get(assignment).variants
    except KeyError as exc:
        raise VariantError(exc.args[0]) from None


def normalize_id(student: str) -> str:
    student = str(student).strip()
    if not student or len(student) > 200 or any(ord(c) < 32 for c in student):
        raise VariantError(f"not a usable student id: {student!r}")
    return student


def variant(assignment: str, student: str, secret: bytes) -> Variant:
    """A student's variant: reproducible from the secret and the id, unpredictable without the secret."""
    student = normalize_id(student)
    digest = hmac.new(secret, f"{assignment}|{student}".encode(), hashlib.sha256).digest()
    spec = spec_of(assignment)
    numbers = spec.draw(np.random.default_rng(int.from_bytes(digest[:16], "big"))) if spec else {}
    return Variant(assignment, student, numbers, int.from_bytes(digest[16:20], "big") >> 1)


def specialize(assignment: Assignment, numbers: dict | None) -> Assignment:
    """The assignment as a student with these numbers is graded: the variant checks' cases replaced."""
    spec = assignment.variants
    if spec is None or not numbers:
        return assignment
    checks = tuple(
        dataclasses.replace(c, cases=spec.cases[c.id](numbers)) if c.id in spec.cases else c for c in assignment.checks
    )
    return dataclasses.replace(assignment, checks=checks)


def variant_check_ids(assignment: str) -> frozenset[str]:
    spec = spec_of(assignment)
    return frozenset(spec.cases) if spec else frozenset()


class VariantExpectations:
    """Expected values for one student: the variant checks from the student's numbers, every other check
    from the class's shared :class:`~autograder.grading.ReferenceExpectations` (computed once)."""

    def __init__(self, shared: Any, assignment: Assignment):
        from .grading import ReferenceExpectations

        self.seed = shared.seed
        self.shared = shared
        self.own = ReferenceExpectations(assignment, shared.seed)
        self.ids = variant_check_ids(assignment.name)

    def cases(self, check: Any) -> list:
        return (self.own if check.id in self.ids else self.shared).cases(check)


def describe(v: Variant) -> dict:
    """What ``autograder variant`` prints: the numbers, the public seed and the reference's answer on the
    student's numbers (what a by-hand solution should find), as the assignment's variants declare it."""
    out: dict = {"assignment": v.assignment, "student": v.student, "public_seed": v.public_seed, **v.numbers}
    spec = spec_of(v.assignment)
    if spec is not None and spec.answer is not None and v.numbers:
        from . import assignments
        from .reference import reference_module

        package = assignments.get(v.assignment).solutions_package
        out.update(spec.answer(v.numbers, lambda module: reference_module(package, module)))
    return out


# -- rosters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    students: tuple[str, ...]
    names: Mapping[str, str]

    def match(self, submission: str) -> str | None:
        """The student a submission name belongs to (see the module's docstring), or None."""
        if submission in self.names:
            return submission
        lowered = {s.lower(): s for s in self.students}
        if submission.lower() in lowered:
            return lowered[submission.lower()]
        hits = [s for s in self.students if re.match(re.escape(s.lower()) + r"[_\-. ]", submission.lower())]
        longest = max((len(s) for s in hits), default=0)
        hits = [s for s in hits if len(s) == longest]
        return hits[0] if len(hits) == 1 else None


def read_roster(path: Path) -> Roster:
    """A CSV with a header row; the student id is the first column named student_id, student, id, sid,
    username, login or email (in that order of preference, case and spaces ignored); a ``name`` column
    (or first/last name columns) is kept for the bundles' README."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise VariantError(f"cannot read the roster {path}: {exc}") from exc
    if not rows:
        raise VariantError(f"the roster {path} is empty")
    header = [re.sub(r"[\s-]+", "_", h.strip().lower()) for h in rows[0]]
    column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    if column is None:
        raise VariantError(f"the roster {path} needs a header with a student id column ({', '.join(ID_COLUMNS)})")
    name_cols = [header.index(c) for c in ("name", "first_name", "last_name") if c in header]
    students, names = [], {}
    for number, row in enumerate(rows[1:], 2):
        if len(row) <= column or not row[column].strip():
            continue
        student = normalize_id(row[column])
        if student in names:
            raise VariantError(f"{path}:{number}: student {student!r} appears twice")
        students.append(student)
        names[student] = " ".join(row[i].strip() for i in name_cols if i < len(row) and row[i].strip())
    if not students:
        raise VariantError(f"the roster {path} lists no student")
    return Roster(tuple(students), names)


def folder_name(student: str) -> str:
    """A folder name for a student's bundle (ids are usually already safe)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in student).lstrip(".")
    return safe or "student"


def release_roster(assignment_name: str, roster: Roster, out: Path, secret: bytes) -> dict[str, Path]:
    """One student bundle per student, ``OUT/<student>/``, each with that student's numbers only."""
    from . import assignments
    from .release import write_bundle

    assignment = assignments.get(assignment_name)
    folders = {s: out / folder_name(s) for s in roster.students}
    if len({f.name.lower() for f in folders.values()}) != len(folders):
        raise VariantError("two student ids give the same folder name; make the ids distinct")
    token = secret.decode()
    for student, folder in folders.items():
        v = variant(assignment_name, student, secret)
        write_bundle(specialize(assignment, v.numbers), folder, variant=v)
        for path in folder.rglob("*"):  # belt and braces: the secret never leaves the instructor's side
            if path.is_file() and token.encode() in path.read_bytes():
                raise VariantError(f"refusing to release: {path} holds the course secret")
    return folders


# -- grading with a roster ----------------------------------------------------------------------------------


def roster_lookup(assignment_name: str, roster: Roster, secret: bytes) -> Callable[[str], tuple[str, dict] | None]:
    """For :func:`autograder.batch.grade_many`'s ``variants``: a submission's name -> (student, numbers),
    or None when it matches no student of the roster (or several), which then is not graded and says so."""

    def variant_of(name: str) -> tuple[str, dict] | None:
        student = roster.match(name)
        return None if student is None else (student, variant(assignment_name, student, secret).numbers)

    return variant_of


def variants_table(assignment_name: str, roster: Roster, secret: bytes) -> dict[str, dict]:
    """student id -> numbers: what a Gradescope zip carries to grade each student on their variant (the
    numbers only, never the secret)."""
    return {s: variant(assignment_name, s, secret).numbers for s in roster.students}


def to_json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False)


# -- the command line (``autograder release --roster``, ``autograder variant``) -----------------------------


def cli_release(args: Any) -> int:
    """``autograder release ASSIGNMENT --roster roster.csv --out DIR``: one bundle per student."""
    import sys

    if not args.out or args.in_place:
        print("--roster needs --out DIR (one bundle per student under it) and no --in-place", file=sys.stderr)
        return 2
    try:
        roster = read_roster(Path(args.roster))
        existed = _secret_from_env(args.secret_file) is not None or secret_path(args.secret_file).is_file()
        secret = load_secret(args.secret_file, create=True)
        if not existed:
            print(
                f"created the course secret {secret_path(args.secret_file)}: keep it (and a backup) on the "
                "instructors' side; grading with --roster needs it, and never share it",
                file=sys.stderr,
            )
        folders = release_roster(args.assignment, roster, Path(args.out), secret)
    except VariantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(folders)} student bundles written under {args.out} (one folder per student, own numbers each)")
    return 0


def cli_variant(args: Any) -> int:
    """``autograder variant ASSIGNMENT --student ID``: the student's numbers (and the reference's answer)."""
    import sys

    try:
        v = variant(args.assignment, args.student, load_secret(args.secret_file))
    except VariantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = describe(v)
    if args.json:
        print(to_json(data))
        return 0
    print(f"{v.assignment}, student {v.student} (public checks' seed {v.public_seed})")
    for problem, numbers in v.numbers.items():
        print(f"  {problem}: " + ", ".join(f"{k} = {val}" for k, val in numbers.items()))
    shown = {"assignment", "student", "public_seed", *v.numbers}
    for name, answer in data.items():  # the reference's answer on the student's numbers
        if name not in shown:
            values = answer.items() if isinstance(answer, dict) else [("", answer)]
            print(f"  {name}: " + ", ".join(f"{k} = {val}" if k else f"{val}" for k, val in values))
    return 0
