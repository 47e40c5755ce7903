"""Compiled replay: trace a graph once, then run it again and again without building a Value.

Most training graphs are static: the same model over the same data builds the same DAG at
every step, only the parameters' numbers change. ``compile_graph(root, leaves)`` turns a
traced DAG into a tape: ``Tape.forward(values)`` re-runs the graph for new values of
``leaves``; ``Tape.backward()`` returns d root / d leaf for each. Every other leaf (inputs,
constants) keeps the number it had when traced.

The tape writes the graph out as one straight-line Python function
(``micrograd.straight_line``): a statement per node, the operation table's forward
functions and derivative rules (``micrograd.ops.OPS``) written out over local variables, and
every gradient adding its contributions in the order that ``Value.backward()`` adds them.
So its results are bit-identical to eager ones, but for the sign and payload of a NaN
(which operand's NaN survives ``x * y`` or ``x + y`` may differ). A replay of an MLP's loss
takes under half the time of the same arithmetic written by hand as loops over plain
floats; of a chain or a wide sum, one and a half to three times as long. An inner node's
gradient starts from its first contribution rather than from ``0.0 +`` it; that changes at
most the sign of a zero, which never reaches a leaf's gradient: a leaf's starts from 0.0 as
eager's does, and the table's rules treat ``g = -0.0`` as ``g = 0.0`` but for the sign of a
zero result (``micrograd.ops.Op``). Writing and compiling the function costs about as much
as 10 to 25 eager passes over the graph, once; a graph of the same shape traced again
reuses the compiled function, which saves about two thirds of that.

Both backends start from the same slots (``micrograd.layout``, whose ``Layout``, ``lay_out``
and ``leaf_numbers`` this module re-exports); this module picks one, and neither imports it.

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

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Protocol

from micrograd.engine import Value
from micrograd.layout import Layout, lay_out, leaf_numbers
from micrograd.straight_line import compile_replay, replay_source

__all__ = [
    "BACKENDS",
    "REPLAY_BYTES_PER_NODE",
    "Layout",
    "Replay",
    "Tape",
    "check_backend",
    "compile_graph",
    "lay_out",
    "leaf_numbers",
    "replay_bytes",
]

BACKENDS = ("python", "numpy")
"""What a tape can run on: pure Python (bit-identical to eager) or NumPy arrays."""


REPLAY_BYTES_PER_NODE: Mapping[str, int] = MappingProxyType({"python": 4_000, "numpy": 560})
"""Peak memory of ``compile_graph`` on each backend and of running the tape, per node of the
graph (the traced graph itself included). Measured as the growth of the peak resident
memory (``ru_maxrss``) of a process that builds a sum-of-squares loss, compiles it and runs
two steps: ``MLP(2, [4, 4, 1])`` on 1,000 and 10,000 rows (72,038 and 720,038 nodes) and
``MLP(2, [16, 16, 1])`` on 200 rows (129,938 nodes) took 3,633 to 3,871 bytes a node on
the pure-Python tape (most of it Python's compiler working on the written-out source) and
454 to 525 on NumPy's; rounded up."""


def replay_bytes(nodes: int, backend: str = "python") -> int:
    """The estimated peak memory, in bytes, of compiling a graph of ``nodes`` nodes into a
    tape on ``backend`` and replaying it (``REPLAY_BYTES_PER_NODE``).

    >>> replay_bytes(72_038) / 1e6, replay_bytes(72_038, "numpy") / 1e6   # MB
    (288.152, 40.34128)
    """
    check_backend(backend)
    return nodes * REPLAY_BYTES_PER_NODE[backend]


def check_backend(backend: str) -> None:
    """Refuse a backend not in ``BACKENDS``, with a one-line error naming the choices.

    >>> check_backend("gpu")
    Traceback (most recent call last):
    ...
    ValueError: unknown backend 'gpu'; choose from python, numpy
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


class Tape:
    """A traced graph as one straight-line Python function; made by ``compile_graph``.

    ``forward(values)`` takes one number per leaf given to ``compile_graph`` and returns the
    root's value; ``backward()`` returns the gradient of the root with respect to each of
    those leaves, from the values of the last ``forward``."""

    def __init__(self, layout: Layout) -> None:
        self._replay = compile_replay(replay_source(layout))
        self._n_leaves = len(layout.leaves)
        self._n_slots = layout.n_slots
        self._frozen = [node.data for node in layout.frozen]
        self._run: Iterator = iter(())
        self._grads: list[float] | None = None
        self.forward([leaf.data for leaf in layout.leaves])

    def __len__(self) -> int:
        """The number of slots (``Layout.n_slots``)."""
        return self._n_slots

    def forward(self, values: Sequence[float]) -> float:
        """Run the graph with ``values`` for the leaves, in order; return the root's value."""
        # The replay stops after forward, its frame holding every value, until backward.
        self._run = self._replay(leaf_numbers(values, self._n_leaves), self._frozen)
        self._grads = None
        return next(self._run)

    def backward(self) -> list[float]:
        """d root / d leaf for each leaf given to ``compile_graph``, at the last ``forward``."""
        if self._grads is None:
            try:
                self._grads = next(self._run)
            except StopIteration:  # the last forward was interrupted (Ctrl-C, say)
                raise RuntimeError(
                    "Tape.backward() needs a forward() that ran to the end"
                ) from None
        return list(self._grads)


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

    ``backend="numpy"`` runs all nodes of one operation at one depth as one NumPy array
    operation instead (``micrograd.array_tape``): faster on wide graphs such as an MLP over
    many points, slower on chains, and equal to eager up to rounding rather than bit for
    bit.

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
    return Tape(layout)
