"""A traced graph laid out in numbered slots: what every compiled-replay backend starts from.

``lay_out(root, leaves)`` walks the graph below ``root`` once and gives every node a slot:
the given ``leaves`` first, then the graph's other leaves, then the nodes with operands in
topological order. The pure-Python tape (``micrograd.straight_line``) names its variables
after the slots; the NumPy tape (``micrograd.array_tape``) keeps the leaves' slots and
renumbers the rest. ``leaf_numbers`` checks the numbers a backend's ``forward`` is given.
This module imports only the engine, so both backends and ``micrograd.tape``, which picks
one, import it and not each other.

>>> from micrograd import Value
>>> w, x = Value(2.0), Value(3.0)
>>> layout = lay_out(w * x + w, [w])
>>> layout.n_slots, [layout.slot[node] for node in layout.frozen]
(4, [1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from micrograd.engine import Value, as_float, topological_order

__all__ = ["Layout", "lay_out", "leaf_numbers"]


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


@dataclass
class Layout:
    """A traced graph laid out in slots; made by ``lay_out``. The Python tape names its
    variables after the slots; the NumPy tape keeps the leaves' and renumbers the rest.

    Slots hold, in order: the given ``leaves`` (a leaf given twice keeps its first slot),
    the graph's other leaves (``frozen``: inputs and constants, which keep their numbers),
    then the nodes with operands, in topological ``order``: a node's operands all sit in
    earlier slots. A leaf given twice, or not used by the graph, still counts a slot of
    its own in ``n_slots``."""

    root: Value
    leaves: list[Value]
    order: list[Value]  # every node, operands before results (topological_order)
    frozen: list[Value]
    slot: dict[Value, int]
    n_slots: int  # len(leaves), then one per other node of the graph


def lay_out(root: Value, leaves: Sequence[Value]) -> Layout:
    """Lay out the graph below ``root`` in slots, with ``leaves`` as its inputs.

    >>> from micrograd import Value
    >>> a = Value(2.0)
    >>> layout = lay_out(a * a + 1.0, [a])
    >>> [(node._op or "leaf", layout.slot[node]) for node in layout.order]
    [('leaf', 0), ('mul', 2), ('leaf', 1), ('add', 3)]
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
    next_slot = len(leaves)
    for node in frozen:
        slot[node] = next_slot
        next_slot += 1
    for node in order:
        if node._a is not None:
            slot[node] = next_slot
            next_slot += 1
    return Layout(root, leaves, order, frozen, slot, next_slot)
