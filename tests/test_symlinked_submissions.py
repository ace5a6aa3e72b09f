"""Symbolic links are refused on every path of a ``.py`` hand-in (``unzip`` of an LMS download recreates
them): a linked submission folder or zip in a class folder gets a result that says so (it is not followed,
and not silently left out), a linked file or folder inside a submission is skipped with a note."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from autograder.batch import grade_many

REPO = Path(__file__).resolve().parent.parent
STUB = REPO / "examples" / "submissions" / "hw1" / "stubs_only" / "p1_bp_relu.py"
REFERENCE = REPO / "solutions" / "hw1"


def test_links_are_refused_with_a_note_and_every_other_submission_is_graded(tmp_path):
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    shutil.copy(STUB, klass / "alice")
    (klass / "bob").symlink_to(REFERENCE, target_is_directory=True)  # the reference, as a hand-in
    with zipfile.ZipFile(tmp_path / "carol.zip", "w") as z:
        z.write(STUB, "hw1/p1_bp_relu.py")
    (klass / "carol.zip").symlink_to(tmp_path / "carol.zip")
    dave = klass / "dave"
    dave.mkdir()
    shutil.copy(STUB, dave)
    (dave / "p4_conv_backprop.py").symlink_to(REFERENCE / "p4_conv_backprop.py")
    (dave / "hw1").symlink_to(REFERENCE, target_is_directory=True)

    results = {r.submission: r for r in grade_many([klass], "hw1", seed=5, run_canary=False)}
    assert set(results) == {"alice", "bob", "carol", "dave"}
    for name in ("bob", "carol"):
        assert results[name].score == 0 and results[name].checks == []
        assert any("is a symbolic link: refused" in n for n in results[name].notes), results[name].notes
    assert results["dave"].problems["p4"]["score"] == 0, "the linked reference earns nothing"
    notes = " | ".join(results["dave"].notes)
    assert "p4_conv_backprop.py: skipped (a symbolic link" in notes and "hw1/: skipped (a symbolic link" in notes
    assert "p1" in results["alice"].problems and not any("symbolic" in n for n in results["alice"].notes)
