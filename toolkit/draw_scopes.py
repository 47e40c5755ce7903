"""A computation graph collapsed by scope: what a drawing shows when every node is too many.

Each scope at a chosen level of the hierarchy (see ``toolkit.scopes``) becomes one ``Box``
standing for all of its nodes; nodes outside every scope stay single nodes; an arrow between
two elements (boxes or single nodes) stands for the operand edges from the nodes of one to
the nodes of the other, and counts them. Expanding a scope replaces its box by its contents
one level down: its child scopes as boxes, its own nodes one by one. Nothing here draws:
``toolkit.draw`` turns a ``Collapsed`` into a picture.

>>> from micrograd import Value, scope
>>> from toolkit.graph import check_graph, to_networkx
>>> x = Value(2.0, label="x")
>>> with scope("square"):
...     y = x * x
>>> with scope("shift"):
...     z = y + 1
>>> picture = collapse(check_graph(to_networkx(z)), level=1)
>>> sorted(picture.boxes), picture.singles
(['shift', 'square'], [0])
>>> {(str(a), str(b)): n for (a, b), n in picture.arrows.items()}
{('0', 'square'): 2, ('square', 'shift'): 1}
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from toolkit.graph import LEAF_KINDS, GraphStructure
from toolkit.scopes import ancestors, at_level, depth, is_inside, scope_sizes, scope_sort_key

__all__ = [
    "MAX_ELEMENTS",
    "Box",
    "Collapsed",
    "Element",
    "choose_collapse",
    "collapse",
    "scope_levels",
]

MAX_ELEMENTS = 2_000
"""A collapsed drawing shows at most this many elements (boxes, single nodes and arrows)."""


@dataclass(frozen=True)
class Box:
    """One scope drawn as a single box. Two boxes are equal when they name the same scope,
    so a box serves as a key beside node ids (it never equals one).

    ``nodes`` are the graph's nodes it stands for; ``operations`` counts them by op, most
    frequent first; ``leaves`` counts the leaves by kind; ``own_only`` says that the box
    holds only the nodes made directly in its scope, its child scopes being drawn apart.
    """

    scope: str
    nodes: tuple[Hashable, ...] = field(compare=False, repr=False)
    operations: dict[str, int] = field(compare=False, repr=False)
    leaves: dict[str, int] = field(compare=False, repr=False)
    own_only: bool = field(default=False, compare=False, repr=False)

    @property
    def size(self) -> int:
        """How many nodes the box stands for."""
        return len(self.nodes)

    def __str__(self) -> str:
        return self.scope


Element = Box | Hashable
"""What a collapsed picture shows: a ``Box``, or a single node (its id in the graph)."""


@dataclass(frozen=True)
class Collapsed:
    """A graph collapsed by scope (what ``collapse`` returns).

    ``boxes`` maps each drawn scope to its ``Box`` (in the natural order of the scope
    names: ``layers.2`` before ``layers.10``); ``singles`` are the nodes drawn one by one,
    in the graph's order; ``arrows[a, b]`` counts the operand edges from the nodes of
    element ``a`` to those of element ``b`` (edges inside one box are not arrows);
    ``element_of`` gives every node's element.
    """

    level: int
    expanded: tuple[str, ...]
    boxes: dict[str, Box]
    singles: list[Hashable]
    arrows: dict[tuple[Element, Element], int]
    element_of: dict[Hashable, Element]

    @property
    def size(self) -> int:
        """How many things a drawing of it shows: boxes, single nodes and arrows."""
        return len(self.boxes) + len(self.singles) + len(self.arrows)


def scope_levels(structure: GraphStructure) -> list[int]:
    """The levels of the scope hierarchy at which a collapsed picture changes, shallowest
    first: a level whose scopes hold the same nodes as the level above it (``layers.0.neurons``
    under ``layers.0``) is left out. Empty when no node has a scope.

    >>> from micrograd import Value, scope
    >>> from toolkit.graph import check_graph, to_networkx
    >>> with scope("a.only"):
    ...     y = Value(1.0) + 1
    >>> scope_levels(check_graph(to_networkx(y))), scope_levels(check_graph(to_networkx(y + 1)))
    ([1], [1])
    """
    scopes = {attributes["scope"] for attributes in structure.attributes.values()} - {""}
    deepest = max(map(depth, scopes), default=0)
    levels, before = [], 0
    for level in range(1, deepest + 1):
        count = len({at_level(scope, level) for scope in scopes})
        if count > before:
            levels.append(level)
        before = count
    return levels


def collapse(structure: GraphStructure, level: int, expand: Iterable[str] = ()) -> Collapsed:
    """``structure`` collapsed at ``level`` of its scope hierarchy, with the scopes named
    in ``expand`` opened. Linear in the size of the graph.

    A node whose scope is ``s`` belongs to the box of ``s`` cut to ``level`` parts
    (``toolkit.scopes.at_level``). An expanded scope shows its child scopes as boxes and its
    own nodes one by one; a scope holding nothing but one child scope opens that child too
    (``layers.0`` opens into its neurons, not into one box ``layers.0.neurons``). The scopes
    around an expanded one open as far as needed to show it. Nodes outside every scope are
    always single nodes. A level deeper than every scope draws what the deepest scopes'
    level draws, and the picture says that level. Raises ``ValueError`` for a level below 1
    or a scope that is not in the graph.

    >>> from micrograd.demo import demo_loss, demo_model
    >>> from toolkit.graph import check_graph, to_networkx
    >>> structure = check_graph(to_networkx(demo_loss(demo_model(0))))
    >>> sorted(collapse(structure, level=2).boxes)
    ['data', 'layers.0', 'layers.1', 'layers.2', 'loss']
    >>> list(collapse(structure, level=2, expand=["layers.1"]).boxes)
    ['data', 'layers.0', 'layers.1.neurons.0', 'layers.1.neurons.1', 'layers.1.neurons.2', \
'layers.1.neurons.3', 'layers.2', 'loss']
    >>> picture = collapse(structure, level=2, expand=["layers.2"])  # one neuron: its nodes
    >>> list(picture.boxes), len(picture.singles)
    (['data', 'layers.0', 'layers.1', 'loss'], 41)
    >>> collapse(structure, level=9).level  # the deepest scopes, layers.I.neurons.J
    4
    >>> collapse(structure, level=1, expand=["layers.7"])
    Traceback (most recent call last):
    ...
    ValueError: no scope 'layers.7' in this graph; its scopes include layers, ...
    """
    if level < 1:
        raise ValueError(f"the level of a collapsed drawing must be 1 or more, got {level}")
    attributes = structure.attributes
    sizes = scope_sizes(node_attributes["scope"] for node_attributes in attributes.values())
    deepest = max(map(depth, sizes), default=0)
    if deepest:
        level = min(level, deepest)
    expanded = tuple(dict.fromkeys(expand))
    for name in expanded:
        if not name or name not in sizes:
            raise ValueError(_unknown_scope(name, sizes))
    opened = _opened(expanded, sizes)
    raised = {outer for name in opened for outer in ancestors(name)}
    scope_element: dict[str, str | None] = {}
    for node_attributes in attributes.values():
        scope = node_attributes["scope"]
        if scope not in scope_element:
            scope_element[scope] = _box_scope(scope, level, opened, raised)
    members: dict[str, list[Hashable]] = {}
    singles: list[Hashable] = []
    for node, node_attributes in attributes.items():
        box_scope = scope_element[node_attributes["scope"]]
        if box_scope is None:
            singles.append(node)
        else:
            members.setdefault(box_scope, []).append(node)
    boxes = {
        scope: _box(structure, scope, members[scope], members, singles)
        for scope in sorted(members, key=scope_sort_key)
    }
    element_of: dict[Hashable, Element] = {node: node for node in singles}
    for box in boxes.values():
        element_of.update(dict.fromkeys(box.nodes, box))
    arrows: Counter[tuple[Element, Element]] = Counter()
    for operand, results in structure.consumers.items():
        source = element_of[operand]
        for result in results:
            target = element_of[result]
            if target != source:
                arrows[source, target] += 1
    return Collapsed(level, expanded, boxes, singles, dict(arrows), element_of)


def choose_collapse(
    structure: GraphStructure, max_elements: int, expand: Iterable[str] = ()
) -> Collapsed | None:
    """The most detailed collapsed picture of ``structure`` (the deepest of ``scope_levels``)
    whose boxes, single nodes and arrows number at most ``max_elements``, before expanding
    the scopes in ``expand``; ``None`` when even the first level shows more, or when no node
    has a scope.

    >>> from micrograd.demo import demo_loss, demo_model
    >>> from toolkit.graph import check_graph, to_networkx
    >>> structure = check_graph(to_networkx(demo_loss(demo_model(0))))
    >>> [(p.level, len(p.boxes)) for p in (choose_collapse(structure, n) for n in (200, 10))]
    [(4, 11), (2, 5)]
    """
    expand = tuple(expand)
    for level in reversed(scope_levels(structure)):
        picture = collapse(structure, level)
        if picture.size <= max_elements:
            return collapse(structure, level, expand) if expand else picture
    return None


def _opened(expanded: Sequence[str], sizes: Counter[str]) -> set[str]:
    """The expanded scopes, and every scope that is the only content of an opened one."""
    children: dict[str, list[str]] = {}
    for scope in sizes:
        if depth(scope) > 1:
            children.setdefault(at_level(scope, depth(scope) - 1), []).append(scope)
    direct = Counter({scope: sizes[scope] for scope in sizes})
    for scope, inner in children.items():
        direct[scope] -= sum(sizes[child] for child in inner)
    opened, pending = set(), list(expanded)
    while pending:
        scope = pending.pop()
        opened.add(scope)
        inner = children.get(scope, [])
        if len(inner) == 1 and direct[scope] == 0:
            pending.append(inner[0])
    return opened


def _box_scope(scope: str, level: int, opened: set[str], raised: set[str]) -> str | None:
    """The scope of the box holding a node of ``scope``, or None for a single node."""
    if not scope or scope in opened:
        return None
    cut = max([level, *(depth(outer) + 1 for outer in ancestors(scope) if outer in raised)])
    return at_level(scope, cut)


def _box(
    structure: GraphStructure,
    scope: str,
    nodes: list[Hashable],
    members: dict[str, list[Hashable]],
    singles: list[Hashable],
) -> Box:
    operations: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for node in nodes:
        attributes = structure.attributes[node]
        if attributes["kind"] == "operation":
            operations[attributes["op"]] += 1
        else:
            leaves[attributes["kind"]] += 1
    own_only = any(other != scope and is_inside(other, scope) for other in members) or any(
        is_inside(structure.attributes[node]["scope"], scope) for node in singles
    )
    return Box(
        scope=scope,
        nodes=tuple(nodes),
        operations=dict(sorted(operations.items(), key=lambda item: (-item[1], item[0]))),
        leaves={kind: leaves[kind] for kind in LEAF_KINDS if leaves[kind]},
        own_only=own_only,
    )


def _unknown_scope(name: str, sizes: Counter[str], shown: int = 6) -> str:
    scopes = sorted((scope for scope in sizes if scope), key=scope_sort_key)
    if not scopes:
        return f"no scope {name!r} in this graph: no node of it has a scope"
    close = difflib.get_close_matches(name, scopes, n=shown, cutoff=0.6)
    shallow = sorted(scopes, key=lambda scope: (depth(scope), scope_sort_key(scope)))
    listed = list(dict.fromkeys([*sorted(close, key=scope_sort_key), *shallow]))[:shown]
    more = ", ..." if len(scopes) > len(listed) else ""
    return f"no scope {name!r} in this graph; its scopes include {', '.join(listed)}{more}"
