"""Any ``Value`` DAG as a NetworkX graph and back, and as a file (node-link JSON or GraphML).

``to_networkx`` gives a ``networkx.MultiDiGraph``: one node per ``Value`` (ids ``0..n-1`` in
the engine's topological order, so the same graph always gets the same ids) and one edge per
operand, from operand to result, keyed and labelled with the operand's position (``a + a``
keeps both of its edges, hence a multigraph). ``from_networkx`` rebuilds a live DAG through
the operation table, recomputing every forward value and checking it bit for bit against
the stored one. ``save_graph`` / ``load_graph`` go through NetworkX's own writers and
readers; a file read back and saved again is byte-identical. Node-link files are strict JSON
(RFC 8259): a non-finite ``data`` or ``grad`` is written as the string ``"nan"``, ``"inf"``
or ``"-inf"`` (``json_number``), the encoding every JSON document of the toolkit uses
(``strict_json``). The format is described in ``docs/graph-format.md``.

>>> from micrograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 1
>>> y.backward()
>>> G = to_networkx(y)
>>> [(G.nodes[n]["kind"], G.nodes[n]["op"]) for n in G]
[('input', ''), ('operation', 'mul'), ('constant', ''), ('operation', 'add')]
>>> sorted(G.edges(keys=True))          # x feeds the product through two edges
[(0, 1, 0), (0, 1, 1), (1, 3, 0), (2, 3, 1)]
>>> z = from_networkx(G)
>>> z.data, z._prev[0]._prev[0].label
(10.0, 'x')
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element
from xml.parsers import expat

import networkx as nx
from networkx.readwrite.graphml import GraphMLReader, GraphMLWriter

from micrograd.engine import Constant, Parameter, Value, topological_order
from micrograd.ops import OPS
from toolkit.files import (
    FileFormatError,
    json_containers_beyond,
    plain_number,
    read_bytes_bounded,
    write_text_atomic,
)
from toolkit.scopes import ancestors

__all__ = [
    "FORMATS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "KINDS",
    "LEAF_KINDS",
    "MAX_GRAPH_BYTES",
    "MAX_GRAPH_NODES",
    "MAX_ID_DIGITS",
    "MAX_SCOPES",
    "MAX_SCOPE_CHARS",
    "MAX_SCOPE_LEVELS",
    "NON_FINITE_STRINGS",
    "READABLE_VERSIONS",
    "GraphFormatError",
    "GraphStructure",
    "check_file_graph",
    "check_graph",
    "from_networkx",
    "json_number",
    "kind_of",
    "load_graph",
    "rebuild_values",
    "save_graph",
    "strict_json",
    "to_networkx",
]

FORMAT_NAME = "micrograd-graph"
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
"""Versions ``load_graph`` reads: version 1 has no ``scope``, read as ``""`` everywhere;
versions 1 and 2 write non-finite numbers in node-link JSON as the bare tokens ``NaN``,
``Infinity`` and ``-Infinity`` (not JSON), version 3 as strings (``NON_FINITE_STRINGS``)."""
NON_FINITE_STRINGS: dict[str, float] = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
"""How strict JSON holds a non-finite float: the only strings a number may be written as."""
FORMATS = ("node-link", "graphml")
LEAF_KINDS = ("parameter", "input", "constant")
KINDS = (*LEAF_KINDS, "operation")
LEAF_CLASSES: dict[str, type[Value]] = {
    "parameter": Parameter,
    "input": Value,
    "constant": Constant,
}
MAX_GRAPH_BYTES = 256 * 2**20
"""Files larger than this (256 MiB) are refused before they are read: with
``MAX_GRAPH_NODES``, what bounds the memory a file can cost (``docs/limits.md``)."""
MAX_GRAPH_NODES = 1_500_000
"""Files holding more nodes than this are refused before a graph is built; a file may
hold at most two edges per node (no operation has more operands)."""
MAX_GRAPHML_KEYS = 1000
"""The most ``<key>`` declarations (attribute names and types) a GraphML file may hold."""
MAX_SCOPE_LEVELS = 32
"""The most levels a node's scope may have in a file (``a.b.c`` has 3). The neural-net
library builds 4 (``layers.1.neurons.0``) inside the caller's scopes: a file's scopes cost
analysis, drawing and diffs work and output in the square of their depth."""
MAX_SCOPE_CHARS = 256
"""The most characters a node's scope may have in a file."""
MAX_SCOPES = 10_000
"""The most distinct scopes a file's nodes may have, counting every level of the hierarchy
(``a.b`` is ``a`` and ``a.b``). An MLP has one per neuron and a few per layer (its gradient
graph twice as many). Analysis, diffs and the viewer work per scope: 320,000 (10,000
scopes of 32 levels each) took ``graph analyze --by-scope`` 1.07 GB and 84 MB of output."""
MAX_ID_DIGITS = 30
"""The most digits of a node id or an edge key in a file: GraphML holds them as text,
node-link JSON as numbers, and both formats read the same ids."""
_REQUIRED = ("kind", "op", "label", "scope", "data")
_REQUIRED_IN_EVERY_VERSION = ("kind", "op", "label", "data")  # version 1 has no scope
_BYTES_PER_OBJECT = 32
"""Fewer bytes of node-link JSON than any node or edge object takes, with its attributes."""
_NUMBERS = ("data", "grad")
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_ID_BOUND = 10**MAX_ID_DIGITS
_RESERVED = {"node": ("id",), "edge": ("source", "target", "key")}
"""Attribute names node-link JSON uses for the node or edge itself."""
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters no graph file holds: XML 1.0 has no control characters but tab and line
breaks, nor U+FFFE and U+FFFF; a lone surrogate (a JSON ``\\ud800``) is no character."""


class GraphFormatError(FileFormatError):
    """A graph or graph file is not a valid micrograd graph; the message says what and where,
    in one line of at most 300 characters (``toolkit.files.FileFormatError``)."""


def json_number(value: float) -> float | str:
    """``value`` as strict JSON holds it: a finite float as itself, a non-finite one as the
    string ``"nan"``, ``"inf"`` or ``"-inf"`` (``NON_FINITE_STRINGS``).

    >>> json_number(0.5), json_number(float("nan")), json_number(float("-inf"))
    (0.5, 'nan', '-inf')
    """
    if math.isfinite(value):
        return value
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def strict_json(value: object) -> object:
    """``value`` (plain data: dicts, lists, tuples, numbers, text) with every non-finite
    float replaced by its string (``json_number``) and tuples made lists, so that
    ``json.dumps(..., allow_nan=False)`` writes it as strict JSON (RFC 8259).

    >>> import json
    >>> json.dumps(strict_json({"data": (1.0, float("inf")), "op": "log"}), allow_nan=False)
    '{"data": [1.0, "inf"], "op": "log"}'
    """
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    return value


def kind_of(node: Value) -> str:
    """What a node is: ``parameter``, ``constant``, ``input`` (any other leaf) or ``operation``.

    >>> from micrograd import Parameter, Value
    >>> w = Parameter(0.5)
    >>> kind_of(w), kind_of((w * 2)._prev[1]), kind_of(Value(1.0)), kind_of(w * 2)
    ('parameter', 'constant', 'input', 'operation')
    """
    if node._prev:
        return "operation"
    if type(node) is Parameter:
        return "parameter"
    if type(node) is Constant:
        return "constant"
    return "input"


def to_networkx(root: Value, *, grads: bool = True) -> nx.MultiDiGraph:
    """The DAG below ``root`` as a ``MultiDiGraph`` (see the module docstring for its shape).

    Node attributes: ``kind``, ``op`` (``""`` for a leaf), ``label``, ``scope`` (the dotted
    ``micrograd.scope`` the node was made in, ``""`` for none), ``data`` and, unless
    ``grads=False``, ``grad`` (as it stands: this does not run ``backward()``). Edge
    attribute: ``position``. Graph attributes: ``format``, ``version`` and ``root`` (its id).

    >>> from micrograd import Value, scope
    >>> with scope("shift"):
    ...     y = Value(2.0) - 1
    >>> G = to_networkx(y, grads=False)
    >>> G.graph["root"], G.nodes[2]
    (2, {'kind': 'operation', 'op': 'sub', 'label': '', 'scope': 'shift', 'data': 1.0})
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_networkx needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    ids = {node: i for i, node in enumerate(order)}
    G = nx.MultiDiGraph(format=FORMAT_NAME, version=FORMAT_VERSION, root=ids[root])
    G.add_nodes_from((i, _attributes(node, grads)) for i, node in enumerate(order))
    G.add_edges_from(
        (ids[operand], i, position, {"position": position})
        for i, node in enumerate(order)
        for position, operand in enumerate(node._prev)
    )
    return G


def _attributes(node: Value, grads: bool) -> dict[str, object]:
    attributes: dict[str, object] = {
        "kind": kind_of(node),
        "op": node._op,
        "label": node.label,
        "scope": node.scope,
        "data": node.data,
    }
    if grads:
        attributes["grad"] = node.grad
    return attributes


@dataclass(frozen=True)
class GraphStructure:
    """A checked graph, indexed for linear walks (what ``check_graph`` returns).

    ``attributes[node]`` is the node's attribute dict; ``operands[node]`` an operation's
    operands in position order; ``consumers[node]`` the results it feeds, once per edge;
    ``levels[k]`` the nodes on level ``k``: leaves on level 0, every other node one level
    above its highest operand, so a node's level is the longest operand -> result path
    reaching it.
    """

    root: Hashable
    attributes: dict[Hashable, dict]
    operands: dict[Hashable, list[Hashable]]
    consumers: dict[Hashable, list[Hashable]]
    levels: list[list[Hashable]]


def check_graph(G: nx.DiGraph) -> GraphStructure:
    """Check that ``G`` is a well-formed micrograd graph and index it. Linear in its size.

    Raises ``GraphFormatError`` naming the first problem and the node where it is: a
    missing or ill-typed attribute, an unknown kind or op, a wrong number of operands, a bad
    position, a cycle, a missing root, or a node that does not feed the root.

    >>> from micrograd import Value
    >>> a = Value(1.0)
    >>> structure = check_graph(to_networkx((a + a) * a))
    >>> structure.levels, structure.operands[2], structure.consumers[0]
    ([[0], [1], [2]], [1, 0], [1, 1, 2])
    """
    if not isinstance(G, nx.DiGraph):
        raise GraphFormatError(f"expected a directed networkx graph, got {type(G).__name__}")
    root = G.graph.get("root")
    if root is None:
        raise GraphFormatError("graph attribute 'root' is missing")
    if not _hashable(root) or root not in G:
        raise GraphFormatError(f"graph attribute 'root' names {root!r:.40}, which is not a node")
    attributes = dict(G.nodes(data=True))
    operands: dict[Hashable, list] = {}
    for node, node_attributes in attributes.items():
        _check_node(node, node_attributes)
        if node_attributes["kind"] == "operation":
            operands[node] = [None] * OPS[node_attributes["op"]].arity
    consumers: dict[Hashable, list[Hashable]] = {node: [] for node in attributes}
    for operand, result, position in G.edges(data="position"):
        slots = operands.get(result)
        where = f"edge {operand!r} -> {result!r}"
        if slots is None:
            kind = attributes[result]["kind"]
            raise GraphFormatError(f"{where}: node {result!r} is a leaf ({kind}), no operands")
        if type(position) is not int or not 0 <= position < len(slots):
            raise GraphFormatError(
                f"{where}: 'position' must be an integer from 0 to {len(slots) - 1}, "
                f"got {position!r:.40}"
            )
        if slots[position] is not None:
            raise GraphFormatError(f"{where}: node {result!r} has two operands at {position}")
        slots[position] = operand
        consumers[operand].append(result)
    for node, slots in operands.items():
        if None in slots:
            op = attributes[node]["op"]
            raise GraphFormatError(
                f"node {node!r} ({op}): needs {len(slots)} operand(s), "
                f"position {slots.index(None)} is missing"
            )
    levels = _levels(G, attributes, operands, consumers)
    _check_all_feed_root(attributes, operands, root)
    return GraphStructure(root, attributes, operands, consumers, levels)


def _levels(
    G: nx.DiGraph,
    attributes: dict[Hashable, dict],
    operands: dict[Hashable, list[Hashable]],
    consumers: dict[Hashable, list[Hashable]],
) -> list[list[Hashable]]:
    """Kahn's algorithm, one level at a time: a node joins the level after its last operand."""
    waiting = {node: len(slots) for node, slots in operands.items()}
    level = [node for node in attributes if node not in operands]
    levels: list[list[Hashable]] = []
    placed = 0
    while level:
        levels.append(level)
        placed += len(level)
        following = []
        for node in level:
            for result in consumers[node]:
                waiting[result] -= 1
                if waiting[result] == 0:
                    following.append(result)
        level = following
    if placed != len(attributes):
        cycle = [operand for operand, *_ in nx.find_cycle(G)]
        path = " -> ".join(repr(node) for node in [*cycle, cycle[0]])
        raise GraphFormatError(f"the graph has a cycle: {path}")
    return levels


def _check_all_feed_root(
    attributes: dict[Hashable, dict], operands: dict[Hashable, list[Hashable]], root: Hashable
) -> None:
    reached = {root}
    stack = [root]
    while stack:
        for operand in operands.get(stack.pop(), ()):
            if operand not in reached:
                reached.add(operand)
                stack.append(operand)
    if len(reached) != len(attributes):
        stray = next(node for node in attributes if node not in reached)
        raise GraphFormatError(f"node {stray!r} does not feed the root {root!r}")


def rebuild_values(G: nx.DiGraph) -> dict[Hashable, Value]:
    """Every node of ``G`` as a live ``Value``, by node id (the root is ``G.graph["root"]``).

    Leaves come back as ``Parameter``, ``Constant`` or ``Value`` after their ``kind``, with
    their labels and scopes; each operation is applied again through ``Value._apply`` and its result
    must equal the stored ``data`` bit for bit (``nan`` matches ``nan``), else
    ``GraphFormatError`` names the node. Gradients start at 0.0, as in a freshly built graph.

    >>> from micrograd import Value
    >>> values = rebuild_values(to_networkx(Value(2.0, label="x").exp()))
    >>> values[0].label, values[1].data == values[0].exp().data
    ('x', True)
    """
    structure = check_graph(G)
    values: dict[Hashable, Value] = {}
    for level in structure.levels:
        for node in level:
            attributes = structure.attributes[node]
            data = float(attributes["data"])
            if attributes["kind"] != "operation":
                leaf = LEAF_CLASSES[attributes["kind"]](data, label=attributes["label"])
                leaf.scope = attributes["scope"]
                values[node] = leaf
                continue
            operands = [values[operand] for operand in structure.operands[node]]
            value = Value._apply(attributes["op"], *operands)
            value.label, value.scope = attributes["label"], attributes["scope"]
            if not _same_float(value.data, data):
                raise GraphFormatError(
                    f"node {node!r} ({attributes['op']}): recomputed {value.data!r} from its "
                    f"operands but the graph stores {data!r}"
                )
            values[node] = value
    return values


def from_networkx(G: nx.DiGraph) -> Value:
    """The root of the live DAG rebuilt from ``G`` (see ``rebuild_values``).

    Find leaves by label with ``micrograd.topological_order(root)``, or by id with
    ``rebuild_values``.

    >>> from micrograd import Parameter
    >>> w = Parameter(0.5, label="w")
    >>> original = (w * w).tanh()
    >>> original.backward()
    >>> root = from_networkx(to_networkx(original))
    >>> root.backward()
    >>> [(type(v).__name__, v.label, v.grad == w.grad) for v in topological_order(root)][:1]
    [('Parameter', 'w', True)]
    """
    return rebuild_values(G)[G.graph["root"]]


def _check_node(node: Hashable, attributes: dict) -> None:
    if not attributes:
        raise GraphFormatError(
            f"node {node!r} has no attributes (is it the end of an edge to an undeclared node?)"
        )
    _check_required(node, attributes, _REQUIRED)
    kind, op, label = attributes["kind"], attributes["op"], attributes["label"]
    if kind not in KINDS:
        raise GraphFormatError(
            f"node {node!r}: unknown kind {kind!r:.40}; expected one of {', '.join(KINDS)}"
        )
    if not isinstance(label, str):
        raise GraphFormatError(f"node {node!r}: 'label' must be text, got {label!r:.40}")
    if not isinstance(op, str):
        raise GraphFormatError(f"node {node!r}: 'op' must be text, got {op!r:.40}")
    scope = attributes["scope"]
    if not isinstance(scope, str) or (scope and "" in scope.split(".")):
        raise GraphFormatError(
            f"node {node!r}: 'scope' must be dotted text without empty parts, got {scope!r:.40}"
        )
    if kind == "operation" and op not in OPS:
        raise GraphFormatError(f"node {node!r}: unknown op {op!r:.40}")
    if kind != "operation" and op != "":
        raise GraphFormatError(f"node {node!r}: a leaf ({kind}) has op {op!r:.40}; expected ''")
    _check_number(attributes["data"], node, "data")
    if "grad" in attributes:
        _check_number(attributes["grad"], node, "grad")


def _check_required(node: Hashable, attributes: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in attributes:
            raise GraphFormatError(f"node {node!r}: missing attribute {name!r}")


def _check_number(value: object, node: Hashable, name: str) -> None:
    if type(value) is float:
        return
    if type(value) is int:
        try:
            float(value)
            return
        except OverflowError:
            pass
    raise GraphFormatError(f"node {node!r}: {name!r} must be a number, got {value!r:.40}")


def _same_float(a: float, b: float) -> bool:
    """Bit for bit, except that every nan matches every nan (files do not keep nan payloads)."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# -- files ---------------------------------------------------------------------------------


def check_file_graph(G: nx.DiGraph) -> None:
    """Check that ``G`` holds only what both file formats hold, so that a graph read from
    either format can be written in either and read back. ``load_graph`` refuses a file
    and ``save_graph`` a graph that does not: node ids and edge keys are integers of at
    most ``MAX_ID_DIGITS`` digits; attributes are text, numbers or booleans (finite, but
    for ``data`` and ``grad``) under names that are text and not the file's own (``id`` of
    a node; ``source``, ``target``, ``key`` of an edge); text has no character XML 1.0
    cannot hold (a control character but tab and line breaks, U+FFFE, U+FFFF, a lone
    surrogate); a scope has at most ``MAX_SCOPE_LEVELS`` levels and ``MAX_SCOPE_CHARS``
    characters, and the nodes have at most ``MAX_SCOPES`` distinct scopes, every level
    counted.
    ``GraphFormatError`` names the first problem and where it is.

    >>> from micrograd import Value
    >>> G = to_networkx(Value(1.0).exp())
    >>> G.nodes[1]["history"] = [1.0, 2.0]
    >>> check_file_graph(G)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    toolkit.graph.GraphFormatError: node 1: 'history' is a list; a graph file holds text,
    numbers and booleans
    """
    problem = _file_graph_problem(G)
    if problem:
        raise GraphFormatError(problem)


def _file_graph_problem(G: nx.DiGraph) -> str | None:
    """The first thing ``check_file_graph`` finds wrong with ``G``, where it is, or ``None``."""
    known: dict[str, set[str]] = {holder: set() for holder in ("graph", "node", "edge")}
    problem = _attributes_problem(G.graph, "graph", known["graph"])
    if problem:
        return f"graph: {problem}"
    scopes: set[str] = set()
    for node, attributes in G.nodes(data=True):
        scope = attributes.get("scope")
        if isinstance(scope, str) and scope not in scopes and not _scope_problem(scope):
            scopes.update(ancestors(scope) or [""])  # no scope counts as one
            if len(scopes) > MAX_SCOPES:
                return (
                    f"node {_shown(node)}: more than {MAX_SCOPES:,} distinct scopes, every "
                    "level counted; a graph file holds at most that many"
                )
        problem = (
            None
            if _file_id(node)
            else f"a node id must be an integer of at most {MAX_ID_DIGITS} digits"
        )
        problem = (
            problem
            or _attributes_problem(attributes, "node", known["node"])
            or _scope_problem(attributes.get("scope"))
        )
        if problem:
            return f"node {_shown(node)}: {problem}"
    for source, target, key, attributes in G.edges(keys=True, data=True):
        problem = (
            None
            if _file_id(key)
            else f"the key must be an integer of at most {MAX_ID_DIGITS} digits, got {_shown(key)}"
        )
        problem = problem or _attributes_problem(attributes, "edge", known["edge"])
        if problem:
            return f"edge {_shown(source)} -> {_shown(target)}: {problem}"
    return None


def _file_id(value: object) -> bool:
    """Whether ``value`` is a node id or edge key a file holds (``MAX_ID_DIGITS``)."""
    return type(value) is int and -_ID_BOUND < value < _ID_BOUND


def _shown(value: object) -> str:
    """``value`` for a message: its repr cut to 40 characters; an integer too long to write
    out (Python refuses beyond 4,300 digits) by its number of digits."""
    if type(value) is int and not -_ID_BOUND < value < _ID_BOUND:
        try:
            return f"an integer of {len(str(abs(value))):,} digits"
        except ValueError:  # more digits than Python writes out
            return "an integer of over 4,300 digits"
    return f"{value!r:.40}"


def _attributes_problem(attributes: dict, holder: str, known: set[str]) -> str | None:
    """What ``check_file_graph`` finds wrong with the attributes of a ``holder`` (graph,
    node or edge), or ``None``. ``known`` holds the names already found fine: a graph has
    few names and many nodes."""
    for name, value in attributes.items():
        if name not in known:
            if not isinstance(name, str):
                return f"an attribute name must be text, got {_shown(name)}"
            if name in _RESERVED.get(holder, ()):
                return (
                    f"an attribute may not be called {name!r}, a name the file gives the "
                    f"{holder} itself"
                )
            problem = _text_problem(name, f"attribute name {name!r:.40}")
            if problem:
                return problem
            known.add(name)
        if isinstance(value, str):
            problem = _text_problem(value, f"{name!r:.40}")
            if problem:
                return problem
        elif isinstance(value, float):
            if value - value != 0 and name not in _NUMBERS:  # inf or nan
                return (
                    f"{name!r:.40} is {value}; a graph file holds finite numbers, but for "
                    "data and grad"
                )
        elif not isinstance(value, int):
            return (
                f"{name!r:.40} is a {type(value).__name__}; a graph file holds text, numbers "
                "and booleans"
            )
    return None


def _scope_problem(scope: object) -> str | None:
    if not isinstance(scope, str) or (
        len(scope) <= MAX_SCOPE_CHARS and scope.count(".") < MAX_SCOPE_LEVELS
    ):
        return None
    return (
        f"'scope' has {scope.count('.') + 1:,} levels and {len(scope):,} characters; a graph "
        f"file holds scopes of at most {MAX_SCOPE_LEVELS} levels and {MAX_SCOPE_CHARS} "
        "characters"
    )


def _text_problem(text: str, what: str) -> str | None:
    found = _UNWRITABLE.search(text)
    if not found:
        return None
    character = found.group()
    kind = (
        "a lone surrogate, which is not a character"
        if "\ud800" <= character <= "\udfff"
        else "a character XML 1.0 cannot hold"
    )
    return (
        f"{what}: text {text[:40]!r} holds {kind} ({character!r} at character "
        f"{found.start()}): no graph file can hold it"
    )


def save_graph(
    root_or_G: Value | nx.DiGraph, path: str | os.PathLike[str], format: str = "node-link"
) -> None:
    """Write a ``Value``'s graph (via ``to_networkx``) or a graph to ``path``, atomically.

    ``format`` is ``node-link`` (JSON, the default) or ``graphml``. A graph is checked first
    (``check_graph``), so a file is only written if it can be read back. Node-link files are
    strict JSON: a non-finite ``data`` or ``grad`` is written as ``"nan"``, ``"inf"`` or
    ``"-inf"``, and any other non-finite number (in an attribute of the caller's own) raises
    ``GraphFormatError``. GraphML holds them as the ``double`` values ``nan``, ``inf`` and
    ``-inf``. Either format holds what the other does (``check_file_graph``): anything else
    raises ``GraphFormatError`` saying ``not written`` and why.

    >>> import tempfile, pathlib
    >>> from micrograd import Value
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.graphml"
    >>> save_graph(Value(2.0, label="x") ** 3, path, format="graphml")
    >>> from_networkx(load_graph(path)).data
    8.0
    """
    if format not in FORMATS:
        raise ValueError(f"unknown graph format {format!r}; choose {' or '.join(FORMATS)}")
    G = to_networkx(root_or_G) if isinstance(root_or_G, Value) else root_or_G
    check_graph(G)
    problem = _file_graph_problem(G)
    if problem:
        raise GraphFormatError(f"not written: {problem}")
    header = (G.graph.get("format"), G.graph.get("version"))
    if header != (FORMAT_NAME, FORMAT_VERSION):
        raise GraphFormatError(
            f"not written: the graph says format {header[0]!r:.40} version {header[1]!r:.40}; "
            f"files are written as {FORMAT_NAME!r} version {FORMAT_VERSION} "
            "(graphs from to_networkx or load_graph)"
        )
    if format == "node-link":
        document = nx.node_link_data(G, edges="edges")  # new dicts: G is left as it is
        for node in document["nodes"]:
            for name in _NUMBERS:
                value = node.get(name)
                if type(value) is float and not math.isfinite(value):
                    node[name] = json_number(value)
        text = json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n"
    else:
        writer = GraphMLWriter()  # NetworkX's writer, as ``nx.generate_graphml`` uses it
        writer.add_graph_element(G)
        # A carriage return as a character reference: XML reads a bare one as a line feed.
        body = str(writer).rstrip("\n").replace("\r", "&#13;")
        text = f"{_XML_DECLARATION}\n{body}\n"
    write_text_atomic(path, text)


def load_graph(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_GRAPH_BYTES,
    max_nodes: int = MAX_GRAPH_NODES,
) -> nx.MultiDiGraph:
    """Read a graph file written by ``save_graph`` (the format is recognised from the
    content) and check it (``check_graph``). Anything wrong raises
    ``GraphFormatError`` whose one-line message starts with the path; a missing or
    unreadable file raises ``OSError``. Nothing in the file is ever evaluated. A file over
    ``max_bytes``, or holding more than ``max_nodes`` nodes, is refused before its graph is
    built: together they bound the memory a file can cost (``docs/limits.md``).

    >>> import tempfile, pathlib
    >>> from micrograd import Value
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> save_graph(Value(2.0).tanh(), path)
    >>> G = load_graph(path)
    >>> G.number_of_nodes(), G.graph["root"]
    (2, 1)
    """
    data = read_bytes_bounded(path, max_bytes=max_bytes, error=GraphFormatError)
    try:
        return _read_graph(data, max_nodes)
    except GraphFormatError as error:
        problem = str(error)
    # Raised here, not in the handler, and without the file's bytes: the error keeps no
    # frame, and so no text or parsed document, alive while a caller handles it.
    del data
    raise GraphFormatError(f"{os.fspath(path)}: {problem}")


def _read_graph(data: bytes, max_nodes: int) -> nx.MultiDiGraph:
    G = _parse(data, max_nodes)
    _check_header(G)
    check_graph(G)
    check_file_graph(G)
    return G


_FIRST_CHARACTER = re.compile(rb"[ \t\r\n]*(.?)", re.DOTALL)


def _parse(data: bytes, max_nodes: int) -> nx.MultiDiGraph:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as decoding:
        raise GraphFormatError(f"not UTF-8 text (byte {decoding.start})") from None
    # Neither format has a NUL; UTF-16 or UTF-32 text without a byte-order mark has many.
    nul = data.find(b"\x00")
    if nul >= 0:
        raise GraphFormatError(f"not UTF-8 text (a NUL byte at byte {nul}: UTF-16 or UTF-32?)")
    start = _FIRST_CHARACTER.match(data).group(1)
    if start == b"{":
        return _parse_node_link(text, max_nodes)
    del text
    if start == b"<":  # the bytes, UTF-8 whatever the file declares (``_parse_graphml``)
        return _parse_graphml(data, max_nodes)
    if not start:
        raise GraphFormatError("empty file")
    raise GraphFormatError("not a graph file: expected node-link JSON or GraphML")


class _BareToken:
    """A ``NaN``, ``Infinity`` or ``-Infinity`` token, as versions 1 and 2 wrote non-finite
    numbers: a float there, an error in a version 3 file (shown as the token itself)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.value = float(token)

    def __repr__(self) -> str:
        return self.token


def _parse_node_link(text: str, max_nodes: int) -> nx.MultiDiGraph:
    # Every JSON object or list costs about 100 bytes of memory, whatever its size in the
    # file (``[]`` is two bytes): count them before parsing. A graph of n nodes needs one
    # object per node, at most two per node for the edges, and four more; and each of
    # them takes more than ``_BYTES_PER_OBJECT`` bytes of file.
    limit = min(3 * max_nodes, len(text) // _BYTES_PER_OBJECT) + 4
    found = json_containers_beyond(text, limit)
    if found is not None:
        raise GraphFormatError(
            f"{found:,} JSON objects and lists, more than a graph file of this size and the "
            f"{max_nodes:,}-node limit holds ({limit:,})"
        )
    bare: list[_BareToken] = []

    def bare_token(token: str) -> _BareToken:
        bare.append(_BareToken(token))
        return bare[-1]

    try:
        document = json.loads(text, parse_constant=bare_token)
    except (ValueError, RecursionError) as error:
        raise GraphFormatError(f"not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise GraphFormatError("expected a JSON object with 'nodes' and 'edges'")
    if document.get("directed") is not True or document.get("multigraph") is not True:
        raise GraphFormatError("expected a directed multigraph ('directed' and 'multigraph' true)")
    nodes, edges = document.get("nodes"), document.get("edges")
    if not isinstance(document.get("graph"), dict):
        raise GraphFormatError("'graph' must be an object of graph attributes")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise GraphFormatError("'nodes' and 'edges' must be lists")
    if len(nodes) > max_nodes:
        raise GraphFormatError(f"{len(nodes):,} nodes, more than the {max_nodes:,}-node limit")
    if len(edges) > 2 * len(nodes):
        raise GraphFormatError(
            f"{len(edges):,} edges for {len(nodes):,} nodes: a node has at most 2 operands"
        )
    ids: set[int] = set()
    for i, node in enumerate(nodes):
        identifier = node.get("id") if isinstance(node, dict) else None
        if not _file_id(identifier):
            raise GraphFormatError(
                f"nodes[{i}]: 'id' must be an integer of at most {MAX_ID_DIGITS} digits, "
                f"got {identifier!r:.40}"
            )
        if identifier in ids:
            raise GraphFormatError(f"nodes[{i}]: id {identifier} appears twice")
        ids.add(identifier)
        # An attribute dict and adjacency cost about 500 bytes a node: not for a node that
        # does not hold what every node of every version holds.
        _check_required(identifier, node, _REQUIRED_IN_EVERY_VERSION)
    version = document["graph"].get("version")
    if version == FORMAT_VERSION and type(version) is int:
        for node in nodes:
            _decode_numbers(node)
        if bare:
            raise GraphFormatError(
                f"{bare[0].token} is not JSON; version {FORMAT_VERSION} writes non-finite "
                'numbers as "nan", "inf" or "-inf"'
            )
    elif bare:
        _replace_bare_tokens(document)
    for i, edge in enumerate(edges):
        if not isinstance(edge, dict):
            raise GraphFormatError(f"edges[{i}]: expected an object, got {edge!r:.40}")
        for end in ("source", "target"):
            if type(edge.get(end)) is not int or edge[end] not in ids:
                raise GraphFormatError(
                    f"edges[{i}]: {end} {edge.get(end)!r:.40} is not a node (a dangling edge)"
                )
        if not _file_id(edge.get("key")):
            raise GraphFormatError(
                f"edges[{i}]: 'key' must be an integer of at most {MAX_ID_DIGITS} digits, "
                f"got {edge.get('key')!r:.40}"
            )
    return nx.node_link_graph(document, edges="edges")


def _decode_numbers(node: dict) -> None:
    """A version 3 node's ``data`` and ``grad`` as floats: ``"nan"``, ``"inf"`` and
    ``"-inf"`` decoded; other text, a bare ``NaN`` token or a number too large for a float
    refused (values of other types are left for ``check_graph`` to refuse)."""
    for name in _NUMBERS:
        value = node.get(name)
        if type(value) is str:
            if value not in NON_FINITE_STRINGS:
                raise GraphFormatError(
                    f"node {node['id']!r}: {name!r} must be a number, got {value!r:.40}; "
                    'a non-finite number is written "nan", "inf" or "-inf"'
                )
            node[name] = NON_FINITE_STRINGS[value]
        elif isinstance(value, _BareToken):
            raise GraphFormatError(
                f"node {node['id']!r}: {name!r} is the bare token {value.token}, which is not "
                'JSON; write "nan", "inf" or "-inf"'
            )
        elif type(value) is float and not math.isfinite(value):
            raise GraphFormatError(
                f"node {node['id']!r}: {name!r} is a number too large for a float; "
                'write "inf" or "-inf"'
            )


def _replace_bare_tokens(document: dict) -> None:
    """Every ``NaN``, ``Infinity`` and ``-Infinity`` token of an older file as its float."""
    stack: list[dict | list] = [document]
    while stack:
        container = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, _BareToken):
                container[key] = value.value
            elif isinstance(value, (dict, list)):
                stack.append(value)


# -- GraphML -------------------------------------------------------------------------------

_GRAPHML_NS = GraphMLReader.NS_GRAPHML
_CHILDREN = {
    "graphml": ("key", "graph", "desc"),
    "key": ("default", "desc"),
    "graph": ("node", "edge", "data", "desc"),
    "node": ("data", "desc"),
    "edge": ("data", "desc"),
    "data": (),
    "default": (),
    "desc": (),
}
"""The GraphML elements the format has, and what each may hold: NetworkX's writer writes no
others, and the reader refuses the rest (nested graphs, yEd's group nodes and extensions,
ports, hyperedges) before NetworkX's reader sees them."""
_NUMBER_TYPES = ("int", "long", "integer", "float", "double")
_XML_SPACE = " \t\r\n"
_MAX_XML_ATTRIBUTES = 32
"""More XML attributes than any GraphML element has (a ``<graph>`` has at most 9)."""
_XML_PIECE = 16 * 1024
_MAX_TAG_BYTES = 64 * 1024
"""The longest run of XML without an element's start or end or text: longer than any tag
GraphML needs (text, however long, is read as it comes)."""
_GRAPHML_ID = re.compile(rf"-?[0-9]{{1,{MAX_ID_DIGITS}}}")
_GRAPHML_NON_FINITE = ("nan", "inf", "-inf", "+inf", "NaN", "INF", "-INF", "+INF")


def _parse_graphml(data: bytes, max_nodes: int) -> nx.MultiDiGraph:
    """Parse GraphML with expat, refusing a document type declaration or an entity in the
    parser itself (the door to entity-expansion bombs and external entities; ours never
    has one), and hand each node and edge to NetworkX's GraphML reader as soon as it is
    complete: memory grows with the graph, never with the XML."""
    builder = _GraphMLBuilder(max_nodes)
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    parser.UnparsedEntityDeclHandler = _refuse_declaration
    parser.ExternalEntityRefHandler = _refuse_declaration
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.characters
    parser.buffer_text = True
    builder.parser = parser
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NetworkX's notes on types it assumes
            # In pieces, so that no tag can make expat hold more than a piece or two of it
            # (a tag of a million attributes costs 25 times its size once parsed).
            for start in range(0, len(data), _XML_PIECE):
                parser.Parse(data[start : start + _XML_PIECE], False)
                if start + _XML_PIECE - builder.seen > _MAX_TAG_BYTES:
                    raise GraphFormatError(
                        f"not valid GraphML: no tag ends in the {_MAX_TAG_BYTES:,} bytes from "
                        f"byte {builder.seen:,} (a tag, comment or instruction that long)"
                    )
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise GraphFormatError(
            f"not valid GraphML: {expat.ErrorString(error.code)} at line {error.lineno}, "
            f"column {error.offset + 1}"
        ) from None
    if builder.G is None:
        raise GraphFormatError("not valid GraphML: no <graph> element")
    if not builder.directed:
        raise GraphFormatError("expected a directed graph (edgedefault='directed')")
    return builder.G


def _refuse_declaration(*_: object) -> None:
    raise GraphFormatError("GraphML with a DOCTYPE or ENTITY declaration is refused")


class _GraphMLBuilder:
    """expat's handlers for ``_parse_graphml``: checks each element against ``_CHILDREN``,
    collects the ``<key>`` declarations, and builds the graph one node or edge at a time
    through NetworkX's ``GraphMLReader`` (``find_graphml_keys``, ``add_node``,
    ``add_edge``, ``decode_data_elements``)."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.reader = GraphMLReader(node_type=int, edge_key_type=int, force_multigraph=True)
        self.parser: expat.XMLParserType | None = None
        self.G: nx.MultiDiGraph | None = None
        self.directed = False
        self.open: list[str] = []  # the local names of the open elements
        self.elements: list[Element | None] = []  # what each open element is built into
        self.declared = Element("graphml")  # the <key> elements
        self.graph_data = Element("graph")  # the graph's own <data> elements
        self.keys: dict[str, dict] = {}
        self.declared_types: dict[str | None, tuple[str | None, str | None]] = {}
        self.text: list[str] | None = None
        self.seen = 0  # the byte where the latest start, end or text was read
        self.ids: set[int] = set()
        self.edges = 0
        self.data_keys: set[str] = set()  # of the node or edge being read
        self.graph_keys: set[str] = set()  # of the graph's own <data>

    def where(self) -> str:
        line = self.parser.CurrentLineNumber if self.parser else 0
        return f"not valid GraphML at line {line}"

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.seen = self.parser.CurrentByteIndex
        namespace, _, local = name.rpartition("}")
        parent = self.open[-1] if self.open else None
        if namespace not in ("", _GRAPHML_NS):
            raise GraphFormatError(f"{self.where()}: element {local!r:.40} of another namespace")
        allowed = _CHILDREN[parent] if parent else ("graphml",)
        if local not in allowed:
            inside = f"<{parent}>" if parent else "the document"
            raise GraphFormatError(f"{self.where()}: unexpected <{local:.40}> in {inside}")
        if len(attributes) > _MAX_XML_ATTRIBUTES:
            raise GraphFormatError(
                f"{self.where()}: <{local}> has {len(attributes):,} XML attributes; GraphML "
                f"has at most {_MAX_XML_ATTRIBUTES}"
            )
        element = self._element(local, parent, attributes)
        self.open.append(local)
        self.elements.append(element)
        if local in ("data", "default"):
            self.text = []

    def _element(self, local: str, parent: str | None, attributes: dict) -> Element | None:
        """The element to build for ``local`` (``None`` for what is not kept), checked."""
        tag = f"{{{_GRAPHML_NS}}}{local}"
        if local == "key":
            if self.G is not None:
                raise GraphFormatError(f"{self.where()}: a <key> after the <graph>")
            if len(self.declared) >= MAX_GRAPHML_KEYS:
                raise GraphFormatError(f"{self.where()}: more than {MAX_GRAPHML_KEYS} <key>s")
            element = Element(tag, attributes)
            self.declared.append(element)
            name = attributes.get("attr.name", attributes.get("id"))
            self.declared_types[attributes.get("id")] = (name, attributes.get("attr.type"))
            return element
        if local == "graph":
            if self.G is not None:
                raise GraphFormatError(f"{self.where()}: a second <graph>")
            self.directed = attributes.get("edgedefault") == "directed"
            self.keys, _ = self._read(lambda: self.reader.find_graphml_keys(self.declared))
            self.G = nx.MultiDiGraph()
            return None
        if local in ("node", "edge"):
            if attributes.get("yfiles.foldertype") == "group":
                raise GraphFormatError(f"{self.where()}: a group node (a nested graph)")
            self.data_keys = set()
            return Element(tag, attributes)
        if local == "data":
            key = attributes.get("key")
            if key not in self.keys:
                raise GraphFormatError(f"{self.where()}: <data> of undeclared key {key!r:.40}")
            holder = self.graph_data if parent == "graph" else self.elements[-1]
            if key in (self.graph_keys if parent == "graph" else self.data_keys):
                raise GraphFormatError(f"{self.where()}: two <data> of key {key!r:.40}")
            (self.graph_keys if parent == "graph" else self.data_keys).add(key)
            element = Element(tag, attributes)
            holder.append(element)
            return element
        if local == "default":
            if len(self.elements[-1]):
                raise GraphFormatError(f"{self.where()}: two <default>s in one <key>")
            element = Element(tag, attributes)
            self.elements[-1].append(element)
            return element
        return None  # <graphml>, <desc>

    def characters(self, text: str) -> None:
        self.seen = self.parser.CurrentByteIndex
        if self.text is not None:
            self.text.append(text)

    def end(self, name: str) -> None:
        self.seen = self.parser.CurrentByteIndex
        local = self.open.pop()
        element = self.elements.pop()
        if local in ("data", "default"):
            element.text = "".join(self.text or ())
            self.text = None
            key = element.get("key") if local == "data" else self.elements[-1].get("id")
            self._check_value(key, element.text)
        elif local == "node":
            self._add_node(element)
        elif local == "edge":
            self._add_edge(element)
        elif local == "graph":
            graph_data = self._read(
                lambda: self.reader.decode_data_elements(self.keys, self.graph_data)
            )
            self.G.graph.update(graph_data)

    def _check_value(self, key: str | None, text: str) -> None:
        """The text of a ``<data>`` or ``<default>`` fits its key's type: a number is plain
        ASCII decimal, as Python writes it (``float`` alone would also take ``1_0`` and other
        scripts' digits), or a non-finite spelling; a boolean is ``true`` or ``false``."""
        declared = self.declared_types.get(key)
        if declared is None:
            return
        name, kind = declared
        if kind in _NUMBER_TYPES:
            fits = plain_number(text) is not None or (
                kind in ("float", "double") and text.strip(_XML_SPACE) in _GRAPHML_NON_FINITE
            )
        elif kind == "boolean":
            fits = text.lower() in ("true", "false", "1", "0")  # as NetworkX reads it
        else:
            fits = True
        if not fits:
            expected = "true or false" if kind == "boolean" else "a number"
            raise GraphFormatError(
                f"{self.where()}: {name!r:.40} ({kind}) must be {expected}, got {text!r:.40}"
            )

    def _add_node(self, element: Element) -> None:
        identifier = self._id(element.get("id"), "node id")
        if identifier in self.ids:
            raise GraphFormatError(f"{self.where()}: node id {identifier} appears twice")
        if len(self.ids) >= self.max_nodes:
            raise GraphFormatError(f"more nodes than the {self.max_nodes:,}-node limit")
        self.ids.add(identifier)
        self._read(lambda: self.reader.add_node(self.G, element, self.keys, {}))
        # A node costs about 500 bytes of dicts: not for one without what every node holds.
        _check_required(identifier, self.G.nodes[identifier], _REQUIRED_IN_EVERY_VERSION)

    def _add_edge(self, element: Element) -> None:
        for end in ("source", "target"):
            identifier = self._id(element.get(end), f"edge {end}")
            if identifier not in self.ids:  # NetworkX would make it a node, uncounted
                raise GraphFormatError(
                    f"{self.where()}: edge {end} {identifier} is not a node declared before "
                    "it (a dangling edge)"
                )
        if element.get("id") is not None:  # the edge's key
            self._id(element.get("id"), "edge id")
        self.edges += 1
        if self.edges > 2 * self.max_nodes:
            raise GraphFormatError(
                f"more edges than {2 * self.max_nodes:,}, two for each node of the "
                f"{self.max_nodes:,}-node limit"
            )
        self._read(lambda: self.reader.add_edge(self.G, element, self.keys))

    def _id(self, text: str | None, what: str) -> int:
        if text is None or not _GRAPHML_ID.fullmatch(text):
            raise GraphFormatError(f"{self.where()}: {what} must be an integer, got {text!r:.40}")
        return int(text)

    def _read(self, step: Callable[[], Any]) -> Any:
        """Run ``step``, a call into NetworkX's reader, turning what it raises on a bad
        value into ``GraphFormatError``."""
        try:
            return step()
        except (nx.NetworkXError, ValueError, TypeError, KeyError, AttributeError) as error:
            detail = f"{type(error).__name__}: {error}" if isinstance(error, KeyError) else error
            raise GraphFormatError(f"{self.where()}: {detail}") from None


def _check_header(G: nx.DiGraph) -> None:
    """Check the format and version; bring a graph of an older version up to this one."""
    name, version = G.graph.get("format"), G.graph.get("version")
    if name != FORMAT_NAME:
        raise GraphFormatError(f"graph attribute 'format' is {name!r:.40}, not {FORMAT_NAME!r}")
    if version not in READABLE_VERSIONS or type(version) is not int:
        *earlier, last = map(str, READABLE_VERSIONS)
        known = f"{', '.join(earlier)} and {last}"
        raise GraphFormatError(
            f"graph attribute 'version' is {version!r:.40}; this reader knows {known}"
        )
    if version == 1:  # before scopes: every node is outside any scope
        for attributes in G.nodes.values():
            if "scope" in attributes:
                raise GraphFormatError("a version 1 graph has no 'scope' attribute")
            attributes["scope"] = ""
    # Versions 1 and 2 differ from 3 only in the file (scopes, the JSON of non-finite
    # numbers): in memory the graph is a version 3 graph.
    G.graph["version"] = FORMAT_VERSION
