"""The ``autograder`` command: check (students), grade, release and demo (instructors)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "submissions"
#: What ``demo`` says where the samples are not installed: ``pip install .`` ships neither the samples nor the
#: reference solutions they are graded against (students install the same wheel).
DEMO_NEEDS_CHECKOUT = (
    "no sample submissions at {}: the demo grades the samples of a clone of the repository against its reference "
    "solutions, which `pip install .` does not install; run it in a clone after `pip install -e .`"
)


class UsageError(ValueError):
    """A command line the CLI cannot act on, said in one line."""


def one_of(found: list[str], what: str) -> str:
    """The one assignment in ``found``, else a :class:`UsageError` saying which to choose from."""
    found = sorted(set(found))
    if len(found) == 1:
        return found[0]
    from .assignments import names

    if not found and not names():
        from .assignments import NONE_HERE

        raise UsageError(NONE_HERE)
    known = ", ".join(found or names())
    raise UsageError(f"{'several' if found else 'no'} assignments {what}: give one ({known})")


def _public_folders(root: Path) -> list[Path]:
    """Released assignment folders (holding public_checks.json) at ``root``, ``root/*`` and ``root/assignments/*``."""
    candidates = [root, *sorted(root.glob("*")), *sorted((root / "assignments").glob("*"))]
    return [c for c in candidates if (c / "public_checks.json").is_file()]


def _data_name(folder: Path) -> str:
    return str(json.loads((folder / "public_checks.json").read_text()).get("assignment", ""))


def _installed_data(name: str | None) -> list[Path]:
    """Public data folders of the installed package of released stubs (``assignments``), when present."""
    try:
        import assignments  # the installed package of released stubs, when present
    except ImportError:
        return []
    folders = _public_folders(Path(assignments.__file__).parent)
    return [f for f in folders if name is None or f.name == name]


def check_target(target: str | None, assignment: str | None) -> tuple[str, Path, Path]:
    """``autograder check [TARGET]``: the assignment's name, the student's folder and the public data's folder.

    TARGET is a folder of the student's files, or an assignment's name (its folder ./assignments/NAME or
    ./NAME). Without a name (TARGET or ``--assignment``) it is the one assignment the folder (or, failing
    that, the current folder or the installed package) has public data for."""
    if target and not Path(target).is_dir():
        if Path(target).exists() or not _known_name(target):
            raise UsageError(f"no such folder: {target} (give a folder of your files, or an assignment's name)")
        assignment, target = assignment or target, None
    if target:
        folder = Path(target)
        assignment = _folder_assignment(folder, assignment)
    elif assignment:
        folder = next((c for c in (Path("assignments") / assignment, Path(assignment)) if c.is_dir()), Path("."))
    else:
        here = _public_folders(Path("."))
        assignment = one_of([_data_name(f) for f in here] or [_data_name(f) for f in _installed_data(None)], "here")
        folder = next((f for f in here if _data_name(f) == assignment), Path("."))
    data = [folder] if (folder / "public_checks.json").is_file() else []
    assignment = assignment or one_of([_data_name(f) for f in data or _installed_data(None)], f"in {folder}")
    data = data or _installed_data(assignment)
    if not data or _data_name(data[0]) != assignment:
        raise UsageError(f"no public checks found for {assignment} (public_checks.json beside the stubs in {folder})")
    return assignment, folder, data[0]


def _known_name(name: str) -> bool:
    from .assignments import names

    return name in names()


def _modules(name: str) -> set[str]:
    from .assignments import get

    return {f"{q.module}.py" for q in get(name).problems}


def _holding(files: set[str], modules: Callable[[str], set[str]] = _modules) -> list[str]:
    """The assignments of which ``files`` (file names) include a problem's module (``modules``: an assignment's
    modules' file names)."""
    from .assignments import names

    return [n for n in names() if files & modules(n)]


def _quoted_files(name: str) -> set[str]:
    """The file names an assignment's declaration may give its modules, read from its source without importing
    it (:func:`autograder.assignments.source_hints`)."""
    from .assignments import source_hints

    hints = source_hints(name)
    return {f"{word}.py" for word in hints[0]} if hints else set()


def _folder_assignment(folder: Path, given: str | None) -> str | None:
    """The assignment a folder of a student's files is for: ``given`` when its files are that assignment's,
    else the one assignment whose files it holds. A folder with public data and no files of its own is left
    to the public data to name; one with neither, or with another assignment's files, is a user error."""
    from .assignments import names

    files = {f.name for f in folder.glob("*.py")}
    found = _holding(files)
    if given:
        if files and found and given not in found:
            raise UsageError(f"{folder} holds {', '.join(found)}'s files, not {given}'s: check {found[0]} there")
        return given
    if not found and not (folder / "public_checks.json").is_file():
        expected = "; ".join(f"{n}: {', '.join(sorted(_modules(n)))}" for n in names())
        raise UsageError(f"no assignment's files in {folder} (the stubs' file names: {expected})")
    return found[0] if len(found) == 1 else None


def _grade_paths(paths: list[str]) -> None:
    """Every path to grade exists and holds something to grade (a .py file, a zip or a notebook)."""
    for path in map(Path, paths):
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_dir() and not any(any(path.rglob(pattern)) for pattern in ("*.py", "*.zip", "*.ipynb")):
            raise UsageError(f"{path} holds no submission (no .py files or zips in it or its subfolders)")


def leading_assignment(given: str | None, words: list[str]) -> str | None:
    """The assignment named as the first positional word (``autograder grade hw2 submissions/``, as
    ``release hw2`` and ``nbgrader autograde hw2``), taken off ``words``; else ``given`` (``--assignment``,
    kept as an alias). A word that is an existing path stays a submission."""
    from .assignments import names

    if not words or words[0] not in names() or Path(words[0]).exists():
        return given
    named = words.pop(0)
    if given and given != named:
        raise UsageError(f"two assignments given: {named} and --assignment {given}")
    return named


def graded_assignment(given: str | None, paths: list[str], modules: Callable[[str], set[str]] = _modules) -> str:
    """The assignment to grade: ``--assignment``, else the one known assignment, else the one whose problem
    files the submissions hold (a folder's ``*.py`` up to two levels down; ``modules`` as for :func:`_holding`)."""
    from .assignments import names

    if given:
        return given
    if len(names()) <= 1:
        return one_of(names(), "known")
    files = {
        f.name
        for p in map(Path, paths)
        if p.is_dir()
        for f in [*p.glob("*.py"), *p.glob("*/*.py"), *p.glob("*/*/*.py")]
    }
    return one_of(_holding(files, modules), "match these submissions")


def _guessed_preload(given: str | None, paths: list[str]) -> tuple[str, ...] | None:
    """The zygote's preload for grading ``paths``, guessed from the declarations' source text before any is
    imported (that takes SymPy's import): the assignment :func:`graded_assignment` would find were the quoted
    words of each declaration its modules, and the modules its problems preload. None where that finds no
    single assignment. Only a head start for the zygote: the declaration imported later settles the preload
    (:func:`autograder.sandbox.forkserver.start`), stopping a zygote started on a wrong guess."""
    from .assignments import source_hints

    try:
        hints = source_hints(graded_assignment(given, paths, _quoted_files))
    except UsageError:
        return None
    return hints[1] if hints else None


def cmd_check(args: argparse.Namespace) -> int:
    from . import report
    from .grading import grade_files
    from .public_data import PublicExpectations
    from .submission import load

    name, folder, data = check_target(args.path, args.assignment)
    expectations = PublicExpectations(data)
    assignment = expectations.assignment()
    problems = args.problem or None
    unknown = [p for p in problems or [] if p not in {q.key for q in assignment.problems}]
    if unknown:
        print(
            f"unknown problem {', '.join(unknown)}; {name} has {', '.join(p.key for p in assignment.problems)}",
            file=sys.stderr,
        )
        return 2
    sub = load(folder)
    result = grade_files(sub.files, assignment, expectations, name=str(folder), problems=problems)
    print(f"Public checks of {name} on {folder} (grading adds hidden checks and fresh inputs)\n")
    print(report.submission_table(result, verbose=True))
    unchecked = _without_public_check(assignment, expectations, data, problems)
    if unchecked:
        print("\nNo public check here (judged only when graded): " + "; ".join(unchecked))
    return 0 if result.score >= result.max_score - 1e-9 else 1


def _without_public_check(assignment, expectations, stubs: Path, problems: list[str] | None) -> list[str]:
    """The functions a student writes (those with a solution region in the released stubs) that no public
    check calls, as ``"p2: sigmoid_grad_expr, ..."`` per problem."""
    import ast

    from .release import BEGIN

    called = {step["fn"] for c in assignment.checks for case in expectations.cases(c) for step in case.steps}
    out = []
    for p in assignment.problems:
        path = stubs / f"{p.module}.py"
        if (problems and p.key not in problems) or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        written = [
            node.name
            for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef) and any(BEGIN in line for line in lines[node.lineno : node.end_lineno])
        ]
        missing = [f for f in written if f not in called]
        if missing:
            out.append(f"{p.key}: {', '.join(missing)}")
    return out


def _required_layers(args: argparse.Namespace) -> list[str] | None:
    """``--require`` (with ``$AUTOGRADER_REQUIRE``): the layers grading insists on, or None after printing one
    line saying which is not in force here (or which name is unknown)."""
    from .sandbox.isolation import SandboxUnavailable, require

    try:
        return require(getattr(args, "require", None) or ())
    except (ValueError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_grade(args: argparse.Namespace) -> int:
    from .sandbox import forkserver

    args.assignment = leading_assignment(args.assignment, args.submissions)
    if args.submissions and not getattr(args, "nbgrader_course", None):  # first, before the heavy imports: the
        forkserver.start(_guessed_preload(args.assignment, args.submissions), guess=True)  # zygote's overlap them
    from .assignments import get
    from .sandbox.isolation import SandboxUnavailable

    required = _required_layers(args)
    if required is None:
        return 2
    if getattr(args, "scheduler", None):  # Dask (an extra) is there and local:N well formed, before the canary
        from .distributed import DaskUnavailable, check_scheduler

        try:
            check_scheduler(args.scheduler)
        except (DaskUnavailable, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if getattr(args, "device", None):  # the reference's device, for this process and the batch's workers
        from source_lib.backend import set_default_device

        set_default_device(args.device)
    if getattr(args, "nbgrader_course", None):  # an nbgrader course's notebooks, scores into its gradebook
        if getattr(args, "roster", None):
            print(
                "error: --roster does not apply to an nbgrader course (its notebooks carry the class's numbers)",
                file=sys.stderr,
            )
            return 2
        if getattr(args, "scheduler", None):
            print("error: --scheduler does not apply to an nbgrader course (give --jobs)", file=sys.stderr)
            return 2
        from .nbgrader_course import cli_grade

        return cli_grade(args)
    if not args.submissions:
        print("give the submissions to grade (or --nbgrader-course DIR)", file=sys.stderr)
        return 2
    _grade_paths(args.submissions)
    args.assignment = graded_assignment(args.assignment, args.submissions)
    assignment = get(args.assignment)
    forkserver.start(assignment.preload(assignment.checks))  # the preload settled, before the imports below
    from . import report
    from .batch import grade_many, progress_bar, stderr_log, write_atomic, write_missing_feedback
    from .grading import InternalError

    variants = None
    if getattr(args, "roster", None):  # each submission graded on its student's variant (autograder/variants.py)
        from .variants import VariantError, load_secret, read_roster, roster_lookup

        try:
            variants = roster_lookup(args.assignment, read_roster(Path(args.roster)), load_secret(args.secret_file))
        except VariantError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    out = Path(args.out) if args.out else None
    many = len(args.submissions) > 1 or not __import__("autograder.submission").submission.is_single(
        Path(args.submissions[0]), assignment
    )
    try:
        results = list(
            grade_many(
                [Path(p) for p in args.submissions],
                args.assignment,
                seed=args.seed,
                jobs=args.jobs,
                out=out,
                force=args.force,
                run_canary=not args.no_canary,
                progress=progress_bar if many else None,
                log=stderr_log,
                variants=variants,
                require=required,
                scheduler=getattr(args, "scheduler", None),
            )
        )
    except InternalError as exc:
        print(f"internal error: {exc}", file=sys.stderr)
        return 2
    except SandboxUnavailable as exc:  # a required layer failed in a child: stop, loudly
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results.sort(key=lambda r: r.submission)
    problems = [p.key for p in assignment.problems]
    if out is not None:
        write_atomic(out / "grades.csv", report.gradebook_csv(results, problems))
        write_missing_feedback(out, results)
        for r in results:
            write_atomic(
                out / "gradescope" / f"{Path(str(r.submission)).name}.json",
                json.dumps(report.gradescope_json(r), indent=1, ensure_ascii=False),
            )
    if args.format == "json":
        print(
            json.dumps([r.to_json() for r in results] if many else results[0].to_json(), indent=1, ensure_ascii=False)
        )
    elif args.format == "gradescope":
        docs = {str(r.submission): report.gradescope_json(r) for r in results}  # a class: keyed by submission
        print(json.dumps(docs if many else docs[str(results[0].submission)], indent=1, ensure_ascii=False))
    elif many:
        print(report.class_table(results, problems))
    else:
        print(report.submission_table(results[0]))
    if out is not None:
        written = "submissions/*.json, grades.csv, gradescope/*.json, feedback/*.html"
        print(f"\nresults written under {out} ({written})", file=sys.stderr)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from .assignments import get
    from .release import solution_files, write_assignment, write_bundle

    if getattr(args, "roster", None):  # one bundle per student, each with the student's own numbers
        from .variants import cli_release

        return cli_release(args)
    assignment = get(args.assignment)
    if args.in_place:
        folder = REPO / "assignments" / assignment.name
        written = write_assignment(assignment, folder)
        stubs = EXAMPLES / assignment.name / "stubs_only"
        stubs.mkdir(parents=True, exist_ok=True)
        for name in solution_files(assignment):  # the stubs only
            shutil.copyfile(folder / name, stubs / name)
        print(f"wrote {len(written)} files into {folder} and the stubs into {stubs}")
    if args.out:
        out = write_bundle(assignment, Path(args.out))
        print(f"student bundle written to {out}")
    if getattr(args, "nbgrader_course", None):  # the notebooks in nbgrader's source format (autograder/notebooks.py)
        from .notebooks import write_course_source

        written = write_course_source(assignment, Path(args.nbgrader_course))
        print(f"nbgrader source notebooks written to {written[0].parent}; next: nbgrader generate_assignment NAME")
    if not (args.out or args.in_place or getattr(args, "nbgrader_course", None)):
        print("nothing to do: give --out DIR, --in-place and/or --nbgrader-course DIR", file=sys.stderr)
        return 2
    return 0


def cmd_variant(args: argparse.Namespace) -> int:
    from .variants import cli_variant

    return cli_variant(args)


def cmd_gradescope(args: argparse.Namespace) -> int:
    from .gradescope import cli_build

    return cli_build(args)


def cmd_demo(args: argparse.Namespace) -> int:
    """Grade the sample submissions of one assignment (or, with none named, of every assignment that has
    samples) and print each class table."""
    from .assignments import names

    args.assignment = args.assignment or args.assignment_option
    if args.assignment:
        return _demo_one(args.assignment, args)
    samples = sorted(p.name for p in EXAMPLES.glob("*") if p.is_dir() and p.name in names())
    if not samples:
        print(DEMO_NEEDS_CHECKOUT.format(EXAMPLES), file=sys.stderr)
        return 2
    return max(_demo_one(name, args) for name in samples)


def _demo_one(name: str, args: argparse.Namespace) -> int:
    from . import report
    from .assignments import get
    from .batch import grade_many, progress_bar

    folder = EXAMPLES / name
    if not folder.is_dir():
        print(DEMO_NEEDS_CHECKOUT.format(folder), file=sys.stderr)
        return 2
    assignment = get(name)
    results = sorted(
        grade_many([folder], name, seed=args.seed, jobs=args.jobs, progress=progress_bar),
        key=lambda r: r.submission,
    )
    seed = results[0].seed if results else "-"
    print(f"\n{name}: the sample submissions in {folder.relative_to(REPO)} (seed {seed})\n")
    print(report.class_table(results, [p.key for p in assignment.problems]))
    return 0


SECRET_HELP = "the course secret's file (default $AUTOGRADER_SECRET, else ./.autograder-secret)"
REQUIRE_HELP = (
    "refuse to grade (one line, exit 2, nothing graded) unless these isolation layers are in force: limits, "
    "disk, uid, net, fs, pid, ipc, nnp, seccomp, all or none (adds to $AUTOGRADER_REQUIRE; `autograder doctor` "
    "lists them)"
)


def cmd_doctor(args: argparse.Namespace) -> int:
    from .sandbox.isolation import doctor, require

    try:
        require(args.require or (), check=False)  # the table marks them; a missing one makes the exit 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text, ok = doctor(run_probe=not args.no_probe)
    print(text)
    if os.environ.get("AUTOGRADER_ZYGOTE", "1") == "0":
        print("Children: started from scratch for every submission (AUTOGRADER_ZYGOTE=0)")
    else:
        print("Children: forked by a zygote that imported NumPy and SymPy once; each fork applies the layers above")
    return 0 if ok else 2


def _version() -> str:
    """The installed package's version (the checkout's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnopt-autograder")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked (``importlib.metadata`` takes tens of
    milliseconds, which every other command would pay at start)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs):
        kwargs.setdefault("help", "show the version and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Auto-graded exercises of the neural-network optimization course. Student code runs only in "
        "a sandboxed child process; every verdict is made by the grader.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "check",
        help="run the public checks on your own work (students)",
        description="Run the public checks on your files: a table per problem, a line per failure "
        "with the inputs, expected and got, and a hint. Exit status 1 if anything fails.",
    )
    p.add_argument(
        "path",
        nargs="?",
        help="folder with your files, or the assignment's name (its folder ./assignments/NAME or ./NAME); default: "
        "the one released assignment here",
    )
    p.add_argument("--assignment", help="assignment name (default: the one whose public checks are in the folder)")
    p.add_argument("--problem", action="append", help="only this problem, e.g. p4 (repeatable)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "grade",
        help="grade submissions with every check, public and hidden (instructors)",
        description="Grade one submission (a folder or a zip) or a class folder (one folder or zip per "
        "student). Runs the reference through the sandbox first as a canary. Hidden "
        "inputs come from a secret seed recorded in every result.",
    )
    p.add_argument(
        "submissions",
        nargs="*",
        help="[ASSIGNMENT] then submission folder(s) or zip(s), or a folder of them (with --nbgrader-course: student "
        "ids, default all); the assignment may come first, as for release (or as --assignment)",
    )
    p.add_argument(
        "--assignment",
        help="assignment name (default: the only one known, else the one whose files the submissions hold; with "
        "--nbgrader-course, the only one in its source/)",
    )
    p.add_argument(
        "--out",
        help="write submissions/NAME.json, grades.csv, gradescope/NAME.json and feedback/NAME.html here; "
        "an interrupted batch resumes from it",
    )
    p.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster instead of --jobs: a dask.distributed scheduler's address (tcp://host:8786; "
        "dask-jobqueue on Slurm, dask-kubernetes) or local:N, a LocalCluster of N single-threaded workers here. "
        "Each worker grades in its own sandbox with its own solutions/ (a checkout or $AUTOGRADER_SOLUTIONS); "
        "the submissions' files are sent as bytes (no shared filesystem needed); this process writes --out. "
        "Needs pip install 'nnopt-autograder[dask]'",
    )
    p.add_argument("--format", choices=("table", "json", "gradescope"), default="table", help="what to print")
    p.add_argument("--seed", type=int, help="reproduce a grading: the seed of an earlier result")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded in --out")
    p.add_argument("--no-canary", action="store_true", help="skip grading the reference first (not advised)")
    p.add_argument(
        "--nbgrader-course",
        metavar="DIR",
        help="grade the nbgrader course's submitted/STUDENT/ASSIGNMENT notebooks (no kernel runs) and record the "
        "scores in its gradebook; the seed is the course's (DIR/autograder.json) unless --seed",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        help="where the reference computes expected values: cpu (NumPy, default), cuda (CuPy; falls back to the "
        "CPU with a one-line note when no GPU is usable) or auto; default $AUTOGRADER_DEVICE, else cpu",
    )
    p.add_argument(
        "--roster",
        help="roster CSV: grade each submission on its student's variant (the submission's folder or zip name "
        "is the student id, or starts with it followed by _ - . or a space)",
    )
    p.add_argument("--secret-file", help=SECRET_HELP)
    p.add_argument("--require", metavar="LAYER[,LAYER]", help=REQUIRE_HELP)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser(
        "release",
        help="make the student version of an assignment (instructors)",
        description="Stubs from the reference solutions, public checks' expected values as data, a "
        "student README and the engine, with no solution code and no hidden check.",
    )
    p.add_argument("assignment", help="assignment name, e.g. hw1")
    p.add_argument("--out", help="write the student bundle into this folder")
    p.add_argument(
        "--nbgrader-course",
        metavar="DIR",
        help="write one notebook per problem in nbgrader's source format into DIR/source/NAME/ (with the public data)",
    )
    p.add_argument(
        "--in-place", action="store_true", help="regenerate the repository's assignments/NAME and examples' stubs_only"
    )
    p.add_argument(
        "--roster",
        help="roster CSV (a student_id, id, sid or email column): one bundle per student under --out, each with "
        "the student's own numbers, drawn from the course secret (created if missing)",
    )
    p.add_argument("--secret-file", help=SECRET_HELP)
    p.set_defaults(func=cmd_release)

    p = sub.add_parser(
        "variant",
        help="print a student's own numbers and the reference's answer on them (instructors)",
        description="A student's variant: the numbers drawn for them from the course secret and their id.",
    )
    p.add_argument("assignment", help="assignment name, e.g. hw1")
    p.add_argument("--student", required=True, help="the student's id, as in the roster")
    p.add_argument("--secret-file", help=SECRET_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_variant)

    p = sub.add_parser(
        "gradescope",
        help="build a Gradescope autograder zip (instructors)",
        description="setup.sh, run_autograder and this package (a wheel, with its dependencies' wheels for an "
        "offline install): run_autograder grades /autograder/submission with the sandbox and writes "
        "/autograder/results/results.json.",
    )
    p.add_argument("assignment", help="assignment name, e.g. hw1")
    p.add_argument(
        "--out",
        default="autograder.zip",
        help="the zip to write (default autograder.zip), or a folder to write ASSIGNMENT-autograder.zip into",
    )
    p.add_argument("--roster", help="roster CSV: grade each student on their variant (by Gradescope sid or email)")
    p.add_argument("--secret-file", help=SECRET_HELP)
    p.add_argument("--no-wheels", action="store_true", help="leave the dependencies out (setup.sh installs from PyPI)")
    p.add_argument(
        "--python-version",
        action="append",
        help="Python of the Gradescope image to bundle dependency wheels for (repeatable; default 3.10, as on "
        "Ubuntu 22.04 images; 3.12 for 24.04)",
    )
    p.add_argument(
        "--hidden-visibility",
        default="after_published",
        choices=("hidden", "after_due_date", "after_published", "visible"),
        help="when students see the hidden checks' results (default after_published)",
    )
    p.add_argument(
        "--require",
        metavar="LAYER[,LAYER]",
        default="uid",
        help="isolation layers run_autograder refuses to grade without (default uid: student code never runs as "
        "root or as the grader's uid; `none` to allow it)",
    )
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("demo", help="grade the shipped sample submissions and print the class table")
    p.add_argument("assignment", nargs="?", help="assignment name (default: every assignment with samples)")
    p.add_argument("--assignment", dest="assignment_option", metavar="ASSIGNMENT", help="the same, as an option")
    p.add_argument("--jobs", type=int, default=1, help="samples graded in parallel (default 1)")
    p.add_argument("--seed", type=int, help="grade with this seed (default: a fresh secret one)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "doctor",
        help="list the sandbox's isolation layers in force on this machine",
        description="Detect each isolation layer of the sandbox (resource limits, dedicated uid, network, "
        "filesystem view, process cleanup, IPC/UTS, privileges, seccomp), say which are in force and why "
        "the others are not, then check them in a real sandbox child.",
    )
    p.add_argument("--no-probe", action="store_true", help="only detect the layers; start no probe child")
    p.add_argument("--require", metavar="LAYER[,LAYER]", help="exit 2 unless these layers are in force here")
    p.set_defaults(func=cmd_doctor)
    for name in ("grade", "release", "variant", "gradescope"):  # they read the reference (autograder/reference.py)
        sub.choices[name].add_argument(
            "--solutions",
            metavar="DIR",
            help="the reference solutions' folder (holding hwN/; never installed with the package): default "
            "$AUTOGRADER_SOLUTIONS, else ./solutions, else the checkout beside the package",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` and return its exit status. Without ``argv`` it is the ``autograder``
    command itself (``sys.argv``, as the console script and ``python -m autograder`` call it): the process
    then ends as soon as the command is done (:func:`end`)."""
    code = run(argv)
    if argv is None:
        end(code)
    return code


def end(code: int) -> NoReturn:
    """End this process with ``code`` once a command is done, as Python's exit does: its other threads told to
    stop and joined, its exit handlers run (the zygote, the symbolic workers, the runtime folder and the scratch
    mounts go), stdout and stderr flushed (a failure to is exit status 120, as Python's own); then
    ``os._exit``, without Python's teardown of the interpreter: its collections over the grader's heap (SymPy's
    caches, the expected values) took 0.2 to 0.4 s of a cold ``grade ONE``, and it has nothing left to clean
    that the exit handlers do not."""
    import atexit
    import threading

    threading._shutdown()  # as the interpreter's exit: the threads' exit hooks (executors), then a join of each
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120
    os._exit(code)


def run(argv: list[str] | None = None) -> int:
    """The command line ``argv`` (None: ``sys.argv[1:]``), run in this process: its exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "solutions", None):  # through the environment: pool workers and notebook graders see it too
        from .reference import ENV

        os.environ[ENV] = str(Path(args.solutions).resolve())
    try:
        return args.func(args)
    except Exception as exc:
        from .assignments import UnknownAssignment
        from .reference import ReferenceNotFound

        if not isinstance(exc, (ReferenceNotFound, UnknownAssignment, UsageError)):
            if os.environ.get("AUTOGRADER_DEBUG"):
                raise
            print(internal_error(exc, argv), file=sys.stderr)
            return 3
        print(f"error: {exc}", file=sys.stderr)  # a missing reference, an unknown or ambiguous name: one line
        return 2


def internal_error(exc: BaseException, argv: list[str] | None) -> str:
    """What a user reads of a bug in the grader itself: one line saying so, with the traceback written to a log
    file (owner-only, in the temporary folder) whose path it gives; ``AUTOGRADER_DEBUG=1`` raises instead."""
    import tempfile
    import traceback

    text = f"autograder {_version()} {' '.join(sys.argv[1:] if argv is None else argv)}\n" + "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    )
    fd, log = tempfile.mkstemp(prefix="autograder-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
        f.write(text)
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return f"internal grader error (a bug in the autograder, not in the work graded): {what}; the traceback is in {log}"


if __name__ == "__main__":
    sys.exit(main())
