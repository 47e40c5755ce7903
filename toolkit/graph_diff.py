"""What differs between two computation graphs: structure, counts per scope, and numbers.

``diff_graphs(A, B)`` compares two graphs from ``toolkit.graph`` (say, one exported before
training and one after, or from two seeds, or two learning rates) and returns a
``GraphDiff``: both whole-graph fingerprints (``toolkit.fingerprint.graph_fingerprint``);
the scopes whose node or operation counts differ; whether the structures are the same (the
nodes matched from the root, operand by operand, have the same kinds, ops and scopes and are
shared alike; node ids may differ); and, when they are,
for every scope at every level the node whose ``data`` changed most and the one whose
``grad`` changed most.
``format_graph_diff`` gives a table, ``GraphDiff.to_dict()`` the JSON form.

Change is ``|b - a|``, with non-finite numbers handled: ``nan`` against ``nan`` and ``inf``
against ``inf`` are no change; ``nan`` against anything else, ``inf`` against a finite
number or ``-inf``, and any difference too large for a float are an infinite change.

>>> from micrograd import Parameter
>>> from toolkit.graph import to_networkx
>>> w = Parameter(0.5, label="w")
>>> before = to_networkx(w * 3)
>>> w.data = 0.75
>>> diff = diff_graphs(before, to_networkx(w * 3))
>>> diff.same_structure, diff.fingerprint_a == diff.fingerprint_b
(True, True)
>>> [(c.scope, c.data.op, c.data.a, c.data.b, c.data.change) for c in diff.changes]
[('', 'mul', 1.5, 2.25, 0.75)]
>>> [(c.data.label, c.data.change) for c in diff_graphs(before, to_networkx(w * 3),
...                                                     kinds=["parameter"]).changes]
[('w', 0.25)]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Hashable
from dataclasses import dataclass

import networkx as nx

from micrograd.ops import OPS
from toolkit.analysis import shown_text
from toolkit.fingerprint import subgraph_fingerprint
from toolkit.graph import KINDS, LEAF_KINDS, GraphStructure, check_graph, strict_json
from toolkit.scope_analysis import (
    ScopeContents,
    contents_by_scope,
    printable_scope,
)
from toolkit.scopes import nodes_by_scope, scope_sort_key

__all__ = [
    "CountDifference",
    "GraphDiff",
    "NodeChange",
    "ScopeChange",
    "change",
    "diff_graphs",
    "format_graph_diff",
]

COUNTED = (*LEAF_KINDS, *OPS)
"""What is counted per scope, in this order: leaves by kind, then operations by name."""


@dataclass(frozen=True)
class CountDifference:
    """A scope whose counts differ between the graphs: ``nodes`` and, by leaf kind or op
    name, ``counts``, each as ``(in A, in B)``; only the names that differ are listed."""

    scope: str
    nodes: tuple[int, int]
    counts: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class NodeChange:
    """One node's value in each graph, and how much it changed (see ``change``)."""

    node: Hashable
    label: str
    kind: str
    op: str
    a: float
    b: float
    change: float


@dataclass(frozen=True)
class ScopeChange:
    """The largest change of ``data`` and of ``grad`` among a scope's nodes (counting the
    nodes of the scopes inside it); ``None`` when nothing changed (or, for ``grad``, when a
    graph was saved without gradients)."""

    scope: str
    data: NodeChange | None
    grad: NodeChange | None


@dataclass(frozen=True)
class GraphDiff:
    """Two graphs compared. ``changes`` is empty unless ``same_structure``; it lists every
    scope in hierarchy order (``scope_sort_key``), over the nodes of the ``kinds`` compared."""

    fingerprint_a: str
    fingerprint_b: str
    same_structure: bool
    structure_difference: str
    """The first structural difference found, in one line; ``""`` when there is none."""
    count_differences: list[CountDifference]
    kinds: list[str]
    grads_compared: bool
    changes: list[ScopeChange]

    def to_dict(self) -> dict:
        """The diff as strict JSON data (RFC 8259: no ``NaN`` or ``Infinity`` tokens), in
        this stable form::

            {"fingerprint_a": "<32 hex digits>", "fingerprint_b": "<32 hex digits>",
             "same_structure": true, "structure_difference": "",
             "count_differences": [{"scope": "layers.1", "nodes": [164, 0],
                                    "counts": {"parameter": [20, 0], "mul": [64, 0]}}],
             "kinds": ["parameter", "input", "constant", "operation"],
             "grads_compared": true,
             "changes": [{"scope": "layers.0.neurons.1",
                          "data": {"node": 40, "label": "layers.0.neurons.1.w.2",
                                   "kind": "parameter", "op": "", "a": 0.25, "b": 0.5,
                                   "change": 0.25} or null,
                          "grad": {...} or null}, ...]}

        A non-finite number is written as the string ``"nan"``, ``"inf"`` or ``"-inf"``.
        """
        return strict_json(dataclasses.asdict(self))


def change(a: float, b: float) -> float:
    """How much a number changed from ``a`` to ``b``: ``|b - a|``, except that equal
    infinities and two ``nan``s are no change, and ``nan`` against anything else is an
    infinite change.

    >>> change(1.0, -2.0), change(float("nan"), float("nan")), change(float("inf"), 1.0)
    (3.0, 0.0, inf)
    >>> change(float("nan"), 1.0), change(float("inf"), float("inf")), change(0.0, -0.0)
    (inf, 0.0, 0.0)
    """
    if a == b or (a != a and b != b):
        return 0.0
    difference = abs(b - a)
    return difference if difference == difference else math.inf


def diff_graphs(A: nx.DiGraph, B: nx.DiGraph, *, kinds: Collection[str] = KINDS) -> GraphDiff:
    """Compare graph ``A`` with graph ``B`` (both checked with ``check_graph``). Numbers are
    compared only on the nodes whose kind is in ``kinds`` (``parameter``, ``input``,
    ``constant``, ``operation``), and gradients only when every node of both graphs has one.

    >>> from micrograd import Value
    >>> from toolkit.graph import to_networkx
    >>> x = Value(2.0, label="x")
    >>> diff = diff_graphs(to_networkx(x * x), to_networkx(x + x))
    >>> diff.same_structure, diff.structure_difference
    (False, "node 1: op 'mul' in A, 'add' in B")
    >>> [(d.scope, d.nodes, d.counts) for d in diff.count_differences]
    [('', (2, 2), {'add': (0, 1), 'mul': (1, 0)})]
    """
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown node kind {unknown[0]!r}; choose from {', '.join(KINDS)}")
    a, b = check_graph(A), check_graph(B)
    pair, difference = _match_nodes(a, b)
    compared = [kind for kind in KINDS if kind in kinds]
    grads = all("grad" in attributes for s in (a, b) for attributes in s.attributes.values())
    return GraphDiff(
        fingerprint_a=subgraph_fingerprint(a, a.attributes, scopes=True),
        fingerprint_b=subgraph_fingerprint(b, b.attributes, scopes=True),
        same_structure=not difference,
        structure_difference=difference,
        count_differences=_count_differences(contents_by_scope(a), contents_by_scope(b)),
        kinds=compared,
        grads_compared=grads,
        changes=[] if difference else _changes(a, b, pair, set(compared), grads),
    )


def _match_nodes(a: GraphStructure, b: GraphStructure) -> tuple[dict[Hashable, Hashable], str]:
    """Pair every node of A with the node at the same place in B: the roots, then each
    operation's operands position by position, so ids need not agree. The structures are
    the same when this pairing is one to one and every pair has the same kind, op and scope
    (every node feeds the root, so equal counts and a one-to-one pairing cover both graphs).
    Returns the pairing and the first difference in one line, ``""`` when there is none."""
    if len(a.attributes) != len(b.attributes):
        return {}, f"A has {len(a.attributes)} nodes, B has {len(b.attributes)}"
    pair = {a.root: b.root}
    paired_in_b = {b.root: a.root}
    stack = [a.root]
    while stack:
        node = stack.pop()
        other = pair[node]
        where = f"node {node!r}" if node == other else f"node {node!r} of A, {other!r} of B"
        for name in ("kind", "op", "scope"):
            if a.attributes[node][name] != b.attributes[other][name]:
                return pair, (
                    f"{where}: {name} {a.attributes[node][name]!r:.60} in A, "
                    f"{b.attributes[other][name]!r:.60} in B"
                )
        for x, y in zip(a.operands.get(node, ()), b.operands.get(other, ()), strict=True):
            if x in pair and pair[x] != y:
                return pair, f"node {x!r} of A stands where B has two nodes, {pair[x]!r} and {y!r}"
            if x not in pair and y in paired_in_b:
                return pair, (
                    f"node {y!r} of B stands where A has two nodes, {paired_in_b[y]!r} and {x!r}"
                )
            if x not in pair:
                pair[x], paired_in_b[y] = y, x
                stack.append(x)
    return pair, ""


def _count_differences(
    a: dict[str, ScopeContents], b: dict[str, ScopeContents]
) -> list[CountDifference]:
    """The scopes whose contents (``contents_by_scope``) differ, in hierarchy order."""
    differences = []
    for scope in sorted(a.keys() | b.keys(), key=scope_sort_key):
        counts_a, counts_b = _named_counts(a.get(scope)), _named_counts(b.get(scope))
        names = [name for name in COUNTED if counts_a.get(name) != counts_b.get(name)]
        if names:
            counts = {name: (counts_a.get(name, 0), counts_b.get(name, 0)) for name in names}
            nodes = (sum(counts_a.values()), sum(counts_b.values()))
            differences.append(CountDifference(scope, nodes, counts))
    return differences


def _named_counts(contents: ScopeContents | None) -> dict[str, int]:
    """Leaf kinds and op names together: every node is counted once, by one or the other."""
    return {} if contents is None else {**contents[0], **contents[1]}


def _changes(
    a: GraphStructure,
    b: GraphStructure,
    pair: dict[Hashable, Hashable],
    kinds: set[str],
    grads: bool,
) -> list[ScopeChange]:
    """The largest change of data and grad in every scope, for graphs of one structure whose
    nodes ``pair`` matches (``_match_nodes``); nodes are named by their ids in A."""
    names = ("data", "grad") if grads else ("data",)
    changed: dict[str, dict[Hashable, NodeChange]] = {name: {} for name in names}
    for node, attributes in a.attributes.items():
        if attributes["kind"] not in kinds:
            continue
        for name in names:
            before, after = float(attributes[name]), float(b.attributes[pair[node]][name])
            amount = change(before, after)
            if amount:
                changed[name][node] = NodeChange(
                    node,
                    attributes["label"],
                    attributes["kind"],
                    attributes["op"],
                    before,
                    after,
                    amount,
                )
    members = nodes_by_scope(
        {node: attributes["scope"] for node, attributes in a.attributes.items()}
    )
    return [
        ScopeChange(
            scope,
            _largest(changed["data"], members[scope]),
            _largest(changed["grad"], members[scope]) if grads else None,
        )
        for scope in sorted(members, key=scope_sort_key)
    ]


def _largest(changed: dict[Hashable, NodeChange], nodes: list[Hashable]) -> NodeChange | None:
    """The largest of the changes of ``nodes`` (the first of equals), if any changed."""
    found = [changed[node] for node in nodes if node in changed]
    return max(found, key=lambda entry: entry.change) if found else None


def format_graph_diff(diff: GraphDiff) -> str:
    """The diff for a person at a terminal: numbers to 6 significant digits (the JSON form
    has them exactly).

    >>> from micrograd import Parameter
    >>> from toolkit.graph import to_networkx
    >>> w = Parameter(0.5, label="w")
    >>> before = to_networkx(w * 3)
    >>> w.data = float("nan")
    >>> print(format_graph_diff(diff_graphs(before, to_networkx(w * 3), kinds=["parameter"])))
    ... # doctest: +ELLIPSIS
    fingerprint A       ...
    fingerprint B       ... (the same)
    structure           the same
    node counts         the same in every scope
    largest changes     of parameter nodes, by scope
      (no scope)  data  w (node 0): 0.5 -> nan, change inf
                  grad  none
    """
    same_fingerprint = diff.fingerprint_a == diff.fingerprint_b
    lines = [
        f"fingerprint A       {diff.fingerprint_a}",
        f"fingerprint B       {diff.fingerprint_b} "
        + ("(the same)" if same_fingerprint else "(different)"),
        "structure           "
        + ("the same" if diff.same_structure else f"different: {diff.structure_difference}"),
    ]
    if not diff.count_differences:
        lines.append("node counts         the same in every scope")
    for i, difference in enumerate(diff.count_differences):
        counts = ", ".join(f"{name} {a} -> {b}" for name, (a, b) in difference.counts.items())
        a, b = difference.nodes
        lines.append(
            f"{'node counts' if i == 0 else '':<19} {printable_scope(difference.scope)}: "
            f"nodes {a} -> {b}" + (f"; {counts}" if counts else "")
        )
    if not diff.same_structure:
        return "\n".join(lines)
    lines.append(f"largest changes     of {', '.join(diff.kinds)} nodes, by scope")
    width = max(len(printable_scope(scope.scope)) for scope in diff.changes)
    for scope in diff.changes:
        quantities = [("data", scope.data)]
        if diff.grads_compared:
            quantities.append(("grad", scope.grad))
        for i, (name, found) in enumerate(quantities):
            shown = printable_scope(scope.scope) if i == 0 else ""
            lines.append(f"  {shown:<{width}}  {name}  {_describe_change(found)}")
    if not diff.grads_compared:
        lines.append("gradients           not compared: a graph was saved without them")
    return "\n".join(lines)


def _describe_change(found: NodeChange | None) -> str:
    if found is None:
        return "none"
    what = shown_text(found.label) or (found.op if found.kind == "operation" else found.kind)
    node = shown_text(found.node)
    return f"{what} (node {node}): {found.a:.6g} -> {found.b:.6g}, change {found.change:.6g}"
