"""Draw a computation graph with Matplotlib (PNG or SVG; no system binary needed).

Small graphs are drawn node by node, like the classic micrograd trace: left to right by
level (leaves on the left, the root on the right), each value a box with its label or
operation, its data and its grad, each operand an arrow into its result, and nodes that
feed several results outlined in red. A graph with more nodes than ``max_nodes`` would be a
hairball, so it gets a summary instead: nodes per level, and counts of operations and leaves.

>>> import tempfile, pathlib
>>> from micrograd import Value
>>> from toolkit.graph import to_networkx
>>> x = Value(2.0, label="x")
>>> y = (x * x + 1).tanh()
>>> y.backward()
>>> draw(to_networkx(y), pathlib.Path(tempfile.mkdtemp()) / "y.png")
'graph'
"""

from __future__ import annotations

import io
import os
from collections.abc import Hashable
from pathlib import Path

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from micrograd.ops import OPS
from toolkit.files import write_bytes_atomic
from toolkit.graph import LEAF_KINDS, GraphStructure, check_graph

__all__ = ["DRAW_MAX_NODES", "draw", "drawing_format"]

DRAW_MAX_NODES = 200
"""Above this many nodes ``draw`` draws a summary instead of every node."""
_FORMATS = {".png": "png", ".svg": "svg"}
_COLOURS = {
    "parameter": "#c7e9c0",
    "input": "#c6dbef",
    "constant": "#e0e0e0",
    "operation": "#fdd0a2",
}
_SHARED = "#cb181d"
_X_STEP, _Y_STEP = 2.2, 1.0


def draw(G: nx.DiGraph, path: str | os.PathLike[str], *, max_nodes: int = DRAW_MAX_NODES) -> str:
    """Draw ``G`` to ``path`` (``.png`` or ``.svg``) and say what was drawn: ``"graph"``
    (every node) or ``"summary"`` (the graph has more than ``max_nodes`` nodes). The figure
    is rendered in memory first and then replaces ``path`` whole."""
    target = Path(path)
    file_format = drawing_format(target)
    structure = check_graph(G)
    if len(structure.attributes) <= max_nodes:
        figure, drawn = _graph_figure(structure), "graph"
    else:
        figure, drawn = _summary_figure(structure, max_nodes), "summary"
    buffer = io.BytesIO()
    metadata = {"Date": None} if file_format == "svg" else None
    figure.savefig(buffer, format=file_format, dpi=100, metadata=metadata)
    write_bytes_atomic(target, buffer.getvalue())
    return drawn


def drawing_format(path: str | os.PathLike[str]) -> str:
    """The image format a drawing at ``path`` gets, from its suffix: ``png`` or ``svg``.

    >>> drawing_format("out/graph.SVG")
    'svg'
    >>> drawing_format("graph.pdf")
    Traceback (most recent call last):
    ...
    ValueError: graph.pdf: a drawing's file name must end in .png or .svg
    """
    file_format = _FORMATS.get(Path(path).suffix.lower())
    if file_format is None:
        raise ValueError(f"{os.fspath(path)}: a drawing's file name must end in .png or .svg")
    return file_format


# -- every node ----------------------------------------------------------------------------


def _graph_figure(structure: GraphStructure) -> Figure:
    positions = _layout(structure)
    levels = structure.levels
    columns = 1 + round(max(x for x, _ in positions.values()) / _X_STEP)
    rows = 1 + round(
        max(-y for _, y in positions.values()) - min(-y for _, y in positions.values())
    )
    figure = Figure(figsize=(max(7.0, 1.45 * columns + 1.0), max(3.5, 0.62 * rows + 1.6)))
    axes = figure.add_axes((0.01, 0.01, 0.98, 0.88))
    axes.set_axis_off()
    axes.set_xlim(-0.8, (columns - 1) * _X_STEP + 0.8)
    axes.set_ylim(-(rows / 2 + 0.5) * _Y_STEP, (rows / 2 + 0.5) * _Y_STEP)
    boxes = {node: _draw_box(axes, structure, node, x, y) for node, (x, y) in positions.items()}
    # Place the boxes' outlines now: the arrows below are clipped to them, and arrows are
    # drawn before (under) the boxes.
    figure.draw_without_rendering()
    for result, operands in structure.operands.items():
        _draw_operand_arrows(axes, structure, positions, boxes, result, operands)
    root = structure.root
    figure.suptitle(
        f"Computation graph of node {root!r}: {len(positions)} nodes, {len(levels) - 1} levels "
        "deep (leaves left, root right)",
        fontsize=11,
    )
    handles = [Patch(facecolor=_COLOURS[kind], edgecolor="black", label=kind) for kind in _COLOURS]
    handles.append(Patch(facecolor="white", edgecolor=_SHARED, linewidth=2.5, label="feeds 2+"))
    axes.legend(handles=handles, loc="upper left", ncols=len(handles), fontsize=8, frameon=False)
    return figure


def _layout(structure: GraphStructure) -> dict[Hashable, tuple[float, float]]:
    """Columns left to right by level, except that a leaf sits in the column just before
    its first result, beside what it feeds. Within a column, nodes are ordered by the mean
    height of their operands (leaves by that of their results), which keeps arrows short."""
    columns = _columns(structure)
    height: dict[Hashable, float] = {}
    _sweep(structure, columns, height, move_leaves=False)
    _sweep(structure, columns, height, move_leaves=True)
    _sweep(structure, columns, height, move_leaves=False)
    return {
        node: (x * _X_STEP, -height[node] * _Y_STEP)
        for x, column in enumerate(columns)
        for node in column
    }


def _columns(structure: GraphStructure) -> list[list[Hashable]]:
    level_of = {node: k for k, level in enumerate(structure.levels) for node in level}
    columns: list[list[Hashable]] = [[] for _ in structure.levels]
    for level in structure.levels:
        for node in level:
            results = structure.consumers[node]
            if node in structure.operands or not results:
                columns[level_of[node]].append(node)
            else:
                columns[min(level_of[result] for result in results) - 1].append(node)
    return [column for column in columns if column]


def _sweep(
    structure: GraphStructure,
    columns: list[list[Hashable]],
    height: dict[Hashable, float],
    *,
    move_leaves: bool,
) -> None:
    """Give nodes (operations, or leaves) the mean height of their neighbours, then re-space
    every column evenly around 0 in that order."""
    for column in columns:
        for i, node in enumerate(column):
            operands = structure.operands.get(node)
            if operands is not None and not move_leaves:
                height[node] = sum(height[operand] for operand in operands) / len(operands)
            elif operands is None and move_leaves and structure.consumers[node]:
                results = structure.consumers[node]
                height[node] = sum(height[result] for result in results) / len(results)
            else:
                height.setdefault(node, float(i))
        column.sort(key=height.__getitem__)
        for i, node in enumerate(column):
            height[node] = i - (len(column) - 1) / 2


def _draw_box(axes, structure: GraphStructure, node: Hashable, x: float, y: float) -> Text:
    attributes = structure.attributes[node]
    kind = attributes["kind"]
    if kind == "operation":
        symbol = OPS[attributes["op"]].symbol
        title = f"{symbol}  {attributes['label']}" if attributes["label"] else symbol
    else:
        title = attributes["label"] or kind
    lines = [_shorten(title), f"data {float(attributes['data']):.4g}"]
    if "grad" in attributes:
        lines.append(f"grad {float(attributes['grad']):.4g}")
    results = structure.consumers[node]
    shared = len(set(results)) > 1
    return axes.text(
        x,
        y,
        "\n".join(lines),
        ha="center",
        va="center",
        fontsize=7,
        fontweight="bold" if kind == "operation" else "normal",
        bbox={
            "boxstyle": "round,pad=0.3",
            "facecolor": _COLOURS[kind],
            "edgecolor": _SHARED if shared else "black",
            "linewidth": 2.5 if shared else 0.8,
        },
        zorder=3,
    )


def _draw_operand_arrows(axes, structure, positions, boxes, result, operands) -> None:
    op = OPS[structure.attributes[result]["op"]]
    end = positions[result]
    for position, operand in enumerate(operands):
        start = positions[operand]
        repeated = operands.count(operand) > 1
        bend = (0.3 if position == 0 else -0.3) if repeated else 0.0
        # Arrows run centre to centre, clipped to the two boxes' outlines.
        axes.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#525252",
                "linewidth": 0.7,
                "connectionstyle": f"arc3,rad={bend}",
                "patchA": boxes[operand].get_bbox_patch(),
                "patchB": boxes[result].get_bbox_patch(),
            },
            zorder=1,
        )
        if op.arity == 2 and not op.commutative:
            # Which operand is which matters for -, / and **: mark each arrow near its head.
            axes.text(
                start[0] + 0.68 * (end[0] - start[0]),
                start[1] + 0.68 * (end[1] - start[1]) + 0.1,
                "ab"[position],
                fontsize=7,
                fontstyle="italic",
                color="#08519c",
                ha="center",
                va="bottom",
                zorder=2,
            )


def _shorten(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]


# -- summary -------------------------------------------------------------------------------


def _summary_figure(structure: GraphStructure, max_nodes: int) -> Figure:
    widths = [len(level) for level in structure.levels]
    kinds: dict[str, int] = {}
    for attributes in structure.attributes.values():
        name = attributes["op"] if attributes["kind"] == "operation" else attributes["kind"]
        kinds[name] = kinds.get(name, 0) + 1
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    by_level, by_kind = figure.subplots(1, 2, width_ratios=(2, 1))
    _plot_widths(by_level, widths)
    names = [kind for kind in (*LEAF_KINDS, *OPS) if kind in kinds]
    counts = [kinds[name] for name in names]
    bars = by_kind.barh(
        names,
        counts,
        color=[_COLOURS.get(name, _COLOURS["operation"]) for name in names],
        edgecolor="black",
    )
    by_kind.bar_label(bars, labels=[f"{count:,}" for count in counts], padding=3, fontsize=8)
    by_kind.invert_yaxis()
    by_kind.margins(x=0.2)
    if max(counts) >= 50 * min(counts):
        by_kind.set_xscale("log")
        by_kind.set_xlabel("nodes (log scale)")
    else:
        by_kind.set_xlabel("nodes")
    by_kind.set_title("Leaves by kind, operations by name")
    edges = sum(len(results) for results in structure.consumers.values())
    figure.suptitle(
        f"{len(structure.attributes):,} nodes and {edges:,} edges, {len(widths) - 1:,} levels "
        f"deep: more than {max_nodes:,} nodes, so a summary instead of every node"
    )
    return figure


def _plot_widths(axes, widths: list[int], max_points: int = 400) -> None:
    """Nodes per level; past ``max_points`` levels, the mean and the maximum over equal bins
    of consecutive levels (a line per level would be a solid block)."""
    per_bin = -(-len(widths) // max_points)
    if per_bin == 1:
        axes.step(range(len(widths)), widths, where="mid", color="#2171b5", label="nodes")
        axes.set_xlabel("level (longest operand -> result path from a leaf)")
    else:
        bins = [widths[i : i + per_bin] for i in range(0, len(widths), per_bin)]
        starts = range(0, len(widths), per_bin)
        axes.step(starts, [max(b) for b in bins], where="post", color="#9ecae1", label="maximum")
        axes.step(
            starts, [sum(b) / len(b) for b in bins], where="post", color="#08519c", label="mean"
        )
        axes.set_xlabel(f"level (longest operand -> result path from a leaf; {per_bin:,} per bin)")
        axes.legend(loc="upper right", fontsize=8)
    axes.set_ylabel("nodes on the level")
    axes.set_title("Width of the graph at each level")
    if max(widths) >= 20 * min(widths):
        axes.set_yscale("log")
    else:
        axes.set_ylim(0, max(widths) * 1.1)
