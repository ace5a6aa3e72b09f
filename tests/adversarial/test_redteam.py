"""The red-team corpus (issue #4, item 1): hostile hw1 submissions, each graded once, with its expected outcome.

Each folder under ``submissions/`` is an overlay on ``examples/submissions/hw1/correct_loops``: one file with
one attack appended (``# ATTACK (name): ...``), so every check the attack does not touch must still give full
points (:func:`harness.materialize` lays it over ``correct_loops``).
A few attacks are built at test time (symlinks, zips) because they cannot be committed as plain files.

Two tables, as data:
- ``ATTACKS``: the points (0 exactly on the attacked checks, full elsewhere), a message, the grader alive,
  the wall time bounded, the feedback inert;
- ``LEFT_BEHIND``: what must not be left on the machine afterwards (processes, files, connections).

A row that ``needs`` isolation layers (any one of them defends: ``autograder.sandbox.isolation``) is an
expected failure on a machine where none of them is in force, and an ordinary test where one is.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from .harness import ATTACKS as ATTACK_DIR
from .harness import BASE, REPO, Expect, Graded, assert_outcome, marks, materialize

SG2 = "p2.sigmoid_grad2.values"
LOST_SG2 = {SG2: 0.0}
P2_FILE, P4_FILE = "p2_derivatives.py", "p4_conv_backprop.py"


NEVER_FINISHED = "importing p4_conv_backprop.py never finished"


def sg2(words: str, **kw) -> Expect:
    """sigmoid_grad2 loses its 2 points, nothing else does; its message says ``words``."""
    return Expect(LOST_SG2, ((SG2, words),), **kw)


def p4(words: str, **kw) -> Expect:
    """p4 (whose module the attack breaks at import) scores 0, the rest full."""
    return Expect({"p4": 0.0}, (("p4.conv2d_forward.basic", words), ("p4.conv_error_term.edge", words)), **kw)


#: attack -> expected outcome. The attacked file and function: sigmoid_grad2 in p2 unless the row says p4
#: (import time) or relu in p1 (mutation).
ATTACKS = {
    # values that lie about what they are
    "eq_always_true": sg2("returned _AlwaysEqual that is not numeric (dtype object)"),
    "ndarray_subclass": sg2("has dtype float16"),
    "array_function_duck": sg2("returned _Duck that is not numeric"),
    "array_ufunc_duck": sg2("sigmoid_grad2 differs from the expected value"),
    "class_spoof": sg2("returned _Spoof that is not numeric"),
    "nan_inf": sg2("is inf, expected"),
    "broadcast_scalar": sg2("sigmoid_grad2 has shape (), expected shape (10,)"),
    "broadcast_shape": sg2("sigmoid_grad2 has shape (1, 10), expected shape (10,)"),
    "object_dtype": sg2("not numeric (dtype object)"),
    "complex_dtype": sg2("has complex values (dtype complex128)"),
    "float16_dtype": sg2("has dtype float16; float64 inputs need float64 results"),
    # monkeypatching at import
    "patch_numpy": sg2("differs from the expected value"),
    "patch_math_json": sg2("differs from the expected value"),
    "patch_builtins": sg2("differs from the expected value"),
    "mutate_and_patch_numpy": Expect({"p1.no_mutation": 0.0}, (("p1.no_mutation", "relu modified its input"),)),
    "mutate_and_patch_evaluator": Expect({"p1.no_mutation": 0.0}, (("p1.no_mutation", "relu modified its input"),)),
    "thread_mutation": Expect({"p1.no_mutation": 0.0}, (("p1.no_mutation", "relu modified its input x in place"),)),
    # values that do not follow from the inputs
    "forward_memo_zero_backward": Expect(
        {
            "p4.conv2d_backward.basic": 0.0,
            "p4.conv2d_backward.stride_pad": 0.0,
            "p4.conv2d_backward.gradcheck": 0.0,
            "p4.no_mutation": 0.0,
        },
        (("p4.conv2d_backward.gradcheck", "conv2d_forward"),),
    ),
    # reading what it must not
    "read_solutions": sg2("differs from the expected value", needs=("fs",)),
    "replay_public_answers": sg2("differs from the expected value"),
    "peek_grader_process": sg2("differs from the expected value"),
    "tamper_other_sandboxes": sg2("differs from the expected value"),
    "steal_getframe": sg2("differs from the expected value"),
    "steal_inspect": sg2("differs from the expected value"),
    "steal_gc": sg2("differs from the expected value"),
    # lying to what reads the results
    "fake_score_stdout": sg2("differs from the expected value"),
    "fake_results_json": sg2("differs from the expected value"),
    "ansi_html_messages": sg2("sigmoid_grad2 raised ValueError"),
    # leaving early
    "sys_exit_at_import": p4("importing p4_conv_backprop.py raised SystemExit"),
    "os_exit_at_import": Expect(
        {"p4": 0.0},
        (("p4.conv2d_forward.basic", "the student's code ended the evaluator"), ("p4.no_mutation", NEVER_FINISHED)),
    ),
    "keyboard_interrupt_at_import": p4("importing p4_conv_backprop.py raised KeyboardInterrupt"),
    "sys_exit_in_function": sg2("sigmoid_grad2 raised SystemExit"),
    "os_exit_in_function": sg2("the student's code ended the evaluator"),
    "keyboard_interrupt_in_function": sg2("sigmoid_grad2 raised KeyboardInterrupt"),
    # never finishing
    "infinite_loop_unkillable": sg2("did not finish within 5 s"),
    "sleep_forever": sg2("did not finish within 5 s"),
    "hang_at_import": Expect(
        {"p4": 0.0},
        (("p4.conv2d_forward.basic", "did not finish within 5 s"), ("p4.conv_error_term.values", NEVER_FINISHED)),
        seconds=45,
    ),
    # processes and resources
    "fork_bomb": Expect(LOST_SG2),  # the message depends on whether fork is allowed at all
    "setsid_daemon": Expect(LOST_SG2),
    "kill_grader": sg2("differs from the expected value", needs=("pid", "uid")),
    "memory_bomb": Expect(LOST_SG2),  # wrong values, or out of time under load
    "raise_rlimits": sg2("differs from the expected value"),
    "disk_fill": sg2("differs from the expected value"),
    "stdout_flood": sg2("differs from the expected value"),
    "recursion_bomb": Expect(LOST_SG2),
    "ctypes_segfault": sg2("crashed the evaluator (a segmentation fault)"),
    # the protocol: forged frames (the child then exits, so the next request may find it gone: contained)
    "npy_huge_header": Expect(LOST_SG2, ((SG2, "is larger than the grader accepts"),), contained=True),
    "pickle_payload": Expect(LOST_SG2, ((SG2, "values of dtype object are not numbers"),), contained=True),
    "forged_reply_score": Expect(LOST_SG2, contained=True),  # no id: malformed today, refused with ids
    "forged_reply_desync": Expect(LOST_SG2, contained=True),
    # floods and leaks on the way back (test_channels.py: memory, result size, no hidden input in a public check)
    "reply_flood_frame": Expect(LOST_SG2, ((SG2, "bytes this request allows (written by your code)"),), contained=True),
    "reply_many_keys": Expect(
        {"p1.backward.values": 0.0, "p1.backward.gradcheck": 0.0, "p1.no_mutation": 0.0},
        (("p1.backward.values", "returned a dict with extra keys"), ("p1.backward.values", "and 19995 more")),
    ),
    "hidden_input_recorder": Expect(
        {"p1.sgd_update.values": 0.0, "p1.bp_step.values": 0.0, "p1.bp_step.homework": 0.0, "p1.no_mutation": 0.0},
        (("p1.sgd_update.values", "sgd_update raised ValueError: RECORDED["),),
    ),
    # the network and files beside the submission
    "socket_localhost": sg2("differs from the expected value"),
    "shadow_modules": Expect({}),
    # symbolic answers (p2): judged in the grader's worker process at points from the grading seed
    "symbolic_interpolation": Expect(
        {"p2.sigmoid_grad_expr.values": 0.0, "p2.sigmoid_grad_expr.equivalent": 0.0},
        (("p2.sigmoid_grad_expr.equivalent", "differs at x ="), ("p2.sigmoid_grad_expr.values", "differs at x =")),
    ),
    "symbolic_piecewise": Expect(
        {"p2.sigmoid_grad_expr.values": 0.0, "p2.sigmoid_grad_expr.equivalent": 0.0},
        (("p2.sigmoid_grad_expr.equivalent", "differs at x ="),),
    ),
    "symbolic_heaviside": Expect(
        {"p2.sigmoid_grad_expr.values": 0.0, "p2.sigmoid_grad_expr.equivalent": 0.0},
        (("p2.sigmoid_grad_expr.equivalent", "differs at x ="),),
    ),
    "symbolic_tiny_offset": Expect(
        {"p2.log_softmax_grad_expr.values": 0.0, "p2.log_softmax_grad_expr.equivalent": 0.0},
        (("p2.log_softmax_grad_expr.equivalent", "differs at x1 ="),),
    ),
    "symbolic_eval_hang": Expect(
        {"p2.sigmoid_grad2_expr.values": 0.0, "p2.sigmoid_grad2_expr.equivalent": 0.0},
        (("p2.sigmoid_grad2_expr.equivalent", "the grader could not evaluate your answer within 5 s"),),
        seconds=45,
    ),
    "symbolic_parse_hang": Expect(
        {"p2.sigmoid_grad2_expr.values": 0.0, "p2.sigmoid_grad2_expr.equivalent": 0.0},
        (("p2.sigmoid_grad2_expr.equivalent", "is too large"),),
        seconds=45,
    ),
}

#: Attacks graded in a separate grader process (they go for the grader itself).
IN_SUBPROCESS = {"kill_grader"}
#: Attacks that need a listener on 127.0.0.1 while they are graded.
LISTEN = {"socket_localhost"}


def _symlink_to_solutions(tmp: Path) -> Path:
    sub = tmp / "symlink_to_solutions"
    shutil.copytree(BASE, sub)
    (sub / P2_FILE).unlink()
    (sub / P2_FILE).symlink_to(REPO / "solutions" / "hw1" / P2_FILE)  # the reference itself, by absolute path
    (sub / "solutions").symlink_to(REPO / "solutions", target_is_directory=True)
    (sub / "nested").mkdir()
    (sub / "nested" / "grading.py").symlink_to(REPO / "autograder" / "grading.py")
    return sub


def _zip_with_links(tmp: Path) -> Path:
    """A zip whose p2 is a symlink member to the reference, plus members that climb out of the folder."""
    dest = tmp / "zip_with_links.zip"
    with zipfile.ZipFile(dest, "w") as z:
        for f in sorted(BASE.glob("*.py")):
            if f.name != P2_FILE:
                z.write(f, f"hw1/{f.name}")
        link = zipfile.ZipInfo(f"hw1/{P2_FILE}")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, str(REPO / "solutions" / "hw1" / P2_FILE))
        z.writestr(f"../../{P2_FILE}", (BASE / P2_FILE).read_text())
        z.writestr(f"/tmp/{P2_FILE}", (BASE / P2_FILE).read_text())
    return dest


#: Attacks built at test time (they cannot be committed as plain files).
BUILT = {"symlink_to_solutions": _symlink_to_solutions, "zip_with_links": _zip_with_links}
ATTACKS["symlink_to_solutions"] = Expect(
    {"p2": 0.0},
    (("notes", f"{P2_FILE}: skipped (a symbolic link"), ("p2.sigmoid.values", f"the submission has no file {P2_FILE}")),
)
ATTACKS["zip_with_links"] = Expect(
    {"p2": 0.0}, (("notes", "skipped (unsafe path or link)"), ("notes", f"missing file {P2_FILE}"))
)

#: (attack, observation, what it must be, layers of which any one defends): what must not be left on the
#: machine after the attack's grading.
LEFT_BEHIND = [
    ("fork_bomb", "processes", [], ()),  # the evaluator's process group is killed after each run
    ("setsid_daemon", "processes", [], ("pid", "uid")),
    ("setsid_daemon", "heartbeat_fresh", False, ("pid", "uid")),
    ("pickle_payload", "files", {}, ()),  # the parent never unpickles
    ("shadow_modules", "files", {}, ()),  # python -I -S, the runtime first on sys.path
    ("fake_results_json", "cwd_files", [], ("fs", "pid")),
    ("socket_localhost", "connections", 0, ("net", "seccomp")),
    ("raise_rlimits", "files", {}, ("uid", "fs")),
    ("read_solutions", "files", {}, ()),
    ("memory_bomb", "files", {}, ()),  # RLIMIT_AS
    ("peek_grader_process", "files", {}, ("pid", "fs")),
    ("tamper_other_sandboxes", "files", {}, ("uid", "fs")),
    ("kill_grader", "grader_exit", 0, ("pid", "uid")),
]


#: Attacks that leave something for the test to observe: graded one at a time, and watched afterwards.
WATCHED = {n for n, *_ in LEFT_BEHIND} | {"disk_fill", "memory_bomb", "fork_bomb"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return {name: make(tmp_path_factory.mktemp(name)) for name, make in BUILT.items()}


def _path(name: str, built: dict[str, Path]) -> Path:
    return built[name] if name in BUILT else materialize(ATTACK_DIR / name)


def _graded(name: str, corpus, built: dict[str, Path]) -> Graded:
    corpus.prefetch({n: _path(n, built) for n in sorted(ATTACKS) if n not in WATCHED})
    return corpus.get(name, _path(name, built), in_subprocess=name in IN_SUBPROCESS, listen=name in LISTEN)


def _param(name: str, expect: Expect):
    return pytest.param(name, marks=marks(expect.needs, expect.xfail), id=name)


def test_the_corpus_is_complete():
    folders = {p.name for p in ATTACK_DIR.iterdir() if p.is_dir() and p.name != "honest"}
    assert folders == set(ATTACKS) - set(BUILT)
    assert len(ATTACKS) >= 30


@pytest.mark.parametrize("name", sorted(set(ATTACKS) - set(BUILT)))
def test_each_attack_changes_one_file_of_a_correct_submission(name):
    """An attack's folder holds the attacked file only (and extra files); the rest is correct_loops."""
    folder = ATTACK_DIR / name
    changed = [f.name for f in sorted(BASE.glob("*.py")) if (folder / f.name).is_file()]
    assert len(changed) <= 1, changed
    for f in changed:
        assert (folder / f).read_text().startswith(f"# ATTACK ({name}):")  # appended to the correct file
        whole = materialize(folder) / f
        assert whole.read_bytes().startswith((BASE / f).read_bytes().rstrip(b"\n"))


@pytest.mark.parametrize("name", [_param(n, e) for n, e in sorted(ATTACKS.items())])
def test_attack_earns_nothing(name, corpus, built, assignment):
    graded = _graded(name, corpus, built)
    assert_outcome(graded, assignment, ATTACKS[name])


@pytest.mark.parametrize(
    ("name", "what", "want"),
    [pytest.param(n, w, v, id=f"{n}-{w}", marks=marks(needs)) for n, w, v, needs in LEFT_BEHIND],
)
def test_attack_leaves_nothing_behind(name, what, want, corpus, built):
    graded = _graded(name, corpus, built)
    assert graded.observed[what] == want, graded.observed


def test_html_in_messages_is_shown_as_text(corpus, built):
    """The message keeps the student's text visible (escapes shown as codes) and Gradescope gets it as text."""
    from autograder.report import gradescope_json, submission_table

    result = _graded("ansi_html_messages", corpus, built).result
    table = submission_table(result)
    assert "\\x1b[2J" in table and "\x1b" not in table and "\u202e" not in table
    doc = gradescope_json(result)
    test = next(t for t in doc["tests"] if t["name"].startswith(SG2))
    assert "<script>" in test["output"] and test["output_format"] == "text"


def test_names_and_errors_are_not_formulas_in_the_gradebook(corpus, built):
    """A hand-in named like a spreadsheet formula (the name is the student's zip or folder name) stays text."""
    import csv
    import dataclasses
    import io

    from autograder.report import gradebook_csv

    result = _graded("fake_score_stdout", corpus, built).result
    evil = dataclasses.replace(result, submission='=HYPERLINK("http://x","100")', error="+1\x1b[2J")
    rows = list(csv.DictReader(io.StringIO(gradebook_csv([evil], ["p1", "p2"]))))
    assert rows[0]["submission"].startswith("'=") and rows[0]["error"].startswith("'+")
    assert "\x1b" not in rows[0]["error"]
