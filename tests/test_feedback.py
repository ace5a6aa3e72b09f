"""The feedback pages ``grade --out DIR`` writes (autograder/feedback.py), their figures (autograder/plots.py)
and the plot data judges attach (autograder/plot_data.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from autograder import feedback, plot_data, plots
from autograder.grading import CaseResult, CheckResult, SubmissionResult
from autograder.judges import Compare
from autograder.programs import call

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "examples" / "submissions" / "hw1"
EVIL = REPO / "tests" / "adversarial" / "submissions" / "ansi_html_messages"
BUGGY, CORRECT = "maxpool_overlap_assign", "correct_loops"


class _Page(HTMLParser):
    """The tags, image sources and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.images += [v or "" for k, v in attrs if tag == "img" and k == "src"]
        self.links += [v or "" for k, v in attrs if k in ("href", "src") and tag != "img"]


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def is_png(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.format == "PNG" and image.size[0] > 50 and image.size[1] > 50


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """Two hw1 samples and the red-team submission whose exception texts are HTML, graded with ``--out``."""
    pytest.importorskip("matplotlib")
    klass = tmp_path_factory.mktemp("class")
    for folder in (SAMPLES / BUGGY, SAMPLES / CORRECT, EVIL):
        shutil.copytree(folder, klass / folder.name)
    out = tmp_path_factory.mktemp("out")
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(klass), "--assignment", "hw1", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return out


def test_both_pages_are_written_with_lost_points_messages_hints_and_figures(graded):
    pages = graded / "feedback"
    for name in (BUGGY, CORRECT):
        assert {f"{name}.html", f"{name}.md", f"{name}.staff.html"} <= {p.name for p in pages.iterdir()}
    result = json.loads((graded / "submissions" / f"{BUGGY}.json").read_text())
    text = (pages / f"{BUGGY}.html").read_text(encoding="utf-8")
    lost = [c for c in result["checks"] if c["points"] < c["max_points"]]
    assert lost and "Lost points" in text
    for check in lost:
        assert check["id"] in text
        if check["hint"]:
            assert feedback.esc(check["hint"]) in text
        if check["public"]:
            assert feedback.esc(check["message"]) in text
    page = parse(pages / f"{BUGGY}.html")
    assert page.images, "the buggy page shows at least one figure"
    for src in page.images:
        assert not src.startswith(("/", "http", "data:")) and is_png(pages / src)
    staff = parse(pages / f"{BUGGY}.staff.html")
    assert set(page.images) < set(staff.images)  # the hidden check's error maps: the staff page only
    assert all(is_png(pages / src) for src in staff.images)


def test_a_correct_submission_gets_full_marks_and_no_figures(graded):
    pages = graded / "feedback"
    text = (pages / f"{CORRECT}.html").read_text(encoding="utf-8")
    assert "Full marks: 100 / 100" in text and "Lost points" not in text
    assert parse(pages / f"{CORRECT}.html").images == [] and not (pages / CORRECT).exists()
    assert "**Full marks: 100 / 100**" in (pages / f"{CORRECT}.md").read_text(encoding="utf-8")


def test_the_pages_are_self_contained(graded):
    for path in (graded / "feedback").glob("*.html"):
        page = parse(path)
        assert "script" not in page.tags and page.links == [], path.name
        assert not re.search(r"https?://", path.read_text(encoding="utf-8").replace("&lt;", "<")), path.name


def test_hidden_checks_show_no_input_value_or_figure_on_the_students_page(graded):
    pages = graded / "feedback"
    result = json.loads((graded / "submissions" / f"{BUGGY}.json").read_text())
    hidden = [c for c in result["checks"] if not c["public"] and c["points"] < c["max_points"]]
    assert hidden
    student = [(pages / f"{BUGGY}{ext}").read_text(encoding="utf-8") for ext in (".html", ".md")]
    staff = (pages / f"{BUGGY}.staff.html").read_text(encoding="utf-8")
    for check in hidden:
        for case in (k for k in check["cases"] if not k["passed"]):
            said = case["message"].split("] ", 1)[1]  # what the check found: values, expected values
            assert feedback.esc(said) in staff
            assert all(said not in page and feedback.esc(said) not in page for page in student)
            assert feedback.esc(case["label"]) in student[0] and feedback.md_text(case["label"]) in student[1]
    assert str(result["seed"]) in staff and all(str(result["seed"]) not in page for page in student)
    assert not any(".staff/" in src for src in parse(pages / f"{BUGGY}.html").images)
    assert ".staff/" not in student[1]


def test_html_in_a_students_message_is_shown_as_text(graded):
    pages = graded / "feedback"
    name = EVIL.name
    for path in (pages / f"{name}.html", pages / f"{name}.staff.html"):
        text = path.read_text(encoding="utf-8")
        page = parse(path)
        assert "<script>" not in text and "<img src=x" not in text and "script" not in page.tags
        assert all(src.startswith((f"{name}/", f"{name}.staff/")) for src in page.images)
        assert "\u202e" not in text and "\x1b" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in (pages / f"{name}.html").read_text(encoding="utf-8")


def _result_with_plot(message: str = "[case] dx differs") -> SubmissionResult:
    got, want = np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 4, 4))
    want[0, 1, 2, 3] = 1.0
    plot = plot_data.capped({"kind": "error_map", "label": "dx", "got": got, "want": want})
    case = CaseResult("case", False, message, plot)
    check = CheckResult("p5.f.values", "p5", "f", "f matches", True, 0.0, 2.0, message, "a hint <b>", [case])
    return SubmissionResult("s<1>", "hw1", 3, 0.0, 2.0, {"p5": {"score": 0.0, "max_score": 2.0}}, [check])


def test_without_matplotlib_the_pages_say_where_the_figure_would_be(tmp_path, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)  # every import of it fails
    assert not plots.available()
    written = feedback.write_feedback(tmp_path, _result_with_plot(), "s1")
    assert all(p.exists() for p in written) and len(written) == 3
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "pip install &#x27;nnopt-autograder[plots]&#x27;" in text or "nnopt-autograder\\[plots\\]" in text
    assert not list(tmp_path.rglob("*.png"))


def test_student_text_in_names_hints_and_messages_is_escaped(tmp_path):
    pytest.importorskip("matplotlib")
    result = _result_with_plot("[case] <img src=x onerror=alert(1)> ``` # not a heading")
    feedback.write_feedback(tmp_path, result, "s1")
    page = parse(tmp_path / "s1.html")
    assert page.images == ["s1/plot-p5.f.values-1.png"] and is_png(tmp_path / page.images[0])
    text = (tmp_path / "s1.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "s&lt;1&gt;" in text and "a hint &lt;b&gt;" in text
    md = (tmp_path / "s1.md").read_text(encoding="utf-8")
    assert "````text\n[case] <img src=x onerror=alert(1)> ``` # not a heading\n````" in md  # a longer fence
    assert "s\\<1\\>" in md and "a hint \\<b\\>" in md


def test_the_result_json_holds_no_plot_data():
    result = _result_with_plot()
    data = result.to_json()
    assert "plot" not in json.dumps(data) and result.checks[0].cases[0].plot is not None
    assert SubmissionResult.from_json(data).checks[0].cases[0].plot is None


def test_compare_attaches_an_error_map_only_where_values_are_wrong():
    judge = Compare(call("f", "x"))
    want = np.arange(24.0).reshape(2, 3, 4)
    got = want.copy()
    got[1, 2, 3] += 1.0
    reply = {"steps": [{"name": "r", "fn": "f", "status": "ok"}], "returns": [got]}
    outcome = judge.judge({"x": want}, reply, [want])
    assert not outcome.passed and outcome.plot["kind"] == "error_map"
    assert int(outcome.plot["wrong"].sum()) == 1 and outcome.plot["wrong"][1, 2, 3]
    assert judge.judge({"x": want}, dict(reply, returns=[want.copy()]), [want]).plot is None
    assert judge.judge({"x": want}, dict(reply, returns=[want[0]]), [want]).plot is None  # a wrong shape


def test_caps_keep_every_wrong_entry_and_no_expected_value():
    got = np.zeros((40, 200, 130))
    want = got.copy()
    want[39, 199, 129] = 2.0
    kept = plot_data.capped({"kind": "error_map", "label": "dx", "got": got, "want": want})
    assert kept["error"].shape[0] <= plot_data.MAX_IMAGES and max(kept["error"].shape[1:]) <= plot_data.MAX_SIDE
    assert kept["error"].max() == 2.0 and "dx[39]" in kept["images"] and kept["omitted"] == 40 - len(kept["images"])
    assert not {"got", "want"} & set(kept)
    path = np.cumsum(np.ones((5000, 2)), axis=0)
    kept = plot_data.capped({"kind": "trajectory", "paths": {"yours": path}})
    assert len(kept["paths"]["yours"]) == plot_data.MAX_POINTS and (kept["paths"]["yours"][-1] == path[-1]).all()
    with pytest.raises(ValueError, match="unknown plot kind"):
        plot_data.capped({"kind": "pie"})
    with pytest.raises(ValueError, match="one shape"):
        plot_data.capped({"kind": "error_map", "got": np.zeros((2, 2)), "want": np.zeros((2, 3))})


EXAMPLES = {
    "error_map": {"got": np.eye(5), "want": np.zeros((5, 5)), "label": "dx"},
    "trajectory": {
        "paths": {"yours": np.array([[3.0, 0.3], [2.0, -0.3], [1.0, 0.3]]), "reference": [[3.0, 0.3], [1.0, 0.0]]},
        "surface": {"kind": "quadratic", "a": 1.0, "b": 200.0, "center": [0.0, 0.0]},
    },
    "curves": {"x": np.linspace(-3, 3, 50), "series": {"yours": np.tanh(np.linspace(-3, 3, 50))}, "xlabel": "x"},
    "histogram": {"series": {"yours": np.linspace(0, 1, 100), "reference": np.linspace(0.5, 1, 100)}},
    "surface": {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0], "z": [[0, 1, 4], [1, 2, 5]], "points": {"m": [0, 0]}},
}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_plot_kind_draws_a_png(kind, tmp_path):
    pytest.importorskip("matplotlib")
    assert not set(plots.DRAWERS) & set(plots.PAINTERS)
    assert set(plots.DRAWERS) | set(plots.PAINTERS) == set(plot_data.KINDS) == set(EXAMPLES)
    plots.draw(plot_data.capped({"kind": kind, "title": "a $title$", **EXAMPLES[kind]}), tmp_path / "f.png")
    assert is_png(tmp_path / "f.png")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_the_page_renders_in_headless_chromium(graded, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    page = graded / "feedback" / f"{BUGGY}.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}"]
    run = subprocess.run(
        [CHROMIUM, *flags, "--window-size=1000,2000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0 and is_png(shot), run.stderr[-2000:]
    with Image.open(shot) as image:
        colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colors is None or len(colors) > 50  # text, tables and a figure: not a blank page
