"""Memory: graphs hold no reference cycles, so reference counting frees them at once, and
a node costs at most 160 bytes (the reference micrograd's cost about 600)."""

from __future__ import annotations

import gc
import tracemalloc

from micrograd import MLP, Value, topological_order
from micrograd.tape import compile_graph

BYTES_PER_NODE = 160


def live_values() -> int:
    # type(), not isinstance(): isinstance would ask lazy module objects for __class__.
    return sum(issubclass(type(obj), Value) for obj in gc.get_objects())


def moons_like_loss(model: MLP, n: int) -> Value:
    inputs = [[Value(i / n), Value(1.0 - i / n)] for i in range(n)]
    scores = [model(x) for x in inputs]
    hinges = [(1 + -(1.0 if i % 2 else -1.0) * s).relu() for i, s in enumerate(scores)]
    return sum(hinges) * (1.0 / n) + 1e-4 * sum(p * p for p in model.parameters())


def test_a_loss_graph_nobody_holds_is_freed_by_reference_counting_alone():
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    gc.collect()
    gc.disable()  # from here on only reference counting frees anything
    try:
        before = live_values()
        loss = moons_like_loss(model, 10)
        loss.backward()
        assert live_values() - before > 5_000
        del loss
        assert live_values() == before
        # Nothing of ours is left for the collector (other threads may leave it their own).
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        assert [obj for obj in gc.garbage if issubclass(type(obj), Value)] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_tape_keeps_no_node_of_the_graph_it_was_traced_from_alive():
    x = Value(0.5)
    gc.collect()
    before = live_values()
    tape = compile_graph((x * x).tanh() + x.exp() * 2.0, [x])
    assert live_values() == before
    assert tape.forward([0.5]) > 0.0


def test_a_node_costs_at_most_160_bytes_built_and_after_backward():
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        loss = moons_like_loss(model, 20)
        built = tracemalloc.get_traced_memory()[0] - start
        loss.backward()
        after_backward = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    nodes = len(topological_order(loss))
    assert nodes > 10_000
    assert built / nodes <= BYTES_PER_NODE
    assert after_backward / nodes <= BYTES_PER_NODE
