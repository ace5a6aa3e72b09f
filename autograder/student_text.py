"""Text the student's code controls (exception messages, key names, warnings, printed output, file names), as
it may reach a result: capped to a few KB, so no submission can make a result large.

:func:`cap_text` is the one cap; :func:`autograder.grading.grade_files` passes every message, note and the
printed output of a result through it.
"""

from __future__ import annotations

MAX_TEXT_CHARS = 4000  # one message, note or the printed output in a result
MAX_NOTES = 50


def cap_text(text: object, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` (anything, as ``str``) cut to ``limit`` characters, saying how much was cut."""
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # a hostile __str__ never gets here from the wire (plain data only), but be safe
            text = "<unprintable text>"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters cut)"


def cap_notes(notes: list[str], limit: int = MAX_NOTES) -> list[str]:
    """At most ``limit`` notes, each capped; one more line says how many were left out."""
    kept = [cap_text(n, 500) for n in notes[:limit]]
    return kept + ([f"... and {len(notes) - limit} more notes"] if len(notes) > limit else [])
