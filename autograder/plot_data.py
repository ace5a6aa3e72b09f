"""The data of a feedback figure, as a judge attaches it to an :class:`~autograder.judge.Outcome`: checked and
capped here (NumPy only, no matplotlib), drawn by :mod:`autograder.plots`.

The kinds and their fields are documented on :class:`~autograder.judge.Outcome`. :func:`capped` turns a
judge's plot data into its kept form: plain float64 (and bool) arrays no larger than the caps below, with
the same kind and field names (an error map keeps |got − want| instead of got and want, so the kept data
holds no expected value at all). Malformed plot data raises :class:`ValueError` (the grader then drops the
figure, never the verdict).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

#: The caps on what is kept of a figure's data.
MAX_IMAGES = 16
MAX_SIDE = 64
MAX_POINTS = 1000
MAX_VALUES = 10000
MAX_BINS = 100
MAX_SERIES = 8

Normalizer = Callable[[dict], dict]

#: Plot kinds by name: each checks and caps its data (see :func:`capped`).
KINDS: dict[str, Normalizer] = {}


def plot_kind(name: str) -> Callable[[Normalizer], Normalizer]:
    """Register the normalizer of a plot kind (its name is the data's ``kind``)."""

    def register(fn: Normalizer) -> Normalizer:
        KINDS[name] = fn
        return fn

    return register


def capped(plot: dict | None) -> dict | None:
    """The kept form of a judge's plot data (None stays None); raises ValueError when it is malformed."""
    if plot is None:
        return None
    if not isinstance(plot, dict) or plot.get("kind") not in KINDS:
        kind = plot.get("kind") if isinstance(plot, dict) else type(plot).__name__
        raise ValueError(f"unknown plot kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    out = KINDS[plot["kind"]](plot)
    return {"kind": plot["kind"], "title": _text(plot.get("title", "")), **out}


def _text(value: Any, limit: int = 200) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a plot's text must be a str, not {type(value).__name__}")
    return value[:limit]


def _floats(value: Any, ndim: int | None = None, name: str = "array") -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not an array of numbers") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} has {arr.ndim} dimensions, expected {ndim}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def spread(n: int, cap: int) -> np.ndarray:
    """At most ``cap`` indices of ``range(n)``, evenly spread, the first and the last included."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def block_max(a: np.ndarray, side: int = MAX_SIDE) -> np.ndarray:
    """``a`` (k, h, w) reduced to at most ``side`` × ``side`` per image by the maximum over blocks."""
    k, h, w = a.shape
    bh, bw = math.ceil(h / side), math.ceil(w / side)
    if bh == bw == 1:
        return a
    fill = False if a.dtype == bool else -np.inf
    padded = np.full((k, math.ceil(h / bh) * bh, math.ceil(w / bw) * bw), fill, dtype=a.dtype)
    padded[:, :h, :w] = a
    return padded.reshape(k, padded.shape[1] // bh, bh, padded.shape[2] // bw, bw).max(axis=(2, 4))


def _series(series: Any, cap: int, ndim: int = 1) -> dict[str, np.ndarray]:
    if not isinstance(series, dict) or not series:
        raise ValueError("series must be a non-empty dict of name: array")
    if len(series) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} series in one figure")
    out = {}
    for name, value in series.items():
        arr = _floats(value, None, f"series {name!r}")
        arr = arr.reshape(-1) if ndim == 1 else arr
        out[_text(name, 60)] = arr[spread(len(arr), cap)]
    return out


@plot_kind("error_map")
def _error_map(plot: dict) -> dict:
    got, want = _floats(plot.get("got"), name="got"), _floats(plot.get("want"), name="want")
    if got.shape != want.shape or got.ndim == 0:
        raise ValueError(f"an error map needs got and want of one shape (≥ 1-D), not {got.shape} and {want.shape}")
    shape = got.shape
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got - want)
    error = np.where(np.isfinite(error), error, np.inf)  # NaN or inf on either side: shown as "not finite"
    wrong = plot.get("wrong")
    wrong = np.asarray(wrong, dtype=bool) if wrong is not None else None
    if wrong is not None and wrong.shape != shape:
        raise ValueError(f"wrong has shape {wrong.shape}, expected {shape}")
    images = (1, 1, shape[0]) if got.ndim == 1 else (-1,) + shape[-2:]
    error = error.reshape(images)
    wrong = wrong.reshape(images) if wrong is not None else None
    lead = [np.unravel_index(i, shape[:-2]) for i in range(error.shape[0])] if got.ndim > 2 else [()]
    bad = (wrong if wrong is not None else error > 0).reshape(error.shape[0], -1).any(axis=1)
    order = [i for i in range(error.shape[0]) if bad[i]] + [i for i in range(error.shape[0]) if not bad[i]]
    keep = sorted(order[:MAX_IMAGES])
    label = _text(plot.get("label", "value"), 60)
    return {
        "label": label,
        "shape": list(shape),
        "images": [f"{label}[{', '.join(str(int(j)) for j in lead[i])}]" if lead[i] else label for i in keep],
        "error": block_max(error[keep]),
        "wrong": block_max(wrong[keep]) if wrong is not None else None,
        "omitted": error.shape[0] - len(keep),
    }


def _surface_of(surface: Any) -> dict | None:
    if surface is None:
        return None
    if not isinstance(surface, dict):
        raise ValueError("surface must be a dict")
    if surface.get("kind") == "quadratic":
        center = _floats(surface.get("center", [0.0, 0.0]), 1, "center")
        if center.shape != (2,):
            raise ValueError("a quadratic surface's center has 2 coordinates")
        return {"kind": "quadratic", "a": float(surface["a"]), "b": float(surface["b"]), "center": center}
    if surface.get("kind") == "grid":
        return {"kind": "grid", **_grid(surface)}
    raise ValueError(f"unknown surface kind {surface.get('kind')!r}; known: grid, quadratic")


def _grid(plot: dict) -> dict:
    x, y, z = (_floats(plot.get(k), n, k) for k, n in (("x", 1), ("y", 1), ("z", 2)))
    if z.shape != (len(y), len(x)):
        raise ValueError(f"z has shape {z.shape}, expected (len(y), len(x)) = {(len(y), len(x))}")
    ix, iy = spread(len(x), MAX_SIDE), spread(len(y), MAX_SIDE)
    return {"x": x[ix], "y": y[iy], "z": z[np.ix_(iy, ix)]}


@plot_kind("trajectory")
def _trajectory(plot: dict) -> dict:
    paths = _series(plot.get("paths"), MAX_POINTS, ndim=2)
    for name, path in paths.items():
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {name!r} has shape {path.shape}, expected (T, 2)")
    return {"paths": paths, "surface": _surface_of(plot.get("surface"))}


@plot_kind("curves")
def _curves(plot: dict) -> dict:
    x = _floats(plot.get("x"), 1, "x")
    series = plot.get("series")
    if not isinstance(series, dict) or any(np.shape(v) != x.shape for v in series.values()):
        raise ValueError(f"every series of a curves plot has x's shape {x.shape}")
    keep = spread(len(x), MAX_POINTS)
    return {
        "x": x[keep],
        "series": {k: v[keep] for k, v in _series(series, len(x)).items()},
        "xlabel": _text(plot.get("xlabel", ""), 60),
        "ylabel": _text(plot.get("ylabel", ""), 60),
    }


@plot_kind("histogram")
def _histogram(plot: dict) -> dict:
    bins = plot.get("bins", 30)
    if not isinstance(bins, int) or isinstance(bins, bool) or not 1 <= bins <= MAX_BINS:
        raise ValueError(f"bins must be an int from 1 to {MAX_BINS}")
    return {"series": _series(plot.get("series"), MAX_VALUES), "bins": bins}


@plot_kind("surface")
def _surface(plot: dict) -> dict:
    points = plot.get("points") or {}
    if not isinstance(points, dict) or len(points) > MAX_SERIES:
        raise ValueError(f"points must be a dict of at most {MAX_SERIES} name: (2,) entries")
    kept = {_text(k, 60): _floats(v, 1, f"point {k!r}") for k, v in points.items()}
    if any(p.shape != (2,) for p in kept.values()):
        raise ValueError("every point has 2 coordinates")
    return {**_grid(plot), "points": kept}
