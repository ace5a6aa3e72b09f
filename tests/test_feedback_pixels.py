"""The error maps painted as pixels (autograder/plots.py, :data:`~autograder.plots.PAINTERS`): each entry in its
colour of the colour map, green where not finite, × marks on the wrong entries only and inside their image,
text where the titles go, the same pixels every time (a worker's figure is the same file as this process's)."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import plot_data, plots

pytest.importorskip("matplotlib")

SKY = np.array([0, 191, 255])  # deepskyblue, the × marks


def paint(**fields) -> np.ndarray:
    return plots.PAINTERS["error_map"](plot_data.capped({"kind": "error_map", "label": "dx", **fields}))


def colour_of(value: float, top: float) -> np.ndarray:
    from matplotlib import colormaps

    return np.round(np.array(colormaps["magma_r"](value / top)[:3]) * 255).astype(np.uint8)


def where_colour(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return (rgb == colour).all(axis=-1)


def test_every_entry_is_a_square_block_of_its_colour_and_not_finite_is_green():
    want = np.zeros((3, 4))
    got = np.arange(1.0, 13.0).reshape(3, 4)
    got[2, 3] = np.nan
    rgb = paint(got=got, want=want)
    top = 11.0  # the largest finite error
    areas = [int(where_colour(rgb, colour_of(v, top)).sum()) for v in got.flat if np.isfinite(v)]
    green = int(where_colour(rgb, np.array([44, 160, 44])).sum())
    side = min(areas) ** 0.5
    assert side > 20 and all(abs(a - side**2) <= 4 * side for a in areas), areas  # the entry's block, whole
    assert abs(green - side**2) <= 4 * side  # ...and the colour bar's own column of shades is too thin to count
    assert rgb.dtype == np.uint8 and rgb.shape[2] == 3 and (rgb[0] == 255).all()  # white margins


def test_marks_are_on_the_wrong_entries_only():
    got, want = np.arange(16.0).reshape(4, 4), np.zeros((4, 4))
    assert not near_sky(paint(got=got, want=want)).any()  # no "wrong" given: no marks
    wrong = np.zeros((4, 4), dtype=bool)
    wrong[1, 2] = True
    rgb = paint(got=got, want=want, wrong=wrong)
    ys, xs = np.nonzero(near_sky(rgb))
    cell = np.nonzero(where_colour(rgb, colour_of(got[1, 2], 15.0)))
    assert len(ys) > 5 and len(cell[0])
    assert abs(ys.mean() - cell[0].mean()) < 3 and abs(xs.mean() - cell[1].mean()) < 3  # the × sits on its entry


def near_sky(rgb: np.ndarray) -> np.ndarray:
    """Pixels the × marks covered at least half (deepskyblue over a light shade)."""
    return (rgb[..., 2] > 200) & (rgb[..., 0] < 128) & (rgb[..., 1] > 120)


def test_marks_stay_inside_their_image_even_when_every_entry_is_wrong():
    got = np.ones((16, 64, 64))
    rgb = paint(got=got, want=np.zeros_like(got), wrong=np.ones(got.shape, dtype=bool))
    sky = near_sky(rgb)
    inside = np.zeros_like(sky)
    black = (rgb == 0).all(axis=-1)  # the images' frames (and the colour bar's, right of every image)
    for r in range(rgb.shape[0]):
        cols = np.nonzero(black[r])[0]
        if len(cols) > 1:
            inside[r, cols[0] : cols[-1]] = True
    assert sky.any() and not (sky & ~inside).any()


def test_titles_and_the_colour_bar_label_are_drawn_as_text():
    got, want = np.eye(4), np.zeros((4, 4))
    plain, titled = paint(got=got, want=want), paint(got=got, want=want, title="dx: 4 of 16 entries wrong")
    band = slice(0, 25)  # the figure's title, above the images' titles
    assert (plain[band] == 255).all() and (titled[band] < 128).any()
    grey = (titled.max(axis=-1) - titled.min(axis=-1) < 8) & (titled[..., 0] < 200)  # black text, antialiased
    assert grey[25:62].any()  # the image's title, between the figure's title and the image
    assert grey[:, -60:].any()  # the colour bar's label, upwards at the right


def test_painting_is_deterministic_and_every_size_fits():
    rng = np.random.default_rng(1)
    for shape in [(5,), (1, 1), (2, 30, 3), (3, 5, 7), (20, 2, 9, 9)]:
        got = rng.normal(size=shape)
        want = np.zeros(shape)
        first = paint(got=got, want=want, wrong=np.abs(got) > 1, title="t")
        assert np.array_equal(first, paint(got=got, want=want, wrong=np.abs(got) > 1, title="t"))
        assert first.shape[0] >= 300 and first.shape[1] >= 420


def test_draw_writes_the_painted_pixels_as_a_png(tmp_path):
    from PIL import Image

    kept = plot_data.capped({"kind": "error_map", "label": "dx", "got": np.eye(3), "want": np.zeros((3, 3))})
    plots.draw(kept, tmp_path / "sub" / "f.png")
    with Image.open(tmp_path / "sub" / "f.png") as image:
        assert image.format == "PNG"
        assert np.array_equal(np.asarray(image.convert("RGB")), plots.PAINTERS["error_map"](kept))
