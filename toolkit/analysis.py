"""The structure of a computation graph: size, depth and width, fan-out, shared subexpressions.

``analyze(G)`` takes a graph from ``toolkit.graph`` (``to_networkx`` or ``load_graph``) and
returns a ``GraphAnalysis``, a small dataclass that ``to_dict()`` turns into JSON-ready data
and ``format_analysis`` into a readable table. Every measure is one linear pass over the
graph: no pair of nodes is ever compared.

>>> from micrograd import Value
>>> from toolkit.graph import to_networkx
>>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
>>> report = analyze(to_networkx((x * y) + (y * x)))
>>> report.nodes, report.depth, report.duplicate_groups, report.cse_saves
(5, 2, 1, 1)
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx

from micrograd.ops import OPS
from toolkit.files import one_line
from toolkit.graph import LEAF_KINDS, GraphStructure, check_graph, strict_json

__all__ = [
    "MAX_SHOWN_CHARS",
    "DuplicateGroup",
    "FanOut",
    "GraphAnalysis",
    "analyze",
    "format_analysis",
    "shown_text",
]

MAX_SHOWN_CHARS = 60
"""``format_analysis`` shows a label or a node id from a file in at most this many
characters, control characters escaped (``toolkit.files.one_line``); ``to_dict`` keeps them
whole."""


@dataclass(frozen=True)
class FanOut:
    """One node's fan-out: how many distinct results it feeds, through how many edges."""

    node: Hashable
    kind: str
    op: str
    label: str
    results: int
    edges: int


@dataclass(frozen=True)
class DuplicateGroup:
    """Distinct nodes that compute the same expression from the same leaves."""

    kind: str
    op: str
    data: float
    size: int
    nodes: list[Hashable]
    """The group's first ``10`` node ids, in topological order."""


@dataclass(frozen=True)
class GraphAnalysis:
    """The structure of one graph. Levels: leaves are on level 0 and every other node sits
    one level above its highest operand, so ``depth`` is the longest operand -> result path
    (in edges) and ``level_widths[k]`` is how many nodes sit on level ``k``."""

    root: Hashable
    nodes: int
    edges: int
    leaves_by_kind: dict[str, int]
    ops_by_name: dict[str, int]
    depth: int
    level_widths: list[int]
    widest_level: int
    fan_out_histogram: list[tuple[int, int]]
    """``(results fed, number of nodes)`` pairs, by increasing fan-out."""
    top_fan_out: list[FanOut]
    shared_nodes: int
    """Nodes that feed two or more distinct results (the DAG's own sharing)."""
    repeated_operand_nodes: int
    """Nodes that feed some result through more than one edge, like ``a`` in ``a * a``."""
    duplicate_groups: int
    duplicate_nodes: int
    cse_saves: int
    """How many nodes a common-subexpression pass would remove (``nodes`` minus the number
    of distinct expressions)."""
    largest_duplicate_groups: list[DuplicateGroup]

    def to_dict(self) -> dict:
        """The analysis as strict JSON data (RFC 8259), ready for ``json.dumps``: the
        ``data`` of a duplicated constant that is not finite is written as the string
        ``"nan"``, ``"inf"`` or ``"-inf"`` (``toolkit.graph.json_number``), as in graph files.

        >>> from micrograd import Value
        >>> from toolkit.graph import to_networkx
        >>> x = Value(1.0, label="x")
        >>> document = analyze(to_networkx(x * float("inf") + x * float("inf"))).to_dict()
        >>> [(group["op"], group["data"]) for group in document["largest_duplicate_groups"]]
        [('', 'inf'), ('mul', 'inf')]
        """
        return strict_json(dataclasses.asdict(self))


def analyze(G: nx.DiGraph, *, top: int = 5) -> GraphAnalysis:
    """Measure ``G`` (checked with ``check_graph`` first). ``top`` bounds the lists
    of top fan-out nodes and largest duplicate groups.

    Duplicates are found by value numbering: walking up the levels, each node gets the
    number of its expression, ``(op, numbers of its operands)`` with a commutative op's
    operands in either order, a constant its value (bit for bit), and any other leaf itself.

    >>> from micrograd import Value
    >>> from toolkit.graph import to_networkx
    >>> a = Value(3.0, label="a")
    >>> report = analyze(to_networkx(a * a + a))
    >>> [(f.label, f.results, f.edges) for f in report.top_fan_out[:1]]
    [('a', 2, 3)]
    >>> report.shared_nodes, report.repeated_operand_nodes, report.level_widths
    (1, 1, [1, 1, 1])
    """
    structure = check_graph(G)
    levels, attributes = structure.levels, structure.attributes
    kinds = Counter(node_attributes["kind"] for node_attributes in attributes.values())
    ops = Counter(
        node_attributes["op"]
        for node_attributes in attributes.values()
        if node_attributes["kind"] == "operation"
    )
    widths = [len(level) for level in levels]
    widest = max(range(len(widths)), key=widths.__getitem__)
    fan_outs = {
        node: (len(set(results)) if len(results) > 1 else len(results), len(results))
        for node, results in structure.consumers.items()
    }
    histogram = Counter(results for results, _ in fan_outs.values())
    top_nodes = heapq.nlargest(top, fan_outs, key=fan_outs.__getitem__)
    groups = _duplicate_groups(structure)
    duplicated = [group for group in groups if len(group) > 1]
    largest = heapq.nlargest(top, duplicated, key=len)
    return GraphAnalysis(
        root=structure.root,
        nodes=len(attributes),
        edges=sum(edges for _, edges in fan_outs.values()),
        leaves_by_kind={kind: kinds[kind] for kind in LEAF_KINDS if kind in kinds},
        ops_by_name={name: ops[name] for name in OPS if name in ops},
        depth=len(levels) - 1,
        level_widths=widths,
        widest_level=widest,
        fan_out_histogram=sorted(histogram.items()),
        top_fan_out=[_fan_out(attributes[node], node, *fan_outs[node]) for node in top_nodes],
        shared_nodes=sum(1 for results, _ in fan_outs.values() if results >= 2),
        repeated_operand_nodes=sum(1 for results, edges in fan_outs.values() if edges > results),
        duplicate_groups=len(duplicated),
        duplicate_nodes=sum(len(group) for group in duplicated),
        cse_saves=len(attributes) - len(groups),
        largest_duplicate_groups=[_duplicate(attributes[group[0]], group) for group in largest],
    )


def _duplicate_groups(structure: GraphStructure) -> list[list[Hashable]]:
    """The nodes grouped by the expression they compute (one group per distinct expression)."""
    numbers: dict[tuple, int] = {}
    number_of: dict[Hashable, int] = {}
    groups: list[list[Hashable]] = []
    for level in structure.levels:
        for node in level:
            attributes = structure.attributes[node]
            kind = attributes["kind"]
            if kind == "operation":
                op = attributes["op"]
                operands = [number_of[operand] for operand in structure.operands[node]]
                if OPS[op].commutative:
                    operands.sort()
                key: tuple = (op, *operands)
            elif kind == "constant":
                key = ("constant", float(attributes["data"]).hex())
            else:
                key = ("leaf", node)
            number = numbers.setdefault(key, len(numbers))
            if number == len(groups):
                groups.append([])
            groups[number].append(node)
            number_of[node] = number
    return groups


def _fan_out(attributes: dict, node: Hashable, results: int, edges: int) -> FanOut:
    return FanOut(node, attributes["kind"], attributes["op"], attributes["label"], results, edges)


def _duplicate(attributes: dict, group: list[Hashable]) -> DuplicateGroup:
    return DuplicateGroup(
        kind=attributes["kind"],
        op=attributes["op"],
        data=float(attributes["data"]),
        size=len(group),
        nodes=group[:10],
    )


def format_analysis(report: GraphAnalysis, *, max_levels: int = 30) -> str:
    """The analysis as a table for a person at a terminal. Level widths are listed in full
    up to ``max_levels`` levels, then summarised.

    >>> from micrograd import Value
    >>> from toolkit.graph import to_networkx
    >>> print(format_analysis(analyze(to_networkx(Value(1.0, label="a").exp()))))
    nodes               2 (1 edge, root 1)
    leaves              input 1
    operations          exp 1
    depth               1
    widest level        level 0, 1 node
    level widths        1 1
    fan-out             0 results: 1 node; 1 result: 1 node
    top fan-out         node 0 (input 'a') feeds 1 result through 1 edge
                        node 1 (exp) feeds 0 results through 0 edges
    shared nodes        0 feed 2+ results; 0 feed one result through 2+ edges
    duplicates          none
    """
    widths = report.level_widths
    if len(widths) <= max_levels:
        width_text = " ".join(str(width) for width in widths)
    else:
        head = " ".join(str(width) for width in widths[:10])
        tail = " ".join(str(width) for width in widths[-5:])
        width_text = f"{head} ... {tail} ({len(widths)} levels)"
    root = report.root
    rows = [
        ("nodes", f"{report.nodes} ({_count(report.edges, 'edge')}, root {shown_text(root)})"),
        ("leaves", _counts(report.leaves_by_kind)),
        ("operations", _counts(report.ops_by_name)),
        ("depth", str(report.depth)),
        (
            "widest level",
            f"level {report.widest_level}, {_count(widths[report.widest_level], 'node')}",
        ),
        ("level widths", width_text),
        (
            "fan-out",
            "; ".join(
                f"{_count(results, 'result')}: {_count(n, 'node')}"
                for results, n in report.fan_out_histogram
            ),
        ),
    ]
    for i, entry in enumerate(report.top_fan_out):
        rows.append(
            (
                "top fan-out" if i == 0 else "",
                f"node {shown_text(entry.node)} "
                f"({_describe(entry.kind, entry.op, entry.label)}) feeds "
                f"{_count(entry.results, 'result')} through {_count(entry.edges, 'edge')}",
            )
        )
    rows.append(
        (
            "shared nodes",
            f"{report.shared_nodes} feed 2+ results; "
            f"{report.repeated_operand_nodes} feed one result through 2+ edges",
        )
    )
    if report.duplicate_groups:
        rows.append(
            (
                "duplicates",
                f"{_count(report.duplicate_groups, 'group')}, "
                f"{_count(report.duplicate_nodes, 'node')}; "
                f"common-subexpression elimination would save {_count(report.cse_saves, 'node')}",
            )
        )
        for group in report.largest_duplicate_groups:
            what = f"constant {group.data!r}" if group.kind == "constant" else group.op
            shown = ", ".join(shown_text(node) for node in group.nodes)
            more = ", ..." if group.size > len(group.nodes) else ""
            rows.append(("", f"{what} x{group.size}: nodes {shown}{more}"))
    else:
        rows.append(("duplicates", "none"))
    return "\n".join(f"{name:<19} {value}".rstrip() for name, value in rows)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"


def _describe(kind: str, op: str, label: str) -> str:
    what = op if kind == "operation" else kind
    return f"{what} '{shown_text(label)}'" if label else what


def shown_text(text: object) -> str:
    """A label or node id as the table shows it: escaped, at most ``MAX_SHOWN_CHARS`` long.

    >>> shown_text("x" * 100)[-5:], shown_text("a\\nb")
    ('xx...', 'a\\\\nb')
    """
    return one_line(str(text), MAX_SHOWN_CHARS)


def _count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 node``, ``3 nodes``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
