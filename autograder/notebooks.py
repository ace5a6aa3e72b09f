"""An assignment as Jupyter notebooks in nbgrader's source format, generated from the reference solutions.

One notebook per problem, ``<module>.ipynb`` (``p1_bp_relu.ipynb`` …), with nbgrader cell metadata (schema 3):

- a locked markdown cell: the problem's title, points and the module docstring (the Chinese problem text,
  the English statement and the conventions), then how the notebook is graded;
- a locked code cell with the module's imports;
- ``<module>-helpers`` (solution cell): the solution-only imports and helpers, inside ``try:`` so that the
  released cell (nbgrader's ``raise NotImplementedError()``) runs cleanly before the student fills it in;
- one cell per function: a solution cell when the function has a solution region (its body between the
  solution markers), a locked cell when the function is given;
- an unlocked "worked example" cell: the docstrings' examples, the expected output as comments;
- ``<module>-tests`` (autograded, locked, the problem's points): it calls
  :func:`autograder.notebook_grading.score`, which grades the code of this notebook's solution cells in a
  fresh process with the sandboxed grader and shows a float (nbgrader's partial credit) and a summary: in a
  student's kernel the public checks only, with their feedback; on the instructors' side every check, with
  no hidden input, expected value or assert line. When the ``autograder`` package is missing from the
  kernel, the cell prints the one command that installs it (:func:`install_line`, also in the first cell).

Everything a module needs is in its cells in order, so :func:`module_source` rebuilds a student's module from
a notebook (solution cells from the student, the other cells from the source notebook) for the grader.
"""

from __future__ import annotations

import ast
import doctest
import json
import os
import re
from pathlib import Path

from .checks import Assignment, Problem
from .release import BEGIN, END, solution_files

SCHEMA = 3
HELPERS_INTRO = "# Your own imports and helper functions (optional): they go in place of the raise below.\n"
INSTALL_ENV = "AUTOGRADER_INSTALL"
DEFAULT_INSTALL = "pip install nnopt-autograder"
TEST_SOURCE = """# Autograded ({points:g} points). Nothing is judged in this notebook's kernel: the course's grader
# takes the code of this notebook's solution cells (as saved) and runs it in a sandboxed process. Here it
# runs the public checks and shows what they expected; the hidden checks run when your instructor grades.
try:
    from autograder.notebook_grading import score
except ModuleNotFoundError:
    print({missing!r})
    raise
score({assignment!r}, {key!r})"""


def install_line() -> str:
    """The one command that installs the grader for students: ``$AUTOGRADER_INSTALL`` at release time (e.g.
    ``pip install https://course.example.edu/nnopt_autograder-0.1.0-py3-none-any.whl``), else
    ``pip install nnopt-autograder``."""
    return os.environ.get(INSTALL_ENV, "").strip() or DEFAULT_INSTALL


def missing_grader_message(install: str) -> str:
    """What the autograded cell prints when the ``autograder`` package is not in the kernel."""
    return f"The course's grader is not installed in this kernel: run `{install}`, then restart the kernel."


def cell_id(text: str) -> str:
    """A cell id nbformat accepts (letters, digits, - and _, at most 64)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:64]


def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta: dict = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    cell: dict = {"cell_type": kind, "id": cell_id(grade_id), "metadata": {"nbgrader": meta}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _plain(kind: str, source: str, ident: str) -> dict:
    cell: dict = {"cell_type": kind, "id": cell_id(ident), "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(cells: list[dict]) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def split_module(source: str) -> tuple[str, str, str, list[tuple[str, str, bool]]]:
    """A solution module as (docstring, imports, helpers, [(function name, its source, has a solution)]).

    The module is expected in the assignments' shape: a docstring, imports, at most one column-0 solution
    region (solution-only imports and helpers), then top-level functions."""
    tree = ast.parse(source)
    lines = source.splitlines()
    doc = ast.get_docstring(tree, clean=True) or ""
    region = [i for i, line in enumerate(lines) if line in (BEGIN, END)]
    if len(region) not in (0, 2):
        raise ValueError("more than one column-0 solution region")
    helpers = "\n".join(lines[region[0] + 1 : region[1]]).strip("\n") if region else ""
    body = tree.body[1:] if doc else tree.body
    functions, imports = [], []
    starts = [_start(node) for node in body] + [len(lines)]
    for index, node in enumerate(body):
        start = starts[index]
        if region and region[0] < start < region[1]:
            continue
        end = node.end_lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # trailing comments: a closing marker
            while end < starts[index + 1] and lines[end] not in (BEGIN, END):
                end += 1
        text = "\n".join(lines[start:end]).rstrip()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append((node.name, text, BEGIN in text))
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):  # given constants too
            imports.append(text)
        else:
            raise ValueError(f"unexpected top-level statement at line {start + 1}")
    return doc, "\n".join(imports), helpers, functions


def _start(node: ast.stmt) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1


def _indent(text: str) -> str:
    """``text`` as the body of a ``try:`` block (``pass`` when empty)."""
    return "\n".join(("    " + line) if line.strip() else "" for line in text.splitlines()) or "    pass"


def helpers_cell_source(helpers: str) -> str:
    indented = _indent(helpers)
    return f"{HELPERS_INTRO}try:\n    {BEGIN}\n{indented}\n    {END}\nexcept NotImplementedError:\n    pass"


def _example_line(e: doctest.Example) -> list[str]:
    """One docstring example as cell lines: an expression is printed (so every example shows its value, not
    only the cell's last one), a statement is run; the expected output follows as comments."""
    source = e.source.rstrip("\n")
    try:
        ast.parse(source, mode="eval")
        printed = "\n" not in source and not source.startswith("print(")
        lines = [f"print(repr(({source}", ")))"] if printed else source.splitlines()  # a comment may end it
    except SyntaxError:
        lines = source.splitlines()
    return lines + [f"# expected: {line}" for line in e.want.rstrip("\n").splitlines()]


def examples(source: str) -> str:
    """The docstring examples of a module as one code cell's source: each function's examples under
    ``try``, so a function not written yet says "not implemented yet" (and one that raises says so) instead of
    stopping Run All, and every example's value is printed (expected output as comments; ``+SKIP`` examples
    are left out)."""
    parser = doctest.DocTestParser()
    tree = ast.parse(source)
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node, clean=True) or ""
            found = [e for e in parser.get_examples(doc) if not e.options.get(doctest.SKIP)]
            if not found:
                continue
            out += [f"# {node.name}", "try:"]
            out += ["    " + line for e in found for line in _example_line(e)]
            out += ["except NotImplementedError:", f'    print("{node.name}: not implemented yet")']
            out += ["except Exception as exc:  # the cell goes on, so Run All reaches the autograded cell"]
            out += [f'    print(f"{node.name} raised {{type(exc).__name__}}: {{exc}}")', ""]
    return "\n".join(out).rstrip("\n")


_VERBATIM = re.compile(r"(`[^`]*`|\$[^$]*\$)")  # code spans and inline math keep their characters
_MARKDOWN_SPECIAL = re.compile(r"([\\_*<>\[\]])")


def _escape(text: str) -> str:
    """Markdown's special characters outside code spans and ``$...$`` math, escaped (``softmax(x)_i`` must not
    turn into italics)."""
    parts = _VERBATIM.split(text)
    return "".join(p if i % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def docstring_markdown(doc: str) -> str:
    """A module docstring as Markdown that renders as written, in Jupyter and in nbgrader's feedback HTML:
    the indented original text becomes a block quote (its ``$...$`` LaTeX renders as math, not as a code
    block), bullets stay bullets, and everything else is escaped."""
    out = []
    for line in doc.splitlines():
        if line.startswith("    ") and line.strip():
            out.append("> " + _escape(line.strip()))
        elif line.lstrip().startswith("- "):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "- " + _escape(line.lstrip()[2:]))
        else:
            out.append(_escape(line))
    return "\n".join(out)


def problem_notebook(assignment: Assignment, problem: Problem, source: str, install: str | None = None) -> dict:
    """The source notebook of one problem (nbgrader cell metadata); ``install`` is the command that installs
    the grader (default :func:`install_line`), named in the first cell and printed by the autograded cell
    when the grader is missing."""
    install = install or install_line()
    doc, imports, helpers, functions = split_module(source)
    module = problem.module
    intro = (
        f"# {assignment.name} {problem.key}: {problem.title} ({problem.points:g} points)\n\n"
        f"**Install the course's grader first** (the last cell needs it): `{install}`, then restart the "
        "kernel. On the course's JupyterHub it is installed already.\n\n"
        f"{docstring_markdown(doc)}\n\n"
        "## How this notebook is graded\n\n"
        "Write your code in the cells marked as solution cells (replace each `raise NotImplementedError()`); "
        "keep every function's name and signature. The last cell is autograded: the grader takes the code of "
        "this notebook's solution cells **as saved** and runs it in a separate sandboxed process. In your "
        "kernel it runs the public checks and shows, for every failure, the inputs, what was expected, what "
        "your code returned and a hint; when your instructor grades, it also runs hidden checks on fresh "
        "inputs. Save the notebook before running it. Locked cells are restored from the original when the "
        "notebook is graded."
    )
    cells = [_cell("markdown", intro, f"{module}-intro", locked=True)]
    cells.append(_cell("code", imports, f"{module}-imports", locked=True))
    cells.append(_cell("code", helpers_cell_source(helpers), f"{module}-helpers", solution=True))
    for name, text, has_solution in functions:
        if has_solution:
            cells.append(_cell("code", text, f"{module}-{name}", solution=True))
        else:
            cells.append(_cell("code", text, f"{module}-{name}", locked=True))
    worked = examples(source)
    if worked:
        note = "## Worked example\n\nThe docstrings' examples (run them once your code is in)."
        cells.append(_plain("markdown", note, f"{module}-example-md"))
        cells.append(_plain("code", worked, f"{module}-example"))
    missing = missing_grader_message(install)
    test = TEST_SOURCE.format(points=problem.points, key=problem.key, assignment=assignment.name, missing=missing)
    cells.append(_cell("code", test, test_cell_id(problem), grade=True, locked=True, points=problem.points))
    return notebook(cells)


def test_cell_id(problem: Problem) -> str:
    return f"{problem.module}-tests"


def write_notebooks(assignment: Assignment, folder: Path) -> list[Path]:
    """One source notebook per problem into ``folder`` (e.g. ``COURSE/source/hw1``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    files = solution_files(assignment)
    for problem in assignment.problems:
        source = files[f"{problem.module}.py"].read_text(encoding="utf-8")
        path = folder / f"{problem.module}.ipynb"
        path.write_text(json.dumps(problem_notebook(assignment, problem, source), indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def write_course_source(assignment: Assignment, course: Path) -> list[Path]:
    """``COURSE/source/NAME/``: the notebooks plus the public checks' data (for students' own runs)."""
    from . import public_data
    from .release import PUBLIC_SEED

    folder = course / "source" / assignment.name
    written = write_notebooks(assignment, folder)
    public_data.write(assignment, PUBLIC_SEED, folder)
    return written + [folder / "public_checks.json", folder / "public_checks.npz"]


# -- reading notebooks back ------------------------------------------------------------------------------


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def module_cells(source_nb: dict, module: str) -> list[tuple[str, bool]]:
    """The cells that make up the module, in order: (grade id, whether the student writes it)."""
    out = []
    for cell in source_nb["cells"]:
        gid = _grade_id(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not gid or not gid.startswith(f"{module}-") or meta.get("grade"):
            continue
        out.append((gid, bool(meta.get("solution"))))
    return out


MAGIC = re.compile(r"^\s*[%!]")


def module_source(student_nb: dict | None, source_nb: dict, module: str) -> tuple[str, list[str]]:
    """The student's module rebuilt from a notebook: each solution cell from the student's notebook (by
    grade id), every other module cell from the source notebook (so an edited locked cell changes nothing).
    IPython magics and shell lines are commented out. Returns the source and notes for the feedback."""
    theirs = {}
    for cell in (student_nb or {}).get("cells", []):
        gid = _grade_id(cell)
        if gid and cell.get("cell_type") == "code":
            theirs.setdefault(gid, _text(cell))
    ours = {_grade_id(c): _text(c) for c in source_nb["cells"] if _grade_id(c)}
    parts, notes = [], []
    for gid, solution in module_cells(source_nb, module):
        if not solution:
            parts.append(ours[gid])
            continue
        if gid not in theirs:
            notes.append(f"cell {gid} is missing from the notebook")
            continue
        text = theirs[gid]
        if any(MAGIC.match(line) for line in text.splitlines()):
            notes.append(f"cell {gid}: IPython magics and shell lines are ignored")
            text = "\n".join("# " + line if MAGIC.match(line) else line for line in text.splitlines())
        parts.append(text)
    return "\n\n\n".join(parts) + "\n", notes


def stub_notebook(source_nb: dict) -> dict:
    """What nbgrader's generate_assignment makes of a source notebook's solution cells (for tests)."""
    from copy import deepcopy

    nb = deepcopy(source_nb)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            out, region = [], None
            for line in _text(cell).splitlines():
                if line.strip() == BEGIN:
                    region = line[: len(line) - len(line.lstrip())]
                    out += [f"{region}# YOUR CODE HERE", f"{region}raise NotImplementedError()"]
                elif line.strip() == END:
                    region = None
                elif region is None:
                    out.append(line)
            cell["source"] = "\n".join(out)
    return nb


def fill_from_module(nb: dict, module_text: str, module: str) -> dict:
    """A submitted notebook made from a student's ``.py`` module (tests, benchmarks, converting a class that
    handed in files): each function's solution cell gets the student's function, the helpers cell gets the
    rest of the module (imports, helpers, constants)."""
    from copy import deepcopy

    nb = deepcopy(nb)
    tree = ast.parse(module_text)
    lines = module_text.splitlines()
    functions, rest = {}, []
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    for node in body:
        start = _start(node)
        text = "\n".join(lines[start : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = text
        else:
            rest.append(text)
    named = {f"{module}-{name}" for name in functions}
    for cell in nb["cells"]:
        gid = _grade_id(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not (meta.get("solution") and gid and gid.startswith(f"{module}-")):
            continue
        if gid in named:
            cell["source"] = functions.pop(gid[len(module) + 1 :])
    extra = "\n\n".join(rest + list(functions.values()))  # functions without a cell of their own: helpers
    for cell in nb["cells"]:
        if _grade_id(cell) == f"{module}-helpers":
            cell["source"] = f"{HELPERS_INTRO}try:\n{_indent(extra)}\nexcept NotImplementedError:\n    pass"
    return nb
