"""Feedback pages a person reads: per submission, ``grade --out DIR`` writes into ``DIR/feedback/``

- ``NAME.html`` and ``NAME.md``: the student's page. The score table, every lost point with its message and
  hint, and the figures of failed cases of public checks (``NAME/plot-<check>-<case>.png``). A hidden check
  shows what Gradescope's hidden output shows (:func:`autograder.report.hidden_output`): its title, points,
  the labels of its failed cases and the hint, never an input, an expected value, the student's exception
  text or a figure. The page never shows the grading seed. Safe to hand out with its ``NAME/`` folder.
- ``NAME.staff.html``: the instructor's page, with everything: every case's message, every figure (those of
  hidden checks in ``NAME.staff/``, so the student's ``NAME/`` holds none of them), the seed, the notes, the
  isolation layers and the submission's output. Keep it and ``NAME.staff/`` from students.

The pages are self-contained apart from the PNGs beside them: inline CSS, no script, no external URL. Every
text they show is escaped (HTML, or a Markdown code block), since messages hold text the student controls.
Without matplotlib the pages are written all the same, with a one-line note where each figure would be.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from . import plots
from .grading import CheckResult, SubmissionResult
from .report import _score, inert

STUDENT, STAFF = "student", "staff"
#: Figures drawn per check: its first failed cases' (one bug usually looks alike in every case).
FIGURES_PER_CHECK = 3


@dataclass(frozen=True)
class Figure:
    """A drawn figure (``src``: its path relative to the pages) or why there is none (``note``)."""

    src: str = ""
    note: str = ""


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".") or "x"


def figure_path(stem: str, check: CheckResult, index: int) -> str:
    """A case's PNG, relative to the pages: hidden checks' in ``NAME.staff/``, public checks' in ``NAME/``."""
    folder = stem if check.public else f"{stem}.staff"
    return f"{folder}/plot-{_file_part(check.id)}-{index + 1}.png"


def draw_figures(folder: Path, stem: str, result: SubmissionResult) -> dict[tuple[str, int], Figure]:
    """Draw every failed case's figure beside the pages; {(check id, case index): Figure}."""
    figures: dict[tuple[str, int], Figure] = {}
    for check in result.checks:
        drawn = [(i, case) for i, case in enumerate(check.cases) if case.plot is not None and not case.passed]
        for i, case in drawn[:FIGURES_PER_CHECK]:
            src = figure_path(stem, check, i)
            try:
                plots.draw(case.plot, folder / src)
                figures[(check.id, i)] = Figure(src=src)
            except plots.PlotsUnavailable:
                figures[(check.id, i)] = Figure(note=plots.INSTALL_NOTE)
            except Exception as exc:  # a figure is an illustration: never lose the page for it
                figures[(check.id, i)] = Figure(note=f"figure not drawn: {type(exc).__name__}: {exc}")
    return figures


def write_feedback(folder: Path, result: SubmissionResult, stem: str) -> list[Path]:
    """Write the pages of ``result`` (and their figures) into ``folder`` under the file stem ``stem``."""
    from .batch import write_atomic

    figures = draw_figures(folder, stem, result)
    pages = {
        folder / f"{stem}.html": page_html(result, STUDENT, figures),
        folder / f"{stem}.staff.html": page_html(result, STAFF, figures),
        folder / f"{stem}.md": page_markdown(result, figures),
    }
    for path, text in pages.items():
        write_atomic(path, text)
    return list(pages)


# -- what a page shows -----------------------------------------------------------------------------------


def _shown(check: CheckResult, audience: str) -> bool:
    """Whether the page shows the check's messages and figures (else only labels and the hint)."""
    return check.public or audience == STAFF


def _status(check: CheckResult) -> str:
    return "passed" if check.passed else ("partly" if check.points > 0 else "failed")


def _lost(result: SubmissionResult) -> list[CheckResult]:
    return [c for c in result.checks if not c.passed]


def _full_marks(result: SubmissionResult) -> bool:
    return not result.error and bool(result.checks) and not _lost(result)


def _headline(result: SubmissionResult) -> str:
    score = f"{_score(result.score)} / {_score(result.max_score)}"
    return f"Full marks: {score}" if _full_marks(result) else f"Score: {score}"


# -- HTML ------------------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222;
       line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1rem; margin-bottom: 0.3rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.6rem; text-align: left;
       border-bottom: 1px solid #eee; vertical-align: top; } td.num { text-align: right; white-space: nowrap; }
.passed { color: #176f2c; } .partly { color: #9a6700; } .failed { color: #b3261e; }
.banner { padding: 0.6rem 1rem; border-radius: 6px; font-size: 1.2rem; font-weight: 600; }
.banner.full { background: #e6f4ea; color: #176f2c; } .banner.lost { background: #fdecea; color: #8c1d18; }
.check { border-left: 4px solid #b3261e; padding: 0.2rem 0 0.2rem 0.8rem; margin: 1rem 0; }
pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.hint { background: #fff8e1; padding: 0.3rem 0.6rem; } .note { color: #555; font-style: italic; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def esc(text: object, limit: int = 2000) -> str:
    """Text as HTML shows it: control characters made visible (:func:`~autograder.report.inert`), escaped."""
    return html.escape(inert(str(text), limit), quote=True)


def _figure_html(figure: Figure | None) -> str:
    if figure is None:
        return ""
    if figure.note:
        return f'<p class="note">{esc(figure.note)}</p>'
    return f'<p><img src="{esc(quote(figure.src))}" alt="figure of this case"></p>'


def _tables_html(result: SubmissionResult) -> list[str]:
    out = ["<h2>Score</h2>", "<table><tr><th>problem</th><th>points</th><th>checks passed</th></tr>"]
    for key, p in result.problems.items():
        checks = [c for c in result.checks if c.problem == key]
        passed = sum(c.passed for c in checks)
        out.append(
            f'<tr><td>{esc(key)}</td><td class="num">{_score(p["score"])} / {_score(p["max_score"])}</td>'
            f"<td>{passed} of {len(checks)}</td></tr>"
        )
    out.append("</table>")
    return out


def _checks_html(result: SubmissionResult) -> list[str]:
    out = ["<h2>Every check</h2>"]
    out.append("<table><tr><th>check</th><th>points</th><th></th><th>what it checks</th></tr>")
    for c in result.checks:
        vis = "" if c.public else " (hidden)"
        out.append(
            f"<tr><td>{esc(c.id)}{vis}</td><td class='num'>{_score(c.points)} / {_score(c.max_points)}</td>"
            f"<td class='{_status(c)}'>{_status(c)}</td><td>{esc(c.title)}</td></tr>"
        )
    out.append("</table>")
    return out


def _lost_html(check: CheckResult, audience: str, figures: dict[tuple[str, int], Figure]) -> list[str]:
    vis = "" if check.public else " (hidden)"
    out = [
        '<div class="check">',
        f"<h3>{esc(check.id)}{vis}: {_score(check.points)} / {_score(check.max_points)}</h3>",
        f"<p>{esc(check.title)}</p>",
    ]
    failed = [(i, k) for i, k in enumerate(check.cases) if not k.passed]
    if len(check.cases) > 1:
        out.append(f"<p>{len(failed)} of {len(check.cases)} cases failed.</p>")
    if not check.cases and check.message:
        out.append(f"<pre>{esc(check.message)}</pre>" if _shown(check, audience) else "")
    if _shown(check, audience):
        for i, case in failed:
            out.append(f"<pre>{esc(case.message or case.label)}</pre>")
            out.append(_figure_html(figures.get((check.id, i))))
    else:
        out.append("<p>Hidden check: its inputs and values are not shown. Failed cases:</p><ul>")
        out.extend(f"<li>{esc(case.label)}</li>" for _, case in failed)
        out.append("</ul>")
    if check.hint:
        out.append(f'<p class="hint">hint: {esc(check.hint)}</p>')
    out.append("</div>")
    return out


def _staff_html(result: SubmissionResult) -> list[str]:
    from .report import isolation_text

    out = ["<h2>For the staff</h2>", "<table>"]
    out.append(f"<tr><td>seed</td><td>{esc(result.seed)}</td></tr>")
    out.append(f"<tr><td>seconds</td><td>{esc(result.seconds)}</td></tr>")
    out.append(f"<tr><td>isolation</td><td>{esc(isolation_text(result.isolation))}</td></tr></table>")
    if result.output:
        out.append(f"<h3>The submission's output</h3><pre>{esc(result.output, 20000)}</pre>")
    return out


def page_html(result: SubmissionResult, audience: str, figures: dict[tuple[str, int], Figure]) -> str:
    """The feedback page as HTML for ``audience`` (:data:`STUDENT` or :data:`STAFF`)."""
    title = f"{result.assignment} feedback: {result.submission}" + (" (staff)" if audience == STAFF else "")
    full = _full_marks(result)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="banner {"full" if full else "lost"}">{esc(_headline(result))}</p>',
    ]
    if result.error:
        out.append(f"<p class='failed'>error: {esc(result.error)}</p>")
    out.extend(f'<p class="note">note: {esc(n)}</p>' for n in result.notes)
    out.extend(_tables_html(result))
    lost = _lost(result)
    if lost:
        out.append("<h2>Lost points</h2>")
        for c in lost:
            out.extend(_lost_html(c, audience, figures))
    out.extend(_checks_html(result))
    if audience == STAFF:
        out.extend(_staff_html(result))
    out.append("</body></html>")
    return "\n".join(x for x in out if x) + "\n"


# -- Markdown --------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)(?=[.)]))")


def _line_start(m: re.Match) -> str:
    sign, number = m.group(2), m.group(3)
    return m.group(1) + ("\\" + sign if sign else number + "\\")


def md_text(text: object, limit: int = 500) -> str:
    """Text as Markdown shows it, on one line: Markdown's (and HTML's) special characters backslash-escaped,
    and a start that would make a list or a heading of it."""
    text = _MD_SPECIAL.sub(r"\\\1", inert(str(text), limit).replace("\n", " "))
    return _MD_LINE_START.sub(_line_start, text)


def md_block(text: object) -> str:
    """A fenced code block showing ``text`` as it is (the fence is longer than any run of backticks in it)."""
    text = inert(str(text))
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def _md_lines(result: SubmissionResult, figures: dict[tuple[str, int], Figure]) -> Iterable[str]:
    yield f"# {md_text(result.assignment)} feedback: {md_text(result.submission)}"
    yield ""
    yield f"**{md_text(_headline(result))}**"
    yield ""
    if result.error:
        yield md_block(f"error: {result.error}")
    for note in result.notes:
        yield f"- note: {md_text(note)}"
    yield ""
    yield "| problem | points | checks passed |"
    yield "|---|---:|---|"
    for key, p in result.problems.items():
        checks = [c for c in result.checks if c.problem == key]
        passed = sum(c.passed for c in checks)
        yield f"| {md_text(key)} | {_score(p['score'])} / {_score(p['max_score'])} | {passed} of {len(checks)} |"
    lost = _lost(result)
    if not lost:
        return
    yield ""
    yield "## Lost points"
    for c in lost:
        vis = " \\(hidden\\)" if not c.public else ""
        yield ""
        yield f"### {md_text(c.id)}{vis}: {_score(c.points)} / {_score(c.max_points)}"
        yield ""
        yield md_text(c.title)
        failed = [(i, k) for i, k in enumerate(c.cases) if not k.passed]
        yield ""
        if c.public:
            for i, case in failed:
                yield md_block(case.message or case.label)
                figure = figures.get((c.id, i))
                if figure is not None:
                    yield f"![figure of this case](<{figure.src}>)" if figure.src else f"*{md_text(figure.note)}*"
                yield ""
        else:
            yield "Hidden check: its inputs and values are not shown. Failed cases:"
            yield ""
            yield from (f"- {md_text(case.label)}" for _, case in failed)
            yield ""
        if c.hint:
            yield f"hint: {md_text(c.hint)}"


def page_markdown(result: SubmissionResult, figures: dict[tuple[str, int], Figure]) -> str:
    """The student's feedback page as Markdown (what ``NAME.html`` shows)."""
    return "\n".join(_md_lines(result, figures)) + "\n"
