"""Compiled replay: trace a graph once, then run it again and again without building a Value.

Most training graphs are static: the same model over the same data builds the same DAG at
every step, only the parameters' numbers change. ``compile_graph(root, leaves)`` flattens a
traced DAG into a program over arrays of slots (a tape). ``Tape.forward(values)`` re-runs the
graph for new values of ``leaves``; ``Tape.backward()`` returns d root / d leaf for each.
Every other leaf (inputs, constants) keeps the number it had when traced.

The tape runs the operation table's forward functions and derivative rules
(``micrograd.ops.OPS``) on the same numbers as the eager engine, and adds every gradient
contribution in the order that ``Value.backward()`` adds it, so its results are
bit-identical to eager ones (NaN aside: which operand's NaN survives ``x * y`` may differ,
so only the sign and payload of a NaN can). It is faster because it batches: all nodes of
one operation at one depth of the DAG (their longest path from a leaf) run as one ``map``
over the table's forward function, and backward through the rule's batched form
(``micrograd.batched``), so most per-node work happens in C loops rather than in Python
statements (a conditional rule, such as relu's, still calls a small function per node).
A node alone at its depth, as in a chain, runs with plain calls of the table's functions.

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
from dataclasses import dataclass
from operator import add, itemgetter
from typing import Protocol

from micrograd.batched import batched_rule
from micrograd.engine import Value, as_float, topological_order
from micrograd.ops import OPS

__all__ = [
    "BACKENDS",
    "Layout",
    "Replay",
    "Tape",
    "check_backend",
    "compile_graph",
    "lay_out",
    "leaf_numbers",
]

BACKENDS = ("python", "numpy")
"""What a tape can run on: pure Python (bit-identical to eager) or NumPy arrays."""


def check_backend(backend: str) -> None:
    """Refuse a backend not in ``BACKENDS``, with a one-line error naming the choices.

    >>> check_backend("gpu")
    Traceback (most recent call last):
    ...
    ValueError: unknown backend 'gpu'; choose from python, numpy
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


Gather = Callable[[list[float]], tuple[float, ...]]
_BATCHED_RULES = {name: batched_rule(op) for name, op in OPS.items()}


def _gather(indices: Sequence[int]) -> Gather:
    """A function that picks ``xs[i]`` for every ``i`` in ``indices``, as a tuple."""
    if not indices:
        return lambda xs: ()
    if len(indices) == 1:
        (only,) = indices
        return lambda xs: (xs[only],)
    return itemgetter(*indices)


class _Step:
    """Nodes of one operation at one depth: slots ``start:stop`` hold their results.
    The gradients they send to their operands sit from ``contributions`` on, operand by
    operand: node ``i`` sends to its operand ``p`` at ``contributions + p * size + i``."""

    def __init__(self, op_name: str, start: int, size: int) -> None:
        op = OPS[op_name]
        self.forward = op.forward
        self.arity = op.arity
        self.start = start
        self.size = size
        self.stop = start + size
        self.contributions = 0
        # The nodes' gradients from the contributions sent to them; set by compile_graph.
        self.gradients: Callable[[list[float]], Sequence[float]] = _gather([])


class _Group(_Step):
    """Many nodes, run as batches: one ``map`` over each operation's function or rule."""

    def __init__(self, op_name: str, start: int, operand_slots: list[tuple[int, ...]]) -> None:
        super().__init__(op_name, start, len(operand_slots))
        self.backward = _BATCHED_RULES[op_name]
        self.operands = [_gather([slots[p] for slots in operand_slots]) for p in range(self.arity)]
        self.operand_values: list[tuple[float, ...]] = []

    def run_forward(self, slots: list[float]) -> None:
        """Compute the group's results into their slots."""
        # Kept for run_backward(), which needs the same operand values.
        self.operand_values = [gather(slots) for gather in self.operands]
        slots[self.start : self.stop] = map(self.forward, *self.operand_values)

    def run_backward(self, slots: list[float], contributions: list[float]) -> None:
        """Send the group's gradient contributions to their operands' places."""
        grads = self.gradients(contributions)
        outs = slots[self.start : self.stop]
        start, size = self.contributions, self.size
        for sent in self.backward(grads, outs, *self.operand_values):
            contributions[start : start + size] = sent
            start += size


class _Single(_Step):
    """One node, run with plain calls of the table's functions: for a node on its own (a
    chain has nothing else at its depth) they cost a fraction of a batch."""

    def __init__(self, op_name: str, start: int, operand_slots: list[tuple[int, ...]]) -> None:
        super().__init__(op_name, start, 1)
        ((self.a, *b),) = operand_slots
        self.b = b[0] if b else None
        self.rule = OPS[op_name].backward

    def run_forward(self, slots: list[float]) -> None:
        """Compute the node's result into its slot."""
        b = self.b
        a = slots[self.a]
        slots[self.start] = self.forward(a) if b is None else self.forward(a, slots[b])

    def run_backward(self, slots: list[float], contributions: list[float]) -> None:
        """Send the node's gradient contributions to their operands' places."""
        (g,) = self.gradients(contributions)
        b, out, a = self.b, slots[self.start], slots[self.a]
        sent = self.rule(g, out, a) if b is None else self.rule(g, out, a, slots[b])
        contributions[self.contributions : self.contributions + self.arity] = sent


class _Sums:
    """Many sums at once: sum ``k`` adds up the contributions at ``slot_lists[k]``, in that
    order, starting from 0.0 (``from_zero``) or from its first contribution.

    Round ``r`` adds every sum's ``r``-th contribution in one ``map``; the sums are kept
    longest first, so the sums still going in round ``r`` are a prefix.

    >>> sums = _Sums([[0], [1, 2, 3]], from_zero=True)
    >>> sums([1.0, 10.0, 20.0, 30.0])
    [1.0, 60.0]
    """

    def __init__(self, slot_lists: Sequence[Sequence[int]], from_zero: bool) -> None:
        order = sorted(range(len(slot_lists)), key=lambda k: -len(slot_lists[k]))
        if not from_zero and any(not slots for slots in slot_lists):
            raise ValueError("a sum that does not start from 0.0 needs a first contribution")
        self._size = len(slot_lists)
        self._from_zero = from_zero
        longest = len(slot_lists[order[0]]) if order else 0
        self._rounds: list[tuple[int, Gather]] = []
        for r in range(longest):
            taken = [slot_lists[k][r] for k in order if len(slot_lists[k]) > r]
            self._rounds.append((len(taken), _gather(taken)))
        position = {k: i for i, k in enumerate(order)}
        in_order = order == sorted(order)
        self._unsort = None if in_order else _gather([position[k] for k in range(len(order))])

    def __call__(self, contributions: list[float]) -> list[float]:
        rounds = iter(self._rounds)
        if self._from_zero:
            sums = [0.0] * self._size
        else:
            sums = list(next(rounds)[1](contributions)) if self._rounds else []
        for still_going, take in rounds:
            sums[:still_going] = map(add, sums, take(contributions))
        return sums if self._unsort is None else list(self._unsort(sums))


def leaf_numbers(values: Sequence[float], n_leaves: int, tape: str = "Tape") -> list[float]:
    """``values`` as floats, checked to be ``n_leaves`` real numbers (for ``tape``'s
    ``forward()``, named in errors).

    >>> leaf_numbers([1, 2.5], 2)
    [1.0, 2.5]
    """
    if len(values) != n_leaves:
        raise ValueError(f"expected {n_leaves} leaf values, got {len(values)}")
    if set(map(type, values)) <= {float}:  # the usual case, checked in C: 10x faster
        return list(values)
    return [as_float(v, f"{tape}.forward()") for v in values]


class Tape:
    """A traced graph as a program over slots; made by ``compile_graph``.

    ``forward(values)`` takes one number per leaf given to ``compile_graph`` and returns the
    root's value; ``backward()`` returns the gradient of the root with respect to each of
    those leaves, from the values of the last ``forward``."""

    def __init__(
        self,
        n_leaves: int,
        frozen: list[float],
        groups: list[_Step],
        n_contributions: int,
        leaf_sums: _Sums,
        root_slot: int,
        root_among_leaves: list[int],
    ) -> None:
        self._n_leaves = n_leaves
        self._values = [0.0] * n_leaves + frozen + [0.0] * sum(g.stop - g.start for g in groups)
        self._contributions = [0.0] * n_contributions
        self._groups = groups
        self._leaf_sums = leaf_sums
        self._root_slot = root_slot
        self._root_among_leaves = root_among_leaves  # where the root is a given leaf: grad 1.0

    def __len__(self) -> int:
        """The number of slots: one per leaf given (twice for a leaf given twice, and even if
        the graph does not use it), then one per other node of the graph."""
        return len(self._values)

    def forward(self, values: Sequence[float]) -> float:
        """Run the graph with ``values`` for the leaves, in order; return the root's value."""
        slots = self._values
        slots[: self._n_leaves] = leaf_numbers(values, self._n_leaves)
        for group in self._groups:
            group.run_forward(slots)
        return slots[self._root_slot]

    def backward(self) -> list[float]:
        """d root / d leaf for each leaf given to ``compile_graph``, at the last ``forward``."""
        slots, contributions = self._values, self._contributions
        for group in reversed(self._groups):
            # The group's gradients are complete: everything that consumes its nodes sits
            # deeper and has run. Each node adds its contributions in the order eager
            # backward adds them, but from the first one rather than from 0.0 + the first:
            # that differs only in the sign of a zero, and no sign of a zero survives into
            # a leaf's gradient, a sum that starts from 0.0 (as `leaf.grad += ...` does).
            group.run_backward(slots, contributions)
        grads = self._leaf_sums(contributions)
        for i in self._root_among_leaves:
            grads[i] = 1.0
        return grads


@dataclass
class Layout:
    """A traced graph laid out in slots, as both tapes run it; made by ``lay_out``.

    Slots hold, in order: the given ``leaves`` (a leaf given twice keeps its first slot),
    the graph's other leaves (``frozen``: inputs and constants, which keep their numbers),
    then one run of slots per group of nodes with the same depth (their longest path from a
    leaf) and operation, shallowest first: a group's operands all sit in earlier slots.
    ``consumers[node]`` lists who consumes ``node``, in the order eager backward adds
    their contributions: later nodes of the topological order first, and within a node its
    operands in order."""

    root: Value
    leaves: list[Value]
    frozen: list[Value]
    groups: list[tuple[str, int, list[Value]]]  # operation, first slot, nodes
    slot: dict[Value, int]
    consumers: dict[Value, list[tuple[Value, int]]]

    @property
    def n_slots(self) -> int:
        """The number of slots: one per leaf given (twice for a leaf given twice, and even if
        the graph does not use it), then one per other node of the graph."""
        if self.groups:
            _, start, nodes = self.groups[-1]
            return start + len(nodes)
        return len(self.leaves) + len(self.frozen)


def lay_out(root: Value, leaves: Sequence[Value]) -> Layout:
    """Lay out the graph below ``root`` in slots, with ``leaves`` as its inputs.

    >>> from micrograd import Value
    >>> a = Value(2.0)
    >>> layout = lay_out(a * a + 1.0, [a])
    >>> [(op, start, len(nodes)) for op, start, nodes in layout.groups]
    [('mul', 2, 1), ('add', 3, 1)]
    """
    leaves = list(leaves)
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, Value) or leaf._a is not None:
            raise ValueError(f"leaves[{i}] must be a leaf Value (no operands), got {leaf!r:.60}")
    order = topological_order(root)

    slot: dict[Value, int] = {}
    for i, leaf in enumerate(leaves):
        slot.setdefault(leaf, i)
    frozen = [node for node in order if node._a is None and node not in slot]
    for j, node in enumerate(frozen):
        slot[node] = len(leaves) + j

    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = 0 if node._a is None else 1 + max(depth[p] for p in node._prev)

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

    groups: list[tuple[str, int, list[Value]]] = []
    next_slot = len(leaves) + len(frozen)
    for key in sorted(by_group):
        # Nodes with the most consumers first, as _Sums keeps its sums.
        nodes = sorted(by_group[key], key=lambda node: -len(consumers[node]))
        groups.append((key[1], next_slot, nodes))
        for i, node in enumerate(nodes):
            slot[node] = next_slot + i
        next_slot += len(nodes)
    return Layout(root, leaves, frozen, groups, slot, consumers)


class Replay(Protocol):
    """What ``compile_graph`` returns, on either backend: ``forward(values)`` runs the graph
    for new leaf values and returns the root's; ``backward()`` returns d root / d leaf for
    each leaf, at the last ``forward``."""

    def forward(self, values: Sequence[float]) -> float: ...

    def backward(self) -> list[float]: ...

    def __len__(self) -> int: ...


def compile_graph(root: Value, leaves: Sequence[Value], backend: str = "python") -> Replay:
    """Trace the graph below ``root`` into a ``Tape`` whose inputs are ``leaves``.

    ``leaves`` are leaf nodes (no operands), typically a model's parameters; a leaf given
    twice reads the first of its values. Leaves the graph does not use get gradient 0.0.
    The graph must be static: replaying gives what a fresh eager graph of the same shape
    would give, not what Python code that branches on numbers would have built.

    ``backend="numpy"`` runs each group as NumPy array operations instead
    (``micrograd.array_tape``): faster on large graphs, equal to eager up to rounding
    rather than bit for bit.

    >>> from micrograd import Value
    >>> a = Value(2.0)
    >>> tape = compile_graph(a * a + 1.0, [a])
    >>> tape.forward([3.0]), tape.backward()
    (10.0, [6.0])
    """
    check_backend(backend)
    layout = lay_out(root, leaves)
    if backend == "numpy":
        from micrograd.array_tape import ArrayTape  # NumPy is imported only when asked for

        return ArrayTape(layout)
    leaves, consumers = layout.leaves, layout.consumers

    groups: list[_Step] = []
    n_contributions = 0
    # Where the contributions a node sends to its operands land: first[node] + position *
    # stride[node] (the size of its group).
    first: dict[Value, int] = {}
    stride: dict[Value, int] = {}
    for op_name, start, nodes in layout.groups:
        kind = _Single if len(nodes) == 1 else _Group
        group = kind(op_name, start, [tuple(layout.slot[p] for p in node._prev) for node in nodes])
        for i, node in enumerate(nodes):
            first[node] = n_contributions + i
            stride[node] = group.size
        group.contributions = n_contributions
        n_contributions += group.arity * len(nodes)
        groups.append(group)

    def contribution_slots(node: Value) -> list[int]:
        """Where the contributions to ``node``'s gradient land, in eager order."""
        return [first[c] + position * stride[c] for c, position in consumers[node]]

    for (_, _, nodes), group in zip(layout.groups, groups):
        if nodes[0] is root:  # nothing consumes the root: its gradient is 1.0
            group.gradients = lambda contributions: (1.0,)
        else:
            slot_lists = [contribution_slots(node) for node in nodes]
            if all(len(slots) == 1 for slots in slot_lists):  # one consumer each: no sums
                group.gradients = _gather([slots[0] for slots in slot_lists])
            else:
                group.gradients = _Sums(slot_lists, from_zero=False)

    leaf_sums = _Sums(
        [contribution_slots(leaf) if leaf in consumers else [] for leaf in leaves], from_zero=True
    )
    tape = Tape(
        len(leaves),
        [node.data for node in layout.frozen],
        groups,
        n_contributions,
        leaf_sums,
        root_slot=layout.slot[root],
        root_among_leaves=[i for i, leaf in enumerate(leaves) if leaf is root],
    )
    tape.forward([leaf.data for leaf in leaves])
    return tape
