"""A computation graph measured scope by scope, and the scopes that repeat one structure.

``analyze_by_scope(G)`` takes a graph from ``toolkit.graph`` and measures every scope at
every level of the hierarchy (``layers``, ``layers.1``, ``layers.1.neurons``,
``layers.1.neurons.3``, ``loss``, ...; ``""`` holds the nodes outside every scope): how many
nodes it holds and what they are, how deep its own computation is, how many edges cross its
border each way, and which other scopes have the same structure (Weisfeiler-Lehman
fingerprints of their subgraphs, ``toolkit.fingerprint``). ``format_scope_analysis`` gives a
table indented by the hierarchy; ``ScopeAnalysis.to_dict()`` the JSON form, described there.
Apart from hashing the candidates for repeated structure, every measure is one pass over the
graph's nodes and edges per level of scope nesting.

>>> from micrograd import Value, scope
>>> from toolkit.graph import to_networkx
>>> x = Value(0.5)
>>> with scope("f"):
...     y = (x * 2).tanh()
>>> with scope("g"):
...     z = (y * 3).tanh()
>>> report = analyze_by_scope(to_networkx(z))
>>> [(s.scope, s.nodes, s.depth, s.edges_in, s.edges_out) for s in report.scopes]
[('', 1, 0, 0, 1), ('f', 3, 2, 1, 1), ('g', 3, 2, 1, 0)]
>>> [(group.scopes, group.nodes) for group in report.repeated]
[(['f', 'g'], 3)]
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx

from micrograd.ops import OPS
from toolkit.files import one_line
from toolkit.fingerprint import DIGEST_SIZE, WL_ITERATIONS, subgraph_fingerprint
from toolkit.graph import LEAF_KINDS, GraphStructure, check_graph
from toolkit.scopes import ancestors, at_level, depth, nodes_by_scope, scope_sort_key

__all__ = [
    "RepeatedStructure",
    "ScopeAnalysis",
    "ScopeContents",
    "ScopeReport",
    "analyze_by_scope",
    "contents_by_scope",
    "format_scope_analysis",
    "printable_scope",
    "scope_sort_key",
]

ScopeContents = tuple[dict[str, int], dict[str, int]]
"""A scope's leaves by kind and its operations by name."""


@dataclass(frozen=True)
class ScopeReport:
    """One scope, counting every node built in it or in a scope inside it."""

    scope: str
    """The dotted name; ``""`` stands for the nodes outside every scope."""
    level: int
    """How many dotted parts the name has (``scopes.depth``): 1 for ``layers``, 0 for ``""``."""
    nodes: int
    share: float
    """``nodes`` over the graph's nodes, from 0 to 1."""
    leaves_by_kind: dict[str, int]
    ops_by_name: dict[str, int]
    depth: int
    """The longest operand -> result path (in edges) whose every edge runs inside the scope."""
    edges: int
    """Edges with both ends inside the scope."""
    edges_in: int
    """Edges from a node outside the scope to a node inside it."""
    edges_out: int
    """Edges from a node inside the scope to a node outside it."""
    fingerprint: str | None
    """The fingerprint this scope shares with the other members of its ``RepeatedStructure``;
    ``None`` when no other scope has its structure."""


@dataclass(frozen=True)
class RepeatedStructure:
    """Scopes whose subgraphs have the same structure (names and numbers aside)."""

    fingerprint: str
    nodes: int
    """Nodes in each member scope."""
    scopes: list[str]


@dataclass(frozen=True)
class ScopeAnalysis:
    """A graph measured by scope. ``scopes`` is in hierarchy order (``scope_sort_key``): a
    scope comes right before the scopes inside it, and numbered parts count as numbers.
    ``repeated`` lists the groups of scopes with one structure, the largest members first."""

    nodes: int
    fingerprint: str
    """The whole graph's ``toolkit.fingerprint.graph_fingerprint``."""
    scopes: list[ScopeReport]
    repeated: list[RepeatedStructure]

    def to_dict(self) -> dict:
        """The analysis as plain data, ready for ``json.dumps``, in this stable form::

            {"nodes": 366, "fingerprint": "<32 hex digits>",
             "wl_iterations": 3, "digest_size": 16,
             "scopes": [{"scope": "layers.1.neurons.3", "level": 4, "nodes": 41,
                         "share": 0.112, "leaves_by_kind": {"parameter": 5},
                         "ops_by_name": {"add": 16, "mul": 16, "tanh": 4},
                         "depth": 9, "edges": 56, "edges_in": 16, "edges_out": 16,
                         "fingerprint": "<32 hex digits>" or null}, ...],
             "repeated": [{"fingerprint": "...", "nodes": 41,
                           "scopes": ["layers.1.neurons.0", ...]}, ...]}

        Counts are integers, ``share`` a fraction from 0 to 1; leaf kinds follow
        ``toolkit.graph.LEAF_KINDS`` and op names the operation table's order.
        """
        document = dataclasses.asdict(self)
        return {
            "nodes": document["nodes"],
            "fingerprint": document["fingerprint"],
            "wl_iterations": WL_ITERATIONS,
            "digest_size": DIGEST_SIZE,
            "scopes": document["scopes"],
            "repeated": document["repeated"],
        }


def analyze_by_scope(G: nx.DiGraph) -> ScopeAnalysis:
    """Measure every scope of ``G`` at every level (``G`` is checked with ``check_graph``).

    Repeated structure: scopes whose subgraphs get the same ``subgraph_fingerprint`` (kinds,
    ops and operand positions; no names, no numbers) form a group. A scope that only wraps
    one inner scope (``layers.2`` around ``layers.2.neurons.0``) holds the very same subgraph
    and is not listed again. Only scopes whose counts of nodes, edges, ops and leaves match
    another's are hashed, so groups cost little even on large graphs.

    >>> from micrograd import MLP, Value
    >>> from toolkit.graph import to_networkx
    >>> report = analyze_by_scope(to_networkx(MLP(2, [3, 1], seed=0)([1.0, 2.0])))
    >>> [(s.scope, s.nodes, s.depth) for s in report.scopes][:4]
    [('', 2, 0), ('layers', 35, 9), ('layers.0', 24, 4), ('layers.0.neurons', 24, 4)]
    >>> report.repeated[0].scopes
    ['layers.0.neurons.0', 'layers.0.neurons.1', 'layers.0.neurons.2']
    """
    structure = check_graph(G)
    attributes = structure.attributes
    scope_of = {node: node_attributes["scope"] for node, node_attributes in attributes.items()}
    members = nodes_by_scope(scope_of)
    depths, edges, edges_in, edges_out = _paths_and_edges(structure, scope_of)
    counts = {scope: _kinds_and_ops(attributes, nodes) for scope, nodes in members.items()}
    fingerprints = _repeated_fingerprints(structure, members, edges, counts)
    total = len(attributes)
    reports = [
        ScopeReport(
            scope=scope,
            level=depth(scope),
            nodes=len(members[scope]),
            share=len(members[scope]) / total,
            leaves_by_kind=counts[scope][0],
            ops_by_name=counts[scope][1],
            depth=depths[scope],
            edges=edges[scope],
            edges_in=edges_in[scope],
            edges_out=edges_out[scope],
            fingerprint=fingerprints.get(scope),
        )
        for scope in sorted(members, key=scope_sort_key)
    ]
    groups: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        if report.fingerprint is not None:
            groups[report.fingerprint].append(report.scope)
    same = [
        RepeatedStructure(fingerprint, len(members[scopes[0]]), scopes)
        for fingerprint, scopes in groups.items()
    ]
    same.sort(key=lambda group: (-group.nodes, scope_sort_key(group.scopes[0])))
    whole = subgraph_fingerprint(structure, attributes, scopes=True)
    return ScopeAnalysis(nodes=total, fingerprint=whole, scopes=reports, repeated=same)


def contents_by_scope(
    structure: GraphStructure,
) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    """Leaves by kind and operations by name in every scope at every level of a checked
    graph (``check_graph``'s ``structure``), in hierarchy order.

    >>> from micrograd import Value, scope
    >>> from toolkit.graph import check_graph, to_networkx
    >>> with scope("f"):
    ...     y = Value(2.0).exp() * 3
    >>> contents_by_scope(check_graph(to_networkx(y)))
    {'f': ({'input': 1, 'constant': 1}, {'mul': 1, 'exp': 1})}
    """
    scope_of = {node: attributes["scope"] for node, attributes in structure.attributes.items()}
    members = nodes_by_scope(scope_of)
    return {
        scope: _kinds_and_ops(structure.attributes, members[scope])
        for scope in sorted(members, key=scope_sort_key)
    }


def _paths_and_edges(
    structure: GraphStructure, scope_of: dict[Hashable, str]
) -> tuple[Counter[str], ...]:
    """Per scope: its depth, and its edges inside, in and out. One walk up the levels; every
    node keeps its longest path inside each scope of its chain, and an edge extends the
    paths of the scopes that hold both its ends (the chains' shared prefix)."""
    chains = {scope: _chain(scope) for scope in set(scope_of.values())}
    shared_lengths: dict[tuple[str, str], int] = {}
    crossings: Counter[tuple[str, str]] = Counter()  # edges by (operand scope, result scope)
    levels_inside: dict[Hashable, list[int]] = {}  # [i]: inside chains[node's scope][i]
    depths: Counter[str] = Counter()
    for level in structure.levels:
        for node in level:
            chain = chains[scope_of[node]]
            levels = [0] * len(chain)
            for operand in structure.operands.get(node, ()):
                pair = (scope_of[operand], scope_of[node])
                crossings[pair] += 1
                shared = shared_lengths.get(pair)
                if shared is None:
                    shared = shared_lengths[pair] = _shared_length(chains[pair[0]], chain)
                operand_levels = levels_inside[operand]
                for i in range(shared):
                    levels[i] = max(levels[i], operand_levels[i] + 1)
            levels_inside[node] = levels
            for scope, node_level in zip(chain, levels):
                if node_level > depths[scope]:
                    depths[scope] = node_level
    edges: Counter[str] = Counter()
    edges_in: Counter[str] = Counter()
    edges_out: Counter[str] = Counter()
    for (operand_scope, result_scope), n in crossings.items():
        shared = shared_lengths[operand_scope, result_scope]
        for scope in chains[result_scope][:shared]:
            edges[scope] += n
        for scope in chains[result_scope][shared:]:
            edges_in[scope] += n
        for scope in chains[operand_scope][shared:]:
            edges_out[scope] += n
    return depths, edges, edges_in, edges_out


def _chain(scope: str) -> list[str]:
    """The scopes a node of ``scope`` counts in: its ancestors, or ``""`` alone."""
    return ancestors(scope) or [""]


def _shared_length(outer: list[str], inner: list[str]) -> int:
    """How many scopes two chains share: they are prefixes of each other up to a point."""
    shared = 0
    for a, b in zip(outer, inner):
        if a != b:
            break
        shared += 1
    return shared


def _kinds_and_ops(attributes: dict[Hashable, dict], nodes: list[Hashable]) -> ScopeContents:
    """Leaves by kind and operations by name, in the order of ``LEAF_KINDS`` and ``OPS``."""
    kinds = Counter(attributes[node]["kind"] for node in nodes)
    ops = Counter(attributes[node]["op"] for node in nodes if attributes[node]["op"])
    return (
        {kind: kinds[kind] for kind in LEAF_KINDS if kind in kinds},
        {name: ops[name] for name in OPS if name in ops},
    )


def _repeated_fingerprints(
    structure: GraphStructure,
    members: dict[str, list[Hashable]],
    edges: Counter[str],
    counts: dict[str, ScopeContents],
) -> dict[str, str]:
    """The fingerprint of every scope that shares its structure with another, by scope."""
    candidates: dict[tuple, list[str]] = defaultdict(list)
    wrappers = _wrappers(members)
    for scope, nodes in members.items():
        if scope not in wrappers:
            leaves, ops = counts[scope]
            shape = (len(nodes), edges[scope], tuple(leaves.items()), tuple(ops.items()))
            candidates[shape].append(scope)
    fingerprints: dict[str, str] = {}
    for scopes in candidates.values():
        if len(scopes) < 2:
            continue
        by_fingerprint: dict[str, list[str]] = defaultdict(list)
        for scope in scopes:
            by_fingerprint[subgraph_fingerprint(structure, members[scope])].append(scope)
        for fingerprint, same in by_fingerprint.items():
            if len(same) > 1:
                fingerprints.update(dict.fromkeys(same, fingerprint))
    return fingerprints


def _wrappers(members: dict[str, list[Hashable]]) -> set[str]:
    """The scopes whose nodes are exactly those of the one scope directly inside them."""
    inner: dict[str, list[str]] = defaultdict(list)
    for scope in members:
        if depth(scope) > 1:
            inner[at_level(scope, depth(scope) - 1)].append(scope)
    return {
        scope
        for scope, inside in inner.items()
        if len(inside) == 1 and len(members[inside[0]]) == len(members[scope])
    }


def format_scope_analysis(report: ScopeAnalysis, *, max_members: int = 8) -> str:
    """The analysis as a table for a person at a terminal: one row per scope, each scope
    indented under the one that holds it and named by its last part, then the groups of
    repeated structure (``#1``, ``#2``, ... in the ``same`` column), each listing at most
    ``max_members`` runs of scopes (``layers.1.neurons.0-3`` is one run).

    >>> from micrograd import Value, scope
    >>> from toolkit.graph import to_networkx
    >>> x = Value(0.5)
    >>> with scope("net"):
    ...     with scope("f"):
    ...         y = (x * 2).tanh()
    ...     with scope("g"):
    ...         z = (y * 3).tanh()
    >>> print(format_scope_analysis(analyze_by_scope(to_networkx(z))))  # doctest: +ELLIPSIS
    graph fingerprint ... (7 nodes)
    scope       nodes  share  depth  edges  in  out  same  contents
    (no scope)      1  14.3%      0      0   0    1        input 1
    net             6  85.7%      4      5   1    0        constant 2; mul 2, tanh 2
      f             3  42.9%      2      2   1    1  #1    constant 1; mul 1, tanh 1
      g             3  42.9%      2      2   1    0  #1    constant 1; mul 1, tanh 1
    repeated structure #1: 2 scopes of 3 nodes (fingerprint ...): net.f, net.g
    """
    marks = {group.fingerprint: f"#{i}" for i, group in enumerate(report.repeated, start=1)}
    header = ("scope", "nodes", "share", "depth", "edges", "in", "out", "same", "contents")
    rows = [header]
    for scope in report.scopes:
        indent = "  " * max(scope.level - 1, 0)
        contents = (_counts(scope.leaves_by_kind), _counts(scope.ops_by_name))
        rows.append(
            (
                indent + printable_scope(scope.scope.rsplit(".", 1)[-1]),
                str(scope.nodes),
                f"{scope.share:.1%}",
                str(scope.depth),
                str(scope.edges),
                str(scope.edges_in),
                str(scope.edges_out),
                marks[scope.fingerprint] if scope.fingerprint else "",
                "; ".join(part for part in contents if part),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [f"graph fingerprint {report.fingerprint} ({_count(report.nodes, 'node')})"]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:7], widths[1:7])]
        cells += [row[7].ljust(widths[7]), row[8]]
        lines.append("  ".join(cells))
    if not report.repeated:
        lines.append("repeated structure: none")
    for group in report.repeated:
        runs = _runs(group.scopes)
        shown = ", ".join(map(printable_scope, runs[:max_members]))
        shown += ", ..." if len(runs) > max_members else ""
        lines.append(
            f"repeated structure {marks[group.fingerprint]}: {len(group.scopes)} scopes of "
            f"{_count(group.nodes, 'node')} (fingerprint {group.fingerprint}): {shown}"
        )
    return "\n".join(line.rstrip() for line in lines)


SHOWN_SCOPE = 120
"""Characters of a scope name a table shows; JSON keeps the whole name."""


def printable_scope(scope: str) -> str:
    """``scope`` as shown to a person: ``(no scope)`` for ``""``, any control or other
    unprintable character escaped, so that a name read from a file cannot rewrite the
    terminal, and a name longer than ``SHOWN_SCOPE`` characters cut
    (``toolkit.files.one_line``).

    >>> printable_scope(""), printable_scope("layers.1"), printable_scope("a\x1b[2J")
    ('(no scope)', 'layers.1', 'a\\\\x1b[2J')
    >>> len(printable_scope("s." * 500))
    120
    """
    if not scope:
        return "(no scope)"
    return one_line(scope, SHOWN_SCOPE)


def _runs(scopes: list[str]) -> list[str]:
    """Scopes with consecutive last numbers written as one run: ``a.0``, ``a.1``, ``a.2`` as
    ``a.0-2``.

    >>> _runs(["a.0", "a.1", "a.2", "b.0", "b.2", "c"])
    ['a.0-2', 'b.0', 'b.2', 'c']
    """
    runs: list[list] = []  # [prefix, first, last] or [scope, None, None]
    for scope in scopes:
        prefix, _, last = scope.rpartition(".")
        if last.isdigit():
            number = int(last)
            if runs and runs[-1][0] == prefix and runs[-1][2] == number - 1:
                runs[-1][2] = number
                continue
            runs.append([prefix, number, number])
        else:
            runs.append([scope, None, None])
    return [
        name if first is None else f"{name}.{first}" + (f"-{last}" if last > first else "")
        for name, first, last in runs
    ]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
