"""Draw a computation graph with Matplotlib (PNG or SVG; no system binary needed).

Small graphs are drawn node by node, like the classic micrograd trace: left to right by
level (leaves on the left, the root on the right), each value a box with its label or
operation, its data and its grad, each operand an arrow into its result, and nodes that
feed several results outlined in red. A graph with more nodes than ``max_nodes`` would be a
hairball, so it is drawn collapsed by scope (``toolkit.draw_scopes``): a box per module,
arrows counting the operand edges between them. A graph without scopes, or with too many
even at the top of the hierarchy, gets a summary: nodes per level, operations and leaves.

>>> import tempfile, pathlib
>>> from micrograd import Value
>>> from toolkit.graph import to_networkx
>>> x = Value(2.0, label="x")
>>> y = (x * x + 1).tanh()
>>> y.backward()
>>> draw(to_networkx(y), pathlib.Path(tempfile.mkdtemp()) / "y.png")
Drawing(kind='graph', description='all 5 nodes')
"""

from __future__ import annotations

import functools
import io
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from micrograd.ops import OPS
from toolkit.draw_scopes import (
    MAX_ELEMENTS,
    Box,
    Collapsed,
    Element,
    choose_collapse,
    collapse,
    scope_levels,
)
from toolkit.files import write_bytes_atomic
from toolkit.graph import LEAF_KINDS, GraphStructure, check_graph

__all__ = [
    "DRAW_MAX_NODES",
    "MAX_DRAW_NODES",
    "MAX_ELEMENTS",
    "MAX_PIXELS",
    "MAX_SIDE",
    "Drawing",
    "draw",
    "drawable",
    "drawing_format",
]

DRAW_MAX_NODES = 200
"""Above this many nodes ``draw`` collapses the graph by scope (or draws a summary)."""

MAX_DRAW_NODES = MAX_ELEMENTS
"""The largest ``max_nodes`` (``--max-nodes``) a drawing takes: as many nodes as a collapsed
drawing may show elements (2,000)."""

MAX_SIDE = 2**15
"""The most pixels a drawing may have on a side (32,768; PNG at 100 dpi, SVG alike)."""

MAX_PIXELS = 2**26
"""The most pixels a drawing may have in all (67,108,864: its image takes 256 MiB in
memory while it is drawn). A larger figure is refused before anything is drawn."""

_DPI = 100
_FORMATS = {".png": "png", ".svg": "svg"}
_COLOURS = {
    "parameter": "#c7e9c0",
    "input": "#c6dbef",
    "constant": "#e0e0e0",
    "operation": "#fdd0a2",
}
_SHARED = "#cb181d"
_SCOPE_FACE, _SCOPE_EDGE, _ARROW = "#dadaeb", "#54278f", "#525252"
_X_STEP, _Y_STEP = 2.2, 1.0
# Every piece of text is plain text: a "$" in a label is a dollar sign, not math.
_PLAIN = {"parse_math": False, "usetex": False}


@dataclass(frozen=True)
class Drawing:
    """What ``draw`` drew: ``kind`` is ``"graph"`` (every node), ``"collapsed"`` (by scope)
    or ``"summary"``; ``description`` says it in a few words, for a person."""

    kind: str
    description: str


def draw(
    G: nx.DiGraph,
    path: str | os.PathLike[str],
    *,
    max_nodes: int = DRAW_MAX_NODES,
    level: int | None = None,
    expand: Sequence[str] = (),
) -> Drawing:
    """Draw ``G`` to ``path`` (``.png`` or ``.svg``) and say what was drawn (a ``Drawing``:
    every node, collapsed by scope, or a summary).

    A graph of at most ``max_nodes`` nodes is drawn node by node. A larger one is collapsed
    by scope at the deepest level whose boxes, single nodes and arrows number at most
    ``max_nodes`` (levels that change nothing are skipped); if none fits, or no node has a
    scope, it gets a summary. ``level`` forces the level of the hierarchy and ``expand``
    opens the named scopes (``toolkit.draw_scopes.collapse``); either one draws the graph
    collapsed whatever its size, up to ``MAX_ELEMENTS`` elements. ``ValueError`` for a
    scope not in the graph, a level below 1 or with no scopes to collapse, or a picture
    beyond ``MAX_ELEMENTS``. ``max_nodes`` is 1 to ``MAX_DRAW_NODES``, and a figure larger
    than ``MAX_SIDE`` pixels on a side or ``MAX_PIXELS`` in all (a chain of a few hundred
    levels drawn node by node, say) is refused with ``ValueError`` before it is drawn,
    naming its size. The figure is rendered in memory first and then replaces ``path``
    whole.

    >>> import tempfile, pathlib
    >>> from micrograd.demo import demo_loss, demo_model
    >>> from toolkit.graph import to_networkx
    >>> G = to_networkx(demo_loss(demo_model(0)))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> draw(G, folder / "loss.png").description
    '366 nodes collapsed by scope at level 4: 11 boxes, 25 arrows'
    >>> draw(G, folder / "all.png", max_nodes=400).kind
    'graph'
    >>> draw(G, folder / "neuron.png", expand=["layers.2.neurons.0"]).kind
    'collapsed'
    """
    target = Path(path)
    file_format = drawing_format(target)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"max_nodes must be a whole number, got {max_nodes!r}")
    if not 1 <= max_nodes <= MAX_DRAW_NODES:
        raise ValueError(f"max_nodes must be 1 to {MAX_DRAW_NODES:,}, got {max_nodes:,}")
    structure = check_graph(G)
    picture = _collapsed_picture(structure, max_nodes, level, expand)
    nodes = len(structure.attributes)
    if picture is not None:
        deepest = (
            f" (the deepest of its scopes; level {level} was asked for)"
            if level is not None and level > picture.level
            else ""
        )
        description = (
            f"{nodes:,} nodes collapsed by scope at level {picture.level}{deepest}"
            f"{_expanded(picture)}: " + ", ".join(_elements_shown(picture))
        )
        figure, drawn = _collapsed_figure(structure, picture), Drawing("collapsed", description)
    elif nodes <= max_nodes:
        figure, drawn = _graph_figure(structure), Drawing("graph", f"all {nodes:,} nodes")
    else:
        description = f"a summary, since {nodes:,} nodes are more than --max-nodes {max_nodes:,}"
        description += (
            " and no node has a scope"
            if not scope_levels(structure)
            else " and even the outermost scopes are too many to draw"
        )
        figure, drawn = _summary_figure(structure, max_nodes), Drawing("summary", description)
    buffer = io.BytesIO()
    metadata = {"Date": None} if file_format == "svg" else None
    figure.savefig(buffer, format=file_format, dpi=_DPI, metadata=metadata)
    write_bytes_atomic(target, buffer.getvalue())
    return drawn


def _check_size(inches: tuple[float, float], what: str) -> None:
    """Refuse a figure of ``inches`` (width, height) beyond ``MAX_SIDE`` or ``MAX_PIXELS``
    pixels, before anything is drawn on it: say its size and what to do instead.

    >>> try:
    ...     _check_size((400.0, 3.5), "drawing all 600 nodes one by one")
    ... except ValueError as error:
    ...     print(str(error).split(", more")[0])
    drawing all 600 nodes one by one needs a 40,000 x 350 px figure
    """
    width, height = (math.ceil(side * _DPI) for side in inches)
    if max(width, height) > MAX_SIDE:
        limit = f"the {MAX_SIDE:,} px a side"
    elif width * height > MAX_PIXELS:
        limit = f"the {MAX_PIXELS:,} px in all"
    else:
        return
    raise ValueError(
        f"{what} needs a {width:,} x {height:,} px figure, more than {limit} a drawing may "
        "have; pass a smaller --max-nodes (a bigger graph is then collapsed by scope, or "
        "summarised if it has no scopes), or choose --level N or fewer --expand SCOPE"
    )


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
    size = (max(7.0, 1.45 * columns + 1.0), max(3.5, 0.62 * rows + 1.6))
    _check_size(size, f"drawing all {len(positions):,} nodes one by one")
    figure = Figure(figsize=size)
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
    figure.suptitle(
        f"Computation graph (root: {_name(structure.attributes[structure.root])}): "
        f"{len(positions)} nodes, {_plural(len(levels) - 1, 'level')} deep "
        "(leaves left, root right)",
        fontsize=11,
        **_PLAIN,
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
    height = _heights(columns, structure.operands, structure.consumers)
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


def _heights(
    columns: list[list[Hashable]],
    before: Mapping[Hashable, Sequence[Hashable]],
    after: Mapping[Hashable, Sequence[Hashable]],
) -> dict[Hashable, float]:
    """Order every column to keep arrows short, and give each node its height: its rank in
    its column, centred on 0. ``before[node]`` are its neighbours in earlier columns (absent
    or empty for none) and ``after[node]`` those in later columns."""
    height: dict[Hashable, float] = {}
    _sweep(columns, before, after, height, move_sources=False)
    _sweep(columns, before, after, height, move_sources=True)
    _sweep(columns, before, after, height, move_sources=False)
    return height


def _sweep(
    columns: list[list[Hashable]],
    before: Mapping[Hashable, Sequence[Hashable]],
    after: Mapping[Hashable, Sequence[Hashable]],
    height: dict[Hashable, float],
    *,
    move_sources: bool,
) -> None:
    """Give nodes with neighbours before them (or, with ``move_sources``, those without)
    the mean height of those neighbours (of those after them), then re-space every column
    evenly around 0 in that order."""
    for column in columns:
        for i, node in enumerate(column):
            earlier, later = before.get(node), after.get(node)
            if earlier and not move_sources:
                height[node] = sum(height[neighbour] for neighbour in earlier) / len(earlier)
            elif not earlier and move_sources and later:
                height[node] = sum(height[neighbour] for neighbour in later) / len(later)
            else:
                height.setdefault(node, float(i))
        column.sort(key=height.__getitem__)
        for i, node in enumerate(column):
            height[node] = i - (len(column) - 1) / 2


def _draw_box(
    axes, structure: GraphStructure, node: Hashable, x: float, y: float, fontsize: float = 7
) -> Text:
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
        fontsize=fontsize,
        fontweight="bold" if kind == "operation" else "normal",
        bbox={
            "boxstyle": "round,pad=0.3",
            "facecolor": _COLOURS[kind],
            "edgecolor": _SHARED if shared else "black",
            "linewidth": 2.5 if shared else 0.8,
        },
        zorder=3,
        **_PLAIN,
    )


_OPERAND_NAMES = {"pow": ("base", "exp"), "sub": ("left", "right"), "div": ("left", "right")}
"""What marks each operand's arrow where operand order matters: words, which no variable
of a user's (``a``, ``b``) is mistaken for."""


def _draw_operand_arrows(axes, structure, positions, boxes, result, operands) -> None:
    op = OPS[structure.attributes[result]["op"]]
    end = positions[result]
    for position, operand in enumerate(operands):
        if operand not in positions:  # inside a box: counted on the box's arrow instead
            continue
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
                _OPERAND_NAMES.get(op.name, ("left", "right"))[position],
                fontsize=7,
                fontstyle="italic",
                color="#08519c",
                ha="center",
                va="bottom",
                zorder=2,
            )


def _shorten(text: str, limit: int = 22) -> str:
    """``text`` as drawn: every character the font can draw (``drawable``), cut to its last
    ``limit`` characters (a scope or a parameter's name says the most at its end).

    >>> _shorten("layers.0.neurons.1.w.2", 12), _shorten("a\\x1bb")
    ('...ons.1.w.2', 'a\\\\x1bb')
    """
    text = drawable(text)
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]


def drawable(text: str) -> str:
    """``text`` with each character that a drawing cannot show written as its Python
    escape: control and other unprintable characters (an escape, a newline, a lone
    surrogate) and characters the font has no glyph for (CJK in DejaVu Sans, say), so that
    every label is drawn as the plain text it holds, and Matplotlib has nothing to warn
    about.

    >>> drawable("x.0"), drawable("a\\nb\\x1b[31m"), drawable("\\ud800")
    ('x.0', 'a\\\\nb\\\\x1b[31m', '\\\\ud800')
    """
    if text.isascii() and text.isprintable():
        return text
    glyphs = _glyphs()
    return "".join(
        c
        if c.isprintable() and ord(c) in glyphs
        else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def _glyphs() -> frozenset[int]:
    """The characters both the regular and the bold font of drawings have glyphs for."""
    paths = tuple(
        font_manager.findfont(font_manager.FontProperties(weight=weight))
        for weight in ("normal", "bold")
    )
    return _charmap(paths)


@functools.lru_cache(maxsize=8)
def _charmap(paths: tuple[str, ...]) -> frozenset[int]:
    maps = [set(font_manager.get_font(path).get_charmap()) for path in paths]
    return frozenset(set.intersection(*maps))


def _name(attributes: dict) -> str:
    """A node as a reader knows it: its label and operation, and its scope.

    >>> _name({"label": "L", "op": "add", "kind": "operation", "scope": "loss"})
    'L (add) in scope loss'
    >>> _name({"label": "", "op": "", "kind": "input", "scope": ""})
    'input'
    """
    label, what = attributes["label"], attributes["op"] or attributes["kind"]
    name = f"{_shorten(label, 40)} ({what})" if label else what
    return f"{name} in scope {_shorten(attributes['scope'], 60)}" if attributes["scope"] else name


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


# -- collapsed by scope --------------------------------------------------------------------

_SCOPE_FONT, _NODE_FONT, _COUNT_FONT = 9.0, 8.0, 8.0
_COLUMN_GAP, _MAX_COLUMN_GAP, _ROW_GAP, _MARGIN, _HEADER = 1.5, 3.5, 0.3, 0.3, 1.1  # inches
_LABEL_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85)
_TIMES = "\N{MULTIPLICATION SIGN}"
_CROWD = 24  # arrows across one gap beyond which each is drawn lighter
_BENDS = (0.0, 0.15, -0.15, 0.3, -0.3, 0.45, -0.45)


def _collapsed_picture(
    structure: GraphStructure, max_nodes: int, level: int | None, expand: Sequence[str]
) -> Collapsed | None:
    """What ``draw`` collapses the graph to, or None to draw every node or a summary."""
    budget = min(max_nodes, MAX_ELEMENTS)
    if level is None and not expand:
        if len(structure.attributes) <= max_nodes:
            return None
        return choose_collapse(structure, budget)
    if level is not None and not scope_levels(structure):
        raise ValueError(
            f"level {level}: no node of this graph has a scope, so there is nothing to collapse"
        )
    if level is None:
        chosen = choose_collapse(structure, budget)
        level = chosen.level if chosen is not None else 1
    picture = collapse(structure, level, expand)
    if picture.size > MAX_ELEMENTS:
        raise ValueError(
            f"collapsed at level {level}{_expanded(picture)}, the graph would be drawn as "
            f"{len(picture.boxes):,} boxes, {len(picture.singles):,} single nodes and "
            f"{len(picture.arrows):,} arrows: {picture.size:,} elements, more than the "
            f"{MAX_ELEMENTS:,} a drawing can show legibly; choose a shallower --level or "
            "--expand fewer or smaller scopes"
        )
    return picture


def _collapsed_figure(structure: GraphStructure, picture: Collapsed) -> Figure:
    """Boxes for scopes and boxes for single nodes, in columns from the leaves to the
    root; one arrow per pair of connected elements, its width and its label giving how many
    operand edges it stands for. Coordinates are inches, so sizes are known before drawing."""
    columns = _collapsed_columns(structure, picture)
    figure = Figure(figsize=(8, 6))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    texts: dict[Element, Text] = {}
    for column in columns:
        for element in column:
            if isinstance(element, Box):
                texts[element] = _draw_scope_box(axes, element)
            else:
                texts[element] = _draw_box(axes, structure, element, 0, 0, fontsize=_NODE_FONT)
    figure.draw_without_rendering()
    sizes = {element: _size_in_inches(figure, text) for element, text in texts.items()}
    canvas = _place(axes, texts, columns, sizes, picture.arrows)
    counted = sorted(
        (
            (source, target, count)
            for (source, target), count in picture.arrows.items()
            if isinstance(source, Box) or isinstance(target, Box)
        ),
        key=lambda arrow: (canvas.column_of[arrow[0]], -arrow[2]),
    )
    routes = [_route(canvas, source, target) for source, target, _ in counted]
    routes = _make_room(canvas, routes)
    _check_size(
        (canvas.width, canvas.height),
        f"drawing the graph collapsed at level {picture.level}{_expanded(picture)} "
        f"({len(picture.boxes) + len(picture.singles):,} boxes and single nodes)",
    )
    figure.set_size_inches(canvas.width, canvas.height)
    axes.set_xlim(0, canvas.width)
    axes.set_ylim(0, canvas.height)
    for element, text in texts.items():
        text.set_position(canvas.positions[element])
    figure.draw_without_rendering()
    unlabelled = sum(
        not _draw_counted_arrow(canvas, route, source, target, count)
        for route, (source, target, count) in zip(routes, counted)
    )
    for node in picture.singles:
        if node in structure.operands:
            operands = structure.operands[node]
            _draw_operand_arrows(axes, structure, canvas.positions, texts, node, operands)
    _collapsed_header(figure, axes, structure, picture, canvas.height, unlabelled)
    return figure


@dataclass
class _Canvas:
    """Where everything of a collapsed drawing sits, in inches (y up), and the labels of
    counts placed so far."""

    axes: Axes
    texts: dict[Element, Text]
    positions: dict[Element, tuple[float, float]]
    rectangles: dict[Element, tuple[float, float, float, float]]
    column_of: dict[Element, int]
    crossing: list[int]
    width: float
    height: float
    labels: list[tuple[float, float, float, float]] = field(default_factory=list)


def _collapsed_columns(structure: GraphStructure, picture: Collapsed) -> list[list[Element]]:
    """Columns left to right by level. Elements are ranked by the mean level of their
    operations (of their nodes, for a box of leaves); an arrow from a lower to a higher rank
    points forward, and an element sits one column after the last element that points
    forward to it, except that an element nothing points forward to sits just before the
    first one it points to. Arrows between boxes may form cycles: those pointing backward
    are drawn, but do not place anything."""
    level_of = {node: k for k, level in enumerate(structure.levels) for node in level}

    def mean_level(element: Element) -> float:
        if not isinstance(element, Box):
            return float(level_of[element])
        nodes = [node for node in element.nodes if node in structure.operands] or element.nodes
        return sum(level_of[node] for node in nodes) / len(nodes)

    elements = [*picture.boxes.values(), *picture.singles]
    ranked = sorted(enumerate(elements), key=lambda item: (mean_level(item[1]), item[0]))
    rank = {element: r for r, (_, element) in enumerate(ranked)}
    before: dict[Element, list[Element]] = {element: [] for element in elements}
    after: dict[Element, list[Element]] = {element: [] for element in elements}
    for source, target in picture.arrows:
        if rank[source] < rank[target]:
            after[source].append(target)
            before[target].append(source)
    column_of: dict[Element, int] = {}
    for _, element in ranked:
        column_of[element] = max((column_of[source] + 1 for source in before[element]), default=0)
    for _, element in reversed(ranked):
        if not before[element] and after[element]:
            column_of[element] = min(column_of[target] for target in after[element]) - 1
    columns: list[list[Element]] = [[] for _ in range(max(column_of.values()) + 1)]
    for _, element in ranked:
        columns[column_of[element]].append(element)
    columns = [column for column in columns if column]
    _heights(columns, before, after)  # sorts each column in place
    return columns


def _place(
    axes: Axes,
    texts: dict[Element, Text],
    columns: list[list[Element]],
    sizes: dict[Element, tuple[float, float]],
    arrows: Mapping[tuple[Element, Element], int],
) -> _Canvas:
    """Columns as wide as their widest element, every element of a column in an equal
    slot, columns centred on one line; the more arrows cross between two columns, the wider
    the gap between them (up to a limit), so that their counts find room."""
    column_of = {element: c for c, column in enumerate(columns) for element in column}
    crossing = [0] * len(columns)
    for source, target in arrows:
        ends = sorted((column_of[source], column_of[target]))
        for gap in range(*ends):
            crossing[gap] += 1
    gaps = [min(_MAX_COLUMN_GAP, max(_COLUMN_GAP, 1.2 + 0.1 * n)) for n in crossing[:-1]]
    widths = [max(sizes[element][0] for element in column) for column in columns]
    slots = [max(sizes[element][1] for element in column) + _ROW_GAP for column in columns]
    tallest = max(slot * len(column) for slot, column in zip(slots, columns))
    total_width = sum(widths) + sum(gaps) + 2 * _MARGIN
    width = max(total_width, 8.0)
    height = tallest + _HEADER + 2 * _MARGIN
    middle = _MARGIN + tallest / 2
    positions: dict[Element, tuple[float, float]] = {}
    left = _MARGIN + (width - total_width) / 2
    for c, (column, column_width, slot) in enumerate(zip(columns, widths, slots)):
        x = left + column_width / 2
        for i, element in enumerate(column):
            positions[element] = (x, middle + ((len(column) - 1) / 2 - i) * slot)
        left += column_width + (gaps[c] if c < len(gaps) else 0)
    rectangles = {
        element: (x - sizes[element][0] / 2, y - sizes[element][1] / 2, *sizes[element])
        for element, (x, y) in positions.items()
    }
    return _Canvas(axes, texts, positions, rectangles, column_of, crossing, width, height)


def _draw_scope_box(axes, box: Box) -> Text:
    name = f"{box.scope} (own nodes)" if box.own_only else box.scope
    lines = [_shorten(name, 40), f"{box.size:,} node" + ("s" if box.size != 1 else "")]
    operations = [f"{op} {count:,}" for op, count in box.operations.items()]
    lines += [", ".join(operations[i : i + 3]) for i in range(0, len(operations), 3)]
    if box.leaves:
        lines.append(", ".join(_plural(count, kind) for kind, count in box.leaves.items()))
    return axes.text(
        0,
        0,
        "\n".join(lines),
        ha="center",
        va="center",
        fontsize=_SCOPE_FONT,
        linespacing=1.3,
        bbox={
            "boxstyle": "round,pad=0.45",
            "facecolor": _SCOPE_FACE,
            "edgecolor": _SCOPE_EDGE,
            "linewidth": 1.2,
        },
        zorder=3,
        **_PLAIN,
    )


def _plural(count: int, kind: str) -> str:
    return f"{count:,} {kind}" + ("" if count == 1 else "s")


def _size_in_inches(figure: Figure, text: Text) -> tuple[float, float]:
    extent = text.get_bbox_patch().get_window_extent()
    return extent.width / figure.dpi, extent.height / figure.dpi


@dataclass(frozen=True)
class _Route:
    """The path of an arrow: Matplotlib's ``arc3`` curve from ``start`` to ``end``, bent by
    ``bend``; ``forward`` when it runs from a column to a later one."""

    start: tuple[float, float]
    end: tuple[float, float]
    bend: float
    forward: bool

    def shifted(self, dy: float) -> _Route:
        (x1, y1), (x2, y2) = self.start, self.end
        return _Route((x1, y1 + dy), (x2, y2 + dy), self.bend, self.forward)


def _route(canvas: _Canvas, source: Element, target: Element) -> _Route:
    """An arrow pointing to a later column runs from the right side of its source to the
    left side of its target, so that arrows between neighbouring columns stay in the gap
    between them; any other runs centre to centre (clipped to the two boxes when drawn).
    It bends as little as it can without crossing another element."""
    (x1, y1, w1, h1), (x2, y2, _, h2) = canvas.rectangles[source], canvas.rectangles[target]
    forward = canvas.column_of[target] > canvas.column_of[source]
    if forward:
        start, end = (x1 + w1, y1 + h1 / 2), (x2, y2 + h2 / 2)
    else:
        start, end = canvas.positions[source], canvas.positions[target]
    for bend in _BENDS:
        if not bend and not forward:
            continue  # a straight arrow backwards would lie on its reverse
        span = _span([start, end, _control(start, end, bend)])
        others = [
            rect
            for element, rect in canvas.rectangles.items()
            if element is not source and element is not target and _overlaps(rect, [span])
        ]
        curve = _curve(start, end, bend)
        if not any(_hits(point, rect) for rect in others for point in curve):
            return _Route(start, end, bend, forward)
    return _Route(start, end, _BENDS[1], forward)


def _make_room(canvas: _Canvas, routes: list[_Route]) -> list[_Route]:
    """Grow the canvas, above and below, to hold the arrows that bend beyond the columns."""
    if not routes:
        return routes
    heights = [y for route in routes for _, y in _curve(route.start, route.end, route.bend)]
    top = canvas.height - _HEADER - _MARGIN
    below = max(0.0, _MARGIN - (min(heights) - 0.2))
    above = max(0.0, max(heights) + 0.2 - top)
    canvas.height += below + above
    for element, (x, y) in canvas.positions.items():
        canvas.positions[element] = (x, y + below)
        left, bottom, width, height = canvas.rectangles[element]
        canvas.rectangles[element] = (left, bottom + below, width, height)
    return [route.shifted(below) for route in routes]


def _draw_counted_arrow(
    canvas: _Canvas, route: _Route, source: Element, target: Element, count: int
) -> bool:
    """An arrow standing for ``count`` operand edges, along ``route``, its count written
    where it overlaps no element and no other count; False if there was no such place (the
    count is then left out rather than written over another). Where many arrows cross
    between two columns, each is drawn lighter, so that the boxes stay legible."""
    if route.forward:
        clip = {"patchA": None, "patchB": None, "shrinkA": 0, "shrinkB": 0}
    else:
        clip = {
            "patchA": canvas.texts[source].get_bbox_patch(),
            "patchB": canvas.texts[target].get_bbox_patch(),
            "shrinkA": 1,
            "shrinkB": 1,
        }
    columns = sorted((canvas.column_of[source], canvas.column_of[target]))
    crowd = max(canvas.crossing[columns[0] : max(columns[1], columns[0] + 1)])
    linewidth = 0.8 + 0.8 * math.log10(count)
    canvas.axes.annotate(
        "",
        xy=route.end,
        xytext=route.start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": _ARROW,
            "alpha": min(1.0, max(0.3, _CROWD / crowd)) if crowd else 1.0,
            "linewidth": linewidth,
            "mutation_scale": 10 + 2.5 * linewidth,
            "connectionstyle": f"arc3,rad={route.bend}",
            **clip,
        },
        zorder=1,
    )
    text = f"{_TIMES}{count:,}"
    label_size = (0.075 * len(text) + 0.1, 0.22)
    obstacles = [*canvas.rectangles.values(), *canvas.labels]
    spots = [_curve_point(route.start, route.end, route.bend, t) for t in _LABEL_SPOTS]
    free = [spot for spot in spots if not _overlaps(_centred(spot, label_size), obstacles)]
    if not free:
        return False
    x, y = free[0]
    canvas.labels.append(_centred((x, y), label_size))
    canvas.axes.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=_COUNT_FONT,
        fontweight="bold",
        color="#3f007d",
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        zorder=2,
        **_PLAIN,
    )
    return True


def _span(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _control(start, end, bend: float) -> tuple[float, float]:
    """The control point of Matplotlib's ``arc3`` curve from ``start`` to ``end``: off the
    midpoint by ``bend`` times the chord, turned a right angle (exact here, where both axes
    are in inches)."""
    (x1, y1), (x2, y2) = start, end
    return ((x1 + x2) / 2 + bend * (y2 - y1), (y1 + y2) / 2 - bend * (x2 - x1))


def _curve_point(start, end, bend: float, t: float) -> tuple[float, float]:
    """The point at ``t`` (0 to 1) on the ``arc3`` curve, a quadratic Bezier."""
    (x1, y1), (x2, y2), (cx, cy) = start, end, _control(start, end, bend)
    a, b, c = (1 - t) ** 2, 2 * t * (1 - t), t**2
    return (a * x1 + b * cx + c * x2, a * y1 + b * cy + c * y2)


def _curve(start, end, bend: float, points: int = 40) -> list[tuple[float, float]]:
    return [_curve_point(start, end, bend, i / points) for i in range(points + 1)]


def _hits(point: tuple[float, float], rect: tuple[float, float, float, float]) -> bool:
    x, y, width, height = rect
    return x <= point[0] <= x + width and y <= point[1] <= y + height


def _centred(centre: tuple[float, float], size: tuple[float, float]):
    return (centre[0] - size[0] / 2, centre[1] - size[1] / 2, *size)


def _overlaps(rect, others) -> bool:
    x, y, width, height = rect
    return any(
        x < ox + ow and ox < x + width and y < oy + oh and oy < y + height
        for ox, oy, ow, oh in others
    )


def _expanded(picture: Collapsed) -> str:
    names = ", ".join(_shorten(name, 60) for name in picture.expanded)
    return f", {names} expanded" if names else ""


def _elements_shown(picture: Collapsed) -> list[str]:
    """``["11 boxes", "25 arrows"]``: what a collapsed picture shows, counted."""
    shown = [_plural(len(picture.boxes), "box").replace("boxs", "boxes")]
    if picture.singles:
        shown.append(_plural(len(picture.singles), "single node"))
    shown.append(_plural(len(picture.arrows), "arrow"))
    return shown


def _collapsed_header(
    figure, axes, structure, picture: Collapsed, height: float, unlabelled: int
) -> None:
    shown = _elements_shown(picture)
    if unlabelled:
        shown.append(f"{unlabelled:,} counts left out for lack of room")
    root = _name(structure.attributes[structure.root])
    figure.suptitle(
        f"Computation graph (root: {root}): {len(structure.attributes):,} nodes collapsed by "
        f"scope at level {picture.level}{_expanded(picture)}\n({', '.join(shown)}; "
        f"leaves left, root right; {_TIMES}n on an arrow: n operand edges)",
        y=1 - 0.08 / height,
        va="top",
        fontsize=11,
        **_PLAIN,
    )
    handles = [Patch(facecolor=_SCOPE_FACE, edgecolor=_SCOPE_EDGE, label="scope: its nodes")]
    kinds = {structure.attributes[node]["kind"] for node in picture.singles}
    handles += [
        Patch(facecolor=_COLOURS[kind], edgecolor="black", label=kind)
        for kind in _COLOURS
        if kind in kinds
    ]
    if any(len(set(structure.consumers[node])) > 1 for node in picture.singles):
        handles.append(Patch(facecolor="white", edgecolor=_SHARED, linewidth=2.5, label="feeds 2+"))
    axes.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.62 / height),
        ncols=len(handles),
        fontsize=9,
        frameon=False,
    )
