"""Public checks of symbolic and counting answers judge values, never the reference's text (issue #13, item 5).

Public data ships a reference's SymPy answer only as its values at public points (equivalence) or as a
polynomial's exact values on an integer grid (counts, the gradient a critical set must zero); the symbolic
worker judges a student's answer against them by the hidden check's own rule. These tests run the public
checks as ``autograder check`` does (the released data, the sandbox, the worker) on edited copies of the
samples, judge the public forms directly in the worker, and read the released data for any trace of an answer.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from autograder import symbolic, symbolic_worker
from autograder.assignments import get, names
from autograder.grading import ReferenceExpectations, grade_files
from autograder.public_data import PublicExpectations
from autograder.submission import load

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "examples" / "submissions"
n, L = sp.symbols("n L", positive=True, integer=True)
x = sp.Symbol("x")


def public_run(tmp_path: Path, name: str, module: str, old: str, new: str, problem: str):
    """The public checks of ``problem`` on a copy of the sample ``correct_vectorized`` with ``old`` replaced by
    ``new`` in ``module`` (a function body): {check id: CheckResult}."""
    folder = tmp_path / "sub"
    shutil.copytree(SAMPLES / name / "correct_vectorized", folder)
    path = folder / module
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    expectations = PublicExpectations(REPO / "assignments" / name)
    result = grade_files(load(folder).files, expectations.assignment(), expectations, problems=[problem])
    return {c.id: c for c in result.checks}


SIGMOID_GRAD = "    return 1 / (4 * sp.cosh(x / 2) ** 2)\n"


@pytest.mark.parametrize(
    "body",
    [
        "    s = 1 / (1 + sp.exp(-x))\n    return s * (1 - s)\n",  # σ written out
        "    return sp.expand(sp.exp(-x) / (1 + sp.exp(-x)) ** 2)\n",  # another form, expanded
        "    return sp.factor(sp.exp(x) / (1 + sp.exp(x)) ** 2)\n",  # factored
        "    s = sp.Function('sigma')(x)\n    return s * (1 - s)\n",  # the alias sigma
    ],
)
def test_a_right_symbolic_answer_in_another_form_passes_the_public_check(tmp_path, body):
    checks = public_run(tmp_path, "hw1", "p2_derivatives.py", SIGMOID_GRAD, body, "p2")
    assert checks["p2.sigmoid_grad_expr.values"].passed, checks["p2.sigmoid_grad_expr.values"].message


def test_a_wrong_symbolic_answer_fails_at_a_public_point_with_expected_and_got(tmp_path):
    body = "    s = 1 / (1 + sp.exp(-x))\n    return s * (1 + s)\n"
    checks = public_run(tmp_path, "hw1", "p2_derivatives.py", SIGMOID_GRAD, body, "p2")
    check = checks["p2.sigmoid_grad_expr.values"]
    assert check.points == 0 and not check.passed
    assert re.search(r"differs at the public point x = -?[\d.e-]+: expected [-\d.e]+, got [-\d.e]+", check.message)


def test_a_wrong_count_fails_at_a_public_point_and_an_asymptotically_right_one_passes(tmp_path):
    old = "    return L * (n**2 + n)\n"
    wrong = public_run(tmp_path / "a", "hw1", "p3_flops.py", old, "    return L * n**2 * 2\n", "p3")
    message = wrong["p3.all.expressions"].message
    assert wrong["p3.all.expressions"].points == 0
    assert "update_total_mul: your answer" in message and "answer/count → 2" in message
    assert re.search(r"at the public point n = \d+, L = \d+ the count is \d+, your answer \d+", message), message
    assert "stub's convention" not in message  # the count itself is never shown in a public run
    # only the leading term is required, as grading requires it: lower-order terms may differ
    right = public_run(tmp_path / "b", "hw1", "p3_flops.py", old, "    return L * n**2 + 7 * n + L\n", "p3")
    assert right["p3.all.expressions"].passed, right["p3.all.expressions"].message


def test_critical_points_are_judged_publicly_by_the_hidden_checks_rule(tmp_path):
    text = (SAMPLES / "hw3" / "correct_vectorized" / "p1_symbolic.py").read_text()
    body = re.search(r"def critical_points\(\)[^\n]*\n((?:    .*\n|\n)+)", text).group(1)
    origin = '    w1, w2 = sp.symbols("w1 w2")\n    return [{w1: 0, w2: 0}]\n'
    checks = public_run(tmp_path / "a", "hw3", "p1_symbolic.py", body, origin + "\n\n", "p1")
    message = checks["p1.critical_points.values"].message
    assert checks["p1.critical_points.values"].points == 0 and "of the curve w1·w2 = 1" in message
    other = '    w1, w2 = sp.symbols("w1 w2")\n    return [{w1: 0, w2: 0}, {w2: 1 / w1}]\n'
    checks = public_run(tmp_path / "b", "hw3", "p1_symbolic.py", body, other + "\n\n", "p1")
    assert checks["p1.critical_points.values"].passed, checks["p1.critical_points.values"].message
    wrong = '    w1, w2 = sp.symbols("w1 w2")\n    return [{w1: 0, w2: 0}, {w2: 2 / w1}]\n'
    checks = public_run(tmp_path / "c", "hw3", "p1_symbolic.py", body, wrong + "\n\n", "p1")
    assert "does not zero ∂L/∂w1" in checks["p1.critical_points.values"].message


def test_check_lists_a_wrong_answer_s_public_point_on_the_command_line(tmp_path):
    folder = tmp_path / "hw1"
    shutil.copytree(SAMPLES / "hw1" / "correct_vectorized", folder)
    path = folder / "p2_derivatives.py"
    path.write_text(path.read_text().replace(SIGMOID_GRAD, "    return sp.exp(-x) / (1 + sp.exp(-x))\n"))
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "check", str(folder), "--problem", "p2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAIL     0/1   p2.sigmoid_grad_expr.values" in run.stdout
    assert "sigmoid_grad_expr: differs at the public point x = " in run.stdout
    assert "No public check here" not in run.stdout


# -- the public forms, judged in the worker --------------------------------------------------------------


def test_a_grid_gives_the_polynomial_back_and_refuses_what_it_cannot_ship():
    count = sp.expand((L - 1) * 2 * n**2 + n**2 + 3 * n)
    at = symbolic.grid_values(count, [n, L], 11)
    assert [len(g) for g in at["grid"]] == [3, 2] and all(v.isdigit() for v in at["values"])
    assert sp.expand(symbolic.from_grid(at, [n, L]) - count) == 0
    assert sp.srepr(count) not in json.dumps(at) and str(count) not in json.dumps(at)
    with pytest.raises(ValueError, match="not a polynomial"):
        symbolic.grid_values(sp.exp(n), [n], 1)


@pytest.mark.parametrize(
    "answer",
    [L * n**2, 2 * L * n**2, L * n**2 + n**3 / L, n**2 * (L + 1), L * n**2 + n * sp.exp(L), L * n**2 * sp.log(n)],
)
def test_a_public_count_verdict_is_the_hidden_one(answer):
    exact = sp.expand((2 * L - 1) * n**2 + 2 * L * n)
    order = [sp.srepr(n), sp.srepr(L)]
    at = symbolic.grid_values(exact, [n, L], 5)
    hidden = symbolic_worker.asymptotic(sp.srepr(answer), sp.srepr(exact), order)
    public = symbolic_worker.public(sp.srepr(answer), at, order, "asymptotic")
    assert public.ok == hidden.ok, (public, hidden)
    assert str(exact) not in public.message and "stub's convention" not in public.message


def test_public_values_agree_with_equivalence_and_a_damaged_file_says_so():
    s = 1 / (1 + sp.exp(-x))
    at = symbolic.values_at_points(s * (1 - s), [x], 3)
    assert len(at["points"]) == len(at["values"]) == 32
    assert symbolic_worker.public(sp.srepr(sp.exp(x) / (1 + sp.exp(x)) ** 2), at, [sp.srepr(x)]).ok
    assert not symbolic_worker.public(sp.srepr(s * (1 - s) + sp.Float("1e-11")), at, [sp.srepr(x)]).ok
    damaged = {**at, "values": ["__import__('os')"] * 32}
    verdict = symbolic_worker.public(sp.srepr(s * (1 - s)), damaged, [sp.srepr(x)])
    assert not verdict.ok and "public checks' data is damaged" in verdict.message


# -- the released data ---------------------------------------------------------------------------------


def _answers(value):
    if isinstance(value, dict) and "$srepr" in value:
        yield value["$srepr"]
    elif isinstance(value, dict):
        for v in value.values():
            yield from _answers(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _answers(v)


def _public_values(value):
    if isinstance(value, dict):
        if symbolic.PUBLIC_KEY in value:
            yield value[symbolic.PUBLIC_KEY]
        for v in value.values():
            yield from _public_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _public_values(v)


NUMBER = re.compile(r"-?\d+(/\d+)?|-?\d*\.?\d+(e[-+]?\d+)?")


def answer_leaks(assignment, folder: Path) -> list[str]:
    """What in ``folder/public_checks.json`` (release's public data) could show a reference's SymPy answer: the
    srepr or the printed form of any answer a public check of ``assignment`` compares, an ``$srepr`` that is not
    empty, or a public value (``$at``) holding anything but symbol names and numbers. Empty when nothing does."""
    text = (folder / "public_checks.json").read_text()
    data = json.loads(text)
    leaks = [f"an $srepr holds {a[:60]}" for a in re.findall(r'"\$srepr": "([^"]*)"', text) if a]
    reference = ReferenceExpectations(assignment, data["seed"])
    for check in assignment.checks:
        for case in reference.cases(check) if check.public else ():
            for answer in filter(None, _answers(case.expected)):
                printed = str(sp.sympify(answer))
                if answer in text or (len(printed) > 6 and printed in text):
                    leaks.append(f"{check.id} ships {printed}")
    names = {s for c in data["checks"] for k in c["cases"] for s in re.findall(r'"\$symbol": "(\w+)"', json.dumps(k))}
    for at in _public_values([c["cases"] for c in data["checks"]]):
        if set(at) - {"symbols", "points", "values", "grid"} or set(at["symbols"]) - names:
            leaks.append(f"public values with other fields or symbols: {sorted(at)}")
        numbers = [v for k in ("points", "values", "grid") for v in _flat(at.get(k, []))]
        leaks += [f"a public value {v!r} that is not a number" for v in numbers if not NUMBER.fullmatch(str(v))]
    return leaks


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    elif value is not None:
        yield value


@pytest.mark.parametrize("name", names())
def test_released_data_holds_no_reference_answer_and_values_for_every_one(name):
    """Every SymPy answer of the reference a public check compares ships as values (``$at``: names and numbers)
    or, where its judge never reads it, as nothing; no srepr and no printed form of any of them is there."""
    assignment = get(name)
    assert answer_leaks(assignment, REPO / "assignments" / name) == []
    text = (REPO / "assignments" / name / "public_checks.json").read_text()
    assert ('"$at"' in text) == any("sympy" in p.preload for p in assignment.problems)


def test_the_leak_finder_finds_a_shipped_answer(tmp_path):
    """A test that can fail: public data with one reference answer's srepr, or a value that is SymPy text."""
    assignment = get("hw1")
    text = (REPO / "assignments" / "hw1" / "public_checks.json").read_text()
    s = 1 / (1 + sp.exp(-x))
    (tmp_path / "public_checks.json").write_text(
        text.replace('"$srepr": ""', f'"$srepr": "{sp.srepr(s * (1 - s))}"', 1)
    )
    assert answer_leaks(assignment, tmp_path)
    data = json.loads(text)
    at = next(_public_values([c["cases"] for c in data["checks"]]))
    at["values"][0] = "exp(-x)/(1 + exp(-x))**2"
    (tmp_path / "public_checks.json").write_text(json.dumps(data))
    assert any("not a number" in leak for leak in answer_leaks(assignment, tmp_path))
