"""The bad-input corpus (issue #4, item 2): honest mistakes, each with the message a student needs (which
file, which function, what was expected) and 0 only for what the mistake breaks.

Folders under ``submissions/honest/`` are overlays on ``correct_loops`` with one mistake (``# MISTAKE (name): ...``);
the hand-ins that cannot be committed as plain files (zips, encodings, empty folders) are built at test time.
"""

from __future__ import annotations

import codecs
import shutil
import zipfile
from pathlib import Path

import pytest

from .harness import BASE, HONEST, Expect, assert_outcome, materialize

P2_FILE = "p2_derivatives.py"
PROVIDED = "the grader provides numpy, sympy, mpmath and the Python standard library only"

CASES = {
    "masked_array_cache": Expect({}),
    "syntax_error": Expect(
        {"p2": 0.0},
        (("p2.sigmoid.values", "p2_derivatives.py does not compile: expected ':' (line 123)"),),
    ),
    "import_error": Expect(
        {"p4": 0.0},
        (
            ("p4.conv2d_forward.basic", "importing p4_conv_backprop.py raised ModuleNotFoundError"),
            ("p4.conv2d_forward.basic", "No module named 'scipy'"),
            ("p4.conv2d_forward.basic", PROVIDED),
            ("p4.conv2d_forward.basic", "line 4, in <module>: from scipy.signal import correlate2d"),
        ),
    ),
    "missing_function": Expect(
        {"p2.sigmoid_grad2.values": 0.0},
        (("p2.sigmoid_grad2.values", "p2_derivatives.py has no function sigmoid_grad2()"),),
    ),
    "wrong_signature": Expect(
        {"p4.conv_error_term.values": 0.0, "p4.conv_error_term.edge": 0.0},
        (
            ("p4.conv_error_term.values", "conv_error_term() takes 3 positional arguments but 4 were given"),
            ("p4.conv_error_term.values", "the grader calls conv_error_term(delta_next, w_next, z, f_prime)"),
        ),
    ),
    "transposed": Expect(
        {"p2.sigmoid_grad2.values": 0.6667},  # the 1-d case is its own transpose: 1 of 3 cases passes
        (("p2.sigmoid_grad2.values", "sigmoid_grad2 has shape (4, 3), expected shape (3, 4)"),),
    ),
    "column_vector": Expect(
        {
            "p1.backward.values": 0.0,
            "p1.backward.gradcheck": 0.0,
            "p1.bp_step.values": 0.0,
            "p1.bp_step.homework": 0.0,
            "p1.no_mutation": 0.0,
        },
        (
            ("p1.backward.values", "grads['b1'] has shape (2, 1), expected shape (2,)"),
            ("p1.backward.gradcheck", "the gradient for params['b1'] has shape (2, 1), expected shape (2,)"),
            ("p1.bp_step.values", "bp_step raised ValueError"),
        ),
    ),
    "list_instead_of_array": Expect({}),  # the spec accepts anything numpy.asarray makes a float array of
    "integer_dtype": Expect(
        {"p1.relu_grad.values": 0.0, "p1.no_mutation": 0.0},  # a property counts only where the values are right
        (("p1.relu_grad.values", "relu_grad has dtype int64; return floating-point values"),),
    ),
    "wrong_return_type": Expect(
        {"p1.squared_loss.values": 0.0, "p1.bp_step.values": 0.0, "p1.bp_step.homework": 0.0, "p1.no_mutation": 0.0},
        (
            ("p1.squared_loss.values", "squared_loss: returned float, expected a tuple of 2"),
            ("p1.bp_step.homework", "in bp_step: loss_before, dyhat = squared_loss(yhat_before, y)"),
        ),
    ),
    "exception_in_function": Expect(
        {"p2.sigmoid_grad2.values": 0.0},
        (("p2.sigmoid_grad2.values", "sigmoid_grad2 raised NameError: name 'sigmod' is not defined"),),
    ),
    "sympy_as_string": Expect(
        {"p2.sigmoid_grad_expr.values": 0.0, "p2.sigmoid_grad_expr.equivalent": 0.0},
        (("p2.sigmoid_grad_expr.equivalent", "sigmoid_grad_expr: returned str, expected a SymPy expression"),),
    ),
    "missing_file": Expect(
        {"p5": 0.0},
        (
            ("notes", "missing file p5_pool_backprop.py: its problem scores 0"),
            ("p5.maxpool_forward.basic", "the submission has no file p5_pool_backprop.py"),
        ),
    ),
    "prints_debug_output": Expect({}, (("output", "DEBUG conv2d_forward"),)),
}


# -- hand-ins built at test time -------------------------------------------------------------------------


def _zip_nested_extra(tmp: Path) -> Path:
    """A zip as students make them: nested folders, macOS and notebook debris, extra files, an older copy."""
    dest = tmp / "alice_hw1.zip"
    with zipfile.ZipFile(dest, "w") as z:
        for f in sorted(BASE.glob("*.py")):
            z.write(f, f"alice/Homework 1/assignments/hw1/{f.name}")
            z.writestr(f"__MACOSX/alice/Homework 1/assignments/hw1/._{f.name}", b"\x00\x05\x16\x07junk")
        z.writestr("alice/Homework 1/assignments/hw1/.ipynb_checkpoints/p2_derivatives-checkpoint.py", "x = (")
        z.writestr("alice/Homework 1/old/deeper/still/p2_derivatives.py", "raise SystemExit('an old copy')")
        z.writestr("alice/Homework 1/README.md", "# my homework\n")
        z.writestr("alice/Homework 1/notes.ipynb", "{}")
        z.writestr("alice/Homework 1/data.npz", b"PK\x03\x04 not really")
    return dest


def _folder_nested(tmp: Path) -> Path:
    sub = tmp / "bob"
    shutil.copytree(BASE, sub / "Homework 1" / "hw1")
    (sub / "Homework 1" / "report.pdf").write_bytes(b"%PDF-1.4 not really")
    return sub


def _empty_folder(tmp: Path) -> Path:
    (tmp / "carol").mkdir()
    return tmp / "carol"


def _readme_only(tmp: Path) -> Path:
    (tmp / "dave").mkdir()
    (tmp / "dave" / "README.md").write_text("I could not do it\n")
    return tmp / "dave"


def _empty_zip(tmp: Path) -> Path:
    with zipfile.ZipFile(tmp / "erin.zip", "w"):
        pass
    return tmp / "erin.zip"


def _not_a_zip(tmp: Path) -> Path:
    (tmp / "frank.zip").write_bytes(b"this is a rar file, renamed")
    return tmp / "frank.zip"


def _copy_with_p2(tmp: Path, name: str, data: bytes) -> Path:
    sub = tmp / name
    shutil.copytree(BASE, sub)
    (sub / P2_FILE).write_bytes(data)
    return sub


def _gbk_source(tmp: Path) -> Path:
    """Chinese text saved as GBK (a Windows default in China), not UTF-8. (In a string: CPython 3.11 does not
    check the encoding of comments.)"""
    text = '"""作业 (2)：sigmoid 的一阶和二阶导数"""\n' + (BASE / P2_FILE).read_text()
    return _copy_with_p2(tmp, "gbk_source", text.encode("gbk"))


def _utf8_bom(tmp: Path) -> Path:
    text = "# 作业 (2)\n" + (BASE / P2_FILE).read_text()
    return _copy_with_p2(tmp, "utf8_bom", codecs.BOM_UTF8 + text.encode("utf-8"))


def _crlf(tmp: Path) -> Path:
    return _copy_with_p2(tmp, "crlf", (BASE / P2_FILE).read_bytes().replace(b"\n", b"\r\n"))


NO_FILES = "no assignment file found in {} (expected p1_bp_relu.py, p2_derivatives.py, p3_flops.py"
BUILT = {
    "zip_nested_extra": (_zip_nested_extra, Expect({})),
    "folder_nested": (_folder_nested, Expect({})),
    "empty_folder": (_empty_folder, Expect(error=True, words=(("error", NO_FILES.format("carol")),))),
    "readme_only": (_readme_only, Expect(error=True, words=(("error", NO_FILES.format("dave")),))),
    "empty_zip": (_empty_zip, Expect(error=True, words=(("error", NO_FILES.format("erin.zip")),))),
    "not_a_zip": (
        _not_a_zip,
        Expect(error=True, words=(("error", NO_FILES.format("frank.zip")), ("notes", "is not a readable zip file"))),
    ),
    "gbk_source": (
        _gbk_source,
        Expect(
            {"p2": 0.0},
            (
                ("p2.sigmoid.values", "p2_derivatives.py does not compile: the file is not UTF-8 text"),
                ("p2.sigmoid.values", "save it with UTF-8 encoding"),
            ),
        ),
    ),
    "utf8_bom": (_utf8_bom, Expect({})),
    "crlf_line_endings": (_crlf, Expect({})),
}
ALL = {**CASES, **{name: expect for name, (_, expect) in BUILT.items()}}


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, Path]:
    out = {name: materialize(HONEST / name) for name in CASES}
    out.update({name: make(tmp_path_factory.mktemp(name)) for name, (make, _) in BUILT.items()})
    return out


def test_the_corpus_is_complete():
    assert {p.name for p in HONEST.iterdir() if p.is_dir()} == set(CASES)
    assert len(ALL) >= 10


@pytest.mark.parametrize("name", sorted(ALL))
def test_honest_mistake_costs_only_what_it_breaks(name, corpus, paths, assignment):
    corpus.prefetch(paths)
    graded = corpus.get(name, paths[name])
    assert_outcome(graded, assignment, ALL[name])
