"""What a grade looks like to people: a terminal table, JSON, a gradebook CSV, Gradescope's results.json.

Messages can hold text the student controls (exception messages, names in answers); every writer passes
them through :func:`inert` so terminal escapes and control characters do nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

from .grading import CheckResult, SubmissionResult

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: str, limit: int = 2000) -> str:
    """Text with control characters (ANSI escapes, bidi overrides) shown as visible codes; capped."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return text if len(text) <= limit else text[:limit] + "…"


def _score(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.2f}"


def check_line(c: CheckResult) -> str:
    mark = "PASS" if c.passed else ("PART" if c.points > 0 else "FAIL")
    vis = "" if c.public else " (hidden)"
    return f"  {mark} {_score(c.points):>5}/{_score(c.max_points):<3} {c.id}{vis}: {inert(c.title)}"


def submission_table(result: SubmissionResult, verbose: bool = False) -> str:
    """One submission: a line per problem, then every lost point with its message and hint."""
    out = [f"{result.assignment} — {inert(result.submission)}: {_score(result.score)} / {_score(result.max_score)}"]
    if result.error:
        out.append(f"  error: {inert(result.error)}")
    for note in result.notes:
        out.append(f"  note: {inert(note)}")
    for key, p in result.problems.items():
        checks = [c for c in result.checks if c.problem == key]
        passed = sum(c.passed for c in checks)
        out.append(
            f"  {key}: {_score(p['score']):>5} / {_score(p['max_score']):<3}  ({passed} of {len(checks)} checks passed)"
        )
    lost = [c for c in result.checks if not c.passed]
    if verbose:
        out.append("")
        out.extend(check_line(c) for c in result.checks)
    if lost:
        out.append("")
        out.append("Lost points:")
        for c in lost:
            out.append(check_line(c))
            out.append(f"      {inert(c.message)}")
            failed = sum(not k.passed for k in c.cases)
            if len(c.cases) > 1:
                out.append(f"      ({failed} of {len(c.cases)} cases failed)")
            if c.hint:
                out.append(f"      hint: {inert(c.hint)}")
    return "\n".join(out)


def class_table(results: Iterable[SubmissionResult], problems: list[str]) -> str:
    results = list(results)
    width = max([len("submission")] + [len(inert(r.submission, 40)) for r in results])
    head = f"{'submission':<{width}}  " + "  ".join(f"{p:>6}" for p in problems) + f"  {'total':>6}"
    lines = [head, "-" * len(head)]
    for r in results:
        cells = [_score(r.problems[p]["score"]) if p in r.problems else "-" for p in problems]
        total = "error" if r.error and not r.checks else _score(r.score)
        lines.append(f"{inert(r.submission, 40):<{width}}  " + "  ".join(f"{c:>6}" for c in cells) + f"  {total:>6}")
    if results:
        graded = [r for r in results if not (r.error and not r.checks)]  # the mean is of graded rows only
        mean = f"mean {sum(r.score for r in graded) / len(graded):.2f}" if graded else "no mean"
        ungraded = len(results) - len(graded)
        note = f" ({ungraded} not graded, left out of the mean)" if ungraded else ""
        lines.append("-" * len(head))
        lines.append(f"{len(results)} submissions, {mean} / {_score(results[0].max_score)}{note}")
    return "\n".join(lines)


def csv_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a leading apostrophe."""
    text = inert(text, limit=500)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def isolation_text(layers: dict[str, bool]) -> str:
    """The isolation layers a result was graded under, in one line: ``in force: limits uid ...; off: net fs``."""
    if not layers:
        return "not recorded"
    on = [k for k, v in layers.items() if v]
    off = [k for k, v in layers.items() if not v]
    return f"in force: {' '.join(on) or 'none'}" + (f"; off: {' '.join(off)}" if off else "")


def gradebook_csv(results: Iterable[SubmissionResult], problems: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission", *problems, "score", "max_score", "seed", "seconds", "error", "isolation"])
    for r in results:
        cells = [r.problems.get(p, {}).get("score", "") for p in problems]
        row = [csv_text(r.submission), *cells, r.score, r.max_score, r.seed, r.seconds, csv_text(r.error or "")]
        writer.writerow([*row, isolation_text(r.isolation)])
    return buf.getvalue()


def hidden_output(check: CheckResult) -> str:
    """What a hidden check shows a student: which of its cases failed (our own labels of them) and the hint;
    never its inputs, expected values or the student's exception text."""
    if check.passed:
        return "passed"
    failed = [c for c in check.cases if not c.passed]
    lines = [f"failed on {len(failed)} of {len(check.cases)} cases (hidden check: inputs and values not shown)"]
    lines += [f"  - {c.label}" for c in failed]
    if check.hint:
        lines.append(f"hint: {check.hint}")
    return "\n".join(lines)


WHEN_SHOWN = {
    "after_published": "shown when the instructor publishes the grades",
    "after_due_date": "shown after the due date",
    "hidden": "not shown here",
}


def visible_summary(result: SubmissionResult, hidden_visibility: str = "after_published") -> str:
    """The top-level text of results.json, which students see at once: while the hidden checks are not
    visible, the public checks' points only (their total would give the hidden checks' total away)."""
    hidden = [c for c in result.checks if not c.public]
    if not hidden or hidden_visibility == "visible":
        return f"{result.assignment}: {_score(result.score)} / {_score(result.max_score)}"
    public = [c for c in result.checks if c.public]
    got, out_of = sum(c.points for c in public), sum(c.max_points for c in public)
    when = WHEN_SHOWN.get(hidden_visibility, "shown later")
    return f"{result.assignment}: public checks: {_score(got)} / {_score(out_of)}; hidden checks are graded and {when}"


def gradescope_json(result: SubmissionResult, hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json: public checks visible at once with their full message; hidden ones after
    grades are published, with :func:`hidden_output` only (the full messages stay in the grader's JSON). The
    top-level output is :func:`visible_summary`: the public points only while the hidden ones are not shown."""
    tests = []
    for i, c in enumerate(result.checks, 1):
        if not c.public:
            output = inert(hidden_output(c))
        else:
            output = "passed" if c.passed else inert(c.message) + (f"\nhint: {inert(c.hint)}" if c.hint else "")
        tests.append(
            {
                "name": f"{c.id}: {inert(c.title)}",
                "number": str(i),
                "score": c.points,
                "max_score": c.max_points,
                "output": output,
                "visibility": "visible" if c.public else hidden_visibility,
                "tags": [c.problem, c.function],
                "name_format": "text",
                "output_format": "text",
            }
        )
    summary = visible_summary(result, hidden_visibility)
    if result.error:
        summary += f"\n{inert(result.error)}"
    return {
        "score": result.score,
        "execution_time": result.seconds,
        "output": summary,
        "output_format": "text",  # Gradescope shows text as text: HTML in a message stays inert
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def to_json_text(result: SubmissionResult) -> str:
    return json.dumps(result.to_json(), indent=1, ensure_ascii=False)
