"""The feedback pages' figures: one drawing function per plot kind, each drawing one PNG from the kept plot
data (:mod:`autograder.plot_data`; the kinds are documented on :class:`~autograder.judge.Outcome`).

matplotlib is optional (``pip install 'nnopt-autograder[plots]'``) and imported only when a figure is drawn,
through its object-oriented API with the Agg canvas (no pyplot, no global backend, no display). Without it,
:func:`draw` raises :class:`PlotsUnavailable` and the pages say so where the figure would be.

Error maps, nearly every figure a class's pages show, are painted instead (:data:`PAINTERS`): their images,
frames and colour bar are NumPy pixels coloured by matplotlib's colour map, their text is rendered by FreeType
as the Agg canvas renders it and their × marks are Agg's marker; Pillow writes the PNG, as for a Figure.
A Figure with an Axes per image (created, laid out, drawn with its ticks) took most of a page's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

INSTALL_NOTE = "figure not drawn: matplotlib is not installed (pip install 'nnopt-autograder[plots]')"
#: One image cell of an error map, in inches; the figure width is capped.
_CELL = 2.2
#: Pixels per inch of every figure, drawn or painted.
_DPI = 100
#: A drawn figure's size and its Axes' margins (left, right, bottom, top), in inches: room for the tick
#: numbers, the axis labels and the title, set by hand (constrained layout took half of a figure's time).
_SIZE = (6.4, 4.2)
_MARGINS = (0.85, 0.25, 0.6, 0.5)
_COLORS = {"yours": "tab:red", "reference": "tab:blue"}

Drawer = Callable[[Any, dict], None]
Painter = Callable[[dict], np.ndarray]

#: Drawing functions by plot kind: ``fn(figure, kept_plot_data)`` fills a matplotlib Figure.
DRAWERS: dict[str, Drawer] = {}
#: Painting functions by plot kind: ``fn(kept_plot_data)`` returns the figure as RGB pixels (height, width, 3).
PAINTERS: dict[str, Painter] = {}


class PlotsUnavailable(RuntimeError):
    """matplotlib cannot be imported: figures are not drawn (the pages are still written)."""


def drawer(name: str) -> Callable[[Drawer], Drawer]:
    """Register the drawing function of a plot kind."""

    def register(fn: Drawer) -> Drawer:
        DRAWERS[name] = fn
        return fn

    return register


def painter(name: str) -> Callable[[Painter], Painter]:
    """Register the painting function of a plot kind."""

    def register(fn: Painter) -> Painter:
        PAINTERS[name] = fn
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


def draw(plot: dict, path: Path) -> None:
    """Draw the kept plot data ``plot`` into the PNG file ``path``."""
    Figure, FigureCanvasAgg = _matplotlib()
    path.parent.mkdir(parents=True, exist_ok=True)
    if plot["kind"] in PAINTERS:
        _write_png(PAINTERS[plot["kind"]](plot), path)
        return
    figure = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    width, height = _SIZE
    left, right, bottom, top = _MARGINS
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    DRAWERS[plot["kind"]](figure, plot)
    if plot.get("title"):
        figure.suptitle(plain(plot["title"]), fontsize=11)
    figure.savefig(path, format="png")


# -- painted figures -------------------------------------------------------------------------------------


def _write_png(rgb: np.ndarray, path: Path) -> None:
    """Write RGB pixels as a PNG with Pillow, as matplotlib's ``savefig`` and ``imsave`` do, but as RGB and
    at zlib level 1: a painted figure is mostly flat colour, so the file is barely larger (about 22 instead
    of 19 KiB) and its encoding, most of its time at the default level, three times as fast."""
    from PIL import Image

    Image.fromarray(rgb).save(path, format="png", compress_level=1)


@functools.cache
def _kit() -> SimpleNamespace:
    """What painting takes from matplotlib, made once per process: the error maps' colour table (magma_r's
    256 colours, then green for a value that is not finite), the font file and hinting of text, the
    pixels of the × marker and the colour bar's tick locator and formatter."""
    from matplotlib import colormaps, font_manager, ticker
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.colors import to_rgb

    table = np.concatenate([colormaps["magma_r"](np.linspace(0.0, 1.0, 256))[:, :3], [to_rgb("tab:green")]])
    return SimpleNamespace(
        table=np.round(table * 255).astype(np.uint8),
        font=font_manager.findfont(font_manager.FontProperties()),
        hinting=get_hinting_flag(),
        mark=_marker_pixels(),
        ticker=ticker,
    )


def _marker_pixels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agg's × marker as the error maps drew it (``scatter(s=14, marker="x", linewidths=1)``): the rows and
    columns of its pixels around its centre and their coverage (0 … 1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import IdentityTransform

    n = 15
    figure = Figure(figsize=(n / _DPI, n / _DPI), dpi=_DPI)
    figure.patch.set_alpha(0.0)
    canvas = FigureCanvasAgg(figure)
    line = Line2D([n / 2], [n / 2], linestyle="none", marker="x", markersize=14**0.5, markeredgewidth=1.0)
    line.set_transform(IdentityTransform())
    figure.add_artist(line)
    canvas.draw()
    alpha = np.asarray(canvas.buffer_rgba())[:, :, 3] / 255.0
    rows, cols = np.nonzero(alpha)
    return rows - n // 2, cols - n // 2, alpha[rows, cols]


@functools.lru_cache(maxsize=4096)
def _glyphs(text: str, size: float) -> tuple[np.ndarray, int]:
    """One line of ``text`` at ``size`` points as the Agg canvas renders it (FreeType, its hinting,
    antialiased): the coverage bitmap (0 … 255) and the row of its baseline. Cached: labels, tick numbers
    and titles repeat across a class's figures."""
    from matplotlib.font_manager import get_font

    kit = _kit()
    font = get_font(kit.font)
    font.clear()
    font.set_size(size, _DPI)
    font.set_text(text, 0, flags=kit.hinting)
    font.draw_glyphs_to_bitmap(antialiased=True)
    bitmap = np.array(font.get_image())
    return bitmap, bitmap.shape[0] - 1 - round(font.get_descent() / 64)


def _text_block(text: str, size: float) -> tuple[np.ndarray, int]:
    """``text``'s lines centred one under the other, 1.2 × ``size`` apart; the bitmap and its first baseline."""
    lines = [_glyphs(line, size) for line in text.split("\n")]
    if len(lines) == 1:
        return lines[0]
    pitch = round(1.2 * size / 72 * _DPI)
    first = max(base for _, base in lines)
    height = max(first + i * pitch + bitmap.shape[0] - base for i, (bitmap, base) in enumerate(lines))
    block = np.zeros((height, max(bitmap.shape[1] for bitmap, _ in lines)), dtype=np.uint8)
    for i, (bitmap, base) in enumerate(lines):
        top, left = first + i * pitch - base, (block.shape[1] - bitmap.shape[1]) // 2
        block[top : top + bitmap.shape[0], left : left + bitmap.shape[1]] = bitmap
    return block, first


class _Canvas:
    """An RGB image being painted, white at first; coordinates in pixels from its top left corner."""

    def __init__(self, width: int, height: int) -> None:
        self.rgb = np.full((height, width, 3), 255, dtype=np.uint8)

    def fill(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        """A rectangle of one colour (black unless told)."""
        self.rgb[max(y, 0) : y + h, max(x, 0) : x + w] = colour

    def paste(self, image: np.ndarray, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """``image`` (h, w, 3) scaled to fit ``box`` (x, y, width, height) with square cells, centred in it and
        framed in black (as ``imshow(interpolation="nearest")`` shows it in an Axes of that box); the box it
        fills, in whole pixels."""
        bx, by, bw, bh = box
        h, w = image.shape[:2]
        scale = min(bw / w, bh / h)
        tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        x, y = round(bx + (bw - tw) / 2), round(by + (bh - th) / 2)
        self.fill(x - 1, y - 1, tw + 2, th + 2)
        self.rgb[y : y + th, x : x + tw] = image[(np.arange(th) * h // th)[:, None], np.arange(tw) * w // tw]
        return x, y, tw, th

    def text(
        self, x: float, y: float, text: str, size: float, ha: str = "left", va: str = "baseline", rotation: int = 0
    ) -> int:
        """Black ``text`` at ``size`` points placed at (x, y) by ``ha`` (left, center, right) and ``va``
        (baseline, top, center, bottom), clipped to the canvas; ``rotation`` 90 turns it to read upwards
        (its baseline is then taken as its centre). Its right edge."""
        if not text:
            return round(x)
        bitmap, base = _text_block(text, size)
        if rotation == 90:
            bitmap, base = np.rot90(bitmap), bitmap.shape[1] // 2
        h, w = bitmap.shape
        left = round(x - {"left": 0, "center": w / 2, "right": w}[ha])
        top = round(y - {"baseline": base, "top": 0, "center": h / 2, "bottom": h}[va])
        r0, r1 = max(top, 0), min(top + h, self.rgb.shape[0])
        c0, c1 = max(left, 0), min(left + w, self.rgb.shape[1])
        if r0 < r1 and c0 < c1:
            region = self.rgb[r0:r1, c0:c1]
            region[...] = region * (1.0 - bitmap[r0 - top : r1 - top, c0 - left : c1 - left, None] / 255.0)
        return left + w

    def marks(self, where: np.ndarray, tile: tuple[int, int, int, int], colour: str = "deepskyblue") -> None:
        """Agg's × marker on each True entry of ``where`` (h, w) as pasted into ``tile`` (x, y, width, height),
        clipped to it as an Axes clips a scatter; where marks overlap a pixel takes the most covering one.
        Painted one marker pixel at a time for all the marks at once: thousands of marks cost little more."""
        from matplotlib.colors import to_rgb

        drow, dcol, alpha = _kit().mark
        x, y, w, h = tile
        ys, xs = np.nonzero(where)
        if not ys.size:
            return
        rows = ((ys + 0.5) * h / where.shape[0]).astype(np.intp)
        cols = ((xs + 0.5) * w / where.shape[1]).astype(np.intp)
        cover = np.zeros((h, w), dtype=np.float32)
        for dr, dc, a in zip(drow, dcol, alpha, strict=True):
            r, c = rows + dr, cols + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            at = (r[inside], c[inside])
            cover[at] = np.maximum(cover[at], a)  # a repeated pixel gets the same value from each of its marks
        region, (ys, xs) = self.rgb[y : y + h, x : x + w], np.nonzero(cover)
        a = cover[ys, xs, None]
        region[ys, xs] = np.round(region[ys, xs] * (1.0 - a) + np.array(to_rgb(colour)) * 255 * a)


def _shades(values: np.ndarray, top: float) -> np.ndarray:
    """``values`` (h, w) as RGB: 0 … ``top`` along magma_r as ``imshow(vmin=0, vmax=top)`` colours them,
    green where not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        index = np.clip(np.nan_to_num(values / top * 256, posinf=255, neginf=0), 0, 255).astype(np.intp)
    index[~np.isfinite(values)] = 256
    return _kit().table[index]


def _grid_boxes(left: float, right: float, top: float, bottom: float, rows: int, cols: int) -> list[tuple]:
    """The boxes (x, y, width, height; pixels from the top left) of a ``rows`` × ``cols`` grid of images
    between those edges, spaced as ``subplots_adjust(wspace=0.15, hspace=0.4 / _CELL)`` spaces Axes."""
    wspace, hspace = 0.15, 0.4 / _CELL
    w = (right - left) / (cols + (cols - 1) * wspace)
    h = (bottom - top) / (rows + (rows - 1) * hspace)
    return [(left + c * w * (1 + wspace), top + r * h * (1 + hspace), w, h) for r in range(rows) for c in range(cols)]


def _colour_bar(canvas: _Canvas, top: float, label: str) -> None:
    """The colour bar of 0 … ``top`` at the right of the canvas, with a colour bar's ticks and numbers (its
    locator fitted to its length, its formatter and offset) and ``label`` upwards on its right."""
    kit = _kit()
    height, width = canvas.rgb.shape[:2]
    x, w = round(width - 1.3 * _DPI), round(0.15 * _DPI)
    y, h = round(0.23 * height), round(0.62 * height)
    shades = kit.table[np.minimum(((h - 0.5 - np.arange(h)) / h * 256).astype(np.intp), 255)]
    canvas.fill(x - 1, y - 1, w + 2, h + 2)
    canvas.rgb[y : y + h, x : x + w] = shades[:, None]
    nbins = int(np.clip(h / _DPI * 72 // 20, 1, 9))  # the ticks a colour bar's locator fits in its length
    locator = kit.ticker.MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10])
    ticks = [float(t) for t in locator.tick_values(0.0, top) if 0 <= t <= top]
    formatter = kit.ticker.ScalarFormatter()
    formatter.create_dummy_axis()
    formatter.axis.set_view_interval(0.0, top)
    tick = round(3.5 / 72 * _DPI)
    right = x + w
    for value, text in zip(ticks, formatter.format_ticks(ticks), strict=True):
        row = min(round(y + h - value / top * h), y + h - 1)
        canvas.fill(x + w, row, tick, 1)
        right = max(right, canvas.text(x + w + 2 * tick, row, text, 10, va="center"))
    canvas.text(x, y - tick, formatter.get_offset(), 10, va="bottom")
    canvas.text(right + 2 * tick, y + h / 2, label, 8, va="center", rotation=90)


@painter("error_map")
def _error_map(plot: dict) -> np.ndarray:
    """Per image a heat map of |yours − expected|, × on its wrong entries and its title; one colour bar."""
    error, wrong = plot["error"], plot["wrong"]
    k = len(error)
    cols = min(k, 4)
    rows = -(-k // cols)
    width, height = round(min(2.0 + _CELL * cols, 10.0) * _DPI), round((0.8 + _CELL * rows) * _DPI)
    canvas = _Canvas(width, height)
    finite = error[np.isfinite(error)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    bottom = height - (0.35 if plot["omitted"] else 0.1) * _DPI
    boxes = _grid_boxes(0.1 * _DPI, width - 1.45 * _DPI, 0.62 * _DPI, bottom, rows, cols)
    for i, box in enumerate(boxes[:k]):
        tile = canvas.paste(_shades(error[i], top), box)
        count = f": {int(wrong[i].sum())} wrong" if wrong is not None else ""
        canvas.text(tile[0] + tile[2] / 2, tile[1] - 6 / 72 * _DPI, plot["images"][i] + count, 8, ha="center")
        if wrong is not None:
            canvas.marks(wrong[i], tile)
    marked = "× wrong, green: not finite" if wrong is not None else "green: not finite"
    _colour_bar(canvas, top, f"|yours − expected|\n{marked}")
    canvas.text(width / 2, 0.02 * height, plot.get("title", ""), 11, ha="center", va="top")
    if plot["omitted"]:
        canvas.text(
            width / 2,
            0.99 * height,
            f"{plot['omitted']} more images of {plot['label']} not shown",
            8,
            ha="center",
            va="bottom",
        )
    return canvas.rgb


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
        # one filled outline per series, not a patch per bar: the same picture (bars have no edges), drawn faster
        ax.hist(v, bins=edges, histtype="stepfilled", alpha=0.5, color=_COLORS.get(name), label=plain(name))
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
