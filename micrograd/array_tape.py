"""Compiled replay on NumPy: every group of the tape as a few array operations.

``compile_graph(root, leaves, backend="numpy")`` lays the graph out as the pure-Python tape
does (``micrograd.layout.lay_out``), then gives each group of nodes with the same operation
at the same depth one run of slots (``depth_groups``). Here the slots are one float64
array, and a group runs as a few NumPy calls over its operands' values, gathered by index:
forward through the operation's array form (``ARRAY_FORWARD``), backward through its
derivative rule from the table, the rule's expression evaluated on arrays; contributions go
into the gradients with indexed ``+=`` (``numpy.add.at`` where a node appears twice in a
group). A NumPy call costs microseconds at any size, so groups of a few nodes (a chain has
one at each depth) run node by node with the table's scalar functions instead.

Results are close to the eager engine's, not bit for bit: NumPy's ``tanh`` (and on some
machines ``exp``, ``log`` or ``pow``) may round the last bit differently, and a gradient's
contributions are added in another order. Each result agrees to within 1e-12 of the size
of the numbers it was computed from: the terms a sum adds up, or the 1 in tanh's
``1 - out * out``. That is 1e-12 relative unless such terms cancel: in ``(x * 1e300 + x) -
x * 1e300`` eager's gradient rounds to 0.0 and this one to 1.0, both within 1e-12 of 1e300.
The tests check this bound on random graphs, and plain 1e-12 relative on training runs.

>>> from micrograd import Value
>>> from micrograd.tape import compile_graph
>>> x, w = Value(3.0), Value(2.0)
>>> tape = compile_graph(x * w + w * w, [w], backend="numpy")
>>> tape.forward([0.5]), tape.backward()      # 3 * 0.5 + 0.25; d/dw = x + 2w
(1.75, [4.0])
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from types import MappingProxyType

import numpy as np

from micrograd.engine import Value
from micrograd.layout import Layout, leaf_numbers
from micrograd.ops import OPS, RULE_ARGUMENTS, RULE_FUNCTIONS, Op, reads, rule_lambda_source

__all__ = ["ARRAY_FORWARD", "ARRAY_RULE_FUNCTIONS", "ArrayTape", "array_rule", "depth_groups"]

Array = np.ndarray


def _relu(a: Array) -> Array:
    return np.where(a < 0.0, 0.0, a)  # as ops.relu: keeps nan and -0.0


def _sigmoid(a: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-a))  # as ops.sigmoid


ARRAY_FORWARD: Mapping[str, Callable[..., Array]] = MappingProxyType(
    {
        "add": np.add,
        "sub": np.subtract,
        "mul": np.multiply,
        "div": np.divide,
        "pow": np.power,
        "neg": np.negative,
        "exp": np.exp,
        "log": np.log,
        "tanh": np.tanh,
        "relu": _relu,
        "sigmoid": _sigmoid,
    }
)
"""Each operation's forward function over arrays, elementwise. With floating-point errors
ignored, NumPy follows IEEE as the table's functions do (``exp(1000)`` is ``inf``,
``log(0)`` is ``-inf``, ...); a test checks every entry against the table."""

ARRAY_RULE_FUNCTIONS: Mapping[str, Callable[..., Array]] = MappingProxyType(
    {"ieee_div": np.divide, "ieee_log": np.log, "ieee_pow": np.power}
)
"""The array forms of the functions that derivative rules may call (``RULE_FUNCTIONS``)."""

assert ARRAY_FORWARD.keys() == OPS.keys(), "every operation needs an array form"
assert ARRAY_RULE_FUNCTIONS.keys() == RULE_FUNCTIONS.keys(), "every rule function too"

ArrayRule = Callable[..., tuple[Array, ...]]


class _NoArrayForm(Exception):
    """A rule uses a comparison or a boolean operator as a number, which has no faithful
    array form (NumPy adds boolean arrays as a logical or, and ``or`` keeps no operand)."""


class _OnArrays(ast.NodeTransformer):
    """Rewrites a rule into NumPy calls that mean the same elementwise: ``x if c else y``
    becomes ``_where(c, x, y)``, and inside a condition ``and``/``or``/``not`` become
    logical functions and a chained comparison ``a < b < c`` becomes ``(a < b) and (b < c)``.
    A comparison or boolean operator anywhere else raises ``_NoArrayForm``."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        condition = _Condition().visit(node.test)
        return _call("_where", condition, self.visit(node.body), self.visit(node.orelse))

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        raise _NoArrayForm

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        raise _NoArrayForm

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.Not):
            raise _NoArrayForm
        return self.generic_visit(node)


class _Condition(ast.NodeTransformer):
    """The test of ``x if c else y`` as an array of booleans."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        name = "_logical_and" if isinstance(node.op, ast.And) else "_logical_or"
        values = [self.visit(value) for value in node.values]
        return reduce(lambda left, right: _call(name, left, right), values)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.Not):
            return _call("_logical_not", self.visit(node.operand))
        return _OnArrays().visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        operands = [_OnArrays().visit(operand) for operand in (node.left, *node.comparators)]
        pairs = [
            ast.Compare(left, [op], [right])
            for left, op, right in zip(operands, node.ops, operands[1:])
        ]
        return reduce(lambda left, right: _call("_logical_and", left, right), pairs)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        return _OnArrays().visit(node)  # a number as a condition: its truth, as in Python


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _elementwise(rule: Callable[..., float], *arrays: Array) -> Array:
    """``rule`` applied node by node, for a rule with no array form."""
    return np.frompyfunc(rule, len(arrays), 1)(*arrays).astype(np.float64)


_NAMESPACE = {
    **ARRAY_RULE_FUNCTIONS,
    "_where": np.where,
    "_logical_and": np.logical_and,
    "_logical_or": np.logical_or,
    "_logical_not": np.logical_not,
    "_full_like": np.full_like,
    "_elementwise": _elementwise,
}


def array_source(op: Op) -> str:
    """The source of ``op``'s rule over arrays: a lambda over one array per rule argument.

    >>> array_source(OPS["relu"])
    'lambda g, out, a: (_where(out <= 0.0, 0.0, g),)'
    """
    arguments = ", ".join(RULE_ARGUMENTS[: 2 + op.arity])
    parts = []
    for rule in op.rules:
        expression = ast.parse(rule, mode="eval").body
        try:
            source = ast.unparse(ast.fix_missing_locations(_OnArrays().visit(expression)))
        except _NoArrayForm:  # still right, at a Python call per node
            parts.append(f"_elementwise(lambda {arguments}: {rule}, {arguments})")
            continue
        # A rule that reads no argument is one number for every node.
        parts.append(source if reads(expression) else f"_full_like(g, {source})")
    return rule_lambda_source(op.arity, parts)


def array_rule(op: Op) -> ArrayRule:
    """``op``'s derivative rule over arrays: called with the arrays of many nodes' incoming
    gradients, results and operand values, it returns one array of contributions per
    operand, the table's rule applied to each node.

    >>> g, out, a = np.array([1.0, 2.0]), np.array([0.5, 0.0]), np.array([0.55, 0.0])
    >>> array_rule(OPS["tanh"])(g, out, a)[0].tolist()
    [0.75, 2.0]
    """
    return eval(compile(array_source(op), f"<array rule of {op.name}>", "eval"), dict(_NAMESPACE))


_ARRAY_RULES = {name: array_rule(op) for name, op in OPS.items()}


class _ArrayGroup:
    """Nodes of one operation at one depth, in slots ``start:stop`` of the tape's ``values``
    and ``grads``; ``operands[p]`` holds the slot of every node's operand ``p``."""

    def __init__(
        self, op_name: str, start: int, operands: list[Array], values: Array, grads: Array
    ) -> None:
        self.forward = ARRAY_FORWARD[op_name]
        self.rule = _ARRAY_RULES[op_name]
        self.values, self.grads = values, grads
        self.start = start
        self.stop = start + len(operands[0])
        self.operands = operands
        # Indexed `+=` adds once per distinct index; add.at adds a repeated index each time.
        self.distinct = [len(np.unique(slots)) == len(slots) for slots in operands]
        self.operand_values: list[Array] = []

    def run_forward(self) -> None:
        values = self.values
        self.operand_values = [values[slots] for slots in self.operands]
        values[self.start : self.stop] = self.forward(*self.operand_values)

    def run_backward(self) -> None:
        grads = self.grads
        g, out = grads[self.start : self.stop], self.values[self.start : self.stop]
        sent = self.rule(g, out, *self.operand_values)
        for slots, distinct, contributions in zip(self.operands, self.distinct, sent):
            if distinct:
                grads[slots] += contributions
            else:
                np.add.at(grads, slots, contributions)


class _FewNodes:
    """A group of a few nodes, run node by node with the table's own scalar functions: a
    NumPy call costs microseconds however small its arrays, so for a handful of nodes (a
    chain has one at each depth) plain calls are several times faster. They read and write
    the arrays through memoryviews, whose items are plain floats."""

    def __init__(
        self, op_name: str, start: int, operands: list[Array], values: Array, grads: Array
    ) -> None:
        op = OPS[op_name]
        self.forward = op.forward
        self.rule = op.backward
        self.values, self.grads = memoryview(values), memoryview(grads)
        slots = range(start, start + len(operands[0]))
        b_slots = operands[1].tolist() if op.arity == 2 else [None] * len(slots)
        self.nodes = list(zip(slots, operands[0].tolist(), b_slots))

    def run_forward(self) -> None:
        forward, values = self.forward, self.values
        for slot, a, b in self.nodes:
            values[slot] = forward(values[a]) if b is None else forward(values[a], values[b])

    def run_backward(self) -> None:
        rule, values, grads = self.rule, self.values, self.grads
        for slot, a, b in self.nodes:
            if b is None:
                (to_a,) = rule(grads[slot], values[slot], values[a])
                grads[a] += to_a
            else:
                to_a, to_b = rule(grads[slot], values[slot], values[a], values[b])
                grads[a] += to_a  # a first: in `x * x` both land on x, as in eager
                grads[b] += to_b


DepthGroup = tuple[str, int, list[Value]]  # operation, first slot, nodes


def depth_groups(layout: Layout) -> tuple[list[DepthGroup], dict[Value, int]]:
    """The nodes of ``layout`` with operands, grouped by depth (their longest path from a
    leaf) and operation, shallowest first, and their slots renumbered so that each group
    is one run of slots: a group's operands all sit in earlier slots. The root, deeper than
    every other node, is alone in the last group. Leaves keep their slots.

    >>> from micrograd import Value
    >>> from micrograd.layout import lay_out
    >>> a = Value(2.0)
    >>> groups, slot = depth_groups(lay_out((a * a + 1.0) * (a * 3.0), [a]))
    >>> [(op, start, len(nodes)) for op, start, nodes in groups]
    [('mul', 3, 2), ('add', 5, 1), ('mul', 6, 1)]
    """
    depth: dict[Value, int] = {}
    by_group: defaultdict[tuple[int, str], list[Value]] = defaultdict(list)
    for node in layout.order:
        a, b = node._a, node._b
        if a is None:
            depth[node] = 0
            continue
        depth[node] = 1 + (depth[a] if b is None else max(depth[a], depth[b]))
        by_group[depth[node], node._op].append(node)

    slot = dict(layout.slot)
    groups: list[DepthGroup] = []
    next_slot = len(layout.leaves) + len(layout.frozen)
    for key in sorted(by_group):
        nodes = by_group[key]
        groups.append((key[1], next_slot, nodes))
        for node in nodes:
            slot[node] = next_slot
            next_slot += 1
    return groups, slot


# Groups of up to this many nodes run node by node (_FewNodes); larger ones as arrays.
FEW = 4


class ArrayTape:
    """A traced graph as NumPy array operations, one group at a time; made by
    ``compile_graph(..., backend="numpy")``. Same use as ``Tape``: ``forward(values)``
    returns the root's value, ``backward()`` each given leaf's gradient."""

    def __init__(self, layout: Layout) -> None:
        self._n_leaves = len(layout.leaves)
        self._values = np.zeros(layout.n_slots)
        self._grads = np.zeros(layout.n_slots)
        first_frozen = self._n_leaves
        self._values[first_frozen : first_frozen + len(layout.frozen)] = [
            node.data for node in layout.frozen
        ]
        groups, slot = depth_groups(layout)
        self._groups = [
            (_FewNodes if len(nodes) <= FEW else _ArrayGroup)(
                op_name,
                start,
                [
                    np.array([slot[node._prev[p]] for node in nodes], dtype=np.intp)
                    for p in range(OPS[op_name].arity)
                ],
                self._values,
                self._grads,
            )
            for op_name, start, nodes in groups
        ]
        self._root_slot = slot[layout.root]
        self._leaf_slots = np.array([slot[leaf] for leaf in layout.leaves], dtype=np.intp)
        self.forward([leaf.data for leaf in layout.leaves])

    def __len__(self) -> int:
        """The number of slots (``Layout.n_slots``)."""
        return len(self._values)

    def forward(self, values: Sequence[float]) -> float:
        """Run the graph with ``values`` for the leaves, in order; return the root's value."""
        self._values[: self._n_leaves] = leaf_numbers(values, self._n_leaves, "ArrayTape")
        with np.errstate(all="ignore"):  # IEEE results (inf, nan) are the point, not errors
            for group in self._groups:
                group.run_forward()
        return float(self._values[self._root_slot])

    def backward(self) -> list[float]:
        """d root / d leaf for each leaf given to ``compile_graph``, at the last ``forward``."""
        grads = self._grads
        grads.fill(0.0)
        grads[self._root_slot] = 1.0
        with np.errstate(all="ignore"):
            for group in reversed(self._groups):
                group.run_backward()
        return grads[self._leaf_slots].tolist()
