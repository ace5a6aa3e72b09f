"""The feedback pages and their figures per sample submission: this tree against the figures drawn as
before (commit f929cef: an error map a Figure with an Axes per image; the other kinds in constrained layout,
a histogram a patch per bar), in one run.

    python benchmarks/pages_speed.py [--assignment hw1] [--repeat 7] [--out FILE]

The assignment's samples (examples/submissions/ASSIGNMENT) are graded once; then ``--repeat`` rounds, each
writing every sample's pages (HTML, staff HTML, Markdown, figures; ``write_feedback`` as ``grade --out``
calls it) three ways, interleaved so that the machine's load falls on all alike: with this tree's figures,
with the old figure path (``old_draw`` below, put in place of :func:`autograder.plots.draw`), and with no
figure drawn at all (the pages' text and files alone, the floor). Printed: the median and spread per
submission, per figure, the ratio and the PNG sizes.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from _machine import REPO, header, run_teed, spread

SAMPLES = REPO / "examples" / "submissions"
SEED = 20261123


def old_error_map(figure: Any, plot: dict) -> None:
    """The error map as commit f929cef drew it: an Axes per image, a colour bar, a scatter of × marks."""
    from matplotlib import colormaps

    from autograder.plots import _CELL, plain

    error, wrong = plot["error"], plot["wrong"]
    k = len(error)
    cols = min(k, 4)
    rows = -(-k // cols)
    width, height = min(2.0 + _CELL * cols, 10.0), 0.8 + _CELL * rows
    figure.set_size_inches(width, height)
    finite = error[np.isfinite(error)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    figure.subplots_adjust(
        left=0.1 / width,
        right=1 - 1.45 / width,
        bottom=(0.35 if plot["omitted"] else 0.1) / height,
        top=1 - 0.62 / height,
        hspace=0.4 / _CELL,
        wspace=0.15,
    )
    axes = figure.subplots(rows, cols, squeeze=False)
    cmap = colormaps["magma_r"].with_extremes(bad="tab:green")
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.set_axis_off()
            continue
        shown = np.ma.masked_invalid(np.where(np.isinf(error[i]), np.nan, error[i]))
        image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=top, interpolation="nearest")
        if wrong is not None and wrong[i].any():
            ys, xs = np.nonzero(wrong[i])
            ax.scatter(xs, ys, s=14, marker="x", color="deepskyblue", linewidths=1.0)
        count = f": {int(wrong[i].sum())} wrong" if wrong is not None else ""
        ax.set_title(plain(plot["images"][i] + count), fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        bar = figure.colorbar(image, cax=figure.add_axes((1 - 1.3 / width, 0.15, 0.15 / width, 0.62)))
        marks = "× wrong, green: not finite" if wrong is not None else "green: not finite"
        bar.set_label(f"|yours − expected|\n{marks}", fontsize=8)
    if plot["omitted"]:
        figure.supxlabel(f"{plot['omitted']} more images of {plot['label']} not shown", fontsize=8)


def old_histogram(figure: Any, plot: dict) -> None:
    """The histogram as commit f929cef drew it: a patch per bar."""
    from autograder.plots import _COLORS, plain

    ax = figure.subplots()
    values = [v[np.isfinite(v)] for v in plot["series"].values()]
    every = np.concatenate(values)
    edges = np.histogram_bin_edges(every, bins=plot["bins"]) if every.size else plot["bins"]
    for (name, _), v in zip(plot["series"].items(), values, strict=True):
        ax.hist(v, bins=edges, alpha=0.5, color=_COLORS.get(name), label=plain(name))
    ax.set_ylabel("count")
    ax.legend(fontsize=8)


def old_draw(plot: dict, path: Path) -> None:
    """:func:`autograder.plots.draw` as it was: the old error map and histogram, the others in constrained
    layout."""
    from autograder import plots

    Figure, FigureCanvasAgg = plots._matplotlib()
    old = {"error_map": old_error_map, "histogram": old_histogram}
    figure = Figure(figsize=(6.4, 4.2), dpi=100, layout=None if plot["kind"] == "error_map" else "constrained")
    FigureCanvasAgg(figure)
    (old[plot["kind"]] if plot["kind"] in old else plots.DRAWERS[plot["kind"]])(figure, plot)
    if plot.get("title"):
        figure.suptitle(plots.plain(plot["title"]), fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")


def graded(name: str) -> list:
    from autograder.assignments import get
    from autograder.batch import grade_path
    from autograder.grading import ReferenceExpectations

    assignment = get(name)
    expectations = ReferenceExpectations(assignment, SEED)
    return [grade_path(d, assignment, expectations) for d in sorted((SAMPLES / name).iterdir()) if d.is_dir()]


def pages_round(results: list, folder: Path, draw: Any) -> float:
    """Seconds per submission to write every result's pages with ``draw`` as the figure function."""
    from autograder import plots
    from autograder.feedback import write_feedback

    with mock.patch.object(plots, "draw", draw):
        start = time.perf_counter()
        for r in results:
            write_feedback(folder, r, r.submission)
        return (time.perf_counter() - start) / len(results)


def no_figure(plot: dict, path: Path) -> None:
    """Draw nothing (the floor: the pages' text and files alone)."""


def run(args: argparse.Namespace) -> None:
    from autograder import plots
    from autograder.feedback import FIGURES_PER_CHECK

    title = f"pages_speed: feedback pages and figures per {args.assignment} sample submission"
    print(header(title, ("numpy", "matplotlib")))
    results = graded(args.assignment)
    plotted = [
        k.plot
        for r in results
        for c in r.checks
        for k in [k for k in c.cases if k.plot is not None and not k.passed][:FIGURES_PER_CHECK]
    ]
    kinds = collections.Counter(p["kind"] for p in plotted)
    print(f"\n{len(results)} submissions, {len(plotted)} figures ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
    ways = {"this tree": plots.draw, "old figures (f929cef)": old_draw, "no figures (floor)": no_figure}
    times: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as tmp:
        for draw in ways.values():  # warm-up: imports, fonts, colour maps
            pages_round(results[:2], Path(tmp) / "warm", draw)
        for i in range(args.repeat):
            for name, draw in ways.items():
                times[name].append(pages_round(results, Path(tmp) / f"{i}-{len(times[name])}-{name[:4]}", draw))
        sizes = {}
        for name, draw in list(ways.items())[:2]:
            folder = Path(tmp) / f"sizes-{name[:4]}"
            pages_round(results, folder, draw)
            sizes[name] = [p.stat().st_size for p in folder.rglob("*.png")]
    print(f"\nper submission (median [min–max] over {args.repeat} rounds):")
    for name, values in times.items():
        print(f"  {name:24s} {spread(values, 1e3, 'ms', 1)}")
    new, old, floor = (statistics.median(times[name]) for name in ways)
    print(
        f"  ratio old/this tree      {old / new:.2f}x  (figures alone: {(old - floor) / max(new - floor, 1e-9):.2f}x)"
    )
    per_figure = len(results) / len(plotted)
    print(
        f"  per figure               this tree {(new - floor) * per_figure * 1e3:.1f} ms, "
        f"old {(old - floor) * per_figure * 1e3:.1f} ms (the floor taken off)"
    )
    for name, values in sizes.items():
        print(
            f"  PNG files, {name:13s} {len(values)}, {statistics.median(values) / 1024:.1f} KiB median, "
            f"{sum(values) / 1024:.0f} KiB in all"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="hw1", help="whose samples (examples/submissions/NAME)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args()
    return run_teed(lambda: run(args), args.out)


if __name__ == "__main__":
    sys.exit(main())
