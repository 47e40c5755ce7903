"""Compiled replay: trace a graph once, then run it again and again without building a Value.

Most training graphs are static: the same model over the same data builds the same DAG at
every step, only the parameters' numbers change. ``compile_graph(root, leaves)`` flattens a
traced DAG into a program over arrays of slots (a tape). ``Tape.forward(values)`` re-runs the
graph for new values of ``leaves``; ``Tape.backward()`` returns d root / d leaf for each.
Every other leaf (inputs, constants) keeps the number it had when traced.

The tape runs the same functions of the operation table (``micrograd.ops.OPS``) on the same
numbers as the eager engine, and adds every gradient contribution in the order that
``Value.backward()`` adds it, so its results are bit-identical to eager ones. It is faster
because it batches: all nodes of one operation at one depth of the DAG (their longest path
from a leaf) run as one ``map`` over the table's function, so the per-node work happens in
C loops rather than in Python statements.

>>> from micrograd import Value
>>> x, w = Value(3.0), Value(2.0)
>>> y = (x * w).tanh() + w * w
>>> tape = compile_graph(y, [w])
>>> tape.forward([2.0]) == y.data
True
>>> y.backward()
>>> tape.backward() == [w.grad]
True
>>> w.data, w.grad = 0.5, 0.0            # a fresh eager graph at w = 0.5 ...
>>> y = (x * w).tanh() + w * w
>>> y.backward()
>>> tape.forward([0.5]) == y.data, tape.backward() == [w.grad]   # ... and the replay agree
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from itertools import chain
from operator import add, itemgetter

from micrograd.engine import Value, as_float, topological_order
from micrograd.ops import OPS

__all__ = ["Tape", "compile_graph"]

Gather = Callable[[list[float]], tuple[float, ...]]


def _gather(indices: Sequence[int]) -> Gather:
    """A function that picks ``xs[i]`` for every ``i`` in ``indices``, as a tuple."""
    if not indices:
        return lambda xs: ()
    if len(indices) == 1:
        (only,) = indices
        return lambda xs: (xs[only],)
    return itemgetter(*indices)


class _Group:
    """All nodes of one operation at one depth: slots ``start:stop`` hold their results,
    ``contributions:contributions + arity * size`` the gradients they send to operands."""

    def __init__(self, op_name: str, start: int, operand_slots: list[tuple[int, ...]]) -> None:
        op = OPS[op_name]
        self.forward = op.forward
        self.backward = op.backward
        self.arity = op.arity
        self.start = start
        self.stop = start + len(operand_slots)
        self.operands = [_gather([slots[p] for slots in operand_slots]) for p in range(op.arity)]
        self.operand_values: list[tuple[float, ...]] = []
        self.contributions = 0
        # Where each node's gradient comes from, set by compile_graph: the first nodes take
        # exactly one contribution each, the rest (take_several) sum several.
        self.take_single: Gather = _gather([])
        self.take_several: list[Gather] = []


class Tape:
    """A traced graph as a program over slots; made by ``compile_graph``.

    ``forward(values)`` takes one number per leaf given to ``compile_graph`` and returns the
    root's value; ``backward()`` returns the gradient of the root with respect to each of
    those leaves, from the values of the last ``forward``."""

    def __init__(
        self,
        n_leaves: int,
        frozen: list[float],
        groups: list[_Group],
        n_contributions: int,
        leaf_sums: list[Gather | None],
    ) -> None:
        self._n_leaves = n_leaves
        self._values = [0.0] * n_leaves + frozen + [0.0] * sum(g.stop - g.start for g in groups)
        self._contributions = [0.0] * n_contributions
        self._groups = groups
        # Per leaf, where its gradient's contributions are (None for a root that is a leaf).
        self._leaf_sums = leaf_sums
        self._root_slot = 0

    def __len__(self) -> int:
        """The number of slots: the graph's nodes, plus leaves given but not in the graph."""
        return len(self._values)

    def forward(self, values: Sequence[float]) -> float:
        """Run the graph with ``values`` for the leaves, in order; return the root's value."""
        if len(values) != self._n_leaves:
            raise ValueError(f"expected {self._n_leaves} leaf values, got {len(values)}")
        slots = self._values
        slots[: self._n_leaves] = [as_float(v, "Tape.forward()") for v in values]
        for group in self._groups:
            # Kept for backward(), which needs the same operand values.
            group.operand_values = [gather(slots) for gather in group.operands]
            slots[group.start : group.stop] = map(group.forward, *group.operand_values)
        return slots[self._root_slot]

    def backward(self) -> list[float]:
        """d root / d leaf for each leaf given to ``compile_graph``, at the last ``forward``."""
        slots, contributions = self._values, self._contributions
        for group in reversed(self._groups):
            # The group's gradients are complete: everything that consumes its nodes sits
            # deeper and has run. A node with one consumer takes that one contribution as
            # is; eager backward computes 0.0 + c, which differs only in the sign of a zero,
            # and no sign of a zero survives into a leaf's gradient, a sum that starts from
            # 0.0 (as `leaf.grad += ...` does). Nodes with several consumers add theirs in
            # the order eager backward adds them.
            grads = group.take_single(contributions)
            if group.take_several:
                grads += tuple(reduce(add, take(contributions), 0.0) for take in group.take_several)
            start = group.contributions
            contributions[start : start + group.arity * len(grads)] = chain.from_iterable(
                map(group.backward, grads, slots[group.start : group.stop], *group.operand_values)
            )
        return [
            1.0 if take is None else reduce(add, take(contributions), 0.0)
            for take in self._leaf_sums
        ]


def compile_graph(root: Value, leaves: Sequence[Value]) -> Tape:
    """Trace the graph below ``root`` into a ``Tape`` whose inputs are ``leaves``.

    ``leaves`` are leaf nodes (no operands), typically a model's parameters; a leaf given
    twice reads the first of its values. Leaves the graph does not use get gradient 0.0.
    The graph must be static: replaying gives what a fresh eager graph of the same shape
    would give, not what Python code that branches on numbers would have built.

    >>> from micrograd import Value
    >>> a = Value(2.0)
    >>> tape = compile_graph(a * a + 1.0, [a])
    >>> tape.forward([3.0]), tape.backward()
    (10.0, [6.0])
    """
    leaves = list(leaves)
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, Value) or leaf._a is not None:
            raise ValueError(f"leaves[{i}] must be a leaf Value (no operands), got {leaf!r:.60}")
    order = topological_order(root)

    # Slots: the given leaves, then the graph's other leaves (frozen), then one run of
    # slots per group of nodes with the same depth and operation, shallowest first.
    slot: dict[Value, int] = {}
    for i, leaf in enumerate(leaves):
        slot.setdefault(leaf, i)
    frozen = [node for node in order if node._a is None and node not in slot]
    for j, node in enumerate(frozen):
        slot[node] = len(leaves) + j

    # Depth: the longest path from a leaf, so a node's operands are all shallower.
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = 0 if node._a is None else 1 + max(depth[p] for p in node._prev)

    # Who consumes each node, in the order eager backward adds their contributions: later
    # nodes of the topological order first, and within a node its operands in order.
    consumers: dict[Value, list[tuple[Value, int]]] = {node: [] for node in order}
    for node in reversed(order):
        for position, operand in enumerate(node._prev):
            consumers[operand].append((node, position))

    by_group: dict[tuple[int, str], list[Value]] = {}
    for node in order:
        if node._a is not None and node is not root:
            by_group.setdefault((depth[node], node._op), []).append(node)
    if root._a is not None:  # the root is alone at the greatest depth
        by_group[(depth[root], root._op)] = [root]

    groups: list[_Group] = []
    members: list[list[Value]] = []
    next_slot = len(leaves) + len(frozen)
    n_contributions = 0
    # Where the contributions a node sends to its operands land: first[node] + position.
    first: dict[Value, int] = {}
    for key in sorted(by_group):
        # Nodes with one consumer first, so that their gradients are summed in one batch.
        nodes = sorted(by_group[key], key=lambda node: len(consumers[node]) != 1)
        group = _Group(key[1], next_slot, [tuple(slot[p] for p in node._prev) for node in nodes])
        for i, node in enumerate(nodes):
            slot[node] = next_slot + i
            first[node] = n_contributions + i * group.arity
        group.contributions = n_contributions
        next_slot = group.stop
        n_contributions += group.arity * len(nodes)
        groups.append(group)
        members.append(nodes)

    def contribution_slots(node: Value) -> list[int]:
        """Where the contributions to ``node``'s gradient land, in eager order."""
        return [first[c] + position for c, position in consumers[node]]

    for nodes, group in zip(members, groups):
        if nodes[0] is root:  # nothing consumes the root: its gradient is 1.0
            group.take_single = lambda contributions: (1.0,)
            continue
        several = [node for node in nodes if len(consumers[node]) != 1]
        singles = nodes[: len(nodes) - len(several)]
        group.take_single = _gather([contribution_slots(node)[0] for node in singles])
        group.take_several = [_gather(contribution_slots(node)) for node in several]

    leaf_sums: list[Gather | None] = []
    for leaf in leaves:
        used = consumers.get(leaf) is not None
        leaf_sums.append(
            None if leaf is root else _gather(contribution_slots(leaf) if used else [])
        )
    tape = Tape(len(leaves), [node.data for node in frozen], groups, n_contributions, leaf_sums)
    tape._root_slot = slot[root]
    tape.forward([leaf.data for leaf in leaves])
    return tape
