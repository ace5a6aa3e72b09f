"""Reading files a student controls (a submitted notebook, its ``timestamp.txt``) without trusting them.

A file is read only when it is a regular file reached without a symbolic link in its last component
(``O_NOFOLLOW``), opened without waiting (``O_NONBLOCK``: a FIFO or a device cannot hang the grader) and no
larger than a cap; a notebook only when it is UTF-8 JSON nested no deeper than a bound and its cells have the
shapes nbgrader writes (so that no later step meets an integer where it expects a cell). Every refusal is a
:class:`Refused` whose text says why, in words fit for the student's feedback.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 1024**2  # a notebook with a few plots is far smaller
MAX_DEPTH = 64  # nbformat nests a handful of levels
MAX_CELLS = 10_000


class Refused(ValueError):
    """A student's file the grader will not read (the message says why)."""


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (not a symbolic link, at most ``limit`` bytes), or :class:`Refused`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if Path(path).is_symlink():  # O_NOFOLLOW is the guarantee; this names the case on every platform
        raise Refused("it is a symbolic link (hand in the file itself)")
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("it is a symbolic link (hand in the file itself)") from None
        raise Refused(f"it could not be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("it is not a regular file")
        if info.st_size > limit:
            raise Refused(f"it is larger than {limit >> 20} MB ({info.st_size} bytes)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Refused(f"it is larger than {limit >> 20} MB")
        return b"".join(chunks)
    except OSError as exc:
        raise Refused(f"it could not be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts nest more than ``limit`` levels in ``value`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _source_text(cell: dict, where: str) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise Refused(f"{where}: its source is not text (a string or a list of strings)")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"{where}: its source holds characters that are not valid Unicode") from None
    return source


def check_notebook(nb: object) -> dict:
    """``nb`` if it has the shape of an nbgrader notebook as far as the grader reads it, else :class:`Refused`:
    a JSON object whose ``cells`` is a list of objects, each with a string ``cell_type``, text ``source``, an
    object ``metadata`` whose ``nbgrader`` (if any) is an object with a string ``grade_id`` (if any), and a
    list ``outputs`` (if any)."""
    if not isinstance(nb, dict):
        raise Refused("it is not a notebook (a JSON object with a list of cells)")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise Refused("it has no list of cells")
    if len(cells) > MAX_CELLS:
        raise Refused(f"it has more than {MAX_CELLS} cells")
    for i, cell in enumerate(cells):
        where = f"cell {i + 1}"
        if not isinstance(cell, dict):
            raise Refused(f"{where} is not a cell (a JSON object)")
        if not isinstance(cell.get("cell_type", ""), str):
            raise Refused(f"{where}: its cell_type is not a string")
        _source_text(cell, where)
        meta = cell.get("metadata", {})
        if not isinstance(meta, dict):
            raise Refused(f"{where}: its metadata is not an object")
        grading = meta.get("nbgrader", {})
        if not isinstance(grading, dict) or not isinstance(grading.get("grade_id", ""), str):
            raise Refused(f"{where}: its nbgrader metadata is malformed")
        if not isinstance(cell.get("outputs", []), list):
            raise Refused(f"{where}: its outputs are not a list")
    return nb


def read_notebook(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> dict:
    """A student's notebook, read by the rules above, or :class:`Refused` saying why it was not."""
    data = read_capped(path, limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("it is not UTF-8 text") from None
    try:
        nb = json.loads(text)
    except RecursionError:  # the decoder's own bound (the recursion limit): 100,000 brackets end here
        raise Refused(f"its JSON is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise Refused(f"it is not JSON ({str(exc)[:100]})") from None
    if too_deep(nb):  # copying or writing it back would recurse that deep
        raise Refused(f"its JSON is nested more than {MAX_DEPTH} levels deep")
    return check_notebook(nb)


def read_small_text(path: Path, limit: int = 4096) -> str | None:
    """A short text file a student controls (``timestamp.txt``), or None if it is missing, a link, too large,
    not a regular file or not UTF-8."""
    try:
        return read_capped(path, limit).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return None
