"""Figures drawn off-screen with Agg and saved as PNG and SVG, the same bytes every time.

Figures are made with ``matplotlib.figure.Figure`` on an Agg canvas, never through pyplot,
so no display is needed, whatever backend matplotlib is configured with, and nothing is
kept in pyplot's global state.

>>> import tempfile, pathlib
>>> figure, ax = new_figure()
>>> plot_band(ax, [[3.0, 1.0, 0.5], [2.0, 0.8, 0.1]], color="C0", label="median")
>>> [path.name for path in save_figure(figure, pathlib.Path(tempfile.mkdtemp()), "demo")]
['demo.png', 'demo.svg']
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.stats import per_step_quartiles
from toolkit.files import write_bytes_atomic, write_text_atomic

__all__ = ["new_figure", "plot_band", "save_figure"]

DPI = 120


def new_figure(
    nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (7.5, 4.8), **kwargs: Any
) -> tuple[Figure, Any]:
    """A figure on an Agg canvas and its axes (one ``Axes``, or an array for a grid);
    ``kwargs`` go to ``Figure.subplots`` (``sharex=True``, say)."""
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(nrows, ncols, **kwargs)


def plot_band(
    ax: Axes,
    curves: Sequence[Sequence[float]],
    *,
    color: Any,
    label: str,
    band_label: str | None = None,
) -> None:
    """The median of ``curves`` step by step as a bold line, over a band from the first to
    the third quartile (labelled ``band_label`` in the legend, if given)."""
    bands = per_step_quartiles(curves)
    steps = range(len(bands))
    lower, upper = [q[0] for q in bands], [q[2] for q in bands]
    ax.fill_between(steps, lower, upper, color=color, alpha=0.2, lw=0, label=band_label)
    ax.plot(steps, [q[1] for q in bands], color=color, linewidth=2.2, label=label)


def save_figure(figure: Figure, folder: Path, name: str) -> list[Path]:
    """Save ``figure`` as ``folder/name.png`` and ``folder/name.svg``; return both paths.
    No date or version goes into the files, so they do not change between runs."""
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    write_bytes_atomic(png, _rendered(figure, "png", metadata={"Software": None}))
    with matplotlib.rc_context({"svg.hashsalt": name}):
        svg_text = _rendered(figure, "svg", metadata={"Date": None}).decode("utf-8")
    write_text_atomic(svg, svg_text)
    return [png, svg]


def _rendered(figure: Figure, image_format: str, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, **kwargs)
    return buffer.getvalue()
