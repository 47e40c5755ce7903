"""An interactive viewer for a computation graph: one self-contained, offline HTML file.

``view(root_or_G, path)`` writes a page that opens in any browser with no network: the
graph, its layout and the viewer's script and style are all inline (the script and style
live in ``toolkit/viewer/``). The page opens collapsed by scope at the top level of the
hierarchy (``data``, ``layers``, ``loss``, and the nodes outside every scope); click a box
to open it, click the same spot again (or the bar at the top of an open scope) to close it,
click a node to see its kind, op, label, scope, data, grad, fan-out, operands and results;
the pointer's tooltip tells a box's or a node's numbers. Search finds a label or a scope
and brings it into view; colour by operation, by top-level scope (one hue each, the scopes
inside it alike) or by |grad| (log scale; a closed scope by its largest finite |grad|, with
how many of its nodes are nan or infinite); drag or arrow keys to pan, wheel or +/- to zoom
(from an eighth of the whole graph's fitted size to three times the nodes' own), ``a``
highlights what the selected node depends on and what it feeds, ``f`` fits the graph,
``Escape`` clears.

The layout is a compound graph that reflows with what is open, as in TensorBoard's graph
view: a closed scope is a compact box of one fixed size (its name, its node count, its most
common operations) wherever it sits in the hierarchy; an open scope is a frame around its
children (its child scopes, each one item, and its own nodes) laid out in columns left to
right, never wrapped: an arrow always runs from left to right, parallel scopes (the neurons
of a layer) one under the other in one column. Python computes, once, each item's column and
its place in the column, relative to the scope holding it: an item sits one column before the
first item it feeds (so leaves sit beside what they feed); the columns are ordered for few
crossings by barycentre sweeps over the whole graph with every scope open, each scope's items
kept together (``_Order``). The page turns that into positions and sizes for the current open
scopes, from the innermost out (a column is as wide as its widest item, its items stacked and
centred), again whenever a scope opens or closes, keeping the clicked box where it was on
screen. The same graph gives a byte-identical page. The page draws on a canvas, only what is
in view (a grid of the nodes and of the arrows, set with each layout, finds it); with nodes
under 5 pixels tall, the edges between two scopes are one line for each pair of innermost
open scopes (or closed boxes) they join, darker the more edges it stands for, edges inside a
scope are not drawn, and nodes are plain rectangles, filled one path per colour (a column's
nodes one rectangle when the gaps between them are under half a pixel, one per pixel); nearer,
every edge is drawn, and edges that would look alike on screen are drawn once; an arrow
standing for several edges says how many, beside its source when it is the only one leaving
it, else once for all those converging on its target.

A scope that holds nothing but one child scope is one box with it (``layers.2``, which holds
only ``layers.2.neurons.0``, opens straight into that neuron's nodes), as in
``toolkit.draw_scopes.collapse``: for every set of open scopes the page shows the same boxes
and single nodes as ``collapse(structure, level=1, expand=open_scopes)``.

The page's automation interface, ``window.microgradView``:

- ``ready``: a promise resolved after the first frame is drawn.
- ``state()``: ``{nodes, edges, visible, expanded, selected}``: the graph's node and edge
  counts; how many elements (closed scope boxes and single nodes) the expansion state
  shows, wherever the camera is; the sorted names of the open scopes; the selected node's
  id or ``null``.
- ``expand(scope)`` / ``collapse(scope)``: open a scope (and the scopes around it) / close
  it (and the scopes inside it); a scope may be named by any name its box stands for.
  Return ``false`` for a name that is no scope of the graph. ``expandAll()``,
  ``collapseAll()``.
- ``select(nodeId)``: select a node (``null`` clears) and return the panel's attributes
  ``{id, kind, op, label, scope, data, grad, fanOut, operands, results}``; ``data`` and
  ``grad`` are numbers or the strings ``"nan"``, ``"inf"``, ``"-inf"`` (``grad`` is
  ``null`` in a graph without gradients); ``operands`` lists operand ids by position,
  ``results`` result ids once per edge. It does not move the camera or open scopes;
  ``reveal(nodeId)`` does both.
- ``search(text)``: what the search box does on Enter (an exact label, a node id, a scope
  name, then any label or scope containing the text): selects and reveals a node, or opens
  the scopes around a scope and fits it in view; returns the node id or scope name found,
  or ``null``.
- ``boxPosition(scope)`` / ``nodePosition(nodeId)``: where a drawn box or node is, in CSS
  pixels of the page: ``{x, y, width, height}``, the centre of its part on screen (where a
  click lands on it) and its whole size on screen; ``null`` when it is not drawn or not on
  screen.
- ``colourBy(mode)`` (``"op"``, ``"scope"``, ``"grad"``), ``highlight(on)``, ``fit()``,
  ``panBy(dx, dy)``, ``zoomBy(factor)`` (non-finite numbers, and factors not above 0, are
  ignored), ``drawNow()`` (draws one frame synchronously and returns the milliseconds it
  took, rasterisation included).
- ``lastFrame()``: what the last frame drew: ``{detail, arrows, bundles, edges, nodes,
  counted, counts, countLabels}``: ``detail`` 0 far out (bundles), 1 near (every edge), 2
  near enough to read the nodes' text; the arrows between single nodes or boxes and the
  bundles stroked, the edges they stand for, and the rectangles filled for nodes; the arrows
  drawn that stand for several edges, how many of them have their count shown, and the count
  labels drawn for them.

>>> from micrograd import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> html = view_html(y, title="y")
>>> html.startswith("<!DOCTYPE html>"), "http:" in html or "https:" in html
(True, False)
"""

from __future__ import annotations

import html as html_text
import json
import math
import os
import re
from collections.abc import Hashable
from importlib import resources

import networkx as nx

from micrograd.engine import Value
from toolkit.files import write_text_atomic
from toolkit.graph import KINDS, GraphStructure, check_graph, json_number, to_networkx
from toolkit.scopes import at_level, depth, scope_sort_key

__all__ = ["HEADLESS_CHROMIUM_ARGS", "VIEW_FORMAT", "view", "view_data", "view_html"]

VIEW_FORMAT = "micrograd-view"
VIEW_VERSION = 2
NODE_WIDTH, NODE_HEIGHT = 132, 40
SCOPE_WIDTH, SCOPE_HEIGHT = 220, 64
"""The size of every closed scope's box, at zoom 1."""
COLUMN_GAP, ROW_GAP = 84, 14
SCOPE_PADDING, SCOPE_HEADER = 12, 32
"""Inside an open scope: the margin around its children, and the height of its title bar."""
HEADLESS_CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""The flags to open a page offline in headless Chromium here (Debian's ``chromium`` driven
by Playwright, as the viewer's tests and benchmark do): no sandbox (it needs privileges a
container lacks), no GPU, and nothing that reaches the network in the background."""


def view(root_or_G: Value | nx.DiGraph, path: str | os.PathLike[str], title: str = "") -> None:
    """Write the interactive viewer page of a ``Value``'s graph (via ``to_networkx``) or of
    a graph to ``path``, atomically. ``title`` defaults to the file's name.

    >>> import tempfile, pathlib
    >>> from micrograd import Value
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.html"
    >>> view(Value(3.0, label="x").exp(), path)
    >>> "microgradView" in path.read_text()
    True
    """
    write_text_atomic(path, view_html(root_or_G, title or os.path.basename(path)))


def view_html(root_or_G: Value | nx.DiGraph, title: str = "graph") -> str:
    """The viewer page of a ``Value``'s graph or of a graph, as text (see ``view``).

    >>> from micrograd import Value
    >>> "<title>x squared</title>" in view_html(Value(2.0) ** 2, title="x squared")
    True
    """
    data = view_data(root_or_G)
    data["title"] = title
    # Strict JSON, safe inside <script>: no "<" (so no "</script>"), and no "http:" or
    # "https:" even in a label, so that the page holds no web address at all.
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    text = re.sub(r"(?i)(https?):", r"\1\\u003a", text.replace("<", "\\u003c"))
    template = _viewer_file("template.html")
    replacements = {
        "{{title}}": html_text.escape(title),
        "{{style}}": _viewer_file("viewer.css"),
        "{{data}}": text,
        "{{script}}": _viewer_file("viewer.js"),
    }
    return re.sub(r"\{\{\w+\}\}", lambda match: replacements[match.group(0)], template)


def view_data(root_or_G: Value | nx.DiGraph) -> dict:
    """What the page embeds: the graph as parallel arrays (one entry per node, in the
    graph's node order) and its layout, every number strict JSON (non-finite numbers as
    the strings ``"nan"``, ``"inf"``, ``"-inf"``).

    Per node: ``ids``, ``kind`` (index into ``kinds``), ``op`` (into ``ops``), ``label``,
    ``scope`` (into ``scopeNames``), ``box`` (the innermost scope box holding it, an index
    into ``boxes``), ``column`` and ``row`` (its place among the items of that box),
    ``data``, ``grad`` (``null`` without gradients). ``edgeEnds`` is flat: operand, result,
    operand, result, ... by result and position. ``boxes`` lists the scope boxes in
    pre-order, the whole graph first (name ``""``): ``boxParent``, ``boxAliases`` (the other
    scope names a box stands for), ``boxColumn`` and ``boxRow`` (its place among the items
    of its parent box) and ``boxSize`` (nodes inside). ``geometry`` holds the sizes the page
    lays the items out with.

    >>> from micrograd import Value, scope
    >>> with scope("square"):
    ...     y = Value(2.0, label="x") ** 2
    >>> data = view_data(y)
    >>> data["boxes"], data["box"], data["label"], data["edgeEnds"]
    (['', 'square'], [1, 1, 1], ['x', '', ''], [0, 2, 1, 2])
    >>> data["column"], data["row"]
    ([0, 0, 1], [0, 1, 0])
    >>> view_data(Value(-1.0).log())["data"]
    [-1.0, 'nan']
    """
    G = to_networkx(root_or_G) if isinstance(root_or_G, Value) else root_or_G
    structure = check_graph(G)
    nodes = list(structure.attributes)
    index = {node: i for i, node in enumerate(nodes)}
    attributes = [structure.attributes[node] for node in nodes]
    ops = sorted({node_attributes["op"] for node_attributes in attributes})
    scope_names = sorted({a["scope"] for a in attributes}, key=scope_sort_key)
    scope_index = {name: i for i, name in enumerate(scope_names)}
    tree = _ScopeTree(scope_names, [a["scope"] for a in attributes])
    column, row = _layout(structure, index, tree)
    n = len(nodes)
    has_grad = all("grad" in node_attributes for node_attributes in attributes)
    return {
        "format": VIEW_FORMAT,
        "version": VIEW_VERSION,
        "nodes": n,
        "edges": sum(len(slots) for slots in structure.operands.values()),
        "depth": len(structure.levels) - 1,
        "root": index[structure.root],
        "geometry": {
            "nodeWidth": NODE_WIDTH,
            "nodeHeight": NODE_HEIGHT,
            "scopeWidth": SCOPE_WIDTH,
            "scopeHeight": SCOPE_HEIGHT,
            "padding": SCOPE_PADDING,
            "header": SCOPE_HEADER,
            "columnGap": COLUMN_GAP,
            "rowGap": ROW_GAP,
        },
        "kinds": list(KINDS),
        "ops": ops,
        "scopeNames": scope_names,
        "ids": [node if type(node) is int else str(node) for node in nodes],
        "kind": [KINDS.index(a["kind"]) for a in attributes],
        "op": [ops.index(a["op"]) for a in attributes],
        "label": [a["label"] for a in attributes],
        "scope": [scope_index[a["scope"]] for a in attributes],
        "box": [tree.box_of_scope[a["scope"]] for a in attributes],
        "column": column[:n],
        "row": row[:n],
        "data": [json_number(float(a["data"])) for a in attributes],
        "grad": [json_number(float(a["grad"])) for a in attributes] if has_grad else None,
        "edgeEnds": [
            end
            for node in nodes
            for operand in structure.operands.get(node, ())
            for end in (index[operand], index[node])
        ],
        "boxes": tree.names,
        "boxParent": tree.parents,
        "boxAliases": tree.aliases,
        "boxColumn": column[n:],
        "boxRow": row[n:],
        "boxSize": tree.sizes,
    }


class _ScopeTree:
    """The scope boxes of a graph in pre-order, the whole graph (``""``) first.

    A scope with no nodes of its own and a single child scope is one box with that child,
    named by the outer scope; the inner names are its aliases."""

    def __init__(self, scope_names: list[str], node_scopes: list[str]) -> None:
        names = sorted(
            {outer for name in scope_names for outer in _ancestors(name)},
            key=lambda name: (depth(name), scope_sort_key(name)),
        )
        own = dict.fromkeys(names, 0)
        for name in node_scopes:
            if name:
                own[name] += 1
        children: dict[str, list[str]] = {"": []}
        for name in names:
            children.setdefault(name, [])
            children[_parent(name)].append(name)
        canonical = {"": ""}
        for name in names:
            parent = _parent(name)
            merged = parent and own[parent] == 0 and len(children[parent]) == 1
            canonical[name] = canonical[parent] if merged else name
        boxed: dict[str, list[str]] = {}
        for name in names:
            if canonical[name] == name:
                boxed.setdefault(canonical[_parent(name)], []).append(name)
        self.names: list[str] = []
        self.parents: list[int] = []
        pending: list[tuple[str, int]] = [("", -1)]
        while pending:
            name, parent = pending.pop()
            self.parents.append(parent)
            self.names.append(name)
            here = len(self.names) - 1
            inner = sorted(boxed.get(name, []), key=scope_sort_key, reverse=True)
            pending.extend((child, here) for child in inner)
        position = {name: i for i, name in enumerate(self.names)}
        self.aliases: list[list[str]] = [[] for _ in self.names]
        for name in names:
            if canonical[name] != name:
                self.aliases[position[canonical[name]]].append(name)
        self.box_of_scope = {name: position[canonical[name]] for name in ["", *names]}
        sizes = dict.fromkeys(self.names, 0)
        for name in node_scopes:
            for outer in {"", *(canonical[scope] for scope in _ancestors(name))}:
                sizes[outer] += 1
        self.sizes = [sizes[name] for name in self.names]


def _ancestors(scope: str) -> list[str]:
    return [at_level(scope, level) for level in range(1, depth(scope) + 1)]


def _parent(scope: str) -> str:
    return at_level(scope, depth(scope) - 1)


def _layout(
    structure: GraphStructure, index: dict[Hashable, int], tree: _ScopeTree
) -> tuple[list[int], list[int]]:
    """Every item's column and row within the box holding it (see the module docstring):
    the nodes first, then the boxes (``n + box``; the whole graph's box is at column 0,
    row 0). Time about linear in the graph's size."""
    n, boxes = len(index), len(tree.names)
    box_of = [tree.box_of_scope[structure.attributes[node]["scope"]] for node in index]
    chain: list[list[int]] = [[0]]
    for b in range(1, boxes):
        chain.append([*chain[tree.parents[b]], b])
    level = [0] * n
    for k, nodes in enumerate(structure.levels):
        for node in nodes:
            level[index[node]] = k
    own: list[list[int]] = [[] for _ in range(boxes)]
    for i, b in enumerate(box_of):
        own[b].append(i)
    inner: list[list[int]] = [[] for _ in range(boxes)]
    for b in range(1, boxes):
        inner[tree.parents[b]].append(n + b)
    links: list[list[tuple[int, int]]] = [[] for _ in range(boxes)]
    for node, i in index.items():
        for operand in structure.operands.get(node, ()):
            container, source, target = _link(index[operand], i, box_of, chain, n)
            links[container].append((source, target))
    level_sum, level_count = [0] * boxes, [0] * boxes
    columns_of: list[list[list[int]]] = [[] for _ in range(boxes)]
    for b in reversed(range(boxes)):
        level_sum[b] = sum(level[i] for i in own[b]) + sum(level_sum[c - n] for c in inner[b])
        level_count[b] = len(own[b]) + sum(level_count[c - n] for c in inner[b])

        def mean_level(item: int) -> float:
            return level[item] if item < n else level_sum[item - n] / level_count[item - n]

        columns_of[b] = _box_columns([*own[b], *inner[b]], links[b], mean_level)
    edges = [
        (index[operand], i)
        for node, i in index.items()
        for operand in structure.operands.get(node, ())
    ]
    _Order(columns_of, box_of, tree.parents, chain, edges).sweep()
    column, row = [0] * (n + boxes), [0] * (n + boxes)
    for b in range(boxes):
        for k, items in enumerate(columns_of[b]):
            for r, item in enumerate(items):
                column[item], row[item] = k, r
    return column, row


def _link(
    source: int, target: int, box_of: list[int], chain: list[list[int]], n: int
) -> tuple[int, int, int]:
    """The innermost box holding both ends of an edge, and the items of that box (its own
    nodes, or its child boxes as ``n + box``) the edge runs between."""
    up, down = chain[box_of[source]], chain[box_of[target]]
    k = 0
    while k + 1 < len(up) and k + 1 < len(down) and up[k + 1] == down[k + 1]:
        k += 1
    container = up[k]
    start = source if box_of[source] == container else n + up[k + 1]
    end = target if box_of[target] == container else n + down[k + 1]
    return container, start, end


def _box_columns(items: list[int], links: list[tuple[int, int]], mean_level) -> list[list[int]]:
    """The columns of one box's items, left to right: an item sits one column before the
    first item it feeds, the items feeding nothing in the box in the last column. Links
    between boxes may form cycles: only those from a lower to a higher mean level count."""
    ranked = sorted(items, key=lambda item: (mean_level(item), item))
    rank = {item: r for r, item in enumerate(ranked)}
    after: dict[int, list[int]] = {item: [] for item in items}
    for source, target in links:
        if rank[source] < rank[target]:
            after[source].append(target)
    to_end: dict[int, int] = {}
    for item in reversed(ranked):
        to_end[item] = max((to_end[result] + 1 for result in after[item]), default=0)
    last = max(to_end.values())
    columns: list[list[int]] = [[] for _ in range(last + 1)]
    for item in ranked:
        columns[last - to_end[item]].append(item)
    return columns


class _Order:
    """Orders every column of every box for few crossings: barycentre sweeps over the whole
    graph that keep each box's items together, from the innermost boxes out, each box's
    columns in the sweep's direction, positions moved in a sweep counting at once.

    An item moves to the mean height of what it is joined to on the side the sweep comes
    from (operands when sweeping rightwards, results leftwards; the other side for an item
    with none on that side), heights taken in the layout with every scope open (the
    geometry the page uses). A node looks at the nodes it is joined to, where they are; a
    child box at what they would be drawn as with that box's neighbours closed: the item
    beside it in its box, or the outermost box holding the other end that is not around it.
    So parallel boxes (the neurons of a layer, all joined alike) tie, and ties keep the order
    they had: the natural order of their names. Deterministic, and about linear in the
    graph's size per sweep."""

    SWEEPS = ("right", "left", "right", "left")

    def __init__(
        self,
        columns_of: list[list[list[int]]],
        box_of: list[int],
        parents: list[int],
        chain: list[list[int]],
        edges: list[tuple[int, int]],
    ) -> None:
        self.columns_of, self.box_of, self.parents = columns_of, box_of, parents
        n, boxes = len(box_of), len(parents)
        self.n = n
        self.height = [float(NODE_HEIGHT)] * n + [0.0] * boxes
        self.tallest = [0.0] * boxes
        self.column_height: list[list[float]] = [[] for _ in range(boxes)]
        for b in reversed(range(boxes)):  # pre-order: a box's children come after it
            heights = [
                sum(self.height[item] for item in items) + ROW_GAP * (len(items) - 1)
                for items in columns_of[b]
            ]
            self.column_height[b] = heights
            self.tallest[b] = max(heights, default=0.0)
            self.height[n + b] = SCOPE_HEADER + 2 * SCOPE_PADDING + self.tallest[b]
        self.holder = [*box_of, -1, *parents[1:]]  # the box holding each item
        self.top = [0.0] * (n + boxes)  # each item's top, relative to its box's
        for b in range(boxes):
            for k in range(len(columns_of[b])):
                self._stack(b, k)
        self.box_top = [0.0] * boxes
        self.depth_of = [len(chain[b]) - 1 for b in range(boxes)]
        # For every depth d of the hierarchy, every item of the boxes at depth d, and each
        # side: what the item is joined to outside itself (see the class docstring).
        self.joined: list[tuple[dict, dict]] = []
        for d in range(max(self.depth_of) + 1):
            item_at = [self._item_at(chain[box_of[x]], x, d) for x in range(n)]
            before: dict[int, tuple[list[int], list[int]]] = {}
            after: dict[int, tuple[list[int], list[int]]] = {}
            for u, v in edges:
                a, b = item_at[u], item_at[v]
                if a == b:
                    continue
                for item, other, side in ((b, u, before), (a, v, after)):
                    if item < 0:
                        continue
                    ends, items = side.setdefault(item, ([], []))
                    if item < n:
                        ends.append(other)
                        items.append(item_at[other])
                    else:
                        ends.append(self._beside(chain[box_of[other]], other, chain, item, d))
            self.joined.append((before, after))

    def _item_at(self, boxes: list[int], x: int, d: int) -> int:
        """The item of the box at depth ``d`` holding node ``x`` (``-1`` for none)."""
        if len(boxes) == d + 1:
            return x
        return self.n + boxes[d + 1] if len(boxes) > d + 1 else -1

    def _beside(self, boxes: list[int], x: int, chain: list[list[int]], item: int, d: int) -> int:
        """What node ``x`` is drawn as beside the box ``item`` (of a box at depth ``d``)
        when every box not around both is closed: the item holding ``x`` in the innermost
        box around both."""
        around = chain[item - self.n]
        k = 0
        while k + 1 < len(boxes) and k + 1 <= d and boxes[k + 1] == around[k + 1]:
            k += 1
        return self._item_at(boxes, x, k)

    def _stack(self, b: int, k: int) -> None:
        items = self.columns_of[b][k]
        y = (SCOPE_HEADER + SCOPE_PADDING if b > 0 else 0.0) + (
            self.tallest[b] - self.column_height[b][k]
        ) / 2
        for item in items:
            self.top[item] = y
            y += self.height[item] + ROW_GAP

    def _centre(self, item: int) -> float:
        """An item's centre height, as the items have moved so far (its box's top as it was
        when the depth's pass began)."""
        return self.box_top[self.holder[item]] + self.top[item] + self.height[item] / 2

    def sweep(self) -> None:
        for direction in self.SWEEPS:
            for d in reversed(range(len(self.joined))):
                before, after = self.joined[d]
                near, far = (before, after) if direction == "right" else (after, before)
                self._pass(d, near, far, direction == "right")

    def _pass(self, d: int, near: dict, far: dict, rightwards: bool) -> None:
        n, top, height, box_top = self.n, self.top, self.height, self.box_top
        for b in range(1, len(self.parents)):
            box_top[b] = box_top[self.parents[b]] + top[n + b]
        y = [box_top[b] + top[i] + NODE_HEIGHT / 2 for i, b in enumerate(self.box_of)]
        moved = [0.0] * (n + len(self.parents) + 1)  # how far each item moved; last: none
        for b in range(len(self.parents)):
            if self.depth_of[b] != d:
                continue
            columns = range(len(self.columns_of[b]))
            for k in columns if rightwards else reversed(columns):
                items = self.columns_of[b][k]
                if len(items) < 2:
                    continue
                keys = []
                for place, item in enumerate(items):
                    ends, others = near.get(item) or far.get(item) or ((), ())
                    if not ends:
                        key = box_top[b] + top[item] + height[item] / 2
                    elif item < n:
                        key = sum(y[u] + moved[a] for u, a in zip(ends, others)) / len(ends)
                    else:  # exact whatever the order of the ends, so that equals tie
                        key = math.fsum(self._centre(end) for end in ends) / len(ends)
                    keys.append((key, place, item))
                keys.sort()
                was = [top[item] for item in items]
                items[:] = [item for _, _, item in keys]
                self._stack(b, k)
                for _, place, item in keys:
                    moved[item] += top[item] - was[place]


def _viewer_file(name: str) -> str:
    return (resources.files("toolkit") / "viewer" / name).read_text(encoding="utf-8")
