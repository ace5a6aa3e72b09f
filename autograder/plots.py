"""The feedback pages' figures: one drawing function per plot kind, each drawing one PNG from the kept plot
data (:mod:`autograder.plot_data`; the kinds are documented on :class:`~autograder.judge.Outcome`).

matplotlib is optional (``pip install 'nnopt-autograder[plots]'``) and imported only when a figure is drawn,
through its object-oriented API with the Agg canvas (no pyplot, no global backend, no display). Without it,
:func:`draw` raises :class:`PlotsUnavailable` and the pages say so where the figure would be.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

INSTALL_NOTE = "figure not drawn: matplotlib is not installed (pip install 'nnopt-autograder[plots]')"
#: One image cell of an error map, in inches; the figure width is capped.
_CELL = 2.2
_COLORS = {"yours": "tab:red", "reference": "tab:blue"}

Drawer = Callable[[Any, dict], None]

#: Drawing functions by plot kind: ``fn(figure, kept_plot_data)`` fills a matplotlib Figure.
DRAWERS: dict[str, Drawer] = {}


class PlotsUnavailable(RuntimeError):
    """matplotlib cannot be imported: figures are not drawn (the pages are still written)."""


def drawer(name: str) -> Callable[[Drawer], Drawer]:
    """Register the drawing function of a plot kind."""

    def register(fn: Drawer) -> Drawer:
        DRAWERS[name] = fn
        return fn

    return register


def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's Figure and Agg canvas classes, imported now; :class:`PlotsUnavailable` without it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotsUnavailable(INSTALL_NOTE) from exc
    return Figure, FigureCanvasAgg


def available() -> bool:
    """Whether figures can be drawn here."""
    try:
        _matplotlib()
    except PlotsUnavailable:
        return False
    return True


def plain(text: str) -> str:
    """Text matplotlib shows as it is (a ``$`` would start mathtext)."""
    return str(text).replace("$", r"\$")


#: Kinds whose drawer places its axes itself: a grid of images, where constrained layout took most of the time.
LAID_OUT_BY_HAND = frozenset({"error_map"})


def draw(plot: dict, path: Path) -> None:
    """Draw the kept plot data ``plot`` into the PNG file ``path``."""
    Figure, FigureCanvasAgg = _matplotlib()
    layout = None if plot["kind"] in LAID_OUT_BY_HAND else "constrained"
    figure = Figure(figsize=(6.4, 4.2), dpi=100, layout=layout)
    FigureCanvasAgg(figure)
    DRAWERS[plot["kind"]](figure, plot)
    if plot.get("title"):
        figure.suptitle(plain(plot["title"]), fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")


@drawer("error_map")
def _error_map(figure: Any, plot: dict) -> None:
    error, wrong = plot["error"], plot["wrong"]
    k = len(error)
    cols = min(k, 4)
    rows = -(-k // cols)
    width, height = min(2.0 + _CELL * cols, 10.0), 0.8 + _CELL * rows
    figure.set_size_inches(width, height)
    finite = error[np.isfinite(error)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    figure.subplots_adjust(  # margins in inches: the titles above, the colour bar and its label on the right
        left=0.1 / width,
        right=1 - 1.45 / width,
        bottom=(0.35 if plot["omitted"] else 0.1) / height,
        top=1 - 0.62 / height,
        hspace=0.4 / _CELL,
        wspace=0.15,
    )
    axes = figure.subplots(rows, cols, squeeze=False)
    from matplotlib import colormaps

    cmap = colormaps["magma_r"].with_extremes(bad="tab:green")  # not finite: green
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


def _contours(ax: Any, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    finite = z[np.isfinite(z)]
    if finite.size and np.ptp(finite) > 0:
        levels = np.quantile(finite, np.linspace(0.0, 1.0, 16)[1:-1])
        ax.contour(x, y, z, levels=np.unique(levels), colors="0.6", linewidths=0.6)


@drawer("trajectory")
def _trajectory(figure: Any, plot: dict) -> None:
    ax = figure.subplots()
    paths = plot["paths"]
    points = np.concatenate([p[np.isfinite(p).all(axis=1)] for p in paths.values()] + [np.zeros((0, 2))])
    surface = plot["surface"]
    if surface is not None and surface["kind"] == "quadratic":
        c = surface["center"]
        span = np.abs(points - c).max(axis=0) * 1.15 if len(points) else np.ones(2)
        span = np.where(span > 0, span, 1.0)
        x = np.linspace(c[0] - span[0], c[0] + span[0], 200)
        y = np.linspace(c[1] - span[1], c[1] + span[1], 200)
        gx, gy = np.meshgrid(x, y)
        _contours(ax, x, y, 0.5 * (surface["a"] * (gx - c[0]) ** 2 + surface["b"] * (gy - c[1]) ** 2))
        ax.plot(*c, marker="*", color="black", markersize=10, linestyle="none", label="minimum")
    elif surface is not None:
        _contours(ax, surface["x"], surface["y"], surface["z"])
    for name, path in paths.items():
        color = _COLORS.get(name)
        ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, linewidth=1, color=color, label=plain(name))
        ax.plot(path[0, 0], path[0, 1], marker="o", color=color or "black", markersize=6, linestyle="none")
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.legend(fontsize=8)


@drawer("curves")
def _curves(figure: Any, plot: dict) -> None:
    ax = figure.subplots()
    for name, y in plot["series"].items():
        style = "--" if name == "reference" else "-"
        ax.plot(plot["x"], y, style, color=_COLORS.get(name), linewidth=1.2, label=plain(name))
    ax.set_xlabel(plain(plot["xlabel"]))
    ax.set_ylabel(plain(plot["ylabel"]))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


@drawer("histogram")
def _histogram(figure: Any, plot: dict) -> None:
    ax = figure.subplots()
    values = [v[np.isfinite(v)] for v in plot["series"].values()]
    every = np.concatenate(values)
    edges = np.histogram_bin_edges(every, bins=plot["bins"]) if every.size else plot["bins"]
    for (name, _), v in zip(plot["series"].items(), values, strict=True):
        ax.hist(v, bins=edges, alpha=0.5, color=_COLORS.get(name), label=plain(name))
    ax.set_ylabel("count")
    ax.legend(fontsize=8)


@drawer("surface")
def _surface(figure: Any, plot: dict) -> None:
    ax = figure.subplots()
    z = np.ma.masked_invalid(plot["z"])
    filled = ax.contourf(plot["x"], plot["y"], z, levels=20, cmap="viridis")
    figure.colorbar(filled, ax=ax)
    for name, p in plot["points"].items():
        ax.plot(p[0], p[1], marker="x", markersize=9, linestyle="none", label=plain(name))
    if plot["points"]:
        ax.legend(fontsize=8)
