"""The README's examples are what the commands print and accept (issue #13: "the README's examples match what the
commands print").

- The README opens with the two commands of a fresh machine (the main job, the tests), as CI runs them.
- Every output block that starts with ``$ autograder ...`` is produced by running that command here: each of
  its lines (``...`` stands for lines left out) is a line of the real output, in the same order.
- Every ``autograder`` command line of a ``bash`` block names a command and options that exist (its ``--help``
  lists each option).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _blocks(language: str | None = None) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if language is None or lang == language]


def _output_blocks() -> list[tuple[str, list[str]]]:
    out = []
    for body in _blocks(""):
        lines = body.splitlines()
        if lines and lines[0].startswith("$ autograder "):
            out.append((lines[0][2:], lines[1:]))
    return out


def _autograder(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def test_the_readme_opens_with_the_two_commands_of_a_fresh_machine():
    first = _blocks()[0].splitlines()
    commands = [line.split("#")[0].strip() for line in first]
    assert commands == ["pip install -e . && autograder demo", "pip install -e '.[test]' && python -m pytest -q"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci and ".[test]" in ci, "CI must run exactly the README's test command"


def test_there_is_an_output_example_to_check():
    assert _output_blocks(), "the README should show what a command prints, as a `$ autograder ...` block"


@pytest.mark.parametrize("command,shown", _output_blocks(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_output_example_is_what_the_command_prints(command, shown):
    run = _autograder(*shlex.split(command)[1:])
    printed = (run.stdout + run.stderr).splitlines()
    at = 0
    for line in shown:
        if line.strip() == "...":
            continue
        assert line in printed[at:], f"the README shows a line `{command}` does not print (after line {at}):\n{line}"
        at = printed.index(line, at) + 1


def _command_lines() -> list[list[str]]:
    lines = []
    for body in _blocks("bash"):
        for raw in body.splitlines():
            text = raw.split(" #")[0].strip()
            for part in re.split(r"&&|;", text):
                words = part.strip().split()
                while words and "=" in words[0] and not words[0].startswith("-"):  # VAR=value autograder ...
                    words = words[1:]
                if len(words) >= 2 and words[0] == "autograder":
                    lines.append(words)
    return lines


def test_every_command_and_option_the_readme_names_exists():
    lines = _command_lines()
    assert len(lines) > 10
    helps: dict[str, str] = {}
    for words in lines:
        sub = words[1]
        if sub not in helps:
            run = _autograder(sub, "--help", timeout=60)
            assert run.returncode == 0, f"the README names `autograder {sub}`, which does not exist: {run.stderr}"
            helps[sub] = run.stdout
        for word in words[2:]:
            option = word.strip("[]").split("=")[0]
            if option.startswith("--"):
                assert option in helps[sub], f"the README uses `autograder {sub} {option}`, which it does not accept"
