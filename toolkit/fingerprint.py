"""Structural fingerprints of computation graphs: Weisfeiler-Lehman hashes that ignore numbers.

``graph_fingerprint(G)`` is one hex string for the shape of a whole graph: which operations
feed which, in which operand positions, from which kinds of leaves, built in which scopes. It
ignores ``data``, ``grad``, labels and node ids, so two seeds of the same model share it, a
graph before and after training shares it, and a graph read back from either file format
shares it; another architecture does not. ``subgraph_fingerprint`` hashes the part of a graph
induced by some of its nodes, ignoring scope names too: that is how scope analysis finds the
scopes that repeat one structure (the neurons of a layer).

Both run NetworkX's ``weisfeiler_lehman_graph_hash`` (blake2b, so the same in every process,
unlike Python's ``hash()``) for ``WL_ITERATIONS`` rounds with ``DIGEST_SIZE``-byte digests.
Equal graphs always get equal fingerprints; different ones get different fingerprints with
the strong but not certain guarantee of the Weisfeiler-Lehman test. Fingerprints are only
comparable when made with the same NetworkX release series: NetworkX 3.5 changed the hash of
directed graphs.

What a node contributes (its label): its kind (``parameter``, ``input``, ``constant``,
``operation``), its op, its number of operands and of consumers inside the hashed part, and,
in ``graph_fingerprint`` only, its scope name: the module structure is part of a graph's
structure, so the same arithmetic built in other scopes is another graph. An edge
contributes the operand positions it stands for when the result's op is not commutative
(``a - b`` against ``b - a``); for a commutative op, only how many parallel edges there are
(``a * a`` has two).

>>> from micrograd import Value
>>> from toolkit.graph import to_networkx
>>> x, y = Value(2.0), Value(3.0)
>>> fingerprint = graph_fingerprint(to_networkx(x - y))
>>> fingerprint == graph_fingerprint(to_networkx(Value(-5.0) - Value(7.5)))
True
>>> fingerprint == graph_fingerprint(to_networkx(x + y)), len(fingerprint)
(False, 32)
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from collections.abc import Collection, Hashable

import networkx as nx

from micrograd.ops import OPS
from toolkit.graph import GraphStructure, check_graph

__all__ = ["DIGEST_SIZE", "WL_ITERATIONS", "graph_fingerprint", "subgraph_fingerprint"]

WL_ITERATIONS = 3
"""Neighbourhood rounds (NetworkX's default): each node's final label summarises everything
within 3 edges of it, on top of its own operand and consumer counts."""
DIGEST_SIZE = 16
"""Bytes of each blake2b digest, so a fingerprint is 32 hex digits."""


def graph_fingerprint(G: nx.DiGraph) -> str:
    """The structural fingerprint of the whole graph ``G`` (checked with ``check_graph``),
    scope names included (see the module docstring for what counts).

    >>> from micrograd import Value, scope
    >>> from toolkit.graph import to_networkx
    >>> def doubled(name):
    ...     with scope(name):
    ...         return Value(1.0) * 2
    >>> graph_fingerprint(to_networkx(doubled("a"))) == graph_fingerprint(to_networkx(doubled("a")))
    True
    >>> graph_fingerprint(to_networkx(doubled("a"))) == graph_fingerprint(to_networkx(doubled("b")))
    False
    """
    structure = check_graph(G)
    return subgraph_fingerprint(structure, structure.attributes, scopes=True)


def subgraph_fingerprint(
    structure: GraphStructure, nodes: Collection[Hashable], *, scopes: bool = False
) -> str:
    """The fingerprint of the subgraph of a checked graph (``check_graph``'s ``structure``)
    induced by ``nodes``: only edges with both ends among ``nodes`` count. Scope names
    count only if ``scopes``.

    >>> from micrograd import Value, scope
    >>> from toolkit.graph import check_graph, to_networkx
    >>> with scope("p"):
    ...     u = (Value(1.0) * 3).tanh()
    >>> with scope("q"):
    ...     v = (Value(2.0) * 4).tanh()
    >>> structure = check_graph(to_networkx(u + v))
    >>> p, q = ([n for n, at in structure.attributes.items() if at["scope"] == s] for s in "pq")
    >>> subgraph_fingerprint(structure, p) == subgraph_fingerprint(structure, q)
    True
    >>> subgraph_fingerprint(structure, p) == subgraph_fingerprint(structure, [*p, *q])
    False
    """
    inside = nodes if isinstance(nodes, (set, frozenset, dict)) else set(nodes)
    positions: dict[tuple[Hashable, Hashable], list[int]] = defaultdict(list)
    degrees = {node: [0, 0] for node in inside}  # operands and consumers inside
    for result in inside:
        for position, operand in enumerate(structure.operands.get(result, ())):
            if operand in inside:
                positions[operand, result].append(position)
                degrees[result][0] += 1
                degrees[operand][1] += 1
    labels: dict[tuple, str] = {}
    H = nx.DiGraph()
    H.add_nodes_from(
        (node, {"wl": _node_label(structure.attributes[node], *degrees[node], scopes, labels)})
        for node in inside
    )
    H.add_edges_from(
        (operand, result, {"wl": _edge_label(structure.attributes[result]["op"], found)})
        for (operand, result), found in positions.items()
    )
    with warnings.catch_warnings():
        # NetworkX warns on every call that directed hashes changed in 3.5 (see above).
        warnings.filterwarnings("ignore", message="The hashes produced", category=UserWarning)
        return nx.weisfeiler_lehman_graph_hash(
            H, edge_attr="wl", node_attr="wl", iterations=WL_ITERATIONS, digest_size=DIGEST_SIZE
        )


def _node_label(
    attributes: dict, operands: int, consumers: int, scopes: bool, labels: dict[tuple, str]
) -> str:
    """A node's starting label, made once per distinct label (``labels`` is the cache)."""
    key = (attributes["kind"], attributes["op"], operands, consumers)
    if scopes:
        key += (attributes["scope"],)
    label = labels.get(key)
    if label is None:
        # JSON keeps the label ASCII (the hash needs it) and unambiguous whatever the scope's
        # characters; the counts pin which neighbours are operands and which consumers,
        # which NetworkX's directed aggregation does not mark when edges have labels.
        label = labels[key] = json.dumps(key)
    return label


def _edge_label(op: str, positions: list[int]) -> str:
    """``p0.1:`` for operand positions 0 and 1 of a non-commutative op, ``n2:`` for two edges
    into a commutative one. The letters and the colon keep the label apart from the hex digest
    NetworkX appends to it."""
    if OPS[op].commutative:
        return f"n{len(positions)}:"
    return "p" + ".".join(map(str, sorted(positions))) + ":"
